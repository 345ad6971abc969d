package window

import (
	"sort"

	"github.com/waba-exporter/waba_exporter/campaign"
	"github.com/waba-exporter/waba_exporter/model"
)

// Campaigns and A/B tests (issue 16, docs/metrics.md section 14).
//
// Invariants:
//   - A message's campaign tag is the first tag any of its statuses carries (later
//     statuses inherit it); it is kept as a campaign.Ref in msgState.camp (8 bytes). Bits
//     24-31 of a Ref are always zero, so the same word holds the funnel steps already
//     credited and the credits waiting for the tag (cf* below).
//   - The funnel counts each step once per message, whatever the order: a tag learned
//     after some statuses credits the steps already seen then (read implies delivered).
//   - A customer (business, identity: the window's customer key) who was delivered a
//     tagged message has a bounded list of recent tagged deliveries (recorded as lines
//     come, so ties of one second go to the one learned last), used for opt-outs and
//     conversions; and, for replies, the latest delivery of any message processed in
//     event-time order from then on.
//   - Conversions are never deduplicated and create no message, customer or business
//     state; unattributed ones count under the zero Ref (campaign and variant none).
//   - A campaign without an event for expire_after (event time) leaves the table; its
//     counters are deleted with it.

const (
	cfSent         uint64 = 1 << (24 + iota) // funnel step credited
	cfDelivered                              // delivered or read credited
	cfRead                                   //
	cfFailed                                 //
	cfReplyPending                           // a reply came before the tag
	cfClickPending                           // a button click came before the tag
	cfRefused                                // its first tag was refused: it stays untagged (counted once)
	cfMask         uint64 = 0xff << 24
)

// maxPendingClicks bounds the clicks kept for messages not seen yet.
const maxPendingClicks = 100_000

// campaignDeliveredToReadBuckets are the coarse buckets (seconds) of the campaign
// delivered -> read histograms (never modified: histograms share them).
var campaignDeliveredToReadBuckets = []float64{60, 300, 1800, 3600, 21600, 86400, 604800}

// CampaignStatus is a step of the campaign funnel (the `status` label of
// waba_campaign_messages_total); CampaignCounters.Status is indexed by it.
type CampaignStatus uint8

// Campaign funnel steps. A message counts once per step; read implies delivered.
const (
	CampaignSent CampaignStatus = iota
	CampaignDelivered
	CampaignRead
	CampaignFailed
	NumCampaignStatus
)

func (ms *msgState) ref() campaign.Ref { return campaign.Ref(ms.camp &^ cfMask) }

// campCust is what the machine keeps of a customer that was delivered a tagged message.
type campCust struct {
	touches []campaign.Touch
	lastD   uint32 // latest delivery (any message) processed in event-time order
	lastKey uint64 // its message key
	biz     uint16
}

// CampaignCounters are the per (business, campaign, variant) counters.
type CampaignCounters struct {
	Status                   [NumCampaignStatus]uint64
	Replies, Clicks, OptOuts uint64
}

type campKey struct {
	biz uint16
	ref campaign.Ref
}

type convKey struct {
	ref  campaign.Ref
	name string // conversion name, or currency
}

type campaigns struct {
	cfg        campaign.Config
	tbl        *campaign.Table
	names      *campaign.Names
	mode       campaign.Mode
	window     int64
	maxTouches int
	custs      genMap[campCust]
	pend       genMap[uint32] // clicks on messages not seen yet, by message key
	evict      [2]uint64
	funnel     map[campKey]*CampaignCounters
	latency    map[campaign.Ref]*Histogram
	conv       map[convKey]uint64
	value      map[convKey]float64
	nextExpire int64
	left       []string
	convq      map[uint64]pendConv // conversions in the reorder buffer, by item.msg
	convSeq    uint64
}

