package webhook

import (
	"bytes"

	"github.com/waba-exporter/waba_exporter/model"
)

// looksLikeForm reports whether b could be an application/x-www-form-urlencoded body:
// only URL-safe bytes, and a `key=` before the first `&`.
func looksLikeForm(b []byte) bool {
	eq := false
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '=':
			if i == 0 {
				return false
			}
			eq = true
		case c == '&' || c == '%' || c == '+' || c == '-' || c == '_' || c == '.' || c == '~' ||
			c == '*' || c == '!' || c == '\'' || c == '(' || c == ')' || c == ',' || c == ';' ||
			c == ':' || c == '@' || c == '/' || c == '?' || c == '$':
		default:
			return false
		}
	}
	return eq
}

// twilioForm holds the raw (still encoded) values of the Twilio fields we read.
type twilioForm struct {
	messageSid, smsSid, smsMessageSid, messageStatus, smsStatus, eventType []byte
	from, to, errorCode, waID, numMedia, mediaType0, latitude              []byte
	buttonPayload, buttonText, listID, body, repliedSid, messageType       []byte
	channelPrefix                                                          []byte
	referral                                                               bool
}

var (
	whatsappPrefix = []byte("whatsapp:")
	whatsappWord   = []byte("whatsapp")
)

// decodeTwilio decodes a form-encoded Twilio messaging callback: a status callback
// (MessageStatus/SmsStatus) or an incoming message (SmsStatus=received). Bodies carry no
// time: Time is recvTime (the envelope's receive time, else the caller's read time).
func (d *Decoder) decodeTwilio(body []byte, recvTime int64) {
	f, ok := parseTwilioForm(body)
	if !ok {
		d.fail(errTwilioForm)
		return
	}
	d.buildTwilio(&f, recvTime)
}

// parseTwilioForm splits a form body into the raw values of the fields we read. ok is
// false when the body has none of Twilio's message fields (MessageSid, SmsSid,
// SmsMessageSid, MessageStatus, SmsStatus).
func parseTwilioForm(body []byte) (f twilioForm, ok bool) {
	for len(body) > 0 {
		var pair []byte
		if i := bytes.IndexByte(body, '&'); i >= 0 {
			pair, body = body[:i], body[i+1:]
		} else {
			pair, body = body, nil
		}
		eq := bytes.IndexByte(pair, '=')
		if eq <= 0 {
			continue
		}
		var kb [64]byte
		if f.set(formKey(&kb, pair[:eq]), pair[eq+1:]) {
			ok = true
		}
	}
	return f, ok
}

// set records the value of one form field and reports whether the key is one of
// Twilio's message fields. Unknown keys are ignored; a repeated key keeps the last value.
func (f *twilioForm) set(key, val []byte) (message bool) {
	switch string(key) {
	case "MessageSid":
		f.messageSid = val
	case "SmsSid":
		f.smsSid = val
	case "SmsMessageSid":
		f.smsMessageSid = val
	case "MessageStatus":
		f.messageStatus = val
	case "SmsStatus":
		f.smsStatus = val
	default:
		f.setOther(key, val)
		return false
	}
	return true
}

// setOther records the value of a field other than the message fields.
func (f *twilioForm) setOther(key, val []byte) {
	switch string(key) {
	case "EventType":
		f.eventType = val
	case "From":
		f.from = val
	case "To":
		f.to = val
	case "ErrorCode":
		f.errorCode = val
	case "WaId":
		f.waID = val
	case "NumMedia":
		f.numMedia = val
	case "MediaContentType0":
		f.mediaType0 = val
	case "Latitude":
		f.latitude = val
	case "ButtonPayload":
		f.buttonPayload = val
	case "ButtonText":
		f.buttonText = val
	case "ListId":
		f.listID = val
	case "Body":
		f.body = val
	case "OriginalRepliedMessageSid":
		f.repliedSid = val
	case "MessageType":
		f.messageType = val
	case "ChannelPrefix":
		f.channelPrefix = val
	case "ReferralCtwaClid", "ReferralSourceId", "ReferralSourceUrl", "ReferralSourceType", "ReferralHeadline", "ReferralBody":
		f.referral = f.referral || len(val) > 0
	case "ReferralNumMedia":
		f.referral = f.referral || (len(val) > 0 && !(len(val) == 1 && val[0] == '0'))
	}
}

