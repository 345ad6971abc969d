package window

import (
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/model"
)

// fuzzConfig has a quota and a configured portfolio, so that the quota and portfolio
// sections of a snapshot are matched against configuration while restoring.
func fuzzConfig() Config {
	cfg := DefaultConfig()
	cfg.MaxMessages, cfg.MaxCustomers, cfg.MaxConversations = 64, 64, 64
	cfg.Quotas = []Quota{{Name: "conv", Limit: 100, Unit: UnitConversations, Location: time.UTC}}
	cfg.Portfolios = []Portfolio{{Name: "main", Businesses: []string{"111"}}}
	return cfg
}

// fuzzSnapshot is a v5 snapshot of a machine that holds some of everything: a business,
// a customer with an open window, a message in flight, buffered items, a quota use.
func fuzzSnapshot() []byte {
	m := New(fuzzConfig())
	base := int64(1752300000)
	evs := []model.Event{
		{Kind: model.KindInbound, Business: []byte("111"), Customer: []byte("5511900000001"), MessageID: []byte("i1"), Time: base, MessageType: model.MessageTypeText},
		{Kind: model.KindStatus, Business: []byte("111"), Customer: []byte("5511900000001"), MessageID: []byte("o1"), Time: base + 10, Status: model.StatusSent, Category: model.CategoryMarketing},
		{Kind: model.KindStatus, Business: []byte("111"), Customer: []byte("5511900000002"), MessageID: []byte("o2"), Time: base + 20, Status: model.StatusDelivered, Category: model.CategoryUtility},
	}
	for i := range evs {
		m.Apply(&evs[i])
	}
	return m.Snapshot() // not flushed: the reorder buffer is in the snapshot too
}

// FuzzRestore: Restore never panics and never hangs on arbitrary bytes; garbage is an
// error, and a snapshot it accepts can be snapshotted and restored again.
func FuzzRestore(f *testing.F) {
	snap := fuzzSnapshot()
	f.Add(snap)
	f.Add(snap[:len(snap)/2])
	f.Add([]byte{})
	f.Add([]byte{5, 0, 0, 0})
	cfg := fuzzConfig()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Restore(cfg, data)
		if err != nil {
			if m != nil {
				t.Fatalf("Restore returned a machine with error %v", err)
			}
			return
		}
		if m == nil {
			t.Fatal("Restore returned neither a machine nor an error")
		}
		if _, err := Restore(cfg, m.Snapshot()); err != nil {
			t.Fatalf("a restored machine's snapshot does not restore: %v", err)
		}
	})
}

// TestFuzzSnapshotSeed: the main seed is a snapshot Restore accepts (else the fuzzer
// would start from garbage only).
func TestFuzzSnapshotSeed(t *testing.T) {
	if _, err := Restore(fuzzConfig(), fuzzSnapshot()); err != nil {
		t.Fatal(err)
	}
}
