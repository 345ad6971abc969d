package dashboards

import (
	"fmt"
	"strings"
	"time"

	"github.com/waba-exporter/waba_exporter/alerts"
)

// File names of the committed dashboards, relative to the dashboards directory.
const (
	FileOverview       = "overview.json"
	FileResponsiveness = "responsiveness.json"
	FileBilling        = "billing-and-limits.json"
	FileExporterHealth = "exporter-health.json"
)

// All returns every dashboard keyed by its committed file name.
func All(c alerts.Config) map[string]Dashboard {
	return map[string]Dashboard{
		FileOverview:       Overview(c),
		FileResponsiveness: Responsiveness(c),
		FileBilling:        BillingAndLimits(c),
		FileExporterHealth: ExporterHealth(c),
	}
}

// rule returns a recording rule selected by the given selector body.
func rule(name, selector string) string { return name + "{" + selector + "}" }

// ratioOfSums divides two sums, i.e. the ratio over everything selected.
func ratioOfSums(num, den string) string { return fmt.Sprintf("sum(%s)\n/\nsum(%s)", num, den) }

var ratingMappings = []ValueMapping{{Type: "value", Options: map[string]ValueMappingResult{
	"0": {Text: "unknown", Color: "text", Index: 0},
	"1": {Text: "green", Color: "green", Index: 1},
	"2": {Text: "yellow", Color: "yellow", Index: 2},
	"3": {Text: "red", Color: "red", Index: 3},
}}}

var accountMappings = []ValueMapping{{Type: "value", Options: map[string]ValueMappingResult{
	"0": {Text: "unknown", Color: "text", Index: 0},
	"1": {Text: "ok", Color: "green", Index: 1},
	"2": {Text: "restricted", Color: "orange", Index: 2},
	"3": {Text: "disabled", Color: "red", Index: 3},
}}}

func boolMappings(zero, one string) []ValueMapping {
	return []ValueMapping{{Type: "value", Options: map[string]ValueMappingResult{
		"0": {Text: zero, Color: "red", Index: 0},
		"1": {Text: one, Color: "green", Index: 1},
	}}}
}

func withMappings(p Panel, m []ValueMapping) Panel {
	p.FieldConfig.Defaults.Mappings = m
	return p
}

