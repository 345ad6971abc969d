package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// fakeClock is an injected clock whose Sleep advances time instead of waiting.
type fakeClock struct {
	now    time.Time
	sleeps int
	slept  time.Duration
	onWait func(n int)
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.sleeps++
	c.slept += d
	c.now = c.now.Add(d)
	if c.onWait != nil {
		c.onWait(c.sleeps)
	}
	return ctx.Err()
}

// lineTimes returns the largest event timestamp of each line (statuses, inbound
// messages, entry.time, user preferences), 0 for a line without one (value errors).
func lineTimes(t *testing.T, out []byte) []int64 {
	t.Helper()
	var res []int64
	for i, line := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
		var b body
		if err := json.Unmarshal(line, &b); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		var m int64
		for _, e := range b.Entry {
			if e.Time != nil {
				m = max(m, *e.Time)
			}
			for _, ch := range e.Changes {
				for _, s := range ch.Value.Statuses {
					m = max(m, ts(t, s.Timestamp))
				}
				for _, msg := range ch.Value.Messages {
					m = max(m, ts(t, msg.Timestamp))
				}
				for _, u := range ch.Value.UserPreferences {
					m = max(m, u.Timestamp)
				}
			}
		}
		res = append(res, m)
	}
	return res
}

func TestPlayHistoryThenLive(t *testing.T) {
	cases := []struct {
		name        string
		rate, speed float64
		waits       int
	}{
		{"real time", 5, 1, 300},
		{"fast", 20, 3600, 300},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
			clk := &fakeClock{now: t0}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out bytes.Buffer
			historyBytes := -1
			clk.onWait = func(n int) {
				if n == 1 {
					historyBytes = out.Len() // Play flushes before it waits
				}
				if n == tc.waits {
					cancel()
				}
			}
			start := t0.Add(-3 * 24 * time.Hour)
			s := New(Options{Seed: 11, Start: start, HistoryLines: 5000, Sleep: clk.Sleep})
			if err := s.Play(ctx, &out, clk.Now, tc.rate, tc.speed); err != nil {
				t.Fatal(err)
			}
			if clk.sleeps != tc.waits || historyBytes <= 0 {
				t.Fatalf("Play returned after %d waits (history %d bytes), want it to run until the cancel at %d", clk.sleeps, historyBytes, tc.waits)
			}
			times := lineTimes(t, out.Bytes())
			hist := bytes.Count(out.Bytes()[:historyBytes], []byte("\n"))
			liveLines := len(times) - hist
			// History: from Start to now at the live intensity, capped at about
			// HistoryLines lines (plus the ramp to the live intensity); every line
			// arrived, so happened, before now.
			span := t0.Sub(start).Seconds()
			live := tc.rate / tc.speed
			base := min(live, 5000/span)
			ramp := historyRamp
			if live > base {
				ramp = min(ramp, 5000/(live-base))
			}
			want := base*span + (live-base)*ramp/2
			if float64(hist) < want*0.6 || float64(hist) > want*1.6 {
				t.Errorf("history has %d lines, want about %.0f", hist, want)
			}
			var minT, maxT int64 = t0.Unix(), 0
			for _, x := range times[:hist] {
				if x != 0 {
					minT, maxT = min(minT, x), max(maxT, x)
				}
			}
			if minT < start.Unix() || minT > start.Unix()+3600 || maxT > t0.Unix() || maxT < t0.Unix()-3600 {
				t.Errorf("history spans %s .. %s, want %s .. %s", time.Unix(minT, 0).UTC(), time.Unix(maxT, 0).UTC(), start, t0)
			}
			// Live: paced by the clock, at about rate lines per wall second (a daily mean:
			// the diurnal curve moves it within a factor of about 3), with simulated time
			// running speed times faster.
			wall := clk.now.Sub(t0).Seconds()
			if liveLines < tc.waits/2 || wall <= 0 {
				t.Fatalf("%d live lines in %.1f wall seconds", liveLines, wall)
			}
			if got := float64(liveLines) / wall; got < tc.rate*0.3 || got > tc.rate*3 {
				t.Errorf("live rate %.2f lines per wall second, want about %.0f", got, tc.rate)
			}
			var liveMax int64
			for _, x := range times[hist:] {
				liveMax = max(liveMax, x)
			}
			simEnd := t0.Add(time.Duration(wall * tc.speed * float64(time.Second)))
			if liveMax <= t0.Unix() || liveMax > simEnd.Unix()+1 {
				t.Errorf("live events up to %s, want after %s and by %s", time.Unix(liveMax, 0).UTC(), t0, simEnd)
			}
		})
	}
}

func TestPlayStopsWhenCancelled(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	if err := New(Options{Seed: 1, Sleep: clk.Sleep}).Play(ctx, &out, clk.Now, 10, 1); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 || clk.sleeps != 0 {
		t.Fatalf("a cancelled Play wrote %d bytes and waited %d times", out.Len(), clk.sleeps)
	}
}

type failWriter struct{ n int }

var errDisk = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	w.n++
	if w.n > 2 {
		return 0, errDisk
	}
	return len(p), nil
}

func TestPlayReturnsWriteError(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	err := New(Options{Seed: 1, Sleep: clk.Sleep}).Play(context.Background(), &failWriter{}, clk.Now, 10, 1)
	if !errors.Is(err, errDisk) {
		t.Fatalf("Play returned %v, want the write error", err)
	}
}

// Play sizes a default customer pool to the live traffic (about two messages a customer
// a day, within [5000, 200000]); a given pool is kept.
func TestPlayCustomerPool(t *testing.T) {
	cases := []struct {
		customers        int
		rate, speed      float64
		wantMin, wantMax int
	}{
		{0, 100, 3600, 5000, 5000},                // 2400 lines a simulated day: the default pool
		{0, 1, 1, 86400 / 3 / 2, 86400 / 1.5 / 2}, // 86400 lines a day, 1.5-3 lines a message
		{0, 20, 1, 200000, 200000},                // capped
		{700, 20, 1, 700, 700},
	}
	for _, tc := range cases {
		clk := &fakeClock{now: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // Play sets up, then stops before writing
		s := New(Options{Seed: 1, Customers: tc.customers, Sleep: clk.Sleep})
		if err := s.Play(ctx, &bytes.Buffer{}, clk.Now, tc.rate, tc.speed); err != nil {
			t.Fatal(err)
		}
		if got := len(s.custWA); got < tc.wantMin || got > tc.wantMax {
			t.Errorf("customers %d, rate %g, speed %g: pool of %d, want %d..%d", tc.customers, tc.rate, tc.speed, got, tc.wantMin, tc.wantMax)
		}
	}
}
