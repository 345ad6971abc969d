package tail

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/testutil"
)

// newFakeClock returns a wall clock the test moves by hand.
func newFakeClock() *testutil.Clock { return testutil.NewClock(time.Unix(1_700_000_000, 0)) }

// got is one delivered line, copied out of its batch.
type got struct {
	Source string
	Path   string
	File   *File
	Offset int64
	Data   string
}

// realDefaultWaker in Options.Waker asks startHarness to leave the waker nil.
type realDefaultWaker struct{ Waker }

// harness runs a Tailer in a goroutine and collects what it delivers.
type harness struct {
	t       *testing.T
	tl      *Tailer
	w       *StdWaker
	clock   *testutil.Clock
	out     chan *Batch
	cancel  context.CancelFunc
	done    chan error
	lines   []got           // delivered lines, without those marked TooLong
	tooLong []int64         // offsets of the lines marked TooLong
	seen    map[*Batch]bool // distinct batches ever received
	prog    *Progress       // every delivered line is marked processed
	stopped bool
}

// stop cancels Run and waits for it to return, releasing whatever it still sends.
func (h *harness) stop() {
	if h.stopped {
		return
	}
	h.stopped = true
	h.cancel()
	for {
		select {
		case err := <-h.done:
			if err != nil {
				h.t.Errorf("Run: %v", err)
			}
			if h.w != nil {
				h.w.Close()
			}
			return
		case b := <-h.out:
			b.Release()
		}
	}
}

const testDeadline = 10 * time.Second

// startHarness starts Run with a test waker (unless opts.Waker is set), a fake clock and an
// output channel of capacity outCap. hook, if non-nil, may adjust the Tailer before Run.
func startHarness(t *testing.T, opts Options, outCap int, hook func(*Tailer)) *harness {
	t.Helper()
	h := &harness{t: t, clock: newFakeClock(), out: make(chan *Batch, outCap), done: make(chan error, 1), seen: map[*Batch]bool{}, prog: NewProgress()}
	if _, ok := opts.Waker.(realDefaultWaker); ok {
		opts.Waker = nil // Run builds its own fsnotify+ticker waker; no stepping
	} else if opts.Waker == nil && opts.Follow {
		h.w = NewTestWaker()
		opts.Waker = h.w
	} else if w, ok := opts.Waker.(*StdWaker); ok {
		h.w = w
	}
	if opts.Now == nil {
		opts.Now = h.clock.Now
	}
	if os.Getenv("TAIL_TEST_DEBUG") != "" && opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	tl, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if hook != nil {
		hook(tl)
	}
	h.tl = tl
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- tl.Run(ctx, h.out) }()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) take(b *Batch) {
	h.seen[b] = true
	for i, l := range b.Lines {
		h.prog.Done(&b.Lines[i])
		if l.TooLong {
			if len(l.Data) != 0 {
				h.t.Errorf("a line marked TooLong has %d bytes of data", len(l.Data))
			}
			h.tooLong = append(h.tooLong, l.Offset)
			continue
		}
		g := got{Source: l.Source, File: l.File, Offset: l.Offset, Data: string(l.Data)}
		if l.File != nil {
			g.Path = l.File.Path()
		}
		h.lines = append(h.lines, g)
	}
	b.Release()
}

// drain takes every batch already in the channel, without waiting.
func (h *harness) drain() {
	for {
		select {
		case b := <-h.out:
			h.take(b)
		default:
			return
		}
	}
}

// step runs one pass to completion and collects its output.
func (h *harness) step() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- h.w.Step(ctx) }()
	for {
		select {
		case b := <-h.out: // consume while the pass runs: the channel may be small
			h.take(b)
		case err := <-errc:
			if err != nil {
				h.t.Fatalf("step: %v", err)
			}
			h.drain()
			return
		}
	}
}

// waitLines blocks until at least n lines have been delivered (for wake-ups that come from
// the kernel's inotify, an external event source), failing after a deadline.
func (h *harness) waitLines(n int) {
	h.t.Helper()
	timer := time.NewTimer(testDeadline)
	defer timer.Stop()
	for len(h.lines) < n {
		select {
		case b := <-h.out:
			h.take(b)
		case <-timer.C:
			h.t.Fatalf("timed out waiting for %d lines; have %d: %v", n, len(h.lines), h.data())
		}
	}
}

// wait blocks until Run returns (replay mode), collecting everything.
func (h *harness) wait() {
	h.t.Helper()
	timer := time.NewTimer(testDeadline)
	defer timer.Stop()
	for {
		select {
		case b := <-h.out:
			h.take(b)
		case err := <-h.done:
			if err != nil {
				h.t.Fatalf("Run: %v", err)
			}
			h.stopped = true
			h.drain()
			return
		case <-timer.C:
			h.t.Fatal("Run did not return")
		}
	}
}

func (h *harness) data() []string {
	s := make([]string, len(h.lines))
	for i, l := range h.lines {
		s[i] = l.Data
	}
	return s
}

func (h *harness) stats(i int) SourceStats { return h.tl.Stats()[i] }

func equalLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s: delivered lines differ\n got (%d): %q\nwant (%d): %q", what, len(got), got, len(want), want)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// numbered returns lines "<prefix>-0001 ...", first..first+n-1, each the same length.
func numbered(prefix string, first, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%04d %s", prefix, first+i, strings.Repeat("x", 24))
	}
	return out
}

func joinLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// testLogger logs to stderr at debug level when TAIL_TEST_DEBUG is set.
func testLogger() *slog.Logger {
	if os.Getenv("TAIL_TEST_DEBUG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
