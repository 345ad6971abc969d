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
// base name followed by more characters) that the tailer never held, modified since the
// previous pass began, was born and rotated away unseen. Its lines are counted in
// SourceStats.LinesLost (waba_exporter_lines_lost_total{reason="rotated_unread"}).
//
// A copytruncate's copy is never counted: copytruncate keeps the path's inode, so no
// rotation is seen. Glob sources match rotated names themselves and are not checked.

// maxLostScan bounds the bytes read to count the lines of one unread rotated file.
const maxLostScan = 1 << 30

// mtimeSlack allows for file systems whose timestamps come from a coarse clock (a few
// milliseconds behind time.Now). It is far below DetachedGrace, so a file the tailer held
// and released (it stopped growing at least DetachedGrace ago) is never taken for one
// born since the previous pass.
const mtimeSlack = time.Second

// maxLostSeen bounds the remembered identities of files already counted.
const maxLostSeen = 4096

// countRotatedUnread counts the lines of files rotated away from path p unseen since the
// previous pass (see above). Run goroutine only.
func (t *Tailer) countRotatedUnread(s *source, p string) {
	if s.glob || t.prevPass.IsZero() {
		return
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
		if err != nil || !fi.ModTime().After(t.prevPass.Add(-mtimeSlack)) {
			continue
		}
		id := idOf(fi)
		if t.byID[id] != nil || t.lostSeen[id] {
			continue
		}
		t.lostSeen[id] = true
		n := countLines(filepath.Join(dir, name))
		if n > 0 {
			s.linesLost.Add(n)
			t.log.Warn("tail: a file was rotated away before it could be read (rotations faster than the rescans); its lines are lost",
				"file", filepath.Join(dir, name), "lines", n)
		}
	}
}

func countLines(path string) uint64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	var n uint64
	r := io.LimitReader(f, maxLostScan)
	for {
		k, err := r.Read(buf)
		n += uint64(bytes.Count(buf[:k], []byte{'\n'}))
		if err != nil {
			return n
		}
	}
}
