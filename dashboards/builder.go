package dashboards

import (
	"fmt"
	"strings"

	"github.com/waba-exporter/waba_exporter/alerts"
)

// Variable names; queries refer to them as $job, $instance, $phone_number_id.
const (
	VarDatasource    = "datasource"
	VarJob           = "job"
	VarInstance      = "instance"
	VarPhoneNumberID = "phone_number_id"
)

// Tag shared by all our dashboards (their links list each other by it).
const Tag = "waba_exporter"

// SchemaVersion of the dashboard JSON model we write.
const SchemaVersion = 39

var ds = &DataSourceRef{Type: "prometheus", UID: "${" + VarDatasource + "}"}

// sels returns the selector bodies used inside braces: sel for per-number
// metrics, selInst for per-target metrics (quota, exporter health). Both
// start with the config's selector (the one place it is defined, shared
// with the rules) and narrow it with the dashboard variables.
func sels(c alerts.Config) (sel, selInst string) {
	selInst = c.Sel(`job=~"$job"`, `instance=~"$instance"`)
	return selInst + `, phone_number_id=~"$phone_number_id"`, selInst
}

// with returns a selector body with extra matchers appended.
func with(base string, extra ...string) string {
	return strings.Join(append([]string{base}, extra...), ", ")
}

func variables(c alerts.Config) []Variable {
	all := &VariableOption{Selected: true, Text: []string{"All"}, Value: []string{"$__all"}}
	return []Variable{
		{Name: VarDatasource, Label: "Data source", Type: "datasource", Query: "prometheus", Refresh: 1,
			Current: &VariableOption{Selected: true, Text: []string{"default"}, Value: []string{"default"}}},
		{Name: VarJob, Label: "Job", Type: "query", Datasource: ds, Refresh: 1, Sort: 1, Current: all,
			IncludeAll: true, Multi: true,
			Query: fmt.Sprintf("label_values(waba_exporter_build_info{%s}, job)", c.Selector)},
		{Name: VarInstance, Label: "Instance", Type: "query", Datasource: ds, Refresh: 2, Sort: 1, Current: all,
			IncludeAll: true, Multi: true,
			Query: fmt.Sprintf("label_values(waba_exporter_build_info{%s}, instance)", c.Sel(`job=~"$job"`))},
		{Name: VarPhoneNumberID, Label: "Phone number ID", Type: "query", Datasource: ds, Refresh: 2, Sort: 1, Current: all,
			IncludeAll: true, Multi: true,
			Query: fmt.Sprintf("label_values(waba_outbound_message_status_total{%s}, phone_number_id)", c.Sel(`job=~"$job"`, `instance=~"$instance"`))},
	}
}

// newDashboard lays the rows out on the grid and numbers the panels from 1.
func newDashboard(c alerts.Config, uid, title, description string, rows ...[]Panel) Dashboard {
	d := Dashboard{
		UID: uid, Title: "WhatsApp Business / " + title, Description: description,
		Tags: []string{Tag, "whatsapp"}, Timezone: "browser", Editable: true, GraphTooltip: 1,
		Refresh: "1m", SchemaVersion: SchemaVersion, Version: 1,
		Time: TimeRange{From: "now-24h", To: "now"},
		Links: []Link{{AsDropdown: true, Icon: "external link", IncludeVars: true, KeepTime: true,
			Tags: []string{Tag}, Title: "WhatsApp dashboards", Type: "dashboards"}},
		Templating: Templating{List: variables(c)},
	}
	y, id := 0, 1
	for _, row := range rows {
		x, h := 0, 0
		for _, p := range row {
			p.ID = id
			id++
			p.GridPos.X, p.GridPos.Y = x, y
			x += p.GridPos.W
			h = max(h, p.GridPos.H)
			d.Panels = append(d.Panels, p)
		}
		if x > 24 {
			panic(fmt.Sprintf("dashboard %s: a row is %d columns wide", uid, x))
		}
		y += h
	}
	return d
}

// q is a range query; legend may be empty.
func q(expr, legend string) Target {
	return Target{Datasource: ds, Expr: expr, LegendFormat: legend, Range: true, Format: "time_series"}
}

// instant is an instant query (stat, gauge, bar gauge, table).
func instant(expr, legend string) Target {
	return Target{Datasource: ds, Expr: expr, LegendFormat: legend, Instant: true, Format: "time_series"}
}

func table(expr string) Target {
	return Target{Datasource: ds, Expr: expr, Instant: true, Format: "table"}
}

func panel(typ, title, description, unit string, w, h int, opts map[string]any, targets ...Target) Panel {
	for i := range targets {
		targets[i].RefID = string(rune('A' + i))
	}
	return Panel{
		Type: typ, Title: title, Description: description,
		GridPos: GridPos{W: w, H: h}, Datasource: ds, Targets: targets,
		FieldConfig: FieldConfigSource{Defaults: FieldConfig{Unit: unit}, Overrides: []Override{}},
		Options:     opts,
	}
}

