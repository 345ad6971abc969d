package config

import (
	"testing"
	"time"
)

// TestCampaignsErrors pins the messages of the campaigns section: each names the file,
// the line and the field.
func TestCampaignsErrors(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"format", "campaigns:\n  format: xml\n", `waba.yml:2: campaigns.format: unknown campaign tag format "xml" (want one of kv, json, regex)`},
		{"attribution", "campaigns:\n  attribution: last\n", `waba.yml:2: campaigns.attribution: unknown attribution model "last" (want one of last_touch, first_touch)`},
		{"regex without pattern", "campaigns:\n  format: regex\n", `waba.yml:1: campaigns.pattern: is required with format regex`},
		{"pattern does not compile", "campaigns:\n  format: regex\n  pattern: '(?P<campaign>['\n", "waba.yml:3: campaigns.pattern: does not compile: error parsing regexp: missing closing ]: `[`"},
		{"pattern without group", "campaigns:\n  format: regex\n  pattern: '^(?P<c>.*)$'\n", `waba.yml:3: campaigns.pattern: has no named group (?P<campaign>...) for campaign_key`},
		{"same separators", "campaigns:\n  kv_separator: '='\n", `waba.yml:1: campaigns.kv_assign: must differ from kv_separator "="`},
		{"empty separator", "campaigns:\n  kv_separator: ''\n", `waba.yml:2: campaigns.kv_separator: must not be empty`},
		{"max campaigns", "campaigns:\n  max_campaigns: 0\n", `waba.yml:2: campaigns.max_campaigns: must be > 0, got 0`},
		{"max variants", "campaigns:\n  max_variants: 300\n", `waba.yml:2: campaigns.max_variants: must be 1 to 253, not 300`},
		{"expire shorter than window", "campaigns:\n  expire_after: 1d\n", `waba.yml:2: campaigns.expire_after: (24h0m0s) must not be shorter than attribution_window (168h0m0s)`},
		{"window zero", "campaigns:\n  attribution_window: 0s\n", `waba.yml:2: campaigns.attribution_window: must be > 0`},
		{"allowlist value", "campaigns:\n  allowlist:\n    campaigns: [spring, none]\n", `waba.yml:3: campaigns.allowlist.campaigns: allowlist value "none" is not a valid campaign label`},
		{"variant key clash", "campaigns:\n  variant_key: campaign\n", `waba.yml:2: campaigns.variant_key: must differ from campaign_key`},
		{"unknown key", "campaigns:\n  max_campaign: 3\n", `waba.yml:2: campaigns.max_campaign: unknown field (did you mean "max_campaigns"?)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "waba.yml")
			if err == nil {
				t.Fatalf("no error, want %s", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("got  %s\nwant %s", err, tc.want)
			}
		})
	}
}

// TestCampaignsDefaults: without the section, campaign=<c>;variant=<v> tags are read with
// the documented defaults; a section sets what it names and keeps the other defaults.
func TestCampaignsDefaults(t *testing.T) {
	cfg, err := Parse([]byte("reply: {window: 24h}\n"), "waba.yml")
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Campaigns.Campaign()
	if c.Format != "kv" || c.KVSeparator != ";" || c.KVAssign != "=" || c.CampaignKey != "campaign" || c.VariantKey != "variant" ||
		c.MaxCampaigns != 200 || c.MaxVariants != 10 || c.ExpireAfter != 30*24*time.Hour || c.AttributionWindow != 7*24*time.Hour ||
		c.Attribution != "last_touch" || c.ControlVariant != "A" {
		t.Fatalf("defaults: %+v", c)
	}
	cfg, err = Parse([]byte("campaigns:\n  format: json\n  attribution: first_touch\n  allowlist: {variants: [A, B]}\n  expire_after: 60d\n"), "waba.yml")
	if err != nil {
		t.Fatal(err)
	}
	c = cfg.Campaigns.Campaign()
	if c.Format != "json" || c.Attribution != "first_touch" || len(c.Variants) != 2 || c.ExpireAfter != 60*24*time.Hour || c.MaxCampaigns != 200 || c.CampaignKey != "campaign" {
		t.Fatalf("section: %+v", c)
	}
}
