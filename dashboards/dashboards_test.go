package dashboards

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/waba-exporter/waba_exporter/alerts"
)

// metricsDoc is the metric reference generated from the exporter's own descriptors
// (internal/exporter/metricsdoc_test.go keeps it in step with the code, and with the external
// metric contract when that is beside the checkout).
const metricsDoc = "../docs/metrics.md"

func TestCommittedJSONUpToDate(t *testing.T) {
	all := All(alerts.Default())
	committed, _ := filepath.Glob("*.json")
	var names []string
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	sort.Strings(committed)
	if !slices.Equal(names, committed) {
		t.Errorf("committed dashboards %v, generator writes %v: run `go generate ./dashboards/`", committed, names)
	}
	for name, d := range all {
		want, err := JSON(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `go generate ./dashboards/` and commit the result", name)
		}
	}
}

// declaredMetrics reads the metric names of docs/metrics.md tables (first column
// of rows like "| `waba_x_total` | counter | ..."), expanding histograms to
// their _bucket, _sum and _count series.
func declaredMetrics(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(metricsDoc)
	if err != nil {
		t.Fatalf("reading the metric reference: %v", err)
	}
	names := map[string]bool{}
	declare(names, b)
	// The Kafka self-metrics are declared in scaleOutDoc, which comes with
	// the Kafka mode; until it is in the tree kafkaSelfMetrics stands in for
	// it, and once it is, it must declare each of them.
	if b, err := os.ReadFile(scaleOutDoc); err == nil {
		kafka := map[string]bool{}
		declare(kafka, b)
		for _, n := range kafkaSelfMetrics {
			if !kafka[n] {
				t.Errorf("%s is not declared in %s", n, scaleOutDoc)
			}
		}
		maps.Copy(names, kafka)
	} else {
		for _, n := range kafkaSelfMetrics {
			names[n] = true
		}
	}
	// Emitted by client_golang's version collector, not by a descriptor of ours.
	names["waba_exporter_build_info"] = true
	if len(names) < 50 {
		t.Fatalf("only %d metric names found in %s; did its table format change?", len(names), metricsDoc)
	}
	return names
}

// metricRow is a row of a metric table: name and type.
var metricRow = regexp.MustCompile("(?m)^\\| `([a-z_:][a-z0-9_:]*)`[^|]*\\| ([a-z]+)")

// declare adds the series names of the metric tables of a document to names
// (a histogram's _bucket, _sum and _count).
func declare(names map[string]bool, doc []byte) {
	for _, m := range metricRow.FindAllStringSubmatch(string(doc), -1) {
		if m[2] == "histogram" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[m[1]+s] = true
			}
			continue
		}
		names[m[1]] = true
	}
}

// scaleOutDoc declares the self-metrics of the Kafka consumer and forwarder.
const scaleOutDoc = "../docs/scale-out.md"

// kafkaSelfMetrics are the series of scaleOutDoc the rules and dashboards use.
var kafkaSelfMetrics = []string{
	"waba_exporter_kafka_consumer_lag_records", "waba_exporter_kafka_rebalances_total",
	"waba_exporter_kafka_rebuild_duration_seconds_bucket",
	"waba_exporter_forward_lines_total", "waba_exporter_forward_records_total",
	"waba_exporter_forward_produce_errors_total", "waba_exporter_forward_buffered_records",
	"waba_exporter_forward_last_ack_timestamp_seconds",
}

// allowedMetrics is what a dashboard or rule may query: declared metrics,
// our recording rules, and Prometheus' up.
func allowedMetrics(t *testing.T) (allowed map[string]bool, records map[string]bool) {
	allowed = declaredMetrics(t)
	records = map[string]bool{}
	for _, r := range alerts.Rules(alerts.Default()).Groups[0].Rules {
		allowed[r.Record] = true
		records[r.Record] = true
	}
	allowed["up"] = true
	return allowed, records
}

func standardName(n string) bool {
	return strings.HasPrefix(n, "go_") || strings.HasPrefix(n, "process_")
}

func TestDeclaredMetricsParser(t *testing.T) {
	names := declaredMetrics(t)
	for _, n := range []string{"waba_outbound_message_status_total", "waba_response_duration_seconds_bucket", "waba_exporter_state_ready", "waba_template_status_events_total"} {
		if !names[n] {
			t.Errorf("%s not found in %s", n, metricsDoc)
		}
	}
	if names["waba_response_duration_seconds"] {
		t.Error("a histogram's bare name is not a series")
	}
}

