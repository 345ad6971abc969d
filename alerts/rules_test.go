package alerts

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/waba-exporter/waba_exporter/internal/testutil"
)

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(testutil.Tool(t, name), args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestRulesFileUpToDate(t *testing.T) {
	want, err := RulesYAML(Rules(Default()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(RulesFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run `go generate ./alerts/` and commit the result", RulesFile)
	}
}

func TestPromtoolCheckRules(t *testing.T) {
	files := []string{RulesFile}
	// Other aggregate_without lists: none (one result per exporter) and the
	// Prometheus Operator's pod label besides the defaults.
	for i, agg := range [][]string{{}, {"instance", "pod", PartitionLabel}} {
		c := Default()
		c.AggregateWithout = agg
		b, err := RulesYAML(Rules(c))
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), fmt.Sprintf("rules-%d.yml", i))
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	out := run(t, "promtool", append([]string{"check", "rules"}, files...)...)
	if strings.Count(out, "SUCCESS") != len(files) {
		t.Fatalf("promtool check rules: %s", out)
	}
}

func TestPromtoolTestRules(t *testing.T) {
	files, err := filepath.Glob("tests/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule tests in tests/*.yaml (%v)", err)
	}
	out := run(t, "promtool", append([]string{"test", "rules"}, files...)...)
	if strings.Contains(out, "FAILED") {
		t.Fatalf("promtool test rules: %s", out)
	}
}

// ruleTestFile is the subset of promtool's unit test format this test reads.
type ruleTestFile struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		AlertRuleTests []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels      map[string]string `yaml:"exp_labels"`
				ExpAnnotations map[string]string `yaml:"exp_annotations"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// TestEveryAlertHasFiringAndQuietCases checks the promtool tests cover each
// alerting rule (name and severity) with a case where it fires, with its
// labels and all three annotations spelled out, and a case where it stays quiet.
func TestEveryAlertHasFiringAndQuietCases(t *testing.T) {
	files, _ := filepath.Glob("tests/*.yaml")
	fires := map[string]bool{} // alertname/severity
	quiet := map[string]bool{} // alertname
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tf ruleTestFile
		dec := yaml.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(&tf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !slices.Equal(tf.RuleFiles, []string{"../" + RulesFile}) {
			t.Errorf("%s: rule_files = %v, want the committed ../%s", f, tf.RuleFiles, RulesFile)
		}
		for _, tc := range tf.Tests {
			for _, at := range tc.AlertRuleTests {
				if len(at.ExpAlerts) == 0 {
					quiet[at.Alertname] = true
				}
				for _, ea := range at.ExpAlerts {
					for _, k := range []string{"summary", "description", "runbook_url"} {
						if ea.ExpAnnotations[k] == "" {
							t.Errorf("%s: %s case without exp_annotations.%s", f, at.Alertname, k)
						}
					}
					if ea.ExpLabels["severity"] == "" {
						t.Errorf("%s: %s case without exp_labels.severity", f, at.Alertname)
					}
					fires[at.Alertname+"/"+ea.ExpLabels["severity"]] = true
				}
			}
		}
	}
	for _, r := range Rules(Default()).Groups[1].Rules {
		if key := r.Alert + "/" + r.Labels["severity"]; !fires[key] {
			t.Errorf("no promtool case where %s fires", key)
		}
		if !quiet[r.Alert] {
			t.Errorf("no promtool case where %s stays quiet", r.Alert)
		}
	}
}

func TestAlertContract(t *testing.T) {
	rb, err := os.ReadFile("RUNBOOK.md")
	if err != nil {
		t.Fatal(err)
	}
	headings := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^## (\S+)\s*$`).FindAllStringSubmatch(string(rb), -1) {
		headings[strings.ToLower(m[1])] = true
	}
	c := Default()
	want := []string{
		AlertExporterDown, AlertExporterStateNotReady, AlertExporterTailStalled, AlertExporterParseErrorsHigh,
		AlertDeliveryRatioLow, AlertMessageFailuresHigh, AlertUnansweredCustomers, AlertOptOutRateHigh,
		AlertQuotaBurnTooFast, AlertQuotaNearlyUsed, AlertMessagingLimitNearlyUsed, AlertQualityRatingLow,
		AlertExporterSourceDown, AlertExporterConfigReloadFailed, AlertExporterCheckpointStale,
		AlertExporterPushFailing, AlertExporterLabelOverflow, AlertExporterStateEvictions,
		AlertWebhooksStopped, AlertAccountRestricted, AlertAccountDisabled,
		AlertExporterKafkaConsumerLag, AlertExporterForwarderStalled,
	}
	seen := map[string]bool{}
	for _, r := range Rules(c).Groups[1].Rules {
		seen[r.Alert] = true
		if !slices.Contains(want, r.Alert) {
			t.Errorf("alert %s is not in the list of alerts", r.Alert)
		}
		if !slices.Contains([]string{"critical", "warning", "info"}, r.Labels["severity"]) {
			t.Errorf("%s: severity %q", r.Alert, r.Labels["severity"])
		}
		for _, k := range []string{"summary", "description"} {
			if r.Annotations[k] == "" {
				t.Errorf("%s: no %s", r.Alert, k)
			}
		}
		url, anchor, _ := strings.Cut(r.Annotations["runbook_url"], "#")
		if url != c.RunbookURL || !headings[anchor] {
			t.Errorf("%s: runbook_url %q does not point at a RUNBOOK.md section", r.Alert, r.Annotations["runbook_url"])
		}
		if !strings.Contains(r.Expr, c.Selector) {
			t.Errorf("%s: expression does not use the selector", r.Alert)
		}
		gated := strings.Contains(r.Expr, "and on(job) min by(job) (waba_exporter_state_ready{"+c.Selector+"}) == 1")
		if stateful := !strings.HasPrefix(r.Alert, "WabaExporter"); gated != stateful {
			t.Errorf("%s: gated on state_ready = %v, want %v", r.Alert, gated, stateful)
		}
		if r.For == "" || r.For == "0s" {
			t.Errorf("%s: no for duration; a single bad scrape would page", r.Alert)
		}
	}
	for _, a := range want {
		if !seen[a] {
			t.Errorf("alert %s is missing", a)
		}
	}
}

