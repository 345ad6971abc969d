package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/config"
	"github.com/waba-exporter/waba_exporter/internal/sim"
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

// simChunks returns n generated lines split into chunks of the given sizes (in order), so a
// test can write a log in several appends whose concatenation is one generated sequence.
func simChunks(t *testing.T, seed int64, sizes ...int) [][]byte {
	t.Helper()
	n := 0
	for _, s := range sizes {
		n += s
	}
	var buf strings.Builder
	if err := sim.New(sim.Options{Seed: seed}).WriteN(&buf, n); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(buf.String(), "\n")
	var out [][]byte
	for _, s := range sizes {
		out = append(out, []byte(strings.Join(lines[:s], "")))
		lines = lines[s:]
	}
	return out
}

func appendFile(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// fixedNow is before every generated event: the live tick then releases nothing, so the
// state is a function of the lines read alone and two runs over the same lines compare.
func fixedNow() time.Time { return time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC) }

// liveRun is an exporter run in this process.
type liveRun struct {
	base string
	stop func() error
}

func startRun(t *testing.T, cfgPath, cpPath string) *liveRun {
	t.Helper()
	return startRunLogged(t, cfgPath, cpPath, nil)
}

func startRunLogged(t *testing.T, cfgPath, cpPath string, logs io.Writer) *liveRun {
	t.Helper()
	return startRunWith(t, cfgPath, cpPath, logs, time.Hour)
}

func startRunEvery(t *testing.T, cfgPath, cpPath string, every time.Duration) *liveRun {
	t.Helper()
	return startRunWith(t, cfgPath, cpPath, nil, every)
}

func startRunWith(t *testing.T, cfgPath, cpPath string, logs io.Writer, every time.Duration) *liveRun {
	t.Helper()
	var log *slog.Logger
	if logs != nil {
		log = slog.New(slog.NewTextHandler(logs, nil))
	}
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
		done <- Run(ctx, RunOptions{Serve: ServeOptions{Listener: ln, ConfigPath: cfgPath, CheckpointPath: cpPath, CheckpointInterval: every},
			Config: cfg, PollInterval: 20 * time.Millisecond, Now: fixedNow, Logger: log})
	}()
	r := &liveRun{base: "http://" + ln.Addr().String()}
	var once bool
	var res error
	r.stop = func() error {
		if !once {
			once = true
			cancel()
			res = <-done
		}
		return res
	}
	t.Cleanup(func() { r.stop() })
	return r
}

