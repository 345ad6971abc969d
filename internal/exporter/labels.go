package exporter

import (
	"github.com/waba-exporter/waba_exporter/model"
	"github.com/waba-exporter/waba_exporter/window"
)

// Label vocabularies: the label values the exporter gives the window package's enums.
// Each array is indexed by its enum and sized by its Num constant, so that a new enum
// value without a name fails to compile.
var (
	// funnelNames are the `status` values of waba_outbound_message_status_total.
	funnelNames = [window.NumFunnel]string{"sent", "delivered", "read", "played"}
	// sourceNames are the `source` values of the opt-out and opt-in counters.
	sourceNames = [window.NumSource]string{"user_preferences", "keyword", "button", "delivery_error"}
	// attributionNames are the `attribution` values of waba_replies_total.
	attributionNames = [window.NumAttribution]string{"context", "window"}
	// mismatchNames are the `field` values of waba_pricing_mismatches_total.
	mismatchNames = [window.NumMismatch]string{"conversation", "category", "pricing_type"}
	// campaignStatusNames are the `status` values of waba_campaign_messages_total.
	campaignStatusNames = [window.NumCampaignStatus]string{"sent", "delivered", "read", "failed"}
	// dropReasonNames are the `reason` values of waba_exporter_dropped_events_total.
	dropReasonNames = [window.NumDropReason]string{"business_cap", "not_allowed", "no_business", "bad_metadata", "no_message_id"}
	// evictKindNames are the `kind` values of state entries and evictions.
	evictKindNames = [window.NumEvictKind]string{"message", "customer", "conversation", "recipient", "identity"}
	// evictReasonNames are the `reason` values of waba_exporter_state_evictions_total.
	evictReasonNames = [window.NumEvictReason]string{"ttl", "capacity"}
	// activeWindowNames are the `window` values of waba_active_customers.
	activeWindowNames = [window.NumActiveWindow]string{"1d", "7d", "30d"}
	// accountStatusNames are the `status` values of waba_account_status.
	accountStatusNames = [window.NumAccountStatus]string{"ok", "restricted", "disabled"}
	// limitSourceNames are the `source` values of waba_portfolio_messaging_limit_recipients
	// (a portfolio whose limit is unknown has no series).
	limitSourceNames = [window.NumLimitSource]string{"", "webhook", "quality_update", "config"}
)

// labelCategories are the `category` values of the pre-initialised per-category grid.
var labelCategories = []model.Category{
	model.CategoryMarketing, model.CategoryUtility, model.CategoryAuthentication,
	model.CategoryAuthenticationInternational, model.CategoryService,
	model.CategoryReferralConversion, model.CategoryMarketingLite, model.CategoryUnknown, model.CategoryOther,
}
