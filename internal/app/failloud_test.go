package app

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/config"
)

// TestFailLoudly: a web server that cannot start ends Run at once with an error naming
// the cause (main turns it into a message and exit status 1), instead of a process that
// tails but serves nothing.
func TestFailLoudly(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "in.ndjson")
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	missingCert := filepath.Join(dir, "web-missing-cert.yml")
	if err := os.WriteFile(missingCert, []byte("tls_server_config:\n  cert_file: "+filepath.Join(dir, "none.crt")+"\n  key_file: "+filepath.Join(dir, "none.key")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Unreadable: a directory where the file should be (chmod 000 does not stop root).
	unreadable := filepath.Join(dir, "web-unreadable.yml")
	if err := os.Mkdir(unreadable, 0o700); err != nil {
		t.Fatal(err)
	}
	free := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	for _, tc := range []struct {
		name, addr, web, want string
	}{
		{"port in use", busy.Addr().String(), "", "address already in use"},
		{"missing certificate", free(), missingCert, "none.crt"},
		{"unreadable web config", free(), unreadable, "web-unreadable.yml"},
		{"missing web config", free(), filepath.Join(dir, "absent.yml"), "absent.yml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			err := Run(ctx, RunOptions{
				Serve:  ServeOptions{ListenAddresses: []string{tc.addr}, WebConfigFile: tc.web},
				Config: config.Default(), LogPaths: []string{logPath}, PollInterval: 20 * time.Millisecond,
			})
			took := time.Since(start)
			if err == nil || errors.Is(err, context.Canceled) || ctx.Err() != nil {
				t.Fatalf("Run = %v after %v (ctx %v), want an error at once", err, took, ctx.Err())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
			if took > time.Second {
				t.Errorf("Run took %v to fail, want under a second", took)
			}
		})
	}
}
