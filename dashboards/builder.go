package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/gauge"
	"github.com/grafana/grafana-foundation-sdk/go/heatmap"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/waba-exporter/waba_exporter/alerts"
)

// Variable names; queries refer to them as $job, $instance, $phone_number_id.
const (
	VarDatasource    = "datasource"
	VarJob           = "job"
	VarInstance      = "instance"
	VarPhoneNumberID = "phone_number_id"
)

// Panel types (the "type" of a panel in the JSON model) we use.
const (
	PanelTimeseries    = "timeseries"
	PanelStat          = "stat"
	PanelGauge         = "gauge"
	PanelBarGauge      = "bargauge"
	PanelTable         = "table"
	PanelHeatmap       = "heatmap"
	PanelStateTimeline = "state-timeline"
	PanelRow           = "row"
)

// Tag shared by all our dashboards (their links list each other by it).
const Tag = "waba_exporter"

var ds = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${" + VarDatasource + "}")}

// instanceMatcher narrows a query to the instances of the $instance variable.
const instanceMatcher = `instance=~"$instance"`

// sels returns the selector bodies used inside braces: sel for per-number
// metrics, selInst for per-target metrics (quota, exporter health). Both
// start with the config's selector (the one place it is defined, shared
// with the rules) and narrow it with the dashboard variables.
func sels(c alerts.Config) (sel, selInst string) {
	selInst = c.Sel(`job=~"$job"`, instanceMatcher)
	return selInst + `, phone_number_id=~"$phone_number_id"`, selInst
}

// bizRule selects a business recording rule with a selector body from sels.
// Those rules aggregate c.AggregateWithout away (instance, partition: one
// result for every member of a Kafka consumer group), so the $instance
// matcher is left out when instance is among them: the rule has no instance
// to match, and the panel shows the whole job whatever $instance selects.
func bizRule(c alerts.Config, name, selector string) string {
	if c.Aggregated(VarInstance) {
		selector = strings.Replace(selector, ", "+instanceMatcher, "", 1)
	}
	return rule(name, selector)
}

// with returns a selector body with extra matchers appended.
func with(base string, extra ...string) string {
	return alerts.Config{Selector: base}.Sel(extra...)
}

func allOption() dashboard.VariableOption {
	return dashboard.VariableOption{
		Selected: cog.ToPtr(true),
		Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
		Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
	}
}

func queryVar(name, label, query string, refresh dashboard.VariableRefresh) cog.Builder[dashboard.VariableModel] {
	return dashboard.NewQueryVariableBuilder(name).Label(label).Datasource(ds).
		Query(dashboard.StringOrMap{String: cog.ToPtr(query)}).
		Refresh(refresh).Sort(dashboard.VariableSortAlphabeticalAsc).
		Current(allOption()).IncludeAll(true).Multi(true)
}

func variables(c alerts.Config) []cog.Builder[dashboard.VariableModel] {
	return []cog.Builder[dashboard.VariableModel]{
		dashboard.NewDatasourceVariableBuilder(VarDatasource).Label("Data source").Type("prometheus").
			Current(dashboard.VariableOption{Selected: cog.ToPtr(true),
				Text:  dashboard.StringOrArrayOfString{String: cog.ToPtr("default")},
				Value: dashboard.StringOrArrayOfString{String: cog.ToPtr("default")}}),
		queryVar(VarJob, "Job", fmt.Sprintf("label_values(waba_exporter_build_info{%s}, job)", c.Selector),
			dashboard.VariableRefreshOnDashboardLoad),
		queryVar(VarInstance, "Instance", fmt.Sprintf("label_values(waba_exporter_build_info{%s}, instance)", c.Sel(`job=~"$job"`)),
			dashboard.VariableRefreshOnTimeRangeChanged),
		queryVar(VarPhoneNumberID, "Phone number ID",
			fmt.Sprintf("label_values(waba_outbound_message_status_total{%s}, phone_number_id)", c.Sel(`job=~"$job"`, `instance=~"$instance"`)),
			dashboard.VariableRefreshOnTimeRangeChanged),
	}
}

