package window

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/campaign"
	"github.com/waba-exporter/waba_exporter/model"
)

// TestRestoreRefusesEarlierVersions: snapshots before version 7 hashed ids otherwise
// (and held no campaign state): they are refused with the version named, never read
// into a machine whose hashes would not match theirs.
func TestRestoreRefusesEarlierVersions(t *testing.T) {
	snap := New(DefaultConfig()).Snapshot()
	for _, v := range []byte{4, 5, 6} {
		old := append([]byte{v, 0, 0, 0}, snap[4:]...)
		if _, err := Restore(DefaultConfig(), old); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("version %d", v)) {
			t.Fatalf("version %d: err = %v, want a version error", v, err)
		}
	}
	if _, err := Restore(DefaultConfig(), snap); err != nil {
		t.Fatalf("the current version: %v", err)
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
