package webhook

import (
	"bytes"

	"github.com/valyala/fastjson"
	"github.com/waba-exporter/waba_exporter/model"
)

// tryInfobip decodes Infobip WhatsApp webhooks: {results[]} holding delivery reports
// (status.groupName), seen reports (seenAt), deletion reports (deletedAt) or inbound
// messages (receivedAt/message), and template events {messageTemplateId, change}. Times
// are ISO-8601. Business: the registered business number where the body names it (`to`
// of inbound and seen reports); delivery reports name only the customer, so Business
// is Options.Business there.
//
// Recognised by: a `results` array that is empty or holds an object with `messageId` or a
// `status` object with `groupName`, or `messageTemplateId` with `change`. Other `results`
// bodies are unknown_format.
func (d *Decoder) tryInfobip(v *fastjson.Value, tk *top, recvTime int64) bool {
	start := len(d.events)
	switch {
	case tk.results != nil && infobipResults(tk.results):
		arr, err := tk.results.Array()
		if err != nil {
			d.fail(errArrayType)
			return true
		}
		for _, r := range arr {
			if e := d.infobipResult(r); e != nil {
				d.fail(e)
			}
		}
		if len(arr) == 0 {
			d.add(&model.Event{Provider: model.ProviderInfobip, Field: FieldMessages, Kind: model.KindOther, Time: recvTime})
		}
	case tk.templateID != nil && tk.change != nil:
		ev := d.add(&model.Event{Provider: model.ProviderInfobip, Field: FieldMessageTemplateStatusUpdate, Kind: model.KindTemplateStatus})
		ev.Time = recvTime
		if t, r := isoTime(tk.timestamp); r == ReasonNone {
			ev.Time = t
		}
		if tk.change.Type() == fastjson.TypeObject {
			ev.EventName = tk.change.GetStringBytes("newStatus")
			if len(ev.EventName) == 0 {
				ev.EventName = tk.change.GetStringBytes("type")
			}
		}
	default:
		return false
	}
	d.noteBody(start)
	d.fillBusiness(start)
	return true
}

// infobipResults reports whether a results value carries Infobip's markers.
func infobipResults(v *fastjson.Value) bool {
	if v.Type() != fastjson.TypeArray {
		return false
	}
	arr, _ := v.Array()
	if len(arr) == 0 {
		return true // an empty report list: Infobip's, nothing in it
	}
	if anyItemHas(v, "messageId", "") {
		return true
	}
	for _, it := range arr {
		if it.Type() != fastjson.TypeObject {
			continue
		}
		if st := it.Get("status"); st != nil && st.Type() == fastjson.TypeObject && st.Get("groupName") != nil {
			return true
		}
	}
	return false
}

// isoTime reads an ISO-8601 string, or a number / digit string of unix s or ms.
func isoTime(v *fastjson.Value) (int64, Reason) {
	if v == nil {
		return 0, ReasonMissingField
	}
	if v.Type() == fastjson.TypeString {
		if t, ok := parseISO8601(v.GetStringBytes()); ok {
			return t, ReasonNone
		}
	}
	return unixTime(v)
}

