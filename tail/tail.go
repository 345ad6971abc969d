// Package tail follows log files and globs and hands their complete lines to a consumer,
// in bounded batches, without losing or doubling a line across rotation, truncation and
// restarts.
//
// # Model
//
// A [Tailer] runs in one goroutine ([Tailer.Run]). It works in passes. A pass
//
//  1. rescans: expands every glob, stats every path (following symlinks), opens files it
//     does not hold yet, and notices files whose path is gone or now names another file
//     ("detached"), and files that were truncated in place;
//  2. reads: first every detached file to its end, then the attached files round-robin,
//     at most [Options.BatchBytes] per file per turn, until every file is at its end (or a
//     per-pass byte budget is spent, in which case another pass follows at once, so a
//     busy writer cannot postpone rescans);
//  3. flushes the last partly filled batch.
//
// Between passes Run waits for a [Waker]. The default wakes on fsnotify events in the
// parent directories (a hint only, filtered on the event name, bursts coalesced for 10ms)
// and on a ticker every [Options.PollInterval] (the ground truth: fsnotify misses events on
// NFS, bind mounts and some container file systems). Every pass is a full rescan, so an
// fsnotify queue overflow needs nothing more than a wake-up; it is counted. Directories
// that are themselves named by a glob pattern (logs/*/app.log) are not watched until a
// file in them has been found: polling finds them.
//
// # File identity, rotation and truncation
//
// A file is identified by (device, inode) and, within that, by a fingerprint: FNV-1a 64 of
// its first min(size, [FingerprintSize]) bytes, extended as the file grows.
//
//   - New inode at the path (rename+create, delete+recreate, symlink swap): a rotation.
//     The old file is kept open and drained to its end before the new one is read from 0.
//   - Size below the read offset, or a fingerprint that no longer matches the first bytes
//     (copytruncate; "cat /dev/null > file"): a truncation. The file is read again from 0.
//     Lines written after the last read and before the truncation cannot be recovered from
//     the truncated file; that is inherent to copytruncate. A writer without O_APPEND
//     goes on writing at its old offset and leaves a hole of NUL bytes at the start:
//     leading NULs after a truncation are skipped.
//   - A detached file (path gone, or pointing elsewhere) is read on every pass and released
//     once a pass finds nothing new in it and [Options.DetachedGrace] has passed since it
//     last grew, so a writer that keeps writing to a renamed or deleted file for a while
//     loses nothing.
//   - open/stat/read failures (permission denied, ESTALE, ...) are counted as read errors
//     and retried on the next pass. ESTALE drops the handle; the path is reopened and, if it
//     still names the same file, reading resumes at the same offset.
//   - A file that matches a glob under a new name (a rotated name matched by the same glob)
//     keeps its identity and offset: it is never read twice.
//
// After a truncation the file gets a new *[File] value: positions taken from the old value
// keep the old fingerprint, so a checkpoint never pairs new content with an old offset.
//
// # Lines
//
// A line ends at "\n"; a trailing "\r" is removed. An unfinished last line is held until its
// newline arrives (in replay mode, and on standard input, it is delivered at end of input).
// Lines longer than [Options.MaxLineBytes] are skipped whole: the consumer gets, in their
// place, a Line marked TooLong, without data, so that it can count them with the parse
// errors and record its progress past them. The next line is delivered intact.
//
// # Memory
//
// Batches are recycled through a free list bounded by the output channel's capacity
// (plus [Options.HeldBatches]), so reading allocates nothing per line in steady state.
// Run blocks while the output channel is full: a slow consumer shows as growing
// SourceStats.LagBytes, not as memory.
//
// # Restart
//
// The consumer records the lines it has applied in a [Progress]; Progress.Positions, saved
// in the same checkpoint as the state those lines produced, is what Options.Positions takes
// back on the next start. Lines still in the channel at a crash are thus read again, and
// lines already applied are not.
//
// Options.Positions restores offsets from a checkpoint: a file whose (device, inode) and
// fingerprint match resumes at the saved offset; otherwise it is read from 0 and the reason
// is logged. A checkpointed file that was rotated away while the process was down is found
// by inode in its directory and drained first. When Positions is non-empty, files without a
// saved position are new since the checkpoint and are read from 0, whatever Start says.
package tail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for zero Options fields.
const (
	DefaultPollInterval  = time.Second
	DefaultMaxLineBytes  = 4 << 20
	DefaultBatchBytes    = 64 << 10
	DefaultDetachedGrace = 5 * time.Second
	// FingerprintSize is how many leading bytes of a file make up its fingerprint.
	FingerprintSize = 1024
)

