package config

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Reload sources, as passed to ReloadResult and logged.
const (
	SourceSignal = "signal" // SIGHUP
	SourceHTTP   = "http"   // POST /-/reload
	SourceFile   = "file"   // the file changed (fsnotify)
)

// DefaultDebounce is how long the Reloader waits after the last change event of the file
// before reloading it (editors and config managers write in several steps).
const DefaultDebounce = 500 * time.Millisecond

// ReloaderOptions configures a Reloader. The zero value is usable.
type ReloaderOptions struct {
	// Logger receives "config reloaded" (info) and "config reload failed" (error)
	// records. Default: discard.
	Logger *slog.Logger
	// Now is the clock of LastReloadSuccess. Default: time.Now.
	Now func() time.Time
	// Load reads and validates the file. Default: Load.
	Load func(path string) (*Config, error)
	// Debounce delays a file-triggered reload after the last change event.
	// Default: DefaultDebounce.
	Debounce time.Duration
	// Signals, when set, replaces SIGHUP: every value received triggers a reload.
	// When nil, Run subscribes to SIGHUP itself unless DisableSignals is set.
	Signals <-chan os.Signal
	// DisableSignals turns off the SIGHUP subscription (when Signals is nil).
	DisableSignals bool
	// DisableWatch turns off reloading on file changes.
	DisableWatch bool
	// AfterReload, if set, is called by the Run goroutine after every reload attempt
	// (also after file-change checks that found the content unchanged: Changed false).
	AfterReload func(ReloadResult)
}

// ReloadResult describes one reload attempt.
type ReloadResult struct {
	Source string    // SourceSignal, SourceHTTP, SourceFile or a caller's name
	Time   time.Time // when the attempt finished (ReloaderOptions.Now)
	// Changed is false for a file-triggered check that found the content unchanged (or
	// the file missing, e.g. in the middle of an editor's save): nothing was loaded.
	Changed bool
	Err     error // nil when the new configuration was swapped in
}

// Reloader owns the current *Config and replaces it on request.
//
// Contracts:
//   - Config may be called from any goroutine at any time; it returns the latest
//     successfully loaded configuration, which is never mutated.
//   - All reloads (SIGHUP, POST /-/reload via Handler, file changes, Reload calls) are
//     performed one at a time by the goroutine running Run, so subscribers never see two
//     reloads overlap. Reload and Handler block until that goroutine has served them;
//     they need Run to be running.
//   - A configuration that fails to load is rejected: it is logged, returned to the
//     requester, LastReloadSuccessful becomes false, and the previous configuration
//     stays current.
//   - File changes are hints (fsnotify on the parent directory, debounced): the file is
//     reloaded only when its content differs from the last one loaded or attempted.
type Reloader struct {
	path string
	opts ReloaderOptions

	cur         atomic.Pointer[Config]
	lastOK      atomic.Bool
	lastSuccess atomic.Int64 // unix nanoseconds

	reqs chan reloadRequest

	mu   sync.Mutex
	subs []func(old, new *Config)

	lastSum [sha256.Size]byte // content of the last load attempt; Run goroutine only
}

type reloadRequest struct {
	source string
	done   chan error
}

// NewReloader loads the file at path (an error here is fatal to the caller: there is no
// previous configuration to keep) and returns a Reloader holding it. Call Run to serve
// reloads.
func NewReloader(path string, opts ReloaderOptions) (*Reloader, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Load == nil {
		opts.Load = Load
	}
	if opts.Debounce <= 0 {
		opts.Debounce = DefaultDebounce
	}
	r := &Reloader{path: path, opts: opts, reqs: make(chan reloadRequest)}
	if data, err := os.ReadFile(path); err == nil {
		r.lastSum = sha256.Sum256(data)
	}
	cfg, err := opts.Load(path)
	if err != nil {
		return nil, err
	}
	r.cur.Store(cfg)
	r.lastOK.Store(true)
	r.lastSuccess.Store(opts.Now().UnixNano())
	return r, nil
}

// Config returns the current configuration.
func (r *Reloader) Config() *Config { return r.cur.Load() }

// Path is the file the Reloader loads.
func (r *Reloader) Path() string { return r.path }

// LastReloadSuccessful reports whether the last load attempt succeeded (true after
// NewReloader). It backs waba_exporter_config_last_reload_successful.
func (r *Reloader) LastReloadSuccessful() bool { return r.lastOK.Load() }

// LastReloadSuccess is when the configuration was last loaded successfully. It backs
// waba_exporter_config_last_reload_success_timestamp_seconds.
func (r *Reloader) LastReloadSuccess() time.Time {
	return time.Unix(0, r.lastSuccess.Load())
}

// OnChange registers fn, called by the Run goroutine after each successful reload with
// the previous and the new configuration, in registration order. fn must not call
// Reload (it would wait for itself).
func (r *Reloader) OnChange(fn func(old, new *Config)) {
	r.mu.Lock()
	r.subs = append(r.subs, fn)
	r.mu.Unlock()
}

