// Command report turns the raw outputs that bench/run.sh collects (in -dir) into the
// Markdown of bench/RESULTS.md: every figure with its target from docs/performance.md,
// pass or fail, the ratios to the parse-only limit measured in the same run, the machine,
// and the top of the replay's CPU profile.
//
// Inputs in -dir: files.txt ("label lines bytes"), procs.txt ("name elapsed_s maxrss_kb
// user_s sys_s", one line per run), gotest-*.txt (go test -bench output), allocs.txt and
// profile.txt (replayprof result lines), pprof-flat.txt, pprof-cum.txt, machine.txt.
// A missing figure is shown as "n/a" (and fails its target), never invented.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func main() {
	dir := flag.String("dir", ".cache/bench/out", "directory of raw results")
	out := flag.String("out", "bench/RESULTS.md", "Markdown file to write ('-' = stdout)")
	flag.Parse()
	in, err := load(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	var w io.Writer = os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	write(w, in)
}

// inputs is everything the report is made of.
type inputs struct {
	files   map[string][2]float64 // label -> lines, bytes
	procs   map[string][]proc     // name -> runs
	bench   map[string]benchLine  // benchmark name without the -GOMAXPROCS suffix
	kv      map[string]map[string]string
	machine map[string]string
	flat    []string
	cum     []string
	allocs  []string
}

type proc struct{ elapsed, rssKB, user, sys float64 }

// benchLine is one result line of go test -bench: iterations and value per unit.
type benchLine struct {
	n      int
	values map[string]float64
}

func load(dir string) (*inputs, error) {
	in := &inputs{files: map[string][2]float64{}, procs: map[string][]proc{}, bench: map[string]benchLine{}, kv: map[string]map[string]string{}, machine: map[string]string{}}
	if err := eachLine(filepath.Join(dir, "files.txt"), func(f []string) {
		if len(f) == 3 {
			in.files[f[0]] = [2]float64{num(f[1]), num(f[2])}
		}
	}); err != nil {
		return nil, err
	}
	if err := eachLine(filepath.Join(dir, "procs.txt"), func(f []string) {
		if len(f) == 5 {
			in.procs[f[0]] = append(in.procs[f[0]], proc{num(f[1]), num(f[2]), num(f[3]), num(f[4])})
		}
	}); err != nil {
		return nil, err
	}
	tests, _ := filepath.Glob(filepath.Join(dir, "gotest-*.txt"))
	for _, t := range tests {
		f, err := os.Open(t)
		if err != nil {
			return nil, err
		}
		for name, b := range parseBench(f) {
			in.bench[name] = b
		}
		f.Close()
	}
	for _, name := range []string{"allocs.txt", "profile.txt", "serial.gen.stdout", "parallel.gen.stdout", "decode1.gen.stdout", "shards.gen.stdout"} {
		key := strings.SplitN(name, ".", 2)[0]
		_ = eachLine(filepath.Join(dir, name), func(f []string) { in.kv[key] = parseKV(f) })
	}
	_ = eachLine(filepath.Join(dir, "machine.txt"), func(f []string) {
		if len(f) > 0 {
			in.machine[f[0]] = strings.Join(f[1:], " ")
		}
	})
	in.flat = readLines(filepath.Join(dir, "pprof-flat.txt"))
	in.cum = readLines(filepath.Join(dir, "pprof-cum.txt"))
	in.allocs = readLines(filepath.Join(dir, "pprof-allocs.txt"))
	return in, nil
}

func eachLine(path string, fn func(fields []string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fn(strings.Fields(sc.Text()))
	}
	return sc.Err()
}

func readLines(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

func num(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return -1
	}
	return v
}

// parseBench reads go test -bench output: lines "BenchmarkName-P N v1 unit1 v2 unit2 ...".
// The -P suffix (GOMAXPROCS) is dropped from the name.
func parseBench(r io.Reader) map[string]benchLine {
	out := map[string]benchLine{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		b := benchLine{n: n, values: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				b.values[f[i+1]] = v
			}
		}
		out[name] = b
	}
	return out
}

