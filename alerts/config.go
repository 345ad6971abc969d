// Package alerts generates the Prometheus recording and alerting rules of
// waba_exporter, and holds the single mixin Config: the selector, the
// thresholds and the `for` durations that both the rules (rules.yml) and the
// Grafana dashboards (package dashboards) are built from.
//
// The committed alerts/rules.yml is the output of Rules(Default()) rendered
// by RulesYAML; a test fails when the file is stale (regenerate with
// `go generate ./alerts/`). Users change the selector or a threshold without
// Go: `waba_exporter generate rules --selector='job="x"' --out DIR`, or the
// same keys in a YAML file given with --config (see LoadConfig). The runbook
// for every alert is alerts/RUNBOOK.md; every alert's runbook_url points at
// the section of its name.
package alerts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// DefaultSelector is the selector of the shipped rules and dashboards. It is
// the job name the shipped Kubernetes Service produces through its
// ServiceMonitor (a Service name cannot hold an underscore), and the
// job_name the README's and RUNBOOK's scrape configs use.
const DefaultSelector = `job="waba-exporter"`

// Config is the one place for the selector, thresholds and `for` durations
// (the monitoring mixins' _config). Ratios are fractions (0.9 = 90%).
// Durations are Prometheus durations in YAML ("5m", "1d").
type Config struct {
	// Selector selects the exporter's series in every rule and dashboard
	// query, and the jobs offered by the dashboards' job variable. It is a
	// label matcher list without braces, e.g. `job="waba-exporter"` or
	// `job="waba-exporter", namespace="whatsapp"`.
	Selector string `yaml:"selector"`
	// RunbookURL is the base URL of RUNBOOK.md; an alert's runbook_url is
	// RunbookURL + "#" + lower-case alert name (the GitHub heading anchor).
	RunbookURL string `yaml:"runbook_url"`
	// AggregateWithout names the labels that tell apart the processes of one
	// deployment and that every business rule and dashboard query aggregates
	// away (`sum`, `max` or `min without(...)`): instance, and the partition
	// label every series of a Kafka consumer member carries (a partition that
	// moves ends a series on one member and starts one on another). Add the
	// per-pod labels your scrape adds (the Prometheus Operator's pod, say) so
	// that several members give one picture. Empty keeps every label: one
	// result per exporter. job is never aggregated away (the readiness gate
	// matches on it).
	AggregateWithout []string `yaml:"aggregate_without"`

	// Quantiles recorded for every latency histogram.
	Quantiles []float64 `yaml:"quantiles"`
	// QuantileRateWindow is the rate() window of the quantile rules.
	QuantileRateWindow model.Duration `yaml:"quantile_rate_window"`
	// QuotaProjectionWindow is the rate() window of the quota projection.
	QuotaProjectionWindow model.Duration `yaml:"quota_projection_window"`

	// ExporterDownFor: up == 0 (or no target at all) for this long.
	ExporterDownFor model.Duration `yaml:"exporter_down_for"`
	// StateNotReadyFor: waba_exporter_state_ready == 0 for this long.
	StateNotReadyFor model.Duration `yaml:"state_not_ready_for"`
	// TailStalledAfter: bytes are waiting (tail lag > 0) and nothing was
	// read for longer than this.
	TailStalledAfter model.Duration `yaml:"tail_stalled_after"`
	TailStalledFor   model.Duration `yaml:"tail_stalled_for"`
	// ParseErrorRatioMax: share of lines that fail to parse (5m rate).
	ParseErrorRatioMax float64        `yaml:"parse_error_ratio_max"`
	ParseErrorsFor     model.Duration `yaml:"parse_errors_for"`

	// WebhooksStoppedAfter: the whole job has seen no webhook event
	// (event-time watermark) for this long.
	WebhooksStoppedAfter model.Duration `yaml:"webhooks_stopped_after"`
	// PhoneNumberStoppedAfter: a business number that had events in the
	// last PhoneNumberActiveWindow has had none for this long.
	PhoneNumberStoppedAfter model.Duration `yaml:"phone_number_stopped_after"`
	PhoneNumberActiveWindow model.Duration `yaml:"phone_number_active_window"`
	WebhooksStoppedFor      model.Duration `yaml:"webhooks_stopped_for"`
	// SourceDownFor: an input path is missing or unreadable this long.
	SourceDownFor model.Duration `yaml:"source_down_for"`
	// ConfigReloadFailedFor: the last configuration reload failed this long ago.
	ConfigReloadFailedFor model.Duration `yaml:"config_reload_failed_for"`
	// CheckpointMaxAge: the last successful checkpoint may be this old.
	CheckpointMaxAge   model.Duration `yaml:"checkpoint_max_age"`
	CheckpointStaleFor model.Duration `yaml:"checkpoint_stale_for"`
	// PushFailingFor: pushes to a URL failed in every 5 minutes for this long.
	PushFailingFor model.Duration `yaml:"push_failing_for"`
	// LabelOverflowFor: label values were folded into "other" in every
	// 15 minutes for this long.
	LabelOverflowFor model.Duration `yaml:"label_overflow_for"`
	// KafkaConsumerLagMax: records of a consumer group not applied yet,
	// summed over its partitions and members, alerting above for
	// KafkaConsumerLagFor (a rebuild after a move is shorter than that).
	KafkaConsumerLagMax float64        `yaml:"kafka_consumer_lag_max"`
	KafkaConsumerLagFor model.Duration `yaml:"kafka_consumer_lag_for"`
	// ForwarderStalledAfter: a forwarder holds unacknowledged records or reads
	// lines, and the broker acknowledged nothing for longer than this.
	ForwarderStalledAfter model.Duration `yaml:"forwarder_stalled_after"`
	ForwarderStalledFor   model.Duration `yaml:"forwarder_stalled_for"`
	// StateEvictionsFor: state entries were evicted for capacity (not TTL)
	// in every 15 minutes for this long.
	StateEvictionsFor model.Duration `yaml:"state_evictions_for"`

	// DeliveryRatioMin: delivered/sent over 1h, alerting below, for numbers
	// that sent at least DeliveryMinSentPerHour messages in the hour.
	DeliveryRatioMin       float64        `yaml:"delivery_ratio_min"`
	DeliveryMinSentPerHour float64        `yaml:"delivery_min_sent_per_hour"`
	DeliveryFor            model.Duration `yaml:"delivery_for"`
	// FailureRatioMax: failed/outbound over 1h per number and category,
	// for at least FailureMinMessagesPerHour outbound messages.
	FailureRatioMax           float64        `yaml:"failure_ratio_max"`
	FailureMinMessagesPerHour float64        `yaml:"failure_min_messages_per_hour"`
	FailuresFor               model.Duration `yaml:"failures_for"`

	// UnansweredMaxWait: the oldest unanswered inbound message (event time)
	// may wait this long.
	UnansweredMaxWait model.Duration `yaml:"unanswered_max_wait"`
	UnansweredFor     model.Duration `yaml:"unanswered_for"`
	// OptOutRatioMax: customers newly opted out per delivered message over
	// 1d, for at least OptOutMinDeliveredPerDay delivered messages.
	OptOutRatioMax           float64        `yaml:"opt_out_ratio_max"`
	OptOutMinDeliveredPerDay float64        `yaml:"opt_out_min_delivered_per_day"`
	OptOutFor                model.Duration `yaml:"opt_out_for"`

	// QuotaBurnMax: share of quota used divided by share of period elapsed.
	// The burn alert needs this and the projection (used + current rate ×
	// time left) above the limit.
	QuotaBurnMax float64        `yaml:"quota_burn_max"`
	QuotaBurnFor model.Duration `yaml:"quota_burn_for"`
	// QuotaWarning / QuotaCritical: share of the quota used.
	QuotaWarning  float64        `yaml:"quota_warning"`
	QuotaCritical float64        `yaml:"quota_critical"`
	QuotaUsedFor  model.Duration `yaml:"quota_used_for"`
	// MessagingLimitWarning: 24h unique recipients / messaging limit, per
	// number and per portfolio.
	MessagingLimitWarning float64        `yaml:"messaging_limit_warning"`
	MessagingLimitFor     model.Duration `yaml:"messaging_limit_for"`
	// QualityFor: a yellow (warning) or red (critical) rating for this long.
	QualityFor model.Duration `yaml:"quality_for"`
	// AccountStatusFor: a restricted or disabled account for this long.
	AccountStatusFor model.Duration `yaml:"account_status_for"`

	// CampaignControlVariant is the variant every other variant of a campaign is
	// compared with by the z-score rules; keep it equal to the exporter's
	// campaigns.control_variant.
	CampaignControlVariant string `yaml:"campaign_control_variant"`
}

