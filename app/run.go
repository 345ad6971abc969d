package app

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/waba-exporter/waba_exporter/config"
	"github.com/waba-exporter/waba_exporter/exporter"
	"github.com/waba-exporter/waba_exporter/pipeline"
	"github.com/waba-exporter/waba_exporter/push"
	"github.com/waba-exporter/waba_exporter/tail"
	"github.com/waba-exporter/waba_exporter/webhook"
)

// ServeOptions are the HTTP and persistence settings shared by run and demo.
type ServeOptions struct {
	ListenAddresses []string
	Listener        net.Listener // overrides ListenAddresses (tests)
	// SystemdSocket serves on the listeners systemd passes (socket activation) instead
	// of ListenAddresses.
	SystemdSocket      bool
	TelemetryPath      string
	WebConfigFile      string
	ExporterMetrics    bool
	ConfigPath         string // enables reloads (SIGHUP, POST /-/reload, file change)
	Version            string
	CheckpointPath     string
	CheckpointInterval time.Duration
	// HashKeyFile holds the key of the customer id hashes (default: beside the checkpoint,
	// CheckpointPath + ".key"; created 0600 when absent). Never inside the checkpoint.
	HashKeyFile string
	// MemoryLimit is --state.memory-limit ("" = the cgroup limit when there is one; "0"
	// = none): it sets GOMEMLIMIT and bounds the state caps (memory.go).
	MemoryLimit string
	// Push mode (off without URLs): the same exposition as the telemetry path, pushed
	// every PushInterval to each URL with the PushExtraLabels (name=value) added.
	PushURLs        []string
	PushInterval    time.Duration
	PushExtraLabels []string
}

// RunOptions configures Run.
type RunOptions struct {
	Serve    ServeOptions
	Config   *config.Config
	LogPaths []string // added to Config.Inputs with LogStart
	LogStart string
	Logger   *slog.Logger
	// Now is the wall clock (default time.Now).
	Now func() time.Time
	// PollInterval of the tailers (default 1s).
	PollInterval time.Duration
	// Started, if set, is called with the handler's address once the server listens.
	Started func(addr string)
}

// queueBatches bounds the batches in flight between the tailers and the pipeline; with
// 64 KiB batches that is at most 1 MiB of lines (plus a batch being read per tailer).
const queueBatches = 16

