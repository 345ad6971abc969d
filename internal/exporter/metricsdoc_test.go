package exporter

// The metric reference docs/metrics.md is generated from the descriptors the Collector
// declares (allDescs: name, help, labels) and from this package's source (the type: which
// of counter, gauge, histogram emits each descriptor). Regenerate it after adding or
// changing a metric with
//
//	go test ./internal/exporter -run TestMetricsDoc -update
//
// and TestMetricsDocUpToDate fails while the committed file differs.

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
	"github.com/waba-exporter/waba_exporter/webhook"
)

const metricsDocPath = "../../docs/metrics.md"

// docMetric is one row of the reference.
type docMetric struct {
	name, typ, help string
	labels          []string
}

var descString = regexp.MustCompile(`^Desc\{fqName: ("(?:[^"\\]|\\.)*"), help: ("(?:[^"\\]|\\.)*"), .*variableLabels: \{([^}]*)\}\}$`)

// declaredMetrics reads the name, help and labels of every declared descriptor, and the
// type from the emitting call found in the package's source.
func declaredMetrics(t *testing.T) []docMetric {
	t.Helper()
	types := emittedTypes(t)
	var out []docMetric
	for _, d := range allDescs {
		m := descString.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("cannot read descriptor %s", d)
		}
		name, err1 := strconv.Unquote(m[1])
		help, err2 := strconv.Unquote(m[2])
		if err1 != nil || err2 != nil {
			t.Fatalf("cannot read descriptor %s", d)
		}
		var labels []string
		for _, l := range strings.Split(m[3], ",") {
			if l = strings.TrimSuffix(strings.TrimPrefix(l, "c("), ")"); l != "" {
				labels = append(labels, l)
			}
		}
		typ := types[name]
		if typ == "" {
			t.Errorf("%s: no counter(), gauge() or histogram() call emits it in package exporter: the reference cannot tell its type", name)
		}
		out = append(out, docMetric{name: name, typ: typ, help: help, labels: labels})
	}
	return out
}

// emittedTypes maps metric names to types by reading the package's source: descriptor
// variables (x = desc("name", ...) or prometheus.NewDesc("name", ...)) and the calls
// that emit them (counter(ch, x, ...), gauge(ch, x, ...), histogram(ch, x, ...), or
// prometheus.MustNewConstMetric(x, prometheus.CounterValue|GaugeValue, ...)).
func emittedTypes(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	varName := map[string]string{} // variable -> metric name
	varType := map[string]string{} // variable -> type
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				for i, id := range n.Names {
					if i < len(n.Values) {
						if name := descName(n.Values[i]); name != "" {
							varName[id.Name] = name
						}
					}
				}
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					if id, ok := lhs.(*ast.Ident); ok && i < len(n.Rhs) {
						if name := descName(n.Rhs[i]); name != "" {
							varName[id.Name] = name
						}
					}
				}
			case *ast.CallExpr:
				if v, typ := emitCall(n); v != "" {
					varType[v] = typ
				}
			}
			return true
		})
	}
	out := map[string]string{}
	for v, name := range varName {
		if typ := varType[v]; typ != "" {
			out[name] = typ
		}
	}
	return out
}

func funcName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	}
	return ""
}

func descName(e ast.Expr) string {
	call, ok := e.(*ast.CallExpr)
	if !ok || len(call.Args) == 0 {
		return ""
	}
	if fn := funcName(call.Fun); fn != "desc" && fn != "NewDesc" {
		return ""
	}
	lit, ok := call.Args[0].(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return ""
	}
	s, _ := strconv.Unquote(lit.Value)
	return s
}

func emitCall(call *ast.CallExpr) (variable, typ string) {
	ident := func(i int) string {
		if i < len(call.Args) {
			if id, ok := call.Args[i].(*ast.Ident); ok {
				return id.Name
			}
		}
		return ""
	}
	switch funcName(call.Fun) {
	case "counter":
		return ident(1), "counter"
	case "gauge":
		return ident(1), "gauge"
	case "histogram":
		return ident(1), "histogram"
	case "MustNewConstHistogram", "NewConstHistogram":
		return ident(0), "histogram"
	case "MustNewConstMetric", "NewConstMetric":
		if len(call.Args) > 1 {
			switch funcName(call.Args[1]) {
			case "CounterValue":
				return ident(0), "counter"
			case "GaugeValue":
				return ident(0), "gauge"
			}
		}
	}
	return "", ""
}

// docSection is a section of the reference; the numbers are stable, so that comments
// can cite "docs/metrics.md section 7".
type docSection struct {
	num   int
	title string
	intro string
	match func(name string) bool
}

func prefixes(ps ...string) func(string) bool {
	return func(name string) bool {
		for _, p := range ps {
			if strings.HasPrefix(name, p) {
				return true
			}
		}
		return false
	}
}

