package sim

import (
	"bufio"
	"context"
	"io"
	"math"
	"time"
)

func unixTime(t float64) time.Time {
	sec := math.Floor(t)
	return time.Unix(int64(sec), int64((t-sec)*1e9)).UTC()
}

func timerSleep(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// historyRamp is how long before "now" the history intensity ramps up to the live one,
// so that rates do not jump when Play goes live.
const historyRamp = 3600.0

// Play writes history from opts.Start (default: now minus 30 days) up to now() at full
// speed, then goes on in real time at about rate lines per wall second (a daily mean:
// traffic follows the businesses' diurnal curves) until ctx is done. speed > 1 compresses time: simulated time runs speed times faster than the wall
// clock (speed 3600: one simulated hour per wall second), at rate lines per wall second.
// The history intensity is the live one (rate/speed lines per simulated second), capped
// so that the history holds at most about Options.HistoryLines lines, ramping up to the
// live intensity over its last hour (shorter when the ramp would exceed HistoryLines/2). Output is flushed whenever Play waits. Play must be
// called on a fresh Sim (not after Next); it returns nil when ctx ends it, or the first
// write error.
func (s *Sim) Play(ctx context.Context, w io.Writer, now func() time.Time, rate float64, speed float64) error {
	if rate <= 0 {
		rate = 1
	}
	if speed <= 0 {
		speed = 1
	}
	wall0 := now()
	t0 := float64(wall0.UnixNano()) / 1e9
	start := s.opts.Start
	if start.IsZero() {
		start = wall0.Add(-30 * 24 * time.Hour)
	}
	live := rate / speed
	base := live
	if span := t0 - float64(start.Unix()); span > 0 {
		base = min(live, float64(s.opts.HistoryLines)/span)
	}
	// The ramp holds at most about half of HistoryLines lines.
	ramp := historyRamp
	if live > base {
		ramp = min(ramp, float64(s.opts.HistoryLines)/(live-base))
	}
	if !s.started {
		s.rate = rateSchedule{base: base, live: live, liveFrom: t0, ramp: ramp}
		if !s.poolSet {
			// a realistic load per customer: about two outbound messages a day
			perDay := live * day / linesPerMsg
			s.opts.Customers = int(min(max(perDay/2, defaultCustomers), maxAutoCustomers))
		}
	}
	s.start(start)

	bw := bufio.NewWriterSize(w, 1<<18)
	var line []byte
	var at time.Time
	// history: every line that arrived before now
	for i := 0; ; i++ {
		if i&1023 == 0 && ctx.Err() != nil {
			return flushErr(bw, nil)
		}
		line, at = s.Next(line[:0])
		if at.After(wall0) {
			break
		}
		if err := writeLine(bw, line); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	// live: simulated time t maps to wall time wall0 + (t - t0)/speed
	for {
		due := wall0.Add(time.Duration(float64(at.Sub(wall0)) / speed))
		if d := due.Sub(now()); d > 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
			if err := s.opts.Sleep(ctx, d); err != nil || ctx.Err() != nil {
				return nil
			}
		}
		if ctx.Err() != nil {
			return flushErr(bw, nil)
		}
		if err := writeLine(bw, line); err != nil {
			return err
		}
		line, at = s.Next(line[:0])
	}
}

func writeLine(bw *bufio.Writer, line []byte) error {
	if _, err := bw.Write(line); err != nil {
		return err
	}
	return bw.WriteByte('\n')
}

func flushErr(bw *bufio.Writer, err error) error {
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}