// parseKV reads "key=value" fields.
func parseKV(f []string) map[string]string {
	m := map[string]string{}
	for _, s := range f {
		if k, v, ok := strings.Cut(s, "="); ok {
			m[k] = v
		}
	}
	return m
}

// median of the runs of one process; ok is false when there are none.
func median(runs []proc) (proc, bool) {
	if len(runs) == 0 {
		return proc{}, false
	}
	med := func(get func(p proc) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = get(r)
		}
		sort.Float64s(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return proc{
		elapsed: med(func(p proc) float64 { return p.elapsed }),
		rssKB:   med(func(p proc) float64 { return p.rssKB }),
		user:    med(func(p proc) float64 { return p.user }),
		sys:     med(func(p proc) float64 { return p.sys }),
	}, true
}

// figure is a measured value: ok is false when it is missing.
type figure struct {
	v  float64
	ok bool
}

func (in *inputs) benchValue(name, unit string) figure {
	b, ok := in.bench[name]
	if !ok {
		return figure{}
	}
	v, ok := b.values[unit]
	return figure{v, ok}
}

func (in *inputs) kvValue(file, key string) figure {
	s, ok := in.kv[file][key]
	if !ok {
		return figure{}
	}
	v, err := strconv.ParseFloat(s, 64)
	return figure{v, err == nil}
}

// target is a comparison against a threshold.
type target struct {
	text string
	ok   func(v float64) bool // nil: informational
}

func atMost(limit float64, text string) target {
	return target{text, func(v float64) bool { return v <= limit }}
}

func atLeast(limit float64, text string) target {
	return target{text, func(v float64) bool { return v >= limit }}
}

var info = target{text: "-"}

func verdict(f figure, t target) string {
	switch {
	case t.ok == nil:
		return "-"
	case !f.ok:
		return "**FAIL** (missing)"
	case t.ok(f.v):
		return "pass"
	default:
		return "**FAIL**"
	}
}

func show(f figure, format string) string {
	if !f.ok {
		return "n/a"
	}
	return fmt.Sprintf(format, f.v)
}

// printf prints to the report.
type printf func(format string, a ...any)

// write prints the report of in as Markdown, one section after the other.
func write(w io.Writer, in *inputs) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	writeMachine(p, in)
	writeEndToEnd(p, in)
	writeBaselines(p, in)
	writeIssue14(p, in)
	writeBounds(p, in)
	writeFigures(p, in)
	writeConcurrency(p, in)
	writeProfile(p, in)
}

// writeMachine prints the title and the machine the figures were measured on.
func writeMachine(p printf, in *inputs) {
	m := in.machine
	p("# Benchmark results\n\n")
	p("Written by `make bench` (bench/run.sh, bench/report); targets from `docs/performance.md`.\n")
	p("Medians of %s runs per process; every ratio compares figures measured in the same run.\n\n", orNA(m["runs"]))
	p("**Machine:** %s, %s cores, %s, %s; load average %s (the machine is shared: absolute\n", orNA(m["cpu"]), orNA(m["cores"]), orNA(m["go"]), orNA(m["date"]), orNA(m["load"]))
	p("figures drift, ratios measured in the same run are what to compare).\n\n")
}

