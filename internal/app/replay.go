package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/config"
	"github.com/waba-exporter/waba_exporter/internal/exporter"
	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/tail"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
)

// ReplayOptions configures Replay.
type ReplayOptions struct {
	Config     *config.Config
	Files      []string
	Out        string // "-" = Stdout
	Timestamps bool   // stamp samples with the watermark (backfill)
	// Step > 0 writes the exposition at every step of event time instead of once at the
	// end (history for promtool tsdb create-blocks-from openmetrics): see replayStepped.
	Step time.Duration
	// ExtraLabels (name=value) are added to every series of a stepped replay, e.g. the
	// job and instance labels that the dashboards select on.
	ExtraLabels []string
	// SpillBudget bounds the bytes of one family sorted in memory by a stepped replay
	// (0: 32 MiB); larger families are sorted on disk, beside the output file.
	SpillBudget int64
	Stdout      io.Writer
	Progress    io.Writer // progress lines for big inputs; nil = none
	Logger      *slog.Logger
}

// Replay reads the files to their end in event-time mode (the scrape-time "now" is the
// watermark), flushes the reorder window and writes the final exposition as OpenMetrics.
// It is deterministic: the same files give the same bytes.
func Replay(ctx context.Context, o ReplayOptions) error {
	if len(o.Files) == 0 {
		return ConfigError{errors.New("replay: no files given")}
	}
	if o.Step != 0 || len(o.ExtraLabels) > 0 {
		return replayStepped(ctx, o)
	}
	p, _, err := ReplayPipeline(ctx, o.Config, o.Files, o.Progress, o.Logger)
	if err != nil {
		return err
	}
	collector := &exporter.Collector{P: p, Health: &exporter.Health{}, EventTimeOnly: true}
	collector.Health.StateReady.Store(true)
	collector.Health.ReloadSuccessful.Store(true)
	regs := exporter.NewRegistries(collector, false)
	var ts int64
	if o.Timestamps {
		p.Read(func(v pipeline.View) { ts = v.Machine.Watermark() * 1000 })
	}
	var w io.Writer = o.Stdout
	if o.Out != "-" {
		f, err := os.Create(o.Out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
		if err := exporter.WriteOpenMetrics(w, regs.Domain, ts); err != nil {
			return err
		}
		return f.Close()
	}
	return exporter.WriteOpenMetrics(w, regs.Domain, ts)
}

// ReplayPipeline applies the files to a fresh pipeline, in order, and flushes it. Lines
// too long for the tailer are counted with the parse errors of their file.
func ReplayPipeline(ctx context.Context, cfg *config.Config, files []string, progress io.Writer, log *slog.Logger) (*pipeline.Pipeline, *window.Machine, error) {
	return replayPipeline(ctx, cfg, files, progress, log, nil)
}

// beforeLine, when given to replayPipeline, makes it decode line by line and is called
// with each decoded line before the line is applied (on the applying goroutine, outside
// the pipeline's lock: it may read the pipeline). An error stops the replay.
type beforeLine func(p *pipeline.Pipeline, d *pipeline.Decoded) error

func replayPipeline(ctx context.Context, cfg *config.Config, files []string, progress io.Writer, log *slog.Logger, before beforeLine) (*pipeline.Pipeline, *window.Machine, error) {
	if cfg == nil {
		cfg = config.Default()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := window.New(WindowConfig(cfg))
	decs := map[string]webhook.Options{}
	for _, in := range cfg.Inputs {
		decs[in.Path] = DecoderOptions(in)
	}
	p := pipeline.New(m, webhook.Options{}, decs, log)
	var total int64
	for _, f := range files {
		p.AddSource(f)
		if st, err := os.Stat(f); err == nil {
			total += st.Size()
		}
	}
	var done atomic.Int64
	stopProgress := make(chan struct{})
	if progress != nil && total > 64<<20 {
		go func() {
			start := time.Now()
			tick := time.NewTicker(2 * time.Second)
			defer tick.Stop()
			for {
				select {
				case <-stopProgress:
					return
				case <-tick.C:
					d := done.Load()
					fmt.Fprintf(progress, "replay: %.0f%% (%d of %d MB, %.1f MB/s)\n", 100*float64(d)/float64(total), d>>20, total>>20, float64(d)/1e6/time.Since(start).Seconds())
				}
			}
		}()
	}
	defer close(stopProgress)
	for _, f := range files {
		if err := replayFile(ctx, p, f, log, before, &done); err != nil {
			return nil, nil, err
		}
	}
	p.Flush()
	return p, m, nil
}

// replayFile applies one file to p through the engine (see replayPipeline).
func replayFile(ctx context.Context, p *pipeline.Pipeline, f string, log *slog.Logger, before beforeLine, done *atomic.Int64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t, err := tail.New(tail.Options{Sources: []string{f}, Start: tail.StartBeginning, Follow: false, HeldBatches: pipeline.HeldBatches, Logger: log})
	if err != nil {
		return err
	}
	batches := make(chan *tail.Batch, queueBatches)
	errc := make(chan error, 1)
	go func() { errc <- t.Run(ctx, batches); close(batches) }()
	h := pipeline.Hooks{Applied: func(d *pipeline.Decoded) { done.Add(d.Bytes()) }}
	if before != nil {
		h.LineByLine = true
		h.Before = func(d *pipeline.Decoded) error { return before(p, d) }
	}
	herr := p.Run(ctx, &pipeline.TailSource{C: batches}, h)
	if herr != nil {
		cancel() // stop the tailer
		for range batches {
		}
	}
	if err := <-errc; herr == nil && err != nil {
		return fmt.Errorf("replay %s: %w", filepath.Base(f), err)
	}
	return herr
}
