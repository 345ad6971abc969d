package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"golang.org/x/sync/errgroup"

	"github.com/waba-exporter/waba_exporter/internal/checkpoint"
	"github.com/waba-exporter/waba_exporter/internal/exporter"
	"github.com/waba-exporter/waba_exporter/internal/kafka"
	"github.com/waba-exporter/waba_exporter/tail"
)

// forwardCheckpointVersion is the schema version of the forwarder's checkpoint (the tail
// positions of the acknowledged lines, as JSON): another than run's, so that neither
// command takes the other's file.
const forwardCheckpointVersion = 1001

// ForwardOptions configures Forward.
type ForwardOptions struct {
	// Serve gives the metrics endpoint (listen addresses, telemetry path, web config)
	// and the checkpoint (path, interval).
	Serve       ServeOptions
	Paths       []string // files or globs to tail
	Start       string   // beginning or end, for files seen for the first time
	Brokers     []string
	Topic       string
	MaxBuffered int        // records produced and not yet acknowledged (default 10000)
	Conn        kafka.Conn // TLS and SASL
	Logger      *slog.Logger
	// PollInterval of the tailer (default 1s).
	PollInterval time.Duration
}

// forwardState is the forwarder's checkpoint payload.
type forwardState struct {
	Positions []tail.Position `json:"positions"`
	Written   int64           `json:"written_unix"`
}

// Forward tails the inputs and produces every body to the topic, one record per
// customer keyed by customer (kafka.Splitter), until ctx is done. The checkpoint holds
// the positions of the lines the broker acknowledged (with every line before them):
// a restart resumes after them and loses nothing (at-least-once).
func Forward(ctx context.Context, o ForwardOptions) error {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(o.Paths) == 0 || len(o.Brokers) == 0 || o.Topic == "" {
		return ConfigError{errors.New("forward needs --input.path, --kafka.brokers and --kafka.topic")}
	}
	start, err := tail.ParseStartMode(o.Start)
	if err != nil {
		return ConfigError{err}
	}
	var saved forwardState
	if path := o.Serve.CheckpointPath; path != "" {
		payload, err := checkpoint.Read(path, forwardCheckpointVersion)
		switch {
		case err == nil:
			if err := json.Unmarshal(payload, &saved); err != nil {
				return fmt.Errorf("forward checkpoint %s: %w", path, err)
			}
			log.Info("forward checkpoint restored", "path", path, "files", len(saved.Positions))
		case errors.Is(err, os.ErrNotExist):
		default:
			log.Warn("forward checkpoint unusable: starting without it", "err", err)
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(versioncollector.NewCollector("waba_exporter"))
	met := kafka.NewForwardMetrics()
	if err := met.Register(reg); err != nil {
		return err
	}
	regs := &exporter.Registries{Domain: reg}
	if o.Serve.ExporterMetrics {
		regs.Exporter = prometheus.NewRegistry()
		regs.Exporter.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	conn, err := o.Conn.Opts()
	if err != nil {
		return ConfigError{err}
	}
	cl, err := kafka.NewProducer(o.Brokers, o.Topic, o.MaxBuffered, conn...)
	if err != nil {
		return ConfigError{err}
	}
	defer cl.Close()
	t, err := tail.New(tail.Options{Sources: o.Paths, Start: start, Follow: true, PollInterval: o.PollInterval, Positions: saved.Positions, Logger: log})
	if err != nil {
		return ConfigError{err}
	}
	f := kafka.NewForwarder(kafka.ForwarderOptions{Client: cl, Topic: o.Topic, Progress: tail.NewProgress(t), Metrics: met, Logger: log})
	h, err := exporter.NewHandler(regs, exporter.HandlerOptions{TelemetryPath: o.Serve.TelemetryPath, Version: o.Serve.Version, Logger: log})
	if err != nil {
		return err
	}
	write := func() {
		if o.Serve.CheckpointPath == "" {
			return
		}
		b, _ := json.Marshal(forwardState{Positions: f.Positions(), Written: time.Now().Unix()})
		if err := checkpoint.Write(o.Serve.CheckpointPath, forwardCheckpointVersion, b); err != nil {
			log.Error("forward checkpoint not written", "err", err)
		}
	}
	every := o.Serve.CheckpointInterval
	if every <= 0 {
		every = 10 * time.Second
	}
	g, gctx := errgroup.WithContext(ctx)
	batches := make(chan *tail.Batch, queueBatches)
	g.Go(func() error { err := t.Run(gctx, batches); close(batches); return fatal(err, log) })
	g.Go(func() error { return fatal(f.Run(gctx, batches), log) })
	g.Go(func() error { return fatal(serve(gctx, RunOptions{Serve: o.Serve}, h, log), log) })
	g.Go(func() error {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-gctx.Done():
				return nil
			case <-tick.C:
				write()
			}
		}
	})
	err = g.Wait()
	// What was acknowledged before the stop is kept; the rest is produced again by the
	// next start (at-least-once).
	write()
	return err
}