func newCampaigns(c campaign.Config, sec eventSeconds, maxCustomers int) *campaigns {
	c = c.WithDefaults()
	tbl, err := campaign.NewTable(c)
	if err != nil {
		// The config package validates the section; an invalid one here falls back to
		// the defaults rather than stop the machine.
		c = campaign.Config{}.WithDefaults()
		tbl, _ = campaign.NewTable(c)
	}
	win := int64(c.AttributionWindow.Seconds())
	ttl := max(win, sec.replyWindow) + sec.lateness
	return &campaigns{
		cfg: c, tbl: tbl, names: campaign.NewNames(c.MaxConversionNames), mode: campaign.ModeOf(c),
		window: win, maxTouches: c.MaxTouches,
		custs:  newGenMap[campCust](ttl, maxCustomers),
		pend:   newGenMap[uint32](sec.messageTTL, maxPendingClicks),
		funnel: map[campKey]*CampaignCounters{}, latency: map[campaign.Ref]*Histogram{},
		conv: map[convKey]uint64{}, value: map[convKey]float64{}, convq: map[uint64]pendConv{},
	}
}

// reconfigure applies a new campaigns section, keeping every interned campaign (its
// Refs stay valid) and the counters; the parser, caps, window and mode are the new ones.
func (cs *campaigns) reconfigure(c campaign.Config) {
	c = c.WithDefaults()
	tbl, err := campaign.NewTable(c)
	if err != nil {
		return
	}
	tbl.SetState(cs.tbl.State())
	names := campaign.NewNames(c.MaxConversionNames)
	names.SetNamesState(cs.names.NamesState())
	cs.cfg, cs.tbl, cs.names, cs.mode = c, tbl, names, campaign.ModeOf(c)
	cs.window, cs.maxTouches = int64(c.AttributionWindow.Seconds()), c.MaxTouches
}

func (cs *campaigns) counters(biz uint16, r campaign.Ref) *CampaignCounters {
	k := campKey{biz, r}
	fc := cs.funnel[k]
	if fc == nil {
		fc = &CampaignCounters{}
		cs.funnel[k] = fc
	}
	return fc
}

// campStatus is called for every status of an outbound message (new indicates a status
// not seen before for it): it tags the message from the first status carrying a tag,
// credits the funnel, the delivered -> read latency, and records the delivery.
func (m *Machine) campStatus(ms *msgState, mk uint64, sb uint8, newStatus bool, ev *model.Event) {
	cs := m.camp
	tagged := false
	if ms.ref() == 0 {
		if len(ev.CampaignTag) == 0 || ms.camp&cfRefused != 0 {
			return
		}
		r, o := cs.tbl.Tag(ev.CampaignTag, ev.Time)
		if o == campaign.Refused {
			ms.camp |= cfRefused
		}
		if r == 0 {
			return
		}
		ms.camp = ms.camp&cfMask | uint64(r)
		tagged = true
	}
	r := ms.ref()
	if !cs.tbl.Touch(r, ev.Time) {
		return // its campaign expired: the message stays out of the funnel
	}
	m.campCredit(ms)
	if tagged && cs.pend.Len() > 0 {
		if n := cs.pend.peek(mk); n != nil && *n > 0 {
			cs.counters(ms.biz, r).Clicks += uint64(*n)
			*n = 0
		}
	}
	if newStatus && sb == sbRead {
		if _, _, ok := cs.tbl.Resolve(r); ok {
			h := cs.latency[r]
			if h == nil {
				nh := newHistogram(campaignDeliveredToReadBuckets)
				h = &nh
				cs.latency[r] = h
			}
			if ms.seen&sbDelivered != 0 {
				if d := ev.Time - int64(ms.delivT); d >= 0 {
					h.Observe(float64(d))
				}
			} else {
				h.Observe(0)
			}
		}
	}
	if ms.delivT != 0 && ms.seen&(sbDelivered|sbRead|sbImpliedDelivered) != 0 && ms.cust != 0 &&
		(tagged || sb == sbDelivered || sb == sbRead) {
		m.campRecord(ms, mk)
	}
}

