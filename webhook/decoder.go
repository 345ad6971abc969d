package webhook

import (
	"strings"

	"github.com/valyala/fastjson"
	"github.com/waba-exporter/waba_exporter/model"
)

// Format selects how lines of an input are decoded.
type Format uint8

const (
	// FormatAuto detects the provider of every line on its own.
	FormatAuto Format = iota
	// FormatMeta accepts the Cloud API shape (object/entry/changes, a bare entry), which
	// 360dialog passes through and Gupshup v3 extends.
	FormatMeta
	// FormatOnPrem accepts the legacy On-Premises shape (top-level statuses/messages).
	FormatOnPrem
	// FormatTwilio accepts form-encoded Twilio callbacks.
	FormatTwilio
	// FormatGupshup accepts Gupshup v2 (app/type/payload) and v3 (the Meta shape).
	FormatGupshup
	// FormatInfobip accepts Infobip results[] reports and template update events.
	FormatInfobip
	numFormat
)

var formatNames = [...]string{"auto", "meta", "onprem", "twilio", "gupshup", "infobip"}

// String returns the config spelling of f (`auto`, `meta`, ...).
func (f Format) String() string {
	if f < numFormat {
		return formatNames[f]
	}
	return "auto"
}

// ParseFormat maps a config value (any case; empty means auto) to a Format.
func ParseFormat(s string) (Format, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return FormatAuto, true
	}
	for i, n := range formatNames {
		if n == s {
			return Format(i), true
		}
	}
	return FormatAuto, false
}

// Formats lists the config spellings of every Format, for help texts and validation.
func Formats() []string { return append([]string(nil), formatNames[:]...) }

// Envelope says where a receiver's log wrapper keeps the webhook body (docs/spec.md 3.2).
// The zero value means lines are raw bodies.
type Envelope struct {
	// BodyPath is the dot-separated path of the body inside a JSON envelope line, e.g.
	// "body" or "request.body" (keys containing dots are not supported). The value may be
	// a JSON object, or a string holding a JSON body or a raw form-encoded body. A line
	// without that path is decoded as a raw body, so raw and wrapped lines may be mixed.
	BodyPath string
	// TimePath is the dot-separated path of the receive time inside the envelope: a number
	// (unix seconds, or milliseconds when above 1e12) or a string (the same digits, or
	// RFC 3339). It replaces the recvTime passed to Decode; it is the event time only of
	// bodies that carry none (Twilio). Empty: none. An unreadable value is ignored.
	TimePath string
}

// Options configures a Decoder. The zero value decodes raw bodies of any known format.
type Options struct {
	// Format fixes the provider format of the input; FormatAuto detects it per line.
	Format Format
	// Envelope describes a JSON wrapper around the bodies, if the receiver logs one.
	Envelope Envelope
	// Business is the business identity given to events whose body names none (On-Prem
	// bodies, Infobip delivery reports and template events, Meta account-level fields).
	// Empty leaves Event.Business empty there.
	Business string
	// MaxLineBytes rejects longer lines with ReasonLineTooLong before parsing them;
	// 0 means no limit (the tailer enforces its own max_line_bytes).
	MaxLineBytes int
}

// Decoder decodes one line at a time. It is not safe for concurrent use: use one per
// goroutine. The events and their []byte fields are owned by the decoder and valid until
// its next call; the errors it returns are static *ParseError values.
//
// After warm-up (its buffers have grown to the largest line seen), decoding a Meta
// status or inbound webhook allocates nothing.
type Decoder struct {
	opts     Options
	bodyPath []string
	timePath []string
	business []byte

	p fastjson.Parser // parses the line
	// line is the fast path's own copy of the line (see metafast.go); noFast turns the
	// fast path off (differential tests).
	line   []byte
	pStr   fastjson.Parser // unescapes a string the fast path keeps
	noFast bool
	p2     fastjson.Parser // parses a body held as a string inside an envelope
	events []model.Event
	// scratch holds bytes the decoder produces itself (numbers rendered as text, decoded
	// form values). It is reset per Decode; events may point into it, so it is only ever
	// appended to within one call (a reallocation leaves earlier slices on the old array,
	// which stays valid).
	scratch []byte
	// changes holds the Field of every change decoded from the current line.
	changes []string
	// contacts holds the contacts[] of the change value being decoded (identity.go).
	contacts []contact
	// err is the first error met in the current line (a static value); nerr counts them.
	err  *ParseError
	nerr int
}

