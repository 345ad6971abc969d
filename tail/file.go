package tail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// fileID is the (device, inode) pair of an open file.
type fileID struct{ dev, ino uint64 }

// File is one open file, as a stable identity for the lines read from it.
//
// Invariants (Run goroutine): off is the next byte to read; partial holds the bytes of an
// unfinished line that started before off; delivered is the offset just past the last
// complete line handed out or skipped (so delivered <= off). A File never changes identity:
// after a truncation the tailer continues with a new *File for the same handle.
type File struct {
	src      *source
	dev, ino uint64

	mu    sync.Mutex // guards path, fpSum, fpLen (read by Position from other goroutines)
	path  string
	fpSum uint64
	fpLen int

	h         fileHandle
	real      string // path with symlinks resolved, at open time
	off       int64
	delivered atomic.Int64
	base      atomic.Int64 // where the first line handed out from this file starts
	size      int64        // size at the last fstat
	mtime     int64        // mtime (ns) at the last fstat
	partial   []byte
	skipping  bool // inside a too-long line: discard up to the newline, then hand it out marked TooLong
	discard   bool // inside a line that started before the start offset: discard, uncounted
	// skipNUL: after a truncation, a writer that did not open with O_APPEND keeps writing
	// at its old offset, leaving a hole of NUL bytes before its next line. NUL never
	// starts a line of text, so leading NULs are skipped until the first other byte.
	skipNUL bool

	seen       bool        // matched by a source during the current rescan
	detached   bool        // path gone or naming another file: drain, then release
	lastGrowth time.Time   // when a detached file last yielded bytes (or was detached)
	readNow    int         // bytes read during the current pass
	retired    atomic.Bool // released by the tailer, or superseded after a truncation
}

// Path returns the path the file was last seen at.
func (f *File) Path() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.path
}

// Source returns the configured source the file belongs to.
func (f *File) Source() string { return f.src.name }

// Position returns the file's identity with the given offset, for a checkpoint. Pass the
// Offset of the last line the consumer has fully processed. Safe for concurrent use.
func (f *File) Position(offset int64) Position {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Position{
		Source:         f.src.name,
		Path:           f.path,
		Dev:            f.dev,
		Ino:            f.ino,
		Fingerprint:    f.fpSum,
		FingerprintLen: f.fpLen,
		Offset:         offset,
	}
}

func (f *File) setPath(p string) {
	f.mu.Lock()
	f.path = p
	f.mu.Unlock()
}

func (f *File) fingerprint() (uint64, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fpSum, f.fpLen
}

func (f *File) close() {
	if f.h != nil {
		_ = f.h.Close()
		f.h = nil
	}
}

