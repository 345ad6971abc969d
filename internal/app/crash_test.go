package app

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/config"
	"github.com/waba-exporter/waba_exporter/internal/sim"
)

var crashLong = flag.Bool("crash.long", false, "run the crash test on a larger log with more kills")

// TestMain doubles as the child process of the crash test: with WABA_CRASH_CHILD set, the
// test binary runs the exporter (run mode, checkpoints on) instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("WABA_CRASH_CHILD") != "" {
		os.Exit(crashChild())
	}
	if os.Getenv("WABA_FLOOD_CHILD") != "" {
		os.Exit(floodChild())
	}
	os.Exit(m.Run())
}

func crashChild() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// The parent reads the address from this file (written atomically).
	addrFile := os.Getenv("WABA_CRASH_ADDR")
	if err := os.WriteFile(addrFile+".tmp", []byte(ln.Addr().String()), 0o644); err != nil {
		return 1
	}
	if err := os.Rename(addrFile+".tmp", addrFile); err != nil {
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	// WABA_CRASH_NOW fixes the wall clock (unix seconds; the soak sets it before every
	// event, so the live tick changes nothing and the state depends on the lines alone).
	now := time.Now
	if s := os.Getenv("WABA_CRASH_NOW"); s != "" {
		sec, _ := strconv.ParseInt(s, 10, 64)
		now = func() time.Time { return time.Unix(sec, 0) }
	}
	err = Run(ctx, RunOptions{
		Now: now,
		Serve: ServeOptions{
			Listener: ln, CheckpointPath: os.Getenv("WABA_CRASH_CHECKPOINT"),
			CheckpointInterval: 20 * time.Millisecond,
		},
		Config:       config.Default(),
		LogPaths:     []string{os.Getenv("WABA_CRASH_LOG")},
		PollInterval: 50 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

type child struct {
	cmd  *exec.Cmd
	addr string
}

func startChild(t *testing.T, dir, logFile, cp string) *child {
	t.Helper()
	addrFile := filepath.Join(dir, fmt.Sprintf("addr-%d", time.Now().UnixNano()))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// The wall clock is the real one: the live engine lets it in only once every line
	// handed out is applied (caughtUp), so it cannot make a line in flight count as late.
	cmd.Env = append(os.Environ(), "WABA_CRASH_CHILD=1", "WABA_CRASH_LOG="+logFile, "WABA_CRASH_CHECKPOINT="+cp, "WABA_CRASH_ADDR="+addrFile)
	cmd.Stderr = io.Discard
	if testing.Verbose() {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(addrFile); err == nil {
			c.addr = string(b)
			return c
		}
		time.Sleep(10 * time.Millisecond) // waiting for a real child process, bounded
	}
	cmd.Process.Kill()
	t.Fatal("child did not start")
	return nil
}

func (c *child) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.cmd.Wait()
}

// volatile are series whose values depend on wall time or on the process, not on input.
var volatile = []string{
	"go_", "process_", "promhttp_", "waba_exporter_collect_duration_seconds", "waba_exporter_last_read_timestamp_seconds",
	"waba_exporter_checkpoint_last_success_timestamp_seconds", "waba_exporter_config_last_reload_success_timestamp_seconds",
	"waba_exporter_tail_lag_bytes", "waba_exporter_files_watched", "waba_exporter_build_info",
	"waba_exporter_checkpoint_restore_failures_total", // about this process's start, not the input
}

func scrapeStable(t *testing.T, addr string) (string, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var keep []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
next:
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") {
			continue
		}
		for _, v := range volatile {
			if strings.HasPrefix(l, v) {
				continue next
			}
		}
		keep = append(keep, l)
	}
	sort.Strings(keep)
	return strings.Join(keep, "\n"), sc.Err()
}

// waitComplete scrapes until every line was read and the exposition stays the same for
// a while (the reorder buffer is released by the live tick once the file is read).
func waitComplete(t *testing.T, c *child, lines int) string {
	t.Helper()
	var last string
	var since time.Time
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		time.Sleep(300 * time.Millisecond) // polling a real child process, bounded
		got, err := scrapeStable(t, c.addr)
		if err != nil || !strings.Contains(got, fmt.Sprintf("} %d\n", lines)) || !strings.Contains(got, "waba_exporter_state_ready 1") {
			last = ""
			continue
		}
		if got != last {
			last, since = got, time.Now()
			continue
		}
		if time.Since(since) > 2500*time.Millisecond {
			return got
		}
	}
	t.Fatal("child did not finish reading the log")
	return ""
}

// TestCrashRestartExactlyOnce: a child exporter tails a generated log with checkpoints on
// and is killed with SIGKILL at random points several times; after the last restart has
// read the log to its end, its exposition equals that of an uninterrupted run: no line
// counted twice into counters, state or quota, none skipped.
func TestCrashRestartExactlyOnce(t *testing.T) {
	lines, kills := 12000, 4
	if *crashLong {
		lines, kills = 200000, 12
	}
	dir := t.TempDir()
	logFile := filepath.Join(dir, "webhooks.ndjson")
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	if err := sim.New(sim.Options{Seed: 3}).WriteN(bw, lines); err != nil {
		t.Fatal(err)
	}
	bw.Flush()
	f.Close()

	ref := startChild(t, dir, logFile, filepath.Join(dir, "ref.ckpt"))
	want := waitComplete(t, ref, lines)
	ref.kill()

	cp := filepath.Join(dir, "crash.ckpt")
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for i := 0; i < kills; i++ {
		c := startChild(t, dir, logFile, cp)
		d := time.Duration(50+rng.Intn(400)) * time.Millisecond
		time.Sleep(d) // let it run a random while before the crash
		c.kill()
		t.Logf("kill %d after %v", i+1, d)
	}
	final := startChild(t, dir, logFile, cp)
	got := waitComplete(t, final, lines)
	final.cmd.Process.Signal(syscall.SIGTERM)
	final.cmd.Wait()
	if st, err := os.Stat(cp); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("checkpoint file: %v, mode %v (want 0600)", err, st.Mode().Perm())
	}
	if got != want {
		t.Errorf("exposition after %d crashes differs from an uninterrupted run:\n%s", kills, lineDiff(want, got))
	}
}

func lineDiff(a, b string) string {
	am := map[string]bool{}
	for _, l := range strings.Split(a, "\n") {
		am[l] = true
	}
	bm := map[string]bool{}
	var out []string
	for _, l := range strings.Split(b, "\n") {
		bm[l] = true
		if !am[l] {
			out = append(out, "+ "+l)
		}
	}
	for _, l := range strings.Split(a, "\n") {
		if !bm[l] {
			out = append(out, "- "+l)
		}
	}
	if len(out) > 40 {
		out = append(out[:40], "...")
	}
	return strings.Join(out, "\n")
}
