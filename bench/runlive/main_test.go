package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSumMetric(t *testing.T) {
	expo := `# HELP waba_exporter_lines_read_total Lines read.
# TYPE waba_exporter_lines_read_total counter
waba_exporter_lines_read_total{logfile="a"} 10
waba_exporter_lines_read_total{logfile="b"} 32
waba_exporter_lines_read_totally_other 5
`
	for _, tc := range []struct {
		name, metric string
		want         uint64
		err          bool
	}{
		{"summed over logfiles", "waba_exporter_lines_read_total", 42, false},
		{"absent", "waba_exporter_bytes_read_total", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sumMetric(strings.NewReader(expo), tc.metric)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("sumMetric = %d, %v; want %d (error %v)", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestCountLines(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(p, []byte("a\nb\n\nc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := countLines(p); err != nil || n != 4 {
		t.Errorf("countLines = %d, %v; want 4", n, err)
	}
}
