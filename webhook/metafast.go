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
// into the parser's copy; or, under DecodeInPlace, into the caller's line itself.

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

// peek skips white space and returns the next byte (0 at the end). Compact JSON, where
// no white space comes, takes the first return.
func (s *fscan) peek() byte {
	if i := s.i; i < len(s.b) && s.b[i] > ' ' {
		return s.b[i]
	}
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
		// The byte found is a quote: no load of it decides the return.
		for lim := start + 16; k+8 <= len(b); k += 8 {
			if k >= lim {
				j := bytes.IndexByte(b[k:], '"')
				if j < 0 {
					s.bad = true
					return nil, false
				}
				k += j
				goto quote
			}
			if m := hasByte(binary.LittleEndian.Uint64(b[k:]), '"'); m != 0 {
				k += bits.TrailingZeros64(m) >> 3
				goto quote
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
quote:
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

// The keys each reader of the fast path tells apart, as indices into its keySet (in the
// order Meta writes them); key j is bit 1<<j of that object's seen set. fscan.once
// refuses a repeated key that is read (fastjson's Visit would take the last, its Get the
// first), and the required keys are checked against the set once the object is read.
// Keys listed only to be skipped (messaging_product, time, name, ...) are matched in
// place like the others, and never recorded.
const (
	topObject = iota
	topEntry
	topChanges // a bare entry: left to the general path
	topGsApp   // Gupshup v3: left to the general path
)

const topRequired = 1<<topObject | 1<<topEntry

var topKeys = newKeySet("object", "entry", "changes", "gs_app_id")

const (
	entryID = iota
	entryChanges
	entryTime // only the time of events the fast path never yields (other, webhook error)
)

var entryKeys = newKeySet("id", "changes", "time")

const (
	changeValue = iota
	changeField
	changeRequired = 1<<changeField | 1<<changeValue
)

var changeKeys = newKeySet("value", "field")

const (
	valueProduct = iota // messaging_product, skipped
	valueMetadata
	valueContacts
	valueStatuses
	valueMessages
	valueErrors
)

var valueKeys = newKeySet("messaging_product", "metadata", "contacts", "statuses", "messages", "errors")

const (
	metadataDisplay = iota
	metadataPhoneID
)

var metadataKeys = newKeySet("display_phone_number", "phone_number_id")

const (
	contactProfile = iota
	contactWaID
	contactUserID
)

var contactKeys = newKeySet("profile", "wa_id", "user_id")

const (
	statusID = iota
	statusStatus
	statusTimestamp
	statusRecipient
	statusRecipientUser
	statusConversation
	statusPricing
	statusTag
	statusErrors
	statusGsID     // Gupshup v3: left to the general path
	statusRequired = 1<<statusID | 1<<statusStatus | 1<<statusTimestamp
)

var statusKeys = newKeySet("id", "status", "timestamp", "recipient_id", "recipient_user_id", "conversation",
	"pricing", "biz_opaque_callback_data", "errors", "gs_id")

const (
	conversationID = iota
	conversationExpiry
	conversationOrigin
)

var conversationKeys = newKeySet("id", "expiration_timestamp", "origin")

const (
	pricingBillable = iota
	pricingModel
	pricingType
	pricingCategory
)

var pricingKeys = newKeySet("billable", "pricing_model", "type", "category")

const (
	messageContext = iota
	messageFrom
	messageFromUser
	messageID
	messageTimestamp
	messageType
	messageText
	messageButton
	messageInteractive
	messageReferral
	messageErrors
	messageRequired = 1<<messageID | 1<<messageTimestamp
)

var messageKeys = newKeySet("context", "from", "from_user_id", "id", "timestamp", "type", "text", "button",
	"interactive", "referral", "errors")

const (
	buttonPayload = iota
	buttonText
)

var buttonKeys = newKeySet("payload", "text")

// The objects of which one string member is read (fscan.member): the member is key 0,
// the others are known keys skipped.
var (
	typeMember    = newKeySet("type")
	idMember      = newKeySet("id", "from", "title", "description")
	countryMember = newKeySet("country_code", "name", "username")
	codeMember    = newKeySet("code", "title", "message", "error_data", "href")
	bodyMember    = newKeySet("body")
)

// interactiveKeys: the replies of interactiveReplies, in its order, then skipped keys.
var interactiveKeys = newKeySet(append(interactiveReplies[:len(interactiveReplies):len(interactiveReplies)], "type")...)

// keySet holds the keys of one object the fast path tells apart.
type keySet struct {
	names []string
	// quoted holds each name as `"name":`, the compact form matched in place: there the
	// position after the key follows from a predicted branch, not from scanning its bytes.
	quoted []string
	// head holds the first 16 bytes of each quoted name (little endian, zero past its
	// end) and mask the bytes of head that are the name's: with 16 bytes left to read,
	// a quoted name of up to 16 bytes matches when both masked words are equal.
	head, mask [][2]uint64
}

func newKeySet(names ...string) *keySet {
	ks := &keySet{names: names}
	for _, n := range names {
		q := `"` + n + `":`
		var h, m [16]byte
		for i := 0; i < len(q) && i < len(h); i++ {
			h[i], m[i] = q[i], 0xff
		}
		ks.quoted = append(ks.quoted, q)
		ks.head = append(ks.head, [2]uint64{binary.LittleEndian.Uint64(h[:]), binary.LittleEndian.Uint64(h[8:])})
		ks.mask = append(ks.mask, [2]uint64{binary.LittleEndian.Uint64(m[:]), binary.LittleEndian.Uint64(m[8:])})
	}
	return ks
}

// keyOf reads an object key and its colon, and returns its index in ks (-1 for another
// key). The compact form of each key of ks is tried in place first, from index from on
// (the index after the previous key, as keys mostly come in ks's order); anything else
// (white space, escapes, another key) is read by key and compared by name.
func (s *fscan) keyOf(ks *keySet, from int) int {
	b, i, q := s.b, s.i, ks.quoted
	if len(b)-i >= 16 {
		w0, w1 := binary.LittleEndian.Uint64(b[i:]), binary.LittleEndian.Uint64(b[i+8:])
		for t, j := 0, from; t < len(q); t, j = t+1, j+1 {
			if j >= len(q) {
				j = 0
			}
			h, m := &ks.head[j], &ks.mask[j]
			if w0&m[0] != h[0] || w1&m[1] != h[1] {
				continue
			}
			if w := q[j]; len(w) <= 16 || (len(b)-i >= len(w) && string(b[i+16:i+len(w)]) == w[16:]) {
				s.i = i + len(w)
				return j
			}
		}
	} else if i < len(b) {
		for j, w := range q {
			if len(b)-i >= len(w) && string(b[i:i+len(w)]) == w {
				s.i = i + len(w)
				return j
			}
		}
	}
	k := s.key()
	for j, n := range ks.names {
		if string(k) == n {
			return j
		}
	}
	return -1
}

// once records key index j in *seen; a repeated key marks the scan bad.
func (s *fscan) once(seen *uint32, j int) {
	k := uint32(1) << j
	if *seen&k != 0 {
		s.bad = true
	}
	*seen |= k
}

// member reads an object of which only one member is read, the string ks names first,
// and returns that string (nil when absent). Other members are skipped; a repeated key
// marks the scan bad.
func (s *fscan) member(ks *keySet) []byte {
	var v []byte
	var seen uint32
	next := 0
	for more := s.open('{'); more; more = s.next('}') {
		j := s.keyOf(ks, next)
		next = j + 1
		if j != 0 {
			s.skip()
			continue
		}
		s.once(&seen, 0)
		v = s.str()
	}
	return v
}

// fastMeta tries the fast path on a trimmed line that starts with '{'.
func (d *Decoder) fastMeta(line []byte, inPlace bool) bool {
	if !inPlace {
		d.line = append(d.line[:0], line...)
		line = d.line
	}
	s := fscan{b: line, noEsc: bytes.IndexByte(line, '\\') < 0}
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
	next := 0
	for more := s.open('{'); more; more = s.next('}') {
		j := s.keyOf(topKeys, next)
		next = j + 1
		switch j {
		case topObject:
			s.once(&seen, j)
			if !bytes.Equal(s.str(), wabaObject) {
				return false
			}
		case topEntry:
			s.once(&seen, j)
			for more := s.open('['); more; more = s.next(']') {
				d.fastEntry(s)
			}
		case topChanges, topGsApp:
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
	next := 0
	for more := s.open('{'); more; more = s.next('}') {
		j := s.keyOf(entryKeys, next)
		next = j + 1
		switch j {
		case entryID:
			s.once(&seen, j)
			account = s.str()
		case entryChanges:
			s.once(&seen, j)
			for more := s.open('['); more; more = s.next(']') {
				d.fastChange(s)
			}
		default:
			s.skip()
		}
		if s.bad {
			return
		}
	}
	if seen&(1<<entryChanges) == 0 {
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
	next := 0
	for more := s.open('{'); more; more = s.next('}') {
		j := s.keyOf(changeKeys, next)
		next = j + 1
		switch j {
		case changeField:
			s.once(&seen, j)
			if string(s.str()) != FieldMessages {
				s.bad = true
			}
		case changeValue:
			s.once(&seen, j)
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
	next := 0
	for more := s.open('{'); more; more = s.next('}') {
		j := s.keyOf(valueKeys, next)
		next = j + 1
		switch j {
		case valueMetadata:
			s.once(&seen, j)
			business, display = s.fastMetadata()
		case valueStatuses:
			s.once(&seen, j)
			for more := s.open('['); more; more = s.next(']') {
				d.fastStatus(s)
			}
		case valueMessages:
			s.once(&seen, j)
			for more := s.open('['); more; more = s.next(']') {
				d.fastMessage(s)
			}
		case valueContacts:
			s.once(&seen, j)
			for more := s.open('['); more; more = s.next(']') {
				d.fastContact(s)
			}
		case valueErrors:
			s.bad = true
		default:
			s.skip()
		}
		if s.bad {
			return nil, nil
		}
	}
	if both := uint32(1<<valueStatuses | 1<<valueMessages); seen&both == both {
		s.bad = true
	}
	applyContacts(d.events[start:], d.contacts)
	return business, display
}

// fastMetadata reads a change value's metadata object.
func (s *fscan) fastMetadata() (business, display []byte) {
	var seen uint32
	next := 0
	for more := s.open('{'); more; more = s.next('}') {
		j := s.keyOf(metadataKeys, next)
		next = j + 1
		switch j {
		case metadataPhoneID:
			s.once(&seen, j)
			business = s.str()
		case metadataDisplay:
			s.once(&seen, j)
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
	next := 0
	for more := s.open('{'); more; more = s.next('}') {
		j := s.keyOf(contactKeys, next)
		next = j + 1
		switch j {
		case contactWaID:
			s.once(&seen, j)
			c.waID = s.str()
		case contactUserID:
			s.once(&seen, j)
			c.userID = s.str()
		case contactProfile:
			s.once(&seen, j)
			c.country = s.member(countryMember)
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
	next := 0
	for more := s.open('{'); more; more = s.next('}') {
		j := s.keyOf(statusKeys, next)
		next = j + 1
		if j >= 0 {
			s.once(&seen, j)
		}
		switch j {
		case statusID:
			ev.MessageID = s.str()
		case statusStatus:
			ev.Status = model.ParseStatus(s.str())
		case statusTimestamp:
			ev.Time = s.fastTimestamp()
		case statusRecipient:
			ev.Customer = s.str()
		case statusRecipientUser:
			ev.CustomerUserID = s.str()
		case statusConversation:
			s.fastConversation(ev)
		case statusPricing:
			s.fastPricing(ev)
		case statusErrors:
			ev.ErrorCode = s.fastErrorCode()
		case statusTag:
			d.fastTag(s, ev)
		case statusGsID:
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
	t, ok := s.timeString()
	if !ok {
		s.bad = true
	}
	return t
}

// timeString reads a timestamp string value as fastTime(s.str()) does. A string of ten
// digits is read in place: its end follows from the checks, not from a search for the
// quote, and digits hold no quote or backslash.
func (s *fscan) timeString() (int64, bool) {
	if b, i := s.b, s.i; len(b)-i >= 12 && b[i] == '"' && b[i+11] == '"' {
		var t int64
		for _, c := range b[i+1 : i+11] {
			if c < '0' || c > '9' {
				return fastTime(s.str())
			}
			t = t*10 + int64(c-'0')
		}
		s.i = i + 12
		return normUnix(t)
	}
	return fastTime(s.str())
}

// fastConversation reads a status's conversation object into ev.
func (s *fscan) fastConversation(ev *model.Event) {
	var seen uint32
	next := 0
	for more := s.open('{'); more; more = s.next('}') {
		j := s.keyOf(conversationKeys, next)
		next = j + 1
		switch j {
		case conversationID:
			s.once(&seen, j)
			ev.ConversationID = s.str()
		case conversationExpiry:
			s.once(&seen, j)
			ev.ConversationExpiry, _ = s.timeString() // optUnix: 0 if unreadable
		case conversationOrigin:
			s.once(&seen, j)
			ev.ConversationOrigin = model.ParseCategory(s.member(typeMember))
		default:
			s.skip()
		}
	}
}

// fastPricing reads a status's pricing object into ev.
func (s *fscan) fastPricing(ev *model.Event) {
	var seen uint32
	next := 0
	for more := s.open('{'); more; more = s.next('}') {
		j := s.keyOf(pricingKeys, next)
		next = j + 1
		switch j {
		case pricingBillable:
			s.once(&seen, j)
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
		case pricingModel:
			s.once(&seen, j)
			ev.PricingModel = model.ParsePricingModel(s.str())
		case pricingType:
			s.once(&seen, j)
			ev.PricingType = model.ParsePricingType(s.str())
		case pricingCategory:
			s.once(&seen, j)
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
		next := 0
		for more := s.open('{'); more; more = s.next('}') {
			j := s.keyOf(codeMember, next)
			next = j + 1
			if j != 0 {
				s.skip()
				continue
			}
			s.once(&seen, 0)
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
	next := 0
	for more := s.open('{'); more; more = s.next('}') {
		j := s.keyOf(messageKeys, next)
		next = j + 1
		if j >= 0 {
			s.once(&seen, j)
		}
		switch j {
		case messageID:
			ev.MessageID = s.str()
		case messageFrom:
			ev.Customer = s.str()
		case messageFromUser:
			ev.CustomerUserID = s.str()
		case messageTimestamp:
			ev.Time = s.fastTimestamp()
		case messageType:
			m.typ = s.str()
		case messageReferral:
			if s.peek() != '{' {
				s.bad = true
			}
			s.skip()
			ev.Referral = true
		case messageContext:
			ev.ContextID = s.member(idMember)
		case messageText:
			m.readText(s)
		case messageButton:
			m.readButton(s)
		case messageInteractive:
			m.readInteractive(s)
		case messageErrors:
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
	next := 0
	for more := s.open('{'); more; more = s.next('}') {
		j := s.keyOf(bodyMember, next)
		next = j + 1
		if j != 0 {
			s.skip()
			continue
		}
		s.once(&seen, 0)
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
	next := 0
	for more := s.open('{'); more; more = s.next('}') {
		j := s.keyOf(buttonKeys, next)
		next = j + 1
		switch j {
		case buttonPayload:
			s.once(&seen, j)
			m.buttonPayload = s.str()
		case buttonText:
			s.once(&seen, j)
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
	next := 0
	for more := s.open('{'); more; more = s.next('}') {
		r := s.keyOf(interactiveKeys, next)
		next = r + 1
		if r < 0 || r >= len(interactiveReplies) {
			s.skip()
			continue
		}
		s.once(&seen, r)
		m.replyFound[r] = true
		m.replyID[r] = s.member(idMember)
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
