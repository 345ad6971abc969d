package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/config"
	"github.com/waba-exporter/waba_exporter/sim"
)

func writeSimLines(t *testing.T, path string, seed int64, n int, appendTo bool) {
	t.Helper()
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := sim.New(sim.Options{Seed: seed}).WriteN(w, n); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	f.Close()
}

// metricValue scrapes one sample (name with labels, as exposed) or returns -1.
func metricValue(t *testing.T, base, series string) float64 {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, series+" ") {
			var v float64
			fmt.Sscan(strings.TrimPrefix(l, series+" "), &v)
			return v
		}
	}
	return -1
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func postReload(t *testing.T, base string) (int, string) {
	resp, err := http.Post(base+"/-/reload", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReloadChangesInputsAndQuotasLive: a reload starts new inputs, stops removed ones,
// swaps quotas, and keeps the state; a bad config is rejected and the old one runs on.
func TestReloadChangesInputsAndQuotasLive(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.ndjson"), filepath.Join(dir, "b.ndjson")
	writeSimLines(t, a, 1, 300, false)
	writeSimLines(t, b, 2, 200, false)
	cfgPath := filepath.Join(dir, "waba.yml")
	writeCfg := func(body string) {
		if err := os.WriteFile(cfgPath, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeCfg(fmt.Sprintf("inputs: [{path: %q}]\nquotas: [{name: first, limit: 100, unit: delivered_messages}]\n", a))
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, RunOptions{Serve: ServeOptions{Listener: ln, ConfigPath: cfgPath}, Config: cfg, PollInterval: 20 * time.Millisecond})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	base := "http://" + ln.Addr().String()
	linesA := fmt.Sprintf("waba_exporter_lines_read_total{logfile=%q}", a)
	linesB := fmt.Sprintf("waba_exporter_lines_read_total{logfile=%q}", b)
	waitFor(t, "input a read", func() bool { return metricValue(t, base, linesA) == 300 })
	if v := metricValue(t, base, `waba_quota_limit{quota="first"}`); v != 100 {
		t.Fatalf("quota first limit = %v", v)
	}

	// Good reload: input a replaced by b, quota first replaced by second.
	writeCfg(fmt.Sprintf("inputs: [{path: %q}]\nquotas: [{name: second, limit: 5870000, unit: conversations}]\n", b))
	if code, body := postReload(t, base); code != http.StatusOK {
		t.Fatalf("reload = %d %s", code, body)
	}
	waitFor(t, "input b read", func() bool { return metricValue(t, base, linesB) == 200 })
	if v := metricValue(t, base, `waba_quota_limit{quota="second"}`); v != 5870000 {
		t.Errorf("quota second limit = %v", v)
	}
	if v := metricValue(t, base, `waba_quota_limit{quota="first"}`); v != -1 {
		t.Errorf("removed quota still exported: %v", v)
	}
	if v := metricValue(t, base, "waba_exporter_config_last_reload_successful"); v != 1 {
		t.Errorf("last reload successful = %v", v)
	}
	// a is no longer tailed: lines appended to it are not read, while b's are.
	writeSimLines(t, a, 3, 50, true)
	writeSimLines(t, b, 4, 70, true)
	waitFor(t, "b's new lines", func() bool { return metricValue(t, base, linesB) == 270 })
	time.Sleep(200 * time.Millisecond) // ten poll intervals for a stopped tailer to (wrongly) read
	if v := metricValue(t, base, linesA); v != 300 {
		t.Errorf("removed input still read: lines = %v", v)
	}
	// State is kept across the reload: counters did not restart.
	if v := metricValue(t, base, "waba_exporter_events_total{field=\"messages\"}"); v <= 0 {
		t.Errorf("events counter lost: %v", v)
	}

	// Bad reload: rejected with the error, the old config keeps running.
	writeCfg("inputs: [{path: x, format: twillio}]\n")
	code, body := postReload(t, base)
	if code != http.StatusInternalServerError || !strings.Contains(body, `did you mean "twilio"`) {
		t.Errorf("bad reload = %d %q", code, body)
	}
	if v := metricValue(t, base, "waba_exporter_config_last_reload_successful"); v != 0 {
		t.Errorf("last reload successful after a bad config = %v", v)
	}
	writeSimLines(t, b, 5, 30, true)
	waitFor(t, "b still tailed after the bad reload", func() bool { return metricValue(t, base, linesB) == 300 })
}
