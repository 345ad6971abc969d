package tail

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

func TestPartialLinesHeldUntilNewline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	writeFile(t, path, "")
	h := startHarness(t, Options{Sources: []string{path}, Follow: true}, 64, nil)
	steps := []struct {
		write string
		want  []string // all lines delivered so far
	}{
		{`{"a":`, nil},
		{`1}`, nil},
		{"\n{\"b\"", []string{`{"a":1}`}},
		{":2}\r\n", []string{`{"a":1}`, `{"b":2}`}}, // CRLF: the \r is removed
		{"\n\n", []string{`{"a":1}`, `{"b":2}`, "", ""}},
		{"x\ry\n", []string{`{"a":1}`, `{"b":2}`, "", "", "x\ry"}}, // only a trailing \r goes
	}
	for i, s := range steps {
		appendFile(t, path, s.write)
		h.step()
		equalLines(t, fmt.Sprintf("step %d", i), h.data(), s.want)
	}
	wantOffsets := []int64{8, 17, 18, 19, 23}
	for i, l := range h.lines {
		if l.Offset != wantOffsets[i] {
			t.Fatalf("line %d offset %d, want %d", i, l.Offset, wantOffsets[i])
		}
	}
	if st := h.stats(0); st.LinesRead != 5 || st.BytesRead != 23 || st.LagBytes != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestLongLinesSkippedAndCounted(t *testing.T) {
	tests := []struct {
		name    string
		writes  []string // each followed by a pass
		want    []string
		tooLong []int64 // offsets just past the newline of each skipped line
	}{
		{
			name:    "one write",
			writes:  []string{"short1\n" + strings.Repeat("a", 250) + "\nshort2\n"},
			want:    []string{"short1", "short2"},
			tooLong: []int64{7 + 251},
		},
		{
			name:    "exactly the limit is delivered, one more is not",
			writes:  []string{strings.Repeat("b", 100) + "\n" + strings.Repeat("c", 101) + "\nnext\n"},
			want:    []string{strings.Repeat("b", 100), "next"},
			tooLong: []int64{101 + 102},
		},
		{
			name:    "long line arriving across passes",
			writes:  []string{"ok\n" + strings.Repeat("d", 60), strings.Repeat("d", 60), strings.Repeat("d", 60) + "\nafter\n"},
			want:    []string{"ok", "after"},
			tooLong: []int64{3 + 181},
		},
		{
			name:    "CRLF line at the limit",
			writes:  []string{strings.Repeat("e", 99) + "\r\nz\n"},
			want:    []string{strings.Repeat("e", 99), "z"},
			tooLong: nil,
		},
		{
			name:    "several long lines in a row",
			writes:  []string{strings.Repeat("f", 300) + "\n" + strings.Repeat("g", 101) + "\n" + "h\n"},
			want:    []string{"h"},
			tooLong: []int64{301, 301 + 102},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.log")
			writeFile(t, path, "")
			// BatchBytes 32: long lines span several reads.
			h := startHarness(t, Options{Sources: []string{path}, Follow: true, MaxLineBytes: 100, BatchBytes: 32}, 256, nil)
			for _, w := range tc.writes {
				appendFile(t, path, w)
				h.step()
			}
			equalLines(t, tc.name, h.data(), tc.want)
			if !slices.Equal(h.tooLong, tc.tooLong) {
				t.Fatalf("lines marked TooLong end at %v, want %v", h.tooLong, tc.tooLong)
			}
			fi, _ := os.Stat(path)
			if last := h.lines[len(h.lines)-1]; last.Offset != fi.Size() {
				t.Fatalf("last offset %d, file size %d", last.Offset, fi.Size())
			}
		})
	}
}

// TestTooLongFinalLine: at the end of a replay (a file, standard input), an unfinished
// last line over the limit is handed out marked TooLong, ending at the end of input.
func TestTooLongFinalLine(t *testing.T) {
	content := "short\n" + strings.Repeat("x", 150)
	path := filepath.Join(t.TempDir(), "a.log")
	writeFile(t, path, content)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"file", Options{Sources: []string{path}}},
		{"stdin", Options{Sources: []string{"-"}, Stdin: strings.NewReader(content)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.MaxLineBytes, tc.opts.BatchBytes = 100, 32
			h := startHarness(t, tc.opts, 8, nil)
			h.wait()
			equalLines(t, tc.name, h.data(), []string{"short"})
			if want := []int64{int64(len(content))}; !slices.Equal(h.tooLong, want) {
				t.Fatalf("lines marked TooLong end at %v, want %v", h.tooLong, want)
			}
		})
	}
}

