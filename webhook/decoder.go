package webhook

import "github.com/valyala/fastjson"

// Format selects how lines of an input are decoded.
type Format uint8

const (
	FormatAuto Format = iota
	FormatMeta
	FormatOnPrem
	FormatTwilio
	FormatGupshup
	FormatInfobip
)

// Options configures a Decoder. The zero value decodes raw bodies of any known format.
type Options struct {
	Format Format
}

// Decoder decodes one line at a time. It is not safe for concurrent use: use one per
// goroutine. The slices it returns are reused by the next call.
type Decoder struct {
	opts   Options
	p      fastjson.Parser
	events []Event
}

// NewDecoder returns a Decoder for opts.
func NewDecoder(opts Options) *Decoder {
	return &Decoder{opts: opts, events: make([]Event, 0, 16)}
}

// Decode decodes one line (without its newline). recvTime (unix seconds, 0 if unknown) is
// the event time for bodies that carry none. It returns the events found, valid until the
// next call, and a non-nil error when the line, or a part of it, could not be decoded: a
// line may yield events and an error at once (e.g. one of three statuses has a bad
// timestamp); the caller counts the error once per line.
func (d *Decoder) Decode(line []byte, recvTime int64) ([]Event, *ParseError) {
	d.events = d.events[:0]
	v, err := d.p.ParseBytes(line)
	if err != nil {
		return nil, &ParseError{Reason: ReasonInvalidJSON}
	}
	_ = v
	_ = recvTime
	return d.events, &ParseError{Reason: ReasonUnknownFormat}
}