func md(d time.Duration) model.Duration { return model.Duration(d) }

// Default is the production configuration committed as rules.yml and used
// by the committed dashboards and the deploy/kubernetes objects.
func Default() Config {
	return Config{
		Selector:               DefaultSelector,
		RunbookURL:             "https://github.com/waba-exporter/waba_exporter/blob/main/alerts/RUNBOOK.md",
		AggregateWithout:       []string{"instance", PartitionLabel},
		Quantiles:              []float64{0.5, 0.9, 0.99},
		QuantileRateWindow:     md(5 * time.Minute),
		CampaignControlVariant: "A",
		QuotaProjectionWindow:  md(6 * time.Hour),

		ExporterDownFor:    md(5 * time.Minute),
		StateNotReadyFor:   md(15 * time.Minute),
		TailStalledAfter:   md(5 * time.Minute),
		TailStalledFor:     md(5 * time.Minute),
		ParseErrorRatioMax: 0.01,
		ParseErrorsFor:     md(15 * time.Minute),

		WebhooksStoppedAfter:    md(time.Hour),
		PhoneNumberStoppedAfter: md(3 * time.Hour),
		PhoneNumberActiveWindow: md(24 * time.Hour),
		WebhooksStoppedFor:      md(5 * time.Minute),
		SourceDownFor:           md(5 * time.Minute),
		ConfigReloadFailedFor:   md(5 * time.Minute),
		CheckpointMaxAge:        md(15 * time.Minute),
		CheckpointStaleFor:      md(5 * time.Minute),
		PushFailingFor:          md(15 * time.Minute),
		LabelOverflowFor:        md(30 * time.Minute),
		StateEvictionsFor:       md(15 * time.Minute),
		KafkaConsumerLagMax:     10000,
		KafkaConsumerLagFor:     md(15 * time.Minute),
		ForwarderStalledAfter:   md(5 * time.Minute),
		ForwarderStalledFor:     md(5 * time.Minute),

		DeliveryRatioMin:          0.9,
		DeliveryMinSentPerHour:    100,
		DeliveryFor:               md(15 * time.Minute),
		FailureRatioMax:           0.05,
		FailureMinMessagesPerHour: 100,
		FailuresFor:               md(15 * time.Minute),

		UnansweredMaxWait:        md(time.Hour),
		UnansweredFor:            md(10 * time.Minute),
		OptOutRatioMax:           0.02,
		OptOutMinDeliveredPerDay: 500,
		OptOutFor:                md(time.Hour),

		QuotaBurnMax:          1.2,
		QuotaBurnFor:          md(30 * time.Minute),
		QuotaWarning:          0.8,
		QuotaCritical:         0.95,
		QuotaUsedFor:          md(5 * time.Minute),
		MessagingLimitWarning: 0.8,
		MessagingLimitFor:     md(15 * time.Minute),
		QualityFor:            md(5 * time.Minute),
		AccountStatusFor:      md(5 * time.Minute),
	}
}

