// Inbound messages, user preferences and opt-out / opt-in signals.

package window

import (
	"bytes"

	"github.com/waba-exporter/waba_exporter/model"
)

// optOut counts an opt-out signal by source and, when it moves the customer from not
// opted out to opted out, the customer (docs/spec.md 4.7; a signal without a customer counts as
// a move). Moves are decided in arrival order.
func (m *Machine) optOut(b *Business, src Source, c *custState) {
	b.OptOuts[src]++
	if c == nil || !c.optedOut() {
		b.OptedOutCustomers++
	}
	if c != nil {
		c.setOptedOut(true)
	}
}

// optIn counts a resume signal; the customer can opt out again.
func (m *Machine) optIn(b *Business, src Source, c *custState) {
	b.OptIns[src]++
	if c != nil {
		c.setOptedOut(false)
	}
}

func (m *Machine) applyInbound(bi uint16, ev *model.Event) {
	b := m.biz[bi]
	t := ev.Time
	if len(ev.MessageID) > 0 {
		mk := m.hashID(idMessage, ev.MessageID)
		ms, fresh := m.msgs.getOrCreate(mk, t, &m.self.Evictions[EvictMessage])
		if !fresh {
			m.self.DuplicateMessage++
			return
		}
		ms.flags = mfInbound
		ms.biz = bi
		m.campClick(ev)
	}
	mt := ev.MessageType
	if mt == model.MessageTypeNone {
		mt = model.MessageTypeOther
	}
	b.Inbound[mt]++
	var ck uint64
	var c *custState
	if id := m.identity(ev, t); id != 0 && t > 0 {
		ck, c = m.customer(bi, id, ev, t)
	}
	// Opt-outs and opt-ins by keyword or button payload (whole message, any case). A
	// button payload that matches an opt-in keyword is the keyword source.
	switch {
	case len(ev.Payload) > 0 && matchKeyword(ev.Payload, m.kwOutPayload):
		m.optOut(b, SourceButton, c)
		m.campOptOut(ck, t)
	case len(ev.Text) > 0 && matchKeyword(ev.Text, m.kwOut):
		m.optOut(b, SourceKeyword, c)
		m.campOptOut(ck, t)
	case len(ev.Text) > 0 && matchKeyword(ev.Text, m.kwIn), len(ev.Payload) > 0 && matchKeyword(ev.Payload, m.kwIn):
		m.optIn(b, SourceKeyword, c)
	}
	if c == nil {
		return
	}
	it := item{t: t, cls: clsInbound, cust: ck, referral: ev.Referral}
	if len(ev.ContextID) > 0 {
		it.msg = m.hashID(idContext, ev.ContextID)
		it.hasCtx = true
	}
	m.enqueue(it)
}

// matchKeyword reports whether text, trimmed of spaces and final punctuation, equals one
// of the keywords ignoring case (Unicode simple folding, so keywords of any script match).
// It does not allocate.
func matchKeyword(text []byte, keywords [][]byte) bool {
	if len(text) > 64 || len(keywords) == 0 {
		return false
	}
	s := bytes.TrimRight(bytes.TrimSpace(text), ".!¡?¿ ")
	for _, k := range keywords {
		if bytes.EqualFold(s, k) {
			return true
		}
	}
	return false
}

func byteStrings(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// applyPreference applies a user_preferences webhook: a stop opts the customer out of
// marketing, a resume opts them back in (docs/spec.md 4.7).
func (m *Machine) applyPreference(bi uint16, ev *model.Event) {
	b := m.biz[bi]
	var c *custState
	var ck uint64
	if id := m.identity(ev, ev.Time); id != 0 && ev.Time > 0 {
		ck, c = m.customer(bi, id, ev, ev.Time)
	}
	switch ev.Preference {
	case model.PreferenceStop:
		m.optOut(b, SourceUserPreferences, c)
		m.campOptOut(ck, ev.Time)
	case model.PreferenceResume:
		m.optIn(b, SourceUserPreferences, c)
	}
}
