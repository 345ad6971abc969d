package sim

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var pmpStart = time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)

// mixRun is the shared 50k-line run of the envelope and traffic-mix tests.
var mixRun = sync.OnceValues(func() (mixResult, error) {
	recs, cats, err := generateE(Options{Seed: 3, Start: pmpStart, Rate: 0.25, Customers: 20000}, 50000)
	return mixResult{recs, cats}, err
})

type mixResult struct {
	recs []rec
	cats map[string]uint8
}

func mix(t *testing.T) ([]rec, map[string]uint8) {
	t.Helper()
	r, err := mixRun()
	if err != nil {
		t.Fatal(err)
	}
	return r.recs, r.cats
}

func TestDeterministic(t *testing.T) {
	gen := func(seed int64, n int) ([]byte, []time.Time) {
		s := New(Options{Seed: seed, Start: pmpStart})
		var out []byte
		var times []time.Time
		for range n {
			var at time.Time
			out, at = s.Next(out)
			out = append(out, '\n')
			times = append(times, at)
		}
		return out, times
	}
	a, at := gen(42, 20000)
	b, bt := gen(42, 20000)
	if !bytes.Equal(a, b) {
		t.Fatal("same seed, different bytes")
	}
	for i := range at {
		if !at[i].Equal(bt[i]) {
			t.Fatalf("same seed, different arrival time at line %d", i)
		}
	}
	c, _ := gen(43, 20000)
	if bytes.Equal(a, c) {
		t.Fatal("different seeds, same bytes")
	}
	var w bytes.Buffer
	if err := New(Options{Seed: 42, Start: pmpStart}).WriteN(&w, 20000); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.Bytes(), a) {
		t.Fatal("WriteN differs from Next")
	}
}

func TestEnvelope(t *testing.T) {
	t.Parallel()
	recs, _ := mix(t)
	knownPhone := map[string]string{} // phone_number_id -> display
	knownWABA := map[string]bool{}
	for _, p := range phones {
		knownPhone[p.id] = p.display
		knownWABA[p.waba] = true
	}
	displays := map[string]bool{}
	for _, d := range knownPhone {
		displays[d] = true
	}
	var prev time.Time
	for i, r := range recs {
		if len(r.line) == 0 || bytes.IndexByte(r.line, '\n') >= 0 {
			t.Fatalf("line %d: empty or multi-line", i)
		}
		for _, c := range r.line {
			if c >= 0x80 {
				t.Fatalf("line %d: non-ASCII byte", i)
			}
		}
		if n := bytes.Count(r.line, []byte("/")); n != bytes.Count(r.line, []byte(`\/`)) {
			t.Fatalf("line %d: unescaped /: %s", i, r.line)
		}
		if r.at.Before(prev) {
			t.Fatalf("line %d: arrival time goes back", i)
		}
		prev = r.at
		if r.b.Object != "whatsapp_business_account" || len(r.b.Entry) != 1 || len(r.b.Entry[0].Changes) != 1 {
			t.Fatalf("line %d: bad envelope: %s", i, r.line)
		}
		e := r.b.Entry[0]
		if !knownWABA[e.ID] {
			t.Fatalf("line %d: unknown WABA %s", i, e.ID)
		}
		ch := e.Changes[0]
		v := ch.Value
		switch ch.Field {
		case "messages", "user_preferences":
			if v.MessagingProduct != "whatsapp" || v.Metadata == nil || knownPhone[v.Metadata.PhoneNumberID] != v.Metadata.Display {
				t.Fatalf("line %d: bad metadata: %s", i, r.line)
			}
			if e.Time != nil {
				t.Fatalf("line %d: entry.time on a messages webhook", i)
			}
			n := len(v.Messages) + len(v.Statuses) + len(v.Errors) + len(v.UserPreferences)
			if n == 0 {
				t.Fatalf("line %d: nothing in value: %s", i, r.line)
			}
			if len(v.Messages) > 0 && (len(v.Contacts) != 1 || v.Contacts[0].WaID != v.Messages[0].From || v.Contacts[0].Profile == nil) {
				t.Fatalf("line %d: contacts do not match the sender", i)
			}
		case "phone_number_quality_update", "business_capability_update", "message_template_status_update", "account_update":
			if v.Metadata != nil || e.Time == nil || *e.Time <= 0 {
				t.Fatalf("line %d: bad account-level webhook: %s", i, r.line)
			}
			if ch.Field == "phone_number_quality_update" && (!displays[v.Display] || !strings.HasPrefix(v.CurrentLimit, "TIER_")) {
				t.Fatalf("line %d: bad quality update: %s", i, r.line)
			}
		default:
			t.Fatalf("line %d: unexpected field %q", i, ch.Field)
		}
	}
}

