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

// TestHasherKeys: Keys holds exactly the ids an event has, hashed as the machine hashes.
func TestHasherKeys(t *testing.T) {
	m := New(DefaultConfig())
	ev := model.Event{MessageID: []byte("wamid.A"), Customer: []byte("5511900000001"), ContextID: []byte("wamid.B")}
	k := m.Hasher().Keys(&ev)
	want := map[idField][]byte{idMessage: ev.MessageID, idCustomer: ev.Customer, idContext: ev.ContextID}
	for f := idField(0); f < numIDField; f++ {
		p, ok := want[f]
		if got := k.set&(1<<f) != 0; got != ok {
			t.Fatalf("field %d: set = %v, want %v", f, got, ok)
		}
		if ok && k.h[f] != m.hash1(p) {
			t.Fatalf("field %d: hash %x, want %x", f, k.h[f], m.hash1(p))
		}
	}
	// A zero Keys falls back to hashing.
	m.keys = &Keys{}
	if got := m.hashID(idMessage, ev.MessageID); got != m.hash1(ev.MessageID) {
		t.Fatalf("zero Keys: %x, want %x", got, m.hash1(ev.MessageID))
	}
}
