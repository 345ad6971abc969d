package kafka_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/waba-exporter/waba_exporter/internal/kafka"
	"github.com/waba-exporter/waba_exporter/webhook"
)

const (
	envelope = `{"object":"whatsapp_business_account","entry":[{"id":"WABA1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"PNID1"},%s}}]}]}`
	statusA  = `{"id":"wamid.A","status":"delivered","timestamp":"1750000000","recipient_id":"15551230001"}`
	statusB  = `{"id":"wamid.B","status":"read","timestamp":"1750000001","recipient_id":"15551230002"}`
	statusU  = `{"id":"wamid.U","status":"sent","timestamp":"1750000002","recipient_id":"15551230003"}`
	contactU = `{"wa_id":"15551230003","user_id":"US.bsuid3","profile":{"name":"x"}}`
	inboundC = `{"from":"","from_user_id":"US.bsuid4","id":"wamid.C","timestamp":"1750000003","type":"text","text":{"body":"hi"}}`
	template = `{"object":"whatsapp_business_account","entry":[{"id":"WABA1","time":1750000000,"changes":[{"field":"message_template_status_update","value":{"event":"APPROVED","message_template_id":1,"message_template_name":"t","message_template_language":"en"}}]}]}`
	noWABA   = `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"PNID1"},"errors":[{"code":131000,"title":"x"}]}}]}]}`
	twilio   = `MessageSid=SM1&MessageStatus=delivered&From=whatsapp%3A%2B15550001111&To=whatsapp%3A%2B15551230009`
)

// fingerprints are the decoded events of lines, comparable as a multiset.
func fingerprints(t *testing.T, lines ...[]byte) []string {
	t.Helper()
	dec := webhook.NewDecoder(webhook.Options{})
	var out []string
	for _, l := range lines {
		evs, perr := dec.Decode(l, 1)
		if perr != nil {
			t.Fatalf("decode: %v", perr)
		}
		for _, e := range evs {
			out = append(out, fmt.Sprintf("%v|%s|%s|%s|%s|%s|%v|%d|%s", e.Kind, e.Field, e.Business, e.Account, e.Customer, e.CustomerUserID, e.Status, e.Time, e.MessageID))
		}
	}
	slices.Sort(out)
	return out
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name     string
		line     string
		keys     []string
		verbatim bool // one record holding the line as it is
	}{
		{"one customer", fmt.Sprintf(envelope, `"statuses":[`+statusA+`]`), []string{"15551230001"}, true},
		{"two customers", fmt.Sprintf(envelope, `"statuses":[`+statusA+`,`+statusB+`]`), []string{"15551230001", "15551230002"}, false},
		{"BSUID from contacts", fmt.Sprintf(envelope, `"contacts":[`+contactU+`],"statuses":[`+statusA+`,`+statusU+`]`), []string{"15551230001", "US.bsuid3"}, false},
		{"BSUID only", fmt.Sprintf(envelope, `"messages":[`+inboundC+`]`), []string{"US.bsuid4"}, true},
		{"status and inbound", fmt.Sprintf(envelope, `"statuses":[`+statusB+`],"messages":[`+inboundC+`]`), []string{"15551230002", "US.bsuid4"}, false},
		{"no customer: WABA id", template, []string{"WABA1"}, true},
		{"no customer nor WABA id: phone_number_id", noWABA, []string{"PNID1"}, true},
		{"twilio", twilio, []string{"15551230009"}, true},
	}
	s := kafka.NewSplitter(webhook.Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs, ok := s.Split([]byte(tc.line))
			if !ok {
				t.Fatal("not ok")
			}
			var keys []string
			var vals [][]byte
			for _, r := range recs {
				keys = append(keys, string(r.Key))
				vals = append(vals, append([]byte(nil), r.Value...))
			}
			if !slices.Equal(keys, tc.keys) {
				t.Errorf("keys %q, want %q", keys, tc.keys)
			}
			if tc.verbatim && (len(vals) != 1 || string(vals[0]) != tc.line) {
				t.Errorf("not forwarded verbatim: %s", vals)
			}
			want, got := fingerprints(t, []byte(tc.line)), fingerprints(t, vals...)
			if !slices.Equal(want, got) {
				t.Errorf("events differ:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestSplitNotAWebhook: a line that is no webhook body has no key (the consumer counts
// its parse error).
func TestSplitNotAWebhook(t *testing.T) {
	s := kafka.NewSplitter(webhook.Options{})
	for _, line := range []string{"not json at all", `{"hello":"world"}`, `[1,2]`} {
		recs, ok := s.Split([]byte(line))
		if ok || len(recs) != 1 || len(recs[0].Key) != 0 || string(recs[0].Value) != line {
			t.Errorf("%q: ok %v, records %q", line, ok, recs)
		}
	}
}
