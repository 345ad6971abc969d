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

	"github.com/waba-exporter/waba_exporter/config"
	"github.com/waba-exporter/waba_exporter/exporter"
	"github.com/waba-exporter/waba_exporter/pipeline"
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
	Stdout     io.Writer
	Progress   io.Writer // progress lines for big inputs; nil = none
	Logger     *slog.Logger
}

// Replay reads the files to their end in event-time mode (the scrape-time "now" is the
// watermark), flushes the reorder window and writes the final exposition as OpenMetrics.
// It is deterministic: the same files give the same bytes.
func Replay(ctx context.Context, o ReplayOptions) error {
	if len(o.Files) == 0 {
		return ConfigError{errors.New("replay: no files given")}
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
		t, err := tail.New(tail.Options{Sources: []string{f}, Start: tail.StartBeginning, Follow: false, Logger: log})
		if err != nil {
			return nil, nil, err
		}
		batches := make(chan *tail.Batch, queueBatches)
		errc := make(chan error, 1)
		go func() { errc <- t.Run(ctx, batches); close(batches) }()
		// Decode on one goroutine, apply in order on this one: on two cores the decoder
		// (about half the work) runs beside the state machine. Decoded batches circulate
		// through a small pool, so memory stays bounded.
		free := make(chan *pipeline.Decoded, 4)
		for range cap(free) {
			free <- &pipeline.Decoded{}
		}
		decoded := make(chan *pipeline.Decoded, cap(free))
		go func() {
			defer close(decoded)
			dec := p.NewDecoder()
			var lines []pipeline.Line
			for b := range batches {
				lines = lines[:0]
				for _, l := range b.Lines {
					lines = append(lines, pipeline.Line{Source: f, Data: l.Data, Offset: l.Offset})
				}
				d := <-free
				dec.Decode(d, lines, 0)
				b.Release()
				decoded <- d
			}
		}()
		for d := range decoded {
			p.Apply(d, nil)
			done.Add(d.Bytes())
			free <- d
		}
		if err := <-errc; err != nil {
			return nil, nil, fmt.Errorf("replay %s: %w", filepath.Base(f), err)
		}
		for _, s := range t.Stats() {
			if s.LinesTooLong > 0 {
				p.CountTooLong(f, s.LinesTooLong)
			}
		}
	}
	p.Flush()
	return p, m, nil
}
