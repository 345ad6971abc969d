// Package pipeline connects the stages: lines (from tail, or any reader) are decoded by
// package webhook and applied to the window state machine, with the per-logfile line,
// byte and parse-error accounting of docs/metrics.md section 10.
//
// Run is the engine every mode uses (run, replay, demo, the benchmark): lines from a
// Source, decoded ahead on a goroutine of its own, applied in order, progress recorded
// in-band. ApplyLines and Apply are for tests and small inputs.
//
// Invariants:
//   - One goroutine applies lines (Run's, or the caller of Apply*); the state machine and the counters change only
//     under the write lock, a whole batch at a time. Readers (the Collector at scrape, the
//     checkpointer) take the read lock through Read, so what they see is consistent: the
//     counters, the state and the applied file offsets all describe the same prefix of
//     the input.
//   - Decoding happens before the lock is taken (Decoded batches own their bytes, so a
//     decoder may run on its own goroutine ahead of the applying one); nothing here
//     blocks on I/O under the lock.
//   - Errors never carry payload content: a rejected line is logged with its logfile,
//     offset and reason only, through the (rate-limited) logger.
package pipeline

import (
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
)

// SourceCounts are the counters of one logfile (a configured path or glob).
type SourceCounts struct {
	Lines       uint64
	Bytes       uint64
	ParseErrors [webhook.NumReason]uint64
}

// Pipeline decodes lines and applies them to a Machine.
type Pipeline struct {
	mu      sync.RWMutex
	m       *window.Machine
	hasher  window.Hasher // m's, taken at New: decoders hash event ids with it off the lock
	sources map[string]*SourceCounts
	order   []string
	log     *slog.Logger

	decOpts atomic.Pointer[map[string]webhook.Options] // copy on write (SetDecoderOptions)
	defOpts webhook.Options

	optsMu  sync.Mutex // serialises SetDecoderOptions
	dec     *Decoder   // ApplyLines' own decoder and batch (one calling goroutine)
	scratch Decoded

	// The last source applied and its counters: lines come in runs of one file.
	lastName string
	lastSrc  *SourceCounts
}

// New returns a Pipeline applying to m. decoders maps a logfile (source) to its decoder
// options; sources not in the map use def.
func New(m *window.Machine, def webhook.Options, decoders map[string]webhook.Options, log *slog.Logger) *Pipeline {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := make(map[string]webhook.Options, len(decoders))
	for k, v := range decoders {
		opts[k] = v
	}
	p := &Pipeline{
		m:       m,
		hasher:  m.Hasher(),
		sources: map[string]*SourceCounts{},
		log:     log,
		defOpts: def,
	}
	p.decOpts.Store(&opts)
	return p
}

// SetDecoderOptions sets the decoder options of a logfile (an input added or changed by a
// reload). Decoders pick the change up at their next line of that logfile.
func (p *Pipeline) SetDecoderOptions(source string, opts webhook.Options) {
	p.optsMu.Lock()
	defer p.optsMu.Unlock()
	old := p.decOpts.Load()
	next := make(map[string]webhook.Options, len(*old)+1)
	for k, v := range *old {
		next[k] = v
	}
	next[source] = opts
	p.decOpts.Store(&next)
}

// AddSource makes a logfile known before any line of it is read, so its series exist.
func (p *Pipeline) AddSource(source string) {
	p.mu.Lock()
	p.source(source)
	p.mu.Unlock()
}

func (p *Pipeline) source(name string) *SourceCounts {
	s, ok := p.sources[name]
	if !ok {
		s = &SourceCounts{}
		p.sources[name] = s
		p.order = append(p.order, name)
	}
	return s
}

// ApplyLines decodes lines (before taking the lock) and applies them, in order, as one
// unit under the write lock. recvTime (unix seconds) is the receive time for bodies
// without their own; 0 means the event-time watermark (replay: the "read time" of a file
// from the past). ApplyLines is for one goroutine, and for small inputs and tests: Run
// is the engine.
func (p *Pipeline) ApplyLines(lines []Line, recvTime int64) {
	if p.dec == nil {
		p.dec = p.NewDecoder()
	}
	p.dec.Decode(&p.scratch, lines, recvTime)
	p.Apply(&p.scratch)
}

// ApplyLine applies one line (tests, small inputs).
func (p *Pipeline) ApplyLine(source string, data []byte, recvTime int64) {
	p.ApplyLines([]Line{{Source: source, Data: data}}, recvTime)
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// RestoreCounts sets the per-logfile counters from a checkpoint (before any line).
func (p *Pipeline) RestoreCounts(counts map[string]SourceCounts) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, c := range counts {
		*p.source(name) = c
	}
}

// Flush releases the state machine's reorder buffer (end of a replay).
func (p *Pipeline) Flush() {
	p.mu.Lock()
	p.m.Flush()
	p.mu.Unlock()
}

// Tick lets wall-clock time reach the state machine (live mode, when the inputs are read
// to their end): see window.Machine.Tick.
func (p *Pipeline) Tick(now int64) {
	p.mu.Lock()
	p.m.Tick(now)
	p.mu.Unlock()
}

// View is what Read hands to readers.
type View struct {
	Machine *window.Machine
	Sources []string // in first-seen order
	Counts  map[string]*SourceCounts
}

// Read calls fn under the read lock. fn must not retain anything it is given.
func (p *Pipeline) Read(fn func(v View)) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	fn(View{Machine: p.m, Sources: p.order, Counts: p.sources})
}

// Update calls fn under the write lock (checkpoint restore, reload of live settings).
func (p *Pipeline) Update(fn func(v View)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(View{Machine: p.m, Sources: p.order, Counts: p.sources})
}