// writeEndToEnd prints the replay against the parse-only limit, per input and core count.
func writeEndToEnd(p printf, in *inputs) {
	m := in.machine
	p("## End to end: `waba_exporter replay` vs the parse-only limit\n\n")
	p("`replay --openmetrics /dev/null FILE` (tailer, decoder, state machine, final exposition) against\n")
	p("`bench/parseonly FILE` (bufio lines + fastjson parse of every line + status count), same file,\n")
	p("runs interleaved. The target of issue 7 is for one core (`%s`); the all-cores row is shown for\n", orNA(m["pinned"]))
	p("comparison. `gen` is `gen_webhooks.py --lines 1000000 --seed 1` (the reference file of\n")
	p("docs/performance.md); `sim` is the project's simulator (`waba_exporter demo --demo.write-lines`).\n\n")
	p("| input | cores | parse-only lines/s | replay lines/s | replay MB/s | replay peak RSS | parse-only peak RSS | ratio replay / parse-only | target | result |\n")
	p("|---|---|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, label := range []string{"gen", "sim"} {
		fl, ok := in.files[label]
		if !ok {
			continue
		}
		for _, c := range []struct{ suffix, cores string }{{"", "all"}, {"1", "one"}} {
			po, ok1 := median(in.procs["parseonly"+c.suffix+"."+label])
			rp, ok2 := median(in.procs["replay"+c.suffix+"."+label])
			if !ok1 || !ok2 {
				continue
			}
			ratio := figure{(fl[0] / rp.elapsed) / (fl[0] / po.elapsed), true}
			t := atLeast(0.5, ">= 0.50")
			if c.cores == "all" {
				t = info
			}
			p("| %s (%.0f lines, %.0f MB) | %s | %s | %s | %.1f | %s | %s | **%.2f** | %s | %s |\n", label, fl[0], fl[1]/1e6, c.cores,
				kilo(fl[0]/po.elapsed), kilo(fl[0]/rp.elapsed), fl[1]/1e6/rp.elapsed, mib(rp.rssKB), mib(po.rssKB), ratio.v, t.text, verdict(ratio, t))
		}
	}
	p("\n")
}

// baselines are the one-core programs replay is compared with (bench/run.sh), by their
// name in procs.txt, with what each does.
var baselines = []struct{ proc, name, what string }{
	{"parseonly1.gen", "parse-only, fastjson", "`bench/parseonly`: bufio lines, fastjson parse, statuses counted"},
	{"stdlib1.gen", "parse-only, encoding/json", "`bench/parseonly -stdlib`: the same with the standard library"},
	{"mtail1.gen", "mtail, one regular expression", "`mtail --one_shot` running `bench/mtail`: status webhooks counted by status"},
}

// writeBaselines prints replay on one core against each baseline measured in the run
// (a baseline the run lacks, such as mtail where it cannot be installed, is left out).
func writeBaselines(p printf, in *inputs) {
	fl, ok := in.files["gen"]
	rp, ok2 := median(in.procs["replay1.gen"])
	if !ok || !ok2 {
		return
	}
	p("## Baselines, one core, gen file\n\n")
	p("What else could read these logs, pinned to the same core in the same run, against\n")
	p("`waba_exporter replay` (which decodes every event and keeps the whole state machine).\n\n")
	p("| program | what it does | lines/s | peak RSS | replay / it |\n|---|---|---:|---:|---:|\n")
	for _, b := range baselines {
		m, ok := median(in.procs[b.proc])
		if !ok || m.elapsed <= 0 {
			continue
		}
		p("| %s | %s | %s | %s | **%.2f** |\n", b.name, b.what, kilo(fl[0]/m.elapsed), mib(m.rssKB), m.elapsed/rp.elapsed)
	}
	p("| replay | `waba_exporter replay --openmetrics /dev/null` | %s | %s | 1.00 |\n\n", kilo(fl[0]/rp.elapsed), mib(rp.rssKB))
}

