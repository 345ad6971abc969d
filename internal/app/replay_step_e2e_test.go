package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/alerts"
	"github.com/waba-exporter/waba_exporter/internal/config"

	"github.com/waba-exporter/waba_exporter/internal/testutil"
)

// TestReplayStepBackfillEndToEnd is issue 17 item 9 with the real tools: a generated
// month is replayed with --step, promtool builds TSDB blocks from the exposition, a real
// Prometheus serves them, and the counters it answers at step-aligned instants equal
// those computed here, independently, from the generator's log; a dashboard query over
// the month returns data.
//
// Why the comparison is exact: the instants are multiples of the step, so a sample
// lies exactly at each of them and an instant selector returns it unchanged. The count
// at T is, by the definition of a stepped replay, over the lines before the first line
// whose event time is after T (late lines count from the next step, as they would have
// live); the reference below applies that definition to the raw JSON. increase() over
// [T1-1d, T1] has samples on both ends of its range, so Prometheus 2.x (closed ranges)
// does not extrapolate and it equals v(T1)-v(T0) exactly; the offset form is checked
// as well, which is exact in any version.
func TestReplayStepBackfillEndToEnd(t *testing.T) {
	promtool, prometheus := testutil.Tool(t, "promtool"), testutil.Tool(t, "prometheus")
	const (
		step     = time.Hour       // the README uses 5m; an hour keeps the test fast, the rule is the same
		job      = "waba-exporter" // the shipped rules' and dashboards' selector (checked below)
		instance = "backfill:9874"
	)
	if alerts.DefaultSelector != `job="`+job+`"` {
		t.Fatalf("the backfill's job %q is not the dashboards' selector %s (README Backfill uses it too)", job, alerts.DefaultSelector)
	}
	log, _ := generate(t, "pmp", 30000)
	dir := t.TempDir()
	om := filepath.Join(dir, "history.om")
	err := Replay(context.Background(), ReplayOptions{Config: config.Default(), Files: []string{log}, Out: om,
		Step: step, ExtraLabels: []string{"job=" + job, "instance=" + instance}})
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	// Without --max-block-duration promtool makes 2h blocks and reads the whole input
	// once per block (minutes for a month); with it, a few passes.
	if out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", "--max-block-duration=744h", om, data).CombinedOutput(); err != nil {
		t.Fatalf("promtool: %v\n%s", err, out)
	}
	blocksBefore := blockDirs(t, data)
	if len(blocksBefore) == 0 {
		t.Fatal("promtool made no block")
	}

	// The reference, from the log.
	first, last, counts := sentCountsAt(t, log, int64(step/time.Second))
	mid := (first + last) / 2 / 86400 * 86400 // a midnight in the middle of the month
	t0, t1 := mid-86400, mid
	want0, want1 := counts(t0), counts(t1)
	if want1-want0 < 100 {
		t.Fatalf("the day before %s has %v sent messages: too few for a meaningful test", time.Unix(t1, 0).UTC(), want1-want0)
	}

	t.Logf("sent: %v at %s, %v at %s; %d blocks", want0, time.Unix(t0, 0).UTC().Format(time.RFC3339), want1, time.Unix(t1, 0).UTC().Format(time.RFC3339), len(blocksBefore))

	// Prometheus on the blocks. Time retention counts from the newest block, not from
	// the wall clock, but the default (15d) would still drop the first half of the
	// month: keep it all.
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte("global: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := testutil.FreeAddr(t)
	prom := testutil.StartProcess(t, dir, "prometheus", prometheus, "--config.file="+cfg, "--storage.tsdb.path="+data, "--storage.tsdb.retention.time=100y",
		"--web.listen-address="+addr, "--log.level=warn")
	api := "http://" + addr
	prom.WaitHTTP200(t, api+"/-/ready", 60*time.Second) // Prometheus opens the blocks first

	sel := fmt.Sprintf(`waba_outbound_message_status_total{job=%q,instance=%q,status="sent"}`, job, instance)
	// Prometheus 3 ranges are left-open: the sample at T1-1d falls out, increase()
	// extrapolates from the next one, and may differ by up to one step's share.
	var tolerance float64
	if out, _ := exec.Command(prometheus, "--version").CombinedOutput(); !regexp.MustCompile(`version [0-2]\.`).Match(out) {
		tolerance = (want1 - want0) * float64(step) / float64(24*time.Hour) * 1.5
	}
	for _, c := range []struct {
		name      string
		expr      string
		at        int64
		want, tol float64
	}{
		{"counter at the start of the day", "sum(" + sel + ")", t0, want0, 0},
		{"counter at the end of the day", "sum(" + sel + ")", t1, want1, 0},
		{"increase over the day", "sum(increase(" + sel + "[1d]))", t1, want1 - want0, tolerance},
		{"difference with the day before", "sum(" + sel + ") - sum(" + sel + " offset 1d)", t1, want1 - want0, 0},
	} {
		got, ok := instant(t, api, c.expr, c.at)
		if !ok || math.Abs(got-c.want) > c.tol {
			t.Errorf("%s: %s at %s = %v (found %v), want %v", c.name, c.expr, time.Unix(c.at, 0).UTC().Format(time.RFC3339), got, ok, c.want)
		}
	}
	// The first day is there too: nothing was deleted by retention at start.
	if _, ok := instant(t, api, "sum("+sel+")", (first+int64(step/time.Second))/int64(step/time.Second)*int64(step/time.Second)); !ok {
		t.Error("no data on the first day: old blocks were dropped")
	}
	if after := blockDirs(t, data); len(after) < len(blocksBefore) {
		t.Errorf("Prometheus deleted blocks at start: %d before, %d after", len(blocksBefore), len(after))
	}

	// A dashboard query over the month returns data at (nearly) every point.
	expr := dashboardQuery(t, "waba_outbound_message_status_total")
	expr = strings.NewReplacer(`$job`, job, `$instance`, regexp.QuoteMeta(instance), `$phone_number_id`, ".*",
		`$__rate_interval`, "3h", `$__range`, "1d", `$__interval`, "1h").Replace(expr)
	start, end := (first/86400+1)*86400, last/86400*86400
	points := rangePoints(t, api, expr, start, end, 6*3600)
	if n := int((end-start)/(6*3600)) + 1; points < n*9/10 {
		t.Errorf("dashboard query %s over the month: %d non-zero points of %d", expr, points, n)
	}
}