func TestTrafficMix(t *testing.T) {
	recs, cats := mix(t)
	n := map[string]int{}
	lineSeen := map[string]bool{}
	type msgSt struct{ sent, deliv, read int64 }
	st := map[string]*msgSt{}
	var lastEvent int64
	cc := map[string]bool{}
	for _, r := range recs {
		if lineSeen[string(r.line)] {
			n["retried body"]++
		}
		lineSeen[string(r.line)] = true
		e := r.b.Entry[0]
		n["waba "+e.ID]++
		ch := e.Changes[0]
		v := ch.Value
		n["field "+ch.Field]++
		if v.Metadata != nil {
			n["phone "+v.Metadata.PhoneNumberID]++
		}
		switch ch.Field {
		case "phone_number_quality_update":
			n["quality "+v.Event]++
			n["limit "+v.CurrentLimit]++
		case "account_update":
			n["account "+v.Event]++
		case "user_preferences":
			n["user_preferences "+v.UserPreferences[0].Value]++
		}
		for _, er := range v.Errors {
			n["value error "+itoa(er.Code)]++
		}
		if len(v.Statuses) > 1 {
			n["batched statuses"]++
		}
		for _, s := range v.Statuses {
			n["status "+s.Status]++
			sec := ts(t, s.Timestamp)
			if sec < lastEvent-60 {
				n["status a minute late"]++
			}
			lastEvent = max(lastEvent, sec)
			for _, er := range s.Errors {
				n["failed "+itoa(er.Code)]++
			}
			if s.Pricing != nil {
				n["pricing "+s.Pricing.Type]++
			}
			if s.BizOpaqueCallbackData != "" {
				n["biz_opaque_callback_data"]++
			}
			m := st[s.ID]
			if m == nil {
				m = &msgSt{-1, -1, -1}
				st[s.ID] = m
			}
			switch s.Status {
			case "sent":
				m.sent = sec
			case "delivered":
				if m.read >= 0 && m.deliv < 0 {
					n["read arrived before delivered"]++
				}
				m.deliv = sec
			case "read":
				m.read = sec
			}
			cc[callingCode(s.RecipientID)] = true
		}
		for _, m := range v.Messages {
			kind := m.Type
			if m.Interactive != nil {
				kind += " " + m.Interactive.Type
			}
			n["inbound "+kind]++
			if m.Referral != nil && m.Referral.CtwaClid != "" {
				n["inbound with referral"]++
			}
			if m.Context != nil {
				if c, ok := cats[m.Context.ID]; ok && c != catService {
					n["reply to a template "+m.Type]++
				}
			}
			if m.Text != nil {
				switch strings.ToUpper(strings.TrimSpace(m.Text.Body)) {
				case "STOP", "UNSUBSCRIBE":
					n["keyword opt-out"]++
				case "START":
					n["keyword opt-in"]++
				}
			}
			if m.Button != nil && m.Button.Payload == "STOP" {
				n["button opt-out"]++
			}
			cc[callingCode(m.From)] = true
		}
	}
	end := recs[len(recs)-1].at.Unix() - 6*3600
	for _, m := range st {
		if m.read >= 0 && m.deliv < 0 && m.read < end {
			n["read without delivered"]++
		}
		if m.sent >= 0 && m.sent < end-12*3600 && m.deliv < 0 && m.read < 0 {
			n["only sent"]++
		}
	}
	want := []string{
		"waba 104857392018465", "waba 118273645091827",
		"phone 107342981650234", "phone 112093847561203", "phone 123948576102938", "phone 125610293847561",
		"inbound text", "inbound image", "inbound audio", "inbound video", "inbound document",
		"inbound sticker", "inbound location", "inbound contacts", "inbound interactive button_reply",
		"inbound interactive list_reply", "inbound button", "inbound reaction", "inbound order",
		"inbound unsupported", "inbound with referral", "reply to a template button", "reply to a template text",
		"status sent", "status delivered", "status read", "status failed", "status played",
		"read without delivered", "only sent", "read arrived before delivered", "status a minute late",
		"batched statuses", "retried body", "biz_opaque_callback_data",
		"failed 131049", "failed 131026", "failed 131047", "failed 131050", "failed 130472",
		"failed 131000", "failed 131053", "failed 130429", "value error 130429",
		"pricing regular", "pricing free_customer_service", "pricing free_entry_point",
		"keyword opt-out", "keyword opt-in", "button opt-out", "user_preferences stop", "user_preferences resume",
		"quality FLAGGED", "quality UNFLAGGED", "quality UPGRADE", "quality DOWNGRADE",
		"limit TIER_1K", "limit TIER_10K", "limit TIER_UNLIMITED",
		"field business_capability_update", "field message_template_status_update", "account account_update",
	}
	for _, k := range want {
		if k == "account account_update" {
			if n["field account_update"] == 0 {
				t.Errorf("no account_update webhook")
			}
			continue
		}
		if n[k] == 0 {
			t.Errorf("no %q in %d lines", k, len(recs))
		}
	}
	if r := float64(n["retried body"]) / float64(len(recs)); r < 0.003 || r > 0.012 {
		t.Errorf("retried share %.4f, want about 0.006", r)
	}
	for _, code := range []string{"1", "44", "49", "52", "55", "62", "91", "234"} {
		if !cc[code] {
			t.Errorf("no customer with calling code %s", code)
		}
	}
	t.Logf("counts: %v", n)
}

