// Keys computed ahead: the keyed hashes of an event's ids depend on nothing but the
// ids and the machine's hash key, so a pipeline can compute them on its decoding
// goroutine and leave the applying one (the bottleneck on two cores) only the state.

package window

import "github.com/waba-exporter/waba_exporter/model"

// idField names the event ids Keys holds a hash of.
type idField uint8

const (
	idMessage idField = iota
	idCustomer
	idUser
	idContext
	numIDField
)

// Keys are the keyed hashes of one event's ids (Hasher.Keys), handed to ApplyKeys. The
// zero Keys holds none: ApplyKeys then hashes as Apply does.
type Keys struct {
	h   [numIDField]uint64
	set uint8 // bit f: h[f] is the hash of the event's id f
}

// Hasher computes Keys for a machine's hash key. It holds a copy of the key (which a
// machine keeps for its whole life, Reconfigure included), so it may be used on any
// goroutine while the machine applies on another.
type Hasher struct{ k0, k1 uint64 }

// Hasher returns the Hasher of m's hash key.
func (m *Machine) Hasher() Hasher { return Hasher{m.cfg.HashKey, m.cfg.HashKey2} }

// Keys returns the hashes of the ids of ev that applying it always hashes, as the
// machine would compute them: a status's message id, an inbound message's ids and
// customer, a reply's context. The others (a status's customer and conversation, needed
// only the first time a message or conversation is seen) are left to the machine, which
// hashes them when it needs them.
func (h Hasher) Keys(ev *model.Event) Keys {
	var k Keys
	ids := [numIDField][]byte{idMessage: ev.MessageID, idContext: ev.ContextID}
	if ev.Kind != model.KindStatus {
		ids[idCustomer], ids[idUser] = ev.Customer, ev.CustomerUserID
	}
	for f, p := range ids {
		if len(p) > 0 {
			k.h[f], k.set = sipHash24(h.k0, h.k1, p), k.set|1<<f
		}
	}
	return k
}

// ApplyKeys applies ev as Apply does, taking its id hashes from k, which must be
// Hasher.Keys of ev (unchanged since) from a Hasher of m.
func (m *Machine) ApplyKeys(ev *model.Event, k *Keys) {
	m.keys = k
	m.Apply(ev)
	m.keys = nil
}

// hashID returns the keyed hash of id f of the event being applied, whose bytes are p:
// from the Keys handed to ApplyKeys when they hold it, else computed.
func (m *Machine) hashID(f idField, p []byte) uint64 {
	if k := m.keys; k != nil && k.set&(1<<f) != 0 {
		return k.h[f]
	}
	return m.hash1(p)
}
