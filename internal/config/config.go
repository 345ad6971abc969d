// Package config holds the waba_exporter YAML configuration: its Go types, defaults,
// strict decoding, validation, the JSON Schema generated from the types, and the Reloader
// that swaps a new configuration in atomically (SIGHUP, POST /-/reload, file change).
//
// Contracts:
//   - Parse is strict: an unknown key, a value of the wrong type or an invalid value is an
//     error. Every error names the file, the line and the field path
//     (`waba.yml:12: inputs[1].format: unknown format "twillio" (did you mean "twilio"?)`),
//     and all errors of a file are reported at once (see ErrorList).
//   - A *Config returned by Parse, Load or Default is complete: every default is filled in,
//     so consumers never apply defaults of their own. It is never mutated afterwards; a
//     reload builds a new *Config and swaps the pointer, so a reader may keep the pointer
//     it got for as long as it likes.
//   - An absent key, or a key with an empty (null) value, means "use the default".
//   - ParseLimit is the single place where messaging-limit tiers are mapped to numbers
//     (docs/metrics.md section 9).
package config

import "time"

// Config is the whole configuration file.
type Config struct {
	Inputs          []Input          `yaml:"inputs" doc:"Log files of webhook bodies (one JSON or form body per line) to tail. Empty is allowed (the demo command adds its own input)."`
	Labels          Labels           `yaml:"labels" doc:"Cardinality caps and allowlists for metric labels."`
	OptOut          OptOut           `yaml:"opt_out" doc:"Opt-out and opt-in detection from inbound messages."`
	Reply           Reply            `yaml:"reply" doc:"Attribution of customer replies to business messages."`
	Quotas          []Quota          `yaml:"quotas" doc:"Named usage quotas (e.g. a contract of 5,870,000 billable units per month)."`
	Portfolios      []Portfolio      `yaml:"portfolios" doc:"Groups of business numbers or WABAs that share one messaging limit (business portfolios). Numbers of other WABAs form one portfolio per WABA, named by its id."`
	MessagingLimits map[string]Limit `yaml:"messaging_limits" doc:"Messaging limit per phone_number_id (TIER_250, TIER_1K, TIER_10K, TIER_100K, TIER_UNLIMITED or a number); overrides what webhooks report."`
	RateCard        *RateCard        `yaml:"rate_card" doc:"Optional prices per category (and per customer country) used for waba_estimated_cost_total. Absent: no cost metric."`
	State           State            `yaml:"state" doc:"Bounds of the in-memory state machine."`
	Campaigns       Campaigns        `yaml:"campaigns" doc:"Campaigns and A/B tests: how biz_opaque_callback_data names a campaign and a variant, label caps and expiry, conversion attribution. Absent: campaign=<name>;variant=<v> tags with the defaults."`
}

// Input is one file, glob or standard input to tail.
type Input struct {
	Path         string   `yaml:"path" required:"true" doc:"A file path, a glob (new matching files are picked up while running) or \"-\" for standard input."`
	Format       Format   `yaml:"format" doc:"Provider format of the bodies; auto detects it per line."`
	Start        Start    `yaml:"start" doc:"Where to start reading a file seen for the first time (without a checkpoint)."`
	MaxLineBytes int      `yaml:"max_line_bytes" doc:"Longest line accepted, in bytes; longer lines are skipped whole and counted."`
	Business     string   `yaml:"business" doc:"Business identity (phone_number_id label) for bodies that name none: On-Premises bodies, Infobip delivery reports and template events. Empty: such events have no business and are dropped (counted)."`
	Envelope     Envelope `yaml:"envelope" doc:"How a logged line wraps the webhook body."`
}

// Envelope describes how a line wraps the webhook body (docs/spec.md 3.2).
type Envelope struct {
	BodyPath        string `yaml:"body_path" doc:"Dot-separated path of the body inside a JSON envelope, e.g. request.body. The value may be a JSON object, or a string holding a JSON body or a form-encoded body (detected per line). Empty: the line is the raw body."`
	ReceiveTimePath string `yaml:"receive_time_path" doc:"Dot-separated path of the receive time inside the envelope; used for bodies without a timestamp (Twilio). A number (unix seconds, or milliseconds when above 1e12) or a string (the same digits, or RFC 3339). Needs body_path."`
}

