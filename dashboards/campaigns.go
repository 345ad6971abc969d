package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/waba-exporter/waba_exporter/alerts"
)

// FileCampaigns is the committed file of the campaigns dashboard.
const FileCampaigns = "campaigns.json"

// VarCampaign is the campaign variable of the campaigns dashboard.
const VarCampaign = "campaign"

// Campaigns: campaigns and A/B tests (issue 16). The funnel of each variant side by
// side, every rate with its Wilson 95% interval, the z-scores against the control
// variant with the +-1.96 significance band, conversions and their value. Campaign
// counters are campaign to date (they leave the exposition when a campaign expires);
// conversions and the recording rules have no phone_number_id, so their queries select
// by job and instance only (the recording rules, summed over every member and partition,
// by job only).
func Campaigns(c alerts.Config) dashboard.Dashboard {
	sel, selInst := sels(c)
	camp := `campaign=~"$campaign"`
	selC, selInstC := with(sel, camp), with(selInst, camp)
	label := "{{campaign}} {{variant}}"
	rate := func(o alerts.CampaignOutcome, w uint32) cog.Builder[dashboard.Panel] {
		return timeseriesPanel(o.Title+" per delivered message",
			"Recording rules: "+o.Title+" per delivered tagged message, campaign to date, with the Wilson 95% interval (low and high).", "percentunit", w,
			q(bizRule(c, o.Ratio(), selInstC), label),
			q(bizRule(c, o.Lower(), selInstC), label+" low"),
			q(bizRule(c, o.Upper(), selInstC), label+" high"))
	}
	os := alerts.CampaignOutcomes
	counts := []target{instant(fmt.Sprintf("sum by (campaign, variant) (%s)", bizRule(c, alerts.RecCampaignDelivered, selInstC)), label+" Delivered")}
	var zs []target
	for _, o := range alerts.CampaignOutcomes {
		counts = append(counts, instant(fmt.Sprintf("sum by (campaign, variant) (%s)", bizRule(c, o.Count(), selInstC)), label+" "+o.Title))
		zs = append(zs, q(bizRule(c, o.ZScore(), selInstC), label+" "+o.Title))
	}
	d := newDashboard(c, "waba-campaigns", "Campaigns and A/B tests",
		"Per campaign and variant: the funnel side by side, read, reply, click, opt-out and conversion rates with their 95% intervals, z-scores against the control variant ("+c.CampaignControlVariant+"), conversions and their value.",
		row("Funnel per variant",
			line(
				bargaugePanel("Funnel by variant", "Tagged messages by status, once per message (read implies delivered), campaign to date.", "short", 12,
					instant(fmt.Sprintf("sum by (campaign, variant, status) (waba_campaign_messages_total{%s})", selC), label+" {{status}}")),
				bargaugePanel("Responses by variant", "Recording rules: delivered tagged messages, then reads, replies, button clicks, opt-outs and attributed conversions, campaign to date.", "short", 12,
					counts...),
			),
			line(
				timeseriesPanel("Sent per hour", "Tagged messages sent per hour, by variant.", "short", 12,
					q(fmt.Sprintf("sum by (campaign, variant) (increase(waba_campaign_messages_total{%s}[1h]))", with(selC, `status="sent"`)), label)),
				timeseriesPanel("Delivered to read (median)", "Median time from delivered to read of tagged messages, campaign to date, by variant.", "s", 12,
					q(fmt.Sprintf("histogram_quantile(0.5, sum by (campaign, variant, le) (waba_campaign_delivered_to_read_seconds_bucket{%s}))", selInstC), label)),
			),
		),
		row("Rates with 95% intervals",
			line(rate(os[0], 8), rate(os[1], 8), rate(os[2], 8)),
			line(rate(os[3], 12), rate(os[4], 12))),
		row("Significance against the control variant",
			line(
				timeseriesPanel("z-score against "+c.CampaignControlVariant,
					"Recording rules: two-proportion z-score of each variant against the control variant (campaign_control_variant) for each rate; outside the band (|z| > 1.96) the difference is significant at 95%.", "none", 24,
					zs...).
					Thresholds(steps("green", -1.96, "transparent", 1.96, "green")).
					ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeLineAndArea)),
			),
		),
		row("Conversions",
			line(
				timeseriesPanel("Conversions by variant", "Conversion lines attributed to each variant (last touch within the attribution window by default), by name, campaign to date.", "short", 12,
					q(fmt.Sprintf("sum by (campaign, variant, name) (waba_campaign_conversions_total{%s})", selInstC), label+" {{name}}")),
				timeseriesPanel("Conversion value by variant", "Summed value of the attributed conversions, by currency, campaign to date.", "none", 12,
					q(fmt.Sprintf("sum by (campaign, variant, currency) (waba_campaign_conversion_value_total{%s})", selInstC), label+" {{currency}}")),
			),
		),
	)
	v, err := queryVar(VarCampaign, "Campaign",
		fmt.Sprintf("label_values(waba_campaign_messages_total{%s}, campaign)", c.Sel(`job=~"$job"`, `instance=~"$instance"`)),
		dashboard.VariableRefreshOnTimeRangeChanged).Build()
	if err != nil {
		panic(err)
	}
	v.Auto, v.AutoMin, v.AutoCount = nil, nil, nil
	d.Templating.List = append(d.Templating.List, v)
	return d
}
