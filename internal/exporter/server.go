package exporter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/exporter-toolkit/web"
)

// Registries holds the domain registry (the Collector and build info) and, unless
// disabled, the separate registry of go_*, process_* and promhttp_* metrics (the
// node_exporter pattern).
type Registries struct {
	Domain   *prometheus.Registry
	Exporter *prometheus.Registry // nil when --web.disable-exporter-metrics
}

// NewRegistries registers c (and build info) in a fresh domain registry.
func NewRegistries(c *Collector, exporterMetrics bool) *Registries {
	r := &Registries{Domain: prometheus.NewRegistry()}
	r.Domain.MustRegister(c, versioncollector.NewCollector("waba_exporter"))
	if exporterMetrics {
		r.Exporter = prometheus.NewRegistry()
		r.Exporter.MustRegister(
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		)
	}
	return r
}

// Gatherer gathers from both registries.
func (r *Registries) Gatherer() prometheus.Gatherer {
	if r.Exporter == nil {
		return r.Domain
	}
	return prometheus.Gatherers{r.Domain, r.Exporter}
}

// HandlerOptions configures the HTTP endpoints.
type HandlerOptions struct {
	TelemetryPath string // default /metrics
	Version       string
	// Ready reports readiness for /-/ready (state restored). Nil means always ready.
	Ready func() bool
	// Reload, when set, serves POST /-/reload.
	Reload http.Handler
	Logger *slog.Logger
}

// NewHandler returns the exporter's HTTP handler: the telemetry path, a landing page,
// /-/healthy, /-/ready and (if configured) /-/reload.
func NewHandler(r *Registries, o HandlerOptions) (http.Handler, error) {
	if o.TelemetryPath == "" {
		o.TelemetryPath = "/metrics"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	opts := promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelError),
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	}
	var metrics http.Handler
	if r.Exporter != nil {
		opts.Registry = r.Exporter
		metrics = promhttp.InstrumentMetricHandler(r.Exporter, promhttp.HandlerFor(r.Gatherer(), opts))
	} else {
		metrics = promhttp.HandlerFor(r.Gatherer(), opts)
	}
	mux.Handle(o.TelemetryPath, metrics)
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "Healthy\n")
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if o.Ready != nil && !o.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "Not ready: restoring state\n")
			return
		}
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "Ready\n")
	})
	if o.Reload != nil {
		mux.Handle("/-/reload", o.Reload)
	}
	if o.TelemetryPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        "WhatsApp Business Platform exporter",
			Description: "Delivery, read, response-time, opt-out, quota and messaging-limit metrics from WhatsApp webhook logs",
			Version:     o.Version,
			Links: []web.LandingLinks{
				{Address: o.TelemetryPath, Text: "Metrics"},
				{Address: "/-/healthy", Text: "Health"},
				{Address: "/-/ready", Text: "Readiness"},
			},
		})
		if err != nil {
			return nil, err
		}
		mux.Handle("/", landing)
	}
	return mux, nil
}

// Limits bound what HTTP clients can hold: every connection has a deadline for its
// request and its response, an idle keep-alive connection is closed after IdleTimeout,
// and at most MaxConnections are open at once. A connection over the cap closes the
// oldest one that is not serving a request (idle keep-alive, or opened without a request
// yet), so idle clients can never starve a scrape; when every connection is busy, the
// new one is closed.
type Limits struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration // the whole request, TLS handshake included
	WriteTimeout      time.Duration // above the slowest scrape
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	MaxConnections    int
}

// DefaultLimits are the limits of Serve and ServeListener.
var DefaultLimits = Limits{
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       30 * time.Second,
	WriteTimeout:      2 * time.Minute,
	IdleTimeout:       60 * time.Second,
	MaxHeaderBytes:    64 << 10,
	MaxConnections:    128,
}

func newServer(h http.Handler, lim Limits) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		WriteTimeout:      lim.WriteTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    lim.MaxHeaderBytes,
	}
	if lim.MaxConnections > 0 {
		ct := &connTracker{max: lim.MaxConnections, conns: map[net.Conn]*trackedConn{}}
		srv.ConnState = ct.state
	}
	return srv
}

// connTracker enforces Limits.MaxConnections through http.Server.ConnState.
type connTracker struct {
	mu    sync.Mutex
	max   int
	seq   uint64
	conns map[net.Conn]*trackedConn
}

type trackedConn struct {
	state http.ConnState
	seq   uint64 // order of the last change to new or idle: the oldest is evicted first
}

func (ct *connTracker) state(c net.Conn, st http.ConnState) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(ct.conns, c)
		return
	case http.StateActive:
		if tc, ok := ct.conns[c]; ok {
			tc.state = st
		}
		return
	}
	ct.seq++
	if tc, ok := ct.conns[c]; ok {
		tc.state, tc.seq = st, ct.seq
		return
	}
	ct.conns[c] = &trackedConn{state: st, seq: ct.seq}
	for len(ct.conns) > ct.max {
		var victim net.Conn
		var oldest uint64
		for oc, tc := range ct.conns {
			if oc != c && tc.state != http.StateActive && (victim == nil || tc.seq < oldest) {
				victim, oldest = oc, tc.seq
			}
		}
		if victim == nil {
			victim = c // every other connection is serving a request
		}
		delete(ct.conns, victim)
		_ = victim.Close()
		if victim == c {
			return
		}
	}
}

