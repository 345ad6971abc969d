package webhook

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// Seed bodies of every shape, written for these tests.
var (
	seedMeta = []string{
		string(statusLine),
		string(inboundLine),
		tagStatus(`"campaign=spring_sale;variant=B"`),
		tagStatus(`"{\"campaign\":\"s\"}"`),
		`{"waba_conversion":{"phone_number_id":"1","customer":"447440640449","name":"purchase","value":49.9,"currency":"EUR","timestamp":1749090570}}`,
		metaBody("messages", msgValue(`"errors":[{"code":130429,"title":"Rate limit hit"}]`)),
		metaBody("user_preferences", msgValue(`"user_preferences":[{"wa_id":"1","category":"marketing_messages","value":"stop","timestamp":1752200001}]`)),
		`{"object":"whatsapp_business_account","entry":[{"id":"W","time":1752200000,"changes":[{"field":"phone_number_quality_update","value":{"display_phone_number":"1","event":"FLAGGED","current_limit":"TIER_250"}}]}]}`,
		`{"id":"W","changes":[{"field":"message_template_status_update","value":{"event":"APPROVED"}}]}`,
		`{"entry":[{"changes":[{"field":"messages","value":{"statuses":[{"gs_id":"g","status":"enqueued","timestamp":1752300001999}]}}]}],"gs_app_id":"a","object":"whatsapp_business_account"}`,
		metaBody("messages", msgValue(`"contacts":[{"profile":{"name":"A","username":"@a","country_code":"MX"},"wa_id":"","user_id":"user.ab12"}],"statuses":[{"id":"s","status":"sent","timestamp":"1752300000","recipient_id":"","recipient_user_id":"user.ab12","conversation":{"id":"c","expiration_timestamp":"1752300000","origin":{"type":"marketing"}},"pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"marketing"}}]`)),
		metaBody("messages", msgValue(`"contacts":[{"profile":{"country_code":"IN"},"wa_id":"9","user_id":"user.cd"}],"messages":[{"from":"","from_user_id":"user.cd","id":"m","timestamp":"1752300000","type":"text","text":{"body":"STOP"}}]`)),
		`{"entry":[{"id":"W","time":1752200000,"changes":[{"value":{"max_daily_conversation_per_phone":2000},"field":"business_capability_update"}]}],"object":"whatsapp_business_account"}`,
		`{"object":"whatsapp_business_account","entry":[{"id":"W","time":1752200000,"changes":[{"value":{"volume_tier_info":{"tier_update_time":1752200000,"pricing_category":"UTILITY","tier":"1:2","effective_month":"2025-07"},"event":"VOLUME_BASED_PRICING_TIER_UPDATE"},"field":"account_update"}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"id":"W","time":1752200000,"changes":[{"value":{"event":"ACCOUNT_RESTRICTION","restriction_info":[{"restriction_type":"R","expiration":1752900000}]},"field":"account_update"}]}]}`,
	}
	seedOnPrem = []string{
		`{"statuses":[{"id":"gBE1","status":"deleted","timestamp":"1752300002","recipient_id":"6"},{"id":"gBE2","status":"warning","timestamp":"1752300003"}]}`,
		`{"contacts":[{"wa_id":"6"}],"messages":[{"from":"6","id":"A1","timestamp":"1752300004","type":"text","text":{"body":"hi"}}]}`,
	}
	seedTwilio = []string{
		"MessageStatus=undelivered&ErrorCode=63016&MessageSid=SM1&To=whatsapp%3A%2B5511900000009&From=whatsapp%3A%2B14150000001",
		"EventType=READ&MessageStatus=read&MessageSid=SM2&To=whatsapp%3A%2B1&From=whatsapp%3A%2B2",
		"SmsStatus=received&Body=Stop&WaId=1&NumMedia=0&MessageSid=SM3&From=whatsapp%3A%2B1&To=whatsapp%3A%2B2",
		"Latitude=1.5&Longitude=2&SmsStatus=received&ButtonPayload=P&MessageSid=SM4&From=whatsapp%3A%2B1&To=whatsapp%3A%2B2",
	}
	seedGupshup = []string{
		`{"app":"a","timestamp":1752500000999,"version":2,"type":"message-event","payload":{"id":"g","type":"enqueued","destination":"6","payload":{"whatsappMessageId":"w","type":"session"}}}`,
		`{"app":"a","timestamp":1752500000999,"version":2,"type":"message-event","payload":{"id":"g","gsId":"h","type":"failed","destination":"6","payload":{"code":470,"reason":"r"}}}`,
		`{"app":"a","timestamp":1752500010000,"version":2,"type":"message","payload":{"id":"i","source":"6","type":"list_reply","payload":{"id":"r","postbackText":"p"},"context":{"id":"c"}}}`,
		`{"app":"a","timestamp":1752500020000,"version":2,"type":"billing-event","payload":{"deductions":{"type":"marketing_lite","model":"CBP","billable":true},"references":{"gsId":"g","destination":"6"}}}`,
		`{"app":"a","timestamp":1752500020000,"version":2,"type":"billing-event","payload":{"deductions":{"type":"regular","model":"PMP","billable":"true","category":"marketing"},"references":{"id":"i","gsId":"g","destination":"6"}}}`,
	}
	seedInfobip = []string{
		`{"results":[{"messageId":"i","to":"1","status":{"groupName":"UNDELIVERABLE","name":"X"},"error":{"id":7003},"doneAt":"2025-07-15T10:00:00.1+02:00"}]}`,
		`{"results":[{"messageId":"i","from":"1","to":"2","seenAt":"2025-07-15T08:01:00Z"}]}`,
		`{"results":[{"from":"1","to":"2","receivedAt":"2025-07-15T08:02:00.000+00:00","messageId":"m","message":{"type":"BUTTON","payload":"STOP"}}]}`,
		`{"messageTemplateId":7,"timestamp":"2025-07-15T12:00:00.000+00:00","change":{"type":"TEMPLATE_STATUS_UPDATE","newStatus":"APPROVED"}}`,
	}
	seedEnvelope = []string{
		`{"received_at":1752600100,"request":{"body":` + string(statusLine) + `}}`,
		`{"received_at":"2025-07-15T17:21:40Z","request":{"body":` + quote(string(inboundLine)) + `}}`,
		`{"received_at":1752600100500,"request":{"body":"MessageStatus=sent&MessageSid=S&To=whatsapp%3A%2B1&From=whatsapp%3A%2B2"}}`,
	}
	seedGarbage = []string{"", "\x00\xff", `{"a":`, `[]`, `"x"`, "a=b", "{}", `{"object":"page"}`,
		foreignBodies[0].body, foreignBodies[3].body, foreignBodies[6].body, foreignBodies[7].body}
)

