package pipeline

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/waba-exporter/waba_exporter/tail"
)

// Line is one line to apply: the tailer's own type, so a tailer's batch is handed to the
// decoder as it is (no copy). Source names the logfile (the `logfile` label); File and
// Offset, when File is set, are recorded in the Progress once the line is applied;
// Offset is also named in error messages.
type Line = tail.Line

// Source hands lines to Run: the tailer today (TailSource), a broker or an HTTP input
// later. Next blocks until lines are available and returns them; they stay valid until
// the following call to Next (the source reuses their memory then). An empty result
// with a nil error means "nothing more for now" (a live input has been read to its end):
// Run then calls Hooks.Idle once every line handed out before is applied. At the end of
// the input Next returns io.EOF; once ctx is done, ctx's error. Next is called from one
// goroutine only.
type Source interface {
	Next(ctx context.Context) ([]Line, error)
}

// Recorder records that lines of a file have been applied (tail.Progress): n consecutive
// lines of f, the last ending at offset. Called under the pipeline's write lock, with the
// state the lines changed, so that a reader holding the lock sees offsets and state
// describing the same prefix of the input.
type Recorder interface {
	RecordLines(f *tail.File, offset int64, n int)
}

// Hooks are the caller's parts of Run; every field is optional.
type Hooks struct {
	// RecvTime is the receive time (unix seconds) of the lines of a batch about to be
	// decoded, for bodies without their own; nil means 0, the event-time watermark
	// (replay: the "read time" of a file from the past).
	RecvTime func() int64
	// Progress gets the File and Offset of every applied line, under the lock.
	Progress Recorder
	// LineByLine decodes one line per batch, so that Before sees each line alone.
	LineByLine bool
	// Before is called with each decoded batch before it is applied, on the applying
	// goroutine and outside the lock (it may read the pipeline). An error stops Run,
	// which returns it; nothing after the batch is applied.
	Before func(d *Decoded) error
	// Applied is called, outside the lock, after each batch is applied (replay progress).
	Applied func(d *Decoded)
	// Idle is called on the applying goroutine, outside the lock, when every line the
	// source has handed out is applied and the source has nothing pending (nothing is in
	// flight: the place to let the wall clock into the state machine).
	Idle func()
}

// poolSize is the number of Decoded batches in circulation: the decoder runs at most
// this many batches ahead of the applier, so memory stays bounded. Line by line, batches
// are one line each, hence more of them; a tailer's batches (a lender) are small and
// HeldBatches of them ride out the decoder's pauses; other sources (a Kafka partition's
// fetches, of any size, one Run per partition) keep 4.
func poolSize(src Source, h *Hooks) int {
	if h.LineByLine {
		return 256
	}
	if _, ok := src.(lender); ok {
		return HeldBatches
	}
	return 4
}

// HeldBatches is the number of decoded batches in circulation (how far decoding may run
// ahead of applying), and so the most tailer batches Run holds at once beyond the one
// TailSource hands out last: with a TailSource, each decoded batch keeps its tailer
// batch, whose lines its events point into, until it is applied (decoding copies none of
// their bytes). A tailer feeding Run is given it as tail.Options.HeldBatches, so that its
// free list takes them all back and reading stays free of allocations.
//
// 16 rather than 4: on two busy cores the decoding goroutine is now and then off its core
// for a while, and the applying one, with only 4 batches ahead, ran dry (it waited 30-50
// ms per 1M-line replay for decoded batches, 3-7 ms with 16; `run` to ready took about 5%
// less time, medians of ten alternating runs). 16 batches of 64 KiB lines and their
// events are about 2 MiB.
const HeldBatches = 16

// lender is a Source whose lines stay valid past the next call to Next, until the batch
// holding them is released (TailSource): Run then decodes without copying the bytes of
// the lines and releases each batch once applied.
type lender interface {
	// nextLent is Next, handing over the batch of the lines (nil with none).
	nextLent(ctx context.Context) ([]Line, *tail.Batch, error)
}

