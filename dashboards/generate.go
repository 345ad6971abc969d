package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/waba-exporter/waba_exporter/alerts"
)

//go:generate go run gen.go

// JSON renders a dashboard in the committed format: two-space indented,
// HTML characters unescaped (PromQL uses < and >), trailing newline.
func JSON(d dashboard.Dashboard) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Output formats of Generate and of `waba_exporter generate dashboards`.
const (
	FormatGrafana    = "grafana"    // one JSON file per dashboard (file provisioning, import)
	FormatKubernetes = "kubernetes" // ConfigMaps for the Grafana dashboard sidecar
)

// ConfigMapsFile is the file of FormatKubernetes.
const ConfigMapsFile = "grafana-dashboards.yaml"

// SidecarLabel is the label the Grafana sidecar (kube-prometheus-stack,
// the grafana Helm chart) looks for on dashboard ConfigMaps, with value "1".
const SidecarLabel = "grafana_dashboard"

// Generate renders every dashboard of c in a format. The committed
// dashboards/*.json and deploy/kubernetes/grafana-dashboards.yaml are its
// output for alerts.Default(); tests compare them.
func Generate(c alerts.Config, format string) ([]alerts.File, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	all := All(c)
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	switch format {
	case FormatGrafana:
		var out []alerts.File
		for _, n := range names {
			b, err := JSON(all[n])
			if err != nil {
				return nil, err
			}
			out = append(out, alerts.File{Name: n, Data: b})
		}
		return out, nil
	case FormatKubernetes:
		var b bytes.Buffer
		b.WriteString(alerts.KubernetesHeader)
		b.WriteString("# The Grafana dashboard sidecar (kube-prometheus-stack, the grafana Helm chart) loads\n" +
			"# ConfigMaps labelled " + SidecarLabel + "=\"1\" from its namespace, or from all with\n" +
			"# sidecar.dashboards.searchNamespace=ALL. The dashboards query the recording rules of prometheusrule.yaml.\n")
		for _, n := range names {
			j, err := JSON(all[n])
			if err != nil {
				return nil, err
			}
			name := "waba-exporter-dashboard-" + strings.TrimSuffix(n, ".json")
			labels := alerts.KubernetesLabels(name)
			labels[SidecarLabel] = "1"
			b.WriteString("---\n")
			if err := alerts.EncodeYAML(&b, configMap{
				APIVersion: "v1", Kind: "ConfigMap",
				Metadata: alerts.ObjectMeta{Name: name, Labels: labels},
				Data:     map[string]string{n: string(j)},
			}); err != nil {
				return nil, err
			}
		}
		return []alerts.File{{Name: ConfigMapsFile, Data: b.Bytes()}}, nil
	}
	return nil, fmt.Errorf("unknown format %q (want %s or %s)", format, FormatGrafana, FormatKubernetes)
}

type configMap struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   alerts.ObjectMeta `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
}
