// Command replayprof is the profiling harness of make bench. It replays a webhook log
// in-process in one of several modes, optionally under pprof, and prints one result line.
//
// Modes:
//
//	replay    app.Replay exactly as `waba_exporter replay --openmetrics /dev/null` runs it
//	          (tailer, pipeline, state machine, final exposition): what to profile.
//	serial    one goroutine reads batches of lines, decodes (webhook.Decoder) and
//	          applies (window.Machine) them: the pipeline's work without the tailer,
//	          the lock and the second goroutine.
//	parallel  the same batches through the engine, pipeline.Run: decoded ahead on a
//	          goroutine of its own into owned events, applied in file order under the
//	          pipeline's lock (what replay runs, without the tailer).
//	decode    serial without the state machine: lines read and decoded, events counted,
//	          nothing applied (what decoding costs; serial minus it is the state machine).
//	shards    a bound, not an engine: one goroutine decodes, -shards goroutines each
//	          apply the events of their customers to a machine of their own (see
//	          runShards): the most that splitting the state by customer could give.
//	allocs    serial, measuring heap allocations of decode+apply per line with
//	          runtime.ReadMemStats around each line after a warm-up, split by line kind
//	          (status-only webhooks, webhooks with inbound messages, other).
//
// Decoding uses receive time 0 in serial, parallel and allocs (Meta bodies carry their
// own event time), so their work is identical.
//
// Output (stdout, one line): mode=... lines=N bytes=N seconds=S lines_per_s=X mb_per_s=Y
// mallocs_per_line=Z [allocs-mode fields].
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/app"
	"github.com/waba-exporter/waba_exporter/internal/config"
	"github.com/waba-exporter/waba_exporter/internal/exporter"
	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/model"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
)

func main() {
	mode := flag.String("mode", "replay", "replay, serial, parallel, decode, shards or allocs")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	memprofile := flag.String("memprofile", "", "write an allocation profile here (every allocation sampled)")
	warm := flag.Int("warm", 500_000, "allocs mode: lines applied before measuring")
	measure := flag.Int("measure", 50_000, "allocs mode: lines measured after the warm-up")
	shards := flag.Int("shards", 2, "shards mode: state machines, each on a goroutine of its own")
	flag.Parse()
	files := flag.Args()
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "usage: replayprof [-mode M] [-cpuprofile F] [-memprofile F] FILE...")
		os.Exit(2)
	}
	if *memprofile != "" {
		// Every allocation. In allocs mode, the profile at the start of the measured
		// lines is also written to FILE.base (go tool pprof -base FILE.base FILE shows
		// the allocations of the measured lines alone).
		runtime.MemProfileRate = 1
		if *mode == "allocs" {
			profileBase = *memprofile + ".base"
		}
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		check(err)
		check(pprof.StartCPUProfile(f))
		defer f.Close()
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	var lines, nbytes int64
	extra := ""
	switch *mode {
	case "replay":
		check(app.Replay(context.Background(), app.ReplayOptions{Config: config.Default(), Files: files, Out: os.DevNull}))
		lines, nbytes = countLines(files)
	case "serial", "parallel":
		lines, nbytes = runPipelined(files, *mode == "parallel")
	case "allocs":
		lines, nbytes, extra = runAllocs(files, *warm, *measure)
	case "decode":
		var evs int64
		lines, nbytes, evs = runDecode(files)
		extra = fmt.Sprintf(" events=%d", evs)
	case "shards":
		var applied []int64
		lines, nbytes, applied = runShards(files, *shards)
		extra = fmt.Sprintf(" shards=%d events=%d", len(applied), sum(applied))
	default:
		fmt.Fprintln(os.Stderr, "replayprof: unknown mode", *mode)
		os.Exit(2)
	}
	elapsed := time.Since(start).Seconds() // serial/parallel: the digest's exposition included (tens of ms)
	runtime.ReadMemStats(&ms1)
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if *memprofile != "" {
		writeProfile(*memprofile)
	}
	if stateDigest != "" {
		extra += " digest=" + stateDigest
	}
	fmt.Printf("mode=%s lines=%d bytes=%d seconds=%.3f lines_per_s=%.0f mb_per_s=%.1f mallocs_per_line=%.3f%s\n",
		*mode, lines, nbytes, elapsed, float64(lines)/elapsed, float64(nbytes)/1e6/elapsed,
		float64(ms1.Mallocs-ms0.Mallocs)/float64(max(lines, 1)), extra)
}

// writeProfile writes the allocation profile so far (after a GC, so it is up to date).
func writeProfile(path string) {
	runtime.GC()
	f, err := os.Create(path)
	check(err)
	check(pprof.Lookup("allocs").WriteTo(f, 0))
	check(f.Close())
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "replayprof:", err)
		os.Exit(1)
	}
}

