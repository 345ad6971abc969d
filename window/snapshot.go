package window

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/waba-exporter/waba_exporter/model"
)

// snapshotVersion is bumped whenever the encoding below changes; Restore reads only this
// version. Version 7 stores ids as SipHash-2-4 values under a key kept outside the
// snapshot (only a check of it is stored) and adds campaign state (each message's tag
// word; the campaign table, customers and counters at the end, encCampaigns). Earlier
// snapshots, whose ids were hashed otherwise, cannot be matched to new events and are
// refused (their checkpoint container is set aside as well).
const snapshotVersion = 7

// Snapshot encodes the whole state (counters, histograms, windows, conversations, message
// and customer maps, the reorder buffer, quota usage) so that Restore rebuilds a Machine
// that continues exactly where this one stands. The configuration is not part of it:
// Restore takes the current one (quotas and portfolios are matched by name).
func (m *Machine) Snapshot() []byte {
	e := &enc{b: make([]byte, 0, 1<<16)}
	m.encode(e)
	return e.b
}

// SnapshotTo writes what Snapshot returns to w, through a bounded buffer (spillBytes):
// the state is never built in memory, so a checkpoint of any size costs a fixed amount
// of memory. It returns the first write error.
func (m *Machine) SnapshotTo(w io.Writer) error {
	e := &enc{b: make([]byte, 0, spillBytes+4096), w: w}
	m.encode(e)
	e.flush()
	return e.err
}

// encode writes a snapshot: the version and key check, then the sections in the order
// of snapshotSections.
func (m *Machine) encode(e *enc) {
	e.u32(snapshotVersion)
	e.u64(m.cfg.keyCheck()) // never the key itself (siphash.go)
	for _, sec := range snapshotSections {
		sec.enc(m, e)
	}
}

// snapshotSections are the sections of a snapshot after its header, in order: encode
// and decode walk the same list, so that they cannot disagree on it. Changing the list
// or a section's encoding means bumping snapshotVersion.
var snapshotSections = []struct {
	enc func(*Machine, *enc)
	dec func(*Machine, *dec)
}{
	{(*Machine).encClock, (*Machine).decClock},
	{(*Machine).encBusinesses, (*Machine).decBusinesses},
	{(*Machine).encLabels, (*Machine).decLabels},
	{(*Machine).encMaps, (*Machine).decMaps},
	{(*Machine).encPortfolios, (*Machine).decPortfolios},
	{(*Machine).encAccounts, (*Machine).decAccounts},
	{(*Machine).encBuffers, (*Machine).decBuffers},
	{(*Machine).encQuotas, (*Machine).decQuotas},
	{func(m *Machine, e *enc) { encSelf(e, &m.self) }, func(m *Machine, d *dec) { decSelf(d, &m.self) }},
	{func(m *Machine, e *enc) { encCampaigns(e, m.camp) }, func(m *Machine, d *dec) { decCampaigns(d, m.camp) }},
}

// encClock writes the watermark and the released frontier.
func (m *Machine) encClock(e *enc) {
	e.i64(m.watermark)
	e.i64(m.frontier)
}

func (m *Machine) decClock(d *dec) {
	m.watermark = d.i64()
	m.frontier = d.i64()
}

// encLabels writes the interned label values (state holds their indexes).
func (m *Machine) encLabels(e *enc) {
	e.strs(m.errCodes.names)
	e.strs(m.countries.names)
}

func (m *Machine) decLabels(d *dec) {
	m.errCodes.restore(d.strs())
	m.countries.restore(d.strs())
}

// encBusinesses writes the tracked businesses, the display number map and the quality
// updates kept aside for unknown display numbers.
func (m *Machine) encBusinesses(e *enc) {
	e.u32(uint32(len(m.biz)))
	for _, b := range m.biz {
		encBusiness(e, b)
		e.spill()
	}
	e.u32(uint32(len(m.displayTo)))
	for k, v := range m.displayTo {
		e.str(k)
		e.u16(v)
	}
	e.u32(uint32(len(m.pending)))
	for _, b := range m.pending {
		encBusiness(e, b)
		e.spill()
	}
}

