package config

import (
	"errors"
	"strings"
	"testing"
)

// TestParseErrors pins every decode and validation message: each case is a small file
// and the complete error output Parse must give for it.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want string // ErrorList.Error(): one line per error
	}{
		// --- decoding ---
		{"syntax", "inputs: [\n", `waba.yml:1: invalid YAML: did not find expected node content`},
		{"syntax line", "a: 1\nb: c: d\n", `waba.yml:2: invalid YAML: mapping values are not allowed in this context`},
		{"two documents", "reply: {window: 1h}\n---\nreply: {window: 2h}\n", `waba.yml:2: only one YAML document is allowed (remove the second ---)`},
		{"syntax in second document", "reply: {window: 1h}\n---\na: [\n", `waba.yml:3: invalid YAML: did not find expected node content`},
		{"syntax without line", "a: \x01\n", `waba.yml:1: invalid YAML: control characters are not allowed`},
		{"control character on line 3", "a: 1\nb: 2\nc: \"x\x01\"\n", `waba.yml:3: invalid YAML: control characters are not allowed`},
		{"invalid UTF-8 on line 2", "a: 1\nb: \xff\n", `waba.yml:2: invalid YAML: invalid leading UTF-8 octet`},
		{"unterminated quote on line 1", "a: \"x", `waba.yml:1: invalid YAML: found unexpected end of stream`},
		{"root is a list", "- 1\n", `waba.yml:1: the file must be a mapping of settings, got a list`},
		{"root is a scalar", "hello\n", `waba.yml:1: the file must be a mapping of settings, got "hello"`},
		{"unknown key with suggestion", "input: []\n", `waba.yml:1: input: unknown field (did you mean "inputs"?)`},
		{"unknown key without suggestion", "colour: red\n", `waba.yml:1: colour: unknown field`},
		{"unknown nested key", "inputs:\n  - path: a\n    formt: meta\n", `waba.yml:3: inputs[0].formt: unknown field (did you mean "format"?)`},
		{"duplicate key", "reply: {window: 1h}\nreply: {window: 2h}\n", `waba.yml:2: reply: duplicate key (first set on line 1)`},
		{"duplicate map key", "messaging_limits:\n  \"1\": 5\n  \"1\": 6\n", `waba.yml:3: messaging_limits.1: duplicate key (first set on line 2)`},
		{"non-string setting name", "? [a]\n: 1\n", `waba.yml:1: a setting name must be a string, got a list`},
		{"non-string map key", "messaging_limits:\n  ? [a]\n  : 1\n", `waba.yml:2: messaging_limits: a key must be a string, got a list`},
		{"list expected", "inputs: {path: x}\n", `waba.yml:1: inputs: expected a list, got a mapping`},
		{"settings mapping expected", "labels: 5\n", `waba.yml:1: labels: expected a mapping of settings, got "5"`},
		{"mapping expected", "messaging_limits: [1]\n", `waba.yml:1: messaging_limits: expected a mapping, got a list`},
		{"string expected", "inputs:\n  - path: [a]\n", `waba.yml:2: inputs[0].path: expected a string, got a list`},
		{"bool expected", "labels: {country_enabled: yes}\n", `waba.yml:1: labels.country_enabled: expected true or false, got "yes"`},
		{"bool kind", "labels: {country_enabled: [true]}\n", `waba.yml:1: labels.country_enabled: expected true or false, got a list`},
		{"integer expected", "labels: {error_code_cap: 1.5}\n", `waba.yml:1: labels.error_code_cap: expected an integer, got "1.5"`},
		{"integer kind", "labels: {error_code_cap: {a: 1}}\n", `waba.yml:1: labels.error_code_cap: expected an integer, got a mapping`},
		{"number expected", "quotas:\n  - {name: q, limit: lots, unit: conversations}\n", `waba.yml:2: quotas[0].limit: expected a number, got "lots"`},
		{"number kind", "quotas:\n  - {name: q, limit: [1], unit: conversations}\n", `waba.yml:2: quotas[0].limit: expected a number, got a list`},
		{"duration syntax", "reply: {window: 1 day}\n", `waba.yml:1: reply.window: invalid duration "1 day" (use e.g. 90s, 36h, 7d)`},
		{"duration negative", "reply: {window: -1h}\n", `waba.yml:1: reply.window: negative duration "-1h"`},
		{"duration kind", "reply: {window: [1h]}\n", `waba.yml:1: reply.window: expected a duration such as 90s, 36h or 7d, got a list`},
		{"limit typo", "messaging_limits: {\"1\": TIER_1X}\n", `waba.yml:1: messaging_limits.1: unknown messaging limit "TIER_1X" (did you mean "TIER_1K"?)`},
		{"limit unknown", "messaging_limits: {\"1\": lots}\n", `waba.yml:1: messaging_limits.1: unknown messaging limit "lots" (want one of TIER_50, TIER_250, TIER_1K, TIER_2K, TIER_10K, TIER_100K, TIER_UNLIMITED, or a positive number)`},
		{"limit not set", "messaging_limits: {\"1\": TIER_NOT_SET}\n", `waba.yml:1: messaging_limits.1: TIER_NOT_SET is not a limit; remove the entry to use the limit that webhooks report`},
		{"limit zero", "messaging_limits: {\"1\": 0}\n", `waba.yml:1: messaging_limits.1: messaging limit must be > 0, got 0`},
		{"limit kind", "portfolios:\n  - name: p\n    phone_number_ids: [\"1\"]\n    messaging_limit: {a: 1}\n", `waba.yml:4: portfolios[0].messaging_limit: expected a messaging limit such as TIER_1K or 1000, got a mapping`},

		// --- inputs ---
		{"input path required", "inputs:\n  - format: meta\n", `waba.yml:2: inputs[0].path: required (a file, a glob, or "-" for standard input)`},
		{"input path duplicate", "inputs:\n  - path: a.log\n  - path: a.log\n", `waba.yml:3: inputs[1].path: duplicate path "a.log" (also inputs[0])`},
		{"input glob", "inputs:\n  - path: \"logs/[a\"\n", `waba.yml:2: inputs[0].path: invalid glob "logs/[a": syntax error in pattern`},
		{"format typo", "inputs:\n  - path: a\n  - path: b\n    format: twillio\n", `waba.yml:4: inputs[1].format: unknown format "twillio" (did you mean "twilio"?)`},
		{"format case", "inputs:\n  - path: a\n    format: META\n", `waba.yml:3: inputs[0].format: unknown format "META" (did you mean "meta"?)`},
		{"format unknown", "inputs:\n  - path: a\n    format: xmlrpc\n", `waba.yml:3: inputs[0].format: unknown format "xmlrpc" (want one of auto, meta, onprem, twilio, gupshup, infobip)`},
		{"start unknown", "inputs:\n  - path: a\n    start: middle\n", `waba.yml:3: inputs[0].start: unknown start position "middle" (want one of beginning, end)`},
		{"max line bytes", "inputs:\n  - path: a\n    max_line_bytes: 10\n", `waba.yml:3: inputs[0].max_line_bytes: must be between 1024 (1 KiB) and 268435456 (256 MiB), got 10`},
		{"body path syntax", "inputs:\n  - path: a\n    envelope: {body_path: request..body}\n", `waba.yml:3: inputs[0].envelope.body_path: invalid field path "request..body" (dot-separated field names, e.g. request.body)`},
		{"body encoding removed", "inputs:\n  - path: a\n    envelope: {body_path: b, body_encoding: string}\n", `waba.yml:3: inputs[0].envelope.body_encoding: unknown field`},
		{"receive time path syntax", "inputs:\n  - path: a\n    envelope: {body_path: b, receive_time_path: \"t.\"}\n", `waba.yml:3: inputs[0].envelope.receive_time_path: invalid field path "t." (dot-separated field names, e.g. received_at)`},
		{"receive time path needs body path", "inputs:\n  - path: a\n    envelope: {receive_time_path: t}\n", `waba.yml:3: inputs[0].envelope.receive_time_path: needs envelope.body_path (a raw body has no envelope to read a receive time from)`},
		{"receive time format removed", "inputs:\n  - path: a\n    envelope: {body_path: b, receive_time_path: t, receive_time_format: unix}\n", `waba.yml:3: inputs[0].envelope.receive_time_format: unknown field (did you mean "receive_time_path"?)`},

		// --- labels ---
		{"error code cap low", "labels: {error_code_cap: 0}\n", `waba.yml:1: labels.error_code_cap: must be between 1 and 1000, got 0`},
		{"country cap high", "labels: {country_cap: 301}\n", `waba.yml:1: labels.country_cap: must be between 1 and 300, got 301`},
		{"allowlist empty id", "labels: {phone_number_ids: [\"\"]}\n", `waba.yml:1: labels.phone_number_ids[0]: empty phone number id`},
		{"allowlist duplicate", "labels:\n  phone_number_ids:\n    - \"1\"\n    - 1\n", `waba.yml:4: labels.phone_number_ids[1]: duplicate phone number id "1" (also labels.phone_number_ids[0])`},

		// --- opt_out ---
		{"empty keyword", "opt_out: {keywords: [STOP, \" \"]}\n", `waba.yml:1: opt_out.keywords[1]: empty keyword`},
		{"duplicate keyword", "opt_out:\n  keywords:\n    - STOP\n    - stop\n", `waba.yml:4: opt_out.keywords[1]: duplicate keyword "stop" (also opt_out.keywords[0]; matching ignores case)`},
		{"opt-in is opt-out", "opt_out:\n  opt_in_keywords: [START, Stop]\n", `waba.yml:2: opt_out.opt_in_keywords[1]: "Stop" is also an opt-out keyword`},
		{"duplicate button payload", "opt_out:\n  button_payloads: [A, a]\n", `waba.yml:2: opt_out.button_payloads[1]: duplicate button payload "a" (also opt_out.button_payloads[0]; matching ignores case)`},

		// --- reply ---
		{"reply window zero", "reply: {window: 0s}\n", `waba.yml:1: reply.window: must be > 0`},
		{"reply window over ttl", "reply: {window: 8d}\n", `waba.yml:1: reply.window: 8d is longer than state.message_ttl (7d1h): messages would be forgotten before a reply could be attributed`},

		// --- quotas ---
		{"quota name required", "quotas:\n  - {limit: 1, unit: conversations}\n", `waba.yml:2: quotas[0].name: required (the quota label value)`},
		{"quota name duplicate", "quotas:\n  - {name: q, limit: 1, unit: conversations}\n  - {name: q, limit: 2, unit: conversations}\n", `waba.yml:3: quotas[1].name: duplicate quota name "q" (also quotas[0])`},
		{"quota limit required", "quotas:\n  - {name: q, unit: conversations}\n", `waba.yml:2: quotas[0].limit: required (units allowed per period, > 0)`},
		{"quota limit negative", "quotas:\n  - {name: q, limit: -5, unit: conversations}\n", `waba.yml:2: quotas[0].limit: must be a finite number > 0, got -5`},
		{"quota limit infinite", "quotas:\n  - {name: q, limit: .inf, unit: conversations}\n", `waba.yml:2: quotas[0].limit: must be a finite number > 0, got +Inf`},
		{"quota unit required", "quotas:\n  - {name: q, limit: 1}\n", `waba.yml:2: quotas[0].unit: required (one of billable, conversations, billable_messages, delivered_messages)`},
		{"quota unit typo", "quotas:\n  - {name: q, limit: 1, unit: conversation}\n", `waba.yml:2: quotas[0].unit: unknown unit "conversation" (did you mean "conversations"?)`},
		{"quota filter id not allowed", "labels: {phone_number_ids: [\"1\"]}\nquotas:\n  - name: q\n    limit: 1\n    unit: conversations\n    filter: {phone_number_ids: [\"2\"]}\n", `waba.yml:6: quotas[0].filter.phone_number_ids[0]: phone number id "2" is not in labels.phone_number_ids, so it is never exported`},
		{"quota filter id duplicate", "quotas:\n  - name: q\n    limit: 1\n    unit: conversations\n    filter: {phone_number_ids: [\"2\", \"2\"]}\n", `waba.yml:5: quotas[0].filter.phone_number_ids[1]: duplicate phone number id "2" (also quotas[0].filter.phone_number_ids[0])`},
		{"quota category typo", "quotas:\n  - name: q\n    limit: 1\n    unit: conversations\n    filter: {categories: [marketting]}\n", `waba.yml:5: quotas[0].filter.categories[0]: unknown category "marketting" (did you mean "marketing"?)`},
		{"quota category duplicate", "quotas:\n  - name: q\n    limit: 1\n    unit: conversations\n    filter: {categories: [utility, utility]}\n", `waba.yml:5: quotas[0].filter.categories[1]: duplicate category "utility" (also quotas[0].filter.categories[0])`},
		{"period type typo", "quotas:\n  - name: q\n    limit: 1\n    unit: conversations\n    period: {type: calendar-month}\n", `waba.yml:5: quotas[0].period.type: unknown period type "calendar-month" (did you mean "calendar_month"?)`},
		{"period timezone unknown", "quotas:\n  - name: q\n    limit: 1\n    unit: conversations\n    period: {timezone: Europe/Pari}\n", `waba.yml:5: quotas[0].period.timezone: unknown time zone "Europe/Pari" (an IANA name such as Europe/Paris or America/Sao_Paulo)`},
		{"period timezone local", "quotas:\n  - name: q\n    limit: 1\n    unit: conversations\n    period: {timezone: Local}\n", `waba.yml:5: quotas[0].period.timezone: unknown time zone "Local" (an IANA name such as Europe/Paris or America/Sao_Paulo)`},
		{"reset day required", "quotas:\n  - name: q\n    limit: 1\n    unit: conversations\n    period: {type: reset_day}\n", `waba.yml:5: quotas[0].period.reset_day: required for period type reset_day (1 to 28)`},
		{"reset day range", "quotas:\n  - name: q\n    limit: 1\n    unit: conversations\n    period: {type: reset_day, reset_day: 31}\n", `waba.yml:5: quotas[0].period.reset_day: must be between 1 and 28, got 31`},
		{"reset day with calendar month", "quotas:\n  - name: q\n    limit: 1\n    unit: conversations\n    period:\n      reset_day: 3\n", `waba.yml:6: quotas[0].period.reset_day: only valid with period type reset_day (calendar_month starts on the 1st)`},

		// --- portfolios ---
		{"portfolio name required", "portfolios:\n  - phone_number_ids: [\"1\"]\n", `waba.yml:2: portfolios[0].name: required (the portfolio label value)`},
		{"portfolio name duplicate", "portfolios:\n  - {name: p, phone_number_ids: [\"1\"]}\n  - {name: p, phone_number_ids: [\"2\"]}\n", `waba.yml:3: portfolios[1].name: duplicate portfolio name "p" (also portfolios[0])`},
		{"portfolio ids required", "portfolios:\n  - name: p\n", `waba.yml:2: portfolios[0].phone_number_ids: required (at least one phone number id, or waba_ids)`},
		{"portfolio id taken", "portfolios:\n  - {name: p, phone_number_ids: [\"1\"]}\n  - {name: r, phone_number_ids: [\"2\", \"1\"]}\n", `waba.yml:3: portfolios[1].phone_number_ids[1]: phone number id "1" is already in portfolio "p" (a number belongs to one portfolio)`},
		{"portfolio waba taken", "portfolios:\n  - {name: p, waba_ids: [\"7\"]}\n  - {name: r, waba_ids: [\"7\"]}\n", `waba.yml:3: portfolios[1].waba_ids[0]: WABA id "7" is already in portfolio "p" (a WABA belongs to one portfolio)`},
		{"portfolio waba empty", "portfolios:\n  - {name: p, waba_ids: [\"\"]}\n", `waba.yml:2: portfolios[0].waba_ids[0]: empty WABA id`},
		{"portfolio id not allowed", "labels: {phone_number_ids: [\"1\"]}\nportfolios:\n  - {name: p, phone_number_ids: [\"9\"]}\n", `waba.yml:3: portfolios[0].phone_number_ids[0]: phone number id "9" is not in labels.phone_number_ids, so it is never exported`},

		// --- messaging_limits ---
		{"limit id not allowed", "labels: {phone_number_ids: [\"1\"]}\nmessaging_limits: {\"9\": TIER_1K}\n", `waba.yml:2: messaging_limits.9: phone number id "9" is not in labels.phone_number_ids, so it is never exported`},
		{"limit id empty", "messaging_limits: {\"\": TIER_1K}\n", `waba.yml:1: messaging_limits[""]: empty phone number id`},

		// --- rate_card ---
		{"currency required", "rate_card: {default: {marketing: 1}}\n", `waba.yml:1: rate_card.currency: required (an ISO 4217 code such as USD)`},
		{"currency lower case", "rate_card: {currency: usd, default: {marketing: 1}}\n", `waba.yml:1: rate_card.currency: invalid currency "usd" (an ISO 4217 code: three upper-case letters, did you mean "USD"?)`},
		{"currency invalid", "rate_card: {currency: US$, default: {marketing: 1}}\n", `waba.yml:1: rate_card.currency: invalid currency "US$" (an ISO 4217 code: three upper-case letters)`},
		{"rate card empty", "rate_card: {currency: USD}\n", `waba.yml:1: rate_card: no prices: set rate_card.default or rate_card.countries`},
		{"price category typo", "rate_card:\n  currency: USD\n  default:\n    marketng: 1\n", `waba.yml:4: rate_card.default.marketng: unknown category "marketng" (did you mean "marketing"?)`},
		{"price negative", "rate_card:\n  currency: USD\n  default:\n    utility: -0.1\n", `waba.yml:4: rate_card.default.utility: price must be a finite number >= 0, got -0.1`},
		{"country upper case", "rate_card:\n  currency: USD\n  countries:\n    BR: {marketing: 1}\n", `waba.yml:4: rate_card.countries.BR: country codes are lower case (did you mean "br"?)`},
		{"country invalid", "rate_card:\n  currency: USD\n  countries:\n    bra: {marketing: 1}\n", `waba.yml:4: rate_card.countries.bra: invalid country code "bra" (ISO 3166-1 alpha-2, lower case, e.g. br)`},
		{"country unknown", "rate_card:\n  currency: USD\n  countries:\n    zz: {marketing: 1}\n", `waba.yml:4: rate_card.countries.zz: unknown country code "zz" (ISO 3166-1 alpha-2 with a calling code)`},
		{"country without prices", "rate_card:\n  currency: USD\n  countries:\n    br: {}\n", `waba.yml:4: rate_card.countries.br: no prices for this country`},
		{"country price category", "rate_card:\n  currency: USD\n  countries:\n    br:\n      servise: 0\n", `waba.yml:5: rate_card.countries.br.servise: unknown category "servise" (did you mean "service"?)`},

		// --- state ---
		{"max messages", "state: {max_messages: 0}\n", `waba.yml:1: state.max_messages: must be > 0, got 0`},
		{"max customers", "state: {max_customers: -1}\n", `waba.yml:1: state.max_customers: must be > 0, got -1`},
		{"message ttl", "state: {message_ttl: 0}\nreply: {window: 1h}\n", `waba.yml:1: state.message_ttl: must be > 0`},
		{"customer ttl", "state: {customer_ttl: 0s}\n", `waba.yml:1: state.customer_ttl: must be > 0`},
		{"message ttl below default reply window", "state:\n  message_ttl: 12h\n", `waba.yml:2: state.message_ttl: 12h is shorter than reply.window (1d): messages would be forgotten before a reply could be attributed`},
		{"message ttl below default lateness", "reply: {window: 1m}\nstate:\n  message_ttl: 2m\n  allowed_lateness: 2m\n", `waba.yml:4: state.allowed_lateness: 2m must be shorter than state.message_ttl (2m)`},
		{"message ttl not above default lateness", "reply: {window: 1m}\nstate:\n  message_ttl: 5m\n", `waba.yml:3: state.message_ttl: 5m must be longer than state.allowed_lateness (5m)`},
		{"allowed lateness", "state: {message_ttl: 1d, allowed_lateness: 2d}\n", `waba.yml:1: state.allowed_lateness: 2d must be shorter than state.message_ttl (1d)`},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.yaml), "waba.yml")
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tc.yaml)
			}
			if cfg != nil {
				t.Errorf("Parse returned a config with an error")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("Parse error:\n got: %s\nwant: %s", got, tc.want)
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, not an ErrorList", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.File != "waba.yml" || fe.Line == 0 {
				t.Errorf("first FieldError = %+v, want file and line set", fe)
			}
		})
	}
}

