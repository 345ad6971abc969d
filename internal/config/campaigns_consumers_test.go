package config_test

import "github.com/waba-exporter/waba_exporter/window"

// The campaigns section reaches the state machine as window.Config.Campaigns (its
// control_variant too: the machine keeps it with the rest; the recording rules take
// theirs from the alerts config).
func init() {
	for k, v := range map[string]fieldCase{
		"campaigns":                     {set: "campaigns: {format: json}\n", probe: win(func(w window.Config) any { return w.Campaigns.Format })},
		"campaigns.format":              {set: "campaigns: {format: json}\n", probe: win(func(w window.Config) any { return w.Campaigns.Format })},
		"campaigns.kv_separator":        {set: "campaigns: {kv_separator: '|'}\n", probe: win(func(w window.Config) any { return w.Campaigns.KVSeparator })},
		"campaigns.kv_assign":           {set: "campaigns: {kv_assign: ':'}\n", probe: win(func(w window.Config) any { return w.Campaigns.KVAssign })},
		"campaigns.pattern":             {set: "campaigns: {format: regex, pattern: '(?P<campaign>.+)'}\n", probe: win(func(w window.Config) any { return w.Campaigns.Pattern })},
		"campaigns.campaign_key":        {set: "campaigns: {campaign_key: c}\n", probe: win(func(w window.Config) any { return w.Campaigns.CampaignKey })},
		"campaigns.variant_key":         {set: "campaigns: {variant_key: v}\n", probe: win(func(w window.Config) any { return w.Campaigns.VariantKey })},
		"campaigns.template_key":        {set: "campaigns: {template_key: t}\n", probe: win(func(w window.Config) any { return w.Campaigns.TemplateKey })},
		"campaigns.allowlist":           {set: "campaigns: {allowlist: {campaigns: [spring]}}\n", probe: win(func(w window.Config) any { return w.Campaigns.Campaigns })},
		"campaigns.allowlist.campaigns": {set: "campaigns: {allowlist: {campaigns: [spring]}}\n", probe: win(func(w window.Config) any { return w.Campaigns.Campaigns })},
		"campaigns.allowlist.variants":  {set: "campaigns: {allowlist: {variants: [A, B]}}\n", probe: win(func(w window.Config) any { return w.Campaigns.Variants })},
		"campaigns.max_campaigns":       {set: "campaigns: {max_campaigns: 5}\n", probe: win(func(w window.Config) any { return w.Campaigns.MaxCampaigns })},
		"campaigns.max_variants":        {set: "campaigns: {max_variants: 5}\n", probe: win(func(w window.Config) any { return w.Campaigns.MaxVariants })},
		"campaigns.expire_after":        {set: "campaigns: {expire_after: 60d}\n", probe: win(func(w window.Config) any { return w.Campaigns.ExpireAfter })},
		"campaigns.attribution_window":  {set: "campaigns: {attribution_window: 1d}\n", probe: win(func(w window.Config) any { return w.Campaigns.AttributionWindow })},
		"campaigns.attribution":         {set: "campaigns: {attribution: first_touch}\n", probe: win(func(w window.Config) any { return w.Campaigns.Attribution })},
		"campaigns.control_variant":     {set: "campaigns: {control_variant: B}\n", probe: win(func(w window.Config) any { return w.Campaigns.ControlVariant })},
		"campaigns.max_conversion_names": {set: "campaigns: {max_conversion_names: 3}\n",
			probe: win(func(w window.Config) any { return w.Campaigns.MaxConversionNames })},
	} {
		fieldCases[k] = v
	}
}