// Overview: the outbound funnel, ratios, failures and inbound volume.
func Overview(c alerts.Config) Dashboard {
	sel, _ := sels(c)
	status := func(s string) string { return with(sel, `status="`+s+`"`) }
	statusRate := func(s, w string) string {
		return fmt.Sprintf("rate(waba_outbound_message_status_total{%s}[%s])", status(s), w)
	}
	funnel := func(s string) Target {
		return instant(fmt.Sprintf(`sum(increase(waba_outbound_message_status_total{%s}[$__range]))`, status(s)), s)
	}
	return newDashboard(c, "waba-overview", "Overview",
		"Outbound funnel (sent, delivered, read), delivery ratios, failures by Meta error code and inbound volume, per business phone number.",
		[]Panel{
			stat("Sent", "Outbound messages sent in the time range.", "short", 4, steps("blue"),
				funnel("sent")),
			stat("Delivery ratio (1h)", "Delivered over sent in the last hour, over all selected numbers.", "percentunit", 4,
				steps("red", c.DeliveryRatioMin, "green"),
				instant(ratioOfSums(statusRate("delivered", "1h"), statusRate("sent", "1h")), "")),
			stat("Read ratio (1d)", "Read over delivered in the last day.", "percentunit", 4, steps("blue"),
				instant(ratioOfSums(statusRate("read", "1d"), statusRate("delivered", "1d")), "")),
			stat("Failure ratio (1h)", "Failed over outbound messages in the last hour.", "percentunit", 4,
				steps("green", c.FailureRatioMax, "red"),
				instant(ratioOfSums(
					fmt.Sprintf("rate(waba_outbound_messages_failed_total{%s}[1h])", sel),
					fmt.Sprintf("rate(waba_outbound_messages_total{%s}[1h])", sel)), "")),
			stat("Inbound messages", "Customer messages received in the time range.", "short", 4, steps("blue"),
				instant(fmt.Sprintf("sum(increase(waba_inbound_messages_total{%s}[$__range]))", sel), "")),
			stat("Open service windows", "Customers with an open 24h customer-service window now.", "short", 4, steps("blue"),
				instant(fmt.Sprintf("sum(waba_service_windows_open{%s})", sel), "")),
		},
		[]Panel{
			bargauge("Funnel: sent, delivered, read", "Outbound messages reaching each status in the time range.", "short", 8,
				funnel("sent"), funnel("delivered"), funnel("read")),
			timeseries("Outbound messages by status", "First occurrences of each status per second.", "cps", 16,
				q(fmt.Sprintf("sum by (status) (rate(waba_outbound_message_status_total{%s}[$__rate_interval]))", sel), "{{status}}")),
		},
		[]Panel{
			timeseries("Ratios per number", "Recording rules: delivered/sent over 1h, read/delivered over 1d, failed/outbound per category over 1h.", "percentunit", 12,
				q(rule(alerts.RecDeliveredPerSent, sel), "{{phone_number_id}} delivered/sent (1h)"),
				q(rule(alerts.RecReadPerDelivered, sel), "{{phone_number_id}} read/delivered (1d)"),
				q(rule(alerts.RecFailedPerOutbound, sel), "{{phone_number_id}} {{category}} failed (1h)")),
			timeseries("Failures by error code", "Failed outbound messages per second by Meta error code (capped; the rest is other).", "cps", 12,
				q(fmt.Sprintf("sum by (error_code) (rate(waba_outbound_messages_failed_total{%s}[$__rate_interval]))", sel), "{{error_code}}")),
		},
		[]Panel{
			tablePanel("Failures by error code and category", "Failed messages in the time range.", "short", 12,
				table(fmt.Sprintf("sort_desc(sum by (error_code, category) (increase(waba_outbound_messages_failed_total{%s}[$__range])))", sel))),
			timeseries("Inbound messages by type", "Customer messages per second by message type.", "cps", 12,
				q(fmt.Sprintf("sum by (message_type) (rate(waba_inbound_messages_total{%s}[$__rate_interval]))", sel), "{{message_type}}")),
		},
		[]Panel{
			func() Panel {
				p := heatmap("Peak hours: inbound messages per hour", "Customer messages per hour and number; the daily pattern shows the peak hours.", "short", 24,
					q(fmt.Sprintf("sum by (phone_number_id) (increase(waba_inbound_messages_total{%s}[1h]))", sel), "{{phone_number_id}}"))
				p.Interval = "1h"
				p.Targets[0].Interval = "1h"
				return p
			}(),
		},
		[]Panel{
			timeseries("Conversations opened by category", "24h conversations opened per hour (reported or inferred).", "short", 12,
				q(fmt.Sprintf("sum by (category) (increase(waba_conversations_opened_total{%s}[1h]))", sel), "{{category}}")),
			timeseries("Active customers", "Distinct customers with an inbound message in the trailing day, week and month.", "short", 12,
				q(fmt.Sprintf("sum by (window) (waba_active_customers{%s})", sel), "{{window}}")),
		},
	)
}

