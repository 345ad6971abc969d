package window

import (
	"github.com/waba-exporter/waba_exporter/internal/heap"
	"github.com/waba-exporter/waba_exporter/model"
)

// Item classes, in the order events of the same second are taken (docs/spec.md 4.3).
const (
	clsInbound uint8 = iota
	clsSend
	clsDelivery
	clsOptOut     // an opt-out signal, credited to a campaign in event-time order (campaign.go)
	clsConversion // a conversion line, attributed in event-time order (campaign.go)
)

// item is one event waiting in the reorder buffer.
type item struct {
	t        int64
	seq      uint64
	cust     uint64
	msg      uint64 // message key (send, delivery) or replied-to message key (inbound)
	aux      uint32 // delivery: the `read` time when `read` came first (latencies wait for it)
	cls      uint8
	referral bool
	hasCtx   bool
}

// reorder is the reorder buffer: a min-heap of items by (t, cls, seq); seq numbers the
// items pushed, so that items of one second and class come out in arrival order.
type reorder struct {
	h   heap.Heap[item]
	seq uint64
}

func newReorder(items []item, seq uint64) reorder {
	return reorder{h: heap.From(itemLess, items), seq: seq}
}

func itemLess(a, b *item) bool {
	if a.t != b.t {
		return a.t < b.t
	}
	if a.cls != b.cls {
		return a.cls < b.cls
	}
	return a.seq < b.seq
}

// expiry is a service window that may close at t (lazy: re-checked when popped): 12
// bytes, one per open window (the customer key in two halves keeps it 4-byte aligned).
type expiry struct {
	t              uint32 // window end, event time
	custLo, custHi uint32
}

func newExpiry(t int64, cust uint64) expiry {
	return expiry{t: uint32(t), custLo: uint32(cust), custHi: uint32(cust >> 32)}
}

// cust is the customer key.
func (e *expiry) cust() uint64 { return uint64(e.custLo) | uint64(e.custHi)<<32 }

// expiries is a min-heap of expiries by t.
type expiries = heap.Heap[expiry]

func newExpiries(items []expiry) expiries {
	return heap.From(func(a, b *expiry) bool { return a.t < b.t }, items)
}

// Buffered is the number of items waiting in the reorder buffer.
func (m *Machine) Buffered() int { return m.buf.h.Len() }

func (m *Machine) enqueue(it item) {
	if it.t <= m.frontier {
		// Behind the reorder window: applied as well as it can be, and counted.
		m.self.OutOfOrderLate++
		m.process(it)
		return
	}
	m.buf.seq++
	it.seq = m.buf.seq
	m.buf.h.Push(it)
	for m.buf.h.Len() > m.cfg.MaxBuffered {
		// Bounded memory under a flood: the oldest item goes before its time.
		m.self.EarlyReleased++
		old := m.buf.h.Pop()
		m.expire(old.t)
		if old.t > m.frontier {
			m.frontier = old.t
		}
		m.process(old)
	}
}

func (m *Machine) enqueueStatus(ms *msgState, mk uint64, sb uint8, t int64, tt uint32) {
	if ms.cust == 0 {
		return
	}
	switch sb {
	case sbSent:
		ms.flags |= mfSendQueued
		m.enqueue(item{t: t, cls: clsSend, cust: ms.cust, msg: mk})
	case sbDelivered, sbRead, sbPlayed:
		if ms.flags&mfSendQueued == 0 {
			// No `sent` yet: classify at the earliest status; a later, earlier `sent`
			// still wins if it comes within the reorder window.
			ms.flags |= mfSendQueued
			m.enqueue(item{t: t, cls: clsSend, cust: ms.cust, msg: mk})
		}
		if ms.flags&mfDelivQueued == 0 && sb != sbPlayed {
			ms.flags |= mfDelivQueued
			m.enqueue(item{t: t, cls: clsDelivery, cust: ms.cust, msg: mk, aux: tt})
		}
	}
}

