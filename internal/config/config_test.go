package config

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"
)

func TestParseEmptyIsDefault(t *testing.T) {
	for _, in := range []string{"", "\n# only a comment\n", "---\n", "~\n"} {
		cfg, err := Parse([]byte(in), "empty.yml")
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if !reflect.DeepEqual(cfg, Default()) {
			t.Errorf("Parse(%q) =\n%+v\nwant Default()\n%+v", in, cfg, Default())
		}
	}
	d := Default()
	if d.Labels.ErrorCodeCap != 30 || d.Labels.CountryCap != 50 || !d.Labels.CountryEnabled ||
		d.State.MaxMessages != 2_000_000 || d.State.MaxCustomers != 2_000_000 ||
		d.State.MessageTTL.Std() != 169*time.Hour || d.State.CustomerTTL.Std() != 35*24*time.Hour ||
		d.State.AllowedLateness.Std() != 5*time.Minute || d.Reply.Window.Std() != 24*time.Hour ||
		!reflect.DeepEqual(d.OptOut.Keywords, []string{"STOP", "UNSUBSCRIBE"}) ||
		!reflect.DeepEqual(d.OptOut.OptInKeywords, []string{"START"}) ||
		!reflect.DeepEqual(d.OptOut.ButtonPayloads, []string{"STOP", "UNSUBSCRIBE"}) ||
		d.RateCard != nil || len(d.Inputs) != 0 {
		t.Errorf("Default() = %+v", d)
	}
	// Default returns independent values: changing one does not change the next.
	d.OptOut.Keywords[0] = "X"
	if Default().OptOut.Keywords[0] != "STOP" {
		t.Error("Default shares its keyword slice")
	}
}

func TestParseValues(t *testing.T) {
	in := `
inputs:
  - path: /var/log/a.ndjson
  - path: "-"
    format: gupshup
    start: end
    max_line_bytes: 65536
    envelope: {body_path: request.body, receive_time_path: ts}
labels:
  country_enabled: false
  phone_number_ids: [106540352242922, "2"]
opt_out:
  keywords: [PARAR, "СТОП"]
reply: {window: 36h}
quotas:
  - name: contract
    limit: 5_870_000
    unit: conversations
    period: &monthly
      type: reset_day
      timezone: Asia/Kolkata
      reset_day: 1
  - name: m
    limit: 1.5e3
    unit: delivered_messages
    filter: {categories: [marketing, authentication_international]}
    period:
      <<: *monthly
      reset_day: 5
portfolios:
  - name: main
    phone_number_ids: ["2"]
    messaging_limit: tier_100k
messaging_limits:
  106540352242922: TIER_UNLIMITED
  "2": 1234
rate_card:
  currency: BRL
  default: {marketing: 0.3}
  countries: {br: {utility: 0.05}}
state: {message_ttl: 3d12h, customer_ttl: 40d, allowed_lateness: 90s}
`
	cfg, err := Parse([]byte(in), "t.yml")
	if err != nil {
		t.Fatal(err)
	}
	wantInputs := []Input{
		{Path: "/var/log/a.ndjson", Format: FormatAuto, Start: StartBeginning, MaxLineBytes: 4 << 20},
		{Path: "-", Format: FormatGupshup, Start: StartEnd, MaxLineBytes: 65536,
			Envelope: Envelope{BodyPath: "request.body", ReceiveTimePath: "ts"}},
	}
	if !reflect.DeepEqual(cfg.Inputs, wantInputs) {
		t.Errorf("inputs = %+v\nwant %+v", cfg.Inputs, wantInputs)
	}
	if cfg.Labels.CountryEnabled || cfg.Labels.ErrorCodeCap != 30 ||
		!reflect.DeepEqual(cfg.Labels.PhoneNumberIDs, []string{"106540352242922", "2"}) {
		t.Errorf("labels = %+v", cfg.Labels)
	}
	// button_payloads follows the configured keywords when absent.
	if !reflect.DeepEqual(cfg.OptOut.ButtonPayloads, []string{"PARAR", "СТОП"}) ||
		!reflect.DeepEqual(cfg.OptOut.OptInKeywords, []string{"START"}) {
		t.Errorf("opt_out = %+v", cfg.OptOut)
	}
	if cfg.Reply.Window.Std() != 36*time.Hour {
		t.Errorf("reply.window = %v", cfg.Reply.Window)
	}
	if len(cfg.Quotas) != 2 {
		t.Fatalf("quotas = %+v", cfg.Quotas)
	}
	q0, q1 := cfg.Quotas[0], cfg.Quotas[1]
	if q0.Limit != 5_870_000 || q0.Unit != UnitConversations || q0.Period.Type != PeriodResetDay || q0.Period.ResetDay != 1 {
		t.Errorf("quotas[0] = %+v", q0)
	}
	if q1.Limit != 1500 || q1.Unit != UnitDeliveredMessages || q1.Period.Type != PeriodResetDay ||
		q1.Period.Timezone != "Asia/Kolkata" || q1.Period.ResetDay != 5 ||
		!reflect.DeepEqual(q1.Filter.Categories, []Category{CategoryMarketing, CategoryAuthenticationInternational}) {
		t.Errorf("quotas[1] (merged) = %+v", q1)
	}
	if q1.Period.Location().String() != "Asia/Kolkata" {
		t.Errorf("quotas[1] location = %v", q1.Period.Location())
	}
	if p := cfg.Portfolios[0]; p.MessagingLimit == nil || *p.MessagingLimit != 100000 {
		t.Errorf("portfolio = %+v", p)
	}
	if l := cfg.MessagingLimits["106540352242922"]; !math.IsInf(float64(l), 1) {
		t.Errorf("messaging_limits unlimited = %v", l)
	}
	if l := cfg.MessagingLimits["2"]; l != 1234 {
		t.Errorf("messaging_limits[2] = %v", l)
	}
	rc := cfg.RateCard
	if rc == nil || rc.Currency != "BRL" {
		t.Fatalf("rate_card = %+v", rc)
	}
	// The lookup (country rate, else default rate) is window's: see window's
	// TestAddCostRateCard. Here: the card is parsed as written.
	if !reflect.DeepEqual(rc.Default, map[Category]float64{CategoryMarketing: 0.3}) ||
		!reflect.DeepEqual(rc.Countries, map[string]map[Category]float64{"br": {CategoryUtility: 0.05}}) {
		t.Errorf("rate_card = %+v", rc)
	}
	if cfg.State.MessageTTL.Std() != 84*time.Hour || cfg.State.CustomerTTL.Std() != 40*24*time.Hour ||
		cfg.State.AllowedLateness.Std() != 90*time.Second || cfg.State.MaxMessages != 2_000_000 {
		t.Errorf("state = %+v", cfg.State)
	}
}

