package exporter

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/model"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
)

// scrapeCustomers is the state size of the scrape target of PERFORMANCE.md.
const scrapeCustomers = 1_000_000

// scrapeBusinesses spreads the customers over a few phone numbers, as a BSP account
// has, so that every per-business family has several series.
var scrapeBusinesses = [][]byte{[]byte("106540352242922"), []byte("106540352242923"), []byte("106540352242924"), []byte("106540352242925")}

var (
	scrapeMu    sync.Mutex
	scrapePipes = map[int]*pipeline.Pipeline{}
)

// scrapeState builds, once per test binary and size, a pipeline whose machine tracks n
// customers, each with an inbound text (an open service window) and a delivered reply,
// applied directly as model.Event values (no decoding).
func scrapeState(n int) *pipeline.Pipeline {
	scrapeMu.Lock()
	defer scrapeMu.Unlock()
	if p := scrapePipes[n]; p != nil {
		return p
	}
	{
		cfg := window.DefaultConfig()
		cfg.MaxCustomers = max(cfg.MaxCustomers, 2*n)
		cfg.CountryOf = func(c []byte) string {
			if len(c) > 2 && c[0] == '5' && c[1] == '5' {
				return "br"
			}
			return "in"
		}
		m := window.New(cfg)
		t0 := int64(1754006400)
		var cust, id []byte
		var ev model.Event
		for j := 0; j < n; j++ {
			biz := scrapeBusinesses[j%len(scrapeBusinesses)]
			cust = strconv.AppendInt(cust[:0], int64(5511900000000+j), 10)
			if j%3 == 0 {
				cust[0], cust[1] = '9', '1'
			}
			t := t0 + int64(j/50)
			ev = model.Event{Kind: model.KindInbound, Business: biz, Customer: cust, Time: t, MessageType: model.MessageTypeText}
			id = append(strconv.AppendInt(id[:0], int64(j), 10), 'i')
			ev.MessageID = id
			m.Apply(&ev)
			for _, st := range []model.Status{model.StatusSent, model.StatusDelivered} {
				ev = model.Event{Kind: model.KindStatus, Business: biz, Customer: cust, Time: t + 1, Status: st,
					Category: model.CategoryUtility, PricingModel: model.PricingModelPMP, PricingType: model.PricingTypeFreeCustomerService}
				id = append(strconv.AppendInt(id[:0], int64(j), 10), 'o')
				ev.MessageID = id
				m.Apply(&ev)
			}
		}
		m.Flush()
		p := pipeline.New(m, webhook.Options{}, nil, nil)
		p.AddSource("/var/log/waba/webhooks.log")
		scrapePipes[n] = p
		return p
	}
}

// BenchmarkScrape1M measures one scrape with scrapeCustomers tracked customers: a Gather
// of the domain registry, and a whole /metrics request through NewHandler (OpenMetrics
// negotiation and encoding included). ns/op is the time of one scrape. The state is built
// once and shared, so that a -benchtime=1x run stays short.
func BenchmarkScrape1M(b *testing.B) {
	regs := scrapeRegistries(b, scrapeCustomers)

	b.Run("gather", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			mfs, err := regs.Gatherer().Gather()
			if err != nil || len(mfs) == 0 {
				b.Fatalf("gather: %d families, %v", len(mfs), err)
			}
		}
	})

	b.Run("http", func(b *testing.B) {
		h, err := NewHandler(regs, HandlerOptions{})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(h)
		defer srv.Close()
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0")
		b.ReportAllocs()
		var size int64
		for b.Loop() {
			resp, err := srv.Client().Do(req)
			if err != nil {
				b.Fatal(err)
			}
			size, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || size == 0 {
				b.Fatalf("scrape: status %d, %d bytes, %v", resp.StatusCode, size, err)
			}
		}
		b.ReportMetric(float64(size), "bytes/scrape")
	})
}

// scrapeRegistries returns the registries of a collector over scrapeState(n), checking
// that the machine tracks n customers.
func scrapeRegistries(b *testing.B, n int) *Registries {
	p := scrapeState(n)
	var entries int
	p.Read(func(v pipeline.View) { entries = v.Machine.View(v.Machine.Watermark()).Entries[window.EvictCustomer] })
	if entries != n {
		b.Fatalf("tracked customers = %d, want %d", entries, n)
	}
	return NewRegistries(&Collector{P: p, Health: &Health{}, EventTimeOnly: true}, true)
}

// BenchmarkScrapeCustomers measures one scrape (a Gather of the domain registry) at
// 100k, 1M and 10M tracked customers: the time should stay flat (View reads counts kept
// at apply time, not the customers). The 10M state takes about a minute and 3 GiB to
// build: run it with -benchtime 1x or a few iterations.
func BenchmarkScrapeCustomers(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000, 10_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			regs := scrapeRegistries(b, n)
			b.ReportAllocs()
			for b.Loop() {
				mfs, err := regs.Gatherer().Gather()
				if err != nil || len(mfs) == 0 {
					b.Fatalf("gather: %d families, %v", len(mfs), err)
				}
			}
		})
	}
}
