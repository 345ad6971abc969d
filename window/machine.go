// Package window is the per-customer conversation-window state machine (docs/spec.md 4).
//
// It is pure: no I/O, no clock of its own, no Prometheus types. Time is event time only
// (payload timestamps); the caller passes "now" where a scrape-time view needs one.
//
// Invariants:
//   - Counts of reported facts (a status reaching a stage, an inbound message, reported
//     pricing or conversation, opt-outs) are applied the moment an event is applied.
//   - Inference that depends on what else was open at an instant (service windows, CBP
//     conversations, PMP pricing classes, free entry points, response times, reply
//     attribution) runs on a reorder buffer in event-time order: an item is released once
//     the watermark (largest event time seen) has passed it by AllowedLateness. Items that
//     arrive behind the released frontier are applied at once and counted as late.
//     Flush releases everything (end of a replay).
//   - Every map is bounded by a TTL (generational: entries not touched for a TTL are
//     dropped) and a size cap (the oldest generation is dropped early); evictions are
//     counted by kind and reason.
//   - Customer, message and conversation ids are kept only as keyed 64-bit hashes. A
//     customer is its phone number, else its business-scoped user id (BSUID), linked to
//     the phone number by any event that shows both (docs/spec.md 4.9; see identity).
//   - Conversations exist under conversation-based pricing (CBP) only: a conversation
//     object on a PMP-priced status is never one (docs/spec.md 4.3). Free entry point windows
//     are counted in both eras.
//   - A business belongs to one portfolio (configured, else its WABA's own), resolved
//     when it, its WABA or the configuration changes, never at a scrape.
//   - A Machine is not safe for concurrent use; callers serialise Apply with a mutex and
//     take a read lock around the read-only accessors.
package window

