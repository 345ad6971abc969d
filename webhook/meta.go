package webhook

import (
	"bytes"

	"github.com/valyala/fastjson"
	"github.com/waba-exporter/waba_exporter/model"
)

// The values of Event.Field: the webhook change fields we tell apart (the `field` label of
// waba_exporter_events_total). Every other change field is FieldOther. Providers without
// change fields use the one their event corresponds to.
const (
	FieldMessages                    = "messages"
	FieldUserPreferences             = "user_preferences"
	FieldPhoneNumberQualityUpdate    = "phone_number_quality_update"
	FieldMessageTemplateStatusUpdate = "message_template_status_update"
	FieldAccountUpdate               = "account_update"
	FieldBusinessCapabilityUpdate    = "business_capability_update"
	FieldOther                       = "other"
	// FieldConversion is the field of a conversion line ({"waba_conversion": ...}), which
	// is no webhook change but is counted like one.
	FieldConversion = "waba_conversion"
)

// Fields returns every value Event.Field can take, for pre-initialising label grids.
func Fields() []string {
	return []string{FieldMessages, FieldUserPreferences, FieldPhoneNumberQualityUpdate,
		FieldMessageTemplateStatusUpdate, FieldAccountUpdate, FieldBusinessCapabilityUpdate, FieldConversion,
		FieldOther}
}

var wabaObject = []byte("whatsapp_business_account")

// top holds the top-level members of a body that format detection looks at. One pass
// over the body's keys fills it, so detection never parses or scans twice.
type top struct {
	object, entry, changes, gsApp        *fastjson.Value // Meta, Gupshup v3
	statuses, messages, contacts, errors *fastjson.Value // On-Premises
	results, templateID, change          *fastjson.Value // Infobip
	app, typ, payload, timestamp         *fastjson.Value // Gupshup v2, Infobip
	conversion                           *fastjson.Value // our own conversion line
}

func scanTop(v *fastjson.Value) (t top) {
	o, err := v.Object()
	if err != nil {
		return t
	}
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "object":
			t.object = v
		case "entry":
			t.entry = v
		case "changes":
			t.changes = v
		case "gs_app_id":
			t.gsApp = v
		case "statuses":
			t.statuses = v
		case "messages":
			t.messages = v
		case "contacts":
			t.contacts = v
		case "errors":
			t.errors = v
		case "results":
			t.results = v
		case "messageTemplateId":
			t.templateID = v
		case "change":
			t.change = v
		case "app":
			t.app = v
		case "type":
			t.typ = v
		case "payload":
			t.payload = v
		case "timestamp":
			t.timestamp = v
		case "waba_conversion":
			t.conversion = v
		}
	})
	return t
}

// tryMeta decodes the Cloud API shape: {object, entry[]}, or a bare entry {id, changes[]}.
// It returns false when the top-level keys say the body is not of that shape.
//
// Recognised by (docs/spec.md 3.3): a top-level `object` (any value: another Graph API object is
// a known shape that is not ours), or, without one, an `entry` array holding an object
// with `changes`, or a top-level `changes` array (a bare entry). Other bodies with those
// keys are another provider's: unknown_format, never missing_field.
func (d *Decoder) tryMeta(v *fastjson.Value, tk *top, recvTime int64) bool {
	if tk.object == nil && !anyItemHas(tk.entry, "changes", "") &&
		(tk.changes == nil || tk.changes.Type() != fastjson.TypeArray) {
		return false
	}
	start := len(d.events)
	if tk.object != nil && !bytes.Equal(tk.object.GetStringBytes(), wabaObject) {
		// Another Graph API object (page, instagram, ...): a known shape, not ours.
		d.fail(errWrongObject)
		return true
	}
	base := model.Event{Provider: model.ProviderMeta}
	var gsApp []byte
	if tk.gsApp != nil {
		base.Provider = model.ProviderGupshup
		gsApp = scalarBytes(d, tk.gsApp)
	}
	switch {
	case tk.entry != nil:
		arr, err := tk.entry.Array()
		if err != nil {
			d.fail(errEntry)
			return true
		}
		for _, e := range arr {
			d.metaEntry(e, &base, gsApp, recvTime)
		}
	case tk.changes != nil:
		d.metaEntry(v, &base, gsApp, recvTime)
	default:
		d.fail(errEntry)
		return true
	}
	d.fillBusiness(start)
	return true
}

