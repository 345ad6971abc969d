package webhook

import (
	"bytes"

	"github.com/valyala/fastjson"
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
)

// Fields returns every value Event.Field can take, for pre-initialising label grids.
func Fields() []string {
	return []string{FieldMessages, FieldUserPreferences, FieldPhoneNumberQualityUpdate,
		FieldMessageTemplateStatusUpdate, FieldAccountUpdate, FieldBusinessCapabilityUpdate, FieldOther}
}

var wabaObject = []byte("whatsapp_business_account")

// tryMeta decodes the Cloud API shape: {object, entry[]}, or a bare entry {id, changes[]}.
// It returns false, having looked only at top-level keys, when v is not of that shape.
func (d *Decoder) tryMeta(v *fastjson.Value, recvTime int64) bool {
	start := len(d.events)
	if obj := v.Get("object"); obj != nil {
		if !bytes.Equal(obj.GetStringBytes(), wabaObject) {
			// Another Graph API object (page, instagram, ...): a known shape, not ours.
			d.fail(errWrongObject)
			return true
		}
	}
	base := Event{Provider: ProviderMeta}
	var gsApp []byte
	if g := v.Get("gs_app_id"); g != nil {
		base.Provider = ProviderGupshup
		gsApp = scalarBytes(d, g)
	}
	if entries := v.Get("entry"); entries != nil {
		arr, err := entries.Array()
		if err != nil {
			d.fail(errEntry)
			return true
		}
		for _, e := range arr {
			d.metaEntry(e, &base, gsApp, recvTime)
		}
	} else if v.Get("changes") != nil {
		d.metaEntry(v, &base, gsApp, recvTime)
	} else if v.Get("object") != nil {
		d.fail(errEntry)
		return true
	} else {
		return false
	}
	d.fillBusiness(start)
	return true
}

