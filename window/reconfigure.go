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
	m.setKeywords()
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
	oldP := map[string]genMap[uint32]{}
	for i, p := range old.Portfolios {
		oldP[p.Name] = m.port[i]
	}
	m.port = nil
	for _, p := range cfg.Portfolios {
		g, ok := oldP[p.Name]
		if !ok {
			g = newGenMap[uint32](day, cfg.MaxCustomers)
		}
		m.port = append(m.port, g)
	}
}
