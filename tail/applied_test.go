package tail

import (
	"path/filepath"
	"testing"
)

// Applied is false while any line put in a batch is not yet recorded through a Progress
// (in the channel, or taken but not applied), and true once all are: the live engine
// lets the wall clock in only then.
func TestAppliedCoversLinesInFlight(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	writeFile(t, path, joinLines(numbered("l", 1, 5)))
	h := startHarness(t, Options{Sources: []string{path}, Follow: true}, 64, nil)
	// One pass, without the harness taking the batches: the lines are in the channel.
	// (Whether Run's first pass has read them before this Step is up to the scheduler:
	// either way they are in the channel once Step returns.)
	if err := h.w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
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
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	writeFile(t, path, joinLines(numbered("l", 1, 5)))
	h := startHarness(t, Options{Sources: []string{path}, Follow: true}, 64, nil)
	if err := h.w.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
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
