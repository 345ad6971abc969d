package window

import (
	"time"

	"github.com/waba-exporter/waba_exporter/model"
)

// ActiveWindow is a trailing window of BusinessView.Active (customers with an inbound
// message within it, waba_active_customers).
type ActiveWindow uint8

// Active-customer windows.
const (
	Active1d  ActiveWindow = iota // the last day
	Active7d                      // the last 7 days
	Active30d                     // the last 30 days
	NumActiveWindow
)

// activeSeconds are the lengths of the active-customer windows, in seconds.
var activeSeconds = [NumActiveWindow]int64{day, 7 * day, 30 * day}

// Duration returns the length of the window.
func (w ActiveWindow) Duration() time.Duration { return time.Duration(activeSeconds[w]) * time.Second }

// BusinessView holds the gauges derived from state for one business at a scrape.
type BusinessView struct {
	ServiceWindowsOpen  uint64
	Unanswered          uint64
	OldestUnanswered    int64                   // event time; 0 when none
	Active              [NumActiveWindow]uint64 // customers with an inbound message in the window
	UniqueRecipients24h uint64
	ConversationsOpen   [model.NumCategory]uint64
}

// PortfolioView is a portfolio at a scrape: configured ones first, then one per WABA.
type PortfolioView struct {
	Name                string
	UniqueRecipients24h uint64
	Limit               float64
	LimitSource         LimitSource // LimitUnknown when the limit is unknown
}

// View is everything a scrape derives from state at "now" (event time).
type View struct {
	Now        int64
	Businesses []BusinessView // indexed like Businesses()
	Portfolios []PortfolioView
	Quotas     []QuotaView
	Entries    [NumEvictKind]int // entries of each kind of bounded state
}

// View computes the scrape-time gauges from the counts kept at apply time (gauges.go):
// its cost depends on the businesses and portfolios, not on the customers. Those counts
// serve a time at or after the watermark (as scrapes ask); an earlier now takes a pass
// over the customers (viewScan). It does not modify the Machine: callers hold a read
// lock.
func (m *Machine) View(now int64) View {
	if now < m.watermark {
		return m.viewScan(now)
	}
	v := View{Now: now, Businesses: make([]BusinessView, len(m.biz))}
	var ex excluded
	for bi := range v.Businesses {
		m.businessView(&v.Businesses[bi], bi, now, &ex)
	}
	for pi, p := range m.ports {
		pv := PortfolioView{Name: p.name, UniqueRecipients24h: p.recipients24h(now)}
		if lim, src, ok := m.portfolioLimit(pi); ok {
			pv.Limit, pv.LimitSource = lim, src
		}
		v.Portfolios = append(v.Portfolios, pv)
	}
	m.viewTail(&v)
	return v
}

// viewScan is View by one pass over the customers and recipients: for a time before
// the watermark, and what the tests compare View with.
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
	m.viewTail(&v)
	return v
}

// viewTail fills the quotas and state sizes of v.
func (m *Machine) viewTail(v *View) {
	v.Quotas = m.quotaViews(v.Now)
	v.Entries[EvictMessage] = m.msgs.Len()
	v.Entries[EvictCustomer] = m.custs.Len()
	v.Entries[EvictConversation] = m.convs.Len()
	v.Entries[EvictIdentity] = m.links.Len()
	for _, p := range m.ports {
		v.Entries[EvictRecipient] += p.recips.Len()
	}
}
