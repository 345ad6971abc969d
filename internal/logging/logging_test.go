package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/testutil"
)

func TestNew(t *testing.T) {
	cases := []struct {
		level, format string
		wantDebug     bool
		wantWarn      bool
		check         func(t *testing.T, out string)
	}{
		{"debug", "logfmt", true, true, func(t *testing.T, out string) {
			if !strings.Contains(out, `level=DEBUG msg="d msg" k=v`) || !strings.Contains(out, `level=WARN msg="w msg" k=v`) {
				t.Errorf("logfmt output: %s", out)
			}
		}},
		{"INFO", "logfmt", false, true, nil},
		{"warn", "json", false, true, func(t *testing.T, out string) {
			var rec map[string]any
			if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &rec); err != nil {
				t.Fatalf("json output %q: %v", out, err)
			}
			if rec["level"] != "WARN" || rec["msg"] != "w msg" || rec["k"] != "v" {
				t.Errorf("json record = %v", rec)
			}
		}},
		{"error", "json", false, false, nil},
	}
	for _, tc := range cases {
		var buf bytes.Buffer
		l, err := New(&buf, tc.level, tc.format)
		if err != nil {
			t.Fatalf("New(%s, %s): %v", tc.level, tc.format, err)
		}
		l.Debug("d msg", "k", "v")
		l.Warn("w msg", "k", "v")
		out := buf.String()
		if got := strings.Contains(out, "d msg"); got != tc.wantDebug {
			t.Errorf("%s/%s: debug logged = %v, want %v", tc.level, tc.format, got, tc.wantDebug)
		}
		if got := strings.Contains(out, "w msg"); got != tc.wantWarn {
			t.Errorf("%s/%s: warn logged = %v, want %v", tc.level, tc.format, got, tc.wantWarn)
		}
		if tc.check != nil {
			tc.check(t, out)
		}
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct{ level, format, want string }{
		{"verbose", "logfmt", `unknown log level "verbose" (want one of debug, info, warn, error)`},
		{"info", "text", `unknown log format "text" (want one of logfmt, json)`},
		{"", "json", `unknown log level "" (want one of debug, info, warn, error)`},
	}
	for _, tc := range cases {
		if _, err := New(&bytes.Buffer{}, tc.level, tc.format); err == nil || err.Error() != tc.want {
			t.Errorf("New(%q, %q) error = %v, want %s", tc.level, tc.format, err, tc.want)
		}
	}
}

// capture is a slog.Handler that keeps records as "LEVEL msg k=v ..." lines, including
// bound attributes and groups.
type capture struct {
	mu    *sync.Mutex
	lines *[]string
	attrs string
	group string
}

func newCapture() *capture { return &capture{mu: &sync.Mutex{}, lines: &[]string{}} }

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }

func (c *capture) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s%s", r.Level, r.Message, c.attrs)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s%s=%v", c.group, a.Key, a.Value)
		return true
	})
	c.mu.Lock()
	*c.lines = append(*c.lines, b.String())
	c.mu.Unlock()
	return nil
}

func (c *capture) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := *c
	for _, a := range attrs {
		n.attrs += fmt.Sprintf(" %s%s=%v", c.group, a.Key, a.Value)
	}
	return &n
}

func (c *capture) WithGroup(name string) slog.Handler {
	n := *c
	n.group += name + "."
	return &n
}

func (c *capture) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := *c.lines
	*c.lines = nil
	return out
}

func setup(opts RateLimitOptions) (*slog.Logger, *RateLimitHandler, *capture, *testutil.Clock) {
	c := testutil.NewClock(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
	opts.Now = c.Now
	out := newCapture()
	h := NewRateLimitHandler(out, opts)
	return slog.New(h), h, out, c
}

func equal(t *testing.T, step string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got: %q\nwant: %q", step, got, want)
	}
}

func TestRateLimitBurstAndSummary(t *testing.T) {
	log, h, out, clk := setup(RateLimitOptions{Burst: 5, Interval: 10 * time.Second})
	ctx := context.Background()
	for i := 0; i < 12; i++ {
		log.Warn("invalid line", "reason", "invalid_json", "n", i)
	}
	equal(t, "burst", out.take(), []string{
		"WARN invalid line reason=invalid_json n=0",
		"WARN invalid line reason=invalid_json n=1",
		"WARN invalid line reason=invalid_json n=2",
		"WARN invalid line reason=invalid_json n=3",
		"WARN invalid line reason=invalid_json n=4",
	})
	// Before the interval ends, Flush writes nothing.
	clk.Advance(9 * time.Second)
	h.Flush(ctx)
	equal(t, "flush before the end", out.take(), nil)
	// When it ends, one summary with the count.
	clk.Advance(time.Second)
	h.Flush(ctx)
	equal(t, "summary", out.take(), []string{"WARN invalid line reason=invalid_json suppressed=7"})
	// The key was forgotten: a new record passes, and nothing is left to summarize.
	log.Warn("invalid line", "reason", "invalid_json", "n", 12)
	clk.Advance(time.Minute)
	h.Flush(ctx)
	equal(t, "after", out.take(), []string{"WARN invalid line reason=invalid_json n=12"})
}

