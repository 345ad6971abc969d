package window

import "math/bits"

// index maps 64-bit keys to value slots (uint32) for a genMap generation: open
// addressing with linear probing in one table of 12-byte entries (the key's two halves
// and the slot + 1; 0 marks an empty entry), 17.6 bytes per key on average where a Go
// map of the same pairs takes about twice that.
//
// Invariants: n keys are stored in tab (3 words an entry, len(tab)/3 entries); every key
// sits at or after (cyclically) its home position home(k) with no empty entry in
// between (deletion shifts later entries back to keep it so); n <= cap*13/16 after every
// insert (the table grows by half when it would exceed it).
type index struct {
	tab []uint32
	n   int
}

// home is the first entry probed for k: the key mixed by a multiplication and mapped
// to [0, size) by the high half of a 64-bit product (no power-of-two size needed).
func home(k uint64, size int) int {
	h, _ := bits.Mul64(k*0x9e3779b97f4a7c15, uint64(size))
	return int(h)
}

func (x *index) size() int { return len(x.tab) / 3 }

// get returns the slot of k.
func (x *index) get(k uint64) (uint32, bool) {
	size := x.size()
	if x.n == 0 {
		return 0, false
	}
	lo, hi := uint32(k), uint32(k>>32)
	for i := home(k, size); ; {
		e := x.tab[3*i : 3*i+3 : 3*i+3]
		if e[2] == 0 {
			return 0, false
		}
		if e[0] == lo && e[1] == hi {
			return e[2] - 1, true
		}
		if i++; i == size {
			i = 0
		}
	}
}

// put stores k -> slot; k must be absent.
func (x *index) put(k uint64, slot uint32) {
	if size := x.size(); (x.n+1)*16 > size*13 {
		x.grow(max(size+size/2, 16))
	}
	x.insert(k, slot+1)
	x.n++
}

func (x *index) insert(k uint64, v uint32) {
	size := x.size()
	for i := home(k, size); ; {
		e := x.tab[3*i : 3*i+3 : 3*i+3]
		if e[2] == 0 {
			e[0], e[1], e[2] = uint32(k), uint32(k>>32), v
			return
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

// del removes k (present or not), shifting back the entries after it that may move.
func (x *index) del(k uint64) {
	size := x.size()
	if x.n == 0 {
		return
	}
	lo, hi := uint32(k), uint32(k>>32)
	i := home(k, size)
	for {
		e := x.tab[3*i : 3*i+3 : 3*i+3]
		if e[2] == 0 {
			return
		}
		if e[0] == lo && e[1] == hi {
			break
		}
		if i++; i == size {
			i = 0
		}
	}
	x.n--
	// Backward shift: move each later entry of the run into the hole unless its home lies
	// cyclically within (hole, its position].
	hole := i
	for j := i; ; {
		if j++; j == size {
			j = 0
		}
		e := x.tab[3*j : 3*j+3 : 3*j+3]
		if e[2] == 0 {
			break
		}
		h := home(uint64(e[0])|uint64(e[1])<<32, size)
		if (j > hole && (h <= hole || h > j)) || (j < hole && h <= hole && h > j) {
			copy(x.tab[3*hole:3*hole+3], e)
			hole = j
		}
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
