// The scrape-time gauges kept up to date at apply and expiry time, so that View costs
// what the series cost, not a pass over the customers.

package window

import (
	"math"
	"math/bits"
	"slices"
)

// timeCounts is a multiset of event times (seconds; 0 is never counted) that answers
// "how many are above t" without visiting the values.
//
// Invariants: sec holds the count of each second, blk the total of each 128-second
// block (key v>>tcBlkShift) and page that of each 16384-second page (key v>>tcPageShift),
// none of them keeping a key whose count is 0; n is the sum of page. Pages below low
// were pruned (prune): values there are no longer counted, and adding or removing one
// is a no-op.
type timeCounts struct {
	sec, blk, page counts
	n              int64
	low            uint32 // first page kept
}

// counts maps uint32 keys (not math.MaxUint32) to nonzero counts: open addressing with
// linear probing over a power-of-two table of 8-byte entries ((key+1)<<32 | count; 0
// marks an empty entry).
//
// Invariants: every key sits at or after (cyclically) its home position with no empty
// entry in between; a count that falls to 0 is deleted at once by shifting the later
// entries of its run back (no tombstones, so probes stay short on the hot keys);
// used <= len(tab)*13/16. Keys below low are dead (pruned values): they keep their
// counts until the table is full, when compact rebuilds it without them.
type counts struct {
	tab   []uint64
	used  int    // entries in use
	shift uint8  // 64 - log2(len(tab))
	low   uint32 // keys below low are dead
}

// slot is the home position of k: eight consecutive keys (k>>3 alike) share one aligned
// run of eight entries (a cache line), placed by a multiplicative hash of k>>3, so that
// the times an event stream adds, which come close together, touch few lines.
func (c *counts) slot(k uint32) int {
	return int((uint64(k>>3)*0x9e3779b97f4a7c15)>>(c.shift+3)<<3 | uint64(k&7))
}

// get returns the count of k.
func (c *counts) get(k uint32) int32 {
	if c.used == 0 {
		return 0
	}
	mask := len(c.tab) - 1
	for i := c.slot(k); ; i = (i + 1) & mask {
		e := c.tab[i]
		if e == 0 {
			return 0
		}
		if uint32(e>>32) == k+1 {
			return int32(uint32(e))
		}
	}
}

// bump adds d (not 0) to the count of k.
func (c *counts) bump(k uint32, d int32) {
	if len(c.tab) == 0 {
		c.rebuild(64)
	}
	mask := len(c.tab) - 1
	for i := c.slot(k); ; i = (i + 1) & mask {
		e := c.tab[i]
		if e == 0 {
			if (c.used+1)*16 > len(c.tab)*13 {
				c.compact()
				c.bump(k, d)
				return
			}
			c.tab[i] = uint64(k+1)<<32 | uint64(uint32(d))
			c.used++
			return
		}
		if uint32(e>>32) == k+1 {
			if n := int32(uint32(e)) + d; n != 0 {
				c.tab[i] = e&^0xffffffff | uint64(uint32(n))
			} else {
				c.del(i)
			}
			return
		}
	}
}

// del empties entry i, moving back each later entry of the run whose home does not lie
// cyclically within (hole, its position].
func (c *counts) del(i int) {
	mask := len(c.tab) - 1
	hole := i
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		e := c.tab[j]
		if e == 0 {
			break
		}
		if h := c.slot(uint32(e>>32) - 1); (j-h)&mask >= (j-hole)&mask {
			c.tab[hole] = e
			hole = j
		}
	}
	c.tab[hole] = 0
	c.used--
}

// each calls fn with every key and its count (never 0); fn must not change the table.
func (c *counts) each(fn func(k uint32, n int32)) {
	for _, e := range c.tab {
		if e != 0 {
			fn(uint32(e>>32)-1, int32(uint32(e)))
		}
	}
}

// compact empties the table of its dead keys, leaving it at most 13/32 full (so that it
// can double before it is compacted again) and at least 64 entries: in place when that
// needs a table of the size it has or half of it (the steady state, where keys are
// pruned as fast as they are added and their number swings with the hours of the day),
// else in a new table of the smallest such size. So compacting allocates only when the
// live keys grow beyond 13/32 of the table or fall to a quarter of that.
func (c *counts) compact() {
	live := 0
	c.each(func(k uint32, _ int32) {
		if k >= c.low {
			live++
		}
	})
	size := 64
	for size*13 < live*32 {
		size *= 2
	}
	if size == len(c.tab) || size == len(c.tab)/2 {
		c.sweep(c.low)
		return
	}
	c.rebuild(size)
}

