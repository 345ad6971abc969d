package checkpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// encodeDoc builds a checkpoint file from the documented format (package doc), not from
// Write, so that the fuzz target checks Read against the documentation.
func encodeDoc(version uint32, payload []byte) []byte {
	b := []byte(Magic)
	b = binary.BigEndian.AppendUint32(b, version)
	b = binary.BigEndian.AppendUint64(b, uint64(len(payload)))
	b = append(b, payload...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

// FuzzRead: Read never panics on any file contents. It returns a payload exactly when
// the file is a well-formed checkpoint of the version asked for (then the file is left in
// place and re-encoding the payload gives the file back); anything else is a
// *SetAsideError and the file, unchanged, is moved aside.
func FuzzRead(f *testing.F) {
	const version = 7
	f.Add(encodeDoc(version, []byte("state")))
	f.Add(encodeDoc(version, nil))
	f.Add(encodeDoc(version+1, []byte("state")))
	good := encodeDoc(version, []byte("state"))
	f.Add(good[:len(good)-1])
	f.Add([]byte(Magic))
	f.Add([]byte{})
	// Each way a file can be damaged, from a good one: a length field one over the size
	// (a torn write), one over MaxPayload, a flipped payload bit (checksum), another magic,
	// trailing bytes, the header alone, and a larger binary payload.
	torn := bytes.Clone(good)
	binary.BigEndian.PutUint64(torn[12:20], uint64(len("state")+1))
	f.Add(torn)
	huge := bytes.Clone(good)
	binary.BigEndian.PutUint64(huge[12:20], MaxPayload+1)
	f.Add(huge)
	flipped := bytes.Clone(good)
	flipped[20] ^= 1
	f.Add(flipped)
	f.Add(append([]byte("WABACKPX"), good[8:]...))
	f.Add(append(bytes.Clone(good), 0))
	f.Add(good[:20])
	f.Add(encodeDoc(version, bytes.Repeat([]byte{0, 0xff, '\n', 7}, 1024)))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "state.ckpt")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		payload, err := Read(path, version)
		if err == nil {
			if !bytes.Equal(encodeDoc(version, payload), data) {
				t.Fatalf("Read accepted a file that is not the documented encoding of its payload")
			}
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("a good checkpoint was moved: %v", err)
			}
			return
		}
		var sa *SetAsideError
		if !errors.As(err, &sa) || (!errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion)) {
			t.Fatalf("bad contents gave %v, want a *SetAsideError", err)
		}
		if payload != nil {
			t.Fatal("a payload returned with an error")
		}
		if sa.MovedTo == "" {
			t.Fatalf("not moved aside: %v", err)
		}
		moved, rerr := os.ReadFile(sa.MovedTo)
		if rerr != nil || !bytes.Equal(moved, data) {
			t.Fatalf("the file set aside differs from the original (%v)", rerr)
		}
		if err := os.Remove(sa.MovedTo); err != nil { // keep the directory small
			t.Fatal(err)
		}
		if len(data) >= 24 && bytes.Equal(data, encodeDoc(version, data[20:len(data)-4])) {
			t.Fatalf("Read refused a well-formed checkpoint: %v", err)
		}
	})
}
