package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/waba-exporter/waba_exporter/internal/exporter"
	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/internal/push"
	"github.com/waba-exporter/waba_exporter/model"
)

// maxStepsPerReplay bounds the output of a stepped replay (a year of 5-minute steps is
// 105,120): a bogus far-future timestamp must not make it write for ever.
const maxStepsPerReplay = 400_000

// replayStepped is Replay with a step: history for a backfill.
//
// The exposition at step T is what a scrape at T would have shown had the log been
// tailed live as it was written: the state after every line before the first line
// whose event time is after T (a line's event time is that of its latest message-level
// event, the events that move the state machine's watermark), with scrape-time gauges
// computed at T. So a line that arrives late (its events before T, logged after a later
// one) counts from the next step on, as it would have live. Steps are the multiples of
// Step in unix time from the first one at or after the first event; every step up to
// the first one at or after the last event is written, gaps included (identical
// counters keep rate() and increase() defined across a quiet night); the last one is
// written after the reorder window is flushed, so it equals the unstepped replay's
// counters.
func replayStepped(ctx context.Context, o ReplayOptions) error {
	if o.Step == 0 {
		return ConfigError{errors.New("replay: --extra-label needs --step")}
	}
	if o.Step < time.Second || o.Step%time.Second != 0 {
		return ConfigError{fmt.Errorf("replay: --step %s: want a whole number of seconds, at least 1s", o.Step)}
	}
	extra, err := push.ParseExtraLabels(o.ExtraLabels)
	if err != nil {
		return ConfigError{fmt.Errorf("replay: %s", strings.ReplaceAll(err.Error(), "--push.extra-label", "--extra-label"))}
	}
	var pairs []*dto.LabelPair
	for _, l := range extra {
		name, value := l.Name, l.Value
		pairs = append(pairs, &dto.LabelPair{Name: &name, Value: &value})
	}
	spillDir := ""
	if o.Out != "-" {
		spillDir = filepath.Dir(o.Out)
	}
	sw, err := newStepWriter(spillDir, o.SpillBudget, pairs)
	if err != nil {
		return err
	}
	defer sw.close()
	st := &stepper{step: int64(o.Step / time.Second), w: sw}

	before := func(p *pipeline.Pipeline, d *pipeline.Decoded) error {
		if st.reg == nil {
			st.init(p)
		}
		return st.before(lineTime(d.Events()))
	}
	p, _, err := replayPipeline(ctx, o.Config, o.Files, o.Progress, o.Logger, before)
	if err != nil {
		return err
	}
	if st.reg == nil { // no line at all
		st.init(p)
	}
	if st.next != 0 {
		if err := st.snapshot(st.next); err != nil {
			return err
		}
	} else if o.Logger != nil {
		o.Logger.Warn("replay --step: no message-level event time in the input, nothing to write")
	}
	if o.Progress != nil && sw.size() > 64<<20 {
		fmt.Fprintf(o.Progress, "replay: %d steps read; writing %d MB of samples grouped by series\n", st.n, sw.size()>>20)
	}
	var w io.Writer = o.Stdout
	if o.Out != "-" {
		f, err := os.Create(o.Out)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := sw.finish(f); err != nil {
			return err
		}
		return f.Close()
	}
	return sw.finish(w)
}

// stepper writes the snapshots of a stepped replay.
type stepper struct {
	step int64 // seconds
	next int64 // the next step to write (unix seconds); 0 until the first event
	at   int64 // the step being gathered (the Collector's "now")
	n    int   // steps written
	w    *stepWriter
	reg  *prometheus.Registry
}

func (s *stepper) init(p *pipeline.Pipeline) {
	c := &exporter.Collector{P: p, Health: &exporter.Health{}, Now: func() time.Time { return time.Unix(s.at, 0) }}
	c.Health.StateReady.Store(true)
	c.Health.ReloadSuccessful.Store(true)
	s.reg = exporter.NewRegistries(c, false).Domain
}

// before writes every step that a line of event time t passes (t = 0: no event time).
func (s *stepper) before(t int64) error {
	if t <= 0 {
		return nil
	}
	if s.next == 0 {
		s.next = (t + s.step - 1) / s.step * s.step
		return nil
	}
	if t > s.next && (t-s.next)/s.step > int64(maxStepsPerReplay-s.n) {
		return fmt.Errorf("replay --step: event time jumps from %s to %s, more than %d steps of %ds: use a larger --step",
			time.Unix(s.next, 0).UTC().Format(time.RFC3339), time.Unix(t, 0).UTC().Format(time.RFC3339), maxStepsPerReplay, s.step)
	}
	for t > s.next {
		if err := s.snapshot(s.next); err != nil {
			return err
		}
		s.next += s.step
	}
	return nil
}

// snapshot gathers the exposition at step t. The Collector's "now" is t: the
// watermark is at or before t here, so scrape-time gauges are those of a scrape at t.
func (s *stepper) snapshot(t int64) error {
	s.at = t
	mfs, err := s.reg.Gather()
	if err != nil {
		return err
	}
	s.n++
	return s.w.add(mfs, t*1000)
}

// lineTime is the latest event time of a decoded line among the events that move the
// state machine's watermark (message-level ones: statuses, inbound messages, user
// preferences; window.Machine.Apply), or 0 when it has none.
func lineTime(evs []model.Event) int64 {
	var t int64
	for i := range evs {
		switch evs[i].Kind {
		case model.KindStatus, model.KindInbound, model.KindUserPreference:
			t = max(t, evs[i].Time)
		}
	}
	return t
}
