package window

import (
	"strings"
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

// TestSnapshotHoldsNoIdentifiers: customers known by phone number or by business-scoped
// user id, linked or not, are held as keyed hashes only: neither appears in a snapshot.
func TestSnapshotHoldsNoIdentifiers(t *testing.T) {
	m := New(DefaultConfig())
	phone, bsuid, only := "5511987650123", "user.4f1c9a0e77d2b3c5", "user.90ab13cd57ef2468"
	base := int64(1770000000)
	evs := []model.Event{
		{Kind: model.KindInbound, Business: []byte("111"), Customer: []byte(phone), CustomerUserID: []byte(bsuid), MessageID: []byte("i1"), Time: base},
		{Kind: model.KindInbound, Business: []byte("111"), CustomerUserID: []byte(bsuid), MessageID: []byte("i2"), Time: base + 5},
		{Kind: model.KindInbound, Business: []byte("111"), CustomerUserID: []byte(only), CustomerCountry: []byte("IN"), MessageID: []byte("i3"), Time: base + 9},
		{Kind: model.KindUserPreference, Business: []byte("111"), CustomerUserID: []byte(only), Preference: model.PreferenceStop, Time: base + 20},
	}
	for i := range evs {
		m.Apply(&evs[i])
	}
	m.Flush()
	snap := string(m.Snapshot())
	for _, id := range []string{phone, bsuid, only, "4f1c9a0e77d2b3c5", "90ab13cd57ef2468"} {
		if strings.Contains(snap, id) {
			t.Errorf("the snapshot holds %q in clear", id)
		}
	}
	if b := m.Businesses()[0]; b.OptedOutCustomers != 1 {
		t.Errorf("opted-out customers %d, want 1", b.OptedOutCustomers)
	}
	if v := m.View(base + 30); v.Businesses[0].ServiceWindowsOpen != 2 || v.Entries[EvictIdentity] != 1 {
		t.Errorf("service windows open %d (want 2: the linked customer and the BSUID-only one), identity links %d (want 1)", v.Businesses[0].ServiceWindowsOpen, v.Entries[EvictIdentity])
	}
}
