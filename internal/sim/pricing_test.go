package sim

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// An independent checker of docs/spec.md sections 4.3 and 4.4: it rebuilds every pair's windows from the
// log alone (inbound timestamps, sent/delivered/read timestamps, the ids the log
// reports), classifies each message at its send second, and compares with the pricing
// and conversation objects the simulator wrote. The only fact it takes from the
// simulator is each message's own category (template category or free-form), which a
// CBP webhook does not carry.

const ckSwitch = 1751328000 // 2025-07-01T00:00:00Z

type ckWindow struct {
	id  string
	exp int64
	cbp bool
}

type ckPair struct {
	csw, ref int64
	fep      ckWindow
	conv     map[string]*ckWindow
}

type ckExpect struct {
	model, ptype, category string
	conv                   bool
	convID, origin         string // convID empty: the message opens a new one
	expSent                int64
	opens                  string // "", "conversation", "fep"
	rule                   string
}

type ckMsg struct {
	id, pair, own    string
	sent, deliv, rd  int64
	failed           bool
	priced           map[string]*status // status name -> status carrying pricing
	unpricedStatuses []string
	ex               *ckExpect
}

func (m *ckMsg) dsec() int64 {
	if m.deliv >= 0 {
		return m.deliv
	}
	return m.rd
}

type ckEvent struct {
	sec      int64
	phase    int
	order    int
	pair     string
	referral bool
	m        *ckMsg
}

var ownNames = [...]string{"marketing", "utility", "authentication", "service"}

func (p *ckPair) classify(s int64, own string) *ckExpect {
	cbp := s < ckSwitch
	if s < p.fep.exp {
		if cbp || p.fep.cbp {
			return &ckExpect{model: "CBP", category: "referral_conversion", conv: true, convID: p.fep.id, origin: "referral_conversion", expSent: p.fep.exp, rule: "cbp in fep"}
		}
		return &ckExpect{model: "PMP", ptype: "free_entry_point", category: own, conv: true, convID: p.fep.id, origin: "referral_conversion", expSent: p.fep.exp, rule: "pmp in fep"}
	}
	if s < p.ref {
		if cbp {
			return &ckExpect{model: "CBP", category: "referral_conversion", conv: true, origin: "referral_conversion", opens: "fep", rule: "cbp opens fep"}
		}
		return &ckExpect{model: "PMP", ptype: "free_entry_point", category: own, conv: true, origin: "referral_conversion", opens: "fep", rule: "pmp opens fep"}
	}
	join := ""
	if own != "service" {
		if w := p.conv[own]; w != nil && s < w.exp {
			join = own
		}
	} else if w := p.conv["service"]; w != nil && s < w.exp {
		join = "service"
	} else {
		for _, c := range []string{"marketing", "utility", "authentication"} {
			if w := p.conv[c]; w != nil && s < w.exp && (join == "" || w.exp > p.conv[join].exp) {
				join = c
			}
		}
	}
	if join != "" {
		w := p.conv[join]
		rule := "cbp " + own + " joins " + join
		if !cbp {
			rule = "cbp after switch"
		}
		return &ckExpect{model: "CBP", category: join, conv: true, convID: w.id, origin: join, expSent: w.exp, rule: rule}
	}
	if cbp {
		return &ckExpect{model: "CBP", category: own, conv: true, origin: own, opens: "conversation", rule: "cbp " + own + " opens"}
	}
	switch {
	case own == "service":
		return &ckExpect{model: "PMP", ptype: "free_customer_service", category: own, rule: "pmp free-form"}
	case own == "utility" && s < p.csw:
		return &ckExpect{model: "PMP", ptype: "free_customer_service", category: own, rule: "pmp utility in csw"}
	}
	return &ckExpect{model: "PMP", ptype: "regular", category: own, rule: "pmp regular " + own}
}

