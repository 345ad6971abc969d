package window

import (
	"slices"

	"github.com/waba-exporter/waba_exporter/model"
)

// quotaState is the consumption of one quota in its current period.
type quotaState struct {
	q          *Quota
	start, end int64 // current period; 0 before the first unit
	used       float64
	consumed   float64 // monotonic since start (or checkpoint restore)
}

func (m *Machine) consume(unit QuotaUnit, biz string, cat model.Category, t int64) {
	for i := range m.quotas {
		qs := &m.quotas[i]
		q := qs.q
		if q.Unit != unit {
			continue
		}
		if len(q.Businesses) > 0 && !slices.Contains(q.Businesses, biz) {
			continue
		}
		if len(q.Categories) > 0 && !slices.Contains(q.Categories, cat) {
			continue
		}
		qs.consumed++
		if t >= qs.end {
			qs.start, qs.end = q.periodBounds(t)
			qs.used = 0
		}
		if t >= qs.start {
			qs.used++
		}
	}
}

// QuotaView is a quota as seen at a scrape.
type QuotaView struct {
	Name       string
	Limit      float64
	Used       float64 // in the period containing now
	Consumed   float64
	Start, End int64
}

func (m *Machine) quotaViews(now int64) []QuotaView {
	out := make([]QuotaView, 0, len(m.quotas))
	for i := range m.quotas {
		qs := &m.quotas[i]
		v := QuotaView{Name: qs.q.Name, Limit: qs.q.Limit, Consumed: qs.consumed}
		v.Start, v.End = qs.q.periodBounds(now)
		if qs.start == v.Start {
			v.Used = qs.used
		}
		out = append(out, v)
	}
	return out
}
