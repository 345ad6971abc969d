package webhook

import (
	"bytes"

	"github.com/valyala/fastjson"
	"github.com/waba-exporter/waba_exporter/model"
)

// Customer identity (docs/spec.md 4.9). Meta names a customer by phone number (wa_id, from,
// recipient_id) and, since 2026, by business-scoped user id (BSUID: from_user_id,
// recipient_user_id, contacts[].user_id, user_preferences user_id); for users with a
// username it withholds the phone number and sends "" in its place. The value's
// contacts[] pair the two and carry profile.country_code.

// contact is one contacts[] item of a change value: its phone number, BSUID and
// country code as given (each nil when absent or not a string). The slices alias the
// line being decoded.
type contact struct {
	waID, userID, country []byte
}

// maxContacts bounds the contacts kept per change value: Meta sends at most one per
// customer of the webhook's batch. Further items are ignored by both decoding paths.
const maxContacts = 64

// scanContacts fills d.contacts from a contacts array (general path). A value that is not
// an array, items that are not objects and members of other types are ignored: contacts
// only enrich events, they never make a line invalid. Of a repeated key the last counts
// (fastjson's Visit), as everywhere in this path; the fast path leaves such lines to it.
func (d *Decoder) scanContacts(v *fastjson.Value) {
	d.contacts = d.contacts[:0]
	if v == nil || v.Type() != fastjson.TypeArray {
		return
	}
	arr, _ := v.Array()
	for _, it := range arr {
		if len(d.contacts) == maxContacts {
			return
		}
		o, err := it.Object()
		if err != nil {
			continue
		}
		var c contact
		o.Visit(func(k []byte, v *fastjson.Value) {
			switch string(k) {
			case "wa_id":
				c.waID = v.GetStringBytes()
			case "user_id":
				c.userID = v.GetStringBytes()
			case "profile":
				c.country = nil
				if po, err := v.Object(); err == nil {
					po.Visit(func(k []byte, v *fastjson.Value) {
						if string(k) == "country_code" {
							c.country = v.GetStringBytes()
						}
					})
				}
			}
		})
		d.contacts = append(d.contacts, c)
	}
}

// applyContacts completes the customer identity of evs from cs, the contacts of the
// change value they came from. An event matches the first contact whose non-empty wa_id
// equals its Customer or whose non-empty user_id equals its CustomerUserID; the match
// fills whichever of Customer and CustomerUserID the event lacks (so that an event
// showing both links them) and sets CustomerCountry from profile.country_code. Events
// without a customer (webhook errors) match nothing. Both decoding paths call this, so
// the result depends only on what they read, not on how.
func applyContacts(evs []model.Event, cs []contact) {
	if len(cs) == 0 {
		return
	}
	for i := range evs {
		e := &evs[i]
		if len(e.Customer) == 0 && len(e.CustomerUserID) == 0 {
			continue
		}
		for j := range cs {
			c := &cs[j]
			if (len(e.Customer) > 0 && bytes.Equal(c.waID, e.Customer)) ||
				(len(e.CustomerUserID) > 0 && bytes.Equal(c.userID, e.CustomerUserID)) {
				if len(e.Customer) == 0 && len(c.waID) > 0 {
					e.Customer = c.waID
				}
				if len(e.CustomerUserID) == 0 && len(c.userID) > 0 {
					e.CustomerUserID = c.userID
				}
				if len(c.country) > 0 {
					e.CustomerCountry = c.country
				}
				break
			}
		}
	}
}