func allSeeds() []string {
	var out []string
	for _, s := range [][]string{seedMeta, seedOnPrem, seedTwilio, seedGupshup, seedInfobip, seedEnvelope, seedGarbage} {
		out = append(out, s...)
	}
	return out
}

// fuzzDecode checks, for any input: no panic, the invariants of every event and error,
// and that decoding is deterministic (the same line twice gives the same result).
func fuzzDecode(f *testing.F, opts Options, seeds []string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		d := NewDecoder(opts)
		evs, perr := d.Decode(line, 1752000000)
		checkInvariants(t, evs, perr)
		// A leading UTF-8 byte-order mark is stripped like white space.
		if len(evs) == 0 && perr == nil && len(bytes.TrimSpace(bytes.TrimPrefix(line, []byte("\ufeff")))) != 0 {
			t.Fatalf("a non-blank line gave neither events nor an error")
		}
		first := toEvs(evs)
		evs2, perr2 := d.Decode(line, 1752000000)
		if !reflect.DeepEqual(first, toEvs(evs2)) || perr != perr2 {
			t.Fatalf("decoding is not deterministic")
		}
	})
}

func FuzzDecode(f *testing.F)        { fuzzDecode(f, Options{}, allSeeds()) }
func FuzzDecodeMeta(f *testing.F)    { fuzzDecode(f, Options{Format: FormatMeta}, seedMeta) }
func FuzzDecodeOnPrem(f *testing.F)  { fuzzDecode(f, Options{Format: FormatOnPrem}, seedOnPrem) }
func FuzzDecodeTwilio(f *testing.F)  { fuzzDecode(f, Options{Format: FormatTwilio}, seedTwilio) }
func FuzzDecodeGupshup(f *testing.F) { fuzzDecode(f, Options{Format: FormatGupshup}, seedGupshup) }
func FuzzDecodeInfobip(f *testing.F) { fuzzDecode(f, Options{Format: FormatInfobip}, seedInfobip) }
func FuzzDecodeEnvelope(f *testing.F) {
	fuzzDecode(f, Options{Envelope: Envelope{BodyPath: "request.body", TimePath: "received_at"}, Business: "b"}, allSeeds())
}

