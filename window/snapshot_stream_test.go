package window

import (
	"bytes"
	"errors"
	"runtime"
	"strconv"
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

type recordingWriter struct {
	buf      bytes.Buffer
	maxWrite int
	writes   int
	failAt   int // fail the nth write (1-based); 0 never
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.writes++
	if w.failAt > 0 && w.writes == w.failAt {
		return 0, errors.New("disk full")
	}
	w.maxWrite = max(w.maxWrite, len(p))
	return w.buf.Write(p)
}

// TestSnapshotToStreams: SnapshotTo writes the same encoding as Snapshot in bounded
// pieces, allocating a fixed buffer whatever the state's size, restores to the same
// state, and reports a write error.
func TestSnapshotToStreams(t *testing.T) {
	m := New(DefaultConfig())
	biz := []byte("106540352242922")
	var id, cust []byte
	for i := 0; i < 200_000; i++ {
		cust = strconv.AppendInt(cust[:0], int64(5511000000000+i), 10)
		id = append(strconv.AppendInt(id[:0], int64(i), 10), "wamid"...)
		ev := model.Event{Kind: model.KindStatus, Business: biz, Customer: cust, MessageID: id, Time: int64(1754006400 + i/10),
			Status: model.StatusSent, Category: model.CategoryMarketing, PricingModel: model.PricingModelPMP}
		m.Apply(&ev)
	}
	size := len(m.Snapshot())
	if size < 8*spillBytes {
		t.Fatalf("state too small to test streaming: %d bytes", size)
	}
	w := &recordingWriter{}
	w.buf.Grow(size + 1<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := m.SnapshotTo(w); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if w.buf.Len() != size {
		t.Errorf("streamed %d bytes, Snapshot gives %d", w.buf.Len(), size)
	}
	if w.maxWrite > spillBytes+4096 {
		t.Errorf("largest write %d bytes, want at most %d", w.maxWrite, spillBytes+4096)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20 {
		t.Errorf("SnapshotTo allocated %d bytes for a %d-byte state, want a bounded buffer", alloc, size)
	}
	m2, err := Restore(m.Config(), w.buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if again := len(m2.Snapshot()); again != size {
		t.Errorf("restored state snapshots to %d bytes, want %d", again, size)
	}
	if err := m.SnapshotTo(&recordingWriter{failAt: 3}); err == nil || err.Error() != "disk full" {
		t.Errorf("SnapshotTo with a failing writer = %v", err)
	}
}
