package webhook

import (
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

// BSUIDs of the test bodies: opaque strings in Meta's `user.` + hex form and in another
// form, since the decoder must not care.
const (
	tUID1 = "user.0f3a9c1e5b7d2468ace0f3a9c1e5b7d2468ace0f3a9c1e5b7d2468ace0f3a9c"
	tUID2 = "BR.13491208655302741918"
	tUID3 = "user.77aa"
)

func TestDecodeCustomerIdentity(t *testing.T) {
	inbound := func(f func(*ev)) ev {
		return with(metaEv(model.KindInbound), func(e *ev) {
			e.ID, e.Time, e.MsgType, e.Text = "wamid.IN1", 1752300000, model.MessageTypeText, "hola"
			f(e)
		})
	}
	status := func(id string, f func(*ev)) ev {
		return with(metaEv(model.KindStatus), func(e *ev) {
			e.ID, e.Time, e.Status = id, 1752300000, model.StatusSent
			f(e)
		})
	}
	cases := []decodeCase{
		{
			name: "inbound with an empty from and a BSUID: customer by BSUID, country from its contact",
			line: metaBody("messages", msgValue(`"contacts":[{"profile":{"name":"Ana","username":"@ana","country_code":"MX"},"wa_id":"","user_id":"`+tUID1+`"}],
				"messages":[{"from":"","from_user_id":"`+tUID1+`","id":"wamid.IN1","timestamp":"1752300000","text":{"body":"hola"},"type":"text"}]`)),
			want: []ev{inbound(func(e *ev) { e.UserID, e.Country = tUID1, "MX" })},
		},
		{
			name: "inbound without from: the BSUID is enough",
			line: metaBody("messages", msgValue(`"messages":[{"from_user_id":"`+tUID2+`","id":"wamid.IN1","timestamp":"1752300000","text":{"body":"hola"},"type":"text"}]`)),
			want: []ev{inbound(func(e *ev) { e.UserID = tUID2 })},
		},
		{
			name: "inbound with phone and BSUID links them",
			line: metaBody("messages", msgValue(`"contacts":[{"profile":{"name":"Ana","country_code":"MX"},"wa_id":"5215550000001","user_id":"`+tUID1+`"}],
				"messages":[{"from":"5215550000001","from_user_id":"`+tUID1+`","id":"wamid.IN1","timestamp":"1752300000","text":{"body":"hola"},"type":"text"}]`)),
			want: []ev{inbound(func(e *ev) { e.Customer, e.UserID, e.Country = "5215550000001", tUID1, "MX" })},
		},
		{
			name: "inbound with a phone only takes the BSUID of its contact (matched by wa_id)",
			line: metaBody("messages", msgValue(`"contacts":[{"wa_id":"999"},{"profile":{"country_code":"IN"},"wa_id":"919800000001","user_id":"`+tUID3+`"}],
				"messages":[{"from":"919800000001","id":"wamid.IN1","timestamp":"1752300000","text":{"body":"hola"},"type":"text"}]`)),
			want: []ev{inbound(func(e *ev) { e.Customer, e.UserID, e.Country = "919800000001", tUID3, "IN" })},
		},
		{
			name: "inbound with a BSUID only takes the phone of its contact (matched by user_id)",
			line: metaBody("messages", msgValue(`"contacts":[{"wa_id":"919800000001","user_id":"`+tUID3+`"}],
				"messages":[{"from":"","from_user_id":"`+tUID3+`","id":"wamid.IN1","timestamp":"1752300000","text":{"body":"hola"},"type":"text"}]`)),
			want: []ev{inbound(func(e *ev) { e.Customer, e.UserID = "919800000001", tUID3 })},
		},
		{
			name: "inbound whose contact has no country: no country",
			line: metaBody("messages", msgValue(`"contacts":[{"profile":{"name":"A"},"wa_id":"","user_id":"`+tUID1+`"}],
				"messages":[{"from":"","from_user_id":"`+tUID1+`","id":"wamid.IN1","timestamp":"1752300000","text":{"body":"hola"},"type":"text"}]`)),
			want: []ev{inbound(func(e *ev) { e.UserID = tUID1 })},
		},
		{
			name:   "inbound with neither phone nor BSUID is still missing_field",
			line:   metaBody("messages", msgValue(`"messages":[{"from":"","from_user_id":"","id":"wamid.IN1","timestamp":"1752300000","type":"text"}]`)),
			reason: ReasonMissingField,
		},
		{
			name: "status batch: BSUID only, both, phone only; countries from the matching contacts",
			line: metaBody("messages", msgValue(`"contacts":[
				{"profile":{"name":"A","username":"@a","country_code":"ID"},"wa_id":"628100000001","user_id":"`+tUID2+`"},
				{"profile":{"name":"B","username":"@b","country_code":"IN"},"wa_id":"","user_id":"`+tUID1+`"}],
				"statuses":[
				{"id":"wamid.S1","status":"sent","timestamp":"1752300000","recipient_id":"","recipient_user_id":"`+tUID1+`"},
				{"id":"wamid.S2","status":"sent","timestamp":"1752300000","recipient_id":"628100000001","recipient_user_id":"`+tUID2+`"},
				{"id":"wamid.S3","status":"sent","timestamp":"1752300000","recipient_id":"447700000001"}]`)),
			want: []ev{
				status("wamid.S1", func(e *ev) { e.UserID, e.Country = tUID1, "IN" }),
				status("wamid.S2", func(e *ev) { e.Customer, e.UserID, e.Country = "628100000001", tUID2, "ID" }),
				status("wamid.S3", func(e *ev) { e.Customer = "447700000001" }),
			},
		},
		{
			name: "a status without any customer stays without one (a contact with empty ids matches nothing)",
			line: metaBody("messages", msgValue(`"contacts":[{"profile":{"country_code":"BR"},"wa_id":"","user_id":""}],
				"statuses":[{"id":"wamid.S1","status":"sent","timestamp":"1752300000","recipient_id":""}]`)),
			want: []ev{status("wamid.S1", func(e *ev) {})},
		},
		{
			name: "contacts of unexpected shapes are ignored, not errors",
			line: metaBody("messages", msgValue(`"contacts":[7,{"wa_id":5,"user_id":"`+tUID1+`","profile":"x"}],
				"statuses":[{"id":"wamid.S1","status":"sent","timestamp":"1752300000","recipient_user_id":"`+tUID1+`"}]`)),
			want: []ev{status("wamid.S1", func(e *ev) { e.UserID = tUID1 })},
		},
		{
			name: "user preference of a BSUID-only customer",
			line: metaBody("user_preferences", msgValue(`"contacts":[{"wa_id":"","user_id":"`+tUID1+`"}],"user_preferences":[
				{"wa_id":"","user_id":"`+tUID1+`","detail":"x","category":"marketing_messages","value":"stop","timestamp":1752300001}]`)),
			want: []ev{with(metaEv(model.KindUserPreference), func(e *ev) {
				e.Field, e.UserID, e.Preference, e.Time = FieldUserPreferences, tUID1, model.PreferenceStop, 1752300001
			})},
		},
		{
			name: "user preference with phone and BSUID",
			line: metaBody("user_preferences", msgValue(`"user_preferences":[
				{"wa_id":"447700000003","user_id":"`+tUID2+`","category":"marketing_messages","value":"resume","timestamp":1752300001}]`)),
			want: []ev{with(metaEv(model.KindUserPreference), func(e *ev) {
				e.Field, e.Customer, e.UserID, e.Preference, e.Time = FieldUserPreferences, "447700000003", tUID2, model.PreferenceResume, 1752300001
			})},
		},
		{
			name:   "user preference with neither id is missing_field",
			line:   metaBody("user_preferences", msgValue(`"user_preferences":[{"wa_id":"","category":"marketing_messages","value":"stop","timestamp":1752300001}]`)),
			reason: ReasonMissingField,
		},
		{
			name: "On-Premises body: contacts complete the identity too",
			line: `{"contacts":[{"profile":{"name":"A","country_code":"DE"},"wa_id":"4915100000001","user_id":"` + tUID3 + `"}],"messages":[{"from":"4915100000001","id":"m1","timestamp":"1752300000","type":"text","text":{"body":"hi"}}]}`,
			want: []ev{{Kind: model.KindInbound, Provider: model.ProviderOnPrem, Field: FieldMessages, Customer: "4915100000001", UserID: tUID3, Country: "DE",
				ID: "m1", Time: 1752300000, MsgType: model.MessageTypeText, Text: "hi"}},
		},
	}
	runDecodeCases(t, cases)
}

func TestDecodeLimitsAndAccountDetails(t *testing.T) {
	acct := func(k model.Kind, field string, f func(*ev)) ev {
		e := ev{Kind: k, Provider: model.ProviderMeta, Field: field, Account: tWABA, Time: 1752400000}
		f(&e)
		return e
	}
	entry := func(field, value string) string {
		return `{"entry":[{"id":"` + tWABA + `","time":1752400000,"changes":[{"value":` + value + `,"field":"` + field + `"}]}],"object":"whatsapp_business_account"}`
	}
	capUpd := func(n int64) ev {
		return acct(model.KindQualityUpdate, FieldBusinessCapabilityUpdate, func(e *ev) { e.LimitRecip = n })
	}
	cases := []decodeCase{
		{name: "capability update v24+", line: entry("business_capability_update", `{"max_daily_conversations_per_business":10000}`), want: []ev{capUpd(10000)}},
		{name: "capability update v23 and earlier", line: entry("business_capability_update", `{"max_daily_conversation_per_phone":2000}`), want: []ev{capUpd(2000)}},
		{name: "capability update unlimited", line: entry("business_capability_update", `{"max_daily_conversations_per_business":-1}`), want: []ev{capUpd(-1)}},
		{
			name: "capability update with both names: the portfolio one wins, whatever the order",
			line: entry("business_capability_update", `{"max_daily_conversations_per_business":100000,"max_daily_conversation_per_phone":2000,"max_phone_numbers_per_business":20}`),
			want: []ev{capUpd(100000)},
		},
		{
			name: "capability update with a limit as a string of digits",
			line: entry("business_capability_update", `{"max_daily_conversation_per_phone":"250","max_daily_conversations_per_business":"x"}`),
			want: []ev{capUpd(250)},
		},
		{
			name: "capability update: a tier name is not its Limit",
			line: entry("business_capability_update", `{"current_limit":"TIER_1K","max_daily_conversations_per_business":"TIER_2K"}`),
			want: []ev{capUpd(0)},
		},
		{
			name: "capability update without a usable limit: an event with none",
			line: entry("business_capability_update", `{"max_daily_conversations_per_business":2.5,"max_daily_conversation_per_phone":-7,"max_phone_numbers_per_waba":2}`),
			want: []ev{capUpd(0)},
		},
		{
			name: "quality update since October 2025: tier and portfolio limit",
			line: entry("phone_number_quality_update", `{"display_phone_number":"15550001234","event":"UPGRADE","old_limit":"TIER_2K","current_limit":"TIER_10K","max_daily_conversations_per_business":10000}`),
			want: []ev{acct(model.KindQualityUpdate, FieldPhoneNumberQualityUpdate, func(e *ev) {
				e.Display, e.EventName, e.Limit, e.LimitRecip = "15550001234", "UPGRADE", "TIER_10K", 10000
			})},
		},
		{
			name: "quality update after current_limit is dropped, with a tier name in the new field",
			line: entry("phone_number_quality_update", `{"display_phone_number":"15550001234","event":"UPGRADE","max_daily_conversations_per_business":"TIER_UNLIMITED"}`),
			want: []ev{acct(model.KindQualityUpdate, FieldPhoneNumberQualityUpdate, func(e *ev) {
				e.Display, e.EventName, e.Limit = "15550001234", "UPGRADE", "TIER_UNLIMITED"
			})},
		},
		{
			name: "account restriction: the latest expiration",
			line: entry("account_update", `{"event":"ACCOUNT_RESTRICTION","restriction_info":[
				{"restriction_type":"RESTRICTED_BIZ_INITIATED_MESSAGING","expiration":1752900000},
				{"restriction_type":"RESTRICTED_CUSTOMER_INITIATED_MESSAGING","expiration":"1753000000"},
				{"restriction_type":"RESTRICTED_ADD_PHONE_NUMBER_ACTION","expiration":1752500000}]}`),
			want: []ev{acct(model.KindAccountUpdate, FieldAccountUpdate, func(e *ev) { e.EventName, e.RestrUntil = "ACCOUNT_RESTRICTION", 1753000000 })},
		},
		{
			name: "account restriction without expirations",
			line: entry("account_update", `{"event":"ACCOUNT_RESTRICTION","restriction_info":[{"restriction_type":"RESTRICTED_ADD_PHONE_NUMBER_ACTION"},"x"]}`),
			want: []ev{acct(model.KindAccountUpdate, FieldAccountUpdate, func(e *ev) { e.EventName = "ACCOUNT_RESTRICTION" })},
		},
		{
			name: "disabled update scheduled",
			line: entry("account_update", `{"event":"DISABLED_UPDATE","ban_info":{"waba_ban_state":"SCHEDULE_FOR_DISABLE","waba_ban_date":"July 27, 2025"}}`),
			want: []ev{acct(model.KindAccountUpdate, FieldAccountUpdate, func(e *ev) { e.EventName, e.AcctState = "DISABLED_UPDATE", "SCHEDULE_FOR_DISABLE" })},
		},
		{
			name: "volume pricing tier update",
			line: entry("account_update", `{"volume_tier_info":{"tier_update_time":1752400000,"pricing_category":"AUTHENTICATION","tier":"25000001:50000000","effective_month":"2025-07","region":"India"},"event":"VOLUME_BASED_PRICING_TIER_UPDATE"}`),
			want: []ev{acct(model.KindAccountUpdate, FieldAccountUpdate, func(e *ev) {
				e.EventName, e.TierCat, e.Tier, e.TierTime, e.TierMonth = "VOLUME_BASED_PRICING_TIER_UPDATE", model.CategoryAuthentication, "25000001:50000000", 1752400000, "2025-07"
			})},
		},
		{
			name: "volume tier with members of other types",
			line: entry("account_update", `{"event":"VOLUME_BASED_PRICING_TIER_UPDATE","volume_tier_info":{"tier_update_time":"soon","pricing_category":7,"tier":["a"],"effective_month":null}}`),
			want: []ev{acct(model.KindAccountUpdate, FieldAccountUpdate, func(e *ev) { e.EventName = "VOLUME_BASED_PRICING_TIER_UPDATE" })},
		},
	}
	runDecodeCases(t, cases)
}

// The general path keeps the zero-allocation contract on lines with BSUIDs and contacts
// (the fast path's is TestFastMetaZeroAllocs), and so does detection of foreign bodies.
func TestIdentityGeneralPathZeroAllocs(t *testing.T) {
	for i, body := range []string{
		metaBody("messages", msgValue(`"contacts":[{"profile":{"name":"A","username":"@a","country_code":"MX"},"wa_id":"","user_id":"`+tUID1+`"},{"wa_id":"5","user_id":"`+tUID2+`"}],"statuses":[{"id":"a","status":"delivered","timestamp":"1752000000","recipient_id":"","recipient_user_id":"`+tUID1+`"},{"id":"b","status":"read","timestamp":"1752000000","recipient_id":"5"}]`)),
		metaBody("messages", msgValue(`"contacts":[{"profile":{"country_code":"BR"},"wa_id":"","user_id":"`+tUID1+`"}],"messages":[{"from":"","from_user_id":"`+tUID1+`","id":"m","timestamp":"1752000000","type":"text","text":{"body":"oi"}}]`)),
		`{"entry":[{"id":"W","time":1752200000,"changes":[{"value":{"max_daily_conversations_per_business":-1},"field":"business_capability_update"}]}],"object":"whatsapp_business_account"}`,
		`{"object":"whatsapp_business_account","entry":[{"id":"W","time":1752200000,"changes":[{"value":{"event":"ACCOUNT_RESTRICTION","restriction_info":[{"restriction_type":"R","expiration":1752900000}]},"field":"account_update"}]}]}`,
		foreignBodies[3].body,
	} {
		line := []byte(body)
		d := NewDecoder(Options{})
		d.noFast = true
		want, _ := d.Decode(line, 0)
		n := len(want)
		for j := 0; j < 3; j++ {
			d.Decode(line, 0)
		}
		if a := testing.AllocsPerRun(100, func() {
			if evs, _ := d.Decode(line, 0); len(evs) != n {
				panic("decode changed its result")
			}
		}); a != 0 {
			t.Errorf("body %d: %.1f allocations per Decode on the general path after warm-up", i, a)
		}
	}
}
