// Bounded label values the machine derives from events: error codes (capped) and the
// known names of quality, template and account events.

package window

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/waba-exporter/waba_exporter/model"
)

func (m *Machine) errorLabel(ev *model.Event) string {
	if !errorCodeSafe(ev) {
		return "other" // not a known code: never customer data in a label (errorcode.go)
	}
	var s string
	switch {
	case ev.ErrorCode != 0:
		var buf [20]byte
		b := strconv.AppendInt(buf[:0], ev.ErrorCode, 10)
		if l, ok := m.errCodes.lookup(b); ok {
			return l
		}
		s = string(b)
	case len(ev.ErrorCodeRaw) > 0:
		if l, ok := m.errCodes.lookup(ev.ErrorCodeRaw); ok {
			return l
		}
		s = strings.ToLower(string(ev.ErrorCodeRaw))
		if len(s) > 32 {
			s = s[:32]
		}
	default:
		return "none"
	}
	l, over := m.errCodes.add(s)
	if over {
		m.self.LabelOverflow["error_code"]++
	}
	return l
}

var qualityEvents = []string{"flagged", "unflagged", "upgrade", "downgrade", "onboarding", "throughput_upgrade", "throughput_downgrade"}

var templateEvents = []string{"approved", "rejected", "pending", "paused", "disabled", "flagged", "reinstated", "pending_deletion", "in_appeal", "limit_exceeded", "archived", "deleted"}

var accountEvents = []string{"verified_account", "disabled_update", "account_violation", "account_restriction", "volume_based_pricing_tier_update", "account_update", "partner_added", "partner_removed", "ad_account_linked", "phone_number_added", "phone_number_removed", "business_primary_location_country_update"}

func templateEventName(b []byte) string { return lowerBounded(b, templateEvents) }

// lowerBounded returns the lower-cased value if it is one of known, else "other". ASCII
// values are lowered in a buffer on the stack and compared in place (no allocation);
// others go through strings.ToLower.
func lowerBounded(b []byte, known []string) string {
	if len(b) > 48 {
		return "other"
	}
	var buf [48]byte
	lower := buf[:len(b)]
	for i, c := range b {
		if c >= utf8.RuneSelf {
			lower = []byte(strings.ToLower(string(b)))
			break
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	for _, k := range known {
		if string(lower) == k {
			return k
		}
	}
	return "other"
}
