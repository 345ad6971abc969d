package checkpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
	}{
		{"empty", []byte{}},
		{"small", []byte("hello")},
		{"binary", []byte{0, 1, 2, 0xff, '\n', 0}},
		{"large", bytes.Repeat([]byte("0123456789abcdef"), 1<<16)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state")
			if err := Write(path, 7, tc.payload); err != nil {
				t.Fatal(err)
			}
			got, err := Read(path, 7)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.payload) {
				t.Fatalf("payload differs: got %d bytes, want %d", len(got), len(tc.payload))
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() != int64(len(tc.payload)+headerSize+trailerSize) {
				t.Fatalf("size %d", fi.Size())
			}
		})
	}
}

func TestOverwriteReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	for _, p := range []string{"first", "second, longer payload", "3"} {
		if err := Write(path, 1, []byte(p)); err != nil {
			t.Fatal(err)
		}
		got, err := Read(path, 1)
		if err != nil || string(got) != p {
			t.Fatalf("Read = %q, %v; want %q", got, err, p)
		}
	}
	// No temporary files are left behind after successful writes.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the checkpoint", len(entries))
	}
}

func TestMode0600(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "state")
	// Even when a looser file already exists, the result is 0600.
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, 1, []byte("secret hashes")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("mode %o, want 600", perm)
	}
}

func TestMissingIsNotExist(t *testing.T) {
	got, err := Read(filepath.Join(t.TempDir(), "nope"), 1)
	if got != nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Read = %v, %v; want nil, ErrNotExist", got, err)
	}
}

// validFile returns the bytes of a well-formed checkpoint, built independently of Write.
func validFile(version uint32, payload string) []byte {
	var b bytes.Buffer
	b.WriteString("WABACKPT")
	_ = binary.Write(&b, binary.BigEndian, version)
	_ = binary.Write(&b, binary.BigEndian, uint64(len(payload)))
	b.WriteString(payload)
	_ = binary.Write(&b, binary.BigEndian, crc32c(b.Bytes()))
	return b.Bytes()
}

func crc32c(b []byte) uint32 {
	// Bitwise CRC-32C, independent of hash/crc32, to check the documented format.
	crc := ^uint32(0)
	for _, c := range b {
		crc ^= uint32(c)
		for i := 0; i < 8; i++ {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0x82F63B78
			} else {
				crc >>= 1
			}
		}
	}
	return ^crc
}

func TestDocumentedFormatIsRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	if err := os.WriteFile(path, validFile(3, "payload"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path, 3)
	if err != nil || string(got) != "payload" {
		t.Fatalf("Read = %q, %v", got, err)
	}
	// And Write produces exactly the documented bytes.
	path2 := path + "2"
	if err := Write(path2, 3, []byte("payload")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path2)
	if !bytes.Equal(b, validFile(3, "payload")) {
		t.Fatalf("Write output differs from the documented format:\n%x\n%x", b, validFile(3, "payload"))
	}
}

func TestBadFilesAreSetAside(t *testing.T) {
	good := validFile(2, `{"offsets":[1,2,3]}`)
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x40
		return b
	}
	tests := []struct {
		name     string
		content  []byte
		kind     error
		inReason string
	}{
		{"empty file", nil, ErrCorrupt, "too short"},
		{"torn: header only", good[:headerSize], ErrCorrupt, "too short"},
		{"torn: missing tail", good[:len(good)-3], ErrCorrupt, "does not match file size"},
		{"extra bytes", append(bytes.Clone(good), 'x'), ErrCorrupt, "does not match file size"},
		{"bad magic", flip(0), ErrCorrupt, "bad magic"},
		{"flipped payload bit", flip(headerSize + 3), ErrCorrupt, "checksum mismatch"},
		{"flipped crc bit", flip(len(good) - 1), ErrCorrupt, "checksum mismatch"},
		{"garbage", []byte("this is not a checkpoint at all, just text\n"), ErrCorrupt, "bad magic"},
		{"other version", validFile(1, `{"offsets":[]}`), ErrVersion, "version 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.ckpt")
			if err := os.WriteFile(path, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := Read(path, 2)
			if got != nil {
				t.Fatalf("payload returned for a bad file: %q", got)
			}
			var sa *SetAsideError
			if !errors.As(err, &sa) {
				t.Fatalf("err = %v, want *SetAsideError", err)
			}
			if !errors.Is(err, tc.kind) {
				t.Fatalf("err = %v, want kind %v", err, tc.kind)
			}
			if !strings.Contains(sa.Reason, tc.inReason) {
				t.Fatalf("reason %q does not mention %q", sa.Reason, tc.inReason)
			}
			if !strings.HasPrefix(sa.MovedTo, path+".bad-") || !strings.Contains(err.Error(), sa.MovedTo) {
				t.Fatalf("MovedTo %q / message %q", sa.MovedTo, err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("original still at %s: %v", path, err)
			}
			moved, err := os.ReadFile(sa.MovedTo)
			if err != nil {
				t.Fatalf("set-aside file missing: %v", err)
			}
			if !bytes.Equal(moved, tc.content) {
				t.Fatal("set-aside file content changed")
			}
			// The next read is a clean first start.
			if _, err := Read(path, 2); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("second Read: %v", err)
			}
		})
	}
}

