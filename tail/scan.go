package tail

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// pass runs one rescan and read round. more is true when the read budget ran out before
// every file reached its end; err is non-nil only when ctx ended during a send.
func (t *Tailer) pass(ctx context.Context, out chan<- *Batch) (more bool, err error) {
	t.passN++
	t.rescan()
	t.publish() // Stats sees new files (and their lag) even while this pass is blocked
	more, err = t.readFiles(ctx, out)
	if err != nil {
		return false, err
	}
	if !t.replay {
		t.releaseDetached()
	}
	if err := t.flush(ctx, out); err != nil {
		return false, err
	}
	t.publish()
	return more, nil
}

// rescan reconciles the tracked files with what the sources name now.
func (t *Tailer) rescan() {
	first := t.passN == 1
	t.prevPass, t.thisPass = t.thisPass, time.Now() // compared with file mtimes: the real clock
	if first {
		t.firstPass = t.thisPass
	}
	for _, f := range t.order {
		f.seen = false
		f.readNow = 0
	}
	for _, s := range t.sources {
		if s.stdin {
			continue
		}
		var paths []string
		if s.glob {
			paths, _ = filepath.Glob(s.pattern) // the pattern was validated in New
		} else {
			paths = []string{s.pattern}
		}
		up := len(paths) > 0
		for _, p := range paths {
			if !t.visit(s, p, first) {
				up = false
			}
		}
		s.up.Store(up)
	}
	if first && len(t.positions) > 0 {
		t.restoreRotated()
	}
	now := t.now()
	for _, f := range t.order {
		if !f.seen && !f.detached {
			t.gen++
			f.detached = true
			f.lastGrowth = now
			t.log.Debug("tail: file detached (path gone or names another file); draining", "file", f.Path())
		}
	}
	for i := 0; i < len(t.order); i++ {
		t.checkTruncation(i)
	}
	if len(t.pathLast) > 4096 {
		for p := range t.pathLast {
			if _, err := os.Stat(p); err != nil {
				delete(t.pathLast, p)
			}
		}
	}
}

// visit handles one path named by source s. It returns false if the path is missing or
// unusable (the source is then not up).
func (t *Tailer) visit(s *source, p string, first bool) bool {
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if s.glob {
				return true // matched a moment ago, gone now: a race with rotation
			}
			t.noteErr(s, p, nil, "missing")
			return false
		}
		s.readErrors.Add(1)
		t.noteErr(s, p, err, "stat")
		return false
	}
	if !fi.Mode().IsRegular() {
		if s.glob {
			return true // directories and such under a glob are not ours
		}
		t.noteErr(s, p, nil, "not a regular file")
		return false
	}
	id := idOf(fi)
	if f := t.byID[id]; f != nil && f.h != nil {
		t.attach(f, p)
		return true
	}
	h, err := t.open(p)
	if err != nil {
		s.readErrors.Add(1)
		t.noteErr(s, p, err, "open")
		return false
	}
	fi, err = h.Stat()
	if err != nil {
		_ = h.Close()
		s.readErrors.Add(1)
		t.noteErr(s, p, err, "stat")
		return false
	}
	id = idOf(fi)
	if f := t.byID[id]; f != nil {
		if f.h == nil { // reopened after ESTALE: same file, same offset
			f.h = h
			t.log.Info("tail: reopened file", "file", p)
		} else {
			_ = h.Close()
		}
		t.attach(f, p)
		t.noteErr(s, p, nil, "")
		return true
	}
	t.noteErr(s, p, nil, "")

	f := &File{src: s, dev: id.dev, ino: id.ino, path: p, h: h, real: p, seen: true}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		f.real = r
	}
	f.size, f.mtime = fi.Size(), fi.ModTime().UnixNano()
	if last, ok := t.pathLast[p]; ok && last != id {
		s.rotations.Add(1)
		t.log.Info("tail: rotation: new file at path; draining the old one first", "file", p)
		t.countRotatedUnread(s, p)
	}
	t.pathLast[p] = id
	t.startFile(f, fi.Size(), first)
	t.byID[id] = f
	t.order = append(t.order, f)
	t.gen++
	return true
}

// attach records that f is (again) named by path p.
func (t *Tailer) attach(f *File, p string) {
	f.seen = true
	if f.detached {
		f.detached = false
		t.gen++
	}
	if f.Path() != p {
		f.setPath(p)
		t.gen++
	}
	t.pathLast[p] = fileID{f.dev, f.ino}
}

