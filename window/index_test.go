package window

import (
	"math/rand"
	"testing"
)

// TestIndex compares index with a Go map under random inserts, lookups and deletions,
// with keys that collide on their home entry (small key spaces) and random ones.
func TestIndex(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  func(r *rand.Rand) uint64
	}{
		{"random keys", func(r *rand.Rand) uint64 { return r.Uint64() }},
		{"small key space", func(r *rand.Rand) uint64 { return uint64(r.Intn(500)) }},
		{"keys in the high bits", func(r *rand.Rand) uint64 { return uint64(r.Intn(300)) << 40 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewSource(3))
			var x index
			want := map[uint64]uint32{}
			for step := 0; step < 40000; step++ {
				k := tc.key(r)
				switch r.Intn(3) {
				case 0, 1:
					if _, ok := want[k]; !ok {
						v := uint32(r.Intn(1 << 30))
						x.put(k, v)
						want[k] = v
					}
				default:
					x.del(k)
					delete(want, k)
				}
				if step%997 == 0 || step == 39999 {
					if x.n != len(want) {
						t.Fatalf("step %d: n = %d, want %d", step, x.n, len(want))
					}
					for k, v := range want {
						if got, ok := x.get(k); !ok || got != v {
							t.Fatalf("step %d: get(%d) = %d, %v; want %d", step, k, got, ok, v)
						}
					}
					seen := 0
					x.each(func(k uint64, v uint32) {
						if want[k] != v {
							t.Fatalf("step %d: each gave %d -> %d, want %d", step, k, v, want[k])
						}
						seen++
					})
					if seen != len(want) {
						t.Fatalf("step %d: each saw %d keys, want %d", step, seen, len(want))
					}
				}
				if _, ok := want[k]; !ok {
					if _, found := x.get(k); found {
						t.Fatalf("step %d: deleted key %d still found", step, k)
					}
				}
			}
		})
	}
}