// checkPricing replays recs through the checker. It returns how many messages each rule
// priced and every disagreement found.
func checkPricing(t *testing.T, recs []rec, cats map[string]uint8) (map[string]int, []string) {
	t.Helper()
	msgs := map[string]*ckMsg{}
	var events []ckEvent
	seenInbound := map[string]bool{}
	order := 0
	for _, r := range recs {
		for _, e := range r.b.Entry {
			for _, ch := range e.Changes {
				v := &ch.Value
				if v.Metadata == nil {
					continue
				}
				for _, in := range v.Messages {
					if seenInbound[in.ID] {
						continue
					}
					seenInbound[in.ID] = true
					order++
					events = append(events, ckEvent{sec: ts(t, in.Timestamp), phase: 0, order: order, pair: v.Metadata.PhoneNumberID + "|" + in.From, referral: in.Referral != nil})
				}
				for i := range v.Statuses {
					st := &v.Statuses[i]
					m := msgs[st.ID]
					if m == nil {
						c, ok := cats[st.ID]
						if !ok {
							t.Fatalf("status of unknown message %s", st.ID)
						}
						m = &ckMsg{id: st.ID, pair: v.Metadata.PhoneNumberID + "|" + st.RecipientID, own: ownNames[c], sent: -1, deliv: -1, rd: -1, priced: map[string]*status{}}
						msgs[st.ID] = m
					}
					sec := ts(t, st.Timestamp)
					first := false
					switch st.Status {
					case "sent":
						first = m.sent < 0
						if first {
							m.sent = sec
						}
					case "delivered":
						first = m.deliv < 0
						if first {
							m.deliv = sec
						}
					case "read":
						first = m.rd < 0
						if first {
							m.rd = sec
						}
					case "failed":
						first = !m.failed
						m.failed = true
					case "played":
						first = true
					}
					if !first {
						continue // a retry
					}
					if st.Pricing != nil {
						m.priced[st.Status] = st
					} else if st.Conversation != nil {
						m.unpricedStatuses = append(m.unpricedStatuses, st.Status+" has a conversation but no pricing")
					}
				}
			}
		}
	}
	for _, m := range msgs {
		if m.sent >= 0 {
			order++
			events = append(events, ckEvent{sec: m.sent, phase: 1, order: order, m: m})
		}
		if d := m.dsec(); d >= 0 && m.sent >= 0 {
			order++
			events = append(events, ckEvent{sec: max(d, m.sent), phase: 2, order: order, m: m})
		}
	}
	slices.SortFunc(events, func(a, b ckEvent) int {
		if a.sec != b.sec {
			return int(a.sec - b.sec)
		}
		if a.phase != b.phase {
			return a.phase - b.phase
		}
		return a.order - b.order
	})
	pairs := map[string]*ckPair{}
	get := func(k string) *ckPair {
		p := pairs[k]
		if p == nil {
			p = &ckPair{conv: map[string]*ckWindow{}}
			pairs[k] = p
		}
		return p
	}
	for _, ev := range events {
		switch ev.phase {
		case 0:
			p := get(ev.pair)
			p.csw = max(p.csw, ev.sec+86400)
			if ev.referral {
				p.ref = max(p.ref, ev.sec+86400)
			}
		case 1:
			ev.m.ex = get(ev.m.pair).classify(ev.sec, ev.m.own)
		case 2:
			m := ev.m
			if m.ex.opens == "" {
				continue
			}
			id := ""
			for _, st := range m.priced {
				if st.Conversation != nil {
					id = st.Conversation.ID
				}
			}
			p := get(m.pair)
			if m.ex.opens == "conversation" {
				w := p.conv[m.ex.origin]
				if w == nil {
					w = &ckWindow{}
					p.conv[m.ex.origin] = w
				}
				if exp := ev.sec + 86400; exp > w.exp || (exp == w.exp && id < w.id) {
					w.id, w.exp = id, exp
				}
				continue
			}
			if exp := ev.sec + 3*86400; exp > p.fep.exp || (exp == p.fep.exp && id < p.fep.id) {
				p.fep = ckWindow{id: id, exp: exp, cbp: m.ex.model == "CBP"}
			}
			for _, w := range p.conv {
				w.exp = min(w.exp, ev.sec)
			}
		}
	}

	// Compare, for messages far enough from the end of the log that every event before
	// their statuses has arrived.
	cutoff := recs[len(recs)-1].at.Unix() - 2*3600
	counts := map[string]int{}
	var bad []string
	for _, m := range msgs {
		for _, u := range m.unpricedStatuses {
			bad = append(bad, m.id+": "+u)
		}
		for _, st := range []string{"failed", "played"} {
			if m.priced[st] != nil {
				bad = append(bad, m.id+": pricing on "+st)
			}
		}
		if m.sent < 0 || m.sent >= cutoff {
			continue
		}
		ex := m.ex
		if m.priced["sent"] == nil {
			bad = append(bad, m.id+": sent without pricing")
		}
		if m.rd >= 0 && m.rd < cutoff-3600 {
			n := 0
			for _, st := range []string{"delivered", "read"} {
				if m.priced[st] != nil {
					n++
				}
			}
			if n != 1 {
				bad = append(bad, fmt.Sprintf("%s: pricing on %d of delivered/read", m.id, n))
			}
		}
		counts[ex.rule]++
		var openedID string
		for name, st := range m.priced {
			pr := st.Pricing
			where := m.id + " " + name + " (" + ex.rule + "): "
			if pr.PricingModel != ex.model || pr.Category != ex.category || pr.Type != ex.ptype {
				bad = append(bad, fmt.Sprintf("%sgot %s/%s/%s", where, pr.PricingModel, pr.Type, pr.Category))
				continue
			}
			billable := pr.Type == "regular"
			if ex.model == "CBP" {
				billable = slices.Contains([]string{"marketing", "utility", "authentication"}, ex.category)
			}
			if pr.Billable == nil || *pr.Billable != billable {
				bad = append(bad, where+"billable")
			}
			c := st.Conversation
			if (c != nil) != ex.conv {
				bad = append(bad, fmt.Sprintf("%sconversation present %v", where, c != nil))
				continue
			}
			if c == nil {
				continue
			}
			if c.Origin.Type != ex.origin {
				bad = append(bad, where+"origin "+c.Origin.Type)
			}
			if ex.opens == "" && c.ID != ex.convID {
				bad = append(bad, where+"joined conversation id")
			}
			if ex.opens != "" {
				if openedID != "" && openedID != c.ID {
					bad = append(bad, where+"opener ids differ")
				}
				openedID = c.ID
			}
			var wantExp int64
			switch {
			case name == "sent":
				wantExp = ex.expSent
			case ex.opens == "conversation":
				wantExp = m.dsec() + 86400
			case ex.opens == "fep":
				wantExp = m.dsec() + 3*86400
			}
			var gotExp int64
			if c.Expiration != "" {
				gotExp = ts(t, c.Expiration)
			}
			if gotExp != wantExp {
				bad = append(bad, fmt.Sprintf("%sexpiration %d, want %d", where, gotExp, wantExp))
			}
		}
	}
	return counts, bad
}