func TestDefaultMaxLineIs4MiB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	big := strings.Repeat("m", 3<<20) // a 3 MB Meta payload is legal
	huge := strings.Repeat("n", 4<<20+1)
	writeFile(t, path, big+"\n"+huge+"\nend\n")
	h := startHarness(t, Options{Sources: []string{path}}, 16, nil)
	h.wait()
	if len(h.lines) != 2 || len(h.lines[0].Data) != len(big) || h.lines[1].Data != "end" {
		t.Fatalf("got %d lines", len(h.lines))
	}
	if want := []int64{int64(len(big) + 1 + len(huge) + 1)}; !slices.Equal(h.tooLong, want) {
		t.Fatalf("lines marked TooLong end at %v, want %v", h.tooLong, want)
	}
}

func TestGlobPicksUpNewFiles(t *testing.T) {
	dir := t.TempDir()
	glob := filepath.Join(dir, "*.log")
	writeFile(t, filepath.Join(dir, "a.log"), "a1\n")
	writeFile(t, filepath.Join(dir, "ignored.txt"), "no\n")
	h := startHarness(t, Options{Sources: []string{glob}, Follow: true, Start: StartEnd}, 64, nil)
	h.step()
	equalLines(t, "start at end", h.data(), nil)

	writeFile(t, filepath.Join(dir, "b.log"), "b1\nb2\n") // appears later: read from 0
	appendFile(t, filepath.Join(dir, "a.log"), "a2\n")
	if err := os.Mkdir(filepath.Join(dir, "dir.log"), 0o755); err != nil { // not a file
		t.Fatal(err)
	}
	h.step()
	got := map[string]string{}
	for _, l := range h.lines {
		got[l.Data] = filepath.Base(l.Path)
		if l.Source != glob {
			t.Fatalf("Source %q, want the glob", l.Source)
		}
	}
	want := map[string]string{"a2": "a.log", "b1": "b.log", "b2": "b.log"}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(h.lines) != 3 {
		t.Fatalf("got %v (%d lines), want %v", got, len(h.lines), want)
	}
	if st := h.stats(0); st.FilesOpen != 2 || !st.Up || st.Rotations != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// A glob that also matches rotated names must not read a renamed file again.
func TestGlobMatchingRotatedNamesReadsOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	glob := path + "*"
	writeFile(t, path, joinLines(numbered("old", 1, 3)))
	h := startHarness(t, Options{Sources: []string{glob}, Follow: true}, 64, nil)
	h.step()
	old, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	for i := 1; i <= 2; i++ { // two rounds of app.log -> app.log.1 -> app.log.2
		if _, err := os.Stat(path + ".1"); err == nil {
			if err := os.Rename(path+".1", path+".2"); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Rename(path, path+".1"); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, joinLines(numbered(fmt.Sprintf("new%d", i), 1, 2)))
		h.step()
	}
	if _, err := old.WriteString(joinLines(numbered("old", 4, 1))); err != nil { // now app.log.2
		t.Fatal(err)
	}
	h.step()
	want := append(numbered("old", 1, 3), numbered("new1", 1, 2)...)
	want = append(want, numbered("new2", 1, 2)...)
	want = append(want, numbered("old", 4, 1)...)
	equalLines(t, "rotated names", h.data(), want)
	if st := h.stats(0); st.Rotations != 2 || st.FilesOpen != 3 || st.Truncations != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// Many files are read in turns of at most BatchBytes each: neither can run ahead of the
// other by more than about one turn.
func TestFairnessAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	writeFile(t, a, "")
	writeFile(t, b, "")
	const n, turn = 1000, 1024
	h := startHarness(t, Options{Sources: []string{a, b}, Follow: true, BatchBytes: turn}, 4096, nil)
	h.step()
	appendFile(t, a, joinLines(numbered("a", 1, n)))
	appendFile(t, b, joinLines(numbered("b", 1, n)))
	h.step()
	if len(h.lines) != 2*n {
		t.Fatalf("%d lines", len(h.lines))
	}
	lineLen := len(numbered("a", 1, 1)[0]) + 1
	bound := 2*turn/lineLen + 2
	var ca, cb, worst int
	for _, l := range h.lines {
		if l.Data[0] == 'a' {
			ca++
		} else {
			cb++
		}
		if ca < n && cb < n {
			worst = max(worst, ca-cb, cb-ca)
		}
	}
	if worst > bound {
		t.Fatalf("one file ran ahead of the other by %d lines (bound %d)", worst, bound)
	}
}

