package window

import (
	"math"
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

func portfolioByName(v View, name string) (PortfolioView, bool) {
	for _, p := range v.Portfolios {
		if p.Name == name {
			return p, true
		}
	}
	return PortfolioView{}, false
}

// TestReconfigurePortfolios: a WABA's own portfolio, once its WABA is configured into a
// named portfolio, hands it the limit it learned and leaves the exposition; a configured
// portfolio kept by name keeps its recipients; the portfolio a scrape reads is resolved
// at the reload (scrapes never resolve it themselves).
func TestReconfigurePortfolios(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Portfolios = []Portfolio{{Name: "kept", Businesses: []string{"222"}}}
	m := New(cfg)
	base := int64(1770000000)
	evs := []model.Event{
		{Kind: model.KindQualityUpdate, Account: []byte("9"), LimitRecipients: -1, Time: base},
		{Kind: model.KindStatus, Business: []byte("111"), Account: []byte("9"), Customer: []byte("5511900000001"), MessageID: []byte("a"), Time: base + 10, Status: model.StatusSent, Category: model.CategoryMarketing, PricingModel: model.PricingModelPMP, PricingType: model.PricingTypeRegular},
		{Kind: model.KindStatus, Business: []byte("111"), Account: []byte("9"), Customer: []byte("5511900000001"), MessageID: []byte("a"), Time: base + 12, Status: model.StatusDelivered},
		{Kind: model.KindStatus, Business: []byte("222"), Account: []byte("8"), Customer: []byte("5511900000002"), MessageID: []byte("b"), Time: base + 20, Status: model.StatusSent, Category: model.CategoryUtility, PricingModel: model.PricingModelPMP, PricingType: model.PricingTypeRegular},
		{Kind: model.KindStatus, Business: []byte("222"), Account: []byte("8"), Customer: []byte("5511900000002"), MessageID: []byte("b"), Time: base + 22, Status: model.StatusDelivered},
	}
	for i := range evs {
		m.Apply(&evs[i])
	}
	m.Flush()
	v := m.View(base + 100)
	if p, ok := portfolioByName(v, "9"); !ok || p.UniqueRecipients24h != 1 || !math.IsInf(p.Limit, 1) || p.LimitSource != LimitWebhook {
		t.Fatalf("WABA 9's own portfolio before the reload: %+v (found %v)", p, ok)
	}
	if p, _ := portfolioByName(v, "kept"); p.UniqueRecipients24h != 1 {
		t.Fatalf("configured portfolio before the reload: %+v", p)
	}
	cfg.Portfolios = []Portfolio{{Name: "kept", Businesses: []string{"222"}}, {Name: "brand", Wabas: []string{"9"}, Limit: 250}}
	m.Reconfigure(cfg)
	v = m.View(base + 100)
	if _, ok := portfolioByName(v, "9"); ok {
		t.Error("WABA 9's own portfolio is still exported after its WABA was configured into brand")
	}
	if p, ok := portfolioByName(v, "brand"); !ok || !math.IsInf(p.Limit, 1) || p.LimitSource != LimitWebhook {
		t.Errorf("brand after the reload: %+v (found %v), want the learned unlimited limit", p, ok)
	}
	if p, _ := portfolioByName(v, "kept"); p.UniqueRecipients24h != 1 {
		t.Errorf("kept after the reload: %+v, want its recipient", p)
	}
	// A new delivery of business 111 now counts in brand.
	ev := []model.Event{
		{Kind: model.KindStatus, Business: []byte("111"), Account: []byte("9"), Customer: []byte("5511900000003"), MessageID: []byte("c"), Time: base + 200, Status: model.StatusSent, Category: model.CategoryMarketing, PricingModel: model.PricingModelPMP, PricingType: model.PricingTypeRegular},
		{Kind: model.KindStatus, Business: []byte("111"), Account: []byte("9"), Customer: []byte("5511900000003"), MessageID: []byte("c"), Time: base + 201, Status: model.StatusDelivered},
	}
	for i := range ev {
		m.Apply(&ev[i])
	}
	m.Flush()
	if p, _ := portfolioByName(m.View(base+300), "brand"); p.UniqueRecipients24h != 1 {
		t.Errorf("brand after a delivery: %+v, want 1 recipient", p)
	}
}