func (d *Decoder) metaEntry(e *fastjson.Value, base *model.Event, gsApp []byte, recvTime int64) {
	o, err := e.Object()
	if err != nil {
		d.fail(errEntryType)
		return
	}
	var id, tm, changes *fastjson.Value
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "id":
			id = v
		case "time":
			tm = v
		case "changes":
			changes = v
		}
	})
	b := *base
	b.Account = scalarBytes(d, id)
	if len(b.Account) == 0 {
		b.Account = gsApp
	}
	entryTime := optUnix(tm)
	if entryTime == 0 {
		entryTime = recvTime
	}
	if changes == nil || changes.Type() != fastjson.TypeArray {
		d.fail(errChanges)
		return
	}
	arr, _ := changes.Array()
	for _, c := range arr {
		d.metaChange(c, &b, entryTime)
	}
}

// fieldOf maps a change field to its static name.
func fieldOf(f []byte) string {
	switch string(f) {
	case FieldMessages:
		return FieldMessages
	case FieldUserPreferences:
		return FieldUserPreferences
	case FieldPhoneNumberQualityUpdate:
		return FieldPhoneNumberQualityUpdate
	case FieldMessageTemplateStatusUpdate:
		return FieldMessageTemplateStatusUpdate
	case FieldAccountUpdate:
		return FieldAccountUpdate
	case FieldBusinessCapabilityUpdate:
		return FieldBusinessCapabilityUpdate
	}
	return FieldOther
}

// value holds the members of a change value that the decoders read.
type value struct {
	metadata, statuses, messages, errors, prefs, contacts *fastjson.Value
	display, event                                        []byte
	// limit is current_limit (a TIER_ name); perBusiness and perPhone the portfolio
	// limits max_daily_conversations_per_business and max_daily_conversation_per_phone.
	limit, perBusiness, perPhone, rating *fastjson.Value
	// account_update details.
	banInfo, restrictions, volumeTier *fastjson.Value
}

func scanValue(o *fastjson.Object) (x value) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "metadata":
			x.metadata = v
		case "statuses":
			x.statuses = v
		case "messages":
			x.messages = v
		case "errors":
			x.errors = v
		case "user_preferences":
			x.prefs = v
		case "contacts":
			x.contacts = v
		case "display_phone_number":
			x.display = v.GetStringBytes()
		case "event":
			x.event = v.GetStringBytes()
		case "current_limit":
			x.limit = v
		case "max_daily_conversations_per_business":
			x.perBusiness = v
		case "max_daily_conversation_per_phone":
			x.perPhone = v
		case "quality_rating", "current_quality_rating":
			x.rating = v
		case "ban_info":
			x.banInfo = v
		case "restriction_info":
			x.restrictions = v
		case "volume_tier_info":
			x.volumeTier = v
		}
	})
	return x
}