func TestStartAtEnd(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	writeFile(t, path, "old1\nold2\nunfini")
	h := startHarness(t, Options{Sources: []string{path}, Follow: true, Start: StartEnd}, 64, nil)
	h.step()
	equalLines(t, "nothing old", h.data(), nil)
	appendFile(t, path, "shed\nnew1\n")
	h.step()
	equalLines(t, "only new complete lines", h.data(), []string{"new1"})
	// A rotation after the start reads the new file from 0.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, "r1\n")
	h.step()
	equalLines(t, "after rotation", h.data(), []string{"new1", "r1"})
}

func TestStartAtEndWhenFileEndsWithNewline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	writeFile(t, path, "old\n")
	h := startHarness(t, Options{Sources: []string{path}, Follow: true, Start: StartEnd}, 64, nil)
	h.step()
	appendFile(t, path, "new\n")
	h.step()
	equalLines(t, "first new line kept", h.data(), []string{"new"})
}

func TestStdin(t *testing.T) {
	t.Run("replay", func(t *testing.T) {
		h := startHarness(t, Options{Sources: []string{"-"}, Stdin: strings.NewReader("a\nb\r\n\nlast")}, 8, nil)
		h.wait()
		equalLines(t, "stdin", h.data(), []string{"a", "b", "", "last"})
		if h.lines[0].Source != "-" || h.lines[3].Offset != 10 {
			t.Fatalf("line %+v", h.lines[3])
		}
	})
	t.Run("follow", func(t *testing.T) {
		pr, pw := io.Pipe()
		h := startHarness(t, Options{Sources: []string{"-"}, Follow: true, Stdin: pr}, 8, nil)
		go func() {
			pw.Write([]byte("one\ntw"))
			pw.Write([]byte("o\n"))
			pw.Write([]byte("three")) // delivered at end of input
			pw.Close()
		}()
		h.waitLines(3)
		equalLines(t, "stdin follow", h.data(), []string{"one", "two", "three"})
		st := h.stats(0)
		if st.LinesRead != 3 || st.BytesRead != 13 || !st.Up {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestReplayReadsOnceOldestFirst(t *testing.T) {
	dir := t.TempDir()
	cur, rot := filepath.Join(dir, "app.log"), filepath.Join(dir, "app.log.1")
	writeFile(t, rot, "r1\nr2\n")
	writeFile(t, cur, "c1\nc2 without newline")
	base := time.Now().Add(-time.Hour)
	os.Chtimes(rot, base, base)
	os.Chtimes(cur, base.Add(time.Minute), base.Add(time.Minute))
	h := startHarness(t, Options{Sources: []string{filepath.Join(dir, "app.log*")}}, 8, nil)
	h.wait()
	equalLines(t, "replay", h.data(), []string{"r1", "r2", "c1", "c2 without newline"})
}

// checkpointAfter runs a replay of path and returns the Position after the k-th line.
func checkpointAfter(t *testing.T, path string, k int) Position {
	h := startHarness(t, Options{Sources: []string{path}}, 64, nil)
	h.wait()
	l := h.lines[k-1]
	return l.File.Position(l.Offset)
}

func TestRestoreFromPositions(t *testing.T) {
	tests := []struct {
		name string
		// change mutates the file after the checkpoint was taken after line 3 of 5.
		change func(t *testing.T, path string)
		want   []string
	}{
		{
			name:   "resume",
			change: func(t *testing.T, path string) { appendFile(t, path, joinLines(numbered("l", 6, 1))) },
			want:   numbered("l", 4, 3),
		},
		{
			name: "fingerprint mismatch: rewritten in place",
			change: func(t *testing.T, path string) {
				f, _ := os.OpenFile(path, os.O_WRONLY, 0)
				f.WriteAt([]byte("X"), 0) // same inode, same size, other first bytes
				f.Close()
			},
			want: append([]string{"X" + numbered("l", 1, 1)[0][1:]}, numbered("l", 2, 4)...),
		},
		{
			name:   "file shorter than offset",
			change: func(t *testing.T, path string) { os.Truncate(path, 10); appendFile(t, path, "\nz\n") },
			want:   []string{numbered("l", 1, 1)[0][:10], "z"},
		},
		{
			name: "replaced by a new file",
			change: func(t *testing.T, path string) {
				os.Remove(path)
				writeFile(t, path, joinLines(numbered("n", 1, 2)))
			},
			want: numbered("n", 1, 2),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "app.log")
			writeFile(t, path, joinLines(numbered("l", 1, 5)))
			pos := checkpointAfter(t, path, 3)
			if pos.Offset != int64(3*len(joinLines(numbered("l", 1, 1)))) || pos.FingerprintLen == 0 || pos.Source != path {
				t.Fatalf("position %+v", pos)
			}
			tc.change(t, path)
			h := startHarness(t, Options{Sources: []string{path}, Follow: true, Start: StartEnd, Positions: []Position{pos}}, 64, nil)
			h.step()
			equalLines(t, tc.name, h.data(), tc.want)
		})
	}
}

// A checkpointed file that was rotated away while the exporter was down is found by inode
// and drained from its saved offset before the new file.
func TestRestoreDrainsFileRotatedWhileStopped(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	writeFile(t, path, joinLines(numbered("l", 1, 3)))
	pos := checkpointAfter(t, path, 2)
	appendFile(t, path, joinLines(numbered("l", 4, 1))) // written after the checkpoint
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, joinLines(numbered("n", 1, 2)))
	h := startHarness(t, Options{Sources: []string{path}, Follow: true, Positions: []Position{pos}}, 64, nil)
	h.step()
	want := append(numbered("l", 3, 2), numbered("n", 1, 2)...)
	equalLines(t, "drained rotated file then new", h.data(), want)
	if st := h.stats(0); st.Rotations != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// faultyOpen wraps os.Open: the first fails calls for a path return err.
type faultyOpen struct {
	fails atomic.Int32
	err   error
}

func (o *faultyOpen) open(p string) (fileHandle, error) {
	if o.fails.Add(-1) >= 0 {
		return nil, &fs.PathError{Op: "open", Path: p, Err: o.err}
	}
	return os.Open(p)
}

func TestOpenErrorsRetriedAndCounted(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EACCES, syscall.ESTALE, syscall.EIO} {
		t.Run(errno.Error(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.log")
			writeFile(t, path, "a\n")
			fo := &faultyOpen{err: errno}
			fo.fails.Store(2)
			h := startHarness(t, Options{Sources: []string{path}, Follow: true}, 64, func(tl *Tailer) { tl.open = fo.open })
			// Run's first pass and this step both fail to open.
			h.step()
			if st := h.stats(0); st.Up || st.ReadErrors != 2 || st.FilesOpen != 0 || len(h.lines) != 0 {
				t.Fatalf("while failing: %+v", st)
			}
			h.step()
			equalLines(t, "recovered", h.data(), []string{"a"})
			if st := h.stats(0); !st.Up || st.ReadErrors != 2 || st.FilesOpen != 1 {
				t.Fatalf("after recovery: %+v", st)
			}
		})
	}
}

func TestMissingPathIsDownThenRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.log")
	h := startHarness(t, Options{Sources: []string{path}, Follow: true, Start: StartEnd}, 64, nil)
	h.step()
	if st := h.stats(0); st.Up || st.ReadErrors != 0 {
		t.Fatalf("missing: %+v", st)
	}
	writeFile(t, path, "first\n") // appears after the start: read from 0
	h.step()
	equalLines(t, "appeared", h.data(), []string{"first"})
	if st := h.stats(0); !st.Up {
		t.Fatalf("present: %+v", st)
	}
}