func TestButtonPayloadsExplicitEmpty(t *testing.T) {
	cfg, err := Parse([]byte("opt_out:\n  button_payloads: []\n"), "t.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.OptOut.ButtonPayloads) != 0 {
		t.Errorf("button_payloads = %q, want none", cfg.OptOut.ButtonPayloads)
	}
	cfg, err = Parse([]byte("opt_out:\n  button_payloads:\n"), "t.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.OptOut.ButtonPayloads, []string{"STOP", "UNSUBSCRIBE"}) {
		t.Errorf("null button_payloads = %q, want the keywords", cfg.OptOut.ButtonPayloads)
	}
}

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"0", 0, ""},
		{"90s", 90 * time.Second, ""},
		{"36h", 36 * time.Hour, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"7d", 7 * 24 * time.Hour, ""},
		{"7d1h", 169 * time.Hour, ""},
		{"1.5h", 90 * time.Minute, ""},
		{"2w", 14 * 24 * time.Hour, ""},
		{"1y", 365 * 24 * time.Hour, ""},
		{"250us", 250 * time.Microsecond, ""},
		{"1.5d", 0, `invalid duration "1.5d" (use e.g. 90s, 36h, 7d)`},
		{"1h7d", 0, `invalid duration "1h7d" (use e.g. 90s, 36h, 7d)`},
		{"250ms", 250 * time.Millisecond, ""},
		{" 5m ", 5 * time.Minute, ""},
		{"", 0, "empty duration"},
		{"-1h", 0, `negative duration "-1h"`},
		{"7", 0, `invalid duration "7" (use e.g. 90s, 36h, 7d)`},
		{"d", 0, `invalid duration "d" (use e.g. 90s, 36h, 7d)`},
		{"7days", 0, `invalid duration "7days" (use e.g. 90s, 36h, 7d)`},
		{"1fortnight", 0, `invalid duration "1fortnight" (use e.g. 90s, 36h, 7d)`},
		{"99999999999d", 0, `duration "99999999999d" is too large`},
		{"106751d24h", 0, `duration "106751d24h" is too large`},
	}
	for _, tc := range cases {
		got, err := ParseDuration(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseDuration(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got.Std() != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got.Std(), err, tc.want)
		}
	}
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {169 * time.Hour, "7d1h"}, {35 * 24 * time.Hour, "35d"}, {5 * time.Minute, "5m"},
		{90 * time.Second, "1m30s"}, {1500 * time.Millisecond, "1s500ms"}, {-time.Hour, "-1h"},
	} {
		if got := Duration(tc.d).String(); got != tc.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tc.d, got, tc.want)
		}
		if tc.d >= 0 {
			back, err := ParseDuration(Duration(tc.d).String())
			if err != nil || back.Std() != tc.d {
				t.Errorf("round trip of %v: %v, %v", tc.d, back.Std(), err)
			}
		}
	}
}