// StartMode says where to start reading files that exist when Run starts.
type StartMode int

const (
	// StartBeginning reads existing files from offset 0 (the default).
	StartBeginning StartMode = iota
	// StartEnd skips what existing files hold when Run starts (an unfinished last line
	// included); files that appear later are always read from 0.
	StartEnd
)

func (m StartMode) String() string {
	switch m {
	case StartBeginning:
		return "beginning"
	case StartEnd:
		return "end"
	}
	return fmt.Sprintf("StartMode(%d)", int(m))
}

// ParseStartMode parses "beginning" or "end".
func ParseStartMode(s string) (StartMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "beginning", "":
		return StartBeginning, nil
	case "end":
		return StartEnd, nil
	}
	return 0, fmt.Errorf("tail: start mode %q: want beginning or end", s)
}

// Options configures a Tailer. Zero values take the defaults documented per field.
type Options struct {
	// Sources are file paths or globs (filepath.Match syntax); "-" is standard input.
	Sources []string
	// Start applies to files that exist when Run starts and have no restored position.
	Start StartMode
	// Follow keeps watching after the files are read. When false (replay mode) Run reads
	// every matched file once to its end, delivers a final line that lacks its newline, and
	// returns nil.
	Follow bool
	// PollInterval is the ground-truth rescan period of the default waker (default 1s).
	PollInterval time.Duration
	// MaxLineBytes is the longest line delivered, without its newline (default 4 MiB).
	MaxLineBytes int
	// BatchBytes is the target size of a batch and the most read from one file per turn
	// (default 64 KiB).
	BatchBytes int
	// HeldBatches is how many batches the consumer may hold, unreleased, beyond those in
	// the output channel and the one it took last (a consumer that decodes ahead and
	// releases each batch once applied): the free list has room for them, so that in
	// steady state every batch is reused and none is made.
	HeldBatches int
	// DetachedGrace is how long a rotated or deleted file that stopped growing is kept
	// open before it is released (default 5s).
	DetachedGrace time.Duration
	// Waker decides when passes run. Nil: fsnotify hints plus a PollInterval ticker
	// (NewWaker with Fsnotify true); Run closes that default waker when it returns.
	Waker Waker
	// Positions are restore points from a checkpoint (see the package comment).
	Positions []Position
	// Logger receives rotation, truncation and error logs (nil: discarded).
	Logger *slog.Logger
	// Stdin is read for the source "-" (default os.Stdin).
	Stdin io.Reader
	// Now is the wall clock (default time.Now); used for LastRead and DetachedGrace.
	Now func() time.Time
}

// Position is a restore point: where a file was read up to, with its identity.
type Position struct {
	Source         string `json:"source"` // the configured source
	Path           string `json:"path"`   // the path the file was last seen at
	Dev            uint64 `json:"dev"`
	Ino            uint64 `json:"ino"`
	Fingerprint    uint64 `json:"fp"`     // FNV-1a 64 of the first FingerprintLen bytes
	FingerprintLen int    `json:"fp_len"` // 0..FingerprintSize
	Offset         int64  `json:"offset"` // resume here (just past a newline)
}

// Line is one complete line.
type Line struct {
	// Source is the configured path or glob this line came from (the `logfile` label);
	// never a rotated file name.
	Source string
	// File is the stable identity of the open file this line came from. For standard
	// input it has no identity (Dev and Ino 0) and Progress ignores it.
	File *File
	// Offset is the byte offset just past this line's newline (or the end of input for a
	// final line without one).
	Offset int64
	// Data is the line without "\n" and without a trailing "\r". It is valid until the
	// Batch is released.
	Data []byte
	// TooLong marks a line that was longer than MaxLineBytes and was skipped: Data is
	// empty; Source, File and Offset are set as for any line.
	TooLong bool
}