var docSections = []docSection{
	{1, "Messages", "Every message counted once per message id, by direction, status and pricing category.",
		prefixes("waba_inbound_messages_total", "waba_outbound_messages_total", "waba_outbound_message_status_total")},
	{2, "Status transition latency", "Histograms of event-time latencies between the statuses of one message.",
		prefixes("waba_outbound_sent_to_delivered", "waba_outbound_delivered_to_read")},
	{3, "Failures", "Failed messages by error code (capped) and webhook-level errors.",
		prefixes("waba_outbound_messages_failed_total", "waba_webhook_errors_total")},
	{4, "Responsiveness", "How fast the business answers its customers (docs/spec.md section 4.6).",
		prefixes("waba_first_response", "waba_response_", "waba_unanswered", "waba_oldest_unanswered")},
	{5, "Customer reply-rate inputs", "The reply rate is a recording rule over these two counters (docs/spec.md section 4.6).",
		prefixes("waba_reply_eligible", "waba_customer_replies")},
	{6, "Opt-outs", "Opt-out and opt-in signals by source (docs/spec.md section 4.7).",
		prefixes("waba_opt_", "waba_opted_out_customers")},
	{7, "Conversations and 24h service windows", "Conversations (reported, else inferred), customer service windows and active customers (docs/spec.md sections 4.1-4.3).",
		prefixes("waba_conversations_", "waba_free_entry_point_windows", "waba_service_windows_", "waba_active_customers")},
	{8, "Quotas", "The configured quotas and their use in the current period (docs/spec.md section 4.8).",
		prefixes("waba_quota_")},
	{9, "Phone numbers, messaging limit and quality", "Business-initiated unique recipients against the messaging limit, quality ratings and template events (docs/spec.md section 4.8).",
		prefixes("waba_business_initiated", "waba_portfolio_", "waba_messaging_limit", "waba_phone_number_", "waba_template_")},
	{10, "Exporter self-metrics", "The exporter's own health: inputs, parsing, state, checkpoints, reloads and pushes.",
		prefixes("waba_exporter_")},
	{12, "Pricing and cost", "Priced messages by pricing class, the estimated cost from the configured rate card, and disagreements between reported and inferred pricing (docs/spec.md sections 4.3, 4.4).",
		prefixes("waba_outbound_messages_priced", "waba_estimated_cost", "waba_pricing_", "waba_billing_")},
	{13, "Account health", "Account-level events and status.",
		prefixes("waba_account_")},
	{14, "Campaigns and A/B tests", "Per-campaign and per-variant funnels, replies, button clicks, opt-outs, read latency and attributed conversions, from `biz_opaque_callback_data` and conversion lines (docs/conversions.md); campaign and variant labels are capped and expire (config `campaigns:`).",
		prefixes("waba_campaign_")},
	{99, "Other metrics", "Metrics not yet filed in a section (add a prefix to docSections in internal/exporter/metricsdoc_test.go).",
		func(string) bool { return true }},
}

// labelDoc describes a label; values, when not nil, lists its closed vocabulary.
type labelDoc struct {
	meaning string
	values  func() []string
}

func names[T fmt.Stringer](xs []T) func() []string {
	return func() []string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = x.String()
		}
		return out
	}
}

func fixed(xs ...string) func() []string { return func() []string { return xs } }

var docLabels = map[string]labelDoc{
	"phone_number_id":      {"The business phone number (Meta's `metadata.phone_number_id` or the provider's equivalent); never a customer's number.", nil},
	"category":             {"Pricing category of the message or conversation.", names(labelCategories)},
	"status":               {"Status reached for the first time.", fixed(funnelNames[:]...)},
	"message_type":         {"Type of the inbound message.", messageTypes},
	"error_code":           {"Error code reported by the provider, capped in number (beyond the cap: `other`); `none` when a failure has no code.", nil},
	"attribution":          {"How a reply was attributed: by the `context` id it quotes, or by time `window`.", fixed(attributionNames[:]...)},
	"source":               {"Where an opt-out or opt-in signal came from.", fixed(sourceNames[:]...)},
	"window":               {"Trailing window of event time.", fixed(activeWindowNames[:]...)},
	"quota":                {"Name of a configured quota.", nil},
	"portfolio":            {"Name of a configured portfolio (numbers sharing one messaging limit).", nil},
	"rating":               {"Quality rating, as a state set (1 for the current rating, 0 for the others).", names(ratings)},
	"event":                {"Event name of the account-level webhook, lower case.", nil},
	"pricing_type":         {"Pricing class of a delivered message.", pricingTypes},
	"country":              {"Customer country (ISO 3166-1 alpha-2, lower case), when `labels.country_enabled`; capped in number (beyond the cap: `other`), `unknown` when it cannot be told.", nil},
	"currency":             {"Currency (ISO 4217): of the rate card, or of a conversion line.", nil},
	"campaign":             {"Campaign read from `biz_opaque_callback_data` (config `campaigns:`): at most 64 printable bytes, capped in number (beyond the cap or outside the allowlist: `other`); `none` for unattributed conversions.", nil},
	"variant":              {"Variant of the campaign (A/B test arm); `none` when the tag names no variant, or for unattributed conversions; capped per campaign (beyond: `other`).", nil},
	"name":                 {"Conversion name as the business writes it (e.g. `purchase`, `signup`), capped in number (beyond: `other`).", nil},
	"field":                {"Webhook change field, or the field a reported and an inferred value disagree on.", nil},
	"logfile":              {"A configured input path or glob, as given.", nil},
	"reason":               {"Why a line or part of a line was rejected, or why a state entry was evicted.", nil},
	"kind":                 {"What kind of event or state entry.", nil},
	"label":                {"The label whose values overflowed their cap.", nil},
	"url":                  {"A push URL, as configured.", nil},
	"waba_id":              {"The business's own WhatsApp Business Account id (`entry[].id`), capped in number.", nil},
	"display_phone_number": {"The business's own display phone number (never a customer's); empty until a webhook shows it.", nil},
}

