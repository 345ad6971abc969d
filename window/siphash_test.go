package window

import (
	"fmt"
	"testing"

	"github.com/cespare/xxhash/v2"
)

// TestSipHashVectors checks sipHash24 against the reference test vectors of the SipHash
// paper (key 00 01 .. 0f, messages 00 01 .. of growing length).
func TestSipHashVectors(t *testing.T) {
	var key [16]byte
	for i := range key {
		key[i] = byte(i)
	}
	k0 := uint64(0x0706050403020100)
	k1 := uint64(0x0f0e0d0c0b0a0908)
	msg := make([]byte, 16)
	for i := range msg {
		msg[i] = byte(i)
	}
	for _, tc := range []struct {
		n    int
		want uint64
	}{
		{0, 0x726fdb47dd0e0e31},
		{15, 0xa129ca6149be45e5},
	} {
		if got := sipHash24(k0, k1, msg[:tc.n]); got != tc.want {
			t.Errorf("SipHash-2-4 of %d bytes = %#x, want %#x", tc.n, got, tc.want)
		}
	}
	_ = key
}

// BenchmarkKeyedHash compares the keyed hash of ids (SipHash-2-4) with the seeded
// xxhash it replaced, on a phone number and a message id.
func BenchmarkKeyedHash(b *testing.B) {
	for _, id := range []string{"4915112345678", "wamid.HBgMOTE4NTQ4NjM2MzUxFQIAERgSNjcyNDc0NDc3ODdGMzhDQjQzAA=="} {
		p := []byte(id)
		b.Run(fmt.Sprintf("siphash/%dB", len(p)), func(b *testing.B) {
			var x uint64
			for i := 0; i < b.N; i++ {
				x += sipHash24(1, 2, p)
			}
			sink = x
		})
		b.Run(fmt.Sprintf("xxhash-seeded/%dB", len(p)), func(b *testing.B) {
			var d xxhash.Digest
			var x uint64
			for i := 0; i < b.N; i++ {
				d.ResetWithSeed(1)
				d.Write(p)
				x += d.Sum64()
			}
			sink = x
		})
	}
}

var sink uint64
