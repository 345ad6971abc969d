// Package testutil holds the helpers that the tests of several packages share.
//
// External tools (promtool, prometheus, alertmanager, amtool, victoria-metrics, tsc and
// node, python3 with the reference generator of ../shared) follow one rule: under -short
// a test that needs one is skipped, whether or not the tool is installed, so that the
// short suite runs on a checkout with only Go; without -short a missing tool fails the
// test with a message that says how to install it. A test is never skipped for a missing
// tool outside -short: that would let a suite look green without having run.
package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// installDeps is how most external tools get installed.
const installDeps = "run `bash scripts/install-test-deps.sh` as root from the repository root"

// hints says how to install each tool, after installDeps where that installs it.
var hints = map[string]string{
	"promtool":                installDeps + " (Debian package prometheus)",
	"prometheus":              installDeps + " (Debian package prometheus)",
	"prometheus-alertmanager": installDeps + " (Debian package prometheus-alertmanager)",
	"alertmanager":            installDeps + " (Debian package prometheus-alertmanager)",
	"amtool":                  installDeps + " (Debian package prometheus-alertmanager)",
	"yamllint":                installDeps + " (Debian package yamllint)",
	"kcat":                    installDeps + " (Debian package kcat)",
	"systemd-analyze":         installDeps + " (Debian package systemd)",
	"node":                    "install Node.js (Debian: apt-get install nodejs npm), then " + installDeps,
	"python3":                 "install Python 3 (Debian: apt-get install python3)",
	"make":                    "install make (Debian: apt-get install make)",
	"victoria-metrics": installDeps + ", or build it from the module proxy in a scratch module: " +
		"printf 'module vmbuild\\ngo 1.26\\nrequire github.com/VictoriaMetrics/VictoriaMetrics v1.129.1\\n' > go.mod && " +
		"go build -mod=mod -o .cache/bin/victoria-metrics github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics",
}

// SkipShort skips the test under -short, saying what it needs.
func SkipShort(t testing.TB, needs string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: skipping a test that needs %s", needs)
	}
}

// Tool returns the path of the external program name, or skips the test under -short
// (see the package comment), or fails it. It looks in $WABA_<NAME> (upper case, "-" as
// "_": WABA_VICTORIA_METRICS), then on PATH, then in the repository's .cache/bin.
func Tool(t testing.TB, name string) string {
	t.Helper()
	SkipShort(t, name)
	env := "WABA_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	if p := os.Getenv(env); p != "" {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := filepath.Join(RepoRoot(t), ".cache", "bin", name); isFile(p) {
		return p
	}
	hint := hints[name]
	if hint == "" {
		hint = "install it"
	}
	t.Fatalf("%s not found ($%s, PATH, .cache/bin): %s", name, env, hint)
	return ""
}

// Generator returns the paths of python3 and of the reference generator
// gen_webhooks.py, which lives in ../shared beside the checkout; under -short it skips.
func Generator(t testing.TB) (python, script string) {
	t.Helper()
	SkipShort(t, "python3 and the reference generator beside the checkout (../shared)")
	python = Tool(t, "python3")
	script = filepath.Join(filepath.Dir(RepoRoot(t)), "shared", "tools", "gen_webhooks.py")
	if !isFile(script) {
		t.Fatalf("the generator %s is missing: ../shared must be beside the checkout", script)
	}
	return python, script
}

// NpmDir returns the directory where scripts/install-test-deps.sh installed typescript
// and @grafana/schema ($WABA_NPM_DIR, else <repo>/.cache/npm), after checking that node,
// tsc and the schema are there; under -short it skips.
func NpmDir(t testing.TB) string {
	t.Helper()
	SkipShort(t, "node, tsc and @grafana/schema")
	dir := os.Getenv("WABA_NPM_DIR")
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), ".cache", "npm")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"node_modules/.bin/tsc", "node_modules/@grafana/schema/package.json"} {
		if !isFile(filepath.Join(abs, p)) {
			t.Fatalf("%s missing in %s: %s (or set WABA_NPM_DIR to where it installed typescript and @grafana/schema)", p, abs, installDeps)
		}
	}
	Tool(t, "node")
	return abs
}

// RepoRoot returns the directory of the module's go.mod, found from the working
// directory up (tests run in their package's directory).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if isFile(filepath.Join(dir, "go.mod")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testutil: no go.mod above the working directory")
		}
		dir = parent
	}
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// BuildExporter builds the waba_exporter command from the repository root into a
// temporary directory of t and returns the binary's path; a failed build fails t.
func BuildExporter(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "waba_exporter")
	// go test puts $GOROOT/bin first in the PATH of the test binary.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go not in PATH: %v", err)
	}
	build := exec.Command(goBin, "build", "-o", bin, ".")
	build.Dir = RepoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build of the exporter: %v\n%s", err, out)
	}
	return bin
}
