package campaign

import (
	"bytes"
	"regexp"
	"unicode"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// Reserved label values. LabelNone is the campaign and variant of unattributed
// conversions, and the variant of a tag that names none; LabelOther is what values beyond
// the caps or outside an allowlist fold into. A tag whose campaign is one of them is
// refused.
const (
	LabelNone  = "none"
	LabelOther = "other"
)

// Outcome is what reading one tag value gave.
type Outcome uint8

const (
	// NoTag: no value, or a value without the campaign key (an order id, say), or with
	// an empty campaign. Not an error: the message is untagged.
	NoTag Outcome = iota
	// Tagged: a campaign (and variant) was read.
	Tagged
	// Refused: the value names a campaign, but the campaign, variant or template is
	// longer than MaxLabelLen, not printable UTF-8, or a reserved label. The message is
	// counted untagged and the refusal is counted (Stats.Refused).
	Refused
)

var outcomeNames = [...]string{"no_tag", "tagged", "refused"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "no_tag"
}

// Tag is a parsed tag value. Its slices alias the parsed value or the Parser's buffers:
// valid until the next Parse. Variant is LabelNone when the value names no variant;
// Template is nil unless Config.TemplateKey is set and found.
type Tag struct {
	Campaign, Variant, Template []byte
}

var labelNone = []byte(LabelNone)

// Parser reads tag values per a Config. It is not safe for concurrent use. Parsing a kv
// or json value allocates nothing after warm-up; regex matching allocates (Go's regexp).
type Parser struct {
	format  uint8 // fmtKV, fmtJSON, fmtRegex
	sep, as []byte
	ck, vk  []byte
	tk      []byte
	re      *regexp.Regexp
	ci, vi  int // regex group indexes; -1 absent
	ti      int
	jp      fastjson.Parser
	scratch []byte
	reason  RefuseReason // of the last Refused outcome
}

// RefuseReason says why a tag was refused.
type RefuseReason uint8

const (
	RefusedTooLong      RefuseReason = iota // a value over MaxLabelLen bytes
	RefusedNotPrintable                     // not printable UTF-8
	RefusedReserved                         // a campaign named none or other
	NumRefuseReasons
)

// RefuseReasonNames are the `reason` label values of refused tags.
var RefuseReasonNames = [NumRefuseReasons]string{"too_long", "not_printable", "reserved"}

// Reason is why the last Parse returned Refused.
func (p *Parser) Reason() RefuseReason { return p.reason }

const (
	fmtKV = iota
	fmtJSON
	fmtRegex
)

// NewParser returns a Parser for c (defaults applied); the error is Validate's.
func NewParser(c Config) (*Parser, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	p := &Parser{sep: []byte(c.KVSeparator), as: []byte(c.KVAssign),
		ck: []byte(c.CampaignKey), vk: []byte(c.VariantKey), ci: -1, vi: -1, ti: -1}
	if c.TemplateKey != "" {
		p.tk = []byte(c.TemplateKey)
	}
	switch c.Format {
	case "json":
		p.format = fmtJSON
	case "regex":
		p.format = fmtRegex
		p.re = regexp.MustCompile(c.Pattern) // Validate compiled it
		p.ci = p.re.SubexpIndex(c.CampaignKey)
		p.vi = p.re.SubexpIndex(c.VariantKey)
		if c.TemplateKey != "" {
			p.ti = p.re.SubexpIndex(c.TemplateKey)
		}
	}
	return p, nil
}

// Parse reads raw (an Event.CampaignTag). The returned Tag is set only when the outcome
// is Tagged.
func (p *Parser) Parse(raw []byte) (Tag, Outcome) {
	var t Tag
	var found bool
	switch p.format {
	case fmtKV:
		t, found = p.kv(raw)
	case fmtJSON:
		t, found = p.json(raw)
	default:
		t, found = p.regex(raw)
	}
	t.Campaign = trim(t.Campaign)
	if !found || len(t.Campaign) == 0 {
		return Tag{}, NoTag
	}
	t.Variant, t.Template = trim(t.Variant), trim(t.Template)
	if len(t.Variant) == 0 {
		t.Variant = labelNone
	}
	if string(t.Campaign) == LabelNone || string(t.Campaign) == LabelOther {
		p.reason = RefusedReserved
		return Tag{}, Refused
	}
	for _, v := range [3][]byte{t.Campaign, t.Variant, t.Template} {
		switch clean(v) {
		case tooLong:
			p.reason = RefusedTooLong
			return Tag{}, Refused
		case notPrintable:
			p.reason = RefusedNotPrintable
			return Tag{}, Refused
		}
	}
	if len(t.Template) == 0 {
		t.Template = nil
	}
	return t, Tagged
}

// kv reads `k=v;k=v`: pairs split at the separator, key and value at the first assign,
// both trimmed of spaces; keys compare exactly (case matters); the first pair with a key
// wins; a pair without the assign is skipped.
func (p *Parser) kv(raw []byte) (t Tag, found bool) {
	var haveV, haveT bool
	for len(raw) > 0 {
		var pair []byte
		if i := bytes.Index(raw, p.sep); i >= 0 {
			pair, raw = raw[:i], raw[i+len(p.sep):]
		} else {
			pair, raw = raw, nil
		}
		j := bytes.Index(pair, p.as)
		if j < 0 {
			continue
		}
		k, v := trim(pair[:j]), pair[j+len(p.as):]
		switch {
		case !found && bytes.Equal(k, p.ck):
			t.Campaign, found = v, true
		case !haveV && bytes.Equal(k, p.vk):
			t.Variant, haveV = v, true
		case !haveT && p.tk != nil && bytes.Equal(k, p.tk):
			t.Template, haveT = v, true
		}
	}
	return t, found
}

// json reads a JSON object; the keys' values are strings or numbers (as written). A value
// that is not a JSON object is no tag. Of repeated keys the first wins.
func (p *Parser) json(raw []byte) (t Tag, found bool) {
	raw = trim(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return t, false
	}
	v, err := p.jp.ParseBytes(raw)
	if err != nil {
		return t, false
	}
	p.scratch = p.scratch[:0]
	t.Campaign, found = p.jsonField(v, p.ck)
	t.Variant, _ = p.jsonField(v, p.vk)
	if p.tk != nil {
		t.Template, _ = p.jsonField(v, p.tk)
	}
	return t, found
}

func (p *Parser) jsonField(v *fastjson.Value, key []byte) ([]byte, bool) {
	o, err := v.Object()
	if err != nil {
		return nil, false
	}
	var out []byte
	var found bool
	o.Visit(func(k []byte, x *fastjson.Value) {
		if found || !bytes.Equal(k, key) {
			return
		}
		switch x.Type() {
		case fastjson.TypeString:
			out, found = x.GetStringBytes(), true
		case fastjson.TypeNumber:
			n := len(p.scratch)
			p.scratch = x.MarshalTo(p.scratch)
			out, found = p.scratch[n:len(p.scratch):len(p.scratch)], true
		}
	})
	return out, found
}

// regex: the first match; the campaign group must have matched.
func (p *Parser) regex(raw []byte) (t Tag, found bool) {
	m := p.re.FindSubmatchIndex(raw)
	if m == nil || m[2*p.ci] < 0 {
		return t, false
	}
	grp := func(i int) []byte {
		if i < 0 || m[2*i] < 0 {
			return nil
		}
		return raw[m[2*i]:m[2*i+1]]
	}
	return Tag{Campaign: grp(p.ci), Variant: grp(p.vi), Template: grp(p.ti)}, true
}

func trim(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

type cleanResult uint8

const (
	okValue cleanResult = iota
	emptyValue
	tooLong
	notPrintable
)

// clean checks a label value: 1 to MaxLabelLen bytes of valid UTF-8, every rune
// printable (unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII
// space). It does not allocate.
func clean(b []byte) cleanResult {
	if len(b) == 0 {
		return emptyValue
	}
	if len(b) > MaxLabelLen {
		return tooLong
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return notPrintable
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return notPrintable
		}
		i += n
	}
	return okValue
}