// writeIssue14 prints the targets of issue 14 (performance, second step) that the run
// measures, each against its target; a figure the run lacks shows as n/a and fails.
func writeIssue14(p printf, in *inputs) {
	p("## Targets of issue 14\n\n")
	p("Ratios of processes compare medians of the same run. \"Flat\" scrape: the 10M-customer\n")
	p("scrape takes at most 1.5 times the 100k one (BenchmarkScrapeCustomers, a Gather of the registries).\n\n")
	p("| figure | measured | target | result |\n|---|---:|---|---|\n")
	row := func(name string, f figure, format string, t target) {
		p("| %s | %s | %s | %s |\n", name, show(f, format), t.text, verdict(f, t))
	}
	row("replay / parse-only, one core, gen file", in.procRatio("parseonly1.gen", "replay1.gen"), "%.2f", atLeast(1.0, ">= 1.0"))
	row("replay on all cores / parse-only on one core, gen file", in.procRatio("parseonly1.gen", "replay.gen"), "%.2f", atLeast(1.5, ">= 1.5"))
	row("`run` (live tailing, to ready) / `replay` throughput, gen file, all cores", in.procRatio("replay.gen", "run.gen"), "%.2f", atLeast(0.9, ">= 0.9"))
	row("bytes per tracked customer, 1M customers", in.benchValue("BenchmarkMemoryPerCustomer/1000000", "B/customer"), "%.0f B", atMost(96, "<= 96 B"))
	row("bytes per tracked customer, 10M customers", in.benchValue("BenchmarkMemoryPerCustomer/10000000", "B/customer"), "%.0f B", atMost(96, "<= 96 B"))
	row("bytes per in-flight message", in.benchValue("BenchmarkMemoryPerMessage", "B/message"), "%.0f B", atMost(48, "<= 48 B"))
	s100k := scaled(in.benchValue("BenchmarkScrapeCustomers/100000", "ns/op"), 1e-6)
	s10m := scaled(in.benchValue("BenchmarkScrapeCustomers/10000000", "ns/op"), 1e-6)
	row("scrape (Gather) at 100k tracked customers", s100k, "%.2f ms", info)
	row("scrape (Gather) at 1M tracked customers", scaled(in.benchValue("BenchmarkScrapeCustomers/1000000", "ns/op"), 1e-6), "%.2f ms", info)
	row("scrape (Gather) at 10M tracked customers", s10m, "%.2f ms", atMost(20, "<= 20 ms"))
	row("scrape at 10M / scrape at 100k (flat)", ratio(s10m, s100k), "%.2f", atMost(1.5, "<= 1.5"))
	row("allocations per line on the real file after warm-up (all kinds)", in.allocsPerLine(), "%.4f", atMost(0, "0"))
	p("\n")
}

// writeBounds prints what the throughput targets of issue 14 leave to the state machine,
// from runs interleaved in one loop (bench/run.sh): parse-only, decoding alone and
// decode+apply on one core, and the state split by customer on all cores, never merged.
func writeBounds(p printf, in *inputs) {
	fl, ok := in.files["gen"]
	po, ok1 := median(in.procs["parseonly1b.gen"])
	de, ok2 := median(in.procs["decode1.gen"])
	se, ok3 := median(in.procs["serial1.gen"])
	if !ok || !ok1 || !ok2 || !ok3 || po.elapsed <= 0 {
		return
	}
	p("## Bounds of the throughput targets of issue 14\n\n")
	p("`bench/replayprof` on the gen file, in one loop with parse-only (no tailer, no exposition):\n")
	p("`decode` reads and decodes every line and applies nothing; `serial` decodes and applies on one\n")
	p("goroutine; `shards` decodes on one goroutine and applies on one goroutine per core, each to a\n")
	p("machine of its own holding the customers that hash to it. `shards` is a bound, not an engine:\n")
	p("its machines are never merged, and business-level state is split with the customers.\n\n")
	p("| run | cores | lines/s | CPU (user+sys) | ratio to parse-only, one core |\n|---|---|---:|---:|---:|\n")
	prow := func(name, cores string, m proc) {
		p("| %s | %s | %s | %.2f s | **%.2f** |\n", name, cores, kilo(fl[0]/m.elapsed), m.user+m.sys, po.elapsed/m.elapsed)
	}
	prow("parse-only (fastjson)", "one", po)
	prow("decode only", "one", de)
	prow("serial: decode + state machine", "one", se)
	sh, okS := median(in.procs["shards.gen"])
	if okS {
		prow(fmt.Sprintf("shards bound (%s machines)", orNA(in.kv["shards"]["shards"])), "all", sh)
	}
	p("\n")
	budget, spent := po.elapsed-de.elapsed, se.elapsed-de.elapsed
	if evs := in.kvValue("decode1", "events"); evs.ok && evs.v > 0 {
		p("- **replay / parse-only >= 1.0 on one core** leaves the state machine the parse-only time\n")
		p("  minus the decoding time: %.2f s for %.0f events, %.0f ns an event. It takes %.2f s\n", budget, evs.v, budget/evs.v*1e9, spent)
		p("  (serial minus decode), %.0f ns an event: %.1f times its budget.\n", spent/evs.v*1e9, spent/max(budget, 1e-9))
	}
	if okS {
		cores := num(orNA(in.machine["cores"]))
		allowed := cores * po.elapsed / 1.5
		p("- **replay on all cores / parse-only on one >= 1.5** allows at most %s cores x parse-only time / 1.5\n", orNA(in.machine["cores"]))
		p("  = %.2f s of CPU for the whole file, even with every core busy throughout. The shards bound,\n", allowed)
		p("  which never merges its machines, used %.2f s, and reached **%.2f**.\n", sh.user+sh.sys, po.elapsed/sh.elapsed)
	}
	p("\n")
}

