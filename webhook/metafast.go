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
	b []byte
	i int
	// depth is the number of containers open at i: open counts one in, next (and open,
	// for an empty container) one out. Only skip reads it; the readers of the known shape
	// are at fixed, shallow depths.
	depth int
	bad   bool
	noEsc bool // b holds no backslash at all
}

// fastMaxDepth bounds the containers enclosing a skipped value (fastjson's own limit,
// MaxDepth, is 300): deeper lines fall back, so an accepted line would parse.
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
	s.depth++
	closer := byte('}')
	if c == '[' {
		closer = ']'
	}
	if s.peek() == closer {
		s.i++
		s.depth--
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
		s.depth--
		return false
	}
	s.bad = true
	return false
}

// skip validates and skips one value of any type.
func (s *fscan) skip() {
	if s.depth > fastMaxDepth {
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
			s.skip()
		}
	case '[':
		for more := s.open('['); more; more = s.next(']') {
			s.skip()
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

// The keys each reader of the fast path reads, one bit per key in that object's seen set:
// fscan.once refuses a repeated key (fastjson's Visit would take the last, its Get the
// first), and the required keys are checked against the set once the object is read.
const (
	topObject uint32 = 1 << iota
	topEntry
	topRequired = topObject | topEntry
)

const (
	entryID uint32 = 1 << iota
	entryChanges
)

const (
	changeField uint32 = 1 << iota
	changeValue
	changeRequired = changeField | changeValue
)

const (
	valueMetadata uint32 = 1 << iota
	valueStatuses
	valueMessages
	valueContacts
)

const (
	metadataPhoneID uint32 = 1 << iota
	metadataDisplay
)

const (
	contactWaID uint32 = 1 << iota
	contactUserID
	contactProfile
)

const (
	statusID uint32 = 1 << iota
	statusStatus
	statusTimestamp
	statusRecipient
	statusRecipientUser
	statusConversation
	statusPricing
	statusErrors
	statusTag
	statusRequired = statusID | statusStatus | statusTimestamp
)

const (
	conversationID uint32 = 1 << iota
	conversationExpiry
	conversationOrigin
)

const (
	pricingBillable uint32 = 1 << iota
	pricingModel
	pricingType
	pricingCategory
)

const (
	messageID uint32 = 1 << iota
	messageFrom
	messageFromUser
	messageTimestamp
	messageType
	messageReferral
	messageContext
	messageText
	messageButton
	messageInteractive
	messageRequired = messageID | messageTimestamp
)

const (
	buttonPayload uint32 = 1 << iota
	buttonText
)

// once records key bit k in *seen; a repeated key marks the scan bad.
func (s *fscan) once(seen *uint32, k uint32) {
	if *seen&k != 0 {
		s.bad = true
	}
	*seen |= k
}

// member reads an object of which only one member is read, the string named key, and
// returns that string (nil when absent). Other members are skipped; a repeated key
// marks the scan bad.
func (s *fscan) member(key string) []byte {
	var v []byte
	var seen uint32
	for more := s.open('{'); more; more = s.next('}') {
		if string(s.key()) != key {
			s.skip()
			continue
		}
		s.once(&seen, 1)
		v = s.str()
	}
	return v
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
			s.once(&seen, topObject)
			if !bytes.Equal(s.str(), wabaObject) {
				return false
			}
		case "entry":
			s.once(&seen, topEntry)
			for more := s.open('['); more; more = s.next(']') {
				d.fastEntry(s)
			}
		case "changes", "gs_app_id":
			return false // a bare entry, or Gupshup v3
		default:
			s.skip()
		}
		if s.bad {
			return false
		}
	}
	return seen == topRequired
}