// TestMixedInput feeds one log holding every provider and envelope, interleaved with
// garbage, through one decoder the way the tailer does (split at newlines), and checks
// that every valid event is decoded and every bad line is an error with its reason.
func TestMixedInput(t *testing.T) {
	type line struct {
		body   string
		events int
		reason Reason
	}
	huge := strings.Repeat("x", 5<<20)
	half := string(statusLine[:len(statusLine)/2])
	valid := []line{}
	for _, group := range [][]string{seedMeta, seedOnPrem, seedTwilio, seedGupshup, seedInfobip, seedEnvelope} {
		for _, s := range group {
			n := 1
			switch s {
			case string(statusLine), seedEnvelope[0]:
				n = 3
			case seedOnPrem[0]:
				n = 2
			}
			valid = append(valid, line{body: s, events: n})
		}
	}
	bad := []line{
		{body: "\x00\x01\x02\x03\xfe\xff binary", reason: ReasonInvalidJSON},
		{body: half, reason: ReasonInvalidJSON},
		{body: "\xc3\x28\xa0\xa1 not UTF-8", reason: ReasonInvalidJSON},
		{body: `{"request":{"body":"` + "\xff\xfe" + `"}}`, reason: ReasonInvalidJSON},
		{body: `{"object":"whatsapp_business_account","entry":[{"id":"` + huge[:1<<20] + `"`, reason: ReasonInvalidJSON},
		{body: `{"padding":"` + huge + `"}`, reason: ReasonLineTooLong},
		{body: huge, reason: ReasonLineTooLong},
		{body: `[{"object":"whatsapp_business_account"}]`, reason: ReasonUnexpectedObject},
		{body: `{"hello":"world"}`, reason: ReasonUnknownFormat},
		{body: "name=value&x=y", reason: ReasonUnknownFormat},
		{body: metaBody("messages", msgValue(`"statuses":[{"id":"wamid.Z","status":"sent","timestamp":"0"}]`)), reason: ReasonBadTimestamp},
	}
	// A valid body with invalid UTF-8 inside a string and a 3 MB field still decodes
	// (Meta's bodies reach 3 MB; JSON strings are not validated as UTF-8).
	valid = append(valid,
		line{body: metaBody("messages", msgValue(`"pad":"`+huge[:3<<20]+"\xff"+`","messages":[{"from":"1","id":"wamid.U","timestamp":"1752100000","type":"text","text":{"body":"\xfe\xff"}}]`)), events: 1})

	// Interleave: a bad line after every second valid one, then the rest.
	var log []line
	bi := 0
	for i, v := range valid {
		log = append(log, v)
		if i%2 == 1 && bi < len(bad) {
			log = append(log, bad[bi])
			bi++
		}
	}
	log = append(log, bad[bi:]...)
	var buf bytes.Buffer
	for _, l := range log {
		if strings.Contains(l.body, "\n") {
			t.Fatal("test line contains a newline")
		}
		buf.WriteString(l.body)
		buf.WriteByte('\n')
	}

	d := NewDecoder(Options{Envelope: Envelope{BodyPath: "request.body", TimePath: "received_at"}, MaxLineBytes: 4 << 20})
	raw := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
	if len(raw) != len(log) {
		t.Fatalf("split into %d lines, wrote %d", len(raw), len(log))
	}
	wantEvents, gotEvents := 0, 0
	wantErrs, gotErrs := map[Reason]int{}, map[Reason]int{}
	for i, r := range raw {
		evs, err := d.Decode(r, 1752000000)
		checkInvariants(t, evs, err)
		perr := parseErr(t, err)
		gotEvents += len(evs)
		wantEvents += log[i].events
		if perr != nil {
			gotErrs[perr.Reason]++
		}
		if log[i].reason != ReasonNone {
			wantErrs[log[i].reason]++
		}
		if len(evs) != log[i].events || (perr == nil) != (log[i].reason == ReasonNone) ||
			(perr != nil && perr.Reason != log[i].reason) {
			t.Errorf("line %d (%.60q): %d events, error %v; want %d events, reason %s",
				i, log[i].body, len(evs), perr, log[i].events, log[i].reason)
		}
	}
	if gotEvents != wantEvents || !reflect.DeepEqual(gotErrs, wantErrs) {
		t.Fatalf("totals: %d events, errors %v; want %d events, errors %v", gotEvents, gotErrs, wantEvents, wantErrs)
	}
	if len(log) != len(valid)+len(bad) || wantEvents < 30 {
		t.Fatalf("mixed log incomplete: %d lines, %d events", len(log), wantEvents)
	}
}