// encMaps writes the message, customer, conversation and identity maps.
func (m *Machine) encMaps(e *enc) {
	encGenMap(e, &m.msgs, func(e *enc, v *msgState) {
		e.u64(v.cust)
		e.u32(v.sentT)
		e.u32(v.delivT)
		e.u16(v.biz)
		e.u16(v.flags)
		e.u16(v.pk)
		e.b = append(e.b, v.seen, byte(v.cat))
		e.u64(v.camp)
	})
	encGenMap(e, &m.custs, func(e *enc, v *custState) {
		for _, x := range []uint32{v.cswUntil, v.lastInbound, v.unansweredSince, v.firstRespFrom, v.referralUntil, v.fepUntil, v.lastBI, v.tmplDeliv, v.tmplMsg} {
			e.u32(x)
		}
		for _, x := range v.conv {
			e.u32(x)
		}
		e.u16(v.biz)
		e.b = append(e.b, byte(v.tmplCat()), v.country, b2b(v.replied()), b2b(v.optedOut()))
	})
	encGenMap(e, &m.convs, func(e *enc, v *convState) {
		e.u32(v.expiry)
		e.b = append(e.b, byte(v.cat))
	})
	encGenMap(e, &m.links, func(e *enc, v *uint64) { e.u64(*v) })
}

func (m *Machine) encPortfolios(e *enc) {
	e.u32(uint32(len(m.ports)))
	for _, p := range m.ports {
		e.str(p.name)
		e.b = append(e.b, b2b(p.cfg >= 0), b2b(p.hookKnown))
		e.f64(p.hookLimit)
		e.i64(p.hookAt)
		encGenMap(e, &p.recips, func(e *enc, v *uint32) { e.u32(*v) })
	}
}

func (m *Machine) encAccounts(e *enc) {
	e.u32(uint32(len(m.accounts)))
	for _, a := range m.accounts {
		e.str(a.ID)
		e.strMap(a.Events)
		e.b = append(e.b, b2b(a.disabled))
		e.i64(a.restrictedUntil)
		e.i64(a.statusAt)
		e.u32(uint32(len(a.Tiers)))
		for c, t := range a.Tiers {
			e.b = append(e.b, byte(c))
			e.f64(t.Value)
			e.str(t.Month)
			e.i64(t.UpdateTime)
		}
	}
}

// encBuffers writes the reorder buffer and the expiry heap, in heap order.
func (m *Machine) encBuffers(e *enc) {
	e.u64(m.buf.seq)
	items := m.buf.h.Items()
	e.u32(uint32(len(items)))
	for _, it := range items {
		e.i64(it.t)
		e.u64(it.seq)
		e.u64(it.cust)
		e.u64(it.msg)
		e.u32(it.aux)
		e.b = append(e.b, it.cls, b2b(it.referral), b2b(it.hasCtx))
		e.spill()
	}
	exps := m.expiry.Items()
	e.u32(uint32(len(exps)))
	for _, x := range exps {
		e.i64(int64(x.t))
		e.u64(x.cust())
		e.spill()
	}
}

// encQuotas writes the quotas' usage by name.
func (m *Machine) encQuotas(e *enc) {
	e.u32(uint32(len(m.quotas)))
	for _, q := range m.quotas {
		e.str(q.q.Name)
		e.i64(q.start)
		e.i64(q.end)
		e.f64(q.used)
		e.f64(q.consumed)
	}
}

// selfCounters are the scalar counters of SelfStats in snapshot order.
func selfCounters(s *SelfStats) []*uint64 {
	return []*uint64{&s.DuplicateStatus, &s.DuplicateMessage, &s.OutOfOrderStatus, &s.OutOfOrderLatency, &s.OutOfOrderLate, &s.DroppedBusinesses, &s.UnknownCustomer, &s.EarlyReleased}
}