func (d *Decoder) fastEntry(s *fscan) {
	start := len(d.events)
	var seen uint32
	var account []byte
	for more := s.open('{'); more; more = s.next('}') {
		switch string(s.key()) {
		case "id":
			s.once(&seen, entryID)
			account = s.str()
		case "changes":
			s.once(&seen, entryChanges)
			for more := s.open('['); more; more = s.next(']') {
				d.fastChange(s)
			}
		default:
			// "time" included: for a messages change it is only the time of the events
			// the fast path never yields (other, webhook error).
			s.skip()
		}
		if s.bad {
			return
		}
	}
	if seen&entryChanges == 0 {
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
			s.once(&seen, changeField)
			if string(s.str()) != FieldMessages {
				s.bad = true
			}
		case "value":
			s.once(&seen, changeValue)
			business, display = d.fastValue(s)
		default:
			s.skip()
		}
		if s.bad {
			return
		}
	}
	if seen != changeRequired || len(d.events) == start {
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
			s.once(&seen, valueMetadata)
			business, display = s.fastMetadata()
		case "statuses":
			s.once(&seen, valueStatuses)
			for more := s.open('['); more; more = s.next(']') {
				d.fastStatus(s)
			}
		case "messages":
			s.once(&seen, valueMessages)
			for more := s.open('['); more; more = s.next(']') {
				d.fastMessage(s)
			}
		case "contacts":
			s.once(&seen, valueContacts)
			for more := s.open('['); more; more = s.next(']') {
				d.fastContact(s)
			}
		case "errors":
			s.bad = true
		default:
			s.skip()
		}
		if s.bad {
			return nil, nil
		}
	}
	if seen&(valueStatuses|valueMessages) == valueStatuses|valueMessages {
		s.bad = true
	}
	applyContacts(d.events[start:], d.contacts)
	return business, display
}

