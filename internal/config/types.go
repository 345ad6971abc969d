package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// enum is implemented by the string types whose values form a closed set. Validation and
// the JSON Schema both read the set from Values, so they cannot drift apart.
type enum interface {
	Values() []string
	what() string // noun used in error messages, e.g. "format"
}

// Format is the provider format of an input (docs/spec.md 3.3).
type Format string

// Formats.
const (
	FormatAuto    Format = "auto"
	FormatMeta    Format = "meta"
	FormatOnPrem  Format = "onprem"
	FormatTwilio  Format = "twilio"
	FormatGupshup Format = "gupshup"
	FormatInfobip Format = "infobip"
)

func (Format) Values() []string {
	return []string{"auto", "meta", "onprem", "twilio", "gupshup", "infobip"}
}
func (Format) what() string { return "format" }

// Start is where a file seen for the first time is read from.
type Start string

// Start positions.
const (
	StartBeginning Start = "beginning"
	StartEnd       Start = "end"
)

func (Start) Values() []string { return []string{"beginning", "end"} }
func (Start) what() string     { return "start position" }

// QuotaUnit is what a quota counts.
type QuotaUnit string

// Quota units.
const (
	// UnitBillable counts what Meta charges in each era: a billable CBP conversation
	// before 2025-07-01, a delivered PMP regular message after (one quota across the
	// switch).
	UnitBillable QuotaUnit = "billable"
	// UnitConversations counts CBP conversations only: it does not move after the
	// switch to per-message pricing.
	UnitConversations     QuotaUnit = "conversations"
	UnitBillableMessages  QuotaUnit = "billable_messages"
	UnitDeliveredMessages QuotaUnit = "delivered_messages"
)

func (QuotaUnit) Values() []string {
	return []string{"billable", "conversations", "billable_messages", "delivered_messages"}
}
func (QuotaUnit) what() string { return "unit" }

// PeriodType is how a quota period is laid out.
type PeriodType string

// Period types.
const (
	PeriodCalendarMonth PeriodType = "calendar_month"
	PeriodResetDay      PeriodType = "reset_day"
)

func (PeriodType) Values() []string { return []string{"calendar_month", "reset_day"} }
func (PeriodType) what() string     { return "period type" }

// Category is a pricing category (the category label vocabulary of docs/metrics.md, without
// the catch-alls unknown and other).
type Category string

// Categories.
const (
	CategoryMarketing                   Category = "marketing"
	CategoryUtility                     Category = "utility"
	CategoryAuthentication              Category = "authentication"
	CategoryAuthenticationInternational Category = "authentication_international"
	CategoryService                     Category = "service"
	CategoryReferralConversion          Category = "referral_conversion"
	CategoryMarketingLite               Category = "marketing_lite"
)

func (Category) Values() []string {
	return []string{"marketing", "utility", "authentication", "authentication_international",
		"service", "referral_conversion", "marketing_lite"}
}
func (Category) what() string { return "category" }

// Duration is a time.Duration written in Prometheus syntax ("90s", "36h", "7d1h", "2w") or
// Go syntax ("1h30m", "1.5h"); see ParseDuration. Negative durations do not parse.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d with the largest units first ("7d1h", "5m", "0s").
func (d Duration) String() string {
	v := time.Duration(d)
	if v == 0 {
		return "0s"
	}
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
		v = -v
	}
	day := 24 * time.Hour
	if v >= day {
		fmt.Fprintf(&b, "%dd", v/day)
		v %= day
	}
	for _, u := range []struct {
		d time.Duration
		s string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}, {time.Microsecond, "us"}, {time.Nanosecond, "ns"}} {
		if v >= u.d {
			fmt.Fprintf(&b, "%d%s", v/u.d, u.s)
			v %= u.d
		}
	}
	return b.String()
}

