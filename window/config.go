package window

import (
	"time"

	"github.com/waba-exporter/waba_exporter/campaign"
	"github.com/waba-exporter/waba_exporter/model"
)

// Config parameterises a Machine. Durations are of event time and count in whole
// seconds (event times are whole seconds): a fraction of a second is dropped.
type Config struct {
	// HashKey and HashKey2 are the 128-bit SipHash key of the 64-bit hashes that stand
	// for customer, message and conversation ids (siphash.go); the same key must be used
	// when restoring a checkpoint, and it is never part of one.
	HashKey  uint64
	HashKey2 uint64

	MaxMessages      int           // cap on tracked message ids (outbound and inbound)
	MaxCustomers     int           // cap on tracked (business, customer) pairs
	MaxConversations int           // cap on tracked reported conversation ids
	MessageTTL       time.Duration // a message id is forgotten this long after it was last seen
	CustomerTTL      time.Duration // a customer is forgotten this long after it was last seen
	AllowedLateness  time.Duration // reorder window for event-time inference (docs/spec.md 4)
	MaxBuffered      int           // cap on items in the reorder buffer; beyond it the oldest go early
	ReplyWindow      time.Duration // reply attribution window (docs/spec.md 4.6)

	ErrorCodeCap  int // distinct error_code label values before folding into "other"
	CountryCap    int // distinct country label values before folding into "other"
	MaxBusinesses int // distinct phone_number_id values tracked; the rest are dropped and counted

	// AllowBusinesses, when non-empty, restricts the tracked phone_number_ids.
	AllowBusinesses []string

	// CountryOf returns the lower-case ISO 3166 alpha-2 region of a customer id, or
	// "unknown". It must be pure (no I/O). Nil means every customer is "unknown".
	CountryOf func(customer []byte) string

	OptOutKeywords []string // whole-message, case-insensitive (any script)
	OptInKeywords  []string
	OptOutPayloads []string // quick-reply button payloads that mean stop

	// ParseLimit maps a messaging limit tier (TIER_1K ...) to recipients per 24h; ok is
	// false for TIER_NOT_SET and unknown values. The mapping lives with the config
	// (config.ParseLimit); nil ignores the limits webhooks report.
	ParseLimit func(tier string) (float64, bool)

	Quotas          []Quota
	Portfolios      []Portfolio
	LimitOverrides  map[string]float64 // phone_number_id -> messaging limit
	RateCard        *RateCard
	PricingSwitchAt time.Time // start of per-message pricing when a webhook does not say (2025-07-01)

	// Campaigns reads campaign tags and bounds their labels (issue 16); zero values take
	// the defaults of campaign.Config.
	Campaigns campaign.Config
}

// Quota is a named consumption budget (docs/spec.md 4.8).
type Quota struct {
	Name       string
	Limit      float64
	Unit       QuotaUnit
	Businesses []string         // empty = all
	Categories []model.Category // empty = all
	// Period: a calendar month in Location, or, when ResetDay > 0, a month that starts
	// on that day at midnight in Location.
	Location *time.Location
	ResetDay int
}

// QuotaUnit says what a quota counts.
type QuotaUnit uint8

const (
	// UnitConversations counts CBP conversations only (docs/spec.md 4.3): nothing after the
	// switch to per-message pricing.
	UnitConversations QuotaUnit = iota
	// UnitBillableMessages counts delivered PMP `regular` messages.
	UnitBillableMessages
	UnitDeliveredMessages
	// UnitBillable counts what Meta charges in each era: a billable CBP conversation, a
	// delivered PMP `regular` message (one quota across the 2025-07-01 switch).
	UnitBillable
)

// Portfolio is a group of business numbers sharing one messaging limit (docs/spec.md 4.8):
// the numbers listed, and every number of the WABAs listed.
type Portfolio struct {
	Name       string
	Businesses []string
	Wabas      []string
	Limit      float64 // from the config; 0 = unknown
}

