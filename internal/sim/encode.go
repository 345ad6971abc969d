package sim

import (
	"strconv"
	"unicode/utf8"
)

// JSON is written by hand with append functions: compact, keys in Meta's order, and
// strings escaped as Meta's encoder does (non-ASCII as \uXXXX with surrogate pairs, and
// "/" as "\/"), so that every line is pure ASCII.

const hexDigits = "0123456789abcdef"

// appendStr appends s as a JSON string.
func appendStr(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '/':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r >= 0x10000 {
			r -= 0x10000
			dst = appendU(dst, 0xD800+(r>>10))
			dst = appendU(dst, 0xDC00+(r&0x3FF))
			continue
		}
		dst = appendU(dst, r)
	}
	return append(dst, '"')
}

func appendU(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&15], hexDigits[r>>8&15], hexDigits[r>>4&15], hexDigits[r&15])
}

// appendKey appends "key": (key must need no escaping).
func appendKey(dst []byte, key string) []byte {
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

// appendKV appends "key":"value".
func appendKV(dst []byte, key, val string) []byte {
	return appendStr(appendKey(dst, key), val)
}

// appendKVInt appends "key":n.
func appendKVInt(dst []byte, key string, n int64) []byte {
	return strconv.AppendInt(appendKey(dst, key), n, 10)
}

// appendKVIntStr appends "key":"n" (Meta sends most timestamps as strings).
func appendKVIntStr(dst []byte, key string, n int64) []byte {
	dst = append(appendKey(dst, key), '"')
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, '"')
}

// appendEnvelopeStart opens a `messages`-field webhook of phone p up to the opening of
// the value, with messaging_product and metadata written.
func appendEnvelopeStart(dst []byte, p int) []byte {
	ph := &phones[p]
	dst = append(dst, `{"object":"whatsapp_business_account","entry":[{"id":"`...)
	dst = append(dst, ph.waba...)
	dst = append(dst, `","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"`...)
	dst = append(dst, ph.display...)
	dst = append(dst, `","phone_number_id":"`...)
	dst = append(dst, ph.id...)
	return append(dst, `"},`...)
}

// appendEnvelopeEnd closes what appendEnvelopeStart opened, with the given field.
func appendEnvelopeEnd(dst []byte, field string) []byte {
	dst = append(dst, `},"field":"`...)
	dst = append(dst, field...)
	return append(dst, `"}]}]}`...)
}

// appendAccountStart opens an account-level webhook (no metadata): entry id and time.
func appendAccountStart(dst []byte, waba string, t int64) []byte {
	dst = append(dst, `{"entry":[{"id":"`...)
	dst = append(dst, waba...)
	dst = append(dst, `","time":`...)
	dst = strconv.AppendInt(dst, t, 10)
	return append(dst, `,"changes":[{"value":{`...)
}

// appendAccountEnd closes what appendAccountStart opened.
func appendAccountEnd(dst []byte, field string) []byte {
	dst = append(dst, `},"field":"`...)
	dst = append(dst, field...)
	return append(dst, `"}]}],"object":"whatsapp_business_account"}`...)
}

// appendErrors appends "errors":[{...}] for code.
func appendErrors(dst []byte, code int) []byte {
	e := errorCodes[code]
	dst = append(dst, `"errors":[{"code":`...)
	dst = strconv.AppendInt(dst, int64(code), 10)
	dst = append(dst, ',')
	dst = appendKV(dst, "title", e.title)
	dst = append(dst, ',')
	dst = appendKV(dst, "message", e.title)
	dst = append(dst, `,"error_data":{`...)
	dst = appendKV(dst, "details", e.details)
	dst = append(dst, "},"...)
	dst = appendKV(dst, "href", errorHref)
	return append(dst, "}]"...)
}
