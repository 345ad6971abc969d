package dashboards

// The types below read the generated dashboard JSON back for the tests (the
// builder writes it with the Grafana Foundation SDK): only the fields the
// tests look at.

import (
	"encoding/json"
	"testing"

	"github.com/waba-exporter/waba_exporter/alerts"
)

// decodeAll renders every dashboard of c to JSON, as committed, and reads it
// back.
func decodeAll(t *testing.T, c alerts.Config) map[string]Dashboard {
	t.Helper()
	out := map[string]Dashboard{}
	for name, d := range All(c) {
		b, err := JSON(d)
		if err != nil {
			t.Fatal(err)
		}
		var v Dashboard
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = v
	}
	return out
}

// Dashboard is the top level of a Grafana dashboard JSON model.
type Dashboard struct {
	UID           string     `json:"uid"`
	Title         string     `json:"title"`
	Description   string     `json:"description,omitempty"`
	Tags          []string   `json:"tags"`
	Timezone      string     `json:"timezone"`
	Editable      bool       `json:"editable"`
	GraphTooltip  int        `json:"graphTooltip"` // 1 = shared crosshair
	Refresh       string     `json:"refresh"`
	SchemaVersion int        `json:"schemaVersion"`
	Version       int        `json:"version"`
	Time          TimeRange  `json:"time"`
	Links         []Link     `json:"links"`
	Templating    Templating `json:"templating"`
	Annotations   struct {
		List []Annotation `json:"list"`
	} `json:"annotations"`
	Panels []Panel `json:"panels"`
}

// Annotation is a Prometheus annotation query.
type Annotation struct {
	Name        string `json:"name"`
	Expr        string `json:"expr"`
	TitleFormat string `json:"titleFormat"`
}

// TimeRange is the default time range, e.g. now-24h to now.
type TimeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Link is a dashboard link; ours list the other dashboards by tag.
type Link struct {
	URL         string   `json:"url"`
	AsDropdown  bool     `json:"asDropdown"`
	Icon        string   `json:"icon"`
	IncludeVars bool     `json:"includeVars"`
	KeepTime    bool     `json:"keepTime"`
	Tags        []string `json:"tags"`
	TargetBlank bool     `json:"targetBlank"`
	Title       string   `json:"title"`
	Tooltip     string   `json:"tooltip"`
	Type        string   `json:"type"` // "dashboards" or "link"
}

// Templating holds the template variables.
type Templating struct {
	List []Variable `json:"list"`
}

// Variable is a template variable of type datasource or query.
type Variable struct {
	Name       string          `json:"name"`
	Label      string          `json:"label"`
	Type       string          `json:"type"` // "datasource" | "query"
	Query      string          `json:"query"`
	Datasource *DataSourceRef  `json:"datasource,omitempty"`
	Refresh    int             `json:"refresh"` // 1 on dashboard load, 2 on time range change
	IncludeAll bool            `json:"includeAll"`
	Multi      bool            `json:"multi"`
	AllValue   string          `json:"allValue,omitempty"`
	Current    *VariableOption `json:"current,omitempty"`
	Hide       int             `json:"hide"`
	Sort       int             `json:"sort"` // 1 = alphabetical ascending
	Regex      string          `json:"regex"`
}

// VariableOption is a selected or offered variable value.
type VariableOption struct {
	Selected bool `json:"selected"`
	Text     any  `json:"text"`  // a string or a list of strings
	Value    any  `json:"value"` // idem
}

// DataSourceRef points at a data source; ours is always ${datasource}.
type DataSourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// GridPos is a panel's place on the 24-column grid.
type GridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

// Panel is one visualization or a row (Type PanelRow). Type is one of the
// Panel* constants.
type Panel struct {
	ID              int               `json:"id"`
	Type            string            `json:"type"`
	Title           string            `json:"title"`
	Description     string            `json:"description,omitempty"`
	GridPos         GridPos           `json:"gridPos"`
	Datasource      *DataSourceRef    `json:"datasource"`
	Interval        string            `json:"interval,omitempty"`
	Targets         []Target          `json:"targets"`
	FieldConfig     FieldConfigSource `json:"fieldConfig"`
	Options         map[string]any    `json:"options"`
	Transformations []Transformation  `json:"transformations,omitempty"`
	Links           []Link            `json:"links,omitempty"`
	TimeFrom        string            `json:"timeFrom,omitempty"`
}

// Target is a Prometheus query of a panel.
type Target struct {
	RefID        string         `json:"refId"`
	Datasource   *DataSourceRef `json:"datasource"`
	Expr         string         `json:"expr"`
	LegendFormat string         `json:"legendFormat,omitempty"`
	Instant      bool           `json:"instant,omitempty"`
	Range        bool           `json:"range"`
	Format       string         `json:"format"` // time_series | table | heatmap
	Interval     string         `json:"interval,omitempty"`
}

// FieldConfigSource holds field defaults and overrides.
type FieldConfigSource struct {
	Defaults  FieldConfig `json:"defaults"`
	Overrides []Override  `json:"overrides"`
}

// Override applies properties to the fields a matcher selects.
type Override struct {
	Matcher    Matcher    `json:"matcher"`
	Properties []Property `json:"properties"`
}

// Matcher selects fields, e.g. {id: byName, options: "limit"}.
type Matcher struct {
	ID      string `json:"id"`
	Options any    `json:"options,omitempty"`
}

// Property is one overridden field option.
type Property struct {
	ID    string `json:"id"`
	Value any    `json:"value,omitempty"`
}

// FieldConfig are the field options we set: unit, range, thresholds,
// colour, value mappings and the panel type's custom options.
type FieldConfig struct {
	Unit       string            `json:"unit,omitempty"`
	Min        *float64          `json:"min,omitempty"`
	Max        *float64          `json:"max,omitempty"`
	Decimals   *int              `json:"decimals,omitempty"`
	Thresholds *ThresholdsConfig `json:"thresholds,omitempty"`
	Color      *FieldColor       `json:"color,omitempty"`
	Mappings   []ValueMapping    `json:"mappings,omitempty"`
	NoValue    string            `json:"noValue,omitempty"`
	Custom     map[string]any    `json:"custom,omitempty"`
}

// ThresholdsConfig maps values to colours; the first step's value is null
// (minus infinity).
type ThresholdsConfig struct {
	Mode  string      `json:"mode"` // absolute | percentage
	Steps []Threshold `json:"steps"`
}

// Threshold is one step; Value nil is the base step.
type Threshold struct {
	Color string   `json:"color"`
	Value *float64 `json:"value"`
}

// FieldColor is the colour scheme of a field.
type FieldColor struct {
	Mode       string `json:"mode"` // thresholds | palette-classic | fixed ...
	FixedColor string `json:"fixedColor,omitempty"`
}

// ValueMapping of type "value" maps exact values to text and colour.
type ValueMapping struct {
	Type    string                        `json:"type"`
	Options map[string]ValueMappingResult `json:"options"`
}

// ValueMappingResult is the text and colour shown for a mapped value.
type ValueMappingResult struct {
	Text  string `json:"text"`
	Color string `json:"color"`
	Index int    `json:"index"`
}

// Transformation post-processes query results (e.g. organize columns).
type Transformation struct {
	ID      string         `json:"id"`
	Options map[string]any `json:"options"`
}