func TestRateLimitSummaryOnNextRecord(t *testing.T) {
	log, _, out, clk := setup(RateLimitOptions{Burst: 1, Interval: time.Minute})
	log.Error("write failed", "n", 1)
	log.Error("write failed", "n", 2)
	log.Error("write failed", "n", 3)
	clk.Advance(time.Minute)
	log.Error("write failed", "n", 4)
	equal(t, "next record", out.take(), []string{
		"ERROR write failed n=1",
		"ERROR write failed suppressed=2",
		"ERROR write failed n=4",
	})
}

func TestRateLimitKeys(t *testing.T) {
	log, h, out, clk := setup(RateLimitOptions{Burst: 1, Interval: time.Second})
	// Keys differ by message, reason (record or bound) and level; other attributes do
	// not split a key.
	log.Warn("parse error", "reason", "invalid_json", "logfile", "a")
	log.Warn("parse error", "reason", "invalid_json", "logfile", "b")
	log.Warn("parse error", "reason", "bad_timestamp")
	log.With("reason", "bad_timestamp").Warn("parse error")
	log.Warn("parse error")
	log.Error("parse error")
	log.Warn("other error")
	log.Warn("other error")
	clk.Advance(time.Second)
	h.Flush(context.Background())
	got := out.take()
	want := []string{
		"WARN parse error reason=invalid_json logfile=a",
		"WARN parse error reason=bad_timestamp",
		"WARN parse error",
		"ERROR parse error",
		"WARN other error",
		// summaries (map order): checked as a set below
	}
	equal(t, "passed", got[:len(want)], want)
	sums := map[string]bool{}
	for _, s := range got[len(want):] {
		sums[s] = true
	}
	wantSums := map[string]bool{
		"WARN parse error reason=invalid_json suppressed=1":                       true,
		"WARN parse error reason=bad_timestamp suppressed=1":                      true,
		"WARN other error suppressed=1":                                           true,
		"WARN parse error reason=bad_timestamp reason=bad_timestamp suppressed=1": false,
	}
	for s, present := range wantSums {
		if sums[s] != present {
			t.Errorf("summary %q present = %v, want %v (all: %q)", s, sums[s], present, got[len(want):])
		}
	}
	if len(sums) != 3 {
		t.Errorf("summaries = %q, want 3", got[len(want):])
	}
}

func TestRateLimitBoundAttrsAndGroups(t *testing.T) {
	log, h, out, clk := setup(RateLimitOptions{Burst: 1, Interval: time.Second})
	l := log.With("logfile", "/var/log/a").WithGroup("g")
	l.Info("tail stalled", "x", 1)
	l.Info("tail stalled", "x", 2)
	clk.Advance(time.Second)
	h.Flush(context.Background())
	equal(t, "derived", out.take(), []string{
		"INFO tail stalled logfile=/var/log/a g.x=1",
		"INFO tail stalled logfile=/var/log/a g.suppressed=1",
	})
}

func TestRateLimitMaxKeys(t *testing.T) {
	log, h, out, clk := setup(RateLimitOptions{Burst: 2, Interval: time.Second, MaxKeys: 3})
	for i := 0; i < 10; i++ {
		log.Warn(fmt.Sprintf("message %d", i))
	}
	equal(t, "passed", out.take(), []string{
		"WARN message 0", "WARN message 1", "WARN message 2", // own keys
		"WARN message 3", "WARN message 4", // overflow key, burst 2
	})
	if n := len(h.st.keys); n != 4 {
		t.Errorf("keys = %d, want 3 + overflow", n)
	}
	clk.Advance(time.Second)
	h.Flush(context.Background())
	equal(t, "summary", out.take(), []string{"WARN " + OverflowMessage + " suppressed=5"})
	if n := len(h.st.keys); n != 0 {
		t.Errorf("keys after sweep = %d, want 0", n)
	}
}

