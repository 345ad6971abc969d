package pipeline

import (
	"errors"
	"unsafe"

	"github.com/waba-exporter/waba_exporter/model"
	"github.com/waba-exporter/waba_exporter/tail"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
)

// Decoded is a batch of lines decoded into events that own their bytes (copied into the
// batch's arena), with the keyed hashes of their ids (keys[i] for events[i]), so that
// decoding and hashing can run ahead of applying, on another goroutine, and outside the
// pipeline's lock. A Decoded is reused batch after batch without allocating
// once its buffers have grown.
type Decoded struct {
	lines  []decLine
	events []model.Event
	keys   []window.Keys
	fields []string
	arena  []byte
	idle   bool // no lines: the source had nothing pending (Run calls Hooks.Idle)
	// lent, when set, is the tailer batch holding the lines, lent to the batch until it
	// is applied: events point into its lines (only what lies outside them is copied
	// into the arena), and Run releases it once the batch is applied.
	lent *tail.Batch
}

// release gives back the lent tailer batch, if any.
func (d *Decoded) release() {
	d.lent.Release()
	d.lent = nil
}

type decLine struct {
	source   string
	file     *tail.File // recorded in the Progress once applied (nil: none)
	offset   int64
	size     uint64 // bytes including the newline
	ev0, ev1 int    // events[ev0:ev1]
	f0, f1   int    // fields[f0:f1]
	perr     *webhook.ParseError
	recvTime int64
	blank    bool
	tooLong  bool // skipped by the tailer for its length: a parse error, not a line read
}

// Bytes is the number of input bytes (lines and their newlines) in the batch.
func (d *Decoded) Bytes() int64 {
	var n int64
	for i := range d.lines {
		n += int64(d.lines[i].size)
	}
	return n
}

// Decoder decodes lines for one goroutine, with the pipeline's per-source options.
type Decoder struct {
	p        *Pipeline
	opts     *map[string]webhook.Options // the options the cached decoders were made with
	decs     map[string]*webhook.Decoder
	lastName string
	lastDec  *webhook.Decoder
}

// NewDecoder returns a Decoder for one goroutine.
func (p *Pipeline) NewDecoder() *Decoder {
	return &Decoder{p: p, decs: map[string]*webhook.Decoder{}}
}

func (d *Decoder) decoder(source string) *webhook.Decoder {
	if cur := d.p.decOpts.Load(); cur != d.opts {
		// Options changed (a reload): decoders are rebuilt as lines come.
		d.opts, d.decs, d.lastDec = cur, map[string]*webhook.Decoder{}, nil
	}
	if d.lastDec != nil && source == d.lastName {
		return d.lastDec
	}
	dec, ok := d.decs[source]
	if !ok {
		opts, ok := (*d.opts)[source]
		if !ok {
			opts = d.p.defOpts
		}
		dec = webhook.NewDecoder(opts)
		d.decs[source] = dec
	}
	d.lastName, d.lastDec = source, dec
	return dec
}

// Decode decodes lines into dst (reset first). recvTime (unix seconds) is the receive
// time for bodies without their own; 0 means the event-time watermark at the moment the
// line is applied (replay: the "read time" of a file from the past).
func (d *Decoder) Decode(dst *Decoded, lines []Line, recvTime int64) {
	d.decode(dst, lines, recvTime, false)
}

// decode is Decode; lent says the bytes of lines stay valid until dst is applied (a lent
// tailer batch), so that events may point into them: only the bytes an event holds
// outside its line (decoder memory, reused at the next line) are copied into the arena.
func (d *Decoder) decode(dst *Decoded, lines []Line, recvTime int64, lent bool) {
	dst.lines, dst.events, dst.keys = dst.lines[:0], dst.events[:0], dst.keys[:0]
	dst.fields, dst.arena = dst.fields[:0], dst.arena[:0]
	for i := range lines {
		l := &lines[i]
		dl := decLine{source: l.Source, file: l.File, offset: l.Offset, size: uint64(len(l.Data)) + 1, recvTime: recvTime}
		if l.TooLong {
			dl.tooLong, dl.size = true, 0
			dst.lines = append(dst.lines, dl)
			continue
		}
		if len(l.Data) == 0 || isBlank(l.Data) {
			dl.blank = true
			dst.lines = append(dst.lines, dl)
			continue
		}
		dec := d.decoder(l.Source)
		// In place: the line is unchanged until its events are owned, just below (a lent
		// line stays so until the batch is applied).
		events, err := dec.DecodeInPlace(l.Data, recvTime)
		if err != nil {
			// Decode's errors are static *webhook.ParseError values: AsType allocates nothing.
			dl.perr, _ = errors.AsType[*webhook.ParseError](err)
		}
		dl.ev0 = len(dst.events)
		for j := range events {
			dst.events = append(dst.events, events[j])
			ev := &dst.events[len(dst.events)-1]
			if lent {
				dst.ownOutside(ev, l.Data)
			} else {
				dst.own(ev)
			}
			if recvTime != 0 {
				ev.TimeFromReceive = ev.Time == recvTime
			}
			dst.keys = append(dst.keys, d.p.hasher.Keys(ev))
		}
		dl.ev1 = len(dst.events)
		dl.f0 = len(dst.fields)
		dst.fields = append(dst.fields, dec.ChangeFields()...)
		dl.f1 = len(dst.fields)
		dst.lines = append(dst.lines, dl)
	}
}

