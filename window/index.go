package window

import "math/bits"

// index maps 64-bit keys to value slots (uint32) for a genMap generation: open
// addressing with linear probing in Robin Hood order, in one table of 12-byte entries
// (the key's two halves and the slot + 1; 0 marks an empty entry).
//
// Invariants: n keys are stored in tab (3 words an entry, len(tab)/3 entries); every key
// sits at or after (cyclically) its home position home(k) with no empty entry in
// between; along a run, no entry lies nearer its home than the entry before it lies to
// its own, minus one (Robin Hood order: an insert takes the place of the first entry
// nearer its home than the new key is, and pushes that one on). So a lookup of an absent
// key stops at the first entry nearer its home than the probe is from the key's home,
// and misses stay as short as hits at high load. Deletion shifts the rest of the run
// back by one. n <= size*loadNum/loadDen after every insert (the table grows by a
// quarter when it would exceed it).
type index struct {
	tab []uint32
	n   int
}

// Load factor bounds: an index holds at most loadNum/loadDen keys per entry.
const (
	loadNum = 15
	loadDen = 16
)

// home is the first entry probed for k: the key mixed by a multiplication and mapped
// to [0, size) by the high half of a 64-bit product (no power-of-two size needed).
func home(k uint64, size int) int {
	h, _ := bits.Mul64(k*0x9e3779b97f4a7c15, uint64(size))
	return int(h)
}

// dist is how far entry i lies (cyclically) after the home of key k.
func dist(k uint64, i, size int) int {
	d := i - home(k, size)
	if d < 0 {
		d += size
	}
	return d
}

func (x *index) size() int { return len(x.tab) / 3 }

// sizeFor is the table size that holds n keys at the highest load.
func sizeFor(n int) int { return n*loadDen/loadNum + 1 }

// get returns the slot of k.
func (x *index) get(k uint64) (uint32, bool) {
	size := x.size()
	if x.n == 0 {
		return 0, false
	}
	lo, hi := uint32(k), uint32(k>>32)
	for i, d := home(k, size), 0; ; d++ {
		e := x.tab[3*i : 3*i+3 : 3*i+3]
		if e[2] == 0 {
			return 0, false
		}
		if e[0] == lo && e[1] == hi {
			return e[2] - 1, true
		}
		if dist(uint64(e[0])|uint64(e[1])<<32, i, size) < d {
			return 0, false // k would sit here
		}
		if i++; i == size {
			i = 0
		}
	}
}

// put stores k -> slot; k must be absent.
func (x *index) put(k uint64, slot uint32) {
	if size := x.size(); (x.n+1)*loadDen > size*loadNum {
		x.grow(max(size+size/4, 16))
	}
	x.insert(k, slot+1)
	x.n++
}

// insert places k -> v (v != 0), displacing richer entries along the run.
func (x *index) insert(k uint64, v uint32) {
	size := x.size()
	for i, d := home(k, size), 0; ; d++ {
		e := x.tab[3*i : 3*i+3 : 3*i+3]
		if e[2] == 0 {
			e[0], e[1], e[2] = uint32(k), uint32(k>>32), v
			return
		}
		ek := uint64(e[0]) | uint64(e[1])<<32
		if ed := dist(ek, i, size); ed < d {
			ev := e[2]
			e[0], e[1], e[2] = uint32(k), uint32(k>>32), v
			k, v, d = ek, ev, ed
		}
		if i++; i == size {
			i = 0
		}
	}
}

func (x *index) grow(size int) {
	old := x.tab
	x.tab = make([]uint32, 3*size)
	for i := 0; i+2 < len(old); i += 3 {
		if old[i+2] != 0 {
			x.insert(uint64(old[i])|uint64(old[i+1])<<32, old[i+2])
		}
	}
}

// del removes k (present or not), shifting back by one the entries after it that are
// not at their home.
func (x *index) del(k uint64) {
	size := x.size()
	if x.n == 0 {
		return
	}
	lo, hi := uint32(k), uint32(k>>32)
	i := home(k, size)
	for d := 0; ; d++ {
		e := x.tab[3*i : 3*i+3 : 3*i+3]
		if e[2] == 0 {
			return
		}
		if e[0] == lo && e[1] == hi {
			break
		}
		if dist(uint64(e[0])|uint64(e[1])<<32, i, size) < d {
			return
		}
		if i++; i == size {
			i = 0
		}
	}
	x.n--
	hole := i
	for {
		j := hole + 1
		if j == size {
			j = 0
		}
		e := x.tab[3*j : 3*j+3 : 3*j+3]
		if e[2] == 0 || dist(uint64(e[0])|uint64(e[1])<<32, j, size) == 0 {
			break
		}
		copy(x.tab[3*hole:3*hole+3], e)
		hole = j
	}
	x.tab[3*hole+2] = 0
}

// each calls fn with every key and its slot, in table order.
func (x *index) each(fn func(k uint64, slot uint32)) {
	for i := 0; i+2 < len(x.tab); i += 3 {
		if x.tab[i+2] != 0 {
			fn(uint64(x.tab[i])|uint64(x.tab[i+1])<<32, x.tab[i+2]-1)
		}
	}
}