// release processes buffered items up to event time upTo, in event-time order.
func (m *Machine) release(upTo int64) {
	for m.buf.h.Len() > 0 && m.buf.h.Peek().t <= upTo {
		it := m.buf.h.Pop()
		m.expire(it.t)
		if it.t > m.frontier {
			m.frontier = it.t
		}
		m.process(it)
	}
	if f := min(upTo, m.watermark); f > m.frontier {
		m.frontier = f
	}
	m.expire(m.frontier)
}

// expire closes the service windows that ended at or before t.
func (m *Machine) expire(t int64) {
	for m.expiry.Len() > 0 && int64(m.expiry.Peek().t) <= t {
		e := m.expiry.Pop()
		c := m.custs.peek(e.cust())
		if c == nil {
			continue
		}
		if c.cswUntil > e.t {
			m.expiry.Push(newExpiry(int64(c.cswUntil), e.cust()))
			continue
		}
		if c.cswUntil != e.t {
			continue
		}
		b := m.biz[c.biz]
		b.ServiceWindowsClosed++
		if c.unansweredSince != 0 {
			b.ServiceWindowsClosedUnanswered++
		}
		before := c.gauges()
		c.unansweredSince = 0
		m.regauge(c, before)
		c.firstRespFrom = 0
	}
}

func (m *Machine) process(it item) {
	switch it.cls {
	case clsInbound:
		m.processInbound(it)
	case clsSend:
		ms := m.msgs.get(it.msg)
		if ms == nil || ms.flags&mfClassified != 0 {
			return
		}
		c := m.custs.get(it.cust)
		if c == nil {
			return
		}
		m.processSend(ms, c, it.t)
	case clsOptOut:
		m.campOptOutNow(it.cust, it.t)
	case clsConversion:
		m.campConversion(it)
	case clsDelivery:
		ms := m.msgs.get(it.msg)
		if ms == nil || ms.flags&mfDelivProc != 0 {
			return
		}
		c := m.custs.get(it.cust)
		if c == nil {
			return
		}
		m.processDelivery(ms, c, it)
	}
}

func (m *Machine) processInbound(it item) {
	c := m.custs.get(it.cust)
	if c == nil {
		return
	}
	m.campReply(it, c.lastInbound)
	before := c.gauges()
	defer m.regauge(c, before)
	b := m.biz[c.biz]
	t := it.t
	tt := uint32(t)
	if int64(c.cswUntil) <= t {
		b.ServiceWindowsOpened++
		c.firstRespFrom = tt
		m.expiry.Push(newExpiry(t+day, it.cust))
	}
	if until := uint32(t + day); until > c.cswUntil {
		c.cswUntil = until
	}
	if c.unansweredSince == 0 {
		c.unansweredSince = tt
	}
	if tt > c.lastInbound {
		c.lastInbound = tt
	}
	if it.referral {
		if until := uint32(t + day); until > c.referralUntil {
			c.referralUntil = until
		}
	}
	if c.tmplDeliv != 0 && !c.replied() && tt >= c.tmplDeliv && t-int64(c.tmplDeliv) < m.sec.replyWindow {
		attr := AttributionWindow
		if it.hasCtx && uint32(it.msg) == c.tmplMsg {
			attr = AttributionContext
		}
		b.Replies[c.tmplCat()][attr]++
		c.setReplied()
	}
}

func (m *Machine) processSend(ms *msgState, c *custState, t int64) {
	b := m.biz[c.biz]
	m.classify(ms, c, t)
	tt := uint32(t)
	before := c.gauges()
	defer m.regauge(c, before)
	if c.unansweredSince != 0 && tt >= c.unansweredSince {
		b.Response.Observe(float64(tt - c.unansweredSince))
		c.unansweredSince = 0
	}
	if c.firstRespFrom != 0 && tt >= c.firstRespFrom {
		b.FirstResponse.Observe(float64(tt - c.firstRespFrom))
		c.firstRespFrom = 0
	}
	m.compare(ms, b)
}

