package webhook

import (
	"strings"
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

// tagStatus is a messages-change status with the given biz_opaque_callback_data member
// (raw JSON after the colon; empty: none).
func tagStatus(tag string) string {
	m := `"statuses":[{"id":"wamid.T","status":"sent","timestamp":"1752300000","recipient_id":"61400000005"`
	if tag != "" {
		m += `,"biz_opaque_callback_data":` + tag
	}
	return metaBody("messages", msgValue(m+`}]`))
}

func TestDecodeCampaignTag(t *testing.T) {
	want := with(metaEv(model.KindStatus), func(e *ev) {
		e.ID, e.Status, e.Time, e.Customer = "wamid.T", model.StatusSent, 1752300000, "61400000005"
	})
	tagged := func(tag string) []ev { return []ev{with(want, func(e *ev) { e.Tag = tag })} }
	long512 := strings.Repeat("x", 512)
	cases := []decodeCase{
		{name: "no tag", line: tagStatus(""), want: tagged("")},
		{name: "kv tag", line: tagStatus(`"campaign=spring_sale;variant=B"`), want: tagged("campaign=spring_sale;variant=B")},
		{name: "json tag arrives escaped and is unescaped", line: tagStatus(`"{\"campaign\":\"spring\",\"variant\":\"A\"}"`), want: tagged(`{"campaign":"spring","variant":"A"}`)},
		{name: "unicode escape", line: tagStatus(`"campaign=caf\u00e9"`), want: tagged("campaign=café")},
		{name: "empty tag is none", line: tagStatus(`""`), want: tagged("")},
		{name: "a number is ignored", line: tagStatus(`12345`), want: tagged("")},
		{name: "an object is ignored", line: tagStatus(`{"campaign":"x"}`), want: tagged("")},
		{name: "512 bytes is a tag", line: tagStatus(`"` + long512 + `"`), want: tagged(long512)},
		{name: "513 bytes is refused, the status is kept", line: tagStatus(`"` + long512 + `y"`), want: tagged(""), reason: ReasonTagTooLong},
		// 511 bytes plus an escaped 2-byte rune: 513 bytes once unescaped
		{name: "length counts unescaped bytes", line: tagStatus(`"` + long512[:511] + `\u00e9"`), want: tagged(""), reason: ReasonTagTooLong},
		{
			name: "gupshup v3 passes it through",
			line: `{"entry":[{"changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"` + tDisp + `","phone_number_id":"` + tPNID + `"},
				"statuses":[{"gs_id":"gs-1","id":"wamid.T","recipient_id":"61400000005","status":"sent","timestamp":"1752300000","biz_opaque_callback_data":"campaign=c;variant=A"}]}}],"id":"` + tWABA + `"}],"gs_app_id":"app-uuid-1","object":"whatsapp_business_account"}`,
			want: []ev{with(want, func(e *ev) { e.Provider, e.Tag = model.ProviderGupshup, "campaign=c;variant=A" })},
		},
		{
			name: "360dialog passes the Meta body through (bare entry)",
			line: `{"id":"` + tWABA + `","changes":[{"field":"messages","value":` + msgValue(`"statuses":[{"id":"wamid.T","status":"sent","timestamp":"1752300000","recipient_id":"61400000005","biz_opaque_callback_data":"campaign=d"}]`) + `}]}`,
			want: tagged("campaign=d"),
		},
		{
			name: "one over-long tag among two statuses: both kept, one error",
			line: metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752300000","biz_opaque_callback_data":"`+long512+`z"},{"id":"b","status":"read","timestamp":"1752300001","biz_opaque_callback_data":"campaign=e"}]`)),
			want: []ev{
				with(metaEv(model.KindStatus), func(e *ev) { e.ID, e.Status, e.Time = "a", model.StatusSent, 1752300000 }),
				with(metaEv(model.KindStatus), func(e *ev) { e.ID, e.Status, e.Time, e.Tag = "b", model.StatusRead, 1752300001, "campaign=e" }),
			},
			reason: ReasonTagTooLong,
		},
	}
	runDecodeCases(t, cases)
}

// Both paths agree on tagged statuses, and the usual tags stay on the fast path.
func TestCampaignTagFastPath(t *testing.T) {
	long := strings.Repeat("q", 513)
	for _, c := range []struct {
		body string
		fast bool
	}{
		{tagStatus(`"campaign=spring_sale;variant=B"`), true},
		{tagStatus(`"{\"campaign\":\"spring\",\"variant\":\"A\"}"`), true},
		{tagStatus(`""`), true},
		{tagStatus(`"` + long[:512] + `"`), true},
		{tagStatus(`"` + long + `"`), false},
		{tagStatus(`7`), false},
		{tagStatus(`null`), false},
		{tagStatus(`"campaign=a","biz_opaque_callback_data":"campaign=b"`), false}, // repeated key
	} {
		for _, opts := range diffOptions {
			fast, slow := diffDecoders(opts)
			if took := sameResult(t, fast, slow, []byte(c.body)); took != c.fast {
				t.Errorf("opts %+v, %.120q: fast path taken = %v, want %v", opts, c.body, took, c.fast)
			}
		}
	}
}

const convP = `"phone_number_id":"106540352242922"`

func conv(members string) string { return `{"waba_conversion":{` + members + `}}` }

func TestDecodeConversion(t *testing.T) {
	base := ev{Kind: model.KindConversion, Provider: model.ProviderBusiness, Field: FieldConversion, Business: "106540352242922",
		Time: 1749090570, ConvName: "purchase", ConvValue: 49.9, ConvCurrency: "EUR"}
	bad := ReasonBadConversion
	cases := []decodeCase{
		{name: "generator shape, phone customer",
			line: conv(convP + `,"customer":"447440640449","name":"purchase","value":49.9,"currency":"EUR","timestamp":1749090570`),
			want: []ev{with(base, func(e *ev) { e.Customer = "447440640449" })}},
		{name: "BSUID customer, string timestamp and value, '+' phone stripped",
			line: conv(convP + `,"customer":"user.fefba71cd93b","name":"purchase","value":"49.9","currency":"EUR","timestamp":"1749090570"`),
			want: []ev{with(base, func(e *ev) { e.UserID = "user.fefba71cd93b" })}},
		{name: "plus sign stripped",
			line: conv(convP + `,"customer":"+447440640449","name":"purchase","value":49.9,"currency":"EUR","timestamp":1749090570`),
			want: []ev{with(base, func(e *ev) { e.Customer = "447440640449" })}},
		{name: "country-prefixed BSUID, numeric phone_number_id, ms and ISO time",
			line: `{"waba_conversion":{"phone_number_id":106540352242922,"customer":"US.13491208655302741918","name":"signup","value":0,"currency":"BRL","timestamp":"2025-06-05T02:29:30Z"}}`,
			want: []ev{with(base, func(e *ev) {
				e.UserID, e.ConvName, e.ConvValue, e.ConvCurrency = "US.13491208655302741918", "signup", 0, "BRL"
			})}},
		{name: "no name, no value, no currency",
			line: conv(convP + `,"customer":"447440640449","timestamp":1749090570000`),
			want: []ev{with(base, func(e *ev) { e.Customer, e.ConvName, e.ConvValue, e.ConvCurrency = "447440640449", "conversion", 0, "" })}},
		{name: "a short number is not a phone", line: conv(convP + `,"customer":"12345","value":1,"currency":"USD","timestamp":1749090570`),
			want: []ev{with(base, func(e *ev) { e.UserID, e.ConvName, e.ConvValue, e.ConvCurrency = "12345", "conversion", 1, "USD" })}},
		{name: "in a Twilio-format log", opts: Options{Format: FormatTwilio},
			line: conv(convP + `,"customer":"447440640449","name":"purchase","value":49.9,"currency":"EUR","timestamp":1749090570`),
			want: []ev{with(base, func(e *ev) { e.Customer = "447440640449" })}},
		{name: "in an enveloped log, unwrapped", opts: Options{Envelope: Envelope{BodyPath: "body"}},
			line: conv(convP + `,"customer":"447440640449","name":"purchase","value":49.9,"currency":"EUR","timestamp":1749090570`),
			want: []ev{with(base, func(e *ev) { e.Customer = "447440640449" })}},
		{name: "not an object", line: `{"waba_conversion":[1]}`, reason: bad},
		{name: "no phone_number_id", line: conv(`"customer":"447440640449","value":1,"currency":"EUR","timestamp":1749090570`), reason: bad},
		{name: "empty phone_number_id", line: conv(`"phone_number_id":"","customer":"447440640449","value":1,"currency":"EUR","timestamp":1749090570`), reason: bad},
		{name: "no customer", line: conv(convP + `,"value":1,"currency":"EUR","timestamp":1749090570`), reason: bad},
		{name: "customer null", line: conv(convP + `,"customer":null,"value":1,"currency":"EUR","timestamp":1749090570`), reason: bad},
		{name: "negative value", line: conv(convP + `,"customer":"447440640449","value":-1,"currency":"EUR","timestamp":1749090570`), reason: bad},
		{name: "NaN value", line: conv(convP + `,"customer":"447440640449","value":"NaN","currency":"EUR","timestamp":1749090570`), reason: bad},
		{name: "Inf value", line: conv(convP + `,"customer":"447440640449","value":1e999,"currency":"EUR","timestamp":1749090570`), reason: bad},
		{name: "value not a number", line: conv(convP + `,"customer":"447440640449","value":"lots","currency":"EUR","timestamp":1749090570`), reason: bad},
		{name: "value bool", line: conv(convP + `,"customer":"447440640449","value":true,"currency":"EUR","timestamp":1749090570`), reason: bad},
		{name: "lower-case currency", line: conv(convP + `,"customer":"447440640449","value":1,"currency":"eur","timestamp":1749090570`), reason: bad},
		{name: "unknown currency", line: conv(convP + `,"customer":"447440640449","value":1,"currency":"XYZ","timestamp":1749090570`), reason: bad},
		{name: "four letters", line: conv(convP + `,"customer":"447440640449","value":1,"currency":"EURO","timestamp":1749090570`), reason: bad},
		{name: "a value without currency", line: conv(convP + `,"customer":"447440640449","value":1,"timestamp":1749090570`), reason: bad},
		{name: "no timestamp", line: conv(convP + `,"customer":"447440640449","value":1,"currency":"EUR"`), reason: bad},
		{name: "absurd timestamp", line: conv(convP + `,"customer":"447440640449","value":1,"currency":"EUR","timestamp":99`), reason: bad},
		{name: "year 2200", line: conv(convP + `,"customer":"447440640449","value":1,"currency":"EUR","timestamp":"2200-01-01T00:00:00Z"`), reason: bad},
		{name: "name not a string", line: conv(convP + `,"customer":"447440640449","name":7,"value":1,"currency":"EUR","timestamp":1749090570`), reason: bad},
	}
	runDecodeCases(t, cases)
}

func TestConversionChangeFieldsAndReasons(t *testing.T) {
	d := NewDecoder(Options{})
	evs, err := d.Decode([]byte(conv(convP+`,"customer":"447440640449","value":2,"currency":"EUR","timestamp":1749090570`)), 0)
	if err != nil || len(evs) != 1 || len(d.ChangeFields()) != 1 || d.ChangeFields()[0] != FieldConversion {
		t.Fatalf("events %v, error %v, fields %v", toEvs(evs), err, d.ChangeFields())
	}
	_, err = d.Decode([]byte(conv(convP+`,"customer":"447440640449","value":-2,"currency":"EUR","timestamp":1749090570`)), 0)
	if err == nil || len(d.ChangeFields()) != 0 || parseErr(t, err).Reason.String() != "bad_conversion" || strings.Contains(err.Error(), "447440640449") {
		t.Fatalf("bad conversion: error %v, fields %v", err, d.ChangeFields())
	}
	names := map[string]bool{}
	for _, r := range Reasons() {
		names[r.String()] = true
	}
	if !names["tag_too_long"] || !names["bad_conversion"] || len(names) != int(NumReason)-1 {
		t.Fatalf("Reasons() = %v", names)
	}
}

func TestISO4217(t *testing.T) {
	for _, c := range []struct {
		code string
		ok   bool
	}{{"EUR", true}, {"BRL", true}, {"USD", true}, {"AED", true}, {"ZMW", true}, {"XTS", true},
		{"eur", false}, {"EU", false}, {"EURO", false}, {"", false}, {"AAA", false}, {"ZZZ", false}, {"E\x00R", false}} {
		if got := isISO4217([]byte(c.code)); got != c.ok {
			t.Errorf("isISO4217(%q) = %v, want %v", c.code, got, c.ok)
		}
	}
	if n := len(iso4217); n%3 != 0 || n < 150*3 {
		t.Fatalf("table of %d bytes", n)
	}
	for i := 3; i < len(iso4217); i += 3 {
		if iso4217[i-3:i] >= iso4217[i:i+3] {
			t.Fatalf("table not sorted at %s", iso4217[i:i+3])
		}
	}
	if a := testing.AllocsPerRun(100, func() { isISO4217([]byte("EUR")) }); a != 0 {
		t.Errorf("%.1f allocations", a)
	}
}

// FuzzConversion: any conversion body decodes into a well-formed event or a counted
// bad_conversion error, never a panic; an accepted one round-trips its numbers.
func FuzzConversion(f *testing.F) {
	for _, s := range []string{
		conv(convP + `,"customer":"447440640449","name":"purchase","value":49.9,"currency":"EUR","timestamp":1749090570`),
		conv(convP + `,"customer":"user.ab","value":"1e3","currency":"BRL","timestamp":"2025-06-05T02:29:30+02:00"`),
		conv(`"customer":"+1","value":-0,"currency":"JPY","timestamp":1e12`),
		`{"waba_conversion":null}`, `{"waba_conversion":{}}`, `{"waba_conversion":"x","object":"whatsapp_business_account"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		d := NewDecoder(Options{})
		evs, err := d.Decode(line, 0)
		checkInvariants(t, evs, err)
		for _, e := range evs {
			if e.Kind == model.KindConversion && err != nil {
				t.Fatalf("a conversion event with error %v", err)
			}
		}
	})
}

// Infobip echoes the send's callbackData in delivery and seen reports: the same tag.
func TestDecodeInfobipCallbackData(t *testing.T) {
	long := strings.Repeat("x", 513)
	dr := func(cb string) string {
		return `{"results":[{"bulkId":"b","status":{"groupId":3,"groupName":"DELIVERED","id":5,"name":"DELIVERED_TO_HANDSET"},"callbackData":"` + cb +
			`","messageId":"ib-1","doneAt":"2025-07-15T10:00:05.123+02:00","to":"48600000011"}]}`
	}
	want := ev{Kind: model.KindStatus, Provider: model.ProviderInfobip, Field: FieldMessages, Business: "biz",
		Customer: "48600000011", ID: "ib-1", Time: 1752566405, Status: model.StatusDelivered, Inferred: true}
	opts := Options{Business: "biz"}
	runDecodeCases(t, []decodeCase{
		{name: "delivery report", opts: opts, line: dr("campaign=spring;variant=A"), want: []ev{with(want, func(e *ev) { e.Tag = "campaign=spring;variant=A" })}},
		{name: "over-long", opts: opts, line: dr(long), want: []ev{want}, reason: ReasonTagTooLong},
		{name: "seen report",
			line: `{"results":[{"messageId":"ib-2","from":"48600000011","to":"48220000001","seenAt":"2025-07-15T08:01:00Z","callbackData":"campaign=s"}]}`,
			want: []ev{{Kind: model.KindStatus, Provider: model.ProviderInfobip, Field: FieldMessages, Business: "48220000001", Customer: "48600000011", ID: "ib-2", Time: 1752566460, Status: model.StatusRead, Inferred: true, Tag: "campaign=s"}}},
	})
}

// The general path reads tags without allocating too (Gupshup v3, 360dialog bare
// entries, over-long tags and the fallbacks of the fast path take it).
func TestCampaignTagGeneralPathZeroAllocs(t *testing.T) {
	for i, body := range []string{
		tagStatus(`"campaign=spring_sale;variant=B"`),
		tagStatus(`"{\"campaign\":\"spring\",\"variant\":\"A\"}"`),
		tagStatus(`"` + strings.Repeat("x", 600) + `"`),
		conv(convP + `,"customer":"user.ab","name":"purchase","value":49.9,"currency":"EUR","timestamp":1749090570`),
	} {
		d := NewDecoder(Options{})
		d.noFast = true
		line := []byte(body)
		for j := 0; j < 3; j++ {
			if evs, _ := d.Decode(line, 0); len(evs) != 1 {
				t.Fatalf("body %d: %d events", i, len(evs))
			}
		}
		if a := testing.AllocsPerRun(100, func() { d.Decode(line, 0) }); a != 0 {
			t.Errorf("body %d: %.1f allocations per Decode", i, a)
		}
	}
}