// forDurations lists every alert `for` duration of c.
func (c *Config) forDurations() []*model.Duration {
	return []*model.Duration{
		&c.ExporterDownFor, &c.StateNotReadyFor, &c.TailStalledFor, &c.ParseErrorsFor,
		&c.WebhooksStoppedFor, &c.SourceDownFor, &c.ConfigReloadFailedFor, &c.CheckpointStaleFor,
		&c.PushFailingFor, &c.LabelOverflowFor, &c.StateEvictionsFor, &c.KafkaConsumerLagFor, &c.ForwarderStalledFor,
		&c.DeliveryFor, &c.FailuresFor, &c.UnansweredFor, &c.OptOutFor,
		&c.QuotaBurnFor, &c.QuotaUsedFor, &c.MessagingLimitFor, &c.QualityFor, &c.AccountStatusFor,
	}
}

// WithFor returns a copy of c in which every alert `for` duration is d.
// Only tests use it (the end-to-end test cannot wait 5 minutes); the
// expressions and thresholds stay those of c.
func (c Config) WithFor(d time.Duration) Config {
	for _, p := range c.forDurations() {
		*p = md(d)
	}
	return c
}

// WithSelector returns a copy of c with another selector.
func (c Config) WithSelector(s string) Config {
	c.Selector = s
	return c
}

