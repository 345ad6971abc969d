// Package exporter turns the pipeline's state into Prometheus metrics and serves them.
//
// Every metric of docs/metrics.md is declared once, in this file, as a Desc. Everything that
// comes from webhooks or from the state machine is emitted at scrape from state, under the
// pipeline's read lock, with MustNewConstMetric/MustNewConstHistogram (the mtail and
// node_exporter model): the state machine holds the counters, which is also what lets a
// checkpoint restore them exactly. Known label grids (categories x statuses, opt-out
// sources, parse error reasons) are emitted at 0 from the first sight of a phone number
// or logfile, so no series is missing.
package exporter

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

const (
	lPhone = "phone_number_id"
	lCat   = "category"
	lFile  = "logfile"
)

// Domain metrics (docs/metrics.md sections 1-9, 12, 13).
var (
	dInbound        = desc("waba_inbound_messages_total", "Customer-to-business messages received, deduplicated by message id.", lPhone, "message_type")
	dOutbound       = desc("waba_outbound_messages_total", "Distinct business-to-customer messages first seen in any status webhook.", lPhone, lCat)
	dOutboundStatus = desc("waba_outbound_message_status_total", "Outbound messages reaching a status for the first time; read without delivered also counts delivered.", lPhone, lCat, "status")
	dSentToDeliv    = desc("waba_outbound_sent_to_delivered_seconds", "Event-time latency from sent to delivered (read stands in when delivered was skipped).", lPhone, lCat)
	dDelivToRead    = desc("waba_outbound_delivered_to_read_seconds", "Event-time latency from delivered to read.", lPhone, lCat)
	dFailed         = desc("waba_outbound_messages_failed_total", "Outbound messages whose status became failed, by error code (capped).", lPhone, lCat, "error_code")
	dWebhookErrors  = desc("waba_webhook_errors_total", "Value-level webhook errors not tied to a message status.", lPhone, "error_code")

	dFirstResponse    = desc("waba_first_response_duration_seconds", "From the inbound message that opened a customer service window to the first business message sent in it.", lPhone)
	dResponse         = desc("waba_response_duration_seconds", "From the oldest unanswered inbound message to the next business message.", lPhone)
	dUnanswered       = desc("waba_unanswered_customers", "Customers whose latest inbound message is unanswered while their window is open.", lPhone)
	dOldestUnanswered = desc("waba_oldest_unanswered_message_timestamp_seconds", "Event time of the oldest unanswered inbound message in an open window.", lPhone)

	dReplyEligible = desc("waba_reply_eligible_messages_total", "Business-initiated (template) messages delivered; each opens a reply-attribution window.", lPhone, lCat)
	dReplies       = desc("waba_customer_replies_total", "First inbound message of a customer inside an attribution window, by the category it answers.", lPhone, lCat, "attribution")

	dOptOuts         = desc("waba_opt_outs_total", "Opt-out events by source.", lPhone, "source")
	dOptIns          = desc("waba_opt_ins_total", "Opt-in (resume) events by source; only sources that can resume.", lPhone, "source")
	dOptedOutCustoms = desc("waba_opted_out_customers_total", "Customers moving from not opted out to opted out; re-sends failing with 131050 do not count again.", lPhone)

	dConvOpened     = desc("waba_conversations_opened_total", "Conversation-based pricing (CBP) conversations opened: reported on a CBP-priced delivered or read status, else inferred; never a conversation object on a PMP-priced status.", lPhone, lCat)
	dFEPOpened      = desc("waba_free_entry_point_windows_opened_total", "Free entry point windows opened, in both pricing eras.", lPhone)
	dConvOpen       = desc("waba_conversations_open", "CBP conversations open now, and open free entry point windows as referral_conversion in both eras.", lPhone, lCat)
	dCSWOpened      = desc("waba_service_windows_opened_total", "Customer service windows opened.", lPhone)
	dActive         = desc("waba_active_customers", "Distinct customers with an inbound message in the trailing window of event time.", lPhone, "window")
	dCSWOpen        = desc("waba_service_windows_open", "Customers with an open 24h service window now.", lPhone)
	dCSWClosed      = desc("waba_service_windows_closed_total", "Service windows that expired.", lPhone)
	dCSWClosedUnans = desc("waba_service_windows_closed_unanswered_total", "Expired windows whose last inbound message got no business reply.", lPhone)

	dQuotaLimit    = desc("waba_quota_limit", "Configured limit for the current quota period.", "quota")
	dQuotaUsed     = desc("waba_quota_used", "Units consumed in the current quota period.", "quota")
	dQuotaConsumed = desc("waba_quota_consumed_total", "Units consumed, as a monotonic counter.", "quota")
	dQuotaStart    = desc("waba_quota_period_start_timestamp_seconds", "Start of the current quota period.", "quota")
	dQuotaEnd      = desc("waba_quota_period_end_timestamp_seconds", "End of the current quota period.", "quota")

	dUniqueRecipients     = desc("waba_business_initiated_unique_recipients_24h", "Distinct customers delivered a business-initiated message (a template sent outside a service window) in the trailing 24h of event time.", lPhone)
	dPortfolioRecipients  = desc("waba_portfolio_business_initiated_unique_recipients_24h", "Distinct customers delivered a business-initiated message in the trailing 24h, across the numbers of a portfolio (configured, else one per WABA).", "portfolio")
	dPortfolioLimit       = desc("waba_portfolio_messaging_limit_recipients", "A portfolio's messaging limit (unique customers per 24h): from business_capability_update (webhook), else phone_number_quality_update, else the config.", "portfolio", "source")
	dMessagingLimit       = desc("waba_messaging_limit_recipients", "Current messaging limit (unique recipients per 24h).", lPhone)
	dPhoneInfo            = desc("waba_phone_number_info", "Always 1: the business's own phone numbers, with their display number and WABA.", lPhone, "display_phone_number", "waba_id")
	dQualityRating        = desc("waba_phone_number_quality_rating", "Phone number quality rating as a state set.", lPhone, "rating")
	dQualityEvents        = desc("waba_phone_number_quality_events_total", "phone_number_quality_update events received.", lPhone, "event")
	dTemplateStatusEvents = desc("waba_template_status_events_total", "message_template_status_update events received.", "event")

	dPriced     = desc("waba_outbound_messages_priced_total", "Delivered outbound messages priced per message (PMP era only), by pricing class, once per message.", lPhone, lCat, "pricing_type", "country")
	dCost       = desc("waba_estimated_cost_total", "Estimated charges at the configured rate card: PMP regular messages per message, CBP billable conversations per conversation.", lPhone, lCat, "currency")
	dMismatches = desc("waba_pricing_mismatches_total", "Reported conversation or pricing disagreeing with the state machine's inference.", lPhone, "field")

	dAccountEvents = desc("waba_account_events_total", "account_update events by event, once per update.", "waba_id", "event")
	dAccountStatus = desc("waba_account_status", "Account status as a state set: ok, restricted, disabled.", "waba_id", "status")
	dVolumeTier    = desc("waba_pricing_volume_tier", "Volume pricing tier (its lower bound, in messages) from VOLUME_BASED_PRICING_TIER_UPDATE.", "waba_id", lCat)
)

