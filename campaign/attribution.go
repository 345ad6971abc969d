package campaign

// Touch is one tagged delivery to a customer: the message's delivery second (the smallest
// timestamp of its delivered/read statuses), a key identifying the message (the window's
// keyed hash of its id) and its tag. 24 bytes.
type Touch struct {
	Time int64
	Key  uint64
	Ref  Ref
}

// Mode is the attribution model.
type Mode uint8

const (
	// LastTouch credits the latest delivery d <= t with t < d + window.
	LastTouch Mode = iota
	// FirstTouch credits the earliest delivery d <= t with t < d + window.
	FirstTouch
)

// ModeOf maps Config.Attribution to a Mode (Validate has checked it).
func ModeOf(c Config) Mode {
	if c.WithDefaults().Attribution == "first_touch" {
		return FirstTouch
	}
	return LastTouch
}

// Record adds or updates tc in h, a customer's recent tagged deliveries, and returns h.
//
// Invariants of h: sorted by Time; among equal times, in the order the deliveries became
// known (so "the latest" of several in one second is the one learned last, as the
// generator's ground truth orders them by log position); each Key at most once; at most
// max entries (the oldest is dropped first; a touch older than all of a full h is not
// added). A Key already present keeps the smaller Time (a read seen before its delivered
// status is corrected by the delivered one) and takes tc.Ref when that is non-zero; a
// moved entry goes after the others of its new second. Allocates only when h grows.
func Record(h []Touch, tc Touch, max int) []Touch {
	for i := range h {
		if h[i].Key != tc.Key {
			continue
		}
		old := h[i]
		if tc.Ref == 0 {
			tc.Ref = old.Ref
		}
		if old.Time <= tc.Time {
			h[i].Ref = tc.Ref
			return h
		}
		h = append(h[:i], h[i+1:]...)
		break
	}
	if max < 1 {
		max = 1
	}
	if len(h) >= max {
		if tc.Time < h[0].Time {
			return h
		}
		h = append(h[:0], h[1:]...)
	}
	// insert after every entry with Time <= tc.Time
	j := len(h)
	for j > 0 && h[j-1].Time > tc.Time {
		j--
	}
	h = append(h, Touch{})
	copy(h[j+1:], h[j:])
	h[j] = tc
	return h
}

// Attribute returns the touch of h that a conversion (or opt-out) at t is credited to:
// among the deliveries d <= t with t < d + window, the latest (LastTouch) or the earliest
// (FirstTouch); of several in one second the latest learned wins under LastTouch, the
// first learned under FirstTouch. ok is false when there is none (credit campaign "none").
// A conversion exactly at d + window is outside; one at d is inside.
//
// Touches with a zero Ref (deliveries whose tag is not known yet, kept for their position)
// are skipped, as untagged messages are no touch.
func Attribute(h []Touch, t, window int64, mode Mode) (Touch, bool) {
	if mode == FirstTouch {
		for _, tc := range h {
			if tc.Ref != 0 && tc.Time <= t && t < tc.Time+window {
				return tc, true
			}
		}
		return Touch{}, false
	}
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Ref == 0 || h[i].Time > t {
			continue
		}
		if t < h[i].Time+window {
			return h[i], true
		}
		break // older ones are older still
	}
	return Touch{}, false
}

// Prune drops the touches that can credit nothing at or after t (d + window <= t) and
// returns h (the window calls it with its watermark minus its allowed lateness).
func Prune(h []Touch, t, window int64) []Touch {
	n := 0
	for n < len(h) && h[n].Time+window <= t {
		n++
	}
	if n == 0 {
		return h
	}
	return append(h[:0], h[n:]...)
}
