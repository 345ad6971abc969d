package window

import (
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

// Conversion lines must neither be deduplicated nor create business, customer or message
// state while campaign attribution is not part of the machine.
func TestConversionCreatesNoState(t *testing.T) {
	m := New(DefaultConfig())
	ev := model.Event{Kind: model.KindConversion, Business: []byte("106540352242922"),
		Customer: []byte("5511987654321"), Time: 1_760_000_000, Field: "waba_conversion"}
	for range 3 {
		e := ev
		m.Apply(&e)
	}
	if n := len(m.Businesses()); n != 0 {
		t.Fatalf("conversions created %d businesses, want 0", n)
	}
	if w := m.Watermark(); w != 0 {
		t.Fatalf("conversions moved the watermark to %d", w)
	}
	if d := m.Self.DuplicateStatus + m.Self.DuplicateMessage; d != 0 {
		t.Fatalf("conversions counted as %d duplicates", d)
	}
}