// sentCountsAt reads the generator's log and returns the first and last event times
// and a function giving, for an instant T, the number of distinct message ids with a
// "sent" status in the lines before the first line whose event time is after T.
func sentCountsAt(t *testing.T, file string, step int64) (first, last int64, at func(int64) float64) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type stamped struct {
		ID        string          `json:"id"`
		Status    string          `json:"status"`
		Timestamp json.RawMessage `json:"timestamp"`
	}
	var body struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Statuses []stamped `json:"statuses"`
					Messages []stamped `json:"messages"`
					Prefs    []stamped `json:"user_preferences"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	ts := func(raw json.RawMessage) int64 {
		n, _ := strconv.ParseInt(strings.Trim(string(raw), `"`), 10, 64)
		return n
	}
	seen := map[string]bool{}
	var sent float64
	type mark struct {
		t int64
		n float64
	}
	var marks []mark // increasing t: the count before the first line after t
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		body.Entry = nil
		if json.Unmarshal(sc.Bytes(), &body) != nil {
			continue
		}
		var lt int64
		var ids []string
		for _, e := range body.Entry {
			for _, c := range e.Changes {
				v := &c.Value
				for _, s := range v.Statuses {
					lt = max(lt, ts(s.Timestamp))
					if s.Status == "sent" {
						ids = append(ids, s.ID)
					}
				}
				for _, s := range append(v.Messages, v.Prefs...) {
					lt = max(lt, ts(s.Timestamp))
				}
			}
		}
		if lt > 0 {
			if first == 0 {
				first = lt
			}
			// Every step from the last mark up to lt (exclusive) is crossed here.
			next := (first + step - 1) / step * step
			if len(marks) > 0 {
				next = marks[len(marks)-1].t + step
			}
			for ; next < lt; next += step {
				marks = append(marks, mark{next, sent})
			}
			last = max(last, lt)
		}
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				sent++
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return first, last, func(T int64) float64 {
		for _, m := range marks {
			if m.t == T {
				return m.n
			}
		}
		t.Fatalf("no step at %d", T)
		return 0
	}
}

func blockDirs(t *testing.T, data string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(data, "*", "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// dashboardQuery returns the first query of the committed dashboards that reads the
// metric through rate().
func dashboardQuery(t *testing.T, metric string) string {
	t.Helper()
	files, _ := filepath.Glob("../../dashboards/*.json")
	var found string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if e, ok := v["expr"].(string); ok && found == "" && strings.Contains(e, metric) && strings.Contains(e, "rate(") {
				found = e
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		walk(v)
	}
	if found == "" {
		t.Fatalf("no dashboard query reads %s through rate()", metric)
	}
	return found
}

type promResponse struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		Result []struct {
			Value  [2]any   `json:"value"`
			Values [][2]any `json:"values"`
		} `json:"result"`
	} `json:"data"`
}

func promQuery(t *testing.T, u string) promResponse {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r promResponse
	if err := json.Unmarshal(b, &r); err != nil || r.Status != "success" {
		t.Fatalf("%s: %v %s", u, err, b)
	}
	return r
}

// instant evaluates a scalar-valued expression at unix second at.
func instant(t *testing.T, api, expr string, at int64) (float64, bool) {
	t.Helper()
	r := promQuery(t, api+"/api/v1/query?"+url.Values{"query": {expr}, "time": {strconv.FormatInt(at, 10)}}.Encode())
	if len(r.Data.Result) != 1 {
		return 0, false
	}
	v, err := strconv.ParseFloat(fmt.Sprint(r.Data.Result[0].Value[1]), 64)
	return v, err == nil
}

// rangePoints evaluates expr over [start, end] and counts the steps where some series
// is non-zero.
func rangePoints(t *testing.T, api, expr string, start, end, step int64) int {
	t.Helper()
	r := promQuery(t, api+"/api/v1/query_range?"+url.Values{"query": {expr}, "start": {strconv.FormatInt(start, 10)},
		"end": {strconv.FormatInt(end, 10)}, "step": {strconv.FormatInt(step, 10)}}.Encode())
	nonZero := map[string]bool{}
	for _, s := range r.Data.Result {
		for _, p := range s.Values {
			v, _ := strconv.ParseFloat(fmt.Sprint(p[1]), 64)
			if v != 0 && !math.IsNaN(v) {
				nonZero[fmt.Sprint(p[0])] = true
			}
		}
	}
	return len(nonZero)
}
