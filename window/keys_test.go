package window

import (
	"strings"
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

// TestApplyKeysSameAsApply: every scenario applied with ids hashed ahead (Hasher.Keys,
// ApplyKeys) ends in the same counters and scrape view as with Apply. (Snapshots are not
// compared: they hold Go maps in iteration order.)
func TestApplyKeysSameAsApply(t *testing.T) {
	for file, sc := range loadScenarios(t) {
		t.Run(strings.TrimSuffix(file, ".yaml"), func(t *testing.T) {
			plain, base := scenarioMachine(t, sc)
			keyed, _ := scenarioMachine(t, sc)
			h := keyed.Hasher()
			for _, e := range sc.Events {
				if e.Kind == "tick" {
					plain.Tick(base + e.T)
					keyed.Tick(base + e.T)
					continue
				}
				for i := 0; i <= e.Repeat; i++ {
					a, b := e.toModel(base), e.toModel(base)
					plain.Apply(&a)
					k := h.Keys(&b)
					keyed.ApplyKeys(&b, &k)
				}
			}
			plain.Flush()
			keyed.Flush()
			if d := diff(flatten(plain, plain.Watermark(), base), flatten(keyed, keyed.Watermark(), base)); d != "" {
				t.Fatalf("ApplyKeys differs from Apply:\n%s", d)
			}
		})
	}
}

// TestHasherKeys: Keys holds the ids each kind of event always hashes, hashed as the
// machine hashes them, and no others.
func TestHasherKeys(t *testing.T) {
	m := New(DefaultConfig())
	msg, cust, ctx, conv := []byte("wamid.A"), []byte("5511900000001"), []byte("wamid.B"), []byte("conv-1")
	for _, tc := range []struct {
		name string
		ev   model.Event
		want map[idField][]byte
	}{
		{"inbound reply", model.Event{Kind: model.KindInbound, MessageID: msg, Customer: cust, ContextID: ctx},
			map[idField][]byte{idMessage: msg, idCustomer: cust, idContext: ctx}},
		{"status", model.Event{Kind: model.KindStatus, MessageID: msg, Customer: cust, ConversationID: conv},
			map[idField][]byte{idMessage: msg}},
	} {
		k := m.Hasher().Keys(&tc.ev)
		for f := idField(0); f < numIDField; f++ {
			p, ok := tc.want[f]
			if got := k.set&(1<<f) != 0; got != ok {
				t.Fatalf("%s: field %d: set = %v, want %v", tc.name, f, got, ok)
			}
			if ok && k.h[f] != m.hash1(p) {
				t.Fatalf("%s: field %d: hash %x, want %x", tc.name, f, k.h[f], m.hash1(p))
			}
		}
	}
	ev := model.Event{MessageID: msg}
	// A zero Keys falls back to hashing.
	m.keys = &Keys{}
	if got := m.hashID(idMessage, ev.MessageID); got != m.hash1(ev.MessageID) {
		t.Fatalf("zero Keys: %x, want %x", got, m.hash1(ev.MessageID))
	}
}