// campCredit credits the funnel steps a tagged message has seen and not yet credited,
// and the reply and click that waited for its tag.
func (m *Machine) campCredit(ms *msgState) {
	r := ms.ref()
	fc := m.camp.counters(ms.biz, r)
	step := func(have bool, bit uint64, i CampaignStatus) {
		if have && ms.camp&bit == 0 {
			ms.camp |= bit
			fc.Status[i]++
		}
	}
	step(ms.seen&sbSent != 0, cfSent, CampaignSent)
	step(ms.seen&(sbDelivered|sbRead|sbImpliedDelivered) != 0, cfDelivered, CampaignDelivered)
	step(ms.seen&sbRead != 0, cfRead, CampaignRead)
	step(ms.seen&sbFailed != 0, cfFailed, CampaignFailed)
	if ms.camp&cfReplyPending != 0 {
		ms.camp &^= cfReplyPending
		fc.Replies++
	}
	if ms.camp&cfClickPending != 0 {
		ms.camp &^= cfClickPending
		fc.Clicks++
	}
}

// campRecord adds a tagged message's delivery to its customer's recent deliveries.
func (m *Machine) campRecord(ms *msgState, mk uint64) {
	cs := m.camp
	cc, _ := cs.custs.getOrCreate(ms.cust, int64(ms.delivT), &cs.evict)
	cc.biz = ms.biz
	cc.touches = campaign.Prune(cc.touches, m.watermark-m.sec.lateness-cs.window, cs.window)
	cc.touches = campaign.Record(cc.touches, campaign.Touch{Time: int64(ms.delivT), Key: mk, Ref: ms.ref()}, cs.maxTouches)
	if ms.flags&mfDelivProc != 0 && ms.delivT >= cc.lastD {
		// Its delivery item was processed before the customer was tracked.
		cc.lastD, cc.lastKey = ms.delivT, mk
	}
}

// campDelivered follows, in event-time order, the latest delivery to a tracked customer
// (reply attribution by time, docs/spec.md 4.6).
func (m *Machine) campDelivered(cust, mk uint64, d int64) {
	if cc := m.camp.custs.peek(cust); cc != nil && uint32(d) >= cc.lastD {
		cc.lastD, cc.lastKey = uint32(d), mk
	}
}

// campReply attributes an inbound message (taken in event-time order; prev is the
// customer's previous inbound second) as docs/spec.md 4.6 does: to its context message when that
// was delivered to the customer at or before it, else to the latest delivery; it is a
// reply when it is the first inbound after that delivery and within the reply window.
func (m *Machine) campReply(it item, prev uint32) {
	cc := m.camp.custs.peek(it.cust)
	if cc == nil {
		return
	}
	t := it.t
	var x uint64
	var d int64
	if it.hasCtx {
		if ms := m.msgs.peek(it.msg); ms != nil && ms.flags&mfInbound == 0 && ms.cust == it.cust &&
			ms.seen&(sbDelivered|sbRead|sbImpliedDelivered) != 0 && int64(ms.delivT) <= t {
			x, d = it.msg, int64(ms.delivT)
		}
	}
	if x == 0 && cc.lastKey != 0 && int64(cc.lastD) <= t {
		x, d = cc.lastKey, int64(cc.lastD)
	}
	if x == 0 || int64(prev) >= d || t >= d+m.sec.replyWindow {
		return
	}
	ms := m.msgs.peek(x)
	if ms == nil {
		return
	}
	if r := ms.ref(); r != 0 {
		if m.camp.tbl.Touch(r, t) {
			m.camp.counters(ms.biz, r).Replies++
		}
	} else {
		ms.camp |= cfReplyPending
	}
}

// campClick counts a button or interactive reply whose context is a tagged message
// (arrival order; a click before the tag is credited when the tag comes).
func (m *Machine) campClick(ev *model.Event) {
	if len(ev.ContextID) == 0 || (ev.MessageType != model.MessageTypeButton && ev.MessageType != model.MessageTypeInteractive) {
		return
	}
	mk := m.hashID(idContext, ev.ContextID)
	ms := m.msgs.peek(mk)
	if ms == nil {
		// The click came before any status of its message (delayed webhooks): kept
		// until the message is tagged (bounded, forgotten with the messages' TTL).
		n, _ := m.camp.pend.getOrCreate(mk, ev.Time, &m.camp.evict)
		*n++
		return
	}
	if ms.flags&mfInbound != 0 {
		return
	}
	if r := ms.ref(); r != 0 {
		if m.camp.tbl.Touch(r, ev.Time) {
			m.camp.counters(ms.biz, r).Clicks++
		}
	} else {
		ms.camp |= cfClickPending
	}
}

