package tail

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// rotEnv is the writer side of one rotation scenario.
//
// keep=true: the writer holds one fd open (O_APPEND) across writes, as daemons do, and
// keeps writing to it after the rotation until it is told to reopen (logrotate's
// postrotate signal). keep=false: the writer opens the path, appends and closes on every
// write, as a shell's ">>" does.
type rotEnv struct {
	t    *testing.T
	dir  string
	path string // the configured source (a symlink in the symlink scenario)
	keep bool
	fd   *os.File
	n    int
	want []string
}

// write appends k new unique lines in one write(2) (an atomic append).
func (e *rotEnv) write(k int) {
	e.t.Helper()
	lines := numbered("line", e.n+1, k)
	e.n += k
	e.want = append(e.want, lines...)
	data := []byte(joinLines(lines))
	if e.keep {
		if e.fd == nil {
			fd, err := os.OpenFile(e.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				e.t.Fatal(err)
			}
			e.fd = fd
		}
		if _, err := e.fd.Write(data); err != nil {
			e.t.Fatal(err)
		}
		return
	}
	fd, err := os.OpenFile(e.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := fd.Write(data); err != nil {
		e.t.Fatal(err)
	}
	if err := fd.Close(); err != nil {
		e.t.Fatal(err)
	}
}

// reopen makes a keep-fd writer close its fd and open the path again on its next write.
func (e *rotEnv) reopen() {
	if e.fd != nil {
		e.fd.Close()
		e.fd = nil
	}
}

func (e *rotEnv) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// rotationKind is one row of the rotation matrix.
type rotationKind struct {
	name string
	// setup prepares e.path (an empty file, or a symlink to one) before the tailer starts.
	setup func(e *rotEnv)
	// rotate performs the rotation. A keep-fd writer then writes 3 more lines to its old fd
	// where that is what happens in reality (rename, delete, symlink swap), before it
	// reopens.
	rotate func(e *rotEnv)
	// syncAfterRotate: check delivery right after rotate. Without it, the tailer first
	// looks after 8 more lines were written (the harder case for copytruncate: the file is
	// larger again than the old offset, so only the fingerprint shows the truncation).
	syncAfterRotate bool
	// notifySeesOld: writes to the old file after the rotation produce an fsnotify event
	// in a watched directory (not so for a deleted file), so the fsnotify-only variant can
	// wait for them before the next step.
	notifySeesOld          bool
	rotations, truncations uint64
}

var rotationKinds = []rotationKind{
	{
		name:  "rename+create",
		setup: func(e *rotEnv) { writeFile(e.t, e.path, "") },
		rotate: func(e *rotEnv) {
			e.must(os.Rename(e.path, e.path+".1"))
			if e.keep {
				e.write(3) // lands in app.log.1, which no source names
			}
		},
		syncAfterRotate: true, notifySeesOld: true,
		rotations: 1,
	},
	{
		name:  "copytruncate",
		setup: func(e *rotEnv) { writeFile(e.t, e.path, "") },
		rotate: func(e *rotEnv) {
			src, err := os.Open(e.path)
			e.must(err)
			dst, err := os.Create(e.path + ".1")
			e.must(err)
			_, err = io.Copy(dst, src)
			e.must(err)
			src.Close()
			dst.Close()
			e.must(os.Truncate(e.path, 0))
		},
		truncations: 1,
	},
	{
		name:  "delete+recreate",
		setup: func(e *rotEnv) { writeFile(e.t, e.path, "") },
		rotate: func(e *rotEnv) {
			e.must(os.Remove(e.path))
			if e.keep {
				e.write(3) // lands in the deleted file, still open by the writer and the tailer
			}
		},
		syncAfterRotate: true,
		rotations:       1,
	},
	{
		name: "symlink swap",
		setup: func(e *rotEnv) {
			e.must(os.Mkdir(filepath.Join(e.dir, "targets"), 0o755))
			writeFile(e.t, filepath.Join(e.dir, "targets", "a.log"), "")
			e.must(os.Symlink(filepath.Join("targets", "a.log"), e.path))
		},
		rotate: func(e *rotEnv) {
			writeFile(e.t, filepath.Join(e.dir, "targets", "b.log"), "")
			e.must(os.Symlink(filepath.Join("targets", "b.log"), e.path+".new"))
			e.must(os.Rename(e.path+".new", e.path)) // atomic swap
			if e.keep {
				e.write(3) // lands in targets/a.log
			}
		},
		syncAfterRotate: true, notifySeesOld: true,
		rotations: 1,
	},
	{
		name:            "truncate to zero",
		setup:           func(e *rotEnv) { writeFile(e.t, e.path, "") },
		rotate:          func(e *rotEnv) { e.must(os.Truncate(e.path, 0)) }, // cat /dev/null > app.log
		syncAfterRotate: true, notifySeesOld: true,
		truncations: 1,
	},
}

// TestRotationMatrix runs every rotation kind x {fsnotify hints only, poll only} x
// {writer keeps its fd, writer reopens} and asserts the exact sequence of lines delivered:
// nothing lost, nothing twice, in write order.
//
// Script: 5 lines; check; rotate (a keep-fd writer adds 3 lines to the old file); check
// (where the kind allows); writer reopens; 8 lines; check; 2 lines; check; let the grace
// period pass; check that the old file was released and the rotation/truncation counters.
//
// What it proves for copytruncate: everything the tailer had read before the copy, plus
// everything written after the truncation, is delivered exactly once, and a truncated file
// that has grown past the old offset again is still recognised (by fingerprint) and read
// from 0. It cannot prove that lines written between the tailer's last read and the
// truncation survive: they are only in the copy, which no source names. The script checks
// delivery before the copy, so the expected set is exact.
//
// "poll" steps the tailer with a test waker: each check is one pass. "fsnotify" has no
// ticker at all: only inotify events on the watched directories wake the tailer, and each
// check waits (bounded) for the lines to arrive; the final checks step it to prove that
// nothing more (no duplicate) comes.
func TestRotationMatrix(t *testing.T) {
	for _, kind := range rotationKinds {
		for _, waker := range []string{"fsnotify", "poll"} {
			for _, keep := range []bool{true, false} {
				writer := map[bool]string{true: "writer keeps fd", false: "writer reopens"}[keep]
				t.Run(fmt.Sprintf("%s/%s/%s", kind.name, waker, writer), func(t *testing.T) {
					runRotation(t, kind, waker == "fsnotify", keep)
				})
			}
		}
	}
}

func runRotation(t *testing.T, kind rotationKind, notify, keep bool) {
	dir := t.TempDir()
	e := &rotEnv{t: t, dir: dir, path: filepath.Join(dir, "app.log"), keep: keep}
	t.Cleanup(e.reopen)
	kind.setup(e)

	opts := Options{Sources: []string{e.path}, Follow: true}
	if notify {
		opts.Waker = NewWaker(WakerOptions{Fsnotify: true, Coalesce: 10 * time.Millisecond, Logger: testLogger()}) // no ticker: events only
	}
	h := startHarness(t, opts, 1024, nil)
	h.step() // initial pass done and directories watched

	check := func(what string) {
		t.Helper()
		if notify {
			h.waitLines(len(e.want))
		} else {
			h.step()
		}
		equalLines(t, what, h.data(), e.want)
	}

	e.write(5)
	check("before rotation")
	kind.rotate(e)
	if kind.syncAfterRotate && (!notify || !keep || kind.notifySeesOld) {
		check("after rotation")
	}
	e.reopen()
	e.write(8)
	check("after reopen")
	e.write(2)
	check("steady")

	// Rotated files are kept for the grace period; after it they are released.
	h.step()
	wantOpen := 1
	if kind.rotations > 0 {
		wantOpen = 2
	}
	if st := h.stats(0); st.FilesOpen != wantOpen {
		t.Fatalf("before the grace period: FilesOpen = %d, want %d", st.FilesOpen, wantOpen)
	}
	h.clock.Advance(DefaultDetachedGrace)
	h.step()
	h.step()
	equalLines(t, "final", h.data(), e.want)

	st := h.stats(0)
	if st.FilesOpen != 1 || !st.Up {
		t.Fatalf("FilesOpen = %d, Up = %v; want 1, true", st.FilesOpen, st.Up)
	}
	if st.Rotations != kind.rotations || st.Truncations != kind.truncations {
		t.Fatalf("rotations %d, truncations %d; want %d, %d", st.Rotations, st.Truncations, kind.rotations, kind.truncations)
	}
	if st.LinesRead != uint64(len(e.want)) || st.ReadErrors != 0 || st.LagBytes != 0 {
		t.Fatalf("stats %+v", st)
	}
	// The checkpoint view: only the current file remains, fully processed.
	pos := h.prog.Positions()
	fi, err := os.Stat(e.path)
	if err != nil {
		t.Fatal(err)
	}
	cur := idOf(fi)
	if len(pos) != 1 || pos[0].Offset != fi.Size() || pos[0].Ino != cur.ino || pos[0].Dev != cur.dev {
		t.Fatalf("positions %+v; want one at offset %d of the current file", pos, fi.Size())
	}
	for _, l := range h.lines {
		if l.Source != e.path {
			t.Fatalf("line %q has Source %q, want the configured path", l.Data, l.Source)
		}
	}
}

// A writer that opened its file without O_APPEND keeps writing at its old offset after
// copytruncate, leaving a hole of NUL bytes. The hole is skipped; the lines after it are
// delivered intact, once.
func TestCopytruncateWriterWithoutAppend(t *testing.T) {
	for _, readBetween := range []bool{true, false} {
		t.Run(fmt.Sprint("tailer looks between truncate and write: ", readBetween), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "app.log")
			fd, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644) // no O_APPEND
			if err != nil {
				t.Fatal(err)
			}
			defer fd.Close()
			h := startHarness(t, Options{Sources: []string{path}, Follow: true}, 64, nil)
			before, after := numbered("before", 1, 5), numbered("after", 1, 3)
			fd.WriteString(joinLines(before))
			h.step()
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
			if readBetween {
				h.step()
			}
			fd.WriteString(joinLines(after)) // lands at the old offset
			h.step()
			equalLines(t, "no-append writer", h.data(), append(before, after...))
			if st := h.stats(0); st.Truncations != 1 || len(h.tooLong) != 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// TestRestoreDrainsFileTruncatedThenRotatedWhileStopped: while the exporter is stopped,
// the checkpointed file is copytruncated, refilled, and then renamed away: its content no
// longer matches the checkpoint, but it is the same file under a rotated name, so what it
// holds (never read) is read from 0, then the new file at the path.
func TestRestoreDrainsFileTruncatedThenRotatedWhileStopped(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	writeFile(t, path, joinLines(numbered("l", 1, 3)))
	pos := checkpointAfter(t, path, 3)
	if err := os.Truncate(path, 0); err != nil { // copytruncate (the copy is not tailed)
		t.Fatal(err)
	}
	appendFile(t, path, joinLines(numbered("m", 1, 2)))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, joinLines(numbered("n", 1, 2)))
	h := startHarness(t, Options{Sources: []string{path}, Follow: true, Positions: []Position{pos}}, 64, nil)
	h.step()
	want := append(numbered("m", 1, 2), numbered("n", 1, 2)...)
	equalLines(t, "truncated, rotated file then new", h.data(), want)
	if st := h.stats(0); st.Truncations != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestRotationStormCountsUnreadFiles: several rotations between two passes (a file created,
// written and renamed away unseen) lose that file's lines; they are counted, while the
// rotated file that was being read is drained and not counted, and an older rotated file
// is left alone.
func TestRotationStormCountsUnreadFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	writeFile(t, path+".9", joinLines(numbered("old", 1, 4))) // rotated long before
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path+".9", old, old)
	writeFile(t, path, joinLines(numbered("a", 1, 2)))
	h := startHarness(t, Options{Sources: []string{path}, Follow: true}, 64, nil)
	h.step()
	h.step() // a second pass: the storm below happens after it began
	appendFile(t, path, joinLines(numbered("a", 3, 1)))
	if err := os.Rename(path, path+".1"); err != nil { // read: drained by its handle
		t.Fatal(err)
	}
	writeFile(t, path, joinLines(numbered("b", 1, 3))) // never seen
	if err := os.Rename(path, path+".2"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, joinLines(numbered("c", 1, 2)))
	h.step()
	want := append(numbered("a", 1, 3), numbered("c", 1, 2)...)
	equalLines(t, "after the storm", h.data(), want)
	if st := h.stats(0); st.LinesLost != 3 || st.Rotations != 1 {
		t.Fatalf("stats %+v, want 3 lines lost in one rotation seen", st)
	}
}

// copyFile copies src to dst (a new inode, a fresh mtime), as logrotate's copytruncate does.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, string(b))
}

