package app

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/config"
	"github.com/waba-exporter/waba_exporter/internal/exporter"
	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/internal/push"
	"github.com/waba-exporter/waba_exporter/tail"
	"github.com/waba-exporter/waba_exporter/webhook"
	"golang.org/x/sync/errgroup"
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
// ctx is done. It is wiring: the engine (pipeline.Run) applies what the tailers read,
// beside it the server, the reloader, the pusher and the maintenance loop run in one
// errgroup. Fail loudly: the first error of any of them (a listener that cannot start or
// stops, the reloader, the pusher, a tailer) is logged and ends Run, which returns it (a
// non-zero exit). Cancellation is not an error.
func Run(ctx context.Context, o RunOptions) error {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	inputs := inputsOf(o.Config, o.LogPaths, o.LogStart)
	if len(inputs) == 0 {
		return ConfigError{errors.New("no inputs: give --log.path or inputs: in the config file")}
	}
	st, err := openState(o, log)
	if err != nil {
		return ConfigError{err}
	}
	ctx, cancel := context.WithCancel(ctx)
	g, ctx := errgroup.WithContext(ctx)
	run := func(f func() error) { g.Go(func() error { return fatal(f(), log) }) }
	batches := make(chan *tail.Batch, queueBatches)
	// prog covers every tailer, running or stopped by a reload, seeded with the restored
	// positions: quiet files keep theirs.
	prog := tail.NewProgress()
	ins := &inputSet{ctx: ctx, out: batches, p: st.p, log: log, poll: o.PollInterval, saved: groupPositions(st.saved.Positions),
		restored: st.restored, run: run, prog: prog, running: map[string]*runningInput{}}
	defer func() { cancel(); ins.wait() }() // an early return stops the tailers started
	srv, err := newServer(o, st, ins, log)
	if err != nil {
		return err
	}
	if err := ins.set(inputs); err != nil {
		return ConfigError{err}
	}
	cp := newCheckpointer(&o.Serve, st, prog, srv, log)
	run(func() error { return srv.run(ctx) })
	run(func() error { maintain(ctx, st.p, cp, o.Serve.CheckpointInterval, log); return nil })
	run(func() error {
		return st.p.Run(ctx, &pipeline.TailSource{C: batches, IdleWait: pipeline.IdleWait{Every: time.Second, Ready: srv.health.StateReady.Load}}, pipeline.Hooks{
			RecvTime: func() int64 { return o.Now().Unix() }, Progress: prog, Idle: onIdle(st.p, ins, srv.health, o.Now, log),
		})
	})
	err = g.Wait()
	ins.wait()
	if cp != nil {
		// Every line handed to the pipeline has been applied: the final checkpoint holds
		// them all, and the next start resumes after them.
		if err := cp.write(); err == nil {
			log.Info("final checkpoint written", "path", cp.path)
		}
	}
	return err
}

// fatal logs err, unless it is nil or a cancellation (then nil is returned).
func fatal(err error, log *slog.Logger) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return nil
	}
	log.Error("fatal error; stopping", "err", err)
	return err
}

// runState is the restored state: the pipeline and what the checkpoint held.
type runState struct {
	p        *pipeline.Pipeline
	saved    savedState
	restored bool
	info     restoreInfo
}

// openState sizes the state machine (memory budget), restores it from the checkpoint if
// there is one, and returns the pipeline applying to it.
func openState(o RunOptions, log *slog.Logger) (*runState, error) {
	wc := WindowConfig(o.Config)
	if _, err := applyMemoryBudget(o.Serve.MemoryLimit, &wc, log); err != nil {
		return nil, err
	}
	st := &runState{}
	m, saved, restored, err := restoreState(o.Serve.CheckpointPath, HashKeyPath(o.Serve.CheckpointPath, o.Serve.HashKeyFile), wc, log, &st.info)
	if err != nil {
		return nil, err
	}
	st.p, st.saved, st.restored = pipeline.New(m, webhook.Options{}, nil, log), saved, restored
	st.p.RestoreCounts(saved.Sources)
	return st, nil
}

// newCheckpointer returns the checkpoint writer, or nil when checkpoints are off (no
// path, or a checkpoint that must not be overwritten).
func newCheckpointer(so *ServeOptions, st *runState, prog *tail.Progress, srv *server, log *slog.Logger) *checkpointer {
	if so.CheckpointPath == "" || st.info.NoWrite {
		return nil
	}
	if so.CheckpointInterval <= 0 {
		so.CheckpointInterval = 10 * time.Second
	}
	return &checkpointer{path: so.CheckpointPath, p: st.p, prog: prog, health: srv.health, rel: srv.rel, log: log, now: srv.now}
}

// onIdle returns the engine's Idle hook: called with every line handed out applied and
// nothing pending, at least once a second while the inputs are quiet. Once every tailer
// has read every file to its end, the state is ready (the windows are rebuilt from what
// the files hold), and from then on the wall clock is let into the state machine once a
// second (windows expire without new events; while a backlog is read, event time alone
// drives it).
func onIdle(p *pipeline.Pipeline, ins *inputSet, health *exporter.Health, now func() time.Time, log *slog.Logger) func() {
	var last int64
	return func() {
		if !caughtUp(ins.tailers()) {
			return
		}
		if !health.StateReady.Load() {
			health.StateReady.Store(true)
			log.Info("state ready", "sources", len(ins.tailers()))
		}
		if t := now().Unix(); t != last {
			p.Tick(t)
			last = t
		}
	}
}