// staleHandle fails ReadAt with ESTALE once, as NFS does for a handle it invalidated.
type staleHandle struct {
	*os.File
	fail *atomic.Bool
}

func (s staleHandle) ReadAt(p []byte, off int64) (int, error) {
	if off > 0 && s.fail.CompareAndSwap(true, false) {
		return 0, &fs.PathError{Op: "read", Path: s.Name(), Err: syscall.ESTALE}
	}
	return s.File.ReadAt(p, off)
}

func TestStaleHandleReopenedAtSameOffset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	writeFile(t, path, "a\n")
	var fail atomic.Bool
	opens := 0
	h := startHarness(t, Options{Sources: []string{path}, Follow: true}, 64, func(tl *Tailer) {
		tl.open = func(p string) (fileHandle, error) {
			opens++
			f, err := os.Open(p)
			if err != nil {
				return nil, err
			}
			return staleHandle{File: f, fail: &fail}, nil
		}
	})
	h.step()
	fail.Store(true)
	appendFile(t, path, "b\n")
	h.step() // the read fails: handle dropped
	if st := h.stats(0); st.ReadErrors != 1 {
		t.Fatalf("stats %+v", st)
	}
	h.step() // reopened, same identity, same offset
	appendFile(t, path, "c\n")
	h.step()
	equalLines(t, "stale", h.data(), []string{"a", "b", "c"})
	if opens != 2 {
		t.Fatalf("opened %d times, want 2", opens)
	}
	if st := h.stats(0); st.ReadErrors != 1 || st.Rotations != 0 || st.Truncations != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// When the consumer stops, the reader stops (blocked on the bounded channel), memory does
