package window

// genMap is a map from 64-bit keys to values of V, bounded by a TTL and a size cap.
//
// Invariants:
//   - Entries live in two generations, current and old. Lookups that find an entry in
//     the old generation move it to the current one (a touch). Every ttl of event time
//     the old generation is dropped (its entries counted as TTL evictions) and the
//     current one becomes old; so an entry is forgotten between ttl and 2*ttl after it
//     was last touched.
//   - Each generation holds at most cap/2 entries: an insert into a full current
//     generation drops the old one (counted as capacity evictions) and starts a new
//     current one. Size never exceeds the cap.
//   - Values live in fixed-size chunks that are never reallocated, so a pointer returned
//     by get/getOrCreate stays valid until the entry's generation is dropped or the
//     entry is moved by a later touch of the same map: callers never hold two pointers
//     into one genMap across a call that may touch it. A dropped generation's memory
//     (chunks, index table) is reused at once by the next current one (recycle), so a
//     pointer into it must not be used after the rotation that dropped it.
type genMap[V any] struct {
	ttl   int64
	limit int
	start int64 // event time the current generation began
	cur   *gen[V]
	old   *gen[V]
	// drop, when set, is called with every live entry of a generation before it is
	// dropped (TTL or capacity), so that counts kept elsewhere can forget it.
	drop func(v *V)
}

// chunkBits sets the entries per value chunk: 2048 makes a chunk of custState (68
// bytes) exactly 17 pages of 8 KiB, where 1024 left half a page unused in each (Go rounds
// large allocations up to whole pages); the other value types fill whole pages either way.
const chunkBits = 11
const chunkLen = 1 << chunkBits

type gen[V any] struct {
	idx index // key -> slot (index.go)
	// chunks[:len] hold the slots below n (slots at or after n are zero); the non-nil
	// chunks in chunks[len:cap] are spares kept from the generation's previous use
	// (recycle), taken before any new chunk is made and cleared when taken.
	chunks [][]V
	n      uint32
	dead   []uint64 // bitset of slots whose entry moved to the current generation
}

func newGen[V any]() *gen[V] { return &gen[V]{} }

// recycle empties gn, a dropped generation, for reuse as the one after prev, keeping
// the memory that a generation as big as the larger of gn and prev needs, so that a
// steady state allocates nothing, and letting go of the rest, so that a map whose
// generations shrank does not keep the memory of an old peak:
//   - gn's value chunks become spares, up to those that many entries fill plus a quarter
//     and one (room for a somewhat bigger generation);
//   - its dead bitset keeps its capacity (a bit per slot of the largest generation);
//   - its index table is kept when it holds prev's entries without growing (the size
//     the index is given for them here, or more) and at most twice the size for that
//     many entries; otherwise a table is made for prev's entries.
func (gn *gen[V]) recycle(prev *gen[V]) {
	most := int(max(gn.n, prev.n))
	keep := (most + chunkLen - 1) >> chunkBits
	all := gn.chunks[:cap(gn.chunks)]
	clear(all[min(keep+keep/4+1, len(all)):])
	gn.chunks, gn.n, gn.dead = all[:0], 0, gn.dead[:0]
	want := 0
	if prev.idx.n > 0 {
		want = sizeFor(prev.idx.n)
	}
	if size := gn.idx.size(); size >= want && size <= 2*max(sizeFor(most), 16) {
		// An empty index is a table of zeros (index.go).
		clear(gn.idx.tab)
		gn.idx.n = 0
		return
	}
	gn.idx = index{}
	if want > 0 {
		gn.idx.grow(want)
	}
}

func (g *gen[V]) at(i uint32) *V { return &g.chunks[i>>chunkBits][i&(chunkLen-1)] }

// add stores k in the next slot and returns its value, zero.
func (g *gen[V]) add(k uint64) *V {
	i := g.n
	if c := int(i >> chunkBits); c == len(g.chunks) {
		if c < cap(g.chunks) && g.chunks[:c+1][c] != nil {
			g.chunks = g.chunks[:c+1]
			clear(g.chunks[c])
		} else {
			g.chunks = append(g.chunks, make([]V, chunkLen))
		}
	}
	g.n++
	g.idx.put(k, i)
	return g.at(i)
}

func newGenMap[V any](ttl int64, limit int) genMap[V] {
	if limit < 2 {
		limit = 2
	}
	return genMap[V]{ttl: ttl, limit: limit, cur: newGen[V](), old: newGen[V]()}
}

// Len is the number of live entries.
func (g *genMap[V]) Len() int { return g.cur.idx.n + g.old.idx.n }

// rotate drops the old generation when the current one is older than the TTL.
func (g *genMap[V]) rotate(now int64, ev *[2]uint64) {
	if g.start == 0 {
		g.start = now
		return
	}
	if now-g.start < g.ttl {
		return
	}
	ev[ReasonTTL] += uint64(g.old.idx.n)
	g.shift()
	g.start = now
}

// get returns the entry for k (touching it), or nil.
func (g *genMap[V]) get(k uint64) *V {
	if i, ok := g.cur.idx.get(k); ok {
		return g.cur.at(i)
	}
	if i, ok := g.old.idx.get(k); ok {
		v := *g.old.at(i)
		g.old.idx.del(k)
		g.old.kill(i)
		p := g.cur.add(k)
		*p = v
		return p
	}
	return nil
}

// peek returns the entry for k without touching it, or nil.
func (g *genMap[V]) peek(k uint64) *V {
	if i, ok := g.cur.idx.get(k); ok {
		return g.cur.at(i)
	}
	if i, ok := g.old.idx.get(k); ok {
		return g.old.at(i)
	}
	return nil
}

// getOrCreate returns the entry for k, creating a zero one (fresh = true) when absent.
func (g *genMap[V]) getOrCreate(k uint64, now int64, ev *[2]uint64) (*V, bool) {
	if p := g.get(k); p != nil {
		return p, false
	}
	if g.start == 0 {
		g.start = now
	}
	if g.cur.idx.n >= g.limit/2 {
		ev[ReasonCapacity] += uint64(g.old.idx.n)
		g.shift()
	}
	return g.cur.add(k), true
}

func (g *gen[V]) kill(i uint32) {
	w := int(i / 64)
	for len(g.dead) <= w {
		g.dead = append(g.dead, 0)
	}
	g.dead[w] |= 1 << (i % 64)
}

// shift drops the old generation (calling drop, if set, with each of its live entries),
// makes the current one old, and starts a new current one in the memory of the dropped
// one (recycle): in a steady state, rotations allocate nothing.
func (g *genMap[V]) shift() {
	if g.drop != nil {
		g.old.each(g.drop)
	}
	dropped := g.old
	dropped.recycle(g.cur)
	g.old, g.cur = g.cur, dropped
}

// each calls fn for every live entry without touching it, scanning the value chunks in
// order (much faster than ranging over the index map).
func (g *genMap[V]) each(fn func(v *V)) {
	g.cur.each(fn)
	g.old.each(fn)
}

// each calls fn for every live entry of the generation, in slot order.
func (gn *gen[V]) each(fn func(v *V)) {
	for c, chunk := range gn.chunks {
		base := uint32(c) << chunkBits
		for j := range chunk {
			i := base + uint32(j)
			if i >= gn.n {
				break
			}
			if w := int(i / 64); w < len(gn.dead) && gn.dead[w]&(1<<(i%64)) != 0 {
				continue
			}
			fn(&chunk[j])
		}
	}
}
