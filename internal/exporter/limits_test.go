package exporter

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestIdleConnectionsCannotStarveScrapes: clients holding more idle connections than the
// cap (some never sending a request, some keep-alive after one) cannot stop a scrape;
// idle keep-alive connections are closed after IdleTimeout, and a client that sends an
// incomplete request is cut off after the read timeout.
func TestIdleConnectionsCannotStarveScrapes(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lim := Limits{ReadHeaderTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: 5 * time.Second,
		IdleTimeout: 300 * time.Millisecond, MaxHeaderBytes: 8 << 10, MaxConnections: 8}
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ServeListenerLimits(ctx, l, "", h, slog.New(slog.DiscardHandler), lim) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	addr := l.Addr().String()

	// 40 connections that never send anything: five times the cap.
	var idle []net.Conn
	for i := 0; i < 40; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	// Scrapes still succeed, each on a new connection, well before any timeout.
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := 0; i < 10; i++ {
		start := time.Now()
		resp, err := client.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatalf("scrape %d with %d idle connections open: %v", i, len(idle), err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("scrape %d: %s", i, resp.Status)
		}
		if d := time.Since(start); d > lim.ReadTimeout {
			t.Errorf("scrape %d took %v: it waited for a timeout instead of evicting an idle connection", i, d)
		}
	}

	// Over the cap, idle connections were closed at once (evicted, before any timeout);
	// the rest are closed by the read timeout.
	evicted := 0
	for _, c := range idle {
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err == io.EOF {
			evicted++
		}
	}
	if evicted < len(idle)-lim.MaxConnections {
		t.Errorf("%d of %d idle connections closed before the timeouts, want at least %d", evicted, len(idle), len(idle)-lim.MaxConnections)
	}
	deadline := time.Now().Add(3 * time.Second)
	for i, c := range idle {
		c.SetReadDeadline(deadline)
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("idle connection %d still open after %v", i, 3*time.Second)
			}
		}
	}

	// A keep-alive connection after a request is closed after IdleTimeout.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	start := time.Now()
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("keep-alive connection: read = %v, want EOF after the idle timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("keep-alive connection closed after %v", d)
	}

	// A request whose headers never end is cut off.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	io.WriteString(c2, "GET /metrics HTTP/1.1\r\nHost: x\r\n")
	c2.SetReadDeadline(time.Now().Add(3 * time.Second))
	// The server may answer 408 before closing; what matters is that it closes.
	if _, err := io.ReadAll(c2); err != nil {
		t.Errorf("incomplete request: connection not closed by the server: %v", err)
	}
}
