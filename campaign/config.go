package campaign

import (
	"fmt"
	"regexp"
	"time"
)

// Config is the `campaigns:` section (issue 16): how a status's biz_opaque_callback_data
// is read, how many label values are kept and for how long, and how conversions are
// attributed. The zero value, after WithDefaults, reads `campaign=spring;variant=B`.
// The config package maps YAML onto it and reports Validate's errors with their line.
type Config struct {
	// Format is `kv` (default), `json` or `regex`.
	Format string
	// KVSeparator and KVAssign split a kv tag into pairs and a pair into key and value
	// (defaults `;` and `=`).
	KVSeparator string
	KVAssign    string
	// Pattern is the regular expression of format regex (RE2 syntax), with named groups
	// called as CampaignKey, VariantKey and (optional) TemplateKey.
	Pattern string
	// CampaignKey and VariantKey name the campaign and the variant (defaults `campaign`
	// and `variant`); TemplateKey optionally names a template (parsed, not a label).
	CampaignKey string
	VariantKey  string
	TemplateKey string
	// Campaigns and Variants are optional allowlists: other values fold into `other`
	// (counted as overflow). Without one, the first MaxCampaigns campaigns (default 200)
	// and the first MaxVariants variants per campaign (default 10) are kept.
	Campaigns    []string
	Variants     []string
	MaxCampaigns int
	MaxVariants  int
	// ExpireAfter drops a campaign that had no event for that long (event time; default
	// 30 days) and frees its label slot.
	ExpireAfter time.Duration
	// AttributionWindow: a conversion or opt-out at t is credited to a tagged delivery at
	// d when d <= t < d + AttributionWindow (default 7 days).
	AttributionWindow time.Duration
	// Attribution is `last_touch` (default) or `first_touch`.
	Attribution string
	// MaxTouches bounds the recent tagged deliveries kept per customer (default 4).
	MaxTouches int
	// ControlVariant is the variant the z-score rules compare against (default `A`).
	ControlVariant string
	// MaxConversionNames bounds the `name` label of conversions (default 20; Names).
	MaxConversionNames int
}

// Defaults of Config.
const (
	DefaultMaxCampaigns      = 200
	DefaultMaxVariants       = 10
	DefaultExpireAfter       = 30 * 24 * time.Hour
	DefaultAttributionWindow = 7 * 24 * time.Hour
	DefaultMaxTouches        = 4
	// MaxLabelLen is the longest campaign, variant or template value kept (bytes).
	MaxLabelLen = 64
	// maxVariantsCap keeps a variant index in the 8 bits a Ref gives it ("other" included).
	maxVariantsCap = 254
	// maxCampaignsCap keeps a slot in the 16 bits a Ref gives it ("other" included).
	maxCampaignsCap = 65000
)

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Format, "kv")
	def(&c.KVSeparator, ";")
	def(&c.KVAssign, "=")
	def(&c.CampaignKey, "campaign")
	def(&c.VariantKey, "variant")
	def(&c.Attribution, "last_touch")
	def(&c.ControlVariant, "A")
	if c.MaxCampaigns == 0 {
		c.MaxCampaigns = DefaultMaxCampaigns
	}
	if c.MaxVariants == 0 {
		c.MaxVariants = DefaultMaxVariants
	}
	if c.ExpireAfter == 0 {
		c.ExpireAfter = DefaultExpireAfter
	}
	if c.AttributionWindow == 0 {
		c.AttributionWindow = DefaultAttributionWindow
	}
	if c.MaxTouches == 0 {
		c.MaxTouches = DefaultMaxTouches
	}
	if c.MaxConversionNames == 0 {
		c.MaxConversionNames = DefaultMaxConversionNames
	}
	return c
}