// TestParseReportsAllErrors checks that one pass reports every problem, ordered by
// line, and that a field that failed to decode is not reported a second time by
// validation.
func TestParseReportsAllErrors(t *testing.T) {
	in := `inputs:
  - path: a.log
  - path: b.log
    format: twillio
quotas:
  - name: q
    limit: lots
    unit: conversations
labels:
  error_code_cap: 0
state: {customer_ttl: 35x}
`
	_, err := Parse([]byte(in), "waba.yml")
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("err = %v, want an ErrorList", err)
	}
	want := []string{
		`waba.yml:4: inputs[1].format: unknown format "twillio" (did you mean "twilio"?)`,
		`waba.yml:7: quotas[0].limit: expected a number, got "lots"`,
		`waba.yml:10: labels.error_code_cap: must be between 1 and 1000, got 0`,
		`waba.yml:11: state.customer_ttl: invalid duration "35x" (use e.g. 90s, 36h, 7d)`,
	}
	if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n got: %q\nwant: %q", got, want)
	}
	if len(list) != len(want) {
		t.Errorf("len(list) = %d, want %d", len(list), len(want))
	}
}

// TestLoadErrors covers the file-level errors of Load.
func TestLoadErrors(t *testing.T) {
	_, err := Load("/nonexistent/waba.yml")
	if err == nil || err.Error() != "/nonexistent/waba.yml: cannot read config: no such file or directory" {
		t.Errorf("Load(missing) = %v", err)
	}
}

