package deploy

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/waba-exporter/waba_exporter/internal/testutil"
)

// binary builds waba_exporter once for the tests of this package.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "waba-deploy-test-")
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "waba_exporter")
	cmd := exec.Command("go", "build", "-o", out, "..")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, b)
	}
	return out, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if p, err := binary(); err == nil {
		os.RemoveAll(filepath.Dir(p))
	}
	os.Exit(code)
}

func mustBinary(t *testing.T) string {
	t.Helper()
	p, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var flagRE = regexp.MustCompile(`--([a-z][a-z0-9.-]*)`)

// knownFlags returns the flags `waba_exporter <cmd> --help` lists, and the environment
// variables it names.
func knownFlags(t *testing.T, cmd string) (flags, envs map[string]bool) {
	t.Helper()
	out, err := exec.Command(mustBinary(t), append(strings.Fields(cmd), "--help")...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s --help: %v\n%s", cmd, err, out)
	}
	flags, envs = map[string]bool{}, map[string]bool{}
	for _, m := range flagRE.FindAllStringSubmatch(string(out), -1) {
		flags[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`\$(WABA_EXPORTER_[A-Z0-9_]+)`).FindAllStringSubmatch(string(out), -1) {
		envs[m[1]] = true
	}
	if !flags["log.level"] || (cmd == "run" || cmd == "demo") && !flags["web.listen-address"] {
		t.Fatalf("%s --help lists no usual flags:\n%s", cmd, out)
	}
	return flags, envs
}

// invocation is a command line found in a deployment file.
type invocation struct {
	where string
	args  []string // after the program name
}

// flagsOf returns the flag names an argument list uses (--name or --name=value).
func flagsOf(args []string) []string {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name, _, _ := strings.Cut(a[2:], "=")
		out = append(out, name)
	}
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// yamlDocs decodes every document of a YAML file with yaml.v3.
func yamlDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(readFile(t, path)))
	var docs []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: document %d: %v", path, len(docs)+1, err)
		}
		if d == nil {
			t.Fatalf("%s: document %d is empty", path, len(docs)+1)
		}
		docs = append(docs, d)
	}
	return docs
}

// get walks a decoded YAML tree: string keys index maps, ints index lists.
func get(t *testing.T, v any, path ...any) any {
	t.Helper()
	for i, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not a map at %v", path, path[:i])
			}
			v, ok = m[k]
			if !ok {
				t.Fatalf("%v: no key %q", path, k)
			}
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("%v: no item %d", path, k)
			}
			v = l[k]
		}
	}
	return v
}

func str(t *testing.T, v any, path ...any) string {
	t.Helper()
	s, ok := get(t, v, path...).(string)
	if !ok {
		t.Fatalf("%v: not a string", path)
	}
	return s
}

func list(t *testing.T, v any, path ...any) []any {
	t.Helper()
	l, ok := get(t, v, path...).([]any)
	if !ok {
		t.Fatalf("%v: not a list", path)
	}
	return l
}

// TestYamllint runs yamllint (Debian package "yamllint") on every YAML file here.
func TestYamllint(t *testing.T) {
	yamllint := testutil.Tool(t, "yamllint")
	out, err := exec.Command(yamllint, "--strict", "-f", "parsable", "-c", ".yamllint", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("yamllint: %v\n%s", err, out)
	}
	// yamllint must have seen the files (a wrong path would pass silently).
	out, err = exec.Command(yamllint, "--list-files", "-c", ".yamllint", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("yamllint --list-files: %v\n%s", err, out)
	}
	for _, f := range []string{"kubernetes/waba-exporter.yaml", "kubernetes/prometheusrule.yaml", "kubernetes/grafana-dashboards.yaml", "systemd/web.yml"} {
		if !strings.Contains(string(out), f) {
			t.Errorf("yamllint did not check %s:\n%s", f, out)
		}
	}
}

