package alerts

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Names of the recording rules (level:metric:operations, the Prometheus naming convention for recording rules).
// Dashboards query these names; they are declared here once.
const (
	RecDeliveredPerSent        = "phone_number_id:waba_outbound_delivered_per_sent:ratio_rate1h"
	RecReadPerDelivered        = "phone_number_id:waba_outbound_read_per_delivered:ratio_rate1d"
	RecFailedPerOutbound       = "phone_number_id_category:waba_outbound_messages_failed_per_outbound_messages:ratio_rate1h"
	RecRepliesPerEligible      = "phone_number_id_category:waba_customer_replies_per_reply_eligible_messages:ratio_rate1d"
	RecOptedOutPerDelivered    = "phone_number_id:waba_opted_out_customers_per_outbound_delivered:ratio_rate1d"
	RecQuotaUsedPerLimit       = "quota:waba_quota_used_per_limit:ratio"
	RecQuotaPeriodElapsed      = "quota:waba_quota_period_elapsed:ratio"
	RecQuotaBurn               = "quota:waba_quota_burn:ratio"
	RecQuotaProjectedUsed      = "quota:waba_quota_used:projected_period_end"
	RecQuotaProjectedPerLimit  = "quota:waba_quota_projected_used_per_limit:ratio"
	RecMessagingLimitUsed      = "phone_number_id:waba_business_initiated_unique_recipients_24h_per_messaging_limit:ratio"
	RecPortfolioLimitUsed      = "portfolio:waba_portfolio_business_initiated_unique_recipients_24h_per_messaging_limit:ratio"
	RecSentToDeliveredQuantile = "phone_number_id_quantile:waba_outbound_sent_to_delivered_seconds:histogram_quantile"
	RecDeliveredToReadQuantile = "phone_number_id_quantile:waba_outbound_delivered_to_read_seconds:histogram_quantile"
	RecFirstResponseQuantile   = "phone_number_id_quantile:waba_first_response_duration_seconds:histogram_quantile"
	RecResponseQuantile        = "phone_number_id_quantile:waba_response_duration_seconds:histogram_quantile"
	RecParseErrorsPerLine      = "logfile:waba_exporter_parse_errors_per_lines_read:ratio_rate5m"
)

// Alert names. Each has a RUNBOOK.md section. Names starting with
// WabaExporter are about the exporter itself and are not gated on
// waba_exporter_state_ready; every other alert is.
const (
	AlertExporterDown               = "WabaExporterDown"
	AlertExporterStateNotReady      = "WabaExporterStateNotReady"
	AlertExporterTailStalled        = "WabaExporterTailStalled"
	AlertExporterParseErrorsHigh    = "WabaExporterParseErrorsHigh"
	AlertExporterSourceDown         = "WabaExporterSourceDown"
	AlertExporterConfigReloadFailed = "WabaExporterConfigReloadFailed"
	AlertExporterCheckpointStale    = "WabaExporterCheckpointStale"
	AlertExporterPushFailing        = "WabaExporterPushFailing"
	AlertExporterLabelOverflow      = "WabaExporterLabelOverflow"
	AlertExporterStateEvictions     = "WabaExporterStateEvictions"
	AlertExporterKafkaConsumerLag   = "WabaExporterKafkaConsumerLag"
	AlertExporterForwarderStalled   = "WabaExporterForwarderStalled"
	AlertWebhooksStopped            = "WabaWebhooksStopped"
	AlertAccountRestricted          = "WabaAccountRestricted"
	AlertAccountDisabled            = "WabaAccountDisabled"
	AlertDeliveryRatioLow           = "WabaDeliveryRatioLow"
	AlertMessageFailuresHigh        = "WabaMessageFailuresHigh"
	AlertUnansweredCustomers        = "WabaUnansweredCustomersWaiting"
	AlertOptOutRateHigh             = "WabaOptOutRateHigh"
	AlertQuotaBurnTooFast           = "WabaQuotaBurnTooFast"
	AlertQuotaNearlyUsed            = "WabaQuotaNearlyUsed"
	AlertMessagingLimitNearlyUsed   = "WabaMessagingLimitNearlyReached"
	AlertQualityRatingLow           = "WabaQualityRatingLow"
)

