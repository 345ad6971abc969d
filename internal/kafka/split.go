package kafka

import (
	"github.com/valyala/fastjson"

	"github.com/waba-exporter/waba_exporter/webhook"
)

// Record is one record to produce: the partitioning key and the webhook body.
type Record struct {
	Key   []byte
	Value []byte
}

// customerArrays are the arrays of a Meta change value whose items each name one
// customer, with the members holding its BSUID and its phone number.
var customerArrays = [...]struct{ name, uid, phone string }{
	{"statuses", "recipient_user_id", "recipient_id"},
	{"messages", "from_user_id", "from"},
	{"contacts", "user_id", "wa_id"},
	{"user_preferences", "user_id", "wa_id"},
}

// Splitter turns one logged webhook body into the records to produce (the key rule of
// docs/scale-out.md): one record per customer the body touches, keyed by the customer's
// BSUID when the webhook gives one (directly, or through the change value's contacts[]),
// else by the phone number; a body without a customer is keyed by its WABA id, else its
// phone_number_id, else by the business the decoder finds. A Meta body touching several
// customers becomes one record per customer: the same envelope (object, entry ids and
// times, change fields, metadata and every other member), with only that customer's
// items in statuses[], messages[], contacts[] and user_preferences[]; items that name no
// customer (value-level errors[]) go with the change's first customer. A body touching
// one customer is forwarded byte for byte. Other formats name one customer per body and
// are forwarded as they are, keyed from the decoded events.
//
// A Splitter is for one goroutine. The records it returns alias its memory and the line:
// valid until the next call.
type Splitter struct {
	p, q  fastjson.Parser
	arena fastjson.Arena
	dec   *webhook.Decoder
	keys  [][]byte // distinct keys of the body, in first-seen order
	buf   []byte
	recs  []Record
	uids  map[string]string // contacts' phone number -> BSUID, per change value
}

// NewSplitter returns a Splitter decoding non-Meta bodies with opts (format auto by
// default).
func NewSplitter(opts webhook.Options) *Splitter {
	return &Splitter{dec: webhook.NewDecoder(opts), uids: map[string]string{}}
}

// Split returns the records of line. ok is false when the line is not a webhook body the
// decoder accepts and names nothing to key it by (it is then forwarded as one record with
// an empty key, so that the consumer counts its parse error).
func (s *Splitter) Split(line []byte) (recs []Record, ok bool) {
	s.recs, s.keys, s.buf = s.recs[:0], s.keys[:0], s.buf[:0]
	v, err := s.p.ParseBytes(line)
	if err == nil && v.Type() == fastjson.TypeObject && v.Get("entry") != nil && v.Get("entry").Type() == fastjson.TypeArray {
		s.metaKeys(v)
		switch len(s.keys) {
		case 0:
		case 1:
			return append(s.recs, Record{Key: s.keys[0], Value: line}), true
		default:
			return s.splitMeta(line), true
		}
	}
	key := s.decodedKey(line)
	return append(s.recs, Record{Key: key, Value: line}), len(key) > 0
}

// decodedKey keys a body by its first event's customer (BSUID first), else its
// account, else its business.
func (s *Splitter) decodedKey(line []byte) []byte {
	evs, _ := s.dec.Decode(line, 0)
	for i := range evs {
		if k := firstNonEmpty(evs[i].CustomerUserID, evs[i].Customer); len(k) > 0 {
			return s.own(k)
		}
	}
	for i := range evs {
		if k := firstNonEmpty(evs[i].Account, evs[i].Business); len(k) > 0 {
			return s.own(k)
		}
	}
	return nil
}

// own copies b into the splitter's buffer (the decoder reuses its memory).
func (s *Splitter) own(b []byte) []byte {
	start := len(s.buf)
	s.buf = append(s.buf, b...)
	return s.buf[start:len(s.buf):len(s.buf)]
}

func firstNonEmpty(a, b []byte) []byte {
	if len(a) > 0 {
		return a
	}
	return b
}

// addKey records k (aliasing the parsed line) as a key of the body.
func (s *Splitter) addKey(k []byte) {
	for _, have := range s.keys {
		if string(have) == string(k) {
			return
		}
	}
	s.keys = append(s.keys, s.own(k))
}

