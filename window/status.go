// Outbound statuses: the funnel, latencies, billing reports, what a status reports about
// pricing and conversations, and priced messages.

package window

import (
	"github.com/waba-exporter/waba_exporter/model"
)

// statusStep is what a status means to the funnel: its bit in msgState.seen and what
// its first sight for a message counts (nil: nothing beyond the outbound count).
type statusStep struct {
	bit   uint8
	first func(m *Machine, b *Business, ms *msgState, ev *model.Event)
}

// statusSteps is indexed by model.Status. A status without a bit (none, accepted,
// warning) is seen and counts nothing.
var statusSteps = [model.NumStatus]statusStep{
	model.StatusSent:      {sbSent, (*Machine).firstSent},
	model.StatusDelivered: {sbDelivered, (*Machine).firstDelivered},
	model.StatusRead:      {sbRead, (*Machine).firstRead},
	model.StatusPlayed:    {sbPlayed, (*Machine).firstPlayed},
	model.StatusFailed:    {sbFailed, (*Machine).firstFailed},
	model.StatusDeleted:   {sbDeleted, nil},
}

// applyStatus applies a status of an outbound message: its first sight counts in the
// funnel (firstStatus), a repeat only records what it reports (repeatStatus); both go
// through the same closing steps (closeStatus).
func (m *Machine) applyStatus(bi uint16, ev *model.Event) {
	if len(ev.MessageID) == 0 {
		m.drop(DropNoMessageID, nil)
		return
	}
	if ev.Status >= model.NumStatus || statusSteps[ev.Status].bit == 0 {
		return // accepted/warning: seen, nothing to count
	}
	step := &statusSteps[ev.Status]
	mk := m.hashID(idMessage, ev.MessageID)
	ms, _ := m.message(bi, mk, ev)
	if ms == nil {
		return // an id reused across directions: ignore
	}
	b := m.biz[bi]
	sb := step.bit
	first := ms.seen&sb == 0 && !(sb == sbDelivered && ms.seen&sbImpliedDelivered != 0)
	if first {
		m.firstStatus(b, ms, step, ev)
	} else {
		m.repeatStatus(ms, sb, mk, ev.Time)
	}
	m.closeStatus(b, bi, ms, mk, sb, first, ev)
}

// repeatStatus handles a status already seen for the message: a duplicate, or a
// `delivered` after `read` (which implied it).
func (m *Machine) repeatStatus(ms *msgState, sb uint8, mk uint64, t int64) {
	if ms.seen&sb != 0 {
		m.self.DuplicateStatus++
		return
	}
	m.self.OutOfOrderStatus++ // delivered after read (already implied)
	if ms.flags&mfLatPending != 0 && uint32(t) < ms.delivT {
		// The real delivery, within the reorder window: it sets the delivery time
		// (latencies and what the delivery opens are taken from it).
		readT := ms.delivT
		ms.delivT = uint32(t)
		if ms.cust != 0 && ms.flags&mfDelivProc == 0 {
			m.enqueue(item{t: t, cls: clsDelivery, cust: ms.cust, msg: mk, aux: readT})
		}
	}
}

// firstStatus counts the first sight of a status for a message: out-of-order arrival,
// the category (learned from the first status that carries one), the outbound count
// and the step's own counts.
func (m *Machine) firstStatus(b *Business, ms *msgState, step *statusStep, ev *model.Event) {
	sb := step.bit
	// Out of order in the funnel: a stage arriving after a later one.
	if (sb == sbSent && ms.seen&(sbDelivered|sbRead|sbImpliedDelivered) != 0) || (sb == sbDelivered && ms.seen&sbRead != 0) {
		m.self.OutOfOrderStatus++
	}
	if ms.cat == model.CategoryUnknown || ms.cat == model.CategoryNone {
		if c := statusCategory(ev); c != model.CategoryNone {
			ms.cat = c
		}
	}
	if ms.seen == 0 {
		b.Outbound[ms.cat]++
	}
	ms.seen |= sb
	if step.first != nil {
		step.first(m, b, ms, ev)
	}
}

