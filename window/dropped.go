package window

import "github.com/waba-exporter/waba_exporter/model"

// DropReason is why an event was dropped without reaching the state (the `reason` label
// of waba_exporter_dropped_events_total); SelfStats.Dropped is indexed by it.
type DropReason uint8

// Reasons an event is dropped. Every drop is counted under exactly one reason, and
// SelfStats.DroppedBusinesses stays their sum.
const (
	DropBusinessCap DropReason = iota // a new phone_number_id beyond Config.MaxBusinesses
	DropNotAllowed                    // a phone_number_id outside the configured allowlist
	DropNoBusiness                    // a body that names no business (On-Premises, Infobip) and no input business is set
	DropBadMetadata                   // a Cloud API body whose metadata is missing or malformed
	DropNoMessageID                   // a status without a message id
	NumDropReason
)

// Bounds of the record of businesses dropped (for the log line once per new one): at most
// maxDropSeen ids remembered, at most maxDropQueue waiting to be taken.
const (
	maxDropSeen  = 1024
	maxDropQueue = 64
)

// dropLog remembers which businesses were already reported as dropped.
type dropLog struct {
	seen  map[string]struct{}
	queue []string
}

// drop counts one dropped event. A business id dropped for the first time (cap or
// allowlist) is queued for TakeDroppedBusinesses.
func (m *Machine) drop(reason DropReason, business []byte) {
	m.self.DroppedBusinesses++
	m.self.Dropped[reason]++
	if len(business) == 0 || (reason != DropBusinessCap && reason != DropNotAllowed) {
		return
	}
	if m.drops.seen == nil {
		m.drops.seen = map[string]struct{}{}
	}
	if _, ok := m.drops.seen[string(business)]; ok || len(m.drops.seen) >= maxDropSeen {
		return
	}
	id := string(business)
	m.drops.seen[id] = struct{}{}
	if len(m.drops.queue) < maxDropQueue {
		m.drops.queue = append(m.drops.queue, id)
	}
}

// dropNoBusiness counts an event without a business: a Cloud API body is expected to
// carry one in its metadata, other formats only when the input sets one.
func (m *Machine) dropNoBusiness(ev *model.Event) {
	if ev.Provider == model.ProviderMeta {
		m.drop(DropBadMetadata, nil)
		return
	}
	m.drop(DropNoBusiness, nil)
}

// businessDropReason tells why business(id) refused id.
func (m *Machine) businessDropReason(id []byte) DropReason {
	if m.allow != nil && !m.allow[string(id)] {
		return DropNotAllowed
	}
	return DropBusinessCap
}

// TakeDroppedBusinesses returns the business ids dropped for the first time since the
// last call (cap or allowlist), each once per process, and forgets them. The ids are
// the businesses' own phone_number_ids, never customer data.
func (m *Machine) TakeDroppedBusinesses() []string {
	q := m.drops.queue
	m.drops.queue = nil
	return q
}
