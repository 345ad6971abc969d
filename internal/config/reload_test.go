package config

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/testutil"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const (
	goodA = "labels: {error_code_cap: 10}\n"
	goodB = "labels: {error_code_cap: 20}\n"
	bad   = "labels:\n  error_code_cap: 20\ninputs:\n  - path: a\n    format: twillio\n"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	// Write and rename, as editors and config managers do.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

type harness struct {
	r       *Reloader
	clock   *testutil.Clock
	logs    *syncBuffer
	results chan ReloadResult
	changes chan [2]*Config
	signals chan os.Signal
	path    string
	cancel  context.CancelFunc
	done    chan struct{}
}

// start writes content, creates a Reloader on it and runs it until the test ends. It
// returns once Run is serving requests (and so has set up its file watch).
func start(t *testing.T, content string, opts ReloaderOptions) *harness {
	t.Helper()
	h := &harness{
		clock:   testutil.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		logs:    &syncBuffer{},
		results: make(chan ReloadResult, 64),
		changes: make(chan [2]*Config, 64),
		signals: make(chan os.Signal, 1),
		path:    filepath.Join(t.TempDir(), "waba.yml"),
		done:    make(chan struct{}),
	}
	writeFile(t, h.path, content)
	opts.Logger = slog.New(slog.NewTextHandler(h.logs, nil))
	opts.Now = h.clock.Now
	opts.Signals = h.signals
	opts.AfterReload = func(res ReloadResult) { h.results <- res }
	if opts.Debounce == 0 {
		opts.Debounce = time.Millisecond
	}
	r, err := NewReloader(h.path, opts)
	if err != nil {
		t.Fatal(err)
	}
	h.r = r
	r.OnChange(func(old, new *Config) { h.changes <- [2]*Config{old, new} })
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		defer close(h.done)
		r.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-h.done
	})
	// A served request proves the loop (and its watch) is up.
	if err := r.Reload(ctx, "test-start"); err != nil {
		t.Fatal(err)
	}
	<-h.results
	<-h.changes
	return h
}

// next waits for the next reload result, with a deadline (file events come from the
// kernel, so they are waited for, never slept for).
func (h *harness) next(t *testing.T) ReloadResult {
	t.Helper()
	select {
	case res := <-h.results:
		return res
	case <-time.After(10 * time.Second):
		t.Fatal("no reload within 10s")
	}
	return ReloadResult{}
}

func TestNewReloaderRejectsBadInitialConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "waba.yml")
	writeFile(t, path, bad)
	if _, err := NewReloader(path, ReloaderOptions{}); err == nil || !strings.Contains(err.Error(), `inputs[0].format: unknown format "twillio"`) {
		t.Fatalf("NewReloader(bad) = %v", err)
	}
}

func TestReloadGood(t *testing.T) {
	h := start(t, goodA, ReloaderOptions{DisableWatch: true})
	first := h.r.Config()
	if first.Labels.ErrorCodeCap != 10 || !h.r.LastReloadSuccessful() {
		t.Fatalf("initial config = %+v", first.Labels)
	}
	writeFile(t, h.path, goodB)
	h.clock.Advance(time.Minute)
	if err := h.r.Reload(context.Background(), "test"); err != nil {
		t.Fatal(err)
	}
	if got := h.r.Config().Labels.ErrorCodeCap; got != 20 {
		t.Errorf("after reload error_code_cap = %d, want 20", got)
	}
	ch := <-h.changes
	if ch[0] != first || ch[1] != h.r.Config() {
		t.Errorf("OnChange got (%p, %p), want (%p, %p)", ch[0], ch[1], first, h.r.Config())
	}
	res := h.next(t)
	if res.Source != "test" || !res.Changed || res.Err != nil {
		t.Errorf("result = %+v", res)
	}
	if !h.r.LastReloadSuccessful() || !h.r.LastReloadSuccess().Equal(h.clock.Now()) {
		t.Errorf("last success = %v %v, want true %v", h.r.LastReloadSuccessful(), h.r.LastReloadSuccess(), h.clock.Now())
	}
	if first.Labels.ErrorCodeCap != 10 {
		t.Error("the old config was mutated")
	}
	if !strings.Contains(h.logs.String(), `msg="config reloaded" source=test`) {
		t.Errorf("logs = %s", h.logs.String())
	}
}

func TestReloadBadKeepsOld(t *testing.T) {
	h := start(t, goodA, ReloaderOptions{DisableWatch: true})
	okTime := h.r.LastReloadSuccess()
	old := h.r.Config()
	writeFile(t, h.path, bad)
	h.clock.Advance(time.Minute)
	err := h.r.Reload(context.Background(), "test")
	want := h.path + `:5: inputs[0].format: unknown format "twillio" (did you mean "twilio"?)`
	if err == nil || err.Error() != want {
		t.Fatalf("Reload(bad) = %v, want %s", err, want)
	}
	if h.r.Config() != old {
		t.Error("a bad config replaced the old one")
	}
	if h.r.LastReloadSuccessful() || !h.r.LastReloadSuccess().Equal(okTime) {
		t.Errorf("after bad reload: successful=%v at %v, want false at %v", h.r.LastReloadSuccessful(), h.r.LastReloadSuccess(), okTime)
	}
	if res := h.next(t); res.Err == nil {
		t.Errorf("result = %+v, want an error", res)
	}
	select {
	case c := <-h.changes:
		t.Errorf("OnChange called for a bad config: %+v", c)
	default:
	}
	if !strings.Contains(h.logs.String(), "config reload failed") || !strings.Contains(h.logs.String(), "twillio") {
		t.Errorf("logs = %s", h.logs.String())
	}
	// Fixing the file recovers.
	writeFile(t, h.path, goodB)
	if err := h.r.Reload(context.Background(), "test"); err != nil {
		t.Fatal(err)
	}
	if !h.r.LastReloadSuccessful() || h.r.Config().Labels.ErrorCodeCap != 20 {
		t.Error("good config after a bad one was not applied")
	}
}