func (d *Decoder) metaEntry(e *fastjson.Value, base *Event, gsApp []byte, recvTime int64) {
	if e.Type() != fastjson.TypeObject {
		d.fail(errEntryType)
		return
	}
	b := *base
	b.Account = scalarBytes(d, e.Get("id"))
	if len(b.Account) == 0 {
		b.Account = gsApp
	}
	entryTime := optUnix(e.Get("time"))
	if entryTime == 0 {
		entryTime = recvTime
	}
	changes := e.Get("changes")
	if changes == nil || changes.Type() != fastjson.TypeArray {
		d.fail(errChanges)
		return
	}
	arr, _ := changes.Array()
	for _, c := range arr {
		if c.Type() != fastjson.TypeObject {
			d.fail(errChangeType)
			continue
		}
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

func (d *Decoder) metaChange(c *fastjson.Value, entry *Event, entryTime int64) {
	b := *entry
	b.Field = fieldOf(c.GetStringBytes("field"))
	val := c.Get("value")
	if val == nil || val.Type() != fastjson.TypeObject {
		d.fail(errChangeValue)
		return
	}
	if md := val.Get("metadata"); md != nil && md.Type() == fastjson.TypeObject {
		b.Business = scalarBytes(d, md.Get("phone_number_id"))
		b.DisplayNumber = md.GetStringBytes("display_phone_number")
	}
	before, errBefore := len(d.events), d.nerr
	switch b.Field {
	case FieldMessages:
		d.messagesValue(val, &b, entryTime)
	case FieldUserPreferences:
		d.userPreferences(val, &b)
	case FieldPhoneNumberQualityUpdate, FieldBusinessCapabilityUpdate:
		ev := d.add(&b)
		ev.Kind = KindQualityUpdate
		ev.Time = entryTime
		if dn := val.GetStringBytes("display_phone_number"); dn != nil {
			ev.DisplayNumber = dn
		}
		ev.EventName = val.GetStringBytes("event")
		for _, k := range limitKeys {
			if l := scalarBytes(d, val.Get(k)); len(l) > 0 {
				ev.Limit = l
				break
			}
		}
		for _, k := range ratingKeys {
			if r := val.GetStringBytes(k); len(r) > 0 {
				ev.Rating = ParseRating(r)
				break
			}
		}
	case FieldMessageTemplateStatusUpdate, FieldAccountUpdate:
		name := val.GetStringBytes("event")
		if len(name) == 0 {
			d.fail(errEventMissing)
			return
		}
		ev := d.add(&b)
		ev.Kind = KindAccountUpdate
		if b.Field == FieldMessageTemplateStatusUpdate {
			ev.Kind = KindTemplateStatus
		}
		ev.Time = entryTime
		ev.EventName = name
	}
	if len(d.events) == before && d.nerr == errBefore {
		// A change we recognise but do not model (or one carrying nothing we model):
		// still one event, so that it is counted by field.
		ev := d.add(&b)
		ev.Kind = KindOther
		ev.Time = entryTime
	}
}

// Keys that carry the messaging limit, newest naming last.
var limitKeys = [...]string{"current_limit", "max_daily_conversation_per_phone", "max_daily_conversations_per_business"}

// Keys that may carry a quality rating in quality updates.
var ratingKeys = [...]string{"quality_rating", "current_quality_rating", "new_quality_score"}

// messagesValue decodes the value of a `messages` change, or an On-Premises body.
func (d *Decoder) messagesValue(val *fastjson.Value, b *Event, fallbackTime int64) {
	if s := val.Get("statuses"); s != nil {
		arr, err := s.Array()
		if err != nil {
			d.fail(errArrayType)
		}
		for _, st := range arr {
			if e := d.metaStatus(st, b); e != nil {
				d.fail(e)
			}
		}
	}
	if m := val.Get("messages"); m != nil {
		arr, err := m.Array()
		if err != nil {
			d.fail(errArrayType)
		}
		for _, msg := range arr {
			if e := d.metaMessage(msg, b); e != nil {
				d.fail(e)
			}
		}
	}
	if es := val.Get("errors"); es != nil {
		arr, err := es.Array()
		if err != nil {
			d.fail(errArrayType)
		}
		for _, x := range arr {
			if x.Type() != fastjson.TypeObject {
				d.fail(errArrayType)
				continue
			}
			code, raw := d.errorCode(x.Get("code"))
			if code == 0 && raw == nil {
				d.fail(errValueErrorCode)
				continue
			}
			ev := d.add(b)
			ev.Kind = KindWebhookError
			ev.Time = fallbackTime
			ev.ErrorCode, ev.ErrorCodeRaw = code, raw
		}
	}
}

func (d *Decoder) metaStatus(s *fastjson.Value, b *Event) *ParseError {
	if s.Type() != fastjson.TypeObject {
		return errArrayType
	}
	id := s.GetStringBytes("id")
	if len(id) == 0 {
		id = s.GetStringBytes("gs_id") // Gupshup v3 before Meta assigned an id
		if len(id) == 0 {
			return errStatusID
		}
	}
	stb := s.GetStringBytes("status")
	if stb == nil {
		return errStatusStatus
	}
	st := ParseStatus(stb)
	if st == StatusNone {
		return errStatusUnknown
	}
	t, r := unixTime(s.Get("timestamp"))
	switch r {
	case ReasonMissingField:
		return errStatusTimeMiss
	case ReasonBadTimestamp:
		return errStatusTimeBad
	}
	ev := d.add(b)
	ev.Kind = KindStatus
	ev.MessageID = id
	ev.Status = st
	ev.Time = t
	ev.Customer = s.GetStringBytes("recipient_id")
	if conv := s.Get("conversation"); conv != nil && conv.Type() == fastjson.TypeObject {
		ev.ConversationID = conv.GetStringBytes("id")
		ev.ConversationExpiry = optUnix(conv.Get("expiration_timestamp"))
		if o := conv.Get("origin"); o != nil && o.Type() == fastjson.TypeObject {
			ev.ConversationOrigin = ParseCategory(o.GetStringBytes("type"))
		}
	}
	if pr := s.Get("pricing"); pr != nil && pr.Type() == fastjson.TypeObject {
		switch bl := pr.Get("billable"); {
		case bl == nil:
		case bl.Type() == fastjson.TypeTrue:
			ev.Billable = 1
		case bl.Type() == fastjson.TypeFalse:
			ev.Billable = -1
		}
		ev.PricingModel = ParsePricingModel(pr.GetStringBytes("pricing_model"))
		ev.PricingType = ParsePricingType(pr.GetStringBytes("type"))
		ev.Category = ParseCategory(pr.GetStringBytes("category"))
	}
	if errs := s.Get("errors"); errs != nil && errs.Type() == fastjson.TypeArray {
		arr, _ := errs.Array()
		if len(arr) > 0 && arr[0].Type() == fastjson.TypeObject {
			ev.ErrorCode, ev.ErrorCodeRaw = d.errorCode(arr[0].Get("code"))
		}
	}
	return nil
}

func (d *Decoder) metaMessage(m *fastjson.Value, b *Event) *ParseError {
	if m.Type() != fastjson.TypeObject {
		return errArrayType
	}
	id := m.GetStringBytes("id")
	if len(id) == 0 {
		return errMsgID
	}
	from := m.GetStringBytes("from")
	if len(from) == 0 {
		return errMsgFrom
	}
	t, r := unixTime(m.Get("timestamp"))
	switch r {
	case ReasonMissingField:
		return errMsgTimeMiss
	case ReasonBadTimestamp:
		return errMsgTimeBad
	}
	ev := d.add(b)
	ev.Kind = KindInbound
	ev.MessageID = id
	ev.Customer = from
	ev.Time = t
	typ := m.GetStringBytes("type")
	if typ == nil {
		ev.MessageType = MessageTypeOther
	} else {
		ev.MessageType = ParseMessageType(typ)
	}
	if ref := m.Get("referral"); ref != nil && ref.Type() == fastjson.TypeObject {
		ev.Referral = true
	}
	if ctx := m.Get("context"); ctx != nil && ctx.Type() == fastjson.TypeObject {
		ev.ContextID = ctx.GetStringBytes("id")
	}
	switch ev.MessageType {
	case MessageTypeText:
		if tx := m.Get("text"); tx != nil && tx.Type() == fastjson.TypeObject {
			ev.Text = tx.GetStringBytes("body")
		}
	case MessageTypeButton:
		if bt := m.Get("button"); bt != nil && bt.Type() == fastjson.TypeObject {
			ev.Payload = bt.GetStringBytes("payload")
			if ev.Payload == nil {
				ev.Payload = bt.GetStringBytes("text")
			}
		}
	case MessageTypeInteractive:
		if it := m.Get("interactive"); it != nil && it.Type() == fastjson.TypeObject {
			for _, k := range interactiveReplies {
				if r := it.Get(k); r != nil && r.Type() == fastjson.TypeObject {
					ev.Payload = r.GetStringBytes("id")
					break
				}
			}
		}
	}
	if errs := m.Get("errors"); errs != nil && errs.Type() == fastjson.TypeArray {
		arr, _ := errs.Array()
		if len(arr) > 0 && arr[0].Type() == fastjson.TypeObject {
			ev.ErrorCode, ev.ErrorCodeRaw = d.errorCode(arr[0].Get("code"))
			if typ == nil {
				ev.MessageType = MessageTypeUnsupported
			}
		}
	}
	return nil
}

var interactiveReplies = [...]string{"button_reply", "list_reply"}

func (d *Decoder) userPreferences(val *fastjson.Value, b *Event) {
	ups := val.Get("user_preferences")
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
		wa := u.GetStringBytes("wa_id")
		if len(wa) == 0 {
			d.fail(errPrefWaID)
			continue
		}
		cat := u.GetStringBytes("category")
		if len(cat) > 0 && !bytes.EqualFold(cat, marketingMessages) {
			// A preference about something we do not model: counted, not interpreted.
			ev := d.add(b)
			ev.Kind = KindOther
			ev.Customer = wa
			ev.Time = optUnix(u.Get("timestamp"))
			continue
		}
		var pref Preference
		var buf [32]byte
		switch string(lower(&buf, u.GetStringBytes("value"))) {
		case "stop":
			pref = PreferenceStop
		case "resume":
			pref = PreferenceResume
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
		ev.Kind = KindUserPreference
		ev.Customer = wa
		ev.Preference = pref
		ev.Time = t
	}
}

var marketingMessages = []byte("marketing_messages")

// tryOnPrem decodes the legacy On-Premises body: top-level statuses / messages / contacts
// (and value-level errors), with no metadata, so Business is Options.Business.
func (d *Decoder) tryOnPrem(v *fastjson.Value, recvTime int64) bool {
	if v.Get("statuses") == nil && v.Get("messages") == nil && v.Get("contacts") == nil {
		return false
	}
	start, errBefore := len(d.events), d.nerr
	b := Event{Provider: ProviderOnPrem, Field: FieldMessages}
	d.messagesValue(v, &b, recvTime)
	if len(d.events) == start && d.nerr == errBefore {
		// contacts only: a known shape with nothing we model.
		ev := d.add(&b)
		ev.Kind = KindOther
		ev.Time = recvTime
	}
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