func (d *Decoder) metaChange(c *fastjson.Value, entry *model.Event, entryTime int64) {
	co, err := c.Object()
	if err != nil {
		d.fail(errChangeType)
		return
	}
	var field []byte
	var val *fastjson.Value
	co.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "field":
			field = v.GetStringBytes()
		case "value":
			val = v
		}
	})
	b := *entry
	b.Field = fieldOf(field)
	if val == nil || val.Type() != fastjson.TypeObject {
		d.fail(errChangeValue)
		return
	}
	d.changes = append(d.changes, b.Field)
	vo, _ := val.Object()
	x := scanValue(vo)
	if x.metadata != nil && x.metadata.Type() == fastjson.TypeObject {
		b.Business = scalarBytes(d, x.metadata.Get("phone_number_id"))
		b.DisplayNumber = x.metadata.GetStringBytes("display_phone_number")
	}
	before, errBefore := len(d.events), d.nerr
	switch b.Field {
	case FieldMessages:
		d.messagesValue(&x, &b, entryTime)
		d.scanContacts(x.contacts)
		applyContacts(d.events[before:], d.contacts)
	case FieldUserPreferences:
		d.userPreferences(x.prefs, &b)
		d.scanContacts(x.contacts)
		applyContacts(d.events[before:], d.contacts)
	case FieldPhoneNumberQualityUpdate, FieldBusinessCapabilityUpdate:
		ev := d.add(&b)
		ev.Kind = model.KindQualityUpdate
		ev.Time = entryTime
		if x.display != nil {
			ev.DisplayNumber = x.display
		}
		ev.EventName = x.event
		d.limits(ev, &x)
		if x.rating != nil {
			ev.Rating = model.ParseRating(x.rating.GetStringBytes())
		}
	case FieldMessageTemplateStatusUpdate, FieldAccountUpdate:
		if len(x.event) == 0 {
			d.fail(errEventMissing)
			return
		}
		ev := d.add(&b)
		ev.Kind = model.KindAccountUpdate
		if b.Field == FieldMessageTemplateStatusUpdate {
			ev.Kind = model.KindTemplateStatus
		}
		ev.Time = entryTime
		ev.EventName = x.event
		if b.Field == FieldAccountUpdate {
			accountDetails(ev, &x)
		}
	}
	if len(d.events) == before && d.nerr == errBefore {
		// A change we recognise but do not model (or one carrying nothing we model):
		// still one event, so that it is counted by field.
		ev := d.add(&b)
		ev.Kind = model.KindOther
		ev.Time = entryTime
	}
}

// setTag gives a status its campaign tag (biz_opaque_callback_data, Infobip's
// callbackData): none when empty; a value over model.MaxCampaignTagBytes is refused as a tag
// with errTagTooLong (the status itself is good and kept, untagged).
func (d *Decoder) setTag(ev *model.Event, tag []byte) {
	switch {
	case len(tag) > model.MaxCampaignTagBytes:
		d.fail(errTagTooLong)
	case len(tag) > 0:
		ev.CampaignTag = tag
	}
}

// array returns the elements of v, an array; nil for an absent v, and a counted error
// (no elements) for a value of another type.
func (d *Decoder) array(v *fastjson.Value) []*fastjson.Value {
	if v == nil {
		return nil
	}
	arr, err := v.Array()
	if err != nil {
		d.fail(errArrayType)
	}
	return arr
}

// messagesValue decodes the value of a `messages` change, or an On-Premises body.
func (d *Decoder) messagesValue(x *value, b *model.Event, fallbackTime int64) {
	for _, st := range d.array(x.statuses) {
		if e := d.metaStatus(st, b); e != nil {
			d.fail(e)
		}
	}
	for _, msg := range d.array(x.messages) {
		if e := d.metaMessage(msg, b); e != nil {
			d.fail(e)
		}
	}
	if x.errors != nil {
		for _, e := range d.array(x.errors) {
			if e.Type() != fastjson.TypeObject {
				d.fail(errArrayType)
				continue
			}
			code, raw := d.errorCode(e.Get("code"))
			if code == 0 && raw == nil {
				d.fail(errValueErrorCode)
				continue
			}
			ev := d.add(b)
			ev.Kind = model.KindWebhookError
			ev.Time = fallbackTime
			ev.ErrorCode, ev.ErrorCodeRaw = code, raw
		}
	}
}

