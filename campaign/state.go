package campaign

// TableState is a Table's state as plain data, for checkpoints: Restore of the state
// machine rebuilds a Table with the current config and then SetState, so Refs stored in
// message state keep resolving (slots and generations are kept as they were).
type TableState struct {
	Slots []SlotState
	Free  []int
	Stats Stats
}

// SlotState is one slot of a Table (a campaign, or a freed slot).
type SlotState struct {
	Name     string
	Variants []string
	Last     int64
	Gen      uint32
	Live     bool
}

// State returns a copy of t's state.
func (t *Table) State() TableState {
	st := TableState{Free: append([]int(nil), t.free...), Stats: t.stats}
	for _, s := range t.slots {
		st.Slots = append(st.Slots, SlotState{Name: s.name, Variants: append([]string(nil), s.variants...), Last: s.last, Gen: s.gen, Live: s.live})
	}
	return st
}

// SetState replaces t's slots, free list and stats with st (from State). The caps and
// allowlists stay those of t's config: campaigns already interned keep their slot even
// if the new config would not admit them (they leave by expiry).
func (t *Table) SetState(st TableState) {
	t.slots = t.slots[:0]
	t.byName = make(map[string]int, len(st.Slots))
	t.liveNamed = 0
	for i, s := range st.Slots {
		t.slots = append(t.slots, slot{name: s.Name, variants: append([]string(nil), s.Variants...), last: s.Last, gen: s.Gen, live: s.Live})
		if s.Live {
			t.byName[s.Name] = i
			if s.Name != LabelOther {
				t.liveNamed++
			}
		}
	}
	t.free = append(t.free[:0], st.Free...)
	t.stats = st.Stats
}

// NamesState returns the names kept and the counts, for checkpoints.
func (n *Names) NamesState() (names []string, overflow, refused uint64) {
	return n.Kept(), n.Overflow, n.Refused
}

// SetNamesState restores what NamesState returned (names beyond the cap are kept: they
// were admitted under an earlier config).
func (n *Names) SetNamesState(names []string, overflow, refused uint64) {
	n.idx = make(map[string]int, len(names))
	n.names = n.names[:0]
	for _, s := range names {
		n.idx[s] = len(n.names)
		n.names = append(n.names, s)
	}
	n.Overflow, n.Refused = overflow, refused
}
