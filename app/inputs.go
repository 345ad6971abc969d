package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/waba-exporter/waba_exporter/config"
	"github.com/waba-exporter/waba_exporter/pipeline"
	"github.com/waba-exporter/waba_exporter/tail"
)

// inputSet runs one tailer per configured input, all feeding one bounded channel, and
// changes them live on reload: new inputs start, removed ones stop, changed ones restart;
// the state machine and its counters are kept. Safe for concurrent use.
type inputSet struct {
	ctx      context.Context
	out      chan *tail.Batch
	p        *pipeline.Pipeline
	log      *slog.Logger
	poll     time.Duration
	saved    []tail.Position // restore points of the checkpoint, for inputs at start
	restored bool
	errc     chan<- error

	mu      sync.Mutex
	running map[string]*runningInput
	order   []string
	wg      sync.WaitGroup
}

type runningInput struct {
	in      config.Input
	t       *tail.Tailer
	cancel  context.CancelFunc
	tooLong uint64 // lines over the limit already counted into the pipeline
}

// set makes the running inputs match ins. The first call also restores positions.
func (s *inputSet) set(ins []config.Input) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := map[string]config.Input{}
	for _, in := range ins {
		want[in.Path] = in
	}
	for path, r := range s.running {
		if in, ok := want[path]; !ok || !reflect.DeepEqual(in, r.in) {
			r.cancel()
			delete(s.running, path)
			s.log.Info("input stopped", "logfile", path)
		}
	}
	first := s.order == nil
	var errs []error
	s.order = s.order[:0]
	for _, in := range ins {
		s.order = append(s.order, in.Path)
		if _, ok := s.running[in.Path]; ok {
			continue
		}
		s.p.SetDecoderOptions(in.Path, DecoderOptions(in))
		s.p.AddSource(in.Path)
		start := tail.StartBeginning
		if in.Start == config.StartEnd {
			start = tail.StartEnd
		}
		var positions []tail.Position
		if first {
			for _, pos := range s.saved {
				if pos.Source == in.Path {
					positions = append(positions, pos)
				}
			}
			if s.restored && len(positions) == 0 {
				start = tail.StartBeginning // new since the checkpoint: nothing of it is counted
			}
		}
		t, err := tail.New(tail.Options{
			Sources: []string{in.Path}, Start: start, Follow: true, Positions: positions,
			PollInterval: s.poll, MaxLineBytes: in.MaxLineBytes, Logger: s.log,
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("inputs: %s: %w", in.Path, err))
			continue
		}
		ctx, cancel := context.WithCancel(s.ctx)
		s.running[in.Path] = &runningInput{in: in, t: t, cancel: cancel}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := t.Run(ctx, s.out); err != nil && !errors.Is(err, context.Canceled) {
				s.errc <- err
			}
		}()
		if !first {
			s.log.Info("input started", "logfile", in.Path)
		}
	}
	return errors.Join(errs...)
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

// countTooLong moves the tailers' counts of skipped over-long lines into the pipeline's
// parse errors (reason line_too_long).
func (s *inputSet) countTooLong() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.running {
		for _, st := range r.t.Stats() {
			if st.LinesTooLong > r.tooLong {
				s.p.CountTooLong(st.Source, st.LinesTooLong-r.tooLong)
				r.tooLong = st.LinesTooLong
			}
		}
	}
}

// wait stops nothing by itself: it waits for every tailer to return (after ctx ends).
func (s *inputSet) wait() { s.wg.Wait() }
