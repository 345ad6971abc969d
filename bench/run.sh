#!/usr/bin/env bash
# make bench: the performance harness of issue 7 (targets in docs/performance.md).
#
# 1. Generates, once (cached under .cache/bench/), the reference month of webhooks with
#    ../shared/tools/gen_webhooks.py, and a log of the same size from the project's own
#    simulator (waba_exporter demo --demo.write-lines).
# 2. Builds waba_exporter, bench/parseonly (the parse-only limit) and bench/replayprof.
# 3. Whole processes under /usr/bin/time -v, median of BENCH_RUNS runs, interleaved so that
#    load drift on a shared machine hits both sides of each ratio alike:
#      waba_exporter replay --openmetrics /dev/null FILE   vs   parseonly FILE
#    on all cores and pinned to one core (taskset); waba_exporter run on the same file
#    until ready (bench/runlive), for the run / replay ratio; and the serial / parallel
#    decode-apply prototype (replayprof -mode serial|parallel); and, on one core, the
#    baselines of issue 14: parseonly -stdlib (encoding/json) and mtail running
#    bench/mtail (installed from Debian when missing; left out where it cannot be); and
#    the bounds of its throughput targets: decoding alone and decode+apply on one core
#    (replayprof -mode decode|serial), the state split by customer over all cores, never
#    merged (replayprof -mode shards).
# 4. go test -bench -benchmem: decode (webhook), state machine, View and memory at up to
#    10M customers (window), scrape with 1M customers and Gather at 100k to 10M (exporter).
# 5. A CPU profile of the replay (pprof top by flat and cumulative time) and the heap
#    allocations per line after warm-up, by kind of line.
# 6. bench/report writes bench/RESULTS.md (figures, targets, pass/fail, ratios, machine).
#
# Knobs (environment): BENCH_RUNS (3), BENCH_LINES (1000000), BENCH_SIM_LINES (1000000;
# 0 skips the simulator's log), WABA_SHARED (../shared), GO (go).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
GO=${GO:-go}
RUNS=${BENCH_RUNS:-3}
LINES=${BENCH_LINES:-1000000}
SIM_LINES=${BENCH_SIM_LINES:-1000000}
SHARED=${WABA_SHARED:-$ROOT/../shared}
CACHE=$ROOT/.cache/bench
BIN=$CACHE/bin
OUT=$CACHE/out
GEN=$CACHE/gen-$LINES-seed1.ndjson
SIM=$CACHE/sim-$SIM_LINES-seed1.ndjson

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# debian PKG WHY: installs a Debian package when we may (root, apt-get); fails otherwise.
debian() {
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
	log "installing $1 (Debian package) for $2"
	apt-get install -y -qq "$1" >/dev/null
}

if [ ! -x /usr/bin/time ] && ! debian time "the process figures"; then
	echo "bench: /usr/bin/time (GNU time) is required: apt-get install time" >&2
	exit 1
fi
PIN=()
if command -v taskset >/dev/null; then PIN=(taskset -c 0); fi
# mtail for the mtail baseline: installed when missing and we may, else that row is
# left out (the issue asks for it "where available").
if ! command -v mtail >/dev/null; then
	debian mtail "the mtail baseline" || log "mtail could not be installed: no mtail row"
fi
MTAIL=$(command -v mtail || true)

