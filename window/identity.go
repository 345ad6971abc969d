// Customers: the keyed hashes that stand for them (phone number or business-scoped user
// id), their (business, customer) state, and their country label.

package window

import (
	"strings"

	"github.com/waba-exporter/waba_exporter/model"
)

// custKey keys a (business, customer) pair from the customer's identity hash (see
// identity): the identity xor a salt of the business, so that the person (the same
// customer of several numbers of a portfolio) is recovered as key ^ bizSalt(biz).
func custKey(biz uint16, id uint64) uint64 { return id ^ bizSalt(biz) }

// identity returns the keyed hash that stands for the customer of ev (docs/spec.md 4.9): its
// phone number's when the event has one, linking the event's business-scoped user id
// (BSUID) to it when it shows both; else the phone number linked to its BSUID; else the
// BSUID's own. 0 when the event names no customer. A customer first seen by BSUID alone
// and only later with its phone number keeps the history of the BSUID apart (the link
// applies from then on); Meta moves customers the other way (phone, then BSUID only).
func (m *Machine) identity(ev *model.Event, t int64) uint64 {
	if len(ev.Customer) > 0 {
		h := m.hashID(idCustomer, ev.Customer)
		if len(ev.CustomerUserID) > 0 {
			u := m.hashID(idUser, ev.CustomerUserID)
			if l, _ := m.links.getOrCreate(u, t, &m.self.Evictions[EvictIdentity]); *l != h {
				*l = h
			}
		}
		return h
	}
	if len(ev.CustomerUserID) > 0 {
		u := m.hashID(idUser, ev.CustomerUserID)
		if l := m.links.get(u); l != nil {
			return *l
		}
		return u
	}
	return 0
}

func bizSalt(biz uint16) uint64 {
	x := (uint64(biz) + 1) * 0x9e3779b97f4a7c15
	x ^= x >> 31
	x *= 0xbf58476d1ce4e5b9
	return x ^ x>>29
}

// countryName is the country of the customer of ev: from its phone number's calling code,
// else from the contacts' profile country_code (docs/spec.md 4.9); "unknown" when neither says,
// or when countries are off (CountryOf nil).
func (m *Machine) countryName(ev *model.Event) string {
	if m.cfg.CountryOf == nil {
		return "unknown"
	}
	if len(ev.Customer) > 0 {
		if c := m.cfg.CountryOf(ev.Customer); c != "unknown" {
			return c
		}
	}
	if cc := ev.CustomerCountry; len(cc) == 2 && isLetter(cc[0]) && isLetter(cc[1]) {
		return strings.ToLower(string(cc))
	}
	return "unknown"
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func (m *Machine) countryIndex(c string) uint8 {
	_, over := m.countries.add(c)
	if over {
		m.self.LabelOverflow["country"]++
		c = "other"
	}
	return m.countries.index(c)
}

// customer returns the state of the customer with identity id (see identity) of business
// bi, creating it; a customer whose country is unknown learns it from a later event.
func (m *Machine) customer(bi uint16, id uint64, ev *model.Event, t int64) (uint64, *custState) {
	k := custKey(bi, id)
	c, fresh := m.custs.getOrCreate(k, t, &m.self.Evictions[EvictCustomer])
	if fresh {
		c.biz = bi
		c.country = m.countryIndex(m.countryName(ev))
	} else if c.country == 0 && m.cfg.CountryOf != nil && (len(ev.CustomerCountry) > 0 || len(ev.Customer) > 0) {
		c.country = m.countryIndex(m.countryName(ev))
	}
	return k, c
}
