// Phone number quality updates (rating, messaging limit) and display numbers.

package window

import (
	"github.com/waba-exporter/waba_exporter/model"
)

func (m *Machine) applyQuality(ev *model.Event) {
	if ev.LimitRecipients != 0 {
		// business_capability_update: the portfolio's limit (docs/spec.md 4.8).
		m.applyCapability(ev)
		if len(ev.Business) == 0 && len(ev.DisplayNumber) == 0 {
			return
		}
	}
	var bi uint16
	var ok bool
	switch {
	case len(ev.Business) > 0:
		bi, ok = m.business(ev.Business)
	case len(ev.DisplayNumber) > 0:
		bi, ok = m.displayTo[string(ev.DisplayNumber)]
		if !ok {
			// The phone_number_id of this display number is not known yet: keep the
			// update aside and merge it once a message webhook names both.
			b := m.pending[string(ev.DisplayNumber)]
			if b == nil {
				if len(m.pending) >= m.cfg.MaxBusinesses {
					m.drop(DropBusinessCap, nil)
					return
				}
				b = newBusiness(string(ev.DisplayNumber))
				m.pending[b.ID] = b
			}
			m.applyQualityTo(b, ev)
			return
		}
	}
	if !ok {
		if len(ev.Business) > 0 {
			m.drop(m.businessDropReason(ev.Business), ev.Business)
		} else {
			m.dropNoBusiness(ev)
		}
		return
	}
	m.applyQualityTo(m.biz[bi], ev)
}

func (m *Machine) applyQualityTo(b *Business, ev *model.Event) {
	name := lowerBounded(ev.EventName, qualityEvents)
	b.QualityEvents[name]++
	// The latest update by event time sets the limit, and the latest that says anything
	// of quality sets the rating, whatever the arrival order.
	if len(ev.Limit) > 0 && !b.limitFixed && m.cfg.ParseLimit != nil && ev.Time >= b.limitAt {
		b.limitAt = ev.Time
		if lim, ok := m.cfg.ParseLimit(string(ev.Limit)); ok {
			b.Limit, b.LimitKnown = lim, true
		} else {
			b.LimitKnown = false // TIER_NOT_SET or unknown: not exported
		}
	}
	r := ev.Rating
	switch {
	case r != model.RatingNone:
	case name == "flagged":
		r = model.RatingRed
	case name == "unflagged":
		r = model.RatingGreen
	}
	if r != model.RatingNone && ev.Time >= b.ratingAt {
		b.Rating, b.ratingAt = r, ev.Time
	}
}

// learnDisplay maps a display phone number to business bi on its first sight (bounded
// by four per business allowed), and merges the quality updates kept aside for it.
func (m *Machine) learnDisplay(bi uint16, display []byte) {
	if m.biz[bi].Display == string(display) {
		return // the number's own display, known since first seen (displayTo holds it)
	}
	if _, known := m.displayTo[string(display)]; known || len(m.displayTo) >= m.cfg.MaxBusinesses*4 {
		return
	}
	m.displayTo[string(display)] = bi
	b := m.biz[bi]
	if b.Display == "" {
		b.Display = string(display)
	}
	if p := m.pending[string(display)]; p != nil {
		b.mergeQuality(p)
		delete(m.pending, string(display))
	}
}
