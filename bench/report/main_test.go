package main

import (
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