// countLines counts the lines and bytes of files, for the result line of replay mode
// (inside the timed part: a plain read of a cached file, a few percent of a replay).
func countLines(files []string) (lines, n int64) {
	for _, name := range files {
		f, err := os.Open(name)
		check(err)
		buf := make([]byte, 1<<20)
		for {
			k, err := f.Read(buf)
			lines += int64(bytes.Count(buf[:k], []byte{'\n'}))
			n += int64(k)
			if err == io.EOF {
				break
			}
			check(err)
		}
		f.Close()
	}
	return lines, n
}

// batchLines is the number of lines handed between goroutines at a time.
const batchLines = 512

// fileSource is a pipeline.Source over files read with bufio, batchLines lines at a
// time (a batch may hold the end of one file and the start of the next). The lines of a
// batch live in data, valid until the next call to Next.
type fileSource struct {
	files  []string
	f      *os.File
	sc     *bufio.Scanner
	name   string
	data   []byte
	ends   []int
	lines  []pipeline.Line
	nLines int64
	nBytes int64
}

// Next implements pipeline.Source.
func (s *fileSource) Next(context.Context) ([]pipeline.Line, error) {
	s.data, s.ends, s.lines = s.data[:0], s.ends[:0], s.lines[:0]
	for len(s.lines) < batchLines {
		if s.sc == nil {
			if len(s.files) == 0 {
				break
			}
			f, err := os.Open(s.files[0])
			check(err)
			s.f, s.name, s.files = f, s.files[0], s.files[1:]
			s.sc = bufio.NewScanner(f)
			s.sc.Buffer(make([]byte, 1<<20), 4<<20)
		}
		if !s.sc.Scan() {
			check(s.sc.Err())
			s.f.Close()
			s.sc = nil
			continue
		}
		l := s.sc.Bytes()
		s.nLines++
		s.nBytes += int64(len(l)) + 1
		s.data = append(s.data, l...) // may move: Data is set once the batch is full
		s.ends = append(s.ends, len(s.data))
		s.lines = append(s.lines, pipeline.Line{Source: s.name})
	}
	if len(s.lines) == 0 {
		return nil, io.EOF
	}
	start := 0
	for i, end := range s.ends {
		s.lines[i].Data = s.data[start:end:end]
		start = end
	}
	return s.lines, nil
}

// runPipelined replays files through a decoder and a state machine: serial decodes and
// applies on one goroutine (webhook.Decoder and window.Machine, no pipeline), parallel
// runs the engine (pipeline.Run: decoding on a goroutine of its own, applying in order
// under the pipeline's lock).
func runPipelined(files []string, parallel bool) (lines, n int64) {
	m := window.New(app.WindowConfig(config.Default()))
	if parallel {
		src := &fileSource{files: files}
		p := pipeline.New(m, webhook.Options{}, nil, nil)
		check(p.Run(context.Background(), src, pipeline.Hooks{}))
		lines, n = src.nLines, src.nBytes
	} else {
		lines, n = decodeAll(files, func(d *webhook.Decoder, evs []model.Event) {
			m.CountFields(d.ChangeFields())
			for i := range evs {
				m.Apply(&evs[i])
			}
		})
	}
	m.Flush()
	stateDigest = digest(m)
	return lines, n
}

// decodeAll reads files in batches (fileSource) and decodes every line on this goroutine
// with one decoder, handing fn each line's events, valid until fn returns.
func decodeAll(files []string, fn func(d *webhook.Decoder, evs []model.Event)) (lines, n int64) {
	d := webhook.NewDecoder(webhook.Options{})
	src := &fileSource{files: files}
	for {
		ls, err := src.Next(context.Background())
		if err == io.EOF {
			break
		}
		for _, l := range ls {
			evs, _ := d.Decode(l.Data, 0)
			fn(d, evs)
		}
	}
	return src.nLines, src.nBytes
}

// stateDigest is the digest of the final exposition of serial and parallel modes.
var stateDigest string