func (d *Decoder) metaStatus(s *fastjson.Value, b *model.Event) *ParseError {
	so, err := s.Object()
	if err != nil {
		return errArrayType
	}
	var id, gsID, stb, recipient, recipientUID, tag []byte
	var ts, conv, pr, errs *fastjson.Value
	so.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "id":
			id = v.GetStringBytes()
		case "biz_opaque_callback_data":
			tag = v.GetStringBytes() // nil unless a string

		case "gs_id":
			gsID = v.GetStringBytes()
		case "status":
			stb = v.GetStringBytes()
		case "timestamp":
			ts = v
		case "recipient_id":
			recipient = v.GetStringBytes()
		case "recipient_user_id":
			recipientUID = v.GetStringBytes()
		case "conversation":
			conv = v
		case "pricing":
			pr = v
		case "errors":
			errs = v
		}
	})
	if len(id) == 0 {
		id = gsID // Gupshup v3 before Meta assigned an id
		if len(id) == 0 {
			return errStatusID
		}
	}
	if stb == nil {
		return errStatusStatus
	}
	st := model.ParseStatus(stb)
	if st == model.StatusNone {
		return errStatusUnknown
	}
	t, r := unixTime(ts)
	switch r {
	case ReasonMissingField:
		return errStatusTimeMiss
	case ReasonBadTimestamp:
		return errStatusTimeBad
	}
	ev := d.add(b)
	ev.Kind = model.KindStatus
	ev.MessageID = id
	ev.Status = st
	ev.Time = t
	ev.Customer = recipient
	ev.CustomerUserID = recipientUID
	d.setTag(ev, tag)
	if conv != nil && conv.Type() == fastjson.TypeObject {
		metaConversation(ev, conv)
	}
	if pr != nil && pr.Type() == fastjson.TypeObject {
		metaPricing(ev, pr)
	}
	ev.ErrorCode, ev.ErrorCodeRaw, _ = d.firstErrorCode(errs)
	return nil
}

func (d *Decoder) metaMessage(m *fastjson.Value, b *model.Event) *ParseError {
	mo, err := m.Object()
	if err != nil {
		return errArrayType
	}
	var id, from, fromUID, typ []byte
	var ts, referral, ctx, text, button, interactive, errs *fastjson.Value
	mo.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "id":
			id = v.GetStringBytes()
		case "from":
			from = v.GetStringBytes()
		case "from_user_id":
			fromUID = v.GetStringBytes()
		case "type":
			typ = v.GetStringBytes()
		case "timestamp":
			ts = v
		case "referral":
			referral = v
		case "context":
			ctx = v
		case "text":
			text = v
		case "button":
			button = v
		case "interactive":
			interactive = v
		case "errors":
			errs = v
		}
	})
	if len(id) == 0 {
		return errMsgID
	}
	if len(from) == 0 && len(fromUID) == 0 {
		return errMsgFrom // neither a phone number nor a BSUID
	}
	t, r := unixTime(ts)
	switch r {
	case ReasonMissingField:
		return errMsgTimeMiss
	case ReasonBadTimestamp:
		return errMsgTimeBad
	}
	ev := d.add(b)
	ev.Kind = model.KindInbound
	ev.MessageID = id
	ev.Customer = from
	ev.CustomerUserID = fromUID
	ev.Time = t
	if typ == nil {
		ev.MessageType = model.MessageTypeOther
	} else {
		ev.MessageType = model.ParseMessageType(typ)
	}
	if referral != nil && referral.Type() == fastjson.TypeObject {
		ev.Referral = true
	}
	if ctx != nil && ctx.Type() == fastjson.TypeObject {
		ev.ContextID = ctx.GetStringBytes("id")
	}
	metaContent(ev, text, button, interactive)
	var hasErr bool
	ev.ErrorCode, ev.ErrorCodeRaw, hasErr = d.firstErrorCode(errs)
	if hasErr && typ == nil {
		ev.MessageType = model.MessageTypeUnsupported
	}
	return nil
}

