package exporter

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

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

// Serve serves h on the given addresses (TLS and basic auth from webConfigFile, via the
// exporter-toolkit) until ctx is done, then shuts down gracefully.
func Serve(ctx context.Context, addrs []string, webConfigFile string, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	systemd := false
	flags := &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &systemd, WebConfigFile: &webConfigFile}
	errc := make(chan error, 1)
	go func() { errc <- web.ListenAndServe(srv, flags, log) }()
	return waitShutdown(ctx, srv, errc)
}

// ServeListener is Serve on an existing listener (tests, ":0" ports).
func ServeListener(ctx context.Context, l net.Listener, webConfigFile string, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	systemd := false
	addrs := []string{l.Addr().String()}
	flags := &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &systemd, WebConfigFile: &webConfigFile}
	errc := make(chan error, 1)
	go func() { errc <- web.Serve(l, srv, flags, log) }()
	return waitShutdown(ctx, srv, errc)
}

func waitShutdown(ctx context.Context, srv *http.Server, errc chan error) error {
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
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
