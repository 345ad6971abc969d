package webhook

import (
	"github.com/valyala/fastjson"
	"github.com/waba-exporter/waba_exporter/model"
)

// tryGupshup decodes the Gupshup v2 envelope {app, timestamp(ms), version, type, payload}:
// `message-event` (outbound statuses), `message` (inbound), `billing-event`, and
// `user-event` (opt-in/opt-out). It returns false when the top-level keys say otherwise.
// Business is the app name (the only business identity the v2 body carries).
func (d *Decoder) tryGupshup(tk *top, recvTime int64) bool {
	if tk.app == nil || tk.typ == nil || tk.payload == nil || tk.typ.Type() != fastjson.TypeString {
		return false
	}
	start := len(d.events)
	pl := tk.payload
	if pl.Type() != fastjson.TypeObject {
		d.fail(errGupshupPayload)
		return true
	}
	b := model.Event{Provider: model.ProviderGupshup, Field: FieldMessages, Business: scalarBytes(d, tk.app)}
	// The envelope time is the event time where the payload has no better one.
	envTime := recvTime
	if tk.timestamp != nil {
		t, r := unixTime(tk.timestamp)
		if r == ReasonBadTimestamp {
			d.fail(errGupshupTimeBad)
			return true
		}
		if r == ReasonNone {
			envTime = t
		}
	}
	var buf [32]byte
	switch string(lower(&buf, tk.typ.GetStringBytes())) {
	case "message-event":
		d.gupshupStatus(pl, &b, envTime)
	case "message":
		d.gupshupInbound(pl, &b, envTime)
	case "billing-event":
		d.gupshupBilling(pl, &b, envTime)
	case "user-event":
		d.gupshupUserEvent(pl, &b, envTime)
	default:
		ev := d.add(&b)
		ev.Kind = model.KindOther
		ev.Field = FieldOther
		ev.Time = envTime
	}
	d.noteBody(start)
	d.fillBusiness(start)
	return true
}

// gupshupStatus decodes a message-event payload:
// {id, gsId, type, destination, payload{ts | code,reason | whatsappMessageId,type}, conversation, pricing}.
func (d *Decoder) gupshupStatus(pl *fastjson.Value, b *model.Event, envTime int64) {
	// The id that stays the same across a message's events is Gupshup's own: gsId on
	// Meta-side events, id on enqueued and synchronously failed ones.
	id := pl.GetStringBytes("gsId")
	if len(id) == 0 {
		id = pl.GetStringBytes("id")
	}
	if len(id) == 0 {
		d.fail(errGupshupID)
		return
	}
	var st model.Status
	var buf [32]byte
	switch string(lower(&buf, pl.GetStringBytes("type"))) {
	case "enqueued":
		st = model.StatusAccepted
	case "sent":
		st = model.StatusSent
	case "delivered":
		st = model.StatusDelivered
	case "read":
		st = model.StatusRead
	case "failed":
		st = model.StatusFailed
	case "deleted":
		st = model.StatusDeleted
	default:
		d.fail(errGupshupStatus)
		return
	}
	inner := pl.Get("payload")
	t := envTime
	if inner != nil && inner.Type() == fastjson.TypeObject {
		if ts := inner.Get("ts"); ts != nil {
			var r Reason
			if t, r = unixTime(ts); r != ReasonNone {
				d.fail(errGupshupTimeBad)
				return
			}
		}
	}
	ev := d.add(b)
	ev.Kind = model.KindStatus
	ev.Status = st
	ev.MessageID = id
	ev.Time = t
	ev.Customer = scalarBytes(d, pl.Get("destination"))
	if inner != nil && inner.Type() == fastjson.TypeObject {
		if st == model.StatusFailed {
			// Sync failures carry Gupshup's own codes (1xxx), async ones Meta's.
			ev.ErrorCode, ev.ErrorCodeRaw = d.errorCode(inner.Get("code"))
		}
		if st == model.StatusAccepted {
			var tb [32]byte
			if string(lower(&tb, inner.GetStringBytes("type"))) == "session" {
				// A session (free-form) message is a service message; Gupshup only says
				// so on enqueued, Meta-side events carry no category.
				ev.Category = model.CategoryService
				ev.PricingInferred = true
			}
		}
	}
	if conv := pl.Get("conversation"); conv != nil && conv.Type() == fastjson.TypeObject {
		ev.ConversationID = conv.GetStringBytes("id")
		ev.ConversationExpiry = optUnix(conv.Get("expiresAt"))
		ev.ConversationOrigin = model.ParseCategory(conv.GetStringBytes("type"))
	}
	if pr := pl.Get("pricing"); pr != nil && pr.Type() == fastjson.TypeObject {
		ev.PricingModel = model.ParsePricingModel(pr.GetStringBytes("policy"))
		ev.Category = model.ParseCategory(pr.GetStringBytes("category"))
		ev.PricingInferred = false
	}
}

