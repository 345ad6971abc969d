package tail

import (
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
)

// fiveLinesRead starts a following tailer on a file of five lines and runs one pass,
// without the harness taking the batches: the lines are in the channel. (Whether Run's
// first pass has read them before this Step is up to the scheduler: either way they are
// in the channel once Step returns.)
func fiveLinesRead(t *testing.T) *harness {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.log")
	writeFile(t, path, joinLines(numbered("l", 1, 5)))
	h := startHarness(t, Options{Sources: []string{path}, Follow: true}, 64, nil)
	if err := h.w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	return h
}

// Applied is false while any line put in a batch is not yet recorded through a Progress
// (in the channel, or taken but not applied), and true once all are: the live engine
// lets the wall clock in only then.
func TestAppliedCoversLinesInFlight(t *testing.T) {
	h := fiveLinesRead(t)
	if h.tl.Applied() {
		t.Fatal("Applied with 5 lines in the channel")
	}
	b := <-h.out
	prog := NewProgress(h.tl)
	for i := range b.Lines[:len(b.Lines)-1] {
		prog.Done(&b.Lines[i])
	}
	if h.tl.Applied() {
		t.Fatal("Applied with the last line of the batch taken but not recorded")
	}
	prog.Done(&b.Lines[len(b.Lines)-1])
	if !h.tl.Applied() {
		t.Fatal("not Applied once every line handed out was recorded")
	}
	b.Release()
}

// RecordLines of a run of lines is Record of each: Applied turns true only with the last
// line counted, and the position is the run's last offset.
func TestRecordLinesCountsTheRun(t *testing.T) {
	h := fiveLinesRead(t)
	b := <-h.out
	if len(b.Lines) != 5 {
		t.Fatalf("batch of %d lines, want 5", len(b.Lines))
	}
	prog := NewProgress(h.tl)
	first, last := &b.Lines[0], &b.Lines[3]
	prog.Done(first)
	prog.RecordLines(last.File, last.Offset, 3)
	prog.RecordLines(last.File, last.Offset, 0) // nothing: counts no line
	if h.tl.Applied() {
		t.Fatal("Applied with one line of the batch not recorded")
	}
	if pos := prog.Positions(); len(pos) != 1 || pos[0].Offset != last.Offset {
		t.Fatalf("positions %+v, want one at %d", pos, last.Offset)
	}
	end := &b.Lines[4]
	prog.RecordLines(end.File, end.Offset, 1)
	if !h.tl.Applied() {
		t.Fatal("not Applied once every line was recorded")
	}
	b.Release()
}

// A consumer that holds up to HeldBatches batches beyond the one it took last (as one
// decoding ahead does) gets them all reused, even when it gives them back all at once
// while the tailer waits on a full channel: the tailer makes no more batches than the
// channel, the consumer and its own filling need, however long the input. (With
// HeldBatches 0, the free list would drop the surplus of every such burst.)
func TestHeldBatchesAreReused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		option  int
		bounded bool
	}{{"HeldBatches set", 4, true}, {"HeldBatches 0", 0, false}} {
		t.Run(tc.name, func(t *testing.T) {
			const held, outCap = 4, 1
			path := filepath.Join(t.TempDir(), "app.log")
			writeFile(t, path, joinLines(numbered("line", 1, 3000)))
			tl, err := New(Options{Sources: []string{path}, BatchBytes: 256, HeldBatches: tc.option})
			if err != nil {
				t.Fatal(err)
			}
			out := make(chan *Batch, outCap)
			var finished atomic.Bool
			done := make(chan error, 1)
			go func() { done <- tl.Run(t.Context(), out); finished.Store(true); close(out) }()
			seen := map[*Batch]bool{}
			var queue []*Batch
			lines, batches := 0, 0
			for b := range out {
				seen[b] = true
				lines += len(b.Lines)
				batches++
				queue = append(queue, b)
				if len(queue) <= held {
					continue
				}
				// The tailer is blocked on the full channel, holding a filled batch: give
				// every held batch back at once.
				for len(out) < outCap && !finished.Load() {
					runtime.Gosched()
				}
				for _, q := range queue {
					q.Release()
				}
				queue = queue[:0]
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if lines != 3000 || batches < 100 {
				t.Fatalf("%d lines in %d batches", lines, batches)
			}
			if bound := outCap + held + 3; (len(seen) <= bound) != tc.bounded {
				t.Fatalf("%d distinct batches for %d sent, holding %d (bound %d)", len(seen), batches, held, bound)
			}
		})
	}
}