import (
	"bytes"
	"math"
	"strconv"
	"strings"

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

func (ms *msgState) repType() model.PricingType     { return model.PricingType(ms.get(pkRepType, 2)) }
func (ms *msgState) infType() model.PricingType     { return model.PricingType(ms.get(pkInfType, 2)) }
func (ms *msgState) pmodel() model.PricingModel     { return model.PricingModel(ms.get(pkModel, 2)) }
func (ms *msgState) repConv() model.Category        { return model.Category(ms.get(pkRepConv, 4)) }
func (ms *msgState) infConv() model.Category        { return model.Category(ms.get(pkInfConv, 4)) }
func (ms *msgState) setRepType(v model.PricingType) { ms.set(pkRepType, 2, uint16(v)) }
func (ms *msgState) setInfType(v model.PricingType) { ms.set(pkInfType, 2, uint16(v)) }
func (ms *msgState) setPmodel(v model.PricingModel) { ms.set(pkModel, 2, uint16(v)) }
func (ms *msgState) setRepConv(v model.Category)    { ms.set(pkRepConv, 4, uint16(v)) }
func (ms *msgState) setInfConv(v model.Category)    { ms.set(pkInfConv, 4, uint16(v)) }

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
	tmplCat         model.Category
	country         uint8
	replied         bool
	optedOut        bool // opted out of marketing (docs/spec.md 4.7): moves are counted once
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

// Machine is the state machine. Create it with New.
type Machine struct {
	cfg Config
	sec eventSeconds // cfg's durations in seconds, set with cfg

	bizIndex  map[string]uint16
	biz       []*Business
	displayTo map[string]uint16    // display phone number -> business
	pending   map[string]*Business // quality updates of display numbers not mapped yet
	allow     map[string]bool

	msgs  genMap[msgState]
	custs genMap[custState]
	convs genMap[convState]
	links genMap[uint64] // BSUID hash -> phone number hash (docs/spec.md 4.9)

	ports     []*portfolio   // configured portfolios (same index as cfg.Portfolios), then one per WABA
	accounts  []*Account     // WABAs by first sight (account health, docs/spec.md 4.8)
	accountIx map[string]int // WABA id -> index in accounts

	buf       reorder
	expiry    expiryHeap
	frontier  int64 // event time up to which the reorder buffer was released
	watermark int64

	errCodes  *capSet
	countries *capSet

	quotas []quotaState

	hbuf []byte // scratch of hashParts (siphash.go)

	kwOut, kwIn, kwOutPayload [][]byte // the configured keywords, as bytes

	camp *campaigns // campaign tags, funnels and attribution (campaign.go)

	lastBiz    *Business // the business of the previous event (a one-entry cache)
	lastBizIdx uint16

	drops dropLog // businesses already reported as dropped (dropped.go)

	self SelfStats // read through Stats
}

// convState is a reported conversation id.
type convState struct {
	expiry uint32
	cat    model.Category
}

// Stats returns the machine's own health counters. The maps are owned by the Machine:
// read them under the caller's read lock only.
func (m *Machine) Stats() SelfStats { return m.self }

// SelfStats are the machine's own health counters.
type SelfStats struct {
	Events            map[string]uint64 // by webhook change field
	DuplicateStatus   uint64
	DuplicateMessage  uint64
	OutOfOrderStatus  uint64 // a status older in the funnel than one already seen
	OutOfOrderLatency uint64 // a negative latency, not observed
	OutOfOrderLate    uint64 // arrived behind the reorder window
	EarlyReleased     uint64 // released before the allowed lateness: reorder buffer full
	Evictions         [NumEvictKind][NumEvictReason]uint64
	LabelOverflow     map[string]uint64
	DroppedBusinesses uint64                // events of businesses over the cap or outside the allowlist
	Dropped           [NumDropReason]uint64 // the same events by reason (dropped.go)
	TemplateEvents    map[string]uint64
	UnknownCustomer   uint64 // statuses without recipient (On-Prem minimal)
}

// EvictKind is a kind of bounded state (the `kind` label of state entries and
// evictions); View.Entries and SelfStats.Evictions are indexed by it.
type EvictKind uint8

// Kinds of bounded state.
const (
	EvictMessage      EvictKind = iota // message ids (and dedupe keys of id-less events)
	EvictCustomer                      // (business, customer) pairs
	EvictConversation                  // reported conversation ids
	EvictRecipient                     // portfolio recipients of the last 24 h
	EvictIdentity                      // links of a business-scoped user id to a phone number
	NumEvictKind
)

// EvictReason is why an entry of bounded state was dropped; SelfStats.Evictions is
// indexed by it.
type EvictReason uint8

// Eviction reasons.
const (
	ReasonTTL      EvictReason = iota // not touched for a TTL
	ReasonCapacity                    // dropped early: the map reached its size cap
	NumEvictReason
)

// New returns an empty Machine. Zero (or negative) sizes and durations take the defaults.
func New(cfg Config) *Machine {
	cfg.fill(DefaultConfig())
	sec := cfg.seconds()
	m := &Machine{
		cfg:       cfg,
		sec:       sec,
		bizIndex:  map[string]uint16{},
		displayTo: map[string]uint16{},
		pending:   map[string]*Business{},
		msgs:      newGenMap[msgState](sec.messageTTL, cfg.MaxMessages),
		custs:     newGenMap[custState](sec.customerTTL, cfg.MaxCustomers),
		convs:     newGenMap[convState](sec.messageTTL, cfg.MaxConversations),
		links:     newGenMap[uint64](sec.customerTTL, cfg.MaxCustomers),
		accountIx: map[string]int{},
		errCodes:  newCapSet(cfg.ErrorCodeCap),
		countries: newCapSet(cfg.CountryCap),
		frontier:  math.MinInt64,
		self: SelfStats{
			Events:         map[string]uint64{},
			LabelOverflow:  map[string]uint64{},
			TemplateEvents: map[string]uint64{},
		},
	}
	if len(cfg.AllowBusinesses) > 0 {
		m.allow = map[string]bool{}
		for _, b := range cfg.AllowBusinesses {
			m.allow[b] = true
		}
	}
	m.setKeywords()
	m.camp = newCampaigns(cfg.Campaigns, sec, cfg.MaxCustomers)
	for i, p := range cfg.Portfolios {
		m.ports = append(m.ports, newPortfolio(p.Name, i, cfg.MaxCustomers))
	}
	for i := range cfg.Quotas {
		m.quotas = append(m.quotas, quotaState{q: &m.cfg.Quotas[i]})
	}
	for _, b := range cfg.AllowBusinesses {
		m.business([]byte(b))
	}
	return m
}

func (m *Machine) setKeywords() {
	m.kwOut, m.kwIn, m.kwOutPayload = byteStrings(m.cfg.OptOutKeywords), byteStrings(m.cfg.OptInKeywords), byteStrings(m.cfg.OptOutPayloads)
}

// Config returns the configuration in use.
func (m *Machine) Config() Config { return m.cfg }

func (m *Machine) hash(parts ...[]byte) uint64 { return m.hashParts(parts) }

func (m *Machine) hash1(p []byte) uint64 { return sipHash24(m.cfg.HashKey, m.cfg.HashKey2, p) }

// custKey keys a (business, customer) pair from the customer's identity hash (see
// identity): the identity xor a salt of the business, so that the person (the same
// customer of several numbers of a portfolio) is recovered as key ^ bizSalt(biz).
func custKey(biz uint16, id uint64) uint64 { return id ^ bizSalt(biz) }

// identity returns the keyed hash that stands for the customer of ev (docs/spec.md 4.9): its
// phone number's when the event has one, linking the event's business-scoped user id
// (BSUID) to it when it shows both; else the phone number linked to its BSUID; else the
// BSUID's own. 0 when the event names no customer. A customer first seen by BSUID alone
// and only later with its phone number keeps the history of the BSUID apart (the link
// applies from then on); Meta moves customers the other way (phone, then BSUID only).
func (m *Machine) identity(ev *model.Event, t int64) uint64 {
	if len(ev.Customer) > 0 {
		h := m.hash1(ev.Customer)
		if len(ev.CustomerUserID) > 0 {
			u := m.hash1(ev.CustomerUserID)
			if l, _ := m.links.getOrCreate(u, t, &m.self.Evictions[EvictIdentity]); *l != h {
				*l = h
			}
		}
		return h
	}
	if len(ev.CustomerUserID) > 0 {
		u := m.hash1(ev.CustomerUserID)
		if l := m.links.get(u); l != nil {
			return *l
		}
		return u
	}
	return 0
}

func bizSalt(biz uint16) uint64 {
	x := (uint64(biz) + 1) * 0x9e3779b97f4a7c15
	x ^= x >> 31
	x *= 0xbf58476d1ce4e5b9
	return x ^ x>>29
}

// business returns the index of a business id, creating it (with its label grid at 0);
// ok is false when the id is outside the allowlist or over the cap.
func (m *Machine) business(id []byte) (uint16, bool) {
	if m.lastBiz != nil && string(id) == m.lastBiz.ID {
		return m.lastBizIdx, true // events come in runs of one number
	}
	if i, ok := m.bizIndex[string(id)]; ok {
		m.lastBiz, m.lastBizIdx = m.biz[i], i
		return i, true
	}
	if m.allow != nil && !m.allow[string(id)] {
		return 0, false
	}
	if len(m.biz) >= m.cfg.MaxBusinesses {
		return 0, false
	}
	s := string(id)
	i := uint16(len(m.biz))
	b := newBusiness(s)
	if lim, ok := m.cfg.LimitOverrides[s]; ok {
		b.Limit, b.LimitKnown, b.limitFixed = lim, true, true
	}
	m.biz = append(m.biz, b)
	m.bizIndex[s] = i
	m.portfolioOf(i)
	return i, true
}

// Watermark is the largest event time applied (0 before any).
func (m *Machine) Watermark() int64 { return m.watermark }

func (m *Machine) advance(t int64) {
	if t > m.watermark {
		m.watermark = t
		m.msgs.rotate(t, &m.self.Evictions[EvictMessage])
		m.custs.rotate(t, &m.self.Evictions[EvictCustomer])
		m.convs.rotate(t, &m.self.Evictions[EvictConversation])
		m.links.rotate(t, &m.self.Evictions[EvictIdentity])
		for _, p := range m.ports {
			p.recips.rotate(t, &m.self.Evictions[EvictRecipient])
		}
		m.camp.custs.rotate(t, &m.camp.evict)
		m.camp.pend.rotate(t, &m.camp.evict)
		m.campExpire(t)
	}
}

// CountFields counts the webhook changes of one decoded line by field
// (waba_exporter_events_total counts changes, not the events they hold).
func (m *Machine) CountFields(fields []string) {
	for _, f := range fields {
		if f == "" {
			f = "other"
		}
		m.self.Events[f]++
	}
}

// Apply applies one event. Events without a usable business are counted and dropped.
func (m *Machine) Apply(ev *model.Event) {
	if ev.Kind == model.KindConversion {
		// Conversion lines (counted by field in events_total) are attributed to campaigns
		// (campaign.go). They are never deduplicated (two purchases in one second are two)
		// and create no business, customer or message state.
		m.applyConversion(ev)
		return
	}
	if ev.Kind != model.KindStatus && ev.Kind != model.KindInbound && m.repeated(ev) {
		return
	}
	switch ev.Kind {
	case model.KindTemplateStatus:
		m.self.TemplateEvents[templateEventName(ev.EventName)]++
		return
	case model.KindAccountUpdate:
		m.applyAccount(ev)
		return
	case model.KindQualityUpdate:
		m.applyQuality(ev)
		return
	}
	if len(ev.Business) == 0 {
		m.dropNoBusiness(ev)
		return
	}
	bi, ok := m.business(ev.Business)
	if !ok {
		m.drop(m.businessDropReason(ev.Business), ev.Business)
		return
	}
	if len(ev.Account) > 0 && string(ev.Account) != m.biz[bi].WabaID {
		m.setWABA(bi, ev.Account)
	}
	if len(ev.DisplayNumber) > 0 {
		if _, known := m.displayTo[string(ev.DisplayNumber)]; !known && len(m.displayTo) < m.cfg.MaxBusinesses*4 {
			m.displayTo[string(ev.DisplayNumber)] = bi
			if m.biz[bi].Display == "" {
				m.biz[bi].Display = string(ev.DisplayNumber)
			}
			if p := m.pending[string(ev.DisplayNumber)]; p != nil {
				m.biz[bi].mergeQuality(p)
				delete(m.pending, string(ev.DisplayNumber))
			}
		}
	}
	// Only message-level events move event time: account-level ones (value errors,
	// template and quality updates) often carry no timestamp and get the receive time.
	if ev.Time > 0 && (ev.Kind == model.KindStatus || ev.Kind == model.KindInbound || ev.Kind == model.KindUserPreference) {
		m.advance(ev.Time)
	}
	switch ev.Kind {
	case model.KindStatus:
		if ev.Billing {
			m.applyBilling(bi, ev)
		} else {
			m.applyStatus(bi, ev)
		}
	case model.KindInbound:
		m.applyInbound(bi, ev)
	case model.KindUserPreference:
		b := m.biz[bi]
		var c *custState
		var ck uint64
		if id := m.identity(ev, ev.Time); id != 0 && ev.Time > 0 {
			ck, c = m.customer(bi, id, ev, ev.Time)
		}
		switch ev.Preference {
		case model.PreferenceStop:
			m.optOut(b, SourceUserPreferences, c)
			m.campOptOut(ck, ev.Time)
		case model.PreferenceResume:
			m.optIn(b, SourceUserPreferences, c)
		}
	case model.KindWebhookError:
		b := m.biz[bi]
		b.WebhookErrors[m.errorLabel(ev)]++
	}
	m.release(m.watermark - m.sec.lateness)
}

// optOut counts an opt-out signal by source and, when it moves the customer from not
// opted out to opted out, the customer (docs/spec.md 4.7; a signal without a customer counts as
// a move). Moves are decided in arrival order.
func (m *Machine) optOut(b *Business, src Source, c *custState) {
	b.OptOuts[src]++
	if c == nil || !c.optedOut {
		b.OptedOutCustomers++
	}
	if c != nil {
		c.optedOut = true
	}
}

// optIn counts a resume signal; the customer can opt out again.
func (m *Machine) optIn(b *Business, src Source, c *custState) {
	b.OptIns[src]++
	if c != nil {
		c.optedOut = false
	}
}

// repeated reports whether an event without a message id (preference, quality,
// template, account update, value-level error) was seen before: retried webhooks repeat
// them byte for byte, so (kind, business, customer, time, values) identifies one. Events
// without a time cannot be told apart from a later identical one and are never deduped.
func (m *Machine) repeated(ev *model.Event) bool {
	if ev.Time <= 0 || ev.TimeFromReceive {
		return false
	}
	var tb [9]byte
	tb[0] = byte(ev.Kind)
	for i := 0; i < 8; i++ {
		tb[1+i] = byte(ev.Time >> (8 * i))
	}
	var code [8]byte
	for i := 0; i < 8; i++ {
		code[i] = byte(ev.ErrorCode >> (8 * i))
	}
	var lim [8]byte
	for i := 0; i < 8; i++ {
		lim[i] = byte((ev.LimitRecipients ^ ev.RestrictionUntil<<1) >> (8 * i))
	}
	k := m.hash(tb[:], ev.Business, ev.DisplayNumber, ev.Customer, ev.CustomerUserID, ev.Account, ev.EventName, ev.Limit, ev.AccountState, ev.Tier,
		[]byte{byte(ev.Preference), byte(ev.Rating), byte(ev.TierCategory)}, code[:], lim[:], ev.MessageID)
	ms, fresh := m.msgs.getOrCreate(k, ev.Time, &m.self.Evictions[EvictMessage])
	if !fresh {
		m.self.DuplicateMessage++
		return true
	}
	ms.flags = mfInbound // never matched by a status
	return false
}

// Flush releases every buffered item (end of input in replay mode).
func (m *Machine) Flush() { m.release(math.MaxInt64) }

func (m *Machine) errorLabel(ev *model.Event) string {
	if !errorCodeSafe(ev) {
		return "other" // not a known code: never customer data in a label (errorcode.go)
	}
	var s string
	switch {
	case ev.ErrorCode != 0:
		var buf [20]byte
		b := strconv.AppendInt(buf[:0], ev.ErrorCode, 10)
		if l, ok := m.errCodes.lookup(b); ok {
			return l
		}
		s = string(b)
	case len(ev.ErrorCodeRaw) > 0:
		if l, ok := m.errCodes.lookup(ev.ErrorCodeRaw); ok {
			return l
		}
		s = strings.ToLower(string(ev.ErrorCodeRaw))
		if len(s) > 32 {
			s = s[:32]
		}
	default:
		return "none"
	}
	l, over := m.errCodes.add(s)
	if over {
		m.self.LabelOverflow["error_code"]++
	}
	return l
}

// countryName is the country of the customer of ev: from its phone number's calling code,
// else from the contacts' profile country_code (docs/spec.md 4.9); "unknown" when neither says,
// or when countries are off (CountryOf nil).
func (m *Machine) countryName(ev *model.Event) string {
	if m.cfg.CountryOf == nil {
		return "unknown"
	}
	if len(ev.Customer) > 0 {
		if c := m.cfg.CountryOf(ev.Customer); c != "unknown" {
			return c
		}
	}
	if cc := ev.CustomerCountry; len(cc) == 2 && isLetter(cc[0]) && isLetter(cc[1]) {
		return strings.ToLower(string(cc))
	}
	return "unknown"
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func (m *Machine) countryIndex(c string) uint8 {
	_, over := m.countries.add(c)
	if over {
		m.self.LabelOverflow["country"]++
		c = "other"
	}
	return m.countries.index(c)
}

// customer returns the state of the customer with identity id (see identity) of business
// bi, creating it; a customer whose country is unknown learns it from a later event.
func (m *Machine) customer(bi uint16, id uint64, ev *model.Event, t int64) (uint64, *custState) {
	k := custKey(bi, id)
	c, fresh := m.custs.getOrCreate(k, t, &m.self.Evictions[EvictCustomer])
	if fresh {
		c.biz = bi
		c.country = m.countryIndex(m.countryName(ev))
	} else if c.country == 0 && m.cfg.CountryOf != nil && (len(ev.CustomerCountry) > 0 || len(ev.Customer) > 0) {
		c.country = m.countryIndex(m.countryName(ev))
	}
	return k, c
}

func (m *Machine) applyStatus(bi uint16, ev *model.Event) {
	b := m.biz[bi]
	if len(ev.MessageID) == 0 {
		m.drop(DropNoMessageID, nil)
		return
	}
	var sb uint8
	switch ev.Status {
	case model.StatusSent:
		sb = sbSent
	case model.StatusDelivered:
		sb = sbDelivered
	case model.StatusRead:
		sb = sbRead
	case model.StatusPlayed:
		sb = sbPlayed
	case model.StatusFailed:
		sb = sbFailed
	case model.StatusDeleted:
		sb = sbDeleted
	default:
		return // accepted/warning: seen, nothing to count
	}
	t := ev.Time
	mk := m.hash1(ev.MessageID)
	ms, _ := m.message(bi, mk, ev)
	if ms == nil {
		return // an id reused across directions: ignore
	}
	if ms.seen&sb != 0 || (sb == sbDelivered && ms.seen&sbImpliedDelivered != 0) {
		if ms.seen&sb != 0 {
			m.self.DuplicateStatus++
		} else {
			m.self.OutOfOrderStatus++ // delivered after read (already implied)
			if ms.flags&mfLatPending != 0 && uint32(t) < ms.delivT {
				// The real delivery, within the reorder window: it sets the delivery
				// time (latencies and what the delivery opens are taken from it).
				readT := ms.delivT
				ms.delivT = uint32(t)
				if ms.cust != 0 && ms.flags&mfDelivProc == 0 {
					m.enqueue(item{t: t, cls: clsDelivery, cust: ms.cust, msg: mk, aux: readT})
				}
			}
		}
		m.learnPricing(ms, ev)
		if len(ev.ConversationID) > 0 && !ev.PricingInferred && (sb == sbDelivered || sb == sbRead) && ms.flags&mfReportedConv == 0 {
			m.reportedConversation(b, bi, ms, ev)
		}
		m.maybeCountPriced(ms, b)
		m.compare(ms, b)
		m.campStatus(ms, mk, sb, false, ev)
		return
	}
	// Out of order in the funnel: a stage arriving after a later one.
	if (sb == sbSent && ms.seen&(sbDelivered|sbRead|sbImpliedDelivered) != 0) || (sb == sbDelivered && ms.seen&sbRead != 0) {
		m.self.OutOfOrderStatus++
	}
	// Category: learned from the first status that carries one.
	if ms.cat == model.CategoryUnknown || ms.cat == model.CategoryNone {
		if c := statusCategory(ev); c != model.CategoryNone {
			ms.cat = c
		}
	}
	ci := ms.cat
	if ms.seen == 0 {
		b.Outbound[ci]++
	}
	ms.seen |= sb
	tt := uint32(t)
	switch sb {
	case sbSent:
		ms.sentT = tt
		b.Status[ci][FunnelSent]++
		if ms.delivT != 0 && ms.flags&mfLatPending == 0 {
			m.observeLatency(&b.SentToDelivered[ci], int64(ms.delivT)-t)
		}
	case sbDelivered:
		ms.delivT = tt
		b.Status[ci][FunnelDelivered]++
		m.onDelivered(b, ms)
		if ms.sentT != 0 {
			m.observeLatency(&b.SentToDelivered[ci], t-int64(ms.sentT))
		}
	case sbRead:
		b.Status[ci][FunnelRead]++
		if ms.seen&sbDelivered == 0 {
			// Meta sends only `read` when both happen together; a `delivered` may still
			// come within the reorder window and then sets the delivery time, so the
			// latencies wait for the delivery item (observeHeld). Without a customer
			// there is no item: they are observed now.
			ms.seen |= sbImpliedDelivered
			ms.delivT = tt
			b.Status[ci][FunnelDelivered]++
			m.onDelivered(b, ms)
			if ms.cust != 0 && ms.flags&mfDelivQueued == 0 {
				ms.flags |= mfLatPending
			} else {
				if ms.sentT != 0 {
					m.observeLatency(&b.SentToDelivered[ci], t-int64(ms.sentT))
				}
				b.DeliveredToRead[ci].Observe(0)
			}
		} else {
			m.observeLatency(&b.DeliveredToRead[ci], t-int64(ms.delivT))
		}
	case sbPlayed:
		b.Status[ci][FunnelPlayed]++
	case sbFailed:
		code := m.errorLabel(ev)
		b.Failed[FailKey{Category: ci, Code: code}]++
		// 131050: the user stopped marketing messages; Gupshup reports its own 1012. A
		// customer already opted out is not opted out again (a re-sent template).
		if ev.ErrorCode == 131050 || (ev.Provider == model.ProviderGupshup && ev.ErrorCode == 1012) {
			var c *custState
			if ms.cust != 0 {
				c = m.custs.get(ms.cust)
			}
			m.optOut(b, SourceDeliveryError, c)
			m.campOptOut(ms.cust, t)
		}
	}
	m.learnPricing(ms, ev)
	// Reported conversation: first sight of its id on a delivered or read status (a
	// message belongs to one conversation: once recorded, later statuses skip the lookup).
	if len(ev.ConversationID) > 0 && !ev.PricingInferred && (sb == sbDelivered || sb == sbRead) && ms.flags&mfReportedConv == 0 {
		m.reportedConversation(b, bi, ms, ev)
	}
	if sb == sbSent || sb == sbDelivered || sb == sbRead || sb == sbPlayed {
		m.enqueueStatus(ms, mk, sb, t, tt)
	}
	m.maybeCountPriced(ms, b)
	if sb == sbSent && ms.flags&mfClassified != 0 {
		m.lateSent(ms, b)
	}
	m.compare(ms, b)
	m.campStatus(ms, mk, sb, true, ev)
}

// message returns the state of outbound message mk of business bi, creating it for the
// customer of ev; nil when the id belongs to an inbound message.
func (m *Machine) message(bi uint16, mk uint64, ev *model.Event) (*msgState, bool) {
	ms, fresh := m.msgs.getOrCreate(mk, ev.Time, &m.self.Evictions[EvictMessage])
	if fresh {
		ms.biz = bi
		ms.cat = model.CategoryUnknown
		if id := m.identity(ev, ev.Time); id != 0 {
			ms.cust, _ = m.customer(bi, id, ev, ev.Time)
		} else {
			m.self.UnknownCustomer++
		}
	} else if ms.flags&mfInbound != 0 {
		return nil, false
	} else if ms.cust == 0 {
		// First seen in a report without a customer (a billing report).
		if id := m.identity(ev, ev.Time); id != 0 {
			ms.cust, _ = m.customer(bi, id, ev, ev.Time)
		}
	}
	return ms, fresh
}

// applyBilling applies a BSP's billing report (Gupshup billing-event) as the pricing
// report of its message: it counts no status, and prices the message once it is
// delivered, like pricing on a status. A billing report means the message was charged,
// so a conversation it names is taken as reported (under CBP) even before its delivery
// status arrives.
func (m *Machine) applyBilling(bi uint16, ev *model.Event) {
	if len(ev.MessageID) == 0 || ev.PricingInferred {
		return
	}
	b := m.biz[bi]
	ms, _ := m.message(bi, m.hash1(ev.MessageID), ev)
	if ms == nil {
		return
	}
	if ms.cat == model.CategoryUnknown || ms.cat == model.CategoryNone {
		if c := statusCategory(ev); c != model.CategoryNone {
			ms.cat = c
		}
	}
	m.learnPricing(ms, ev)
	if len(ev.ConversationID) > 0 && ms.flags&mfReportedConv == 0 {
		m.reportedConversation(b, bi, ms, ev)
	}
	m.maybeCountPriced(ms, b)
	if ms.flags&mfClassified != 0 {
		m.lateSent(ms, b)
	}
	m.compare(ms, b)
}

// lateSent handles a `sent` status that arrives after the message was classified from a
// later status (its webhook was delayed beyond the reorder window). A classification made
// without the category is redone now that the category is known, and a delivery whose
// pricing was held back for want of it is priced.
func (m *Machine) lateSent(ms *msgState, b *Business) {
	c := m.custs.get(ms.cust)
	if c == nil {
		return
	}
	if ms.flags&mfBlind != 0 && ms.cat != model.CategoryUnknown {
		ms.flags &^= mfBlind | mfOpensConv | mfOpensFEP
		m.classify(ms, c, int64(ms.sentT))
		if ms.flags&(mfBI|mfDelivProc) == mfBI|mfDelivProc {
			m.businessInitiatedDelivery(c, ms.cust, ms.delivT)
		}
	}
	if ms.flags&mfPricePending != 0 && ms.flags&mfPriced == 0 {
		ms.flags &^= mfPricePending
		m.countPriced(ms, b, ms.cat, ms.infType())
	}
}

func (m *Machine) observeLatency(h *Histogram, d int64) {
	if d < 0 {
		m.self.OutOfOrderLatency++
		return
	}
	h.Observe(float64(d))
}

// statusCategory is the category a status reports: pricing.category, else the
// conversation origin.
func statusCategory(ev *model.Event) model.Category {
	if ev.Category != model.CategoryNone {
		return ev.Category
	}
	return ev.ConversationOrigin
}

// learnPricing records what a status reports about pricing.
func (m *Machine) learnPricing(ms *msgState, ev *model.Event) {
	if ev.PricingInferred {
		return
	}
	if ev.PricingModel != model.PricingModelNone && ms.pmodel() == model.PricingModelNone {
		ms.setPmodel(ev.PricingModel)
	}
	if ms.flags&mfReportedPricing != 0 && ev.Category != model.CategoryNone && ev.Category != ms.cat {
		// A later report contradicts an earlier one for the same message.
		m.biz[ms.biz].Mismatches[MismatchCategory]++
	}
	if ms.flags&mfReportedPricing == 0 && (ev.PricingType != model.PricingTypeNone || ev.Category != model.CategoryNone) {
		ms.flags |= mfReportedPricing
		ms.setRepType(ev.PricingType)
		if ms.repType() == model.PricingTypeNone {
			ms.setRepType(cbpPricingType(ev.Category, ev.ConversationOrigin, ev.Billable))
		}
		if ev.Category != model.CategoryNone {
			ms.cat = ev.Category
		}
	}
	// A conversation origin on a PMP-priced status is no conversation (API v23 sends one
	// per message); only a free entry point window's is compared.
	if ev.ConversationOrigin != model.CategoryNone && ms.repConv() == model.CategoryNone &&
		(ev.ConversationOrigin == model.CategoryReferralConversion || m.statusEra(ms, ev) == model.PricingModelCBP) {
		ms.setRepConv(ev.ConversationOrigin)
	}
}

// msgEra is the pricing era of a message (docs/spec.md 4.3): the model its webhooks report, else
// CBP when it was sent (else first delivered) before the switch, else PMP.
func (m *Machine) msgEra(ms *msgState) model.PricingModel {
	if p := ms.pmodel(); p != model.PricingModelNone {
		return p
	}
	t := ms.sentT
	if t == 0 {
		t = ms.delivT
	}
	if t != 0 && int64(t) < m.sec.pricingSwitch {
		return model.PricingModelCBP
	}
	return model.PricingModelPMP
}

// statusEra is the pricing era a status reports, else its message's.
func (m *Machine) statusEra(ms *msgState, ev *model.Event) model.PricingModel {
	if ev.PricingModel != model.PricingModelNone {
		return ev.PricingModel
	}
	if ms.pmodel() == model.PricingModelNone && ms.sentT == 0 && ms.delivT == 0 && ev.Time < m.sec.pricingSwitch {
		return model.PricingModelCBP
	}
	return m.msgEra(ms)
}

// cbpPricingType maps a CBP report to the pricing classes of docs/spec.md 4.4.
func cbpPricingType(cat, origin model.Category, billable int8) model.PricingType {
	switch {
	case cat == model.CategoryReferralConversion || origin == model.CategoryReferralConversion:
		return model.PricingTypeFreeEntryPoint
	case billable < 0 || cat == model.CategoryService:
		return model.PricingTypeFreeCustomerService
	}
	return model.PricingTypeRegular
}

func (m *Machine) onDelivered(b *Business, ms *msgState) {
	ms.flags |= mfDelivered
	m.consume(UnitDeliveredMessages, b.ID, ms.cat, int64(ms.delivT))
}

// maybeCountPriced counts a delivered message with reported pricing, once.
func (m *Machine) maybeCountPriced(ms *msgState, b *Business) {
	if ms.flags&(mfPriced|mfDelivered|mfReportedPricing) != mfDelivered|mfReportedPricing {
		return
	}
	m.countPriced(ms, b, ms.cat, ms.repType())
}

// countPriced counts a delivered message of the per-message era by pricing class, once;
// a regular one is charged (billable quotas, cost at the rate card's per-message price).
// A CBP-era message is charged through its conversation and is not counted here.
func (m *Machine) countPriced(ms *msgState, b *Business, cat model.Category, pt model.PricingType) {
	ms.flags |= mfPriced
	if m.msgEra(ms) == model.PricingModelCBP {
		return
	}
	if pt == model.PricingTypeNone {
		pt = model.PricingTypeRegular
	}
	var country uint8
	if c := m.custs.get(ms.cust); c != nil {
		country = c.country
	} else {
		country = m.countries.index("unknown")
	}
	b.Priced[PricedKey{Category: cat, PricingType: pt, Country: country}]++
	if pt == model.PricingTypeRegular {
		m.consume(UnitBillableMessages, b.ID, cat, int64(ms.delivT))
		m.consume(UnitBillable, b.ID, cat, int64(ms.delivT))
		m.addCost(b, country, cat)
	}
}

// reportedConversation records the conversation a delivered (or read, or billed) status
// reports, on the first sight of its id (docs/spec.md 4.3). Under CBP it is a conversation (and a
// free entry point window when its origin is referral_conversion); on a PMP-priced
// status only a free entry point window's id is one (v24 sends a conversation object only
// there; v23 sends one with a fresh id for every message, which is no conversation and is
// not remembered).
func (m *Machine) reportedConversation(b *Business, bi uint16, ms *msgState, ev *model.Event) {
	origin := ev.ConversationOrigin
	if origin == model.CategoryNone {
		origin = ms.cat
	}
	cbp := m.statusEra(ms, ev) == model.PricingModelCBP
	if !cbp && origin != model.CategoryReferralConversion {
		return
	}
	ms.flags |= mfReportedConv
	ck := m.hash1(ev.ConversationID)
	cs, fresh := m.convs.getOrCreate(ck, ev.Time, &m.self.Evictions[EvictConversation])
	if ev.ConversationExpiry > 0 {
		cs.expiry = uint32(ev.ConversationExpiry)
	} else if cs.expiry == 0 {
		exp := ev.Time + day
		if origin == model.CategoryReferralConversion {
			exp = ev.Time + 3*day
		}
		cs.expiry = uint32(exp)
	}
	if !fresh {
		return
	}
	cs.cat = origin
	c := m.custs.get(ms.cust)
	if origin == model.CategoryReferralConversion {
		b.FEPWindowsOpened++
	}
	if cbp {
		billable := isTemplate(origin)
		if ev.Billable != 0 {
			billable = ev.Billable > 0
		}
		if origin == model.CategoryReferralConversion {
			billable = false
		}
		m.conversationOpened(b, c, origin, billable, ev.Time)
	}
	// The reported conversation is the truth for what is open.
	if c != nil {
		i := convIndex(origin)
		if cs.expiry > c.conv[i] {
			c.conv[i] = cs.expiry
		}
	}
}

func (m *Machine) applyInbound(bi uint16, ev *model.Event) {
	b := m.biz[bi]
	t := ev.Time
	if len(ev.MessageID) > 0 {
		mk := m.hash1(ev.MessageID)
		ms, fresh := m.msgs.getOrCreate(mk, t, &m.self.Evictions[EvictMessage])
		if !fresh {
			m.self.DuplicateMessage++
			return
		}
		ms.flags = mfInbound
		ms.biz = bi
		m.campClick(ev)
	}
	mt := ev.MessageType
	if mt == model.MessageTypeNone {
		mt = model.MessageTypeOther
	}
	b.Inbound[mt]++
	var ck uint64
	var c *custState
	if id := m.identity(ev, t); id != 0 && t > 0 {
		ck, c = m.customer(bi, id, ev, t)
	}
	// Opt-outs and opt-ins by keyword or button payload (whole message, any case). A
	// button payload that matches an opt-in keyword is the keyword source.
	switch {
	case len(ev.Payload) > 0 && matchKeyword(ev.Payload, m.kwOutPayload):
		m.optOut(b, SourceButton, c)
		m.campOptOut(ck, t)
	case len(ev.Text) > 0 && matchKeyword(ev.Text, m.kwOut):
		m.optOut(b, SourceKeyword, c)
		m.campOptOut(ck, t)
	case len(ev.Text) > 0 && matchKeyword(ev.Text, m.kwIn), len(ev.Payload) > 0 && matchKeyword(ev.Payload, m.kwIn):
		m.optIn(b, SourceKeyword, c)
	}
	if c == nil {
		return
	}
	it := item{t: t, cls: clsInbound, cust: ck, referral: ev.Referral}
	if len(ev.ContextID) > 0 {
		it.msg = m.hash1(ev.ContextID)
		it.hasCtx = true
	}
	m.enqueue(it)
}

// matchKeyword reports whether text, trimmed of spaces and final punctuation, equals one
// of the keywords ignoring case (Unicode simple folding, so keywords of any script match).
// It does not allocate.
func matchKeyword(text []byte, keywords [][]byte) bool {
	if len(text) > 64 || len(keywords) == 0 {
		return false
	}
	s := bytes.TrimRight(bytes.TrimSpace(text), ".!¡?¿ ")
	for _, k := range keywords {
		if bytes.EqualFold(s, k) {
			return true
		}
	}
	return false
}

func byteStrings(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func (m *Machine) applyQuality(ev *model.Event) {
	if ev.LimitRecipients != 0 {
		// business_capability_update: the portfolio's limit (docs/spec.md 4.8).
		m.applyCapability(ev)
		if len(ev.Business) == 0 && len(ev.DisplayNumber) == 0 {
			return
		}
	}
	var bi uint16
	var ok bool
	switch {
	case len(ev.Business) > 0:
		bi, ok = m.business(ev.Business)
	case len(ev.DisplayNumber) > 0:
		bi, ok = m.displayTo[string(ev.DisplayNumber)]
		if !ok {
			// The phone_number_id of this display number is not known yet: keep the
			// update aside and merge it once a message webhook names both.
			b := m.pending[string(ev.DisplayNumber)]
			if b == nil {
				if len(m.pending) >= m.cfg.MaxBusinesses {
					m.drop(DropBusinessCap, nil)
					return
				}
				b = newBusiness(string(ev.DisplayNumber))
				m.pending[b.ID] = b
			}
			m.applyQualityTo(b, ev)
			return
		}
	}
	if !ok {
		if len(ev.Business) > 0 {
			m.drop(m.businessDropReason(ev.Business), ev.Business)
		} else {
			m.dropNoBusiness(ev)
		}
		return
	}
	m.applyQualityTo(m.biz[bi], ev)
}

func (m *Machine) applyQualityTo(b *Business, ev *model.Event) {
	name := lowerBounded(ev.EventName, qualityEvents)
	b.QualityEvents[name]++
	// The latest update by event time sets the limit, and the latest that says anything
	// of quality sets the rating, whatever the arrival order.
	if len(ev.Limit) > 0 && !b.limitFixed && m.cfg.ParseLimit != nil && ev.Time >= b.limitAt {
		b.limitAt = ev.Time
		if lim, ok := m.cfg.ParseLimit(string(ev.Limit)); ok {
			b.Limit, b.LimitKnown = lim, true
		} else {
			b.LimitKnown = false // TIER_NOT_SET or unknown: not exported
		}
	}
	r := ev.Rating
	switch {
	case r != model.RatingNone:
	case name == "flagged":
		r = model.RatingRed
	case name == "unflagged":
		r = model.RatingGreen
	}
	if r != model.RatingNone && ev.Time >= b.ratingAt {
		b.Rating, b.ratingAt = r, ev.Time
	}
}

var qualityEvents = []string{"flagged", "unflagged", "upgrade", "downgrade", "onboarding", "throughput_upgrade", "throughput_downgrade"}
var templateEvents = []string{"approved", "rejected", "pending", "paused", "disabled", "flagged", "reinstated", "pending_deletion", "in_appeal", "limit_exceeded", "archived", "deleted"}
var accountEvents = []string{"verified_account", "disabled_update", "account_violation", "account_restriction", "volume_based_pricing_tier_update", "account_update", "partner_added", "partner_removed", "ad_account_linked", "phone_number_added", "phone_number_removed", "business_primary_location_country_update"}

func templateEventName(b []byte) string { return lowerBounded(b, templateEvents) }

// lowerBounded returns the lower-cased value if it is one of known, else "other".
func lowerBounded(b []byte, known []string) string {
	if len(b) > 48 {
		return "other"
	}
	s := strings.ToLower(string(b))
	for _, k := range known {
		if k == s {
			return k
		}
	}
	return "other"
}
