package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/waba-exporter/waba_exporter/internal/sim"
	"github.com/waba-exporter/waba_exporter/tail"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
)

// sliceSource hands out fixed batches of lines, then io.EOF. Between batches it reports
// "nothing pending" when idle is set. It overwrites the previous batch's bytes when asked
// for the next one, as a real source reusing its buffers does.
type sliceSource struct {
	batches [][]Line
	idle    bool
	i       int
	said    bool
	prev    []Line
}

func (s *sliceSource) Next(ctx context.Context) ([]Line, error) {
	for _, l := range s.prev {
		for k := range l.Data {
			l.Data[k] = 'X' // the memory is reused: Run must be done with it
		}
	}
	s.prev = nil
	if s.idle && !s.said {
		s.said = true
		return nil, nil
	}
	if s.i == len(s.batches) {
		return nil, io.EOF
	}
	s.said = false
	b := s.batches[s.i]
	s.i++
	s.prev = b
	return b, nil
}

func simLines(t *testing.T, n int) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if err := sim.New(sim.Options{Seed: 3}).WriteN(w, n); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	return bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
}

// batchesOf cuts copies of lines into batches of size k, with per-line offsets.
func batchesOf(lines [][]byte, k int) [][]Line {
	var out [][]Line
	var off int64
	for i := 0; i < len(lines); i += k {
		var b []Line
		for _, l := range lines[i:min(i+k, len(lines))] {
			off += int64(len(l)) + 1
			b = append(b, Line{Source: "in", Data: append([]byte(nil), l...), Offset: off})
		}
		out = append(out, b)
	}
	return out
}

func snapshot(t *testing.T, p *Pipeline) (wm int64, counts SourceCounts) {
	p.Read(func(v View) { wm, counts = v.Machine.Watermark(), *v.Counts["in"] })
	return wm, counts
}

// Run, through its decode-ahead goroutine, applies exactly what ApplyLines applies on
// one goroutine, whatever the batch size and with the source reusing its memory; the
// hooks see every batch, Idle is called for "nothing pending".
func TestRunMatchesApplyLines(t *testing.T) {
	lines := simLines(t, 3000)
	want := New(window.New(window.DefaultConfig()), webhook.Options{}, nil, nil)
	for _, b := range batchesOf(lines, 100) {
		want.ApplyLines(b, 0)
	}
	wantWM, wantCounts := snapshot(t, want)
	if wantCounts.Lines != 3000 || wantWM == 0 {
		t.Fatalf("reference: %d lines, watermark %d", wantCounts.Lines, wantWM)
	}
	for _, tc := range []struct {
		name       string
		k          int
		lineByLine bool
		idle       bool
	}{{"batches of 100", 100, false, false}, {"batches of 7, idle", 7, false, true}, {"line by line", 64, true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			p := New(window.New(window.DefaultConfig()), webhook.Options{}, nil, nil)
			var before, applied, idles int
			var bytesApplied int64
			src := &sliceSource{batches: batchesOf(lines, tc.k), idle: tc.idle}
			err := p.Run(context.Background(), src, Hooks{
				LineByLine: tc.lineByLine,
				Before: func(d *Decoded) error {
					before++
					if tc.lineByLine && len(d.lines) != 1 {
						t.Fatalf("line by line: batch of %d lines", len(d.lines))
					}
					return nil
				},
				Applied: func(d *Decoded) { applied++; bytesApplied += d.Bytes() },
				Idle:    func() { idles++ },
			})
			if err != nil {
				t.Fatal(err)
			}
			wm, counts := snapshot(t, p)
			if wm != wantWM || counts != wantCounts {
				t.Fatalf("watermark %d counts %+v, want %d %+v", wm, counts, wantWM, wantCounts)
			}
			if before != applied || (tc.lineByLine && applied != 3000) || (!tc.lineByLine && applied != len(src.batches)) {
				t.Fatalf("before %d applied %d", before, applied)
			}
			if int64(counts.Bytes) != bytesApplied {
				t.Fatalf("Applied saw %d bytes, counters %d", bytesApplied, counts.Bytes)
			}
			if tc.idle && idles != len(src.batches)+1 || !tc.idle && idles != 0 {
				t.Fatalf("%d idle calls for %d batches (idle %v)", idles, len(src.batches), tc.idle)
			}
		})
	}
}