// setStart positions a freshly opened file at off.
func (f *File) setStart(off int64) {
	f.off = off
	f.base.Store(off)
	f.delivered.Store(off)
	f.partial = f.partial[:0]
	f.skipping = false
	f.discard = false
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnv1a continues an FNV-1a 64 hash over b.
func fnv1a(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// readTurn reads up to one buffer from f at its offset and splits it into lines. eof is
// true when nothing more can be read this pass (end of file or an error).
func (t *Tailer) readTurn(ctx context.Context, out chan<- *Batch, f *File) (n int, eof bool, err error) {
	n, rerr := f.h.ReadAt(t.rbuf, f.off)
	if n > 0 {
		f.readNow += n
		f.src.bytesRead.Add(uint64(n))
		f.src.lastRead.Store(t.now().UnixNano())
		if err := t.consume(ctx, out, f, t.rbuf[:n]); err != nil {
			return n, true, err
		}
	}
	switch {
	case rerr == nil:
		return n, n == 0, nil
	case errors.Is(rerr, io.EOF):
		return n, true, nil
	default:
		t.fileError(f, "read", rerr)
		return n, true, nil
	}
}

// consume splits data, which starts at f.off, into lines; it advances f.off past data.
func (t *Tailer) consume(ctx context.Context, out chan<- *Batch, f *File, data []byte) error {
	base := f.off
	f.off += int64(len(data))
	max := int(t.maxLine.Load())
	pos := 0
	if f.skipNUL {
		for pos < len(data) && data[pos] == 0 {
			pos++
		}
		if pos < len(data) {
			f.skipNUL = false
			if pos > 0 {
				f.base.Store(base + int64(pos))
				f.delivered.Store(base + int64(pos))
			}
		}
	}
	for pos < len(data) {
		i := bytes.IndexByte(data[pos:], '\n')
		if i < 0 {
			rest := data[pos:]
			switch {
			case f.discard || f.skipping:
			case len(f.partial)+len(rest) > max:
				f.skipping = true
				f.partial = releaseBig(f.partial[:0])
			default:
				f.partial = append(f.partial, rest...)
			}
			return nil
		}
		seg := data[pos : pos+i]
		pos += i + 1
		end := base + int64(pos)
		switch {
		case f.discard:
			f.discard = false
			f.base.Store(end) // the first line handed out starts here
		case f.skipping || len(f.partial)+len(seg) > max:
			f.skipping = false
			f.partial = releaseBig(f.partial[:0])
			if err := t.emitTooLong(ctx, out, f, end); err != nil {
				f.delivered.Store(end)
				return err
			}
		default:
			err := t.emit(ctx, out, f, f.partial, seg, end)
			f.partial = releaseBig(f.partial[:0])
			if err != nil {
				f.delivered.Store(end)
				return err
			}
		}
		f.delivered.Store(end)
	}
	return nil
}

// releaseBig drops a held-line buffer that grew for one long line, keeping small ones for
// reuse.
func releaseBig(b []byte) []byte {
	if cap(b) > 256<<10 {
		return nil
	}
	return b
}

// finalLine delivers an unfinished last line at end of input (replay mode, stdin EOF),
// marked TooLong if it is over the limit.
func (t *Tailer) finalLine(ctx context.Context, out chan<- *Batch, f *File) error {
	if f.skipping && !f.discard {
		f.skipping = false
		err := t.emitTooLong(ctx, out, f, f.off)
		f.delivered.Store(f.off)
		return err
	}
	if len(f.partial) == 0 || f.skipping || f.discard {
		return nil
	}
	err := t.emit(ctx, out, f, f.partial, nil, f.off)
	f.partial = releaseBig(f.partial[:0])
	f.delivered.Store(f.off)
	return err
}

// stdinChunk is one read from standard input.
type stdinChunk struct {
	data []byte
	err  error
	back chan<- []byte // return the buffer here
}

// startStdin reads r in its own goroutine (a blocking Read cannot be interrupted) and
// hands chunks to Run through an unbuffered channel; two buffers circulate. The goroutine
// never touches Run's output channel, so nothing is sent after Run returns.
func startStdin(r io.Reader, size int, quit <-chan struct{}) <-chan stdinChunk {
	ch := make(chan stdinChunk)
	bufs := make(chan []byte, 2)
	bufs <- make([]byte, size)
	bufs <- make([]byte, size)
	go func() {
		for {
			var buf []byte
			select {
			case buf = <-bufs:
			case <-quit:
				return
			}
			n, err := r.Read(buf)
			select {
			case ch <- stdinChunk{data: buf[:n], err: err, back: bufs}:
			case <-quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// stdinChunk processes one chunk of standard input; done is true at end of input.
func (t *Tailer) stdinChunk(ctx context.Context, out chan<- *Batch, f *File, c stdinChunk) (done bool, err error) {
	if len(c.data) > 0 {
		f.src.bytesRead.Add(uint64(len(c.data)))
		f.src.lastRead.Store(t.now().UnixNano())
		err = t.consume(ctx, out, f, c.data)
	}
	c.back <- c.data[:cap(c.data)]
	if err != nil {
		return false, err
	}
	if c.err != nil {
		if !errors.Is(c.err, io.EOF) {
			f.src.readErrors.Add(1)
			f.src.up.Store(false)
			t.log.Warn("tail: reading standard input failed", "file", "-", "err", c.err)
		}
		if err := t.finalLine(ctx, out, f); err != nil {
			return true, err
		}
		done = true
	}
	return done, t.flush(ctx, out)
}