// k8sObjects indexes the manifest's documents by kind.
func k8sObjects(t *testing.T) map[string]map[string]any {
	t.Helper()
	objs := map[string]map[string]any{}
	for i, d := range yamlDocs(t, "kubernetes/waba-exporter.yaml") {
		kind := str(t, d, "kind")
		if str(t, d, "apiVersion") == "" || str(t, d, "metadata", "name") == "" {
			t.Fatalf("document %d (%s): apiVersion and metadata.name are required", i+1, kind)
		}
		if _, dup := objs[kind]; dup {
			t.Fatalf("two %s documents", kind)
		}
		objs[kind] = d
	}
	for _, kind := range []string{"ConfigMap", "Deployment", "Service", "ServiceMonitor"} {
		if objs[kind] == nil {
			t.Fatalf("no %s in the manifest", kind)
		}
	}
	return objs
}

func findContainer(t *testing.T, pod any, name string) map[string]any {
	t.Helper()
	for _, c := range list(t, pod, "containers") {
		if str(t, c, "name") == name {
			return c.(map[string]any)
		}
	}
	t.Fatalf("no container %q", name)
	return nil
}

// mounts maps a container's volume names to their mount paths and read-only flags.
func mounts(t *testing.T, c map[string]any) map[string]struct {
	path string
	ro   bool
} {
	out := map[string]struct {
		path string
		ro   bool
	}{}
	for _, m := range list(t, c, "volumeMounts") {
		ro, _ := m.(map[string]any)["readOnly"].(bool)
		out[str(t, m, "name")] = struct {
			path string
			ro   bool
		}{str(t, m, "mountPath"), ro}
	}
	return out
}