func TestPricingFollowsSpec(t *testing.T) {
	cases := []struct {
		name  string
		start time.Time
		rate  float64
		lines int
		// rules that must have priced messages, to show the case covers them
		want []string
	}{
		{"pmp", time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC), 0.5, 30000, []string{
			"pmp in fep", "pmp opens fep", "pmp free-form", "pmp utility in csw",
			"pmp regular marketing", "pmp regular utility", "pmp regular authentication"}},
		{"cbp", time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), 0.5, 30000, []string{
			"cbp in fep", "cbp opens fep", "cbp service opens", "cbp marketing opens",
			"cbp utility opens", "cbp authentication opens", "cbp service joins service",
			"cbp service joins marketing", "cbp marketing joins marketing", "cbp utility joins utility"}},
		// 6 hours of CBP, then the switch to PMP with CBP conversations still open
		{"mixed", time.Date(2025, 6, 30, 18, 0, 0, 0, time.UTC), 1, 40000, []string{
			"cbp service opens", "cbp after switch", "pmp free-form", "pmp regular marketing", "pmp opens fep"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lines := tc.lines
			if testing.Short() && tc.name != "mixed" {
				// still every rule of the case (the mixed one needs its full run to cross
				// the switch); a marketing template joining a marketing conversation is
				// rare: the cbp case keeps half its run
				lines /= 3
				if tc.name == "cbp" {
					lines = tc.lines / 2
				}
			}
			recs, cats := generate(t, Options{Seed: 7, Start: tc.start, Rate: tc.rate, Customers: 3000}, lines)
			counts, bad := checkPricing(t, recs, cats)
			for i, b := range bad {
				if i == 20 {
					t.Errorf("... and %d more", len(bad)-20)
					break
				}
				t.Error(b)
			}
			for _, r := range tc.want {
				if counts[r] == 0 {
					t.Errorf("no message priced by rule %q; counts %v", r, counts)
				}
			}
			t.Logf("messages by rule: %v", counts)
		})
	}
}