// Run tails the configured inputs into the state machine and serves the metrics until
// ctx is done.
func Run(ctx context.Context, o RunOptions) error {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cfg := o.Config
	inputs := inputsOf(cfg, o.LogPaths, o.LogStart)
	if len(inputs) == 0 {
		return ConfigError{errors.New("no inputs: give --log.path or inputs: in the config file")}
	}

	wc := WindowConfig(cfg)
	if _, err := applyMemoryBudget(o.Serve.MemoryLimit, &wc, log); err != nil {
		return ConfigError{err}
	}
	var rinfo restoreInfo
	m, saved, restored, err := restoreState(o.Serve.CheckpointPath, HashKeyPath(o.Serve.CheckpointPath, o.Serve.HashKeyFile), wc, log, &rinfo)
	if err != nil {
		return ConfigError{err}
	}
	p := pipeline.New(m, webhook.Options{}, nil, log)
	p.RestoreCounts(saved.Sources)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	// Fail loudly: the first error of a long-running goroutine (a listener that cannot
	// start or stops, the reloader, the pusher, a tailer) is logged and ends Run, which
	// then returns it (a non-zero exit). Cancellation is not an error.
	errc := make(chan error, 64)
	var fatal error
	monitorDone := make(chan struct{})
	go func() {
		defer close(monitorDone)
		for err := range errc {
			if err != nil && !errors.Is(err, context.Canceled) && fatal == nil {
				fatal = err
				log.Error("fatal error; stopping", "err", err)
				cancel()
			}
		}
	}()
	batches := make(chan *tail.Batch, queueBatches)
	// prog covers every tailer, running or stopped by a reload, seeded with the restored
	// positions: quiet files keep theirs.
	prog := tail.NewProgress()
	ins := &inputSet{ctx: ctx, out: batches, p: p, log: log, poll: o.PollInterval, saved: groupPositions(saved.Positions),
		restored: restored, errc: errc, prog: prog, running: map[string]*runningInput{}}
	defer func() {
		if errc != nil { // an early return: stop what was started before closing errc
			cancel()
			wg.Wait()
			ins.wait()
			close(errc)
			<-monitorDone
		}
	}()
	if err := ins.set(inputs); err != nil {
		return ConfigError{err}
	}

	health := &exporter.Health{}
	rel := &exporter.Reliability{}
	if rinfo.Unusable {
		rel.CheckpointUnusable.Add(1)
	}
	collector := &exporter.Collector{
		P: p, Health: health, Now: o.Now, Reliability: rel,
		Sources:           func() []exporter.SourceStats { return sourceStats(ins.tailers()) },
		FsnotifyOverflows: func() uint64 { return fsnotifyOverflows(ins.tailers()) },
	}
	regs := exporter.NewRegistries(collector, o.Serve.ExporterMetrics)
	pusher, err := push.New(push.Options{
		URLs: o.Serve.PushURLs, Interval: o.Serve.PushInterval, ExtraLabels: o.Serve.PushExtraLabels,
		Gatherer: regs.Gatherer(), Recorder: health, Logger: log, Now: o.Now,
	})
	if err != nil {
		return ConfigError{err}
	}

	var reloader *config.Reloader
	if o.Serve.ConfigPath != "" {
		r, err := config.NewReloader(o.Serve.ConfigPath, config.ReloaderOptions{Logger: log, Now: o.Now,
			AfterReload: func(res config.ReloadResult) {
				if res.Changed || res.Err != nil {
					health.ReloadSuccessful.Store(res.Err == nil)
					if res.Err == nil {
						health.ReloadSuccess.Store(res.Time.Unix())
					}
				}
			}})
		if err != nil {
			return ConfigError{err}
		}
		r.OnChange(func(_, n *config.Config) {
			wc := WindowConfig(n)
			p.Update(func(v pipeline.View) { v.Machine.Reconfigure(wc) })
			// Inputs change live: new ones start, removed ones stop, state is kept.
			if err := ins.set(inputsOf(n, o.LogPaths, o.LogStart)); err != nil {
				log.Error("inputs not all started", "err", err)
			}
			log.Info("configuration applied", "inputs", len(n.Inputs)+len(o.LogPaths), "quotas", len(n.Quotas), "portfolios", len(n.Portfolios))
		})
		reloader = r
		wg.Add(1)
		go func() { defer wg.Done(); errc <- r.Run(ctx) }()
	}
	health.ReloadSuccessful.Store(true)
	health.ReloadSuccess.Store(o.Now().Unix())
	if pusher != nil {
		wg.Add(1)
		go func() { defer wg.Done(); errc <- pusher.Run(ctx) }()
	}

	handler, err := exporter.NewHandler(regs, exporter.HandlerOptions{
		TelemetryPath: o.Serve.TelemetryPath, Version: o.Serve.Version, Logger: log,
		Ready:  func() bool { return health.StateReady.Load() && anySourceUp(ins.tailers()) },
		Reload: reloadHandler(reloader),
	})
	if err != nil {
		return err
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if o.Serve.Listener != nil {
			if o.Started != nil {
				o.Started(o.Serve.Listener.Addr().String())
			}
			errc <- exporter.ServeListener(ctx, o.Serve.Listener, o.Serve.WebConfigFile, handler, log)
			return
		}
		if o.Serve.SystemdSocket {
			errc <- exporter.ServeSystemdSocket(ctx, o.Serve.WebConfigFile, handler, log)
			return
		}
		errc <- exporter.Serve(ctx, o.Serve.ListenAddresses, o.Serve.WebConfigFile, handler, log)
	}()

	// Ready once every source has been read to its end for the first time and all it
	// handed out is applied (the windows are rebuilt from what the files hold): checked
	// when the engine reports it has nothing pending, and at the maintenance tick (a
	// tailer may finish its pass just after its last batch was applied).
	var readyOnce sync.Once
	checkReady := func() {
		ins.countTooLong()
		if len(batches) == 0 && caughtUp(ins.tailers()) {
			readyOnce.Do(func() {
				health.StateReady.Store(true)
				log.Info("state ready", "sources", len(inputs))
			})
		}
	}

	var cp *checkpointer
	if o.Serve.CheckpointPath != "" && !rinfo.NoWrite {
		cp = &checkpointer{path: o.Serve.CheckpointPath, p: p, prog: prog, health: health, rel: rel, log: log, now: o.Now}
		if o.Serve.CheckpointInterval <= 0 {
			o.Serve.CheckpointInterval = 10 * time.Second
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		maintain(ctx, p, func() bool { checkReady(); return len(batches) == 0 && caughtUp(ins.tailers()) }, o.Now, cp, o.Serve.CheckpointInterval, log)
	}()
	err = p.Run(ctx, &pipeline.TailSource{C: batches}, pipeline.Hooks{
		RecvTime: func() int64 { return o.Now().Unix() },
		Progress: prog,
		Idle:     checkReady,
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		errc <- err
	}
	cancel()
	wg.Wait()
	ins.wait()
	ins.countTooLong()
	if cp != nil {
		// Every line handed to the pipeline has been applied: the final checkpoint holds
		// them all, and the next start resumes after them.
		if err := cp.write(); err == nil {
			log.Info("final checkpoint written", "path", cp.path)
		}
	}
	close(errc)
	<-monitorDone
	errc = nil
	return fatal
}

// inputsOf returns the config's inputs plus the --log.path ones (with --log.start).
func inputsOf(cfg *config.Config, logPaths []string, logStart string) []config.Input {
	inputs := append([]config.Input(nil), cfg.Inputs...)
	for _, p := range logPaths {
		in := config.Input{Path: p, Format: config.FormatAuto, Start: config.Start(logStart), MaxLineBytes: config.DefaultMaxLineBytes}
		if in.Start == "" {
			in.Start = config.StartBeginning
		}
		inputs = append(inputs, in)
	}
	return inputs
}

// maintain runs beside the engine until ctx is done: once a second, while the inputs
// are read to their end (idle), it lets the wall clock into the state machine (windows
// expire without new events; while a backlog is read, event time alone drives it) and
// logs newly dropped businesses; every interval it writes a checkpoint (cp may be nil).
// Everything it does takes the pipeline's lock, so it never sees half a batch.
func maintain(ctx context.Context, p *pipeline.Pipeline, idle func() bool, now func() time.Time, cp *checkpointer, every time.Duration, log *slog.Logger) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var cpC <-chan time.Time
	if cp != nil {
		t := time.NewTicker(every)
		defer t.Stop()
		cpC = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if idle() {
				p.Tick(now().Unix())
			}
			logDroppedBusinesses(p, log)
		case <-cpC:
			_ = cp.write()
		}
	}
}

