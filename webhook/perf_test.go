package webhook

import (
	"testing"
	"time"

	"github.com/valyala/fastjson"
)

// statusLine is a compact status webhook as Meta batches them: three statuses of one
// phone number, with pricing and conversation on some, as in the generated month.
var statusLine = []byte(`{"object":"whatsapp_business_account","entry":[{"id":"880000000000001","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550009999","phone_number_id":"770000000000002"},"statuses":[` +
	`{"id":"wamid.HBgNNTUxMTkwMDAwMDAwMRUCABEYEjAwMDAwMDAwMDAwMDAwMDAwMQA=","status":"sent","timestamp":"1751500000","recipient_id":"5511900000001","conversation":{"id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","expiration_timestamp":"1751586400","origin":{"type":"marketing"}},"pricing":{"billable":true,"pricing_model":"CBP","category":"marketing"}},` +
	`{"id":"wamid.HBgNNTUxMTkwMDAwMDAwMhUCABEYEjAwMDAwMDAwMDAwMDAwMDAwMgA=","status":"delivered","timestamp":"1751500001","recipient_id":"5511900000002","pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"utility"}},` +
	`{"id":"wamid.HBgNNTUxMTkwMDAwMDAwMxUCABEYEjAwMDAwMDAwMDAwMDAwMDAwMwA=","status":"read","timestamp":"1751500002","recipient_id":"5511900000003"}` +
	`]},"field":"messages"}]}]}`)

// inboundLine is an inbound text message webhook with its contacts block.
var inboundLine = []byte(`{"object":"whatsapp_business_account","entry":[{"id":"880000000000001","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550009999","phone_number_id":"770000000000002"},"contacts":[{"profile":{"name":"Test Person"},"wa_id":"5511900000004"}],"messages":[{"context":{"from":"15550009999","id":"wamid.HBgNNTUxMTkwMDAwMDAwNBUCABEYEjAwMDAwMDAwMDAwMDAwMDAwNAA="},"from":"5511900000004","id":"wamid.HBgNNTUxMTkwMDAwMDAwNBUCABIYFjNFQjAwMDAwMDAwMDAwMDAwMDAwMDAA","timestamp":"1751500010","text":{"body":"Is the order on its way?"},"type":"text"}]},"field":"messages"}]}]}`)

func TestDecodeStatusZeroAllocs(t *testing.T) {
	for _, tc := range []struct {
		name string
		line []byte
		n    int
	}{
		{"status webhook, 3 statuses", statusLine, 3},
		{"inbound webhook", inboundLine, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(Options{})
			for i := 0; i < 3; i++ { // warm-up: let the parser and event buffers grow
				if evs, err := d.Decode(tc.line, 0); err != nil || len(evs) != tc.n {
					t.Fatalf("warm-up decode: %d events, %v", len(evs), err)
				}
			}
			allocs := testing.AllocsPerRun(200, func() {
				evs, err := d.Decode(tc.line, 0)
				if err != nil || len(evs) != tc.n {
					panic("decode changed its result")
				}
			})
			if allocs != 0 {
				t.Fatalf("Decode allocates %.1f times per line after warm-up; want 0", allocs)
			}
		})
	}
}

func benchDecode(b *testing.B, line []byte, want int) {
	d := NewDecoder(Options{})
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		evs, err := d.Decode(line, 0)
		if err != nil || len(evs) != want {
			b.Fatal("bad decode")
		}
	}
}

func BenchmarkDecodeStatus(b *testing.B)  { benchDecode(b, statusLine, 3) }
func BenchmarkDecodeInbound(b *testing.B) { benchDecode(b, inboundLine, 1) }

// BenchmarkParseOnly is the baseline: a plain fastjson parse of the same lines and a
// lookup of the statuses array, the least any decoder must do.
func BenchmarkParseOnly(b *testing.B) {
	for _, tc := range []struct {
		name string
		line []byte
	}{{"status", statusLine}, {"inbound", inboundLine}} {
		b.Run(tc.name, func(b *testing.B) {
			var p fastjson.Parser
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.line)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v, err := p.ParseBytes(tc.line)
				if err != nil {
					b.Fatal(err)
				}
				_ = v.GetArray("entry", "0", "changes", "0", "value", "statuses")
			}
		})
	}
}