// metaConversation reads a status's conversation object (an object) into ev.
func metaConversation(ev *model.Event, conv *fastjson.Value) {
	co, _ := conv.Object()
	co.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "id":
			ev.ConversationID = v.GetStringBytes()
		case "expiration_timestamp":
			ev.ConversationExpiry = optUnix(v)
		case "origin":
			ev.ConversationOrigin = model.ParseCategory(v.GetStringBytes("type"))
		}
	})
}

// metaPricing reads a status's pricing object (an object) into ev.
func metaPricing(ev *model.Event, pr *fastjson.Value) {
	po, _ := pr.Object()
	po.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "billable":
			switch v.Type() {
			case fastjson.TypeTrue:
				ev.Billable = 1
			case fastjson.TypeFalse:
				ev.Billable = -1
			}
		case "pricing_model":
			ev.PricingModel = model.ParsePricingModel(v.GetStringBytes())
		case "type":
			ev.PricingType = model.ParsePricingType(v.GetStringBytes())
		case "category":
			ev.Category = model.ParseCategory(v.GetStringBytes())
		}
	})
}

// firstErrorCode reads the code of the first item of an errors array, as errorCode does;
// ok is false when errs is not an array whose first item is an object.
func (d *Decoder) firstErrorCode(errs *fastjson.Value) (code int64, raw []byte, ok bool) {
	if errs == nil || errs.Type() != fastjson.TypeArray {
		return 0, nil, false
	}
	arr, _ := errs.Array()
	if len(arr) == 0 || arr[0].Type() != fastjson.TypeObject {
		return 0, nil, false
	}
	code, raw = d.errorCode(arr[0].Get("code"))
	return code, raw, true
}

// metaContent sets the contents a message of ev.MessageType keeps: the text body, the
// button payload (else its text), or the id of the first interactive reply present.
func metaContent(ev *model.Event, text, button, interactive *fastjson.Value) {
	switch ev.MessageType {
	case model.MessageTypeText:
		if text != nil && text.Type() == fastjson.TypeObject {
			ev.Text = text.GetStringBytes("body")
		}
	case model.MessageTypeButton:
		if button != nil && button.Type() == fastjson.TypeObject {
			ev.Payload = button.GetStringBytes("payload")
			if ev.Payload == nil {
				ev.Payload = button.GetStringBytes("text")
			}
		}
	case model.MessageTypeInteractive:
		if interactive != nil && interactive.Type() == fastjson.TypeObject {
			for _, k := range interactiveReplies {
				if r := interactive.Get(k); r != nil && r.Type() == fastjson.TypeObject {
					ev.Payload = r.GetStringBytes("id")
					break
				}
			}
		}
	}
}

var interactiveReplies = [...]string{"button_reply", "list_reply"}

func (d *Decoder) userPreferences(ups *fastjson.Value, b *model.Event) {
	if ups == nil {
		return // no entries: counted as an "other" event of this field
	}
	arr, err := ups.Array()
	if err != nil {
		d.fail(errArrayType)
		return
	}
	for _, u := range arr {
		if u.Type() != fastjson.TypeObject {
			d.fail(errArrayType)
			continue
		}
		wa, uid := u.GetStringBytes("wa_id"), u.GetStringBytes("user_id")
		if len(wa) == 0 && len(uid) == 0 {
			d.fail(errPrefWaID)
			continue
		}
		cat := u.GetStringBytes("category")
		if len(cat) > 0 && !bytes.EqualFold(cat, marketingMessages) {
			// A preference about something we do not model: counted, not interpreted.
			ev := d.add(b)
			ev.Kind = model.KindOther
			ev.Customer, ev.CustomerUserID = wa, uid
			ev.Time = optUnix(u.Get("timestamp"))
			continue
		}
		var pref model.Preference
		var buf [32]byte
		switch string(lower(&buf, u.GetStringBytes("value"))) {
		case "stop":
			pref = model.PreferenceStop
		case "resume":
			pref = model.PreferenceResume
		default:
			d.fail(errPrefValue)
			continue
		}
		t, r := unixTime(u.Get("timestamp"))
		if r == ReasonBadTimestamp {
			d.fail(errPrefTimeBad)
			continue
		}
		ev := d.add(b)
		ev.Kind = model.KindUserPreference
		ev.Customer, ev.CustomerUserID = wa, uid
		ev.Preference = pref
		ev.Time = t
	}
}

