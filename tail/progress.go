package tail

import (
	"cmp"
	"slices"
)

// Progress records how far a consumer has processed each file, to build the Positions of a
// checkpoint that is consistent with the consumer's state: a line counts only once the
// consumer has applied it, not when the tailer read it (lines in the channel are not
// processed yet).
//
// Use: call Done for every line after applying it; at checkpoint time call Positions and
// save them together with the state they describe. Not safe for concurrent use (the
// consumer goroutine owns it). Done does not allocate after a file's first line.
type Progress struct {
	last    map[*File]int64
	tailers []*Tailer
}

// NewProgress returns an empty Progress for lines from the given tailers. Positions also
// covers the files those tailers hold open without any processed line yet (resumed from a
// checkpoint with nothing new, started at the end, or just opened), at the offset where
// their first line will start: without them, a second restart would forget where a quiet
// file was resumed and read it again from 0.
func NewProgress(tailers ...*Tailer) *Progress {
	return &Progress{last: make(map[*File]int64), tailers: tailers}
}

// Done records that l has been fully processed.
func (p *Progress) Done(l *Line) {
	if l.File == nil || l.File.src.stdin {
		return
	}
	p.last[l.File] = l.Offset
}

// Positions returns one Position per file with processed lines, and one per file the
// tailers hold open without any, sorted by source and path. Files the tailer has retired (released after rotation, or superseded by a
// truncation) whose every line has been processed are dropped: there is nothing left to
// resume in them.
func (p *Progress) Positions() []Position {
	out := make([]Position, 0, len(p.last))
	for f, off := range p.last {
		if f.retired.Load() && off >= f.delivered.Load() {
			delete(p.last, f)
			continue
		}
		out = append(out, f.Position(off))
	}
	for _, t := range p.tailers {
		t.mu.Lock()
		snap := t.snap
		t.mu.Unlock()
		for _, e := range snap {
			// A retired file seen here was either dropped above (fully processed) or
			// never had a line; retired only goes from false to true, so checking it
			// after the loop above is enough.
			if _, ok := p.last[e.f]; !ok && !e.f.src.stdin && !e.f.retired.Load() {
				out = append(out, e.f.Position(e.f.base.Load()))
			}
		}
	}
	slices.SortFunc(out, func(a, b Position) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Ino, b.Ino), cmp.Compare(a.Offset, b.Offset))
	})
	return out
}
