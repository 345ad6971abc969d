package window

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

// TestFloodStaysWithinCaps feeds a flood of unique message ids and customers (an
// adversarial or broken sender) and checks that every map stays within its cap, that
// evictions are counted, and that the heap stops growing once the caps are reached.
func TestFloodStaysWithinCaps(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxMessages = 20_000
	cfg.MaxCustomers = 10_000
	cfg.MaxConversations = 5_000
	cfg.MaxBuffered = 8_000
	m := New(cfg)
	biz := []byte("106540352242922")
	var id, cust, conv []byte
	var ev model.Event
	flood := func(from, to int) {
		for i := from; i < to; i++ {
			cust = strconv.AppendInt(cust[:0], int64(5511000000000+i), 10)
			id = append(strconv.AppendInt(id[:0], int64(i), 10), "wamid"...)
			conv = append(strconv.AppendInt(conv[:0], int64(i), 10), "conv"...)
			tt := int64(1754006400 + i/100)
			if i%2 == 0 {
				ev = model.Event{Kind: model.KindInbound, Business: biz, Customer: cust, MessageID: id, Time: tt, MessageType: model.MessageTypeText, Text: []byte("hi")}
			} else {
				ev = model.Event{Kind: model.KindStatus, Business: biz, Customer: cust, MessageID: id, Time: tt, Status: model.StatusDelivered,
					Category: model.CategoryMarketing, PricingModel: model.PricingModelCBP, ConversationID: conv, ConversationOrigin: model.CategoryMarketing}
			}
			m.Apply(&ev)
		}
	}
	check := func() View {
		v := m.View(m.Watermark())
		if v.Entries[EvictMessage] > cfg.MaxMessages || v.Entries[EvictCustomer] > cfg.MaxCustomers || v.Entries[EvictConversation] > cfg.MaxConversations {
			t.Fatalf("over the caps: %v", v.Entries)
		}
		return v
	}
	flood(0, 100_000)
	check()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	flood(100_000, 400_000)
	check()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	after := ms.HeapAlloc
	// Four times the events; the heap may wobble with the generations, not grow with input.
	if after > before*2 && after-before > 16<<20 {
		t.Errorf("heap grew from %d to %d bytes under a flood with fixed caps", before, after)
	}
	for _, k := range []EvictKind{EvictMessage, EvictCustomer, EvictConversation} {
		if m.self.Evictions[k][ReasonCapacity] == 0 {
			t.Errorf("no capacity evictions counted for %s", evictKindNames[k])
		}
	}
	if m.self.EarlyReleased == 0 {
		t.Error("reorder buffer overflow not counted")
	}
	if m.Buffered() > cfg.MaxBuffered {
		t.Errorf("reorder buffer holds %d items", m.Buffered())
	}
}