// TestRateLimitSweepOnHandle checks that expired keys are swept by later records of
// other keys, so the table does not fill with dead keys when Flush is never called.
func TestRateLimitSweepOnHandle(t *testing.T) {
	log, h, out, clk := setup(RateLimitOptions{Burst: 1, Interval: time.Second, MaxKeys: 2})
	log.Warn("a")
	log.Warn("a")
	log.Warn("b")
	clk.Advance(time.Second)
	log.Warn("c") // sweeps a (summary) and b, then takes its own key
	log.Warn("d")
	equal(t, "swept", out.take(), []string{"WARN a", "WARN b", "WARN a suppressed=1", "WARN c", "WARN d"})
	if n := len(h.st.keys); n != 2 {
		t.Errorf("keys = %d, want 2", n)
	}
}

func TestRateLimitConcurrent(t *testing.T) {
	log, h, out, clk := setup(RateLimitOptions{Burst: 3, Interval: time.Minute})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				log.Warn("flood", "reason", fmt.Sprintf("r%d", g%2))
			}
		}(g)
	}
	wg.Wait()
	if got := len(out.take()); got != 6 {
		t.Errorf("passed %d records, want 2 keys x 3", got)
	}
	clk.Advance(time.Minute)
	h.Flush(context.Background())
	sums := out.take()
	if len(sums) != 2 {
		t.Fatalf("summaries = %q", sums)
	}
	for _, s := range sums {
		if !strings.HasSuffix(s, "suppressed=397") {
			t.Errorf("summary %q, want suppressed=397", s)
		}
	}
}

func TestRateLimitRun(t *testing.T) {
	c := testutil.NewClock(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
	got := make(chan string, 4)
	out := newCapture()
	notify := &notifying{capture: out, ch: got}
	h := NewRateLimitHandler(notify, RateLimitOptions{Burst: 1, Interval: time.Second, Now: c.Now})
	log := slog.New(h)
	log.Warn("x")
	<-got
	log.Warn("x")
	c.Advance(time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx, time.Millisecond); close(done) }()
	select {
	case s := <-got:
		if s != "WARN x suppressed=1" {
			t.Errorf("summary = %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Error("Run wrote no summary within 10s")
	}
	cancel()
	<-done
}

type notifying struct {
	*capture
	ch chan string
}

func (n *notifying) Handle(ctx context.Context, r slog.Record) error {
	n.capture.Handle(ctx, r)
	lines := n.capture.take()
	n.ch <- lines[len(lines)-1]
	return nil
}

func TestRateLimitEnabledDelegates(t *testing.T) {
	var buf bytes.Buffer
	base, _ := NewHandler(&buf, "warn", "logfmt")
	h := NewRateLimitHandler(base, RateLimitOptions{})
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelWarn) {
		t.Error("Enabled does not follow the wrapped handler")
	}
	slog.New(h).Info("hidden")
	if buf.Len() != 0 {
		t.Errorf("info logged at warn level: %s", buf.String())
	}
}

func TestNewRateLimited(t *testing.T) {
	c := testutil.NewClock(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
	var buf bytes.Buffer
	log, h, err := NewRateLimited(&buf, "info", "json", RateLimitOptions{Burst: 1, Interval: time.Second, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	log.Warn("invalid line", "reason", "invalid_json")
	log.Warn("invalid line", "reason", "invalid_json")
	log.Warn("invalid line", "reason", "invalid_json")
	c.Advance(time.Second)
	h.Flush(context.Background())
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines = %q", lines)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["msg"] != "invalid line" || rec["reason"] != "invalid_json" || rec["suppressed"] != float64(2) || rec["level"] != "WARN" {
		t.Errorf("summary = %v", rec)
	}
	if _, _, err := NewRateLimited(&buf, "loud", "json", RateLimitOptions{}); err == nil {
		t.Error("bad level accepted")
	}
}

// TestRateLimitRefill checks the token bucket under a sustained flood: a key passes its
// burst at once, then one record per Interval/Burst, and each interval's summary counts
// exactly the records dropped in it.
func TestRateLimitRefill(t *testing.T) {
	log, h, out, clk := setup(RateLimitOptions{Burst: 2, Interval: 10 * time.Second})
	// One record per second for 20 s: [0,10) is the first interval, [10,20) the second.
	var got []string
	for i := 0; i < 20; i++ {
		log.Warn("flood", "n", i)
		got = append(got, out.take()...)
		clk.Advance(time.Second)
	}
	clk.Advance(10 * time.Second)
	h.Flush(context.Background())
	got = append(got, out.take()...)
	equal(t, "flood", got, []string{
		"WARN flood n=0", "WARN flood n=1", // the burst
		"WARN flood n=5", // one token per 5 s; 2-4 and 6-9 dropped
		"WARN flood suppressed=7",
		// At t=10 the sweep forgets the key (its interval is over): a full bucket again.
		"WARN flood n=10", "WARN flood n=11", "WARN flood n=15", // 12-14 and 16-19 dropped
		"WARN flood suppressed=7",
	})
}
