package webhook

import (
	"math"
	"strconv"

	"github.com/valyala/fastjson"
	"github.com/waba-exporter/waba_exporter/model"
)

// Conversion lines (docs/conversions.md): a line of our own that the business appends to
// any tailed log,
//
//	{"waba_conversion": {"phone_number_id": "1065...", "customer": "4474...", "name":
//	 "purchase", "value": 49.9, "currency": "EUR", "timestamp": 1749090570}}
//
// decoded into one KindConversion event, whatever the log's format. A malformed one is
// ReasonBadConversion and yields no event. The rules:
//   - phone_number_id: a non-empty string or integer (Event.Business);
//   - customer: a non-empty string (or integer). It is a phone number (Event.Customer,
//     without a leading '+') when it is 6 to 15 digits after an optional '+'; anything
//     else (Meta's BSUIDs look like "US.1349..." or "user.fefb...") is a business-scoped
//     user id (Event.CustomerUserID), as docs/spec.md 4.9 links them;
//   - name: a string, "conversion" when absent or empty (bounded by the consumer);
//   - value: a JSON number, or a string holding one, finite and >= 0; 0 when absent;
//   - currency: an active ISO 4217 code, three upper-case letters; it may be absent only
//     when value is absent or 0;
//   - timestamp: required; unix seconds (ms above 1e12) as a number or digit string, or
//     RFC 3339 / ISO-8601 with offset; outside 2009..2099 is absurd.

// defaultConversionName names a conversion line without a name.
var defaultConversionName = []byte("conversion")

func (d *Decoder) decodeConversion(v *fastjson.Value) {
	if e := d.conversion(v); e != nil {
		d.fail(e)
		return
	}
	d.changes = append(d.changes, FieldConversion)
}

func (d *Decoder) conversion(v *fastjson.Value) *ParseError {
	o, err := v.Object()
	if err != nil {
		return errConvObject
	}
	var biz, cust, name, cur *fastjson.Value
	var val, ts *fastjson.Value
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "phone_number_id":
			biz = v
		case "customer":
			cust = v
		case "name":
			name = v
		case "value":
			val = v
		case "currency":
			cur = v
		case "timestamp":
			ts = v
		}
	})
	b := scalarBytes(d, biz)
	if len(b) == 0 {
		return errConvBusiness
	}
	c := scalarBytes(d, cust)
	if len(c) == 0 {
		return errConvCustomer
	}
	n := defaultConversionName
	if name != nil {
		if name.Type() != fastjson.TypeString {
			return errConvName
		}
		if s := name.GetStringBytes(); len(s) > 0 {
			n = s
		}
	}
	value, ok := conversionValue(val)
	if !ok {
		return errConvValue
	}
	var currency []byte
	if cur != nil {
		currency = cur.GetStringBytes()
		if !isISO4217(currency) {
			return errConvCurrency
		}
	} else if value != 0 {
		return errConvCurrency
	}
	if ts == nil {
		return errConvTimeMiss
	}
	t, ok := envelopeTime(ts)
	if !ok || t <= 0 {
		return errConvTimeBad
	}
	ev := d.add(&model.Event{Kind: model.KindConversion, Provider: model.ProviderBusiness, Field: FieldConversion})
	ev.Business = b
	if p, isPhone := phoneNumber(c); isPhone {
		ev.Customer = p
	} else {
		ev.CustomerUserID = c
	}
	ev.Time = t
	ev.ConversionName = n
	ev.ConversionValue = value
	ev.ConversionCurrency = currency
	return nil
}

// conversionValue reads value: absent is 0; a number or numeric string, finite, >= 0.
func conversionValue(v *fastjson.Value) (float64, bool) {
	if v == nil {
		return 0, true
	}
	var f float64
	switch v.Type() {
	case fastjson.TypeNumber:
		var err error
		if f, err = v.Float64(); err != nil {
			return 0, false
		}
	case fastjson.TypeString:
		var err error
		if f, err = strconv.ParseFloat(string(v.GetStringBytes()), 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, false
	}
	return f + 0, true // -0 is 0
}

// phoneNumber reports whether c is a phone number (6 to 15 digits after an optional '+')
// and returns its digits.
func phoneNumber(c []byte) ([]byte, bool) {
	if len(c) > 0 && c[0] == '+' {
		c = c[1:]
	}
	if len(c) < 6 || len(c) > 15 {
		return nil, false
	}
	for _, x := range c {
		if x < '0' || x > '9' {
			return nil, false
		}
	}
	return c, true
}

// iso4217 is every active ISO 4217 alphabetic code, sorted, three letters each (from the
// ISO 4217 list as published in Debian's iso-codes).
const iso4217 = "AEDAFNALLAMDANGAOAARSAUDAWGAZNBAMBBDBDTBGNBHDBIFBMDBNDBOBBOVBRLBSDBTNBWPBYNBZDCADCDFCHECHFCHWCLFCLPCNYCOPCOUCRCCUCCUPCVECZKDJFDKKDOPDZDEGPERNETBEURFJDFKPGBPGELGHSGIPGMDGNFGTQGYDHKDHNLHRKHTGHUFIDRILSINRIQDIRRISKJMDJODJPYKESKGSKHRKMFKPWKRWKWDKYDKZTLAKLBPLKRLRDLSLLYDMADMDLMGAMKDMMKMNTMOPMRUMURMVRMWKMXNMXVMYRMZNNADNGNNIONOKNPRNZDOMRPABPENPGKPHPPKRPLNPYGQARRONRSDRUBRWFSARSBDSCRSDGSEKSGDSHPSLESLLSOSSRDSSPSTNSVCSYPSZLTHBTJSTMTTNDTOPTRYTTDTWDTZSUAHUGXUSDUSNUYIUYUUYWUZSVEDVESVNDVUVWSTXAFXAGXAUXBAXBBXBCXBDXCDXDRXOFXPDXPFXPTXSUXTSXUAXXXYERZARZMWZWL"

// isISO4217 reports whether b is an active ISO 4217 currency code (upper case). It does
// not allocate.
func isISO4217(b []byte) bool {
	if len(b) != 3 {
		return false
	}
	lo, hi := 0, len(iso4217)/3
	for lo < hi {
		m := (lo + hi) / 2
		c := iso4217[3*m : 3*m+3]
		switch {
		case c == string(b):
			return true
		case c < string(b):
			lo = m + 1
		default:
			hi = m
		}
	}
	return false
}