// Self-metrics (docs/metrics.md section 10).
var (
	dLinesRead       = desc("waba_exporter_lines_read_total", "Complete lines read.", lFile)
	dBytesRead       = desc("waba_exporter_bytes_read_total", "Bytes read.", lFile)
	dEvents          = desc("waba_exporter_events_total", "Webhook change fields processed.", "field")
	dParseErrors     = desc("waba_exporter_parse_errors_total", "Lines or parts of lines that could not be decoded, by reason.", lFile, "reason")
	dDuplicates      = desc("waba_exporter_duplicate_events_total", "Deduplicated webhook retries and repeats.", "kind")
	dOutOfOrder      = desc("waba_exporter_out_of_order_events_total", "Events older than the recorded state.", "kind")
	dTailLag         = desc("waba_exporter_tail_lag_bytes", "File size minus read offset.", lFile)
	dLastRead        = desc("waba_exporter_last_read_timestamp_seconds", "Wall time new bytes were last read.", lFile)
	dLastEvent       = desc("waba_exporter_last_event_timestamp_seconds", "Largest payload timestamp seen (event-time watermark).")
	dRotations       = desc("waba_exporter_file_rotations_total", "New inode at the path.", lFile)
	dTruncations     = desc("waba_exporter_file_truncations_total", "Size below the offset or fingerprint changed.", lFile)
	dReadErrors      = desc("waba_exporter_file_read_errors_total", "open/read/stat failures.", lFile)
	dSourceUp        = desc("waba_exporter_source_up", "1 if the path exists and is readable.", lFile)
	dFilesWatched    = desc("waba_exporter_files_watched", "Files currently open.")
	dFsnotifyOverfl  = desc("waba_exporter_fsnotify_overflows_total", "fsnotify overflows or watcher errors that forced a rescan.")
	dStateEntries    = desc("waba_exporter_state_entries", "Entries held by the state machine.", "kind")
	dStateEvictions  = desc("waba_exporter_state_evictions_total", "State entries evicted.", "kind", "reason")
	dLabelOverflow   = desc("waba_exporter_label_values_overflow_total", "Values folded into other by the cardinality caps.", "label")
	dStateReady      = desc("waba_exporter_state_ready", "0 while restoring the checkpoint or replaying; 1 when live.")
	dCheckpointOK    = desc("waba_exporter_checkpoint_last_success_timestamp_seconds", "Last successful state checkpoint.")
	dCollectDuration = desc("waba_exporter_collect_duration_seconds", "Duration of the previous Collect.")
	dReloadOK        = desc("waba_exporter_config_last_reload_successful", "Whether the last configuration reload succeeded.")
	dReloadTime      = desc("waba_exporter_config_last_reload_success_timestamp_seconds", "Time of the last successful configuration reload.")
	dPushFailures    = desc("waba_exporter_push_failures_total", "Failed pushes.", "url")
	dPushSuccess     = desc("waba_exporter_last_push_success_timestamp_seconds", "Last successful push.", "url")
)

