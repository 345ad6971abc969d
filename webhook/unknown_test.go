package webhook

import (
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

// Bodies of other providers and random objects: whatever keys they share with a known
// provider (statuses, contacts, messages, results, entry, type), they are unknown_format,
// never missing_field or a decoded event. Shapes written after the providers' public
// documentation, with made-up values.
var foreignBodies = []struct{ name, body string }{
	{"sinch conversation api delivery report",
		`{"app_id":"01H0APPEXAMPLE00000000000","accepted_time":"2025-07-14T09:48:57.319Z","event_time":"2025-07-14T09:49:00.887Z","project_id":"0d3c5e1a-0000-4000-8000-000000000001","message_delivery_report":{"message_id":"01H2MSG0000000000000000000","conversation_id":"01H2CONV000000000000000000","status":"DELIVERED","channel_identity":{"channel":"WHATSAPP","identity":"46700000001","app_id":""},"contact_id":"01H2CONTACT000000000000000","metadata":"","processing_mode":"CONVERSATION"},"message_metadata":""}`},
	{"sinch conversation api failed delivery",
		`{"app_id":"01H0APPEXAMPLE00000000000","event_time":"2025-07-14T09:49:36.957Z","message_delivery_report":{"message_id":"01H2MSG0000000000000000001","status":"FAILED","channel_identity":{"channel":"WHATSAPP","identity":"46700000002"},"reason":{"code":"RECIPIENT_NOT_REACHABLE","description":"x","sub_code":"UNSPECIFIED_SUB_CODE"}}}`},
	{"sinch conversation api inbound",
		`{"app_id":"01H0APPEXAMPLE00000000000","accepted_time":"2025-07-14T10:00:00Z","event_time":"2025-07-14T10:00:00Z","message":{"id":"01H2IN00000000000000000000","direction":"TO_APP","contact_message":{"text_message":{"text":"STOP"}},"channel_identity":{"channel":"WHATSAPP","identity":"46700000003","app_id":"01H0APPEXAMPLE00000000000"},"conversation_id":"01H2CONV000000000000000001","contact_id":"01H2CONTACT000000000000001","metadata":"","accept_time":"2025-07-14T10:00:00Z"},"message_metadata":""}`},
	{"sinch whatsapp api delivery report (top-level statuses)",
		`{"type":"whatsapp","statuses":[{"message_id":"01E9DFEXAMPLE","details":"","status":"delivered","state":"delivered","recipient":"46700000004","timestamp":"2025-07-14T12:36:02.123Z"}]}`},
	{"sinch whatsapp api inbound (notifications)",
		`{"type":"whatsapp","notifications":[{"from":"46700000005","to":"46700000099","message":{"type":"text","body":"Hello"}}]}`},
	{"sinch whatsapp api inbound contact",
		`{"type":"whatsapp","contacts":[{"from":"46700000006","to":"46700000099","message":{"type":"contacts"}}]}`},
	{"sinch sms batch delivery report",
		`{"type":"delivery_report_sms","batch_id":"01FC66EXAMPLE","total_message_count":1,"statuses":[{"code":0,"status":"Delivered","count":1,"recipients":["44700000007"]}]}`},
	{"messagebird conversations message.created",
		`{"contact":{"id":"c0ffee","msisdn":31600000008,"displayName":"x"},"conversation":{"id":"conv1","status":"active"},"message":{"id":"m1","conversationId":"conv1","platform":"whatsapp","to":"+31600000099","from":"+31600000008","direction":"received","status":"received","type":"text","content":{"text":"hi"},"createdDatetime":"2025-07-14T10:00:00Z"},"type":"message.created"}`},
	{"messagebird conversations message.updated",
		`{"conversation":{"id":"conv1"},"message":{"id":"m2","platform":"whatsapp","direction":"sent","status":"delivered","type":"hsm","updatedDatetime":"2025-07-14T10:00:05Z"},"type":"message.updated"}`},
	{"vonage messages api status",
		`{"message_uuid":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab","to":"447700900000","from":"447700900001","timestamp":"2025-07-14T14:00:00.000Z","status":"delivered","channel":"whatsapp"}`},
	{"random object", `{"hello":"world","n":[1,2,3]}`},
	{"empty object", `{}`},
	{"messages of another shape", `{"messages":[{"text":"hi","sender":"x"}]}`},
	{"statuses that are not an array", `{"statuses":{"id":"x"}}`},
	{"empty statuses", `{"statuses":[]}`},
	{"results of another shape", `{"results":[{"id":7,"status":"ok"}]}`},
	{"entry without changes", `{"entry":[{"id":"1","messaging":[{"sender":{"id":"2"}}]}]}`},
	{"entry that is not an array", `{"entry":"x"}`},
	{"changes that are not an array", `{"changes":{"field":"messages"}}`},
	{"type and payload without app", `{"type":"message-event","payload":{"id":"x","type":"sent"}}`},
}

func TestForeignBodiesAreUnknownFormat(t *testing.T) {
	for _, f := range foreignBodies {
		for _, opts := range []Options{{}, {Format: FormatMeta}, {Format: FormatOnPrem}, {Format: FormatGupshup}, {Format: FormatInfobip},
			{Envelope: Envelope{BodyPath: "body"}}} {
			line := f.body
			if opts.Envelope.BodyPath != "" {
				line = `{"body":` + f.body + `}`
			}
			d := NewDecoder(opts)
			evs, err := d.Decode([]byte(line), 1752000000)
			perr := parseErr(t, err)
			if perr == nil || perr.Reason != ReasonUnknownFormat || len(evs) != 0 {
				t.Errorf("%s (format %v): got %d events, error %v; want unknown_format", f.name, opts.Format, len(evs), perr)
			}
		}
	}
}

// Bodies that do carry a provider's markers keep their specific reasons.
func TestRecognisedBodiesKeepTheirReasons(t *testing.T) {
	runDecodeCases(t, []decodeCase{
		{name: "on-prem status without id", line: `{"statuses":[{"recipient_id":"6","status":"sent","timestamp":"1752300000"}]}`, reason: ReasonMissingField},
		{name: "on-prem status with an unknown status", line: `{"statuses":[{"id":"x","status":"bogus","timestamp":"1752300000"}]}`, reason: ReasonUnknownStatus},
		{name: "on-prem inbound without id", line: `{"messages":[{"from":"6","timestamp":"1752300000","type":"text"}]}`, reason: ReasonMissingField},
		{name: "on-prem contacts only", line: `{"contacts":[{"wa_id":"6"}]}`, recv: 1752300000,
			want: []ev{{Kind: model.KindOther, Provider: model.ProviderOnPrem, Field: FieldMessages, Time: 1752300000}}},
		{name: "meta object without entry", line: `{"object":"whatsapp_business_account"}`, reason: ReasonMissingField},
		{name: "meta entry without changes", line: `{"object":"whatsapp_business_account","entry":[{"id":"1"}]}`, reason: ReasonMissingField},
		{name: "bare entry with a bad change", line: `{"id":"1","changes":[7]}`, reason: ReasonUnexpectedObject},
		{name: "infobip report without message id", line: `{"results":[{"status":{"groupName":"DELIVERED"},"doneAt":"2025-07-15T10:00:00Z"}]}`, reason: ReasonMissingField},
		{name: "gupshup message-event without id", line: `{"app":"a","type":"message-event","payload":{"type":"sent"}}`, reason: ReasonMissingField},
	})
}
