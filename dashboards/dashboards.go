// Package dashboards builds the Grafana dashboards of waba_exporter:
// Overview, Responsiveness, Billing and limits, Exporter health, and Campaigns and A/B
// tests.
//
// The dashboards are built with the Grafana Foundation SDK
// (github.com/grafana/grafana-foundation-sdk/go), and a test type-checks
// their JSON against the @grafana/schema npm package with tsc. The
// selector, thresholds and runbook links come from alerts.Config, the one
// place shared with the Prometheus rules. The committed dashboards/*.json
// are the output of All(alerts.Default()); a test fails when they are stale
// (regenerate with `go generate ./dashboards/`).
//
// Every query starts with the config's selector, narrows it with the
// template variables $job, $instance and (for per-number metrics)
// $phone_number_id, and uses only metric names of the metric contract,
// recording rules of package alerts, or up.
//
// Several exporters in one job (members of a Kafka consumer group, each
// series with a partition label) give one picture: the business panels
// aggregate instance and partition away as the rules do, through the same
// alerts.Config (AggregateWithout, Sum, Max): `sum by (...)` of the wanted
// labels, `sum without` for additive gauges, `max without` for levels and
// limits, and the business recording rules, which carry no instance (their
// queries drop the $instance matcher). The exporter-health panels stay per
// instance and aggregate only partition away; its Kafka row shows the
// consumer lag by partition, rebuilds and the forwarders.
package dashboards