// annotations marks events on every time-series panel: quality rating
// changes, template status events and configuration reloads.
func annotations(c alerts.Config) []cog.Builder[dashboard.AnnotationQuery] {
	_, selInst := sels(c)
	a := func(name, color, expr, title, text, tags string) cog.Builder[dashboard.AnnotationQuery] {
		return dashboard.NewAnnotationQueryBuilder().Name(name).Datasource(ds).Enable(true).IconColor(color).
			Expr(expr).TitleFormat(title).TextFormat(text).TagKeys(tags).Step("1m")
	}
	return []cog.Builder[dashboard.AnnotationQuery]{
		a("Quality rating changes", "orange",
			fmt.Sprintf("sum by (phone_number_id, event) (increase(waba_phone_number_quality_events_total{%s}[2m])) > 0", selInst),
			"Quality {{event}}", "phone number {{phone_number_id}}", "phone_number_id,event"),
		a("Template status events", "purple",
			fmt.Sprintf("sum by (event) (increase(waba_template_status_events_total{%s}[2m])) > 0", selInst),
			"Template {{event}}", "message_template_status_update", "event"),
		a("Config reloads", "blue",
			alerts.PerInstance("max", fmt.Sprintf("changes(waba_exporter_config_last_reload_success_timestamp_seconds{%s}[2m])", selInst))+" > 0",
			"Configuration reloaded", "{{instance}}", "instance"),
		a("Config reloads failed", "red",
			alerts.PerInstance("min", fmt.Sprintf("waba_exporter_config_last_reload_successful{%s}", selInst))+" == 0",
			"Configuration reload failed", "{{instance}} runs its previous configuration", "instance"),
	}
}

// section is a dashboard row: a title and lines of panels, each line at
// most 24 columns wide.
type section struct {
	title string
	lines [][]cog.Builder[dashboard.Panel]
}

func row(title string, lines ...[]cog.Builder[dashboard.Panel]) section {
	return section{title, lines}
}

func line(ps ...cog.Builder[dashboard.Panel]) []cog.Builder[dashboard.Panel] { return ps }

// built is an already built panel, positioned and numbered.
type built struct{ p dashboard.Panel }

func (b built) Build() (dashboard.Panel, error) { return b.p, nil }

// newDashboard lays the sections out on the grid (a row header, then each
// line of panels left to right), numbers the panels from 1 and adds the
// variables, annotations and links shared by all our dashboards. A builder
// error or a line wider than the grid is a programming error: it panics.
func newDashboard(c alerts.Config, uid, title, description string, sections ...section) dashboard.Dashboard {
	b := dashboard.NewDashboardBuilder("WhatsApp Business / "+title).Uid(uid).Description(description).
		Tags([]string{Tag, "whatsapp"}).Timezone("browser").Editable().Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Refresh("1m").Version(1).Time("now-24h", "now").
		Variables(variables(c)).Annotations(annotations(c)).
		Link(dashboard.NewDashboardLinkBuilder("WhatsApp dashboards").Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{Tag}).AsDropdown(true).IncludeVars(true).KeepTime(true).Icon("external link"))
	var y, id uint32 = 0, 1
	for _, s := range sections {
		b.WithRow(dashboard.NewRowBuilder(s.title).Id(id).GridPos(dashboard.GridPos{X: 0, Y: y, W: 24, H: 1}))
		id++
		y++
		for _, l := range s.lines {
			var x, h uint32
			for _, pb := range l {
				p, err := pb.Build()
				if err != nil {
					panic(fmt.Sprintf("dashboard %s: %v", uid, err))
				}
				// SDK v0.0.22 defaults a table footer that @grafana/schema
				// 13 no longer has (the tsc check rejects it).
				if o, ok := p.Options.(*table.Options); ok {
					o.Footer = nil
				}
				p.Id = cog.ToPtr(id)
				id++
				p.GridPos.X, p.GridPos.Y = x, y
				x += p.GridPos.W
				h = max(h, p.GridPos.H)
				b.WithPanel(built{p})
			}
			if x > 24 {
				panic(fmt.Sprintf("dashboard %s: a line of row %q is %d columns wide", uid, s.title, x))
			}
			y += h
		}
	}
	d, err := b.Build()
	if err != nil {
		panic(fmt.Sprintf("dashboard %s: %v", uid, err))
	}
	// The SDK sets the interval-variable fields auto, auto_min and
	// auto_count on every variable; @grafana/schema has them on none.
	for i := range d.Templating.List {
		v := &d.Templating.List[i]
		v.Auto, v.AutoMin, v.AutoCount = nil, nil, nil
	}
	return d
}