// procRatio is the throughput of process b over that of process a on the same file: the
// ratio of their median elapsed times, a over b.
func (in *inputs) procRatio(a, b string) figure {
	pa, ok1 := median(in.procs[a])
	pb, ok2 := median(in.procs[b])
	if !ok1 || !ok2 || pb.elapsed <= 0 {
		return figure{}
	}
	return figure{pa.elapsed / pb.elapsed, true}
}

// allocsPerLine is the allocations per measured line of every kind (allocs.txt).
func (in *inputs) allocsPerLine() figure {
	var lines, allocs float64
	for _, k := range []string{"status", "inbound", "other"} {
		n, a := in.kvValue("allocs", k+"_lines"), in.kvValue("allocs", k+"_allocs_per_line")
		if !n.ok || !a.ok {
			return figure{}
		}
		lines += n.v
		allocs += n.v * a.v
	}
	if lines == 0 {
		return figure{}
	}
	return figure{allocs / lines, true}
}

func ratio(a, b figure) figure {
	if !a.ok || !b.ok || b.v == 0 {
		return figure{}
	}
	return figure{a.v / b.v, true}
}

// writeFigures prints every figure with its target and verdict.
func writeFigures(p printf, in *inputs) {
	p("## Figures and targets\n\n")
	p("| figure | measured | target | result |\n|---|---:|---|---|\n")
	row := func(name string, f figure, format string, t target) {
		p("| %s | %s | %s | %s |\n", name, show(f, format), t.text, verdict(f, t))
	}
	if rp, ok := median(in.procs["replay.gen"]); ok {
		row("peak RSS of the 1M-line replay (gen, all cores)", figure{rp.rssKB / 1024, true}, "%.0f MiB", atMost(256, "<= 256 MiB"))
	} else {
		row("peak RSS of the 1M-line replay (gen, all cores)", figure{}, "", atMost(256, "<= 256 MiB"))
	}
	row("memory per tracked customer, 100k customers", in.benchValue("BenchmarkMemoryPerCustomer/100000", "B/customer"), "%.0f B", atMost(150, "<= 150 B"))
	row("memory per tracked customer, 1M customers", in.benchValue("BenchmarkMemoryPerCustomer/1000000", "B/customer"), "%.0f B", atMost(150, "<= 150 B"))
	row("memory per in-flight message (1M sent, unread)", in.benchValue("BenchmarkMemoryPerMessage", "B/message"), "%.0f B", atMost(64, "<= 64 B"))
	row("scrape of /metrics over HTTP, 1M customers (BenchmarkScrape1M/http)", scaled(in.benchValue("BenchmarkScrape1M/http", "ns/op"), 1e-6), "%.1f ms", atMost(50, "<= 50 ms"))
	row("Gather of the registries, 1M customers (BenchmarkScrape1M/gather)", scaled(in.benchValue("BenchmarkScrape1M/gather", "ns/op"), 1e-6), "%.1f ms", info)
	row("size of that scrape", scaled(in.benchValue("BenchmarkScrape1M/http", "bytes/scrape"), 1.0/1024), "%.0f KiB", info)
	row("View (scrape-time gauges of the state), 1M customers", scaled(in.benchValue("BenchmarkView/1000000", "ns/op"), 1e-6), "%.3f ms", info)
	row("allocations per status webhook, decode (BenchmarkDecodeStatus)", in.benchValue("BenchmarkDecodeStatus", "allocs/op"), "%.0f", atMost(0, "0"))
	row("allocations per status event, state machine (BenchmarkApplyStatus)", in.benchValue("BenchmarkApplyStatus", "allocs/op"), "%.0f", atMost(0, "0"))
	row("allocations per status webhook, decode + apply on the real file after warm-up", in.kvValue("allocs", "status_allocs_per_line"), "%.4f", atMost(0, "0"))
	row("bytes allocated per status webhook, same", in.kvValue("allocs", "status_bytes_per_line"), "%.1f B", info)
	row("allocations per inbound webhook, same", in.kvValue("allocs", "inbound_allocs_per_line"), "%.4f", info)
	row("allocations per line, whole replay including warm-up", in.kvValue("profile", "mallocs_per_line"), "%.3f", info)
	row("decode, status webhook (3 statuses)", in.benchValue("BenchmarkDecodeStatus", "ns/op"), "%.0f ns", info)
	row("decode, inbound webhook", in.benchValue("BenchmarkDecodeInbound", "ns/op"), "%.0f ns", info)
	row("fastjson parse only, same status webhook", in.benchValue("BenchmarkParseOnly/status", "ns/op"), "%.0f ns", info)
	row("decode / parse-only, same status webhook, same run (BenchmarkDecodeVsParse)", in.benchValue("BenchmarkDecodeVsParse", "decode/parse"), "%.2f", info)
	row("state machine, per status event (BenchmarkApplyStatus)", in.benchValue("BenchmarkApplyStatus", "ns/op"), "%.0f ns", info)
	p("\n")
}