func encSelf(e *enc, s *SelfStats) {
	e.strMap(s.Events)
	for _, p := range selfCounters(s) {
		e.u64(*p)
	}
	for k := range s.Evictions {
		e.u64s(s.Evictions[k][:])
	}
	e.strMap(s.LabelOverflow)
	e.strMap(s.TemplateEvents)
	e.u64s(s.Dropped[:]) // reliability: drops by reason
}

func decSelf(d *dec, s *SelfStats) {
	s.Events = d.strMap()
	for _, p := range selfCounters(s) {
		*p = d.u64()
	}
	for k := range s.Evictions {
		d.u64s(s.Evictions[k][:])
	}
	s.LabelOverflow = d.strMap()
	s.TemplateEvents = d.strMap()
	d.u64s(s.Dropped[:])
}

// Restore rebuilds a Machine with cfg from a Snapshot. The hash key must be the one the
// snapshot was taken with (ids are stored as keyed hashes). A snapshot that is short,
// has trailing bytes or counts beyond its length is refused with an error.
func Restore(cfg Config, data []byte) (*Machine, error) {
	d := &dec{b: data}
	if v := d.u32(); d.err == nil && v != snapshotVersion {
		return nil, fmt.Errorf("window: snapshot version %d, want %d", v, snapshotVersion)
	}
	check := d.u64()
	if d.err != nil {
		return nil, fmt.Errorf("window: corrupt snapshot: %w", d.err)
	}
	if cfg.HashKey == 0 && cfg.HashKey2 == 0 {
		cfg.HashKey, cfg.HashKey2 = DefaultConfig().HashKey, DefaultConfig().HashKey2
	}
	if check != cfg.keyCheck() {
		return nil, errors.New("window: snapshot was taken with another hash key")
	}
	m := New(cfg)
	m.decode(d)
	if d.err != nil {
		return nil, fmt.Errorf("window: corrupt snapshot: %w", d.err)
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("window: %d trailing bytes in snapshot", len(d.b))
	}
	m.resolvePorts()
	m.rebuildGauges()
	return m, nil
}

// decode reads the sections encode wrote after the version and key check, into a new
// Machine. Reading stops at the first error (d.err).
func (m *Machine) decode(d *dec) {
	for _, sec := range snapshotSections {
		if d.err != nil {
			return
		}
		sec.dec(m, d)
	}
}

func (m *Machine) decBusinesses(d *dec) {
	m.biz, m.bizIndex, m.lastBiz = nil, map[string]uint16{}, nil
	d.each(func() {
		b := decBusiness(d)
		m.bizIndex[b.ID] = uint16(len(m.biz))
		m.biz = append(m.biz, b)
	})
	d.each(func() {
		k := d.str()
		m.displayTo[k] = d.u16()
	})
	d.each(func() {
		b := decBusiness(d)
		m.pending[b.ID] = b
	})
}

func (m *Machine) decMaps(d *dec) {
	decGenMap(d, &m.msgs, func(d *dec, v *msgState) {
		v.cust = d.u64()
		v.sentT = d.u32()
		v.delivT = d.u32()
		v.biz = d.u16()
		v.flags = d.u16()
		v.pk = d.u16()
		b := d.n(2)
		v.seen, v.cat = b[0], model.Category(b[1])
		v.camp = d.u64()
	})
	decGenMap(d, &m.custs, func(d *dec, v *custState) {
		for _, p := range []*uint32{&v.cswUntil, &v.lastInbound, &v.unansweredSince, &v.firstRespFrom, &v.referralUntil, &v.fepUntil, &v.lastBI, &v.tmplDeliv, &v.tmplMsg} {
			*p = d.u32()
		}
		for i := range v.conv {
			v.conv[i] = d.u32()
		}
		v.biz = d.u16()
		b := d.n(4)
		v.setTmpl(model.Category(b[0]))
		v.country = b[1]
		if b[2] != 0 {
			v.setReplied()
		}
		v.setOptedOut(b[3] != 0)
	})
	decGenMap(d, &m.convs, func(d *dec, v *convState) {
		v.expiry = d.u32()
		v.cat = model.Category(d.n(1)[0])
	})
	decGenMap(d, &m.links, func(d *dec, v *uint64) { *v = d.u64() })
}