// TestKubernetes checks the sidecar manifest's wiring: the exporter shares the log
// volume (read-only) with the receiver, probes the right endpoints on its metrics port,
// reads its config from the ConfigMap (which check-config accepts, with inputs on the
// shared volume), keeps its checkpoint on a writable volume, runs unprivileged, and the
// Service and ServiceMonitor select what they should.
func TestKubernetes(t *testing.T) {
	objs := k8sObjects(t)
	pod := get(t, objs["Deployment"], "spec", "template", "spec")
	podLabels := get(t, objs["Deployment"], "spec", "template", "metadata", "labels").(map[string]any)
	exp := findContainer(t, pod, "waba-exporter")
	var receiver map[string]any
	for _, c := range list(t, pod, "containers") {
		if str(t, c, "name") != "waba-exporter" {
			receiver = c.(map[string]any)
		}
	}
	if receiver == nil {
		t.Fatal("no webhook receiver container next to the exporter")
	}

	// Probes on the named metrics port.
	ports := map[string]int{}
	for _, p := range list(t, exp, "ports") {
		ports[str(t, p, "name")] = get(t, p, "containerPort").(int)
	}
	for probe, path := range map[string]string{"readinessProbe": "/-/ready", "livenessProbe": "/-/healthy"} {
		if got := str(t, exp, probe, "httpGet", "path"); got != path {
			t.Errorf("%s path = %q, want %q", probe, got, path)
		}
		if _, ok := ports[str(t, exp, probe, "httpGet", "port")]; !ok {
			t.Errorf("%s port is not a named port of the container (%v)", probe, ports)
		}
	}

	// Volumes: logs shared, read-only for the exporter; config from the ConfigMap.
	em, rm := mounts(t, exp), mounts(t, receiver)
	volumes := map[string]map[string]any{}
	for _, v := range list(t, pod, "volumes") {
		volumes[str(t, v, "name")] = v.(map[string]any)
	}
	var logDir string
	for name, m := range em {
		if r, ok := rm[name]; ok {
			if !m.ro || r.ro {
				t.Errorf("shared volume %q: exporter read-only %v, receiver read-only %v", name, m.ro, r.ro)
			}
			logDir = m.path
		}
		if volumes[name] == nil {
			t.Errorf("mount %q has no volume", name)
		}
	}
	if logDir == "" {
		t.Fatal("the exporter shares no volume with the receiver")
	}
	args := []string{}
	for _, a := range list(t, exp, "args") {
		args = append(args, a.(string))
	}
	argValue := func(flag string) string {
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, "--"+flag+"="); ok {
				return v
			}
		}
		t.Fatalf("exporter args have no --%s=", flag)
		return ""
	}
	configPath := argValue("config")
	cmName := str(t, objs["ConfigMap"], "metadata", "name")
	var configMount string
	for name, v := range volumes {
		if cm, ok := v["configMap"]; ok && str(t, cm, "name") == cmName {
			configMount = em[name].path
		}
	}
	if configMount == "" || filepath.Dir(configPath) != configMount {
		t.Errorf("--config=%s is not in the ConfigMap's mount (%q)", configPath, configMount)
	}
	data := get(t, objs["ConfigMap"], "data").(map[string]any)
	cfgText, ok := data[filepath.Base(configPath)].(string)
	if !ok {
		t.Fatalf("ConfigMap has no key %q", filepath.Base(configPath))
	}
	checkConfig(t, "ConfigMap "+filepath.Base(configPath), cfgText)
	var cfg struct {
		Inputs []struct{ Path string } `yaml:"inputs"`
	}
	if err := yaml.Unmarshal([]byte(cfgText), &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Inputs) == 0 {
		t.Error("the ConfigMap's config has no inputs")
	}
	for _, in := range cfg.Inputs {
		if !strings.HasPrefix(in.Path, logDir+"/") {
			t.Errorf("input %s is not on the shared log volume %s", in.Path, logDir)
		}
	}
	cp := argValue("checkpoint.path")
	writable := false
	for _, m := range em {
		if strings.HasPrefix(cp, m.path+"/") && !m.ro {
			writable = true
		}
	}
	if !writable {
		t.Errorf("--checkpoint.path=%s is not on a writable volume of the exporter", cp)
	}

	// Unprivileged.
	if v, _ := get(t, pod, "securityContext", "runAsNonRoot").(bool); !v {
		t.Error("pod securityContext.runAsNonRoot is not true")
	}
	for _, c := range []map[string]any{exp, receiver} {
		if v, _ := get(t, c, "securityContext", "allowPrivilegeEscalation").(bool); v {
			t.Errorf("%s: allowPrivilegeEscalation", c["name"])
		}
		if v, _ := get(t, c, "securityContext", "readOnlyRootFilesystem").(bool); !v {
			t.Errorf("%s: root file system is writable", c["name"])
		}
	}

	// Service -> pod, ServiceMonitor -> Service, same port name.
	for k, v := range get(t, objs["Service"], "spec", "selector").(map[string]any) {
		if podLabels[k] != v {
			t.Errorf("Service selector %s=%v does not match the pod labels %v", k, v, podLabels)
		}
	}
	svcLabels := get(t, objs["Service"], "metadata", "labels").(map[string]any)
	for k, v := range get(t, objs["ServiceMonitor"], "spec", "selector", "matchLabels").(map[string]any) {
		if svcLabels[k] != v {
			t.Errorf("ServiceMonitor selects %s=%v; the Service has %v", k, v, svcLabels)
		}
	}
	svcPort := str(t, objs["Service"], "spec", "ports", 0, "name")
	if got := str(t, objs["ServiceMonitor"], "spec", "endpoints", 0, "port"); got != svcPort {
		t.Errorf("ServiceMonitor port %q, Service port %q", got, svcPort)
	}
	if tp := str(t, objs["Service"], "spec", "ports", 0, "targetPort"); ports[tp] == 0 {
		t.Errorf("Service targetPort %q is not a port of the exporter", tp)
	}
	if get(t, objs["Service"], "spec", "ports", 0, "port").(int) != ports["metrics"] {
		t.Errorf("Service port differs from the exporter's")
	}
	if lp := argValue("web.listen-address"); !strings.HasSuffix(lp, ":"+strconv.Itoa(ports["metrics"])) {
		t.Errorf("--web.listen-address=%s, container port %d", lp, ports["metrics"])
	}
}

// checkConfig runs `waba_exporter check-config` on text.
func checkConfig(t *testing.T, name, text string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "waba_exporter.yml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(mustBinary(t), "check-config", path).CombinedOutput()
	if err != nil {
		t.Errorf("check-config of %s: %v\n%s", name, err, out)
	}
}

// parseUnit returns the unit's ExecStart with continuation lines joined, and the
// unit's settings (key -> values).
func parseUnit(t *testing.T, text string) (execStart []string, settings map[string][]string) {
	t.Helper()
	settings = map[string][]string{}
	var logical []string
	var cur strings.Builder
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";")) {
			continue
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		logical = append(logical, cur.String())
		cur.Reset()
	}
	for _, l := range logical {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue // section header
		}
		settings[k] = append(settings[k], v)
	}
	if len(settings["ExecStart"]) != 1 {
		t.Fatalf("want one ExecStart, got %v", settings["ExecStart"])
	}
	return strings.Fields(settings["ExecStart"][0]), settings
}

