package window

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/model"
)

// TestRestoreVersion4: a checkpoint written before this version (snapshot v4, made by
// the previous release from one inbound message, a CBP marketing template sent and
// delivered, and an account update) restores with its counters, windows and quota; what
// v4 did not hold starts empty, and the machine goes on (and snapshots as v5).
func TestRestoreVersion4(t *testing.T) {
	data, err := os.ReadFile("testdata/snapshot-v4.bin")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Quotas = []Quota{{Name: "conv", Limit: 100, Unit: UnitConversations, Location: time.UTC}}
	cfg.Portfolios = []Portfolio{{Name: "main", Businesses: []string{"111"}}}
	m, err := Restore(cfg, data)
	if err != nil {
		t.Fatal(err)
	}
	b := m.Businesses()[0]
	if b.ID != "111" || b.Inbound[model.MessageTypeText] != 1 || b.Status[model.CategoryMarketing][FunnelDelivered] != 1 || b.ConversationsOpened[model.CategoryMarketing] != 1 {
		t.Fatalf("restored business %s: inbound %v, delivered %v, conversations %v", b.ID, b.Inbound, b.Status[model.CategoryMarketing], b.ConversationsOpened)
	}
	base := int64(1748736000)
	v := m.View(base + 100)
	if v.Quotas[0].Used != 1 || v.Businesses[0].ServiceWindowsOpen != 1 || v.Businesses[0].ConversationsOpen[model.CategoryMarketing] != 1 {
		t.Fatalf("restored view: quota %v, service windows %d, conversations open %v", v.Quotas[0], v.Businesses[0].ServiceWindowsOpen, v.Businesses[0].ConversationsOpen)
	}
	if len(m.Accounts()) != 0 || b.OptedOutCustomers != 0 {
		t.Fatalf("v4 held no account health or opted-out customers, got %d accounts, %d opted out", len(m.Accounts()), b.OptedOutCustomers)
	}
	// It goes on: the customer who wrote replies and is answered within the window.
	ev := model.Event{Kind: model.KindStatus, Business: []byte("111"), Customer: []byte("5511900000001"), MessageID: []byte("r1"), Time: base + 200, Status: model.StatusSent, Category: model.CategoryService}
	m.Apply(&ev)
	m.Flush()
	if b.FirstResponse.Count != 1 || b.FirstResponse.Sum != 200 {
		t.Fatalf("first response after restore: count %d sum %v, want 1 and 200", b.FirstResponse.Count, b.FirstResponse.Sum)
	}
	again, err := Restore(cfg, m.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	if again.Businesses()[0].FirstResponse.Count != 1 {
		t.Fatal("the v5 snapshot of a machine restored from v4 lost its state")
	}
	// Versions outside the supported range are refused with a clear error.
	bad := append([]byte{3, 0, 0, 0}, data[4:]...)
	if _, err := Restore(cfg, bad); err == nil {
		t.Fatal("Restore accepted a version 3 snapshot")
	}
}

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
