package campaign

// Ref is an interned (campaign, variant) label pair: the 8 bytes a message's state keeps
// for its tag. The zero Ref is "untagged". Layout: bits 0-7 the variant's index in its
// campaign, bits 8-23 the campaign's slot + 1, bits 32-63 the slot's generation, so a
// Ref to a campaign that expired (its slot freed, perhaps reused) no longer resolves.
type Ref uint64

func makeRef(slot int, variant int, gen uint32) Ref {
	return Ref(uint64(gen)<<32 | uint64(slot+1)<<8 | uint64(variant))
}

func (r Ref) slot() int    { return int(r>>8&0xffff) - 1 }
func (r Ref) variant() int { return int(r & 0xff) }
func (r Ref) gen() uint32  { return uint32(r >> 32) }
func (r Ref) IsZero() bool { return r == 0 }

// Stats counts what the table did; the caller exposes them (e.g. overflow as
// waba_exporter_label_values_overflow_total{label="campaign"|"variant"}).
type Stats struct {
	Tagged  uint64 // tags interned (Tag calls with outcome Tagged)
	NoTag   uint64 // values that were no tag
	Refused uint64 // values refused (too long, not printable, reserved)
	// RefusedBy counts the refusals by reason (RefuseReasonNames).
	RefusedBy [NumRefuseReasons]uint64
	// CampaignOverflow and VariantOverflow count values folded into LabelOther (beyond
	// the caps, or outside an allowlist), once per Intern call.
	CampaignOverflow uint64
	VariantOverflow  uint64
	Expired          uint64 // campaigns dropped by Expire
}

type slot struct {
	name     string
	variants []string // index = Ref variant; len <= maxVariants, +1 for LabelOther
	last     int64    // latest event time seen for the campaign
	gen      uint32
	live     bool
}

// Table interns campaign and variant labels into Refs, bounded: an allowlist, else the
// first MaxCampaigns campaigns (and MaxVariants variants of each); the rest fold into
// LabelOther. A campaign with no event for ExpireAfter (event time, passed in by the
// caller) is dropped by Expire and its slot freed. Pure: no I/O, no clock. Not safe for
// concurrent use (the window calls it under its lock). Interning or touching a tag that
// is already interned allocates nothing.
type Table struct {
	p          *Parser
	maxC, maxV int
	allowC     map[string]struct{}
	allowV     map[string]struct{}
	expire     int64
	slots      []slot
	byName     map[string]int
	free       []int
	liveNamed  int // live campaigns other than LabelOther
	stats      Stats
}

// NewTable returns a Table for c (defaults applied); the error is Validate's.
func NewTable(c Config) (*Table, error) {
	c = c.WithDefaults()
	p, err := NewParser(c)
	if err != nil {
		return nil, err
	}
	t := &Table{p: p, maxC: c.MaxCampaigns, maxV: c.MaxVariants,
		expire: int64(c.ExpireAfter.Seconds()), byName: make(map[string]int)}
	if len(c.Campaigns) > 0 {
		t.allowC = make(map[string]struct{}, len(c.Campaigns))
		for _, s := range c.Campaigns {
			t.allowC[s] = struct{}{}
		}
		if len(c.Campaigns) < t.maxC {
			t.maxC = len(c.Campaigns)
		}
	}
	if len(c.Variants) > 0 {
		t.allowV = make(map[string]struct{}, len(c.Variants))
		for _, s := range c.Variants {
			t.allowV[s] = struct{}{}
		}
	}
	return t, nil
}

// Parser returns the table's parser (for callers that want the template too).
func (t *Table) Parser() *Parser { return t.p }

// Stats returns the counts so far.
func (t *Table) Stats() Stats { return t.stats }

// Tag parses raw (an Event.CampaignTag) and interns its campaign and variant at event
// time now. It returns the zero Ref unless the outcome is Tagged. Counted in Stats.
func (t *Table) Tag(raw []byte, now int64) (Ref, Outcome) {
	if len(raw) == 0 {
		t.stats.NoTag++
		return 0, NoTag
	}
	tag, o := t.p.Parse(raw)
	switch o {
	case NoTag:
		t.stats.NoTag++
		return 0, o
	case Refused:
		t.stats.Refused++
		t.stats.RefusedBy[t.p.reason]++
		return 0, o
	}
	t.stats.Tagged++
	return t.Intern(tag.Campaign, tag.Variant, now), Tagged
}