// Labels bounds metric label values.
type Labels struct {
	ErrorCodeCap   int      `yaml:"error_code_cap" doc:"Most distinct error_code label values; further codes become \"other\"."`
	CountryCap     int      `yaml:"country_cap" doc:"Most distinct country label values; further countries become \"other\"."`
	CountryEnabled bool     `yaml:"country_enabled" doc:"Derive the country label from the customer's calling code. false: country is always \"unknown\"."`
	PhoneNumberIDs []string `yaml:"phone_number_ids" doc:"Allowlist of business phone_number_ids to export. Empty: all."`
}

// OptOut configures keyword opt-outs (docs/spec.md 4.7). Matching is case-insensitive, on the
// whole message text (trimmed), in any script.
type OptOut struct {
	Keywords       []string `yaml:"keywords" doc:"Inbound texts that opt the customer out."`
	OptInKeywords  []string `yaml:"opt_in_keywords" doc:"Inbound texts that opt the customer back in."`
	ButtonPayloads []string `yaml:"button_payloads" doc:"Quick-reply button payloads that opt the customer out. Absent: the same as keywords; [] disables button opt-outs."`
}

// Reply configures reply attribution (docs/spec.md 4.6).
type Reply struct {
	Window Duration `yaml:"window" doc:"A customer's first inbound message within this time of a delivered business message is a reply to it."`
}

// Quota is a named usage quota (docs/spec.md 4.8).
type Quota struct {
	Name   string      `yaml:"name" required:"true" doc:"Unique name, the quota label value."`
	Limit  float64     `yaml:"limit" required:"true" doc:"Units allowed per period; > 0."`
	Unit   QuotaUnit   `yaml:"unit" required:"true" doc:"What is counted against the limit: billable (what Meta charges in each era: billable CBP conversations before 2025-07-01, PMP regular messages after), conversations (CBP conversations only: nothing after 2025-07-01), billable_messages (PMP regular messages) or delivered_messages."`
	Filter QuotaFilter `yaml:"filter" doc:"Which messages count. Empty lists match everything."`
	Period Period      `yaml:"period" doc:"When the used units reset."`
}

// QuotaFilter restricts what a quota counts. Empty lists match everything.
type QuotaFilter struct {
	PhoneNumberIDs []string   `yaml:"phone_number_ids" doc:"Only these business phone_number_ids. Empty: all."`
	Categories     []Category `yaml:"categories" doc:"Only these pricing categories. Empty: all."`
}

// Period is the reset period of a quota.
type Period struct {
	Type     PeriodType `yaml:"type" doc:"calendar_month: resets at midnight of the 1st; reset_day: resets at midnight of reset_day each month."`
	Timezone string     `yaml:"timezone" doc:"IANA time zone of the period boundaries, e.g. America/Sao_Paulo."`
	ResetDay int        `yaml:"reset_day" doc:"Day of the month (1-28) the period starts on; only with type reset_day."`

	loc *time.Location // resolved Timezone, set by Parse and Default
}

// Portfolio is a group of business numbers sharing one messaging limit (docs/spec.md 4.8): the
// numbers listed and every number of the WABAs listed.
type Portfolio struct {
	Name           string   `yaml:"name" required:"true" doc:"Unique name, the portfolio label value."`
	PhoneNumberIDs []string `yaml:"phone_number_ids" doc:"Business phone_number_ids in the portfolio (a number belongs to at most one portfolio). At least one of phone_number_ids and waba_ids."`
	WabaIDs        []string `yaml:"waba_ids" doc:"WhatsApp Business Account ids (webhook entry.id) whose numbers are all in the portfolio (a WABA belongs to at most one portfolio)."`
	MessagingLimit *Limit   `yaml:"messaging_limit" doc:"Messaging limit of the portfolio (TIER_... or a number), used until a business_capability_update or phone_number_quality_update webhook reports one. Absent: unknown."`
}

// RateCard prices billable messages for waba_estimated_cost_total.
type RateCard struct {
	Currency  string                          `yaml:"currency" required:"true" doc:"ISO 4217 currency code, e.g. USD."`
	Default   map[Category]float64            `yaml:"default" doc:"Price by category, for countries not listed: per regular message under per-message pricing, per billable conversation (by its category) under conversation-based pricing."`
	Countries map[string]map[Category]float64 `yaml:"countries" doc:"Prices by ISO 3166-1 alpha-2 country code (lower case), then by category; a category missing here falls back to default."`
}