func TestPanels(t *testing.T) {
	allowed, records := allowedMetrics(t)
	types := []string{PanelTimeseries, PanelStat, PanelGauge, PanelBarGauge, PanelTable, PanelHeatmap, PanelStateTimeline}
	usedRecords := map[string]bool{}
	for file, d := range decodeAll(t, alerts.Default()) {
		ids := map[int]bool{}
		var rects []GridPos
		if d.UID == "" || d.Title == "" || len(d.UID) > 40 {
			t.Errorf("%s: uid %q title %q", file, d.UID, d.Title)
		}
		var vars []string
		for _, v := range d.Templating.List {
			vars = append(vars, v.Name)
		}
		wantVars := []string{VarDatasource, VarJob, VarInstance, VarPhoneNumberID}
		if file == FileCampaigns {
			wantVars = append(wantVars, VarCampaign)
		}
		if !slices.Equal(vars, wantVars) {
			t.Errorf("%s: variables %v", file, vars)
		}
		rows := 0
		for _, p := range d.Panels {
			where := file + ": panel " + p.Title
			if p.Type == PanelRow {
				rows++
				if p.GridPos.W != 24 || p.GridPos.X != 0 || ids[p.ID] {
					t.Errorf("%s: row gridPos %+v or id %d", where, p.GridPos, p.ID)
				}
				ids[p.ID] = true
				continue
			}
			if ids[p.ID] || p.ID <= 0 {
				t.Errorf("%s: id %d is not unique and positive", where, p.ID)
			}
			ids[p.ID] = true
			if !slices.Contains(types, p.Type) {
				t.Errorf("%s: type %q", where, p.Type)
			}
			g := p.GridPos
			if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
				t.Errorf("%s: gridPos %+v", where, g)
			}
			for _, r := range rects {
				if g.X < r.X+r.W && r.X < g.X+g.W && g.Y < r.Y+r.H && r.Y < g.Y+g.H {
					t.Errorf("%s: gridPos %+v overlaps %+v", where, g, r)
				}
			}
			rects = append(rects, g)
			for _, l := range p.Links {
				if l.URL == "" || l.Type != "link" {
					t.Errorf("%s: link %+v", where, l)
				}
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: no query", where)
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				if tg.RefID == "" || refs[tg.RefID] {
					t.Errorf("%s: refId %q empty or repeated", where, tg.RefID)
				}
				refs[tg.RefID] = true
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("%s: empty query", where)
					continue
				}
				if err := checkSelectors(tg.Expr, file == FileExporterHealth); err != nil {
					t.Errorf("%s: query %q: %v", where, tg.Expr, err)
				}
				names, err := metricNames(tg.Expr)
				if err != nil {
					t.Errorf("%s: query %q: %v", where, tg.Expr, err)
				}
				if len(names) == 0 {
					t.Errorf("%s: query %q selects no metric", where, tg.Expr)
				}
				for _, n := range names {
					if !allowed[n] && !standardName(n) {
						t.Errorf("%s: query uses %q, which is neither declared in docs/metrics.md nor a recording rule", where, n)
					}
					usedRecords[n] = true
				}
			}
		}
	}
	for r := range records {
		if !usedRecords[r] {
			t.Errorf("recording rule %s is on no dashboard", r)
		}
	}
}

// TestRulesUseDeclaredMetrics applies the same contract to the rules.
func TestRulesUseDeclaredMetrics(t *testing.T) {
	allowed, _ := allowedMetrics(t)
	for _, g := range alerts.Rules(alerts.Default()).Groups {
		for _, r := range g.Rules {
			names, err := metricNames(r.Expr)
			if err != nil || len(names) == 0 {
				t.Errorf("%s%s: %v (names %v)", r.Record, r.Alert, err, names)
			}
			for _, n := range names {
				if !allowed[n] {
					t.Errorf("%s%s uses undeclared %q", r.Record, r.Alert, n)
				}
			}
		}
	}
}

