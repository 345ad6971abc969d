package webhook

import (
	"bytes"
	"encoding/binary"
	"math/bits"

	"github.com/waba-exporter/waba_exporter/model"
)

// The fast path: a single pass over the raw bytes of a Cloud API `messages` webhook
// (statuses or inbound messages), without building fastjson's tree.
//
// Contract: fastMeta either returns true with exactly the events, change fields and
// (absent) error that the general path (fastjson parse, decodeBody) gives for the same line,
// or returns false having left no trace, and the caller runs the general path. It therefore
// accepts only lines where the two cannot differ:
//   - the syntax it accepts is a subset of what fastjson accepts (no NaN/Inf, depth <= 64,
//     the same white space), so an accepted line would parse;
//   - every key it compares and every string value it keeps is free of backslashes, so raw
//     bytes equal fastjson's unescaped ones (escaped strings it only skips may hold anything);
//   - a key it reads appears at most once in its object (fastjson's Visit would take the
//     last, its Get the first);
//   - every value it reads has the type the common shape has, and the line decodes with no
//     error into at least one event; anything else (another field, gs_app_id, a number where
//     a string is usual, message or value errors, ...) falls back.
// Events point into d.line, the decoder's own copy of the line, as the general path's point
// into the parser's copy.

// fscan reads JSON from b at i. bad is sticky: once set, the scan is abandoned.
type fscan struct {
	b     []byte
	i     int
	bad   bool
	noEsc bool // b holds no backslash at all
}

const fastMaxDepth = 64