// encodedLen is the length of every raw value that may be decoded into scratch.
func (f *twilioForm) encodedLen() int {
	return len(f.messageSid) + len(f.smsSid) + len(f.smsMessageSid) + len(f.messageStatus) +
		len(f.smsStatus) + len(f.eventType) + len(f.from) + len(f.to) + len(f.errorCode) + len(f.waID) +
		len(f.numMedia) + len(f.mediaType0) + len(f.buttonPayload) + len(f.buttonText) + len(f.listID) +
		len(f.body) + len(f.repliedSid) + len(f.messageType) + len(f.channelPrefix)
}

// firstUnform returns the first of vs that is not empty once decoded (nil if none).
func (d *Decoder) firstUnform(vs ...[]byte) []byte {
	for _, v := range vs {
		if u := d.unform(v); len(u) > 0 {
			return u
		}
	}
	return nil
}

// buildTwilio makes the event of a parsed Twilio form: one event, or an error when the
// message id, the status or (inbound) the customer is missing, or the status is unknown.
// A callback that is not WhatsApp (SMS/MMS logged alongside) is counted as KindOther.
func (d *Decoder) buildTwilio(f *twilioForm, recvTime int64) {
	// Values are unescaped into scratch, which is sized first so that it never moves
	// while events point into it.
	d.reserve(f.encodedLen())
	id := d.firstUnform(f.messageSid, f.smsSid, f.smsMessageSid)
	if len(id) == 0 {
		d.fail(errTwilioSid)
		return
	}
	status := d.firstUnform(f.messageStatus, f.smsStatus)
	if len(status) == 0 {
		d.fail(errTwilioStatus)
		return
	}
	from, fromWA := stripWhatsApp(d.unform(f.from))
	to, toWA := stripWhatsApp(d.unform(f.to))
	whatsapp := fromWA || toWA || bytes.EqualFold(d.unform(f.channelPrefix), whatsappWord)

	start := len(d.events)
	defer d.noteBody(start)
	ev := d.add(&model.Event{Provider: model.ProviderTwilio, Field: FieldMessages})
	ev.MessageID = id
	ev.Time = recvTime
	if !whatsapp {
		// An SMS/MMS callback logged next to WhatsApp traffic: counted, not modelled.
		ev.Kind = model.KindOther
		ev.Field = FieldOther
		return
	}
	var buf [32]byte
	switch string(lower(&buf, status)) {
	case "received", "receiving":
		d.twilioInbound(ev, f, from, to)
	default:
		d.twilioStatusEvent(ev, f, status, from, to)
	}
}

// twilioInbound completes ev as an incoming message (business: To, customer: From or
// WaId); without a customer the event is dropped with errTwilioAddr.
func (d *Decoder) twilioInbound(ev *model.Event, f *twilioForm, from, to []byte) {
	ev.Kind = model.KindInbound
	ev.Business = to
	ev.Customer = from
	if len(ev.Customer) == 0 {
		ev.Customer = d.unform(f.waID)
	}
	if len(ev.Customer) == 0 {
		d.drop()
		d.fail(errTwilioAddr)
		return
	}
	ev.MessageType = twilioMessageType(d, f)
	ev.Referral = f.referral
	ev.ContextID = d.unform(f.repliedSid)
	ev.Payload = d.firstUnform(f.buttonPayload, f.listID)
	if ev.MessageType == model.MessageTypeText {
		ev.Text = d.unform(f.body)
	}
	if ev.MessageType == model.MessageTypeButton && len(ev.Payload) == 0 {
		ev.Payload = d.unform(f.buttonText)
	}
}

// twilioStatusEvent completes ev as a status callback (business: From, customer: To); an
// unknown status drops it with errTwilioUnknown. EventType=READ is a read receipt.
func (d *Decoder) twilioStatusEvent(ev *model.Event, f *twilioForm, status, from, to []byte) {
	ev.Kind = model.KindStatus
	ev.Business = from
	ev.Customer = to
	ev.Status = twilioStatus(status)
	var eb [32]byte
	if string(lower(&eb, d.unform(f.eventType))) == "read" && ev.Status != model.StatusFailed {
		ev.Status = model.StatusRead
	}
	if ev.Status == model.StatusNone {
		d.drop()
		d.fail(errTwilioUnknown)
		return
	}
	if code := d.unform(f.errorCode); len(code) > 0 {
		if n, ok := parseInt(code); ok {
			ev.ErrorCode = n
		} else {
			ev.ErrorCodeRaw = code
		}
	}
	// Twilio reports neither pricing nor conversations: everything of that kind the
	// state machine uses for this message is its own inference.
	ev.PricingInferred = true
}

