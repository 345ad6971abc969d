package exporter

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/waba-exporter/waba_exporter/campaign"
	"github.com/waba-exporter/waba_exporter/window"
)

// Campaign metrics (docs/metrics.md section 14). Only live campaigns are emitted: a campaign
// without events for campaigns.expire_after leaves the exposition with its series.
var (
	dCampMessages   = desc("waba_campaign_messages_total", "Tagged messages by status (sent, delivered, read, failed), once per message; read implies delivered.", lPhone, "campaign", "variant", "status")
	dCampReplies    = desc("waba_campaign_replies_total", "First inbound message of a customer attributed to a tagged message (by the context id it quotes, else by time).", lPhone, "campaign", "variant")
	dCampClicks     = desc("waba_campaign_button_clicks_total", "Quick-reply button and interactive replies whose context.id is a tagged message.", lPhone, "campaign", "variant")
	dCampOptOuts    = desc("waba_campaign_opt_outs_total", "Opt-outs within the attribution window after a tagged message, credited to the latest.", lPhone, "campaign", "variant")
	dCampDelivRead  = desc("waba_campaign_delivered_to_read_seconds", "Event-time latency from delivered to read of tagged messages, per variant, coarse buckets.", "campaign", "variant")
	dCampConv       = desc("waba_campaign_conversions_total", "Conversion lines attributed to a tagged delivery (last touch within attribution_window by default); campaign none when unattributed.", "campaign", "variant", "name")
	dCampConvValue  = desc("waba_campaign_conversion_value_total", "Summed value of the attributed conversion lines, by currency.", "campaign", "variant", "currency")
	dCampTagRefused = desc("waba_exporter_campaign_tags_refused_total", "biz_opaque_callback_data values naming a campaign but refused as a tag (the message counts untagged), by reason.", "reason")
)

func init() {
	allDescs = append(allDescs, dCampMessages, dCampReplies, dCampClicks, dCampOptOuts, dCampDelivRead, dCampConv, dCampConvValue, dCampTagRefused)
}

// collectCampaigns emits the campaign counters and the label overflow of the campaign
// and variant labels (under waba_exporter_label_values_overflow_total).
func collectCampaigns(ch chan<- prometheus.Metric, m *window.Machine) {
	v := m.Campaigns()
	for i := range v.Funnel {
		f := &v.Funnel[i]
		for s, name := range campaignStatusNames {
			counter(ch, dCampMessages, float64(f.Status[s]), f.Business, f.Campaign, f.Variant, name)
		}
		counter(ch, dCampReplies, float64(f.Replies), f.Business, f.Campaign, f.Variant)
		counter(ch, dCampClicks, float64(f.Clicks), f.Business, f.Campaign, f.Variant)
		counter(ch, dCampOptOuts, float64(f.OptOuts), f.Business, f.Campaign, f.Variant)
	}
	for _, l := range v.Latency {
		histogram(ch, dCampDelivRead, l.Hist, l.Campaign, l.Variant)
	}
	for _, c := range v.Conversions {
		counter(ch, dCampConv, float64(c.Count), c.Campaign, c.Variant, c.Key)
	}
	for _, c := range v.Values {
		counter(ch, dCampConvValue, c.Value, c.Campaign, c.Variant, c.Key)
	}
	for r := campaign.RefuseReason(0); r < campaign.NumRefuseReasons; r++ {
		counter(ch, dCampTagRefused, float64(v.Stats.Refused[r]), campaign.RefuseReasonNames[r])
	}
	counter(ch, dLabelOverflow, float64(v.Stats.CampaignOverflow), "campaign")
	counter(ch, dLabelOverflow, float64(v.Stats.VariantOverflow), "variant")
	counter(ch, dLabelOverflow, float64(v.Stats.NameOverflow), "conversion_name")
}