func (s *fscan) ws() {
	for s.i < len(s.b) && s.b[s.i] <= ' ' {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte (0 at the end).
func (s *fscan) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// expect consumes c after optional white space.
func (s *fscan) expect(c byte) {
	if s.peek() != c {
		s.bad = true
		return
	}
	s.i++
}

// rawString reads a string at s.i (which holds '"'); esc reports a backslash inside.
// A quote ends the string unless a backslash escapes it, as in fastjson. The search for
// the first quote or backslash reads eight bytes at a time; in a line without backslashes,
// a string longer than 16 bytes is finished with IndexByte.
func (s *fscan) rawString() (str []byte, esc bool) {
	b := s.b
	start := s.i + 1
	k := start
	if s.noEsc {
		for lim := start + 16; k+8 <= len(b); k += 8 {
			if k >= lim {
				j := bytes.IndexByte(b[k:], '"')
				if j < 0 {
					s.bad = true
					return nil, false
				}
				k += j
				goto found
			}
			if m := hasByte(binary.LittleEndian.Uint64(b[k:]), '"'); m != 0 {
				k += bits.TrailingZeros64(m) >> 3
				goto found
			}
		}
	} else {
		for ; k+8 <= len(b); k += 8 {
			x := binary.LittleEndian.Uint64(b[k:])
			if m := hasByte(x, '"') | hasByte(x, '\\'); m != 0 {
				k += bits.TrailingZeros64(m) >> 3
				goto found
			}
		}
	}
	for ; k < len(b); k++ {
		if c := b[k]; c == '"' || c == '\\' {
			goto found
		}
	}
	s.bad = true
	return nil, false
found:
	if b[k] == '\\' {
		return s.escString(start)
	}
	s.i = k + 1
	return b[start:k:k], false
}

// hasByte has the high bit set in the lowest byte of x that equals c (higher bytes may be
// false positives, which TrailingZeros never reaches).
func hasByte(x uint64, c byte) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	y := x ^ (lo * uint64(c))
	return (y - lo) &^ y & hi
}

// escString reads a string holding a backslash, from its first byte at start.
func (s *fscan) escString(start int) ([]byte, bool) {
	for k := start; k < len(s.b); k++ {
		switch s.b[k] {
		case '\\':
			k++
		case '"':
			s.i = k + 1
			return s.b[start:k:k], true
		}
	}
	s.bad = true
	return nil, true
}

// key reads an object key and its colon (not the white space after it). An escaped key marks the scan bad.
func (s *fscan) key() []byte {
	if s.peek() != '"' {
		s.bad = true
		return nil
	}
	k, esc := s.rawString()
	if esc {
		s.bad = true
	}
	if s.i < len(s.b) && s.b[s.i] == ':' {
		s.i++
	} else {
		s.expect(':')
	}
	return k
}

// str reads a string value without escapes; anything else marks the scan bad.
func (s *fscan) str() []byte {
	if s.peek() != '"' {
		s.bad = true
		return nil
	}
	v, esc := s.rawString()
	if esc {
		s.bad = true
	}
	return v
}

// open consumes '{' or '[' and reports whether the container has an element.
func (s *fscan) open(c byte) bool {
	if s.peek() != c {
		s.bad = true
		return false
	}
	s.i++
	closer := byte('}')
	if c == '[' {
		closer = ']'
	}
	if s.peek() == closer {
		s.i++
		return false
	}
	return !s.bad
}

// next consumes the separator after an element: true for ',' (another element follows),
// false for the closer (or on error).
func (s *fscan) next(closer byte) bool {
	switch s.peek() {
	case ',':
		s.i++
		return !s.bad
	case closer:
		s.i++
		return false
	}
	s.bad = true
	return false
}

// skip validates and skips one value of any type; depth counts enclosing containers.
func (s *fscan) skip(depth int) {
	if depth > fastMaxDepth {
		s.bad = true
		return
	}
	switch c := s.peek(); c {
	case '{':
		for more := s.open('{'); more; more = s.next('}') {
			if s.peek() != '"' {
				s.bad = true
				return
			}
			s.rawString() // an escaped key is fine: nothing reads it
			s.expect(':')
			s.skip(depth + 1)
		}
	case '[':
		for more := s.open('['); more; more = s.next(']') {
			s.skip(depth + 1)
		}
	case '"':
		s.rawString()
	case 't':
		s.lit("true")
	case 'f':
		s.lit("false")
	case 'n':
		s.lit("null")
	default:
		// fastjson takes any run of these bytes as a number.
		j := s.i
		for j < len(s.b) {
			c := s.b[j]
			if ('0' <= c && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E' {
				j++
				continue
			}
			break
		}
		if j == s.i {
			s.bad = true
		}
		s.i = j
	}
}

func (s *fscan) lit(w string) {
	if len(s.b)-s.i < len(w) || string(s.b[s.i:s.i+len(w)]) != w {
		s.bad = true
		return
	}
	s.i += len(w)
}

// once records key bit k in *seen; a repeated key marks the scan bad.
func (s *fscan) once(seen *uint32, k uint32) {
	if *seen&k != 0 {
		s.bad = true
	}
	*seen |= k
}

// fastMeta tries the fast path on a trimmed line that starts with '{'.
func (d *Decoder) fastMeta(line []byte) bool {
	d.line = append(d.line[:0], line...)
	s := fscan{b: d.line, noEsc: bytes.IndexByte(d.line, '\\') < 0}
	ok := d.fastTop(&s)
	if ok && !s.bad && len(d.events) > 0 {
		s.ws()
		if s.i == len(s.b) {
			d.fillBusiness(0)
			return true
		}
	}
	d.events = d.events[:0]
	d.changes = d.changes[:0]
	return false
}

func (d *Decoder) fastTop(s *fscan) bool {
	var seen uint32
	for more := s.open('{'); more; more = s.next('}') {
		switch string(s.key()) {
		case "object":
			s.once(&seen, 1)
			if !bytes.Equal(s.str(), wabaObject) {
				return false
			}
		case "entry":
			s.once(&seen, 2)
			for more := s.open('['); more; more = s.next(']') {
				d.fastEntry(s)
			}
		case "changes", "gs_app_id":
			return false // a bare entry, or Gupshup v3
		default:
			s.skip(1)
		}
		if s.bad {
			return false
		}
	}
	return seen == 3
}

func (d *Decoder) fastEntry(s *fscan) {
	start := len(d.events)
	var seen uint32
	var account []byte
	for more := s.open('{'); more; more = s.next('}') {
		switch string(s.key()) {
		case "id":
			s.once(&seen, 1)
			account = s.str()
		case "changes":
			s.once(&seen, 2)
			for more := s.open('['); more; more = s.next(']') {
				d.fastChange(s)
			}
		default:
			// "time" included: for a messages change it is only the time of the events
			// the fast path never yields (other, webhook error).
			s.skip(3)
		}
		if s.bad {
			return
		}
	}
	if seen&2 == 0 {
		s.bad = true
		return
	}
	if len(account) == 0 {
		account = nil // as metaEntry: no id and no gs_app_id
	}
	for i := start; i < len(d.events); i++ {
		d.events[i].Account = account
	}
}

func (d *Decoder) fastChange(s *fscan) {
	start := len(d.events)
	var seen uint32
	var business, display []byte
	for more := s.open('{'); more; more = s.next('}') {
		switch string(s.key()) {
		case "field":
			s.once(&seen, 1)
			if string(s.str()) != FieldMessages {
				s.bad = true
			}
		case "value":
			s.once(&seen, 2)
			business, display = d.fastValue(s)
		default:
			s.skip(5)
		}
		if s.bad {
			return
		}
	}
	if seen != 3 || len(d.events) == start {
		s.bad = true
		return
	}
	d.changes = append(d.changes, FieldMessages)
	for i := start; i < len(d.events); i++ {
		ev := &d.events[i]
		ev.Business, ev.DisplayNumber = business, display
	}
}

// fastValue reads the value of a messages change: metadata, contacts, then statuses or
// messages (not both: the general path emits statuses first whatever their order in the
// line). The contacts complete the identity of the value's events once it is read, with
// the general path's applyContacts.
func (d *Decoder) fastValue(s *fscan) (business, display []byte) {
	var seen uint32
	start := len(d.events)
	d.contacts = d.contacts[:0]
	for more := s.open('{'); more; more = s.next('}') {
		switch string(s.key()) {
		case "metadata":
			s.once(&seen, 1)
			var ms uint32
			for more := s.open('{'); more; more = s.next('}') {
				switch string(s.key()) {
				case "phone_number_id":
					s.once(&ms, 1)
					business = s.str()
				case "display_phone_number":
					s.once(&ms, 2)
					display = s.str()
				default:
					s.skip(7)
				}
			}
		case "statuses":
			s.once(&seen, 2)
			for more := s.open('['); more; more = s.next(']') {
				d.fastStatus(s)
			}
		case "messages":
			s.once(&seen, 4)
			for more := s.open('['); more; more = s.next(']') {
				d.fastMessage(s)
			}
		case "contacts":
			s.once(&seen, 8)
			for more := s.open('['); more; more = s.next(']') {
				d.fastContact(s)
			}
		case "errors":
			s.bad = true
		default:
			s.skip(6)
		}
		if s.bad {
			return nil, nil
		}
	}
	if seen&6 == 6 {
		s.bad = true
	}
	applyContacts(d.events[start:], d.contacts)
	return business, display
}

// fastContact reads one contacts[] item as scanContacts does: an object whose wa_id,
// user_id and profile.country_code, when present, are strings (anything else falls back).
// Items beyond maxContacts are only validated, as scanContacts ignores them.
func (d *Decoder) fastContact(s *fscan) {
	if len(d.contacts) == maxContacts {
		if s.peek() != '{' {
			s.bad = true
		}
		s.skip(8)
		return
	}
	var c contact
	var seen uint32
	for more := s.open('{'); more; more = s.next('}') {
		switch string(s.key()) {
		case "wa_id":
			s.once(&seen, 1)
			c.waID = s.str()
		case "user_id":
			s.once(&seen, 2)
			c.userID = s.str()
		case "profile":
			s.once(&seen, 4)
			var ps uint32
			for more := s.open('{'); more; more = s.next('}') {
				if string(s.key()) == "country_code" {
					s.once(&ps, 1)
					c.country = s.str()
				} else {
					s.skip(10)
				}
			}
		default:
			s.skip(9)
		}
		if s.bad {
			return
		}
	}
	d.contacts = append(d.contacts, c)
}

// fastTime reads a timestamp string as unixTime does; ok false when it is not one. Ten
// plain digits (every unix second from 2001 to 2286) skip parseDecimal's general loop.
func fastTime(b []byte) (int64, bool) {
	if len(b) == 10 {
		var t int64
		for _, c := range b {
			if c < '0' || c > '9' {
				goto general
			}
			t = t*10 + int64(c-'0')
		}
		return normUnix(t)
	}
general:
	t, ok := parseDecimal(b)
	if !ok {
		return 0, false
	}
	return normUnix(t)
}

// addFast appends a zeroed event of kind k from the Cloud API's messages field, built in
// place (an Event is a few hundred bytes).
func (d *Decoder) addFast(k model.Kind) *model.Event {
	d.events = append(d.events, model.Event{})
	ev := &d.events[len(d.events)-1]
	ev.Kind, ev.Provider, ev.Field = k, model.ProviderMeta, FieldMessages
	return ev
}

func (d *Decoder) fastStatus(s *fscan) {
	ev := d.addFast(model.KindStatus)
	var seen uint32
	for more := s.open('{'); more; more = s.next('}') {
		switch string(s.key()) {
		case "id":
			s.once(&seen, 1)
			ev.MessageID = s.str()
		case "status":
			s.once(&seen, 2)
			ev.Status = model.ParseStatus(s.str())
		case "timestamp":
			s.once(&seen, 4)
			t, ok := fastTime(s.str())
			if !ok {
				s.bad = true
			}
			ev.Time = t
		case "recipient_id":
			s.once(&seen, 8)
			ev.Customer = s.str()
		case "recipient_user_id":
			s.once(&seen, 128)
			ev.CustomerUserID = s.str()
		case "conversation":
			s.once(&seen, 16)
			var cs uint32
			for more := s.open('{'); more; more = s.next('}') {
				switch string(s.key()) {
				case "id":
					s.once(&cs, 1)
					ev.ConversationID = s.str()
				case "expiration_timestamp":
					s.once(&cs, 2)
					ev.ConversationExpiry, _ = fastTime(s.str()) // optUnix: 0 if unreadable
				case "origin":
					s.once(&cs, 4)
					var os uint32
					var typ []byte
					for more := s.open('{'); more; more = s.next('}') {
						if string(s.key()) == "type" {
							s.once(&os, 1)
							typ = s.str()
						} else {
							s.skip(10)
						}
					}
					ev.ConversationOrigin = model.ParseCategory(typ)
				default:
					s.skip(9)
				}
			}
		case "pricing":
			s.once(&seen, 32)
			var ps uint32
			for more := s.open('{'); more; more = s.next('}') {
				switch string(s.key()) {
				case "billable":
					s.once(&ps, 1)
					switch s.peek() {
					case 't':
						s.lit("true")
						ev.Billable = 1
					case 'f':
						s.lit("false")
						ev.Billable = -1
					default:
						s.bad = true
					}
				case "pricing_model":
					s.once(&ps, 2)
					ev.PricingModel = model.ParsePricingModel(s.str())
				case "type":
					s.once(&ps, 4)
					ev.PricingType = model.ParsePricingType(s.str())
				case "category":
					s.once(&ps, 8)
					ev.Category = model.ParseCategory(s.str())
				default:
					s.skip(9)
				}
			}
		case "errors":
			s.once(&seen, 64)
			ev.ErrorCode = s.fastErrorCode()
		case "biz_opaque_callback_data":
			s.once(&seen, 256)
			if s.peek() != '"' {
				s.bad = true // a non-string: the general path ignores it
				return
			}
			q := s.i
			tag, esc := s.rawString()
			if esc {
				// JSON-format tags arrive escaped ({\"campaign\":...}): unescape as the
				// general path does, into d.scratch (no allocation after warm-up).
				tag = d.unescape(s, s.b[q:s.i])
			}
			if len(tag) > model.MaxCampaignTagBytes {
				s.bad = true // refused with an error: the general path reports it
				return
			}
			if len(tag) > 0 {
				ev.CampaignTag = tag
			}
		case "gs_id":
			s.bad = true
		default:
			s.skip(8)
		}
		if s.bad {
			return
		}
	}
	// id, status and timestamp are required; an unknown status is an error.
	if seen&7 != 7 || len(ev.MessageID) == 0 || ev.Status == model.StatusNone {
		s.bad = true
	}
}

// fastErrorCode reads an errors array whose first item has an integer code (or none), as
// errorCode does for a number of at most 15 digits. Other shapes mark the scan bad.
func (s *fscan) fastErrorCode() int64 {
	var code int64
	first := true
	for more := s.open('['); more; more = s.next(']') {
		if !first {
			s.skip(10)
			continue
		}
		first = false
		var es uint32
		for more := s.open('{'); more; more = s.next('}') {
			if string(s.key()) != "code" {
				s.skip(11)
				continue
			}
			s.once(&es, 1)
			s.ws()
			j, neg := s.i, false
			if j < len(s.b) && s.b[j] == '-' {
				neg = true
				j++
			}
			n, digits := int64(0), 0
			for ; j < len(s.b) && '0' <= s.b[j] && s.b[j] <= '9'; j++ {
				n = n*10 + int64(s.b[j]-'0')
				digits++
			}
			if digits == 0 || digits > 15 || (digits > 1 && s.b[j-digits] == '0') {
				s.bad = true
				return 0
			}
			if j < len(s.b) {
				switch s.b[j] {
				case '.', 'e', 'E', '+', '-':
					s.bad = true // a fraction or exponent: left to the general path
					return 0
				}
			}
			s.i = j
			if neg {
				n = -n
			}
			code = n
		}
	}
	return code
}

func (d *Decoder) fastMessage(s *fscan) {
	ev := d.addFast(model.KindInbound)
	var seen uint32
	var typ, body, bodyQuoted, payload, btnText []byte
	bodyEsc := false
	// replyFound[i]: interactive.<interactiveReplies[i]> is an object; replyID[i] its id.
	var replyFound [len(interactiveReplies)]bool
	var replyID [len(interactiveReplies)][]byte
	for more := s.open('{'); more; more = s.next('}') {
		switch string(s.key()) {
		case "id":
			s.once(&seen, 1)
			ev.MessageID = s.str()
		case "from":
			s.once(&seen, 2)
			ev.Customer = s.str()
		case "from_user_id":
			s.once(&seen, 512)
			ev.CustomerUserID = s.str()
		case "timestamp":
			s.once(&seen, 4)
			t, ok := fastTime(s.str())
			if !ok {
				s.bad = true
			}
			ev.Time = t
		case "type":
			s.once(&seen, 8)
			typ = s.str()
		case "referral":
			s.once(&seen, 16)
			if s.peek() != '{' {
				s.bad = true
			}
			s.skip(8)
			ev.Referral = true
		case "context":
			s.once(&seen, 32)
			var cs uint32
			for more := s.open('{'); more; more = s.next('}') {
				if string(s.key()) == "id" {
					s.once(&cs, 1)
					ev.ContextID = s.str()
				} else {
					s.skip(9)
				}
			}
		case "text":
			s.once(&seen, 64)
			var ts uint32
			for more := s.open('{'); more; more = s.next('}') {
				if string(s.key()) == "body" {
					s.once(&ts, 1)
					if s.peek() != '"' {
						s.bad = true
						return
					}
					// An escaped body is unescaped below, and only if it is read.
					q := s.i
					body, bodyEsc = s.rawString()
					bodyQuoted = s.b[q:s.i]
				} else {
					s.skip(9)
				}
			}
		case "button":
			s.once(&seen, 128)
			var bs uint32
			for more := s.open('{'); more; more = s.next('}') {
				switch string(s.key()) {
				case "payload":
					s.once(&bs, 1)
					payload = s.str()
				case "text":
					s.once(&bs, 2)
					btnText = s.str()
				default:
					s.skip(9)
				}
			}
		case "interactive":
			s.once(&seen, 256)
			var is uint32
			for more := s.open('{'); more; more = s.next('}') {
				k := s.key()
				r := 0
				for r < len(interactiveReplies) && string(k) != interactiveReplies[r] {
					r++
				}
				if r == len(interactiveReplies) {
					s.skip(9)
					continue
				}
				s.once(&is, 1<<r)
				replyFound[r] = true
				var rs uint32
				for more := s.open('{'); more; more = s.next('}') {
					if string(s.key()) == "id" {
						s.once(&rs, 1)
						replyID[r] = s.str()
					} else {
						s.skip(10)
					}
				}
			}
		case "errors":
			s.bad = true
		default:
			s.skip(8)
		}
		if s.bad {
			return
		}
	}
	// id and timestamp are required, and a phone number or a BSUID.
	if seen&5 != 5 || len(ev.MessageID) == 0 || (len(ev.Customer) == 0 && len(ev.CustomerUserID) == 0) {
		s.bad = true
		return
	}
	if typ == nil {
		ev.MessageType = model.MessageTypeOther
	} else {
		ev.MessageType = model.ParseMessageType(typ)
	}
	switch ev.MessageType {
	case model.MessageTypeText:
		if bodyEsc {
			body = d.unescape(s, bodyQuoted)
		}
		ev.Text = body
	case model.MessageTypeButton:
		ev.Payload = payload
		if payload == nil {
			ev.Payload = btnText
		}
	case model.MessageTypeInteractive:
		for r, found := range replyFound {
			if found {
				ev.Payload = replyID[r]
				break
			}
		}
	}
}

// unescape returns the value of a quoted JSON string holding escapes, decoded by fastjson
// itself (so exactly as the general path decodes it) and copied into d.scratch.
func (d *Decoder) unescape(s *fscan, quoted []byte) []byte {
	v, err := d.pStr.ParseBytes(quoted)
	if err != nil {
		s.bad = true
		return nil
	}
	b, err := v.StringBytes()
	if err != nil {
		s.bad = true
		return nil
	}
	n := len(d.scratch)
	d.scratch = append(d.scratch, b...)
	return d.scratch[n:len(d.scratch):len(d.scratch)]
}