// Reload asks the Run goroutine to reload the file now and waits for the outcome. source
// names the requester in logs and in ReloadResult. It returns ctx.Err() if ctx ends
// first (the reload may still happen).
func (r *Reloader) Reload(ctx context.Context, source string) error {
	req := reloadRequest{source: source, done: make(chan error, 1)}
	select {
	case r.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Handler serves POST /-/reload: 200 when the file was reloaded, 500 with the error text
// when it was rejected (the old configuration keeps running), 405 for other methods.
func (r *Reloader) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "reload needs a POST request", http.StatusMethodNotAllowed)
			return
		}
		if err := r.Reload(req.Context(), SourceHTTP); err != nil {
			http.Error(w, "failed to reload config: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "config reloaded\n")
	})
}

// Run serves reload requests until ctx ends: Reload calls, SIGHUP (or
// ReloaderOptions.Signals) and changes of the file. A failure to watch the file is
// logged and leaves the other triggers working. It returns nil when ctx ends.
func (r *Reloader) Run(ctx context.Context) error {
	sig := r.opts.Signals
	if sig == nil && !r.opts.DisableSignals {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGHUP)
		defer signal.Stop(ch)
		sig = ch
	}
	var (
		events  <-chan fsnotify.Event
		werrs   <-chan error
		names   map[string]bool
		timer   *time.Timer
		timerC  <-chan time.Time
		watcher *fsnotify.Watcher
	)
	if !r.opts.DisableWatch {
		var err error
		watcher, names, err = r.watch()
		if err != nil {
			r.opts.Logger.Warn("config file changes will not trigger reloads; use SIGHUP or POST /-/reload", "path", r.path, "err", err)
		} else {
			defer watcher.Close()
			events, werrs = watcher.Events, watcher.Errors
		}
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case req := <-r.reqs:
			req.done <- r.reload(req.source, false)
		case _, ok := <-sig:
			if !ok {
				sig = nil
				continue
			}
			r.reload(SourceSignal, false)
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if !relevant(ev, names) {
				continue
			}
			if timer == nil {
				timer = time.NewTimer(r.opts.Debounce)
			} else {
				timer.Reset(r.opts.Debounce)
			}
			timerC = timer.C
		case err, ok := <-werrs:
			if !ok {
				werrs = nil
				continue
			}
			r.opts.Logger.Warn("config file watch error", "path", r.path, "err", err)
		case <-timerC:
			timerC = nil
			r.reload(SourceFile, true)
		}
	}
}

// watch sets up fsnotify on the directory of the file (watching a file itself misses
// rename-based saves) and, when the path is a symlink, on the directory of its target.
// It returns the base names of interest.
func (r *Reloader) watch() (*fsnotify.Watcher, map[string]bool, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, nil, err
	}
	abs, err := filepath.Abs(r.path)
	if err != nil {
		w.Close()
		return nil, nil, err
	}
	names := map[string]bool{filepath.Base(abs): true}
	dirs := []string{filepath.Dir(abs)}
	if target, err := filepath.EvalSymlinks(abs); err == nil && target != abs {
		names[filepath.Base(target)] = true
		if d := filepath.Dir(target); d != dirs[0] {
			dirs = append(dirs, d)
		}
	}
	for _, d := range dirs {
		if err := w.Add(d); err != nil {
			w.Close()
			return nil, nil, err
		}
	}
	return w, names, nil
}

// relevant reports whether ev may have changed the file: an event on its name (or its
// symlink target's), or on a "..name" entry (Kubernetes ConfigMap volumes swap a
// ..data symlink). Pure chmod events are ignored.
func relevant(ev fsnotify.Event, names map[string]bool) bool {
	if ev.Op == fsnotify.Chmod {
		return false
	}
	base := filepath.Base(ev.Name)
	return names[base] || strings.HasPrefix(base, "..")
}

// reload loads the file and swaps it in. With onlyIfChanged (file events), content equal
// to the last attempt, or a missing file, is skipped without a log or a state change.
// Runs on the Run goroutine only.
func (r *Reloader) reload(source string, onlyIfChanged bool) error {
	data, readErr := os.ReadFile(r.path)
	if onlyIfChanged {
		var sum [sha256.Size]byte
		if readErr == nil {
			sum = sha256.Sum256(data)
		}
		if errors.Is(readErr, fs.ErrNotExist) || (readErr == nil && sum == r.lastSum) {
			r.after(ReloadResult{Source: source, Time: r.opts.Now()})
			return nil
		}
	}
	if readErr == nil {
		r.lastSum = sha256.Sum256(data)
	}
	cfg, err := r.opts.Load(r.path)
	now := r.opts.Now()
	if err != nil {
		r.lastOK.Store(false)
		r.opts.Logger.Error("config reload failed; keeping the previous configuration", "source", source, "path", r.path, "err", err)
		r.after(ReloadResult{Source: source, Time: now, Changed: true, Err: err})
		return err
	}
	old := r.cur.Swap(cfg)
	r.lastOK.Store(true)
	r.lastSuccess.Store(now.UnixNano())
	r.mu.Lock()
	subs := append([]func(old, new *Config){}, r.subs...)
	r.mu.Unlock()
	for _, fn := range subs {
		fn(old, cfg)
	}
	r.opts.Logger.Info("config reloaded", "source", source, "path", r.path)
	r.after(ReloadResult{Source: source, Time: now, Changed: true})
	return nil
}

func (r *Reloader) after(res ReloadResult) {
	if r.opts.AfterReload != nil {
		r.opts.AfterReload(res)
	}
}
