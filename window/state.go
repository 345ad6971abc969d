// What the machine remembers per message, customer and conversation: the packed state
// structs, their flag and status bits, and the CBP conversation categories.

package window

import (
	"github.com/waba-exporter/waba_exporter/model"
)

const day = 86400

// message flags
const (
	mfInbound uint16 = 1 << iota
	mfReportedPricing
	mfReportedConv
	mfPriced       // counted in priced_total
	mfClassified   // inference ran at send
	mfDelivProc    // delivery processed by the inference
	mfSendQueued   // a send item is in the reorder buffer or was released
	mfDelivQueued  // a delivery item is in the reorder buffer or was released
	mfDelivered    // delivered (or read) seen
	mfCompared     // mismatch comparison done
	mfOpensConv    // inferred: opens a conversation of infConv at delivery
	mfOpensFEP     // inferred: opens a free entry point window at delivery
	mfBlind        // classified before its category was known (no report yet)
	mfPricePending // delivered and classified, but neither `sent` nor pricing seen yet
	mfBI           // classified business-initiated: a template sent outside a CSW (docs/spec.md 4.8)
	mfLatPending   // `read` came first: latencies wait for the delivery item (a `delivered` may still come)
)

// status bits in msgState.seen
const (
	sbSent uint8 = 1 << iota
	sbDelivered
	sbRead
	sbPlayed
	sbFailed
	sbDeleted
	sbImpliedDelivered
)

// msgState is what the machine remembers of one message id.
type msgState struct {
	cust uint64 // customer key
	// camp is the campaign tag (a campaign.Ref) and its credit bits (campaign.go): 8
	// bytes, placed here so that the struct stays at 32 bytes without padding.
	camp   uint64
	sentT  uint32
	delivT uint32
	biz    uint16
	flags  uint16
	seen   uint8
	cat    model.Category // message category (reported, remembered)
	// pk packs, to keep the state small: reported and inferred pricing type (2
	// bits each), pricing model (2 bits), reported conversation origin and inferred
	// conversation category (4 bits each). See the accessors below.
	pk uint16
}

const (
	pkRepType = 0  // 2 bits
	pkInfType = 2  // 2 bits
	pkModel   = 4  // 2 bits
	pkRepConv = 6  // 4 bits
	pkInfConv = 10 // 4 bits
)

func (ms *msgState) get(shift, bits uint) uint16 { return ms.pk >> shift & (1<<bits - 1) }

func (ms *msgState) set(shift, bits uint, v uint16) {
	mask := uint16(1<<bits-1) << shift
	ms.pk = ms.pk&^mask | v<<shift&mask
}

func (ms *msgState) repType() model.PricingType { return model.PricingType(ms.get(pkRepType, 2)) }

func (ms *msgState) infType() model.PricingType { return model.PricingType(ms.get(pkInfType, 2)) }

func (ms *msgState) pmodel() model.PricingModel { return model.PricingModel(ms.get(pkModel, 2)) }

func (ms *msgState) repConv() model.Category { return model.Category(ms.get(pkRepConv, 4)) }

func (ms *msgState) infConv() model.Category { return model.Category(ms.get(pkInfConv, 4)) }

func (ms *msgState) setRepType(v model.PricingType) { ms.set(pkRepType, 2, uint16(v)) }

func (ms *msgState) setInfType(v model.PricingType) { ms.set(pkInfType, 2, uint16(v)) }

func (ms *msgState) setPmodel(v model.PricingModel) { ms.set(pkModel, 2, uint16(v)) }

func (ms *msgState) setRepConv(v model.Category) { ms.set(pkRepConv, 4, uint16(v)) }

func (ms *msgState) setInfConv(v model.Category) { ms.set(pkInfConv, 4, uint16(v)) }

// custState is what the machine remembers of one (business, customer).
type custState struct {
	cswUntil        uint32 // customer service window end (exclusive); 0 = never opened
	lastInbound     uint32
	unansweredSince uint32 // oldest unanswered inbound; 0 = none
	firstRespFrom   uint32 // inbound that opened the window, until the first reply
	referralUntil   uint32 // click-to-WhatsApp referral pending until
	fepUntil        uint32 // free entry point window end
	lastBI          uint32 // last business-initiated send outside a CSW (messaging limit)
	tmplDeliv       uint32 // last delivered template (reply attribution)
	conv            [numConvCat]uint32
	tmplMsg         uint32 // low bits of that template's message key
	biz             uint16
	country         uint8
	// tb packs, to keep the struct at 64 bytes: that template's category (4 bits), whether
	// the customer replied to it, and whether the customer opted out of marketing
	// (docs/spec.md 4.7: moves are counted once). See the accessors below.
	tb uint8
}

const (
	tbCat      = 0x0f
	tbReplied  = 0x10
	tbOptedOut = 0x20
)

func (c *custState) tmplCat() model.Category { return model.Category(c.tb & tbCat) }

// setTmpl records the category of a delivered template, not replied to yet.
func (c *custState) setTmpl(cat model.Category) { c.tb = c.tb&tbOptedOut | uint8(cat)&tbCat }

func (c *custState) replied() bool { return c.tb&tbReplied != 0 }

func (c *custState) setReplied() { c.tb |= tbReplied }

func (c *custState) optedOut() bool { return c.tb&tbOptedOut != 0 }

func (c *custState) setOptedOut(v bool) {
	c.tb &^= tbOptedOut
	if v {
		c.tb |= tbOptedOut
	}
}

// CBP conversation categories tracked per customer.
const (
	ccMarketing = iota
	ccUtility
	ccAuthentication
	ccAuthIntl
	ccService
	ccReferral
	numConvCat
)

var convCats = [numConvCat]model.Category{model.CategoryMarketing, model.CategoryUtility, model.CategoryAuthentication, model.CategoryAuthenticationInternational, model.CategoryService, model.CategoryReferralConversion}

func convIndex(c model.Category) int {
	switch c {
	case model.CategoryMarketing, model.CategoryMarketingLite:
		return ccMarketing
	case model.CategoryUtility:
		return ccUtility
	case model.CategoryAuthentication:
		return ccAuthentication
	case model.CategoryAuthenticationInternational:
		return ccAuthIntl
	case model.CategoryReferralConversion:
		return ccReferral
	}
	return ccService
}

func isTemplate(c model.Category) bool {
	switch c {
	case model.CategoryMarketing, model.CategoryUtility, model.CategoryAuthentication, model.CategoryAuthenticationInternational, model.CategoryMarketingLite:
		return true
	}
	return false
}

// convState is a reported conversation id.
type convState struct {
	expiry uint32
	cat    model.Category
}
