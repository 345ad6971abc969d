package exporter

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/prometheus/common/expfmt"

	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/model"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
)

var update = flag.Bool("update", false, "rewrite the golden .prom files from the current output")

// goldenConfig is the state machine configuration of the golden tests: defaults, a fixed
// country mapping and one quota, so that every section has values.
func goldenConfig() window.Config {
	cfg := window.DefaultConfig()
	cfg.CountryOf = func(c []byte) string {
		switch {
		case bytes.HasPrefix(c, []byte("55")):
			return "br"
		case bytes.HasPrefix(c, []byte("91")):
			return "in"
		case bytes.HasPrefix(c, []byte("1")):
			return "us"
		case bytes.HasPrefix(c, []byte("44")):
			return "gb"
		}
		return "unknown"
	}
	cfg.ParseLimit = func(tier string) (float64, bool) {
		return map[string]float64{"TIER_10K": 10000}[tier], tier == "TIER_10K"
	}
	cfg.Quotas = []window.Quota{{Name: "contract", Limit: 5870000, Unit: window.UnitBillableMessages, Location: time.UTC}}
	cfg.Portfolios = []window.Portfolio{{Name: "main", Businesses: []string{"104000000000001", "104000000000002"}, Limit: 1000}}
	cfg.RateCard = &window.RateCard{Currency: "USD", Default: map[model.Category]float64{model.CategoryMarketing: 0.0625, model.CategoryUtility: 0.0068}}
	return cfg
}

// replayFile applies a testdata file through the real pipeline and returns a registry
// with the Collector alone (build info depends on the toolchain).
func replayFile(t *testing.T, path string) (*prometheus.Registry, *pipeline.Pipeline) {
	t.Helper()
	m := window.New(goldenConfig())
	p := pipeline.New(m, webhook.Options{}, nil, nil)
	source := filepath.Base(path)
	p.AddSource(source)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		p.ApplyLine(source, sc.Bytes(), 1756684800)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	p.Flush()
	h := &Health{}
	h.StateReady.Store(true)
	h.ReloadSuccessful.Store(true)
	h.ReloadSuccess.Store(1756684800)
	c := &Collector{P: p, Health: h, EventTimeOnly: true}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	return reg, p
}

// exposition renders the registry as text, without the collect duration (a timing).
func exposition(t *testing.T, reg prometheus.Gatherer) []byte {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, mf := range mfs {
		if mf.GetName() == "waba_exporter_collect_duration_seconds" {
			continue
		}
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// TestGolden replays every testdata/*.ndjson through decoder, state machine and
// Collector, and compares the exposition with testdata/*.prom (regenerate: -update).
// checkGolden compares an exposition with its golden file (rewritten first under
// -update) and lints it with promlint.
func checkGolden(t *testing.T, got []byte, want string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(want, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	exp, err := os.ReadFile(want)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/exporter -update to create it)", err)
	}
	if !bytes.Equal(got, exp) {
		t.Errorf("exposition differs from %s (run with -update after checking the diff):\n%s", want, lineDiff(string(exp), string(got)))
	}
	problems, err := promlint.New(bytes.NewReader(got)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.ndjson")
	if len(files) == 0 {
		t.Fatal("no golden inputs in testdata/")
	}
	for _, in := range files {
		t.Run(filepath.Base(in), func(t *testing.T) {
			reg, _ := replayFile(t, in)
			got := exposition(t, reg)
			want := strings.TrimSuffix(in, ".ndjson") + ".prom"
			checkGolden(t, got, want)
			if _, err := testutil.GatherAndLint(reg); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	in := map[string]int{}
	for _, l := range al {
		in[l]++
	}
	var out []string
	for _, l := range bl {
		if in[l] > 0 {
			in[l]--
			continue
		}
		out = append(out, "+ "+l)
	}
	for l, n := range in {
		for ; n > 0; n-- {
			out = append(out, "- "+l)
		}
	}
	if len(out) > 60 {
		out = append(out[:60], "...")
	}
	return strings.Join(out, "\n")
}