func messageTypes() []string {
	var out []string
	for mt := model.MessageTypeText; mt < model.NumMessageType; mt++ {
		out = append(out, mt.String())
	}
	return out
}

func pricingTypes() []string {
	var out []string
	for pt := model.PricingTypeRegular; pt < model.NumPricingType; pt++ {
		out = append(out, pt.String())
	}
	return out
}

// metricsDoc renders the reference.
func metricsDoc(t *testing.T) []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Metrics\n\n")
	p("<!-- Generated from the exporter's descriptors by `go test ./internal/exporter -run TestMetricsDoc -update`; do not edit. -->\n\n")
	p("Every metric `waba_exporter` serves on `/metrics`, generated from the descriptors the\n")
	p("exporter declares (`internal/exporter/metrics.go`). The rules behind the numbers are in\n")
	p("[`spec.md`](spec.md). Besides these, the process serves the usual `go_*`, `process_*` and\n")
	p("`promhttp_*` metrics (off with `--web.disable-exporter-metrics`) and\n")
	p("`waba_exporter_build_info`.\n\n")
	p("Ground rules:\n\n")
	p("* Everything is in event time (the webhooks' own timestamps); gauges derived from the\n")
	p("  state are computed at scrape, at \"now\" = the later of the event-time watermark and the\n")
	p("  wall clock (`replay`: the watermark).\n")
	p("* Counters start at zero with the process, unless a checkpoint restores them; known label\n")
	p("  grids (categories x statuses, sources, reasons) are emitted at 0 from the first sight\n")
	p("  of a phone number or logfile, so no series appears late.\n")
	p("* Labels are bounded: capped vocabularies fold the excess into `other`. There is never a\n")
	p("  customer number, message id, conversation id or message text in a label.\n")
	p("* Ratios, rates and burn projections are recording rules (`alerts/rules.yml`), not\n")
	p("  exporter output.\n")
	p("* Kafka mode (`run --kafka.*`) adds a `partition` label to every series of a shard, and\n")
	p("  the `forward` command and the consumer members serve their own self-metrics\n")
	p("  (`waba_exporter_forward_*`, `waba_exporter_kafka_*`): see [`scale-out.md`](scale-out.md).\n\n")

	ms := declaredMetrics(t)
	bySection := map[int][]docMetric{}
	for _, m := range ms {
		for _, s := range docSections {
			if s.match(m.name) {
				bySection[s.num] = append(bySection[s.num], m)
				break
			}
		}
	}
	used := map[string]bool{}
	for _, s := range docSections {
		rows := bySection[s.num]
		if len(rows) == 0 {
			continue
		}
		if s.num == 99 {
			p("## %s\n\n%s\n\n", s.title, s.intro)
		} else {
			p("## %d. %s\n\n%s\n\n", s.num, s.title, s.intro)
		}
		p("| metric | type | labels | meaning |\n|---|---|---|---|\n")
		for _, m := range rows {
			ls := make([]string, len(m.labels))
			for i, l := range m.labels {
				ls[i] = "`" + l + "`"
				used[l] = true
			}
			p("| `%s` | %s | %s | %s |\n", m.name, m.typ, strings.Join(ls, ", "), strings.ReplaceAll(m.help, "|", `\|`))
		}
		p("\n")
	}
	p("## Labels\n\n| label | meaning | values |\n|---|---|---|\n")
	var labels []string
	for l := range used {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		d, ok := docLabels[l]
		if !ok {
			t.Errorf("label %s has no entry in docLabels (internal/exporter/metricsdoc_test.go)", l)
		}
		vals := ""
		if d.values != nil {
			// values() may return a package's own vocabulary array: quote into a copy.
			vs := d.values()
			quoted := make([]string, len(vs))
			for i, v := range vs {
				quoted[i] = "`" + v + "`"
			}
			vals = strings.Join(quoted, ", ")
		}
		p("| `%s` | %s | %s |\n", l, d.meaning, vals)
	}
	p("\nThe `reason` values of `waba_exporter_parse_errors_total`: %s. The `field` values of\n", codeList(reasons()))
	p("`waba_exporter_events_total` (others appear as they come): %s.\n", codeList(webhook.Fields()))
	return b.Bytes()
}

