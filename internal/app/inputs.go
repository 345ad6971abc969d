package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/config"
	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/tail"
)

// inputSet runs one tailer per configured input, all feeding one bounded channel, and
// changes them live on reload as a diff keyed by path. Reading never restarts from a
// position it has already passed:
//
//   - an input whose options changed keeps its tailer, offsets and state; the new decoder
//     options and line limit apply from the next line;
//   - a removed input's tailer stops; where it stopped (offsets of every file it held) is
//     kept, in memory and in the checkpoint, so re-adding the path later resumes there;
//   - a path added that was in the checkpoint this process started from resumes at its
//     checkpointed offsets;
//   - only a genuinely new path starts per its start option (--input.start).
//
// The state machine and the per-logfile counters are never reset. Safe for concurrent use.
type inputSet struct {
	ctx   context.Context
	out   chan *tail.Batch
	p     *pipeline.Pipeline
	log   *slog.Logger
	poll  time.Duration
	saved map[string][]tail.Position // restore points of the checkpoint, by source
	// restored: the process started from a checkpoint, so a path present at start
	// without a restore point is new since then and is read from its beginning.
	restored bool
	run      func(func() error) // runs a tailer in the caller's errgroup
	prog     *tail.Progress     // kept covering running and stopped tailers (may be nil)

	mu      sync.Mutex
	running map[string]*runningInput
	stopped map[string]*stoppedInput // removed inputs, until re-added
	order   []string
	started bool // set has run once
	wg      sync.WaitGroup
}

type runningInput struct {
	in     config.Input
	t      *tail.Tailer
	cancel context.CancelFunc
	done   chan struct{} // closed when t.Run returns
}

type stoppedInput struct {
	t    *tail.Tailer
	done chan struct{}
}

// stopWait bounds how long a re-added input waits for its previous tailer to return (it
// returns as soon as its context is cancelled, unless blocked in the file system).
const stopWait = 10 * time.Second

// set makes the running inputs match ins (see the type comment for what each change does).
func (s *inputSet) set(ins []config.Input) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped == nil {
		s.stopped = map[string]*stoppedInput{}
	}
	s.updateRunning(ins)
	first := !s.started
	s.started = true
	var errs []error
	s.order = s.order[:0]
	for _, in := range ins {
		s.order = append(s.order, in.Path)
		if _, ok := s.running[in.Path]; ok {
			continue
		}
		if err := s.start(in, first); err != nil {
			errs = append(errs, err)
		}
	}
	if first && s.prog != nil {
		// Restore points of checkpointed sources not configured now stay in the next
		// checkpoints, so a reload that adds them back resumes there.
		for src, pos := range s.saved {
			s.prog.Carry(src, pos)
		}
	}
	s.updateProgress()
	return errors.Join(errs...)
}

// updateRunning stops the running inputs that ins no longer lists (keeping their
// positions) and applies changed options to the others in place. Called with s.mu held.
func (s *inputSet) updateRunning(ins []config.Input) {
	want := map[string]config.Input{}
	for _, in := range ins {
		want[in.Path] = in
	}
	for path, r := range s.running {
		in, ok := want[path]
		switch {
		case !ok:
			r.cancel()
			delete(s.running, path)
			s.stopped[path] = &stoppedInput{t: r.t, done: r.done}
			s.log.Info("input stopped; its position is kept", "logfile", path)
		case !reflect.DeepEqual(in, r.in):
			// Options only: the tailer, its offsets and the state are kept.
			s.p.SetDecoderOptions(path, DecoderOptions(in))
			r.t.SetMaxLineBytes(in.MaxLineBytes)
			r.in = in
			s.log.Info("input options changed; reading continues where it was", "logfile", path)
		}
	}
}

// start starts a tailer for in, which is not running. first is true during the first set.
// Called with s.mu held.
func (s *inputSet) start(in config.Input, first bool) error {
	start, positions, how, err := s.startPoint(in, first)
	if err != nil {
		return err
	}
	delete(s.saved, in.Path)
	if s.prog != nil {
		s.prog.Carry(in.Path, nil)
	}
	s.p.SetDecoderOptions(in.Path, DecoderOptions(in))
	s.p.AddSource(in.Path)
	t, err := tail.New(tail.Options{
		Sources: []string{in.Path}, Start: start, Follow: true, Positions: positions,
		PollInterval: s.poll, MaxLineBytes: in.MaxLineBytes, HeldBatches: pipeline.HeldBatches, Logger: s.log,
	})
	if err != nil {
		return fmt.Errorf("inputs: %s: %w", in.Path, err)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	r := &runningInput{in: in, t: t, cancel: cancel, done: make(chan struct{})}
	s.running[in.Path] = r
	s.wg.Add(1)
	s.run(func() error {
		defer s.wg.Done()
		defer close(r.done)
		return t.Run(ctx, s.out)
	})
	if !first {
		s.log.Info("input started", "logfile", in.Path, "how", how)
	}
	return nil
}

// startPoint decides where a tailer for in starts: where a stopped tailer of the path
// left off (waiting for it to return), at the checkpoint's positions, from the beginning
// when the path is new since the checkpoint, else per the input's start option. how says
// which, for the log. Called with s.mu held.
func (s *inputSet) startPoint(in config.Input, first bool) (start tail.StartMode, positions []tail.Position, how string, err error) {
	start = tail.StartBeginning
	if in.Start == config.StartEnd {
		start = tail.StartEnd
	}
	if old, ok := s.stopped[in.Path]; ok {
		select {
		case <-old.done:
		case <-time.After(stopWait):
			return 0, nil, "", fmt.Errorf("inputs: %s: the previous reader of this path has not stopped yet; not started", in.Path)
		}
		positions, _ = old.t.Resume()
		old.t.Retire()
		delete(s.stopped, in.Path)
		// Files without a position appeared since it stopped.
		return tail.StartBeginning, positions, "resumed where it was stopped", nil
	}
	if saved, ok := s.saved[in.Path]; ok {
		return tail.StartBeginning, saved, "resumed from the checkpoint", nil
	}
	if first && s.restored {
		// New since the checkpoint: nothing of it is counted.
		return tail.StartBeginning, nil, "new since the checkpoint, read from its beginning", nil
	}
	return start, nil, "new path, start " + start.String(), nil
}

// updateProgress hands the Progress every tailer whose files it must cover: running ones
// and stopped ones (until re-added). Called with s.mu held.
func (s *inputSet) updateProgress() {
	if s.prog == nil {
		return
	}
	ts := make([]*tail.Tailer, 0, len(s.running)+len(s.stopped))
	for _, r := range s.running {
		ts = append(ts, r.t)
	}
	for _, st := range s.stopped {
		ts = append(ts, st.t)
	}
	s.prog.SetTailers(ts...)
}

// tailers returns the running tailers in configuration order.
func (s *inputSet) tailers() []*tail.Tailer {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*tail.Tailer, 0, len(s.running))
	for _, path := range s.order {
		if r, ok := s.running[path]; ok {
			out = append(out, r.t)
		}
	}
	return out
}

// wait stops nothing by itself: it waits for every tailer to return (after ctx ends).
func (s *inputSet) wait() { s.wg.Wait() }

// groupPositions indexes checkpoint restore points by source.
func groupPositions(ps []tail.Position) map[string][]tail.Position {
	out := map[string][]tail.Position{}
	for _, p := range ps {
		out[p.Source] = append(out[p.Source], p)
	}
	return out
}
