package tail

// Batch is a group of complete lines handed to the consumer in one channel send.
//
// Ownership: after Run sends a Batch, it belongs to the receiver until Release. Line.Data
// slices point into a buffer owned by the Batch, so they are valid only until Release; copy
// what must outlive it. Release exactly once; a released Batch must not be touched again.
type Batch struct {
	Lines []Line

	buf  []byte      // line bytes, back to back
	ends []int       // ends[i] = end of Lines[i].Data in buf
	free chan *Batch // the tailer's free list (nil: not pooled)
	keep int         // buffers larger than this are dropped on Release instead of reused
}

// Release returns the batch's buffers to the tailer for reuse. The free list is bounded
// (the capacity of the output channel plus two); a batch that does not fit, or is never
// released, is left to the garbage collector, so forgetting Release costs allocations,
// not a leak.
func (b *Batch) Release() {
	if b == nil || b.free == nil {
		return
	}
	clear(b.Lines) // drop *File references so released files can be collected
	b.Lines = b.Lines[:0]
	b.buf = b.buf[:0]
	b.ends = b.ends[:0]
	if cap(b.buf) > b.keep {
		b.buf = nil // one huge line should not pin its buffer forever
	}
	select {
	case b.free <- b:
	default:
	}
}

// bytes returns the bytes the batch holds.
func (b *Batch) size() int { return len(b.buf) }

// seal points every Line.Data at its bytes; called once, just before the send, because
// appending to buf may move it while the batch is being filled.
func (b *Batch) seal() {
	start := 0
	for i := range b.Lines {
		end := b.ends[i]
		b.Lines[i].Data = b.buf[start:end:end]
		start = end
	}
}

// add appends one line made of up to two pieces (a held partial line and its rest).
func (b *Batch) add(f *File, a, c []byte, end int64) {
	b.buf = append(b.buf, a...)
	b.buf = append(b.buf, c...)
	if n := len(b.buf); n > 0 && b.buf[n-1] == '\r' && (len(b.ends) == 0 || b.ends[len(b.ends)-1] < n) {
		b.buf = b.buf[:n-1]
	}
	b.ends = append(b.ends, len(b.buf))
	b.Lines = append(b.Lines, Line{Source: f.src.name, File: f, Offset: end})
	f.src.handedOut.Add(1)
}