// digest returns a hash of the OpenMetrics exposition of m (as replay would write it,
// without per-logfile counters): equal digests mean serial and parallel agree.
func digest(m *window.Machine) string {
	p := pipeline.New(m, webhook.Options{}, nil, nil)
	c := &exporter.Collector{P: p, Health: &exporter.Health{}, EventTimeOnly: true}
	h := sha256.New()
	check(exporter.WriteOpenMetrics(h, exporter.NewRegistries(c, false).Domain, 0))
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// profileBase, when set, is where runAllocs writes the allocation profile at the start
// of the measured lines.
var profileBase string

// runAllocs applies warm lines unmeasured, then measures the heap allocations of
// decode+apply of each of the next measure lines, by kind of line.
func runAllocs(files []string, warm, measure int) (lines, n int64, extra string) {
	m := window.New(app.WindowConfig(config.Default()))
	d := webhook.NewDecoder(webhook.Options{})
	type acc struct{ lines, mallocs, bytes uint64 }
	var status, inbound, other acc
	var a, b runtime.MemStats
	apply := func(l []byte) {
		evs, _ := d.Decode(l, 0)
		m.CountFields(d.ChangeFields())
		for i := range evs {
			m.Apply(&evs[i])
		}
	}
	for _, name := range files {
		f, err := os.Open(name)
		check(err)
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 4<<20)
		for sc.Scan() && lines < int64(warm+measure) {
			l := sc.Bytes()
			lines++
			n += int64(len(l)) + 1
			if lines <= int64(warm) {
				apply(l)
				continue
			}
			if lines == int64(warm)+1 && profileBase != "" {
				writeProfile(profileBase)
			}
			runtime.ReadMemStats(&a)
			apply(l)
			runtime.ReadMemStats(&b)
			k := &other
			switch {
			case bytes.Contains(l, []byte(`"messages":[`)):
				k = &inbound
			case bytes.Contains(l, []byte(`"statuses":[`)):
				k = &status
			}
			k.lines++
			k.mallocs += b.Mallocs - a.Mallocs
			k.bytes += b.TotalAlloc - a.TotalAlloc
		}
		check(sc.Err())
		f.Close()
	}
	per := func(x acc) (float64, float64) {
		if x.lines == 0 {
			return 0, 0
		}
		return float64(x.mallocs) / float64(x.lines), float64(x.bytes) / float64(x.lines)
	}
	sa, sb := per(status)
	ia, ib := per(inbound)
	oa, ob := per(other)
	extra = fmt.Sprintf(" status_lines=%d status_allocs_per_line=%.4f status_bytes_per_line=%.1f inbound_lines=%d inbound_allocs_per_line=%.4f inbound_bytes_per_line=%.1f other_lines=%d other_allocs_per_line=%.4f other_bytes_per_line=%.1f",
		status.lines, sa, sb, inbound.lines, ia, ib, other.lines, oa, ob)
	return lines, n, extra
}

// runShards measures what splitting the state by customer could give at most: one
// goroutine reads and decodes batches (pipeline.Decoder), and each of k goroutines
// applies to a machine of its own the events whose customer hashes to it (events with
// no customer go to the first). It is a bound, not an engine: the k machines are never
// merged (no exposition, no digest), business-level state is split with the customers,
// and nothing orders events across shards.
// It returns the events each shard applied.
func runShards(files []string, k int) (lines, n int64, applied []int64) {
	k = max(k, 1)
	type batch struct {
		d    pipeline.Decoded
		left atomic.Int32
	}
	free := make(chan *batch, 4*k)
	for range cap(free) {
		free <- &batch{}
	}
	ins := make([]chan *batch, k)
	applied = make([]int64, k)
	var wg sync.WaitGroup
	for s := range ins {
		ins[s] = make(chan *batch, 4)
		m := window.New(app.WindowConfig(config.Default()))
		wg.Go(func() {
			for b := range ins[s] {
				evs := b.d.Events()
				for i := range evs {
					ev := &evs[i]
					id := ev.Customer
					if len(id) == 0 {
						id = ev.CustomerUserID
					}
					if shardOf(id, k) != s {
						continue
					}
					if ev.Time == 0 {
						ev.Time, ev.TimeFromReceive = m.Watermark(), true
					}
					m.Apply(ev)
					applied[s]++
				}
				if b.left.Add(-1) == 0 {
					free <- b
				}
			}
			m.Flush()
		})
	}
	p := pipeline.New(window.New(app.WindowConfig(config.Default())), webhook.Options{}, nil, nil)
	dec := p.NewDecoder()
	src := &fileSource{files: files}
	for {
		ls, err := src.Next(context.Background())
		if err == io.EOF {
			break
		}
		b := <-free
		dec.Decode(&b.d, ls, 0)
		b.left.Store(int32(k))
		for _, in := range ins {
			in <- b
		}
	}
	for _, in := range ins {
		close(in)
	}
	wg.Wait()
	return src.nLines, src.nBytes, applied
}

func sum(xs []int64) (t int64) {
	for _, x := range xs {
		t += x
	}
	return t
}

// runDecode reads and decodes files as serial mode does, without applying: the events
// decoded are counted.
func runDecode(files []string) (lines, n, events int64) {
	lines, n = decodeAll(files, func(_ *webhook.Decoder, evs []model.Event) { events += int64(len(evs)) })
	return lines, n, events
}

// shardOf maps a customer id to one of k shards (FNV-1a; the empty id to shard 0).
func shardOf(id []byte, k int) int {
	if len(id) == 0 || k == 1 {
		return 0
	}
	h := uint64(14695981039346656037)
	for _, c := range id {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return int(h % uint64(k))
}