// decPortfolios reads the portfolios: a configured one is matched by name (dropped when
// no longer configured), a WABA's own is appended.
func (m *Machine) decPortfolios(d *dec) {
	d.each(func() {
		p := newPortfolio(d.str(), -1, m.cfg.MaxCustomers)
		f := d.n(2)
		configured := f[0] != 0
		p.hookKnown = f[1] != 0
		p.hookLimit, p.hookAt = d.f64(), d.i64()
		decGenMap(d, &p.recips, func(d *dec, v *uint32) { *v = d.u32() })
		if !configured {
			m.ports = append(m.ports, p) // a WABA's own portfolio
			return
		}
		for pi, cp := range m.cfg.Portfolios {
			if cp.Name == p.name {
				p.cfg = pi
				m.ports[pi] = p
			}
		}
	})
}

func (m *Machine) decAccounts(d *dec) {
	d.each(func() {
		a := &Account{ID: d.str(), Events: d.strMap(), Tiers: map[model.Category]Tier{}}
		a.disabled = d.n(1)[0] != 0
		a.restrictedUntil, a.statusAt = d.i64(), d.i64()
		d.each(func() {
			c := model.Category(d.n(1)[0])
			a.Tiers[c] = Tier{Value: d.f64(), Month: d.str(), UpdateTime: d.i64()}
		})
		m.accountIx[a.ID] = len(m.accounts)
		m.accounts = append(m.accounts, a)
	})
}

func (m *Machine) decBuffers(d *dec) {
	seq := d.u64()
	items := make([]item, d.count())
	for i := range items {
		it := &items[i]
		it.t, it.seq, it.cust, it.msg = d.i64(), d.u64(), d.u64(), d.u64()
		it.aux = d.u32()
		b := d.n(3)
		it.cls, it.referral, it.hasCtx = b[0], b[1] != 0, b[2] != 0
	}
	m.buf = newReorder(items, seq)
	exps := make([]expiry, d.count())
	for i := range exps {
		exps[i] = newExpiry(d.i64(), d.u64())
	}
	m.expiry = newExpiries(exps)
}

// decQuotas gives the configured quotas their usage, by name (a quota no longer
// configured is dropped).
func (m *Machine) decQuotas(d *dec) {
	d.each(func() {
		name := d.str()
		st, en, used, consumed := d.i64(), d.i64(), d.f64(), d.f64()
		for qi := range m.quotas {
			if m.quotas[qi].q.Name == name {
				m.quotas[qi].start, m.quotas[qi].end, m.quotas[qi].used, m.quotas[qi].consumed = st, en, used, consumed
			}
		}
	})
}

func encBusiness(e *enc, b *Business) {
	e.str(b.ID)
	e.u64s(b.Inbound[:])
	e.u64s(b.Outbound[:])
	for i := range b.Status {
		e.u64s(b.Status[i][:])
	}
	for i := range b.SentToDelivered {
		e.hist(&b.SentToDelivered[i])
		e.hist(&b.DeliveredToRead[i])
	}
	e.u32(uint32(len(b.Failed)))
	for k, v := range b.Failed {
		e.b = append(e.b, byte(k.Category))
		e.str(k.Code)
		e.u64(v)
	}
	e.strMap(b.WebhookErrors)
	e.u64s(b.ConversationsOpened[:])
	e.u64(b.FEPWindowsOpened)
	e.u64(b.OptedOutCustomers)
	e.str(b.WabaID)
	e.str(b.Display)
	e.u64(b.ServiceWindowsOpened)
	e.u64(b.ServiceWindowsClosed)
	e.u64(b.ServiceWindowsClosedUnanswered)
	e.hist(&b.FirstResponse)
	e.hist(&b.Response)
	e.u64s(b.ReplyEligible[:])
	for i := range b.Replies {
		e.u64s(b.Replies[i][:])
	}
	e.u64s(b.OptOuts[:])
	e.u64s(b.OptIns[:])
	e.u32(uint32(len(b.Priced)))
	for k, v := range b.Priced {
		e.b = append(e.b, byte(k.Category), byte(k.PricingType), k.Country)
		e.u64(v)
	}
	for _, c := range b.Cost {
		e.f64(c)
	}
	e.u64s(b.Mismatches[:])
	e.strMap(b.QualityEvents)
	e.b = append(e.b, byte(b.Rating), b2b(b.LimitKnown), b2b(b.limitFixed))
	e.f64(b.Limit)
	e.i64(b.limitAt)
	e.i64(b.ratingAt)
}

