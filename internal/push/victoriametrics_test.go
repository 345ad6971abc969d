package push

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/waba-exporter/waba_exporter/internal/exporter"
	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"

	"github.com/waba-exporter/waba_exporter/internal/testutil"
)

// startVictoriaMetrics runs a single-node server on a loopback port with its data in a
// temporary directory and returns its base URL once /health answers.
func startVictoriaMetrics(t *testing.T) string {
	bin := testutil.Tool(t, "victoria-metrics")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-storageDataPath="+t.TempDir(), "-httpListenAddr="+addr,
		"-loggerLevel=ERROR", "-retentionPeriod=1d")
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	base := "http://" + addr
	// Polling a real external process, bounded by a deadline.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("victoria-metrics did not become healthy at %s: %v\n%s", base, err, stderr.String())
		}
	}
}

// exported reads every series VictoriaMetrics holds for match as "name{labels}" -> the
// value of its last sample.
func exported(t *testing.T, base, match string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/internal/force_flush")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Get(base + "/api/v1/export?match[]=" + url.QueryEscape(match))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var row struct {
			Metric map[string]string `json:"metric"`
			Values []json.Number     `json:"values"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("export line %q: %v", sc.Text(), err)
		}
		var ls []string
		for k, v := range row.Metric {
			if k != "__name__" {
				ls = append(ls, k+"="+v)
			}
		}
		sort.Strings(ls)
		v, err := parseVMFloat(string(row.Values[len(row.Values)-1]))
		if err != nil {
			t.Fatal(err)
		}
		out[row.Metric["__name__"]+"{"+strings.Join(ls, ",")+"}"] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// dropEmptyLabels removes "name=" pairs from a flat key.
func dropEmptyLabels(k string) string {
	i := strings.IndexByte(k, '{')
	var keep []string
	for _, l := range strings.Split(strings.TrimSuffix(k[i+1:], "}"), ",") {
		if l != "" && !strings.HasSuffix(l, "=") {
			keep = append(keep, l)
		}
	}
	return k[:i+1] + strings.Join(keep, ",") + "}"
}

func parseVMFloat(s string) (float64, error) {
	switch s {
	case "Infinity", "+Inf":
		return math.Inf(1), nil
	case "-Infinity", "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	var f float64
	_, err := fmt.Sscan(s, &f)
	return f, err
}

func sameFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if a == b {
		return true
	}
	// VictoriaMetrics stores values as decimals with a bounded mantissa.
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// TestVictoriaMetrics pushes the exporter's real exposition (a Collector with its
// Health, plus a registry with every sample shape) to a real single-node
// VictoriaMetrics server and checks that every pushed series is stored with the extra
// labels and its value; a push to a path VictoriaMetrics refuses counts as a failure.
func TestVictoriaMetrics(t *testing.T) {
	base := startVictoriaMetrics(t)
	health := &exporter.Health{}
	p0 := pipeline.New(window.New(window.DefaultConfig()), webhook.Options{}, nil, nil)
	regs := exporter.NewRegistries(&exporter.Collector{P: p0, Health: health, EventTimeOnly: true}, false)
	g := prometheus.Gatherers{regs.Gatherer(), testRegistry()}
	good := base + "/api/v1/import/prometheus"
	bad := base + "/api/v1/import/no-such-format"
	p, err := New(Options{
		URLs: []string{good, bad}, Interval: 10 * time.Second,
		ExtraLabels: []string{"job=waba_push_test", "env=ci"}, Gatherer: g, Recorder: health,
	})
	if err != nil {
		t.Fatal(err)
	}
	res := p.PushOnce(context.Background())
	if res[good] != nil {
		t.Fatalf("push to VictoriaMetrics: %v", res[good])
	}
	if res[bad] == nil {
		t.Fatalf("push to %s succeeded", bad)
	}
	// What the last push carried: the first push's outcomes are in this body.
	res = p.PushOnce(context.Background())
	if res[good] != nil {
		t.Fatalf("second push: %v", res[good])
	}
	body, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	// Encode gathers afresh; the health series moved by the second push, so compare
	// everything except them, and check them on their own.
	want := map[string]float64{}
	for k, v := range flat(t, string(body)) {
		want[dropEmptyLabels(k)] = v // a label with an empty value is no label
	}
	// Rows become searchable asynchronously: poll the real server, bounded by a deadline.
	var got map[string]float64
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		got = exported(t, base, `{job="waba_push_test"}`)
		if len(got) >= len(want) || time.Now().After(deadline) {
			break
		}
	}
	if len(want) < 20 { // sanity: the Collector and the test registry were gathered
		t.Fatalf("only %d series pushed", len(want))
	}
	var missing, wrong []string
	for k, v := range want {
		if strings.HasPrefix(k, "waba_exporter_push_failures_total") || strings.HasPrefix(k, "waba_exporter_last_push_success") ||
			strings.HasPrefix(k, "waba_exporter_collect_duration_seconds") {
			continue
		}
		g, ok := got[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case !sameFloat(g, v):
			wrong = append(wrong, fmt.Sprintf("%s = %v, pushed %v", k, g, v))
		}
	}
	sort.Strings(missing)
	sort.Strings(wrong)
	if len(missing) > 0 {
		t.Errorf("%d of %d pushed series not in VictoriaMetrics, e.g. %v", len(missing), len(want), missing[:min(5, len(missing))])
	}
	if len(wrong) > 0 {
		t.Errorf("values differ: %v", wrong[:min(5, len(wrong))])
	}
	// The second push carried the first push's outcomes.
	failKey := `waba_exporter_push_failures_total{env=ci,job=waba_push_test,url=` + bad + `}`
	if v := got[failKey]; v != 1 {
		t.Errorf("%s = %v in VictoriaMetrics, want 1 (series: %d)", failKey, v, len(got))
	}
	okKey := `waba_exporter_last_push_success_timestamp_seconds{env=ci,job=waba_push_test,url=` + good + `}`
	if v := got[okKey]; v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("%s = %v in VictoriaMetrics, want about now", okKey, v)
	}
	if v, ok := got[`waba_exporter_last_push_success_timestamp_seconds{env=ci,job=waba_push_test,url=`+bad+`}`]; !ok || v != 0 {
		t.Errorf("last success of the refused target = %v (present %v), want 0", v, ok)
	}
}