// Responsiveness: how fast the business answers its customers.
func Responsiveness(c alerts.Config) Dashboard {
	sel, _ := sels(c)
	wait := time.Duration(c.UnansweredMaxWait).Seconds()
	return newDashboard(c, "waba-responsiveness", "Responsiveness",
		"First response and response times, unanswered customers, service windows that closed unanswered, and the customer reply rate.",
		[]Panel{
			stat("Unanswered customers", "Customers whose latest message is unanswered while their window is open.", "short", 5,
				steps("green", 1.0, "orange"),
				instant(fmt.Sprintf("sum(waba_unanswered_customers{%s})", sel), "")),
			stat("Oldest waiting", "How long the oldest unanswered customer message has waited.", "s", 5,
				steps("green", wait/2, "orange", wait, "red"),
				instant(fmt.Sprintf("clamp_min(time() - min(waba_oldest_unanswered_message_timestamp_seconds{%s}), 0)", sel), "")),
			stat("Reply rate (1d)", "Customer replies over delivered business-initiated messages in the last day.", "percentunit", 5, steps("blue"),
				instant(ratioOfSums(
					fmt.Sprintf("rate(waba_customer_replies_total{%s}[1d])", sel),
					fmt.Sprintf("rate(waba_reply_eligible_messages_total{%s}[1d])", sel)), "")),
			stat("Windows closed unanswered (1d)", "Share of the service windows that expired in the last day without a business reply.", "percentunit", 5,
				steps("green", 0.1, "orange", 0.25, "red"),
				instant(ratioOfSums(
					fmt.Sprintf("increase(waba_service_windows_closed_unanswered_total{%s}[1d])", sel),
					fmt.Sprintf("increase(waba_service_windows_closed_total{%s}[1d])", sel)), "")),
			stat("Open service windows", "Customers with an open 24h service window now.", "short", 4, steps("blue"),
				instant(fmt.Sprintf("sum(waba_service_windows_open{%s})", sel), "")),
		},
		[]Panel{
			timeseries("First response time", "Quantiles of the time from the message that opened a service window to the first business message.", "s", 12,
				q(rule(alerts.RecFirstResponseQuantile, sel), "{{phone_number_id}} q{{quantile}}")),
			timeseries("Response time", "Quantiles of the time from the oldest unanswered customer message to the next business message, every turn.", "s", 12,
				q(rule(alerts.RecResponseQuantile, sel), "{{phone_number_id}} q{{quantile}}")),
		},
		[]Panel{
			heatmap("Response time distribution", "Response times per histogram bucket.", "s", 12,
				Target{Datasource: ds, Expr: fmt.Sprintf("sum by (le) (increase(waba_response_duration_seconds_bucket{%s}[$__rate_interval]))", sel),
					LegendFormat: "{{le}}", Range: true, Format: "heatmap"}),
			timeseries("Unanswered customers per number", "Customers waiting for an answer now.", "short", 12,
				q(fmt.Sprintf("sum by (phone_number_id) (waba_unanswered_customers{%s})", sel), "{{phone_number_id}}")),
		},
		[]Panel{
			timeseries("Service windows closed unanswered", "Windows that expired without a business reply, per hour (missed opportunities).", "short", 12,
				q(fmt.Sprintf("sum by (phone_number_id) (increase(waba_service_windows_closed_unanswered_total{%s}[1h]))", sel), "{{phone_number_id}}")),
			timeseries("Reply rate by category (1d)", "Recording rule: customer replies over delivered business-initiated messages.", "percentunit", 12,
				q(rule(alerts.RecRepliesPerEligible, sel), "{{phone_number_id}} {{category}}")),
		},
		[]Panel{
			timeseries("Delivery latency", "Quantiles of sent to delivered and delivered to read (event time).", "s", 8,
				q(rule(alerts.RecSentToDeliveredQuantile, sel), "{{phone_number_id}} sent→delivered q{{quantile}}"),
				q(rule(alerts.RecDeliveredToReadQuantile, sel), "{{phone_number_id}} delivered→read q{{quantile}}")),
			timeseries("Opt-outs by source", "Opt-out events per hour.", "short", 8,
				q(fmt.Sprintf("sum by (source) (increase(waba_opt_outs_total{%s}[1h]))", sel), "{{source}}")),
			timeseries("Opt-out rate (1d)", "Recording rule: customers newly opted out over delivered messages in the last day; WabaOptOutRateHigh fires above the threshold.", "percentunit", 8,
				q(rule(alerts.RecOptedOutPerDelivered, sel), "{{phone_number_id}}")),
		},
	)
}

