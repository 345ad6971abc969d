package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseBench(t *testing.T) {
	out := parseBench(strings.NewReader(`goos: linux
BenchmarkDecodeStatus-2   	 1000000	      1843 ns/op	 433.55 MB/s	       0 B/op	       0 allocs/op
BenchmarkMemoryPerCustomer/1000000-2         	       1	2500000000 ns/op	       142.7 B/customer	1 B/op	2 allocs/op
BenchmarkScrape1M/http-8 	 10	  38661146 ns/op	     82010 bytes/scrape	 1645872 B/op	   11083 allocs/op
BenchmarkBroken-2 notanumber 1 ns/op
PASS
`))
	for _, tc := range []struct {
		name, unit string
		want       float64
	}{
		{"BenchmarkDecodeStatus", "ns/op", 1843},
		{"BenchmarkDecodeStatus", "allocs/op", 0},
		{"BenchmarkDecodeStatus", "MB/s", 433.55},
		{"BenchmarkMemoryPerCustomer/1000000", "B/customer", 142.7},
		{"BenchmarkScrape1M/http", "bytes/scrape", 82010},
	} {
		b, ok := out[tc.name]
		if !ok {
			t.Fatalf("%s missing from %v", tc.name, out)
		}
		if got, ok := b.values[tc.unit]; !ok || got != tc.want {
			t.Errorf("%s %s = %v (present %v), want %v", tc.name, tc.unit, got, ok, tc.want)
		}
	}
	if _, ok := out["BenchmarkBroken"]; ok {
		t.Error("a line without an iteration count was parsed")
	}
}

func TestMedianAndVerdict(t *testing.T) {
	for _, tc := range []struct {
		name    string
		runs    []float64
		want    float64
		target  target
		verdict string
	}{
		{"odd runs", []float64{5, 1, 3}, 3, atMost(3, ""), "pass"},
		{"even runs", []float64{4, 1, 3, 2}, 2.5, atMost(2, ""), "**FAIL**"},
		{"at least", []float64{0.6}, 0.6, atLeast(0.5, ""), "pass"},
		{"informational", []float64{9}, 9, info, "-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var runs []proc
			for _, v := range tc.runs {
				runs = append(runs, proc{elapsed: v})
			}
			m, ok := median(runs)
			if !ok || m.elapsed != tc.want {
				t.Fatalf("median = %v, %v; want %v", m.elapsed, ok, tc.want)
			}
			if v := verdict(figure{m.elapsed, true}, tc.target); v != tc.verdict {
				t.Errorf("verdict = %q, want %q", v, tc.verdict)
			}
		})
	}
	if _, ok := median(nil); ok {
		t.Error("median of no runs reported ok")
	}
	if v := verdict(figure{}, atMost(1, "")); !strings.Contains(v, "missing") {
		t.Errorf("missing figure verdict = %q", v)
	}
}

func TestProfileShares(t *testing.T) {
	out := strings.Split(`File: replayprof
Duration: 6.83s, Total samples = 8s (98.98%)
      flat  flat%   sum%        cum   cum%
         0     0%     0%      6.40s 80.00%  github.com/waba-exporter/waba_exporter/app.Replay
     0.04s  0.59%  2.51%      3.50s 43.75%  github.com/waba-exporter/waba_exporter/webhook.(*Decoder).Decode
         0     0%  2.51%         2s 25.00%  github.com/waba-exporter/waba_exporter/window.(*Machine).Apply
     0.03s  0.44%  3.11%      2.10s 26.25%  github.com/valyala/fastjson.(*Parser).Parse
         0     0% 52.81%      500ms  6.25%  github.com/waba-exporter/waba_exporter/tail.(*Tailer).Run`, "\n")
	got := profileShares(out)
	want := []float64{2.10, 1.40, 2, 0.5, 2}
	if len(got) != len(want) {
		t.Fatalf("got %d stages, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if d := got[i].sec - w; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s = %.3f s, want %.3f s", got[i].stage, got[i].sec, w)
		}
		if d := got[i].share - w/8; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s share = %.4f, want %.4f", got[i].stage, got[i].share, w/8)
		}
	}
	if s := profileShares([]string{"no header"}); s != nil {
		t.Errorf("shares without a total: %+v", s)
	}
}

