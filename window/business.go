package window

import "github.com/waba-exporter/waba_exporter/model"

// Funnel stages of waba_outbound_message_status_total.
const (
	FunnelSent = iota
	FunnelDelivered
	FunnelRead
	FunnelPlayed
	NumFunnel
)

// FunnelNames are the `status` label values, indexed by funnel stage.
var FunnelNames = [NumFunnel]string{"sent", "delivered", "read", "played"}

// Opt-out / opt-in sources.
const (
	SourceUserPreferences = iota
	SourceKeyword
	SourceButton
	SourceDeliveryError
	NumSource
)

// SourceNames are the `source` label values, indexed by source.
var SourceNames = [NumSource]string{"user_preferences", "keyword", "button", "delivery_error"}

// Reply attributions.
const (
	AttributionContext = iota
	AttributionWindow
	NumAttribution
)

// AttributionNames are the `attribution` label values.
var AttributionNames = [NumAttribution]string{"context", "window"}

// Mismatch fields.
const (
	MismatchConversation = iota
	MismatchCategory
	MismatchPricingType
	NumMismatch
)

// MismatchNames are the `field` label values of waba_pricing_mismatches_total.
var MismatchNames = [NumMismatch]string{"conversation", "category", "pricing_type"}

// FailKey labels a failure counter.
type FailKey struct {
	Category model.Category
	Code     string
}

// PricedKey labels a priced-message counter. Country indexes Machine.CountryName.
type PricedKey struct {
	Category    model.Category
	PricingType model.PricingType
	Country     uint8
}

// Business holds every counter and histogram of one business phone number. The fields
// are read by the exporter under the caller's read lock; only the Machine writes them.
type Business struct {
	ID string
	// WabaID is the WhatsApp Business Account the number belongs to (entry.id), "" until
	// a webhook names it; Display its display phone number, "" until known.
	WabaID  string
	Display string
	port    int // 1 + index in Machine.ports; 0 until resolved

	Inbound         [model.NumMessageType]uint64
	Outbound        [model.NumCategory]uint64
	Status          [model.NumCategory][NumFunnel]uint64
	SentToDelivered [model.NumCategory]Histogram
	DeliveredToRead [model.NumCategory]Histogram
	Failed          map[FailKey]uint64
	WebhookErrors   map[string]uint64 // by error_code label

	ConversationsOpened            [model.NumCategory]uint64 // CBP conversations only (docs/spec.md 4.3)
	FEPWindowsOpened               uint64                    // free entry point windows, both eras
	ServiceWindowsOpened           uint64
	ServiceWindowsClosed           uint64
	ServiceWindowsClosedUnanswered uint64

	FirstResponse Histogram
	Response      Histogram
	ReplyEligible [model.NumCategory]uint64
	Replies       [model.NumCategory][NumAttribution]uint64

	OptOuts           [NumSource]uint64
	OptIns            [NumSource]uint64
	OptedOutCustomers uint64 // moves from not opted out to opted out (docs/spec.md 4.7)

	Priced     map[PricedKey]uint64
	Cost       [model.NumCategory]float64
	Mismatches [NumMismatch]uint64

	QualityEvents map[string]uint64
	Rating        model.Rating
	Limit         float64
	LimitKnown    bool
	limitFixed    bool  // set from config; webhooks do not change it
	limitAt       int64 // event time of the update that set Limit
	ratingAt      int64 // event time of the update that set Rating
}

func newBusiness(id string) *Business {
	b := &Business{
		ID:            id,
		Failed:        map[FailKey]uint64{},
		WebhookErrors: map[string]uint64{},
		Priced:        map[PricedKey]uint64{},
		QualityEvents: map[string]uint64{},
		Rating:        model.RatingUnknown,
		FirstResponse: newHistogram(ResponseBuckets),
		Response:      newHistogram(ResponseBuckets),
	}
	for i := range b.SentToDelivered {
		b.SentToDelivered[i] = newHistogram(SentToDeliveredBuckets)
		b.DeliveredToRead[i] = newHistogram(DeliveredToReadBuckets)
	}
	return b
}

// LabelCategories are the category label values of the pre-initialised grid.
var LabelCategories = []model.Category{
	model.CategoryMarketing, model.CategoryUtility, model.CategoryAuthentication,
	model.CategoryAuthenticationInternational, model.CategoryService,
	model.CategoryReferralConversion, model.CategoryMarketingLite, model.CategoryUnknown, model.CategoryOther,
}

// Businesses returns the tracked businesses in first-seen order. The slice and the
// values are owned by the Machine: read them under the caller's read lock only.
func (m *Machine) Businesses() []*Business { return m.biz }

// CountryName returns the country label of an index in PricedKey.
func (m *Machine) CountryName(i uint8) string { return m.countries.name(i) }

// Currency returns the rate card currency, "" without a rate card.
func (m *Machine) Currency() string {
	if m.cfg.RateCard == nil {
		return ""
	}
	return m.cfg.RateCard.Currency
}

// IsTemplateCategory reports whether c is a template category (business-initiated).
func IsTemplateCategory(c model.Category) bool { return isTemplate(c) }

// mergeQuality folds quality updates kept for a display number into b: events add up;
// the rating and a limit learned there apply unless b has its own.
func (b *Business) mergeQuality(p *Business) {
	for k, v := range p.QualityEvents {
		b.QualityEvents[k] += v
	}
	if p.ratingAt >= b.ratingAt && p.Rating != model.RatingUnknown {
		b.Rating, b.ratingAt = p.Rating, p.ratingAt
	}
	if !b.limitFixed && p.limitAt >= b.limitAt && p.LimitKnown {
		b.Limit, b.LimitKnown, b.limitAt = p.Limit, true, p.limitAt
	}
}