func reasons() []string {
	var out []string
	for _, r := range webhook.Reasons() {
		out = append(out, r.String())
	}
	return out
}

func codeList(xs []string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = "`" + x + "`"
	}
	return strings.Join(out, ", ")
}

// TestMetricsDocUpToDate fails when docs/metrics.md differs from what the descriptors
// give (regenerate: go test ./internal/exporter -run TestMetricsDoc -update).
func TestMetricsDocUpToDate(t *testing.T) {
	got := metricsDoc(t)
	if *update {
		if err := os.WriteFile(metricsDocPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(metricsDocPath)
	if err != nil {
		t.Fatalf("%v (generate it: go test ./internal/exporter -run TestMetricsDoc -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: regenerate it with go test ./internal/exporter -run TestMetricsDoc -update\n%s", metricsDocPath, lineDiff(string(want), string(got)))
	}
}

// TestMetricsDocCoversEveryMetric: every declared metric has a type, a section of its
// own (not "Other") and documented labels, and the reference names each one.
func TestMetricsDocCoversEveryMetric(t *testing.T) {
	doc := string(metricsDoc(t))
	for _, m := range declaredMetrics(t) {
		if !strings.Contains(doc, "| `"+m.name+"` | "+m.typ+" |") {
			t.Errorf("%s (%s) is not in the reference", m.name, m.typ)
		}
		for _, s := range docSections {
			if s.match(m.name) {
				if s.num == 99 {
					t.Errorf("%s: no section (add its prefix to docSections)", m.name)
				}
				break
			}
		}
	}
	if !strings.Contains(doc, "| `waba_outbound_message_status_total` | counter | `phone_number_id`, `category`, `status` |") ||
		!strings.Contains(doc, "| `waba_response_duration_seconds` | histogram |") || !strings.Contains(doc, "| `waba_quota_used` | gauge |") {
		t.Error("the reference misreads types or labels")
	}
}

// contractDoc is the external metric contract, beside the checkout as ../shared (CI has
// it; a clone from a forge does not, so only the quick suite may run without it).
const contractDoc = "../../../shared/METRICS.md"

// TestMetricsMatchContract: every metric the contract's tables name is declared with the
// same type, and every declared metric is in the contract: names and types stay exact.
func TestMetricsMatchContract(t *testing.T) {
	contract, err := os.ReadFile(contractDoc)
	if err != nil {
		if testing.Short() {
			t.Skipf("-short and no metric contract at %s: %v", contractDoc, err)
		}
		t.Fatalf("reading the metric contract: %v (../shared must be beside the checkout)", err)
	}
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_:][a-z0-9_:]*)`(?: \\(optional\\))? \\| ([a-z]+)")
	types := func(b []byte) map[string]string {
		out := map[string]string{}
		for _, m := range row.FindAllStringSubmatch(string(b), -1) {
			if strings.HasPrefix(m[1], "waba_") && m[1] != "waba_exporter_build_info" { // label rows; build_info comes from client_golang's version collector
				out[m[1]] = m[2]
			}
		}
		return out
	}
	want, got := types(contract), types(doc)
	if len(want) < 50 {
		t.Fatalf("only %d metrics found in %s: did its table format change?", len(want), contractDoc)
	}
	for name, typ := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s (%s) is in the contract but not declared by the exporter", name, typ)
		} else if g != typ {
			t.Errorf("%s is a %s in the contract, the exporter declares a %s", name, typ, g)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok && !beyondContract[name] {
			t.Errorf("%s is declared by the exporter but not in the contract", name)
		}
	}
}

// beyondContract are self-metrics that issues newer than the contract file named (an
// issue wins over the contract where they differ).
var beyondContract = map[string]bool{
	"waba_exporter_dropped_events_total":              true, // reliability: nothing dropped without a metric
	"waba_exporter_lines_lost_total":                  true, // reliability: rotated_unread
	"waba_exporter_checkpoint_failures_total":         true, // reliability: failed checkpoint writes
	"waba_exporter_checkpoint_restore_failures_total": true, // reliability: unusable checkpoints at start
	"waba_exporter_campaign_tags_refused_total":       true, // campaigns: tags refused, counted
}
