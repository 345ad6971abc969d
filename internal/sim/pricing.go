package sim

import (
	"bytes"
	"strconv"
)

// Pricing model (docs/spec.md section 4), evaluated per (business number, customer) pair on the
// integer-second timestamps the log shows:
//   - customer service window (CSW): open at s iff some inbound i <= s < i+24h;
//     a referral is pending likewise for inbound messages that carry `referral`;
//   - a conversation or free entry point (FEP) window opens at its opener's delivery
//     second d and is open at s iff d < s < d+24h (FEP d+72h);
//   - a message is classified at its send second s against what is open at s.
// CBP (sent before the switch), first rule that applies: in an open FEP window; opens an
// FEP window when a referral is pending; a template of category X joins the open X
// conversation or opens one; a free-form message joins the open service conversation,
// else the open conversation that expires last (ties: marketing, utility,
// authentication), else opens a service conversation. An FEP window closes the CBP
// conversations open when it opens.
// PMP (sent from the switch): in an open FEP window (CBP referral_conversion when a
// CBP-era message opened it); opens an FEP window when a referral is pending; joins a
// CBP conversation still open as CBP rules 3-4 would (only after a CBP era); free-form
// -> free_customer_service; utility in an open CSW -> free_customer_service; any other
// template -> regular.

// switchTS is 2025-07-01T00:00:00Z, the start of per-message pricing.
const switchTS = 1751328000

const (
	cswSeconds  = 86400
	convSeconds = 86400
	fepSeconds  = 3 * 86400
)

type window struct {
	id  convID
	exp int64 // open while s < exp; 0 when none was ever opened
}

// better reports whether a window (id, exp) should replace w as the one later messages
// fall into: the one that expires last, and of equal expiry the smallest id.
func (w *window) better(id convID, exp int64) bool {
	return exp > w.exp || (exp == w.exp && bytes.Compare(id[:], w.id[:]) < 0)
}

// pairState is the state of one (business number, customer) pair.
type pairState struct {
	csw    int64 // CSW open while s < csw
	ref    int64 // referral pending while s < ref
	fep    window
	fepCBP bool         // the FEP window was opened by a CBP-era message
	conv   [nCat]window // CBP conversations by origin category
	optOut int64        // traffic realism: marketing opted out since (0: never)
	optIn  int64        // ... and opted in again since (0: never)
}

func (s *Sim) pair(cust int32, p int) int32 { return cust*int32(nPhones) + int32(p) }

const slabSize = 1024

// state returns the state of a pair, allocating it on first use: most customers only
// ever write to one number, so states live in fixed-size slabs (pointers stay valid)
// indexed by pairIdx (0: none yet).
func (s *Sim) state(pair int32) *pairState {
	i := s.pairIdx[pair]
	if i == 0 {
		n := s.nStates
		if n%slabSize == 0 {
			s.slabs = append(s.slabs, new([slabSize]pairState))
		}
		s.nStates++
		i = int32(s.nStates)
		s.pairIdx[pair] = i
	}
	i--
	return &s.slabs[i/slabSize][i%slabSize]
}

func (s *Sim) inboundSeen(pair int32, sec int64, referral bool) {
	st := s.state(pair)
	e := sec + cswSeconds
	st.csw = max(st.csw, e)
	if referral {
		st.ref = max(st.ref, e)
	}
}

func (s *Sim) newConvID() convID {
	var id convID
	a, b := s.cr.u64(), s.cr.u64()
	for i := range 8 {
		id[i] = byte(a >> (56 - 8*i))
		id[8+i] = byte(b >> (56 - 8*i))
	}
	return id
}

func (m *omsg) setCBP(cat uint8, id convID, exp int64) {
	m.cbp = true
	m.pcat = cat
	m.ptype = ptNone
	m.hasConv = true
	m.conv = id
	m.origin = cat
	m.expSent = exp
}