// SourceStats are the counters and gauges of one configured source, for self-metrics.
type SourceStats struct {
	Source      string
	LinesRead   uint64 // complete lines delivered (not those marked TooLong)
	BytesRead   uint64 // bytes read from files (newlines and skipped lines included)
	Rotations   uint64 // new identity at a path that held another file
	Truncations uint64 // size below offset or fingerprint changed
	ReadErrors  uint64 // failed open/stat/read attempts
	LinesLost   uint64 // lines of files rotated away before they could be read (lost.go)
	Up          bool   // every path exists and is readable (a glob: at least one match)
	LastRead    time.Time
	// LagBytes is, summed over open files, the size from a fresh fstat minus the offset
	// up to which lines have been handed out.
	LagBytes  int64
	FilesOpen int
}

// source is one configured entry of Options.Sources.
type source struct {
	name    string // as configured
	pattern string // absolute, cleaned
	glob    bool
	stdin   bool

	linesRead, bytesRead               atomic.Uint64
	rotations, truncations, readErrors atomic.Uint64
	linesLost                          atomic.Uint64 // lost.go
	// handedOut counts the lines put in a batch (Batch.add), applied those a consumer
	// has recorded as processed (Progress.Record): equal once nothing is in flight
	// (Tailer.Applied).
	handedOut, applied atomic.Uint64
	up                 atomic.Bool
	lastRead           atomic.Int64 // unix nanoseconds; 0 = never
	lastErr            string       // Run goroutine only: last logged error
}

// fileHandle is what the tailer needs from an open file (*os.File in production; tests
// wrap it to inject errors).
type fileHandle interface {
	io.ReaderAt
	Stat() (os.FileInfo, error)
	Close() error
}

// Tailer follows the configured sources. Create with New, start with Run (once).
type Tailer struct {
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	sources []*source
	stdin   *source
	running atomic.Bool
	synced  atomic.Bool // a pass has read every file to its end

	// Everything below up to mu is owned by the Run goroutine.
	byID      map[fileID]*File
	order     []*File // tracked files, in the order they were opened
	pathLast  map[string]fileID
	positions map[fileID][]Position // restore points not used yet
	restoring bool
	replay    bool
	rbuf      []byte
	fpbuf     []byte
	cur       *Batch
	free      chan *Batch
	passN     uint64
	rr        int
	budget    int
	active    []*File
	gen       uint64 // bumped whenever the tracked set, a path, or a detached flag changes
	open      func(path string) (fileHandle, error)
	onBlock   func() // test hook: called when a send on out is about to block
	// prevPass, thisPass and firstPass are when the previous, the current and the first
	// rescan began (real clock: compared with file mtimes); lostSeen the files already
	// counted as lost; readFP the fingerprints of content read, with the order they were
	// added in (lost.go).
	prevPass, thisPass, firstPass time.Time
	lostSeen                      map[fileID]bool
	readFP                        map[fpKey]uint64
	readFPSeq                     uint64

	maxLine atomic.Int64 // MaxLineBytes, changeable live (SetMaxLineBytes)

	mu    sync.Mutex
	snap  []snapEntry // open files, for Stats; replaced after every pass
	waker Waker
	// kept are the files tracked when Run returned, for Resume and for a Progress that
	// still covers a stopped tailer (nil while Run runs).
	kept    []*File
	stopped bool
}

type snapEntry struct {
	src *source
	f   *File
	h   fileHandle
}

