// Package checkpoint stores one opaque, versioned payload in a file, atomically.
//
// # File format
//
// All integers are big-endian.
//
//	offset  size  field
//	0       8     magic "WABACKPT"
//	8       4     payload schema version (chosen by the caller)
//	12      8     payload length N
//	20      N     payload
//	20+N    4     CRC-32C (Castagnoli) of bytes [0, 20+N)
//
// A valid file is exactly 24+N bytes long. Anything else (wrong magic, a length that does
// not match the file size, a checksum mismatch) is corrupt.
//
// # Atomicity
//
// [Write] and [Writer] write the whole file to a temporary file in the same directory
// (github.com/google/renameio/v2: "." + the file's name + random digits, mode 0600),
// fsync it, rename it over the destination and fsync the directory (renameio does not:
// without it the rename itself may not survive a power loss). A crash at any point leaves
// either the previous checkpoint or the new one under path, never a mix; at worst a stale
// temporary file remains, which the next write removes.
//
// # Corrupt or foreign files are set aside, never silently dropped
//
// [Read] renames a file that does not parse, or that holds another schema version, to
// path + ".bad-<unix seconds>" (with a numeric suffix if that name is taken) and returns a
// *[SetAsideError] saying why and where the file went. The caller can then start fresh
// while the operator keeps the evidence.
//
// Checkpoints are written with mode 0600: they may hold hashed customer identifiers.
package checkpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/renameio/v2"
)

// Magic is the first 8 bytes of every checkpoint file.
const Magic = "WABACKPT"

