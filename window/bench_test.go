package window

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

// statusStream returns a function producing a realistic status event stream: each
// message goes sent -> delivered -> read for one of n customers, times advancing.
func statusStream(customers int) func(ev *model.Event) {
	var i int
	ids := make([][]byte, 0, 1024)
	for j := 0; j < 1024; j++ {
		ids = append(ids, append(make([]byte, 0, 96), "wamid.HBgMOTE4NTQ4NjM2MzUxFQIAERgSNjcyNDc0NDc3ODdGMzhDQjQz"+strconv.Itoa(j)...))
	}
	custs := make([][]byte, customers)
	for j := range custs {
		custs[j] = []byte(strconv.Itoa(5511900000000 + j))
	}
	biz := []byte("106540352242922")
	t0 := int64(1754006400)
	return func(ev *model.Event) {
		msg := i / 3
		*ev = model.Event{
			Kind: model.KindStatus, Field: "messages", Business: biz,
			Customer:  custs[msg%customers],
			MessageID: strconv.AppendInt(ids[msg%1024][:60], int64(msg), 10),
			Time:      t0 + int64(i/3) + int64(i%3)*2,
			Category:  model.CategoryMarketing, PricingModel: model.PricingModelPMP, PricingType: model.PricingTypeRegular,
		}
		ev.Status = [3]model.Status{model.StatusSent, model.StatusDelivered, model.StatusRead}[i%3]
		i++
	}
}

// BenchmarkApplyStatus measures the state machine per status event (decoding excluded).
func BenchmarkApplyStatus(b *testing.B) {
	m := New(DefaultConfig())
	next := statusStream(100000)
	var ev model.Event
	for i := 0; i < 30000; i++ { // warm up maps and buffers
		next(&ev)
		m.Apply(&ev)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		next(&ev)
		m.Apply(&ev)
	}
}

// heapAfterGC returns the live heap in bytes.
func heapAfterGC() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkMemoryPerCustomer reports heap bytes per tracked customer (each with an open
// service window, a delivered template and a reply) at 100k, 1M and 10M customers. The
// 10M case needs about 3 GiB and a minute: run it once (-benchtime 1x).
func BenchmarkMemoryPerCustomer(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000, 10_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				before := heapAfterGC()
				m := New(customersConfig(n))
				fillCustomers(m, n)
				m.Flush()
				// Messages are forgotten by TTL in production; count customers alone.
				m.msgs = newGenMap[msgState](m.sec.messageTTL, m.cfg.MaxMessages)
				after := heapAfterGC()
				runtime.KeepAlive(m)
				b.ReportMetric(float64(after-before)/float64(m.custs.Len()), "B/customer")
			}
		})
	}
}

// customersConfig is the default configuration with room for n customers (the default
// cap, 2M, holds the 1M case in one generation).
func customersConfig(n int) Config {
	cfg := DefaultConfig()
	cfg.MaxCustomers = max(cfg.MaxCustomers, 2*n)
	return cfg
}

// BenchmarkMemoryPerMessage reports heap bytes per in-flight message (sent, not yet read).
func BenchmarkMemoryPerMessage(b *testing.B) {
	const n = 1_000_000
	for i := 0; i < b.N; i++ {
		cfg := DefaultConfig()
		cfg.MaxMessages = 4 * n // steady state: no capacity rotation inside the measurement
		m := New(cfg)
		biz := []byte("106540352242922")
		cust := []byte("5511900000001")
		var ev model.Event
		// One customer, so the figure is the message map alone.
		ev = model.Event{Kind: model.KindStatus, Business: biz, Customer: cust, Status: model.StatusSent, Time: 1754006400, Category: model.CategoryMarketing}
		ev.MessageID = []byte("warm")
		m.Apply(&ev)
		m.Flush()
		before := heapAfterGC()
		id := []byte("wamid.HBgMOTE4NTQ4NjM2MzUxFQIAERgSNjcyNDc0NDc3ODdGMzhDQjQz")
		for j := 0; j < n; j++ {
			ev.MessageID = strconv.AppendInt(id[:len(id):len(id)], int64(j), 10)
			ev.Time = 1754006400 + int64(j/1000)
			m.Apply(&ev)
		}
		m.Flush()
		m.buf = newReorder(nil, 0)
		after := heapAfterGC()
		runtime.KeepAlive(m)
		b.ReportMetric(float64(after-before)/float64(m.msgs.Len()), "B/message")
	}
}

func fillCustomers(m *Machine, n int) { fillCustomersFrom(m, 0, n) }

// fillCustomersFrom applies, for customers from to from+n-1, an inbound text and a
// service reply one second later; 50 customers a second.
func fillCustomersFrom(m *Machine, from, n int) {
	biz := []byte("106540352242922")
	t0 := int64(1754006400)
	var ev model.Event
	var cust, id []byte
	for j := from; j < from+n; j++ {
		cust = strconv.AppendInt(cust[:0], int64(5511900000000+j), 10)
		tt := t0 + int64(j/50)
		ev = model.Event{Kind: model.KindInbound, Business: biz, Customer: cust, Time: tt, MessageType: model.MessageTypeText}
		id = append(strconv.AppendInt(id[:0], int64(j), 10), 'i')
		ev.MessageID = id
		m.Apply(&ev)
		ev = model.Event{Kind: model.KindStatus, Business: biz, Customer: cust, Time: tt + 1, Status: model.StatusSent, Category: model.CategoryUtility, PricingModel: model.PricingModelPMP, PricingType: model.PricingTypeFreeCustomerService}
		id = append(strconv.AppendInt(id[:0], int64(j), 10), 'o')
		ev.MessageID = id
		m.Apply(&ev)
	}
}

// BenchmarkView measures View (the scrape-time gauges) at 100k, 1M and 10M tracked
// customers: its time should not grow with them. The state of each size is built before
// the timer starts (the 10M one takes about a minute and 3 GiB).
func BenchmarkView(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000, 10_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			m := New(customersConfig(n))
			fillCustomers(m, n)
			m.Flush()
			now := m.Watermark()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v := m.View(now)
				if v.Entries[EvictCustomer] != n || v.Businesses[0].Active[Active30d] != uint64(n) {
					b.Fatalf("customers = %d, active in 30 days %d", v.Entries[EvictCustomer], v.Businesses[0].Active[Active30d])
				}
			}
		})
	}
}

// BenchmarkApplyInbound measures the state machine per event of the customer-heavy
// stream of fillCustomers (an inbound text and a reply per customer, 50 customers a
// second): what keeping the View's gauges at apply time costs.
func BenchmarkApplyInbound(b *testing.B) {
	m := New(customersConfig(1_000_000))
	fillCustomers(m, 100_000) // warm up maps and buffers
	b.ReportAllocs()
	b.ResetTimer()
	fillCustomersFrom(m, 100_000, b.N/2+1)
}