// startFile chooses where a newly opened file is read from.
func (t *Tailer) startFile(f *File, size int64, first bool) {
	id := fileID{f.dev, f.ino}
	if cands, ok := t.takePositions(id, f.path); ok {
		if pos, reason := t.pickPosition(f, cands, size); reason != "" {
			t.log.Warn("tail: checkpointed position not usable; reading the file from 0", "file", f.path, "reason", reason)
			f.setStart(0)
		} else {
			t.log.Info("tail: resuming at checkpointed offset", "file", f.path, "offset", pos.Offset)
			t.resumeAt(f, pos.Offset)
		}
		t.updateFingerprint(f, size)
		return
	}
	if first && !t.restoring && t.opts.Start == StartEnd && size > 0 {
		f.setStart(size)
		var last [1]byte
		if n, _ := f.h.ReadAt(last[:], size-1); n == 1 && last[0] != '\n' {
			f.discard = true // we are inside an unfinished line; skip its tail
		}
		t.updateFingerprint(f, size)
		return
	}
	if t.restoring {
		t.log.Info("tail: file not in the checkpoint; reading it from 0", "file", f.path)
	}
	f.setStart(0)
	t.updateFingerprint(f, size)
}

// takePositions removes and returns the restore points for file id at path. Device
// numbers are not stable across reboots or remounts for every file system, so a position
// with the same inode at the same path but another device also qualifies; its fingerprint
// is verified before use like any other.
func (t *Tailer) takePositions(id fileID, path string) ([]Position, bool) {
	if cands, ok := t.positions[id]; ok {
		delete(t.positions, id)
		return cands, true
	}
	for pid, cands := range t.positions {
		if pid.ino == id.ino && cands[0].Path == path {
			delete(t.positions, pid)
			t.log.Info("tail: checkpointed file matched by inode and path; the device number changed", "file", path)
			return cands, true
		}
	}
	return nil, false
}

// pickPosition returns the first candidate that can be resumed in f (a checkpoint may hold
// two generations of one inode, before and after a truncation), or why none can.
func (t *Tailer) pickPosition(f *File, cands []Position, size int64) (Position, string) {
	reason := ""
	for _, pos := range cands {
		if reason = t.checkPosition(f, pos, size); reason == "" {
			return pos, ""
		}
	}
	return Position{}, reason
}

// resumeAt starts f at a restored offset. Positions normally sit just past a newline; if
// this one does not (taken while skipping the unfinished line a StartEnd start landed in),
// the rest of that line is skipped rather than delivered as a fragment.
func (t *Tailer) resumeAt(f *File, off int64) {
	f.setStart(off)
	if off == 0 {
		return
	}
	var b [1]byte
	if n, _ := f.h.ReadAt(b[:], off-1); n == 1 && b[0] != '\n' {
		f.discard = true
	}
}

// checkPosition returns why pos cannot be resumed in f ("" if it can).
func (t *Tailer) checkPosition(f *File, pos Position, size int64) string {
	switch {
	case pos.Offset < 0:
		return "negative offset"
	case pos.Offset > size:
		return "file is shorter than the checkpointed offset"
	case pos.FingerprintLen < 0 || pos.FingerprintLen > FingerprintSize:
		return "invalid fingerprint length"
	case int64(pos.FingerprintLen) > size:
		return "file is shorter than the checkpointed fingerprint"
	}
	buf := t.fpbuf[:pos.FingerprintLen]
	if n, err := f.h.ReadAt(buf, 0); n < len(buf) {
		return "cannot read the first bytes: " + errString(err)
	}
	if fnv1a(fnvOffset, buf) != pos.Fingerprint {
		return "fingerprint differs (the file was replaced or rewritten)"
	}
	return ""
}

func errString(err error) string {
	if err == nil {
		return "short read"
	}
	return err.Error()
}

