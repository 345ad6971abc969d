package window

import (
	"math"
	"slices"

	"github.com/waba-exporter/waba_exporter/model"
)

// portfolio is a business portfolio: the numbers that share one messaging limit (docs/spec.md
// 4.8). Configured ones come first in Machine.ports (same index as Config.Portfolios);
// without configuration each WABA is its own portfolio, named by its id, created when a
// webhook names the WABA (at most MaxBusinesses of them).
type portfolio struct {
	name string
	cfg  int // index in Config.Portfolios; -1 for a WABA's own portfolio
	// recips maps a person (identity hash) to the last delivery of a business-initiated
	// message to them, across the portfolio's numbers.
	recips genMap[uint32]
	// The limit from business_capability_update: the latest by event time (+Inf for -1).
	hookLimit float64
	hookAt    int64
	hookKnown bool
	// recent counts the recipients by their last delivery (zeros: those at time 0), kept
	// with recips (gauges.go).
	recent timeCounts
	zeros  int64
}

func newPortfolio(name string, cfg, maxCustomers int) *portfolio {
	p := &portfolio{name: name, cfg: cfg, recips: newGenMap[uint32](day, maxCustomers)}
	p.setHook()
	return p
}

// setWABA records the WABA of business bi, and resolves its portfolio again.
func (m *Machine) setWABA(bi uint16, waba []byte) {
	b := m.biz[bi]
	b.WabaID = string(waba)
	b.port = 0
	m.portfolioOf(bi)
	m.account(waba) // its status is exported (ok) before any account_update
}

// portfolioOf returns the portfolio of business bi: the configured one that lists the
// number, else the configured one that lists its WABA, else the WABA's own; nil while
// the WABA is unknown.
func (m *Machine) portfolioOf(bi uint16) *portfolio {
	b := m.biz[bi]
	if b.port > 0 {
		return m.ports[b.port-1]
	}
	for i, p := range m.cfg.Portfolios {
		if slices.Contains(p.Businesses, b.ID) {
			b.port = i + 1
			return m.ports[i]
		}
	}
	if b.WabaID == "" {
		return nil
	}
	i := m.wabaPortfolio(b.WabaID)
	if i < 0 {
		return nil
	}
	b.port = i + 1
	return m.ports[i]
}

// resolvePorts resolves the portfolio of every business (after a restore or a
// reconfiguration), so that scrapes, which must not modify the Machine, read it.
func (m *Machine) resolvePorts() {
	for i, b := range m.biz {
		b.port = 0
		m.portfolioOf(uint16(i))
	}
}

// wabaPortfolio returns the index of the portfolio of a WABA (creating its own under
// the cap), or -1.
func (m *Machine) wabaPortfolio(waba string) int {
	if i := m.configuredPortfolioOfWABA(waba); i >= 0 {
		return i
	}
	for i := len(m.cfg.Portfolios); i < len(m.ports); i++ {
		if m.ports[i].name == waba {
			return i
		}
	}
	if len(m.ports)-len(m.cfg.Portfolios) >= m.cfg.MaxBusinesses {
		m.self.LabelOverflow["portfolio"]++
		return -1
	}
	m.ports = append(m.ports, newPortfolio(waba, -1, m.cfg.MaxCustomers))
	return len(m.ports) - 1
}

// configuredPortfolioOfWABA returns the index of the configured portfolio that lists the
// WABA, or one of its known numbers; -1 when none.
func (m *Machine) configuredPortfolioOfWABA(waba string) int {
	for i, p := range m.cfg.Portfolios {
		if slices.Contains(p.Wabas, waba) {
			return i
		}
	}
	for _, b := range m.biz {
		if b.WabaID != waba {
			continue
		}
		for i, p := range m.cfg.Portfolios {
			if slices.Contains(p.Businesses, b.ID) {
				return i
			}
		}
	}
	return -1
}

// businessInitiatedDelivery records the delivery at t of a business-initiated message
// (a template classified outside a CSW at its send) to customer key ck: per number, and
// per person across the portfolio. The caller regauges c (gauges.go).
func (m *Machine) businessInitiatedDelivery(c *custState, ck uint64, t uint32) {
	if t > c.lastBI {
		c.lastBI = t // the caller regauges c
	}
	p := m.portfolioOf(c.biz)
	if p == nil {
		return
	}
	person := ck ^ bizSalt(c.biz)
	last, fresh := p.recips.getOrCreate(person, int64(t), &m.self.Evictions[EvictRecipient])
	old := *last
	if t > *last {
		*last = t
	}
	p.count(old, *last, fresh)
}

// applyCapability applies a business_capability_update: the latest (by event time) sets
// the portfolio's limit; -1 is unlimited.
func (m *Machine) applyCapability(ev *model.Event) {
	if len(ev.Account) == 0 {
		m.self.DroppedBusinesses++
		return
	}
	i := m.wabaPortfolio(string(ev.Account))
	if i < 0 {
		return
	}
	p := m.ports[i]
	if p.hookKnown && ev.Time < p.hookAt {
		return
	}
	p.hookAt, p.hookKnown = ev.Time, true
	p.hookLimit = float64(ev.LimitRecipients)
	if ev.LimitRecipients < 0 {
		p.hookLimit = math.Inf(1)
	}
}

// LimitSource is where a portfolio's messaging limit comes from (the `source` label of
// waba_portfolio_messaging_limit_recipients).
type LimitSource uint8

// Limit sources, in order of precedence after LimitUnknown.
const (
	LimitUnknown LimitSource = iota // no limit known
	LimitWebhook                    // a business_capability_update webhook
	LimitQuality                    // the latest quality update of one of its numbers
	LimitConfig                     // the configuration
	NumLimitSource
)

// portfolioLimit returns the limit of portfolio pi and where it comes from: the webhook,
// else the latest quality update of one of its numbers, else the config; ok false when
// unknown.
func (m *Machine) portfolioLimit(pi int) (float64, LimitSource, bool) {
	p := m.ports[pi]
	if p.hookKnown {
		return p.hookLimit, LimitWebhook, true
	}
	var best *Business
	for _, b := range m.biz {
		if b.port == pi+1 && b.LimitKnown && !b.limitFixed && (best == nil || b.limitAt > best.limitAt) {
			best = b
		}
	}
	if best != nil {
		return best.Limit, LimitQuality, true
	}
	if p.cfg >= 0 && m.cfg.Portfolios[p.cfg].Limit > 0 {
		return m.cfg.Portfolios[p.cfg].Limit, LimitConfig, true
	}
	return 0, LimitUnknown, false
}
