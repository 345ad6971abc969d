// Package model holds the normalized events of docs/spec.md 3.4 that every decoder produces and
// the state machine consumes, and their bounded vocabularies (statuses, categories,
// message types, ...). It is a leaf package: the decoders (package webhook) produce these
// values and the state machine (package window) consumes them without either importing
// the other.
//
// Contract: the []byte fields of an Event alias the producing decoder's memory and are
// valid only until that decoder's next call; a consumer that keeps anything must copy it
// (the window package keeps only keyed hashes of customer and message ids).
package model

// Kind says which of the normalized events of docs/spec.md 3.4 an Event is.
type Kind uint8

const (
	KindNone Kind = iota
	// KindStatus is an outbound message status (sent, delivered, read, failed, ...).
	KindStatus
	// KindInbound is a customer-to-business message.
	KindInbound
	// KindUserPreference is a marketing stop/resume preference change.
	KindUserPreference
	// KindQualityUpdate is a phone_number_quality_update or business_capability_update.
	KindQualityUpdate
	// KindTemplateStatus is a message_template_status_update.
	KindTemplateStatus
	// KindAccountUpdate is an account_update (restriction, violation, ban ...).
	KindAccountUpdate
	// KindWebhookError is one entry of a value-level errors array (not tied to a status).
	KindWebhookError
	// KindOther is a recognised change whose field carries nothing we model.
	KindOther
	// KindConversion is a conversion line of our own ({"waba_conversion": {...}},
	// docs/conversions.md): Business, Customer or CustomerUserID, Time and the
	// Conversion* fields are set.
	KindConversion
	NumKind
)

var kindNames = [...]string{"none", "status", "inbound", "user_preference", "quality_update", "template_status", "account_update", "webhook_error", "other", "conversion"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "other"
}

// Status is an outbound message status. The order is the funnel order.
type Status uint8

const (
	StatusNone Status = iota
	StatusSent
	StatusDelivered
	StatusRead
	StatusPlayed
	StatusFailed
	StatusDeleted
	// StatusAccepted covers provider states before `sent` (Gupshup enqueued, Twilio
	// queued/accepted, Infobip PENDING): they are counted as nothing but seen.
	StatusAccepted
	// StatusWarning is the On-Premises `warning` status.
	StatusWarning
	NumStatus
)

var statusNames = [...]string{"none", "sent", "delivered", "read", "played", "failed", "deleted", "accepted", "warning"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "none"
}

// ParseStatus maps a Meta/On-Prem status string (any case) to a Status.
func ParseStatus(b []byte) Status {
	var buf [32]byte
	switch string(Lower(&buf, b)) {
	case "sent":
		return StatusSent
	case "delivered":
		return StatusDelivered
	case "read":
		return StatusRead
	case "played":
		return StatusPlayed
	case "failed":
		return StatusFailed
	case "deleted":
		return StatusDeleted
	case "warning":
		return StatusWarning
	case "enqueued", "accepted", "queued", "pending":
		return StatusAccepted
	}
	return StatusNone
}

// Category is a pricing category or conversation origin (docs/metrics.md label vocabulary).
type Category uint8

const (
	CategoryNone Category = iota // absent from the payload
	CategoryMarketing
	CategoryUtility
	CategoryAuthentication
	CategoryAuthenticationInternational
	CategoryService
	CategoryReferralConversion
	CategoryMarketingLite
	CategoryUnknown // a message whose category could not be learned
	CategoryOther   // a value outside the vocabulary (counted as label overflow)
	NumCategory
)

var categoryNames = [...]string{"none", "marketing", "utility", "authentication", "authentication_international", "service", "referral_conversion", "marketing_lite", "unknown", "other"}

func (c Category) String() string {
	if int(c) < len(categoryNames) {
		return categoryNames[c]
	}
	return "other"
}

// ParseCategory maps a pricing category or origin type (any case, '-' as '_') to a Category.
// An empty value is CategoryNone; an unrecognised one is CategoryOther.
func ParseCategory(b []byte) Category {
	if len(b) == 0 {
		return CategoryNone
	}
	var buf [32]byte
	switch string(Lower(&buf, b)) {
	case "marketing":
		return CategoryMarketing
	case "utility":
		return CategoryUtility
	case "authentication":
		return CategoryAuthentication
	case "authentication_international", "authentication-international":
		return CategoryAuthenticationInternational
	case "service", "user_initiated", "user-initiated":
		return CategoryService
	case "referral_conversion", "referral-conversion":
		return CategoryReferralConversion
	case "marketing_lite", "marketing-lite":
		return CategoryMarketingLite
	case "business_initiated", "business-initiated":
		// Pre-2023 CBP origin: a business-initiated conversation with no finer category.
		return CategoryUnknown
	}
	return CategoryOther
}

