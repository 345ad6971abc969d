package exporter

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
)

// TestEarlierCheckpointRestores: a snapshot written by an earlier build (format version
// 7, taken mid-replay of meta-mixed.ndjson with items still in the reorder buffer)
// restores, and once flushed gives the golden exposition of that file, except for the
// per-source line counts, which belong to the pipeline and not to the snapshot. The
// snapshot was written before issue 13 (typed enums, time.Duration config, generic
// heap, Restore without recover): the byte format did not change.
func TestEarlierCheckpointRestores(t *testing.T) {
	snap, err := os.ReadFile("testdata/checkpoint-v7-meta-mixed.snap")
	if err != nil {
		t.Fatal(err)
	}
	m, err := window.Restore(goldenConfig(), snap)
	if err != nil {
		t.Fatal(err)
	}
	if m.Buffered() == 0 {
		t.Fatal("the checkpoint was meant to hold buffered items")
	}
	p := pipeline.New(m, webhook.Options{}, nil, nil)
	p.Flush()
	h := &Health{}
	h.StateReady.Store(true)
	h.ReloadSuccessful.Store(true)
	h.ReloadSuccess.Store(1756684800)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(&Collector{P: p, Health: h, EventTimeOnly: true})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&got, mf); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/meta-mixed.prom")
	if err != nil {
		t.Fatal(err)
	}
	if g, w := withoutSourceCounts(got.String()), withoutSourceCounts(string(want)); g != w {
		t.Errorf("restored exposition differs from the golden:\n%s", lineDiff(w, g))
	}
}

// withoutSourceCounts drops the lines of the pipeline's per-source counters and of the
// collect duration (left out of the golden files).
func withoutSourceCounts(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "waba_exporter_lines_read_total") || strings.Contains(l, "waba_exporter_bytes_read_total") ||
			strings.Contains(l, "waba_exporter_parse_errors_total") || strings.Contains(l, "waba_exporter_collect_duration_seconds") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