// fastMetadata reads a change value's metadata object.
func (s *fscan) fastMetadata() (business, display []byte) {
	var seen uint32
	for more := s.open('{'); more; more = s.next('}') {
		switch string(s.key()) {
		case "phone_number_id":
			s.once(&seen, metadataPhoneID)
			business = s.str()
		case "display_phone_number":
			s.once(&seen, metadataDisplay)
			display = s.str()
		default:
			s.skip()
		}
	}
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
		s.skip()
		return
	}
	var c contact
	var seen uint32
	for more := s.open('{'); more; more = s.next('}') {
		switch string(s.key()) {
		case "wa_id":
			s.once(&seen, contactWaID)
			c.waID = s.str()
		case "user_id":
			s.once(&seen, contactUserID)
			c.userID = s.str()
		case "profile":
			s.once(&seen, contactProfile)
			c.country = s.member("country_code")
		default:
			s.skip()
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

// fastStatus reads one statuses[] item into a status event, as metaStatus does.
func (d *Decoder) fastStatus(s *fscan) {
	ev := d.addFast(model.KindStatus)
	var seen uint32
	for more := s.open('{'); more; more = s.next('}') {
		switch string(s.key()) {
		case "id":
			s.once(&seen, statusID)
			ev.MessageID = s.str()
		case "status":
			s.once(&seen, statusStatus)
			ev.Status = model.ParseStatus(s.str())
		case "timestamp":
			s.once(&seen, statusTimestamp)
			ev.Time = s.fastTimestamp()
		case "recipient_id":
			s.once(&seen, statusRecipient)
			ev.Customer = s.str()
		case "recipient_user_id":
			s.once(&seen, statusRecipientUser)
			ev.CustomerUserID = s.str()
		case "conversation":
			s.once(&seen, statusConversation)
			s.fastConversation(ev)
		case "pricing":
			s.once(&seen, statusPricing)
			s.fastPricing(ev)
		case "errors":
			s.once(&seen, statusErrors)
			ev.ErrorCode = s.fastErrorCode()
		case "biz_opaque_callback_data":
			s.once(&seen, statusTag)
			d.fastTag(s, ev)
		case "gs_id":
			s.bad = true
		default:
			s.skip()
		}
		if s.bad {
			return
		}
	}
	// id, status and timestamp are required; an unknown status is an error.
	if seen&statusRequired != statusRequired || len(ev.MessageID) == 0 || ev.Status == model.StatusNone {
		s.bad = true
	}
}

// fastTimestamp reads a required timestamp string; one that is not a time marks the scan
// bad (the general path reports it).
func (s *fscan) fastTimestamp() int64 {
	t, ok := fastTime(s.str())
	if !ok {
		s.bad = true
	}
	return t
}

// fastConversation reads a status's conversation object into ev.
func (s *fscan) fastConversation(ev *model.Event) {
	var seen uint32
	for more := s.open('{'); more; more = s.next('}') {
		switch string(s.key()) {
		case "id":
			s.once(&seen, conversationID)
			ev.ConversationID = s.str()
		case "expiration_timestamp":
			s.once(&seen, conversationExpiry)
			ev.ConversationExpiry, _ = fastTime(s.str()) // optUnix: 0 if unreadable
		case "origin":
			s.once(&seen, conversationOrigin)
			ev.ConversationOrigin = model.ParseCategory(s.member("type"))
		default:
			s.skip()
		}
	}
}

// fastPricing reads a status's pricing object into ev.
func (s *fscan) fastPricing(ev *model.Event) {
	var seen uint32
	for more := s.open('{'); more; more = s.next('}') {
		switch string(s.key()) {
		case "billable":
			s.once(&seen, pricingBillable)
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
			s.once(&seen, pricingModel)
			ev.PricingModel = model.ParsePricingModel(s.str())
		case "type":
			s.once(&seen, pricingType)
			ev.PricingType = model.ParsePricingType(s.str())
		case "category":
			s.once(&seen, pricingCategory)
			ev.Category = model.ParseCategory(s.str())
		default:
			s.skip()
		}
	}
}

// fastTag reads a status's biz_opaque_callback_data into ev.CampaignTag, as setTag does;
// a non-string or a tag over model.MaxCampaignTagBytes marks the scan bad (the general
// path ignores the one and reports the other).
func (d *Decoder) fastTag(s *fscan, ev *model.Event) {
	if s.peek() != '"' {
		s.bad = true
		return
	}
	q := s.i
	tag, esc := s.rawString()
	if esc {
		// JSON-format tags arrive escaped ({\"campaign\":...}): unescape as the general
		// path does, into d.scratch (no allocation after warm-up).
		tag = d.unescape(s, s.b[q:s.i])
	}
	if len(tag) > model.MaxCampaignTagBytes {
		s.bad = true
		return
	}
	if len(tag) > 0 {
		ev.CampaignTag = tag
	}
}

// fastErrorCode reads an errors array whose first item has an integer code (or none), as
// errorCode does for a number of at most 15 digits. Other shapes mark the scan bad.
func (s *fscan) fastErrorCode() int64 {
	var code int64
	first := true
	for more := s.open('['); more; more = s.next(']') {
		if !first {
			s.skip()
			continue
		}
		first = false
		var seen uint32
		for more := s.open('{'); more; more = s.next('}') {
			if string(s.key()) != "code" {
				s.skip()
				continue
			}
			s.once(&seen, 1)
			code = s.fastInt()
		}
	}
	return code
}

// fastInt reads an integer of at most 15 digits without a leading zero, as errorCode
// takes a number; a fraction, an exponent or a longer number marks the scan bad (left
// to the general path).
func (s *fscan) fastInt() int64 {
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
			s.bad = true
			return 0
		}
	}
	s.i = j
	if neg {
		n = -n
	}
	return n
}

// fastInbound holds the parts of an inbound message whose use depends on its type,
// which may come after them: fastMessage reads them all, then keeps those of the type.
type fastInbound struct {
	typ                       []byte
	body, bodyQuoted          []byte // text.body, raw, and with its quotes
	bodyEsc                   bool   // body holds escapes: unescaped only if kept
	buttonPayload, buttonText []byte
	replyFound                [len(interactiveReplies)]bool // interactive.<interactiveReplies[i]> is an object
	replyID                   [len(interactiveReplies)][]byte
}