// State bounds the in-memory state (docs/spec.md 4, 8).
type State struct {
	MaxMessages     int      `yaml:"max_messages" doc:"Most in-flight messages remembered (for dedupe, latencies and categories)."`
	MaxCustomers    int      `yaml:"max_customers" doc:"Most customers tracked (windows, conversations, responsiveness)."`
	MessageTTL      Duration `yaml:"message_ttl" doc:"How long a message is remembered after its last status (Meta retries webhooks for up to 7 days)."`
	CustomerTTL     Duration `yaml:"customer_ttl" doc:"How long a customer is remembered after the last activity (at least the 30d active-customers window)."`
	AllowedLateness Duration `yaml:"allowed_lateness" doc:"Event-time reorder window for inference; later events are applied as well as possible and counted as late."`
	MaxBusinesses   int      `yaml:"max_businesses" doc:"Most distinct business phone_number_ids tracked; events of further ones are dropped and counted (waba_exporter_dropped_events_total{reason=\"business_cap\"}), with a log line once per business."`
}

// Defaults of the scalar settings.
const (
	DefaultErrorCodeCap    = 30
	DefaultCountryCap      = 50
	DefaultMaxLineBytes    = 4 << 20
	DefaultMaxMessages     = 2_000_000
	DefaultMaxCustomers    = 2_000_000
	DefaultReplyWindow     = Duration(24 * time.Hour)
	DefaultMessageTTL      = Duration(7*24*time.Hour + time.Hour)
	DefaultCustomerTTL     = Duration(35 * 24 * time.Hour)
	DefaultAllowedLateness = Duration(5 * time.Minute)
	DefaultMaxBusinesses   = 200
	MaxMaxBusinesses       = 65535 // business indexes are 16-bit in the state
	DefaultTimezone        = "UTC"
)

// DefaultOptOutKeywords and DefaultOptInKeywords are the keyword defaults (docs/spec.md 4.7).
var (
	DefaultOptOutKeywords = []string{"STOP", "UNSUBSCRIBE"}
	DefaultOptInKeywords  = []string{"START"}
)

// Default returns a complete configuration with every default set and no inputs.
func Default() *Config {
	return &Config{
		Labels: Labels{
			ErrorCodeCap:   DefaultErrorCodeCap,
			CountryCap:     DefaultCountryCap,
			CountryEnabled: true,
		},
		OptOut: OptOut{
			Keywords:       append([]string(nil), DefaultOptOutKeywords...),
			OptInKeywords:  append([]string(nil), DefaultOptInKeywords...),
			ButtonPayloads: append([]string(nil), DefaultOptOutKeywords...),
		},
		Reply: Reply{Window: DefaultReplyWindow},
		State: State{
			MaxMessages:     DefaultMaxMessages,
			MaxCustomers:    DefaultMaxCustomers,
			MessageTTL:      DefaultMessageTTL,
			CustomerTTL:     DefaultCustomerTTL,
			AllowedLateness: DefaultAllowedLateness,
			MaxBusinesses:   DefaultMaxBusinesses,
		},
		Campaigns: defaultCampaigns(),
	}
}

// defaulter is implemented by list element types whose zero fields have defaults. It is
// used by Parse and by the JSON Schema generator (for the "default" keywords).
type defaulter interface{ applyDefaults() }

func (in *Input) applyDefaults() {
	if in.Format == "" {
		in.Format = FormatAuto
	}
	if in.Start == "" {
		in.Start = StartBeginning
	}
	if in.MaxLineBytes == 0 {
		in.MaxLineBytes = DefaultMaxLineBytes
	}
}

func (q *Quota) applyDefaults() { q.Period.applyDefaults() }

func (p *Period) applyDefaults() {
	if p.Type == "" {
		p.Type = PeriodCalendarMonth
	}
	if p.Timezone == "" {
		p.Timezone = DefaultTimezone
	}
}

// Location is the resolved time zone of the period (UTC when unset or unresolved).
func (p Period) Location() *time.Location {
	if p.loc != nil {
		return p.loc
	}
	if p.Timezone != "" {
		if loc, err := time.LoadLocation(p.Timezone); err == nil {
			return loc
		}
	}
	return time.UTC
}
