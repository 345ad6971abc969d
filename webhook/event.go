// The event types live in package model (shared with the state machine, which must not
// import this package); the names below are aliases so decoders read naturally. New event
// fields or vocabulary belong in model/event.go. The package documentation is in doc.go.

package webhook

import "github.com/waba-exporter/waba_exporter/model"

// Aliases of the normalized event types (see package model).
type (
	Kind         = model.Kind
	Status       = model.Status
	Category     = model.Category
	PricingModel = model.PricingModel
	PricingType  = model.PricingType
	MessageType  = model.MessageType
	Preference   = model.Preference
	Rating       = model.Rating
	Provider     = model.Provider
	Event        = model.Event
)

// Vocabulary constants, re-exported from package model.
const (
	KindNone                            = model.KindNone
	KindStatus                          = model.KindStatus
	KindInbound                         = model.KindInbound
	KindUserPreference                  = model.KindUserPreference
	KindQualityUpdate                   = model.KindQualityUpdate
	KindTemplateStatus                  = model.KindTemplateStatus
	KindAccountUpdate                   = model.KindAccountUpdate
	KindWebhookError                    = model.KindWebhookError
	KindOther                           = model.KindOther
	KindConversion                      = model.KindConversion
	NumKind                             = model.NumKind
	StatusNone                          = model.StatusNone
	StatusSent                          = model.StatusSent
	StatusDelivered                     = model.StatusDelivered
	StatusRead                          = model.StatusRead
	StatusPlayed                        = model.StatusPlayed
	StatusFailed                        = model.StatusFailed
	StatusDeleted                       = model.StatusDeleted
	StatusAccepted                      = model.StatusAccepted
	StatusWarning                       = model.StatusWarning
	NumStatus                           = model.NumStatus
	CategoryNone                        = model.CategoryNone
	CategoryMarketing                   = model.CategoryMarketing
	CategoryUtility                     = model.CategoryUtility
	CategoryAuthentication              = model.CategoryAuthentication
	CategoryAuthenticationInternational = model.CategoryAuthenticationInternational
	CategoryService                     = model.CategoryService
	CategoryReferralConversion          = model.CategoryReferralConversion
	CategoryMarketingLite               = model.CategoryMarketingLite
	CategoryUnknown                     = model.CategoryUnknown
	CategoryOther                       = model.CategoryOther
	NumCategory                         = model.NumCategory
	PricingModelNone                    = model.PricingModelNone
	PricingModelCBP                     = model.PricingModelCBP
	PricingModelPMP                     = model.PricingModelPMP
	PricingTypeNone                     = model.PricingTypeNone
	PricingTypeRegular                  = model.PricingTypeRegular
	PricingTypeFreeCustomerService      = model.PricingTypeFreeCustomerService
	PricingTypeFreeEntryPoint           = model.PricingTypeFreeEntryPoint
	NumPricingType                      = model.NumPricingType
	MessageTypeNone                     = model.MessageTypeNone
	MessageTypeText                     = model.MessageTypeText
	MessageTypeImage                    = model.MessageTypeImage
	MessageTypeAudio                    = model.MessageTypeAudio
	MessageTypeVideo                    = model.MessageTypeVideo
	MessageTypeDocument                 = model.MessageTypeDocument
	MessageTypeSticker                  = model.MessageTypeSticker
	MessageTypeLocation                 = model.MessageTypeLocation
	MessageTypeContacts                 = model.MessageTypeContacts
	MessageTypeInteractive              = model.MessageTypeInteractive
	MessageTypeButton                   = model.MessageTypeButton
	MessageTypeReaction                 = model.MessageTypeReaction
	MessageTypeOrder                    = model.MessageTypeOrder
	MessageTypeSystem                   = model.MessageTypeSystem
	MessageTypeUnsupported              = model.MessageTypeUnsupported
	MessageTypeOther                    = model.MessageTypeOther
	NumMessageType                      = model.NumMessageType
	PreferenceNone                      = model.PreferenceNone
	PreferenceStop                      = model.PreferenceStop
	PreferenceResume                    = model.PreferenceResume
	RatingNone                          = model.RatingNone
	RatingGreen                         = model.RatingGreen
	RatingYellow                        = model.RatingYellow
	RatingRed                           = model.RatingRed
	RatingUnknown                       = model.RatingUnknown
	NumRating                           = model.NumRating
	ProviderNone                        = model.ProviderNone
	ProviderMeta                        = model.ProviderMeta
	ProviderOnPrem                      = model.ProviderOnPrem
	ProviderTwilio                      = model.ProviderTwilio
	ProviderGupshup                     = model.ProviderGupshup
	ProviderInfobip                     = model.ProviderInfobip
	ProviderBusiness                    = model.ProviderBusiness
)

// MaxCampaignTagBytes is model.MaxCampaignTagBytes.
const MaxCampaignTagBytes = model.MaxCampaignTagBytes

// ParseStatus is model.ParseStatus.
func ParseStatus(b []byte) Status { return model.ParseStatus(b) }

// ParseCategory is model.ParseCategory.
func ParseCategory(b []byte) Category { return model.ParseCategory(b) }

// ParsePricingModel is model.ParsePricingModel.
func ParsePricingModel(b []byte) PricingModel { return model.ParsePricingModel(b) }

// ParsePricingType is model.ParsePricingType.
func ParsePricingType(b []byte) PricingType { return model.ParsePricingType(b) }

// ParseMessageType is model.ParseMessageType.
func ParseMessageType(b []byte) MessageType { return model.ParseMessageType(b) }

// ParseRating is model.ParseRating.
func ParseRating(b []byte) Rating { return model.ParseRating(b) }