// twilioStatus maps Twilio's message statuses onto ours: its own words, then the
// shared vocabulary (sent, delivered, read, failed, queued, accepted).
func twilioStatus(s []byte) model.Status {
	var buf [32]byte
	switch string(lower(&buf, s)) {
	case "undelivered":
		return model.StatusFailed
	case "scheduled", "sending", "canceled":
		// Before Meta has the message (canceled: it never will): seen, counted as nothing.
		return model.StatusAccepted
	}
	return model.ParseStatus(s)
}

// twilioMessageType uses Twilio's MessageType when sent, else infers the type from the
// media, location and button fields.
func twilioMessageType(d *Decoder, f *twilioForm) model.MessageType {
	if mt := d.unform(f.messageType); len(mt) > 0 {
		var buf [32]byte
		if string(lower(&buf, mt)) == "quick_reply" {
			return model.MessageTypeButton
		}
		return model.ParseMessageType(mt)
	}
	switch {
	case len(f.latitude) > 0:
		return model.MessageTypeLocation
	case len(f.buttonPayload) > 0 || len(f.buttonText) > 0:
		return model.MessageTypeButton
	case len(f.listID) > 0:
		return model.MessageTypeInteractive
	}
	if n, ok := parseInt(d.unform(f.numMedia)); ok && n > 0 {
		mt := d.unform(f.mediaType0)
		switch {
		case bytes.HasPrefix(mt, []byte("image/webp")):
			return model.MessageTypeSticker
		case bytes.HasPrefix(mt, []byte("image/")):
			return model.MessageTypeImage
		case bytes.HasPrefix(mt, []byte("audio/")):
			return model.MessageTypeAudio
		case bytes.HasPrefix(mt, []byte("video/")):
			return model.MessageTypeVideo
		case bytes.HasPrefix(mt, []byte("text/vcard")), bytes.HasPrefix(mt, []byte("text/x-vcard")):
			return model.MessageTypeContacts
		}
		return model.MessageTypeDocument
	}
	return model.MessageTypeText
}

// stripWhatsApp removes a `whatsapp:` prefix and the `+` of an E.164 number, so Twilio
// addresses compare equal to Meta wa_ids. It reports whether the prefix was there.
func stripWhatsApp(b []byte) ([]byte, bool) {
	wa := false
	if len(b) >= len(whatsappPrefix) && bytes.EqualFold(b[:len(whatsappPrefix)], whatsappPrefix) {
		b, wa = b[len(whatsappPrefix):], true
	}
	if len(b) > 0 && b[0] == '+' {
		b = b[1:]
	}
	return b, wa
}

// formKey returns a form key, percent-decoded into kb when needed (keys longer than kb
// are returned as they are, matching nothing).
func formKey(kb *[64]byte, k []byte) []byte {
	if bytes.IndexByte(k, '%') < 0 && bytes.IndexByte(k, '+') < 0 {
		return k
	}
	if len(k) > len(kb) {
		return k
	}
	return formUnescape(kb[:0], k)
}

// reserve makes room for n more bytes in scratch, so that later appends up to n bytes do
// not move it.
func (d *Decoder) reserve(n int) {
	if cap(d.scratch)-len(d.scratch) < n {
		s := make([]byte, len(d.scratch), len(d.scratch)+n+512)
		copy(s, d.scratch)
		d.scratch = s
	}
}

// unform percent-decodes a form value into scratch and returns it (nil for empty).
func (d *Decoder) unform(v []byte) []byte {
	if len(v) == 0 {
		return nil
	}
	if bytes.IndexByte(v, '%') < 0 && bytes.IndexByte(v, '+') < 0 {
		return v
	}
	n := len(d.scratch)
	d.scratch = formUnescape(d.scratch, v)
	return d.scratch[n:len(d.scratch):len(d.scratch)]
}

// formUnescape appends the form-decoding of v to dst: `+` is a space, `%XX` a byte; a
// malformed escape is kept as it is.
func formUnescape(dst, v []byte) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(v) && unhex(v[i+1]) >= 0 && unhex(v[i+2]) >= 0:
			c = byte(unhex(v[i+1])<<4 | unhex(v[i+2]))
			i += 2
		}
		dst = append(dst, c)
	}
	return dst
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