func TestReloadHandler(t *testing.T) {
	h := start(t, goodA, ReloaderOptions{DisableWatch: true})
	handler := h.r.Handler()
	cases := []struct {
		name    string
		content string
		method  string
		code    int
		body    string
		cap     int
	}{
		{"get is refused", goodB, http.MethodGet, http.StatusMethodNotAllowed, "reload needs a POST request\n", 10},
		{"good", goodB, http.MethodPost, http.StatusOK, "config reloaded\n", 20},
		{"bad", bad, http.MethodPost, http.StatusInternalServerError,
			"failed to reload config: " + h.path + `:5: inputs[0].format: unknown format "twillio" (did you mean "twilio"?)` + "\n", 20},
	}
	for _, tc := range cases {
		writeFile(t, h.path, tc.content)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(tc.method, "/-/reload", nil))
		if rec.Code != tc.code || rec.Body.String() != tc.body {
			t.Errorf("%s: %d %q, want %d %q", tc.name, rec.Code, rec.Body.String(), tc.code, tc.body)
		}
		if got := h.r.Config().Labels.ErrorCodeCap; got != tc.cap {
			t.Errorf("%s: error_code_cap = %d, want %d", tc.name, got, tc.cap)
		}
	}
}

func TestReloadOnSignal(t *testing.T) {
	h := start(t, goodA, ReloaderOptions{DisableWatch: true})
	writeFile(t, h.path, goodB)
	h.signals <- syscall.SIGHUP
	res := h.next(t)
	if res.Source != SourceSignal || res.Err != nil || h.r.Config().Labels.ErrorCodeCap != 20 {
		t.Errorf("result %+v, cap %d", res, h.r.Config().Labels.ErrorCodeCap)
	}
}

func TestReloadOnFileChange(t *testing.T) {
	h := start(t, goodA, ReloaderOptions{})

	// A changed file is reloaded.
	writeFile(t, h.path, goodB)
	res := h.next(t)
	for !res.Changed { // drop checks triggered by the temp file's events, if any
		res = h.next(t)
	}
	if res.Source != SourceFile || res.Err != nil || h.r.Config().Labels.ErrorCodeCap != 20 {
		t.Fatalf("result %+v, cap %d", res, h.r.Config().Labels.ErrorCodeCap)
	}
	<-h.changes

	// Rewriting the same content loads nothing.
	writeFile(t, h.path, goodB)
	if res := h.next(t); res.Changed || res.Err != nil {
		t.Errorf("same content: %+v, want an unchanged check", res)
	}

	// A bad change is rejected and the old config kept.
	writeFile(t, h.path, bad)
	res = h.next(t)
	for !res.Changed {
		res = h.next(t)
	}
	if res.Err == nil || h.r.Config().Labels.ErrorCodeCap != 20 || h.r.LastReloadSuccessful() {
		t.Errorf("bad change: %+v, cap %d, successful %v", res, h.r.Config().Labels.ErrorCodeCap, h.r.LastReloadSuccessful())
	}
	select {
	case c := <-h.changes:
		t.Errorf("OnChange called for a bad file: %+v", c)
	default:
	}
}

// TestReloadSerialized fires many reloads at once from Reload, the HTTP handler and the
// signal channel. Load keeps its bookkeeping in plain variables, without any
// synchronization of its own: under -race, the race detector fails the test unless every
// load is ordered after the previous one (which the Run goroutine guarantees); without
// -race, the in-flight count still catches loads that overlap.
func TestReloadSerialized(t *testing.T) {
	var (
		inFlight int
		overlap  bool
		calls    []string
	)
	load := func(path string) (*Config, error) {
		inFlight++
		if inFlight > 1 {
			overlap = true
		}
		defer func() { inFlight-- }()
		calls = append(calls, path)
		return Load(path)
	}
	h := start(t, goodA, ReloaderOptions{DisableWatch: true, Load: load})
	before := len(calls)
	const n = 16
	var wg sync.WaitGroup
	handler := h.r.Handler()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if i%2 == 0 {
				if err := h.r.Reload(context.Background(), "test"); err != nil {
					t.Error(err)
				}
				return
			}
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/-/reload", nil))
			if rec.Code != http.StatusOK {
				t.Errorf("handler: %d %s", rec.Code, rec.Body.String())
			}
		}(i)
	}
	h.signals <- syscall.SIGHUP
	wg.Wait()
	for i := 0; i < n+1; i++ {
		h.next(t)
	}
	// Every request was served by the Run goroutine; reading calls here is ordered after
	// the results were delivered.
	if got := len(calls) - before; got != n+1 {
		t.Errorf("loads = %d, want %d", got, n+1)
	}
	if overlap {
		t.Error("two loads ran at the same time")
	}
}

func TestReloadNeedsRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "waba.yml")
	writeFile(t, path, goodA)
	r, err := NewReloader(path, ReloaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Reload(ctx, "test"); err != context.Canceled {
		t.Errorf("Reload without Run = %v, want context.Canceled", err)
	}
}
