package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waba-exporter/waba_exporter/internal/sim"
)

// writeSim writes n simulated lines (seeded) to a new file in dir and returns its path.
func writeSim(t *testing.T, dir, name string, seed int64, n int) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := sim.New(sim.Options{Seed: seed}).WriteN(w, n); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// The parallel prototype must be a pure re-arrangement of the serial work: the same
// lines in, the same exposition out, whatever the batch boundaries.
func TestParallelMatchesSerial(t *testing.T) {
	dir := t.TempDir()
	one := writeSim(t, dir, "a.ndjson", 1, 6000)
	two := writeSim(t, dir, "b.ndjson", 2, batchLines*3) // ends on a batch boundary
	for _, tc := range []struct {
		name  string
		files []string
	}{
		{"one file", []string{one}},
		{"two files, batches spanning them", []string{one, two}},
		{"batch-aligned file", []string{two}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantLines, wantBytes := countLines(tc.files)
			var digests [2]string
			for i, parallel := range []bool{false, true} {
				lines, n := runPipelined(tc.files, parallel)
				if lines != wantLines || n != wantBytes {
					t.Fatalf("parallel=%v read %d lines, %d bytes; the files hold %d, %d", parallel, lines, n, wantLines, wantBytes)
				}
				digests[i] = stateDigest
			}
			if digests[0] == "" || digests[0] != digests[1] {
				t.Fatalf("exposition digests differ: serial %q, parallel %q", digests[0], digests[1])
			}
		})
	}
	// A different input must give a different digest, or the comparison proves nothing.
	runPipelined([]string{one}, false)
	d1 := stateDigest
	runPipelined([]string{two}, false)
	if stateDigest == d1 {
		t.Fatal("different inputs gave the same exposition digest")
	}
}

func TestRunAllocsSplitsEveryMeasuredLine(t *testing.T) {
	path := writeSim(t, t.TempDir(), "a.ndjson", 3, 3000)
	lines, _, extra := runAllocs([]string{path}, 2000, 500)
	if lines != 2500 {
		t.Fatalf("read %d lines, want warm-up 2000 + measured 500", lines)
	}
	kv := parseFields(extra)
	total := 0
	for _, k := range []string{"status_lines", "inbound_lines", "other_lines"} {
		v, ok := kv[k]
		if !ok {
			t.Fatalf("%s missing from %q", k, extra)
		}
		total += v
	}
	if total != 500 {
		t.Fatalf("measured lines by kind sum to %d, want 500 (%q)", total, extra)
	}
	if kv["status_lines"] == 0 || kv["inbound_lines"] == 0 {
		t.Fatalf("a simulated log has both status and inbound lines: %q", extra)
	}
}

// parseFields reads the integer "key=value" fields of a result line.
func parseFields(s string) map[string]int {
	out := map[string]int{}
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		n := 0
		isInt := v != ""
		for _, c := range v {
			if c < '0' || c > '9' {
				isInt = false
				break
			}
			n = n*10 + int(c-'0')
		}
		if isInt {
			out[k] = n
		}
	}
	return out
}

// The shards bound must apply every decoded event exactly once, over all its machines,
// and split a log with many customers between them.
func TestShardsApplyEveryEventOnce(t *testing.T) {
	path := writeSim(t, t.TempDir(), "a.ndjson", 4, 4000)
	wantLines, wantBytes, events := runDecode([]string{path})
	if events == 0 {
		t.Fatal("the simulated log decoded to no events")
	}
	for _, k := range []int{1, 2, 3} {
		lines, n, applied := runShards([]string{path}, k)
		if lines != wantLines || n != wantBytes {
			t.Fatalf("k=%d read %d lines, %d bytes; decode read %d, %d", k, lines, n, wantLines, wantBytes)
		}
		if len(applied) != k || sum(applied) != events {
			t.Fatalf("k=%d applied %v (total %d), want %d events over %d shards", k, applied, sum(applied), events, k)
		}
		for s, a := range applied {
			if a == 0 {
				t.Errorf("k=%d: shard %d applied nothing", k, s)
			}
		}
	}
}

func TestShardOf(t *testing.T) {
	ids := [][]byte{[]byte("15551234567"), []byte("15551234568"), []byte("447700900123")}
	for _, id := range ids {
		if a, b := shardOf(id, 4), shardOf(append([]byte(nil), id...), 4); a != b || a < 0 || a >= 4 {
			t.Errorf("shardOf(%s) = %d then %d", id, a, b)
		}
	}
	if shardOf(nil, 4) != 0 || shardOf(ids[0], 1) != 0 {
		t.Error("no customer, or one shard, must give shard 0")
	}
}