// Sel returns a selector body: the selector followed by extra matchers,
// e.g. Sel(`status="sent"`) = `job="waba-exporter", status="sent"`.
func (c Config) Sel(extra ...string) string {
	return strings.Join(append([]string{c.Selector}, extra...), ", ")
}

// PartitionLabel is the label of every series of a Kafka consumer member's
// shard (the partition number), in Default().AggregateWithout.
const PartitionLabel = "partition"

// without joins the labels of a `without(...)` clause: own, then the labels
// of AggregateWithout not already named, in order.
func (c Config) without(own ...string) string {
	ls := slices.Clone(own)
	for _, l := range c.AggregateWithout {
		if !slices.Contains(ls, l) {
			ls = append(ls, l)
		}
	}
	return strings.Join(ls, ", ")
}

// Sum returns `sum without(own..., AggregateWithout...) (expr)`: counters,
// histogram buckets and the gauges that add up over shards (each customer
// lives in one partition: unique recipients, open windows, quota used...).
func (c Config) Sum(expr string, own ...string) string {
	return fmt.Sprintf("sum without(%s) (%s)", c.without(own...), expr)
}

// Max returns `max without(own..., AggregateWithout...) (expr)`: the levels
// every shard that saw a business or account exports alike (limits, quota
// limit and period, quality rating, account status, info metrics).
func (c Config) Max(expr string, own ...string) string {
	return fmt.Sprintf("max without(%s) (%s)", c.without(own...), expr)
}

// Min returns `min without(own..., AggregateWithout...) (expr)`: the oldest
// unanswered message timestamp (the oldest over the shards).
func (c Config) Min(expr string, own ...string) string {
	return fmt.Sprintf("min without(%s) (%s)", c.without(own...), expr)
}

// Aggregated reports whether label is aggregated away by the business rules
// (their results carry no such label).
func (c Config) Aggregated(label string) bool { return slices.Contains(c.AggregateWithout, label) }

// matcherRE is one PromQL label matcher: name, operator, double-quoted value.
var matcherRE = regexp.MustCompile(`^\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"\s*$`)

// labelNameRE is a Prometheus label name.
var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ValidateSelector checks that s is a non-empty comma-separated list of
// PromQL label matchers with double-quoted values (no braces).
func ValidateSelector(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New(`selector: empty; want label matchers such as job="waba-exporter"`)
	}
	for _, m := range splitMatchers(s) {
		if !matcherRE.MatchString(m) {
			return fmt.Errorf(`selector: %q is not a label matcher such as job="waba-exporter" (name, =, !=, =~ or !~, double-quoted value; no braces)`, strings.TrimSpace(m))
		}
	}
	return nil
}

