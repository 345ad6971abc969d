package testutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRepoRoot(t *testing.T) {
	root := RepoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "module github.com/waba-exporter/waba_exporter\n") {
		t.Errorf("RepoRoot = %s, whose go.mod is not this module's", root)
	}
	if wd, _ := os.Getwd(); filepath.Join(root, "internal", "testutil") != wd {
		t.Errorf("RepoRoot = %s, not two levels above %s", root, wd)
	}
}

// TestToolLookupOrder checks that $WABA_<NAME> wins over PATH and that PATH is searched.
func TestToolLookupOrder(t *testing.T) {
	SkipShort(t, "nothing external, but Tool skips under -short by contract")
	dir := t.TempDir()
	bin := filepath.Join(dir, "waba-fake-tool")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	if got := Tool(t, "waba-fake-tool"); got != bin {
		t.Errorf("from PATH: Tool = %q, want %q", got, bin)
	}
	t.Setenv("WABA_WABA_FAKE_TOOL", "/elsewhere/tool")
	if got := Tool(t, "waba-fake-tool"); got != "/elsewhere/tool" {
		t.Errorf("from the environment: Tool = %q, want /elsewhere/tool", got)
	}
}

// TestHints checks that every tool the package comment names says how to install it.
func TestHints(t *testing.T) {
	for _, name := range []string{"promtool", "prometheus", "prometheus-alertmanager", "amtool", "victoria-metrics", "node", "python3"} {
		if !strings.Contains(hints[name], "install") {
			t.Errorf("%s: no install hint", name)
		}
	}
}