// campOptOut queues an opt-out signal of customer cust at t: it is credited in
// event-time order (after the reorder window), so that a tagged delivery whose webhook
// comes after the signal's, with an earlier or equal second, is taken into account.
func (m *Machine) campOptOut(cust uint64, t int64) {
	if cust == 0 || t <= 0 {
		return
	}
	m.enqueue(item{t: t, cls: clsOptOut, cust: cust})
}

// campOptOutNow credits an opt-out signal of customer cust at t to the latest tagged
// delivery within the attribution window (always last touch).
func (m *Machine) campOptOutNow(cust uint64, t int64) {
	cc := m.camp.custs.peek(cust)
	if cc == nil {
		return
	}
	tc, ok := campaign.Attribute(cc.touches, t, m.camp.window, campaign.LastTouch)
	if !ok || !m.camp.tbl.Touch(tc.Ref, t) {
		return
	}
	m.camp.counters(cc.biz, tc.Ref).OptOuts++
}

// pendConv is a conversion waiting in the reorder buffer for its attribution.
type pendConv struct {
	cust     uint64 // customer key; 0 when the business or customer is unknown
	name     string // the name label
	currency string
	value    float64
}

// applyConversion takes a conversion line (KindConversion): never deduplicated, creating
// no business, customer or message state. It is attributed in event-time order (through
// the reorder buffer, as opt-outs are), so that a tagged delivery at or before its
// second whose webhook comes after the line still counts.
func (m *Machine) applyConversion(ev *model.Event) {
	cs := m.camp
	var ck uint64
	if bi, ok := m.bizIndex[string(ev.Business)]; ok {
		var id uint64
		switch {
		case len(ev.Customer) > 0:
			id = m.hashID(idCustomer, ev.Customer)
		case len(ev.CustomerUserID) > 0:
			id = m.hashID(idUser, ev.CustomerUserID)
			if l := m.links.peek(id); l != nil {
				id = *l
			}
		}
		if id != 0 {
			ck = custKey(bi, id)
		}
	}
	cs.convSeq++
	cs.convq[cs.convSeq] = pendConv{cust: ck, name: cs.names.Label(ev.ConversionName), currency: string(ev.ConversionCurrency), value: ev.ConversionValue}
	m.enqueue(item{t: ev.Time, cls: clsConversion, msg: cs.convSeq})
}

// campConversion attributes a conversion released from the reorder buffer.
func (m *Machine) campConversion(it item) {
	cs := m.camp
	pc, ok := cs.convq[it.msg]
	if !ok {
		return
	}
	delete(cs.convq, it.msg)
	var r campaign.Ref
	if pc.cust != 0 {
		if cc := cs.custs.peek(pc.cust); cc != nil {
			if tc, ok := campaign.Attribute(cc.touches, it.t, cs.window, cs.mode); ok && cs.tbl.Touch(tc.Ref, it.t) {
				r = tc.Ref
			}
		}
	}
	cs.conv[convKey{r, pc.name}]++
	if pc.currency != "" {
		cs.value[convKey{r, pc.currency}] += pc.value
	}
}

// campExpire drops the campaigns without an event for expire_after before t, with their
// counters (checked at most once a minute of event time).
func (m *Machine) campExpire(t int64) {
	cs := m.camp
	if t < cs.nextExpire {
		return
	}
	cs.nextExpire = t + 60
	cs.left = cs.tbl.Expire(t, cs.left[:0])
	if len(cs.left) == 0 {
		return
	}
	live := func(r campaign.Ref) bool {
		_, _, ok := cs.tbl.Resolve(r)
		return ok
	}
	for k := range cs.funnel {
		if !live(k.ref) {
			delete(cs.funnel, k)
		}
	}
	for r := range cs.latency {
		if !live(r) {
			delete(cs.latency, r)
		}
	}
	for k := range cs.conv {
		if k.ref != 0 && !live(k.ref) {
			delete(cs.conv, k)
		}
	}
	for k := range cs.value {
		if k.ref != 0 && !live(k.ref) {
			delete(cs.value, k)
		}
	}
}

