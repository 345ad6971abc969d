package config

import (
	"strings"
	"testing"
	"time"
)

// TestWarnings: a conversations quota warns when its current period lies after the
// switch to per-message pricing (and only then); other units never warn; the
// configuration stays valid.
func TestWarnings(t *testing.T) {
	yml := `quotas:
  - {name: conv, limit: 10, unit: conversations}
  - {name: conv-sp, limit: 10, unit: conversations, period: {type: reset_day, reset_day: 15, timezone: America/Sao_Paulo}}
  - {name: all, limit: 10, unit: billable}
  - {name: msgs, limit: 10, unit: billable_messages}
`
	cfg, err := Parse([]byte(yml), "waba.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now  time.Time
		want []string // quota indexes warned about, as field prefixes
	}{
		{time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC), []string{"quotas[0].unit", "quotas[1].unit"}},
		{time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), []string{"quotas[0].unit"}}, // Sao Paulo: still June 30, period from June 15
		{time.Date(2025, 7, 20, 0, 0, 0, 0, time.UTC), []string{"quotas[0].unit", "quotas[1].unit"}},
		{time.Date(2025, 6, 30, 23, 0, 0, 0, time.UTC), nil},
	} {
		got := Warnings(cfg, tc.now)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d warnings %q, want %d", tc.now, len(got), got, len(tc.want))
			continue
		}
		for i, w := range got {
			if !strings.HasPrefix(w, tc.want[i]+": ") || !strings.Contains(w, `"billable"`) {
				t.Errorf("%s: warning %q, want one on %s suggesting billable", tc.now, w, tc.want[i])
			}
		}
	}
}