const (
	headerSize  = 8 + 4 + 8
	trailerSize = 4
	// MaxPayload bounds what Read accepts, so a corrupt length cannot make it allocate
	// without limit.
	MaxPayload = 1 << 34
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is wrapped by a *SetAsideError when the file did not parse.
var ErrCorrupt = errors.New("checkpoint corrupt")

// ErrVersion is wrapped by a *SetAsideError when the file parsed but holds another
// schema version.
var ErrVersion = errors.New("checkpoint has another version")

// SetAsideError reports a checkpoint that could not be used and was renamed aside.
// errors.Is(err, ErrCorrupt) or errors.Is(err, ErrVersion) tells which case applies.
type SetAsideError struct {
	Path    string // where the checkpoint was read from
	MovedTo string // where it is now ("" if the rename itself failed; see RenameErr)
	Reason  string // human-readable detail, e.g. "checksum mismatch"
	Kind    error  // ErrCorrupt or ErrVersion
	// RenameErr is set when the file could not be moved aside; it is then still at Path.
	RenameErr error
}

func (e *SetAsideError) Error() string {
	if e.RenameErr != nil {
		return fmt.Sprintf("checkpoint %s: %v (%s); could not move it aside: %v", e.Path, e.Kind, e.Reason, e.RenameErr)
	}
	return fmt.Sprintf("checkpoint %s: %v (%s); moved aside to %s", e.Path, e.Kind, e.Reason, e.MovedTo)
}

// Unwrap returns the kind (ErrCorrupt or ErrVersion).
func (e *SetAsideError) Unwrap() error { return e.Kind }

// crashBeforeRename is a test hook: when set, a write calls it after the temporary file is
// durable and before the rename.
var crashBeforeRename func()

// Write atomically replaces the checkpoint at path with payload, tagged with version.
// On return without error the new checkpoint is durable (file and directory fsynced).
// On error the previous checkpoint, if any, is untouched.
func Write(path string, version uint32, payload []byte) error {
	w, err := Create(path, version)
	if err != nil {
		return err
	}
	if _, err := w.Write(payload); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

// createTemp removes the temporary files a crashed write left for path and creates a new
// one beside path, with mode 0600 whatever the umask.
func createTemp(path string) (*renameio.PendingFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	removeStaleTemps(dir, base)
	return renameio.NewPendingFile(path, renameio.WithTempDir(dir), renameio.WithStaticPermissions(0o600))
}

// replace makes the complete temporary file f durable, renames it over path and fsyncs
// the directory. On a failure before the rename f is removed (and the previous
// checkpoint untouched).
func replace(f *renameio.PendingFile, path string) error {
	if err := f.Sync(); err != nil {
		f.Cleanup()
		return fmt.Errorf("checkpoint: fsync temp file: %w", err)
	}
	if crashBeforeRename != nil {
		crashBeforeRename()
	}
	if err := f.CloseAtomicallyReplace(); err != nil {
		f.Cleanup()
		return fmt.Errorf("checkpoint: rename into place: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		// The rename happened; only its durability is in doubt. Report it.
		return fmt.Errorf("checkpoint: fsync directory: %w", err)
	}
	return nil
}

// removeStaleTemps deletes the temporary files of path left by a write that crashed:
// renameio's ("." + base + digits) and, from versions before it, base + ".tmp-*". Only one
// writer per path is supported, so any such file is garbage.
func removeStaleTemps(dir, base string) {
	for _, m := range staleTemps(dir, base) {
		_ = os.Remove(m)
	}
}

// staleTemps lists the temporary files of base in dir (see removeStaleTemps).
func staleTemps(dir, base string) []string {
	legacy, _ := filepath.Glob(filepath.Join(dir, globEscape(base)+".tmp-*"))
	dotted, _ := filepath.Glob(filepath.Join(dir, "."+globEscape(base)+"[0-9]*"))
	for _, m := range dotted {
		if isDigits(strings.TrimPrefix(filepath.Base(m), "."+base)) {
			legacy = append(legacy, m)
		}
	}
	return legacy
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func globEscape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '*', '?', '[', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Read returns the payload of the checkpoint at path if it holds the given version.
//
// A missing file returns an error for which errors.Is(err, os.ErrNotExist) holds and a nil
// payload: that is a first start, not a failure. A file that is corrupt or of another
// version is renamed aside and a *SetAsideError is returned. Other I/O errors are returned
// as they are and leave the file in place.
func Read(path string, version uint32) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	size := fi.Size()
	if size < headerSize+trailerSize {
		f.Close()
		return nil, setAside(path, ErrCorrupt, fmt.Sprintf("file too short (%d bytes)", size))
	}
	var hdr [headerSize]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		f.Close()
		return nil, fmt.Errorf("checkpoint: read %s: %w", path, err)
	}
	if string(hdr[:8]) != Magic {
		f.Close()
		return nil, setAside(path, ErrCorrupt, "bad magic")
	}
	n := binary.BigEndian.Uint64(hdr[12:20])
	if n > MaxPayload || int64(n) != size-headerSize-trailerSize {
		f.Close()
		return nil, setAside(path, ErrCorrupt, fmt.Sprintf("length field %d does not match file size %d (torn or truncated write)", n, size))
	}
	buf := make([]byte, int(n)+trailerSize)
	if _, err := io.ReadFull(f, buf); err != nil {
		f.Close()
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, setAside(path, ErrCorrupt, "file shrank while reading")
		}
		return nil, fmt.Errorf("checkpoint: read %s: %w", path, err)
	}
	f.Close()
	payload, trl := buf[:n], buf[n:]
	crc := crc32.Update(0, castagnoli, hdr[:])
	crc = crc32.Update(crc, castagnoli, payload)
	if crc != binary.BigEndian.Uint32(trl) {
		return nil, setAside(path, ErrCorrupt, "checksum mismatch")
	}
	if v := binary.BigEndian.Uint32(hdr[8:12]); v != version {
		return nil, setAside(path, ErrVersion, fmt.Sprintf("file has version %d, this program reads version %d", v, version))
	}
	return payload, nil
}

// SetAside renames the checkpoint at path to a ".bad-<unix>" sibling, for a caller that
// found it unusable after Read (a payload that does not decode, a file it cannot read):
// the evidence is kept and the next Write does not overwrite it. It returns where the
// file went.
func SetAside(path, reason string) (string, error) {
	err := setAside(path, ErrCorrupt, reason)
	var sa *SetAsideError
	if errors.As(err, &sa) && sa.RenameErr == nil {
		return sa.MovedTo, nil
	}
	return "", err
}

// setAside renames path to a ".bad-<unix>" sibling that does not exist yet.
func setAside(path string, kind error, reason string) error {
	e := &SetAsideError{Path: path, Reason: reason, Kind: kind}
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	for i := 0; i < 1000; i++ {
		dst := path + ".bad-" + stamp
		if i > 0 {
			dst += "." + strconv.Itoa(i)
		}
		if _, err := os.Lstat(dst); err == nil {
			continue
		}
		if err := os.Rename(path, dst); err != nil {
			e.RenameErr = err
			return e
		}
		e.MovedTo = dst
		return e
	}
	e.RenameErr = errors.New("no free .bad-* name")
	return e
}