// TestRotatedUnreadIgnoresReadContent: a file under a rotated name that was never held by
// this tailer but whose content was read (a copytruncate copy of the tailed file, made
// while the tailer ran or while it was stopped; a file rotated away before the tailer
// started) is not counted as lost when a rename rotation follows within the same poll
// interval. The soak's copytruncate-then-rename sequence, with a restart in between,
// counted every copy before.
func TestRotatedUnreadIgnoresReadContent(t *testing.T) {
	tests := []struct {
		name string
		// before runs while no tailer runs, after the first tailer read app.log; it
		// returns the positions the second tailer starts from.
		before func(t *testing.T, path string, pos Position) []Position
		// during runs after two passes of the second tailer, before the rename rotation.
		during func(t *testing.T, path string)
		// oneInterval: the b lines and the rename rotation come in one poll interval.
		oneInterval bool
		start       StartMode // of the second tailer (the zero value: StartBeginning)
		want        []string  // lines delivered by the second tailer
	}{
		{
			name: "copytruncate while stopped",
			before: func(t *testing.T, path string, pos Position) []Position {
				copyFile(t, path, path+".1")
				if err := os.Truncate(path, 0); err != nil {
					t.Fatal(err)
				}
				return []Position{pos}
			},
			want: append(numbered("b", 1, 2), numbered("c", 1, 2)...),
		},
		{
			name: "copytruncate while stopped, checkpoint forgot the old content",
			before: func(t *testing.T, path string, pos Position) []Position {
				copyFile(t, path, path+".1")
				if err := os.Truncate(path, 0); err != nil {
					t.Fatal(err)
				}
				return nil // restarted again since: the checkpoint names only the new content
			},
			want: append(numbered("b", 1, 2), numbered("c", 1, 2)...),
		},
		{
			name: "renamed away while stopped, not in the checkpoint",
			before: func(t *testing.T, path string, pos Position) []Position {
				if err := os.Rename(path, path+".1"); err != nil {
					t.Fatal(err)
				}
				writeFile(t, path, "")
				return nil
			},
			want: append(numbered("b", 1, 2), numbered("c", 1, 2)...),
		},
		{
			name:   "copytruncate while running",
			before: func(t *testing.T, path string, pos Position) []Position { return nil },
			start:  StartBeginning, // the second tailer reads the a lines itself
			during: func(t *testing.T, path string) {
				copyFile(t, path, path+".1")
				if err := os.Truncate(path, 0); err != nil {
					t.Fatal(err)
				}
			},
			want: append(numbered("a", 1, 40), append(numbered("b", 1, 2), numbered("c", 1, 2)...)...),
		},
		{
			name:   "copytruncate and rename in one poll interval",
			before: func(t *testing.T, path string, pos Position) []Position { return nil },
			start:  StartBeginning,
			during: func(t *testing.T, path string) {
				copyFile(t, path, path+".1")
				if err := os.Truncate(path, 0); err != nil {
					t.Fatal(err)
				}
			},
			oneInterval: true,
			want:        append(numbered("a", 1, 40), append(numbered("b", 1, 2), numbered("c", 1, 2)...)...),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "app.log")
			writeFile(t, path, joinLines(numbered("a", 1, 40))) // over FingerprintSize
			pos := checkpointAfter(t, path, 40)
			positions := tc.before(t, path, pos)
			h := startHarness(t, Options{Sources: []string{path}, Follow: true, Positions: positions, Start: tc.start}, 64, nil)
			h.step()
			h.step()
			if tc.during != nil {
				tc.during(t, path)
			}
			appendFile(t, path, joinLines(numbered("b", 1, 2)))
			if !tc.oneInterval {
				h.step()
			}
			if err := os.Rename(path, path+".2"); err != nil {
				t.Fatal(err)
			}
			writeFile(t, path, joinLines(numbered("c", 1, 2)))
			h.step()
			equalLines(t, tc.name, h.data(), tc.want)
			if st := h.stats(0); st.LinesLost != 0 || st.Rotations != 1 {
				t.Fatalf("stats %+v, want no line lost in one rotation seen", st)
			}
		})
	}
}

