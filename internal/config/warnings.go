package config

import (
	"fmt"
	"time"

	"github.com/waba-exporter/waba_exporter/window"
)

// PricingSwitch is when Meta moved from conversation-based pricing (CBP) to per-message
// pricing (PMP): 2025-07-01T00:00:00Z.
var PricingSwitch = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

// Warnings returns advice on a valid configuration, as "field: message" lines: settings
// that are allowed but probably not what the user wants at time now. They are not
// errors (check-config prints them and exits 0). Today: a quota of unit conversations
// whose current period lies after the switch to per-message pricing, where it counts
// nothing. The period is the one the state machine counts in (window owns the period
// arithmetic; it is asked here, not repeated).
func Warnings(c *Config, now time.Time) []string {
	var out []string
	for i, q := range c.Quotas {
		if q.Unit != UnitConversations {
			continue
		}
		start := periodStart(q.Period, now)
		if start.Before(PricingSwitch) {
			continue
		}
		out = append(out, fmt.Sprintf("quotas[%d].unit: %q counts conversation-based pricing (CBP) conversations only, and the current period (from %s) lies after the switch to per-message pricing on %s: this quota will not move; use unit %q (what Meta charges in each era) or %q",
			i, q.Unit, start.Format("2006-01-02"), PricingSwitch.Format("2006-01-02"), UnitBillable, UnitBillableMessages))
	}
	return out
}

// periodStart returns the start of the quota period containing now, as the state machine
// computes it: from the view of an empty machine holding only that quota.
func periodStart(p Period, now time.Time) time.Time {
	wq := window.Quota{Name: "q", Limit: 1, Location: p.Location()}
	if p.Type == PeriodResetDay {
		wq.ResetDay = p.ResetDay
	}
	m := window.New(window.Config{Quotas: []window.Quota{wq}, MaxMessages: 1, MaxCustomers: 1, MaxConversations: 1, MaxBuffered: 1})
	return time.Unix(m.View(now.Unix()).Quotas[0].Start, 0).In(wq.Location)
}