// server is the HTTP side of run: the collector, the handler, the reloader and the pusher.
type server struct {
	o        RunOptions
	health   *exporter.Health
	rel      *exporter.Reliability
	now      func() time.Time
	handler  http.Handler
	reloader *config.Reloader
	pusher   *push.Pusher
	log      *slog.Logger
}

// newServer builds the collector over the pipeline and the inputs, the handler, the
// reloader (with a config path) and the pusher (with URLs).
func newServer(o RunOptions, st *runState, ins *inputSet, log *slog.Logger) (*server, error) {
	s := &server{o: o, health: &exporter.Health{}, rel: &exporter.Reliability{}, now: o.Now, log: log}
	if st.info.Unusable {
		s.rel.CheckpointUnusable.Add(1)
	}
	collector := &exporter.Collector{
		P: st.p, Health: s.health, Now: o.Now, Reliability: s.rel,
		Sources:           func() []exporter.SourceStats { return sourceStats(ins.tailers()) },
		FsnotifyOverflows: func() uint64 { return fsnotifyOverflows(ins.tailers()) },
	}
	regs := exporter.NewRegistries(collector, o.Serve.ExporterMetrics)
	var err error
	s.pusher, err = push.New(push.Options{
		URLs: o.Serve.PushURLs, Interval: o.Serve.PushInterval, ExtraLabels: o.Serve.PushExtraLabels,
		Gatherer: regs.Gatherer(), Recorder: s.health, Logger: log, Now: o.Now,
	})
	if err != nil {
		return nil, ConfigError{err}
	}
	if o.Serve.ConfigPath != "" {
		if s.reloader, err = newReloader(o, st.p, ins, s.health, log); err != nil {
			return nil, ConfigError{err}
		}
	}
	s.health.ReloadSuccessful.Store(true)
	s.health.ReloadSuccess.Store(o.Now().Unix())
	s.handler, err = exporter.NewHandler(regs, exporter.HandlerOptions{
		TelemetryPath: o.Serve.TelemetryPath, Version: o.Serve.Version, Logger: log,
		Ready:  func() bool { return s.health.StateReady.Load() && anySourceUp(ins.tailers()) },
		Reload: reloadHandler(s.reloader),
	})
	return s, err
}

// newReloader returns the reloader of the config file: a change reconfigures the state
// machine and the inputs live (new ones start, removed ones stop, state is kept).
func newReloader(o RunOptions, p *pipeline.Pipeline, ins *inputSet, health *exporter.Health, log *slog.Logger) (*config.Reloader, error) {
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
		return nil, err
	}
	r.OnChange(func(_, n *config.Config) {
		wc := WindowConfig(n)
		p.Update(func(v pipeline.View) { v.Machine.Reconfigure(wc) })
		if err := ins.set(inputsOf(n, o.LogPaths, o.LogStart)); err != nil {
			log.Error("inputs not all started", "err", err)
		}
		log.Info("configuration applied", "inputs", len(n.Inputs)+len(o.LogPaths), "quotas", len(n.Quotas), "portfolios", len(n.Portfolios))
	})
	return r, nil
}

// run serves until ctx is done, with the reloader and the pusher beside the listener;
// the first error of any of them is returned.
func (s *server) run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	if s.reloader != nil {
		g.Go(func() error { return s.reloader.Run(ctx) })
	}
	if s.pusher != nil {
		g.Go(func() error { return s.pusher.Run(ctx) })
	}
	g.Go(func() error {
		so := &s.o.Serve
		switch {
		case so.Listener != nil:
			if s.o.Started != nil {
				s.o.Started(so.Listener.Addr().String())
			}
			return exporter.ServeListener(ctx, so.Listener, so.WebConfigFile, s.handler, s.log)
		case so.SystemdSocket:
			return exporter.ServeSystemdSocket(ctx, so.WebConfigFile, s.handler, s.log)
		}
		return exporter.Serve(ctx, so.ListenAddresses, so.WebConfigFile, s.handler, s.log)
	})
	return g.Wait()
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

// maintain runs beside the engine until ctx is done: once a second it logs newly dropped
// businesses; every interval it writes a checkpoint (cp may be nil). Both take the
// pipeline's lock, so they never see half a batch.
func maintain(ctx context.Context, p *pipeline.Pipeline, cp *checkpointer, every time.Duration, log *slog.Logger) {
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
			logDroppedBusinesses(p, log)
		case <-cpC:
			_ = cp.write()
		}
	}
}

// caughtUp reports whether every tailer has completed a pass that read every file to its
// end, and every line handed out has been applied. The order matters: a line is in a
// batch before its bytes stop counting as lag, so checking Applied after the lag means
// that whatever the lag check saw as read is applied, not still in flight to the engine
// (Idle runs with the engine's own queue empty, but a tailer may be sending a batch).
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
		if !t.Applied() {
			return false
		}
	}
	return true
}

func sourceStats(ts []*tail.Tailer) []exporter.SourceStats {
	var out []exporter.SourceStats
	for _, t := range ts {
		out = append(out, t.Stats()...)
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
