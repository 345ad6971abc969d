package campaign

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func mustParser(t testing.TB, c Config) *Parser {
	t.Helper()
	p, err := NewParser(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParse(t *testing.T) {
	long := strings.Repeat("c", 64)
	kv := Config{}
	cases := []struct {
		name string
		cfg  Config
		raw  string
		want Outcome
		c, v string
		tmpl string
	}{
		{"defaults", kv, "campaign=spring;variant=B", Tagged, "spring", "B", ""},
		{"order reversed, spaces trimmed", kv, " variant = A ;  campaign = summer drop ", Tagged, "summer drop", "A", ""},
		{"no variant is variant none", kv, "campaign=spring", Tagged, "spring", "none", ""},
		{"empty variant is none", kv, "campaign=spring;variant=", Tagged, "spring", "none", ""},
		{"an order id is no tag", kv, "order-4711", NoTag, "", "", ""},
		{"other keys only", kv, "utm=x;variant=B", NoTag, "", "", ""},
		{"empty campaign is no tag", kv, "campaign=;variant=B", NoTag, "", "", ""},
		{"keys are case sensitive", kv, "Campaign=x", NoTag, "", "", ""},
		{"first key wins", kv, "campaign=a;campaign=b;variant=1;variant=2", Tagged, "a", "1", ""},
		{"value may hold the assign", kv, "campaign=a=b", Tagged, "a=b", "none", ""},
		{"pairs without assign are skipped", kv, ";;junk;campaign=x;", Tagged, "x", "none", ""},
		{"64 bytes ok", kv, "campaign=" + long, Tagged, long, "none", ""},
		{"65 bytes refused", kv, "campaign=" + long + "c", Refused, "", "", ""},
		{"long variant refused", kv, "campaign=a;variant=" + long + "v", Refused, "", "", ""},
		{"control byte refused", kv, "campaign=a\x01b", Refused, "", "", ""},
		{"DEL refused", kv, "campaign=a\x7f", Refused, "", "", ""},
		{"invalid UTF-8 refused", kv, "campaign=a\xff", Refused, "", "", ""},
		{"unicode printable kept", kv, "campaign=café ☕;variant=β", Tagged, "café ☕", "β", ""},
		{"zero-width space refused", kv, "campaign=a\u200bb", Refused, "", "", ""},
		{"reserved none refused", kv, "campaign=none", Refused, "", "", ""},
		{"reserved other refused", kv, "campaign=other", Refused, "", "", ""},
		{"template key", Config{TemplateKey: "tpl"}, "campaign=a;tpl=promo_v2;variant=B", Tagged, "a", "B", "promo_v2"},
		{"custom separators", Config{KVSeparator: "&", KVAssign: ":", CampaignKey: "c", VariantKey: "v"}, "c:x&v:y", Tagged, "x", "y", ""},
		{"multi-byte separator", Config{KVSeparator: "||"}, "campaign=a|b||variant=C", Tagged, "a|b", "C", ""},
		{"json", Config{Format: "json"}, `{"campaign":"spring","variant":"B","x":[1]}`, Tagged, "spring", "B", ""},
		{"json number variant", Config{Format: "json"}, `{"variant":2,"campaign":"spring"}`, Tagged, "spring", "2", ""},
		{"json escaped", Config{Format: "json"}, `{"campaign":"caf\u00e9"}`, Tagged, "café", "none", ""},
		{"json not an object", Config{Format: "json"}, `campaign=spring`, NoTag, "", "", ""},
		{"json array", Config{Format: "json"}, `[{"campaign":"a"}]`, NoTag, "", "", ""},
		{"json invalid", Config{Format: "json"}, `{"campaign":`, NoTag, "", "", ""},
		{"json nested value ignored", Config{Format: "json"}, `{"campaign":{"a":1}}`, NoTag, "", "", ""},
		{"json template", Config{Format: "json", TemplateKey: "t"}, `{"campaign":"a","t":"x"}`, Tagged, "a", "none", "x"},
		{"regex", Config{Format: "regex", Pattern: `^cmp-(?P<campaign>[a-z_]+)-(?P<variant>[A-Z])$`}, "cmp-spring_sale-B", Tagged, "spring_sale", "B", ""},
		{"regex no match", Config{Format: "regex", Pattern: `^cmp-(?P<campaign>[a-z]+)$`}, "order-1", NoTag, "", "", ""},
		{"regex optional variant", Config{Format: "regex", Pattern: `^(?P<campaign>\w+)(?:/(?P<variant>\w+))?$`}, "spring", Tagged, "spring", "none", ""},
		{"empty", kv, "", NoTag, "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParser(t, tc.cfg)
			tag, o := p.Parse([]byte(tc.raw))
			if o != tc.want || string(tag.Campaign) != tc.c || string(tag.Variant) != tc.v || string(tag.Template) != tc.tmpl {
				t.Fatalf("Parse(%q) = %q/%q/%q %v, want %q/%q/%q %v", tc.raw, tag.Campaign, tag.Variant, tag.Template, o,
					tc.c, tc.v, tc.tmpl, tc.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		cfg   Config
		field string
	}{
		{Config{}, ""},
		{Config{Format: "xml"}, "campaigns.format"},
		{Config{KVSeparator: "=", KVAssign: "="}, "campaigns.kv_assign"},
		{Config{Format: "regex"}, "campaigns.pattern"},
		{Config{Format: "regex", Pattern: "("}, "campaigns.pattern"},
		{Config{Format: "regex", Pattern: "(?P<camp>x)"}, "campaigns.pattern"},
		{Config{VariantKey: "campaign"}, "campaigns.variant_key"},
		{Config{TemplateKey: "variant"}, "campaigns.template_key"},
		{Config{MaxCampaigns: -1}, "campaigns.max_campaigns"},
		{Config{MaxVariants: 300}, "campaigns.max_variants"},
		{Config{Campaigns: []string{"ok", "bad\x00"}}, "campaigns.campaigns"},
		{Config{Campaigns: []string{"none"}}, "campaigns.campaigns"},
		{Config{Variants: []string{strings.Repeat("v", 65)}}, "campaigns.variants"},
		{Config{ExpireAfter: 24 * 3600e9}, "campaigns.expire_after"}, // 1d < 7d window
		{Config{Attribution: "linear"}, "campaigns.attribution"},
		{Config{MaxTouches: 100}, "campaigns.max_touches"},
		{Config{ControlVariant: "\t"}, "campaigns.control_variant"},
		{Config{MaxConversionNames: -3}, "campaigns.max_conversion_names"},
	}
	for i, tc := range cases {
		err := tc.cfg.WithDefaults().Validate()
		var fe *FieldError
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("case %d: unexpected %v", i, err)
		case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field || !strings.HasPrefix(err.Error(), tc.field+": ")):
			t.Errorf("case %d: error %v, want one naming %s", i, err, tc.field)
		}
	}
	if _, err := NewParser(Config{Format: "xml"}); err == nil {
		t.Error("NewParser accepted a bad format")
	}
}

// Parsing a kv or json tag allocates nothing once warm.
func TestParseZeroAllocs(t *testing.T) {
	for _, c := range []struct {
		cfg Config
		raw string
	}{
		{Config{}, "campaign=spring_sale;variant=B"},
		{Config{TemplateKey: "t"}, "t=x;campaign=spring_sale;variant=B"},
		{Config{Format: "json"}, `{"campaign":"spring_sale","variant":2}`},
	} {
		p := mustParser(t, c.cfg)
		raw := []byte(c.raw)
		if _, o := p.Parse(raw); o != Tagged {
			t.Fatalf("%q: %v", c.raw, o)
		}
		if a := testing.AllocsPerRun(200, func() { p.Parse(raw) }); a != 0 {
			t.Errorf("%q: %.1f allocations per Parse", c.raw, a)
		}
	}
}

// FuzzParse: any value, in every format, is NoTag, Refused, or a Tagged tag whose labels
// are clean (1..64 bytes of printable UTF-8, campaign not reserved); never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"campaign=spring;variant=B", `{"campaign":"a","variant":"b"}`, "cmp-a-B",
		"campaign= \x00;variant=\xff", ";;=;=campaign", "campaign=none", `{"campaign":1e400}`} {
		f.Add([]byte(s))
	}
	parsers := []*Parser{
		mustParser(f, Config{}),
		mustParser(f, Config{TemplateKey: "template", KVSeparator: "&", KVAssign: ":"}),
		mustParser(f, Config{Format: "json", TemplateKey: "t"}),
		mustParser(f, Config{Format: "regex", Pattern: `cmp-(?P<campaign>[^-]*)-?(?P<variant>.*)`}),
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for i, p := range parsers {
			tag, o := p.Parse(raw)
			switch o {
			case Tagged:
				for _, l := range [][]byte{tag.Campaign, tag.Variant} {
					if len(l) == 0 || len(l) > MaxLabelLen || !utf8.Valid(l) || clean(l) != okValue {
						t.Fatalf("parser %d: label %q from %q", i, l, raw)
					}
				}
				if s := string(tag.Campaign); s == LabelNone || s == LabelOther {
					t.Fatalf("parser %d: reserved campaign from %q", i, raw)
				}
				if tag.Template != nil && clean(tag.Template) != okValue {
					t.Fatalf("parser %d: template %q", i, tag.Template)
				}
			case NoTag, Refused:
				if tag.Campaign != nil || tag.Variant != nil {
					t.Fatalf("parser %d: %v with labels", i, o)
				}
			default:
				t.Fatalf("parser %d: outcome %d", i, o)
			}
		}
	})
}