// PricingModel is the pricing era a webhook reports.
type PricingModel uint8

const (
	PricingModelNone PricingModel = iota
	PricingModelCBP
	PricingModelPMP
)

func (m PricingModel) String() string {
	switch m {
	case PricingModelCBP:
		return "CBP"
	case PricingModelPMP:
		return "PMP"
	}
	return "none"
}

// ParsePricingModel maps "CBP"/"PMP" (any case) to a PricingModel.
func ParsePricingModel(b []byte) PricingModel {
	var buf [32]byte
	switch string(Lower(&buf, b)) {
	case "cbp":
		return PricingModelCBP
	case "pmp":
		return PricingModelPMP
	}
	return PricingModelNone
}

// PricingType is the per-message pricing class (docs/spec.md 4.4).
type PricingType uint8

const (
	PricingTypeNone PricingType = iota
	PricingTypeRegular
	PricingTypeFreeCustomerService
	PricingTypeFreeEntryPoint
	NumPricingType
)

var pricingTypeNames = [...]string{"none", "regular", "free_customer_service", "free_entry_point"}

func (t PricingType) String() string {
	if int(t) < len(pricingTypeNames) {
		return pricingTypeNames[t]
	}
	return "none"
}

// ParsePricingType maps a pricing.type value to a PricingType.
func ParsePricingType(b []byte) PricingType {
	var buf [32]byte
	switch string(Lower(&buf, b)) {
	case "regular":
		return PricingTypeRegular
	case "free_customer_service", "free-customer-service":
		return PricingTypeFreeCustomerService
	case "free_entry_point", "free-entry-point":
		return PricingTypeFreeEntryPoint
	}
	return PricingTypeNone
}

// MessageType is an inbound message type (docs/metrics.md message_type vocabulary).
type MessageType uint8

const (
	MessageTypeNone MessageType = iota
	MessageTypeText
	MessageTypeImage
	MessageTypeAudio
	MessageTypeVideo
	MessageTypeDocument
	MessageTypeSticker
	MessageTypeLocation
	MessageTypeContacts
	MessageTypeInteractive
	MessageTypeButton
	MessageTypeReaction
	MessageTypeOrder
	MessageTypeSystem
	MessageTypeUnsupported
	MessageTypeOther
	NumMessageType
)

var messageTypeNames = [...]string{"none", "text", "image", "audio", "video", "document", "sticker", "location", "contacts", "interactive", "button", "reaction", "order", "system", "unsupported", "other"}

func (t MessageType) String() string {
	if int(t) < len(messageTypeNames) {
		return messageTypeNames[t]
	}
	return "other"
}

// ParseMessageType maps a message type string (any case) to a MessageType.
func ParseMessageType(b []byte) MessageType {
	var buf [32]byte
	switch string(Lower(&buf, b)) {
	case "text":
		return MessageTypeText
	case "image":
		return MessageTypeImage
	case "audio", "voice", "ptt":
		return MessageTypeAudio
	case "video":
		return MessageTypeVideo
	case "document", "file":
		return MessageTypeDocument
	case "sticker":
		return MessageTypeSticker
	case "location":
		return MessageTypeLocation
	case "contacts", "contact":
		return MessageTypeContacts
	case "interactive", "list_reply", "button_reply", "quick_reply":
		return MessageTypeInteractive
	case "button":
		return MessageTypeButton
	case "reaction":
		return MessageTypeReaction
	case "order":
		return MessageTypeOrder
	case "system":
		return MessageTypeSystem
	case "unsupported", "unknown":
		return MessageTypeUnsupported
	}
	return MessageTypeOther
}

// Preference is a user_preferences value.
type Preference uint8

const (
	PreferenceNone Preference = iota
	PreferenceStop
	PreferenceResume
)

// Rating is a phone number quality rating.
type Rating uint8

const (
	RatingNone Rating = iota // not carried by this event
	RatingGreen
	RatingYellow
	RatingRed
	RatingUnknown
	NumRating
)

