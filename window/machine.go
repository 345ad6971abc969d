// The machine core: the Machine and its health counters, New, the dispatch of Apply,
// business lookup, dedupe of id-less events, and the advance of event time.

package window

import (
	"math"

	"github.com/waba-exporter/waba_exporter/model"
)

// Machine is the state machine. Create it with New.
type Machine struct {
	cfg Config
	sec eventSeconds // cfg's durations in seconds, set with cfg

	bizIndex  map[string]uint16
	biz       []*Business
	displayTo map[string]uint16    // display phone number -> business
	pending   map[string]*Business // quality updates of display numbers not mapped yet
	allow     map[string]bool

	keys  *Keys // the id hashes of the event being applied (ApplyKeys), or nil
	msgs  genMap[msgState]
	custs genMap[custState]
	convs genMap[convState]
	links genMap[uint64] // BSUID hash -> phone number hash (docs/spec.md 4.9)

	ports     []*portfolio   // configured portfolios (same index as cfg.Portfolios), then one per WABA
	accounts  []*Account     // WABAs by first sight (account health, docs/spec.md 4.8)
	accountIx map[string]int // WABA id -> index in accounts

	buf       reorder
	expiry    expiries
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

	// gauges counts the customers of each business by what View reports of them, kept
	// at apply and eviction time (gauges.go); oddUnanswered is set once a customer breaks
	// cswUntil >= unansweredSince + day, and makes View check the oldest unanswered.
	gauges        []bizGauges
	oddUnanswered bool
	prunedAt      int64 // page (event time >> tcPageShift) of the last pruneGauges

	self SelfStats // read through Stats
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
		buf:       newReorder(nil, 0),
		expiry:    newExpiries(nil),
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
	m.setGaugeHooks()
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
		if t>>tcPageShift != m.prunedAt {
			m.pruneGauges(t)
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
		m.learnDisplay(bi, ev.DisplayNumber)
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
		m.applyPreference(bi, ev)
	case model.KindWebhookError:
		b := m.biz[bi]
		b.WebhookErrors[m.errorLabel(ev)]++
	}
	m.release(m.watermark - m.sec.lateness)
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

// Flush releases every buffered item (end of input in replay mode) and frees the
// buffer's storage, sized by the busiest reorder window seen (about 1.5 MB at 1M
// customers in BenchmarkMemoryPerCustomer): a flushed machine holds only its state.
func (m *Machine) Flush() {
	m.release(math.MaxInt64)
	m.buf = newReorder(nil, m.buf.seq) // empty after release(math.MaxInt64)
}
