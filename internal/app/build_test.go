package app

import "testing"

func TestCountryOf(t *testing.T) {
	for _, tc := range []struct{ id, want string }{
		{"5511987654321", "br"},
		{"919876543210", "in"},
		{"14155550123", "us"},
		{"14165550123", "ca"}, // Toronto area code
		{"5215512345678", "mx"},
		{"447700900123", "gb"},
		{"2348031234567", "ng"},
		{"whatsapp:+4915112345678", "de"},
		{"971501234567", "ae"},
		{"6281234567890", "id"},
		{"user.name", "unknown"},
		{"120363041234567890", "unknown"}, // group id: too long
		{"123", "unknown"},
	} {
		if got := CountryOf([]byte(tc.id)); got != tc.want {
			t.Errorf("CountryOf(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { CountryOf([]byte("14155550123")) }); n != 0 {
		t.Errorf("CountryOf allocates %v times per call", n)
	}
}
