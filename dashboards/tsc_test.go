package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/waba-exporter/waba_exporter/alerts"

	"github.com/waba-exporter/waba_exporter/internal/testutil"
)

// panelTypes maps our panel types to their option types in @grafana/schema.
var panelTypes = map[string]struct{ module, options, fieldConfig string }{
	PanelTimeseries:    {"timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen", "Options", "FieldConfig"},
	PanelStat:          {"stat/panelcfg/x/StatPanelCfg_types.gen", "Options", ""},
	PanelGauge:         {"gauge/panelcfg/x/GaugePanelCfg_types.gen", "Options", ""},
	PanelBarGauge:      {"bargauge/panelcfg/x/BarGaugePanelCfg_types.gen", "Options", ""},
	PanelTable:         {"table/panelcfg/x/TablePanelCfg_types.gen", "Options", "FieldConfig"},
	PanelHeatmap:       {"heatmap/panelcfg/x/HeatmapPanelCfg_types.gen", "Options", "FieldConfig"},
	PanelStateTimeline: {"statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen", "Options", "FieldConfig"},
}

// typeScript renders a module that assigns each committed dashboard JSON,
// as an object literal (so excess properties are errors), to the Dashboard
// type of @grafana/schema, and each panel's options and custom field config
// to the types of its panel plugin. JSONOf turns string enums into their
// values, as JSON spells them.
func typeScript(t *testing.T, files []string) string {
	var b strings.Builder
	b.WriteString("import type { Dashboard, AnnotationQuery } from '@grafana/schema';\n")
	// Prometheus annotation queries keep their query and formats at the
	// annotation's top level (the fields of Grafana's Prometheus annotation
	// editor); @grafana/schema types only the common fields.
	b.WriteString("type PromAnnotation = AnnotationQuery & { expr?: string; titleFormat?: string; textFormat?: string; tagKeys?: string; step?: string; useValueForTime?: boolean };\n")
	b.WriteString("type CheckedDashboard = Omit<Dashboard, 'annotations'> & { annotations?: { list?: PromAnnotation[] } };\n")
	var kinds []string
	for k := range panelTypes {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	alias := func(kind, what string) string {
		return strings.ReplaceAll(kind, "-", "_") + "_" + what
	}
	for _, k := range kinds {
		pt := panelTypes[k]
		fmt.Fprintf(&b, "import type { %s as %s", pt.options, alias(k, "options"))
		if pt.fieldConfig != "" {
			fmt.Fprintf(&b, ", %s as %s", pt.fieldConfig, alias(k, "custom"))
		}
		fmt.Fprintf(&b, " } from '@grafana/schema/dist/esm/raw/composable/%s';\n", pt.module)
	}
	b.WriteString("type JSONOf<T> = T extends string ? `${T}` : T extends Array<infer U> ? Array<JSONOf<U>> : T extends object ? { [K in keyof T]: JSONOf<T[K]> } : T;\n")
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "\n// %s\nexport const dashboard%d: JSONOf<CheckedDashboard> = %s;\n", f, i, raw)
		var d Dashboard
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range d.Panels {
			if p.Type == PanelRow {
				continue
			}
			pt, ok := panelTypes[p.Type]
			if !ok {
				t.Fatalf("%s: panel %d has type %q without a schema mapping", f, p.ID, p.Type)
			}
			opts, _ := json.Marshal(p.Options)
			fmt.Fprintf(&b, "export const dashboard%d_panel%d_options: Partial<JSONOf<%s>> = %s;\n", i, p.ID, alias(p.Type, "options"), opts)
			if p.FieldConfig.Defaults.Custom != nil {
				if pt.fieldConfig == "" {
					t.Fatalf("%s: panel %d (%s) sets custom field config, which its type has no schema for", f, p.ID, p.Type)
				}
				custom, _ := json.Marshal(p.FieldConfig.Defaults.Custom)
				fmt.Fprintf(&b, "export const dashboard%d_panel%d_custom: Partial<JSONOf<%s>> = %s;\n", i, p.ID, alias(p.Type, "custom"), custom)
			}
		}
	}
	return b.String()
}

// runTSC writes ts and a strict tsconfig into work (a directory under the
// npm dir, so that module resolution finds node_modules) and runs tsc --noEmit.
func runTSC(npm, work, ts string) ([]byte, error) {
	const tsconfig = `{"compilerOptions": {"strict": true, "noEmit": true, "module": "esnext",
  "moduleResolution": "bundler", "target": "es2022", "skipLibCheck": true, "types": []},
  "files": ["dashboards.ts"]}`
	if err := os.WriteFile(filepath.Join(work, "tsconfig.json"), []byte(tsconfig), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(work, "dashboards.ts"), []byte(ts), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(npm, "node_modules", ".bin", "tsc"), "--project", work, "--pretty", "false")
	return cmd.CombinedOutput()
}

func TestDashboardsTypeCheckWithGrafanaSchema(t *testing.T) {
	dir := testutil.NpmDir(t)
	files := make([]string, 0, 4)
	for name := range All(alerts.Default()) {
		files = append(files, name)
	}
	sort.Strings(files)
	work, err := os.MkdirTemp(dir, "tscheck-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	if out, err := runTSC(dir, work, typeScript(t, files)); err != nil {
		t.Fatalf("tsc --noEmit against @grafana/schema failed: %v\n%s", err, out)
	}
}

// TestTypeCheckRejectsInvalid proves the check can fail: a misspelled
// dashboard field and a wrong panel option type must both be errors.
func TestTypeCheckRejectsInvalid(t *testing.T) {
	dir := testutil.NpmDir(t)
	for _, tc := range []struct{ name, mutate string }{
		{"unknown dashboard field", `"schemaVersion": 42,` + "\n" + `  "schemaVersoin": 39,`},
		{"enum value", `"displayMode": "gradient"` + "|" + `"displayMode": "sparkles"`},
		{"threshold mode", `"mode": "absolute"` + "|" + `"mode": "relative"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			work, err := os.MkdirTemp(dir, "tscheck-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(work) })
			src := filepath.Join(work, "mutated-"+FileBilling)
			raw, err := os.ReadFile(FileBilling)
			if err != nil {
				t.Fatal(err)
			}
			text := string(raw)
			if from, to, ok := strings.Cut(tc.mutate, "|"); ok {
				if !strings.Contains(text, from) {
					t.Fatalf("%q not in %s", from, FileBilling)
				}
				text = strings.Replace(text, from, to, 1)
			} else {
				text = strings.Replace(text, `"schemaVersion": 42,`, tc.mutate, 1)
			}
			if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := runTSC(dir, work, typeScript(t, []string{src})); err == nil {
				t.Fatalf("tsc accepted an invalid dashboard (%s)", tc.name)
			} else if !strings.Contains(string(out), "error TS") {
				t.Fatalf("tsc failed without a type error: %v\n%s", err, out)
			}
		})
	}
}
