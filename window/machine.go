// Package window is the per-customer conversation-window state machine (SPEC 4).
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
//   - Customer, message and conversation ids are kept only as keyed 64-bit hashes.
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
	cust   uint64 // customer key
	sentT  uint32
	delivT uint32
	biz    uint16
	flags  uint16
	seen   uint8
	cat    model.Category // message category (reported, remembered)
	// pk packs, to keep the state at 24 bytes: reported and inferred pricing type (2
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

	bizIndex  map[string]uint16
	biz       []*Business
	displayTo map[string]uint16    // display phone number -> business
	pending   map[string]*Business // quality updates of display numbers not mapped yet
	allow     map[string]bool

	msgs  genMap[msgState]
	custs genMap[custState]
	convs genMap[convState]
	port  []genMap[uint32] // per portfolio: person hash -> last business-initiated send

	buf       reorder
	expiry    expiryHeap
	frontier  int64 // event time up to which the reorder buffer was released
	watermark int64

	errCodes  *capSet
	countries *capSet

	quotas []quotaState

	hbuf []byte // scratch of hashParts (siphash.go)

	kwOut, kwIn, kwOutPayload [][]byte // the configured keywords, as bytes

	lastBiz    *Business // the business of the previous event (a one-entry cache)
	lastBizIdx uint16

	drops dropLog // businesses already reported as dropped (dropped.go)

	Self SelfStats
}

// convState is a reported conversation id.
type convState struct {
	expiry uint32
	cat    model.Category
}

// SelfStats are the machine's own health counters.
type SelfStats struct {
	Events            map[string]uint64 // by webhook change field
	DuplicateStatus   uint64
	DuplicateMessage  uint64
	OutOfOrderStatus  uint64 // a status older in the funnel than one already seen
	OutOfOrderLatency uint64 // a negative latency, not observed
	OutOfOrderLate    uint64 // arrived behind the reorder window
	EarlyReleased     uint64 // released before the allowed lateness: reorder buffer full
	Evictions         [numEvictKind][2]uint64
	LabelOverflow     map[string]uint64
	DroppedBusinesses uint64                // events of businesses over the cap or outside the allowlist
	Dropped           [NumDropReason]uint64 // the same events by reason (dropped.go)
	TemplateEvents    map[string]uint64
	UnknownCustomer   uint64 // statuses without recipient (On-Prem minimal)
	AccountEvents     map[string]uint64
}

// Eviction kinds and reasons.
const (
	EvictMessage = iota
	EvictCustomer
	EvictConversation
	EvictRecipient
	numEvictKind
)

// EvictKindNames are the `kind` label values of evictions and state entries.
var EvictKindNames = [numEvictKind]string{"message", "customer", "conversation", "recipient"}

// Eviction reasons.
const (
	ReasonTTL      = 0
	ReasonCapacity = 1
)

