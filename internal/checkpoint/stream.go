package checkpoint

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/google/renameio/v2"
)

// Writer streams one checkpoint to a temporary file and puts it in place on Commit, in
// the same format and with the same atomicity as Write, without holding the payload in
// memory: the payload goes through a bufferSize buffer. The header's length field is
// patched once the payload is written, and the checksum is computed by reading the file
// back (from the page cache), so memory stays bounded whatever the payload's size.
//
// Use: Create, any number of Write calls, then Commit (or Abort). Not safe for
// concurrent use.
type Writer struct {
	path string
	f    *renameio.PendingFile // nil once renamed into place or removed
	bw   *bufio.Writer
	n    uint64
	err  error
	done bool
}

const bufferSize = 256 << 10

// Create starts a checkpoint for path, tagged with version.
func Create(path string, version uint32) (*Writer, error) {
	f, err := createTemp(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: create temp file: %w", err)
	}
	w := &Writer{path: path, f: f, bw: bufio.NewWriterSize(f, bufferSize)}
	var hdr [headerSize]byte
	copy(hdr[:8], Magic)
	binary.BigEndian.PutUint32(hdr[8:12], version)
	if _, err := w.bw.Write(hdr[:]); err != nil {
		w.Abort()
		return nil, fmt.Errorf("checkpoint: write temp file: %w", err)
	}
	return w, nil
}

// Write appends p to the payload.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.bw.Write(p)
	w.n += uint64(n)
	if err != nil {
		w.err = fmt.Errorf("checkpoint: write temp file: %w", err)
		return n, w.err
	}
	return n, nil
}

// Commit completes the file (length, checksum), makes it durable and renames it over
// path. On error the previous checkpoint is untouched and the temporary file removed.
func (w *Writer) Commit() (err error) {
	if w.done {
		return errors.New("checkpoint: writer already finished")
	}
	defer func() {
		if err != nil {
			w.Abort()
		}
	}()
	if w.err != nil {
		return w.err
	}
	if w.n > MaxPayload {
		return fmt.Errorf("checkpoint: payload of %d bytes over the limit of %d", w.n, uint64(MaxPayload))
	}
	if err = w.bw.Flush(); err != nil {
		return fmt.Errorf("checkpoint: write temp file: %w", err)
	}
	var lenField [8]byte
	binary.BigEndian.PutUint64(lenField[:], w.n)
	if _, err = w.f.WriteAt(lenField[:], 12); err != nil {
		return fmt.Errorf("checkpoint: write temp file: %w", err)
	}
	crc, err := crcOf(w.f.File, headerSize+int64(w.n))
	if err != nil {
		return fmt.Errorf("checkpoint: read temp file back: %w", err)
	}
	var trl [trailerSize]byte
	binary.BigEndian.PutUint32(trl[:], crc)
	if _, err = w.f.WriteAt(trl[:], headerSize+int64(w.n)); err != nil {
		return fmt.Errorf("checkpoint: write temp file: %w", err)
	}
	f := w.f
	w.f, w.done = nil, true // replace removes f on failure
	return replace(f, w.path)
}

// Abort discards the checkpoint being written.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	if w.f != nil {
		w.f.Cleanup()
		w.f = nil
	}
}

// crcOf computes the CRC-32C of the first n bytes of f with a bounded buffer.
func crcOf(f *os.File, n int64) (uint32, error) {
	buf := make([]byte, 64<<10)
	var crc uint32
	r := io.NewSectionReader(f, 0, n)
	for {
		k, err := r.Read(buf)
		crc = crc32.Update(crc, castagnoli, buf[:k])
		if err == io.EOF {
			return crc, nil
		}
		if err != nil {
			return 0, err
		}
	}
}
