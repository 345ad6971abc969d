package app

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"context"

	"github.com/waba-exporter/waba_exporter/internal/config"
)

// TestHashKeyOutsideTheCheckpoint: the key of the customer hashes is created 0600 beside
// the checkpoint on first start, never written into it, and reused on restart; without
// its key a checkpoint is set aside (not overwritten) and the state is rebuilt from the
// inputs; a key file that holds no key stops the start (exit 2).
func TestHashKeyOutsideTheCheckpoint(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f.ndjson")
	cp := filepath.Join(dir, "state.ckpt")
	cfgPath := filepath.Join(dir, "waba.yml")
	appendFile(t, f, simChunks(t, 21, 300)[0])
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf("inputs: [{path: %q}]\n", f)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startRun(t, cfgPath, cp)
	waitFor(t, "read", func() bool { return metricValue(t, r.base, linesOf(f)) == 300 })
	want := r.exposition(t)
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	keyPath := cp + ".key"
	fi, err := os.Stat(keyPath)
	if err != nil {
		t.Fatalf("no key file beside the checkpoint: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	keyText, _ := os.ReadFile(keyPath)
	raw, err := hex.DecodeString(strings.TrimSpace(string(keyText)))
	if err != nil || len(raw) != 16 {
		t.Fatalf("key file %q: want 32 hex digits", keyText)
	}
	ckpt, err := os.ReadFile(cp)
	if err != nil {
		t.Fatal(err)
	}
	// Neither the key's text nor its bytes (in either order, either half) are in the checkpoint.
	needles := [][]byte{bytes.TrimSpace(keyText), raw[:8], raw[8:]}
	for _, half := range [][]byte{raw[:8], raw[8:]} {
		var be [8]byte
		binary.BigEndian.PutUint64(be[:], binary.LittleEndian.Uint64(half))
		needles = append(needles, be[:])
	}
	for _, n := range needles {
		if bytes.Contains(ckpt, n) {
			t.Errorf("the checkpoint holds the hash key (%x)", n)
		}
	}

	// Restart with the key: the state resumes (same exposition, nothing read twice).
	r2 := startRun(t, cfgPath, cp)
	waitFor(t, "ready", func() bool { return metricValue(t, r2.base, "waba_exporter_state_ready") == 1 })
	diffExposition(t, "restart with the key", r2.exposition(t), want)
	if err := r2.stop(); err != nil {
		t.Fatal(err)
	}

	// The key lost: the checkpoint is set aside, the state rebuilt from the file.
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	r3 := startRunLogged(t, cfgPath, cp, &logs)
	waitFor(t, "rebuilt", func() bool { return metricValue(t, r3.base, linesOf(f)) == 300 })
	waitFor(t, "ready", func() bool { return metricValue(t, r3.base, "waba_exporter_state_ready") == 1 })
	diffExposition(t, "rebuilt without the key", r3.exposition(t), want)
	if err := r3.stop(); err != nil {
		t.Fatal(err)
	}
	aside, _ := filepath.Glob(cp + ".bad-*")
	if len(aside) != 1 {
		t.Errorf("checkpoints set aside: %v, want one", aside)
	}
	if !strings.Contains(logs.String(), "hash key file") {
		t.Errorf("the log does not say the key file was missing:\n%s", logs.String())
	}

	// A key file that holds no key: Run refuses to start (a configuration error).
	if err := os.WriteFile(keyPath, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = Run(context.Background(), RunOptions{Serve: ServeOptions{Listener: ln, CheckpointPath: cp}, Config: cfg})
	var ce ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), keyPath) {
		t.Errorf("Run with a bad key file = %v, want a configuration error naming the file", err)
	}
}