// closeStatus is the tail of every status, first or repeated: what it reports about
// pricing and conversation, the reorder items of a first funnel stage, pricing, the
// reported/inferred comparison and the campaign funnel.
func (m *Machine) closeStatus(b *Business, bi uint16, ms *msgState, mk uint64, sb uint8, first bool, ev *model.Event) {
	m.learnPricing(ms, ev)
	// Reported conversation: first sight of its id on a delivered or read status (a
	// message belongs to one conversation: once recorded, later statuses skip the lookup).
	if len(ev.ConversationID) > 0 && !ev.PricingInferred && (sb == sbDelivered || sb == sbRead) && ms.flags&mfReportedConv == 0 {
		m.reportedConversation(b, bi, ms, ev)
	}
	if first && sb&(sbSent|sbDelivered|sbRead|sbPlayed) != 0 {
		m.enqueueStatus(ms, mk, sb, ev.Time, uint32(ev.Time))
	}
	m.maybeCountPriced(ms, b)
	if first && sb == sbSent && ms.flags&mfClassified != 0 {
		m.lateSent(ms, b)
	}
	m.compare(ms, b)
	m.campStatus(ms, mk, sb, first, ev)
}

func (m *Machine) firstSent(b *Business, ms *msgState, ev *model.Event) {
	ci := ms.cat
	ms.sentT = uint32(ev.Time)
	b.Status[ci][FunnelSent]++
	if ms.delivT != 0 && ms.flags&mfLatPending == 0 {
		m.observeLatency(&b.SentToDelivered[ci], int64(ms.delivT)-ev.Time)
	}
}

func (m *Machine) firstDelivered(b *Business, ms *msgState, ev *model.Event) {
	ci := ms.cat
	ms.delivT = uint32(ev.Time)
	b.Status[ci][FunnelDelivered]++
	m.onDelivered(b, ms)
	if ms.sentT != 0 {
		m.observeLatency(&b.SentToDelivered[ci], ev.Time-int64(ms.sentT))
	}
}

func (m *Machine) firstRead(b *Business, ms *msgState, ev *model.Event) {
	ci, t := ms.cat, ev.Time
	b.Status[ci][FunnelRead]++
	if ms.seen&sbDelivered != 0 {
		m.observeLatency(&b.DeliveredToRead[ci], t-int64(ms.delivT))
		return
	}
	// Meta sends only `read` when both happen together; a `delivered` may still come
	// within the reorder window and then sets the delivery time, so the latencies wait
	// for the delivery item (observeHeld). Without a customer there is no item: they
	// are observed now.
	ms.seen |= sbImpliedDelivered
	ms.delivT = uint32(t)
	b.Status[ci][FunnelDelivered]++
	m.onDelivered(b, ms)
	if ms.cust != 0 && ms.flags&mfDelivQueued == 0 {
		ms.flags |= mfLatPending
		return
	}
	if ms.sentT != 0 {
		m.observeLatency(&b.SentToDelivered[ci], t-int64(ms.sentT))
	}
	b.DeliveredToRead[ci].Observe(0)
}

func (m *Machine) firstPlayed(b *Business, ms *msgState, _ *model.Event) {
	b.Status[ms.cat][FunnelPlayed]++
}

func (m *Machine) firstFailed(b *Business, ms *msgState, ev *model.Event) {
	b.Failed[FailKey{Category: ms.cat, Code: m.errorLabel(ev)}]++
	// 131050: the user stopped marketing messages; Gupshup reports its own 1012. A
	// customer already opted out is not opted out again (a re-sent template).
	if ev.ErrorCode == 131050 || (ev.Provider == model.ProviderGupshup && ev.ErrorCode == 1012) {
		var c *custState
		if ms.cust != 0 {
			c = m.custs.get(ms.cust)
		}
		m.optOut(b, SourceDeliveryError, c)
		m.campOptOut(ms.cust, ev.Time)
	}
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
	ms, _ := m.message(bi, m.hashID(idMessage, ev.MessageID), ev)
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
			before := c.gauges()
			m.businessInitiatedDelivery(c, ms.cust, ms.delivT)
			m.regauge(c, before)
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
	ck := m.hash1(ev.ConversationID) // needed once per message: never hashed ahead (Hasher.Keys)
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
			before := c.gauges()
			c.conv[i] = cs.expiry
			m.regauge(c, before)
		}
	}
}