var ratingNames = [...]string{"none", "green", "yellow", "red", "unknown"}

func (r Rating) String() string {
	if int(r) < len(ratingNames) {
		return ratingNames[r]
	}
	return "unknown"
}

// ParseRating maps GREEN/YELLOW/RED/NA (also HIGH/MEDIUM/LOW) to a Rating.
func ParseRating(b []byte) Rating {
	var buf [32]byte
	switch string(Lower(&buf, b)) {
	case "":
		return RatingNone
	case "green", "high":
		return RatingGreen
	case "yellow", "medium":
		return RatingYellow
	case "red", "low":
		return RatingRed
	}
	return RatingUnknown
}

// Provider names the format a line was decoded as.
type Provider uint8

const (
	ProviderNone Provider = iota
	ProviderMeta
	ProviderOnPrem
	ProviderTwilio
	ProviderGupshup
	ProviderInfobip
	// ProviderBusiness marks a line the business writes itself (a conversion line).
	ProviderBusiness
)

var providerNames = [...]string{"none", "meta", "onprem", "twilio", "gupshup", "infobip", "business"}

func (p Provider) String() string {
	if int(p) < len(providerNames) {
		return providerNames[p]
	}
	return "none"
}

// Event is one normalized event (docs/spec.md 3.4). Which fields are set depends on Kind; the rest
// are zero. All []byte fields alias decoder memory: valid until the next Decode call.
type Event struct {
	Kind     Kind
	Provider Provider
	// Field is the webhook change field it came from (`messages`, `user_preferences`,
	// `phone_number_quality_update`, ... or "other"); always a static string.
	Field string

	// Business is the business identity: Meta phone_number_id, or the provider's equivalent.
	Business []byte
	// DisplayNumber is the business display phone number where that is all a payload
	// gives (phone_number_quality_update); the consumer maps it to a known Business.
	DisplayNumber []byte
	// Account is the WhatsApp Business Account id (entry.id) when known.
	Account []byte
	// Customer is the customer's wa_id / recipient id; empty when the payload has none
	// (Meta withholds it for users with usernames: then CustomerUserID is set).
	Customer []byte
	// CustomerUserID is the customer's business-scoped user id (BSUID: from_user_id,
	// recipient_user_id, contacts[].user_id, user_preferences user_id); an opaque string,
	// empty when absent. An event with both Customer and CustomerUserID links the two
	// identities (docs/spec.md 4.9).
	CustomerUserID []byte
	// CustomerCountry is the ISO 3166-1 alpha-2 code from contacts[].profile.country_code
	// for this customer, as given (the consumer lower-cases and validates); empty when
	// absent. Used only when Customer is not a phone number.
	CustomerCountry []byte
	// MessageID is the message id (wamid or provider id).
	MessageID []byte
	// Time is the event time in unix seconds; 0 when the payload has none.
	Time int64
	// TimeFromReceive marks a Time that is the receive time, not the payload's own
	// (set by the pipeline): such events cannot be told apart from an identical later
	// one, so they are never deduplicated.
	TimeFromReceive bool

	// Status fields.
	Status             Status
	Category           Category // pricing.category (CategoryNone when absent)
	PricingModel       PricingModel
	PricingType        PricingType
	Billable           int8 // -1 false, 0 absent, 1 true (deprecated by Meta; kept for CBP)
	ConversationID     []byte
	ConversationOrigin Category
	ConversationExpiry int64 // unix seconds; 0 when absent
	// ErrorCode is the first error code of the status (or of a WebhookError), 0 when none.
	// ErrorCodeRaw keeps a provider's non-numeric code verbatim (bounded by the label cap).
	ErrorCode    int64
	ErrorCodeRaw []byte
	// PricingInferred marks pricing/conversation fields a decoder filled in itself because
	// the provider does not report them; mismatch counting skips inferred values.
	PricingInferred bool

	// Inbound fields.
	MessageType MessageType
	Referral    bool   // carries a click-to-WhatsApp referral (or a BSP's CTA entry mark)
	ContextID   []byte // id of the business message this one replies to
	Payload     []byte // quick-reply button payload or interactive reply id
	Text        []byte // text body, only for opt-out keyword matching; never log it

	// UserPreference fields.
	Preference Preference

	// QualityUpdate / TemplateStatus / AccountUpdate fields.
	EventName []byte // raw event enum, e.g. FLAGGED, UPGRADE, APPROVED (consumer lower-cases)
	// Limit is the tier name of a phone_number_quality_update as given, e.g. TIER_1K:
	// current_limit, else a tier name in max_daily_conversations_per_business. Never set
	// for business_capability_update (its number is LimitRecipients).
	Limit  []byte
	Rating Rating
	// LimitRecipients is a business_capability_update's portfolio messaging limit
	// (max_daily_conversations_per_business, v24+; max_daily_conversation_per_phone, v23
	// and earlier): the number of unique customers per 24 h; -1 unlimited; 0 absent. A
	// phone_number_quality_update carries it too when it has a numeric
	// max_daily_conversations_per_business (Meta adds that field from October 2025).
	LimitRecipients int64

	// AccountUpdate details (Kind == KindAccountUpdate; EventName holds the event enum).
	// AccountState is the raw state the event reports, as given: ban_info.waba_ban_state
	// (SCHEDULE_FOR_DISABLE, DISABLE, REINSTATE) for DISABLED_UPDATE; empty otherwise.
	AccountState []byte
	// RestrictionUntil is the latest restriction_info[].expiration of an
	// ACCOUNT_RESTRICTION (unix seconds); 0 when absent.
	RestrictionUntil int64
	// Volume pricing tier of a VOLUME_BASED_PRICING_TIER_UPDATE (volume_tier_info):
	// TierCategory its pricing_category, Tier the tier as given (e.g. "25000:50000"),
	// TierUpdateTime its tier_update_time (unix seconds; of duplicates the smaller wins),
	// TierMonth its effective_month as given.
	TierCategory   Category
	Tier           []byte
	TierUpdateTime int64
	TierMonth      []byte

	// CampaignTag is a status's biz_opaque_callback_data (docs/spec.md 3.4) as given (unescaped),
	// nil when absent or empty. Never longer than MaxCampaignTagBytes: a longer value is
	// refused by the decoder (the status is still decoded, without a tag, and the line
	// reports a tag_too_long parse error). The consumer reads campaign and variant out of
	// it with package campaign; it is opaque here and never logged.
	CampaignTag []byte

	// Conversion fields (Kind == KindConversion). ConversionName is the conversion's name
	// as given (e.g. purchase; bounded and sanitized by the consumer), ConversionValue a
	// finite number >= 0 (0 when absent), ConversionCurrency three upper-case ISO 4217
	// letters (empty only when the line gives no currency and a value of 0).
	ConversionName     []byte
	ConversionValue    float64
	ConversionCurrency []byte

	// Billing fields: a Gupshup billing-event is a pricing report (Status StatusNone,
	// Kind KindStatus with Billing set) for MessageID, carrying Category, PricingModel,
	// PricingType, Billable and the conversation fields as the provider reports them.
	Billing bool
}

