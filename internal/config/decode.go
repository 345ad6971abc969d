package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Load reads and parses the file at path (see Parse). Errors name the file by path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, ErrorList{{File: path, Msg: "cannot read config: " + msg}}
	}
	return Parse(data, path)
}

// Parse decodes data (YAML) strictly onto the defaults, fills in the defaults of list
// elements, and validates the result. filename is used in error messages only. On
// failure the error is an ErrorList holding every problem found, each with its line and
// field path; no *Config is returned.
func Parse(data []byte, filename string) (*Config, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		return nil, ErrorList{syntaxError(filename, data, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		if err != nil {
			return nil, ErrorList{syntaxError(filename, data, err)}
		}
		return nil, ErrorList{{File: filename, Line: extra.Line, Msg: "only one YAML document is allowed (remove the second ---)"}}
	}
	cfg := Default()
	// button_payloads defaults to the (possibly configured) keywords: decided after decode.
	cfg.OptOut.ButtonPayloads = nil
	d := &decoder{file: filename, lines: map[string]int{}}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind != 0 && root.Kind != yaml.DocumentNode && !isNull(root) {
		if root.Kind != yaml.MappingNode {
			d.errorAt(root.Line, "", "the file must be a mapping of settings, got %s", describe(root))
		} else {
			d.decode(root, reflect.ValueOf(cfg).Elem(), "")
		}
	}
	// Validation runs even after decode errors, so that one pass reports everything; a
	// field that failed to decode is not validated again (see errorf).
	cfg.applyDefaults()
	d.validate(cfg)
	if len(d.errs) > 0 {
		return nil, d.errs.sorted()
	}
	return cfg, nil
}

// applyDefaults fills what Default cannot: defaults of list elements and of settings that
// depend on others.
func (c *Config) applyDefaults() {
	if c.OptOut.ButtonPayloads == nil {
		c.OptOut.ButtonPayloads = append([]string{}, c.OptOut.Keywords...)
	}
	for i := range c.Inputs {
		c.Inputs[i].applyDefaults()
	}
	for i := range c.Quotas {
		c.Quotas[i].applyDefaults()
	}
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func syntaxError(file string, data []byte, err error) *FieldError {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &FieldError{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	// The YAML library gives no line for bytes its reader refuses (control characters,
	// invalid UTF-8), nor when its mark is on the first line: the line of the first such
	// byte, else 1 (found by FuzzParse).
	return &FieldError{File: file, Line: badByteLine(data), Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// badByteLine returns the line of the first byte YAML does not allow in a document
// (invalid UTF-8, or a control character other than tab, LF, CR and NEL), or 1.
func badByteLine(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if (r == utf8.RuneError && size == 1) || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') ||
			r == 0x7f || (r >= 0x80 && r <= 0x9f && r != 0x85) {
			return line
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return 1
}

// decoder walks a yaml.Node tree onto Go values by reflection, so that unknown keys,
// duplicate keys and type errors are reported with their field path and line, and every
// field path seen is recorded with its line for the validation messages.
type decoder struct {
	file   string
	lines  map[string]int  // field path -> line of its key (or of the list item)
	failed map[string]bool // field paths that failed to decode
	errs   ErrorList
}

// errorAt reports a decode problem at path; validation skips paths reported here.
func (d *decoder) errorAt(line int, path, format string, args ...any) {
	if d.failed == nil {
		d.failed = map[string]bool{}
	}
	d.failed[path] = true
	d.errs = append(d.errs, &FieldError{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// errorf reports a problem at path, on the line of path or of its closest parent seen in
// the file.
func (d *decoder) errorf(path, format string, args ...any) {
	for p := path; p != ""; p = parentPath(p) {
		if d.failed[p] {
			return
		}
	}
	d.errs = append(d.errs, &FieldError{File: d.file, Line: d.line(path), Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) line(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if l, ok := d.lines[p]; ok {
			return l
		}
	}
	return 0
}

// has reports whether path was written in the file.
func (d *decoder) has(path string) bool {
	_, ok := d.lines[path]
	return ok
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func joinPath(path, key string) string {
	if !isIdent(key) {
		key = strconv.Quote(key)
		return path + "[" + key + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

var (
	durationType = reflect.TypeOf(Duration(0))
	limitType    = reflect.TypeOf(Limit(0))
)

// decode sets v from n. A null value keeps v as it is (the default).
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if _, ok := d.lines[path]; !ok && path != "" {
		d.lines[path] = n.Line
	}
	if isNull(n) {
		return
	}
	switch v.Type() {
	case durationType:
		d.decodeDuration(n, v, path)
		return
	case limitType:
		d.decodeLimit(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Float64:
		d.decodeScalar(n, v, path)
	default:
		panic("config: no decoder for " + v.Type().String())
	}
}

func (d *decoder) decodeDuration(n *yaml.Node, v reflect.Value, path string) {
	if !d.scalar(n, path, "a duration such as 90s, 36h or 7d") {
		return
	}
	dur, err := ParseDuration(n.Value)
	if err != nil {
		d.errorAt(n.Line, path, "%v", err)
		return
	}
	v.SetInt(int64(dur))
}

func (d *decoder) decodeLimit(n *yaml.Node, v reflect.Value, path string) {
	if !d.scalar(n, path, "a messaging limit such as TIER_1K or 1000") {
		return
	}
	l, err := ParseLimit(n.Value)
	if errors.Is(err, ErrLimitNotSet) {
		d.errorAt(n.Line, path, "TIER_NOT_SET is not a limit; remove the entry to use the limit that webhooks report")
		return
	}
	if err != nil {
		d.errorAt(n.Line, path, "%v", err)
		return
	}
	v.SetFloat(l)
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.errorAt(n.Line, path, "expected a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

// decodeScalar sets a string, bool, integer or float v from a scalar n whose YAML tag
// matches the kind (a quoted "3" is not an integer).
func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.String:
		if d.scalar(n, path, "a string") {
			v.SetString(n.Value)
		}
	case reflect.Bool:
		var b bool
		if d.scalar(n, path, "true or false") {
			if n.Tag != "!!bool" || n.Decode(&b) != nil {
				d.errorAt(n.Line, path, "expected true or false, got %s", describe(n))
				return
			}
			v.SetBool(b)
		}
	case reflect.Int, reflect.Int64:
		var i int64
		if d.scalar(n, path, "an integer") {
			if n.Tag != "!!int" || n.Decode(&i) != nil {
				d.errorAt(n.Line, path, "expected an integer, got %s", describe(n))
				return
			}
			v.SetInt(i)
		}
	case reflect.Float64:
		var f float64
		if d.scalar(n, path, "a number") {
			if (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&f) != nil {
				d.errorAt(n.Line, path, "expected a number, got %s", describe(n))
				return
			}
			v.SetFloat(f)
		}
	}
}

func (d *decoder) scalar(n *yaml.Node, path, want string) bool {
	if n.Kind != yaml.ScalarNode {
		d.errorAt(n.Line, path, "expected %s, got %s", want, describe(n))
		return false
	}
	return true
}

// pairs returns the key/value pairs of a mapping, with merge keys (<<) expanded first so
// that explicit keys override merged ones.
func pairs(n *yaml.Node) [][2]*yaml.Node {
	var merged, own [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			for val.Kind == yaml.AliasNode && val.Alias != nil {
				val = val.Alias
			}
			srcs := []*yaml.Node{val}
			if val.Kind == yaml.SequenceNode {
				srcs = val.Content
			}
			for _, s := range srcs {
				for s.Kind == yaml.AliasNode && s.Alias != nil {
					s = s.Alias
				}
				if s.Kind == yaml.MappingNode {
					merged = append(merged, pairs(s)...)
				}
			}
			continue
		}
		own = append(own, [2]*yaml.Node{k, val})
	}
	// Drop merged keys that are set explicitly.
	set := map[string]bool{}
	for _, p := range own {
		set[p[0].Value] = true
	}
	out := make([][2]*yaml.Node, 0, len(merged)+len(own))
	seen := map[string]bool{}
	for _, p := range merged {
		if !set[p[0].Value] && !seen[p[0].Value] {
			seen[p[0].Value] = true
			out = append(out, p)
		}
	}
	return append(out, own...)
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorAt(n.Line, path, "expected a mapping of settings, got %s", describe(n))
		return
	}
	t := v.Type()
	names := yamlFieldNames(t)
	seen := map[string]int{}
	for _, p := range pairs(n) {
		k, val := p[0], p[1]
		name := k.Value
		fp := joinPath(path, name)
		if k.Kind != yaml.ScalarNode {
			d.errorAt(k.Line, path, "a setting name must be a string, got %s", describe(k))
			continue
		}
		if first, dup := seen[name]; dup {
			d.errorAt(k.Line, fp, "duplicate key (first set on line %d)", first)
			continue
		}
		seen[name] = k.Line
		idx, ok := names[name]
		if !ok {
			// Sorted: deterministic suggestions when two candidates are equally close.
			d.errorAt(k.Line, fp, "unknown field%s", didYouMean(name, slices.Sorted(maps.Keys(names))))
			continue
		}
		d.lines[fp] = k.Line
		d.decode(val, v.Field(idx), fp)
	}
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorAt(n.Line, path, "expected a mapping, got %s", describe(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	seen := map[string]int{}
	for _, p := range pairs(n) {
		k, val := p[0], p[1]
		if k.Kind != yaml.ScalarNode {
			d.errorAt(k.Line, path, "a key must be a string, got %s", describe(k))
			continue
		}
		fp := joinPath(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.errorAt(k.Line, fp, "duplicate key (first set on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		d.lines[fp] = k.Line
		ev := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, ev, fp)
		m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), ev)
	}
	v.Set(m)
}

// yamlFieldNames maps the yaml names of t's exported fields to their index.
func yamlFieldNames(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		if name := yamlName(t.Field(i)); name != "" {
			out[name] = i
		}
	}
	return out
}

func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name
}