// Every valid shape decodes without allocating after warm-up, not only Meta's: a log
// of Twilio or Infobip callbacks must not cost the GC more than a Meta one.
func TestDecodeEveryProviderZeroAllocs(t *testing.T) {
	envelope := Options{Envelope: Envelope{BodyPath: "request.body", TimePath: "received_at"}}
	groups := []struct {
		name  string
		opts  Options
		lines []string
	}{
		{"meta", Options{}, seedMeta}, {"onprem", Options{}, seedOnPrem}, {"twilio", Options{}, seedTwilio},
		{"gupshup", Options{}, seedGupshup}, {"infobip", Options{}, seedInfobip}, {"envelope", envelope, seedEnvelope},
	}
	for _, g := range groups {
		for i, s := range g.lines {
			line := []byte(s)
			d := NewDecoder(g.opts)
			for j := 0; j < 3; j++ {
				if evs, err := d.Decode(line, 1752000000); err != nil || len(evs) == 0 {
					t.Fatalf("%s line %d: %d events, %v", g.name, i, len(evs), err)
				}
			}
			if a := testing.AllocsPerRun(50, func() { d.Decode(line, 1752000000) }); a != 0 {
				t.Errorf("%s line %d: %.1f allocations per Decode after warm-up", g.name, i, a)
			}
		}
	}
}

// BenchmarkDecodeVsParse alternates blocks of Decode and of a plain parse of the same
// status line, so that both see the same machine load (the 2-core CI box is shared), and
// reports each per-line cost and their ratio (decode / parse-only).
func BenchmarkDecodeVsParse(b *testing.B) {
	d := NewDecoder(Options{})
	var p fastjson.Parser
	const block = 256
	var tDec, tParse time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += block {
		t0 := time.Now()
		for i := 0; i < block; i++ {
			if _, err := d.Decode(statusLine, 0); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		for i := 0; i < block; i++ {
			v, err := p.ParseBytes(statusLine)
			if err != nil {
				b.Fatal(err)
			}
			_ = v.GetArray("entry", "0", "changes", "0", "value", "statuses")
		}
		tDec += t1.Sub(t0)
		tParse += time.Since(t1)
	}
	n := float64((b.N + block - 1) / block * block)
	b.ReportMetric(float64(tDec.Nanoseconds())/n, "decode-ns/line")
	b.ReportMetric(float64(tParse.Nanoseconds())/n, "parse-ns/line")
	b.ReportMetric(float64(tDec)/float64(tParse), "decode/parse")
}

// bsuidStatusLine is a status webhook of a BSUID-only customer with its contact, as Meta
// sends it since 2026 (and the generator with --bsuid-share).
var bsuidStatusLine = []byte(metaBody("messages", msgValue(`"contacts":[{"profile":{"name":"Test Person","username":"@testperson","country_code":"MX"},"wa_id":"","user_id":"user.5d2f2902f19f0cd474b58007444ff039e98530cec27cd78ee955edba8d4591e2"}],"statuses":[{"id":"wamid.HBgNNTIxODE1NzQxNDMxNxUCABEYEkIyRkFFRjI3OTI0OEZCMEY0QwA=","status":"delivered","timestamp":"1750036671","recipient_id":"","recipient_user_id":"user.5d2f2902f19f0cd474b58007444ff039e98530cec27cd78ee955edba8d4591e2","conversation":{"id":"958bb2317eaace531b3d7488eadfb766","expiration_timestamp":"1750123071","origin":{"type":"utility"}},"pricing":{"billable":true,"pricing_model":"CBP","category":"utility"}}]`)))

func BenchmarkDecodeBSUIDStatus(b *testing.B) { benchDecode(b, bsuidStatusLine, 1) }
