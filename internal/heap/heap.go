// Package heap is a binary min-heap of values ordered by a less function.
//
// Unlike container/heap it holds the values themselves (no interface boxing, no
// pointers per element), so that pushing and popping allocate nothing once the slice
// has grown. The order of equal elements is not stable: callers that need it break
// ties in less (a sequence number).
//
// The layout is deterministic: the same pushes and pops in the same order leave the
// same slice, so Items can be persisted and given back to From.
package heap

// Heap is a min-heap. The zero value is not usable: create one with New or From.
type Heap[T any] struct {
	s    []T
	less func(a, b *T) bool
}

// New returns an empty heap ordered by less (a strict weak order).
func New[T any](less func(a, b *T) bool) Heap[T] { return Heap[T]{less: less} }

// From returns a heap ordered by less that takes over items, which must already be in
// heap order (as Items returned them). It does not check the order.
func From[T any](less func(a, b *T) bool, items []T) Heap[T] {
	return Heap[T]{s: items, less: less}
}

// Len is the number of elements.
func (h *Heap[T]) Len() int { return len(h.s) }

// Peek returns the smallest element, which stays in the heap; Len must be > 0. The
// pointer is valid until the next Push or Pop.
func (h *Heap[T]) Peek() *T { return &h.s[0] }

// Items returns the elements in heap order (the smallest first, the rest in no useful
// order). The slice is the heap's own: read it, do not modify it.
func (h *Heap[T]) Items() []T { return h.s }

// Push adds v.
func (h *Heap[T]) Push(v T) {
	h.s = append(h.s, v)
	s := h.s
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(&s[i], &s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

// Pop removes and returns the smallest element; Len must be > 0.
func (h *Heap[T]) Pop() T {
	s := h.s
	n := len(s) - 1
	top := s[0]
	s[0] = s[n]
	var zero T
	s[n] = zero // drop references held by the vacated slot
	s = s[:n]
	h.s = s
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		c := l
		if r := l + 1; r < n && h.less(&s[r], &s[l]) {
			c = r
		}
		if !h.less(&s[c], &s[i]) {
			break
		}
		s[i], s[c] = s[c], s[i]
		i = c
	}
	return top
}
