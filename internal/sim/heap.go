package sim

// minHeap is a binary min-heap over values ordered by less. It holds values (not
// pointers) so that pushing and popping allocate nothing once the slice has grown.
type minHeap[T any] struct {
	s    []T
	less func(a, b *T) bool
}

func (h *minHeap[T]) len() int { return len(h.s) }

func (h *minHeap[T]) peek() *T { return &h.s[0] }

func (h *minHeap[T]) push(v T) {
	h.s = append(h.s, v)
	i := len(h.s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(&h.s[i], &h.s[p]) {
			break
		}
		h.s[i], h.s[p] = h.s[p], h.s[i]
		i = p
	}
}

func (h *minHeap[T]) pop() T {
	n := len(h.s) - 1
	top := h.s[0]
	h.s[0] = h.s[n]
	var zero T
	h.s[n] = zero // drop references held by the vacated slot
	h.s = h.s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.less(&h.s[r], &h.s[l]) {
			m = r
		}
		if !h.less(&h.s[m], &h.s[i]) {
			break
		}
		h.s[i], h.s[m] = h.s[m], h.s[i]
		i = m
	}
	return top
}