func TestSetAsideDoesNotOverwritePreviousBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	var moved []string
	for i := 0; i < 3; i++ {
		if err := os.WriteFile(path, []byte{'x', byte('0' + i)}, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Read(path, 1)
		var sa *SetAsideError
		if !errors.As(err, &sa) {
			t.Fatal(err)
		}
		moved = append(moved, sa.MovedTo)
	}
	for i, m := range moved {
		b, err := os.ReadFile(m)
		if err != nil || string(b) != string([]byte{'x', byte('0' + i)}) {
			t.Fatalf("bad file %d at %s: %q %v", i, m, b, err)
		}
	}
}

// TestCrashBeforeRename kills a child process (SIGKILL, from inside Write, after the new
// temporary file is durable and before the rename) and checks that the previous checkpoint
// is intact and the next Write cleans the leftover temporary file.
func TestCrashBeforeRename(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	if err := Write(path, 1, []byte("old state")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "CHECKPOINT_CRASH_CHILD="+path)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child did not die: err=%v output=%s", err, out)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child exit %v, want SIGKILL; output=%s", err, out)
	}
	temps := leftovers(t, path)
	if len(temps) != 1 {
		t.Fatalf("want exactly one leftover temp file from the crashed write, got %v", temps)
	}
	got, err := Read(path, 1)
	if err != nil || string(got) != "old state" {
		t.Fatalf("after crash Read = %q, %v; want the old checkpoint", got, err)
	}
	if err := Write(path, 1, []byte("new state")); err != nil {
		t.Fatal(err)
	}
	if temps := leftovers(t, path); len(temps) != 0 {
		t.Fatalf("stale temp files not cleaned: %v", temps)
	}
	got, err = Read(path, 1)
	if err != nil || string(got) != "new state" {
		t.Fatalf("Read = %q, %v", got, err)
	}
}

// leftovers lists the files beside the checkpoint at path whose names contain its name,
// other than itself and its set-aside copies: the temporary files of writes.
func leftovers(t *testing.T, path string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		base := filepath.Base(path)
		if n := e.Name(); strings.Contains(n, base) && n != base && !strings.HasPrefix(n, base+".bad-") {
			out = append(out, n)
		}
	}
	return out
}

// TestStaleTempsOfOlderVersions: a temporary file left by a crash of a version before
// renameio (path + ".tmp-*") is removed by the next write as well; files that only look
// alike are left alone.
func TestStaleTempsOfOlderVersions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	for _, name := range []string{"state.tmp-123", ".state42", ".state.keep", ".state4x", "other.tmp-1"} {
		if err := os.WriteFile(filepath.Join(filepath.Dir(path), name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := Write(path, 1, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if got, want := leftovers(t, path), []string{".state.keep", ".state4x"}; !slices.Equal(got, want) {
		t.Fatalf("left %v, want %v", got, want)
	}
}

// TestMain doubles as the crashing child of TestCrashBeforeRename: with
// CHECKPOINT_CRASH_CHILD set, the process SIGKILLs itself inside Write, after the new
// temporary file is durable and before the rename.
func TestMain(m *testing.M) {
	if path := os.Getenv("CHECKPOINT_CRASH_CHILD"); path != "" {
		crashBeforeRename = func() { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL); select {} }
		_ = Write(path, 1, []byte("new state that never lands"))
		os.Exit(3) // not reached unless the hook failed
	}
	os.Exit(m.Run())
}