// writeConcurrency prints the serial and parallel decode-and-apply runs.
func writeConcurrency(p printf, in *inputs) {
	p("## Concurrency prototype: decode on one goroutine, apply on another\n\n")
	p("`bench/replayprof -mode serial|parallel` on the gen file, no tailer: serial decodes and applies\n")
	p("on one goroutine; parallel is the engine (pipeline.Run): batches of 512 lines decoded on one\n")
	p("goroutine into owned events, applied in file order under the lock on another.\n\n")
	se, ok1 := median(in.procs["serial.gen"])
	pa, ok2 := median(in.procs["parallel.gen"])
	if fl, ok := in.files["gen"]; ok && ok1 && ok2 {
		po, _ := median(in.procs["parseonly.gen"])
		p("| mode | lines/s | CPU (user+sys) | peak RSS | ratio to parse-only (all cores) |\n|---|---:|---:|---:|---:|\n")
		p("| serial | %s | %.1f s | %s | %.2f |\n", kilo(fl[0]/se.elapsed), se.user+se.sys, mib(se.rssKB), po.elapsed/se.elapsed)
		p("| parallel | %s | %.1f s | %s | %.2f |\n", kilo(fl[0]/pa.elapsed), pa.user+pa.sys, mib(pa.rssKB), po.elapsed/pa.elapsed)
		p("\nSpeed-up of parallel over serial: **%.2fx**. ", se.elapsed/pa.elapsed)
		ds, dp := in.kv["serial"]["digest"], in.kv["parallel"]["digest"]
		switch {
		case ds == "" || dp == "":
			p("Exposition digests: n/a.\n\n")
		case ds == dp:
			p("Final exposition identical (digest %s): order is kept.\n\n", ds)
		default:
			p("**Final expositions differ** (serial %s, parallel %s).\n\n", ds, dp)
		}
	} else {
		p("n/a\n\n")
	}
}

