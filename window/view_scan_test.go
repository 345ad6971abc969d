package window

// viewScan is View as it was before the gauges were kept at apply time: one pass over
// the customers and recipients. The tests compare View against it.
func (m *Machine) viewScan(now int64) View {
	v := View{Now: now, Businesses: make([]BusinessView, len(m.biz))}
	n := uint32(max(now, 0))
	m.custs.each(func(c *custState) {
		bv := &v.Businesses[c.biz]
		if c.cswUntil > n {
			bv.ServiceWindowsOpen++
			if c.unansweredSince != 0 {
				bv.Unanswered++
				if bv.OldestUnanswered == 0 || int64(c.unansweredSince) < bv.OldestUnanswered {
					bv.OldestUnanswered = int64(c.unansweredSince)
				}
			}
		}
		if c.lastInbound != 0 {
			for i, w := range activeSeconds {
				if int64(c.lastInbound) > now-w {
					bv.Active[i]++
				}
			}
		}
		if c.lastBI != 0 && int64(c.lastBI) > now-day {
			bv.UniqueRecipients24h++
		}
		for i, until := range c.conv {
			if i == ccReferral {
				until = max(until, c.fepUntil)
			}
			if until > n {
				bv.ConversationsOpen[convCats[i]]++
			}
		}
	})
	for pi, p := range m.ports {
		pv := PortfolioView{Name: p.name}
		p.recips.each(func(last *uint32) {
			if int64(*last) > now-day {
				pv.UniqueRecipients24h++
			}
		})
		if lim, src, ok := m.portfolioLimit(pi); ok {
			pv.Limit, pv.LimitSource = lim, src
		}
		v.Portfolios = append(v.Portfolios, pv)
	}
	v.Quotas = m.quotaViews(now)
	v.Entries[EvictMessage] = m.msgs.Len()
	v.Entries[EvictCustomer] = m.custs.Len()
	v.Entries[EvictConversation] = m.convs.Len()
	v.Entries[EvictIdentity] = m.links.Len()
	for _, p := range m.ports {
		v.Entries[EvictRecipient] += p.recips.Len()
	}
	return v
}