// fastMessage reads one messages[] item into an inbound event, as metaMessage does.
func (d *Decoder) fastMessage(s *fscan) {
	ev := d.addFast(model.KindInbound)
	var seen uint32
	var m fastInbound
	for more := s.open('{'); more; more = s.next('}') {
		switch string(s.key()) {
		case "id":
			s.once(&seen, messageID)
			ev.MessageID = s.str()
		case "from":
			s.once(&seen, messageFrom)
			ev.Customer = s.str()
		case "from_user_id":
			s.once(&seen, messageFromUser)
			ev.CustomerUserID = s.str()
		case "timestamp":
			s.once(&seen, messageTimestamp)
			ev.Time = s.fastTimestamp()
		case "type":
			s.once(&seen, messageType)
			m.typ = s.str()
		case "referral":
			s.once(&seen, messageReferral)
			if s.peek() != '{' {
				s.bad = true
			}
			s.skip()
			ev.Referral = true
		case "context":
			s.once(&seen, messageContext)
			ev.ContextID = s.member("id")
		case "text":
			s.once(&seen, messageText)
			m.readText(s)
		case "button":
			s.once(&seen, messageButton)
			m.readButton(s)
		case "interactive":
			s.once(&seen, messageInteractive)
			m.readInteractive(s)
		case "errors":
			s.bad = true
		default:
			s.skip()
		}
		if s.bad {
			return
		}
	}
	// id and timestamp are required, and a phone number or a BSUID.
	if seen&messageRequired != messageRequired || len(ev.MessageID) == 0 ||
		(len(ev.Customer) == 0 && len(ev.CustomerUserID) == 0) {
		s.bad = true
		return
	}
	d.fastContent(s, ev, &m)
}

// readText reads the text object of a message, keeping its body (escaped or not).
func (m *fastInbound) readText(s *fscan) {
	var seen uint32
	for more := s.open('{'); more; more = s.next('}') {
		if string(s.key()) != "body" {
			s.skip()
			continue
		}
		s.once(&seen, 1)
		if s.peek() != '"' {
			s.bad = true
			return
		}
		// An escaped body is unescaped by fastContent, and only if it is kept.
		q := s.i
		m.body, m.bodyEsc = s.rawString()
		m.bodyQuoted = s.b[q:s.i]
	}
}

// readButton reads the button object of a message.
func (m *fastInbound) readButton(s *fscan) {
	var seen uint32
	for more := s.open('{'); more; more = s.next('}') {
		switch string(s.key()) {
		case "payload":
			s.once(&seen, buttonPayload)
			m.buttonPayload = s.str()
		case "text":
			s.once(&seen, buttonText)
			m.buttonText = s.str()
		default:
			s.skip()
		}
	}
}

// readInteractive reads the interactive object of a message: which replies it holds as
// objects, and their ids.
func (m *fastInbound) readInteractive(s *fscan) {
	var seen uint32
	for more := s.open('{'); more; more = s.next('}') {
		k := s.key()
		r := 0
		for r < len(interactiveReplies) && string(k) != interactiveReplies[r] {
			r++
		}
		if r == len(interactiveReplies) {
			s.skip()
			continue
		}
		s.once(&seen, 1<<r)
		m.replyFound[r] = true
		m.replyID[r] = s.member("id")
	}
}

// fastContent sets the message type of ev and the contents that type keeps.
func (d *Decoder) fastContent(s *fscan, ev *model.Event, m *fastInbound) {
	if m.typ == nil {
		ev.MessageType = model.MessageTypeOther
	} else {
		ev.MessageType = model.ParseMessageType(m.typ)
	}
	switch ev.MessageType {
	case model.MessageTypeText:
		body := m.body
		if m.bodyEsc {
			body = d.unescape(s, m.bodyQuoted)
		}
		ev.Text = body
	case model.MessageTypeButton:
		ev.Payload = m.buttonPayload
		if m.buttonPayload == nil {
			ev.Payload = m.buttonText
		}
	case model.MessageTypeInteractive:
		for r, found := range m.replyFound {
			if found {
				ev.Payload = m.replyID[r]
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
