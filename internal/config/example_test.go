package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the generated files under ../../examples")

const (
	examplePath = "../../examples/waba_exporter.yml"
	schemaPath  = "../../examples/waba_exporter.schema.json"
)

// typePaths lists the field paths of t: list elements as [] and map entries as *.
func typePaths(t reflect.Type, prefix string, out map[string]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == durationType || t == limitType {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			name := yamlName(t.Field(i))
			if name == "" {
				continue
			}
			p := name
			if prefix != "" {
				p = prefix + "." + name
			}
			out[p] = true
			typePaths(t.Field(i).Type, p, out)
		}
	case reflect.Slice:
		typePaths(t.Elem(), prefix+"[]", out)
	case reflect.Map:
		out[prefix+".*"] = true
		typePaths(t.Elem(), prefix+".*", out)
	}
}

// nodePaths walks the example's node tree along type t, recording each field path seen
// and whether some occurrence of it carries a comment (on its key, or, for the first
// key of a list item, on the item).
func nodePaths(n *yaml.Node, t reflect.Type, prefix string, itemComment string, seen, commented map[string]bool) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == durationType || t == limitType {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		names := yamlFieldNames(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			idx, ok := names[k.Value]
			if !ok {
				continue
			}
			p := k.Value
			if prefix != "" {
				p = prefix + "." + k.Value
			}
			seen[p] = true
			if k.HeadComment != "" || k.LineComment != "" || (i == 0 && itemComment != "") {
				commented[p] = true
			}
			nodePaths(v, t.Field(idx).Type, p, "", seen, commented)
		}
	case reflect.Slice:
		for _, c := range n.Content {
			nodePaths(c, t.Elem(), prefix+"[]", c.HeadComment, seen, commented)
		}
	case reflect.Map:
		for i := 0; i+1 < len(n.Content); i += 2 {
			seen[prefix+".*"] = true
			commented[prefix+".*"] = true // entries are documented by the map's comment
			nodePaths(n.Content[i+1], t.Elem(), prefix+".*", "", seen, commented)
		}
	}
}

// TestExampleDocumentsEveryField proves that examples/waba_exporter.yml parses, sets
// every setting of the Go types at least once, and documents each with a comment.
func TestExampleDocumentsEveryField(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(data, filepath.Base(examplePath))
	if err != nil {
		t.Fatalf("example does not parse:\n%v", err)
	}
	if len(cfg.Inputs) == 0 || len(cfg.Quotas) == 0 || cfg.RateCard == nil {
		t.Errorf("example should show inputs, quotas and a rate card: %+v", cfg)
	}
	// The seed contract of SPEC 4.8.
	if cfg.Quotas[0].Limit != 5_870_000 || cfg.Quotas[0].Period.Type != PeriodCalendarMonth {
		t.Errorf("first quota = %+v, want the 5,870,000 per calendar month contract", cfg.Quotas[0])
	}

	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	typePaths(reflect.TypeOf(Config{}), "", want)
	seen, commented := map[string]bool{}, map[string]bool{}
	nodePaths(doc.Content[0], reflect.TypeOf(Config{}), "", "", seen, commented)
	var missing, undocumented []string
	for p := range want {
		if !seen[p] {
			missing = append(missing, p)
		} else if !commented[p] {
			undocumented = append(undocumented, p)
		}
	}
	sort.Strings(missing)
	sort.Strings(undocumented)
	if len(missing) > 0 {
		t.Errorf("settings missing from %s: %s", examplePath, strings.Join(missing, ", "))
	}
	if len(undocumented) > 0 {
		t.Errorf("settings without a comment in %s: %s", examplePath, strings.Join(undocumented, ", "))
	}
	if len(want) < 40 {
		t.Errorf("only %d field paths found: the type walk is broken", len(want))
	}
}

// TestSchemaUpToDate fails when the committed JSON Schema differs from what the Go types
// generate. Regenerate with: go test ./internal/config -run TestSchemaUpToDate -update
func TestSchemaUpToDate(t *testing.T) {
	got, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(schemaPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatalf("%v (generate it with: go test ./internal/config -update)", err)
	}
	if !bytes.Equal(committed, got) {
		t.Errorf("%s is stale; regenerate it with: go test ./internal/config -update", schemaPath)
	}
}