// ParseDuration reads a non-negative duration in Prometheus syntax (model.ParseDuration:
// integer counts of y, w, d, h, m, s, ms, largest unit first: "7d1h", "2w", "90s") or,
// failing that, in Go syntax (time.ParseDuration: fractions and ns, us, µs: "1.5h",
// "250us"). Surrounding spaces are ignored. A day is 24h, a week 7d, a year 365d. Not
// accepted: negative values, and fractions or sub-millisecond units mixed with d, w or y
// ("1.5d": write "36h").
func ParseDuration(s string) (Duration, error) {
	orig := s
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return 0, errors.New("empty duration")
	case s[0] == '-':
		return 0, fmt.Errorf("negative duration %q", orig)
	}
	p, perr := model.ParseDuration(s)
	if perr == nil {
		return Duration(p), nil
	}
	if g, err := time.ParseDuration(s); err == nil && g >= 0 {
		return Duration(g), nil
	}
	// model.ParseDuration reports an overflow as "duration out of range"; any other
	// failure is a syntax error, reported the same way whichever syntax was meant.
	if strings.Contains(perr.Error(), "out of range") {
		return 0, fmt.Errorf("duration %q is too large", orig)
	}
	return 0, fmt.Errorf("invalid duration %q (use e.g. 90s, 36h, 7d)", orig)
}

// MarshalYAML writes the duration as a string ("7d1h").
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalText writes the duration as a string ("7d1h"), e.g. for JSON.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses the duration syntax of ParseDuration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Limit is a messaging limit: a number of unique customers per rolling 24h, +Inf for
// TIER_UNLIMITED. In YAML it is a tier name or a positive number (see ParseLimit).
type Limit float64

// MarshalText writes the limit as a tier name when it is one, else as a number.
func (l Limit) MarshalText() ([]byte, error) { return []byte(FormatLimit(float64(l))), nil }

// UnmarshalText parses the syntax of ParseLimit.
func (l *Limit) UnmarshalText(b []byte) error {
	v, err := ParseLimit(string(b))
	if err != nil {
		return err
	}
	*l = Limit(v)
	return nil
}

// ErrLimitNotSet is returned by ParseLimit for TIER_NOT_SET: the limit is unknown and
// must not be exported.
var ErrLimitNotSet = errors.New("messaging limit not set (TIER_NOT_SET)")

// tiers maps Meta's messaging-limit tier names (phone_number_quality_update
// current_limit / max_daily_conversation_per_phone, and the config) to numbers. This is
// the one mapping of tiers in the project; extend it here when Meta adds tiers.
var tiers = []struct {
	name  string
	value float64
}{
	{"TIER_50", 50},
	{"TIER_250", 250},
	{"TIER_1K", 1000},
	{"TIER_2K", 2000},
	{"TIER_10K", 10000},
	{"TIER_100K", 100000},
	{"TIER_UNLIMITED", math.Inf(1)},
}

// TierNames lists the tier names ParseLimit accepts (besides plain numbers).
func TierNames() []string {
	out := make([]string, len(tiers))
	for i, t := range tiers {
		out[i] = t.name
	}
	return out
}

// ParseLimit maps a messaging limit to a number of unique customers per 24h:
// TIER_50 -> 50, TIER_250 -> 250, TIER_1K -> 1000, TIER_2K -> 2000, TIER_10K -> 10000,
// TIER_100K -> 100000, TIER_UNLIMITED -> +Inf, a plain positive number -> itself.
// Tier names are matched case-insensitively. TIER_NOT_SET returns ErrLimitNotSet; anything
// else is an error.
func ParseLimit(s string) (float64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	if t == "TIER_NOT_SET" {
		return 0, ErrLimitNotSet
	}
	for _, tier := range tiers {
		if t == tier.name {
			return tier.value, nil
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || strings.HasPrefix(t, "TIER_") || math.IsNaN(f) || math.IsInf(f, 0) {
		if sug := suggest(t, TierNames()); sug != "" {
			return 0, fmt.Errorf("unknown messaging limit %q (did you mean %q?)", s, sug)
		}
		return 0, fmt.Errorf("unknown messaging limit %q (want one of %s, or a positive number)", s, strings.Join(TierNames(), ", "))
	}
	if f <= 0 {
		return 0, fmt.Errorf("messaging limit must be > 0, got %s", s)
	}
	return f, nil
}

// FormatLimit is the inverse of ParseLimit: the tier name for a tier value, else the
// number.
func FormatLimit(v float64) string {
	for _, tier := range tiers {
		if v == tier.value {
			return tier.name
		}
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
