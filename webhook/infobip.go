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

// infobipItem holds the members of one results[] item that the decoder reads.
type infobipItem struct {
	id, from, to, sender, tag                     []byte
	status, errObj, price, message                *fastjson.Value
	doneAt, sentAt, seenAt, deletedAt, receivedAt *fastjson.Value
}

// scanInfobipItem reads the members of a results[] item (a repeated key: the last wins).
// from, to and sender may be numbers, rendered into scratch.
func (d *Decoder) scanInfobipItem(o *fastjson.Object) (it infobipItem) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "messageId":
			it.id = v.GetStringBytes()
		case "callbackData":
			it.tag = v.GetStringBytes() // the send's callbackData, echoed like Meta's tag
		case "from":
			it.from = scalarBytes(d, v)
		case "to":
			it.to = scalarBytes(d, v)
		case "sender":
			it.sender = scalarBytes(d, v)
		case "status":
			it.status = v
		case "error":
			it.errObj = v
		case "price":
			it.price = v
		case "message":
			it.message = v
		case "doneAt":
			it.doneAt = v
		case "sentAt":
			it.sentAt = v
		case "seenAt":
			it.seenAt = v
		case "deletedAt":
			it.deletedAt = v
		case "receivedAt":
			it.receivedAt = v
		}
	})
	return it
}

// infobipTime reads the required time of a report: errInfobipTimeMiss when absent,
// errInfobipTimeBad when unreadable.
func infobipTime(v *fastjson.Value) (int64, *ParseError) {
	t, r := isoTime(v)
	switch r {
	case ReasonNone:
		return t, nil
	case ReasonMissingField:
		return 0, errInfobipTimeMiss
	}
	return 0, errInfobipTimeBad
}

// infobipResult decodes one results[] item: a delivery report (a status object), a seen
// or deletion report (seenAt, deletedAt) or an inbound message (receivedAt, message).
// It returns the item's error, if any (the item then gives no event).
func (d *Decoder) infobipResult(r *fastjson.Value) *ParseError {
	ro, err := r.Object()
	if err != nil {
		return errInfobipResult
	}
	it := d.scanInfobipItem(ro)
	if len(it.id) == 0 {
		return errInfobipID
	}
	b := model.Event{Provider: model.ProviderInfobip, Field: FieldMessages, MessageID: it.id}
	switch {
	case it.status != nil && it.status.Type() == fastjson.TypeObject:
		return d.infobipDelivery(&it, &b)
	case it.seenAt != nil || it.deletedAt != nil:
		return d.infobipSeen(&it, &b)
	case it.receivedAt != nil || it.message != nil:
		return d.infobipInbound(&it, &b)
	}
	return errInfobipShape
}

// infobipDelivery adds the status event of a delivery report (customer: to; business:
// sender, which Infobip rarely sends).
func (d *Decoder) infobipDelivery(it *infobipItem, b *model.Event) *ParseError {
	st, raw := infobipStatus(it.status)
	if st == model.StatusNone {
		return errInfobipStatus
	}
	tv := it.doneAt
	if tv == nil {
		tv = it.sentAt
	}
	ev, e := d.addInfobipStatus(b, st, tv)
	if e != nil {
		return e
	}
	ev.Customer = it.to
	ev.Business = it.sender
	d.setTag(ev, it.tag)
	if st == model.StatusFailed {
		d.infobipFailure(ev, it.errObj, raw)
	}
	// Infobip reports a price, not Meta's pricing: billable is read from it, and
	// marked inferred like everything the state machine fills in for this message.
	ev.PricingInferred = true
	if price := it.price; price != nil && price.Type() == fastjson.TypeObject {
		if p := price.Get("pricePerMessage"); p != nil && p.Type() == fastjson.TypeNumber {
			if f, _ := p.Float64(); f > 0 {
				ev.Billable = 1
			} else {
				ev.Billable = -1
			}
		}
	}
	return nil
}

// addInfobipStatus adds a status event st of b at the report time tv; it adds nothing
// when tv is absent or unreadable (the error says which).
func (d *Decoder) addInfobipStatus(b *model.Event, st model.Status, tv *fastjson.Value) (*model.Event, *ParseError) {
	t, e := infobipTime(tv)
	if e != nil {
		return nil, e
	}
	ev := d.add(b)
	ev.Kind, ev.Status, ev.Time = model.KindStatus, st, t
	return ev, nil
}

// infobipFailure sets the error code of a failed delivery: error.id when numeric, else
// error.name, else the status group name (EXPIRED, REJECTED, UNDELIVERABLE).
func (d *Decoder) infobipFailure(ev *model.Event, errObj *fastjson.Value, group []byte) {
	if errObj != nil && errObj.Type() == fastjson.TypeObject {
		ev.ErrorCode, ev.ErrorCodeRaw = d.errorCode(errObj.Get("id"))
		if ev.ErrorCode == 0 {
			ev.ErrorCodeRaw = errObj.GetStringBytes("name")
		}
	}
	if ev.ErrorCode == 0 && len(ev.ErrorCodeRaw) == 0 {
		ev.ErrorCodeRaw = group
	}
}

// infobipSeen adds the read (seenAt) or deleted (deletedAt) status of a report.
func (d *Decoder) infobipSeen(it *infobipItem, b *model.Event) *ParseError {
	st, tv := model.StatusRead, it.seenAt
	if it.seenAt == nil {
		st, tv = model.StatusDeleted, it.deletedAt
	}
	ev, e := d.addInfobipStatus(b, st, tv) // tv is present: a bad time is the only error
	if e != nil {
		return e
	}
	// Seen reports: `from` is the customer who saw it, `to` the business number.
	ev.Customer, ev.Business = it.from, it.to
	if len(ev.Customer) == 0 {
		ev.Customer = it.to
		ev.Business = it.sender
	}
	d.setTag(ev, it.tag)
	ev.PricingInferred = true
	return nil
}

// infobipInbound adds the event of an inbound message (customer: from; business: to).
func (d *Decoder) infobipInbound(it *infobipItem, b *model.Event) *ParseError {
	if len(it.from) == 0 {
		return errInfobipFrom
	}
	t, e := infobipTime(it.receivedAt)
	if e != nil {
		return e
	}
	ev := d.add(b)
	ev.Kind = model.KindInbound
	ev.Time = t
	ev.Customer, ev.Business = it.from, it.to
	ev.MessageType = model.MessageTypeOther
	if it.message != nil && it.message.Type() == fastjson.TypeObject {
		d.infobipMessage(it.message, ev)
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
