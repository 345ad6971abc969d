package window

import (
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/model"
)

// TestPeriodBounds: a quota period is a calendar month, or a month starting on ResetDay,
// at midnight in the quota's time zone. window is the one owner of this arithmetic (the
// config's check-config warnings ask it).
func TestPeriodBounds(t *testing.T) {
	sp, err := time.LoadLocation("America/Sao_Paulo") // UTC-3, no DST since 2019
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		q          Quota
		at         time.Time
		start, end time.Time
	}{
		{"calendar month UTC (nil location)", Quota{},
			time.Date(2025, 7, 15, 12, 0, 0, 0, time.UTC), time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)},
		// 02:30 UTC on Aug 1 is still July 31 in Sao Paulo.
		{"calendar month before local midnight", Quota{Location: sp},
			time.Date(2025, 8, 1, 2, 30, 0, 0, time.UTC), time.Date(2025, 7, 1, 0, 0, 0, 0, sp), time.Date(2025, 8, 1, 0, 0, 0, 0, sp)},
		{"calendar month after local midnight", Quota{Location: sp},
			time.Date(2025, 8, 1, 3, 0, 0, 0, time.UTC), time.Date(2025, 8, 1, 0, 0, 0, 0, sp), time.Date(2025, 9, 1, 0, 0, 0, 0, sp)},
		{"reset day, before the day", Quota{Location: time.UTC, ResetDay: 15},
			time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC), time.Date(2024, 12, 15, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)},
		{"reset day, on the day", Quota{Location: time.UTC, ResetDay: 15},
			time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 15, 0, 0, 0, 0, time.UTC)},
		{"reset day, last second before it", Quota{Location: time.UTC, ResetDay: 28},
			time.Date(2025, 3, 27, 23, 59, 59, 0, time.UTC), time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 28, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		start, end := tc.q.periodBounds(tc.at.Unix())
		if start != tc.start.Unix() || end != tc.end.Unix() {
			t.Errorf("%s: periodBounds(%v) = [%v, %v), want [%v, %v)", tc.name, tc.at,
				time.Unix(start, 0).UTC(), time.Unix(end, 0).UTC(), tc.start.UTC(), tc.end.UTC())
		}
	}
}

// TestAddCostRateCard: a country's rate wins, per category, over the default rate; a
// category priced nowhere adds nothing; no rate card adds nothing.
func TestAddCostRateCard(t *testing.T) {
	card := &RateCard{
		Currency:  "BRL",
		Default:   map[model.Category]float64{model.CategoryMarketing: 0.3},
		Countries: map[string]map[model.Category]float64{"br": {model.CategoryUtility: 0.05}},
	}
	cases := []struct {
		card    *RateCard
		country string
		cat     model.Category
		want    float64
	}{
		{card, "br", model.CategoryUtility, 0.05},  // country rate
		{card, "br", model.CategoryMarketing, 0.3}, // falls back to default
		{card, "us", model.CategoryMarketing, 0.3}, // default
		{card, "us", model.CategoryUtility, 0},     // no rate
		{card, "unknown", model.CategoryService, 0},
		{nil, "br", model.CategoryMarketing, 0}, // no rate card
	}
	for _, tc := range cases {
		m := New(Config{RateCard: tc.card})
		b := &Business{}
		m.countries.add(tc.country)
		m.addCost(b, m.countries.index(tc.country), tc.cat)
		m.addCost(b, m.countries.index(tc.country), tc.cat)
		if got := b.Cost[tc.cat]; got != 2*tc.want {
			t.Errorf("card %v, %s %v: cost of two = %v, want %v", tc.card != nil, tc.country, tc.cat, got, 2*tc.want)
		}
		var total float64
		for _, c := range b.Cost {
			total += c
		}
		if total != 2*tc.want {
			t.Errorf("%s %v: other categories charged (total %v)", tc.country, tc.cat, total)
		}
	}
}
