package window

import (
	"strings"
	"testing"
)

// TestLowerBounded: the lowered lookup gives what lower-casing the whole value with
// strings.ToLower and comparing would, ASCII or not, and allocates nothing for ASCII.
func TestLowerBounded(t *testing.T) {
	long := "business_primary_location_country_update" // 40 bytes: beyond a 32-byte string buffer
	for _, tt := range []struct{ in, want string }{
		{"APPROVED", "approved"},
		{"approved", "approved"},
		{"Pending_Deletion", "pending_deletion"},
		{"approve", "other"},
		{"", "other"},
		{strings.ToUpper(long), long},
		{long + "x", "other"},
		{"\u212aILLED", "other"},           // Kelvin sign: lowers to k, still not known
		{"FLAGGE\u0130", "other"},          // dotted capital I: lowers to two code points
		{"\u212a" + "ELLY", "other"},       // not ASCII, not known
		{strings.Repeat("A", 49), "other"}, // longer than any name
	} {
		known := append([]string{long, "k_event"}, templateEvents...)
		ref := "other"
		if len(tt.in) <= 48 {
			for _, k := range known {
				if k == strings.ToLower(tt.in) {
					ref = k
				}
			}
		}
		if got := lowerBounded([]byte(tt.in), known); got != tt.want || got != ref {
			t.Errorf("lowerBounded(%q) = %q, want %q (strings.ToLower: %q)", tt.in, got, tt.want, ref)
		}
		if b := []byte(tt.in); isASCII(tt.in) {
			if n := allocsDuring(100, func() { lowerBounded(b, known) }); n != 0 {
				t.Errorf("lowerBounded(%q): %d allocations in 100 calls, want 0", tt.in, n)
			}
		}
	}
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