// restoreRotated finds checkpointed files that no source names any more (rotated away
// while the process was down) by inode in their old directory, and drains them from the
// saved offset before the files that replaced them.
func (t *Tailer) restoreRotated() {
	bySrc := make(map[string]*source, len(t.sources))
	for _, s := range t.sources {
		bySrc[s.name] = s
	}
	for id, cands := range t.positions {
		delete(t.positions, id)
		pos := cands[0]
		s := bySrc[pos.Source]
		if s == nil || pos.Path == "" {
			continue
		}
		dir := filepath.Dir(pos.Path)
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			fi, err := os.Stat(p)
			if err != nil || !fi.Mode().IsRegular() || idOf(fi).ino != id.ino { // same directory: the device can only have been renumbered
				continue
			}
			h, err := t.open(p)
			if err != nil {
				break
			}
			hfi, err := h.Stat()
			if err != nil {
				_ = h.Close()
				break
			}
			rid := idOf(hfi)
			if rid.ino != id.ino || t.byID[rid] != nil {
				_ = h.Close()
				break
			}
			f := &File{src: s, dev: rid.dev, ino: rid.ino, path: p, real: p, h: h, seen: true}
			f.size, f.mtime = hfi.Size(), hfi.ModTime().UnixNano()
			pos, reason := t.pickPosition(f, cands, hfi.Size())
			drain := true
			switch {
			case reason == "":
				t.resumeAt(f, pos.Offset)
			case strings.HasPrefix(e.Name(), filepath.Base(cands[0].Path)):
				// The same inode under a rotated name of the checkpointed path, whose
				// content no longer matches: it was truncated in place (copytruncate)
				// after the checkpoint and refilled before it was renamed away, all
				// while we were stopped. What it holds now was never read.
				t.log.Warn("tail: checkpointed file was truncated, then rotated while stopped; reading it from 0", "file", p, "reason", reason)
				s.truncations.Add(1)
				f.setStart(0)
			default:
				_ = h.Close()
				drain = false
				t.log.Warn("tail: rotated checkpointed file does not match; not draining it", "file", p, "reason", reason)
			}
			if !drain {
				break
			}
			t.updateFingerprint(f, hfi.Size())
			f.detached = true
			f.lastGrowth = t.now()
			if cur, ok := t.pathLast[pos.Path]; ok && cur != rid {
				s.rotations.Add(1) // replaced at its path while we were stopped
			}
			t.byID[rid] = f
			t.order = append(t.order, f)
			t.gen++
			t.log.Info("tail: draining a checkpointed file that was rotated while stopped", "file", p, "offset", pos.Offset)
			break
		}
	}
}

// checkTruncation detects a copytruncate (size below offset, or first bytes changed) on
// t.order[i] and restarts it from 0 under a new *File.
func (t *Tailer) checkTruncation(i int) {
	f := t.order[i]
	if f.h == nil {
		return
	}
	fi, err := f.h.Stat()
	if err != nil {
		t.fileError(f, "stat", err)
		return
	}
	size, mt := fi.Size(), fi.ModTime().UnixNano()
	changed := size != f.size || mt != f.mtime
	f.size, f.mtime = size, mt
	reason := ""
	switch {
	case size < f.off:
		reason = "size below read offset"
	case changed && !t.updateFingerprint(f, size):
		reason = "first bytes changed"
	}
	if reason == "" {
		return
	}
	f.src.truncations.Add(1)
	t.noteRead(f.fingerprint()) // a copytruncate's copy holds this content (lost.go)
	t.log.Info("tail: truncation (copytruncate?); reading the file again from 0", "file", f.Path(), "reason", reason, "offset", f.off, "size", size)
	nf := &File{
		src: f.src, dev: f.dev, ino: f.ino, path: f.Path(), h: f.h, real: f.real,
		size: size, mtime: mt, seen: f.seen, detached: f.detached, lastGrowth: f.lastGrowth,
		partial: f.partial[:0],
	}
	f.h = nil
	f.partial = nil
	f.retired.Store(true)
	nf.setStart(0)
	nf.skipNUL = true
	t.updateFingerprint(nf, size)
	t.order[i] = nf
	t.byID[fileID{f.dev, f.ino}] = nf
}

// updateFingerprint checks that the first bytes of f still hash to its fingerprint and
// extends the fingerprint up to FingerprintSize bytes. It returns false if they changed.
// I/O errors are counted and leave the fingerprint as it was (true).
func (t *Tailer) updateFingerprint(f *File, size int64) bool {
	sum, n := f.fingerprint()
	want := int(min(size, FingerprintSize))
	if want < n {
		return false // shrank below the fingerprinted prefix
	}
	buf := t.fpbuf[:want]
	got, err := f.h.ReadAt(buf, 0)
	if got < n {
		if err != nil && !errors.Is(err, io.EOF) {
			t.fileError(f, "read", err)
			return true
		}
		return false // shrank between fstat and read
	}
	buf = buf[:got]
	h := fnv1a(fnvOffset, buf[:n])
	if n > 0 && h != sum {
		return false
	}
	if len(buf) > n {
		h = fnv1a(h, buf[n:])
		f.mu.Lock()
		f.fpSum, f.fpLen = h, len(buf)
		f.mu.Unlock()
	} else if n == 0 {
		f.mu.Lock()
		f.fpSum = fnvOffset
		f.mu.Unlock()
	}
	return true
}