// NewDecoder returns a Decoder for opts.
func NewDecoder(opts Options) *Decoder {
	d := &Decoder{opts: opts, events: make([]model.Event, 0, 16), scratch: make([]byte, 0, 1024),
		contacts: make([]contact, 0, 8)}
	if opts.Envelope.BodyPath != "" {
		d.bodyPath = strings.Split(opts.Envelope.BodyPath, ".")
	}
	if opts.Envelope.TimePath != "" {
		d.timePath = strings.Split(opts.Envelope.TimePath, ".")
	}
	if opts.Business != "" {
		d.business = []byte(opts.Business)
	}
	return d
}

// Decode decodes one line (without its newline). recvTime (unix seconds, 0 if unknown) is
// the event time for bodies that carry none. It returns the events found, valid until the
// next call, and a non-nil error when the line, or a part of it, could not be decoded: a
// line may yield events and an error at once (e.g. one of three statuses has a bad
// timestamp); the caller counts the error once per line. A line that is empty or only
// white space yields neither.
//
// A non-nil error is always a *ParseError (a static value: returning it allocates
// nothing); errors.As, or errors.AsType[*ParseError], gives its Reason.
func (d *Decoder) Decode(line []byte, recvTime int64) ([]model.Event, error) {
	return d.decode(line, recvTime, false)
}

// DecodeInPlace is Decode for a caller that leaves line unchanged while it uses the
// events: they may point into line itself (the fast path then makes no copy of it), so
// they are valid until the next call and only while line's bytes are unchanged.
func (d *Decoder) DecodeInPlace(line []byte, recvTime int64) ([]model.Event, error) {
	return d.decode(line, recvTime, true)
}

// decode is Decode; inPlace lets the fast path read line itself, without its copy.
func (d *Decoder) decode(line []byte, recvTime int64, inPlace bool) ([]model.Event, error) {
	d.events = d.events[:0]
	d.scratch = d.scratch[:0]
	d.err, d.nerr = nil, 0
	d.changes = d.changes[:0]
	if d.opts.MaxLineBytes > 0 && len(line) > d.opts.MaxLineBytes {
		return nil, errLineTooLong
	}
	line = trimSpace(line)
	if len(line) == 0 {
		return nil, nil
	}
	if line[0] != '{' && line[0] != '[' {
		d.decodeNonJSON(line, recvTime, &d.p)
		return d.result()
	}
	if d.bodyPath == nil && !d.noFast && line[0] == '{' &&
		(d.opts.Format == FormatAuto || d.opts.Format == FormatMeta) && d.fastMeta(line, inPlace) {
		return d.result()
	}
	v, err := d.p.ParseBytes(line)
	if err != nil {
		return nil, errInvalidJSON
	}
	if v.Type() != fastjson.TypeObject {
		return nil, errNotObject
	}
	if d.bodyPath != nil {
		rt := recvTime
		if d.timePath != nil {
			if t, ok := envelopeTime(getPath(v, d.timePath)); ok {
				rt = t
			}
		}
		if b := getPath(v, d.bodyPath); b != nil {
			switch b.Type() {
			case fastjson.TypeObject:
				d.decodeBody(b, rt)
			case fastjson.TypeString:
				s := trimSpace(b.GetStringBytes())
				if len(s) == 0 {
					d.fail(errEnvelopeEmpty)
				} else if s[0] == '{' || s[0] == '[' {
					bv, err := d.p2.ParseBytes(s)
					switch {
					case err != nil:
						d.fail(errInvalidJSON)
					case bv.Type() != fastjson.TypeObject:
						d.fail(errNotObject)
					default:
						d.decodeBody(bv, rt)
					}
				} else {
					d.decodeNonJSON(s, rt, &d.p2)
				}
			default:
				d.fail(errEnvelopeBody)
			}
			return d.result()
		}
		d.decodeBody(v, rt)
		return d.result()
	}
	d.decodeBody(v, recvTime)
	return d.result()
}

// ChangeFields returns the Field of every webhook change decoded from the last line: one
// entry per Meta `changes[]` item that had a value (whatever number of events it gave),
// and one per body for the other providers. It feeds waba_exporter_events_total{field},
// which counts changes, not events. Valid until the next Decode; entries are static.
func (d *Decoder) ChangeFields() []string { return d.changes }

// noteBody records one change for a non-Meta body whose events start at index start.
func (d *Decoder) noteBody(start int) {
	if len(d.events) > start {
		d.changes = append(d.changes, d.events[start].Field)
	}
}

