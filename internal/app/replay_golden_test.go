package app

import (
	"bytes"
	"context"
	"flag"
	"os"
	"testing"

	"github.com/waba-exporter/waba_exporter/internal/config"
)

var updateGolden = flag.Bool("update", false, "rewrite app/testdata golden files from the current output")

// replayGoldenInput is a small committed log (owned by the exporter's golden test).
const replayGoldenInput = "../exporter/testdata/meta-mixed.ndjson"

// TestReplayWithoutStepUnchanged pins the exposition of `replay` without --step, with
// and without --timestamps: the same input gives the same bytes, run after run and
// release after release (regenerate with -update only after checking the diff).
func TestReplayWithoutStepUnchanged(t *testing.T) {
	for _, tc := range []struct {
		name       string
		timestamps bool
	}{{"replay-meta-mixed.om", false}, {"replay-meta-mixed-timestamps.om", true}} {
		t.Run(tc.name, func(t *testing.T) {
			var runs [2]bytes.Buffer
			for i := range runs {
				err := Replay(context.Background(), ReplayOptions{Config: config.Default(), Files: []string{replayGoldenInput}, Out: "-", Timestamps: tc.timestamps, Stdout: &runs[i]})
				if err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(runs[0].Bytes(), runs[1].Bytes()) {
				t.Fatal("two replays of the same input differ")
			}
			golden := "testdata/" + tc.name
			if *updateGolden {
				if err := os.WriteFile(golden, runs[0].Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/app -run TestReplayWithoutStepUnchanged -update)", err)
			}
			if !bytes.Equal(runs[0].Bytes(), want) {
				t.Errorf("replay output differs from %s", golden)
			}
		})
	}
}
