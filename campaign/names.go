package campaign

// Names bounds the `name` label of waba_campaign_conversions_total: the first max clean
// names seen are kept (clean as campaign labels are: 1 to 64 bytes of printable UTF-8);
// later ones fold into LabelOther (Overflow) and unclean ones too (Refused). Names never
// expire: their set is small and fixed by the business. Looking up a kept name
// allocates nothing. Not safe for concurrent use.
type Names struct {
	max      int
	idx      map[string]int
	names    []string
	Overflow uint64
	Refused  uint64
}

// DefaultMaxConversionNames is the default of Config.MaxConversionNames.
const DefaultMaxConversionNames = 20

// NewNames returns a Names keeping at most max names (DefaultMaxConversionNames when
// max <= 0).
func NewNames(max int) *Names {
	if max <= 0 {
		max = DefaultMaxConversionNames
	}
	return &Names{max: max, idx: make(map[string]int)}
}

// Label returns the label value for a conversion name.
func (n *Names) Label(name []byte) string {
	if i, ok := n.idx[string(name)]; ok {
		return n.names[i]
	}
	name = trim(name)
	if clean(name) != okValue {
		n.Refused++
		return LabelOther
	}
	if i, ok := n.idx[string(name)]; ok {
		return n.names[i]
	}
	if len(n.names) >= n.max || string(name) == LabelOther {
		n.Overflow++
		return LabelOther
	}
	s := string(name)
	n.idx[s] = len(n.names)
	n.names = append(n.names, s)
	return s
}

// Kept returns the names kept so far, in the order first seen (for label grids).
func (n *Names) Kept() []string { return append([]string(nil), n.names...) }