import (
	"fmt"
	"strings"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

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
func All(c alerts.Config) map[string]dashboard.Dashboard {
	return map[string]dashboard.Dashboard{
		FileOverview:       Overview(c),
		FileResponsiveness: Responsiveness(c),
		FileBilling:        BillingAndLimits(c),
		FileExporterHealth: ExporterHealth(c),
		FileCampaigns:      Campaigns(c),
	}
}

// rule returns a recording rule selected by the given selector body.
func rule(name, selector string) string { return name + "{" + selector + "}" }

// ratioOfSums divides two sums, i.e. the ratio over everything selected.
func ratioOfSums(num, den string) string { return fmt.Sprintf("sum(%s)\n/\nsum(%s)", num, den) }

var ratingMappings = valueText(
	[3]string{"0", "unknown", "text"}, [3]string{"1", "green", "green"},
	[3]string{"2", "yellow", "yellow"}, [3]string{"3", "red", "red"})

var accountMappings = valueText(
	[3]string{"0", "unknown", "text"}, [3]string{"1", "ok", "green"},
	[3]string{"2", "restricted", "orange"}, [3]string{"3", "disabled", "red"})

func boolMappings(zero, one string) []dashboard.ValueMapping {
	return valueText([3]string{"0", zero, "red"}, [3]string{"1", one, "green"})
}

// currencies get Grafana's currency units on the cost panel, by series name
// (the currency label of the rate card); others are shown as plain numbers.
var currencies = []string{"USD", "EUR", "GBP", "INR", "IDR", "BRL", "ZAR", "TRY", "ILS", "MYR", "PHP", "VND", "KRW", "JPY", "CHF", "PLN", "SEK", "NOK", "DKK"}

// Overview: the outbound funnel, ratios, failures and inbound volume.
func Overview(c alerts.Config) dashboard.Dashboard {
	sel, _ := sels(c)
	status := func(s string) string { return with(sel, `status="`+s+`"`) }
	statusRate := func(s, w string) string {
		return fmt.Sprintf("rate(waba_outbound_message_status_total{%s}[%s])", status(s), w)
	}
	funnel := func(s string) target {
		return instant(fmt.Sprintf(`sum(increase(waba_outbound_message_status_total{%s}[$__range]))`, status(s)), s)
	}
	return newDashboard(c, "waba-overview", "Overview",
		"Outbound funnel (sent, delivered, read), delivery ratios, failures by Meta error code and inbound volume, per business phone number.",
		row("Outbound funnel",
			line(
				statPanel("Sent", "Outbound messages sent in the time range.", "short", 4, steps("blue"),
					funnel("sent")),
				statPanel("Delivery ratio (1h)", "Delivered over sent in the last hour, over all selected numbers.", "percentunit", 4,
					steps("red", c.DeliveryRatioMin, "green"),
					instant(ratioOfSums(statusRate("delivered", "1h"), statusRate("sent", "1h")), "")).
					Links(runbook(c, alerts.AlertDeliveryRatioLow)),
				statPanel("Read ratio (1d)", "Read over delivered in the last day.", "percentunit", 4, steps("blue"),
					instant(ratioOfSums(statusRate("read", "1d"), statusRate("delivered", "1d")), "")),
				statPanel("Failure ratio (1h)", "Failed over outbound messages in the last hour.", "percentunit", 4,
					steps("green", c.FailureRatioMax, "red"),
					instant(ratioOfSums(
						fmt.Sprintf("rate(waba_outbound_messages_failed_total{%s}[1h])", sel),
						fmt.Sprintf("rate(waba_outbound_messages_total{%s}[1h])", sel)), "")).
					Links(runbook(c, alerts.AlertMessageFailuresHigh)),
				statPanel("Inbound messages", "Customer messages received in the time range.", "short", 4, steps("blue"),
					instant(fmt.Sprintf("sum(increase(waba_inbound_messages_total{%s}[$__range]))", sel), "")),
				statPanel("Open service windows", "Customers with an open 24h customer-service window now.", "short", 4, steps("blue"),
					instant(fmt.Sprintf("sum(waba_service_windows_open{%s})", sel), "")),
			),
			line(
				bargaugePanel("Funnel: sent, delivered, read", "Outbound messages reaching each status in the time range.", "short", 8,
					funnel("sent"), funnel("delivered"), funnel("read")),
				timeseriesPanel("Outbound messages by status", "First occurrences of each status per second.", "cps", 16,
					q(fmt.Sprintf("sum by (status) (rate(waba_outbound_message_status_total{%s}[$__rate_interval]))", sel), "{{status}}")),
			),
		),
		row("Ratios and failures",
			line(
				timeseriesPanel("Ratios per number", "Recording rules: delivered/sent over 1h, read/delivered over 1d, failed/outbound per category over 1h.", "percentunit", 12,
					q(bizRule(c, alerts.RecDeliveredPerSent, sel), "{{phone_number_id}} delivered/sent (1h)"),
					q(bizRule(c, alerts.RecReadPerDelivered, sel), "{{phone_number_id}} read/delivered (1d)"),
					q(bizRule(c, alerts.RecFailedPerOutbound, sel), "{{phone_number_id}} {{category}} failed (1h)")).
					Links(runbook(c, alerts.AlertDeliveryRatioLow, alerts.AlertMessageFailuresHigh)),
				timeseriesPanel("Failures by error code", "Failed outbound messages per second by Meta error code (capped; the rest is other).", "cps", 12,
					q(fmt.Sprintf("sum by (error_code) (rate(waba_outbound_messages_failed_total{%s}[$__rate_interval]))", sel), "{{error_code}}")),
			),
			line(
				tablePanel("Failures by error code and category", "Failed messages in the time range.", "short", 12,
					tableQuery(fmt.Sprintf("sort_desc(sum by (error_code, category) (increase(waba_outbound_messages_failed_total{%s}[$__range])))", sel))),
				timeseriesPanel("Inbound messages by type", "Customer messages per second by message type.", "cps", 12,
					q(fmt.Sprintf("sum by (message_type) (rate(waba_inbound_messages_total{%s}[$__rate_interval]))", sel), "{{message_type}}")),
			),
		),
		row("Customers and peak hours",
			line(peakHours(sel)),
			line(
				timeseriesPanel("Conversations opened by category", "24h conversations opened per hour (reported or inferred).", "short", 12,
					q(fmt.Sprintf("sum by (category) (increase(waba_conversations_opened_total{%s}[1h]))", sel), "{{category}}")),
				timeseriesPanel("Active customers", "Distinct customers with an inbound message in the trailing day, week and month.", "short", 12,
					q(fmt.Sprintf("sum by (window) (waba_active_customers{%s})", sel), "{{window}}")),
			),
		),
	)
}

// peakHours is an hour-of-day by weekday heatmap of inbound messages. A
// subquery steps through the time range (7 days) at the panel interval (at
// least 1h); at each step the message rate of the interval just ended, in
// messages per hour, is labelled with the weekday and hour of that interval
// by count_values (which turns the values of day_of_week() and hour() into
// labels; time() - 1 is inside the interval, not the next one), and
// avg_over_time averages it per weekday and hour. The grouping-to-matrix
// transformation makes one row per weekday and one column per hour; weekday
// is converted to a number (0 = Sunday) for the x axis, the hours are the
// y buckets.
func peakHours(sel string) cog.Builder[dashboard.Panel] {
	expr := fmt.Sprintf(`avg_over_time(
  (
    sum(rate(waba_inbound_messages_total{%s}[$__interval])) * 3600
    * on() group_left(weekday, hour) (
      count_values("weekday", day_of_week(vector(time() - 1)))
      * on() group_left(hour) count_values("hour", hour(vector(time() - 1)))
    )
  )[$__range:$__interval]
)`, sel)
	return heatmapPanel("Peak hours: inbound messages by weekday and hour (UTC)",
		"Average customer messages per hour for each hour of the day (y, UTC) and weekday (x, 0 = Sunday) over the last 7 days: when the team must be staffed.", "short", 24,
		tableQuery(expr)).
		TimeFrom("7d").Interval("1h").
		Transformations([]dashboard.DataTransformerConfig{
			{Id: "groupingToMatrix", Options: map[string]any{"columnField": "hour", "rowField": "weekday", "valueField": "Value", "emptyValue": "zero"}},
			{Id: "convertFieldType", Options: map[string]any{"conversions": []map[string]any{{"targetField": "weekday\\hour", "destinationType": "number"}}}},
		})
}

// Responsiveness: how fast the business answers its customers.
func Responsiveness(c alerts.Config) dashboard.Dashboard {
	sel, _ := sels(c)
	wait := time.Duration(c.UnansweredMaxWait).Seconds()
	return newDashboard(c, "waba-responsiveness", "Responsiveness",
		"First response and response times, unanswered customers, service windows that closed unanswered, and the customer reply rate.",
		row("Now",
			line(
				statPanel("Unanswered customers", "Customers whose latest message is unanswered while their window is open.", "short", 5,
					steps("green", 1.0, "orange"),
					instant(fmt.Sprintf("sum(waba_unanswered_customers{%s})", sel), "")),
				statPanel("Oldest waiting", "How long the oldest unanswered customer message has waited.", "s", 5,
					steps("green", wait/2, "orange", wait, "red"),
					instant(fmt.Sprintf("clamp_min(time() - min(waba_oldest_unanswered_message_timestamp_seconds{%s}), 0)", sel), "")).
					Links(runbook(c, alerts.AlertUnansweredCustomers)),
				statPanel("Reply rate (1d)", "Customer replies over delivered business-initiated messages in the last day.", "percentunit", 5, steps("blue"),
					instant(ratioOfSums(
						fmt.Sprintf("rate(waba_customer_replies_total{%s}[1d])", sel),
						fmt.Sprintf("rate(waba_reply_eligible_messages_total{%s}[1d])", sel)), "")),
				statPanel("Windows closed unanswered (1d)", "Share of the service windows that expired in the last day without a business reply.", "percentunit", 5,
					steps("green", 0.1, "orange", 0.25, "red"),
					instant(ratioOfSums(
						fmt.Sprintf("increase(waba_service_windows_closed_unanswered_total{%s}[1d])", sel),
						fmt.Sprintf("increase(waba_service_windows_closed_total{%s}[1d])", sel)), "")),
				statPanel("Open service windows", "Customers with an open 24h service window now.", "short", 4, steps("blue"),
					instant(fmt.Sprintf("sum(waba_service_windows_open{%s})", sel), "")),
			),
		),
		row("Response times",
			line(
				timeseriesPanel("First response time", "Quantiles of the time from the message that opened a service window to the first business message.", "s", 12,
					q(bizRule(c, alerts.RecFirstResponseQuantile, sel), "{{phone_number_id}} q{{quantile}}")),
				timeseriesPanel("Response time", "Quantiles of the time from the oldest unanswered customer message to the next business message, every turn.", "s", 12,
					q(bizRule(c, alerts.RecResponseQuantile, sel), "{{phone_number_id}} q{{quantile}}")),
			),
			line(
				heatmapPanel("Response time distribution", "Response times per histogram bucket.", "s", 12,
					query(fmt.Sprintf("sum by (le) (increase(waba_response_duration_seconds_bucket{%s}[$__rate_interval]))", sel), "{{le}}").
						Range().Format("heatmap")),
				timeseriesPanel("Unanswered customers per number", "Customers waiting for an answer now.", "short", 12,
					q(fmt.Sprintf("sum by (phone_number_id) (waba_unanswered_customers{%s})", sel), "{{phone_number_id}}")).
					Links(runbook(c, alerts.AlertUnansweredCustomers)),
			),
		),
		row("Replies, windows and opt-outs",
			line(
				timeseriesPanel("Service windows closed unanswered", "Windows that expired without a business reply, per hour (missed opportunities).", "short", 12,
					q(fmt.Sprintf("sum by (phone_number_id) (increase(waba_service_windows_closed_unanswered_total{%s}[1h]))", sel), "{{phone_number_id}}")),
				timeseriesPanel("Reply rate by category (1d)", "Recording rule: customer replies over delivered business-initiated messages.", "percentunit", 12,
					q(bizRule(c, alerts.RecRepliesPerEligible, sel), "{{phone_number_id}} {{category}}")),
			),
			line(
				timeseriesPanel("Delivery latency", "Quantiles of sent to delivered and delivered to read (event time).", "s", 8,
					q(bizRule(c, alerts.RecSentToDeliveredQuantile, sel), "{{phone_number_id}} sent→delivered q{{quantile}}"),
					q(bizRule(c, alerts.RecDeliveredToReadQuantile, sel), "{{phone_number_id}} delivered→read q{{quantile}}")),
				timeseriesPanel("Opt-outs by source", "Opt-out events per hour.", "short", 8,
					q(fmt.Sprintf("sum by (source) (increase(waba_opt_outs_total{%s}[1h]))", sel), "{{source}}")),
				timeseriesPanel("Opt-out rate (1d)", "Recording rule: customers newly opted out over delivered messages in the last day; WabaOptOutRateHigh fires above the threshold.", "percentunit", 8,
					q(bizRule(c, alerts.RecOptedOutPerDelivered, sel), "{{phone_number_id}}")).
					Links(runbook(c, alerts.AlertOptOutRateHigh)),
			),
		),
	)
}

// BillingAndLimits: quota burn and projection, billable messages, cost, the
// messaging limits, the quality rating and the account status.
func BillingAndLimits(c alerts.Config) dashboard.Dashboard {
	return newDashboard(c, "waba-billing-and-limits", "Billing and limits",
		"Quota used against the contract with its projection to the period end, priced messages by type, category and country, estimated cost, messaging limits, quality rating and account status.",
		quotaRow(c),
		pricingRow(c),
		messagingLimitsRow(c),
		qualityRow(c),
	)
}

// quotaRow shows each quota used, its burn rate and its projection to the period end.
func quotaRow(c alerts.Config) section {
	_, selInst := sels(c)
	ruleInst := func(name string) string { return bizRule(c, name, selInst) }
	quotaRunbooks := runbook(c, alerts.AlertQuotaNearlyUsed, alerts.AlertQuotaBurnTooFast)
	return row("Quota",
		line(
			gaugePanel("Quota used", "Share of each quota used in the current period.", "percentunit", 6, 0, 1,
				steps("green", c.QuotaWarning, "orange", c.QuotaCritical, "red"),
				instant(ruleInst(alerts.RecQuotaUsedPerLimit), "{{quota}}")).Links(quotaRunbooks),
			statPanel("Quota burn", "Share used divided by share of the period elapsed: above 1 the quota runs out early.", "none", 6,
				steps("green", 1.0, "orange", c.QuotaBurnMax, "red"),
				instant(ruleInst(alerts.RecQuotaBurn), "{{quota}}")).Links(quotaRunbooks),
			statPanel("Projected at period end", "Used now plus the current consumption rate until the period ends, over the limit.", "percentunit", 6,
				steps("green", c.QuotaWarning, "orange", 1.0, "red"),
				instant(ruleInst(alerts.RecQuotaProjectedPerLimit), "{{quota}}")),
			statPanel("Period elapsed", "Share of the current quota period that has passed.", "percentunit", 6, steps("blue"),
				instant(ruleInst(alerts.RecQuotaPeriodElapsed), "{{quota}}")),
		),
		line(
			timeseriesPanel("Quota used vs limit", "Units used in the period, the limit, and the projection to the period end at the current rate.", "short", 24,
				q(c.Sum(fmt.Sprintf("waba_quota_used{%s}", selInst)), "{{quota}} used"),
				q(c.Max(fmt.Sprintf("waba_quota_limit{%s}", selInst)), "{{quota}} limit"),
				q(ruleInst(alerts.RecQuotaProjectedUsed), "{{quota}} projected at period end")).
				OverrideByRegexp(".* limit$", fixedColor("red")).Links(quotaRunbooks),
		),
	)
}

// pricingRow shows priced messages by type, category and country, and the estimated cost.
func pricingRow(c alerts.Config) section {
	sel, _ := sels(c)
	cost := timeseriesPanel("Estimated cost per day", "Regular messages priced with the configured rate card, per currency.", "short", 8,
		q(fmt.Sprintf("sum by (currency) (increase(waba_estimated_cost_total{%s}[1d]))", sel), "{{currency}}"))
	for _, cur := range currencies {
		cost.OverrideByName(cur, []dashboard.DynamicConfigValue{{Id: "unit", Value: "currency" + cur}})
	}
	return row("Priced messages and cost",
		line(
			timeseriesPanel("Priced messages by pricing type", "Delivered messages per second: regular (billable), free customer service, free entry point.", "cps", 8,
				q(fmt.Sprintf("sum by (pricing_type) (rate(waba_outbound_messages_priced_total{%s}[$__rate_interval]))", sel), "{{pricing_type}}")),
			bargaugePanel("Billable messages by category", "Regular (billable) messages in the time range.", "short", 8,
				instant(fmt.Sprintf("sum by (category) (increase(waba_outbound_messages_priced_total{%s}[$__range]))", with(sel, `pricing_type="regular"`)), "{{category}}")),
			tablePanel("Priced messages by country", "Top 20 countries by delivered messages in the time range.", "short", 8,
				tableQuery(fmt.Sprintf("topk(20, sum by (country, pricing_type) (increase(waba_outbound_messages_priced_total{%s}[$__range])))", sel))),
		),
		line(
			cost,
			timeseriesPanel("Pricing mismatches", "Webhook pricing or conversation that disagrees with the state machine, per hour; should stay near 0.", "short", 16,
				q(fmt.Sprintf("sum by (field) (increase(waba_pricing_mismatches_total{%s}[1h]))", sel), "{{field}}")),
		),
	)
}

// messagingLimitsRow shows unique recipients against the messaging limits, per number and per portfolio.
func messagingLimitsRow(c alerts.Config) section {
	sel, _ := sels(c)
	_, selInst := sels(c)
	return row("Messaging limits",
		line(
			timeseriesPanel("24h unique recipients vs messaging limit", "Distinct customers reached with business-initiated messages in 24h, against the limit.", "short", 12,
				q(c.Sum(fmt.Sprintf("waba_business_initiated_unique_recipients_24h{%s}", sel)), "{{phone_number_id}} recipients"),
				q(c.Max(fmt.Sprintf("waba_messaging_limit_recipients{%s}", sel)), "{{phone_number_id}} limit"),
				q(c.Sum(fmt.Sprintf("waba_portfolio_business_initiated_unique_recipients_24h{%s}", selInst)), "portfolio {{portfolio}}")).
				OverrideByRegexp(".* limit$", fixedColor("red")),
			gaugePanel("Messaging limit used", "24h unique recipients over the messaging limit, per number.", "percentunit", 12, 0, 1,
				steps("green", c.MessagingLimitWarning, "orange", 1.0, "red"),
				instant(bizRule(c, alerts.RecMessagingLimitUsed, sel), "{{phone_number_id}}")).
				Links(runbook(c, alerts.AlertMessagingLimitNearlyUsed)),
		),
		line(
			timeseriesPanel("Portfolio recipients vs learned limit", "Distinct customers delivered a business-initiated message in 24h across the numbers of each portfolio (what Meta's limit counts), against the portfolio's messaging limit as learned from the webhooks (else the config).", "short", 12,
				q(c.Sum(fmt.Sprintf("waba_portfolio_business_initiated_unique_recipients_24h{%s}", selInst)), "{{portfolio}} recipients"),
				q(fmt.Sprintf("max by (portfolio) (waba_portfolio_messaging_limit_recipients{%s})", selInst), "{{portfolio}} limit")).
				OverrideByRegexp(".* limit$", fixedColor("red")).
				Links(runbook(c, alerts.AlertMessagingLimitNearlyUsed)),
			gaugePanel("Portfolio messaging limit used", "Recording rule: 24h unique recipients of the portfolio over its messaging limit; WabaMessagingLimitNearlyReached fires above the threshold.", "percentunit", 6, 0, 1,
				steps("green", c.MessagingLimitWarning, "orange", 1.0, "red"),
				instant(bizRule(c, alerts.RecPortfolioLimitUsed, selInst), "{{portfolio}}")).
				Links(runbook(c, alerts.AlertMessagingLimitNearlyUsed)),
			tablePanel("Volume pricing tier", "Volume-based pricing tier per WhatsApp Business Account and category (VOLUME_BASED_PRICING_TIER_UPDATE).", "none", 6,
				tableQuery(fmt.Sprintf("max by (waba_id, category) (waba_pricing_volume_tier{%s})", selInst))),
		),
	)
}

// qualityRow shows the quality rating of each number and the status of each account.
func qualityRow(c alerts.Config) section {
	sel, _ := sels(c)
	_, selInst := sels(c)
	return row("Quality and account",
		line(
			stateTimelinePanel("Quality rating", "Quality rating reported by Meta per number.", 12, ratingMappings,
				q(fmt.Sprintf(`max by (phone_number_id) (
  waba_phone_number_quality_rating{%s} * 1
  or waba_phone_number_quality_rating{%s} * 2
  or waba_phone_number_quality_rating{%s} * 3
)`, with(sel, `rating="green"`), with(sel, `rating="yellow"`), with(sel, `rating="red"`)), "{{phone_number_id}}")).
				Links(runbook(c, alerts.AlertQualityRatingLow)),
			stateTimelinePanel("Account status", "Status of each WhatsApp Business Account from account_update webhooks; WabaAccountRestricted and WabaAccountDisabled page on restricted and disabled.", 12, accountMappings,
				q(fmt.Sprintf(`max by (waba_id) (
  waba_account_status{%s} * 1
  or waba_account_status{%s} * 2
  or waba_account_status{%s} * 3
)`, with(selInst, `status="ok"`), with(selInst, `status="restricted"`), with(selInst, `status="disabled"`)), "{{waba_id}}")).
				Links(runbook(c, alerts.AlertAccountRestricted, alerts.AlertAccountDisabled)),
		),
	)
}

// ExporterHealth: the exporter's own state (tailing, parsing, state size).
func ExporterHealth(c alerts.Config) dashboard.Dashboard {
	return newDashboard(c, "waba-exporter-health", "Exporter health",
		"Scrape status, readiness, webhook flow, tail lag, parse errors by reason, rotations, state size and checkpoint age of waba_exporter; consumer lag, rebuilds and forwarders in Kafka mode.",
		healthStatusRow(c),
		readingRow(c),
		stateRow(c),
		kafkaRow(c),
	)
}

// kafkaRow shows the consumer group (lag by partition, partition rebuilds,
// rebalances) and the forwarders (records acknowledged and failed, records
// buffered). Its panels have data only in Kafka mode (run --kafka.*, forward).
func kafkaRow(c alerts.Config) section {
	_, selInst := sels(c)
	m := func(expr string) string { return fmt.Sprintf(expr, selInst) }
	rebuild := func(qt, legend string) target {
		return q(fmt.Sprintf("histogram_quantile(%s, sum by (le) (increase(waba_exporter_kafka_rebuild_duration_seconds_bucket{%s}[1h])))", qt, selInst), legend)
	}
	lagRunbook, fwdRunbook := runbook(c, alerts.AlertExporterKafkaConsumerLag), runbook(c, alerts.AlertExporterForwarderStalled)
	return row("Kafka",
		line(
			timeseriesPanel("Consumer lag by partition", "Records of each partition not applied yet, whichever member owns it; WabaExporterKafkaConsumerLag fires when their sum stays above the threshold.", "short", 12,
				q(m("sum by (topic, partition) (waba_exporter_kafka_consumer_lag_records{%s})"), "{{topic}}/{{partition}}")).
				Links(lagRunbook),
			timeseriesPanel("Partition rebuild duration", "Time from the assignment of a partition to its shard being caught up (rebuilt from retention or resumed from a checkpoint), over the last hour.", "s", 6,
				rebuild("0.5", "median"), rebuild("0.9", "p90")).
				Links(lagRunbook),
			timeseriesPanel("Rebalances", "Group rebalances per hour each member took part in.", "short", 6,
				q(m("sum by (instance) (increase(waba_exporter_kafka_rebalances_total{%s}[1h]))"), "{{instance}}")),
		),
		line(
			timeseriesPanel("Forwarder records", "Records acknowledged by the broker and produce errors (each produced again), per second and forwarder.", "cps", 12,
				q(m("sum by (instance) (rate(waba_exporter_forward_records_total{%s}[$__rate_interval]))"), "{{instance}} acknowledged"),
				q(m("sum by (instance) (rate(waba_exporter_forward_produce_errors_total{%s}[$__rate_interval]))"), "{{instance}} errors")).
				Links(fwdRunbook),
			timeseriesPanel("Forwarder buffered records", "Records produced and not acknowledged yet (bounded by --kafka.max-buffered-records); WabaExporterForwarderStalled fires when they wait and nothing is acknowledged.", "short", 12,
				q(m("sum by (instance) (waba_exporter_forward_buffered_records{%s})"), "{{instance}}")).
				Links(fwdRunbook),
		),
	)
}

// healthStatusRow shows scrape, readiness, reload, sources, checkpoint and watermark at a glance.
func healthStatusRow(c alerts.Config) section {
	_, selInst := sels(c)
	m := func(expr string) string { return fmt.Sprintf(expr, selInst) }
	return row("Status",
		line(
			statPanel("Up", "Prometheus scrape status per instance.", "none", 4, steps("red", 1.0, "green"),
				instant(m("up{%s}"), "{{instance}}")).Mappings(boolMappings("down", "up")).
				Links(runbook(c, alerts.AlertExporterDown)),
			statPanel("State ready", "0 while the checkpoint is restored or the logs are replayed.", "none", 4, steps("red", 1.0, "green"),
				instant(alerts.PerInstance("min", m("waba_exporter_state_ready{%s}")), "{{instance}}")).Mappings(boolMappings("restoring", "ready")).
				Links(runbook(c, alerts.AlertExporterStateNotReady)),
			statPanel("Last config reload", "Whether the last configuration reload succeeded.", "none", 4, steps("red", 1.0, "green"),
				instant(alerts.PerInstance("min", m("waba_exporter_config_last_reload_successful{%s}")), "{{instance}}")).Mappings(boolMappings("failed", "ok")).
				Links(runbook(c, alerts.AlertExporterConfigReloadFailed)),
			statPanel("Sources up", "Inputs whose path exists and is readable, over all inputs.", "short", 4, steps("red", 1.0, "green"),
				instant(m("sum by (instance) (waba_exporter_source_up{%s})"), "{{instance}}")).
				Links(runbook(c, alerts.AlertExporterSourceDown)),
			statPanel("Checkpoint age", "Time since the last successful state checkpoint (the oldest of a Kafka member's partitions); \"disabled\" when no checkpoint was ever written.", "s", 4,
				steps("green", time.Duration(c.CheckpointMaxAge).Seconds()/2, "orange", time.Duration(c.CheckpointMaxAge).Seconds(), "red"),
				instant(alerts.PerInstance("max", strings.ReplaceAll(`
  (time() - waba_exporter_checkpoint_last_success_timestamp_seconds{%s})
    and waba_exporter_checkpoint_last_success_timestamp_seconds{%s} > 0
  or waba_exporter_checkpoint_last_success_timestamp_seconds{%s} * 0
`, "%s", selInst)), "{{instance}}")).
				Mappings(valueText([3]string{"0", "disabled", "text"})).
				Links(runbook(c, alerts.AlertExporterCheckpointStale)),
			statPanel("Newest webhook", "Event time of the newest webhook seen (the watermark); WabaWebhooksStopped fires when it gets old.", "dateTimeFromNow", 4, steps("blue"),
				instant(alerts.PerInstance("max", m("waba_exporter_last_event_timestamp_seconds{%s}"))+" * 1000", "{{instance}}")).
				Links(runbook(c, alerts.AlertWebhooksStopped)),
		),
	)
}

// readingRow shows tail lag, events, parse errors, lines read, file events and push failures.
func readingRow(c alerts.Config) section {
	_, selInst := sels(c)
	m := func(expr string) string { return fmt.Sprintf(expr, selInst) }
	return row("Reading and parsing",
		line(
			timeseriesPanel("Tail lag", "Bytes written to the log files but not read yet.", "bytes", 12,
				q(m("sum by (instance, logfile) (waba_exporter_tail_lag_bytes{%s})"), "{{instance}} {{logfile}}")).
				Links(runbook(c, alerts.AlertExporterTailStalled)),
			timeseriesPanel("Webhook events", "Webhook changes processed per second by field; a flat line at 0 is what WabaWebhooksStopped alerts on.", "cps", 12,
				q(m("sum by (field) (rate(waba_exporter_events_total{%s}[$__rate_interval]))"), "{{field}}")).
				Links(runbook(c, alerts.AlertWebhooksStopped)),
		),
		line(
			timeseriesPanel("Parse errors by reason", "Lines that could not be decoded, per second.", "cps", 8,
				q(m("sum by (reason) (rate(waba_exporter_parse_errors_total{%s}[$__rate_interval]))"), "{{reason}}")),
			timeseriesPanel("Parse error ratio", "Recording rule: share of the lines read that fail to parse (5m); WabaExporterParseErrorsHigh fires above the threshold.", "percentunit", 8,
				q(rule(alerts.RecParseErrorsPerLine, selInst), "{{instance}} {{logfile}}")).
				Links(runbook(c, alerts.AlertExporterParseErrorsHigh)),
			timeseriesPanel("Lines read", "Complete lines read per second.", "cps", 8,
				q(m("sum by (instance, logfile) (rate(waba_exporter_lines_read_total{%s}[$__rate_interval]))"), "{{instance}} {{logfile}}")),
		),
		line(
			timeseriesPanel("Rotations, truncations and read errors", "File events per hour.", "short", 12,
				q(m("sum by (logfile) (increase(waba_exporter_file_rotations_total{%s}[1h]))"), "{{logfile}} rotations"),
				q(m("sum by (logfile) (increase(waba_exporter_file_truncations_total{%s}[1h]))"), "{{logfile}} truncations"),
				q(m("sum by (logfile) (increase(waba_exporter_file_read_errors_total{%s}[1h]))"), "{{logfile}} read errors")),
			timeseriesPanel("Pushes failed", "Failed pushes per hour by URL (push mode only).", "short", 12,
				q(m("sum by (url) (increase(waba_exporter_push_failures_total{%s}[1h]))"), "{{url}}")).
				Links(runbook(c, alerts.AlertExporterPushFailing)),
		),
	)
}

// stateRow shows the state maps, evictions, label overflow, duplicates and the build.
func stateRow(c alerts.Config) section {
	_, selInst := sels(c)
	m := func(expr string) string { return fmt.Sprintf(expr, selInst) }
	return row("State",
		line(
			timeseriesPanel("State entries", "Entries held in the state maps, by kind.", "short", 8,
				q(m("sum by (kind) (waba_exporter_state_entries{%s})"), "{{kind}}")),
			timeseriesPanel("Evictions", "State entries evicted per hour, by kind and reason (capacity evictions truncate the metrics).", "short", 8,
				q(m("sum by (kind, reason) (increase(waba_exporter_state_evictions_total{%s}[1h]))"), "{{kind}} {{reason}}")).
				Links(runbook(c, alerts.AlertExporterStateEvictions)),
			timeseriesPanel("Label values folded into other", "Values over a label's cap per hour, by label.", "short", 8,
				q(m("sum by (label) (increase(waba_exporter_label_values_overflow_total{%s}[1h]))"), "{{label}}")).
				Links(runbook(c, alerts.AlertExporterLabelOverflow)),
		),
		line(
			timeseriesPanel("Duplicates and out-of-order events", "Deduplicated retries and events older than the state, per second.", "cps", 12,
				q(m("sum by (kind) (rate(waba_exporter_duplicate_events_total{%s}[$__rate_interval]))"), "duplicate {{kind}}"),
				q(m("sum by (kind) (rate(waba_exporter_out_of_order_events_total{%s}[$__rate_interval]))"), "out of order {{kind}}")),
			timeseriesPanel("Collect duration", "Duration of the last Collect() per instance.", "s", 12,
				q(m("max by (instance) (waba_exporter_collect_duration_seconds{%s})"), "{{instance}}")),
		),
		line(
			tablePanel("Build", "Version of each running exporter.", "none", 24,
				tableQuery(m("waba_exporter_build_info{%s}"))),
		),
	)
}