// gupshupInbound decodes a message payload: {id, source, type, payload{...}, sender, context}.
func (d *Decoder) gupshupInbound(pl *fastjson.Value, b *model.Event, envTime int64) {
	id := pl.GetStringBytes("id")
	if len(id) == 0 {
		d.fail(errGupshupID)
		return
	}
	src := scalarBytes(d, pl.Get("source"))
	if len(src) == 0 {
		src = scalarBytes(d, pl.Get("sender", "phone"))
	}
	if len(src) == 0 {
		d.fail(errGupshupSource)
		return
	}
	ev := d.add(b)
	ev.Kind = model.KindInbound
	ev.MessageID = id
	ev.Customer = src
	ev.Time = envTime
	typ := pl.GetStringBytes("type")
	ev.MessageType = model.MessageTypeOther
	if typ != nil {
		ev.MessageType = model.ParseMessageType(typ)
	}
	inner := pl.Get("payload")
	if inner != nil && inner.Type() != fastjson.TypeObject {
		inner = nil
	}
	if ctx := pl.Get("context"); ctx != nil && ctx.Type() == fastjson.TypeObject {
		ev.ContextID = ctx.GetStringBytes("id")
	}
	if ref := pl.Get("referral"); ref != nil && ref.Type() == fastjson.TypeObject {
		ev.Referral = true
	}
	if inner == nil {
		return
	}
	if ref := inner.Get("referral"); ref != nil && ref.Type() == fastjson.TypeObject {
		ev.Referral = true
	}
	var buf [32]byte
	lt := lower(&buf, typ)
	switch string(lt) {
	case "text":
		ev.Text = inner.GetStringBytes("text")
	case "quick_reply", "button_reply", "list_reply":
		// postbackText is the developer's payload; id the developer's row/button id.
		ev.Payload = inner.GetStringBytes("postbackText")
		if len(ev.Payload) == 0 {
			ev.Payload = inner.GetStringBytes("id")
		}
		if len(ev.Payload) == 0 {
			ev.Payload = inner.GetStringBytes("text")
		}
		if string(lt) == "quick_reply" {
			ev.MessageType = model.MessageTypeButton
		}
	}
}