func TestSuggest(t *testing.T) {
	cands := []string{"auto", "meta", "onprem", "twilio", "gupshup", "infobip"}
	cases := []struct{ in, want string }{
		{"twillio", "twilio"},
		{"Twilio", "twilio"},
		{"gupshop", "gupshup"},
		{"on-prem", "onprem"},
		{"infobib", "infobip"},
		{"xmlrpc", ""},
		{"twilio", ""}, // exact: nothing to suggest
	}
	for _, tc := range cases {
		if got := suggest(tc.in, cands); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if d := editDistance("kitten", "sitting"); d != 3 {
		t.Errorf("editDistance(kitten, sitting) = %d, want 3", d)
	}
	if d := editDistance("стоп", "стор"); d != 1 {
		t.Errorf("editDistance counts runes: got %d, want 1", d)
	}
}

func TestFieldErrorFormat(t *testing.T) {
	cases := []struct {
		e    FieldError
		want string
	}{
		{FieldError{File: "f.yml", Line: 3, Path: "a.b", Msg: "bad"}, "f.yml:3: a.b: bad"},
		{FieldError{File: "f.yml", Path: "a.b", Msg: "bad"}, "f.yml: a.b: bad"},
		{FieldError{Line: 3, Path: "a.b", Msg: "bad"}, "line 3: a.b: bad"},
		{FieldError{File: "f.yml", Line: 1, Msg: "bad"}, "f.yml:1: bad"},
		{FieldError{Msg: "bad"}, "bad"},
	}
	for _, tc := range cases {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%+v.Error() = %q, want %q", tc.e, got, tc.want)
		}
	}
}
