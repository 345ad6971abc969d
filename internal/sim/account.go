package sim

import (
	"math"
	"strconv"
)

// Account-level webhooks: phone_number_quality_update, business_capability_update,
// message_template_status_update, account_update, user_preferences and value-level
// errors. They are prebuilt lines: nothing in them depends on the pricing model.

// qualityState is a number's messaging limit tier and whether it is flagged.
type qualityState struct {
	tier         int
	flaggedUntil float64 // flagged (quality dropped) until its resolution at this time
	resolutions  int
}

// adminEvent emits one account-level webhook of a random kind.
func (s *Sim) adminEvent(t float64) {
	p := s.r.intn(nPhones)
	switch s.r.pick([]float64{26, 20, 18, 8, 8, 20}) {
	case 0:
		s.qualityStep(t, p)
	case 1:
		s.templateStatus(t, p)
	case 2:
		if s.stoppedN > 0 && s.r.chance(0.35) {
			pair := s.stopped[s.r.intn(len(s.stopped))]
			c, ph := pair/int32(nPhones), int(pair%int32(nPhones))
			if s.optedOut(pair, t) {
				s.userPreference(t, ph, c, false)
				s.setOptIn(pair, t)
				return
			}
		}
		c := s.pickCustomer(p)
		s.userPreference(t, p, c, true)
		s.setOptOut(s.pair(c, p), t)
	case 3:
		s.accountUpdate(t, p)
	case 4:
		s.capabilityUpdate(t, p)
	default:
		s.valueError(t, p)
	}
}

// qualityStep emits the next quality event of number p, or another account event while
// p is flagged: a flag is resolved by its own event 2-36 hours later, alternately
// UNFLAGGED and DOWNGRADE (one tier down).
func (s *Sim) qualityStep(t float64, p int) {
	q := &s.quality[p]
	top := len(tiers) - 1
	switch {
	case t < q.flaggedUntil:
		s.templateStatus(t, p)
	case s.r.chance(0.5):
		s.qualityUpdate(t, p, "FLAGGED", -1)
		end := t + s.r.uniform(2*3600, 36*3600)
		q.flaggedUntil = end
		if q.resolutions++; q.resolutions%2 == 1 || q.tier == 0 {
			s.qualityUpdate(end, p, "UNFLAGGED", -1)
		} else {
			q.tier--
			s.qualityUpdate(end, p, "DOWNGRADE", q.tier+1)
		}
	case q.tier == top:
		s.qualityUpdate(t, p, "THROUGHPUT_UPGRADE", -1)
	default:
		q.tier++
		s.qualityUpdate(t, p, "UPGRADE", q.tier-1)
	}
}

// qualityUpdate writes a phone_number_quality_update for number p with its current
// limit; oldTier >= 0 adds old_limit (sent only with limit changes).
func (s *Sim) qualityUpdate(t float64, p int, event string, oldTier int) {
	ph := &phones[p]
	b := appendAccountStart(nil, ph.waba, int64(t))
	b = appendKV(b, "display_phone_number", ph.display)
	b = append(b, ',')
	b = appendKV(b, "event", event)
	if oldTier >= 0 {
		b = append(b, ',')
		b = appendKV(b, "old_limit", tiers[oldTier])
	}
	b = append(b, ',')
	b = appendKV(b, "current_limit", tiers[s.quality[p].tier])
	b = appendAccountEnd(b, "phone_number_quality_update")
	s.pushLine(t, b)
}

// capabilityUpdate writes a business_capability_update for the account of number p.
func (s *Sim) capabilityUpdate(t float64, p int) {
	tier := 0
	for i := range phones {
		if phones[i].waba == phones[p].waba {
			tier = max(tier, s.quality[i].tier)
		}
	}
	b := appendAccountStart(nil, phones[p].waba, int64(t))
	b = appendKVInt(b, "max_daily_conversation_per_phone", int64(tierCap[tier]))
	b = append(b, ',')
	b = appendKVInt(b, "max_daily_conversations_per_business", int64(tierCap[tier]))
	b = append(b, ',')
	b = appendKVInt(b, "max_phone_numbers_per_waba", 25)
	b = appendAccountEnd(b, "business_capability_update")
	s.pushLine(t, b)
}