// writeProfile prints the CPU and allocation profiles of the replay.
func writeProfile(p printf, in *inputs) {
	p("## CPU profile of the replay (gen file)\n\n")
	p("`bench/replayprof -mode replay -cpuprofile` (the profile is kept in .cache/bench/replay.cpu.pprof).\n\n")
	if shares := profileShares(in.cum); len(shares) > 0 {
		p("Where the CPU goes (cumulative time of each stage, share of all samples):\n\n")
		p("| stage | function | CPU | share |\n|---|---|---:|---:|\n")
		for _, sh := range shares {
			p("| %s | `%s` | %.2f s | %.0f%% |\n", sh.stage, sh.fn, sh.sec, sh.share*100)
		}
		p("\n")
	}
	for _, s := range []struct {
		title string
		lines []string
		n     int
	}{{"Top by flat time", in.flat, 20}, {"Top by cumulative time", in.cum, 35}, {"Allocations of decode + apply after warm-up (objects, by cumulative count; `.cache/bench/allocs.pprof` with `-base allocs.pprof.base`)", in.allocs, 20}} {
		p("%s:\n\n```\n", s.title)
		for _, l := range pprofRows(s.lines, s.n) {
			p("%s\n", l)
		}
		p("```\n\n")
	}
}

// share is the cumulative CPU of one stage of the replay.
type share struct {
	stage, fn  string
	sec, share float64
}

// profileShares splits the replay's CPU samples by stage, from pprof -top -cum output:
// the fastjson parse, the rest of decoding, the state machine, the tailer, and what
// remains (pipeline bookkeeping, runtime, exposition).
func profileShares(lines []string) []share {
	total := -1.0
	cum := map[string]float64{}
	for _, l := range lines {
		if i := strings.Index(l, "Total samples = "); i >= 0 {
			total = seconds(strings.Fields(l[i+len("Total samples = "):])[0])
			continue
		}
		f := strings.Fields(l)
		if len(f) < 6 {
			continue
		}
		name := strings.Join(f[5:], " ")
		if _, seen := cum[name]; !seen {
			cum[name] = seconds(f[3])
		}
	}
	if total <= 0 {
		return nil
	}
	get := func(fn string) float64 { return max(cum[fn], 0) }
	const (
		parse  = "github.com/valyala/fastjson.(*Parser).Parse"
		decode = "github.com/waba-exporter/waba_exporter/webhook.(*Decoder).Decode"
		apply  = "github.com/waba-exporter/waba_exporter/window.(*Machine).Apply"
		tailer = "github.com/waba-exporter/waba_exporter/tail.(*Tailer).Run"
	)
	out := []share{
		{"JSON parse (the parse-only work)", "fastjson.(*Parser).Parse", get(parse), 0},
		{"decode beyond the parse", "webhook.(*Decoder).Decode minus Parse", max(get(decode)-get(parse), 0), 0},
		{"state machine", "window.(*Machine).Apply", get(apply), 0},
		{"tailer (read, split lines)", "tail.(*Tailer).Run", get(tailer), 0},
	}
	rest := total
	for _, s := range out {
		rest -= s.sec
	}
	out = append(out, share{"everything else (pipeline, runtime, exposition)", "-", max(rest, 0), 0})
	for i := range out {
		out[i].share = out[i].sec / total
	}
	return out
}

// seconds parses a pprof duration ("6.40s", "680ms", "0").
func seconds(s string) float64 {
	switch {
	case strings.HasSuffix(s, "ms"):
		return num(strings.TrimSuffix(s, "ms")) / 1e3
	case strings.HasSuffix(s, "us"):
		return num(strings.TrimSuffix(s, "us")) / 1e6
	case strings.HasSuffix(s, "s"):
		return num(strings.TrimSuffix(s, "s"))
	}
	return num(s)
}

// pprofRows keeps the header and the first n rows of pprof -top output, with the package
// path shortened.
func pprofRows(lines []string, n int) []string {
	var out []string
	rows := 0
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "flat") {
			out = append(out, l)
			rows = 0
			continue
		}
		if len(out) == 0 {
			continue
		}
		if rows == n {
			break
		}
		out = append(out, strings.ReplaceAll(l, "github.com/waba-exporter/waba_exporter/", ""))
		rows++
	}
	return out
}

func scaled(f figure, k float64) figure { return figure{f.v * k, f.ok} }

func kilo(v float64) string {
	if v >= 1e6 {
		return fmt.Sprintf("%.2f M", v/1e6)
	}
	return fmt.Sprintf("%.0f k", v/1e3)
}

func mib(kb float64) string { return fmt.Sprintf("%.0f MiB", kb/1024) }

func orNA(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}
