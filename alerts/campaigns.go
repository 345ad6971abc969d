package alerts

import "fmt"

// Campaign recording rules (issue 16, docs/metrics.md section 14): per campaign and variant,
// campaign to date (the counters are cumulative and restored from the checkpoint, and a
// finished campaign leaves the exposition after campaigns.expire_after):
//
//   - the delivered messages N and, for each outcome (read, reply, click, opt-out,
//     conversion), its count X and rate p = X / N;
//   - the Wilson score 95% interval of p:
//     (p + z²/2N ± z·sqrt(p(1-p)/N + z²/4N²)) / (1 + z²/N), z = 1.96;
//   - the two-proportion z-score of each variant against the campaign's control variant
//     (Config.CampaignControlVariant, as the exporter's campaigns.control_variant):
//     (p_v - p_c) / sqrt(P(1-P)(1/N_v + 1/N_c)), P = (X_v + X_c) / (N_v + N_c).
//
// Every series keeps the exporter's job label (and the other target labels not in
// Config.AggregateWithout), plus campaign and variant: the counters are summed over the
// members and partitions of a Kafka consumer group.

// RecCampaignDelivered is N: tagged messages delivered (or read), by campaign and variant.
const RecCampaignDelivered = "campaign_variant:waba_campaign_delivered:sum"

// CampaignOutcome is one rate of the campaign rules.
type CampaignOutcome struct {
	Name  string // read, replies, button_clicks, opt_outs, conversions
	Title string // for dashboards
	expr  func(c Config, sel string) string
}

// Count is the recorded name of X, Ratio of p, Lower and Upper of the Wilson interval,
// ZScore of the z-score against the control variant (the control itself has none).
func (o CampaignOutcome) Count() string { return "campaign_variant:waba_campaign_" + o.Name + ":sum" }
func (o CampaignOutcome) Ratio() string {
	return "campaign_variant:waba_campaign_" + o.Name + "_per_delivered:ratio"
}
func (o CampaignOutcome) Lower() string {
	return "campaign_variant:waba_campaign_" + o.Name + "_per_delivered:wilson95_lower"
}
func (o CampaignOutcome) Upper() string {
	return "campaign_variant:waba_campaign_" + o.Name + "_per_delivered:wilson95_upper"
}
func (o CampaignOutcome) ZScore() string {
	return "campaign_variant:waba_campaign_" + o.Name + "_per_delivered:zscore_vs_control"
}

// CampaignOutcomes are the rates recorded per variant.
var CampaignOutcomes = []CampaignOutcome{
	{"read", "Read", func(c Config, s string) string {
		return c.Sum(fmt.Sprintf(`waba_campaign_messages_total{%s, status="read"}`, s), "phone_number_id", "status")
	}},
	{"replies", "Replies", func(c Config, s string) string {
		return c.Sum(fmt.Sprintf(`waba_campaign_replies_total{%s}`, s), "phone_number_id")
	}},
	{"button_clicks", "Button clicks", func(c Config, s string) string {
		return c.Sum(fmt.Sprintf(`waba_campaign_button_clicks_total{%s}`, s), "phone_number_id")
	}},
	{"opt_outs", "Opt-outs", func(c Config, s string) string {
		return c.Sum(fmt.Sprintf(`waba_campaign_opt_outs_total{%s}`, s), "phone_number_id")
	}},
	{"conversions", "Conversions", func(c Config, s string) string {
		return c.Sum(fmt.Sprintf(`waba_campaign_conversions_total{%s, campaign!="none"}`, s), "name")
	}},
}

func campaignRules(c Config) []Rule {
	s := c.Sel()
	ctl := c.Sel(fmt.Sprintf("variant=%q", c.CampaignControlVariant))
	oth := c.Sel(fmt.Sprintf("variant!=%q", c.CampaignControlVariant))
	// The control variant's value joined to each other variant of its campaign:
	// the series match on every label but variant, whichever labels the
	// aggregation kept.
	on := "ignoring(variant) group_left()"
	n := RecCampaignDelivered
	rs := []Rule{{Record: n, Expr: c.Sum(fmt.Sprintf(`waba_campaign_messages_total{%s, status="delivered"}`, s), "phone_number_id", "status") + " > 0"}}
	for _, o := range CampaignOutcomes {
		p, x := o.Ratio(), o.Count()
		rs = append(rs,
			Rule{Record: x, Expr: o.expr(c, s)},
			Rule{Record: p, Expr: fmt.Sprintf("%s{%s} / %s{%s}", x, s, n, s)},
		)
		// z = 1.96: z²/2 = 1.9208, z²/4 = 0.9604, z² = 3.8416.
		for _, b := range []struct{ name, sign string }{{o.Lower(), "-"}, {o.Upper(), "+"}} {
			rs = append(rs, Rule{Record: b.name, Expr: lines(
				fmt.Sprintf("(%s{%s} + 1.9208 / %s{%s}", p, s, n, s),
				fmt.Sprintf("  %s 1.96 * sqrt(clamp_min(%s{%s} * (1 - %s{%s}), 0) / %s{%s} + 0.9604 / %s{%s} ^ 2))", b.sign, p, s, p, s, n, s, n, s),
				fmt.Sprintf("/ (1 + 3.8416 / %s{%s})", n, s))})
		}
		// P, the pooled rate of the variant and the control.
		pool := fmt.Sprintf("((%s{%s} + %s %s{%s}) / (%s{%s} + %s %s{%s}))", x, oth, on, x, ctl, n, oth, on, n, ctl)
		rs = append(rs, Rule{Record: o.ZScore(), Expr: lines(
			fmt.Sprintf("(%s{%s} - %s %s{%s})", p, oth, on, p, ctl),
			"/",
			fmt.Sprintf("sqrt(%s", pool),
			fmt.Sprintf("  * (1 - %s)", pool),
			fmt.Sprintf("  * (1 / %s{%s} + %s (1 / %s{%s})))", n, oth, on, n, ctl))})
	}
	return rs
}
