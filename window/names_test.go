package window

// The scenario files name the enums of this package by the label values of the
// exposition. The vocabularies belong to the exporter (internal/exporter/labels.go);
// the scenarios keep these names so that their expectations read like the metrics.
var (
	funnelNames         = [NumFunnel]string{"sent", "delivered", "read", "played"}
	sourceNames         = [NumSource]string{"user_preferences", "keyword", "button", "delivery_error"}
	attributionNames    = [NumAttribution]string{"context", "window"}
	mismatchNames       = [NumMismatch]string{"conversation", "category", "pricing_type"}
	campaignStatusNames = [NumCampaignStatus]string{"sent", "delivered", "read", "failed"}
	evictKindNames      = [NumEvictKind]string{"message", "customer", "conversation", "recipient", "identity"}
	activeWindowNames   = [NumActiveWindow]string{"1d", "7d", "30d"}
	accountStatusNames  = [NumAccountStatus]string{"ok", "restricted", "disabled"}
	limitSourceNames    = [NumLimitSource]string{"", "webhook", "quality_update", "config"}
)