// not grow, and LagBytes grows by exactly what is appended.
func TestBoundedChannelBackpressure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	lines := numbered("l", 1, 2000) // 2000 x 33 bytes
	writeFile(t, path, joinLines(lines))
	blocked := make(chan struct{}, 1)
	const outCap = 2
	h := startHarness(t, Options{Sources: []string{path}, Follow: true, BatchBytes: 1024}, outCap, func(tl *Tailer) {
		tl.onBlock = func() {
			select {
			case blocked <- struct{}{}:
			default:
			}
		}
	})
	select {
	case <-blocked:
	case <-time.After(testDeadline):
		t.Fatal("reader never blocked")
	}
	if h.tl.Synced() {
		t.Fatal("Synced while the first pass is blocked")
	}
	st := h.stats(0)
	lineLen := int64(len(lines[0]) + 1)
	perBatch := uint64(1024/(lineLen-1) + 1) // a batch is flushed once its data reaches 1024 bytes
	if st.LinesRead > (outCap+1)*perBatch {
		t.Fatalf("reader ran ahead of a stopped consumer: %d lines read", st.LinesRead)
	}
	size := int64(len(lines)) * lineLen
	lag := st.LagBytes
	if lag <= 0 || lag > size {
		t.Fatalf("LagBytes %d", lag)
	}
	more := joinLines(numbered("m", 1, 100))
	appendFile(t, path, more)
	if got := h.stats(0).LagBytes; got != lag+int64(len(more)) {
		t.Fatalf("LagBytes %d after appending %d bytes to lag %d", got, len(more), lag)
	}
	// Consumer resumes: everything arrives exactly once, and lag returns to 0.
	h.waitLines(len(lines))
	h.step()
	want := append(lines, numbered("m", 1, 100)...)
	equalLines(t, "after backpressure", h.data(), want)
	if st := h.stats(0); st.LagBytes != 0 || !h.tl.Synced() {
		t.Fatalf("LagBytes %d, Synced %v after catching up", st.LagBytes, h.tl.Synced())
	}
	// Batches were recycled: no more distinct batches than the channel and free list hold.
	if len(h.seen) > outCap+3 {
		t.Fatalf("%d distinct batches allocated for %d lines", len(h.seen), len(want))
	}
}

func TestOverflowForcesRescanAndIsCounted(t *testing.T) {
	w := NewTestWaker()
	defer w.Close()
	tl, err := New(Options{Sources: []string{filepath.Join(t.TempDir(), "a.log")}, Follow: true, Waker: w})
	if err != nil {
		t.Fatal(err)
	}
	tl.waker = w
	for i, e := range []error{fsnotify.ErrEventOverflow, errors.New("inotify read failed")} {
		w.watchError(e)
		select {
		case d := <-w.C():
			if d != nil {
				t.Fatal("hint carried a step channel")
			}
		default:
			t.Fatalf("error %d did not request a pass", i)
		}
		if got := tl.FsnotifyOverflows(); got != uint64(i+1) {
			t.Fatalf("overflows %d, want %d", got, i+1)
		}
	}
}

