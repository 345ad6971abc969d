package kafka

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/waba-exporter/waba_exporter/tail"
	"github.com/waba-exporter/waba_exporter/webhook"
)

// Forwarder produces the lines of tailer batches to a topic, one record per customer
// (Splitter), and records a line as done (its tail.Progress) only once the broker has
// acknowledged every record of it and of every line before it: a checkpoint of
// Positions never covers a line whose records could still be lost (at-least-once; the
// consumers' dedupe by message id and status makes the counts exact).
//
// Memory is bounded: the client buffers at most MaxBuffered records (kgo's
// MaxBufferedRecords); when the broker is down or slow, Produce blocks, Run stops taking
// batches, and the tailer stops reading ahead. A record that fails is produced again
// after a backoff, for as long as Run's context lives; it is counted in the produce
// errors.
type Forwarder struct {
	cl      *kgo.Client
	topic   string
	split   *Splitter
	metrics *ForwardMetrics
	log     *slog.Logger

	mu      sync.Mutex // guards queue, head and prog
	queue   []*pendingLine
	head    int
	prog    *tail.Progress
	lastErr time.Time // last produce error logged (rate limit)
}

// pendingLine is a line whose records are not all acknowledged.
type pendingLine struct {
	file *tail.File
	off  int64
	left int // records not yet acknowledged
}

// ForwarderOptions configures a Forwarder.
type ForwarderOptions struct {
	Client  *kgo.Client // a producer client (NewProducer)
	Topic   string
	Decoder webhook.Options // options to find the key of non-Meta bodies
	// Progress receives the acknowledged lines (nil: a fresh one).
	Progress *tail.Progress
	Metrics  *ForwardMetrics // nil: not recorded
	Logger   *slog.Logger
}

// NewProducer returns an idempotent producer client for brokers: records keyed by
// customer go to the partition of the Java client's murmur2 hash of the key (kgo's
// default, so other producers following the key rule agree), and at most maxBuffered
// records are buffered.
func NewProducer(brokers []string, topic string, maxBuffered int, extra ...kgo.Opt) (*kgo.Client, error) {
	if maxBuffered <= 0 {
		maxBuffered = 10000
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.DefaultProduceTopic(topic),
		kgo.MaxBufferedRecords(maxBuffered),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(5 * time.Millisecond),
		kgo.RetryBackoffFn(backoff),
		// A record not acknowledged within 30 s fails (counted, produced again): the
		// produce errors show a broker that is down.
		kgo.RecordDeliveryTimeout(30 * time.Second),
	}, extra...)
	return kgo.NewClient(opts...)
}

// backoff is the retry backoff of requests and of failed records: 100 ms doubling up
// to 5 s.
func backoff(tries int) time.Duration {
	d := 100 * time.Millisecond
	for i := 1; i < tries && d < 5*time.Second; i++ {
		d *= 2
	}
	return min(d, 5*time.Second)
}

// NewForwarder returns a Forwarder.
func NewForwarder(o ForwarderOptions) *Forwarder {
	if o.Progress == nil {
		o.Progress = tail.NewProgress()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewForwardMetrics()
	}
	return &Forwarder{cl: o.Client, topic: o.Topic, split: NewSplitter(o.Decoder), metrics: o.Metrics, log: o.Logger, prog: o.Progress}
}

// Run produces the lines of every batch from in, until in is closed (then it waits for
// every record to be acknowledged and returns nil) or ctx is done (ctx's error; what is
// not acknowledged is not recorded as done).
func (f *Forwarder) Run(ctx context.Context, in <-chan *tail.Batch) error {
	for {
		var b *tail.Batch
		var ok bool
		select {
		case b, ok = <-in:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !ok {
			return f.cl.Flush(ctx)
		}
		for i := range b.Lines {
			if err := f.Line(ctx, &b.Lines[i]); err != nil {
				b.Release()
				return err
			}
		}
		b.Release()
	}
}

// Line produces one line's records (copied: the line's memory may be reused once Line
// returns). It blocks while the client's buffer is full.
func (f *Forwarder) Line(ctx context.Context, l *tail.Line) error {
	f.metrics.Lines.Inc()
	var recs []Record
	if len(bytes.TrimSpace(l.Data)) > 0 { // a blank line has nothing to forward
		var ok bool
		if recs, ok = f.split.Split(l.Data); !ok {
			f.metrics.Unkeyed.Inc()
		}
	}
	pl := &pendingLine{file: l.File, off: l.Offset, left: len(recs)}
	f.mu.Lock()
	f.queue = append(f.queue, pl)
	f.advance()
	f.mu.Unlock()
	for _, r := range recs {
		kr := &kgo.Record{Topic: f.topic, Key: append([]byte(nil), r.Key...), Value: append([]byte(nil), r.Value...)}
		f.metrics.Buffered.Inc()
		f.cl.Produce(ctx, kr, f.promise(ctx, pl))
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// promise handles the broker's answer for a record of pl: an acknowledged record counts
// and may complete lines; a failed one is produced again after a backoff (on a goroutine
// of its own: promises must not block the client).
func (f *Forwarder) promise(ctx context.Context, pl *pendingLine) func(*kgo.Record, error) {
	tries := 0
	var p func(r *kgo.Record, err error)
	p = func(r *kgo.Record, err error) {
		if err != nil {
			if ctx.Err() != nil {
				f.metrics.Buffered.Dec()
				return // stopping: not acknowledged, so not recorded
			}
			f.metrics.ProduceErrors.Inc()
			f.logError(err)
			tries++
			go func() {
				t := time.NewTimer(backoff(tries))
				defer t.Stop()
				select {
				case <-t.C:
					r.Partition, r.Offset, r.Timestamp = 0, 0, time.Time{}
					f.cl.Produce(ctx, r, p)
				case <-ctx.Done():
					f.metrics.Buffered.Dec()
				}
			}()
			return
		}
		f.metrics.Buffered.Dec()
		f.metrics.Records.Inc()
		f.metrics.Bytes.Add(float64(len(r.Key) + len(r.Value)))
		f.metrics.LastAck.SetToCurrentTime()
		f.mu.Lock()
		pl.left--
		f.advance()
		f.mu.Unlock()
	}
	return p
}

// logError logs a produce error at most every 10 s (the error names no payload).
func (f *Forwarder) logError(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if time.Since(f.lastErr) < 10*time.Second {
		return
	}
	f.lastErr = time.Now()
	f.log.Warn("produce failed; retrying (counted in waba_exporter_forward_produce_errors_total)", "topic", f.topic, "err", err)
}

// advance records, in order, the lines whose records are all acknowledged. Under f.mu.
func (f *Forwarder) advance() {
	for f.head < len(f.queue) && f.queue[f.head].left == 0 {
		pl := f.queue[f.head]
		f.prog.Record(pl.file, pl.off)
		f.queue[f.head] = nil
		f.head++
	}
	if f.head == len(f.queue) {
		f.queue, f.head = f.queue[:0], 0
	} else if f.head > 1024 && f.head > len(f.queue)/2 {
		n := copy(f.queue, f.queue[f.head:])
		clear(f.queue[n:])
		f.queue, f.head = f.queue[:n], 0
	}
}

// Positions returns the restore points of the acknowledged lines (for a checkpoint).
func (f *Forwarder) Positions() []tail.Position {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.prog.Positions()
}

// Pending returns the number of lines read whose records are not all acknowledged.
func (f *Forwarder) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.queue) - f.head
}
