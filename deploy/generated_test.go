package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/waba-exporter/waba_exporter/alerts"
	"github.com/waba-exporter/waba_exporter/dashboards"
	"github.com/waba-exporter/waba_exporter/internal/config"

	"github.com/waba-exporter/waba_exporter/internal/testutil"
)

// TestGeneratedObjectsUpToDate checks that the committed PrometheusRule and dashboard
// ConfigMaps are what the generator writes for the default config (the same source as
// alerts/rules.yml and dashboards/*.json), and that `waba_exporter generate` writes the
// same bytes.
func TestGeneratedObjectsUpToDate(t *testing.T) {
	rules, err := alerts.GenerateRules(alerts.Default(), alerts.FormatKubernetes)
	if err != nil {
		t.Fatal(err)
	}
	dash, err := dashboards.Generate(alerts.Default(), dashboards.FormatKubernetes)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for _, args := range [][]string{
		{"generate", "rules", "--format=kubernetes", "--out=" + out},
		{"generate", "dashboards", "--format=kubernetes", "--out=" + out},
	} {
		if b, err := exec.Command(mustBinary(t), args...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, b)
		}
	}
	for _, f := range append(rules, dash...) {
		got, err := os.ReadFile(filepath.Join("kubernetes", f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, f.Data) {
			t.Errorf("kubernetes/%s is stale: run `go generate ./deploy/` and commit the result", f.Name)
		}
		cli, err := os.ReadFile(filepath.Join(out, f.Name))
		if err != nil || !bytes.Equal(cli, f.Data) {
			t.Errorf("`waba_exporter generate` wrote a different %s (%v)", f.Name, err)
		}
	}
}

// TestPrometheusRule checks the object and runs `promtool check rules` on its groups.
func TestPrometheusRule(t *testing.T) {
	docs := yamlDocs(t, "kubernetes/prometheusrule.yaml")
	if len(docs) != 1 || str(t, docs[0], "kind") != "PrometheusRule" || str(t, docs[0], "apiVersion") != "monitoring.coreos.com/v1" {
		t.Fatalf("want one monitoring.coreos.com/v1 PrometheusRule, got %v", docs)
	}
	groups := list(t, docs[0], "spec", "groups")
	var names []string
	for _, g := range groups {
		names = append(names, str(t, g, "name"))
	}
	if strings.Join(names, ",") != alerts.GroupRecording+","+alerts.GroupAlerts {
		t.Errorf("groups %v", names)
	}
	promtool := testutil.Tool(t, "promtool")
	b, err := yaml.Marshal(map[string]any{"groups": groups})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", f).CombinedOutput(); err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Errorf("promtool check rules on the PrometheusRule's groups: %v\n%s", err, out)
	}
}

// TestDashboardConfigMaps checks one ConfigMap per dashboard, labelled for the Grafana
// sidecar, each holding valid dashboard JSON whose job variable reads build_info with
// the default selector.
func TestDashboardConfigMaps(t *testing.T) {
	docs := yamlDocs(t, "kubernetes/grafana-dashboards.yaml")
	want := dashboards.All(alerts.Default())
	if len(docs) != len(want) {
		t.Fatalf("%d ConfigMaps, want %d (one per dashboard)", len(docs), len(want))
	}
	seen := map[string]bool{}
	for _, d := range docs {
		if str(t, d, "kind") != "ConfigMap" {
			t.Errorf("kind %s", str(t, d, "kind"))
		}
		if got := str(t, d, "metadata", "labels", dashboards.SidecarLabel); got != "1" {
			t.Errorf("%s: label %s=%q, want \"1\"", str(t, d, "metadata", "name"), dashboards.SidecarLabel, got)
		}
		for key, v := range get(t, d, "data").(map[string]any) {
			var dash struct {
				UID        string `json:"uid"`
				Templating struct {
					List []struct {
						Name  string `json:"name"`
						Query string `json:"query"`
					} `json:"list"`
				} `json:"templating"`
			}
			if err := json.Unmarshal([]byte(v.(string)), &dash); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			if w, ok := want[key]; !ok || w.Uid == nil || *w.Uid != dash.UID {
				t.Errorf("%s: uid %q", key, dash.UID)
			}
			seen[key] = true
			for _, v := range dash.Templating.List {
				if v.Name == dashboards.VarJob && v.Query != "label_values(waba_exporter_build_info{"+alerts.DefaultSelector+"}, job)" {
					t.Errorf("%s: job variable query %q", key, v.Query)
				}
			}
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("no ConfigMap holds %s", k)
		}
	}
}

