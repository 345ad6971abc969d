package sim

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// TestCampaigns checks that marketing sends carry campaign tags with two variants that
// really differ (B read about 15% more, converting about twice as often per delivered
// message), and that conversion lines are well-formed and follow read messages.
func TestCampaigns(t *testing.T) {
	lines := 120000
	if testing.Short() {
		lines = 40000
	}
	s := New(Options{Seed: 5, Start: pmpStart, Customers: 20000})
	type msg struct {
		tag, cust string
		deliv     int64
		read      bool
	}
	msgs := map[string]*msg{}
	type conv struct {
		cust string
		t    int64
	}
	var convs []conv
	for range lines {
		line, _ := s.Next(nil)
		if bytes.HasPrefix(line, []byte(`{"waba_conversion":`)) {
			c, err := decodeConversion(line)
			if err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			convs = append(convs, conv{c.C.Customer, c.C.Timestamp})
			continue
		}
		var b body
		if err := json.Unmarshal(line, &b); err != nil {
			t.Fatal(err)
		}
		for _, e := range b.Entry {
			for _, ch := range e.Changes {
				for _, st := range ch.Value.Statuses {
					tag := st.BizOpaqueCallbackData
					if !strings.HasPrefix(tag, "campaign=") {
						continue
					}
					m := msgs[st.ID]
					if m == nil {
						m = &msg{tag: tag, cust: st.RecipientID, deliv: -1}
						msgs[st.ID] = m
					}
					if m.tag != tag {
						t.Fatalf("message with two tags %q %q", m.tag, tag)
					}
					sec := ts(t, st.Timestamp)
					if (st.Status == "delivered" || st.Status == "read") && (m.deliv < 0 || sec < m.deliv) {
						m.deliv = sec
					}
					if st.Status == "read" {
						m.read = true
					}
				}
			}
		}
	}
	// Per variant: delivered, read, conversions attributed (last touch, 7 days).
	var deliv, read, conv2 [2]float64
	names := map[string]bool{}
	type touch struct {
		t int64
		b int
	}
	byCust := map[string][]touch{}
	for _, m := range msgs {
		name, v, ok := strings.Cut(strings.TrimPrefix(m.tag, "campaign="), ";variant=")
		if !ok || (v != "A" && v != "B") {
			t.Fatalf("bad tag %q", m.tag)
		}
		names[name] = true
		b := 0
		if v == "B" {
			b = 1
		}
		if m.deliv >= 0 {
			deliv[b]++
			byCust[m.cust] = append(byCust[m.cust], touch{m.deliv, b})
		}
		if m.read {
			read[b]++
		}
	}
	for _, ts := range byCust {
		sort.Slice(ts, func(i, j int) bool { return ts[i].t < ts[j].t })
	}
	for _, c := range convs {
		best := -1
		for i, tc := range byCust[c.cust] {
			if tc.t <= c.t && c.t < tc.t+7*86400 {
				best = i
			}
		}
		if best >= 0 {
			conv2[byCust[c.cust][best].b]++
		}
	}
	if len(names) < 2 || deliv[0] < 1000 || deliv[1] < 1000 {
		t.Fatalf("too few campaigns or deliveries: %v %v", names, deliv)
	}
	readX := (read[1] / deliv[1]) / (read[0] / deliv[0])
	convX := (conv2[1] / deliv[1]) / (conv2[0] / deliv[0])
	t.Logf("campaigns %d, delivered A %.0f B %.0f, read ratio B/A %.3f, conversions A %.0f B %.0f, per delivered B/A %.2f, conversion lines %d",
		len(names), deliv[0], deliv[1], readX, conv2[0], conv2[1], convX, len(convs))
	if readX < 1.08 || readX > 1.25 {
		t.Errorf("B reads %.3f times as often as A, want about 1.15", readX)
	}
	if convX < 1.4 || convX > 2.8 {
		t.Errorf("B converts %.2f times as often as A per delivered message, want about 2", convX)
	}
	if st := s.Stats(); st.Conversions == 0 || int64(len(convs)) > st.Conversions {
		t.Errorf("conversion lines %d, planned %d", len(convs), st.Conversions)
	}
}
