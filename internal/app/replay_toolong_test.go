package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waba-exporter/waba_exporter/tail"
)

// TestReplayCountsTooLongLines: lines over the tailer's limit, one in the middle of a
// log and one unfinished at its end, are counted as parse errors of reason line_too_long
// of their logfile, and change nothing else in the exposition (they are neither lines
// nor bytes read).
func TestReplayCountsTooLongLines(t *testing.T) {
	orig, err := os.ReadFile(replayGoldenInput)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(orig), "\n"), "\n")
	long := `{"pad":"` + strings.Repeat("x", tail.DefaultMaxLineBytes) + `"}`
	mid := len(lines) / 2
	withLong := strings.Join(lines[:mid], "") + long + "\n" + strings.Join(lines[mid:], "") + "\n" + long

	path := filepath.Join(t.TempDir(), "webhooks.ndjson")
	replayOf := func(content string) []byte {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return replayBytes(t, ReplayOptions{Files: []string{path}})
	}
	want := replayOf(string(orig))
	got := replayOf(withLong)

	series := `waba_exporter_parse_errors_total{logfile="` + path + `",reason="line_too_long"} `
	if !bytes.Contains(want, []byte(series+"0.0\n")) {
		t.Fatalf("the replay without long lines has no %s0.0", series)
	}
	if !bytes.Contains(got, []byte(series+"2.0\n")) {
		t.Errorf("want %s2.0", series)
	}
	if !bytes.Equal(bytes.Replace(got, []byte(series+"2.0\n"), []byte(series+"0.0\n"), 1), want) {
		t.Error("the long lines changed more than their parse error count")
	}
}
