package sim

import (
	"bufio"
	"context"
	"io"
	"math"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/heap"
)

// Options configure a Sim. Zero values take the documented defaults.
type Options struct {
	// Seed fixes every byte of the output.
	Seed int64
	// Start is the event time of the first history event. Zero: 2025-08-01T00:00:00Z for
	// Next/WriteN (per-message pricing era), now minus 30 days for Play. A Start before
	// 2025-07-01 produces conversation-based pricing (CBP) until the switch.
	Start time.Time
	// Customers is the customer pool size (default 5000; Play raises the default, up to
	// 200000, so that the live traffic gives a customer about two messages a day).
	Customers int
	// Rate is the traffic intensity in lines per simulated second for Next and WriteN
	// (default 0.5, about 43k lines a simulated day). Play sets its own intensity.
	Rate float64
	// HistoryLines bounds the history Play writes before going live (default 300000): the
	// history intensity is the lower of the live one and HistoryLines over its span.
	HistoryLines int
	// MaxPending bounds planned but not yet written lines (default 262144). While it is
	// reached, new traffic units are skipped (counted in Stats), so memory stays bounded.
	MaxPending int
	// RetryRate is the share of bodies delivered a second time, byte-identical, later
	// (default 0.006; negative disables retries).
	RetryRate float64
	// Sleep waits for d or until ctx is done (Play's live pacing); default a timer.
	// Tests inject one that advances a fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Stats are counters about the simulation itself (not about the traffic's content).
type Stats struct {
	Lines        int64 // lines returned by Next
	Retries      int64 // of which byte-identical retries
	SkippedUnits int64 // traffic units not generated because MaxPending was reached
	Unclassified int64 // statuses written before their message was classified (must be 0)
	Conversions  int64 // conversion lines planned (campaigns.go)
}

// Message categories (own category of an outbound message; service = free-form).
const (
	catMarketing = iota
	catUtility
	catAuthentication
	catService
	nCat
	catReferral = nCat // conversation origin / CBP category of free entry point messages
)

var catNames = [...]string{"marketing", "utility", "authentication", "service", "referral_conversion"}

// Statuses.
const (
	stSent = iota + 1
	stDelivered
	stRead
	stPlayed
	stFailed
)

var stNames = [...]string{"", "sent", "delivered", "read", "played", "failed"}

// PMP pricing types.
const (
	ptNone = iota
	ptRegular
	ptFreeCustomerService
	ptFreeEntryPoint
)

var ptNames = [...]string{"", "regular", "free_customer_service", "free_entry_point"}

// What a message opens when delivered.
const (
	opensNothing = iota
	opensConversation
	opensFEP
)

// convID is a conversation (or free entry point window) id, written as 32 hex digits.
type convID [16]byte

// omsg is one outbound message: what was generated, and how the pricing model classified
// it at its send second. It lives while statuses of it are pending.
type omsg struct {
	id        string
	opaque    string
	cust      int32
	phone     uint8
	cat       uint8
	err       int32 // failure code, 0 when it does not fail
	dsec      int64 // delivery second: `delivered`, or `read` when no delivered; -1 never
	skipDeliv bool  // read without a delivered status
	priceOn   uint8 // the status besides `sent` that carries pricing
	kcamp     uint8 // campaign variant: 0 none, 1 A, 2 B (campaigns.go)

	classified bool
	cbp        bool  // reports pricing_model CBP
	pcat       uint8 // pricing.category (catReferral for CBP free entry point messages)
	ptype      uint8 // PMP pricing.type
	opens      uint8
	hasConv    bool // reports a conversation object
	conv       convID
	origin     uint8
	expSent    int64 // expiration_timestamp on `sent` (0: none)
	expDeliv   int64 // expiration_timestamp on the priceOn status (openers only)
}

// Kinds of pending output.
const (
	itemStatus = iota
	itemLine
	itemRetry
)

// outItem is a pending line (itemLine, itemRetry: prebuilt) or status (rendered at
// emission, batched with others of the same number).
type outItem struct {
	at    int64 // arrival time, unix microseconds
	seq   uint64
	ts    int64 // event time, unix seconds (statuses)
	m     *omsg
	line  []byte
	kind  uint8
	st    uint8
	phone uint8
}

// Phases of the pricing model within one second: inbound messages, then sends
// (classified), then deliveries (which open conversations and FEP windows).
const (
	phaseInbound = iota
	phaseSend
	phaseDeliver
)

// modelEv is an event of the pricing model, applied in (second, phase, seq) order.
type modelEv struct {
	key      int64 // second<<2 | phase
	seq      uint64
	m        *omsg
	pair     int32
	referral bool
}

// source is a planned generator of traffic; fire runs it at t and returns when to run
// it next (ok false: done).
type source interface {
	fire(s *Sim, t float64) (next float64, ok bool)
}

type genTask struct {
	t   float64
	seq uint64
	src source
}

// rateSchedule gives the intensity (lines per simulated second) at a time: base, then a
// linear ramp to live over the ramp seconds before liveFrom.
type rateSchedule struct {
	base, live, liveFrom, ramp float64
}

func (r *rateSchedule) at(t float64) float64 {
	switch {
	case t >= r.liveFrom:
		return r.live
	case r.ramp <= 0 || t <= r.liveFrom-r.ramp:
		return r.base
	}
	return r.base + (r.live-r.base)*(t-(r.liveFrom-r.ramp))/r.ramp
}

// Sim is the simulator. It is not safe for concurrent use.
type Sim struct {
	opts    Options
	r       rng      // traffic
	cr      rng      // conversation ids (own stream: classification shifts no traffic choice)
	kr      rng      // campaign variants and conversions (own stream, campaigns.go)
	camp    *campTag // the campaign of the marketing send being planned, else nil
	campV   campTag
	started bool
	poolSet bool    // Options.Customers was given
	t0      float64 // start, unix seconds
	rate    rateSchedule

	custWA      []string
	custName    []string
	custCountry []uint8
	phoneCust   [nPhones][]int32
	pairIdx     []int32 // customer*nPhones + phone -> 1 + index of its state, 0: none yet
	slabs       []*[slabSize]pairState
	nStates     int

	out   heap.Heap[outItem]
	model heap.Heap[modelEv]
	gen   heap.Heap[genTask]
	seq   uint64

	quality  [nPhones]qualityState
	tierSent bool    // a volume pricing tier update has been written (the first account update is one)
	stopped  []int32 // recently opted-out pairs, a bounded ring for resumes
	stoppedN int

	batch []outItem
	stats Stats
	// observe, when set (tests), learns every outbound message's own category.
	observe func(id string, cat uint8)
}

// Default values.
const (
	defaultCustomers    = 5000
	maxAutoCustomers    = 200000
	defaultRate         = 0.5
	defaultHistoryLines = 300000
	defaultMaxPending   = 1 << 18
	defaultRetryRate    = 0.006
)

var defaultStart = time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)

