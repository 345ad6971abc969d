package webhook

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/waba-exporter/waba_exporter/internal/sim"
	"github.com/waba-exporter/waba_exporter/model"
)

// genScript is the shared seeded generator (../shared/tools from the repository root).
const genScript = "../../shared/tools/gen_webhooks.py"

// fastCorpus holds bodies of the Meta messages shape and its near misses: every one must
// give the same result on the fast path and the general path, and the ones marked fast
// must be taken by the fast path (so that the comparison is not vacuous).
var fastCorpus = []struct {
	body string
	fast bool
}{
	{string(statusLine), true},
	{string(inboundLine), true},
	// metadata after the statuses, entry id after the changes, field before value
	{`{"entry":[{"changes":[{"field":"messages","value":{"statuses":[{"id":"w1","status":"read","timestamp":"1752000000"}],"metadata":{"phone_number_id":"9","display_phone_number":"8"}}}],"id":"7"}],"object":"whatsapp_business_account"}`, true},
	// white space everywhere, unknown members of every kind
	{" {\t\"object\" : \"whatsapp_business_account\" ,\r\n \"x\":[1,-2.5e+3,true,false,null,{\"a\\\"b\":\"c\\\\\"}], \"entry\" : [ { \"id\" : \"1\" , \"changes\" : [ { \"value\" : { \"statuses\" : [ { \"id\" : \"w\" , \"status\" : \"SENT\" , \"timestamp\" : \"1752000000.9\" , \"y\" : {} , \"z\" : [] } ] } , \"field\" : \"messages\" } ] } ] } ", true},
	// two entries, two changes
	{`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"}]},"field":"messages"},{"value":{"messages":[{"id":"b","from":"5","timestamp":1752000001,"type":"text","text":{"body":"hi"}}]},"field":"messages"}]},{"id":"2","changes":[{"value":{"statuses":[{"id":"c","status":"failed","timestamp":"1752000002","errors":[{"code":131026,"title":"t"},{"code":"x"}]}]},"field":"messages"}]}]}`, false},
	{`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"}]},"field":"messages"},{"value":{"messages":[{"id":"b","from":"5","timestamp":"1752000001","type":"text","text":{"body":"hi"}}]},"field":"messages"}]},{"id":"2","changes":[{"value":{"statuses":[{"id":"c","status":"failed","timestamp":"1752000002","errors":[{"code":131026,"title":"t"},{"code":"x"}]}]},"field":"messages"}]}]}`, true},
	// error codes: negative, zero, leading zero, fraction, exponent, string, 16 digits, none
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"failed","timestamp":"1752000000","errors":[{"code":-5}]}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"failed","timestamp":"1752000000","errors":[{"code":0}]}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"failed","timestamp":"1752000000","errors":[{"code":0131}]}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"failed","timestamp":"1752000000","errors":[{"code":131.5}]}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"failed","timestamp":"1752000000","errors":[{"code":1e3}]}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"failed","timestamp":"1752000000","errors":[{"code":"470"}]}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"failed","timestamp":"1752000000","errors":[{"code":1234567890123456}]}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"failed","timestamp":"1752000000","errors":[{"title":"t"}]}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"failed","timestamp":"1752000000","errors":[]}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"failed","timestamp":"1752000000","errors":["x"]}]`)), false},
	// pricing and conversation variants
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"delivered","timestamp":"1752000000","conversation":{"id":"c","origin":{}},"pricing":{"billable":false,"pricing_model":"PMP","type":"free_customer_service","category":"service"}}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"delivered","timestamp":"1752000000","conversation":{"id":"c","expiration_timestamp":"soon","origin":{"type":"utility"}}}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"delivered","timestamp":"1752000000","conversation":{"id":"c","expiration_timestamp":1752086400}}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"delivered","timestamp":"1752000000","pricing":{"billable":null}}]`)), false},
	// timestamps of ten characters that are not ten digits, and out-of-range ones
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","conversation":{"id":"c","expiration_timestamp":"17520000.0"}}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","conversation":{"id":"c","expiration_timestamp":"0001752000"}}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","conversation":{"id":"c","expiration_timestamp":"1752086400000"}}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"175200000x"}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"9999999999"}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000123"}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"delivered","timestamp":"1752000000","conversation":"c"}]`)), false},
	// duplicated keys: fastjson's Visit takes the last, its Get the first
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","status":"read","timestamp":"1752000000"}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","conversation":{"id":"c","id":"d"}}]`)), false},
	{`{"object":"whatsapp_business_account","object":"page","entry":[]}`, false},
	// escapes: in a key we compare, in a value we keep, in a value we skip
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","st\u0061tus":"sent","timestamp":"1752000000"}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a\u0041","status":"sent","timestamp":"1752000000"}]`)), false},
	{metaBody("messages", msgValue(`"contacts":[{"profile":{"name":"Jos\u00e9 \"J\" \\"}}],"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"image","text":{"body":"\u00bf"}}]`)), true},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"text","text":{"body":"\u00bfque?"}}]`)), true},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"text","text":{"body":"\ud83d\ude00 \ud800 \x \u12 \"q\" \\"}},{"id":"n","from":"6","timestamp":"1752000000","type":"text","text":{"body":"a\/b\tc\u0041"}}]`)), true},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"text","text":{"body":"\u00bf","body":"x"}}]`)), false},
	// inbound variants
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","context":{"from":"1","id":"q"},"referral":{"source_type":"ad"},"type":"text","text":{"body":"STOP"}}]`)), true},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000"}]`)), true},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"button","button":{"payload":"p","text":"t"}}]`)), true},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"button","button":{"text":"t"}}]`)), true},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"button"}]`)), true},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"text","button":{"payload":"p"},"text":{"body":"b"}}]`)), true},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"button","button":{"payload":7,"text":"t"}}]`)), false},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"button","button":"p"}]`)), false},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"interactive","interactive":{"list_reply":{"id":"l"}}}]`)), true},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"l","title":"x"},"button_reply":{"id":"b"}}}]`)), true},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"interactive","interactive":{"list_reply":{"id":"l"},"button_reply":{"title":"no id"}}}]`)), true},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"interactive","interactive":{"list_reply":{"id":"l"},"button_reply":"b"}}]`)), false},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"interactive","interactive":{"nfm_reply":{"id":"l"}}}]`)), true},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"interactive","interactive":[]}]`)), false},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"unsupported","errors":[{"code":131051}]}]`)), false},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"","timestamp":"1752000000"}]`)), false},
	{metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","referral":[]}]`)), false},
	// business-scoped user ids and contacts (SPEC 4.9)
	{metaBody("messages", msgValue(`"contacts":[{"profile":{"name":"Jos\u00e9","username":"@jose","country_code":"MX"},"wa_id":"","user_id":"user.ab12"}],"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","recipient_id":"","recipient_user_id":"user.ab12"}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","recipient_id":"5","recipient_user_id":"user.ab12"}],"contacts":[{"wa_id":"5","user_id":"user.ab12","profile":{"country_code":"IN"}},{"wa_id":"6","user_id":"user.cd"}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","recipient_id":"5"}],"contacts":[{"wa_id":"5","user_id":"user.ab12"}]`)), true},
	{metaBody("messages", msgValue(`"contacts":[{"wa_id":"","user_id":"u1","profile":{"country_code":"BR"}}],"messages":[{"from":"","from_user_id":"u1","id":"m","timestamp":"1752000000","type":"text","text":{"body":"oi"}}]`)), true},
	{metaBody("messages", msgValue(`"messages":[{"from_user_id":"u1","id":"m","timestamp":"1752000000","type":"image"}]`)), true},
	{metaBody("messages", msgValue(`"messages":[{"from":"5","from_user_id":"u1","id":"m","timestamp":"1752000000","type":"image"}],"contacts":[{"wa_id":"5"},{"user_id":"u1","profile":{}}]`)), true},
	{metaBody("messages", msgValue(`"messages":[{"from":"","from_user_id":"","id":"m","timestamp":"1752000000"}]`)), false},
	{metaBody("messages", msgValue(`"messages":[{"from_user_id":7,"id":"m","timestamp":"1752000000"}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","recipient_user_id":null}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","recipient_user_id":"u","recipient_user_id":"v"}]`)), false},
	{metaBody("messages", msgValue(`"contacts":[{"wa_id":"5","wa_id":"6"}],"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","recipient_id":"6"}]`)), false},
	{metaBody("messages", msgValue(`"contacts":[{"wa_id":5,"user_id":"u"}],"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","recipient_user_id":"u"}]`)), false},
	{metaBody("messages", msgValue(`"contacts":[{"user_id":"u","profile":"p"}],"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","recipient_user_id":"u"}]`)), false},
	{metaBody("messages", msgValue(`"contacts":[{"user_id":"u","profile":{"country_code":"A","country_code":"B"}}],"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","recipient_user_id":"u"}]`)), false},
	{metaBody("messages", msgValue(`"contacts":[{"user_id":"u","profile":{"country_code":"\u0041R"}}],"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","recipient_user_id":"u"}]`)), false},
	{metaBody("messages", msgValue(`"contacts":["u"],"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","recipient_user_id":"u"}]`)), false},
	{metaBody("messages", msgValue(`"contacts":{},"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","recipient_user_id":"u"}]`)), false},
	{metaBody("messages", msgValue(`"contacts":[],"contacts":[],"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"}]`)), false},
	{metaBody("messages", msgValue(`"contacts":[`+strings.Repeat(`{"wa_id":"1"},`, maxContacts)+`{"wa_id":"5","profile":{"country_code":"FR"}},7],"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","recipient_id":"5"}]`)), false},
	{metaBody("messages", msgValue(`"contacts":[`+strings.Repeat(`{"wa_id":"1"},`, maxContacts)+`{"wa_id":"5","profile":{"country_code":"FR"}}],"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","recipient_id":"5"}]`)), true},
	// shapes the fast path leaves to the general one
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"}],"messages":[{"id":"m","from":"5","timestamp":"1752000000"}]`)), false},
	{metaBody("messages", msgValue(`"contacts":[{"wa_id":"5"}]`)), false},
	{metaBody("messages", msgValue(`"errors":[{"code":131000}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"bogus","timestamp":"1752000000"}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"0"}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent"}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"gs_id":"g","status":"sent","timestamp":"1752000000"}]`)), false},
	{metaBody("messages", msgValue(`"statuses":{}`)), false},
	{metaBody("messages", msgValue(`"statuses":[]`)), false},
	{metaBody("user_preferences", msgValue(`"user_preferences":[{"wa_id":"5","value":"stop","category":"marketing_messages","timestamp":1752000000}]`)), false},
	{metaBody("account_update", `{"event":"VERIFIED_ACCOUNT"}`), false},
	{`{"object":"page","entry":[]}`, false},
	{`{"gs_app_id":"g","object":"whatsapp_business_account","entry":[{"changes":[{"value":{"statuses":[{"gs_id":"g","status":"sent","timestamp":"1752000000"}]},"field":"messages"}]}]}`, false},
	{`{"id":"1","changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"}]},"field":"messages"}]}`, false},
	{`{"object":"whatsapp_business_account","entry":[{"id":"1","time":1752000000,"changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"}]},"field":"messages"}]}]}`, true},
	{`{"object":"whatsapp_business_account","entry":[{"id":1,"changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"}]},"field":"messages"}]}]}`, false},
	{`{"object":"whatsapp_business_account","entry":[{"id":"","changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"}]},"field":"messages"}]}]}`, true},
	// keys matched in place (keySet): near the end of the line (fewer than 16 bytes
	// left), prefixes and extensions of known keys, long keys, white space before the
	// colon, known keys out of their usual order, and keys of another object
	{`{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"}]},"field":"messages"}],"id":"7"}]}`, true},
	{`{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"}]},"field":"messages"}],"id":"7","t":1}]}`, true},
	{metaBody("messages", msgValue(`"statuses":[{"i":"x","ids":"y","id":"a","statu":"x","statuses":"z","status":"sent","timestamp":"1752000000","recipient_user_id_x":"u","recipient_user_i":"v","recipient_user_id":"w"}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"pricing":{"category":"utility","billable":false,"type":"regular","pricing_model":"PMP"},"timestamp":"1752000000","status":"read","id":"a","conversation":{"origin":{"type":"service","id":"o"},"expiration_timestamp":"1752000000","id":"c"}}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"id" :"a","status"  :  "sent","timestamp"`+"\t"+`:"1752000000","biz_opaque_callback_data" : "t"}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","field":"x","object":"y","entry":[],"metadata":{}}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","id":"b"}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","i\u0064":"b"}]`)), false},
	// ten-character timestamps read in place, and their near misses
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"17520000\"0"}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"175200000","x":"1"}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000\"","x":"1"}]`)), false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000 ","x":"1"}]`)), false},
	// syntax at and beyond fastjson's edges
	{`{"object":"whatsapp_business_account","entry":[],"n":NaN}`, false},
	{`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","n":-inf}]},"field":"messages"}]}]}`, false},
	{`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","n":1-2}]},"field":"messages"}]}]}`, true},
	{`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"}]},"field":"messages"}]}]} x`, false},
	{`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000",}]},"field":"messages"}]}]}`, false},
	{`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"},]},"field":"messages"}]}]}`, false},
	{`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"}]},"field":"messages"}]}`, false},
	{`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","p":"\"}]},"field":"messages"}]}]}`, false},
	{`{"object":"whatsapp_business_account","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `,"entry":[{"id":"1","changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"}]},"field":"messages"}]}]}`, false},
	// fastMaxDepth: a skipped value may be enclosed by 64 containers, not 65
	{`{"object":"whatsapp_business_account","x":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `,"entry":[{"id":"1","changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"}]},"field":"messages"}]}]}`, true},
	{`{"object":"whatsapp_business_account","x":` + strings.Repeat("[", 65) + strings.Repeat("]", 65) + `,"entry":[{"id":"1","changes":[{"value":{"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"}]},"field":"messages"}]}]}`, false},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","x":`+strings.Repeat("[", 57)+strings.Repeat("]", 57)+`}]`)), true},
	{metaBody("messages", msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000","x":`+strings.Repeat("[", 58)+strings.Repeat("]", 58)+`}]`)), false},
	{`{"object":"whatsapp_business_account","x":` + strings.Repeat("[", 400) + strings.Repeat("]", 400) + `,"entry":[]}`, false},
	{`{"object":"whatsapp_business_account","x":tru,"entry":[]}`, false},
	{`{"object":"whatsapp_business_account","x":` + "\x01" + `,"entry":[]}`, false},
}

// sameResult decodes line with the fast path on and off and fails on any difference in
// events, error or change fields. It reports whether the fast path took the line.
func sameResult(t *testing.T, fast, slow *Decoder, line []byte) bool {
	t.Helper()
	evs, perr := fast.Decode(line, 1752000000)
	got := append([]model.Event(nil), evs...)
	gotFields := append([]string(nil), fast.ChangeFields()...)
	want, wantErr := slow.Decode(line, 1752000000)
	if !reflect.DeepEqual(got, append([]model.Event(nil), want...)) || perr != wantErr ||
		!reflect.DeepEqual(gotFields, append([]string(nil), slow.ChangeFields()...)) {
		t.Fatalf("fast and general paths differ on %.300q:\nfast    %v %v %v\ngeneral %v %v %v",
			line, toEvs(got), perr, gotFields, toEvs(want), wantErr, slow.ChangeFields())
	}
	// In place, the same events and error (the line is copied first: the events may point
	// into it, and got into the decoder's memory, which the next call reuses).
	got = deepCopy(got)
	inPlace, ipErr := fast.DecodeInPlace(append([]byte(nil), line...), 1752000000)
	if !reflect.DeepEqual(deepCopy(inPlace), got) || ipErr != perr {
		t.Fatalf("DecodeInPlace and Decode differ on %.300q:\nin place %v %v\ncopied   %v %v", line, toEvs(inPlace), ipErr, toEvs(got), perr)
	}
	tl := trimSpace(line)
	if len(tl) == 0 || tl[0] != '{' {
		return false
	}
	took := fast.fastMeta(tl, false)
	fast.events, fast.changes = fast.events[:0], fast.changes[:0]
	return took
}

// deepCopy copies events and every byte they point to.
func deepCopy(evs []model.Event) []model.Event {
	out := append([]model.Event(nil), evs...)
	for i := range out {
		for _, f := range out[i].ByteFields() {
			if *f != nil {
				*f = append([]byte{}, *f...)
			}
		}
	}
	return out
}

// DecodeInPlace reads the line itself: the events of a fast-path line point into it, and
// the decoder's copy of the line is never made.
func TestDecodeInPlaceAliasesTheLine(t *testing.T) {
	line := append([]byte(nil), statusLine...)
	d := NewDecoder(Options{})
	evs, err := d.DecodeInPlace(line, 0)
	if err != nil || len(evs) == 0 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
	if d.line != nil {
		t.Error("DecodeInPlace copied the line")
	}
	id := evs[0].MessageID
	i := bytes.Index(line, id)
	if len(id) == 0 || i < 0 || &line[i] != &id[0] {
		t.Fatalf("message id %q does not point into the line", id)
	}
	// Decode, for comparison, points into its own copy.
	evs, _ = d.Decode(line, 0)
	if id := evs[0].MessageID; &line[bytes.Index(line, id)] == &id[0] {
		t.Fatal("Decode's events point into the caller's line")
	}
}

func diffDecoders(opts Options) (fast, slow *Decoder) {
	fast, slow = NewDecoder(opts), NewDecoder(opts)
	slow.noFast = true
	return fast, slow
}

var diffOptions = []Options{{}, {Format: FormatMeta}, {Business: "770000000000099"}}

func TestFastMetaMatchesGeneral(t *testing.T) {
	for _, opts := range diffOptions {
		fast, slow := diffDecoders(opts)
		for i, c := range fastCorpus {
			if took := sameResult(t, fast, slow, []byte(c.body)); took != c.fast {
				t.Errorf("opts %+v, body %d: fast path taken = %v, want %v", opts, i, took, c.fast)
			}
		}
		for _, s := range allSeeds() {
			sameResult(t, fast, slow, []byte(s))
		}
	}
	// Other formats and envelopes never take the fast path.
	for _, opts := range []Options{{Format: FormatGupshup}, {Format: FormatOnPrem}, {Envelope: Envelope{BodyPath: "body"}}} {
		d := NewDecoder(opts)
		d.line = nil
		d.Decode(statusLine, 0)
		if d.line != nil {
			t.Errorf("opts %+v: fast path tried", opts)
		}
	}
}

// The fast path keeps the zero-allocation contract, also when it unescapes a text body.
func TestFastMetaZeroAllocs(t *testing.T) {
	for i, body := range []string{
		metaBody("messages", msgValue(`"contacts":[{"profile":{"name":"Jos\u00e9"},"wa_id":"5"}],"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"text","text":{"body":"\u00bfque? \ud83d\ude00"}}]`)),
		metaBody("messages", msgValue(`"messages":[{"id":"m","from":"5","timestamp":"1752000000","type":"interactive","interactive":{"list_reply":{"id":"l"}}}]`)),
		// a BSUID-only status with its contact (country) and a plain status
		metaBody("messages", msgValue(`"contacts":[{"profile":{"name":"A","username":"@a","country_code":"MX"},"wa_id":"","user_id":"user.ab12"}],"statuses":[{"id":"a","status":"delivered","timestamp":"1752000000","recipient_id":"","recipient_user_id":"user.ab12","pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"marketing"}}]`)),
		string(statusLine),
		// campaign tags: kv, and a JSON tag that must be unescaped
		tagStatus(`"campaign=spring_sale;variant=B"`),
		tagStatus(`"{\"campaign\":\"spring\",\"variant\":\"A\"}"`),
	} {
		line := []byte(body)
		d := NewDecoder(Options{})
		for j := 0; j < 3; j++ {
			if evs, err := d.Decode(line, 0); err != nil || len(evs) == 0 || !d.fastMeta(line, false) {
				t.Fatalf("body %d: %d events, %v, or not on the fast path", i, len(evs), err)
			}
		}
		if a := testing.AllocsPerRun(100, func() { d.Decode(line, 0) }); a != 0 {
			t.Errorf("body %d: %.1f allocations per Decode after warm-up", i, a)
		}
	}
}

// diffLines compares both paths (default options) on every line of r and returns the
// line count and the number of lines the fast path took.
func diffLines(t *testing.T, r *bufio.Scanner) (n, took int) {
	t.Helper()
	fast, slow := diffDecoders(Options{})
	for r.Scan() {
		n++
		if sameResult(t, fast, slow, r.Bytes()) {
			took++
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return n, took
}

func TestFastMetaMatchesGeneralSimulator(t *testing.T) {
	var buf bytes.Buffer
	if err := sim.New(sim.Options{Seed: 1}).WriteN(&buf, 20000); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	n, took := diffLines(t, sc)
	t.Logf("simulator: %d lines, %d on the fast path", n, took)
	if n != 20000 || took < n*8/10 {
		t.Fatalf("simulator: %d lines, only %d on the fast path", n, took)
	}
}

// TestFastMetaMatchesGeneralGenerator compares both paths on generated months: the
// default shapes, and 2026 traffic (API v23 conversation objects, business-scoped user
// ids with contacts, capability and account updates), where BSUID lines must be taken by
// the fast path too.
func TestFastMetaMatchesGeneralGenerator(t *testing.T) {
	if _, err := os.Stat(genScript); err != nil {
		// It needs ../shared, as CI has it: a quick run (-short) on a bare clone skips,
		// the full suite fails.
		if testing.Short() {
			t.Skip("the generator " + genScript + " is missing (-short)")
		}
		t.Fatal("the generator " + genScript + " is missing: ../shared must be beside the checkout")
	}
	for _, args := range [][]string{
		{"--pricing", "mixed"},
		{"--pricing", "mixed", "--api-version", "23", "--bsuid-share", "0.3", "--capability-updates", "--seed", "11"},
		{"--pricing", "pmp", "--campaigns", "--bsuid-share", "0.2", "--seed", "5"},
	} {
		out := filepath.Join(t.TempDir(), "gen.jsonl")
		cmd := exec.Command("python3", append([]string{genScript, "--lines", "20000", "--out", out}, args...)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gen_webhooks.py %v: %v\n%s", args, err, b)
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 8<<20)
		fast, slow := diffDecoders(Options{})
		n, took, bsuid, bsuidFast, capUpd := 0, 0, 0, 0, 0
		tagged, taggedFast, convs := 0, 0, 0
		for sc.Scan() {
			n++
			line := sc.Bytes()
			isT := bytes.Contains(line, []byte(`"biz_opaque_callback_data"`))
			if isT {
				tagged++
			}
			if bytes.HasPrefix(line, []byte(`{"waba_conversion"`)) {
				convs++
			}
			isB := bytes.Contains(line, []byte(`_user_id"`))
			if isB {
				bsuid++
			}
			if bytes.Contains(line, []byte(`"business_capability_update"`)) {
				capUpd++
			}
			if sameResult(t, fast, slow, line) {
				took++
				if isB {
					bsuidFast++
				}
				if isT {
					taggedFast++
				}
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		t.Logf("generator %v: %d lines, %d on the fast path; %d with a BSUID, %d of them fast; %d capability updates",
			args, n, took, bsuid, bsuidFast, capUpd)
		if n != 20000 || took < n*8/10 {
			t.Fatalf("generator %v: %d lines, only %d on the fast path", args, n, took)
		}
		if len(args) > 2 && args[2] == "--campaigns" {
			t.Logf("%d tagged lines, %d of them fast; %d conversion lines", tagged, taggedFast, convs)
			if tagged < n/20 || taggedFast != tagged || convs == 0 {
				t.Fatalf("generator %v: %d tagged lines (%d fast), %d conversions: campaigns not exercised",
					args, tagged, taggedFast, convs)
			}
			continue
		}
		if len(args) > 2 && (bsuid < n/10 || bsuidFast < bsuid*8/10 || capUpd == 0) {
			t.Fatalf("generator %v: %d BSUID lines (%d fast), %d capability updates: the 2026 shapes are not exercised",
				args, bsuid, bsuidFast, capUpd)
		}
	}
}

// FuzzFastMeta: for any line, the fast path and the general path agree.
func FuzzFastMeta(f *testing.F) {
	for _, c := range fastCorpus {
		f.Add([]byte(c.body))
	}
	for _, s := range seedMeta {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		fast, slow := diffDecoders(Options{})
		sameResult(t, fast, slow, line)
	})
}