// sweep deletes the keys below first and returns the sum of their counts. A deletion at
// i only moves later entries of the run back into [i, their position): entry i is
// looked at again, and an entry moved from the wrapped start of the table was already
// looked at and kept.
func (c *counts) sweep(first uint32) int64 {
	var n int64
	for i := 0; i < len(c.tab); {
		if e := c.tab[i]; e != 0 && uint32(e>>32)-1 < first {
			n += int64(int32(uint32(e)))
			c.del(i)
			continue
		}
		i++
	}
	return n
}

// rebuild moves the live entries (not dead) into a table of size (a power of two)
// entries.
func (c *counts) rebuild(size int) {
	old := c.tab
	c.tab, c.used, c.shift = make([]uint64, size), 0, uint8(64-bits.TrailingZeros(uint(size)))
	mask := size - 1
	for _, e := range old {
		if e == 0 || uint32(e>>32)-1 < c.low {
			continue
		}
		i := c.slot(uint32(e>>32) - 1)
		for c.tab[i] != 0 {
			i = (i + 1) & mask
		}
		c.tab[i] = e
		c.used++
	}
}

const (
	tcBlkShift  = 7
	tcPageShift = 14
	tcBlkLen    = 1 << tcBlkShift
	tcPerPage   = 1 << (tcPageShift - tcBlkShift) // blocks per page
)

// add counts v d more times (d may be negative); v = 0 is ignored, and math.MaxUint32
// (the year 2106) is counted as one second less.
func (tc *timeCounts) add(v uint32, d int32) {
	if v == 0 || v>>tcPageShift < tc.low {
		return
	}
	v = min(v, math.MaxUint32-1)
	tc.sec.bump(v, d)
	tc.blk.bump(v>>tcBlkShift, d)
	tc.page.bump(v>>tcPageShift, d)
	tc.n += int64(d)
}

// move replaces one count of old by one of new (0 on either side: none). Moves within
// a block or page leave the block's or page's total alone.
func (tc *timeCounts) move(old, new uint32) {
	old, new = min(old, math.MaxUint32-1), min(new, math.MaxUint32-1) // as add does
	if old == new {
		return
	}
	if old == 0 || new == 0 || old>>tcPageShift != new>>tcPageShift || old>>tcPageShift < tc.low {
		tc.add(old, -1)
		tc.add(new, 1)
		return
	}
	tc.sec.bump(old, -1)
	tc.sec.bump(new, 1)
	if old>>tcBlkShift != new>>tcBlkShift {
		tc.blk.bump(old>>tcBlkShift, -1)
		tc.blk.bump(new>>tcBlkShift, 1)
	}
}

// prune forgets the values below page first (all smaller than first<<tcPageShift):
// their pages go at once, their seconds and blocks when their table is next compacted.
func (tc *timeCounts) prune(first uint32) {
	if first <= tc.low {
		return
	}
	tc.low = first
	tc.page.low, tc.blk.low, tc.sec.low = first, first<<(tcPageShift-tcBlkShift), first<<tcPageShift
	tc.n -= tc.page.sweep(first)
}

// above returns how many counted values are greater than th: th must be at least the
// first value of page low (prune), as it is for a View at or after the watermark.
func (tc *timeCounts) above(th int64) uint64 {
	if th < 0 {
		return uint64(tc.n)
	}
	if th >= math.MaxUint32 || tc.n == 0 {
		return 0
	}
	t := uint32(th)
	pg, bk := t>>tcPageShift, t>>tcBlkShift
	var n int64
	tc.page.each(func(k uint32, c int32) {
		if k > pg {
			n += int64(c)
		}
	})
	if tc.page.get(pg) != 0 {
		for k := uint64(bk) + 1; k < (uint64(pg)+1)*tcPerPage; k++ {
			n += int64(tc.blk.get(uint32(k)))
		}
		if tc.blk.get(bk) != 0 {
			for s := uint64(t) + 1; s < (uint64(bk)+1)*tcBlkLen; s++ {
				n += int64(tc.sec.get(uint32(s)))
			}
		}
	}
	return uint64(n)
}

// ascend calls fn with each counted second and its count in increasing order until fn
// returns false.
func (tc *timeCounts) ascend(fn func(v uint32, c int32) bool) {
	var buf [64]uint32 // 12 days of pages without allocating
	pages := buf[:0]
	tc.page.each(func(k uint32, c int32) {
		if c != 0 {
			pages = append(pages, k)
		}
	})
	slices.Sort(pages)
	for _, pg := range pages {
		for b := uint64(pg) * tcPerPage; b < (uint64(pg)+1)*tcPerPage; b++ {
			if tc.blk.get(uint32(b)) == 0 {
				continue
			}
			for s := b * tcBlkLen; s < (b+1)*tcBlkLen; s++ {
				if c := tc.sec.get(uint32(s)); c != 0 && !fn(uint32(s), c) {
					return
				}
			}
		}
	}
}

