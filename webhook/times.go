package webhook

import (
	"github.com/valyala/fastjson"

	"github.com/waba-exporter/waba_exporter/model"
)

// Plausible event times, in unix seconds. Anything outside is ReasonBadTimestamp: the
// WhatsApp Business API did not exist before 2009, and a time after 2100 is a unit or
// generator error. The decoder has no clock, so "in the future" is judged by the window.
const (
	minUnix = 1230768000 // 2009-01-01T00:00:00Z
	maxUnix = 4102444800 // 2100-01-01T00:00:00Z
	// msThreshold: larger values are milliseconds (1e12 ms is 2001-09-09).
	msThreshold = 1_000_000_000_000
)

// normUnix turns seconds or milliseconds into checked unix seconds.
func normUnix(t int64) (int64, bool) {
	if t > msThreshold {
		t /= 1000
	}
	if t < minUnix || t > maxUnix {
		return 0, false
	}
	return t, true
}

// unixTime reads a timestamp given as a JSON number or a string of digits (seconds, or
// milliseconds above 1e12; a fractional part is truncated). It returns ReasonMissingField
// for a nil value and ReasonBadTimestamp for anything unparsable or implausible.
func unixTime(v *fastjson.Value) (int64, Reason) {
	if v == nil {
		return 0, ReasonMissingField
	}
	var t int64
	switch v.Type() {
	case fastjson.TypeNumber:
		f, err := v.Float64()
		if err != nil || f != f || f < 0 || f > 1e16 {
			return 0, ReasonBadTimestamp
		}
		t = int64(f)
	case fastjson.TypeString:
		var ok bool
		if t, ok = parseDecimal(v.GetStringBytes()); !ok {
			return 0, ReasonBadTimestamp
		}
	default:
		return 0, ReasonBadTimestamp
	}
	t, ok := normUnix(t)
	if !ok {
		return 0, ReasonBadTimestamp
	}
	return t, ReasonNone
}

// optUnix reads an optional timestamp: 0 when absent or unreadable.
func optUnix(v *fastjson.Value) int64 {
	t, r := unixTime(v)
	if r != ReasonNone {
		return 0
	}
	return t
}

// parseDecimal parses unsigned digits with an optional fractional part (truncated), at
// most 16 integer digits.
func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	i := 0
	for ; i < len(b) && b[i] != '.'; i++ {
		c := b[i]
		if c < '0' || c > '9' || i >= 16 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if i == 0 {
		return 0, false
	}
	if i < len(b) { // fraction: digits only
		if i+1 == len(b) {
			return 0, false
		}
		for _, c := range b[i+1:] {
			if c < '0' || c > '9' {
				return 0, false
			}
		}
	}
	return n, true
}

// parseInt parses an optionally signed integer of at most 18 digits.
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseISO8601 parses `YYYY-MM-DDThh:mm:ss[.frac][Z|±hh:mm|±hhmm|±hh]` (a space may stand
// for `T`; no zone means UTC) into checked unix seconds, without allocating.
func parseISO8601(b []byte) (int64, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't' && b[10] != ' ') ||
		b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 60 {
		return 0, false
	}
	rest := b[19:]
	if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return 0, false
		}
		rest = rest[i:]
	}
	var offset int64
	switch {
	case len(rest) == 0:
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case rest[0] == '+' || rest[0] == '-':
		z := rest[1:]
		var oh, om int64
		var ok bool
		switch len(z) {
		case 2:
			oh, ok = digits(z)
		case 4:
			var okm bool
			oh, ok = digits(z[:2])
			om, okm = digits(z[2:])
			ok = ok && okm
		case 5:
			var okm bool
			oh, ok = digits(z[:2])
			om, okm = digits(z[3:])
			ok = ok && okm && z[2] == ':'
		}
		if !ok || oh > 23 || om > 59 {
			return 0, false
		}
		offset = oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	t := daysFromCivil(year, month, day)*86400 + hour*3600 + minute*60 + sec - offset
	return normUnix(t)
}

func digits(b []byte) (int64, bool) {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func daysIn(year, month int64) int64 {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date
// (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// lower is model.Lower (ASCII lower-casing into a stack buffer, for switches).
func lower(buf *[32]byte, b []byte) []byte { return model.Lower(buf, b) }