// TestSystemdUnit checks the hardening settings and where the checkpoint goes, and runs
// `systemd-analyze verify` (Debian package "systemd") and its offline security score.
func TestSystemdUnit(t *testing.T) {
	text := readFile(t, "systemd/waba_exporter.service")
	execStart, s := parseUnit(t, text)
	for key, want := range map[string]string{
		"DynamicUser": "yes", "ProtectSystem": "strict", "NoNewPrivileges": "yes", "ProtectHome": "yes",
		"PrivateTmp": "yes", "StateDirectory": "waba_exporter", "CapabilityBoundingSet": "",
	} {
		if got := s[key]; len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if len(s["ReadOnlyPaths"]) == 0 {
		t.Error("no ReadOnlyPaths for the logs")
	}
	var cp string
	for _, a := range execStart[1:] {
		if v, ok := strings.CutPrefix(a, "--checkpoint.path="); ok {
			cp = v
		}
	}
	if stateDir := "/var/lib/" + s["StateDirectory"][0] + "/"; !strings.HasPrefix(cp, stateDir) {
		t.Errorf("--checkpoint.path=%q is not under the StateDirectory %s", cp, stateDir)
	}
	analyze := testutil.Tool(t, "systemd-analyze")
	// verify needs the ExecStart binary to exist: point it at the one just built.
	unit := filepath.Join(t.TempDir(), "waba_exporter.service")
	if err := os.WriteFile(unit, []byte(strings.ReplaceAll(text, execStart[0], mustBinary(t))), 0o644); err != nil {
		t.Fatal(err)
	}
	// verify exits 0 on unknown keys and bad values (it only warns): any output fails.
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=yes", unit).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for waba_exporter\.service: ([0-9.]+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("systemd-analyze security --offline=yes: %v\n%s", err, out)
	}
	if score, _ := strconv.ParseFloat(string(m[1]), 64); score > 2.0 {
		t.Errorf("exposure level %.1f, want <= 2.0 (as the README says):\n%s", score, out)
	}
}

// stage is one stage of the parsed deploy/Dockerfile.
type stage struct {
	from, name string
	instrs     [][2]string // instruction, arguments
}

func parseDockerfile(t *testing.T) []stage {
	t.Helper()
	var stages []stage
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		instr, args, _ := strings.Cut(line, " ")
		instr = strings.ToUpper(instr)
		if instr == "FROM" {
			f := strings.Fields(args)
			st := stage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			return
		}
		if len(stages) > 0 {
			stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, [2]string{instr, strings.TrimSpace(args)})
		}
	}
	for _, line := range strings.Split(readFile(t, "Dockerfile"), "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "#") || (trim == "" && cur.Len() == 0) {
			continue
		}
		if s, ok := strings.CutSuffix(trim, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(trim)
		flush()
	}
	flush()
	return stages
}

// TestDockerfile checks the multi-stage build: a Go build stage, a distroless runtime
// running as a non-root user, an entrypoint that is the copied binary, and a command
// whose config file is in the image. (Building the image needs a Docker engine.)
func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t)
	if len(stages) < 2 || !strings.HasPrefix(stages[0].from, "golang:") || stages[0].name == "" {
		t.Fatalf("want a golang build stage then a runtime stage, got %+v", stages)
	}
	rt := stages[len(stages)-1]
	if !strings.HasPrefix(rt.from, "gcr.io/distroless/") {
		t.Errorf("runtime image %s is not distroless", rt.from)
	}
	copied := map[string]bool{}
	var user, entry, cmd string
	for _, in := range rt.instrs {
		switch in[0] {
		case "COPY":
			f := strings.Fields(in[1])
			if !strings.Contains(in[1], "--from="+stages[0].name) {
				t.Errorf("runtime COPY not from the build stage: %s", in[1])
			}
			copied[f[len(f)-1]] = true
		case "USER":
			user = in[1]
		case "ENTRYPOINT":
			entry = in[1]
		case "CMD":
			cmd = in[1]
		case "RUN":
			t.Errorf("RUN in the runtime stage (no shell in distroless): %s", in[1])
		}
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "0" || u == "root" {
		t.Errorf("runtime USER %q is root", user)
	}
	var ep, args []string
	if err := json.Unmarshal([]byte(entry), &ep); err != nil || len(ep) != 1 || !copied[ep[0]] {
		t.Errorf("ENTRYPOINT %s is not the exec form of a copied binary (%v)", entry, copied)
	}
	if err := json.Unmarshal([]byte(cmd), &args); err != nil || len(args) == 0 {
		t.Fatalf("CMD %s is not an exec-form list", cmd)
	}
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--config="); ok && !copied[v] {
			t.Errorf("CMD reads %s, which the image does not contain", v)
		}
	}
	ignore := readFile(t, "Dockerfile.dockerignore")
	for _, p := range []string{".git", ".cache"} {
		if !strings.Contains(ignore, p+"\n") {
			t.Errorf("Dockerfile.dockerignore does not leave out %s", p)
		}
	}
}