// target is a Prometheus query of a panel.
type target = *prometheus.DataqueryBuilder

func query(expr, legend string) target {
	t := prometheus.NewDataqueryBuilder().Datasource(ds).Expr(expr)
	if legend != "" {
		t.LegendFormat(legend)
	}
	return t
}

// q is a range query; legend may be empty.
func q(expr, legend string) target {
	return query(expr, legend).Range().Format(prometheus.PromQueryFormatTimeSeries)
}

// instant is an instant query (stat, gauge, bar gauge, table).
func instant(expr, legend string) target {
	return query(expr, legend).Instant().Format(prometheus.PromQueryFormatTimeSeries)
}

func tableQuery(expr string) target {
	return query(expr, "").Instant().Format(prometheus.PromQueryFormatTable)
}

// targets names the queries A, B, C...
func targets(ts []target) []cog.Builder[variants.Dataquery] {
	out := make([]cog.Builder[variants.Dataquery], len(ts))
	for i, t := range ts {
		out[i] = t.RefId(string(rune('A' + i)))
	}
	return out
}

// runbook links a panel to the RUNBOOK.md sections of the alerts it shows.
func runbook(c alerts.Config, names ...string) []cog.Builder[dashboard.DashboardLink] {
	var out []cog.Builder[dashboard.DashboardLink]
	for _, n := range names {
		out = append(out, dashboard.NewDashboardLinkBuilder("Runbook: "+n).Type(dashboard.DashboardLinkTypeLink).
			Url(c.RunbookURLFor(n)).TargetBlank(true).Tooltip("What to check and do when "+n+" fires"))
	}
	return out
}

func legend() *common.VizLegendOptionsBuilder {
	return common.NewVizLegendOptionsBuilder().DisplayMode(common.LegendDisplayModeList).
		Placement(common.LegendPlacementBottom).ShowLegend(true).Calcs([]string{})
}

func reduceLast() *common.ReduceDataOptionsBuilder {
	return common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false).Fields("")
}

func timeseriesPanel(title, description, unit string, w uint32, ts ...target) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().Title(title).Description(description).Unit(unit).Span(w).Height(8).
		Datasource(ds).Targets(targets(ts)).
		Legend(legend()).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending)).
		DrawStyle(common.GraphDrawStyleLine).LineWidth(1).FillOpacity(10).ShowPoints(common.VisibilityModeNever).
		SpanNulls(common.BoolOrFloat64{Bool: cog.ToPtr(false)}).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdPaletteClassic))
}

func statPanel(title, description, unit string, w uint32, th *dashboard.ThresholdsConfigBuilder, ts ...target) *stat.PanelBuilder {
	return stat.NewPanelBuilder().Title(title).Description(description).Unit(unit).Span(w).Height(5).
		Datasource(ds).Targets(targets(ts)).
		ReduceOptions(reduceLast()).ColorMode(common.BigValueColorModeValue).GraphMode(common.BigValueGraphModeArea).
		JustifyMode(common.BigValueJustifyModeAuto).TextMode(common.BigValueTextModeAuto).Orientation(common.VizOrientationAuto).
		Thresholds(th).ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds))
}