func TestParseLimit(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		err  string
	}{
		{"TIER_50", 50, ""},
		{"TIER_250", 250, ""},
		{"TIER_1K", 1000, ""},
		{"TIER_2K", 2000, ""},
		{"TIER_10K", 10000, ""},
		{"TIER_100K", 100000, ""},
		{"TIER_UNLIMITED", math.Inf(1), ""},
		{"tier_1k", 1000, ""},
		{" 1000 ", 1000, ""},
		{"2500", 2500, ""},
		{"TIER_NOT_SET", 0, ErrLimitNotSet.Error()},
		{"TIER_1M", 0, `unknown messaging limit "TIER_1M" (did you mean "TIER_1K"?)`},
		{"TIER_5", 0, `unknown messaging limit "TIER_5" (did you mean "TIER_50"?)`},
		{"unlimited", 0, `unknown messaging limit "unlimited" (want one of TIER_50, TIER_250, TIER_1K, TIER_2K, TIER_10K, TIER_100K, TIER_UNLIMITED, or a positive number)`},
		{"Inf", 0, `unknown messaging limit "Inf" (want one of TIER_50, TIER_250, TIER_1K, TIER_2K, TIER_10K, TIER_100K, TIER_UNLIMITED, or a positive number)`},
		{"NaN", 0, `unknown messaging limit "NaN" (want one of TIER_50, TIER_250, TIER_1K, TIER_2K, TIER_10K, TIER_100K, TIER_UNLIMITED, or a positive number)`},
		{"-5", 0, "messaging limit must be > 0, got -5"},
		{"0", 0, "messaging limit must be > 0, got 0"},
	}
	for _, tc := range cases {
		got, err := ParseLimit(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseLimit(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseLimit(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if _, err := ParseLimit("TIER_NOT_SET"); !errors.Is(err, ErrLimitNotSet) {
		t.Errorf("TIER_NOT_SET error %v is not ErrLimitNotSet", err)
	}
	for _, name := range TierNames() {
		v, err := ParseLimit(name)
		if err != nil || FormatLimit(v) != name {
			t.Errorf("FormatLimit(ParseLimit(%s)) = %s, %v", name, FormatLimit(v), err)
		}
	}
	if got := FormatLimit(1234); got != "1234" {
		t.Errorf("FormatLimit(1234) = %s", got)
	}
}

// TestTextRoundTrip covers the encoding.Text(Un)Marshaler methods that JSON (and the
// schema defaults) use.
func TestTextRoundTrip(t *testing.T) {
	type doc struct {
		D Duration `json:"d"`
		L Limit    `json:"l"`
		N Limit    `json:"n"`
	}
	in := doc{D: Duration(169 * time.Hour), L: Limit(math.Inf(1)), N: 1234}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"d":"7d1h","l":"TIER_UNLIMITED","n":"1234"}` {
		t.Errorf("json = %s", b)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Errorf("round trip = %+v, %v", out, err)
	}
	for _, bad := range []string{`{"d":"7 days"}`, `{"l":"TIER_NOT_SET"}`} {
		if err := json.Unmarshal([]byte(bad), &out); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
	if v, err := Duration(time.Hour).MarshalYAML(); err != nil || v != "1h" {
		t.Errorf("MarshalYAML = %v, %v", v, err)
	}
}