// invocations collects every waba_exporter command line of the deployment files and
// of the README's shell blocks.
func invocations(t *testing.T) []invocation {
	t.Helper()
	var out []invocation
	execStart, _ := parseUnit(t, readFile(t, "systemd/waba_exporter.service"))
	out = append(out, invocation{"systemd ExecStart", execStart[1:]})
	objs := k8sObjects(t)
	var kargs []string
	for _, a := range list(t, findContainer(t, get(t, objs["Deployment"], "spec", "template", "spec"), "waba-exporter"), "args") {
		kargs = append(kargs, a.(string))
	}
	out = append(out, invocation{"Kubernetes args", kargs})
	for _, st := range parseDockerfile(t) {
		for _, in := range st.instrs {
			if in[0] == "CMD" {
				var a []string
				if err := json.Unmarshal([]byte(in[1]), &a); err != nil {
					t.Fatal(err)
				}
				out = append(out, invocation{"Dockerfile CMD", a})
			}
		}
	}
	// README: command lines in ```sh blocks (continuations joined) and the flag table.
	readme := readFile(t, "README.md")
	inSh := false
	var cur string
	for _, line := range strings.Split(readme, "\n") {
		switch {
		case strings.HasPrefix(line, "```sh"):
			inSh = true
			continue
		case strings.HasPrefix(line, "```"):
			inSh = false
			continue
		}
		if !inSh {
			continue
		}
		if s, ok := strings.CutSuffix(strings.TrimSpace(line), "\\"); ok {
			cur += s + " "
			continue
		}
		cur += strings.TrimSpace(line)
		f := strings.Fields(cur)
		cur = ""
		for i, w := range f {
			// waba_exporter <cmd> ... or docker run ... waba_exporter <cmd> ...
			if (w == "waba_exporter" || strings.HasSuffix(w, "/waba_exporter")) && i+1 < len(f) && !strings.HasPrefix(f[i+1], "-") && i == 0 {
				out = append(out, invocation{"README: " + strings.Join(f, " "), f[1:]})
			}
		}
	}
	return out
}

// TestFlagsExist checks that every flag the unit, the manifest, the Dockerfile and the
// README use is one the built binary's subcommand lists, and that every
// WABA_EXPORTER_* variable they name exists.
func TestFlagsExist(t *testing.T) {
	invs := invocations(t)
	if len(invs) < 5 {
		t.Fatalf("found only %d command lines", len(invs))
	}
	help := map[string]map[string]bool{}
	envs := map[string]bool{}
	for _, inv := range invs {
		cmd := inv.args[0]
		if cmd == "generate" && len(inv.args) > 1 {
			cmd += " " + inv.args[1] // generate rules|dashboards
		}
		if help[cmd] == nil {
			var e map[string]bool
			help[cmd], e = knownFlags(t, cmd)
			for k := range e {
				envs[k] = true
			}
		}
		if len(flagsOf(inv.args)) == 0 && cmd != "check-config" && cmd != "demo" {
			t.Errorf("%s: no flags found in %v", inv.where, inv.args)
		}
		for _, f := range flagsOf(inv.args) {
			if !help[cmd][f] {
				t.Errorf("%s: --%s is not a flag of `waba_exporter %s`", inv.where, f, cmd)
			}
		}
	}
	// The README's flag table lists exactly the run command's flags.
	var table []string
	for _, m := range regexp.MustCompile("(?m)^\\| `--([a-z][a-z0-9.-]*)`").FindAllStringSubmatch(readFile(t, "README.md"), -1) {
		table = append(table, m[1])
	}
	runFlags, runEnvs := knownFlags(t, "run")
	for k := range runEnvs {
		envs[k] = true
	}
	var want []string
	for f := range runFlags {
		if f != "help" {
			want = append(want, f)
		}
	}
	sort.Strings(table)
	sort.Strings(want)
	if strings.Join(table, " ") != strings.Join(want, " ") {
		t.Errorf("README flag table:\n got %v\nwant %v", table, want)
	}
	for _, file := range []string{"README.md", "systemd/waba_exporter.service"} {
		for _, m := range regexp.MustCompile(`WABA_EXPORTER_[A-Z0-9_]+`).FindAllString(readFile(t, file), -1) {
			if m != "WABA_EXPORTER_" && !envs[m] {
				t.Errorf("%s names %s, which no flag reads", file, m)
			}
		}
	}
}

