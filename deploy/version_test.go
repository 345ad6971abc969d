package deploy

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/testutil"
)

// TestMakeBuildVersion builds with `make build` and checks that the version it compiles
// in (VERSION=...) is shown by --version (exit 0), by `version`, on the landing page and
// in waba_exporter_build_info.
func TestMakeBuildVersion(t *testing.T) {
	make := testutil.Tool(t, "make")
	const v = "7.7.7-versiontest"
	bin := filepath.Join(t.TempDir(), "waba_exporter")
	if out, err := exec.Command(make, "-C", "..", "build", "BIN="+bin, "VERSION="+v).CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("%v: %v (want exit status 0)\n%s", args, err, out)
		}
		if !strings.HasPrefix(string(out), "waba_exporter, version "+v+" ") {
			t.Errorf("%v printed %q", args, out)
		}
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	input := filepath.Join(t.TempDir(), "webhooks.ndjson")
	if err := os.WriteFile(input, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", "--input.path="+input, "--web.listen-address="+addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	get := func(path string) string {
		var last error
		for i := 0; i < 100; i++ {
			resp, err := http.Get("http://" + addr + path)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return string(b)
			}
			last = err
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("GET %s: %v", path, last)
		return ""
	}
	if page := get("/"); !strings.Contains(page, v) {
		t.Errorf("the landing page does not show version %s:\n%s", v, page)
	}
	if m := regexp.MustCompile(`waba_exporter_build_info\{[^}]*version="([^"]*)"`).FindStringSubmatch(get("/metrics")); m == nil || m[1] != v {
		t.Errorf("waba_exporter_build_info version = %v, want %s", m, v)
	}
}

// TestImageTag checks that the image the manifests run is the one `make image` tags:
// IMAGE:VERSION, with VERSION from the VERSION file.
func TestImageTag(t *testing.T) {
	version := strings.TrimSpace(readFile(t, "../VERSION"))
	if !regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`).MatchString(version) {
		t.Fatalf("VERSION %q is not a semantic version", version)
	}
	mk := readFile(t, "../Makefile")
	m := regexp.MustCompile(`(?m)^IMAGE +\?= *(\S+)$`).FindStringSubmatch(mk)
	if m == nil || !strings.Contains(mk, "-t $(IMAGE_TAG)") || !strings.Contains(mk, "IMAGE_TAG  := $(IMAGE):$(VERSION)") {
		t.Fatal("the Makefile's image target does not tag $(IMAGE):$(VERSION)")
	}
	want := m[1] + ":" + version
	objs := k8sObjects(t)
	img := str(t, findContainer(t, get(t, objs["Deployment"], "spec", "template", "spec"), "waba-exporter"), "image")
	if img != want {
		t.Errorf("Kubernetes runs %s, `make image` builds %s", img, want)
	}
	for _, f := range []string{"README.md", "../README.md", "kubernetes/waba-exporter.yaml"} {
		for _, ref := range regexp.MustCompile(regexp.QuoteMeta(m[1])+`:[^\s"'`+"`"+`]+`).FindAllString(readFile(t, f), -1) {
			if ref != want {
				t.Errorf("%s names %s, want %s", f, ref, want)
			}
		}
	}
}