// callingCode returns the calling code a wa_id starts with, among those the simulator uses.
func callingCode(wa string) string {
	for _, c := range []string{"234", "971", "91", "55", "62", "52", "44", "49", "34", "1"} {
		if strings.HasPrefix(wa, c) {
			return c
		}
	}
	return "?"
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// Service windows: some customers are never answered (windows close unanswered), and
// answers come after realistic delays, mostly within minutes, some after hours.
func TestResponsiveness(t *testing.T) {
	recs, _ := mix(t)
	type key struct{ phone, cust string }
	firstIn := map[key]int64{} // oldest unanswered inbound per pair
	var answered, unanswered, fast, slow int
	end := recs[len(recs)-1].at.Unix() - 2*86400
	type ev struct {
		t       int64
		inbound bool
		k       key
	}
	var evs []ev
	for _, r := range recs {
		v := r.b.Entry[0].Changes[0].Value
		if v.Metadata == nil {
			continue
		}
		for _, m := range v.Messages {
			evs = append(evs, ev{ts(t, m.Timestamp), true, key{v.Metadata.PhoneNumberID, m.From}})
		}
		for _, s := range v.Statuses {
			if s.Status == "sent" {
				evs = append(evs, ev{ts(t, s.Timestamp), false, key{v.Metadata.PhoneNumberID, s.RecipientID}})
			}
		}
	}
	slices.SortStableFunc(evs, func(a, b ev) int {
		if a.t != b.t {
			return int(a.t - b.t)
		}
		if a.inbound != b.inbound && a.inbound {
			return -1
		}
		if a.inbound != b.inbound {
			return 1
		}
		return 0
	})
	for _, e := range evs {
		if e.inbound {
			if _, ok := firstIn[e.k]; !ok {
				firstIn[e.k] = e.t
			}
			continue
		}
		if t0, ok := firstIn[e.k]; ok {
			delete(firstIn, e.k)
			if t0 >= end {
				continue
			}
			if e.t-t0 >= 86400 {
				unanswered++
				continue
			}
			answered++
			if e.t-t0 < 300 {
				fast++
			}
			if e.t-t0 > 1800 {
				slow++
			}
		}
	}
	for _, t0 := range firstIn {
		if t0 < end {
			unanswered++
		}
	}
	if answered == 0 || unanswered == 0 || fast == 0 || slow == 0 {
		t.Fatalf("answered %d (within 5 min %d, after 30 min %d), unanswered for 24h %d", answered, fast, slow, unanswered)
	}
	if fast < answered/2 {
		t.Errorf("only %d of %d answers within 5 minutes", fast, answered)
	}
}

// The realized intensity follows Options.Rate (lines per simulated second).
func TestRate(t *testing.T) {
	for _, rate := range []float64{0.2, 1, 4} {
		s := New(Options{Seed: 5, Start: pmpStart, Rate: rate})
		var at time.Time
		const n = 25000
		for range n {
			_, at = s.Next(nil)
		}
		got := n / at.Sub(pmpStart).Seconds()
		if got < rate*0.75 || got > rate*1.25 {
			t.Errorf("rate %.2f: realized %.3f lines per simulated second", rate, got)
		}
	}
}

// Pending work stays within MaxPending (plus one traffic unit) however long the run.
func TestBoundedPending(t *testing.T) {
	const limit = 400
	s := New(Options{Seed: 9, Start: pmpStart, Rate: 20, MaxPending: limit})
	maxOut, maxModel, maxGen := 0, 0, 0
	for range 15000 {
		s.Next(nil)
		maxOut = max(maxOut, s.out.Len())
		maxModel = max(maxModel, s.model.Len())
		maxGen = max(maxGen, s.gen.Len())
	}
	if maxOut > limit+100 || maxModel > limit+100 || maxGen > 200 {
		t.Fatalf("pending lines %d, model events %d, sources %d with MaxPending %d", maxOut, maxModel, maxGen, limit)
	}
	if s.Stats().SkippedUnits == 0 {
		t.Fatal("the bound was never reached: the test does not exercise it")
	}
}

func BenchmarkNext(b *testing.B) {
	s := New(Options{Seed: 1, Start: pmpStart})
	var line []byte
	var n int64
	for range 10000 {
		line, _ = s.Next(line[:0])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		line, _ = s.Next(line[:0])
		n += int64(len(line))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(n)/float64(b.N), "bytes/line")
}
