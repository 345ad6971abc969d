package dashboards

import (
	"bytes"
	"encoding/json"
)

//go:generate go run gen.go

// JSON renders a dashboard in the committed format: two-space indented,
// HTML characters unescaped (PromQL uses < and >), trailing newline.
func JSON(d Dashboard) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