// TestPushFlagErrors checks what the README promises for bad push flags: exit status 2,
// a message naming the flag, and no secret of the URL in it.
func TestPushFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "bad label name", args: []string{"run", "--input.path=/dev/null", "--push.url=http://127.0.0.1:9/api/v1/import/prometheus", "--push.extra-label=bad-name=1"},
			want: `--push.extra-label[0]: "bad-name"`},
		{name: "label without value", args: []string{"demo", "--push.url=http://127.0.0.1:9/x", "--push.extra-label=env"},
			want: `--push.extra-label[0]: "env": want name=value`},
		{name: "label without url", args: []string{"demo", "--push.extra-label=env=prod"},
			want: "--push.extra-label needs --push.url"},
		{name: "bad scheme with a password", args: []string{"run", "--input.path=/dev/null", "--push.url=ftp://user:hunter2secret@vm/x"},
			want: "--push.url[0]: scheme must be http or https"},
		{name: "negative interval", args: []string{"run", "--input.path=/dev/null", "--push.url=http://127.0.0.1:9/x", "--push.interval=-1s"},
			want: "--push.interval: must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			args := append(tc.args, "--web.listen-address=127.0.0.1:0")
			cmd := exec.CommandContext(ctx, mustBinary(t), args...)
			cmd.Dir = t.TempDir() // the demo must not leave files behind here
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("exit: %v (want status 2)\n%s", err, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("output does not say %q:\n%s", tc.want, out)
			}
			if strings.Contains(string(out), "hunter2secret") {
				t.Errorf("output carries the URL's password:\n%s", out)
			}
		})
	}
}

// TestDockerfileBuildCommand runs the build stage's RUN command as written (with /out
// moved to a temporary directory and the ARGs set), since no Docker engine may be at
// hand: the binary must be static, carry the version and revision given as build
// arguments, and every file the runtime stage copies from /out must exist.
func TestDockerfileBuildCommand(t *testing.T) {
	stages := parseDockerfile(t)
	var run string
	for _, in := range stages[0].instrs {
		if in[0] == "RUN" && strings.Contains(in[1], "go build") {
			run = in[1]
		}
	}
	if run == "" {
		t.Fatal("no go build in the build stage")
	}
	out := t.TempDir()
	cmd := exec.Command("sh", "-ec", strings.ReplaceAll(run, "/out/", out+"/"))
	cmd.Dir = ".." // the build context: the repository root
	cmd.Env = append(os.Environ(), "VERSION=9.8.7-deploytest", "REVISION=0123abcd")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", run, err, b)
	}
	bin := filepath.Join(out, "waba_exporter")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary is dynamically linked (distroless/static has no libc)")
		}
	}
	f.Close()
	v, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(v), "9.8.7-deploytest") || !strings.Contains(string(v), "0123abcd") {
		t.Errorf("version of the image's binary: %v\n%s", err, v)
	}
	for _, in := range stages[len(stages)-1].instrs {
		if in[0] != "COPY" {
			continue
		}
		f := strings.Fields(in[1])
		src := f[len(f)-2]
		if rel, ok := strings.CutPrefix(src, "/out/"); ok {
			if _, err := os.Stat(filepath.Join(out, rel)); err != nil {
				t.Errorf("COPY %s: %v", src, err)
			}
		} else {
			t.Errorf("runtime COPY from outside /out: %s", in[1])
		}
	}
}