var marketingMessages = []byte("marketing_messages")

// tryOnPrem decodes the legacy On-Premises body: top-level statuses / messages / contacts
// (and value-level errors), with no metadata, so Business is Options.Business.
//
// Recognised by: a `statuses` array holding an object with `id` or `recipient_id`, a
// `messages` array holding one with `id` or `from`, or a `contacts` array holding one with
// `wa_id`. Other providers use these names too (Sinch's WhatsApp and SMS callbacks have
// top-level `statuses` of message_id/recipient items): without the markers a body is
// unknown_format, not an On-Premises body missing its fields.
func (d *Decoder) tryOnPrem(tk *top, recvTime int64) bool {
	if !anyItemHas(tk.statuses, "id", "recipient_id") && !anyItemHas(tk.messages, "id", "from") &&
		!anyItemHas(tk.contacts, "wa_id", "") {
		return false
	}
	start, errBefore := len(d.events), d.nerr
	b := model.Event{Provider: model.ProviderOnPrem, Field: FieldMessages}
	d.messagesValue(&value{statuses: tk.statuses, messages: tk.messages, errors: tk.errors}, &b, recvTime)
	d.scanContacts(tk.contacts)
	applyContacts(d.events[start:], d.contacts)
	if len(d.events) == start && d.nerr == errBefore {
		// contacts only: a known shape with nothing we model.
		ev := d.add(&b)
		ev.Kind = model.KindOther
		ev.Time = recvTime
	}
	d.noteBody(start)
	d.fillBusiness(start)
	return true
}

// errorCode reads an error code given as a number or a string. A numeric code goes to the
// int; anything else is kept verbatim as raw.
func (d *Decoder) errorCode(v *fastjson.Value) (int64, []byte) {
	if v == nil {
		return 0, nil
	}
	switch v.Type() {
	case fastjson.TypeNumber:
		f, err := v.Float64()
		if err == nil && f >= -1e15 && f <= 1e15 && f == float64(int64(f)) {
			return int64(f), nil
		}
		return 0, scalarBytes(d, v)
	case fastjson.TypeString:
		s := v.GetStringBytes()
		if n, ok := parseInt(s); ok {
			return n, nil
		}
		if len(s) == 0 {
			return 0, nil
		}
		return 0, s
	}
	return 0, nil
}

// scalarBytes returns a string's bytes, or a number's text (rendered into the decoder's
// scratch buffer); nil for anything else.
func scalarBytes(d *Decoder, v *fastjson.Value) []byte {
	if v == nil {
		return nil
	}
	switch v.Type() {
	case fastjson.TypeString:
		return v.GetStringBytes()
	case fastjson.TypeNumber:
		n := len(d.scratch)
		d.scratch = v.MarshalTo(d.scratch)
		return d.scratch[n:len(d.scratch):len(d.scratch)]
	}
	return nil
}

// anyItemHas reports whether v is an array holding an object with member k1 or k2 (an
// empty k2 is no key). It is how detection recognises a provider by its item shape.
func anyItemHas(v *fastjson.Value, k1, k2 string) bool {
	if v == nil || v.Type() != fastjson.TypeArray {
		return false
	}
	arr, _ := v.Array()
	for _, it := range arr {
		o, err := it.Object()
		if err != nil {
			continue
		}
		if o.Get(k1) != nil || (k2 != "" && o.Get(k2) != nil) {
			return true
		}
	}
	return false
}
