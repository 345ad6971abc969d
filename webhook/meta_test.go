package webhook

import (
	"strings"
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

// Test bodies in the Cloud API shapes, with made-up identifiers.
const (
	tWABA = "880000000000001"
	tPNID = "770000000000002"
	tDisp = "15550009999"
)

// metaBody wraps one change value into a full Cloud API webhook.
func metaBody(field, value string) string {
	return `{"object":"whatsapp_business_account","entry":[{"id":"` + tWABA + `","changes":[{"value":` + value + `,"field":"` + field + `"}]}]}`
}

// msgValue is a messages-change value with metadata and the given extra members.
func msgValue(members string) string {
	return `{"messaging_product":"whatsapp","metadata":{"display_phone_number":"` + tDisp + `","phone_number_id":"` + tPNID + `"},` + members + `}`
}

// base event of a Meta messages change.
func metaEv(k model.Kind) ev {
	return ev{Kind: k, Provider: model.ProviderMeta, Field: FieldMessages, Business: tPNID, Display: tDisp, Account: tWABA}
}

func with(e ev, f func(*ev)) ev { f(&e); return e }

func TestDecodeMetaStatuses(t *testing.T) {
	st := func(id, status string, ts int64, f func(*ev)) ev {
		e := metaEv(model.KindStatus)
		e.ID, e.Customer, e.Time, e.Status = id, "4915100000001", ts, model.ParseStatus([]byte(status))
		if f != nil {
			f(&e)
		}
		return e
	}
	cases := []decodeCase{
		{
			name: "sent CBP marketing with conversation, timestamp string",
			line: metaBody("messages", msgValue(`"statuses":[{"id":"wamid.T1","status":"sent","timestamp":"1751000000","recipient_id":"4915100000001",
				"conversation":{"id":"conv-1","expiration_timestamp":"1751086400","origin":{"type":"marketing"}},
				"pricing":{"billable":true,"pricing_model":"CBP","category":"marketing"}}]`)),
			want: []ev{st("wamid.T1", "sent", 1751000000, func(e *ev) {
				e.ConvID, e.ConvExpiry, e.ConvOrigin = "conv-1", 1751086400, model.CategoryMarketing
				e.Billable, e.Model, e.Category = 1, model.PricingModelCBP, model.CategoryMarketing
			})},
		},
		{
			name: "several statuses per body, timestamp as number, PMP types",
			line: metaBody("messages", msgValue(`"statuses":[
				{"id":"wamid.A","status":"delivered","timestamp":1752000001,"recipient_id":"4915100000001","pricing":{"billable":false,"pricing_model":"PMP","type":"free_customer_service","category":"service"}},
				{"id":"wamid.B","status":"read","timestamp":"1752000002","recipient_id":"4915100000001"},
				{"id":"wamid.C","status":"delivered","timestamp":"1752000003","recipient_id":"4915100000001","conversation":{"id":"fep-1","origin":{"type":"referral_conversion"}},"pricing":{"pricing_model":"PMP","type":"free_entry_point","category":"utility"}}]`)),
			want: []ev{
				st("wamid.A", "delivered", 1752000001, func(e *ev) {
					e.Billable, e.Model, e.PType, e.Category = -1, model.PricingModelPMP, model.PricingTypeFreeCustomerService, model.CategoryService
				}),
				st("wamid.B", "read", 1752000002, nil),
				st("wamid.C", "delivered", 1752000003, func(e *ev) {
					e.ConvID, e.ConvOrigin = "fep-1", model.CategoryReferralConversion
					e.Model, e.PType, e.Category = model.PricingModelPMP, model.PricingTypeFreeEntryPoint, model.CategoryUtility
				}),
			},
		},
		{
			name: "failed with error code, authentication-international category",
			line: metaBody("messages", msgValue(`"statuses":[{"id":"wamid.F","status":"failed","timestamp":"1752000100","recipient_id":"4915100000001",
				"pricing":{"category":"authentication-international"},"errors":[{"code":131026,"title":"Message undeliverable"},{"code":1}]}]`)),
			want: []ev{st("wamid.F", "failed", 1752000100, func(e *ev) {
				e.ErrorCode, e.Category = 131026, model.CategoryAuthenticationInternational
			})},
		},
		{
			name: "timestamp in milliseconds",
			line: metaBody("messages", msgValue(`"statuses":[{"id":"wamid.M","status":"sent","timestamp":1752000200123,"recipient_id":"4915100000001"}]`)),
			want: []ev{st("wamid.M", "sent", 1752000200, nil)},
		},
		{
			name: "unknown category value is other",
			line: metaBody("messages", msgValue(`"statuses":[{"id":"wamid.O","status":"sent","timestamp":"1752000300","recipient_id":"4915100000001","pricing":{"pricing_model":"PMP","category":"group_marketing"}}]`)),
			want: []ev{st("wamid.O", "sent", 1752000300, func(e *ev) { e.Model, e.Category = model.PricingModelPMP, model.CategoryOther })},
		},
		{
			name: "one bad status among good ones is a partial error",
			line: metaBody("messages", msgValue(`"statuses":[
				{"id":"wamid.G1","status":"sent","timestamp":"1752000400","recipient_id":"4915100000001"},
				{"id":"wamid.G2","status":"sent","timestamp":"yesterday","recipient_id":"4915100000001"},
				{"id":"wamid.G3","status":"delivered","timestamp":"1752000402","recipient_id":"4915100000001"}]`)),
			want: []ev{
				st("wamid.G1", "sent", 1752000400, nil),
				st("wamid.G3", "delivered", 1752000402, nil),
			},
			reason: ReasonBadTimestamp,
		},
		{
			name:   "absurd timestamp",
			line:   metaBody("messages", msgValue(`"statuses":[{"id":"wamid.X","status":"sent","timestamp":"99999999999","recipient_id":"4915100000001"}]`)),
			reason: ReasonBadTimestamp,
		},
		{
			name:   "negative timestamp",
			line:   metaBody("messages", msgValue(`"statuses":[{"id":"wamid.X","status":"sent","timestamp":-5,"recipient_id":"4915100000001"}]`)),
			reason: ReasonBadTimestamp,
		},
		{
			name:   "unknown status",
			line:   metaBody("messages", msgValue(`"statuses":[{"id":"wamid.X","status":"teleported","timestamp":"1752000000"}]`)),
			reason: ReasonUnknownStatus,
		},
		{
			name:   "missing status id",
			line:   metaBody("messages", msgValue(`"statuses":[{"status":"sent","timestamp":"1752000000"}]`)),
			reason: ReasonMissingField,
		},
		{
			name:   "missing status timestamp",
			line:   metaBody("messages", msgValue(`"statuses":[{"id":"wamid.X","status":"sent"}]`)),
			reason: ReasonMissingField,
		},
		{
			name:   "statuses not an array",
			line:   metaBody("messages", msgValue(`"statuses":{"id":"wamid.X"}`)),
			reason: ReasonUnexpectedObject,
		},
	}
	runDecodeCases(t, cases)
}

func TestDecodeMetaInbound(t *testing.T) {
	in := func(id string, ts int64, mt model.MessageType, f func(*ev)) ev {
		e := metaEv(model.KindInbound)
		e.ID, e.Customer, e.Time, e.MsgType = id, "5215500000002", ts, mt
		if f != nil {
			f(&e)
		}
		return e
	}
	cases := []decodeCase{
		{
			name: "text with body",
			line: metaBody("messages", msgValue(`"contacts":[{"profile":{"name":"Nobody"},"wa_id":"5215500000002"}],
				"messages":[{"from":"5215500000002","id":"wamid.I1","timestamp":"1752100000","type":"text","text":{"body":"stop"}}]`)),
			want: []ev{in("wamid.I1", 1752100000, model.MessageTypeText, func(e *ev) { e.Text = "stop" })},
		},
		{
			name: "click-to-WhatsApp referral",
			line: metaBody("messages", msgValue(`"messages":[{"referral":{"source_type":"ad","source_id":"1","ctwa_clid":"abc"},
				"from":"5215500000002","id":"wamid.I2","timestamp":"1752100001","text":{"body":"hi"},"type":"text"}]`)),
			want: []ev{in("wamid.I2", 1752100001, model.MessageTypeText, func(e *ev) { e.Referral, e.Text = true, "hi" })},
		},
		{
			name: "quick-reply button with context",
			line: metaBody("messages", msgValue(`"messages":[{"context":{"from":"`+tDisp+`","id":"wamid.OUT1"},
				"from":"5215500000002","id":"wamid.I3","timestamp":"1752100002","type":"button","button":{"payload":"OPT_OUT","text":"No more offers"}}]`)),
			want: []ev{in("wamid.I3", 1752100002, model.MessageTypeButton, func(e *ev) { e.ContextID, e.Payload = "wamid.OUT1", "OPT_OUT" })},
		},
		{
			name: "interactive button reply",
			line: metaBody("messages", msgValue(`"messages":[{"context":{"id":"wamid.OUT2"},"from":"5215500000002","id":"wamid.I4","timestamp":"1752100003","type":"interactive",
				"interactive":{"type":"button_reply","button_reply":{"id":"yes-btn","title":"Yes"}}}]`)),
			want: []ev{in("wamid.I4", 1752100003, model.MessageTypeInteractive, func(e *ev) { e.ContextID, e.Payload = "wamid.OUT2", "yes-btn" })},
		},
		{
			name: "interactive list reply",
			line: metaBody("messages", msgValue(`"messages":[{"from":"5215500000002","id":"wamid.I5","timestamp":"1752100004","type":"interactive",
				"interactive":{"type":"list_reply","list_reply":{"id":"row-7","title":"Row","description":"d"}}}]`)),
			want: []ev{in("wamid.I5", 1752100004, model.MessageTypeInteractive, func(e *ev) { e.Payload = "row-7" })},
		},
		{
			name: "media types and unsupported with error",
			line: metaBody("messages", msgValue(`"messages":[
				{"from":"5215500000002","id":"wamid.I6","timestamp":"1752100005","type":"image","image":{"id":"m1","mime_type":"image/png"}},
				{"from":"5215500000002","id":"wamid.I7","timestamp":"1752100006","type":"location","location":{"latitude":1.5,"longitude":2.5}},
				{"from":"5215500000002","id":"wamid.I8","timestamp":"1752100007","type":"unsupported","errors":[{"code":131051,"title":"Unsupported"}]},
				{"from":"5215500000002","id":"wamid.I9","timestamp":"1752100008","type":"reaction","reaction":{"message_id":"wamid.OUT3","emoji":"x"}}]`)),
			want: []ev{
				in("wamid.I6", 1752100005, model.MessageTypeImage, nil),
				in("wamid.I7", 1752100006, model.MessageTypeLocation, nil),
				in("wamid.I8", 1752100007, model.MessageTypeUnsupported, func(e *ev) { e.ErrorCode = 131051 }),
				in("wamid.I9", 1752100008, model.MessageTypeReaction, nil),
			},
		},
		{
			name: "statuses and messages in one value",
			line: metaBody("messages", msgValue(`"statuses":[{"id":"wamid.S","status":"sent","timestamp":"1752100010","recipient_id":"5215500000002"}],
				"messages":[{"from":"5215500000002","id":"wamid.I10","timestamp":"1752100011","type":"sticker"}]`)),
			want: []ev{
				with(metaEv(model.KindStatus), func(e *ev) {
					e.ID, e.Status, e.Time, e.Customer = "wamid.S", model.StatusSent, 1752100010, "5215500000002"
				}),
				in("wamid.I10", 1752100011, model.MessageTypeSticker, nil),
			},
		},
		{
			name:   "inbound without from",
			line:   metaBody("messages", msgValue(`"messages":[{"id":"wamid.I11","timestamp":"1752100012","type":"text"}]`)),
			reason: ReasonMissingField,
		},
		{
			name:   "inbound with garbage timestamp",
			line:   metaBody("messages", msgValue(`"messages":[{"from":"1","id":"wamid.I12","timestamp":"TIMESTAMP","type":"text"}]`)),
			reason: ReasonBadTimestamp,
		},
	}
	runDecodeCases(t, cases)
}

func TestDecodeMetaOtherFields(t *testing.T) {
	acct := func(k model.Kind, field string, f func(*ev)) ev {
		e := ev{Kind: k, Provider: model.ProviderMeta, Field: field, Account: tWABA}
		f(&e)
		return e
	}
	entryWithTime := func(field, value string) string {
		return `{"object":"whatsapp_business_account","entry":[{"id":"` + tWABA + `","time":1752200000,"changes":[{"value":` + value + `,"field":"` + field + `"}]}]}`
	}
	cases := []decodeCase{
		{
			name: "user preference stop and resume",
			line: metaBody("user_preferences", msgValue(`"contacts":[{"wa_id":"447700000003"}],"user_preferences":[
				{"wa_id":"447700000003","detail":"x","category":"marketing_messages","value":"stop","timestamp":1752200001},
				{"wa_id":"447700000004","category":"marketing_messages","value":"resume","timestamp":1752200002}]`)),
			want: []ev{
				with(metaEv(model.KindUserPreference), func(e *ev) {
					e.Field, e.Customer, e.Preference, e.Time = FieldUserPreferences, "447700000003", model.PreferenceStop, 1752200001
				}),
				with(metaEv(model.KindUserPreference), func(e *ev) {
					e.Field, e.Customer, e.Preference, e.Time = FieldUserPreferences, "447700000004", model.PreferenceResume, 1752200002
				}),
			},
		},
		{
			name:   "user preference with an unknown value",
			line:   metaBody("user_preferences", msgValue(`"user_preferences":[{"wa_id":"1","category":"marketing_messages","value":"maybe","timestamp":1752200001}]`)),
			reason: ReasonUnknownStatus,
		},
		{
			name: "quality update with limit, entry time",
			line: entryWithTime("phone_number_quality_update", `{"display_phone_number":"15550001234","event":"DOWNGRADE","current_limit":"TIER_1K"}`),
			want: []ev{acct(model.KindQualityUpdate, FieldPhoneNumberQualityUpdate, func(e *ev) {
				e.Display, e.EventName, e.Limit, e.Time = "15550001234", "DOWNGRADE", "TIER_1K", 1752200000
			})},
		},
		{
			name: "quality update with a numeric limit and no entry time uses receive time",
			line: metaBody("phone_number_quality_update", `{"display_phone_number":"15550001234","event":"UPGRADE","max_daily_conversation_per_phone":10000}`),
			recv: 1752200500,
			want: []ev{acct(model.KindQualityUpdate, FieldPhoneNumberQualityUpdate, func(e *ev) {
				e.Display, e.EventName, e.LimitRecip, e.Time = "15550001234", "UPGRADE", 10000, 1752200500
			})},
		},
		{
			name: "business capability update",
			line: entryWithTime("business_capability_update", `{"max_daily_conversation_per_phone":250,"max_phone_numbers_per_business":2}`),
			want: []ev{acct(model.KindQualityUpdate, FieldBusinessCapabilityUpdate, func(e *ev) { e.LimitRecip, e.Time = 250, 1752200000 })},
		},
		{
			name: "template status update",
			line: entryWithTime("message_template_status_update", `{"event":"PAUSED","message_template_id":42,"message_template_name":"promo","reason":"NONE"}`),
			want: []ev{acct(model.KindTemplateStatus, FieldMessageTemplateStatusUpdate, func(e *ev) { e.EventName, e.Time = "PAUSED", 1752200000 })},
		},
		{
			name: "account update",
			line: entryWithTime("account_update", `{"event":"ACCOUNT_VIOLATION","violation_info":{"violation_type":"SPAM"}}`),
			want: []ev{acct(model.KindAccountUpdate, FieldAccountUpdate, func(e *ev) { e.EventName, e.Time = "ACCOUNT_VIOLATION", 1752200000 })},
		},
		{
			name:   "account update without event",
			line:   entryWithTime("account_update", `{"ban_info":{}}`),
			reason: ReasonMissingField,
		},
		{
			name: "value-level errors, one event each",
			line: metaBody("messages", msgValue(`"errors":[{"code":130429,"title":"Rate limit hit"},{"code":"131000","title":"Something"}]`)),
			recv: 1752200600,
			want: []ev{
				with(metaEv(model.KindWebhookError), func(e *ev) { e.ErrorCode, e.Time = 130429, 1752200600 }),
				with(metaEv(model.KindWebhookError), func(e *ev) { e.ErrorCode, e.Time = 131000, 1752200600 }),
			},
		},
		{
			name: "a field we do not model is other",
			line: entryWithTime("security", `{"event":"PIN_CHANGED"}`),
			want: []ev{acct(model.KindOther, FieldOther, func(e *ev) { e.Time = 1752200000 })},
		},
		{
			name: "several entries and changes",
			line: `{"object":"whatsapp_business_account","entry":[
				{"id":"W1","time":1752200010,"changes":[{"field":"account_update","value":{"event":"A"}},{"field":"message_template_status_update","value":{"event":"APPROVED"}}]},
				{"id":"W2","time":1752200020,"changes":[{"field":"account_update","value":{"event":"B"}}]}]}`,
			want: []ev{
				{Kind: model.KindAccountUpdate, Provider: model.ProviderMeta, Field: FieldAccountUpdate, Account: "W1", Time: 1752200010, EventName: "A"},
				{Kind: model.KindTemplateStatus, Provider: model.ProviderMeta, Field: FieldMessageTemplateStatusUpdate, Account: "W1", Time: 1752200010, EventName: "APPROVED"},
				{Kind: model.KindAccountUpdate, Provider: model.ProviderMeta, Field: FieldAccountUpdate, Account: "W2", Time: 1752200020, EventName: "B"},
			},
		},
	}
	runDecodeCases(t, cases)
}

func TestDecodeMetaRelatives(t *testing.T) {
	status := `"statuses":[{"id":"wamid.R","status":"delivered","timestamp":"1752300000","recipient_id":"61400000005"}]`
	want := with(metaEv(model.KindStatus), func(e *ev) {
		e.ID, e.Status, e.Time, e.Customer = "wamid.R", model.StatusDelivered, 1752300000, "61400000005"
	})
	cases := []decodeCase{
		{
			name: "bare entry object",
			line: `{"id":"` + tWABA + `","changes":[{"field":"messages","value":` + msgValue(status) + `}]}`,
			want: []ev{want},
		},
		{
			name: "gupshup v3 adds gs_app_id and gs_id",
			line: `{"entry":[{"changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"` + tDisp + `","phone_number_id":"` + tPNID + `"},
				"statuses":[{"gs_id":"gs-1","id":"wamid.R","recipient_id":"61400000005","status":"delivered","timestamp":"1752300000"}]}}],"id":"` + tWABA + `"}],"gs_app_id":"app-uuid-1","object":"whatsapp_business_account"}`,
			want: []ev{with(want, func(e *ev) { e.Provider = model.ProviderGupshup })},
		},
		{
			name: "gupshup v3 enqueued: gs_id only, ms number timestamp, no metadata nor entry id",
			line: `{"entry":[{"changes":[{"field":"messages","value":{"messaging_product":"whatsapp","statuses":[{"gs_id":"gs-2","recipient_id":"61400000005","status":"enqueued","timestamp":1752300001999}]}}]}],"gs_app_id":"app-uuid-1","object":"whatsapp_business_account"}`,
			want: []ev{{Kind: model.KindStatus, Provider: model.ProviderGupshup, Field: FieldMessages, Account: "app-uuid-1", ID: "gs-2", Customer: "61400000005", Time: 1752300001, Status: model.StatusAccepted}},
		},
		{
			name: "on-premises status with deleted and warning, Options.Business fills the business",
			opts: Options{Business: "onprem-1"},
			line: `{"statuses":[{"id":"gBE1","status":"deleted","timestamp":"1752300002","recipient_id":"61400000005"},{"id":"gBE2","status":"warning","timestamp":"1752300003"}]}`,
			want: []ev{
				{Kind: model.KindStatus, Provider: model.ProviderOnPrem, Field: FieldMessages, Business: "onprem-1", ID: "gBE1", Customer: "61400000005", Time: 1752300002, Status: model.StatusDeleted},
				{Kind: model.KindStatus, Provider: model.ProviderOnPrem, Field: FieldMessages, Business: "onprem-1", ID: "gBE2", Time: 1752300003, Status: model.StatusWarning},
			},
		},
		{
			name: "on-premises inbound, no business",
			line: `{"contacts":[{"profile":{"name":"N"},"wa_id":"61400000005"}],"messages":[{"from":"61400000005","id":"ABGG1","timestamp":"1752300004","type":"voice","voice":{"id":"v"}}]}`,
			want: []ev{{Kind: model.KindInbound, Provider: model.ProviderOnPrem, Field: FieldMessages, Customer: "61400000005", ID: "ABGG1", Time: 1752300004, MsgType: model.MessageTypeAudio}},
		},
		{
			name:   "another Graph object",
			line:   `{"object":"page","entry":[{"id":"1","changes":[]}]}`,
			reason: ReasonUnknownFormat,
		},
		{
			name:   "meta object without entry",
			line:   `{"object":"whatsapp_business_account"}`,
			reason: ReasonMissingField,
		},
		{
			name:   "change without value",
			line:   `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages"}]}]}`,
			reason: ReasonMissingField,
		},
		{
			name:   "entry not an object",
			line:   `{"object":"whatsapp_business_account","entry":[42]}`,
			reason: ReasonUnexpectedObject,
		},
	}
	runDecodeCases(t, cases)
}

func TestDecodeRejects(t *testing.T) {
	cases := []decodeCase{
		{name: "truncated JSON", line: `{"object":"whatsapp_business_account","entry":[{"id"`, reason: ReasonInvalidJSON},
		{name: "JSON array", line: `[1,2,3]`, reason: ReasonUnexpectedObject},
		{name: "JSON string", line: `"hello"`, reason: ReasonUnexpectedObject},
		{name: "JSON number", line: `12345`, reason: ReasonUnexpectedObject},
		{name: "unknown object", line: `{"hello":"world"}`, reason: ReasonUnknownFormat},
		{name: "binary", line: "\x00\x01\x02\xff\xfe", reason: ReasonInvalidJSON},
		{name: "plain text", line: "GET /webhook HTTP/1.1", reason: ReasonInvalidJSON},
		{name: "invalid UTF-8 inside JSON strings is still JSON", line: "{\"a\":\"\xff\xfe\"}", reason: ReasonUnknownFormat},
		{name: "too long", opts: Options{MaxLineBytes: 10}, line: `{"object":"whatsapp_business_account"}`, reason: ReasonLineTooLong},
		{name: "empty line is nothing", line: "  \r"},
	}
	runDecodeCases(t, cases)
}

func TestFieldsAreStaticAndComplete(t *testing.T) {
	f := Fields()
	if len(f) != 8 || f[len(f)-1] != FieldOther {
		t.Fatalf("Fields() = %v", f)
	}
	seen := map[string]bool{}
	for _, x := range f {
		if seen[x] || x != strings.ToLower(x) {
			t.Fatalf("bad field %q in %v", x, f)
		}
		seen[x] = true
		if x == FieldConversion {
			// not a webhook change field: a Meta change naming it is "other"
			if got := fieldOf([]byte(x)); got != FieldOther {
				t.Fatalf("fieldOf(%q) = %q", x, got)
			}
			continue
		}
		if got := fieldOf([]byte(x)); got != x {
			t.Fatalf("fieldOf(%q) = %q", x, got)
		}
	}
	f[0] = "mutated"
	if Fields()[0] != FieldMessages {
		t.Fatal("Fields() shares its backing array")
	}
}

func TestChangeFields(t *testing.T) {
	twoChanges := `{"object":"whatsapp_business_account","entry":[{"id":"W","changes":[` +
		`{"field":"messages","value":` + msgValue(`"statuses":[{"id":"a","status":"sent","timestamp":"1752000000"},{"id":"b","status":"sent","timestamp":"1752000000"},{"id":"c","status":"read","timestamp":"1752000001"}]`) + `},` +
		`{"field":"flows","value":{"event":"X"}}]},` +
		`{"id":"W2","changes":[{"field":"user_preferences","value":{}},{"field":"messages"}]}]}`
	for _, tc := range []struct {
		name   string
		line   string
		events int
		want   []string
	}{
		{"three statuses in one change, an other field, an empty preference change, a change without value",
			twoChanges, 5, []string{FieldMessages, FieldOther, FieldUserPreferences}},
		{"twilio body", seedTwilio[0], 1, []string{FieldMessages}},
		{"infobip body with one result", seedInfobip[0], 1, []string{FieldMessages}},
		{"gupshup billing", seedGupshup[3], 1, []string{FieldMessages}},
		{"on-premises body", seedOnPrem[0], 2, []string{FieldMessages}},
		{"invalid line", `{"x":`, 0, nil},
		{"BOM before a body", "\xef\xbb\xbf" + seedOnPrem[1], 1, []string{FieldMessages}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(Options{})
			evs, _ := d.Decode([]byte(tc.line), 1752000000)
			got := d.ChangeFields()
			if len(evs) != tc.events || len(got) != len(tc.want) {
				t.Fatalf("%d events, changes %v; want %d events, changes %v", len(evs), got, tc.events, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("changes %v, want %v", got, tc.want)
				}
			}
		})
	}
}
