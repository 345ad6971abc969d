package window_test

import (
	"fmt"
	"time"

	"github.com/waba-exporter/waba_exporter/model"
	"github.com/waba-exporter/waba_exporter/window"
)

// A customer writes to a business number, which answers a minute later; the answer is
// delivered and read. The counters are read from the Business, the scrape-time gauges
// from a View at "now" (event time).
func Example() {
	m := window.New(window.DefaultConfig())
	t := time.Date(2025, 8, 1, 9, 0, 0, 0, time.UTC).Unix()
	biz, cust := []byte("106540352242922"), []byte("15550000001") // a fictional 555 number
	reply := func(status model.Status, at int64) model.Event {
		return model.Event{Kind: model.KindStatus, Business: biz, Customer: cust, MessageID: []byte("wamid.out1"),
			Time: at, Status: status, Category: model.CategoryService}
	}
	events := []model.Event{
		{Kind: model.KindInbound, Business: biz, Customer: cust, MessageID: []byte("wamid.in1"), Time: t,
			MessageType: model.MessageTypeText, Text: []byte("hello")},
		reply(model.StatusSent, t+60),
		reply(model.StatusDelivered, t+62),
		reply(model.StatusRead, t+120),
	}
	for i := range events {
		m.Apply(&events[i])
	}
	m.Flush() // end of input: release the reorder buffer

	b := m.Businesses()[0]
	fmt.Println("read:", b.Status[model.CategoryService][window.FunnelRead])
	fmt.Println("first responses:", b.FirstResponse.Count, "after", b.FirstResponse.Sum, "s")
	v := m.View(t + 3600)
	bv := v.Businesses[0]
	fmt.Println("service windows open:", bv.ServiceWindowsOpen)
	fmt.Println("active customers (1d):", bv.Active[window.Active1d])
	fmt.Println("messages tracked:", v.Entries[window.EvictMessage])
	// Output:
	// read: 1
	// first responses: 1 after 60 s
	// service windows open: 1
	// active customers (1d): 1
	// messages tracked: 2
}

// Hashing ids ahead: a pipeline computes the keyed hashes of an event's ids on the
// goroutine that decodes (a Hasher holds its own copy of the key), and the goroutine
// that applies takes them with ApplyKeys, ending in the same state as Apply.
func ExampleMachine_ApplyKeys() {
	m := window.New(window.DefaultConfig())
	h := m.Hasher()
	t := time.Date(2025, 8, 1, 9, 0, 0, 0, time.UTC).Unix()
	events := []model.Event{
		{Kind: model.KindStatus, Business: []byte("106540352242922"), Customer: []byte("15550000001"),
			MessageID: []byte("wamid.out1"), Time: t, Status: model.StatusSent, Category: model.CategoryUtility},
		{Kind: model.KindStatus, Business: []byte("106540352242922"), Customer: []byte("15550000001"),
			MessageID: []byte("wamid.out1"), Time: t + 2, Status: model.StatusDelivered, Category: model.CategoryUtility},
	}
	keys := make([]window.Keys, len(events))
	for i := range events { // on the decoding goroutine
		keys[i] = h.Keys(&events[i])
	}
	for i := range events { // on the applying goroutine
		m.ApplyKeys(&events[i], &keys[i])
	}
	m.Flush()
	b := m.Businesses()[0]
	fmt.Println("delivered:", b.Status[model.CategoryUtility][window.FunnelDelivered])
	// Output:
	// delivered: 1
}