// exposition returns the input-determined samples of a run, sorted (see volatile), once
// the run is ready.
func (r *liveRun) exposition(t *testing.T) string {
	t.Helper()
	waitFor(t, "ready", func() bool { return metricValue(t, r.base, "waba_exporter_state_ready") == 1 })
	s, err := scrapeStable(t, strings.TrimPrefix(r.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func linesOf(path string) string {
	return fmt.Sprintf("waba_exporter_lines_read_total{logfile=%q}", path)
}

// referenceExposition is what one uninterrupted run over cfg's inputs (no checkpoint, no
// reload) exposes once the given files are read to the given line counts.
func referenceExposition(t *testing.T, dir, cfgBody string, want map[string]int) string {
	t.Helper()
	cfgPath := filepath.Join(dir, fmt.Sprintf("ref-%d.yml", time.Now().UnixNano()))
	if err := os.WriteFile(cfgPath, []byte(cfgBody), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startRun(t, cfgPath, "")
	defer r.stop()
	for path, n := range want {
		waitFor(t, "reference read", func() bool { return metricValue(t, r.base, linesOf(path)) == float64(n) })
	}
	waitFor(t, "reference ready", func() bool { return metricValue(t, r.base, "waba_exporter_state_ready") == 1 })
	return r.exposition(t)
}

func reloadTo(t *testing.T, r *liveRun, cfgPath, body string) {
	t.Helper()
	if err := os.WriteFile(cfgPath, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, msg := postReload(t, r.base); code != http.StatusOK {
		t.Fatalf("reload = %d %s", code, msg)
	}
}

// diffExposition reports the first differing lines of two expositions.
func diffExposition(t *testing.T, what, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	shown := 0
	for i := 0; i < max(len(g), len(w)) && shown < 10; i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			t.Errorf("%s: line %d:\n got  %s\n want %s", what, i, a, b)
			shown++
		}
	}
}

// TestReloadOptionChangeKeepsOffsets: changing an input's options (format, line limit)
// keeps its tailer and offsets: nothing is read again, lines appended afterwards are read
// once, and the exposition (and the checkpoint a restart resumes from) equals one
// uninterrupted read of the same file.
func TestReloadOptionChangeKeepsOffsets(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f.ndjson")
	cp := filepath.Join(dir, "state.ckpt")
	cfgPath := filepath.Join(dir, "waba.yml")
	chunks := simChunks(t, 11, 400, 150)
	appendFile(t, f, chunks[0])
	base := fmt.Sprintf("inputs: [{path: %q}]\n", f)
	if err := os.WriteFile(cfgPath, []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startRun(t, cfgPath, cp)
	waitFor(t, "first read", func() bool { return metricValue(t, r.base, linesOf(f)) == 400 })

	changed := fmt.Sprintf("inputs: [{path: %q, format: meta, max_line_bytes: 1048576}]\n", f)
	reloadTo(t, r, cfgPath, changed)
	appendFile(t, f, chunks[1])
	waitFor(t, "appended lines", func() bool { return metricValue(t, r.base, linesOf(f)) >= 550 })
	want := referenceExposition(t, dir, changed, map[string]int{f: 550})
	diffExposition(t, "after the options reload", r.exposition(t), want)
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}

	// The final checkpoint holds single counts: a restart resumes with the same exposition.
	r2 := startRun(t, cfgPath, cp)
	waitFor(t, "restart ready", func() bool { return metricValue(t, r2.base, "waba_exporter_state_ready") == 1 })
	diffExposition(t, "after a restart from the checkpoint", r2.exposition(t), want)
}

// TestReloadRemoveThenReAddResumes: an input removed by a reload stops; re-added by a
// later reload it resumes where it stopped (lines appended meanwhile are read once, none
// twice), within one process and across a restart in between.
func TestReloadRemoveThenReAddResumes(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f.ndjson")
	g := filepath.Join(dir, "g.ndjson") // an empty second input, so a config without f is valid
	cp := filepath.Join(dir, "state.ckpt")
	cfgPath := filepath.Join(dir, "waba.yml")
	chunks := simChunks(t, 12, 300, 100, 80, 60)
	appendFile(t, f, chunks[0])
	appendFile(t, g, nil)
	both := fmt.Sprintf("inputs: [{path: %q}, {path: %q}]\n", f, g)
	onlyG := fmt.Sprintf("inputs: [{path: %q}]\n", g)
	if err := os.WriteFile(cfgPath, []byte(both), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startRun(t, cfgPath, cp)
	waitFor(t, "first read", func() bool { return metricValue(t, r.base, linesOf(f)) == 300 })

	// Within one process: remove, append (not read), re-add (read once).
	reloadTo(t, r, cfgPath, onlyG)
	appendFile(t, f, chunks[1])
	time.Sleep(200 * time.Millisecond) // ten poll intervals for a stopped tailer to (wrongly) read
	if v := metricValue(t, r.base, linesOf(f)); v != 300 {
		t.Fatalf("removed input read on: lines = %v", v)
	}
	reloadTo(t, r, cfgPath, both)
	waitFor(t, "re-added input", func() bool { return metricValue(t, r.base, linesOf(f)) >= 400 })
	want := referenceExposition(t, dir, both, map[string]int{f: 400})
	diffExposition(t, "after remove and re-add", r.exposition(t), want)

	// Across a restart: removed, the process restarts without it (its position stays in
	// the checkpoint), a reload adds it back and it resumes from the checkpoint.
	reloadTo(t, r, cfgPath, onlyG)
	appendFile(t, f, chunks[2])
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	r2 := startRun(t, cfgPath, cp)
	waitFor(t, "restart ready", func() bool { return metricValue(t, r2.base, "waba_exporter_state_ready") == 1 })
	if v := metricValue(t, r2.base, linesOf(f)); v != 400 {
		t.Fatalf("after restart without f: lines = %v, want the checkpointed 400", v)
	}
	reloadTo(t, r2, cfgPath, both)
	appendFile(t, f, chunks[3])
	waitFor(t, "re-added after restart", func() bool { return metricValue(t, r2.base, linesOf(f)) >= 540 })
	want = referenceExposition(t, dir, both, map[string]int{f: 540})
	diffExposition(t, "after restart and re-add", r2.exposition(t), want)
}

// TestReloadNewPathStartsPerStart: only a path never read before starts per its start
// option: "end" skips what the file already holds, "beginning" reads it all; the inputs
// that were running keep their counts.
func TestReloadNewPathStartsPerStart(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f.ndjson")
	g := filepath.Join(dir, "g.ndjson")
	h := filepath.Join(dir, "h.ndjson")
	cp := filepath.Join(dir, "state.ckpt")
	cfgPath := filepath.Join(dir, "waba.yml")
	fc, gc, hc := simChunks(t, 13, 200), simChunks(t, 14, 120, 30), simChunks(t, 15, 90)
	appendFile(t, f, fc[0])
	appendFile(t, g, gc[0])
	appendFile(t, h, hc[0])
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf("inputs: [{path: %q}]\n", f)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startRun(t, cfgPath, cp)
	waitFor(t, "first read", func() bool { return metricValue(t, r.base, linesOf(f)) == 200 })
	reloadTo(t, r, cfgPath, fmt.Sprintf("inputs: [{path: %q}, {path: %q, start: end}, {path: %q, start: beginning}]\n", f, g, h))
	waitFor(t, "h read from its beginning", func() bool { return metricValue(t, r.base, linesOf(h)) == 90 })
	waitFor(t, "g started", func() bool { return metricValue(t, r.base, linesOf(g)) == 0 })
	// g's tailer must have opened it (at its end) before the append, or "end" would
	// include the appended lines.
	waitFor(t, "g opened", func() bool { return metricValue(t, r.base, "waba_exporter_files_watched") == 3 })
	appendFile(t, g, gc[1])
	waitFor(t, "g's appended lines", func() bool { return metricValue(t, r.base, linesOf(g)) == 30 })
	if v := metricValue(t, r.base, linesOf(f)); v != 200 {
		t.Errorf("running input f: lines = %v after adding others, want 200", v)
	}
	if v := metricValue(t, r.base, linesOf(h)); v != 90 {
		t.Errorf("h: lines = %v, want 90", v)
	}
}