// gupshupBilling decodes a billing-event payload into a pricing report for the message it
// bills: Kind KindStatus with Status StatusNone and Billing set, MessageID the billed
// message's Gupshup id (references.gsId, else references.id: the id its message-events
// carry), Customer references.destination, Time the envelope's. Gupshup documents
//
//	deductions {model, type, category, conversationType, billable, source}
//	references {id, gsId, conversationId, destination}
//
// where, per era:
//   - CBP (model CBP; NBP before 2022 is no model we know): type is the conversation's
//     category (marketing, utility, authentication, service, marketing_lite; FEP a free
//     entry point conversation, i.e. referral_conversion; FTC a free tier conversation of
//     unknown category). It is Category and, with conversationId, the conversation origin
//     (conversationType, when given, is the origin instead);
//   - PMP (model PMP, since 2025-07-01): type is the pricing type (regular,
//     free_customer_service, free_entry_point), category the message's category, and there
//     is no conversation.
//
// Either way a type that is a pricing type goes to PricingType, and category, when given,
// is the Category. billable is a boolean (a "true"/"false" string is accepted). A billing
// event that names no message is missing_field.
func (d *Decoder) gupshupBilling(pl *fastjson.Value, b *model.Event, envTime int64) {
	var id, dest, convID []byte
	if ref := pl.Get("references"); ref != nil && ref.Type() == fastjson.TypeObject {
		id = ref.GetStringBytes("gsId")
		if len(id) == 0 {
			id = ref.GetStringBytes("id")
		}
		dest = scalarBytes(d, ref.Get("destination"))
		convID = ref.GetStringBytes("conversationId")
	}
	if len(id) == 0 {
		d.fail(errGupshupID)
		return
	}
	ev := d.add(b)
	ev.Kind = model.KindStatus
	ev.Status = model.StatusNone
	ev.Billing = true
	ev.MessageID = id
	ev.Customer = dest
	ev.Time = envTime
	ev.ConversationID = convID
	ded := pl.Get("deductions")
	if ded == nil || ded.Type() != fastjson.TypeObject {
		return
	}
	ev.PricingModel = model.ParsePricingModel(ded.GetStringBytes("model"))
	typ := ded.GetStringBytes("type")
	var typCat model.Category
	if pt := model.ParsePricingType(typ); pt != model.PricingTypeNone {
		ev.PricingType = pt
	} else {
		typCat = billingCategory(typ)
	}
	ev.Category = typCat
	if c := ded.GetStringBytes("category"); len(c) > 0 {
		ev.Category = model.ParseCategory(c)
	}
	if ev.PricingModel != model.PricingModelPMP {
		ev.ConversationOrigin = typCat
	}
	if ct := ded.GetStringBytes("conversationType"); len(ct) > 0 {
		ev.ConversationOrigin = billingCategory(ct)
	}
	switch bl := ded.Get("billable"); {
	case bl == nil:
	case bl.Type() == fastjson.TypeTrue:
		ev.Billable = 1
	case bl.Type() == fastjson.TypeFalse:
		ev.Billable = -1
	case bl.Type() == fastjson.TypeString:
		var buf [32]byte
		switch string(lower(&buf, bl.GetStringBytes())) {
		case "true":
			ev.Billable = 1
		case "false":
			ev.Billable = -1
		}
	}
}

// billingCategory maps a CBP conversation type of a Gupshup billing event to a Category:
// the pricing categories, and Gupshup's FEP (free entry point) and FTC (free tier).
func billingCategory(b []byte) model.Category {
	var buf [32]byte
	switch string(lower(&buf, b)) {
	case "fep":
		return model.CategoryReferralConversion
	case "ftc":
		return model.CategoryUnknown
	}
	return model.ParseCategory(b)
}

// gupshupUserEvent decodes a user-event payload {phone, type: opted-in|opted-out|...}:
// opting out of (in to) the business's messages is a marketing stop (resume).
func (d *Decoder) gupshupUserEvent(pl *fastjson.Value, b *model.Event, envTime int64) {
	ev := d.add(b)
	ev.Field = FieldUserPreferences
	ev.Time = envTime
	ev.Customer = scalarBytes(d, pl.Get("phone"))
	var buf [32]byte
	switch string(lower(&buf, pl.GetStringBytes("type"))) {
	case "opted-out", "opted_out":
		ev.Kind, ev.Preference = model.KindUserPreference, model.PreferenceStop
	case "opted-in", "opted_in":
		ev.Kind, ev.Preference = model.KindUserPreference, model.PreferenceResume
	default:
		ev.Kind = model.KindOther // sandbox-start and the like
	}
	if ev.Kind == model.KindUserPreference && len(ev.Customer) == 0 {
		ev.Kind, ev.Preference = model.KindOther, model.PreferenceNone
	}
}