// allDescs lists every Desc the Collector emits (for Describe and the test that proves
// each one appears).
var allDescs = []*prometheus.Desc{
	dInbound, dOutbound, dOutboundStatus, dSentToDeliv, dDelivToRead, dFailed, dWebhookErrors,
	dFirstResponse, dResponse, dUnanswered, dOldestUnanswered, dReplyEligible, dReplies,
	dOptOuts, dOptIns, dOptedOutCustoms, dConvOpened, dFEPOpened, dConvOpen, dCSWOpened, dActive, dCSWOpen, dCSWClosed, dCSWClosedUnans,
	dQuotaLimit, dQuotaUsed, dQuotaConsumed, dQuotaStart, dQuotaEnd,
	dUniqueRecipients, dPortfolioRecipients, dPortfolioLimit, dMessagingLimit, dPhoneInfo, dQualityRating, dQualityEvents, dTemplateStatusEvents,
	dPriced, dCost, dMismatches, dAccountEvents, dAccountStatus, dVolumeTier,
	dLinesRead, dBytesRead, dEvents, dParseErrors, dDuplicates, dOutOfOrder, dTailLag, dLastRead, dLastEvent,
	dRotations, dTruncations, dReadErrors, dSourceUp, dFilesWatched, dFsnotifyOverfl, dStateEntries, dStateEvictions,
	dLabelOverflow, dStateReady, dCheckpointOK, dCollectDuration, dReloadOK, dReloadTime, dPushFailures, dPushSuccess,
}

// MetricNames returns the name of every metric the Collector declares, in declaration
// order (for the test that proves each one is emitted).
func MetricNames() []string {
	out := make([]string, 0, len(allDescs))
	for _, d := range allDescs {
		s := d.String()
		const key = `fqName: "`
		i := strings.Index(s, key)
		if i < 0 {
			continue
		}
		s = s[i+len(key):]
		out = append(out, s[:strings.IndexByte(s, '"')])
	}
	return out
}
