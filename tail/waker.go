package tail

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Waker decides when the tailer runs a pass. Run is its only reader.
type Waker interface {
	// C delivers wake-ups. For every value received, Run performs one pass (a full rescan,
	// then reading every file to its end); if the value is a non-nil channel, Run closes it
	// once that pass is complete. This is how tests step a tailer without sleeping.
	C() <-chan chan struct{}
	// Watch is called by Run after every pass with the directories that hold (or will
	// hold) the files it follows, and a filter telling which event names (absolute paths)
	// are worth a pass. relevant is safe for concurrent use.
	Watch(dirs []string, relevant func(name string) bool)
}

// WakerOptions configures NewWaker.
type WakerOptions struct {
	// PollInterval > 0 wakes the tailer on a ticker: the ground truth.
	PollInterval time.Duration
	// Fsnotify watches the directories given by Watch and wakes on relevant events: a
	// hint that shortens the delay. If fsnotify cannot start (no inotify, too many
	// watches) the waker logs it and relies on the ticker.
	Fsnotify bool
	// Coalesce > 0 delays the pass an fsnotify event asks for by this much, so a burst of
	// writes costs one pass instead of one per write. Run's default waker uses 10ms.
	Coalesce time.Duration
	Logger   *slog.Logger
}

// StdWaker is the standard Waker: optional ticker, optional fsnotify hints, and Step.
// With neither ticker nor fsnotify it only wakes on Step (a test waker). Wake-ups that
// arrive while a pass runs are coalesced into one more pass.
type StdWaker struct {
	c            chan chan struct{}
	log          *slog.Logger
	watcher      *fsnotify.Watcher
	ticker       *time.Ticker
	coalesce     time.Duration
	rel          atomic.Pointer[func(string) bool]
	dropMu       sync.Mutex
	dropped      []string // event names rejected by the current filter (see relevant)
	dropOverflow bool
	watched      map[string]bool // scratch for Watch (only called from Run's goroutine)
	overflows    atomic.Uint64
	quit         chan struct{}
	closeOnce    sync.Once
	wg           sync.WaitGroup
}

// NewWaker starts a StdWaker. Close it when done.
func NewWaker(o WakerOptions) *StdWaker {
	w := &StdWaker{
		c:        make(chan chan struct{}, 1),
		log:      o.Logger,
		watched:  make(map[string]bool),
		quit:     make(chan struct{}),
		coalesce: o.Coalesce,
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if o.PollInterval > 0 {
		w.ticker = time.NewTicker(o.PollInterval)
		w.wg.Add(1)
		go w.tick()
	}
	if o.Fsnotify {
		fw, err := fsnotify.NewWatcher()
		if err != nil {
			w.log.Warn("tail: fsnotify unavailable; relying on polling", "err", err)
		} else {
			w.watcher = fw
			w.wg.Add(1)
			go w.events()
		}
	}
	return w
}

// NewTestWaker returns a waker that wakes the tailer only when Step is called.
func NewTestWaker() *StdWaker { return NewWaker(WakerOptions{}) }

// C implements Waker.
func (w *StdWaker) C() <-chan chan struct{} { return w.c }

// Step wakes the tailer and waits until a pass that started after the call has
// completed (every file read to its end, the last batch sent). Steps must not overlap.
func (w *StdWaker) Step(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case w.c <- done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Overflows returns how many fsnotify overflows or watcher errors forced a rescan.
func (w *StdWaker) Overflows() uint64 { return w.overflows.Load() }

// hint requests a pass unless one is already pending.
func (w *StdWaker) hint() {
	select {
	case w.c <- nil:
	default:
	}
}

func (w *StdWaker) tick() {
	defer w.wg.Done()
	for {
		select {
		case <-w.ticker.C:
			w.hint()
		case <-w.quit:
			return
		}
	}
}

func (w *StdWaker) events() {
	defer w.wg.Done()
	var timer *time.Timer
	var timerC <-chan time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case ev, ok := <-w.watcher.Events:
			if !ok {
				return
			}
			if !w.relevant(ev.Name) {
				continue
			}
			switch {
			case w.coalesce <= 0:
				w.hint()
			case timerC == nil:
				timer = time.NewTimer(w.coalesce)
				timerC = timer.C
			}
		case <-timerC:
			timerC = nil
			w.hint()
		case err, ok := <-w.watcher.Errors:
			if !ok {
				return
			}
			w.watchError(err)
		case <-w.quit:
			return
		}
	}
}

// maxDropped bounds the names of filtered-out events kept for re-checking.
const maxDropped = 64

// relevant applies the current filter to an event name. A name the filter rejects is
// remembered until the next Watch: the tailer may be in the middle of a pass that makes it
// relevant (a new symlink target, a file detached under a new name), and Watch re-checks it
// under the new filter. The filter is swapped and the list is read under one lock, so no
// event falls between the two.
func (w *StdWaker) relevant(name string) bool {
	rel := w.rel.Load()
	if rel == nil || (*rel)(name) {
		return true
	}
	w.dropMu.Lock()
	defer w.dropMu.Unlock()
	if now := w.rel.Load(); now != rel {
		return (*now)(name) // the filter changed meanwhile
	}
	if len(w.dropped) < maxDropped {
		w.dropped = append(w.dropped, name)
	} else {
		w.dropOverflow = true
	}
	return false
}

// watchError counts an fsnotify error and forces a rescan: events may have been lost.
func (w *StdWaker) watchError(err error) {
	w.overflows.Add(1)
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		w.log.Warn("tail: fsnotify queue overflow; rescanning")
	} else {
		w.log.Warn("tail: fsnotify error; rescanning", "err", err)
	}
	w.hint()
}

// Watch implements Waker: it adds and removes directory watches to match dirs. A
// directory that cannot be watched yet (missing) is retried on the next call.
func (w *StdWaker) Watch(dirs []string, relevant func(string) bool) {
	w.dropMu.Lock()
	w.rel.Store(&relevant)
	wake := w.dropOverflow
	for _, name := range w.dropped {
		if !wake && relevant(name) {
			wake = true
		}
	}
	w.dropped = w.dropped[:0]
	w.dropOverflow = false
	w.dropMu.Unlock()
	if wake {
		w.hint()
	}
	if w.watcher == nil {
		return
	}
	// The watcher's own list is the truth: inotify drops the watch of a directory that
	// was deleted, and it must be added again when the directory comes back.
	clear(w.watched)
	for _, d := range w.watcher.WatchList() {
		w.watched[d] = true
	}
	want := make(map[string]bool, len(dirs))
	for _, d := range dirs {
		want[d] = true
		if w.watched[d] {
			continue
		}
		if err := w.watcher.Add(d); err != nil {
			w.log.Debug("tail: cannot watch directory yet", "dir", d, "err", err)
		}
	}
	for d := range w.watched {
		if !want[d] {
			_ = w.watcher.Remove(d)
		}
	}
}

// Close stops the ticker and the watcher. The channel from C is not closed.
func (w *StdWaker) Close() error {
	var err error
	w.closeOnce.Do(func() {
		close(w.quit)
		if w.ticker != nil {
			w.ticker.Stop()
		}
		if w.watcher != nil {
			err = w.watcher.Close()
		}
		w.wg.Wait()
	})
	return err
}