// readFiles drains detached files, then reads attached ones round-robin.
func (t *Tailer) readFiles(ctx context.Context, out chan<- *Batch) (more bool, err error) {
	budget := t.budget
	for _, f := range t.order {
		if !f.detached || f.h == nil {
			continue
		}
		for {
			n, eof, err := t.readTurn(ctx, out, f)
			if err != nil {
				return false, err
			}
			budget -= n
			if eof {
				break
			}
			if budget <= 0 {
				return true, nil
			}
		}
	}
	active := t.active[:0]
	for _, f := range t.order {
		if !f.detached && f.h != nil {
			active = append(active, f)
		}
	}
	if t.replay {
		// Replay reads whole files one after another, oldest first, so rotated files
		// come before the current one (event order).
		slices.SortStableFunc(active, func(a, b *File) int {
			if a.mtime != b.mtime {
				if a.mtime < b.mtime {
					return -1
				}
				return 1
			}
			return strings.Compare(a.Path(), b.Path())
		})
	} else if len(active) > 1 {
		// Rotate the starting file between passes so none is always first.
		t.rr = (t.rr + 1) % len(active)
		slices.Reverse(active[:t.rr])
		slices.Reverse(active[t.rr:])
		slices.Reverse(active)
	}
	defer func() { t.active = active[:0] }()
	for len(active) > 0 {
		for i := 0; i < len(active); {
			f := active[i]
			n, eof, err := t.readTurn(ctx, out, f)
			if err != nil {
				return false, err
			}
			budget -= n
			if eof || f.h == nil {
				active = slices.Delete(active, i, i+1)
			} else if t.replay {
				continue // replay: stay on this file until its end
			} else {
				i++
			}
			if budget <= 0 {
				return true, nil
			}
		}
	}
	return false, nil
}

// releaseDetached closes detached files that yielded nothing this pass and have not
// grown for DetachedGrace.
func (t *Tailer) releaseDetached() {
	now := t.now()
	kept := t.order[:0]
	for _, f := range t.order {
		if f.detached {
			if f.readNow > 0 {
				f.lastGrowth = now
			}
			if f.h == nil || (f.readNow == 0 && now.Sub(f.lastGrowth) >= t.opts.DetachedGrace) {
				t.log.Debug("tail: released detached file", "file", f.Path(), "offset", f.off)
				f.retired.Store(true)
				f.close()
				t.noteRead(f.fingerprint()) // read: never counted as lost (lost.go)
				if t.byID[fileID{f.dev, f.ino}] == f {
					delete(t.byID, fileID{f.dev, f.ino})
				}
				continue
			}
		}
		kept = append(kept, f)
	}
	if len(kept) != len(t.order) {
		t.gen++
	}
	clear(t.order[len(kept):])
	t.order = kept
}

// fileError counts an I/O error on an open file; ESTALE drops the handle so the path is
// reopened on the next pass.
func (t *Tailer) fileError(f *File, op string, err error) {
	f.src.readErrors.Add(1)
	if isStale(err) {
		t.log.Warn("tail: stale file handle; will reopen", "file", f.Path(), "op", op)
		f.close()
		return
	}
	t.log.Warn("tail: file error; will retry", "file", f.Path(), "op", op, "err", err)
}

// noteErr logs a source's path problem once per change (not on every poll).
func (t *Tailer) noteErr(s *source, p string, err error, what string) {
	msg := what
	if err != nil {
		msg = what + ": " + err.Error()
	}
	if msg == s.lastErr {
		return
	}
	s.lastErr = msg
	switch {
	case msg == "":
		t.log.Info("tail: path readable again", "file", p)
	case err == nil:
		t.log.Info("tail: path not available; waiting", "file", p, "reason", what)
	default:
		t.log.Warn("tail: path not readable; will retry", "file", p, "err", msg)
	}
}

// relevance decides which fsnotify event names are worth a pass.
type relevance struct {
	exact    map[string]bool
	globs    []string
	prefixes []string // rotated names usually start with the current name
	any      bool     // a detached file exists: its new name is unknown
}

func (r *relevance) match(name string) bool {
	if r.any || r.exact[name] {
		return true
	}
	for _, p := range r.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	for _, g := range r.globs {
		if ok, _ := filepath.Match(g, name); ok {
			return true
		}
	}
	return false
}

// watchSet returns the directories to watch and the event filter for the waker.
func (t *Tailer) watchSet() ([]string, func(string) bool) {
	dirs := make(map[string]bool)
	r := &relevance{exact: make(map[string]bool)}
	for _, s := range t.sources {
		if s.stdin {
			continue
		}
		dir := filepath.Dir(s.pattern)
		if !isGlob(dir) {
			dirs[dir] = true
		}
		if s.glob {
			r.globs = append(r.globs, s.pattern)
		} else {
			r.exact[s.pattern] = true
			r.prefixes = append(r.prefixes, s.pattern)
			if real, err := filepath.EvalSymlinks(s.pattern); err == nil {
				dirs[filepath.Dir(real)] = true
				r.exact[real] = true
			}
		}
	}
	for _, f := range t.order {
		p := f.Path()
		dirs[filepath.Dir(p)] = true
		dirs[filepath.Dir(f.real)] = true
		r.exact[p] = true
		r.exact[f.real] = true
		if f.detached {
			r.any = true
		}
	}
	list := make([]string, 0, len(dirs))
	for d := range dirs {
		list = append(list, d)
	}
	slices.Sort(list)
	return list, r.match
}
