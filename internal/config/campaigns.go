package config

import (
	"errors"
	"strings"

	"github.com/waba-exporter/waba_exporter/campaign"
)

// Campaigns is the `campaigns:` section (issue 16): how a status's
// biz_opaque_callback_data names a campaign and a variant, how their label values are
// bounded, and how conversions are attributed. Without the section the defaults read
// `campaign=spring;variant=B`.
type Campaigns struct {
	Format             CampaignFormat      `yaml:"format" doc:"How biz_opaque_callback_data is read: kv (key=value pairs), json (an object) or regex (pattern with named groups)."`
	KVSeparator        string              `yaml:"kv_separator" doc:"Separator between the pairs of a kv tag."`
	KVAssign           string              `yaml:"kv_assign" doc:"Separator between the key and the value of a kv pair."`
	Pattern            string              `yaml:"pattern" doc:"Regular expression (RE2) of format regex, with named groups named as campaign_key, variant_key and template_key."`
	CampaignKey        string              `yaml:"campaign_key" doc:"Key (kv, json) or group (regex) of the campaign; a value without it is no tag."`
	VariantKey         string              `yaml:"variant_key" doc:"Key or group of the variant; a tag without one has variant none."`
	TemplateKey        string              `yaml:"template_key" doc:"Optional key or group of a template name (read and checked, not a label). Empty: none."`
	Allowlist          CampaignAllowlist   `yaml:"allowlist" doc:"Optional allowlists of campaign and variant values; others become other (counted as label overflow)."`
	MaxCampaigns       int                 `yaml:"max_campaigns" doc:"Without an allowlist, the first this many campaigns are kept as labels; later ones become other."`
	MaxVariants        int                 `yaml:"max_variants" doc:"Without an allowlist, the first this many variants of each campaign are kept; later ones become other."`
	ExpireAfter        Duration            `yaml:"expire_after" doc:"A campaign with no event for this long (event time) leaves the exposition and frees its label slot. At least attribution_window."`
	AttributionWindow  Duration            `yaml:"attribution_window" doc:"A conversion or opt-out at t is credited to a tagged delivery at d when d <= t < d + attribution_window."`
	Attribution        CampaignAttribution `yaml:"attribution" doc:"Which tagged delivery within the window a conversion is credited to: last_touch (the latest) or first_touch (the earliest). Opt-outs always go to the latest."`
	ControlVariant     string              `yaml:"control_variant" doc:"The variant the recording rules compare every other variant with (two-proportion z-score)."`
	MaxConversionNames int                 `yaml:"max_conversion_names" doc:"The first this many conversion names are kept as the name label; later ones become other."`
}

// CampaignAllowlist lists the campaign and variant values kept as labels.
type CampaignAllowlist struct {
	Campaigns []string `yaml:"campaigns" doc:"Campaign values kept as labels. Empty: the first max_campaigns."`
	Variants  []string `yaml:"variants" doc:"Variant values kept as labels. Empty: the first max_variants of each campaign."`
}

// CampaignFormat is the format of campaign tags.
type CampaignFormat string

func (CampaignFormat) Values() []string { return []string{"kv", "json", "regex"} }
func (CampaignFormat) what() string     { return "campaign tag format" }

// CampaignAttribution is the attribution model of conversions.
type CampaignAttribution string

func (CampaignAttribution) Values() []string { return []string{"last_touch", "first_touch"} }
func (CampaignAttribution) what() string     { return "attribution model" }

// defaultCampaigns is the section's defaults (those of package campaign).
func defaultCampaigns() Campaigns {
	d := campaign.Config{}.WithDefaults()
	return Campaigns{
		Format: CampaignFormat(d.Format), KVSeparator: d.KVSeparator, KVAssign: d.KVAssign,
		CampaignKey: d.CampaignKey, VariantKey: d.VariantKey,
		MaxCampaigns: d.MaxCampaigns, MaxVariants: d.MaxVariants,
		ExpireAfter: Duration(d.ExpireAfter), AttributionWindow: Duration(d.AttributionWindow),
		Attribution: CampaignAttribution(d.Attribution), ControlVariant: d.ControlVariant,
		MaxConversionNames: d.MaxConversionNames,
	}
}

// Campaign returns the section as package campaign's Config (what the state machine uses).
func (c Campaigns) Campaign() campaign.Config {
	return campaign.Config{
		Format: string(c.Format), KVSeparator: c.KVSeparator, KVAssign: c.KVAssign, Pattern: c.Pattern,
		CampaignKey: c.CampaignKey, VariantKey: c.VariantKey, TemplateKey: c.TemplateKey,
		Campaigns: c.Allowlist.Campaigns, Variants: c.Allowlist.Variants,
		MaxCampaigns: c.MaxCampaigns, MaxVariants: c.MaxVariants,
		ExpireAfter: c.ExpireAfter.Std(), AttributionWindow: c.AttributionWindow.Std(),
		Attribution: string(c.Attribution), ControlVariant: c.ControlVariant,
		MaxConversionNames: c.MaxConversionNames,
	}.WithDefaults()
}

// validateCampaigns reports the section's problems with their line (package campaign's
// Validate decides; its field names are mapped to the YAML paths).
func (d *decoder) validateCampaigns(c *Campaigns) {
	if !d.checkEnum("campaigns.format", c.Format, string(c.Format)) ||
		!d.checkEnum("campaigns.attribution", c.Attribution, string(c.Attribution)) {
		return
	}
	// Zero values would silently take the defaults in package campaign: refuse them.
	for _, f := range []struct {
		path string
		v    int
	}{{"campaigns.max_campaigns", c.MaxCampaigns}, {"campaigns.max_variants", c.MaxVariants}, {"campaigns.max_conversion_names", c.MaxConversionNames}} {
		if f.v < 1 {
			d.errorf(f.path, "must be > 0, got %d", f.v)
			return
		}
	}
	for _, f := range []struct {
		path string
		v    Duration
	}{{"campaigns.expire_after", c.ExpireAfter}, {"campaigns.attribution_window", c.AttributionWindow}} {
		if f.v <= 0 {
			d.errorf(f.path, "must be > 0")
			return
		}
	}
	for _, f := range []struct{ path, v string }{
		{"campaigns.kv_separator", c.KVSeparator}, {"campaigns.kv_assign", c.KVAssign},
		{"campaigns.campaign_key", c.CampaignKey}, {"campaigns.variant_key", c.VariantKey},
		{"campaigns.control_variant", c.ControlVariant},
	} {
		if f.v == "" && d.has(f.path) {
			d.errorf(f.path, "must not be empty")
			return
		}
	}
	err := c.Campaign().Validate()
	var fe *campaign.FieldError
	if errors.As(err, &fe) {
		path := fe.Field
		switch path {
		case "campaigns.campaigns":
			path = "campaigns.allowlist.campaigns"
		case "campaigns.variants":
			path = "campaigns.allowlist.variants"
		}
		d.errorf(path, "%s", fe.Msg)
	} else if err != nil {
		d.errorf("campaigns", "%s", strings.TrimPrefix(err.Error(), "campaigns: "))
	}
}