// TestRotatedUnreadIgnoresReleasedFile: a rotated file the tailer drained and released
// (DetachedGrace passed on the tailer's clock, while on the file system's clock it was
// written a moment ago) is not counted when the next rename rotation comes within the
// slack: it was read, even though the tailer no longer holds it.
func TestRotatedUnreadIgnoresReleasedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	writeFile(t, path, joinLines(numbered("a", 1, 3)))
	h := startHarness(t, Options{Sources: []string{path}, Follow: true}, 64, nil)
	h.step()
	h.step()
	appendFile(t, path, joinLines(numbered("a", 4, 1)))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, joinLines(numbered("b", 1, 3)))
	h.step() // rotation: app.log.1 drained
	h.clock.Advance(DefaultDetachedGrace + time.Second)
	h.step() // app.log.1 released
	if st := h.stats(0); st.FilesOpen != 1 {
		t.Fatalf("stats %+v, want app.log.1 released", st)
	}
	appendFile(t, path, joinLines(numbered("b", 4, 1)))
	if err := os.Rename(path, path+".2"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, joinLines(numbered("c", 1, 2)))
	h.step()
	want := append(append(numbered("a", 1, 4), numbered("b", 1, 4)...), numbered("c", 1, 2)...)
	equalLines(t, "two rotations", h.data(), want)
	if st := h.stats(0); st.LinesLost != 0 || st.Rotations != 2 {
		t.Fatalf("stats %+v, want no line lost in two rotations", st)
	}
}
