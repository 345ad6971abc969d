package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"

	"github.com/waba-exporter/waba_exporter/internal/exporter"
	"github.com/waba-exporter/waba_exporter/internal/kafka"
	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
	"golang.org/x/sync/errgroup"
)

// KafkaOptions are run's --kafka.* settings: with Brokers set, run consumes the topic as
// a member of Group instead of tailing files (docs/scale-out.md).
type KafkaOptions struct {
	Brokers []string
	Topic   string
	Group   string
	// SessionTimeout of the group membership (0: 45 s).
	SessionTimeout time.Duration
	// SettleAt (tests): see kafka.MemberOptions.SettleAt.
	SettleAt int64
}

// RunKafka is run in Kafka mode: a consumer group member whose every assigned partition
// is a shard with its own state machine, each shard's series labelled partition="<n>",
// served on the usual endpoints; /-/ready is true when every owned partition is caught
// up. Reloads, push and checkpoints of run do not apply (a moved partition is rebuilt
// from the topic's retention).
func RunKafka(ctx context.Context, o RunOptions, k KafkaOptions) error {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if k.Topic == "" || k.Group == "" {
		return ConfigError{errors.New("--kafka.brokers needs --kafka.topic and --kafka.group")}
	}
	if len(o.LogPaths) > 0 || len(o.Config.Inputs) > 0 {
		log.Warn("Kafka mode reads the topic only: the file inputs are ignored")
	}
	if len(o.Serve.PushURLs) > 0 || o.Serve.CheckpointPath != "" {
		log.Warn("Kafka mode does not push or write checkpoints: --push.url and --checkpoint.path are ignored")
	}
	wc := WindowConfig(o.Config)
	if _, err := applyMemoryBudget(o.Serve.MemoryLimit, &wc, log); err != nil {
		return ConfigError{err}
	}
	regs := &exporter.Registries{Domain: prometheus.NewRegistry()}
	regs.Domain.MustRegister(versioncollector.NewCollector("waba_exporter"))
	if o.Serve.ExporterMetrics {
		regs.Exporter = prometheus.NewRegistry()
		regs.Exporter.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	met := kafka.NewConsumeMetrics()
	if err := met.Register(regs.Domain); err != nil {
		return err
	}
	m, err := kafka.NewMember(kafka.MemberOptions{
		Brokers: k.Brokers, Topic: k.Topic, Group: k.Group, Registerer: regs.Domain, Now: o.Now, Metrics: met, Logger: log,
		SessionTimeout: k.SessionTimeout, SettleAt: k.SettleAt,
		NewPipeline: func(int32) *pipeline.Pipeline {
			return pipeline.New(window.New(wc), webhook.Options{}, nil, log)
		},
	})
	if err != nil {
		return ConfigError{err}
	}
	defer m.Close()
	h, err := exporter.NewHandler(regs, exporter.HandlerOptions{TelemetryPath: o.Serve.TelemetryPath, Version: o.Serve.Version, Logger: log, Ready: m.Ready})
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		m.CheckRetention(cctx)
		return nil
	})
	g.Go(func() error { return fatal(m.Run(ctx), log) })
	g.Go(func() error { return fatal(serve(ctx, o, h, log), log) })
	return g.Wait()
}

// serve serves h on the listener, the systemd sockets or the listen addresses of o.
func serve(ctx context.Context, o RunOptions, h http.Handler, log *slog.Logger) error {
	so := &o.Serve
	switch {
	case so.Listener != nil:
		if o.Started != nil {
			o.Started(so.Listener.Addr().String())
		}
		return exporter.ServeListener(ctx, so.Listener, so.WebConfigFile, h, log)
	case so.SystemdSocket:
		return exporter.ServeSystemdSocket(ctx, so.WebConfigFile, h, log)
	}
	return exporter.Serve(ctx, so.ListenAddresses, so.WebConfigFile, h, log)
}
