package window

import "github.com/waba-exporter/waba_exporter/model"

// Funnel is a stage of the outbound funnel (the `status` label of
// waba_outbound_message_status_total); Business.Status is indexed by it.
type Funnel uint8

// Funnel stages, in funnel order.
const (
	FunnelSent Funnel = iota
	FunnelDelivered
	FunnelRead
	FunnelPlayed
	NumFunnel
)

// Source is where an opt-out or opt-in signal came from; Business.OptOuts and
// Business.OptIns are indexed by it.
type Source uint8

// Opt-out / opt-in sources.
const (
	SourceUserPreferences Source = iota // a user_preferences webhook (stop / resume)
	SourceKeyword                       // an inbound text equal to a configured keyword
	SourceButton                        // a quick-reply button payload equal to a configured one
	SourceDeliveryError                 // a failed status with error 131050 (Gupshup: 1012)
	NumSource
)

// Attribution is how a reply was attributed to a template; Business.Replies is indexed
// by it.
type Attribution uint8

// Reply attributions (docs/spec.md 4.6).
const (
	AttributionContext Attribution = iota // the reply quotes the template's id
	AttributionWindow                     // the reply came within the reply window
	NumAttribution
)

// Mismatch is a pricing field whose reported value contradicts the inferred (or an
// earlier reported) one; Business.Mismatches is indexed by it.
type Mismatch uint8

// Mismatch fields.
const (
	MismatchConversation Mismatch = iota
	MismatchCategory
	MismatchPricingType
	NumMismatch
)

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
		FirstResponse: newHistogram(responseBuckets),
		Response:      newHistogram(responseBuckets),
	}
	for i := range b.SentToDelivered {
		b.SentToDelivered[i] = newHistogram(sentToDeliveredBuckets)
		b.DeliveredToRead[i] = newHistogram(deliveredToReadBuckets)
	}
	return b
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