// Run is the ingestion engine: it takes lines from src, decodes them on a goroutine of
// its own (ahead of the applier, through a pool of reused Decoded batches: on two cores
// decoding, about half the work, runs beside the state machine), and applies them in
// order under the write lock, each batch as one unit, recording progress in-band
// (Hooks.Progress). It returns nil at the end of the input (every line applied), ctx's
// error once ctx is done (lines decoded but not applied are dropped: their progress is
// not recorded), or the first error of src or of Hooks.Before.
//
// Run does not flush the reorder window (a replay calls Flush after its last input).
// Only one Run (or ApplyLines caller) may apply to a Pipeline at a time.
func (p *Pipeline) Run(ctx context.Context, src Source, h Hooks) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := poolSize(src, &h)
	free := make(chan *Decoded, n)
	for range n {
		free <- &Decoded{}
	}
	decoded := make(chan *Decoded, n)
	srcErr := make(chan error, 1)
	go func() {
		defer close(decoded)
		srcErr <- p.decodeAhead(ctx, src, &h, free, decoded)
	}()
	var herr error
	for d := range decoded {
		switch {
		case herr != nil:
			// Stopping: drain what was decoded.
		case d.idle:
			if h.Idle != nil {
				h.Idle()
			}
		case h.Before != nil:
			if herr = h.Before(d); herr != nil {
				cancel()
				break
			}
			fallthrough
		default:
			p.apply(d, h.Progress)
			if h.Applied != nil {
				h.Applied(d)
			}
		}
		d.release()
		free <- d
	}
	err := <-srcErr
	if herr != nil {
		return herr
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// decodeAhead decodes what src hands out into batches from free and sends them, in
// order, on out. It returns src's error (io.EOF at the end).
func (p *Pipeline) decodeAhead(ctx context.Context, src Source, h *Hooks, free chan *Decoded, out chan<- *Decoded) error {
	dec := p.NewDecoder()
	take := func() (*Decoded, bool) {
		select {
		case d := <-free:
			return d, true
		case <-ctx.Done():
			return nil, false
		}
	}
	// Line by line, one tailer batch spans many decoded ones: its bytes are copied.
	ln, lend := src.(lender)
	lend = lend && !h.LineByLine
	for {
		var lines []Line
		var batch *tail.Batch
		var err error
		if lend {
			lines, batch, err = ln.nextLent(ctx)
		} else {
			lines, err = src.Next(ctx)
		}
		if err != nil {
			return err
		}
		var recv int64
		if h.RecvTime != nil {
			recv = h.RecvTime()
		}
		step := len(lines)
		if h.LineByLine {
			step = 1
		}
		for i := 0; i < len(lines) || (i == 0 && len(lines) == 0); i += max(step, 1) {
			d, ok := take()
			if !ok {
				batch.Release()
				return ctx.Err()
			}
			d.idle = len(lines) == 0
			d.lent = batch // lend: one decoded batch per tailer batch (step is all lines)
			dec.decode(d, lines[i:min(i+step, len(lines))], recv, batch != nil)
			select {
			case out <- d:
			case <-ctx.Done():
				d.release()
				return ctx.Err()
			}
		}
	}
}

// readyPoll bounds how long an IdleWait waits between idle reports while not Ready.
const readyPoll = 10 * time.Millisecond

// IdleWait is how a Source over a channel reports "nothing pending" (Receive): when the
// channel is empty, at once the first time after a value, then again every Every (if
// > 0) while it stays empty, so that Hooks.Idle runs now and then on a quiet input (live
// mode lets the wall clock into the state machine there, with nothing in flight).
type IdleWait struct {
	Every time.Duration
	// Ready, if set, is asked (on the decoding goroutine: it must be safe to call there)
	// before each wait: while it is false the wait is at most readyPoll, so that a state
	// that becomes ready between two reports (a tailer ends its pass just after its last
	// batch was applied) is seen as ready within readyPoll, not a whole Every later.
	Ready func() bool
	idle  bool // "nothing pending" was reported since the last value
}

// Receive returns the next value of c (ok), or reports "nothing pending" (ok false, nil
// error) as w says. A closed c is io.EOF; the end of ctx is its error.
func Receive[T any](ctx context.Context, c <-chan T, w *IdleWait) (v T, ok bool, err error) {
	select {
	case v, ok = <-c:
	default:
		if !w.idle {
			w.idle = true
			return v, false, nil
		}
		var again <-chan time.Time
		every := w.Every
		if w.Ready != nil && !w.Ready() && (every <= 0 || every > readyPoll) {
			every = readyPoll
		}
		if every > 0 {
			t := time.NewTimer(every)
			defer t.Stop()
			again = t.C
		}
		select {
		case v, ok = <-c:
		case <-again:
			return v, false, nil
		case <-ctx.Done():
			return v, false, ctx.Err()
		}
	}
	if !ok {
		return v, false, io.EOF
	}
	w.idle = false
	return v, true, nil
}

// TailSource adapts a channel of tailer batches to a Source: each batch is released
// when the next one is asked for. A closed channel is the end of the input; an empty
// one is reported as its IdleWait says.
type TailSource struct {
	C <-chan *tail.Batch
	IdleWait
	cur *tail.Batch
}

// nextLent implements lender: the batch is the caller's to release (Run does, once
// applied); Next's batch, if any, is released first.
func (s *TailSource) nextLent(ctx context.Context) ([]Line, *tail.Batch, error) {
	s.cur.Release()
	s.cur = nil
	b, ok, err := Receive(ctx, s.C, &s.IdleWait)
	if !ok {
		return nil, nil, err
	}
	return b.Lines, b, nil
}

// Next implements Source: the batch is released at the next call.
func (s *TailSource) Next(ctx context.Context) ([]Line, error) {
	lines, b, err := s.nextLent(ctx)
	s.cur = b
	return lines, err
}