// Serve serves h on the given addresses (TLS and basic auth from webConfigFile, via the
// exporter-toolkit) until ctx is done, then shuts down gracefully. It fails fast: an
// address that cannot be listened on, or a web configuration that cannot be read or
// whose certificate cannot be loaded, returns an error at once, and so does any
// listener that stops serving later (the other listeners are shut down).
func Serve(ctx context.Context, addrs []string, webConfigFile string, h http.Handler, log *slog.Logger) error {
	if len(addrs) == 0 {
		return errors.New("web: no listen address")
	}
	var ls []net.Listener
	for _, a := range addrs {
		l, err := net.Listen("tcp", a)
		if err != nil {
			for _, o := range ls {
				o.Close()
			}
			return fmt.Errorf("web: cannot listen on %s: %w", a, err)
		}
		ls = append(ls, l)
	}
	return serveListeners(ctx, ls, webConfigFile, h, log, DefaultLimits)
}

// ServeSystemdSocket is Serve on the sockets systemd passes to the process (socket
// activation: LISTEN_FDS and LISTEN_PID). It fails at once when there are none.
func ServeSystemdSocket(ctx context.Context, webConfigFile string, h http.Handler, log *slog.Logger) error {
	ls, err := activation.Listeners()
	if err != nil {
		return fmt.Errorf("web: systemd socket activation: %w", err)
	}
	var open []net.Listener
	for _, l := range ls {
		if l != nil { // an inherited descriptor that is not a listening socket
			open = append(open, l)
		}
	}
	if len(open) == 0 {
		return errors.New("web: --web.systemd-socket: systemd passed no listening socket (LISTEN_FDS unset or not for this process)")
	}
	return serveListeners(ctx, open, webConfigFile, h, log, DefaultLimits)
}

// ServeListener is Serve on an existing listener (tests, ":0" ports).
func ServeListener(ctx context.Context, l net.Listener, webConfigFile string, h http.Handler, log *slog.Logger) error {
	return serveListeners(ctx, []net.Listener{l}, webConfigFile, h, log, DefaultLimits)
}

// ServeListenerLimits is ServeListener with other limits (tests).
func ServeListenerLimits(ctx context.Context, l net.Listener, webConfigFile string, h http.Handler, log *slog.Logger, lim Limits) error {
	return serveListeners(ctx, []net.Listener{l}, webConfigFile, h, log, lim)
}

func serveListeners(ctx context.Context, ls []net.Listener, webConfigFile string, h http.Handler, log *slog.Logger, lim Limits) error {
	if webConfigFile != "" {
		// Opened here so that a missing or unreadable file is reported with its path at
		// once (the toolkit reads it again, and reloads it per connection).
		f, err := os.Open(webConfigFile)
		if err != nil {
			for _, l := range ls {
				l.Close()
			}
			return fmt.Errorf("web: config file: %w", err)
		}
		f.Close()
	}
	// One server per listener: the toolkit wraps the server's handler in Serve.
	var srvs []*http.Server
	systemd := false
	errc := make(chan error, len(ls))
	for _, l := range ls {
		srv := newServer(h, lim)
		srvs = append(srvs, srv)
		addrs := []string{l.Addr().String()}
		flags := &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &systemd, WebConfigFile: &webConfigFile}
		go func() {
			err := web.Serve(l, srv, flags, log)
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				err = fmt.Errorf("web: serving on %s: %w", l.Addr(), err)
			}
			errc <- err
		}()
	}
	return waitShutdown(ctx, srvs, errc)
}

// waitShutdown waits for ctx or for the first listener to stop (an error: a listener
// never stops by itself), then shuts every server down and collects their results.
func waitShutdown(ctx context.Context, srvs []*http.Server, errc chan error) error {
	n := len(srvs)
	var first error
	select {
	case first = <-errc:
		n--
		if first == nil || errors.Is(first, http.ErrServerClosed) {
			first = errors.New("web: a listener stopped serving")
		}
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range srvs {
		_ = srv.Shutdown(sctx)
	}
	for ; n > 0; n-- {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) && first == nil {
			first = err
		}
	}
	return first
}

// WriteOpenMetrics writes the domain registry's exposition as OpenMetrics text. With
// ts > 0 every sample carries that timestamp (ms), as backfilling with promtool needs.
func WriteOpenMetrics(w io.Writer, g prometheus.Gatherer, tsMillis int64) error {
	mfs, err := g.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeOpenMetrics))
	for _, mf := range mfs {
		if tsMillis > 0 {
			for _, m := range mf.Metric {
				m.TimestampMs = &tsMillis
			}
		}
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		return c.Close()
	}
	return nil
}
