package tail

import (
	"cmp"
	"slices"
	"sync"
)

// Progress records how far a consumer has processed each file, to build the Positions of a
// checkpoint that is consistent with the consumer's state: a line counts only once the
// consumer has applied it, not when the tailer read it (lines in the channel are not
// processed yet).
//
// Use: call Done for every line after applying it; at checkpoint time call Positions and
// save them together with the state they describe. Done, Record and Positions must not run
// concurrently (one consumer goroutine, or callers serialised by a lock of their own, as
// pipeline.Run's Record under the pipeline's write lock and the checkpointer's Positions
// under the same lock); SetTailers and Carry may be called from any goroutine (a reload).
// Done does not allocate after a file's first line.
type Progress struct {
	last map[*File]int64

	mu      sync.Mutex // guards tailers and carry
	tailers []*Tailer
	carry   map[string][]Position // by source: restore points of sources not being read
}

// NewProgress returns an empty Progress for lines from the given tailers. Positions also
// covers the files those tailers hold open without any processed line yet (resumed from a
// checkpoint with nothing new, started at the end, or just opened), at the offset where
// their first line will start: without them, a second restart would forget where a quiet
// file was resumed and read it again from 0.
func NewProgress(tailers ...*Tailer) *Progress {
	return &Progress{last: make(map[*File]int64), tailers: tailers}
}

// SetTailers replaces the tailers whose quiet files Positions covers. A stopped tailer may
// stay in the list: its files (kept when its Run returned) are covered at the offset where
// their first line started, so a source removed by a reload keeps its restore points in
// the checkpoint until it is added back.
func (p *Progress) SetTailers(tailers ...*Tailer) {
	p.mu.Lock()
	p.tailers = append([]*Tailer(nil), tailers...)
	p.mu.Unlock()
}

// Carry keeps restore points of a source that is not being read (from an earlier
// checkpoint), so that Positions still returns them; nil forgets them (the source is read
// again, by a tailer started from them).
func (p *Progress) Carry(source string, pos []Position) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pos == nil {
		delete(p.carry, source)
		return
	}
	if p.carry == nil {
		p.carry = map[string][]Position{}
	}
	p.carry[source] = append([]Position(nil), pos...)
}

// Done records that l has been fully processed.
func (p *Progress) Done(l *Line) { p.Record(l.File, l.Offset) }

// Record records that the line of f ending at offset has been fully processed (Done of
// a line whose bytes are gone: the consumer kept its File and Offset). A nil f (a line
// from no file) is ignored.
func (p *Progress) Record(f *File, offset int64) { p.RecordLines(f, offset, 1) }

// RecordLines records that n consecutive lines of f, the last of them ending at offset,
// have been fully processed: one call for a run of lines of one file (Record of each,
// in order, leaves the same Progress).
func (p *Progress) RecordLines(f *File, offset int64, n int) {
	if f == nil || n <= 0 {
		return
	}
	f.src.applied.Add(uint64(n))
	if f.src.stdin {
		return
	}
	p.last[f] = offset
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
	p.mu.Lock()
	tailers := p.tailers
	for _, pos := range p.carry {
		out = append(out, pos...)
	}
	p.mu.Unlock()
	var files []*File
	for _, t := range tailers {
		files = files[:0]
		t.mu.Lock()
		if t.stopped {
			files = append(files, t.kept...)
		} else {
			for _, e := range t.snap {
				files = append(files, e.f)
			}
		}
		t.mu.Unlock()
		for _, f := range files {
			// A retired file seen here was either dropped above (fully processed) or
			// never had a line; retired only goes from false to true, so checking it
			// after the loop above is enough.
			if _, ok := p.last[f]; !ok && !f.src.stdin && !f.retired.Load() {
				out = append(out, f.Position(f.base.Load()))
			}
		}
	}
	slices.SortFunc(out, func(a, b Position) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Ino, b.Ino), cmp.Compare(a.Offset, b.Offset))
	})
	return out
}