// result returns the line's events and its first error. The error is converted to the
// error interface only when there is one: a nil *ParseError in an interface is not nil.
func (d *Decoder) result() ([]model.Event, error) {
	if len(d.events) == 0 {
		if d.err == nil {
			// Every decoder reports what it cannot use; this is a safety net.
			return nil, errUnknownFormat
		}
		return nil, d.err
	}
	if d.err == nil {
		return d.events, nil
	}
	return d.events, d.err
}

// fail records e as the line's error unless one is recorded already.
func (d *Decoder) fail(e *ParseError) {
	d.nerr++
	if d.err == nil {
		d.err = e
	}
}

// decodeNonJSON handles a line (or envelope body) that does not start like a JSON object:
// a form-encoded body, a bare JSON scalar, or garbage. p parses a scalar, when needed.
func (d *Decoder) decodeNonJSON(b []byte, recvTime int64, p *fastjson.Parser) {
	if looksLikeForm(b) {
		if d.opts.Format != FormatAuto && d.opts.Format != FormatTwilio {
			d.fail(errUnknownFormat)
			return
		}
		d.decodeTwilio(b, recvTime)
		return
	}
	switch c := b[0]; {
	case c == '"' || c == '-' || ('0' <= c && c <= '9') || c == 't' || c == 'f' || c == 'n':
		if _, err := p.ParseBytes(b); err == nil {
			d.fail(errNotObject)
			return
		}
	}
	d.fail(errInvalidJSON)
}

// decodeBody dispatches a parsed JSON object body to the decoder of its format. One pass
// over the top-level keys (scanTop) serves detection and every decoder.
func (d *Decoder) decodeBody(v *fastjson.Value, recvTime int64) {
	tk := scanTop(v)
	if tk.conversion != nil {
		// A conversion line may be appended to a log of any format (docs/conversions.md).
		d.decodeConversion(tk.conversion)
		return
	}
	var ok bool
	switch d.opts.Format {
	case FormatMeta:
		ok = d.tryMeta(v, &tk, recvTime)
	case FormatOnPrem:
		ok = d.tryOnPrem(&tk, recvTime)
	case FormatGupshup:
		ok = d.tryGupshup(&tk, recvTime) || d.tryMeta(v, &tk, recvTime)
	case FormatInfobip:
		ok = d.tryInfobip(v, &tk, recvTime)
	case FormatTwilio:
		// Twilio bodies are forms; a JSON body is not one.
	default:
		ok = d.tryMeta(v, &tk, recvTime) || d.tryOnPrem(&tk, recvTime) ||
			d.tryGupshup(&tk, recvTime) || d.tryInfobip(v, &tk, recvTime)
	}
	if !ok {
		d.fail(errUnknownFormat)
	}
}

// getPath follows an object path without ever indexing arrays (fastjson's Get would try
// to read a key as an array index, which allocates on failure).
func getPath(v *fastjson.Value, path []string) *fastjson.Value {
	for _, k := range path {
		if v == nil || v.Type() != fastjson.TypeObject {
			return nil
		}
		v = v.Get(k)
	}
	return v
}

// envelopeTime reads a receive time: a number or digit string (s or ms) or RFC 3339.
func envelopeTime(v *fastjson.Value) (int64, bool) {
	if v == nil {
		return 0, false
	}
	if v.Type() == fastjson.TypeString {
		b := v.GetStringBytes()
		if t, ok := parseISO8601(b); ok {
			return t, true
		}
	}
	t, r := unixTime(v)
	return t, r == ReasonNone
}

// trimSpace drops surrounding white space and a leading UTF-8 byte order mark.
func trimSpace(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf {
		b = b[3:]
	}
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// add appends a zeroed event carrying the common fields of base and returns it. The
// pointer is valid until the next add.
func (d *Decoder) add(base *model.Event) *model.Event {
	d.events = append(d.events, *base)
	return &d.events[len(d.events)-1]
}

// drop removes the last added event (it turned out to be invalid).
func (d *Decoder) drop() { d.events = d.events[:len(d.events)-1] }

// fillBusiness applies Options.Business to events of this line that name no business.
func (d *Decoder) fillBusiness(from int) {
	if d.business == nil {
		return
	}
	for i := from; i < len(d.events); i++ {
		if len(d.events[i].Business) == 0 {
			d.events[i].Business = d.business
		}
	}
}