func (d *Decoder) infobipResult(r *fastjson.Value) *ParseError {
	ro, err := r.Object()
	if err != nil {
		return errInfobipResult
	}
	var id, from, to, sender, tag []byte
	var status, errObj, price, message, doneAt, sentAt, seenAt, deletedAt, receivedAt *fastjson.Value
	ro.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "messageId":
			id = v.GetStringBytes()
		case "callbackData":
			tag = v.GetStringBytes() // the send's callbackData, echoed like Meta's tag
		case "from":
			from = scalarBytes(d, v)
		case "to":
			to = scalarBytes(d, v)
		case "sender":
			sender = scalarBytes(d, v)
		case "status":
			status = v
		case "error":
			errObj = v
		case "price":
			price = v
		case "message":
			message = v
		case "doneAt":
			doneAt = v
		case "sentAt":
			sentAt = v
		case "seenAt":
			seenAt = v
		case "deletedAt":
			deletedAt = v
		case "receivedAt":
			receivedAt = v
		}
	})
	if len(id) == 0 {
		return errInfobipID
	}
	b := model.Event{Provider: model.ProviderInfobip, Field: FieldMessages, MessageID: id}
	switch {
	case status != nil && status.Type() == fastjson.TypeObject:
		st, raw := infobipStatus(status)
		if st == model.StatusNone {
			return errInfobipStatus
		}
		tv := doneAt
		if tv == nil {
			tv = sentAt
		}
		t, rr := isoTime(tv)
		if rr == ReasonMissingField {
			return errInfobipTimeMiss
		}
		if rr != ReasonNone {
			return errInfobipTimeBad
		}
		ev := d.add(&b)
		ev.Kind = model.KindStatus
		ev.Status = st
		ev.Time = t
		ev.Customer = to
		ev.Business = sender
		d.setTag(ev, tag)
		if st == model.StatusFailed {
			if errObj != nil && errObj.Type() == fastjson.TypeObject {
				ev.ErrorCode, ev.ErrorCodeRaw = d.errorCode(errObj.Get("id"))
				if ev.ErrorCode == 0 {
					ev.ErrorCodeRaw = errObj.GetStringBytes("name")
				}
			}
			if ev.ErrorCode == 0 && len(ev.ErrorCodeRaw) == 0 {
				ev.ErrorCodeRaw = raw // EXPIRED, REJECTED, UNDELIVERABLE
			}
		}
		// Infobip reports a price, not Meta's pricing: billable is read from it, and
		// marked inferred like everything the state machine fills in for this message.
		ev.PricingInferred = true
		if price != nil && price.Type() == fastjson.TypeObject {
			if p := price.Get("pricePerMessage"); p != nil && p.Type() == fastjson.TypeNumber {
				if f, _ := p.Float64(); f > 0 {
					ev.Billable = 1
				} else {
					ev.Billable = -1
				}
			}
		}
	case seenAt != nil || deletedAt != nil:
		st, tv := model.StatusRead, seenAt
		if seenAt == nil {
			st, tv = model.StatusDeleted, deletedAt
		}
		t, rr := isoTime(tv)
		if rr != ReasonNone {
			return errInfobipTimeBad
		}
		ev := d.add(&b)
		ev.Kind = model.KindStatus
		ev.Status = st
		ev.Time = t
		// Seen reports: `from` is the customer who saw it, `to` the business number.
		ev.Customer, ev.Business = from, to
		if len(ev.Customer) == 0 {
			ev.Customer = to
			ev.Business = sender
		}
		d.setTag(ev, tag)
		ev.PricingInferred = true
	case receivedAt != nil || message != nil:
		if len(from) == 0 {
			return errInfobipFrom
		}
		t, rr := isoTime(receivedAt)
		if rr == ReasonMissingField {
			return errInfobipTimeMiss
		}
		if rr != ReasonNone {
			return errInfobipTimeBad
		}
		ev := d.add(&b)
		ev.Kind = model.KindInbound
		ev.Time = t
		ev.Customer, ev.Business = from, to
		ev.MessageType = model.MessageTypeOther
		if message != nil && message.Type() == fastjson.TypeObject {
			d.infobipMessage(message, ev)
		}
	default:
		return errInfobipShape
	}
	return nil
}

// infobipStatus maps status{groupName, name} onto a Status, and returns the group name
// as the raw failure code.
func infobipStatus(s *fastjson.Value) (model.Status, []byte) {
	group := s.GetStringBytes("groupName")
	var buf [32]byte
	switch string(lower(&buf, group)) {
	case "pending":
		return model.StatusAccepted, group
	case "delivered":
		// Infobip's DELIVERED group holds DELIVERED_TO_OPERATOR (handed to WhatsApp,
		// Meta's `sent`) and DELIVERED_TO_HANDSET (Meta's `delivered`).
		if bytes.EqualFold(s.GetStringBytes("name"), deliveredToOperator) {
			return model.StatusSent, group
		}
		return model.StatusDelivered, group
	case "undeliverable", "expired", "rejected":
		return model.StatusFailed, group
	}
	return model.StatusNone, nil
}

var deliveredToOperator = []byte("DELIVERED_TO_OPERATOR")

// infobipMessage fills the inbound fields from message{type, text, payload, id, context, referral}.
func (d *Decoder) infobipMessage(m *fastjson.Value, ev *model.Event) {
	typ := m.GetStringBytes("type")
	var buf [32]byte
	lt := lower(&buf, typ)
	switch string(lt) {
	case "interactive_button_reply", "interactive_list_reply", "interactive_flow_reply", "interactive_product":
		ev.MessageType = model.MessageTypeInteractive
		ev.Payload = m.GetStringBytes("id")
	case "button", "quick_reply":
		ev.MessageType = model.MessageTypeButton
		ev.Payload = m.GetStringBytes("payload")
		if len(ev.Payload) == 0 {
			ev.Payload = m.GetStringBytes("text")
		}
	default:
		if len(typ) > 0 {
			ev.MessageType = model.ParseMessageType(typ)
		}
	}
	if ev.MessageType == model.MessageTypeText {
		ev.Text = m.GetStringBytes("text")
	}
	if ctx := m.Get("context"); ctx != nil && ctx.Type() == fastjson.TypeObject {
		ev.ContextID = ctx.GetStringBytes("id")
	}
	if ref := m.Get("referral"); ref != nil && ref.Type() == fastjson.TypeObject {
		ev.Referral = true
	}
}