// An error of Before stops Run: it is returned and nothing from its batch on is applied.
func TestRunStopsAtBeforeError(t *testing.T) {
	lines := simLines(t, 500)
	p := New(window.New(window.DefaultConfig()), webhook.Options{}, nil, nil)
	stop := errors.New("stop here")
	n := 0
	err := p.Run(context.Background(), &sliceSource{batches: batchesOf(lines, 10)}, Hooks{
		LineByLine: true,
		Before: func(d *Decoded) error {
			if n == 123 {
				return stop
			}
			n++
			return nil
		},
	})
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the hook's", err)
	}
	if _, c := snapshot(t, p); c.Lines != 123 {
		t.Fatalf("%d lines applied, want 123", c.Lines)
	}
}

// Progress is recorded in-band: after Run over a tailer's file, the Progress holds the
// file's end (every line applied), and the tailer's batches were taken as they are.
func TestRunRecordsProgress(t *testing.T) {
	lines := simLines(t, 400)
	data := append(bytes.Join(lines, []byte("\n")), '\n')
	p, path := runFile(t, data, tail.Options{BatchBytes: 4096})
	var n uint64
	p.Read(func(v View) { n = v.Counts[path].Lines })
	if n != 400 {
		t.Fatalf("%d lines applied, want 400", n)
	}
}

// runFile runs a Pipeline over a file holding data, read by a tailer with opts (its
// Sources and Start set here), and checks that the Progress reached the file's end.
func runFile(t *testing.T, data []byte, opts tail.Options) (p *Pipeline, path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "in.ndjson")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	opts.Sources, opts.Start = []string{path}, tail.StartBeginning
	tl, err := tail.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	c := make(chan *tail.Batch, 4)
	go func() { _ = tl.Run(context.Background(), c); close(c) }()
	prog := tail.NewProgress(tl)
	p = New(window.New(window.DefaultConfig()), webhook.Options{}, nil, nil)
	if err := p.Run(context.Background(), &TailSource{C: c}, Hooks{Progress: prog}); err != nil {
		t.Fatal(err)
	}
	if pos := prog.Positions(); len(pos) != 1 || pos[0].Offset != int64(len(data)) {
		t.Fatalf("positions %+v, want one at %d", pos, len(data))
	}
	return p, path
}

// A line the tailer skipped for its length is counted as a line_too_long parse error of
// its logfile, not as a line or bytes read, and its progress is recorded like any line's:
// with the long line last, the Progress reaches the end of the file.
func TestRunCountsTooLongLines(t *testing.T) {
	lines := simLines(t, 200)
	maxLine := 0
	for _, l := range lines {
		maxLine = max(maxLine, len(l))
	}
	long := bytes.Repeat([]byte("x"), maxLine+1)
	data := append(bytes.Join(append(lines, long), []byte("\n")), '\n')
	p, path := runFile(t, data, tail.Options{MaxLineBytes: maxLine})
	var got SourceCounts
	p.Read(func(v View) { got = *v.Counts[path] })
	if got.Lines != 200 || got.Bytes != uint64(len(data)-len(long)-1) || got.ParseErrors[webhook.ReasonLineTooLong] != 1 {
		t.Fatalf("lines %d bytes %d too long %d, want 200, %d, 1", got.Lines, got.Bytes, got.ParseErrors[webhook.ReasonLineTooLong], len(data)-len(long)-1)
	}
}