// caughtUp reports whether every tailer has completed a pass that read every file to its
// end, and nothing handed out is left unread.
func caughtUp(ts []*tail.Tailer) bool {
	for _, t := range ts {
		if !t.Synced() {
			return false
		}
		for _, s := range t.Stats() {
			if s.LagBytes > 0 {
				return false
			}
		}
	}
	return true
}

func sourceStats(ts []*tail.Tailer) []exporter.SourceStats {
	var out []exporter.SourceStats
	for _, t := range ts {
		for _, s := range t.Stats() {
			out = append(out, exporter.SourceStats{
				Source: s.Source, Rotations: s.Rotations, Truncations: s.Truncations, ReadErrors: s.ReadErrors,
				Up: s.Up, LastRead: s.LastRead, LagBytes: s.LagBytes, FilesOpen: s.FilesOpen, LinesLost: s.LinesLost,
			})
		}
	}
	return out
}

func fsnotifyOverflows(ts []*tail.Tailer) uint64 {
	var n uint64
	for _, t := range ts {
		n += t.FsnotifyOverflows()
	}
	return n
}

// reloadHandler returns the reloader's /-/reload handler, or nil (no route) without one.
func reloadHandler(r *config.Reloader) http.Handler {
	if r == nil {
		return nil
	}
	return r.Handler()
}

// logDroppedBusinesses logs, once per business, the phone_number_ids whose events are
// dropped (over state.max_businesses, or outside the labels.phone_number_ids allowlist).
// Every dropped event is counted in waba_exporter_dropped_events_total; this line says
// which business to look at.
func logDroppedBusinesses(p *pipeline.Pipeline, log *slog.Logger) {
	var ids []string
	p.Update(func(v pipeline.View) { ids = v.Machine.TakeDroppedBusinesses() })
	for _, id := range ids {
		log.Warn("events of a business are dropped (counted in waba_exporter_dropped_events_total): it is over state.max_businesses or outside labels.phone_number_ids", "phone_number_id", id)
	}
}

// anySourceUp reports whether at least one input is readable: an exporter whose every
// input is unreadable (or missing) is not ready, whatever state it restored.
func anySourceUp(ts []*tail.Tailer) bool {
	for _, t := range ts {
		for _, s := range t.Stats() {
			if s.Up {
				return true
			}
		}
	}
	return false
}