// BillingAndLimits: quota burn and projection, billable messages, the
// messaging limit and the quality rating.
func BillingAndLimits(c alerts.Config) Dashboard {
	sel, selInst := sels(c)
	ruleInst := func(name string) string { return rule(name, selInst) }
	priced := func(extra ...string) string { return with(sel, extra...) }
	return newDashboard(c, "waba-billing-and-limits", "Billing and limits",
		"Quota used against the contract with its projection to the period end, priced messages by type, category and country, estimated cost, messaging limit and quality rating.",
		[]Panel{
			gauge("Quota used", "Share of each quota used in the current period.", "percentunit", 6, 0, 1,
				steps("green", c.QuotaWarning, "orange", c.QuotaCritical, "red"),
				instant(ruleInst(alerts.RecQuotaUsedPerLimit), "{{quota}}")),
			stat("Quota burn", "Share used divided by share of the period elapsed: above 1 the quota runs out early.", "none", 6,
				steps("green", 1.0, "orange", c.QuotaBurnMax, "red"),
				instant(ruleInst(alerts.RecQuotaBurn), "{{quota}}")),
			stat("Projected at period end", "Used now plus the current consumption rate until the period ends, over the limit.", "percentunit", 6,
				steps("green", c.QuotaWarning, "orange", 1.0, "red"),
				instant(ruleInst(alerts.RecQuotaProjectedPerLimit), "{{quota}}")),
			stat("Period elapsed", "Share of the current quota period that has passed.", "percentunit", 6, steps("blue"),
				instant(ruleInst(alerts.RecQuotaPeriodElapsed), "{{quota}}")),
		},
		[]Panel{
			withOverride(timeseries("Quota used vs limit", "Units used in the period, the limit, and the projection to the period end at the current rate.", "short", 24,
				q(fmt.Sprintf("waba_quota_used{%s}", selInst), "{{quota}} used"),
				q(fmt.Sprintf("waba_quota_limit{%s}", selInst), "{{quota}} limit"),
				q(ruleInst(alerts.RecQuotaProjectedUsed), "{{quota}} projected at period end")),
				".* limit$", "color", map[string]any{"mode": "fixed", "fixedColor": "red"}),
		},
		[]Panel{
			timeseries("Priced messages by pricing type", "Delivered messages per second: regular (billable), free customer service, free entry point.", "cps", 8,
				q(fmt.Sprintf("sum by (pricing_type) (rate(waba_outbound_messages_priced_total{%s}[$__rate_interval]))", sel), "{{pricing_type}}")),
			bargauge("Billable messages by category", "Regular (billable) messages in the time range.", "short", 8,
				instant(fmt.Sprintf("sum by (category) (increase(waba_outbound_messages_priced_total{%s}[$__range]))", priced(`pricing_type="regular"`)), "{{category}}")),
			tablePanel("Priced messages by country", "Top 20 countries by delivered messages in the time range.", "short", 8,
				table(fmt.Sprintf("topk(20, sum by (country, pricing_type) (increase(waba_outbound_messages_priced_total{%s}[$__range])))", sel))),
		},
		[]Panel{
			timeseries("Estimated cost per day", "Regular messages priced with the configured rate card, per currency.", "short", 8,
				q(fmt.Sprintf("sum by (currency) (increase(waba_estimated_cost_total{%s}[1d]))", sel), "{{currency}}")),
			timeseries("24h unique recipients vs messaging limit", "Distinct customers reached with business-initiated messages in 24h, against the limit.", "short", 10,
				q(fmt.Sprintf("waba_business_initiated_unique_recipients_24h{%s}", sel), "{{phone_number_id}} recipients"),
				q(fmt.Sprintf("waba_messaging_limit_recipients{%s}", sel), "{{phone_number_id}} limit"),
				q(fmt.Sprintf("waba_portfolio_business_initiated_unique_recipients_24h{%s}", selInst), "portfolio {{portfolio}}")),
			gauge("Messaging limit used", "24h unique recipients over the messaging limit.", "percentunit", 6, 0, 1,
				steps("green", c.MessagingLimitWarning, "orange", 1.0, "red"),
				instant(rule(alerts.RecMessagingLimitUsed, sel), "{{phone_number_id}}")),
		},
		[]Panel{
			stateTimeline("Quality rating", "Quality rating reported by Meta per number.", 12, ratingMappings,
				q(fmt.Sprintf(`max by (phone_number_id) (
  waba_phone_number_quality_rating{%s} * 1
  or waba_phone_number_quality_rating{%s} * 2
  or waba_phone_number_quality_rating{%s} * 3
)`, with(sel, `rating="green"`), with(sel, `rating="yellow"`), with(sel, `rating="red"`)), "{{phone_number_id}}")),
			timeseries("Pricing mismatches", "Webhook pricing or conversation that disagrees with the state machine, per hour; should stay near 0.", "short", 12,
				q(fmt.Sprintf("sum by (field) (increase(waba_pricing_mismatches_total{%s}[1h]))", sel), "{{field}}")),
		},
		[]Panel{
			withOverride(timeseries("Portfolio recipients vs learned limit", "Distinct customers delivered a business-initiated message in 24h across the numbers of each portfolio (what Meta's limit counts), against the portfolio's messaging limit as learned from the webhooks (else the config).", "short", 12,
				q(fmt.Sprintf("waba_portfolio_business_initiated_unique_recipients_24h{%s}", selInst), "{{portfolio}} recipients"),
				q(fmt.Sprintf("max by (portfolio) (waba_portfolio_messaging_limit_recipients{%s})", selInst), "{{portfolio}} limit")),
				".* limit$", "color", map[string]any{"mode": "fixed", "fixedColor": "red"}),
			gauge("Portfolio messaging limit used", "Recording rule: 24h unique recipients of the portfolio over its messaging limit; WabaMessagingLimitNearlyReached fires above the threshold.", "percentunit", 6, 0, 1,
				steps("green", c.MessagingLimitWarning, "orange", 1.0, "red"),
				instant(rule(alerts.RecPortfolioLimitUsed, selInst), "{{portfolio}}")),
			tablePanel("Volume pricing tier", "Volume-based pricing tier per WhatsApp Business Account and category (VOLUME_BASED_PRICING_TIER_UPDATE).", "none", 6,
				table(fmt.Sprintf("max by (waba_id, category) (waba_pricing_volume_tier{%s})", selInst))),
		},
		[]Panel{
			stateTimeline("Account status", "Status of each WhatsApp Business Account from account_update webhooks; WabaAccountRestricted and WabaAccountDisabled page on restricted and disabled.", 24, accountMappings,
				q(fmt.Sprintf(`max by (waba_id) (
  waba_account_status{%s} * 1
  or waba_account_status{%s} * 2
  or waba_account_status{%s} * 3
)`, with(selInst, `status="ok"`), with(selInst, `status="restricted"`), with(selInst, `status="disabled"`)), "{{waba_id}}")),
		},
	)
}