// MaxCampaignTagBytes bounds Event.CampaignTag: Meta accepts up to 512 characters of
// biz_opaque_callback_data; a longer value (in bytes, after unescaping) is not a tag.
const MaxCampaignTagBytes = 512

// NumByteFields is the number of []byte fields of Event.
const NumByteFields = 20

// ByteFields returns a pointer to every []byte field of e (the ones aliasing decoder
// memory), for a consumer that copies them before the decoder's next call (the
// pipeline's arena). TestByteFieldsComplete keeps the list complete: a new []byte field
// that is not listed fails it.
func (e *Event) ByteFields() [NumByteFields]*[]byte {
	return [...]*[]byte{&e.Business, &e.DisplayNumber, &e.Account, &e.Customer, &e.CustomerUserID,
		&e.CustomerCountry, &e.MessageID, &e.ConversationID, &e.ErrorCodeRaw, &e.ContextID, &e.Payload, &e.Text,
		&e.EventName, &e.Limit, &e.AccountState, &e.Tier, &e.TierMonth, &e.CampaignTag, &e.ConversionName,
		&e.ConversionCurrency}
}

// noMatch is what Lower returns for values too long to be any keyword.
var noMatch = []byte{0}

// Lower lower-cases ASCII b into buf and returns the filled part, or a value matching no
// keyword when b does not fit. Used as switch string(Lower(&buf, b)), which the compiler
// compiles without allocating.
func Lower(buf *[32]byte, b []byte) []byte {
	if len(b) > len(buf) {
		return noMatch
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf[:len(b)]
}