// New returns an empty Machine. Zero (or negative) sizes and durations take the defaults.
func New(cfg Config) *Machine {
	cfg.fill(DefaultConfig())
	m := &Machine{
		cfg:       cfg,
		bizIndex:  map[string]uint16{},
		displayTo: map[string]uint16{},
		pending:   map[string]*Business{},
		msgs:      newGenMap[msgState](cfg.MessageTTL, cfg.MaxMessages),
		custs:     newGenMap[custState](cfg.CustomerTTL, cfg.MaxCustomers),
		convs:     newGenMap[convState](cfg.MessageTTL, cfg.MaxConversations),
		errCodes:  newCapSet(cfg.ErrorCodeCap),
		countries: newCapSet(cfg.CountryCap),
		frontier:  math.MinInt64,
		Self: SelfStats{
			Events:         map[string]uint64{},
			LabelOverflow:  map[string]uint64{},
			TemplateEvents: map[string]uint64{},
			AccountEvents:  map[string]uint64{},
		},
	}
	if len(cfg.AllowBusinesses) > 0 {
		m.allow = map[string]bool{}
		for _, b := range cfg.AllowBusinesses {
			m.allow[b] = true
		}
	}
	m.setKeywords()
	for range cfg.Portfolios {
		m.port = append(m.port, newGenMap[uint32](day, cfg.MaxCustomers))
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

// custKey keys a (business, customer) pair: the customer's keyed hash xor a salt of the
// business, so that the person (the same customer of several numbers of a portfolio) is
// recovered as key ^ bizSalt(biz).
func (m *Machine) custKey(biz uint16, customer []byte) uint64 {
	return m.hash1(customer) ^ bizSalt(biz)
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
	return i, true
}

// Watermark is the largest event time applied (0 before any).
func (m *Machine) Watermark() int64 { return m.watermark }

func (m *Machine) advance(t int64) {
	if t > m.watermark {
		m.watermark = t
		m.msgs.rotate(t, &m.Self.Evictions[EvictMessage])
		m.custs.rotate(t, &m.Self.Evictions[EvictCustomer])
		m.convs.rotate(t, &m.Self.Evictions[EvictConversation])
		for i := range m.port {
			m.port[i].rotate(t, &m.Self.Evictions[EvictRecipient])
		}
	}
}

// CountFields counts the webhook changes of one decoded line by field
// (waba_exporter_events_total counts changes, not the events they hold).
func (m *Machine) CountFields(fields []string) {
	for _, f := range fields {
		if f == "" {
			f = "other"
		}
		m.Self.Events[f]++
	}
}

// Apply applies one event. Events without a usable business are counted and dropped.
func (m *Machine) Apply(ev *model.Event) {
	if ev.Kind != model.KindStatus && ev.Kind != model.KindInbound && m.repeated(ev) {
		return
	}
	switch ev.Kind {
	case model.KindTemplateStatus:
		m.Self.TemplateEvents[templateEventName(ev.EventName)]++
		return
	case model.KindAccountUpdate:
		m.Self.AccountEvents[lowerBounded(ev.EventName, accountEvents)]++
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
	if len(ev.DisplayNumber) > 0 {
		if _, known := m.displayTo[string(ev.DisplayNumber)]; !known && len(m.displayTo) < m.cfg.MaxBusinesses*4 {
			m.displayTo[string(ev.DisplayNumber)] = bi
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
		m.applyStatus(bi, ev)
	case model.KindInbound:
		m.applyInbound(bi, ev)
	case model.KindUserPreference:
		b := m.biz[bi]
		switch ev.Preference {
		case model.PreferenceStop:
			b.OptOuts[SourceUserPreferences]++
		case model.PreferenceResume:
			b.OptIns[SourceUserPreferences]++
		}
	case model.KindWebhookError:
		b := m.biz[bi]
		b.WebhookErrors[m.errorLabel(ev)]++
	}
	m.release(m.watermark - m.cfg.AllowedLateness)
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
	k := m.hash(tb[:], ev.Business, ev.DisplayNumber, ev.Customer, ev.EventName, ev.Limit, []byte{byte(ev.Preference), byte(ev.Rating)}, code[:], ev.MessageID)
	ms, fresh := m.msgs.getOrCreate(k, ev.Time, &m.Self.Evictions[EvictMessage])
	if !fresh {
		m.Self.DuplicateMessage++
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
		m.Self.LabelOverflow["error_code"]++
	}
	return l
}

func (m *Machine) countryIndex(customer []byte) uint8 {
	c := "unknown"
	if m.cfg.CountryOf != nil && len(customer) > 0 {
		c = m.cfg.CountryOf(customer)
	}
	_, over := m.countries.add(c)
	if over {
		m.Self.LabelOverflow["country"]++
		c = "other"
	}
	return m.countries.index(c)
}

func (m *Machine) customer(bi uint16, customer []byte, t int64) (uint64, *custState) {
	k := m.custKey(bi, customer)
	c, fresh := m.custs.getOrCreate(k, t, &m.Self.Evictions[EvictCustomer])
	if fresh {
		c.biz = bi
		c.country = m.countryIndex(customer)
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
	ms, fresh := m.msgs.getOrCreate(mk, t, &m.Self.Evictions[EvictMessage])
	if fresh {
		ms.biz = bi
		ms.cat = model.CategoryUnknown
		if len(ev.Customer) > 0 {
			ms.cust, _ = m.customer(bi, ev.Customer, t)
		} else {
			m.Self.UnknownCustomer++
		}
	} else if ms.flags&mfInbound != 0 {
		return // an id reused across directions: ignore
	}
	if ms.seen&sb != 0 || (sb == sbDelivered && ms.seen&sbImpliedDelivered != 0) {
		if ms.seen&sb != 0 {
			m.Self.DuplicateStatus++
		} else {
			m.Self.OutOfOrderStatus++ // delivered after read (already implied)
		}
		m.learnPricing(ms, ev)
		if len(ev.ConversationID) > 0 && !ev.PricingInferred && (sb == sbDelivered || sb == sbRead) && ms.flags&mfReportedConv == 0 {
			m.reportedConversation(b, bi, ms, ev)
		}
		m.maybeCountPriced(ms, b)
		m.compare(ms, b)
		return
	}
	// Out of order in the funnel: a stage arriving after a later one.
	if (sb == sbSent && ms.seen&(sbDelivered|sbRead|sbImpliedDelivered) != 0) || (sb == sbDelivered && ms.seen&sbRead != 0) {
		m.Self.OutOfOrderStatus++
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
		if ms.delivT != 0 {
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
			// Meta sends only `read` when both happen together.
			ms.seen |= sbImpliedDelivered
			ms.delivT = tt
			b.Status[ci][FunnelDelivered]++
			m.onDelivered(b, ms)
			if ms.sentT != 0 {
				m.observeLatency(&b.SentToDelivered[ci], t-int64(ms.sentT))
			}
			b.DeliveredToRead[ci].Observe(0)
		} else {
			m.observeLatency(&b.DeliveredToRead[ci], t-int64(ms.delivT))
		}
	case sbPlayed:
		b.Status[ci][FunnelPlayed]++
	case sbFailed:
		code := m.errorLabel(ev)
		b.Failed[FailKey{Category: ci, Code: code}]++
		// 131050: the user stopped marketing messages; Gupshup reports its own 1012.
		if ev.ErrorCode == 131050 || (ev.Provider == model.ProviderGupshup && ev.ErrorCode == 1012) {
			b.OptOuts[SourceDeliveryError]++
		}
	}
	m.learnPricing(ms, ev)
	// Reported conversation: first sight of its id on a delivered or read status (a
	// message belongs to one conversation: once recorded, later statuses skip the lookup).
	if len(ev.ConversationID) > 0 && !ev.PricingInferred && (sb == sbDelivered || sb == sbRead) && ms.flags&mfReportedConv == 0 {
		m.reportedConversation(b, bi, ms, ev)
	}
	if sb == sbSent || sb == sbDelivered || sb == sbRead || sb == sbPlayed {
		m.enqueueStatus(ms, mk, sb, t)
	}
	m.maybeCountPriced(ms, b)
	if sb == sbSent && ms.flags&mfClassified != 0 {
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
	}
	if ms.flags&mfPricePending != 0 && ms.flags&mfPriced == 0 {
		ms.flags &^= mfPricePending
		m.countPriced(ms, b, ms.cat, ms.infType())
	}
}

func (m *Machine) observeLatency(h *Histogram, d int64) {
	if d < 0 {
		m.Self.OutOfOrderLatency++
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
	if ev.ConversationOrigin != model.CategoryNone && ms.repConv() == model.CategoryNone {
		ms.setRepConv(ev.ConversationOrigin)
	}
}

// cbpPricingType maps a CBP report to the pricing classes of SPEC 4.4.
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

func (m *Machine) countPriced(ms *msgState, b *Business, cat model.Category, pt model.PricingType) {
	ms.flags |= mfPriced
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
		if rc := m.cfg.RateCard; rc != nil {
			price, ok := rc.Countries[m.CountryName(country)][cat]
			if !ok {
				price, ok = rc.Default[cat]
			}
			if ok {
				b.Cost[cat] += price
			}
		}
	}
}

func (m *Machine) reportedConversation(b *Business, bi uint16, ms *msgState, ev *model.Event) {
	ms.flags |= mfReportedConv
	ck := m.hash1(ev.ConversationID)
	cs, fresh := m.convs.getOrCreate(ck, ev.Time, &m.Self.Evictions[EvictConversation])
	origin := ev.ConversationOrigin
	if origin == model.CategoryNone {
		origin = ms.cat
	}
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
	b.ConversationsOpened[origin]++
	m.consume(UnitConversations, b.ID, origin, ev.Time)
	// The reported conversation is the truth for what is open.
	if c := m.custs.get(ms.cust); c != nil {
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
		ms, fresh := m.msgs.getOrCreate(mk, t, &m.Self.Evictions[EvictMessage])
		if !fresh {
			m.Self.DuplicateMessage++
			return
		}
		ms.flags = mfInbound
		ms.biz = bi
	}
	mt := ev.MessageType
	if mt == model.MessageTypeNone {
		mt = model.MessageTypeOther
	}
	b.Inbound[mt]++
	// Opt-outs and opt-ins by keyword or button payload (whole message, any case).
	switch {
	case len(ev.Payload) > 0 && matchKeyword(ev.Payload, m.kwOutPayload):
		b.OptOuts[SourceButton]++
	case len(ev.Text) > 0 && matchKeyword(ev.Text, m.kwOut):
		b.OptOuts[SourceKeyword]++
	case len(ev.Text) > 0 && matchKeyword(ev.Text, m.kwIn):
		b.OptIns[SourceKeyword]++
	case len(ev.Payload) > 0 && matchKeyword(ev.Payload, m.kwIn):
		b.OptIns[SourceButton]++
	}
	if len(ev.Customer) == 0 || t <= 0 {
		return
	}
	ck, _ := m.customer(bi, ev.Customer, t)
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
var accountEvents = []string{"verified_account", "disabled_update", "account_violation", "account_restriction", "account_update", "partner_added", "partner_removed", "ad_account_linked", "phone_number_added", "phone_number_removed", "business_primary_location_country_update"}

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