// Group names in rules.yml.
const (
	GroupRecording = "waba_exporter.rules"
	GroupAlerts    = "waba_exporter.alerts"
)

// RuleFile is the Prometheus rule file format (the subset we write).
type RuleFile struct {
	Groups []RuleGroup `yaml:"groups"`
}

// RuleGroup is one evaluation group; its rules run in order.
type RuleGroup struct {
	Name  string `yaml:"name"`
	Rules []Rule `yaml:"rules"`
}

// Rule is a recording rule (Record set) or an alerting rule (Alert set).
type Rule struct {
	Record      string            `yaml:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// Rules builds the recording group followed by the alerting group.
func Rules(c Config) RuleFile {
	return RuleFile{Groups: []RuleGroup{
		{Name: GroupRecording, Rules: recordingRules(c)},
		{Name: GroupAlerts, Rules: alertingRules(c)},
	}}
}

// ready is the gate ANDed to every alert derived from exporter state:
// while an exporter restores its checkpoint or replays, or a Kafka member
// rebuilds a partition it was assigned, its gauges are incomplete and must
// not page anyone.
//
// The business results carry no instance or partition any more (they are
// aggregated over every member and shard of the job), so the gate is per
// job: a sum is complete only when every shard of every member is caught up,
// hence the minimum over all of them (min by(job), not min without(instance,
// partition): labels the scrape adds per pod would otherwise leave one gate
// series per member, and `and on(job)` passes when any one of them is 1). A
// partition between revocation and reassignment has no series and cannot
// hold the gate; the `for` durations outlast that gap. WabaExporterStateNotReady
// reports the member that stays not ready, per instance.
func (c Config) ready() string {
	return fmt.Sprintf("and on(job) min by(job) (waba_exporter_state_ready{%s}) == 1", c.Selector)
}

// PerInstance aggregates (agg: sum, min, max) own labels and the partition
// label away from a per-process self-metric: a Kafka member exports its
// shards' series with partition, and the exporter alerts and health panels
// are about the process (one result per instance).
func PerInstance(agg, expr string, own ...string) string {
	return fmt.Sprintf("%s without(%s) (%s)", agg, strings.Join(append(own, PartitionLabel), ", "), expr)
}

func recordingRules(c Config) []Rule {
	s := c.Sel()
	status := func(st string) string {
		return c.Sel(`status="` + st + `"`)
	}
	rate := func(metric, sel, w string) string { return fmt.Sprintf("rate(%s{%s}[%s])", metric, sel, w) }
	m := func(metric string) string { return metric + "{" + s + "}" }
	limit := c.Max(m("waba_quota_limit"))
	start, end := c.Max(m("waba_quota_period_start_timestamp_seconds")), c.Max(m("waba_quota_period_end_timestamp_seconds"))
	// Every business rule aggregates c.AggregateWithout (instance, partition)
	// away: one result per business whatever the number of members, and a
	// partition that moves between members ends one series and starts
	// another, which rate() of each series followed by the sum sees as
	// neither a reset nor a jump.
	rs := []Rule{
		// Ratios: numerator and denominator are aggregated separately with
		// the same `sum without`, so both sides carry the same labels.
		{Record: RecDeliveredPerSent, Expr: lines(
			c.Sum(rate("waba_outbound_message_status_total", status("delivered"), "1h"), "category", "status"),
			"/",
			c.Sum(rate("waba_outbound_message_status_total", status("sent"), "1h"), "category", "status"))},
		{Record: RecReadPerDelivered, Expr: lines(
			c.Sum(rate("waba_outbound_message_status_total", status("read"), "1d"), "category", "status"),
			"/",
			c.Sum(rate("waba_outbound_message_status_total", status("delivered"), "1d"), "category", "status"))},
		{Record: RecFailedPerOutbound, Expr: lines(
			c.Sum(rate("waba_outbound_messages_failed_total", s, "1h"), "error_code"),
			"/",
			c.Sum(rate("waba_outbound_messages_total", s, "1h")))},
		{Record: RecRepliesPerEligible, Expr: lines(
			c.Sum(rate("waba_customer_replies_total", s, "1d"), "attribution"),
			"/",
			c.Sum(rate("waba_reply_eligible_messages_total", s, "1d")))},
		// Opt-out rate: customers newly opted out (not opt-out events, which
		// repeat) per delivered message.
		{Record: RecOptedOutPerDelivered, Expr: lines(
			c.Sum(rate("waba_opted_out_customers_total", s, "1d")),
			"/",
			c.Sum(rate("waba_outbound_message_status_total", status("delivered"), "1d"), "category", "status"))},
		// Exporter health, per instance and input: only partition goes.
		{Record: RecParseErrorsPerLine, Expr: lines(
			PerInstance("sum", rate("waba_exporter_parse_errors_total", s, "5m"), "reason"),
			"/",
			PerInstance("sum", rate("waba_exporter_lines_read_total", s, "5m")))},
		// Quota: share used, share of the period elapsed, and their
		// quotient (burn: 1 = on track to use exactly the limit). The units
		// used add up over the shards; the limit and the period are the same
		// on every shard that saw the quota: max.
		{Record: RecQuotaUsedPerLimit, Expr: lines(c.Sum(m("waba_quota_used")), "/", limit)},
		{Record: RecQuotaPeriodElapsed, Expr: lines(
			fmt.Sprintf("(time() - %s)", start),
			"/",
			fmt.Sprintf("(%s - %s)", end, start))},
		{Record: RecQuotaBurn, Expr: fmt.Sprintf("%s{%s} / %s{%s}", RecQuotaUsedPerLimit, s, RecQuotaPeriodElapsed, s)},
		// Projection: used now plus the current consumption rate times the
		// time left in the period.
		{Record: RecQuotaProjectedUsed, Expr: lines(
			c.Sum(m("waba_quota_used")),
			"+ "+c.Sum(rate("waba_quota_consumed_total", s, pd(c.QuotaProjectionWindow))),
			fmt.Sprintf("  * clamp_min(%s - time(), 0)", end))},
		{Record: RecQuotaProjectedPerLimit, Expr: lines(fmt.Sprintf("%s{%s}", RecQuotaProjectedUsed, s), "/", limit)},
		{Record: RecMessagingLimitUsed, Expr: lines(
			c.Sum(m("waba_business_initiated_unique_recipients_24h")),
			"/",
			c.Max(m("waba_messaging_limit_recipients")))},
		// Meta's limit is per portfolio: delivered business-initiated unique
		// recipients over the learned (or configured) limit; an unlimited
		// portfolio (+Inf) records 0. The limit carries a source label, one
		// series at a time; max without(source) keeps the match one-to-one.
		{Record: RecPortfolioLimitUsed, Expr: lines(
			c.Sum(m("waba_portfolio_business_initiated_unique_recipients_24h")),
			"/",
			c.Max(m("waba_portfolio_messaging_limit_recipients"), "source"))},
	}
	for _, h := range []struct {
		record, metric string
		without        []string
	}{
		{RecSentToDeliveredQuantile, "waba_outbound_sent_to_delivered_seconds", []string{"category"}},
		{RecDeliveredToReadQuantile, "waba_outbound_delivered_to_read_seconds", []string{"category"}},
		{RecFirstResponseQuantile, "waba_first_response_duration_seconds", nil},
		{RecResponseQuantile, "waba_response_duration_seconds", nil},
	} {
		for _, q := range c.Quantiles {
			rs = append(rs, Rule{
				Record: h.record,
				Expr: fmt.Sprintf("histogram_quantile(%s, %s)",
					num(q), c.Sum(rate(h.metric+"_bucket", s, pd(c.QuantileRateWindow)), h.without...)),
				Labels: map[string]string{"quantile": num(q)},
			})
		}
	}
	return append(rs, campaignRules(c)...)
}

func (c Config) alert(name, severity string, forDur string, expr, summary, description string) Rule {
	return Rule{
		Alert:  name,
		Expr:   expr,
		For:    forDur,
		Labels: map[string]string{"severity": severity},
		Annotations: map[string]string{
			"summary":     summary,
			"description": description,
			"runbook_url": c.RunbookURLFor(name),
		},
	}
}

func alertingRules(c Config) []Rule {
	return slices.Concat(exporterAlerts(c), trafficAlerts(c), capacityAlerts(c), accountAlerts(c))
}

// pct formats a ratio as a percentage for annotations (0.05 -> "5%").
func pct(f float64) string { return fmt.Sprintf("%g%%", f*100) }

// exporterAlerts watch the exporter itself: scrape, state, inputs, config, checkpoint, push,
// label or state capacity, and the Kafka consumer and forwarder. They are about one
// process, so they keep instance; a Kafka member's shards add a partition label, which
// they aggregate away (one alert per instance, not one per partition).
func exporterAlerts(c Config) []Rule {
	s := c.Sel()
	d := pd
	m := func(metric string) string { return metric + "{" + s + "}" }
	checkpoint := m("waba_exporter_checkpoint_last_success_timestamp_seconds")
	lastAck := m("waba_exporter_forward_last_ack_timestamp_seconds")
	return []Rule{
		c.alert(AlertExporterDown, "critical", d(c.ExporterDownFor),
			fmt.Sprintf("up{%s} == 0 or absent(up{%s})", s, s),
			"waba_exporter is down{{ with $labels.instance }} on {{ . }}{{ end }}.",
			"Prometheus has had no successful scrape of job {{ $labels.job }}{{ with $labels.instance }} target {{ . }}{{ else }} (no target at all){{ end }} for "+d(c.ExporterDownFor)+"; every WhatsApp metric and alert of this exporter is blind."),
		c.alert(AlertExporterStateNotReady, "warning", d(c.StateNotReadyFor),
			PerInstance("min", m("waba_exporter_state_ready"))+" == 0",
			"waba_exporter {{ $labels.instance }} has not finished restoring its state.",
			"waba_exporter_state_ready has been 0 for "+d(c.StateNotReadyFor)+": the checkpoint restore, the log replay or (Kafka) the rebuild of an assigned partition has not completed, so windows, quota and unanswered-customer gauges are incomplete and the alerts of the whole job are held back."),
		c.alert(AlertExporterTailStalled, "warning", d(c.TailStalledFor),
			lines(PerInstance("sum", m("waba_exporter_tail_lag_bytes"))+" > 0",
				fmt.Sprintf("and on(job, instance, logfile) (time() - %s) > %s", PerInstance("max", m("waba_exporter_last_read_timestamp_seconds")), secs(c.TailStalledAfter))),
			"waba_exporter {{ $labels.instance }} stopped reading {{ $labels.logfile }}.",
			"{{ $value | humanize1024 }}B are waiting in {{ $labels.logfile }} but nothing has been read for more than "+d(c.TailStalledAfter)+"."),
		c.alert(AlertExporterParseErrorsHigh, "warning", d(c.ParseErrorsFor),
			fmt.Sprintf("%s{%s} > %s", RecParseErrorsPerLine, s, num(c.ParseErrorRatioMax)),
			"waba_exporter {{ $labels.instance }} cannot parse many lines of {{ $labels.logfile }}.",
			"{{ $value | humanizePercentage }} of the lines read from {{ $labels.logfile }} fail to parse (threshold "+pct(c.ParseErrorRatioMax)+"); see waba_exporter_parse_errors_total by reason."),
		c.alert(AlertExporterSourceDown, "warning", d(c.SourceDownFor),
			PerInstance("min", m("waba_exporter_source_up"))+" == 0",
			"waba_exporter {{ $labels.instance }} cannot read {{ $labels.logfile }}.",
			"The input {{ $labels.logfile }} is missing or unreadable (waba_exporter_source_up == 0) for "+d(c.SourceDownFor)+": webhooks written there are not counted until it is back."),
		c.alert(AlertExporterConfigReloadFailed, "warning", d(c.ConfigReloadFailedFor),
			PerInstance("min", m("waba_exporter_config_last_reload_successful"))+" == 0",
			"waba_exporter {{ $labels.instance }} rejected its new configuration.",
			"The last configuration reload failed "+d(c.ConfigReloadFailedFor)+" or more ago; the exporter still runs the previous configuration and a restart would fail the same way."),
		c.alert(AlertExporterCheckpointStale, "warning", d(c.CheckpointStaleFor),
			// The oldest checkpoint of the process (a Kafka member writes one per partition).
			lines("max without("+PartitionLabel+") (",
				fmt.Sprintf("  time() - %s > %s", checkpoint, secs(c.CheckpointMaxAge)),
				fmt.Sprintf("  and %s > 0", checkpoint),
				")"),
			"waba_exporter {{ $labels.instance }} has not written a checkpoint for {{ $value | humanizeDuration }}.",
			"The last successful state checkpoint is {{ $value | humanizeDuration }} old (threshold "+d(c.CheckpointMaxAge)+"): a restart now would replay the logs from an old position or lose state the logs no longer hold."),
		c.alert(AlertExporterPushFailing, "warning", d(c.PushFailingFor),
			PerInstance("sum", fmt.Sprintf("increase(waba_exporter_push_failures_total{%s}[5m])", s))+" > 0",
			"waba_exporter {{ $labels.instance }} fails to push to {{ $labels.url }}.",
			"Pushes to {{ $labels.url }} have failed in every 5 minutes for "+d(c.PushFailingFor)+" ({{ $value | humanize }} in the last 5m); the remote storage misses these samples."),
		c.alert(AlertExporterLabelOverflow, "warning", d(c.LabelOverflowFor),
			PerInstance("sum", fmt.Sprintf("increase(waba_exporter_label_values_overflow_total{%s}[15m])", s))+" > 0",
			"waba_exporter {{ $labels.instance }} folds {{ $labels.label }} values into \"other\".",
			"Values of label {{ $labels.label }} have gone over its cap in every 15 minutes for "+d(c.LabelOverflowFor)+" ({{ $value | humanize }} in the last 15m) and are counted as \"other\"; raise the cap or use an allowlist if they matter."),
		c.alert(AlertExporterStateEvictions, "warning", d(c.StateEvictionsFor),
			PerInstance("sum", fmt.Sprintf("increase(waba_exporter_state_evictions_total{%s}[15m])", c.Sel(`reason="capacity"`)), "reason")+" > 0",
			"waba_exporter {{ $labels.instance }} evicts {{ $labels.kind }} state for lack of capacity.",
			"{{ $labels.kind }} entries have been evicted because the state map is full (not by TTL) in every 15 minutes for "+d(c.StateEvictionsFor)+" ({{ $value | humanize }} in the last 15m): windows, latencies and unique-recipient counts are truncated; raise the state: caps and the memory."),
		// The lag of the consumer group: every partition of the topic, whichever member owns it.
		c.alert(AlertExporterKafkaConsumerLag, "warning", d(c.KafkaConsumerLagFor),
			c.Sum(m("waba_exporter_kafka_consumer_lag_records"), PartitionLabel, "instance")+" > "+num(c.KafkaConsumerLagMax),
			"The waba_exporter consumers of {{ $labels.topic }} fall behind.",
			"The members of job {{ $labels.job }} have {{ $value | humanize }} records of {{ $labels.topic }} not applied yet (threshold "+num(c.KafkaConsumerLagMax)+") for "+d(c.KafkaConsumerLagFor)+": every WhatsApp metric of the job is late by as much; see the lag by partition on the Exporter health dashboard."),
		// A forwarder that reads lines or holds unacknowledged records while the
		// broker has acknowledged nothing: its receiver's webhooks do not reach Kafka.
		c.alert(AlertExporterForwarderStalled, "critical", d(c.ForwarderStalledFor),
			lines(fmt.Sprintf("time() - %s > %s", lastAck, secs(c.ForwarderStalledAfter)),
				"and on(job, instance) (",
				fmt.Sprintf("  %s > 0", m("waba_exporter_forward_buffered_records")),
				fmt.Sprintf("  or increase(waba_exporter_forward_lines_total{%s}[%s]) > 0", s, pd(c.ForwarderStalledAfter)),
				")"),
			"waba_exporter forward {{ $labels.instance }} gets nothing acknowledged by Kafka.",
			"The forwarder {{ $labels.instance }} has input to produce but the broker acknowledged no record for {{ $value | humanizeDuration }} (threshold "+d(c.ForwarderStalledAfter)+"): the webhooks of its receiver wait in its buffer and log, and are missing from every member's metrics until the broker takes them."),
	}
}

// trafficAlerts watch the webhook flow and the message outcomes per number.
func trafficAlerts(c Config) []Rule {
	s := c.Sel()
	d := pd
	// The newest event over every member and shard of the job: a shard whose
	// few customers are quiet is no outage.
	newest := c.Max(fmt.Sprintf("waba_exporter_last_event_timestamp_seconds{%s}", s))
	return []Rule{
		c.alert(AlertWebhooksStopped, "critical", d(c.WebhooksStoppedFor),
			lines(fmt.Sprintf("time() - %s > %s", newest, secs(c.WebhooksStoppedAfter)),
				fmt.Sprintf("and %s > 0", newest),
				c.ready()),
			"No WhatsApp webhook reached waba_exporter (job {{ $labels.job }}) for {{ $value | humanizeDuration }}.",
			"The newest webhook event seen by job {{ $labels.job }} is {{ $value | humanizeDuration }} old (threshold "+d(c.WebhooksStoppedAfter)+"): Meta stopped sending (expired token, unsubscribed app), the receiver stopped writing, or the exporter reads the wrong files."),
		c.alert(AlertWebhooksStopped, "warning", d(c.WebhooksStoppedFor),
			lines(c.webhookEvents(pd(c.PhoneNumberStoppedAfter))+" == 0",
				"and "+c.webhookEvents(pd(c.PhoneNumberActiveWindow))+" > 0",
				c.ready()),
			"No webhook for WhatsApp number {{ $labels.phone_number_id }} for "+d(c.PhoneNumberStoppedAfter)+".",
			"{{ $labels.phone_number_id }} had messages or statuses in the last "+d(c.PhoneNumberActiveWindow)+" but none in the last "+d(c.PhoneNumberStoppedAfter)+": its webhooks may have stopped (number deregistered, app unsubscribed from this WABA) while other numbers still arrive."),
		c.alert(AlertDeliveryRatioLow, "warning", d(c.DeliveryFor),
			lines(fmt.Sprintf("%s{%s} < %s", RecDeliveredPerSent, s, num(c.DeliveryRatioMin)),
				fmt.Sprintf("and %s >= %s", c.Sum(fmt.Sprintf("increase(waba_outbound_message_status_total{%s}[1h])", c.Sel(`status="sent"`)), "category", "status"), num(c.DeliveryMinSentPerHour)),
				c.ready()),
			"Low delivery ratio on WhatsApp number {{ $labels.phone_number_id }}.",
			"Only {{ $value | humanizePercentage }} of the messages sent by {{ $labels.phone_number_id }} in the last hour were delivered (threshold "+pct(c.DeliveryRatioMin)+")."),
		c.alert(AlertMessageFailuresHigh, "warning", d(c.FailuresFor),
			lines(fmt.Sprintf("%s{%s} > %s", RecFailedPerOutbound, s, num(c.FailureRatioMax)),
				fmt.Sprintf("and %s >= %s", c.Sum(fmt.Sprintf("increase(waba_outbound_messages_total{%s}[1h])", s)), num(c.FailureMinMessagesPerHour)),
				c.ready()),
			"Many {{ $labels.category }} messages fail on WhatsApp number {{ $labels.phone_number_id }}.",
			"{{ $value | humanizePercentage }} of the {{ $labels.category }} messages of {{ $labels.phone_number_id }} failed in the last hour (threshold "+pct(c.FailureRatioMax)+"); see waba_outbound_messages_failed_total by error_code."),
		c.alert(AlertUnansweredCustomers, "warning", d(c.UnansweredFor),
			lines(fmt.Sprintf("time() - %s > %s", c.Min(fmt.Sprintf("waba_oldest_unanswered_message_timestamp_seconds{%s}", s)), secs(c.UnansweredMaxWait)),
				c.ready()),
			"Customers wait for an answer on WhatsApp number {{ $labels.phone_number_id }}.",
			"The oldest unanswered customer message to {{ $labels.phone_number_id }} has been waiting {{ $value | humanizeDuration }} (threshold "+d(c.UnansweredMaxWait)+") while its service window is open."),
		c.alert(AlertOptOutRateHigh, "warning", d(c.OptOutFor),
			lines(fmt.Sprintf("%s{%s} > %s", RecOptedOutPerDelivered, s, num(c.OptOutRatioMax)),
				fmt.Sprintf("and %s >= %s", c.Sum(fmt.Sprintf("increase(waba_outbound_message_status_total{%s}[1d])", c.Sel(`status="delivered"`)), "category", "status"), num(c.OptOutMinDeliveredPerDay)),
				c.ready()),
			"High opt-out rate on WhatsApp number {{ $labels.phone_number_id }}.",
			"Customers newly opted out reached {{ $value | humanizePercentage }} of the messages delivered by {{ $labels.phone_number_id }} in the last day (threshold "+pct(c.OptOutRatioMax)+")."),
	}
}

// capacityAlerts watch quotas and messaging limits.
func capacityAlerts(c Config) []Rule {
	s := c.Sel()
	d := pd
	return []Rule{
		c.alert(AlertQuotaBurnTooFast, "warning", d(c.QuotaBurnFor),
			lines(fmt.Sprintf("%s{%s} > %s", RecQuotaBurn, s, num(c.QuotaBurnMax)),
				fmt.Sprintf("and %s{%s} > 1", RecQuotaProjectedPerLimit, s),
				c.ready()),
			"Quota {{ $labels.quota }} is projected to run out before the period ends.",
			"Quota {{ $labels.quota }} is being used {{ $value | printf \"%.2f\" }} times faster than the period elapses (threshold "+num(c.QuotaBurnMax)+"), and at the current rate it is used up before the period ends."),
		c.alert(AlertQuotaNearlyUsed, "warning", d(c.QuotaUsedFor),
			lines(fmt.Sprintf("%s{%s} > %s", RecQuotaUsedPerLimit, s, num(c.QuotaWarning)), c.ready()),
			"Quota {{ $labels.quota }} is more than "+pct(c.QuotaWarning)+" used.",
			"{{ $value | humanizePercentage }} of quota {{ $labels.quota }} is used in the current period."),
		c.alert(AlertQuotaNearlyUsed, "critical", d(c.QuotaUsedFor),
			lines(fmt.Sprintf("%s{%s} > %s", RecQuotaUsedPerLimit, s, num(c.QuotaCritical)), c.ready()),
			"Quota {{ $labels.quota }} is more than "+pct(c.QuotaCritical)+" used.",
			"{{ $value | humanizePercentage }} of quota {{ $labels.quota }} is used in the current period."),
		// One rule for both scopes (a number, or a portfolio whose numbers
		// share Meta's limit): the templates tell them apart by label.
		c.alert(AlertMessagingLimitNearlyUsed, "warning", d(c.MessagingLimitFor),
			lines("(",
				fmt.Sprintf("  %s{%s} > %s", RecMessagingLimitUsed, s, num(c.MessagingLimitWarning)),
				"or",
				fmt.Sprintf("  %s{%s} > %s", RecPortfolioLimitUsed, s, num(c.MessagingLimitWarning)),
				")",
				c.ready()),
			"{{ with $labels.portfolio }}Portfolio {{ . }}{{ else }}WhatsApp number {{ $labels.phone_number_id }}{{ end }} is close to its messaging limit.",
			"{{ with $labels.portfolio }}Portfolio {{ . }} delivered business-initiated messages to {{ $value | humanizePercentage }} of its messaging limit in 24h (unique recipients across its numbers; threshold "+pct(c.MessagingLimitWarning)+"); new conversations fail once it is reached.{{ else }}{{ $labels.phone_number_id }} reached {{ $value | humanizePercentage }} of its messaging limit (unique business-initiated recipients in 24h; threshold "+pct(c.MessagingLimitWarning)+").{{ end }}"),
	}
}

// accountAlerts watch Meta's verdicts on numbers and accounts.
func accountAlerts(c Config) []Rule {
	d := pd
	return []Rule{
		c.alert(AlertQualityRatingLow, "warning", d(c.QualityFor),
			lines(c.Max(fmt.Sprintf("waba_phone_number_quality_rating{%s}", c.Sel(`rating="yellow"`)))+" == 1", c.ready()),
			"WhatsApp number {{ $labels.phone_number_id }} has a yellow quality rating.",
			"Meta rates the quality of {{ $labels.phone_number_id }} yellow: recent messages got blocks or reports; a red rating can lower its messaging limit."),
		c.alert(AlertQualityRatingLow, "critical", d(c.QualityFor),
			lines(c.Max(fmt.Sprintf("waba_phone_number_quality_rating{%s}", c.Sel(`rating="red"`)))+" == 1", c.ready()),
			"WhatsApp number {{ $labels.phone_number_id }} has a red quality rating.",
			"Meta rates the quality of {{ $labels.phone_number_id }} red: its messaging limit may be lowered or the number restricted."),
		c.alert(AlertAccountRestricted, "critical", d(c.AccountStatusFor),
			lines(c.Max(fmt.Sprintf("waba_account_status{%s}", c.Sel(`status="restricted"`)))+" == 1", c.ready()),
			"WhatsApp Business Account {{ $labels.waba_id }} is restricted.",
			"Meta restricted account {{ $labels.waba_id }} (account_update ACCOUNT_RESTRICTION): business-initiated messages are blocked or limited until the restriction ends or an appeal succeeds."),
		c.alert(AlertAccountDisabled, "critical", d(c.AccountStatusFor),
			lines(c.Max(fmt.Sprintf("waba_account_status{%s}", c.Sel(`status="disabled"`)))+" == 1", c.ready()),
			"WhatsApp Business Account {{ $labels.waba_id }} is disabled.",
			"Meta disabled account {{ $labels.waba_id }} (account_update DISABLED_UPDATE): none of its numbers can send messages."),
	}
}

func lines(ls ...string) string { return strings.Join(ls, "\n") }

// webhookEvents sums, per business number, the inbound messages and the
// outbound statuses of the last window. `or` unites the two families (their
// label sets differ, so nothing is dropped) before the sum without their own
// labels and AggregateWithout: a number with only outbound traffic still counts.
func (c Config) webhookEvents(window string) string {
	return c.Sum(fmt.Sprintf("increase(waba_inbound_messages_total{%s}[%s]) or increase(waba_outbound_message_status_total{%s}[%s])", c.Selector, window, c.Selector, window),
		"message_type", "category", "status")
}

// GeneratedHeader starts every generated rule file.
const GeneratedHeader = "# Code generated by `waba_exporter generate rules` (or `go generate ./alerts/`) from alerts.Config; DO NOT EDIT.\n"

// RulesYAML renders a rule file in the committed format.
func RulesYAML(f RuleFile) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(GeneratedHeader)
	err := EncodeYAML(&b, f)
	return b.Bytes(), err
}

// RulesFile is the committed rule file, relative to the alerts directory.
const RulesFile = "rules.yml"