// classify applies the rules at m's send second s.
func (s *Sim) classify(m *omsg, sec int64) {
	if m.classified {
		return
	}
	m.classified = true
	st := s.state(s.pair(m.cust, int(m.phone)))
	cbpEra := sec < switchTS
	switch {
	case sec < st.fep.exp:
		if cbpEra || st.fepCBP {
			m.setCBP(catReferral, st.fep.id, st.fep.exp)
		} else {
			m.pcat, m.ptype = m.cat, ptFreeEntryPoint
			m.hasConv, m.conv, m.origin, m.expSent = true, st.fep.id, catReferral, st.fep.exp
		}
	case sec < st.ref:
		m.opens = opensFEP
		id := s.newConvID()
		if cbpEra {
			m.setCBP(catReferral, id, 0)
		} else {
			m.pcat, m.ptype = m.cat, ptFreeEntryPoint
			m.hasConv, m.conv, m.origin = true, id, catReferral
		}
	default:
		joined := -1
		if m.cat != catService {
			if sec < st.conv[m.cat].exp {
				joined = int(m.cat)
			}
		} else if sec < st.conv[catService].exp {
			joined = catService
		} else {
			var best int64 = -1
			for c := range catService {
				if e := st.conv[c].exp; sec < e && e > best {
					joined, best = c, e
				}
			}
		}
		switch {
		case joined >= 0:
			w := &st.conv[joined]
			m.setCBP(uint8(joined), w.id, w.exp)
		case cbpEra:
			m.opens = opensConversation
			m.setCBP(m.cat, s.newConvID(), 0)
		default:
			m.pcat = m.cat
			switch {
			case m.cat == catService:
				m.ptype = ptFreeCustomerService
			case m.cat == catUtility && sec < st.csw:
				m.ptype = ptFreeCustomerService
			default:
				m.ptype = ptRegular
			}
		}
	}
	if m.opens != opensNothing && m.dsec >= 0 {
		// What a message opens runs from its delivery, so the expiry goes on the status
		// that shows the delivery.
		if !m.skipDeliv {
			m.priceOn = stDelivered
		}
		if m.opens == opensFEP {
			m.expDeliv = m.dsec + fepSeconds
		} else {
			m.expDeliv = m.dsec + convSeconds
		}
		d := m.dsec
		if d < sec {
			d = sec // a delivery stamped before its send counts as at the send
		}
		s.pushModel(d, phaseDeliver, modelEv{m: m})
	}
}

// deliver opens what the opener m opens, at its delivery second d.
func (s *Sim) deliver(m *omsg, d int64) {
	st := s.state(s.pair(m.cust, int(m.phone)))
	if m.opens == opensConversation {
		w := &st.conv[m.origin]
		if exp := d + convSeconds; w.better(m.conv, exp) {
			w.id, w.exp = m.conv, exp
		}
		return
	}
	if exp := d + fepSeconds; st.fep.better(m.conv, exp) {
		st.fep.id, st.fep.exp, st.fepCBP = m.conv, exp, m.cbp
	}
	for c := range st.conv {
		if st.conv[c].exp > d {
			st.conv[c].exp = d
		}
	}
}

// appendStatus appends one status object.
func (s *Sim) appendStatus(dst []byte, it *outItem) []byte {
	m := it.m
	dst = append(dst, '{')
	dst = appendKV(dst, "id", m.id)
	dst = append(dst, ',')
	dst = appendKV(dst, "status", stNames[it.st])
	dst = append(dst, ',')
	dst = appendKVIntStr(dst, "timestamp", it.ts)
	dst = append(dst, ',')
	dst = appendKV(dst, "recipient_id", s.custWA[m.cust])
	if m.opaque != "" {
		dst = append(dst, ',')
		dst = appendKV(dst, "biz_opaque_callback_data", m.opaque)
	}
	switch {
	case it.st == stFailed:
		dst = append(dst, ',')
		dst = appendErrors(dst, int(m.err))
	case it.st == stSent || it.st == m.priceOn:
		if !m.classified {
			s.stats.Unclassified++
			break
		}
		exp := m.expSent
		if it.st != stSent {
			exp = m.expDeliv
		}
		if m.hasConv {
			dst = append(dst, `,"conversation":{"id":"`...)
			for _, b := range m.conv {
				dst = append(dst, hexDigits[b>>4], hexDigits[b&15])
			}
			dst = append(dst, '"')
			if exp != 0 {
				dst = append(dst, ',')
				dst = appendKVIntStr(dst, "expiration_timestamp", exp)
			}
			dst = append(dst, `,"origin":{"type":"`...)
			dst = append(dst, catNames[m.origin]...)
			dst = append(dst, `"}}`...)
		}
		dst = append(dst, `,"pricing":{"billable":`...)
		if m.cbp {
			dst = strconv.AppendBool(dst, m.pcat < catService)
			dst = append(dst, `,"pricing_model":"CBP","category":"`...)
		} else {
			dst = strconv.AppendBool(dst, m.ptype == ptRegular)
			dst = append(dst, `,"pricing_model":"PMP","type":"`...)
			dst = append(dst, ptNames[m.ptype]...)
			dst = append(dst, `","category":"`...)
		}
		dst = append(dst, catNames[m.pcat]...)
		dst = append(dst, `"}`...)
	}
	return append(dst, '}')
}