// Intern returns the Ref of (campaign, variant), clean label values (as Parse gives),
// creating it within the caps, else folding into LabelOther; now (event time) keeps the
// campaign alive.
func (t *Table) Intern(campaign, variant []byte, now int64) Ref {
	i, ok := t.byName[string(campaign)]
	if !ok {
		i = t.newSlot(campaign)
	}
	s := &t.slots[i]
	if now > s.last {
		s.last = now
	}
	v := -1
	for j, name := range s.variants {
		if name == string(variant) {
			v = j
			break
		}
	}
	if v < 0 {
		v = t.newVariant(s, variant)
	}
	return makeRef(i, v, s.gen)
}

// newSlot returns the slot of a campaign not yet interned: a new one within the caps,
// else the LabelOther slot.
func (t *Table) newSlot(campaign []byte) int {
	name := string(campaign)
	_, allowed := t.allowC[name]
	if (t.allowC != nil && !allowed) || t.liveNamed >= t.maxC {
		t.stats.CampaignOverflow++
		if i, ok := t.byName[LabelOther]; ok {
			return i
		}
		name = LabelOther
	} else {
		t.liveNamed++
	}
	var i int
	if n := len(t.free); n > 0 {
		i = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		t.slots = append(t.slots, slot{})
		i = len(t.slots) - 1
	}
	s := &t.slots[i]
	s.name, s.live, s.last, s.variants = name, true, 0, s.variants[:0]
	t.byName[name] = i
	return i
}

func (t *Table) newVariant(s *slot, variant []byte) int {
	name := string(variant)
	_, allowed := t.allowV[name]
	named := 0
	for _, v := range s.variants {
		if v != LabelOther {
			named++
		}
	}
	if (t.allowV != nil && !allowed) || named >= t.maxV {
		t.stats.VariantOverflow++
		for j, v := range s.variants {
			if v == LabelOther {
				return j
			}
		}
		name = LabelOther
	}
	s.variants = append(s.variants, name)
	return len(s.variants) - 1
}

// Resolve returns the labels of r; ok is false for the zero Ref and for a Ref whose
// campaign has expired since.
func (t *Table) Resolve(r Ref) (campaign, variant string, ok bool) {
	i := r.slot()
	if r == 0 || i < 0 || i >= len(t.slots) {
		return "", "", false
	}
	s := &t.slots[i]
	if !s.live || s.gen != r.gen() || r.variant() >= len(s.variants) {
		return "", "", false
	}
	return s.name, s.variants[r.variant()], true
}

// Touch records an event of r's campaign at event time now (a delivery, reply, click,
// opt-out or conversion credited to it), which keeps it from expiring. It reports whether
// r is still live.
func (t *Table) Touch(r Ref, now int64) bool {
	i := r.slot()
	if r == 0 || i < 0 || i >= len(t.slots) {
		return false
	}
	s := &t.slots[i]
	if !s.live || s.gen != r.gen() {
		return false
	}
	if now > s.last {
		s.last = now
	}
	return true
}

// Expire drops every campaign whose latest event is ExpireAfter or more before now
// (last + expire_after <= now), frees its slot (Refs to it stop resolving) and appends
// its name to dst, which it returns: the caller removes those series from the exposition.
func (t *Table) Expire(now int64, dst []string) []string {
	for i := range t.slots {
		s := &t.slots[i]
		if !s.live || s.last+t.expire > now {
			continue
		}
		dst = append(dst, s.name)
		delete(t.byName, s.name)
		if s.name != LabelOther {
			t.liveNamed--
		}
		s.live = false
		s.gen++
		s.name = ""
		t.free = append(t.free, i)
		t.stats.Expired++
	}
	return dst
}

// Label is one live (campaign, variant) pair.
type Label struct {
	Ref               Ref
	Campaign, Variant string
}

// Labels appends every live pair to dst (slot order, then variant order) and returns it:
// the label grid the exporter pre-initialises or iterates at scrape.
func (t *Table) Labels(dst []Label) []Label {
	for i := range t.slots {
		s := &t.slots[i]
		if !s.live {
			continue
		}
		for v, name := range s.variants {
			dst = append(dst, Label{Ref: makeRef(i, v, s.gen), Campaign: s.name, Variant: name})
		}
	}
	return dst
}

// Len returns the number of live campaigns (LabelOther included).
func (t *Table) Len() int { return len(t.byName) }