func (m *Machine) processDelivery(ms *msgState, c *custState, it item) {
	ms.flags |= mfDelivProc
	before := c.gauges()
	defer m.regauge(c, before)
	b := m.biz[c.biz]
	d := it.t
	if ms.flags&mfLatPending != 0 {
		// `read` came first; the delivery time is now final (the `read` time, or that of a
		// `delivered` that came within the reorder window).
		ms.flags &^= mfLatPending
		if ms.sentT != 0 {
			m.observeLatency(&b.SentToDelivered[ms.cat], int64(ms.delivT)-int64(ms.sentT))
		}
		m.observeLatency(&b.DeliveredToRead[ms.cat], int64(it.aux)-int64(ms.delivT))
	}
	if ms.flags&mfClassified == 0 {
		m.classify(ms, c, d)
		m.compare(ms, b)
	}
	// What the message opens is counted from the inference only when no report says it
	// (the reported conversation is the truth, docs/spec.md 4.3).
	countConv := ms.flags&(mfReportedConv|mfReportedPricing) == 0 && ms.seen&sbSent != 0
	switch {
	case ms.flags&mfOpensFEP != 0:
		until := uint32(d + 3*day)
		if until > c.fepUntil {
			c.fepUntil = until
		}
		for i := range c.conv {
			if i != ccReferral && int64(c.conv[i]) > d {
				c.conv[i] = uint32(d)
			}
		}
		c.referralUntil = 0
		if countConv {
			b.FEPWindowsOpened++
			if m.msgEra(ms) == model.PricingModelCBP {
				m.conversationOpened(b, c, model.CategoryReferralConversion, false, d)
			}
		}
	case ms.flags&mfOpensConv != 0:
		i := convIndex(ms.infConv())
		if until := uint32(d + day); until > c.conv[i] {
			c.conv[i] = until
		}
		if countConv {
			m.conversationOpened(b, c, ms.infConv(), isTemplate(ms.infConv()), d)
		}
	}
	switch {
	case ms.flags&mfPriced != 0:
	case ms.flags&mfReportedPricing != 0:
		m.countPriced(ms, b, ms.cat, ms.repType())
	case ms.seen&sbSent == 0:
		// The `sent` webhook (which carries Meta's pricing) is still on its way: price
		// the message when it or any pricing arrives, rather than guess now.
		ms.flags |= mfPricePending
	default:
		m.countPriced(ms, b, ms.cat, ms.infType())
	}
	if ms.flags&mfBI != 0 {
		m.businessInitiatedDelivery(c, ms.cust, uint32(d))
	}
	m.campDelivered(it.cust, it.msg, d)
	if isTemplate(ms.cat) {
		b.ReplyEligible[ms.cat]++
		c.tmplDeliv = uint32(d)
		c.tmplMsg = uint32(it.msg)
		c.setTmpl(ms.cat)
	}
}

// conversationOpened counts a CBP conversation of category cat opened at t (reported or
// inferred): the counter, the conversations quota, and, when it is billable, the
// billable quota and its cost by the customer's country (docs/spec.md 4.3: CBP is charged per
// conversation, not per message). c may be nil (customer forgotten).
func (m *Machine) conversationOpened(b *Business, c *custState, cat model.Category, billable bool, t int64) {
	b.ConversationsOpened[cat]++
	m.consume(UnitConversations, b.ID, cat, t)
	if !billable {
		return
	}
	m.consume(UnitBillable, b.ID, cat, t)
	country := m.countries.index("unknown")
	if c != nil {
		country = c.country
	}
	m.addCost(b, country, cat)
}

// addCost adds the rate card's price of category cat in a country to the cost.
func (m *Machine) addCost(b *Business, country uint8, cat model.Category) {
	rc := m.cfg.RateCard
	if rc == nil {
		return
	}
	price, ok := rc.Countries[m.CountryName(country)][cat]
	if !ok {
		price, ok = rc.Default[cat]
	}
	if ok {
		b.Cost[cat] += price
	}
}

// businessInitiated reports whether a message counts against the messaging limit when
// sent outside a CSW: a template, or a category outside the known set that its report
// prices `regular` (docs/spec.md 4.4).
func businessInitiated(ms *msgState) bool {
	return isTemplate(ms.cat) || ms.cat == model.CategoryOther && ms.flags&mfReportedPricing != 0 && ms.repType() == model.PricingTypeRegular
}

