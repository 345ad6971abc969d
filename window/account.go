package window

import (
	"math"
	"strconv"
	"strings"

	"github.com/waba-exporter/waba_exporter/model"
)

// Account is the health of one WhatsApp Business Account (docs/spec.md 4.8), from account_update
// events. Read it under the caller's read lock only.
type Account struct {
	ID     string
	Events map[string]uint64 // by lower-cased event (accountEvents, else "other")
	// Status: disabled (DISABLED_UPDATE with DISABLE or SCHEDULE_FOR_DISABLE, until a
	// REINSTATE), else restricted (ACCOUNT_RESTRICTION, until its expiration), else ok.
	// Events older (in event time) than the last one applied do not change it.
	disabled        bool
	restrictedUntil int64 // event time the restriction ends (exclusive); MaxInt64 without one
	statusAt        int64
	// Tiers is the volume pricing tier by pricing category (VOLUME_BASED_PRICING_TIER_UPDATE).
	Tiers map[model.Category]Tier
}

// Tier is a volume pricing tier.
type Tier struct {
	Value      float64 // the tier's lower bound ("100001:500000" -> 100001)
	Month      string  // effective_month as given
	UpdateTime int64   // tier_update_time
}

// AccountStatus is the status of a WhatsApp Business Account (the `status` label of
// waba_account_status).
type AccountStatus uint8

// Account statuses.
const (
	AccountOK         AccountStatus = iota
	AccountRestricted               // under an ACCOUNT_RESTRICTION until its expiration
	AccountDisabled                 // disabled until a REINSTATE
	NumAccountStatus
)

// Status returns the account's status at event time now.
func (a *Account) Status(now int64) AccountStatus {
	switch {
	case a.disabled:
		return AccountDisabled
	case a.restrictedUntil > now:
		return AccountRestricted
	}
	return AccountOK
}

// Accounts returns the WABAs seen, in first-seen order (read lock only).
func (m *Machine) Accounts() []*Account { return m.accounts }

// account returns the Account of a WABA id, creating it under the cap (MaxBusinesses);
// nil when over it (counted as label overflow of waba_id).
func (m *Machine) account(id []byte) *Account {
	if len(id) == 0 {
		id = []byte("unknown")
	}
	if i, ok := m.accountIx[string(id)]; ok {
		return m.accounts[i]
	}
	if len(m.accounts) >= m.cfg.MaxBusinesses {
		m.self.LabelOverflow["waba_id"]++
		return nil
	}
	a := &Account{ID: string(id), Events: map[string]uint64{}, Tiers: map[model.Category]Tier{}}
	m.accountIx[a.ID] = len(m.accounts)
	m.accounts = append(m.accounts, a)
	return a
}

// applyAccount applies an account_update. Meta sends a volume tier update again, minutes
// to hours later, with a later time and tier_update_time: the same (WABA, category, tier,
// month) within the message TTL is one update, counted once, and the smaller
// tier_update_time is kept.
func (m *Machine) applyAccount(ev *model.Event) {
	name := lowerBounded(ev.EventName, accountEvents)
	if name == "volume_based_pricing_tier_update" && m.tierRepeated(ev) {
		return
	}
	a := m.account(ev.Account)
	if a == nil {
		return
	}
	a.Events[name]++
	switch name {
	case "account_restriction":
		if ev.Time >= a.statusAt {
			a.statusAt = ev.Time
			a.restrictedUntil = ev.RestrictionUntil
			if a.restrictedUntil <= 0 {
				a.restrictedUntil = math.MaxInt64
			}
		}
	case "disabled_update":
		if ev.Time < a.statusAt {
			return
		}
		var buf [32]byte
		switch string(model.Lower(&buf, ev.AccountState)) {
		case "disable", "disabled", "schedule_for_disable":
			a.disabled, a.statusAt = true, ev.Time
		case "reinstate", "reinstated":
			a.disabled, a.restrictedUntil, a.statusAt = false, 0, ev.Time
		}
	case "volume_based_pricing_tier_update":
		v, ok := tierLowerBound(ev.Tier)
		if !ok || ev.TierCategory == model.CategoryNone {
			return
		}
		month := string(ev.TierMonth)
		old, had := a.Tiers[ev.TierCategory]
		if !had || month > old.Month || month == old.Month && ev.TierUpdateTime < old.UpdateTime {
			a.Tiers[ev.TierCategory] = Tier{Value: v, Month: month, UpdateTime: ev.TierUpdateTime}
		}
	}
}

// tierRepeated reports whether a volume tier update was seen before (Meta's duplicate).
func (m *Machine) tierRepeated(ev *model.Event) bool {
	k := m.hash([]byte("tier"), ev.Account, []byte{byte(ev.TierCategory)}, ev.Tier, ev.TierMonth)
	ms, fresh := m.msgs.getOrCreate(k, max(ev.Time, m.watermark), &m.self.Evictions[EvictMessage])
	if !fresh {
		m.self.DuplicateMessage++
		return true
	}
	ms.flags = mfInbound // never matched by a status
	return false
}

// tierLowerBound reads the lower bound of a tier "low:high" (or a single number).
func tierLowerBound(b []byte) (float64, bool) {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexAny(s, ":-"); i > 0 {
		s = s[:i]
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}
