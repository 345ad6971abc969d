package logging

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of RateLimitOptions.
const (
	DefaultBurst    = 5
	DefaultInterval = 10 * time.Second
	DefaultMaxKeys  = 1000
)

// OverflowMessage is the message of the summary for records that were limited together
// because the key table was full.
const OverflowMessage = "log records suppressed (too many distinct messages to limit separately)"

// RateLimitOptions configures a RateLimitHandler. Zero fields take the defaults.
type RateLimitOptions struct {
	// Burst is how many records of one key pass at once; after that, a key passes one
	// record per Interval/Burst. Default: DefaultBurst.
	Burst int
	// Interval is the length of a key's summary window, starting at its first record, and
	// the time its token bucket takes to refill completely. Default: DefaultInterval.
	Interval time.Duration
	// MaxKeys bounds the number of keys tracked; records of new keys beyond it share one
	// overflow key. Default: DefaultMaxKeys.
	MaxKeys int
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// RateLimitHandler limits each key with a token bucket (golang.org/x/time/rate) of Burst
// tokens refilled at Burst per Interval, and drops the records it refuses; when a key's
// interval has ended it emits one summary record with the same level and message (and
// reason, if any) plus the attribute suppressed=N, the number of records dropped in that
// interval. A sustained flood of one key thus passes about Burst records per Interval,
// spread over it, plus at most Burst more each time the key is forgotten. The key is the level, the message and the value of a "reason" attribute
// (on the record, or bound with Logger.With); other attributes do not split keys, so a
// flood that differs only in, say, the logfile still counts as one.
//
// Contracts:
//   - Memory is bounded: at most MaxKeys keys plus one overflow key. Keys whose interval
//     has ended are forgotten at the next sweep, which happens at most once per Interval
//     on Handle, and on every Flush.
//   - Summaries are written when a sweep or a later record of the key finds the interval
//     over. Without further records, call Flush (or Run, which calls it periodically) so
//     that they are not held back indefinitely.
//   - Handlers derived with WithAttrs/WithGroup share the limiter state; a summary goes
//     through the derived handler that logged the key's first record of the interval.
//   - Safe for concurrent use.
type RateLimitHandler struct {
	next   slog.Handler
	st     *limiterState
	reason slog.Value // bound with WithAttrs, if hasR
	hasR   bool
}

type limiterState struct {
	opts      RateLimitOptions
	mu        sync.Mutex
	keys      map[limitKey]*limitEntry
	nextSweep time.Time
}

type limitKey struct {
	level    slog.Level
	msg      string
	reason   string
	overflow bool
}

type limitEntry struct {
	start      time.Time     // start of the current summary interval
	bucket     *rate.Limiter // driven by opts.Now, never by the wall clock
	suppressed int           // records dropped since start
	level      slog.Level
	msg        string
	reason     slog.Value
	hasReason  bool
	out        slog.Handler // where the summary goes
}

// NewRateLimitHandler wraps next.
func NewRateLimitHandler(next slog.Handler, opts RateLimitOptions) *RateLimitHandler {
	if opts.Burst <= 0 {
		opts.Burst = DefaultBurst
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = DefaultMaxKeys
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &RateLimitHandler{next: next, st: &limiterState{opts: opts, keys: map[limitKey]*limitEntry{}}}
}

// Enabled reports whether the wrapped handler handles level.
func (h *RateLimitHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// WithAttrs returns a handler sharing this one's limiter, with attrs bound.
func (h *RateLimitHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(attrs)
	for _, a := range attrs {
		if a.Key == "reason" {
			c.reason, c.hasR = a.Value.Resolve(), true
		}
	}
	return &c
}

// WithGroup returns a handler sharing this one's limiter, with the group opened.
func (h *RateLimitHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	return &c
}

// Handle passes r on unless its key has used its burst for the current interval.
func (h *RateLimitHandler) Handle(ctx context.Context, r slog.Record) error {
	// A reason on the record wins over a bound one. Only a record's own reason is
	// repeated on the summary: a bound one is already part of the handler it goes to.
	reason, hasReason, ownReason := h.reason, h.hasR, false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "reason" {
			reason, hasReason, ownReason = a.Value.Resolve(), true, true
			return false
		}
		return true
	})
	key := limitKey{level: r.Level, msg: r.Message}
	if hasReason {
		key.reason = reason.String()
	}

	st := h.st
	now := st.opts.Now()
	st.mu.Lock()
	var summaries []slog.Record
	var outs []slog.Handler
	if !now.Before(st.nextSweep) {
		summaries, outs = st.sweepLocked(now, summaries, outs)
		st.nextSweep = now.Add(st.opts.Interval)
	}
	e := st.keys[key]
	if e == nil && len(st.keys) >= st.opts.MaxKeys {
		key = limitKey{overflow: true}
		e = st.keys[key]
	}
	if e != nil && !now.Before(e.start.Add(st.opts.Interval)) {
		if e.suppressed > 0 {
			summaries, outs = append(summaries, e.summary(now)), append(outs, e.out)
		}
		e.start, e.suppressed, e.out = now, 0, h.next
	}
	if e == nil {
		e = &limitEntry{start: now, bucket: st.newBucket(), level: r.Level, msg: r.Message, reason: reason, hasReason: ownReason, out: h.next}
		if key.overflow {
			e.msg, e.hasReason = OverflowMessage, false
		}
		st.keys[key] = e
	}
	pass := e.bucket.AllowN(now, 1)
	if !pass {
		e.suppressed++
	}
	st.mu.Unlock()

	for i, s := range summaries {
		outs[i].Handle(ctx, s)
	}
	if pass {
		return h.next.Handle(ctx, r)
	}
	return nil
}

// Flush writes the summaries of every key whose interval has ended and forgets those
// keys.
func (h *RateLimitHandler) Flush(ctx context.Context) {
	st := h.st
	now := st.opts.Now()
	st.mu.Lock()
	summaries, outs := st.sweepLocked(now, nil, nil)
	st.mu.Unlock()
	for i, s := range summaries {
		outs[i].Handle(ctx, s)
	}
}

// Run calls Flush every period until ctx ends, so that summaries are written even when
// a flood stops. period <= 0 means the Interval.
func (h *RateLimitHandler) Run(ctx context.Context, period time.Duration) {
	if period <= 0 {
		period = h.st.opts.Interval
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.Flush(ctx)
		}
	}
}

// newBucket returns a full token bucket of Burst tokens refilled at Burst per Interval.
func (st *limiterState) newBucket() *rate.Limiter {
	every := st.opts.Interval / time.Duration(st.opts.Burst)
	if every <= 0 {
		every = time.Nanosecond
	}
	return rate.NewLimiter(rate.Every(every), st.opts.Burst)
}

// sweepLocked removes keys whose interval has ended, collecting their summaries.
func (st *limiterState) sweepLocked(now time.Time, summaries []slog.Record, outs []slog.Handler) ([]slog.Record, []slog.Handler) {
	for k, e := range st.keys {
		if now.Before(e.start.Add(st.opts.Interval)) {
			continue
		}
		if e.suppressed > 0 {
			summaries, outs = append(summaries, e.summary(now)), append(outs, e.out)
		}
		delete(st.keys, k)
	}
	return summaries, outs
}

func (e *limitEntry) summary(now time.Time) slog.Record {
	r := slog.NewRecord(now, e.level, e.msg, 0)
	if e.hasReason {
		r.AddAttrs(slog.Attr{Key: "reason", Value: e.reason})
	}
	r.AddAttrs(slog.Int("suppressed", e.suppressed))
	return r
}
