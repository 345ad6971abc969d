package window

import (
	"testing"
	"unsafe"

	"github.com/waba-exporter/waba_exporter/model"
)

// TestStateSizes: the per-entry state of the bounded maps keeps the sizes the memory
// figures rely on (a custState chunk of 2048 is whole 8 KiB pages; an expiry per open
// window is 12 bytes).
func TestStateSizes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want uintptr
	}{
		{"custState", unsafe.Sizeof(custState{}), 64},
		{"expiry", unsafe.Sizeof(expiry{}), 12},
	} {
		if tc.got != tc.want {
			t.Errorf("%s is %d bytes, want %d", tc.name, tc.got, tc.want)
		}
	}
}

// TestCustStateBits: the packed template category and flags of a customer do not
// disturb one another.
func TestCustStateBits(t *testing.T) {
	var c custState
	c.setOptedOut(true)
	c.setTmpl(model.NumCategory - 1)
	c.setReplied()
	if !c.optedOut() || !c.replied() || c.tmplCat() != model.NumCategory-1 {
		t.Fatalf("opted out %v, replied %v, category %v", c.optedOut(), c.replied(), c.tmplCat())
	}
	c.setTmpl(1)
	if !c.optedOut() || c.replied() || c.tmplCat() != 1 {
		t.Fatalf("after a new template: opted out %v, replied %v, category %v", c.optedOut(), c.replied(), c.tmplCat())
	}
	c.setOptedOut(false)
	if c.optedOut() || c.tmplCat() != 1 {
		t.Fatalf("after opting in: opted out %v, category %v", c.optedOut(), c.tmplCat())
	}
}