// TestJobNameAgreesWithSelector checks that the shipped manifests produce the job the
// shipped rules and dashboards select: a ServiceMonitor's job label is its Service's
// name (unless spec.jobLabel says otherwise), and the README's scrape config uses it too.
func TestJobNameAgreesWithSelector(t *testing.T) {
	m := regexp.MustCompile(`^job="([^"]+)"$`).FindStringSubmatch(alerts.DefaultSelector)
	if m == nil {
		t.Fatalf("default selector %s is not a single job matcher", alerts.DefaultSelector)
	}
	job := m[1]
	objs := k8sObjects(t)
	if _, ok := objs["ServiceMonitor"]["spec"].(map[string]any)["jobLabel"]; ok {
		t.Fatal("the ServiceMonitor sets jobLabel: the job is no longer the Service name")
	}
	if got := str(t, objs["Service"], "metadata", "name"); got != job {
		t.Errorf("Service %q produces job=%q, the rules select job=%q", got, got, job)
	}
	for _, f := range []string{"README.md", "../alerts/README.md", "../README.md"} {
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		for _, jm := range regexp.MustCompile(`job_name: *"?([a-z_-]+)`).FindAllStringSubmatch(string(b), -1) {
			if jm[1] != job {
				t.Errorf("%s: scrape config job_name %q, the rules select %q", f, jm[1], job)
			}
		}
		if strings.Contains(string(b), `job="waba_exporter"`) {
			t.Errorf(`%s still names job="waba_exporter"`, f)
		}
	}
}

// TestDeprecatedInputFlags checks the old names of --input.path and --input.start: hidden
// from the help, still accepted with a warning, and still validated.
func TestDeprecatedInputFlags(t *testing.T) {
	flags, _ := knownFlags(t, "run")
	for _, f := range []string{"input.path", "input.start"} {
		if !flags[f] {
			t.Errorf("run --help does not list --%s", f)
		}
	}
	for _, f := range []string{"log.path", "log.start"} {
		if flags[f] {
			t.Errorf("run --help lists the deprecated --%s", f)
		}
	}
	cmd := exec.Command(mustBinary(t), "run", "--log.path=/dev/null", "--log.start=middle", "--web.listen-address=127.0.0.1:0")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("run with --log.start=middle: %v (want exit status 2)\n%s", err, out)
	}
	for _, want := range []string{"--log.path (WABA_EXPORTER_LOG_PATH) is deprecated: use --input.path", `--log.start: "middle": want beginning or end`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output does not say %q:\n%s", want, out)
		}
	}
}

// TestShippedConfigsExportEveryNumber checks that neither the image's default
// configuration nor the documented example restricts the exported numbers (an allowlist
// of sample ids would keep every business counter at 0 on real logs), and that the
// image's default is the minimum: inputs on the mounted log directory, nothing else.
func TestShippedConfigsExportEveryNumber(t *testing.T) {
	for _, f := range []string{"docker/waba_exporter.yml", "../examples/waba_exporter.yml"} {
		data := []byte(readFile(t, f))
		cfg, err := config.Parse(data, f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(cfg.Labels.PhoneNumberIDs) > 0 {
			t.Errorf("%s has a phone_number_ids allowlist %v", f, cfg.Labels.PhoneNumberIDs)
		}
		checkConfig(t, f, string(data))
	}
	cfg, err := config.Parse([]byte(readFile(t, "docker/waba_exporter.yml")), "docker/waba_exporter.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Inputs) != 1 || !strings.HasPrefix(cfg.Inputs[0].Path, "/var/log/whatsapp/") {
		t.Errorf("image config inputs %+v, want one under /var/log/whatsapp/", cfg.Inputs)
	}
	if len(cfg.Quotas) > 0 || len(cfg.Portfolios) > 0 || cfg.RateCard != nil || len(cfg.MessagingLimits) > 0 {
		t.Error("the image's default config is not the minimum: quotas, portfolios, messaging limits or a rate card")
	}
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(readFile(t, "docker/waba_exporter.yml")), &doc); err != nil || len(doc) != 1 {
		t.Errorf("the image's default config sets %d top-level keys (%v), want only inputs", len(doc), err)
	}
}