// TestAggregateWithout builds the rules with more labels to aggregate away
// (the Prometheus Operator's pod) and checks the business rules wrap every
// selector of a raw metric in an aggregation without all of them, while the
// exporter alerts keep instance (they are about one process) and never
// aggregate a self-metric without also dropping partition.
func TestAggregateWithout(t *testing.T) {
	c := Default()
	c.AggregateWithout = []string{"instance", "pod", PartitionLabel}
	sel := regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\{`)
	agg := regexp.MustCompile(`(?:sum|max|min) without\(([^)]*)\)`)
	gate := c.ready()
	for _, g := range Rules(c).Groups {
		for _, r := range g.Rules {
			name := r.Record + r.Alert
			expr := strings.ReplaceAll(r.Expr, gate, "")
			// The spans of the arguments of the aggregations without every label.
			var spans [][2]int
			full, instance, partition := 0, false, true
			for _, m := range agg.FindAllStringSubmatchIndex(expr, -1) {
				ls := strings.Split(expr[m[2]:m[3]], ", ")
				if slices.Contains(ls, "instance") && slices.Contains(ls, "pod") && slices.Contains(ls, PartitionLabel) {
					full++
					spans = append(spans, [2]int{m[1], argEnd(expr, m[1])})
				}
				instance = instance || slices.Contains(ls, "instance")
				partition = partition && slices.Contains(ls, PartitionLabel)
			}
			raw := 0 // selectors of raw metrics outside those spans
			for _, m := range sel.FindAllStringSubmatchIndex(expr, -1) {
				if n := expr[m[2]:m[3]]; strings.Contains(n, ":") || n == "up" {
					continue
				}
				if !slices.ContainsFunc(spans, func(sp [2]int) bool { return sp[0] < m[0] && m[0] < sp[1] }) {
					raw++
				}
			}
			exporter := strings.HasPrefix(r.Alert, "WabaExporter") || r.Record == RecParseErrorsPerLine
			switch {
			case r.Alert == AlertExporterKafkaConsumerLag:
				if full != 1 {
					t.Errorf("%s: the lag is not summed over the group: %s", name, r.Expr)
				}
			case exporter && (instance || !partition):
				t.Errorf("%s: an exporter rule aggregates instance away or keeps partition: %s", name, r.Expr)
			case !exporter && raw > 0:
				t.Errorf("%s: %d raw selectors outside an aggregation without(instance, pod, partition): %s", name, raw, r.Expr)
			}
			if !strings.Contains(r.Expr, gate) && r.Alert != "" && !strings.HasPrefix(r.Alert, "WabaExporter") {
				t.Errorf("%s: not gated", name)
			}
		}
	}
	if err := (Config{AggregateWithout: []string{"job"}}).Validate(); err == nil {
		t.Error("aggregate_without: [job] accepted; the readiness gate matches on job")
	}
}

// argEnd returns the index after the parenthesised argument that starts at
// or after i (the closing parenthesis matching the first opening one).
func argEnd(s string, i int) int {
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return len(s)
}

func TestAmtoolCheckConfig(t *testing.T) {
	out := run(t, "amtool", "check-config", "alertmanager.example.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("amtool check-config: %s", out)
	}
}

// TestAlertmanagerRouting asks amtool which receivers the example routes
// alerts to: quota warnings reach billing, critical ones also page, and
// exporter health goes to ops.
func TestAlertmanagerRouting(t *testing.T) {
	for _, tc := range []struct {
		labels []string
		want   string
	}{
		{[]string{"alertname=WabaQuotaNearlyUsed", "severity=warning", "quota=monthly"}, "whatsapp-billing"},
		{[]string{"alertname=WabaQuotaNearlyUsed", "severity=critical", "quota=monthly"}, "pager,whatsapp-billing"},
		{[]string{"alertname=WabaQuotaBurnTooFast", "severity=warning", "quota=monthly"}, "whatsapp-billing"},
		{[]string{"alertname=WabaMessagingLimitNearlyReached", "severity=warning"}, "whatsapp-billing"},
		{[]string{"alertname=WabaDeliveryRatioLow", "severity=warning"}, "whatsapp-team"},
		{[]string{"alertname=WabaQualityRatingLow", "severity=critical"}, "pager,whatsapp-team"},
		{[]string{"alertname=WabaExporterDown", "severity=critical"}, "pager"},
		{[]string{"alertname=WabaExporterTailStalled", "severity=warning"}, "ops"},
		{[]string{"alertname=WabaMessagingLimitNearlyReached", "severity=warning", "portfolio=main"}, "whatsapp-billing"},
		{[]string{"alertname=WabaWebhooksStopped", "severity=critical"}, "pager,whatsapp-team"},
		{[]string{"alertname=WabaWebhooksStopped", "severity=warning", "phone_number_id=1111"}, "whatsapp-team"},
		{[]string{"alertname=WabaAccountRestricted", "severity=critical", "waba_id=1"}, "pager,whatsapp-team"},
		{[]string{"alertname=WabaAccountDisabled", "severity=critical", "waba_id=1"}, "pager,whatsapp-team"},
		{[]string{"alertname=WabaExporterCheckpointStale", "severity=warning"}, "ops"},
		{[]string{"alertname=WabaExporterStateEvictions", "severity=warning"}, "ops"},
		{[]string{"alertname=WabaExporterKafkaConsumerLag", "severity=warning", "topic=waba-webhooks"}, "ops"},
		{[]string{"alertname=WabaExporterForwarderStalled", "severity=critical"}, "pager"},
	} {
		args := append([]string{"config", "routes", "test", "--config.file=alertmanager.example.yml"}, tc.labels...)
		cmd := exec.Command(testutil.Tool(t, "amtool"), args...)
		out, err := cmd.Output() // stdout only: amtool warns on stderr
		if err != nil {
			t.Fatalf("amtool %v: %v", args, err)
		}
		if got := strings.TrimSpace(string(out)); got != tc.want {
			t.Errorf("%v routed to %q, want %q", tc.labels, got, tc.want)
		}
	}
}

func TestPromDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{90 * time.Second, "1m30s"},
		{5 * time.Minute, "5m"},
		{6 * time.Hour, "6h"},
		{25 * time.Hour, "1d1h"},
		{1500 * time.Millisecond, "1s500ms"},
	} {
		if got := promDuration(tc.d); got != tc.want {
			t.Errorf("promDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// TestWithFor checks the test override changes only the for durations.
func TestWithFor(t *testing.T) {
	def, short := Rules(Default()), Rules(Default().WithFor(2*time.Second))
	if !slices.EqualFunc(def.Groups[0].Rules, short.Groups[0].Rules, func(a, b Rule) bool { return a.Expr == b.Expr && a.Record == b.Record }) {
		t.Fatal("WithFor changed recording rules")
	}
	for i, r := range short.Groups[1].Rules {
		d := def.Groups[1].Rules[i]
		if r.For != "2s" {
			t.Errorf("%s: for %s, want 2s", r.Alert, r.For)
		}
		if r.Expr != d.Expr || d.For == "2s" {
			t.Errorf("%s: expression changed or default for is already short", r.Alert)
		}
	}
}

// TestSelectorEverywhere builds the rules with a custom selector and checks
// that every selector in every expression carries it and none the default:
// the selector comes from one place.
func TestSelectorEverywhere(t *testing.T) {
	custom := `job="whatsapp", namespace="prod"`
	braces := regexp.MustCompile(`\{([^}]*)\}`)
	for _, g := range Rules(Default().WithSelector(custom)).Groups {
		for _, r := range g.Rules {
			ms := braces.FindAllStringSubmatch(r.Expr, -1)
			if len(ms) == 0 {
				t.Errorf("%s%s: no selector in %q", r.Record, r.Alert, r.Expr)
			}
			for _, m := range ms {
				if strings.HasPrefix(m[1], "{") || strings.Contains(m[1], "$labels") {
					continue
				}
				if !strings.HasPrefix(m[1], custom) {
					t.Errorf("%s%s: selector {%s} does not start with the custom one", r.Record, r.Alert, m[1])
				}
				if strings.Contains(m[1], DefaultSelector) {
					t.Errorf("%s%s: selector {%s} still has the default", r.Record, r.Alert, m[1])
				}
			}
		}
	}
}

func TestValidateSelector(t *testing.T) {
	for _, tc := range []struct {
		sel string
		ok  bool
	}{
		{`job="waba-exporter"`, true},
		{`job="a", namespace=~"prod|stage"`, true},
		{`job!="x",instance!~"10\\..*"`, true},
		{`job="a,b"`, true},
		{`job="say \"hi\""`, true},
		{``, false},
		{`{job="x"}`, false},
		{`job=x`, false},
		{`job="x",`, false},
		{`job='x'`, false},
		{`1job="x"`, false},
		{`job=="x"`, false},
	} {
		err := ValidateSelector(tc.sel)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateSelector(%q) = %v, want ok=%v", tc.sel, err, tc.ok)
		}
	}
}

// TestParseConfig checks the YAML form of Config: keys override the
// defaults, the rest is kept, Prometheus durations parse, and mistakes are
// errors naming the key (and the line for unknown keys).
func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte("selector: 'job=\"whatsapp\"'\nquota_warning: 0.7\nwebhooks_stopped_after: 2h\nphone_number_active_window: 1d\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := Default()
	if c.Selector != `job="whatsapp"` || c.QuotaWarning != 0.7 || time.Duration(c.WebhooksStoppedAfter) != 2*time.Hour ||
		time.Duration(c.PhoneNumberActiveWindow) != 24*time.Hour || c.QuotaCritical != d.QuotaCritical || c.RunbookURL != d.RunbookURL {
		t.Errorf("parsed %+v", c)
	}
	// A list replaces the default one; an empty one keeps every label.
	for in, want := range map[string][]string{
		"aggregate_without: [instance, pod, partition]\n": {"instance", "pod", "partition"},
		"aggregate_without: []\n":                         {},
		"quota_warning: 0.7\n":                            {"instance", "partition"},
	} {
		c, err := ParseConfig([]byte(in))
		if err != nil || !slices.Equal(c.AggregateWithout, want) {
			t.Errorf("ParseConfig(%q): aggregate_without %q, %v; want %q", in, c.AggregateWithout, err, want)
		}
	}
	if c, err := ParseConfig(nil); err != nil || c.Selector != DefaultSelector {
		t.Errorf("empty file: %v, selector %q", err, c.Selector)
	}
	for _, tc := range []struct{ in, want string }{
		{"quota_warning: 0.5\nselectr: 'job=\"x\"'\n", `line 2: unknown key "selectr"`},
		{"quota_warning: 0.8\nquota_critical: 1.5\n", "quota_critical: 1.5 is not a ratio"},
		{"selector: 'job=x'\n", "selector:"},
		{"exporter_down_for: 0s\n", "*_for duration must be positive"},
		{"quality_for: soon\n", `line 1: quality_for: not a valid duration string: "soon"`},
		{"quantiles: 0.5\n", "line 1: quantiles:"},
		{"- a\n", "line 1: want a mapping"},
		{"aggregate_without: [instance, job]\n", `aggregate_without: "job" is not a label name`},
		{"aggregate_without: [\"in stance\"]\n", `aggregate_without: "in stance"`},
		{"kafka_consumer_lag_max: 0\n", "kafka_consumer_lag_max: 0 must be positive"},
	} {
		if _, err := ParseConfig([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseConfig(%q) = %v, want an error with %q", tc.in, err, tc.want)
		}
	}
}

// TestConfigRoundTrip checks that a marshalled Config reads back equal (the
// end-to-end test writes one for `generate --config`).
func TestConfigRoundTrip(t *testing.T) {
	in := Default().WithFor(2 * time.Second).WithSelector(`job="x"`)
	b, err := yaml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseConfig(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	a, _ := RulesYAML(Rules(in))
	o, _ := RulesYAML(Rules(out))
	if !bytes.Equal(a, o) {
		t.Errorf("rules differ after a YAML round trip:\n%s", b)
	}
}