// classify decides, at the message's send time t, its pricing class and the conversation
// it opens or joins (docs/spec.md 4.2-4.4), against what is open at t.
func (m *Machine) classify(ms *msgState, c *custState, t int64) {
	ms.flags |= mfClassified
	if ms.cat == model.CategoryUnknown && ms.flags&mfReportedPricing == 0 {
		ms.flags |= mfBlind
	}
	ms.flags &^= mfBI
	if businessInitiated(ms) && int64(c.cswUntil) <= t {
		ms.flags |= mfBI
	}
	era := ms.pmodel()
	if era == model.PricingModelNone {
		era = model.PricingModelPMP
		if t < m.sec.pricingSwitch {
			era = model.PricingModelCBP
		}
	}
	cat := ms.cat
	switch {
	case openAt(c.fepUntil, 3*day, t):
		ms.setInfType(model.PricingTypeFreeEntryPoint)
		ms.setInfConv(model.CategoryReferralConversion)
		return
	case int64(c.referralUntil) > t:
		ms.setInfType(model.PricingTypeFreeEntryPoint)
		ms.setInfConv(model.CategoryReferralConversion)
		ms.flags |= mfOpensFEP
		return
	}
	if era == model.PricingModelCBP {
		if isTemplate(cat) {
			i := convIndex(cat)
			ms.setInfConv(convCats[i])
			if !openAt(c.conv[i], day, t) {
				ms.flags |= mfOpensConv
			}
		} else {
			best := -1
			if openAt(c.conv[ccService], day, t) {
				best = ccService
			} else {
				for _, i := range [...]int{ccMarketing, ccUtility, ccAuthentication, ccAuthIntl} {
					if openAt(c.conv[i], day, t) && (best < 0 || c.conv[i] > c.conv[best]) {
						best = i
					}
				}
			}
			if best < 0 {
				best = ccService
				ms.flags |= mfOpensConv
			}
			ms.setInfConv(convCats[best])
		}
		ms.setInfType(cbpPricingType(ms.infConv(), model.CategoryNone, 0))
		return
	}
	switch {
	case !isTemplate(cat):
		ms.setInfType(model.PricingTypeFreeCustomerService)
	case cat == model.CategoryUtility && int64(c.cswUntil) > t:
		ms.setInfType(model.PricingTypeFreeCustomerService)
	default:
		ms.setInfType(model.PricingTypeRegular)
	}
}

// openAt reports whether a window that ends at until and lasted dur (conversations run
// 24h, free entry points 72h from their opener's delivery) was open at a send at t. The
// lower bound matters for late events, classified after later deliveries were applied.
func openAt(until uint32, dur, t int64) bool {
	return int64(until) > t && int64(until)-dur < t
}

// compare counts disagreements between the reported pricing and the inference, once per
// message, when both are known.
func (m *Machine) compare(ms *msgState, b *Business) {
	if ms.flags&(mfClassified|mfReportedPricing|mfCompared|mfBlind) != mfClassified|mfReportedPricing {
		return // not both known yet, done, or an inference made without the category
	}
	if ms.cat == model.CategoryOther {
		return // a category outside the known set: its report is the only truth (docs/spec.md 4.4)
	}
	ms.flags |= mfCompared
	if ms.repType() != ms.infType() {
		b.Mismatches[MismatchPricingType]++
	}
	if ms.repConv() != model.CategoryNone && ms.infConv() != model.CategoryNone && convIndex(ms.repConv()) != convIndex(ms.infConv()) {
		b.Mismatches[MismatchConversation]++
	}
}

// Tick tells the machine that wall-clock time now has come (live mode): the reorder
// buffer is released, and service windows expire, up to now minus the allowed lateness,
// even when no event has arrived for a while. An event older than that is late.
func (m *Machine) Tick(now int64) {
	upTo := now - m.sec.lateness
	m.release(upTo)
	if upTo > m.frontier {
		m.frontier = upTo
		m.expire(upTo)
	}
}