func gaugePanel(title, description, unit string, w uint32, min, max float64, th *dashboard.ThresholdsConfigBuilder, ts ...target) *gauge.PanelBuilder {
	return gauge.NewPanelBuilder().Title(title).Description(description).Unit(unit).Span(w).Height(6).
		Datasource(ds).Targets(targets(ts)).
		ReduceOptions(reduceLast()).Orientation(common.VizOrientationAuto).
		ShowThresholdLabels(false).ShowThresholdMarkers(true).Min(min).Max(max).
		Thresholds(th).ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds))
}

func bargaugePanel(title, description, unit string, w uint32, ts ...target) *bargauge.PanelBuilder {
	return bargauge.NewPanelBuilder().Title(title).Description(description).Unit(unit).Span(w).Height(8).
		Datasource(ds).Targets(targets(ts)).
		ReduceOptions(reduceLast()).Orientation(common.VizOrientationHorizontal).
		DisplayMode(common.BarGaugeDisplayModeGradient).ShowUnfilled(true).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode("continuous-BlPu"))
}

func tablePanel(title, description, unit string, w uint32, ts ...target) *table.PanelBuilder {
	return table.NewPanelBuilder().Title(title).Description(description).Unit(unit).Span(w).Height(8).
		Datasource(ds).Targets(targets(ts)).
		ShowHeader(true).CellHeight(common.TableCellHeightSm).
		SortBy([]cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName("Value").Desc(true)}).
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{"excludeByName": map[string]bool{"Time": true}}})
}

func heatmapPanel(title, description, yUnit string, w uint32, ts ...target) *heatmap.PanelBuilder {
	return heatmap.NewPanelBuilder().Title(title).Description(description).Span(w).Height(8).
		Datasource(ds).Targets(targets(ts)).
		Calculate(false).CellGap(1).
		YAxis(heatmap.NewYAxisConfigBuilder().AxisPlacement(common.AxisPlacementLeft).Unit(yUnit)).
		Tooltip(heatmap.NewHeatmapTooltipBuilder().Mode(common.TooltipDisplayModeSingle).YHistogram(true).ShowColorScale(true)).
		ShowLegend()
}

func stateTimelinePanel(title, description string, w uint32, mappings []dashboard.ValueMapping, ts ...target) *statetimeline.PanelBuilder {
	return statetimeline.NewPanelBuilder().Title(title).Description(description).Span(w).Height(6).
		Datasource(ds).Targets(targets(ts)).
		ShowValue(common.VisibilityModeAuto).MergeValues(true).RowHeight(0.9).AlignValue(common.TimelineValueAlignmentLeft).
		Legend(legend()).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeSingle).Sort(common.SortOrderNone)).
		Mappings(mappings).ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
		Thresholds(steps("green"))
}

// steps builds absolute thresholds: a base colour then (value, colour) pairs.
func steps(base string, more ...any) *dashboard.ThresholdsConfigBuilder {
	st := []dashboard.Threshold{{Color: base}}
	for i := 0; i+1 < len(more); i += 2 {
		v := more[i].(float64)
		st = append(st, dashboard.Threshold{Color: more[i+1].(string), Value: &v})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(st)
}

// valueText maps values to texts and colours, in order.
func valueText(pairs ...[3]string) []dashboard.ValueMapping {
	opts := map[string]dashboard.ValueMappingResult{}
	for i, p := range pairs {
		opts[p[0]] = dashboard.ValueMappingResult{Text: cog.ToPtr(p[1]), Color: cog.ToPtr(p[2]), Index: cog.ToPtr(int32(i))}
	}
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: opts}}}
}

// fixedColor is the override property of a fixed series colour.
func fixedColor(color string) []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{{Id: "color", Value: map[string]any{"mode": "fixed", "fixedColor": color}}}
}