// Per-customer gauge values: what View counts of a customer, one timeCounts each.
const (
	gWindow     = iota // cswUntil: open service windows
	gUnanswered        // cswUntil of an unanswered customer
	gSince             // unansweredSince (the oldest unanswered)
	gInbound           // lastInbound: active customers
	gBI                // lastBI: unique recipients of the last 24 h
	gConv              // conv[0] ... conv[numConvCat-1] (the referral's with fepUntil)
	numGauge    = gConv + numConvCat
)

// gaugeWindow is, for each gauge, how far before the View's time its values count
// (the longest trailing window); -1: never pruned (the oldest unanswered can be old).
var gaugeWindow = [numGauge]int64{gWindow: 0, gUnanswered: 0, gSince: -1, gInbound: 30 * day, gBI: day}

// pruneGauges forgets the gauge values that no View at or after event time t counts:
// those at or below t minus their gauge's window. Pages go whole, so values are kept up
// to one page (4.5 h) longer.
func (m *Machine) pruneGauges(t int64) {
	first := func(w int64) uint32 {
		if w < 0 || t-w < 0 {
			return 0
		}
		return uint32(min(t-w, math.MaxUint32) >> tcPageShift)
	}
	for bi := range m.gauges {
		for i := range m.gauges[bi] {
			m.gauges[bi][i].prune(first(gaugeWindow[i]))
		}
	}
	for _, p := range m.ports {
		p.recent.prune(first(day))
	}
	m.prunedAt = t >> tcPageShift
}

// custGauges are a customer's gauge values; 0 is "not counted".
type custGauges [numGauge]uint32

// bizGauges are the counts of one business's customers by gauge value.
type bizGauges [numGauge]timeCounts

// gauges returns the values c contributes to its business's gauges.
func (c *custState) gauges() custGauges {
	var g custGauges
	g[gWindow] = c.cswUntil
	if c.unansweredSince != 0 {
		g[gUnanswered], g[gSince] = c.cswUntil, c.unansweredSince
	}
	g[gInbound], g[gBI] = c.lastInbound, c.lastBI
	for i, until := range c.conv {
		if i == ccReferral {
			until = max(until, c.fepUntil)
		}
		g[gConv+i] = until
	}
	return g
}

// regauge moves c's counts from before (its gauges() before a change) to its values now.
// Every change of a field gauges reads goes through it.
func (m *Machine) regauge(c *custState, before custGauges) {
	after := c.gauges()
	if after == before {
		return
	}
	g := m.bizGauges(c.biz)
	for i := range after {
		if before[i] != after[i] {
			g[i].move(before[i], after[i])
		}
	}
	if after[gSince] != 0 && int64(after[gUnanswered]) < int64(after[gSince])+day {
		m.oddUnanswered = true
	}
}

// bizGauges returns the counts of business bi, growing the table to it.
func (m *Machine) bizGauges(bi uint16) *bizGauges {
	for int(bi) >= len(m.gauges) {
		m.gauges = append(m.gauges, bizGauges{})
	}
	return &m.gauges[bi]
}

// forget removes an evicted customer from the counts.
func (m *Machine) forget(c *custState) { m.regaugeFrom(c.gauges(), c.biz) }

func (m *Machine) regaugeFrom(before custGauges, bi uint16) {
	g := m.bizGauges(bi)
	for i, v := range before {
		g[i].add(v, -1)
	}
}

// setGaugeHooks makes the customer map and every portfolio's recipient map keep the
// counts when they drop entries.
func (m *Machine) setGaugeHooks() {
	m.custs.drop = m.forget
	for _, p := range m.ports {
		p.setHook()
	}
}

// rebuildGauges counts every customer and recipient again (after Restore).
func (m *Machine) rebuildGauges() {
	m.gauges = nil
	m.oddUnanswered = false
	m.custs.each(func(c *custState) { m.regauge(c, custGauges{}) })
	for _, p := range m.ports {
		p.recent, p.zeros = timeCounts{}, 0
		p.recips.each(func(v *uint32) { p.count(0, *v, true) })
	}
	m.setGaugeHooks()
	m.pruneGauges(m.watermark)
}

// count moves a recipient from old to new (fresh: a new entry, old not counted).
func (p *portfolio) count(old, new uint32, fresh bool) {
	switch {
	case !fresh && old == new:
	case !fresh && old != 0 && new != 0:
		p.recent.move(old, new)
	default:
		if !fresh {
			p.uncount(old)
		}
		if new == 0 {
			p.zeros++
		} else {
			p.recent.add(new, 1)
		}
	}
}

