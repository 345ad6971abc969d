package exporter

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestServeSystemdSocket runs socket activation for real: this test binary is started
// again as a child that inherits a listening socket as descriptor 3, with LISTEN_FDS=1
// and LISTEN_PID set (by the shell that execs it) to its own pid, as systemd does. The
// child serves on it; the parent's request must reach it through that socket.
func TestServeSystemdSocket(t *testing.T) {
	if os.Getenv("WABA_SYSTEMD_CHILD") == "1" {
		h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "activated") })
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := ServeSystemdSocket(ctx, "", h, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		return
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // the duplicate in f keeps the socket listening for the child
	cmd := exec.Command("sh", "-c", `LISTEN_PID=$$ exec "$0" -test.run='^TestServeSystemdSocket$'`, os.Args[0])
	cmd.Env = append(os.Environ(), "WABA_SYSTEMD_CHILD=1", "LISTEN_FDS=1")
	cmd.ExtraFiles = []*os.File{f}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	// The socket is already listening, so the request waits in its backlog until the
	// child accepts: no polling needed.
	c := &http.Client{Timeout: 15 * time.Second}
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("GET through the activated socket: %v\nchild output:\n%s", err, out.String())
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "activated" {
		t.Fatalf("body %q, want %q", body, "activated")
	}
}

// Without sockets from systemd, --web.systemd-socket fails at once with a clear error.
func TestServeSystemdSocketWithoutSockets(t *testing.T) {
	t.Setenv("LISTEN_FDS", "")
	t.Setenv("LISTEN_PID", "")
	err := ServeSystemdSocket(context.Background(), "", http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "systemd passed no listening socket") {
		t.Fatalf("err = %v, want the no-socket error", err)
	}
}