// Events whose names are not ours do not wake the tailer.
func TestRelevanceFilter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	writeFile(t, path, "")
	tl, err := New(Options{Sources: []string{path, filepath.Join(dir, "g-*.ndjson")}, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	tl.passN = 1
	tl.rescan()
	dirs, rel := tl.watchSet()
	if len(dirs) != 1 || dirs[0] != dir {
		t.Fatalf("dirs %v", dirs)
	}
	for name, want := range map[string]bool{
		path:                              true,
		path + ".1":                       true, // rotated name
		filepath.Join(dir, "g-1.ndjson"):  true,
		filepath.Join(dir, "other.log"):   false,
		filepath.Join(dir, "g-1.ndjson~"): false,
	} {
		if rel(name) != want {
			t.Errorf("relevant(%q) = %v, want %v", name, !want, want)
		}
	}
	tl.closeAll()
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, srcs := range [][]string{nil, {"a[.log"}, {"x.log", "x.log"}} {
		if _, err := New(Options{Sources: srcs}); err == nil {
			t.Errorf("New(%q) accepted", srcs)
		}
	}
	for in, want := range map[string]StartMode{"beginning": StartBeginning, "END": StartEnd} {
		if got, err := ParseStartMode(in); err != nil || got != want {
			t.Errorf("ParseStartMode(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseStartMode("middle"); err == nil {
		t.Error("ParseStartMode accepted middle")
	}
}

// TestRestartExactlyOnce stops a consumer in the middle of a batch, with more batches in
// flight, checkpoints Progress, changes the files while "stopped", and restarts from the
// positions: the lines processed before plus those delivered after are every line written,
// each exactly once, in order.
func TestRestartExactlyOnce(t *testing.T) {
	tests := []struct {
		name     string
		whileOff func(t *testing.T, path string) []string // returns the lines it wrote
	}{
		{"nothing", func(t *testing.T, path string) []string { return nil }},
		{"appended", func(t *testing.T, path string) []string {
			l := numbered("late", 1, 7)
			appendFile(t, path, joinLines(l))
			return l
		}},
		{"appended then rename+create", func(t *testing.T, path string) []string {
			l := numbered("late", 1, 3)
			appendFile(t, path, joinLines(l))
			os.Rename(path, path+".1")
			n := numbered("new", 1, 4)
			writeFile(t, path, joinLines(n))
			return append(l, n...)
		}},
		{"renamed to a dated name and recreated", func(t *testing.T, path string) []string {
			os.Rename(path, path+"-2026-11-22")
			n := numbered("new", 1, 2)
			writeFile(t, path, joinLines(n))
			return n
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "app.log")
			all := numbered("l", 1, 200)
			writeFile(t, path, joinLines(all))
			opts := Options{Sources: []string{path}, Follow: true, BatchBytes: 512}
			h1 := startHarness(t, opts, 2, nil)
			prog := NewProgress()
			var processed []string
		consume:
			for {
				select {
				case b := <-h1.out:
					for i := range b.Lines {
						if len(processed) == 77 { // stop mid-batch
							b.Release()
							break consume
						}
						processed = append(processed, string(b.Lines[i].Data))
						prog.Done(&b.Lines[i])
					}
					b.Release()
				case <-time.After(testDeadline):
					t.Fatal("no batch")
				}
			}
			pos := prog.Positions()
			h1.stop()
			if len(pos) != 1 {
				t.Fatalf("positions %+v", pos)
			}
			all = append(all, tc.whileOff(t, path)...)

			opts.Positions = pos
			h2 := startHarness(t, opts, 64, nil)
			h2.step()
			equalLines(t, "processed before + delivered after", append(processed, h2.data()...), all)
		})
	}
}

// The default waker (fsnotify hints plus a ticker, created and closed by Run) follows a
// file without any stepping. The wait is bounded; the wake-ups come from the kernel and a
// real ticker.
func TestDefaultWakerFollows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	writeFile(t, path, "one\n")
	h := startHarness(t, Options{Sources: []string{path}, Follow: true, PollInterval: 50 * time.Millisecond, Waker: realDefaultWaker{}}, 8, nil)
	h.waitLines(1)
	appendFile(t, path, "two\n")
	h.waitLines(2)
	equalLines(t, "default waker", h.data(), []string{"one", "two"})
}

// TestRandomChunking appends random content in random pieces, with a pass after each, and
// compares the delivered lines with an independent split of the whole content: chunk and
// read-buffer boundaries never change what is delivered.
func TestRandomChunking(t *testing.T) {
	for seed := int64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			const maxLine = 40
			var content strings.Builder
			for i := 0; i < 300; i++ {
				n := rng.Intn(60) // some lines exceed maxLine
				for j := 0; j < n; j++ {
					content.WriteByte(byte('a' + rng.Intn(26)))
				}
				if rng.Intn(5) == 0 {
					content.WriteByte('\r')
				}
				content.WriteByte('\n')
			}
			content.WriteString("unfinished") // never delivered while following
			all := content.String()

			var want []string
			var tooLong []int64
			parts := strings.Split(all, "\n")
			var end int64
			for _, l := range parts[:len(parts)-1] {
				end += int64(len(l)) + 1
				if len(l) > maxLine {
					tooLong = append(tooLong, end)
					continue
				}
				want = append(want, strings.TrimSuffix(l, "\r"))
			}

			path := filepath.Join(t.TempDir(), "a.log")
			writeFile(t, path, "")
			h := startHarness(t, Options{Sources: []string{path}, Follow: true, MaxLineBytes: maxLine, BatchBytes: 16 + rng.Intn(48)}, 1024, nil)
			for rest := all; len(rest) > 0; {
				n := min(len(rest), 1+rng.Intn(120))
				appendFile(t, path, rest[:n])
				rest = rest[n:]
				h.step()
			}
			equalLines(t, "random chunks", h.data(), want)
			if st := h.stats(0); !slices.Equal(h.tooLong, tooLong) || st.BytesRead != uint64(len(all)) {
				t.Fatalf("too long at %v (want %v), bytes %d (want %d)", h.tooLong, tooLong, st.BytesRead, len(all))
			}
		})
	}
}

