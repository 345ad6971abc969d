package webhook

import (
	"bytes"

	"github.com/valyala/fastjson"
	"github.com/waba-exporter/waba_exporter/model"
)

// Account-level details of the Cloud API's phone_number_quality_update,
// business_capability_update and account_update changes.

// limits fills the messaging limit of a quality or capability update:
//   - Limit (phone_number_quality_update only): current_limit as given, a tier name such
//     as TIER_2K;
//   - LimitRecipients: the portfolio limit in unique customers per 24 h, -1 unlimited, from
//     max_daily_conversations_per_business (v24+, and phone_number_quality_update since
//     October 2025), else max_daily_conversation_per_phone (v23 and earlier). Meta sends a
//     number; a string of digits is accepted too. A tier name in
//     max_daily_conversations_per_business goes to Limit when current_limit is absent
//     (Meta drops current_limit in 2026). Anything else leaves the fields zero.
func (d *Decoder) limits(ev *model.Event, x *value) {
	if ev.Field != FieldBusinessCapabilityUpdate {
		ev.Limit = scalarBytes(d, x.limit)
	}
	caps := [...]*fastjson.Value{x.perBusiness, x.perPhone}
	for _, v := range caps {
		if v == nil {
			continue
		}
		if n, ok := limitNumber(v); ok {
			ev.LimitRecipients = n
			break
		}
	}
	if len(ev.Limit) > 0 || ev.Field == FieldBusinessCapabilityUpdate {
		return // Limit is a quality update's tier name only
	}
	for _, v := range caps {
		if s := v.GetStringBytes(); hasPrefixFold(s, tierPrefix) {
			ev.Limit = s
			return
		}
	}
}

var tierPrefix = []byte("tier_")

func hasPrefixFold(b, prefix []byte) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], prefix)
}

// maxLimit bounds a plausible messaging limit (Meta's largest finite one is 100,000).
const maxLimit = 1_000_000_000

// limitNumber reads a messaging limit: an integer from -1 (unlimited) to maxLimit, as a
// JSON number or a string of digits. 0 and other values are not a limit.
func limitNumber(v *fastjson.Value) (int64, bool) {
	var n int64
	switch v.Type() {
	case fastjson.TypeNumber:
		f, err := v.Float64()
		if err != nil || f != f || f < -1 || f > maxLimit || f != float64(int64(f)) {
			return 0, false
		}
		n = int64(f)
	case fastjson.TypeString:
		var ok bool
		if n, ok = parseInt(v.GetStringBytes()); !ok {
			return 0, false
		}
	default:
		return 0, false
	}
	if n == 0 || n < -1 || n > maxLimit {
		return 0, false
	}
	return n, true
}

// accountDetails fills the details of an account_update from its value, whatever the
// event (each object appears with its own event):
//   - ban_info.waba_ban_state (DISABLED_UPDATE: SCHEDULE_FOR_DISABLE, DISABLE, REINSTATE)
//     -> AccountState, as given;
//   - restriction_info[].expiration (ACCOUNT_RESTRICTION; unix seconds, number or string)
//     -> RestrictionUntil, the latest one;
//   - volume_tier_info (VOLUME_BASED_PRICING_TIER_UPDATE): pricing_category -> TierCategory,
//     tier -> Tier, tier_update_time -> TierUpdateTime, effective_month -> TierMonth.
//
// Members of unexpected types are left zero; they never make the change invalid.
func accountDetails(ev *model.Event, x *value) {
	if x.banInfo != nil && x.banInfo.Type() == fastjson.TypeObject {
		ev.AccountState = x.banInfo.GetStringBytes("waba_ban_state")
	}
	if x.restrictions != nil && x.restrictions.Type() == fastjson.TypeArray {
		arr, _ := x.restrictions.Array()
		for _, r := range arr {
			if r.Type() != fastjson.TypeObject {
				continue
			}
			if t := optUnix(r.Get("expiration")); t > ev.RestrictionUntil {
				ev.RestrictionUntil = t
			}
		}
	}
	if vt := x.volumeTier; vt != nil && vt.Type() == fastjson.TypeObject {
		o, _ := vt.Object()
		o.Visit(func(k []byte, v *fastjson.Value) {
			switch string(k) {
			case "pricing_category":
				ev.TierCategory = model.ParseCategory(v.GetStringBytes())
			case "tier":
				ev.Tier = v.GetStringBytes()
			case "tier_update_time":
				ev.TierUpdateTime = optUnix(v)
			case "effective_month":
				ev.TierMonth = v.GetStringBytes()
			}
		})
	}
}
