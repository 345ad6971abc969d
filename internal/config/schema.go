package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// SchemaID is the $schema dialect of the generated JSON Schema.
const SchemaID = "https://json-schema.org/draft/2020-12/schema"

// durationPattern matches the usual spellings ParseDuration accepts: Prometheus syntax
// (integer counts of y, w, d, h, m, s, ms) or Go syntax (fractions; ns, us, µs, ms, s, m,
// h). It does not check that Prometheus units come largest first; Parse does.
const durationPattern = `^(0|([0-9]+(y|w|d|h|m|s|ms))+|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`

// JSONSchema returns a JSON Schema (draft 2020-12) of the configuration file, generated
// by reflection from the Go types: yaml tags give the property names, doc tags the
// descriptions, enum types their values, required tags the required properties, and
// Default plus the list elements' defaults the "default" keywords. Editors use it for
// completion and checking; Parse remains the authority (it also checks cross-field rules
// that the schema does not express). The output is deterministic.
func JSONSchema() ([]byte, error) {
	s := schemaFor(reflect.TypeOf(Config{}), reflect.ValueOf(*Default()))
	s["$schema"] = SchemaID
	s["title"] = "waba_exporter configuration"
	s["description"] = "Configuration file of waba_exporter (YAML). Unknown keys are errors; absent keys take their defaults."
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// schemaFor describes type t; def, when valid and not zero, gives the default value (for
// a struct: the defaults of its fields).
func schemaFor(t reflect.Type, def reflect.Value) map[string]any {
	if t.Kind() == reflect.Pointer {
		t, def = t.Elem(), reflect.Value{}
	}
	if t.Kind() == reflect.Struct {
		if !def.IsValid() && reflect.PointerTo(t).Implements(defaulterType) {
			p := reflect.New(t)
			p.Interface().(defaulter).applyDefaults()
			def = p.Elem()
		}
		return structSchema(t, def)
	}
	s := schemaForType(t)
	if def.IsValid() && !def.IsZero() && !(def.Kind() == reflect.Slice && def.Len() == 0) {
		if b, err := json.Marshal(def.Interface()); err == nil {
			s["default"] = json.RawMessage(b)
		}
	}
	return s
}

var (
	enumType      = reflect.TypeOf((*enum)(nil)).Elem()
	defaulterType = reflect.TypeOf((*defaulter)(nil)).Elem()
)

// schemaForType describes a non-struct type.
func schemaForType(t reflect.Type) map[string]any {
	switch {
	case t == durationType:
		return map[string]any{"type": "string", "pattern": durationPattern}
	case t == limitType:
		return map[string]any{"anyOf": []any{
			map[string]any{"type": "string", "enum": TierNames()},
			map[string]any{"type": "number", "exclusiveMinimum": 0},
		}}
	case t.Implements(enumType):
		return map[string]any{"type": "string", "enum": reflect.Zero(t).Interface().(enum).Values()}
	}
	switch t.Kind() {
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaFor(t.Elem(), reflect.Value{})}
	case reflect.Map:
		s := map[string]any{"type": "object", "additionalProperties": schemaFor(t.Elem(), reflect.Value{})}
		if t.Key().Implements(enumType) {
			s["propertyNames"] = map[string]any{"enum": reflect.Zero(t.Key()).Interface().(enum).Values()}
		}
		return s
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	}
	panic(fmt.Sprintf("config: no schema for %s", t))
}

// structSchema describes struct t with per-field defaults taken from def (if valid).
func structSchema(t reflect.Type, def reflect.Value) map[string]any {
	props := map[string]any{}
	var required []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		var fd reflect.Value
		if def.IsValid() {
			fd = def.Field(i)
		}
		fs := schemaFor(f.Type, fd)
		if doc := f.Tag.Get("doc"); doc != "" {
			fs["description"] = doc
		}
		props[name] = fs
		if f.Tag.Get("required") == "true" {
			required = append(required, name)
		}
	}
	s := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}
