//go:build unix

package testutil

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Process is an external program started by a test, in its own process group, its
// output in a log file. The test's Cleanup stops it and, when the test failed, logs the
// end of its output.
type Process struct {
	Name string
	Log  string // the file that holds its standard output and error
	cmd  *exec.Cmd
	done chan struct{} // closed when it has exited
}

// StartProcess starts bin with args in dir; its output goes to dir/<name>.log.
func StartProcess(t testing.TB, dir, name, bin string, args ...string) *Process {
	t.Helper()
	p := &Process{Name: name, Log: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	f, err := os.Create(p.Log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() { p.cmd.Wait(); f.Close(); close(p.done) }()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			b, _ := os.ReadFile(p.Log)
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("--- last output of %s:\n%s", name, b)
		}
	})
	return p
}

// Stop sends SIGTERM, then SIGKILL to the process group after 10s, and waits for the
// exit. Stopping an exited process does nothing.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// WaitHTTP200 polls url every 200ms until it answers 200 OK; it fails the test when the
// process exits first or timeout passes.
func (p *Process) WaitHTTP200(t testing.TB, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		select {
		case <-p.done:
			t.Fatalf("%s exited before %s answered: %v", p.Name, url, p.cmd.ProcessState)
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready at %s within %v: %v", p.Name, url, timeout, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// FreeAddr returns a loopback host:port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