// A cancelled context ends Run with its error, also while the source blocks.
func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := make(chan *tail.Batch)
	done := make(chan error, 1)
	p := New(window.New(window.DefaultConfig()), webhook.Options{}, nil, nil)
	go func() { done <- p.Run(ctx, &TailSource{C: c}, Hooks{}) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// A quiet TailSource reports "nothing pending" again every Every, so Idle keeps running
// (live mode lets the wall clock in there); a batch in between is applied before the
// next Idle.
func TestTailSourceRepeatsIdle(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := make(chan *tail.Batch)
	p := New(window.New(window.DefaultConfig()), webhook.Options{}, nil, nil)
	idles := make(chan struct{}, 16)
	done := make(chan error, 1)
	go func() {
		done <- p.Run(ctx, &TailSource{C: c, IdleWait: IdleWait{Every: time.Millisecond}}, Hooks{Idle: func() {
			select {
			case idles <- struct{}{}:
			default:
			}
		}})
	}()
	for range 3 {
		<-idles
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

// While Ready is false, a quiet TailSource reports "nothing pending" every readyPoll
// whatever Every is (here an hour: a test that waited for it would time out); once Ready
// is true, it waits Every again.
func TestTailSourcePollsUntilReady(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := make(chan *tail.Batch)
	p := New(window.New(window.DefaultConfig()), webhook.Options{}, nil, nil)
	var ready atomic.Bool
	idles := make(chan struct{}, 64)
	done := make(chan error, 1)
	go func() {
		done <- p.Run(ctx, &TailSource{C: c, IdleWait: IdleWait{Every: time.Hour, Ready: ready.Load}}, Hooks{Idle: func() {
			select {
			case idles <- struct{}{}:
			default: // the test is behind: a report it would not count anyway
			}
		}})
	}()
	for range 3 {
		select {
		case <-idles:
		case <-time.After(5 * time.Second):
			t.Fatal("no repeated idle report while not Ready")
		}
	}
	ready.Store(true)
	// Reports from waits begun before the store may still come for a while (the
	// decoding goroutine runs a pool of batches ahead of the hook): let them pass, then
	// count what comes in a quiet window, where polling every readyPoll would give 30.
	count := func(d time.Duration) int {
		n := 0
		for deadline := time.After(d); ; {
			select {
			case <-idles:
				n++
				continue
			case <-deadline:
			}
			return n
		}
	}
	count(100 * readyPoll)
	if late := count(30 * readyPoll); late > 1 {
		t.Fatalf("%d idle reports in %v once Ready: still polling every readyPoll", late, 30*readyPoll)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

// recorderFunc is a Recorder calling a function.
type recorderFunc func(f *tail.File, offset int64, n int)

func (r recorderFunc) RecordLines(f *tail.File, offset int64, n int) { r(f, offset, n) }

// apply records each run of lines of one file with one call, in order, with the run's
// last offset, under the lock; lines of no file are not recorded.
func TestApplyRecordsRunsOfOneFile(t *testing.T) {
	a, b := &tail.File{}, &tail.File{}
	files := []*tail.File{a, a, b, b, nil, b, a}
	data := simLines(t, len(files))
	lines := make([]Line, len(files))
	for i, f := range files {
		lines[i] = Line{Source: "in", File: f, Offset: int64(100 * (i + 1)), Data: data[i]}
	}
	type call struct {
		f      *tail.File
		offset int64
		n      int
	}
	p := New(window.New(window.DefaultConfig()), webhook.Options{}, nil, nil)
	var got []call
	rec := recorderFunc(func(f *tail.File, offset int64, n int) {
		if p.mu.TryRLock() {
			p.mu.RUnlock()
			t.Error("RecordLines called without the write lock held")
		}
		if n > 0 {
			got = append(got, call{f, offset, n})
		}
	})
	var d Decoded
	p.NewDecoder().Decode(&d, lines, 0)
	p.apply(&d, rec)
	want := []call{{a, 200, 2}, {b, 600, 3}, {a, 700, 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("recorded %+v, want %+v", got, want)
	}
}

// Over a TailSource, each decoded batch borrows its tailer batch until applied: its
// events point into the batch's lines (bytes the decoder made are in the arena), the
// batch and the events' bytes are intact when Applied runs, and the result is what
// ApplyLines gives. Line by line, nothing is borrowed.
func TestRunLendsTailerBatches(t *testing.T) {
	lines := simLines(t, 2000)
	want := New(window.New(window.DefaultConfig()), webhook.Options{}, nil, nil)
	for _, b := range batchesOf(lines, 100) {
		want.ApplyLines(b, 0)
	}
	wantWM, _ := snapshot(t, want)
	data := append(bytes.Join(lines, []byte("\n")), '\n')
	path := filepath.Join(t.TempDir(), "in.ndjson")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	within := func(f, in []byte) bool {
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(in)))
		p := uintptr(unsafe.Pointer(unsafe.SliceData(f)))
		return p >= lo && p+uintptr(len(f)) <= lo+uintptr(len(in))
	}
	for _, lineByLine := range []bool{false, true} {
		tl, err := tail.New(tail.Options{Sources: []string{path}, Start: tail.StartBeginning, BatchBytes: 8192, HeldBatches: HeldBatches})
		if err != nil {
			t.Fatal(err)
		}
		c := make(chan *tail.Batch, 4)
		go func() { _ = tl.Run(context.Background(), c); close(c) }()
		p := New(window.New(window.DefaultConfig()), webhook.Options{}, nil, nil)
		var inLine, batches int
		var seen []string
		err = p.Run(context.Background(), &TailSource{C: c}, Hooks{
			LineByLine: lineByLine,
			Before: func(d *Decoded) error {
				if lineByLine {
					if d.lent != nil {
						t.Fatal("line by line, a batch was borrowed")
					}
					seen = fieldBytes(d)
					return nil
				}
				if d.lent == nil || len(d.lent.Lines) != len(d.lines) {
					t.Fatalf("decoded batch of %d lines, borrowed %v", len(d.lines), d.lent)
				}
				for i := range d.lines {
					dl := &d.lines[i]
					for j := dl.ev0; j < dl.ev1; j++ {
						for _, f := range d.events[j].ByteFields() {
							if len(*f) > 0 && within(*f, d.lent.Lines[i].Data) {
								inLine++
							}
						}
					}
				}
				seen = fieldBytes(d)
				return nil
			},
			Applied: func(d *Decoded) {
				batches++
				if !lineByLine && (d.lent == nil || len(d.lent.Lines) != len(d.lines)) {
					t.Fatal("the borrowed batch was released before Applied")
				}
				// The bytes stayed put while later batches were read and decoded.
				if got := fieldBytes(d); !slices.Equal(got, seen) {
					for k := range min(len(got), len(seen)) {
						if got[k] != seen[k] {
							t.Logf("field %d: %q became %q", k, seen[k], got[k])
							break
						}
					}
					t.Fatalf("line by line %v: the events' bytes changed between Before and Applied (%d fields, then %d: %q / %q)", lineByLine, len(seen), len(got), seen, got)
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		var wm int64
		var n uint64
		p.Read(func(v View) { wm, n = v.Machine.Watermark(), v.Counts[path].Lines })
		if wm != wantWM || n != 2000 {
			t.Fatalf("line by line %v: watermark %d, %d lines; want %d, 2000", lineByLine, wm, n, wantWM)
		}
		if !lineByLine && (inLine == 0 || batches < 10) {
			t.Fatalf("%d fields pointed into their lines, over %d batches", inLine, batches)
		}
	}
}

// fieldBytes is every non-empty byte field of d's events, in order.
func fieldBytes(d *Decoded) []string {
	var out []string
	for i := range d.events {
		for _, f := range d.events[i].ByteFields() {
			if len(*f) > 0 {
				out = append(out, string(*f))
			}
		}
	}
	return out
}