func (s *Sim) templateStatus(t float64, p int) {
	tp := templates[s.r.intn(len(templates))]
	b := appendAccountStart(nil, phones[p].waba, int64(t))
	ev, reason := "APPROVED", "NONE"
	switch s.r.pick([]float64{62, 14, 12, 6, 6}) {
	case 1:
		ev = "REJECTED"
		reason = [...]string{"INVALID_FORMAT", "INCORRECT_CATEGORY", "TAG_CONTENT_MISMATCH"}[s.r.intn(3)]
	case 2:
		ev = "PAUSED"
	case 3:
		ev = "DISABLED"
	case 4:
		ev = "PENDING"
	}
	b = appendKV(b, "event", ev)
	b = append(b, ',')
	b = appendKVInt(b, "message_template_id", 1000000000000000+int64(s.r.u64()%999999999999999))
	b = append(b, ',')
	b = appendKV(b, "message_template_name", tp[0])
	b = append(b, ',')
	b = appendKV(b, "message_template_language", tp[2])
	b = append(b, ',')
	b = appendKV(b, "reason", reason)
	b = append(b, ',')
	b = appendKV(b, "message_template_category", tp[1])
	b = appendAccountEnd(b, "message_template_status_update")
	s.pushLine(t, b)
}

func (s *Sim) accountUpdate(t float64, p int) {
	if !s.tierSent {
		// Before the first account update, a volume tier update with fixed values, so the
		// demo always shows the tier (a random draw left some months without one). It
		// draws nothing from the traffic stream, which stays as it was.
		s.tierSent = true
		b := appendAccountStart(nil, phones[p].waba, int64(t))
		b = append(b, `"event":"VOLUME_BASED_PRICING_TIER_UPDATE","volume_tier_info":{"tier_update_time":`...)
		b = strconv.AppendInt(b, int64(t), 10)
		b = append(b, `,"pricing_category":"UTILITY","tier":"0:25000",`...)
		b = appendKV(b, "effective_month", unixTime(t).Format("2006-01"))
		b = append(b, '}')
		// Delivered a second later: pushLine would draw a latency from the traffic stream.
		s.out.Push(outItem{at: micros(t + 1), seq: s.nextSeq(), line: appendAccountEnd(b, "account_update"), kind: itemLine})
	}
	b := appendAccountStart(nil, phones[p].waba, int64(t))
	switch s.r.intn(4) {
	case 3:
		// Volume pricing tier of one category for the month (Meta: volume_tier_info).
		b = append(b, `"event":"VOLUME_BASED_PRICING_TIER_UPDATE","volume_tier_info":{"tier_update_time":`...)
		b = strconv.AppendInt(b, int64(t), 10)
		b = append(b, ',')
		b = appendKV(b, "pricing_category", [...]string{"UTILITY", "AUTHENTICATION"}[s.r.intn(2)])
		b = append(b, ',')
		b = appendKV(b, "tier", [...]string{"0:25000", "25001:50000", "50001:100000"}[s.r.intn(3)])
		b = append(b, ',')
		b = appendKV(b, "effective_month", unixTime(t).Format("2006-01"))
		b = append(b, '}')
	case 0:
		b = append(b, `"event":"ACCOUNT_VIOLATION","violation_info":{`...)
		b = appendKV(b, "violation_type", [...]string{"SCAM", "SPAM", "ADULT", "PROHIBITED_CONTENT"}[s.r.intn(4)])
		b = append(b, '}')
	case 1:
		b = append(b, `"event":"ACCOUNT_RESTRICTION","restriction_info":[{"restriction_type":"RESTRICTED_BIZ_INITIATED_MESSAGING","expiration":`...)
		b = strconv.AppendInt(b, int64(t)+int64(1+s.r.intn(7))*86400, 10)
		b = append(b, "}]"...)
	default:
		b = append(b, `"event":"DISABLED_UPDATE","ban_info":{"waba_ban_state":"REINSTATE","waba_ban_date":`...)
		b = appendStr(b, unixTime(t).Format("January 2, 2006"))
		b = append(b, '}')
	}
	b = appendAccountEnd(b, "account_update")
	s.pushLine(t, b)
}

// userPreference writes a user_preferences webhook: customer c stopped (or resumed)
// marketing messages from number p.
func (s *Sim) userPreference(t float64, p int, c int32, stop bool) {
	wa := s.custWA[c]
	b := appendEnvelopeStart(nil, p)
	b = append(b, `"contacts":[{"wa_id":"`...)
	b = append(b, wa...)
	b = append(b, `"}],"user_preferences":[{"wa_id":"`...)
	b = append(b, wa...)
	if stop {
		b = append(b, `","detail":"User requested to stop marketing messages","category":"marketing_messages","value":"stop",`...)
	} else {
		b = append(b, `","detail":"User requested to resume marketing messages","category":"marketing_messages","value":"resume",`...)
	}
	b = appendKVInt(b, "timestamp", int64(math.Floor(t)))
	b = append(b, "}]"...)
	b = appendEnvelopeEnd(b, "user_preferences")
	s.pushLine(t, b)
}

// valueError writes a value-level errors webhook (130429, throughput exceeded).
func (s *Sim) valueError(t float64, p int) {
	b := appendEnvelopeStart(nil, p)
	b = appendErrors(b, 130429)
	b = appendEnvelopeEnd(b, "messages")
	s.pushLine(t, b)
}