func decBusiness(d *dec) *Business {
	b := newBusiness(d.str())
	d.u64s(b.Inbound[:])
	d.u64s(b.Outbound[:])
	for i := range b.Status {
		d.u64s(b.Status[i][:])
	}
	for i := range b.SentToDelivered {
		d.hist(&b.SentToDelivered[i])
		d.hist(&b.DeliveredToRead[i])
	}
	d.each(func() {
		cat := model.Category(d.n(1)[0])
		code := d.str()
		b.Failed[FailKey{Category: cat, Code: code}] = d.u64()
	})
	b.WebhookErrors = d.strMap()
	d.u64s(b.ConversationsOpened[:])
	b.FEPWindowsOpened = d.u64()
	b.OptedOutCustomers = d.u64()
	b.WabaID = d.str()
	b.Display = d.str()
	b.ServiceWindowsOpened = d.u64()
	b.ServiceWindowsClosed = d.u64()
	b.ServiceWindowsClosedUnanswered = d.u64()
	d.hist(&b.FirstResponse)
	d.hist(&b.Response)
	d.u64s(b.ReplyEligible[:])
	for i := range b.Replies {
		d.u64s(b.Replies[i][:])
	}
	d.u64s(b.OptOuts[:])
	d.u64s(b.OptIns[:])
	d.each(func() {
		k := d.n(3)
		b.Priced[PricedKey{Category: model.Category(k[0]), PricingType: model.PricingType(k[1]), Country: k[2]}] = d.u64()
	})
	for i := range b.Cost {
		b.Cost[i] = d.f64()
	}
	d.u64s(b.Mismatches[:])
	b.QualityEvents = d.strMap()
	f := d.n(3)
	b.Rating, b.LimitKnown, b.limitFixed = model.Rating(f[0]), f[1] != 0, f[2] != 0
	b.Limit = d.f64()
	b.limitAt = d.i64()
	b.ratingAt = d.i64()
	return b
}

// encGenMap writes both generations (keys and values) and the generation start.
func encGenMap[V any](e *enc, g *genMap[V], fn func(*enc, *V)) {
	e.i64(g.start)
	for _, gn := range [2]*gen[V]{g.cur, g.old} {
		e.u32(uint32(gn.idx.n))
		gn.idx.each(func(k uint64, i uint32) {
			e.u64(k)
			fn(e, gn.at(i))
			e.spill()
		})
	}
}

func decGenMap[V any](d *dec, g *genMap[V], fn func(*dec, *V)) {
	g.start = d.i64()
	for _, gn := range [2]*gen[V]{g.cur, g.old} {
		// The keys come in the order of the index they were written from, sorted by home
		// position: the index is sized for all of them first, or inserting them into a
		// small, growing table would pile them into one run (quadratic time).
		n := d.count()
		if m := min(n, len(d.b)/8); m > 0 && gn.idx.n == 0 {
			gn.idx.grow(sizeFor(m))
		}
		for i := 0; i < n && d.err == nil; i++ {
			k := d.u64()
			fn(d, gn.add(k))
		}
	}
}

func (s *capSet) restore(names []string) {
	if len(names) < 2 {
		return
	}
	s.names = names
	s.idx = make(map[string]uint8, len(names))
	for i, n := range names {
		s.idx[n] = uint8(i)
	}
}

