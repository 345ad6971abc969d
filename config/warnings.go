package config

import (
	"fmt"
	"time"
)

// PricingSwitch is when Meta moved from conversation-based pricing (CBP) to per-message
// pricing (PMP): 2025-07-01T00:00:00Z.
var PricingSwitch = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

// Warnings returns advice on a valid configuration, as "field: message" lines: settings
// that are allowed but probably not what the user wants at time now. They are not
// errors (check-config prints them and exits 0). Today: a quota of unit conversations
// whose current period lies after the switch to per-message pricing, where it counts
// nothing.
func Warnings(c *Config, now time.Time) []string {
	var out []string
	for i, q := range c.Quotas {
		if q.Unit != UnitConversations {
			continue
		}
		start := q.Period.start(now)
		if start.Before(PricingSwitch) {
			continue
		}
		out = append(out, fmt.Sprintf("quotas[%d].unit: %q counts conversation-based pricing (CBP) conversations only, and the current period (from %s) lies after the switch to per-message pricing on %s: this quota will not move; use unit %q (what Meta charges in each era) or %q",
			i, q.Unit, start.Format("2006-01-02"), PricingSwitch.Format("2006-01-02"), UnitBillable, UnitBillableMessages))
	}
	return out
}

// start returns the start of the period containing now.
func (p Period) start(now time.Time) time.Time {
	loc := p.Location()
	t := now.In(loc)
	day := 1
	if p.Type == PeriodResetDay && p.ResetDay > 0 {
		day = p.ResetDay
	}
	s := time.Date(t.Year(), t.Month(), day, 0, 0, 0, 0, loc)
	if s.After(t) {
		s = s.AddDate(0, -1, 0)
	}
	return s
}
