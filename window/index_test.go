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
					checkRobinHood(t, &x)
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

// checkRobinHood fails unless every entry of x lies in Robin Hood order: an occupied
// entry right after another is at most one further from its home than that one is
// (so a lookup may stop at the first entry nearer its home than the probe), an entry
// after an empty one is at its home, and the load stays within loadNum/loadDen.
func checkRobinHood(t *testing.T, x *index) {
	t.Helper()
	size := x.size()
	if size == 0 {
		return
	}
	if x.n*loadDen > size*loadNum {
		t.Fatalf("%d keys in %d entries: over %d/%d full", x.n, size, loadNum, loadDen)
	}
	key := func(i int) (uint64, bool) {
		e := x.tab[3*i : 3*i+3]
		return uint64(e[0]) | uint64(e[1])<<32, e[2] != 0
	}
	for i := range size {
		k, ok := key(i)
		if !ok {
			continue
		}
		d := dist(k, i, size)
		prev := (i + size - 1) % size
		pk, pok := key(prev)
		switch {
		case !pok && d != 0:
			t.Fatalf("entry %d after an empty one is %d from its home", i, d)
		case pok && d > dist(pk, prev, size)+1:
			t.Fatalf("entry %d is %d from its home, the one before it only %d", i, d, dist(pk, prev, size))
		}
	}
}
