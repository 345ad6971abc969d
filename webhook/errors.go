package webhook

// Reason is the bounded cause of a rejected line; its String is the `reason` label of
// waba_exporter_parse_errors_total.
type Reason uint8

const (
	ReasonNone Reason = iota
	ReasonInvalidJSON
	ReasonUnknownFormat
	ReasonLineTooLong
	ReasonUnexpectedObject
	ReasonMissingField
	ReasonBadTimestamp
	ReasonUnknownStatus
	NumReason
)

var reasonNames = [...]string{"none", "invalid_json", "unknown_format", "line_too_long", "unexpected_object", "missing_field", "bad_timestamp", "unknown_status"}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown_format"
}

// Reasons lists every reason, for pre-initialising label grids.
func Reasons() []Reason {
	out := make([]Reason, 0, NumReason-1)
	for r := ReasonInvalidJSON; r < NumReason; r++ {
		out = append(out, r)
	}
	return out
}

// ParseError is a line (or part of one) that could not be decoded. It carries no payload
// content: safe to log.
type ParseError struct {
	Reason Reason
	// Detail is a static, content-free description (e.g. "statuses[].timestamp").
	Detail string
}

func (e *ParseError) Error() string {
	if e.Detail == "" {
		return "webhook: " + e.Reason.String()
	}
	return "webhook: " + e.Reason.String() + ": " + e.Detail
}
