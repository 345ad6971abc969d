package app

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func status(t *testing.T, url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return -1
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestNotReadyWhileTheOnlyInputIsUnreadable: /-/ready answers 503 while every input is
// unreadable, and 200 once one can be read.
func TestNotReadyWhileTheOnlyInputIsUnreadable(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "in.ndjson")
	// Unreadable: a directory where the file should be (chmod 000 does not stop root).
	if err := os.Mkdir(f, 0o700); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "waba.yml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf("inputs: [{path: %q}]\n", f)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startRun(t, cfgPath, "")
	waitFor(t, "the source reported down", func() bool {
		return metricValue(t, r.base, fmt.Sprintf("waba_exporter_source_up{logfile=%q}", f)) == 0
	})
	waitFor(t, "state caught up", func() bool { return metricValue(t, r.base, "waba_exporter_state_ready") == 1 })
	if code := status(t, r.base+"/-/ready"); code != http.StatusServiceUnavailable {
		t.Errorf("/-/ready = %d with the only input unreadable, want 503", code)
	}
	if err := os.Remove(f); err != nil {
		t.Fatal(err)
	}
	appendFile(t, f, simChunks(t, 31, 10)[0])
	waitFor(t, "ready once readable", func() bool { return status(t, r.base+"/-/ready") == http.StatusOK })
}

// TestUnreadableCheckpointSetAsideNotOverwritten: a checkpoint that cannot be read is
// moved aside with its content intact, counted, and new checkpoints are written in its
// place.
func TestUnreadableCheckpointSetAsideNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "in.ndjson")
	appendFile(t, f, simChunks(t, 32, 50)[0])
	cp := filepath.Join(dir, "state.ckpt")
	// Unreadable: a directory (EISDIR; chmod 000 does not stop root) holding evidence.
	if err := os.Mkdir(cp, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cp, "evidence"), []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "waba.yml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf("inputs: [{path: %q}]\n", f)), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	r := startRunLogged(t, cfgPath, cp, &logs)
	waitFor(t, "read", func() bool { return metricValue(t, r.base, linesOf(f)) == 50 })
	if v := metricValue(t, r.base, "waba_exporter_checkpoint_restore_failures_total"); v != 1 {
		t.Errorf("restore failures = %v, want 1", v)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	aside, _ := filepath.Glob(cp + ".bad-*")
	if len(aside) != 1 {
		t.Fatalf("set aside: %v, want one", aside)
	}
	if b, err := os.ReadFile(filepath.Join(aside[0], "evidence")); err != nil || string(b) != "keep me" {
		t.Errorf("the unreadable checkpoint's content was not kept: %q %v", b, err)
	}
	if fi, err := os.Stat(cp); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("no new checkpoint written in its place: %v", err)
	}
	if !strings.Contains(logs.String(), "moved aside") {
		t.Errorf("the log does not say the checkpoint was moved aside")
	}
}

// TestCheckpointFailuresCounted: a checkpoint write that fails is counted in
// waba_exporter_checkpoint_failures_total (the success timestamp alone would only go
// stale), and writes succeed again once the cause is gone.
func TestCheckpointFailuresCounted(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "in.ndjson")
	appendFile(t, f, simChunks(t, 33, 20)[0])
	sub := filepath.Join(dir, "state")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(sub, "state.ckpt")
	cfgPath := filepath.Join(dir, "waba.yml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf("inputs: [{path: %q}]\n", f)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startRunEvery(t, cfgPath, cp, 30*time.Millisecond)
	waitFor(t, "a checkpoint", func() bool {
		return metricValue(t, r.base, "waba_exporter_checkpoint_last_success_timestamp_seconds") > 0
	})
	if v := metricValue(t, r.base, "waba_exporter_checkpoint_failures_total"); v != 0 {
		t.Fatalf("failures = %v before any failure", v)
	}
	// The checkpoint's directory disappears (moved away at once, whatever a write is
	// doing in it): writes fail and are counted.
	if err := os.Rename(sub, sub+".away"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "failures counted", func() bool { return metricValue(t, r.base, "waba_exporter_checkpoint_failures_total") >= 2 })
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "writes succeed again", func() bool { _, err := os.Stat(cp); return err == nil })
}
