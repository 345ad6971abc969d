package window

import (
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

// Conversion lines are never deduplicated (three identical purchases in one second are
// three), create no business, customer or message state, do not move event time, and
// without a tagged delivery to their customer count under campaign and variant none.
func TestConversionCountedNotDeduplicated(t *testing.T) {
	m := New(DefaultConfig())
	ev := model.Event{Kind: model.KindConversion, Business: []byte("106540352242922"),
		Customer: []byte("5511987654321"), Time: 1_760_000_000, Field: "waba_conversion",
		ConversionName: []byte("purchase"), ConversionValue: 49.9, ConversionCurrency: []byte("EUR")}
	for range 3 {
		e := ev
		m.Apply(&e)
	}
	m.Flush() // conversions are attributed in event-time order, like opt-outs
	if n := len(m.Businesses()); n != 0 {
		t.Fatalf("conversions created %d businesses, want 0", n)
	}
	if w := m.Watermark(); w != 0 {
		t.Fatalf("conversions moved the watermark to %d", w)
	}
	if d := m.self.DuplicateStatus + m.self.DuplicateMessage; d != 0 {
		t.Fatalf("conversions counted as %d duplicates", d)
	}
	if n := m.msgs.Len() + m.custs.Len(); n != 0 {
		t.Fatalf("conversions created %d message or customer entries", n)
	}
	v := m.Campaigns()
	if len(v.Conversions) != 1 || v.Conversions[0] != (CampaignConversion{Campaign: "none", Variant: "none", Key: "purchase", Count: 3}) {
		t.Fatalf("conversions: %+v", v.Conversions)
	}
	if len(v.Values) != 1 || v.Values[0].Key != "EUR" || v.Values[0].Value < 149.69 || v.Values[0].Value > 149.71 {
		t.Fatalf("values: %+v", v.Values)
	}
}
