package heap

import (
	"math/rand"
	"slices"
	"testing"
)

type item struct {
	key int
	seq int
}

func lessItem(a, b *item) bool { return a.key < b.key || (a.key == b.key && a.seq < b.seq) }

// TestOrder: whatever the pushes, pops come out in order, interleaved or not.
func TestOrder(t *testing.T) {
	tests := []struct {
		name string
		keys []int
	}{
		{"empty", nil},
		{"one", []int{7}},
		{"sorted", []int{1, 2, 3, 4, 5}},
		{"reversed", []int{5, 4, 3, 2, 1}},
		{"equal keys keep seq order", []int{3, 3, 3, 1, 1}},
		{"random", rand.New(rand.NewSource(1)).Perm(200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(lessItem)
			var want []item
			for i, k := range tt.keys {
				h.Push(item{k, i})
				want = append(want, item{k, i})
			}
			slices.SortFunc(want, func(a, b item) int {
				if lessItem(&a, &b) {
					return -1
				}
				return 1
			})
			if h.Len() != len(want) {
				t.Fatalf("Len %d, want %d", h.Len(), len(want))
			}
			for i, w := range want {
				if p := *h.Peek(); p != w {
					t.Fatalf("Peek %d: %v, want %v", i, p, w)
				}
				if got := h.Pop(); got != w {
					t.Fatalf("Pop %d: %v, want %v", i, got, w)
				}
			}
			if h.Len() != 0 {
				t.Fatalf("Len %d after popping everything", h.Len())
			}
		})
	}
}

// TestInterleaved: pushes between pops keep the order of what remains.
func TestInterleaved(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	h := New(func(a, b *int) bool { return *a < *b })
	var ref []int
	for i := 0; i < 2000; i++ {
		if len(ref) > 0 && r.Intn(3) == 0 {
			slices.Sort(ref)
			if got := h.Pop(); got != ref[0] {
				t.Fatalf("step %d: Pop %d, want %d", i, got, ref[0])
			}
			ref = ref[1:]
			continue
		}
		v := r.Intn(100)
		h.Push(v)
		ref = append(ref, v)
	}
}

// TestFrom: a heap rebuilt from Items continues exactly as the original (checkpoints
// persist the layout).
func TestFrom(t *testing.T) {
	less := func(a, b *int) bool { return *a < *b }
	a := New(less)
	for _, v := range rand.New(rand.NewSource(3)).Perm(50) {
		a.Push(v)
	}
	a.Pop()
	b := From(less, slices.Clone(a.Items()))
	for _, v := range []int{-1, 25, 100} {
		a.Push(v)
		b.Push(v)
	}
	if !slices.Equal(a.Items(), b.Items()) {
		t.Fatalf("layouts differ:\n%v\n%v", a.Items(), b.Items())
	}
	for a.Len() > 0 {
		if x, y := a.Pop(), b.Pop(); x != y {
			t.Fatalf("Pop: %d and %d", x, y)
		}
	}
}

// TestPopClearsSlot: a popped pointer is not kept alive by the slice.
func TestPopClearsSlot(t *testing.T) {
	h := New(func(a, b **int) bool { return **a < **b })
	x, y := 1, 2
	h.Push(&x)
	h.Push(&y)
	h.Pop()
	if s := h.Items()[:2]; s[1] != nil {
		t.Fatal("vacated slot still holds a pointer")
	}
}

func BenchmarkPushPop(b *testing.B) {
	h := New(lessItem)
	r := rand.New(rand.NewSource(4))
	keys := r.Perm(1024)
	for i := range 512 {
		h.Push(item{keys[i], i})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.Push(item{keys[i&1023], i})
		h.Pop()
	}
}