var reduceLast = map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false}

func timeseries(title, description, unit string, w int, targets ...Target) Panel {
	p := panel(PanelTimeseries, title, description, unit, w, 8, map[string]any{
		"legend":  map[string]any{"calcs": []string{}, "displayMode": "list", "placement": "bottom", "showLegend": true},
		"tooltip": map[string]any{"mode": "multi", "sort": "desc"},
	}, targets...)
	p.FieldConfig.Defaults.Custom = map[string]any{"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never", "spanNulls": false}
	p.FieldConfig.Defaults.Color = &FieldColor{Mode: "palette-classic"}
	return p
}

func stat(title, description, unit string, w int, th *ThresholdsConfig, targets ...Target) Panel {
	p := panel(PanelStat, title, description, unit, w, 5, map[string]any{
		"reduceOptions": reduceLast, "colorMode": "value", "graphMode": "area",
		"justifyMode": "auto", "textMode": "auto", "orientation": "auto",
	}, targets...)
	p.FieldConfig.Defaults.Thresholds = th
	p.FieldConfig.Defaults.Color = &FieldColor{Mode: "thresholds"}
	return p
}

func gauge(title, description, unit string, w int, min, max float64, th *ThresholdsConfig, targets ...Target) Panel {
	p := panel(PanelGauge, title, description, unit, w, 6, map[string]any{
		"reduceOptions": reduceLast, "orientation": "auto",
		"showThresholdLabels": false, "showThresholdMarkers": true,
	}, targets...)
	p.FieldConfig.Defaults.Min, p.FieldConfig.Defaults.Max = &min, &max
	p.FieldConfig.Defaults.Thresholds = th
	p.FieldConfig.Defaults.Color = &FieldColor{Mode: "thresholds"}
	return p
}

func bargauge(title, description, unit string, w int, targets ...Target) Panel {
	p := panel(PanelBarGauge, title, description, unit, w, 8, map[string]any{
		"reduceOptions": reduceLast, "orientation": "horizontal",
		"displayMode": "gradient", "showUnfilled": true,
	}, targets...)
	p.FieldConfig.Defaults.Color = &FieldColor{Mode: "continuous-BlPu"}
	return p
}

func tablePanel(title, description, unit string, w int, targets ...Target) Panel {
	p := panel(PanelTable, title, description, unit, w, 8, map[string]any{
		"showHeader": true, "cellHeight": "sm",
		"sortBy": []map[string]any{{"displayName": "Value", "desc": true}},
	}, targets...)
	p.Transformations = []Transformation{{ID: "organize", Options: map[string]any{"excludeByName": map[string]bool{"Time": true}}}}
	return p
}

func heatmap(title, description, yUnit string, w int, targets ...Target) Panel {
	p := panel(PanelHeatmap, title, description, "", w, 8, map[string]any{
		"calculate": false, "cellGap": 1,
		"yAxis":   map[string]any{"axisPlacement": "left", "unit": yUnit},
		"tooltip": map[string]any{"mode": "single", "yHistogram": true, "showColorScale": true},
		"legend":  map[string]any{"show": true},
	}, targets...)
	return p
}

func stateTimeline(title, description string, w int, mappings []ValueMapping, targets ...Target) Panel {
	p := panel(PanelStateTimeline, title, description, "", w, 6, map[string]any{
		"showValue": "auto", "mergeValues": true, "rowHeight": 0.9, "alignValue": "left",
		"legend":  map[string]any{"calcs": []string{}, "displayMode": "list", "placement": "bottom", "showLegend": true},
		"tooltip": map[string]any{"mode": "single", "sort": "none"},
	}, targets...)
	p.FieldConfig.Defaults.Mappings = mappings
	p.FieldConfig.Defaults.Color = &FieldColor{Mode: "thresholds"}
	p.FieldConfig.Defaults.Thresholds = steps("green")
	return p
}

// steps builds absolute thresholds: a base colour then (value, colour) pairs.
func steps(base string, more ...any) *ThresholdsConfig {
	t := &ThresholdsConfig{Mode: "absolute", Steps: []Threshold{{Color: base}}}
	for i := 0; i+1 < len(more); i += 2 {
		v := more[i].(float64)
		t.Steps = append(t.Steps, Threshold{Color: more[i+1].(string), Value: &v})
	}
	return t
}

// withOverride sets one property of the fields whose display name matches
// the regular expression re.
func withOverride(p Panel, re, property string, value any) Panel {
	p.FieldConfig.Overrides = append(p.FieldConfig.Overrides, Override{
		Matcher:    Matcher{ID: "byRegexp", Options: re},
		Properties: []Property{{ID: property, Value: value}},
	})
	return p
}