mkdir -p "$BIN" "$OUT"
rm -f "$OUT"/*
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# --- inputs (cached) -------------------------------------------------------------------
if [ ! -s "$GEN" ]; then
	[ -f "$SHARED/tools/gen_webhooks.py" ] || { echo "bench: $SHARED/tools/gen_webhooks.py not found (set WABA_SHARED)" >&2; exit 1; }
	log "generating $LINES lines with gen_webhooks.py (about 25-70 s, once)"
	python3 "$SHARED/tools/gen_webhooks.py" --lines "$LINES" --seed 1 --out "$GEN.tmp" --stats "$GEN.stats.json.tmp"
	mv "$GEN.stats.json.tmp" "$GEN.stats.json"
	mv "$GEN.tmp" "$GEN"
fi

log "building waba_exporter, parseonly, replayprof, report"
"$GO" build -o "$BIN/waba_exporter" .
"$GO" build -o "$BIN/parseonly" ./bench/parseonly
"$GO" build -o "$BIN/replayprof" ./bench/replayprof
"$GO" build -o "$BIN/report" ./bench/report
"$GO" build -o "$BIN/runlive" ./bench/runlive

if [ "$SIM_LINES" -gt 0 ] && [ ! -s "$SIM" ]; then
	log "writing $SIM_LINES lines with the simulator (once)"
	rm -f "$SIM.tmp"
	"$BIN/waba_exporter" demo --demo.seed 1 --demo.write-lines "$SIM_LINES" --demo.file "$SIM.tmp" >/dev/null 2>&1
	mv "$SIM.tmp" "$SIM"
fi

# --- whole processes -------------------------------------------------------------------
# measure NAME CMD...: one run under /usr/bin/time -v; appends
# "NAME elapsed_s maxrss_kb user_s sys_s" to procs.txt and keeps the last stdout.
measure() {
	local name=$1
	shift
	/usr/bin/time -v -o "$OUT/time.tmp" "$@" >"$OUT/$name.stdout" 2>"$OUT/$name.stderr" || {
		echo "bench: $name failed:" >&2
		tail -5 "$OUT/$name.stderr" >&2
		exit 1
	}
	awk -v name="$name" '
		/Elapsed \(wall clock\)/ { v = $NF; n = split(v, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i] }
		/Maximum resident set size/ { rss = $NF }
		/User time \(seconds\)/ { u = $NF }
		/System time \(seconds\)/ { sy = $NF }
		END { printf "%s %.3f %d %s %s\n", name, s, rss, u, sy }' "$OUT/time.tmp" >>"$OUT/procs.txt"
}

# files: "label path"
FILES=("gen $GEN")
if [ "$SIM_LINES" -gt 0 ]; then FILES+=("sim $SIM"); fi
for entry in "${FILES[@]}"; do
	read -r label file <<<"$entry"
	# Warm the page cache so that the first run is not a disk read.
	cat "$file" >/dev/null
	wc -lc <"$file" | awk -v l="$label" '{print l, $1, $2}' >>"$OUT/files.txt"
	for run in $(seq "$RUNS"); do
		log "$label run $run/$RUNS: parse-only and replay (all cores, then one core)"
		measure "parseonly.$label" "$BIN/parseonly" "$file"
		measure "replay.$label" "$BIN/waba_exporter" replay --openmetrics /dev/null "$file"
		measure "parseonly1.$label" "${PIN[@]}" "$BIN/parseonly" "$file"
		measure "replay1.$label" "${PIN[@]}" "$BIN/waba_exporter" replay --openmetrics /dev/null "$file"
		# The live engine on the same file: run, from start until ready (every line applied).
		measure "run.$label" "$BIN/runlive" -bin "$BIN/waba_exporter" -lines "$(wc -l <"$file")" "$file"
		if [ "$label" = gen ]; then
			# Baselines on one core: encoding/json instead of fastjson, and an mtail program
			# (bench/mtail) counting status webhooks with one regular expression.
			measure "stdlib1.$label" "${PIN[@]}" "$BIN/parseonly" -stdlib "$file"
			if [ -n "$MTAIL" ]; then
				measure "mtail1.$label" "${PIN[@]}" "$MTAIL" --logtostderr --one_shot --one_shot_format=prometheus \
					--progs "$ROOT/bench/mtail" --logs "$file"
			fi
		fi
	done
done
for run in $(seq "$RUNS"); do
	log "prototype run $run/$RUNS: decode+apply serial vs parallel; the bounds of issue 14"
	measure serial.gen "$BIN/replayprof" -mode serial "$GEN"
	measure parallel.gen "$BIN/replayprof" -mode parallel "$GEN"
	# What the throughput targets of issue 14 leave: decoding alone and decode+apply on
	# one core beside parse-only, and the state split by customer on all cores (a bound).
	measure parseonly1b.gen "${PIN[@]}" "$BIN/parseonly" "$GEN"
	measure decode1.gen "${PIN[@]}" "$BIN/replayprof" -mode decode "$GEN"
	measure serial1.gen "${PIN[@]}" "$BIN/replayprof" -mode serial "$GEN"
	measure shards.gen "$BIN/replayprof" -mode shards -shards "$(nproc)" "$GEN"
done
cp "$OUT/parseonly.gen.stdout" "$OUT/parseonly.counts"

# --- micro-benchmarks ------------------------------------------------------------------
log "go test -bench: webhook (decode)"
"$GO" test -run '^$' -bench '^Benchmark(DecodeStatus|DecodeInbound|ParseOnly|DecodeVsParse)$' -benchmem -count 1 ./webhook >"$OUT/gotest-webhook.txt"
log "go test -bench: window (state machine; view at 100k, 1M and 10M customers)"
"$GO" test -run '^$' -bench '^Benchmark(ApplyStatus|View)$' -benchmem -count 1 ./window >"$OUT/gotest-window.txt"
log "go test -bench: window (memory per customer at 100k, 1M, 10M and per message, once each)"
"$GO" test -run '^$' -bench '^BenchmarkMemoryPer(Customer|Message)$' -benchtime 1x -benchmem -count 1 ./window >"$OUT/gotest-memory.txt"
log "go test -bench: exporter (scrape with 1M customers; Gather at 100k, 1M and 10M)"
"$GO" test -run '^$' -bench '^Benchmark(Scrape1M|ScrapeCustomers)$' -benchtime 10x -benchmem -count 1 ./internal/exporter >"$OUT/gotest-exporter.txt"

# --- profile and allocations -----------------------------------------------------------
log "CPU profile of the replay, allocations per line"
"$BIN/replayprof" -mode replay -cpuprofile "$CACHE/replay.cpu.pprof" "$GEN" >"$OUT/profile.txt" 2>"$OUT/profile.stderr" ||
	{ tail -5 "$OUT/profile.stderr" >&2; exit 1; }
"$GO" tool pprof -top -nodecount=25 "$BIN/replayprof" "$CACHE/replay.cpu.pprof" >"$OUT/pprof-flat.txt" 2>/dev/null
"$GO" tool pprof -top -cum -nodecount=300 "$BIN/replayprof" "$CACHE/replay.cpu.pprof" >"$OUT/pprof-cum.txt" 2>/dev/null
"$BIN/replayprof" -mode allocs -warm $((LINES / 2)) -measure $((LINES / 20)) -memprofile "$CACHE/allocs.pprof" "$GEN" >"$OUT/allocs.txt" 2>"$OUT/allocs.stderr" ||
	{ tail -5 "$OUT/allocs.stderr" >&2; exit 1; }
# Allocations of the measured lines alone (after warm-up), by call stack.
"$GO" tool pprof -base "$CACHE/allocs.pprof.base" -sample_index=alloc_objects -top -cum -nodecount=25 \
	-ignore 'runtime/pprof|writeProfile' "$BIN/replayprof" "$CACHE/allocs.pprof" >"$OUT/pprof-allocs.txt" 2>/dev/null

# --- report ----------------------------------------------------------------------------
{
	echo "cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "cores $(nproc)"
	echo "go $("$GO" env GOVERSION)"
	echo "date $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "runs $RUNS"
	echo "pinned ${PIN[*]:-none}"
	echo "load $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
} >"$OUT/machine.txt"
"$BIN/report" -dir "$OUT" -out bench/RESULTS.md
log "wrote bench/RESULTS.md (profile: $CACHE/replay.cpu.pprof)"