// New validates opts and returns a Tailer. It opens nothing yet.
func New(opts Options) (*Tailer, error) {
	if len(opts.Sources) == 0 {
		return nil, errors.New("tail: no sources")
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = DefaultBatchBytes
	}
	if opts.DetachedGrace <= 0 {
		opts.DetachedGrace = DefaultDetachedGrace
	}
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	t := &Tailer{
		opts:      opts,
		log:       opts.Logger,
		now:       opts.Now,
		byID:      make(map[fileID]*File),
		pathLast:  make(map[string]fileID),
		positions: make(map[fileID][]Position),
		replay:    !opts.Follow,
		rbuf:      make([]byte, opts.BatchBytes),
		fpbuf:     make([]byte, FingerprintSize),
		budget:    max(32*opts.BatchBytes, 4<<20),
		open:      func(p string) (fileHandle, error) { return os.Open(p) },
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.maxLine.Store(int64(opts.MaxLineBytes))
	seen := make(map[string]bool)
	for _, s := range opts.Sources {
		if seen[s] {
			return nil, fmt.Errorf("tail: source %q listed twice", s)
		}
		seen[s] = true
		src := &source{name: s}
		if s == "-" {
			src.stdin = true
			t.stdin = src
			src.up.Store(true)
			t.sources = append(t.sources, src)
			continue
		}
		abs, err := filepath.Abs(s)
		if err != nil {
			return nil, fmt.Errorf("tail: source %q: %w", s, err)
		}
		src.pattern = abs
		src.glob = isGlob(s)
		if src.glob {
			if _, err := filepath.Match(abs, ""); err != nil {
				return nil, fmt.Errorf("tail: source %q: %w", s, err)
			}
		}
		t.sources = append(t.sources, src)
	}
	for _, p := range opts.Positions {
		id := fileID{p.Dev, p.Ino}
		t.positions[id] = append(t.positions[id], p)
		t.restoring = true
		t.noteRead(p.Fingerprint, p.FingerprintLen) // read before the restart (lost.go)
	}
	return t, nil
}

func isGlob(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// FsnotifyOverflows returns how many fsnotify queue overflows or watcher errors forced a
// rescan (0 when the waker does not use fsnotify).
func (t *Tailer) FsnotifyOverflows() uint64 {
	t.mu.Lock()
	w := t.waker
	t.mu.Unlock()
	if o, ok := w.(interface{ Overflows() uint64 }); ok {
		return o.Overflows()
	}
	return 0
}

// Synced reports whether Run has completed a pass that read every open file to its end.
// The first time it turns true, every line the files held when Run started has been sent
// on the output channel (not necessarily processed yet). Before that, Stats may not list
// the files yet, so a LagBytes of 0 alone does not mean caught up. Safe for concurrent use.
func (t *Tailer) Synced() bool { return t.synced.Load() }

// Applied reports whether every line this tailer has put in a batch has been recorded as
// processed through a Progress (Record or Done): no line is in flight between the
// tailer and its consumer, in a batch being filled, in the channel or being applied.
// With Synced and no lag, it is the moment a live consumer may let the wall clock in.
// Safe for concurrent use.
func (t *Tailer) Applied() bool {
	for _, s := range t.sources {
		// applied first: a line counted as applied was handed out before, so reading
		// handedOut second can only make the check stricter.
		if a := s.applied.Load(); a < s.handedOut.Load() {
			return false
		}
	}
	return true
}

// Stats returns one entry per configured source, in configuration order. It is safe to
// call concurrently with Run (at scrape time); LagBytes comes from a fresh fstat.
func (t *Tailer) Stats() []SourceStats {
	t.mu.Lock()
	snap := t.snap
	t.mu.Unlock()
	res := make([]SourceStats, len(t.sources))
	idx := make(map[*source]int, len(t.sources))
	for i, s := range t.sources {
		idx[s] = i
		st := SourceStats{
			Source:      s.name,
			LinesRead:   s.linesRead.Load(),
			BytesRead:   s.bytesRead.Load(),
			Rotations:   s.rotations.Load(),
			Truncations: s.truncations.Load(),
			ReadErrors:  s.readErrors.Load(),
			LinesLost:   s.linesLost.Load(),
			Up:          s.up.Load(),
		}
		if ns := s.lastRead.Load(); ns != 0 {
			st.LastRead = time.Unix(0, ns)
		}
		res[i] = st
	}
	for _, e := range snap {
		st := &res[idx[e.src]]
		st.FilesOpen++
		fi, err := e.h.Stat()
		if err != nil {
			continue // closed by Run meanwhile
		}
		if lag := fi.Size() - e.f.delivered.Load(); lag > 0 {
			st.LagBytes += lag
		}
	}
	return res
}

// Run follows the sources and sends batches on out until ctx is done (Follow) or every
// file has been read to its end (replay). It blocks while out is full. It returns nil on
// cancellation and at the end of a replay; an error only if called twice. Run never
// closes out, and sends nothing after it returns.
func (t *Tailer) Run(ctx context.Context, out chan<- *Batch) error {
	if !t.running.CompareAndSwap(false, true) {
		return errors.New("tail: Run called twice")
	}
	t.free = make(chan *Batch, cap(out)+2+max(t.opts.HeldBatches, 0))
	quit := make(chan struct{})
	defer close(quit)
	defer t.closeAll()

	in := &stdinStream{}
	if t.stdin != nil {
		in.ch = startStdin(t.opts.Stdin, t.opts.BatchBytes, quit)
		in.file = &File{src: t.stdin, path: "-"}
	}
	if t.replay {
		t.runReplay(ctx, out, in)
	} else {
		t.runFollow(ctx, out, in)
	}
	return nil
}

// stdinStream is the source "-" while Run runs: chunks from startStdin, delivered as the
// lines of one File. ch is nil when there is no such source or its input has ended.
type stdinStream struct {
	ch   <-chan stdinChunk
	file *File
}

// runReplay reads every file once to its end, delivers their unfinished last lines, then
// standard input to its end. It returns early when ctx is done.
func (t *Tailer) runReplay(ctx context.Context, out chan<- *Batch, in *stdinStream) {
	if !t.passes(ctx, out) {
		return
	}
	t.synced.Store(true)
	for _, f := range t.order {
		if t.finalLine(ctx, out, f) != nil {
			return
		}
	}
	if t.flush(ctx, out) != nil {
		return
	}
	t.serveStdin(ctx, out, in, nil)
}

// runFollow runs passes, each followed by a wait for the waker (serving standard input
// meanwhile), until ctx is done.
func (t *Tailer) runFollow(ctx context.Context, out chan<- *Batch, in *stdinStream) {
	w := t.opts.Waker
	if w == nil {
		sw := NewWaker(WakerOptions{PollInterval: t.opts.PollInterval, Fsnotify: true, Coalesce: 10 * time.Millisecond, Logger: t.log})
		defer sw.Close()
		w = sw
	}
	t.mu.Lock()
	t.waker = w
	t.mu.Unlock()

	var stepDone chan struct{}
	watchedGen, watchedPass := ^uint64(0), uint64(0)
	for {
		if !t.passes(ctx, out) {
			return
		}
		t.synced.Store(true)
		if t.gen != watchedGen || t.passN-watchedPass >= 64 {
			// Recompute only on change (and now and then, for symlinked sources whose
			// target directory moved without a new file being opened yet).
			dirs, rel := t.watchSet()
			w.Watch(dirs, rel)
			watchedGen, watchedPass = t.gen, t.passN
		}
		if stepDone != nil {
			close(stepDone)
		}
		var ok bool
		if stepDone, ok = t.serveStdin(ctx, out, in, w.C()); !ok {
			return
		}
	}
}

// passes runs passes until one finds every file at its end. It returns false when Run
// must return (ctx done, or a send on out was cancelled).
func (t *Tailer) passes(ctx context.Context, out chan<- *Batch) bool {
	for {
		more, err := t.pass(ctx, out)
		if err != nil {
			return false
		}
		if !more {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
	}
}

// serveStdin delivers standard input until wake fires (returning the waker's step
// channel), or, when wake is nil, until standard input has ended. ok is false when Run
// must return (ctx done, or a send on out was cancelled).
func (t *Tailer) serveStdin(ctx context.Context, out chan<- *Batch, in *stdinStream, wake <-chan chan struct{}) (step chan struct{}, ok bool) {
	for wake != nil || in.ch != nil {
		select {
		case <-ctx.Done():
			return nil, false
		case step = <-wake:
			return step, true
		case c := <-in.ch:
			done, err := t.stdinChunk(ctx, out, in.file, c)
			if err != nil {
				return nil, false
			}
			if done {
				in.ch = nil
			}
		}
	}
	return nil, true
}

// closeAll releases every open file when Run returns, keeping their identities and
// offsets for Resume.
func (t *Tailer) closeAll() {
	kept := make([]*File, 0, len(t.order))
	for _, f := range t.order {
		f.close()
		if !f.src.stdin && !f.retired.Load() {
			kept = append(kept, f)
		}
	}
	t.order = nil
	clear(t.byID)
	t.mu.Lock()
	t.snap = nil
	t.kept = kept
	t.stopped = true
	t.mu.Unlock()
}

// SetMaxLineBytes changes the longest line delivered, live (a reload that changes only an
// input's options keeps its tailer, offsets and state). n <= 0 means the default. Safe for
// concurrent use; it applies from the next byte read.
func (t *Tailer) SetMaxLineBytes(n int) {
	if n <= 0 {
		n = DefaultMaxLineBytes
	}
	t.maxLine.Store(int64(n))
}

// Resume returns, once Run has returned, a restore point for every file it was tracking,
// at the offset just past the last line it handed out (or skipped). A new Tailer of the
// same sources started with these Positions reads every line exactly once across the two,
// provided the consumer applies the lines already handed out (they are ahead of the new
// tailer's in a FIFO channel). Before Run has returned it returns nil, false.
func (t *Tailer) Resume() ([]Position, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		return nil, false
	}
	out := make([]Position, 0, len(t.kept))
	for _, f := range t.kept {
		out = append(out, f.Position(f.delivered.Load()))
	}
	return out, true
}

// Retire marks the files of a stopped tailer as superseded (by a new Tailer started from
// Resume): a Progress then drops each one once its lines are all applied.
func (t *Tailer) Retire() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, f := range t.kept {
		f.retired.Store(true)
	}
}

// publish refreshes the snapshot Stats reads.
func (t *Tailer) publish() {
	snap := make([]snapEntry, 0, len(t.order))
	for _, f := range t.order {
		if f.h != nil {
			snap = append(snap, snapEntry{src: f.src, f: f, h: f.h})
		}
	}
	t.mu.Lock()
	t.snap = snap
	t.mu.Unlock()
}

// flush sends the current batch, blocking while out is full.
func (t *Tailer) flush(ctx context.Context, out chan<- *Batch) error {
	b := t.cur
	if b == nil || len(b.Lines) == 0 {
		return nil
	}
	t.cur = nil
	b.seal()
	select {
	case out <- b:
		return nil
	default:
	}
	if t.onBlock != nil {
		t.onBlock()
	}
	select {
	case out <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// batch returns the batch being filled, taking one from the free list if needed.
func (t *Tailer) batch() *Batch {
	if t.cur != nil {
		return t.cur
	}
	select {
	case b := <-t.free:
		t.cur = b
	default:
		t.cur = &Batch{
			Lines: make([]Line, 0, 256),
			buf:   make([]byte, 0, t.opts.BatchBytes+t.opts.BatchBytes/4),
			ends:  make([]int, 0, 256),
			free:  t.free,
			keep:  4 * t.opts.BatchBytes,
		}
	}
	return t.cur
}

// maxBatchLines bounds the lines in one batch (very short lines would otherwise make a
// 64 KiB batch hold tens of thousands of entries).
const maxBatchLines = 4096

// emit adds one complete line (pieces a and c) ending at end, flushing a full batch.
func (t *Tailer) emit(ctx context.Context, out chan<- *Batch, f *File, a, c []byte, end int64) error {
	b := t.batch()
	b.add(f, a, c, end)
	f.src.linesRead.Add(1)
	return t.flushFull(ctx, out, b)
}

// emitTooLong hands out, in place of a line skipped for its length, a Line marked TooLong
// ending at end.
func (t *Tailer) emitTooLong(ctx context.Context, out chan<- *Batch, f *File, end int64) error {
	b := t.batch()
	b.add(f, nil, nil, end)
	b.Lines[len(b.Lines)-1].TooLong = true
	return t.flushFull(ctx, out, b)
}

// flushFull sends b, the batch being filled, once it is full.
func (t *Tailer) flushFull(ctx context.Context, out chan<- *Batch, b *Batch) error {
	if b.size() >= t.opts.BatchBytes || len(b.Lines) >= maxBatchLines {
		return t.flush(ctx, out)
	}
	return nil
}
