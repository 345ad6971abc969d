package tail

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Lines lost to a rotation storm. When a file is renamed away and a new one created at
// the path faster than the tailer rescans (several rotations between two passes), the
// files created and rotated away in between are never opened: what they hold is lost.
// It cannot be prevented (nothing names those files any more, and reading every rotated
// name would read copytruncate copies twice), but it can be detected: when a rotation is
// seen at a path, a file in the same directory under a rotated name of it (the path's
// base name followed by more characters) was born and rotated away unseen if
//
//   - this tailer never held it (its identity is not tracked, nor counted already);
//   - it was modified since the previous pass began (less mtimeSlack), and since this
//     tailer's first pass began: what was written before that may have been read by an
//     earlier process (a restart) whose checkpoint no longer names the file, so it is
//     never counted;
//   - its first bytes are not content known to be read: the fingerprint of a file this
//     tailer holds, held and released, or saw truncated, or of a restored position. A
//     copytruncate's copy (a new inode holding what the tailed file held) is thus not
//     counted, whether it was made while the tailer ran or before a restart.
//
// Its lines are counted in SourceStats.LinesLost
// (waba_exporter_lines_lost_total{reason="rotated_unread"}). Glob sources match rotated
// names themselves and are not checked.
//
// The count is conservative, never above the lines really lost (provided file mtimes
// are not in the future): a file born and rotated away while the exporter was down, or
// just before its first pass, is not counted; nor is one whose first bytes equal a known
// fingerprint, which for a known file shorter than FingerprintSize is a short prefix (two
// logs whose first line starts alike and is longer than that file would match).

// maxLostScan bounds the bytes read to count the lines of one unread rotated file.
const maxLostScan = 1 << 30

// mtimeSlack allows for file systems whose timestamps come from a coarse clock (a few
// milliseconds behind time.Now). It is far below DetachedGrace, so a file the tailer held
// and released (it stopped growing at least DetachedGrace ago) is never taken for one
// born since the previous pass. It never reaches before the first pass (see above).
const mtimeSlack = time.Second

// maxLostSeen bounds the remembered identities of files already counted.
const maxLostSeen = 4096

// maxReadFP bounds the remembered fingerprints of content read (oldest evicted first).
// They are added only at a release, a truncation and a restore, a few per rotation.
const maxReadFP = 4096

// fpKey is a fingerprint: FNV-1a 64 of a file's first n bytes (0 < n <= FingerprintSize).
type fpKey struct {
	n   int
	sum uint64
}

// noteRead remembers that the content fingerprinted (sum over the first n bytes) was
// read, for countRotatedUnread. Run goroutine (or New) only.
func (t *Tailer) noteRead(sum uint64, n int) {
	if n <= 0 {
		return
	}
	if t.readFP == nil {
		t.readFP = make(map[fpKey]uint64)
	}
	k := fpKey{n, sum}
	if _, ok := t.readFP[k]; !ok && len(t.readFP) >= maxReadFP {
		var oldest fpKey
		oldestSeq := ^uint64(0)
		for key, seq := range t.readFP {
			if seq < oldestSeq {
				oldest, oldestSeq = key, seq
			}
		}
		delete(t.readFP, oldest)
	}
	t.readFPSeq++
	t.readFP[k] = t.readFPSeq
}

// knownContent reports whether head, the first bytes of a file (up to FingerprintSize),
// starts with content known to be read: a remembered fingerprint or that of a tracked
// file.
func (t *Tailer) knownContent(head []byte) bool {
	match := func(sum uint64, n int) bool {
		return n > 0 && n <= len(head) && fnv1a(fnvOffset, head[:n]) == sum
	}
	for _, f := range t.order {
		if sum, n := f.fingerprint(); match(sum, n) {
			return true
		}
	}
	sums := make(map[int]uint64) // one hash per distinct length
	for k := range t.readFP {
		if k.n > len(head) {
			continue
		}
		s, ok := sums[k.n]
		if !ok {
			s = fnv1a(fnvOffset, head[:k.n])
			sums[k.n] = s
		}
		if s == k.sum {
			return true
		}
	}
	return false
}

// countRotatedUnread counts the lines of files rotated away from path p unseen since the
// previous pass (see above). Run goroutine only.
func (t *Tailer) countRotatedUnread(s *source, p string) {
	if s.glob || t.prevPass.IsZero() {
		return
	}
	since := t.prevPass.Add(-mtimeSlack)
	if since.Before(t.firstPass) {
		since = t.firstPass
	}
	dir, base := filepath.Split(p)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	if t.lostSeen == nil || len(t.lostSeen) > maxLostSeen {
		t.lostSeen = map[fileID]bool{}
	}
	for _, e := range entries {
		name := e.Name()
		if name == base || !strings.HasPrefix(name, base) || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().After(since) {
			continue
		}
		id := idOf(fi)
		if t.byID[id] != nil || t.lostSeen[id] {
			continue
		}
		n, known := t.countUnknownLines(filepath.Join(dir, name))
		if known {
			continue // read already (a copytruncate copy): not lost, not counted
		}
		t.lostSeen[id] = true
		if n > 0 {
			s.linesLost.Add(n)
			t.log.Warn("tail: a file was rotated away before it could be read (rotations faster than the rescans); its lines are lost",
				"file", filepath.Join(dir, name), "lines", n)
		}
	}
}

// countUnknownLines returns the lines of the file at path, or known true (and no count)
// if its first bytes are content known to be read. A file that cannot be opened counts 0.
func (t *Tailer) countUnknownLines(path string) (n uint64, known bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	head := t.fpbuf[:FingerprintSize]
	k, _ := io.ReadFull(f, head)
	if t.knownContent(head[:k]) {
		return 0, true
	}
	n = uint64(bytes.Count(head[:k], []byte{'\n'}))
	buf := make([]byte, 64<<10)
	r := io.LimitReader(f, maxLostScan-int64(k))
	for {
		k, err := r.Read(buf)
		n += uint64(bytes.Count(buf[:k], []byte{'\n'}))
		if err != nil {
			return n, false
		}
	}
}