// CampaignFunnel is one (business, campaign, variant) row of the campaign counters.
type CampaignFunnel struct {
	Business, Campaign, Variant string
	CampaignCounters
}

// CampaignLatency is the delivered -> read histogram of one (campaign, variant).
type CampaignLatency struct {
	Campaign, Variant string
	Hist              *Histogram
}

// CampaignConversion is one (campaign, variant, name or currency) conversion row.
type CampaignConversion struct {
	Campaign, Variant, Key string
	Count                  uint64
	Value                  float64
}

// CampaignStats are the label and tag counts of the campaign table.
type CampaignStats struct {
	CampaignOverflow, VariantOverflow, NameOverflow uint64
	Refused                                         [campaign.NumRefuseReasons]uint64
	Campaigns                                       int
}

// CampaignView is the exposition of the campaign counters: only live campaigns, sorted.
type CampaignView struct {
	Funnel      []CampaignFunnel
	Latency     []CampaignLatency
	Conversions []CampaignConversion // Key: name
	Values      []CampaignConversion // Key: currency
	Stats       CampaignStats
}

// Campaigns returns the campaign counters. Read-only: callers hold a read lock. The
// histograms are shared with the machine (read them under the same lock).
func (m *Machine) Campaigns() CampaignView {
	cs := m.camp
	var v CampaignView
	resolve := func(r campaign.Ref) (string, string, bool) {
		if r == 0 {
			return campaign.LabelNone, campaign.LabelNone, true
		}
		return cs.tbl.Resolve(r)
	}
	for k, fc := range cs.funnel {
		c, vr, ok := cs.tbl.Resolve(k.ref)
		if !ok || int(k.biz) >= len(m.biz) {
			continue
		}
		v.Funnel = append(v.Funnel, CampaignFunnel{Business: m.biz[k.biz].ID, Campaign: c, Variant: vr, CampaignCounters: *fc})
	}
	sort.Slice(v.Funnel, func(i, j int) bool {
		a, b := &v.Funnel[i], &v.Funnel[j]
		if a.Business != b.Business {
			return a.Business < b.Business
		}
		if a.Campaign != b.Campaign {
			return a.Campaign < b.Campaign
		}
		return a.Variant < b.Variant
	})
	for r, h := range cs.latency {
		if c, vr, ok := cs.tbl.Resolve(r); ok {
			v.Latency = append(v.Latency, CampaignLatency{Campaign: c, Variant: vr, Hist: h})
		}
	}
	sort.Slice(v.Latency, func(i, j int) bool {
		a, b := &v.Latency[i], &v.Latency[j]
		return a.Campaign < b.Campaign || a.Campaign == b.Campaign && a.Variant < b.Variant
	})
	for k, n := range cs.conv {
		if c, vr, ok := resolve(k.ref); ok {
			v.Conversions = append(v.Conversions, CampaignConversion{Campaign: c, Variant: vr, Key: k.name, Count: n})
		}
	}
	for k, x := range cs.value {
		if c, vr, ok := resolve(k.ref); ok {
			v.Values = append(v.Values, CampaignConversion{Campaign: c, Variant: vr, Key: k.name, Value: x})
		}
	}
	sortConv(v.Conversions)
	sortConv(v.Values)
	st := cs.tbl.Stats()
	v.Stats = CampaignStats{CampaignOverflow: st.CampaignOverflow, VariantOverflow: st.VariantOverflow,
		NameOverflow: cs.names.Overflow + cs.names.Refused, Refused: st.RefusedBy, Campaigns: cs.tbl.Len()}
	return v
}

func sortConv(s []CampaignConversion) {
	sort.Slice(s, func(i, j int) bool {
		a, b := &s[i], &s[j]
		if a.Campaign != b.Campaign {
			return a.Campaign < b.Campaign
		}
		if a.Variant != b.Variant {
			return a.Variant < b.Variant
		}
		return a.Key < b.Key
	})
}