// TestRowsAnnotationsAndRunbooks checks what the dashboards offer beyond
// panels: every dashboard has rows and the three annotations (quality rating
// changes, template status events, config reloads); every alert has a panel
// linking its runbook section; cost is shown in currency units; peak hours
// are an hour-of-day by weekday heatmap.
func TestRowsAnnotationsAndRunbooks(t *testing.T) {
	c := alerts.Default()
	all := decodeAll(t, c)
	links := map[string]bool{}
	var costUnits []string
	peak := false
	for file, d := range all {
		rows := 0
		for _, p := range d.Panels {
			if p.Type == PanelRow {
				rows++
			}
			for _, l := range p.Links {
				links[l.URL] = true
			}
			if p.Title == "Estimated cost per day" {
				for _, o := range p.FieldConfig.Overrides {
					for _, pr := range o.Properties {
						if pr.ID == "unit" {
							costUnits = append(costUnits, fmt.Sprint(pr.Value))
						}
					}
				}
			}
			if strings.HasPrefix(p.Title, "Peak hours") {
				peak = p.Type == PanelHeatmap && len(p.Targets) == 1 &&
					strings.Contains(p.Targets[0].Expr, `count_values("weekday", day_of_week(`) &&
					strings.Contains(p.Targets[0].Expr, `count_values("hour", hour(`) &&
					len(p.Transformations) > 0 && p.Transformations[0].ID == "groupingToMatrix"
			}
		}
		if rows < 2 {
			t.Errorf("%s: %d rows", file, rows)
		}
		var names []string
		for _, a := range d.Annotations.List {
			names = append(names, a.Name)
			if !strings.Contains(a.Expr, c.Selector) || a.TitleFormat == "" {
				t.Errorf("%s: annotation %q: expr %q title %q", file, a.Name, a.Expr, a.TitleFormat)
			}
		}
		for _, want := range []string{"Quality rating changes", "Template status events", "Config reloads"} {
			if !slices.Contains(names, want) {
				t.Errorf("%s: no %q annotation (%v)", file, want, names)
			}
		}
	}
	for _, r := range alerts.Rules(c).Groups[1].Rules {
		if !links[c.RunbookURLFor(r.Alert)] {
			t.Errorf("no panel links the runbook of %s", r.Alert)
		}
	}
	if !slices.Contains(costUnits, "currencyUSD") || !slices.Contains(costUnits, "currencyEUR") {
		t.Errorf("cost panel units %v, want currency units", costUnits)
	}
	if !peak {
		t.Error("no peak hours heatmap by weekday and hour")
	}
}

// selectorRE is a metric selector: name and matchers.
var selectorRE = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}`)

// perProcess are the exporter metrics a process exports once, without a
// shard's partition label (or, for the lag, with the partition as its subject).
var perProcess = []string{"up", "waba_exporter_build_info", "waba_exporter_kafka_consumer_lag_records"}

// checkSelectors checks the selectors of a dashboard query and that it
// gives one picture of several exporters (Kafka members, whose shards'
// series carry partition). Every selector narrows by $job; every raw metric
// by $instance too, and a business recording rule (which aggregates
// instance away) not by it. On the business dashboards every raw metric is
// inside an aggregation that drops instance and partition; on the exporter
// health dashboard (per instance) every shard metric is inside one that
// drops partition.
func checkSelectors(expr string, health bool) error {
	for _, m := range selectorRE.FindAllStringSubmatchIndex(expr, -1) {
		name, matchers := expr[m[2]:m[3]], expr[m[4]:m[5]]
		if !strings.Contains(matchers, `job=~"$job"`) {
			return fmt.Errorf("%s does not select $job", name)
		}
		record := strings.Contains(name, ":")
		bizRecord := record && name != alerts.RecParseErrorsPerLine
		if inst := strings.Contains(matchers, instanceMatcher); inst == bizRecord {
			return fmt.Errorf("%s: selects $instance = %v, want %v (recording rules aggregate instance away)", name, inst, !bizRecord)
		}
		switch {
		case record || slices.Contains(perProcess, name) || strings.HasPrefix(name, "waba_exporter_forward_"):
		case health || strings.HasPrefix(name, "waba_exporter_"):
			if !aggregatedAway(expr, m[0], alerts.PartitionLabel) {
				return fmt.Errorf("%s is not aggregated without partition", name)
			}
		default:
			if !aggregatedAway(expr, m[0], "instance", alerts.PartitionLabel) {
				return fmt.Errorf("%s is not aggregated without instance and partition", name)
			}
		}
	}
	return nil
}

// aggRE is the prefix form of an aggregation ending at an opening
// parenthesis: `sum(`, `max by (a, b) (`, `sum without(a) (`.
var aggRE = regexp.MustCompile(`\b(?:sum|min|max|avg|count|group|topk|bottomk)\s*(?:(by|without)\s*\(([^)]*)\)\s*)?$`)

// aggregatedAway reports whether the selector at i lies inside an
// aggregation whose result has none of labels.
func aggregatedAway(expr string, i int, labels ...string) bool {
	depth := 0
	for j := i - 1; j >= 0; j-- {
		switch expr[j] {
		case ')':
			depth++
		case '(':
			if depth > 0 {
				depth--
				continue
			}
			m := aggRE.FindStringSubmatch(expr[:j])
			if m == nil {
				continue
			}
			if m[1] == "" {
				return true // sum(...): every label goes
			}
			var ls []string
			for _, l := range strings.Split(m[2], ",") {
				ls = append(ls, strings.TrimSpace(l))
			}
			ok := true
			for _, l := range labels {
				if (m[1] == "by") == slices.Contains(ls, l) {
					ok = false // by keeps it, or without misses it
				}
			}
			if ok {
				return true
			}
		}
	}
	return false
}
