package webhook

import (
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

// Twilio bodies as Twilio posts them (form-encoded), with made-up SIDs and numbers.
func TestDecodeTwilio(t *testing.T) {
	const recv = 1752400000
	st := func(id string, s model.Status, f func(*ev)) ev {
		e := ev{Kind: model.KindStatus, Provider: model.ProviderTwilio, Field: FieldMessages, Business: "14150000001",
			Customer: "5511900000009", ID: id, Time: recv, Status: s, Inferred: true}
		if f != nil {
			f(&e)
		}
		return e
	}
	in := func(id string, mt model.MessageType, f func(*ev)) ev {
		e := ev{Kind: model.KindInbound, Provider: model.ProviderTwilio, Field: FieldMessages, Business: "14150000001",
			Customer: "5511900000009", ID: id, Time: recv, MsgType: mt}
		if f != nil {
			f(&e)
		}
		return e
	}
	const addrs = "&To=whatsapp%3A%2B5511900000009&From=whatsapp%3A%2B14150000001&AccountSid=ACtest&ApiVersion=2010-04-01"
	const inAddrs = "&From=whatsapp%3A%2B5511900000009&To=whatsapp%3A%2B14150000001&AccountSid=ACtest"
	cases := []decodeCase{
		{name: "sent", recv: recv, line: "SmsSid=SMt1&SmsStatus=sent&MessageStatus=sent&ChannelPrefix=whatsapp&MessageSid=SMt1" + addrs,
			want: []ev{st("SMt1", model.StatusSent, nil)}},
		{name: "queued is accepted", recv: recv, line: "MessageStatus=queued&MessageSid=SMt2" + addrs,
			want: []ev{st("SMt2", model.StatusAccepted, nil)}},
		{name: "read via EventType", recv: recv, line: "EventType=READ&SmsStatus=read&MessageStatus=read&MessageSid=SMt3" + addrs,
			want: []ev{st("SMt3", model.StatusRead, nil)}},
		{name: "EventType READ wins over an older status", recv: recv, line: "EventType=READ&MessageStatus=delivered&MessageSid=SMt3b" + addrs,
			want: []ev{st("SMt3b", model.StatusRead, nil)}},
		{name: "undelivered with 630xx code", recv: recv, line: "MessageStatus=undelivered&ErrorCode=63016&MessageSid=SMt4" + addrs,
			want: []ev{st("SMt4", model.StatusFailed, func(e *ev) { e.ErrorCode = 63016 })}},
		{name: "failed with a non-numeric code keeps it raw", recv: recv, line: "MessageStatus=failed&ErrorCode=X1&MessageSid=SMt5" + addrs,
			want: []ev{st("SMt5", model.StatusFailed, func(e *ev) { e.ErrorCodeRaw = "X1" })}},
		{name: "no time anywhere gives time 0", line: "MessageStatus=delivered&MessageSid=SMt6" + addrs,
			want: []ev{st("SMt6", model.StatusDelivered, func(e *ev) { e.Time = 0 })}},
		{name: "inbound text with WaId and profile", recv: recv,
			line: "SmsMessageSid=SMi1&NumMedia=0&ProfileName=Some+One&WaId=5511900000009&SmsStatus=received&Body=Stop+please&NumSegments=1&ReferralNumMedia=0&MessageSid=SMi1" + inAddrs,
			want: []ev{in("SMi1", model.MessageTypeText, func(e *ev) { e.Text = "Stop please" })}},
		{name: "inbound image", recv: recv,
			line: "MediaContentType0=image%2Fjpeg&NumMedia=1&SmsStatus=received&Body=&MessageSid=MMi2&MediaUrl0=https%3A%2F%2Fexample.invalid%2Fm" + inAddrs,
			want: []ev{in("MMi2", model.MessageTypeImage, nil)}},
		{name: "inbound voice note", recv: recv,
			line: "MediaContentType0=audio%2Fogg&NumMedia=1&SmsStatus=received&MessageSid=MMi3" + inAddrs,
			want: []ev{in("MMi3", model.MessageTypeAudio, nil)}},
		{name: "inbound location", recv: recv,
			line: "Latitude=-23.5&Longitude=-46.6&Address=Somewhere&NumMedia=0&SmsStatus=received&Body=&MessageSid=SMi4" + inAddrs,
			want: []ev{in("SMi4", model.MessageTypeLocation, nil)}},
		{name: "inbound quick reply with context", recv: recv,
			line: "ButtonText=Stop+promotions&ButtonPayload=OPTOUT_1&OriginalRepliedMessageSid=SMout9&SmsStatus=received&Body=Stop+promotions&MessageSid=SMi5" + inAddrs,
			want: []ev{in("SMi5", model.MessageTypeButton, func(e *ev) { e.Payload, e.ContextID = "OPTOUT_1", "SMout9" })}},
		{name: "inbound from a click-to-WhatsApp ad", recv: recv,
			line: "ReferralCtwaClid=ARAkxyz&ReferralSourceType=ad&ReferralNumMedia=0&SmsStatus=received&Body=Hi&MessageSid=SMi6" + inAddrs,
			want: []ev{in("SMi6", model.MessageTypeText, func(e *ev) { e.Referral, e.Text = true, "Hi" })}},
		{name: "inbound with MessageType", recv: recv,
			line: "MessageType=interactive&ListId=row-2&SmsStatus=received&MessageSid=SMi7" + inAddrs,
			want: []ev{in("SMi7", model.MessageTypeInteractive, func(e *ev) { e.Payload = "row-2" })}},
		{name: "SMS callback is other", recv: recv, line: "MessageStatus=delivered&MessageSid=SMs1&To=%2B15550000000&From=%2B15550000001",
			want: []ev{{Kind: model.KindOther, Provider: model.ProviderTwilio, Field: FieldOther, ID: "SMs1", Time: recv}}},
		{name: "unknown status", recv: recv, line: "MessageStatus=vanished&MessageSid=SMt7" + addrs, reason: ReasonUnknownStatus},
		{name: "no sid", recv: recv, line: "MessageStatus=sent" + addrs, reason: ReasonMissingField},
		{name: "no status", recv: recv, line: "MessageSid=SMt8" + addrs, reason: ReasonMissingField},
		{name: "a form that is not Twilio", line: "name=value&other=thing", reason: ReasonUnknownFormat},
		{name: "form with fixed format meta", opts: Options{Format: FormatMeta}, line: "MessageStatus=sent&MessageSid=SMt9" + addrs, reason: ReasonUnknownFormat},
		{name: "JSON with fixed format twilio", opts: Options{Format: FormatTwilio}, line: `{"statuses":[]}`, reason: ReasonUnknownFormat},
	}
	runDecodeCases(t, cases)
}

func TestDecodeGupshupV2(t *testing.T) {
	st := func(id string, s model.Status, ts int64, f func(*ev)) ev {
		e := ev{Kind: model.KindStatus, Provider: model.ProviderGupshup, Field: FieldMessages, Business: "shopapp",
			Customer: "6281200000007", ID: id, Time: ts, Status: s}
		if f != nil {
			f(&e)
		}
		return e
	}
	event := func(typ, payload string) string {
		return `{"app":"shopapp","timestamp":1752500000999,"version":2,"type":"message-event","payload":{"destination":"6281200000007","type":"` + typ + `",` + payload + `}}`
	}
	cases := []decodeCase{
		{name: "enqueued session message: service inferred, ms envelope time",
			line: event("enqueued", `"id":"gs-uuid-1","payload":{"whatsappMessageId":"wa-1","type":"session"}`),
			want: []ev{st("gs-uuid-1", model.StatusAccepted, 1752500000, func(e *ev) { e.Category, e.Inferred = model.CategoryService, true })}},
		{name: "enqueued template: nothing inferred",
			line: event("enqueued", `"id":"gs-uuid-1b","payload":{"whatsappMessageId":"wa-1b","type":"template"}`),
			want: []ev{st("gs-uuid-1b", model.StatusAccepted, 1752500000, nil)}},
		{name: "sent with conversation and pricing, gsId is the id",
			line: event("sent", `"id":"wa-2","gsId":"gs-uuid-2","payload":{"ts":1752500001},"conversation":{"id":"c-2","expiresAt":1752586401,"type":"marketing"},"pricing":{"policy":"CBP","category":"marketing"}`),
			want: []ev{st("gs-uuid-2", model.StatusSent, 1752500001, func(e *ev) {
				e.ConvID, e.ConvExpiry, e.ConvOrigin, e.Model, e.Category = "c-2", 1752586401, model.CategoryMarketing, model.PricingModelCBP, model.CategoryMarketing
			})}},
		{name: "delivered", line: event("delivered", `"id":"wa-3","gsId":"gs-uuid-3","payload":{"ts":1752500002}`),
			want: []ev{st("gs-uuid-3", model.StatusDelivered, 1752500002, nil)}},
		{name: "read", line: event("read", `"id":"wa-4","gsId":"gs-uuid-4","payload":{"ts":"1752500003"}`),
			want: []ev{st("gs-uuid-4", model.StatusRead, 1752500003, nil)}},
		{name: "failed synchronously with a Gupshup code",
			line: event("failed", `"id":"gs-uuid-5","payload":{"code":1002,"reason":"Number does not exist"}`),
			want: []ev{st("gs-uuid-5", model.StatusFailed, 1752500000, func(e *ev) { e.ErrorCode = 1002 })}},
		{name: "failed asynchronously with a Meta code",
			line: event("failed", `"id":"wa-6","gsId":"gs-uuid-6","payload":{"code":131047,"reason":"24h"}`),
			want: []ev{st("gs-uuid-6", model.StatusFailed, 1752500000, func(e *ev) { e.ErrorCode = 131047 })}},
		{name: "deleted (legacy)", line: event("deleted", `"id":"wa-7","payload":{"ts":1752500004}`),
			want: []ev{st("wa-7", model.StatusDeleted, 1752500004, nil)}},
		{name: "unknown event type", line: event("exploded", `"id":"x"`), reason: ReasonUnknownStatus},
		{name: "bad inner ts", line: event("read", `"id":"x","payload":{"ts":"soon"}`), reason: ReasonBadTimestamp},
		{name: "bad envelope timestamp",
			line:   `{"app":"a","timestamp":"noon","version":2,"type":"message","payload":{"id":"i","source":"1","type":"text","payload":{"text":"x"}}}`,
			reason: ReasonBadTimestamp},
		{name: "inbound text",
			line: `{"app":"shopapp","timestamp":1752500010000,"version":2,"type":"message","payload":{"id":"in-1","source":"6281200000007","type":"text","payload":{"text":"STOP"},"sender":{"phone":"6281200000007","name":"X","country_code":"62","dial_code":"81200000007"}}}`,
			want: []ev{{Kind: model.KindInbound, Provider: model.ProviderGupshup, Field: FieldMessages, Business: "shopapp", Customer: "6281200000007", ID: "in-1", Time: 1752500010, MsgType: model.MessageTypeText, Text: "STOP"}}},
		{name: "inbound list reply with postback and context",
			line: `{"app":"shopapp","timestamp":1752500011000,"version":2,"type":"message","payload":{"id":"in-2","source":"6281200000007","type":"list_reply","payload":{"title":"t","id":"row1","reply":"t 1","postbackText":"pb-row1"},"context":{"id":"wa-out-1","gsId":"gs-out-1"}}}`,
			want: []ev{{Kind: model.KindInbound, Provider: model.ProviderGupshup, Field: FieldMessages, Business: "shopapp", Customer: "6281200000007", ID: "in-2", Time: 1752500011, MsgType: model.MessageTypeInteractive, Payload: "pb-row1", ContextID: "wa-out-1"}}},
		{name: "inbound quick reply is a button",
			line: `{"app":"shopapp","timestamp":1752500012000,"version":2,"type":"message","payload":{"id":"in-3","source":"6281200000007","type":"quick_reply","payload":{"text":"Unsubscribe"}}}`,
			want: []ev{{Kind: model.KindInbound, Provider: model.ProviderGupshup, Field: FieldMessages, Business: "shopapp", Customer: "6281200000007", ID: "in-3", Time: 1752500012, MsgType: model.MessageTypeButton, Payload: "Unsubscribe"}}},
		{name: "inbound location with string coordinates",
			line: `{"app":"shopapp","timestamp":1752500013000,"version":2,"type":"message","payload":{"id":"in-4","source":"6281200000007","type":"location","payload":{"longitude":"106.8","latitude":"-6.2"}}}`,
			want: []ev{{Kind: model.KindInbound, Provider: model.ProviderGupshup, Field: FieldMessages, Business: "shopapp", Customer: "6281200000007", ID: "in-4", Time: 1752500013, MsgType: model.MessageTypeLocation}}},
		{name: "inbound without source", line: `{"app":"a","timestamp":1752500013000,"type":"message","payload":{"id":"in-5","type":"text"}}`, reason: ReasonMissingField},
		{name: "billing event (CBP) is a pricing report for its message",
			line: `{"app":"shopapp","timestamp":1752500020000,"version":2,"type":"billing-event","payload":{"deductions":{"type":"utility","model":"CBP","source":"whatsapp","billable":true},"references":{"id":"wa-9","gsId":"gs-uuid-9","conversationId":"c-9","destination":"6281200000007"}}}`,
			want: []ev{{Kind: model.KindStatus, Billing: true, Provider: model.ProviderGupshup, Field: FieldMessages, Business: "shopapp", Customer: "6281200000007", ID: "gs-uuid-9", Time: 1752500020,
				Category: model.CategoryUtility, Model: model.PricingModelCBP, Billable: 1, ConvID: "c-9", ConvOrigin: model.CategoryUtility}}},
		{name: "billing event (CBP) with a conversation type and billable as a string",
			line: `{"app":"shopapp","timestamp":1752500020000,"version":2,"type":"billing-event","payload":{"deductions":{"type":"FEP","conversationType":"referral_conversion","model":"CBP","source":"whatsapp","billable":"false"},"references":{"id":"wa-9","conversationId":"c-9","destination":"6281200000007"}}}`,
			want: []ev{{Kind: model.KindStatus, Billing: true, Provider: model.ProviderGupshup, Field: FieldMessages, Business: "shopapp", Customer: "6281200000007", ID: "wa-9", Time: 1752500020,
				Category: model.CategoryReferralConversion, Model: model.PricingModelCBP, Billable: -1, ConvID: "c-9", ConvOrigin: model.CategoryReferralConversion}}},
		{name: "billing event (PMP): type is the pricing type, category the category, no conversation",
			line: `{"app":"shopapp","timestamp":1752500021000,"version":2,"type":"billing-event","payload":{"deductions":{"type":"regular","model":"PMP","source":"whatsapp","billable":true,"category":"marketing"},"references":{"id":"wa-10","gsId":"gs-uuid-10","destination":"6281200000007"}}}`,
			want: []ev{{Kind: model.KindStatus, Billing: true, Provider: model.ProviderGupshup, Field: FieldMessages, Business: "shopapp", Customer: "6281200000007", ID: "gs-uuid-10", Time: 1752500021,
				Category: model.CategoryMarketing, Model: model.PricingModelPMP, PType: model.PricingTypeRegular, Billable: 1}}},
		{name: "billing event (PMP) of a free utility message in a customer service window",
			line: `{"app":"shopapp","timestamp":1752500021000,"version":2,"type":"billing-event","payload":{"deductions":{"type":"free_customer_service","model":"PMP","billable":false,"category":"utility"},"references":{"gsId":"gs-uuid-11"}}}`,
			want: []ev{{Kind: model.KindStatus, Billing: true, Provider: model.ProviderGupshup, Field: FieldMessages, Business: "shopapp", ID: "gs-uuid-11", Time: 1752500021,
				Category: model.CategoryUtility, Model: model.PricingModelPMP, PType: model.PricingTypeFreeCustomerService, Billable: -1}}},
		{name: "billing event naming no message is missing_field",
			line:   `{"app":"shopapp","timestamp":1752500021000,"version":2,"type":"billing-event","payload":{"deductions":{"type":"regular","model":"PMP"},"references":{"destination":"6281200000007"}}}`,
			reason: ReasonMissingField},
		{name: "user opt-out event",
			line: `{"app":"shopapp","timestamp":1752500030000,"version":2,"type":"user-event","payload":{"phone":"6281200000007","type":"opted-out"}}`,
			want: []ev{{Kind: model.KindUserPreference, Provider: model.ProviderGupshup, Field: FieldUserPreferences, Business: "shopapp", Customer: "6281200000007", Time: 1752500030, Preference: model.PreferenceStop}}},
		{name: "other event type",
			line: `{"app":"shopapp","timestamp":1752500040000,"version":2,"type":"system-event","payload":{"type":"x"}}`,
			want: []ev{{Kind: model.KindOther, Provider: model.ProviderGupshup, Field: FieldOther, Business: "shopapp", Time: 1752500040}}},
		{name: "fixed format gupshup still reads v3 (Meta shape)", opts: Options{Format: FormatGupshup},
			line: `{"object":"whatsapp_business_account","gs_app_id":"g1","entry":[{"id":"W","changes":[{"field":"account_update","value":{"event":"E"}}]}]}`,
			want: []ev{{Kind: model.KindAccountUpdate, Provider: model.ProviderGupshup, Field: FieldAccountUpdate, Account: "W", EventName: "E"}}},
	}
	runDecodeCases(t, cases)
}

func TestDecodeInfobip(t *testing.T) {
	dr := func(group, name, extra string) string {
		return `{"results":[{"bulkId":"b","price":{"pricePerMessage":0.05,"currency":"EUR"},"status":{"groupId":3,"groupName":"` + group + `","id":5,"name":"` + name + `"},` + extra +
			`"messageId":"ib-1","doneAt":"2025-07-15T10:00:05.123+02:00","sentAt":"2025-07-15T10:00:00.000+02:00","to":"48600000011"}]}`
	}
	st := func(s model.Status, f func(*ev)) ev {
		e := ev{Kind: model.KindStatus, Provider: model.ProviderInfobip, Field: FieldMessages, Business: "biz-default",
			Customer: "48600000011", ID: "ib-1", Time: 1752566405, Status: s, Billable: 1, Inferred: true}
		if f != nil {
			f(&e)
		}
		return e
	}
	opts := Options{Business: "biz-default"}
	cases := []decodeCase{
		{name: "delivered to handset", opts: opts, line: dr("DELIVERED", "DELIVERED_TO_HANDSET", ""), want: []ev{st(model.StatusDelivered, nil)}},
		{name: "delivered to operator is sent", opts: opts, line: dr("DELIVERED", "DELIVERED_TO_OPERATOR", ""), want: []ev{st(model.StatusSent, nil)}},
		{name: "pending is accepted", opts: opts, line: dr("PENDING", "PENDING_ENROUTE", ""), want: []ev{st(model.StatusAccepted, nil)}},
		{name: "undeliverable with error id", opts: opts,
			line: dr("UNDELIVERABLE", "UNDELIVERABLE_NOT_DELIVERED", `"error":{"id":7003,"name":"EC_SOMETHING","groupId":1,"permanent":true},`),
			want: []ev{st(model.StatusFailed, func(e *ev) { e.ErrorCode = 7003 })}},
		{name: "expired without error keeps the group as raw code", opts: opts,
			line: dr("EXPIRED", "EXPIRED_EXPIRED", `"error":{"id":0,"name":"NO_ERROR"},`),
			want: []ev{st(model.StatusFailed, func(e *ev) { e.ErrorCodeRaw = "NO_ERROR" })}},
		{name: "rejected without error object", opts: opts, line: dr("REJECTED", "REJECTED_NETWORK", ""),
			want: []ev{st(model.StatusFailed, func(e *ev) { e.ErrorCodeRaw = "REJECTED" })}},
		{name: "unknown group", line: dr("WEIRD", "X", ""), reason: ReasonUnknownStatus},
		{name: "seen report: customer from, business to",
			line: `{"results":[{"messageId":"ib-2","from":"48600000011","to":"48220000001","sentAt":"2025-07-15T08:00:00.000+0000","seenAt":"2025-07-15T08:01:00Z"}]}`,
			want: []ev{{Kind: model.KindStatus, Provider: model.ProviderInfobip, Field: FieldMessages, Business: "48220000001", Customer: "48600000011", ID: "ib-2", Time: 1752566460, Status: model.StatusRead, Inferred: true}}},
		{name: "inbound text",
			line: `{"results":[{"from":"48600000011","to":"48220000001","integrationType":"WHATSAPP","receivedAt":"2025-07-15T08:02:00.000+00:00","messageId":"ib-in-1","message":{"type":"TEXT","text":"unsubscribe"},"contact":{"name":"X"},"price":{"pricePerMessage":0,"currency":"EUR"}}],"messageCount":1,"pendingMessageCount":0}`,
			want: []ev{{Kind: model.KindInbound, Provider: model.ProviderInfobip, Field: FieldMessages, Business: "48220000001", Customer: "48600000011", ID: "ib-in-1", Time: 1752566520, MsgType: model.MessageTypeText, Text: "unsubscribe"}}},
		{name: "inbound button reply with context and referral",
			line: `{"results":[{"from":"48600000011","to":"48220000001","receivedAt":"2025-07-15T08:03:00.000+00:00","messageId":"ib-in-2","message":{"type":"INTERACTIVE_BUTTON_REPLY","id":"btn-yes","title":"Yes","context":{"id":"ib-1","from":"48220000001"},"referral":{"sourceType":"ad"}}}]}`,
			want: []ev{{Kind: model.KindInbound, Provider: model.ProviderInfobip, Field: FieldMessages, Business: "48220000001", Customer: "48600000011", ID: "ib-in-2", Time: 1752566580, MsgType: model.MessageTypeInteractive, Payload: "btn-yes", ContextID: "ib-1", Referral: true}}},
		{name: "two results, one bad",
			line:   `{"results":[{"messageId":"ib-3","to":"48600000011","status":{"groupName":"DELIVERED","name":"DELIVERED_TO_HANDSET"},"doneAt":"2025-07-15T10:00:00Z"},{"messageId":"ib-4","to":"48600000011","status":{"groupName":"DELIVERED"},"doneAt":"yesterday"}]}`,
			want:   []ev{{Kind: model.KindStatus, Provider: model.ProviderInfobip, Field: FieldMessages, Customer: "48600000011", ID: "ib-3", Time: 1752573600, Status: model.StatusDelivered, Inferred: true}},
			reason: ReasonBadTimestamp},
		{name: "template status update",
			line: `{"messageTemplateId":7,"messageTemplateName":"n","messageTemplateLanguage":"en","timestamp":"2025-07-15T12:00:00.000+00:00","change":{"type":"TEMPLATE_STATUS_UPDATE","newStatus":"REJECTED","reason":"INVALID_FORMAT"},"entityId":1,"applicationId":2}`,
			want: []ev{{Kind: model.KindTemplateStatus, Provider: model.ProviderInfobip, Field: FieldMessageTemplateStatusUpdate, Time: 1752580800, EventName: "REJECTED"}}},
		{name: "result of unknown kind", line: `{"results":[{"messageId":"ib-5","to":"1"}]}`, reason: ReasonUnknownFormat},
		{name: "result without id", line: `{"results":[{"to":"1","status":{"groupName":"DELIVERED"}}]}`, reason: ReasonMissingField},
	}
	runDecodeCases(t, cases)
}

func TestEnvelopes(t *testing.T) {
	const metaStatus = `{"object":"whatsapp_business_account","entry":[{"id":"W","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"P"},"statuses":[{"id":"wamid.E","status":"sent","timestamp":"1752600000","recipient_id":"C"}]}}]}]}`
	metaWant := ev{Kind: model.KindStatus, Provider: model.ProviderMeta, Field: FieldMessages, Business: "P", Account: "W", Customer: "C", ID: "wamid.E", Time: 1752600000, Status: model.StatusSent}
	twWant := ev{Kind: model.KindStatus, Provider: model.ProviderTwilio, Field: FieldMessages, Business: "14150000001", Customer: "5511900000009", ID: "SMe1", Time: 1752600100, Status: model.StatusDelivered, Inferred: true}
	const form = "MessageStatus=delivered&MessageSid=SMe1&To=whatsapp%3A%2B5511900000009&From=whatsapp%3A%2B14150000001"
	env := Options{Envelope: Envelope{BodyPath: "request.body", TimePath: "received_at"}}
	cases := []decodeCase{
		{name: "body as object", opts: env, line: `{"received_at":1752600100,"request":{"body":` + metaStatus + `}}`, want: []ev{metaWant}},
		{name: "body as JSON string", opts: env, line: `{"received_at":"2025-07-15T17:21:40Z","request":{"headers":{},"body":` + quote(metaStatus) + `}}`, want: []ev{metaWant}},
		{name: "form body in a string, time in ms", opts: env, line: `{"received_at":1752600100500,"request":{"body":"` + form + `"}}`, want: []ev{twWant}},
		{name: "form body, RFC 3339 time with offset", opts: env, line: `{"received_at":"2025-07-15T19:21:40+02:00","request":{"body":"` + form + `"}}`, want: []ev{twWant}},
		{name: "envelope time is ignored when unreadable", opts: env, recv: 1752600100, line: `{"received_at":"later","request":{"body":"` + form + `"}}`, want: []ev{twWant}},
		{name: "raw line next to envelopes", opts: env, line: metaStatus, want: []ev{metaWant}},
		{name: "raw form line next to envelopes", opts: env, recv: 1752600100, line: form, want: []ev{twWant}},
		{name: "body string with broken JSON", opts: env, line: `{"request":{"body":"{\"object\":"}}`, reason: ReasonInvalidJSON},
		{name: "body string holding an array", opts: env, line: `{"request":{"body":"[1]"}}`, reason: ReasonUnexpectedObject},
		{name: "body string empty", opts: env, line: `{"request":{"body":"  "}}`, reason: ReasonMissingField},
		{name: "body is a number", opts: env, line: `{"request":{"body":5}}`, reason: ReasonUnexpectedObject},
		{name: "body string with garbage", opts: env, line: `{"request":{"body":"hello world"}}`, reason: ReasonInvalidJSON},
		{name: "path through an array does not index it", opts: env, line: `{"request":[{"body":` + metaStatus + `}]}`, reason: ReasonUnknownFormat},
		{name: "single-key path", opts: Options{Envelope: Envelope{BodyPath: "body"}}, line: `{"body":` + metaStatus + `}`, want: []ev{metaWant}},
	}
	runDecodeCases(t, cases)
}

// quote JSON-encodes s as a string literal.
func quote(s string) string {
	out := []byte{'"'}
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(append(out, '"'))
}

func TestFixedFormats(t *testing.T) {
	meta := `{"object":"whatsapp_business_account","entry":[{"id":"W","changes":[{"field":"account_update","value":{"event":"E"}}]}]}`
	onprem := `{"statuses":[{"id":"x","status":"sent","timestamp":"1752600000"}]}`
	gupshup := `{"app":"a","timestamp":1752600000000,"type":"message-event","payload":{"id":"g","type":"read","destination":"1","payload":{"ts":1752600000}}}`
	infobip := `{"results":[{"messageId":"i","to":"1","status":{"groupName":"DELIVERED"},"doneAt":"2025-07-15T10:00:00Z"}]}`
	lines := map[string]string{"meta": meta, "onprem": onprem, "gupshup": gupshup, "infobip": infobip}
	for _, f := range []Format{FormatMeta, FormatOnPrem, FormatGupshup, FormatInfobip} {
		for name, line := range lines {
			d := NewDecoder(Options{Format: f})
			evs, err := d.Decode([]byte(line), 0)
			perr := parseErr(t, err)
			// Gupshup v3 is the Meta shape, so format gupshup reads it too.
			if name == f.String() || (f == FormatGupshup && name == "meta") {
				if perr != nil || len(evs) != 1 {
					t.Errorf("format %s on its own line: %d events, %v", f, len(evs), perr)
				}
			} else if perr == nil || perr.Reason != ReasonUnknownFormat || len(evs) != 0 {
				t.Errorf("format %s on a %s line: want unknown_format, got %d events, %v", f, name, len(evs), perr)
			}
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Format
		ok   bool
	}{
		{"", FormatAuto, true}, {"auto", FormatAuto, true}, {"META", FormatMeta, true}, {" onprem ", FormatOnPrem, true},
		{"twilio", FormatTwilio, true}, {"gupshup", FormatGupshup, true}, {"infobip", FormatInfobip, true},
		{"vonage", FormatAuto, false}, {"360dialog", FormatAuto, false},
	} {
		got, ok := ParseFormat(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if ok {
			if back, _ := ParseFormat(got.String()); back != got {
				t.Errorf("String round trip of %v gives %v", got, back)
			}
		}
	}
	if len(Formats()) != int(numFormat) {
		t.Fatalf("Formats() = %v", Formats())
	}
}

func TestTimeParsing(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"2025-07-01T00:00:00Z", 1751328000, true},
		{"2025-07-01T00:00:00", 1751328000, true},
		{"2025-07-01 02:00:00+02:00", 1751328000, true},
		{"2025-06-30T21:00:00.999-0300", 1751328000, true},
		{"2025-07-01T05:30:00.5+05", 1751328000 + 1800, true},
		{"2024-02-29T00:00:00Z", 1709164800, true},
		{"2023-02-29T00:00:00Z", 0, false},
		{"2025-13-01T00:00:00Z", 0, false},
		{"2025-07-01T00:00:00+25:00", 0, false},
		{"2025-07-01T00:00:00Q", 0, false},
		{"1999-01-01T00:00:00Z", 0, false}, // before minUnix: absurd
		{"2025-07-01", 0, false},
	} {
		got, ok := parseISO8601([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseISO8601(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1751328000", 1751328000, true}, {"1751328000.75", 1751328000, true}, {"1751328000123", 1751328000, true},
		{"", 0, false}, {"12a", 0, false}, {"1.", 0, false}, {".5", 0, false}, {"99999999999999999", 0, false},
	} {
		n, ok := parseDecimal([]byte(tc.in))
		if ok {
			n, ok = normUnix(n)
		}
		if n != tc.want || ok != tc.ok {
			t.Errorf("decimal time %q = %d, %v; want %d, %v", tc.in, n, ok, tc.want, tc.ok)
		}
	}
}
