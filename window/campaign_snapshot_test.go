package window

import (
	"os"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/campaign"
	"github.com/waba-exporter/waba_exporter/model"
)

// TestRestoreVersion5: a checkpoint of the release before campaigns (snapshot v5, made
// from a marketing template sent with a campaign tag and delivered; v5 ignored the tag)
// restores with its counters and no campaign state; later statuses of the message carry
// the tag again and credit the funnel steps already seen, and the machine snapshots as v6.
func TestRestoreVersion5(t *testing.T) {
	data, err := os.ReadFile("testdata/snapshot-v5.bin")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Restore(DefaultConfig(), data)
	if err != nil {
		t.Fatal(err)
	}
	b := m.Businesses()[0]
	if b.Status[model.CategoryMarketing][FunnelDelivered] != 1 || b.Status[model.CategoryMarketing][FunnelSent] != 1 {
		t.Fatalf("restored funnel %v", b.Status[model.CategoryMarketing])
	}
	if v := m.Campaigns(); len(v.Funnel) != 0 || len(v.Conversions) != 0 {
		t.Fatalf("v5 held no campaign state, got %+v", v)
	}
	base := int64(1748736000)
	ev := model.Event{Kind: model.KindStatus, Business: []byte("111"), Customer: []byte("5511900000001"), MessageID: []byte("m1"),
		Time: base + 100, Status: model.StatusRead, Category: model.CategoryMarketing, CampaignTag: []byte("campaign=spring;variant=A")}
	m.Apply(&ev)
	conv := model.Event{Kind: model.KindConversion, Business: []byte("111"), Customer: []byte("5511900000001"), Time: base + 200,
		ConversionName: []byte("purchase"), ConversionValue: 5, ConversionCurrency: []byte("EUR")}
	m.Apply(&conv)
	// The conversion waits in the reorder buffer: it is part of the snapshot.
	m2, err := Restore(DefaultConfig(), m.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	m2.Flush()
	v := m2.Campaigns()
	if len(v.Funnel) != 1 || v.Funnel[0].Status != [NumCampaignStatus]uint64{1, 1, 1, 0} || v.Funnel[0].Campaign != "spring" {
		t.Fatalf("funnel after the tag came back: %+v", v.Funnel)
	}
	if len(v.Conversions) != 1 || v.Conversions[0].Campaign != "spring" || v.Conversions[0].Count != 1 {
		t.Fatalf("conversion after restore: %+v", v.Conversions)
	}
}

// TestReconfigureCampaigns: a reload keeps interned campaigns and counters and applies
// the new parser, caps and attribution model.
func TestReconfigureCampaigns(t *testing.T) {
	m := New(DefaultConfig())
	base := int64(1748736000)
	st := func(id string, t int64, s model.Status, tag string) {
		ev := model.Event{Kind: model.KindStatus, Business: []byte("111"), Customer: []byte("5511900000001"), MessageID: []byte(id),
			Time: base + t, Status: s, Category: model.CategoryMarketing}
		if tag != "" {
			ev.CampaignTag = []byte(tag)
		}
		m.Apply(&ev)
	}
	st("m1", 0, model.StatusDelivered, "campaign=spring;variant=A")
	st("m2", 10, model.StatusDelivered, `{"campaign":"restock","variant":"B"}`) // not kv: no tag
	cfg := m.Config()
	cfg.Campaigns = campaign.Config{Format: "json", Attribution: "first_touch", AttributionWindow: 24 * time.Hour}
	m.Reconfigure(cfg)
	st("m3", 20, model.StatusDelivered, `{"campaign":"restock","variant":"B"}`)
	st("m1", 30, model.StatusRead, "")
	conv := model.Event{Kind: model.KindConversion, Business: []byte("111"), Customer: []byte("5511900000001"), Time: base + 40, ConversionName: []byte("purchase")}
	m.Apply(&conv)
	m.Flush()
	v := m.Campaigns()
	if len(v.Funnel) != 2 || v.Funnel[0].Campaign != "restock" || v.Funnel[1].Campaign != "spring" || v.Funnel[1].Status[CampaignRead] != 1 {
		t.Fatalf("funnel after reload: %+v", v.Funnel)
	}
	if len(v.Conversions) != 1 || v.Conversions[0].Campaign != "spring" {
		t.Fatalf("first touch after reload: %+v", v.Conversions)
	}
}
