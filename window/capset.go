package window

// capSet interns label values up to a cap; values beyond it fold into "other".
// Index 0 is always "unknown" and index 1 "other", so a zero index is a valid label.
type capSet struct {
	limit int
	idx   map[string]uint8
	names []string
}

func newCapSet(limit int) *capSet {
	if limit > 250 {
		limit = 250
	}
	s := &capSet{limit: limit, idx: map[string]uint8{"unknown": 0, "other": 1}, names: []string{"unknown", "other"}}
	return s
}

// lookup returns the interned label for b without allocating, if known.
func (s *capSet) lookup(b []byte) (string, bool) {
	if i, ok := s.idx[string(b)]; ok {
		return s.names[i], true
	}
	return "", false
}

// add interns v and returns its label; over is true when v was folded into "other".
func (s *capSet) add(v string) (label string, over bool) {
	if i, ok := s.idx[v]; ok {
		return s.names[i], false
	}
	if len(s.names)-2 >= s.limit {
		return "other", true
	}
	s.idx[v] = uint8(len(s.names))
	s.names = append(s.names, v)
	return v, false
}

func (s *capSet) index(v string) uint8 {
	if i, ok := s.idx[v]; ok {
		return i
	}
	return 1
}

func (s *capSet) name(i uint8) string {
	if int(i) < len(s.names) {
		return s.names[i]
	}
	return "other"
}