func TestSeconds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{{"6.40s", 6.4}, {"680ms", 0.68}, {"0", 0}, {"250us", 0.00025}} {
		if got := seconds(tc.in); got != tc.want {
			t.Errorf("seconds(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestIssue14Rows: each target row of issue 14 shows its figure and verdict from the raw
// inputs, and n/a (failing) when the run lacks it.
func TestIssue14Rows(t *testing.T) {
	in := &inputs{
		procs: map[string][]proc{
			"parseonly1.gen": {{elapsed: 4}}, "replay1.gen": {{elapsed: 5}},
			"replay.gen": {{elapsed: 2}}, "run.gen": {{elapsed: 2.1}},
		},
		bench: parseBench(strings.NewReader(`BenchmarkMemoryPerCustomer/1000000-2 1 1 ns/op 120.0 B/customer
BenchmarkMemoryPerMessage-2 1 1 ns/op 47.0 B/message
BenchmarkScrapeCustomers/100000-2 10 8000000 ns/op
BenchmarkScrapeCustomers/1000000-2 10 8200000 ns/op
BenchmarkScrapeCustomers/10000000-2 10 9000000 ns/op
`)),
		kv: map[string]map[string]string{"allocs": parseKV(strings.Fields(
			"status_lines=900 status_allocs_per_line=0.0000 inbound_lines=90 inbound_allocs_per_line=0.1000 other_lines=10 other_allocs_per_line=0.0000"))},
	}
	checkRows(t, render(writeIssue14, in), []string{
		"| replay / parse-only, one core, gen file | 0.80 | >= 1.0 | **FAIL** |",
		"| replay on all cores / parse-only on one core, gen file | 2.00 | >= 1.5 | pass |",
		"| `run` (live tailing, to ready) / `replay` throughput, gen file, all cores | 0.95 | >= 0.9 | pass |",
		"| bytes per tracked customer, 1M customers | 120 B | <= 96 B | **FAIL** |",
		"| bytes per tracked customer, 10M customers | n/a | <= 96 B | **FAIL** (missing) |",
		"| bytes per in-flight message | 47 B | <= 48 B | pass |",
		"| scrape (Gather) at 10M tracked customers | 9.00 ms | <= 20 ms | pass |",
		"| scrape at 10M / scrape at 100k (flat) | 1.12 | <= 1.5 | pass |",
		"| allocations per line on the real file after warm-up (all kinds) | 0.0090 | 0 | **FAIL** |",
	})
}

// render returns what a section writer prints for in.
func render(write func(printf, *inputs), in *inputs) string {
	var b strings.Builder
	write(func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }, in)
	return b.String()
}

// checkRows fails for each row of want that out lacks.
func checkRows(t *testing.T, out string, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("missing row %q in:\n%s", w, out)
		}
	}
}

// TestBaselines: each baseline measured in the run gets a row with replay's speed
// relative to it; one the run lacks (mtail not installed) gets none.
func TestBaselines(t *testing.T) {
	in := &inputs{
		files: map[string][2]float64{"gen": {1e6, 6e8}},
		procs: map[string][]proc{
			"replay1.gen":    {{elapsed: 2, rssKB: 60 << 10}},
			"parseonly1.gen": {{elapsed: 1, rssKB: 3 << 10}},
			"stdlib1.gen":    {{elapsed: 6, rssKB: 4 << 10}, {elapsed: 7}, {elapsed: 8}},
		},
	}
	out := render(writeBaselines, in)
	checkRows(t, out, []string{
		"| parse-only, fastjson | `bench/parseonly`: bufio lines, fastjson parse, statuses counted | 1.00 M | 3 MiB | **0.50** |",
		"| parse-only, encoding/json | `bench/parseonly -stdlib`: the same with the standard library | 143 k | 0 MiB | **3.50** |",
		"| replay | `waba_exporter replay --openmetrics /dev/null` | 500 k | 60 MiB | 1.00 |",
	})
	if strings.Contains(out, "mtail") {
		t.Errorf("a row for mtail, which the run lacks:\n%s", out)
	}
}

// The bounds section derives the state machine's budget from three one-core runs and
// the CPU the two-core target allows from the core count; without its runs it is left out.
func TestBounds(t *testing.T) {
	in := &inputs{
		files: map[string][2]float64{"gen": {1e6, 6e8}},
		procs: map[string][]proc{
			"parseonly1b.gen": {{elapsed: 0.9, user: 0.8, sys: 0.1}},
			"decode1.gen":     {{elapsed: 0.6, user: 0.5, sys: 0.1}},
			"serial1.gen":     {{elapsed: 1.8, user: 1.7, sys: 0.1}},
			"shards.gen":      {{elapsed: 1.2, user: 2.0, sys: 0.2}},
		},
		kv:      map[string]map[string]string{"decode1": {"events": "1000000"}, "shards": {"shards": "2"}},
		machine: map[string]string{"cores": "2"},
	}
	checkRows(t, render(writeBounds, in), []string{
		"| parse-only (fastjson) | one | 1.11 M | 0.90 s | **1.00** |",
		"| decode only | one | 1.67 M | 0.60 s | **1.50** |",
		"| serial: decode + state machine | one | 556 k | 1.80 s | **0.50** |",
		"| shards bound (2 machines) | all | 833 k | 2.20 s | **0.75** |",
		"minus the decoding time: 0.30 s for 1000000 events, 300 ns an event. It takes 1.20 s",
		"(serial minus decode), 1200 ns an event: 4.0 times its budget.",
		"= 1.20 s of CPU for the whole file",
		"used 2.20 s, and reached **0.75**.",
	})
	delete(in.procs, "decode1.gen")
	if out := render(writeBounds, in); out != "" {
		t.Errorf("bounds printed without the decode run:\n%s", out)
	}
}
