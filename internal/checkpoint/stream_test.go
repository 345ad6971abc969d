package checkpoint

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestStreamedCheckpointReadsBack: a checkpoint written through Writer in pieces is the
// same file Write produces, reads back with Read, and an aborted or failed one leaves the
// previous checkpoint in place and no temporary file.
func TestStreamedCheckpointReadsBack(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.ckpt")
	payload := bytes.Repeat([]byte("0123456789abcdef"), 100_000) // 1.6 MB, several buffers
	w, err := Create(path, 7)
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(payload); off += 10_007 {
		if _, err := w.Write(payload[off:min(off+10_007, len(payload))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	streamed, _ := os.ReadFile(path)
	ref := filepath.Join(dir, "ref.ckpt")
	if err := Write(ref, 7, payload); err != nil {
		t.Fatal(err)
	}
	whole, _ := os.ReadFile(ref)
	if !bytes.Equal(streamed, whole) {
		t.Fatal("streamed checkpoint differs from the one Write produces")
	}
	got, err := Read(path, 7)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("Read = %d bytes, %v", len(got), err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}

	// Aborted: the previous checkpoint stays, no temporary file is left.
	w2, err := Create(path, 7)
	if err != nil {
		t.Fatal(err)
	}
	w2.Write([]byte("partial"))
	w2.Abort()
	if err := w2.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	if got, err := Read(path, 7); err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("after an abort: Read = %d bytes, %v", len(got), err)
	}
	if tmps := leftovers(t, path); len(tmps) != 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
}
