package tail

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// writeBenchLog writes n lines of about size bytes each (the shape of a webhook body).
func writeBenchLog(tb testing.TB, dir string, n, size int) (string, int64) {
	path := filepath.Join(dir, "bench.log")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	pad := strings.Repeat("p", max(0, size-80))
	var total int64
	for i := 0; i < n; i++ {
		k, _ := w.WriteString(`{"object":"whatsapp_business_account","entry":[{"id":"` + strconv.Itoa(i) + `","x":"` + pad + `"}]}` + "\n")
		total += int64(k)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	return path, total
}

// replayCount replays path and returns the number of lines and bytes of line data seen.
// The consumer only counts and releases, so all allocations measured are the tailer's.
func replayCount(tb testing.TB, path string) (lines, bytes int) {
	tl, err := New(Options{Sources: []string{path}})
	if err != nil {
		tb.Fatal(err)
	}
	out := make(chan *Batch, 8)
	done := make(chan error, 1)
	go func() { done <- tl.Run(context.Background(), out) }()
	for {
		select {
		case b := <-out:
			lines += len(b.Lines)
			for i := range b.Lines {
				bytes += len(b.Lines[i].Data)
			}
			b.Release()
		case err := <-done:
			if err != nil {
				tb.Fatal(err)
			}
			for {
				select {
				case b := <-out:
					lines += len(b.Lines)
					b.Release()
				default:
					return lines, bytes
				}
			}
		}
	}
}

// TestZeroAllocationsPerLine checks the steady-state allocation budget of reading: batch
// buffers are recycled, so allocations do not scale with the number of lines.
func TestZeroAllocationsPerLine(t *testing.T) {
	const n = 200_000
	path, _ := writeBenchLog(t, t.TempDir(), n, 60) // ~75-byte lines: ~870 per 64 KiB batch
	replayCount(t, path)                            // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	lines, _ := replayCount(t, path)
	runtime.ReadMemStats(&after)
	if lines != n {
		t.Fatalf("%d lines, want %d", lines, n)
	}
	allocs := after.Mallocs - before.Mallocs
	if perLine := float64(allocs) / n; perLine > 0.002 {
		t.Fatalf("%d allocations for %d lines (%.4f per line), want ~0", allocs, n, perLine)
	}
}

// BenchmarkReplay measures lines/s and allocations per line of reading a 600-byte-line log
// (the PERFORMANCE.md shape) from the page cache, splitting and batching it.
func BenchmarkReplay(b *testing.B) {
	const n = 50_000
	path, size := writeBenchLog(b, b.TempDir(), n, 628)
	b.SetBytes(size)
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if lines, _ := replayCount(b, path); lines != n {
			b.Fatalf("%d lines", lines)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	total := float64(b.N) * n
	b.ReportMetric(total/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/line")
}