// RateCard prices what Meta charges: a PMP `regular` message per message, a billable
// CBP conversation per conversation (by the conversation's category).
// Countries[country][category] falls back to Default[category].
type RateCard struct {
	Currency  string
	Default   map[model.Category]float64
	Countries map[string]map[model.Category]float64
}

// DefaultConfig returns the defaults of docs/spec.md 4 and docs/metrics.md.
func DefaultConfig() Config {
	return Config{
		HashKey:          0x9e3779b97f4a7c15,
		HashKey2:         0xbf58476d1ce4e5b9,
		MaxMessages:      2_000_000,
		MaxCustomers:     2_000_000,
		MaxConversations: 2_000_000,
		MaxBuffered:      500_000,
		MessageTTL:       7*24*time.Hour + time.Hour,
		CustomerTTL:      35 * 24 * time.Hour,
		AllowedLateness:  5 * time.Minute,
		ReplyWindow:      24 * time.Hour,
		ErrorCodeCap:     30,
		CountryCap:       50,
		MaxBusinesses:    200,
		OptOutKeywords:   []string{"STOP", "UNSUBSCRIBE"},
		OptInKeywords:    []string{"START"},
		OptOutPayloads:   []string{"STOP", "UNSUBSCRIBE"},
		PricingSwitchAt:  time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC),
	}
}

// fill gives every unset (zero or negative) size, duration and cap of c the value it
// has in d.
func (c *Config) fill(d Config) {
	for _, f := range []struct{ v, d *int }{
		{&c.MaxMessages, &d.MaxMessages}, {&c.MaxCustomers, &d.MaxCustomers}, {&c.MaxConversations, &d.MaxConversations},
		{&c.MaxBuffered, &d.MaxBuffered}, {&c.ErrorCodeCap, &d.ErrorCodeCap}, {&c.CountryCap, &d.CountryCap},
		{&c.MaxBusinesses, &d.MaxBusinesses},
	} {
		if *f.v <= 0 {
			*f.v = *f.d
		}
	}
	for _, f := range []struct{ v, d *time.Duration }{
		{&c.MessageTTL, &d.MessageTTL}, {&c.CustomerTTL, &d.CustomerTTL}, {&c.ReplyWindow, &d.ReplyWindow},
	} {
		if *f.v = f.v.Truncate(time.Second); *f.v <= 0 {
			*f.v = *f.d
		}
	}
	if c.PricingSwitchAt.Unix() <= 0 {
		c.PricingSwitchAt = d.PricingSwitchAt
	}
	c.AllowedLateness = max(c.AllowedLateness.Truncate(time.Second), 0)
}

// eventSeconds are the durations and instants of a filled Config in seconds of event
// time, the unit of the hot path (event times are whole Unix seconds).
type eventSeconds struct {
	messageTTL, customerTTL int64
	lateness, replyWindow   int64
	pricingSwitch           int64 // Unix time
}

func (c *Config) seconds() eventSeconds {
	s := func(d time.Duration) int64 { return int64(d / time.Second) }
	return eventSeconds{
		messageTTL: s(c.MessageTTL), customerTTL: s(c.CustomerTTL),
		lateness: s(c.AllowedLateness), replyWindow: s(c.ReplyWindow),
		pricingSwitch: c.PricingSwitchAt.Unix(),
	}
}

// periodBounds returns the quota period [start, end) containing t.
func (q *Quota) periodBounds(t int64) (int64, int64) {
	loc := q.Location
	if loc == nil {
		loc = time.UTC
	}
	tt := time.Unix(t, 0).In(loc)
	day := 1
	if q.ResetDay > 0 {
		day = q.ResetDay
	}
	start := time.Date(tt.Year(), tt.Month(), day, 0, 0, 0, 0, loc)
	if start.After(tt) {
		start = start.AddDate(0, -1, 0)
	}
	end := start.AddDate(0, 1, 0)
	return start.Unix(), end.Unix()
}