// FieldError is a bad value of one key of the campaigns section. Its message names the
// key as written in the config file.
type FieldError struct {
	Field string // e.g. "campaigns.kv_separator"
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Validate checks c (after WithDefaults) and returns the first problem as a *FieldError.
func (c Config) Validate() error {
	for _, check := range []func() error{c.validateFormat, c.validateKeys, c.validateLimits, c.validateTimes} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// bad builds the *FieldError for campaigns.<f>.
func bad(f, format string, a ...any) error {
	return &FieldError{Field: "campaigns." + f, Msg: fmt.Sprintf(format, a...)}
}

// validateFormat checks the format and the settings only it uses.
func (c Config) validateFormat() error {
	switch c.Format {
	case "kv":
		if c.KVSeparator == "" {
			return bad("kv_separator", "must not be empty")
		}
		if c.KVAssign == "" {
			return bad("kv_assign", "must not be empty")
		}
		if c.KVSeparator == c.KVAssign {
			return bad("kv_assign", "must differ from kv_separator %q", c.KVSeparator)
		}
	case "json":
	case "regex":
		if c.Pattern == "" {
			return bad("pattern", "is required with format regex")
		}
		re, err := regexp.Compile(c.Pattern)
		if err != nil {
			return bad("pattern", "does not compile: %v", err)
		}
		if re.SubexpIndex(c.CampaignKey) < 0 {
			return bad("pattern", "has no named group (?P<%s>...) for campaign_key", c.CampaignKey)
		}
	default:
		return bad("format", "must be kv, json or regex, not %q", c.Format)
	}
	return nil
}

// validateKeys checks that the campaign, variant and template keys are set and distinct.
func (c Config) validateKeys() error {
	if c.CampaignKey == "" {
		return bad("campaign_key", "must not be empty")
	}
	if c.VariantKey == c.CampaignKey {
		return bad("variant_key", "must differ from campaign_key")
	}
	if c.TemplateKey != "" && (c.TemplateKey == c.CampaignKey || c.TemplateKey == c.VariantKey) {
		return bad("template_key", "must differ from campaign_key and variant_key")
	}
	return nil
}

// validateLimits checks the caps, the allowlists and the label values.
func (c Config) validateLimits() error {
	if c.MaxCampaigns < 1 || c.MaxCampaigns > maxCampaignsCap {
		return bad("max_campaigns", "must be 1 to %d, not %d", maxCampaignsCap, c.MaxCampaigns)
	}
	if c.MaxVariants < 1 || c.MaxVariants > maxVariantsCap-1 {
		return bad("max_variants", "must be 1 to %d, not %d", maxVariantsCap-1, c.MaxVariants)
	}
	if len(c.Campaigns) > maxCampaignsCap {
		return bad("campaigns", "allowlist longer than %d", maxCampaignsCap)
	}
	if len(c.Variants) > maxVariantsCap-1 {
		return bad("variants", "allowlist longer than %d", maxVariantsCap-1)
	}
	for _, v := range c.Campaigns {
		if clean([]byte(v)) != okValue || v == LabelNone || v == LabelOther {
			return bad("campaigns", "allowlist value %q is not a valid campaign label", v)
		}
	}
	for _, v := range c.Variants {
		if clean([]byte(v)) != okValue {
			return bad("variants", "allowlist value %q is not a valid variant label", v)
		}
	}
	return nil
}

// validateTimes checks the durations and the attribution settings.
func (c Config) validateTimes() error {
	if c.ExpireAfter < time.Second {
		return bad("expire_after", "must be at least 1s")
	}
	if c.AttributionWindow < time.Second {
		return bad("attribution_window", "must be at least 1s")
	}
	if c.ExpireAfter < c.AttributionWindow {
		// A campaign could leave while deliveries of it still attribute conversions.
		return bad("expire_after", "(%s) must not be shorter than attribution_window (%s)", c.ExpireAfter, c.AttributionWindow)
	}
	if c.Attribution != "last_touch" && c.Attribution != "first_touch" {
		return bad("attribution", "must be last_touch or first_touch, not %q", c.Attribution)
	}
	if c.MaxTouches < 1 || c.MaxTouches > 64 {
		return bad("max_touches", "must be 1 to 64, not %d", c.MaxTouches)
	}
	if c.MaxConversionNames < 1 || c.MaxConversionNames > 1000 {
		return bad("max_conversion_names", "must be 1 to 1000, not %d", c.MaxConversionNames)
	}
	if clean([]byte(c.ControlVariant)) != okValue {
		return bad("control_variant", "%q is not a valid variant label", c.ControlVariant)
	}
	return nil
}