// ExporterHealth: the exporter's own state (tailing, parsing, state size).
func ExporterHealth(c alerts.Config) Dashboard {
	_, selInst := sels(c)
	m := func(expr string) string { return fmt.Sprintf(expr, selInst) }
	return newDashboard(c, "waba-exporter-health", "Exporter health",
		"Scrape status, readiness, tail lag, parse errors by reason, rotations, state size and checkpoint age of waba_exporter.",
		[]Panel{
			withMappings(stat("Up", "Prometheus scrape status per instance.", "none", 4, steps("red", 1.0, "green"),
				instant(m("up{%s}"), "{{instance}}")), boolMappings("down", "up")),
			withMappings(stat("State ready", "0 while the checkpoint is restored or the logs are replayed.", "none", 4, steps("red", 1.0, "green"),
				instant(m("waba_exporter_state_ready{%s}"), "{{instance}}")), boolMappings("restoring", "ready")),
			withMappings(stat("Last config reload", "Whether the last configuration reload succeeded.", "none", 4, steps("red", 1.0, "green"),
				instant(m("waba_exporter_config_last_reload_successful{%s}"), "{{instance}}")), boolMappings("failed", "ok")),
			stat("Files watched", "Log files open now.", "short", 4, steps("red", 1.0, "green"),
				instant(m("sum by (instance) (waba_exporter_files_watched{%s})"), "{{instance}}")),
			withMappings(stat("Checkpoint age", "Time since the last successful state checkpoint; \"disabled\" when no checkpoint was ever written.", "s", 4, steps("green", 600.0, "orange", 3600.0, "red"),
				instant(strings.ReplaceAll(`(time() - waba_exporter_checkpoint_last_success_timestamp_seconds{%s})
  and waba_exporter_checkpoint_last_success_timestamp_seconds{%s} > 0
or waba_exporter_checkpoint_last_success_timestamp_seconds{%s} * 0`, "%s", selInst), "{{instance}}")),
				[]ValueMapping{{Type: "value", Options: map[string]ValueMappingResult{"0": {Text: "disabled", Color: "text", Index: 0}}}}),
			stat("Event-time watermark", "Largest webhook timestamp seen.", "dateTimeFromNow", 4, steps("blue"),
				instant(m("waba_exporter_last_event_timestamp_seconds{%s} * 1000"), "{{instance}}")),
		},
		[]Panel{
			timeseries("Tail lag", "Bytes written to the log files but not read yet.", "bytes", 12,
				q(m("sum by (instance, logfile) (waba_exporter_tail_lag_bytes{%s})"), "{{instance}} {{logfile}}")),
			timeseries("Lines read", "Complete lines read per second.", "cps", 12,
				q(m("sum by (instance, logfile) (rate(waba_exporter_lines_read_total{%s}[$__rate_interval]))"), "{{instance}} {{logfile}}")),
		},
		[]Panel{
			timeseries("Parse errors by reason", "Lines that could not be decoded, per second.", "cps", 8,
				q(m("sum by (reason) (rate(waba_exporter_parse_errors_total{%s}[$__rate_interval]))"), "{{reason}}")),
			timeseries("Parse error ratio", "Recording rule: share of the lines read that fail to parse (5m); WabaExporterParseErrorsHigh fires above the threshold.", "percentunit", 8,
				q(rule(alerts.RecParseErrorsPerLine, selInst), "{{instance}} {{logfile}}")),
			timeseries("Rotations, truncations and read errors", "File events per hour.", "short", 8,
				q(m("sum by (logfile) (increase(waba_exporter_file_rotations_total{%s}[1h]))"), "{{logfile}} rotations"),
				q(m("sum by (logfile) (increase(waba_exporter_file_truncations_total{%s}[1h]))"), "{{logfile}} truncations"),
				q(m("sum by (logfile) (increase(waba_exporter_file_read_errors_total{%s}[1h]))"), "{{logfile}} read errors")),
		},
		[]Panel{
			timeseries("State entries", "Entries held in the state maps, by kind.", "short", 8,
				q(m("sum by (kind) (waba_exporter_state_entries{%s})"), "{{kind}}")),
			timeseries("Duplicates and out-of-order events", "Deduplicated retries and events older than the state, per second.", "cps", 8,
				q(m("sum by (kind) (rate(waba_exporter_duplicate_events_total{%s}[$__rate_interval]))"), "duplicate {{kind}}"),
				q(m("sum by (kind) (rate(waba_exporter_out_of_order_events_total{%s}[$__rate_interval]))"), "out of order {{kind}}")),
			timeseries("Collect duration", "Duration of the last Collect() per instance.", "s", 8,
				q(m("max by (instance) (waba_exporter_collect_duration_seconds{%s})"), "{{instance}}")),
		},
		[]Panel{
			tablePanel("Build", "Version of each running exporter.", "none", 24,
				table(m("waba_exporter_build_info{%s}"))),
		},
	)
}