// New returns a simulator for opts. Nothing is generated until Next, WriteN or Play.
func New(opts Options) *Sim {
	poolSet := opts.Customers > 0
	if !poolSet {
		opts.Customers = defaultCustomers
	}
	if opts.Rate <= 0 {
		opts.Rate = defaultRate
	}
	if opts.HistoryLines <= 0 {
		opts.HistoryLines = defaultHistoryLines
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = defaultMaxPending
	}
	if opts.RetryRate == 0 {
		opts.RetryRate = defaultRetryRate
	} else if opts.RetryRate < 0 {
		opts.RetryRate = 0
	}
	if opts.Sleep == nil {
		opts.Sleep = timerSleep
	}
	s := &Sim{opts: opts, poolSet: poolSet}
	s.r = newRNG(opts.Seed, 1)
	s.cr = newRNG(opts.Seed, 2)
	s.kr = newRNG(opts.Seed, 3)
	s.out = heap.New(func(a, b *outItem) bool { return a.at < b.at || (a.at == b.at && a.seq < b.seq) })
	s.model = heap.New(func(a, b *modelEv) bool { return a.key < b.key || (a.key == b.key && a.seq < b.seq) })
	s.gen = heap.New(func(a, b *genTask) bool { return a.t < b.t || (a.t == b.t && a.seq < b.seq) })
	s.rate = rateSchedule{base: opts.Rate, live: opts.Rate, liveFrom: math.Inf(1)}
	return s
}

// Stats returns counters about the run so far.
func (s *Sim) Stats() Stats { return s.stats }

// start builds the customer pool and plans the first sources, once.
func (s *Sim) start(at time.Time) {
	if s.started {
		return
	}
	s.started = true
	if at.IsZero() {
		at = defaultStart
	}
	s.t0 = float64(at.Unix())
	s.makeCustomers()
	s.planSources()
}

// Next appends the next line (no trailing newline) to dst and returns it, with the line's
// log (arrival) time. It never returns an empty line and is deterministic for a seed.
func (s *Sim) Next(dst []byte) ([]byte, time.Time) {
	s.start(s.opts.Start)
	for {
		if s.out.Len() > 0 {
			top := s.out.Peek()
			// Everything that can affect the pricing of the lines batched into this one
			// (arrival <= top+1 s, so sent at a second <= floor(top)+1) is planned by
			// sources due before floor(top)+2.
			lim := floorDiv(top.at, 1e6) + 2
			if s.gen.Peek().t >= float64(lim) {
				s.applyModel(lim)
				return s.emit(dst)
			}
		}
		s.fireNext()
	}
}

