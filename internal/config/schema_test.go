package config

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// checkSchema validates doc (decoded YAML) against the subset of JSON Schema that
// JSONSchema emits: type, properties, additionalProperties, required, items, enum,
// pattern, anyOf, propertyNames, exclusiveMinimum. It returns one message per problem.
func checkSchema(s map[string]any, doc any, path string) []string {
	var errs []string
	if alts, ok := s["anyOf"].([]any); ok {
		for _, a := range alts {
			if len(checkSchema(a.(map[string]any), doc, path)) == 0 {
				return nil
			}
		}
		return []string{path + ": matches no alternative"}
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(doc) {
				found = true
			}
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s: %v not in enum", path, doc))
		}
	}
	switch s["type"] {
	case "object":
		m, ok := doc.(map[string]any)
		if !ok {
			return append(errs, path+": not an object")
		}
		props, _ := s["properties"].(map[string]any)
		for _, r := range asStrings(s["required"]) {
			if _, ok := m[r]; !ok {
				errs = append(errs, path+": missing required "+r)
			}
		}
		if pn, ok := s["propertyNames"].(map[string]any); ok {
			for k := range m {
				errs = append(errs, checkSchema(pn, k, path+"."+k+"(name)")...)
			}
		}
		for k, v := range m {
			if ps, ok := props[k]; ok {
				errs = append(errs, checkSchema(ps.(map[string]any), v, path+"."+k)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					errs = append(errs, path+": unknown property "+k)
				}
			case map[string]any:
				errs = append(errs, checkSchema(ap, v, path+"."+k)...)
			}
		}
	case "array":
		a, ok := doc.([]any)
		if !ok {
			return append(errs, path+": not an array")
		}
		for i, v := range a {
			errs = append(errs, checkSchema(s["items"].(map[string]any), v, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case "string":
		str, ok := doc.(string)
		if !ok {
			return append(errs, fmt.Sprintf("%s: %v is not a string", path, doc))
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			errs = append(errs, fmt.Sprintf("%s: %q does not match %s", path, str, p))
		}
	case "integer":
		if _, ok := doc.(int); !ok {
			errs = append(errs, fmt.Sprintf("%s: %v is not an integer", path, doc))
		}
	case "number":
		var f float64
		switch v := doc.(type) {
		case int:
			f = float64(v)
		case float64:
			f = v
		default:
			return append(errs, fmt.Sprintf("%s: %v is not a number", path, doc))
		}
		if min, ok := s["exclusiveMinimum"].(float64); ok && f <= min {
			errs = append(errs, fmt.Sprintf("%s: %v <= %v", path, f, min))
		}
	case "boolean":
		if _, ok := doc.(bool); !ok {
			errs = append(errs, fmt.Sprintf("%s: %v is not a boolean", path, doc))
		}
	}
	sort.Strings(errs)
	return errs
}

func asStrings(v any) []string {
	a, _ := v.([]any)
	out := make([]string, len(a))
	for i, x := range a {
		out[i] = x.(string)
	}
	return out
}

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	b, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s["$schema"] != SchemaID || s["additionalProperties"] != false {
		t.Fatalf("schema header = %v %v", s["$schema"], s["additionalProperties"])
	}
	return s
}

// TestSchemaAcceptsExample checks that the generated schema accepts the documented
// example, which Parse accepts too.
func TestSchemaAcceptsExample(t *testing.T) {
	s := loadSchema(t)
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if errs := checkSchema(s, doc, "$"); len(errs) > 0 {
		t.Errorf("schema rejects the example:\n%s", strings.Join(errs, "\n"))
	}
}

// TestSchemaRejects checks that the schema expresses the strictness and the enums of
// Parse for documents that Parse rejects too.
func TestSchemaRejects(t *testing.T) {
	s := loadSchema(t)
	cases := []struct{ yaml, want string }{
		{"colour: red\n", "$: unknown property colour"},
		{"inputs:\n  - path: a\n    format: twillio\n", "$.inputs[0].format: twillio not in enum"},
		{"inputs:\n  - format: meta\n", "$.inputs[0]: missing required path"},
		{"reply: {window: 1 day}\n", `$.reply.window: "1 day" does not match ` + durationPattern},
		{"messaging_limits: {\"1\": TIER_1X}\n", "$.messaging_limits.1: matches no alternative"},
		{"messaging_limits: {\"1\": 0}\n", "$.messaging_limits.1: matches no alternative"},
		{"labels: {error_code_cap: many}\n", "$.labels.error_code_cap: many is not an integer"},
		{"rate_card: {currency: USD, default: {marketng: 1}}\n", "$.rate_card.default.marketng(name): marketng not in enum"},
		{"quotas:\n  - {name: q, limit: 1}\n", "$.quotas[0]: missing required unit"},
	}
	for _, tc := range cases {
		if _, err := Parse([]byte(tc.yaml), "t.yml"); err == nil {
			t.Errorf("Parse accepts %q: the case is not a bad config", tc.yaml)
		}
		var doc any
		if err := yaml.Unmarshal([]byte(tc.yaml), &doc); err != nil {
			t.Fatal(err)
		}
		errs := checkSchema(s, doc, "$")
		if strings.Join(errs, "\n") != tc.want {
			t.Errorf("schema on %q:\n got: %q\nwant: %q", tc.yaml, errs, tc.want)
		}
	}
}

// TestSchemaDefaults checks the defaults the schema advertises against Default and the
// list elements' defaults.
func TestSchemaDefaults(t *testing.T) {
	s := loadSchema(t)
	get := func(path ...string) any {
		var cur any = s
		for _, p := range path {
			cur = cur.(map[string]any)[p]
		}
		return cur
	}
	cases := []struct {
		path []string
		want string
	}{
		{[]string{"properties", "labels", "properties", "error_code_cap", "default"}, "30"},
		{[]string{"properties", "labels", "properties", "country_enabled", "default"}, "true"},
		{[]string{"properties", "state", "properties", "message_ttl", "default"}, "7d1h"},
		{[]string{"properties", "opt_out", "properties", "keywords", "default"}, "[STOP UNSUBSCRIBE]"},
		{[]string{"properties", "inputs", "items", "properties", "format", "default"}, "auto"},
		{[]string{"properties", "inputs", "items", "properties", "max_line_bytes", "default"}, "4.194304e+06"},
		{[]string{"properties", "quotas", "items", "properties", "period", "properties", "timezone", "default"}, "UTC"},
		{[]string{"properties", "quotas", "items", "properties", "period", "properties", "type", "default"}, "calendar_month"},
	}
	for _, tc := range cases {
		if got := fmt.Sprint(get(tc.path...)); got != tc.want {
			t.Errorf("%s = %s, want %s", strings.Join(tc.path, "."), got, tc.want)
		}
	}
}

// TestDurationPatternAgreesWithParse checks the schema's duration pattern against
// ParseDuration on the spellings the example and the docs use, and on the ones it must
// refuse. The pattern is looser than Parse only on unit order ("1h7d").
func TestDurationPatternAgreesWithParse(t *testing.T) {
	re := regexp.MustCompile(durationPattern)
	for _, in := range []string{"0", "90s", "36h", "1h30m", "7d", "7d1h", "2w", "1y", "250ms",
		"1.5h", "250us", "35d", "1s500ms", "1.5d", "7", "d", "7days", "1 day", "-1h", "", "1fortnight"} {
		_, err := ParseDuration(in)
		if got, want := re.MatchString(in), err == nil; got != want {
			t.Errorf("%q: pattern matches = %v, ParseDuration accepts = %v (%v)", in, got, want, err)
		}
	}
}