// Device numbers can change across a reboot or remount; a position whose inode, path and
// fingerprint match still resumes (the fingerprint guards against inode reuse).
func TestRestoreWhenDeviceNumberChanged(t *testing.T) {
	tests := []struct {
		name   string
		rotate bool // the file was also rotated away while stopped
		want   []string
	}{
		{"same path", false, numbered("l", 3, 2)},
		{"rotated away", true, append(numbered("l", 3, 2), numbered("n", 1, 1)...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "app.log")
			writeFile(t, path, joinLines(numbered("l", 1, 4)))
			pos := checkpointAfter(t, path, 2)
			pos.Dev++ // as after a remount
			if tc.rotate {
				os.Rename(path, path+".1")
				writeFile(t, path, joinLines(numbered("n", 1, 1)))
			}
			h := startHarness(t, Options{Sources: []string{path}, Follow: true, Positions: []Position{pos}}, 64, nil)
			h.step()
			equalLines(t, tc.name, h.data(), tc.want)
		})
	}
}

// Positions cover files resumed from a checkpoint that had nothing new (a second restart
// must not read them again), files started at the end, and a StartEnd start inside an
// unfinished line (the position skips the fragment on restore).
func TestProgressCoversQuietFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	writeFile(t, path, joinLines(numbered("l", 1, 3)))

	run := func(opts Options) (*harness, []Position) {
		h := startHarness(t, opts, 64, nil)
		h.prog = NewProgress(h.tl) // the harness marks every delivered line processed
		h.step()
		pos := h.prog.Positions()
		h.stop()
		return h, pos
	}
	base := Options{Sources: []string{path}, Follow: true}

	h1, pos1 := run(base)
	if len(h1.lines) != 3 || len(pos1) != 1 {
		t.Fatalf("run 1: %d lines, positions %+v", len(h1.lines), pos1)
	}
	opts := base
	opts.Positions = pos1
	h2, pos2 := run(opts) // nothing new: no line processed in this run
	if len(h2.lines) != 0 || len(pos2) != 1 || pos2[0] != pos1[0] {
		t.Fatalf("run 2: %d lines, positions %+v, want %+v", len(h2.lines), pos2, pos1)
	}
	appendFile(t, path, "new\n")
	opts.Positions = pos2
	h3, _ := run(opts)
	equalLines(t, "run 3", h3.data(), []string{"new"})

	// StartEnd inside an unfinished line: the saved position is mid-line until the
	// fragment ends; resuming from it skips the fragment.
	appendFile(t, path, "unfini")
	endOpts := base
	endOpts.Start = StartEnd
	_, pos4 := run(endOpts)
	appendFile(t, path, "shed\nafter\n")
	opts.Positions = pos4
	h5, _ := run(opts)
	equalLines(t, "resumed mid-line", h5.data(), []string{"after"})
}