// WriteN writes n lines (each followed by "\n") to w.
func (s *Sim) WriteN(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var line []byte
	for range n {
		line, _ = s.Next(line[:0])
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (s *Sim) nextSeq() uint64 { s.seq++; return s.seq }

func (s *Sim) fireNext() {
	g := s.gen.Pop()
	if next, ok := g.src.fire(s, g.t); ok {
		s.addSource(next, g.src)
	}
}

func (s *Sim) addSource(t float64, src source) {
	s.gen.Push(genTask{t: t, seq: s.nextSeq(), src: src})
}

// applyModel applies the pricing model events of every second below lim.
func (s *Sim) applyModel(lim int64) {
	for s.model.Len() > 0 && s.model.Peek().key < lim<<2 {
		ev := s.model.Pop()
		sec := ev.key >> 2
		switch ev.key & 3 {
		case phaseInbound:
			s.inboundSeen(ev.pair, sec, ev.referral)
		case phaseSend:
			s.classify(ev.m, sec)
		case phaseDeliver:
			s.deliver(ev.m, sec)
		}
	}
}

func (s *Sim) pushModel(sec int64, phase int, ev modelEv) {
	ev.key = sec<<2 | int64(phase)
	ev.seq = s.nextSeq()
	s.model.Push(ev)
}

// full reports whether new traffic must be skipped to keep memory bounded.
func (s *Sim) full() bool {
	if s.out.Len() >= s.opts.MaxPending {
		s.stats.SkippedUnits++
		return true
	}
	return false
}

// latency draws the delay between an event and its webhook's arrival: most within 2 s,
// 2% minutes late.
func (s *Sim) latency() float64 {
	d := 0.15 + s.r.exp(0.45)
	if s.r.chance(0.02) {
		d += s.r.uniform(5, 300)
	}
	return d
}

func micros(t float64) int64 { return int64(math.Floor(t * 1e6)) }

// pushStatus plans a status of m with event time ts (its webhook arrives later).
func (s *Sim) pushStatus(m *omsg, st uint8, ts float64) {
	s.out.Push(outItem{at: micros(ts + s.latency()), seq: s.nextSeq(), ts: int64(math.Floor(ts)), m: m, kind: itemStatus, st: st, phone: m.phone})
}

// pushLine plans a prebuilt line for event time t.
func (s *Sim) pushLine(t float64, line []byte) {
	s.out.Push(outItem{at: micros(t + s.latency()), seq: s.nextSeq(), line: line, kind: itemLine})
}

// batchCap draws how many statuses of one number may share a webhook.
func (s *Sim) batchCap() int {
	r := s.r.float()
	switch {
	case r < 0.5:
		return 1
	case r < 0.72:
		return 2
	case r < 0.84:
		return 3
	case r < 0.92:
		return 4
	}
	k := 5
	for k < 10 && s.r.chance(0.55) {
		k++
	}
	return k
}

// emit pops the next line (a batch of statuses, or a prebuilt line) and appends it.
func (s *Sim) emit(dst []byte) ([]byte, time.Time) {
	top := s.out.Pop()
	at := top.at
	start := len(dst)
	retried := top.kind == itemRetry
	switch top.kind {
	case itemLine, itemRetry:
		dst = append(dst, top.line...)
	default:
		s.batch = append(s.batch[:0], top)
		for n := s.batchCap(); len(s.batch) < n && s.out.Len() > 0; {
			nx := s.out.Peek()
			if nx.kind != itemStatus || nx.phone != top.phone || nx.at > at+1e6 {
				break
			}
			s.batch = append(s.batch, s.out.Pop())
		}
		dst = appendEnvelopeStart(dst, int(top.phone))
		dst = append(dst, `"statuses":[`...)
		for i := range s.batch {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = s.appendStatus(dst, &s.batch[i])
			s.batch[i] = outItem{}
		}
		dst = append(dst, ']')
		dst = appendEnvelopeEnd(dst, "messages")
	}
	s.stats.Lines++
	if retried {
		s.stats.Retries++
	} else if s.opts.RetryRate > 0 && s.r.chance(s.opts.RetryRate) && s.out.Len() < s.opts.MaxPending {
		var d float64
		switch r := s.r.float(); {
		case r < 0.7:
			d = s.r.uniform(20, 180)
		case r < 0.95:
			d = s.r.uniform(300, 1800)
		default:
			d = s.r.uniform(3600, 4*3600)
		}
		cp := append([]byte(nil), dst[start:]...)
		s.out.Push(outItem{at: at + micros(d), seq: s.nextSeq(), line: cp, kind: itemRetry})
	}
	return dst, time.UnixMicro(at).UTC()
}