func (p *portfolio) uncount(v uint32) {
	if v == 0 {
		p.zeros--
	} else {
		p.recent.add(v, -1)
	}
}

func (p *portfolio) setHook() {
	p.recips.drop = func(v *uint32) { p.uncount(*v) }
}

// recipients24h is the number of recipients delivered to after now - 1 day.
func (p *portfolio) recipients24h(now int64) uint64 {
	n := p.recent.above(now - day)
	if now-day < 0 {
		n += uint64(p.zeros)
	}
	return n
}

// businessView fills the customer gauges of business bi at now.
func (m *Machine) businessView(bv *BusinessView, bi int, now int64, ex *excluded) {
	if bi >= len(m.gauges) {
		return
	}
	g := &m.gauges[bi]
	n := int64(uint32(max(now, 0)))
	bv.ServiceWindowsOpen = g[gWindow].above(n)
	bv.Unanswered = g[gUnanswered].above(n)
	if bv.Unanswered > 0 {
		bv.OldestUnanswered = m.oldestUnanswered(g, uint16(bi), n, bv.Unanswered, ex)
	}
	for i, w := range activeSeconds {
		bv.Active[i] = g[gInbound].above(now - w)
	}
	bv.UniqueRecipients24h = g[gBI].above(now - day)
	for i := range numConvCat {
		bv.ConversationsOpen[convCats[i]] += g[gConv+i].above(n)
	}
}

// excluded are, by business, the unansweredSince of unanswered customers whose window
// ended at or before the View's time (found once per View, when needed).
type excluded struct {
	done bool
	by   map[uint16][]uint32
}

// oldestUnanswered is the smallest unansweredSince of the unanswered customers of
// business bi whose window is open at n (want of them).
//
// A customer's window lasts at least a day past its first unanswered inbound
// (cswUntil >= unansweredSince + day: processInbound sets both, cswUntil never shrinks;
// oddUnanswered records any state that breaks it). So when the smallest unansweredSince
// is within a day of n, its window is open. Otherwise the customers to skip are those
// whose window ended by n but is not closed yet (expire runs behind the reorder window):
// each has an expiry at or before its window's end, so they are found in the expiry
// heap's entries up to n, not among all customers. If their number does not match the
// counts, the business's customers are scanned.
func (m *Machine) oldestUnanswered(g *bizGauges, bi uint16, n int64, want uint64, ex *excluded) int64 {
	var first uint32
	g[gSince].ascend(func(v uint32, _ int32) bool { first = v; return false })
	if !m.oddUnanswered && int64(first)+day > n {
		return int64(first)
	}
	if !ex.done {
		m.findExcluded(n, ex)
	}
	skip := ex.by[bi]
	if uint64(len(skip)) != uint64(g[gSince].n)-want {
		return m.scanOldest(bi, n)
	}
	slices.Sort(skip)
	var oldest int64
	g[gSince].ascend(func(v uint32, c int32) bool {
		for len(skip) > 0 && skip[0] < v {
			skip = skip[1:]
		}
		k := 0
		for k < len(skip) && skip[k] == v {
			k++
		}
		skip = skip[k:]
		if int(c) > k {
			oldest = int64(v)
			return false
		}
		return true
	})
	return oldest
}

// findExcluded fills ex with the unanswered customers whose window ended at or before n,
// from the expiry heap entries at or before n (a heap's subtree holds no smaller t than
// its root, so the walk visits only those entries).
func (m *Machine) findExcluded(n int64, ex *excluded) {
	ex.done, ex.by = true, map[uint16][]uint32{}
	items := m.expiry.Items()
	seen := map[uint64]bool{}
	stack := []int{0}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if i >= len(items) || int64(items[i].t) > n {
			continue
		}
		stack = append(stack, 2*i+1, 2*i+2)
		k := items[i].cust()
		if seen[k] {
			continue
		}
		seen[k] = true
		if c := m.custs.peek(k); c != nil && c.unansweredSince != 0 && int64(c.cswUntil) <= n {
			ex.by[c.biz] = append(ex.by[c.biz], c.unansweredSince)
		}
	}
}

// scanOldest is oldestUnanswered by a pass over the customers (the fallback).
func (m *Machine) scanOldest(bi uint16, n int64) int64 {
	var oldest int64
	m.custs.each(func(c *custState) {
		if c.biz == bi && int64(c.cswUntil) > n && c.unansweredSince != 0 && (oldest == 0 || int64(c.unansweredSince) < oldest) {
			oldest = int64(c.unansweredSince)
		}
	})
	return oldest
}
