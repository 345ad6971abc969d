// Package alerts generates the Prometheus recording and alerting rules of
// waba_exporter, and holds the single mixin Config: the selectors and
// thresholds that both the rules (rules.yml) and the Grafana dashboards
// (package dashboards) are built from.
//
// The committed alerts/rules.yml is the output of Rules(Default()) rendered
// by RulesYAML; a test fails when the file is stale (regenerate with
// `go generate ./alerts/`). The runbook for every alert is alerts/RUNBOOK.md;
// every alert's runbook_url points at the section of its name.
package alerts

import (
	"fmt"
	"strings"
	"time"
)

// Config is the one place for selectors and thresholds (the monitoring
// mixins' config.libsonnet idea). Ratios are fractions (0.9 = 90%).
type Config struct {
	// JobSelector selects the exporter's scrape targets in every rule, and
	// the values offered by the dashboards' job variable. It is a label
	// matcher list without braces, e.g. `job="waba_exporter"`.
	JobSelector string
	// RunbookURL is the base URL of RUNBOOK.md; an alert's runbook_url is
	// RunbookURL + "#" + lower-case alert name (the GitHub heading anchor).
	RunbookURL string

	// Quantiles recorded for every latency histogram.
	Quantiles []float64
	// QuantileRateWindow is the rate() window of the quantile rules.
	QuantileRateWindow time.Duration
	// QuotaProjectionWindow is the rate() window of the quota projection.
	QuotaProjectionWindow time.Duration

	// ExporterDownFor: up == 0 (or no target at all) for this long.
	ExporterDownFor time.Duration
	// StateNotReadyFor: waba_exporter_state_ready == 0 for this long.
	StateNotReadyFor time.Duration
	// TailStalledAfter: bytes are waiting (tail lag > 0) and nothing was
	// read for longer than this.
	TailStalledAfter time.Duration
	TailStalledFor   time.Duration
	// ParseErrorRatioMax: share of lines that fail to parse (5m rate).
	ParseErrorRatioMax float64
	ParseErrorsFor     time.Duration

	// DeliveryRatioMin: delivered/sent over 1h, alerting below, for numbers
	// that sent at least DeliveryMinSentPerHour messages in the hour.
	DeliveryRatioMin       float64
	DeliveryMinSentPerHour float64
	DeliveryFor            time.Duration
	// FailureRatioMax: failed/outbound over 1h per number and category,
	// for at least FailureMinMessagesPerHour outbound messages.
	FailureRatioMax           float64
	FailureMinMessagesPerHour float64
	FailuresFor               time.Duration

	// UnansweredMaxWait: the oldest unanswered inbound message (event time)
	// may wait this long.
	UnansweredMaxWait time.Duration
	UnansweredFor     time.Duration
	// OptOutRatioMax: opt-outs per delivered message over 1d, for at least
	// OptOutMinDeliveredPerDay delivered messages.
	OptOutRatioMax           float64
	OptOutMinDeliveredPerDay float64
	OptOutFor                time.Duration

	// QuotaBurnMax: share of quota used divided by share of period elapsed.
	// The burn alert needs this and the projection (used + current rate ×
	// time left) above the limit.
	QuotaBurnMax float64
	QuotaBurnFor time.Duration
	// QuotaWarning / QuotaCritical: share of the quota used.
	QuotaWarning  float64
	QuotaCritical float64
	QuotaUsedFor  time.Duration
	// MessagingLimitWarning: 24h unique recipients / messaging limit.
	MessagingLimitWarning float64
	MessagingLimitFor     time.Duration
	// QualityFor: a yellow (warning) or red (critical) rating for this long.
	QualityFor time.Duration
}

// Default is the production configuration committed as rules.yml and used
// by the committed dashboards.
func Default() Config {
	return Config{
		JobSelector:           `job="waba_exporter"`,
		RunbookURL:            "https://github.com/waba-exporter/waba_exporter/blob/main/alerts/RUNBOOK.md",
		Quantiles:             []float64{0.5, 0.9, 0.99},
		QuantileRateWindow:    5 * time.Minute,
		QuotaProjectionWindow: 6 * time.Hour,

		ExporterDownFor:    5 * time.Minute,
		StateNotReadyFor:   15 * time.Minute,
		TailStalledAfter:   5 * time.Minute,
		TailStalledFor:     5 * time.Minute,
		ParseErrorRatioMax: 0.01,
		ParseErrorsFor:     15 * time.Minute,

		DeliveryRatioMin:          0.9,
		DeliveryMinSentPerHour:    100,
		DeliveryFor:               15 * time.Minute,
		FailureRatioMax:           0.05,
		FailureMinMessagesPerHour: 100,
		FailuresFor:               15 * time.Minute,

		UnansweredMaxWait:        time.Hour,
		UnansweredFor:            10 * time.Minute,
		OptOutRatioMax:           0.02,
		OptOutMinDeliveredPerDay: 500,
		OptOutFor:                time.Hour,

		QuotaBurnMax:          1.2,
		QuotaBurnFor:          30 * time.Minute,
		QuotaWarning:          0.8,
		QuotaCritical:         0.95,
		QuotaUsedFor:          5 * time.Minute,
		MessagingLimitWarning: 0.8,
		MessagingLimitFor:     15 * time.Minute,
		QualityFor:            5 * time.Minute,
	}
}

// WithFor returns a copy of c in which every alert `for` duration is d.
// Only tests use it (the end-to-end test cannot wait 5 minutes); the
// expressions and thresholds stay those of c.
func (c Config) WithFor(d time.Duration) Config {
	for _, p := range []*time.Duration{
		&c.ExporterDownFor, &c.StateNotReadyFor, &c.TailStalledFor, &c.ParseErrorsFor,
		&c.DeliveryFor, &c.FailuresFor, &c.UnansweredFor, &c.OptOutFor,
		&c.QuotaBurnFor, &c.QuotaUsedFor, &c.MessagingLimitFor, &c.QualityFor,
	} {
		*p = d
	}
	return c
}

// Sel returns a selector body: the job selector followed by extra matchers,
// e.g. Sel(`status="sent"`) = `job="waba_exporter", status="sent"`.
func (c Config) Sel(extra ...string) string {
	return strings.Join(append([]string{c.JobSelector}, extra...), ", ")
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

// num renders a threshold the way a human writes it in PromQL (0.9, 100).
func num(f float64) string { return fmt.Sprintf("%g", f) }