// own copies every byte field of ev into the arena: the decoder reuses its memory at the
// next line.
func (dst *Decoded) own(ev *model.Event) {
	for _, f := range ev.ByteFields() {
		if len(*f) == 0 {
			*f = nil
			continue
		}
		start := len(dst.arena)
		dst.arena = append(dst.arena, *f...)
		*f = dst.arena[start:len(dst.arena):len(dst.arena)]
	}
}

// ownOutside is own for the byte fields of ev that do not lie within line, whose bytes
// outlive the batch (a lent tailer batch); those within it are kept where they are.
func (dst *Decoded) ownOutside(ev *model.Event, line []byte) {
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(line)))
	hi := lo + uintptr(len(line))
	for _, f := range ev.ByteFields() {
		n := len(*f)
		if n == 0 {
			*f = nil
			continue
		}
		// An address compared, never converted back: no pointer is made from it.
		if p := uintptr(unsafe.Pointer(unsafe.SliceData(*f))); p >= lo && p+uintptr(n) <= hi {
			*f = (*f)[:n:n]
			continue
		}
		start := len(dst.arena)
		dst.arena = append(dst.arena, *f...)
		*f = dst.arena[start:len(dst.arena):len(dst.arena)]
	}
}

// Apply applies a decoded batch, in order, as one unit under the write lock (callers
// driving their own loop; Run records progress as well).
func (p *Pipeline) Apply(d *Decoded) { p.apply(d, nil) }

// apply applies d under the write lock and, under the same lock, records the File and
// Offset of each line in rec (if not nil), so that offsets and state describe the same
// prefix of the input.
//
// Lines are recorded a run of one file at a time (one call for a batch from one file),
// always before the lock is let go.
func (p *Pipeline) apply(d *Decoded, rec Recorder) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var run struct {
		f      *tail.File
		offset int64
		n      int
	}
	if rec != nil {
		defer func() { rec.RecordLines(run.f, run.offset, run.n) }()
	}
	for i := range d.lines {
		dl := &d.lines[i]
		if p.lastSrc == nil || dl.source != p.lastName {
			p.lastName, p.lastSrc = dl.source, p.source(dl.source)
		}
		s := p.lastSrc
		if rec != nil && dl.file != nil {
			if dl.file != run.f {
				rec.RecordLines(run.f, run.offset, run.n)
				run.f, run.n = dl.file, 0
			}
			run.offset = dl.offset
			run.n++
		}
		if dl.tooLong {
			// Not a line read: its bytes are in no counter, as in the tailer's reads.
			s.ParseErrors[webhook.ReasonLineTooLong]++
			continue
		}
		s.Lines++
		s.Bytes += dl.size
		if dl.blank {
			continue
		}
		p.m.CountFields(d.fields[dl.f0:dl.f1])
		for j := dl.ev0; j < dl.ev1; j++ {
			ev := &d.events[j]
			if dl.recvTime == 0 && ev.Time == 0 {
				// No time of its own: the read time of a replay is the watermark.
				ev.Time, ev.TimeFromReceive = p.m.Watermark(), true
			}
			p.m.ApplyKeys(ev, &d.keys[j])
		}
		if dl.perr != nil {
			s.ParseErrors[dl.perr.Reason]++
			p.log.Warn("webhook line rejected", "logfile", dl.source, "offset", dl.offset, "reason", dl.perr.Reason.String(), "error", dl.perr.Error())
		}
	}
}