// metaKeys collects the distinct keys of a Meta body in order.
func (s *Splitter) metaKeys(v *fastjson.Value) {
	for _, e := range v.GetArray("entry") {
		waba := e.GetStringBytes("id")
		for _, c := range e.GetArray("changes") {
			val := c.Get("value")
			n := 0
			s.contactUIDs(val)
			for _, ca := range customerArrays {
				for _, it := range val.GetArray(ca.name) {
					if k := s.itemKey(it, ca.uid, ca.phone); len(k) > 0 {
						s.addKey(k)
						n++
					}
				}
			}
			if n == 0 {
				if k := changeKey(waba, val); len(k) > 0 {
					s.addKey(k)
				}
			}
		}
	}
}

// changeKey is the key of a change without a customer: the WABA id, else the
// phone_number_id of the value's metadata.
func changeKey(waba []byte, val *fastjson.Value) []byte {
	if len(waba) > 0 {
		return waba
	}
	return val.GetStringBytes("metadata", "phone_number_id")
}

// contactUIDs maps the phone numbers of the value's contacts to their BSUIDs.
func (s *Splitter) contactUIDs(val *fastjson.Value) {
	clear(s.uids)
	for _, c := range val.GetArray("contacts") {
		wa, uid := c.GetStringBytes("wa_id"), c.GetStringBytes("user_id")
		if len(wa) > 0 && len(uid) > 0 {
			s.uids[string(wa)] = string(uid)
		}
	}
}

// itemKey is the key of one customer item: its BSUID, else the BSUID its phone number
// has in the value's contacts, else its phone number; nil when it names no customer.
func (s *Splitter) itemKey(it *fastjson.Value, uidName, phoneName string) []byte {
	if uid := it.GetStringBytes(uidName); len(uid) > 0 {
		return uid
	}
	phone := it.GetStringBytes(phoneName)
	if len(phone) == 0 {
		return nil
	}
	if uid, ok := s.uids[string(phone)]; ok {
		return []byte(uid)
	}
	return phone
}

// splitMeta builds one record per key: the line parsed afresh, its arrays filtered to
// the key's items and changes and entries left empty removed.
func (s *Splitter) splitMeta(line []byte) []Record {
	for _, key := range s.keys {
		v, err := s.q.ParseBytes(line)
		if err != nil {
			continue // parsed once already: cannot happen
		}
		s.arena.Reset()
		entries := s.arena.NewArray()
		ne := 0
		for _, e := range v.GetArray("entry") {
			waba := e.GetStringBytes("id")
			changes := s.arena.NewArray()
			nc := 0
			for _, c := range e.GetArray("changes") {
				if s.filterChange(c.Get("value"), waba, key) {
					changes.SetArrayItem(nc, c)
					nc++
				}
			}
			if nc > 0 {
				e.Set("changes", changes)
				entries.SetArrayItem(ne, e)
				ne++
			}
		}
		v.Set("entry", entries)
		start := len(s.buf)
		s.buf = v.MarshalTo(s.buf)
		s.recs = append(s.recs, Record{Key: key, Value: s.buf[start:len(s.buf):len(s.buf)]})
	}
	return s.recs
}

// filterChange keeps in val the items of key and reports whether anything of key is
// left. A change without customer items belongs to its changeKey; items without a
// customer (errors[]) go with the change's first customer.
func (s *Splitter) filterChange(val *fastjson.Value, waba, key []byte) bool {
	s.contactUIDs(val)
	var first []byte
	kept := 0
	for _, ca := range customerArrays {
		arr := val.GetArray(ca.name)
		if arr == nil {
			continue
		}
		out := s.arena.NewArray()
		n := 0
		for _, it := range arr {
			k := s.itemKey(it, ca.uid, ca.phone)
			if first == nil && len(k) > 0 {
				first = k
			}
			if string(k) == string(key) {
				out.SetArrayItem(n, it)
				n++
			}
		}
		kept += n
		if n == 0 {
			val.GetObject().Del(ca.name)
		} else {
			val.Set(ca.name, out)
		}
	}
	if first == nil {
		return string(changeKey(waba, val)) == string(key)
	}
	if string(first) != string(key) {
		val.GetObject().Del("errors")
	}
	return kept > 0
}