func b2b(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// enc and dec are a minimal little-endian binary encoding. dec keeps the first error
// (short input, a count beyond the bytes left) and reads zeros from then on; callers
// check err once at the end, and loops over counts stop at the first error (each).
//
// With a writer, enc streams: spill, called after each entry of the large collections,
// hands the buffer to w once it holds spillBytes, so the buffer stays bounded by
// spillBytes plus one entry. Without one (Snapshot) it only appends. After a write error
// the encoding goes on into the discarded buffer and err reports it.
type enc struct {
	b   []byte
	w   io.Writer
	err error
}

// spillBytes is the buffer size of a streaming snapshot.
const spillBytes = 256 << 10

func (e *enc) spill() {
	if e.w != nil && len(e.b) >= spillBytes {
		e.flush()
	}
}

func (e *enc) flush() {
	if e.w == nil || len(e.b) == 0 {
		return
	}
	if e.err == nil {
		_, e.err = e.w.Write(e.b)
	}
	e.b = e.b[:0]
}

func (e *enc) u16(v uint16) { e.b = binary.LittleEndian.AppendUint16(e.b, v) }
func (e *enc) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *enc) u64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *enc) i64(v int64)  { e.u64(uint64(v)) }
func (e *enc) f64(v float64) {
	e.u64(math.Float64bits(v))
}
func (e *enc) str(s string) {
	e.u32(uint32(len(s)))
	e.b = append(e.b, s...)
}
func (e *enc) strs(ss []string) {
	e.u32(uint32(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}
func (e *enc) u64s(vs []uint64) {
	for _, v := range vs {
		e.u64(v)
	}
}
func (e *enc) strMap(m map[string]uint64) {
	e.u32(uint32(len(m)))
	for k, v := range m {
		e.str(k)
		e.u64(v)
	}
}
func (e *enc) hist(h *Histogram) {
	e.u64(h.Count)
	e.f64(h.Sum)
	e.u64s(h.Counts)
}

type dec struct {
	b   []byte
	err error
}

var (
	errShort    = errors.New("short snapshot")
	errBadCount = errors.New("a count beyond the bytes left")
)

// fail records the first error and drops the rest of the input.
func (d *dec) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

// zeros is what n returns after an error (every fixed-size read is at most 8 bytes).
var zeros [8]byte

// n returns the next k bytes; after an error, k zero bytes (k <= 8), or nil.
func (d *dec) n(k int) []byte {
	if len(d.b) < k {
		d.fail(errShort)
		if k <= len(zeros) {
			return zeros[:k]
		}
		return nil
	}
	out := d.b[:k]
	d.b = d.b[k:]
	return out
}
func (d *dec) u16() uint16  { return binary.LittleEndian.Uint16(d.n(2)) }
func (d *dec) u32() uint32  { return binary.LittleEndian.Uint32(d.n(4)) }
func (d *dec) u64() uint64  { return binary.LittleEndian.Uint64(d.n(8)) }
func (d *dec) i64() int64   { return int64(d.u64()) }
func (d *dec) f64() float64 { return math.Float64frombits(d.u64()) }
func (d *dec) str() string {
	n := d.count()
	return string(d.n(n))
}

// count reads the length of a list about to be read. Every element takes at least
// one byte, so a count beyond the bytes left is corrupt: refused before it sizes an
// allocation or a loop (found by FuzzRestore: 4G items ran the process out of memory).
func (d *dec) count() int {
	n := int(d.u32())
	if n > len(d.b) {
		d.fail(errBadCount)
		return 0
	}
	return n
}

// each reads a count and calls f that many times, stopping at the first error.
func (d *dec) each(f func()) {
	for i, n := 0, d.count(); i < n && d.err == nil; i++ {
		f()
	}
}

func (d *dec) strs() []string {
	out := make([]string, d.count())
	for i := range out {
		out[i] = d.str()
	}
	return out
}
func (d *dec) u64s(vs []uint64) {
	for i := range vs {
		vs[i] = d.u64()
	}
}
func (d *dec) strMap() map[string]uint64 {
	n := d.count()
	m := make(map[string]uint64, n)
	for i := 0; i < n && d.err == nil; i++ {
		k := d.str()
		m[k] = d.u64()
	}
	return m
}

func (d *dec) hist(h *Histogram) {
	h.Count = d.u64()
	h.Sum = d.f64()
	d.u64s(h.Counts)
}
