package window

// Reconfigure applies a new configuration to a running Machine, keeping its state:
// keywords, reply window, allowed lateness, label caps (values already interned keep
// their label), allowlist, messaging limit overrides, rate card, quotas (a quota keeps
// its used units when its name stays) and portfolios (kept by name). The hash key, the
// TTLs and the map caps of the state are fixed at New: changing them needs a restart.
func (m *Machine) Reconfigure(cfg Config) {
	old := m.cfg
	cfg.HashKey, cfg.HashKey2 = old.HashKey, old.HashKey2
	cfg.MessageTTL, cfg.CustomerTTL = old.MessageTTL, old.CustomerTTL
	cfg.MaxMessages, cfg.MaxCustomers, cfg.MaxConversations = old.MaxMessages, old.MaxCustomers, old.MaxConversations
	cfg.fill(old)
	m.cfg = cfg
	m.sec = cfg.seconds()
	m.setKeywords()
	m.camp.reconfigure(cfg.Campaigns)
	m.errCodes.limit = min(cfg.ErrorCodeCap, 250)
	m.countries.limit = min(cfg.CountryCap, 250)
	m.allow = nil
	if len(cfg.AllowBusinesses) > 0 {
		m.allow = map[string]bool{}
		for _, b := range cfg.AllowBusinesses {
			m.allow[b] = true
			m.business([]byte(b))
		}
	}
	for _, b := range m.biz {
		if lim, ok := cfg.LimitOverrides[b.ID]; ok {
			b.Limit, b.LimitKnown, b.limitFixed = lim, true, true
		} else if b.limitFixed {
			b.limitFixed, b.LimitKnown = false, false
		}
	}
	oldQ := map[string]quotaState{}
	for _, qs := range m.quotas {
		oldQ[qs.q.Name] = qs
	}
	m.quotas = m.quotas[:0:0]
	for i := range m.cfg.Quotas {
		qs := quotaState{q: &m.cfg.Quotas[i]}
		if prev, ok := oldQ[qs.q.Name]; ok {
			qs.start, qs.end, qs.used, qs.consumed = prev.start, prev.end, prev.used, prev.consumed
		}
		m.quotas = append(m.quotas, qs)
	}
	// Portfolios: configured ones keep, by name, their recipients and learned limit; a
	// WABA's own portfolio stays unless the WABA is now in a configured one (which then
	// takes its learned limit when it has none).
	oldP := m.ports
	byName := map[string]*portfolio{}
	for _, p := range oldP {
		if p.cfg >= 0 {
			byName[p.name] = p
		}
	}
	m.ports = nil
	for i, p := range cfg.Portfolios {
		np, ok := byName[p.Name]
		if !ok {
			np = newPortfolio(p.Name, i, cfg.MaxCustomers)
		}
		np.cfg = i
		m.ports = append(m.ports, np)
	}
	for _, p := range oldP {
		if p.cfg >= 0 {
			continue
		}
		if ci := m.configuredPortfolioOfWABA(p.name); ci >= 0 {
			if cp := m.ports[ci]; !cp.hookKnown && p.hookKnown {
				cp.hookLimit, cp.hookAt, cp.hookKnown = p.hookLimit, p.hookAt, true
			}
			continue
		}
		m.ports = append(m.ports, p)
	}
	m.resolvePorts()
}