// splitMatchers splits at the commas outside double quotes.
func splitMatchers(s string) []string {
	var out []string
	start, inQ := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if inQ {
				i++
			}
		case '"':
			inQ = !inQ
		case ',':
			if !inQ {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// Validate checks the selector, that ratios are in range, and that every
// `for` duration is positive (a single bad scrape must not page). Errors
// name the YAML key.
func (c Config) Validate() error {
	if err := ValidateSelector(c.Selector); err != nil {
		return err
	}
	for _, r := range []struct {
		key string
		v   float64
	}{
		{"parse_error_ratio_max", c.ParseErrorRatioMax}, {"delivery_ratio_min", c.DeliveryRatioMin},
		{"failure_ratio_max", c.FailureRatioMax}, {"opt_out_ratio_max", c.OptOutRatioMax},
		{"quota_warning", c.QuotaWarning}, {"quota_critical", c.QuotaCritical},
		{"messaging_limit_warning", c.MessagingLimitWarning},
	} {
		if !(r.v > 0 && r.v <= 1) {
			return fmt.Errorf("%s: %g is not a ratio in (0, 1]", r.key, r.v)
		}
	}
	for _, l := range c.AggregateWithout {
		if !labelNameRE.MatchString(l) || l == "job" {
			return fmt.Errorf("aggregate_without: %q is not a label name other than job", l)
		}
	}
	if c.KafkaConsumerLagMax <= 0 {
		return fmt.Errorf("kafka_consumer_lag_max: %g must be positive", c.KafkaConsumerLagMax)
	}
	if c.QuotaBurnMax <= 0 {
		return fmt.Errorf("quota_burn_max: %g must be positive", c.QuotaBurnMax)
	}
	if len(c.Quantiles) == 0 {
		return errors.New("quantiles: empty")
	}
	if c.CampaignControlVariant == "" || strings.ContainsAny(c.CampaignControlVariant, "\"\\\n") {
		return fmt.Errorf("campaign_control_variant: %q is not a variant label value", c.CampaignControlVariant)
	}
	for _, q := range c.Quantiles {
		if !(q > 0 && q < 1) {
			return fmt.Errorf("quantiles: %g is not in (0, 1)", q)
		}
	}
	cc := c
	for _, p := range cc.forDurations() {
		if *p <= 0 {
			return errors.New("every *_for duration must be positive")
		}
	}
	return nil
}

// LoadConfig reads a YAML file of Config keys over Default(): keys not in
// the file keep their defaults, unknown keys are errors (with their line).
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	c, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig is LoadConfig on bytes. Each top-level key is decoded on its
// own so that an error names its line and key.
func ParseConfig(b []byte) (Config, error) {
	c := Default()
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		return Config{}, err
	}
	if len(doc.Content) == 0 {
		return c, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return Config{}, fmt.Errorf("line %d: want a mapping of keys such as selector:", root.Line)
	}
	known := map[string]bool{}
	t := reflect.TypeOf(c)
	for i := 0; i < t.NumField(); i++ {
		known[t.Field(i).Tag.Get("yaml")] = true
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if !known[k.Value] {
			return Config{}, fmt.Errorf("line %d: unknown key %q", k.Line, k.Value)
		}
		one := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{k, v}}
		if err := one.Decode(&c); err != nil {
			return Config{}, fmt.Errorf("line %d: %s: %v", v.Line, k.Value, err)
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// RunbookAnchor is the heading anchor of an alert's RUNBOOK.md section.
func RunbookAnchor(alert string) string { return strings.ToLower(alert) }

// RunbookURLFor is the runbook_url annotation of alert.
func (c Config) RunbookURLFor(alert string) string {
	return c.RunbookURL + "#" + RunbookAnchor(alert)
}

// promDuration renders d in Prometheus duration syntax (1h30m, 5m, 90s).
func promDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		s string
		d time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}} {
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.s)
			d -= n * u.d
		}
	}
	return b.String()
}

// pd renders a config duration like promDuration (days, never weeks).
func pd(d model.Duration) string { return promDuration(time.Duration(d)) }

// secs renders a config duration as whole seconds, for comparisons with time().
func secs(d model.Duration) string { return fmt.Sprint(int64(time.Duration(d).Seconds())) }

// num renders a threshold the way a human writes it in PromQL (0.9, 100).
func num(f float64) string { return fmt.Sprintf("%g", f) }
