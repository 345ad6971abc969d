package config

import (
	"errors"
	"os"
	"testing"
)

// FuzzParse: Parse never panics on any bytes. It returns a configuration or an
// ErrorList, never both; every error names the file and a line, and a field path unless
// it is about the whole file.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"inputs: [{path: a.log, format: twillio}]\n",
		"inputs:\n  - path: a\n    envelope: {body_path: b, receive_time_path: t}\n",
		"quotas:\n  - name: q\n    limit: 10\n    unit: billable\n    period: &p {type: reset_day, reset_day: 5}\n  - {name: r, limit: 1, unit: billable, period: *p}\n",
		"rate_card: {currency: USD, default: {marketing: 0.1}, countries: {br: {utility: 0.01}}}\n",
		"state: {message_ttl: 7d1h, customer_ttl: 35d, allowed_lateness: 5m}\n",
		"messaging_limits: {'1': TIER_1K, '2': 1234}\nportfolios: [{name: p, phone_number_ids: ['1'], messaging_limit: TIER_UNLIMITED}]\n",
		"a: [\n", "--- {}\n--- {}\n", "- 1\n", "labels: {error_code_cap: many}\n",
		// One seed per validation section and per decoder kind, valid and not.
		"inptus: []\n",           // unknown field, did-you-mean
		"state: {}\nstate: {}\n", // duplicate key
		"inputs: {path: a}\n",    // a map where a list belongs
		"inputs: [{path: '[', max_line_bytes: 10}, {path: '['}]\n",         // bad glob, duplicate path, bound
		"opt_out: {keywords: [STOP, stop, ''], opt_in_keywords: [Stop]}\n", // duplicates across lists
		"reply: {window: 30d}\nstate: {message_ttl: 1d}\n",                 // cross-section rule
		"quotas: [{name: q, limit: .inf, unit: billable, filter: {categories: [marketing, marketing, nope]}, period: {type: calendar_month, timezone: Local, reset_day: 3}}]\n",
		"portfolios: [{name: a, waba_ids: ['9', '9']}, {name: b, waba_ids: ['9'], phone_number_ids: ['']}]\n",
		"labels: {phone_number_ids: ['1']}\nmessaging_limits: {'2': TIER_NOT_SET, '': 5}\n",
		"rate_card: {currency: usd, countries: {BR: {}, zz: {marketing: -1}}}\n",
		"state: {max_messages: 1.5, max_businesses: 99999999999999999999, allowed_lateness: forever}\n",
		"campaigns: {format: regex, pattern: '(?P<c>', campaign_key: c}\n",
		"labels: {country_enabled: yes}\n", // YAML 1.1 boolean spelled as a string
		"a: &a [*a, *a]\n",                 // self-referencing alias
		"x: &d {message_ttl: 1h}\nstate: {<<: *d, customer_ttl: 2h}\n",
		"inputs:\n\t- path: a\n", // a tab in the indentation
		"\ufeffstate: {}\n", "\xff\xfe\x00", "~\n", "state: !!binary aGVsbG8=\n",
	} {
		f.Add([]byte(s))
	}
	if ex, err := os.ReadFile(examplePath); err == nil {
		f.Add(ex)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "f.yml")
		if err == nil {
			if cfg == nil {
				t.Fatal("Parse returned neither a configuration nor an error")
			}
			return
		}
		if cfg != nil {
			t.Fatalf("Parse returned a configuration with %v", err)
		}
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error %v (%T) is not a non-empty ErrorList", err, err)
		}
		for _, e := range list {
			if e.File != "f.yml" || e.Line < 1 {
				t.Fatalf("error %q names no file and line", e)
			}
		}
	})
}
