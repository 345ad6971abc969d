// Command runlive measures the live engine: it starts `waba_exporter run` on a log that is
// already complete, waits until the exporter reports ready (every file read to its end
// and every line handed out applied: internal/app caughtUp), checks that the lines read
// equal the file's lines, and stops it. make bench runs it beside `replay` on the same
// file, with the same cores, for the run / replay throughput ratio of issue 14.
//
// Usage: runlive -bin PATH/waba_exporter FILE
// Output (stdout, one line): lines=N seconds=S
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "waba_exporter", "the exporter binary")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after this long")
	lines := flag.Uint64("lines", 0, "lines the file holds (0: count them first, which make bench avoids: the time of this process is the figure)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: runlive -bin PATH FILE")
		os.Exit(2)
	}
	got, secs, err := measure(*bin, flag.Arg(0), *lines, *timeout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "runlive:", err)
		os.Exit(1)
	}
	fmt.Printf("lines=%d seconds=%.3f\n", got, secs)
}

// measure runs the exporter on file until it is ready, and returns the lines it read and
// the seconds from its start to readiness. want is the file's line count (0: counted here).
//
// Readiness is taken from the exporter's own log line `msg="state ready"`, written the
// moment its state becomes ready (the same moment /-/ready turns 200), read from its
// standard error as it comes: polling /-/ready instead would take CPU from the process
// measured, on a machine whose cores it keeps busy, and add up to a poll interval.
func measure(bin, file string, want uint64, timeout time.Duration) (uint64, float64, error) {
	if want == 0 {
		var err error
		if want, err = countLines(file); err != nil {
			return 0, 0, err
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return 0, 0, err
	}
	cmd := exec.Command(bin, "run", "--input.path", file, "--web.listen-address", addr)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	ready := make(chan float64, 1)
	readerDone := make(chan struct{})
	defer func() {
		// Wait only once every read of the pipe is done (os/exec's rule).
		cmd.Process.Signal(syscall.SIGTERM)
		<-readerDone
		cmd.Wait()
	}()
	var logTail strings.Builder
	go func() {
		defer close(readerDone)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		seen := false
		for sc.Scan() {
			if !seen && strings.Contains(sc.Text(), `msg="state ready"`) {
				seen = true
				ready <- time.Since(start).Seconds()
			}
			if logTail.Len() < 4000 {
				logTail.WriteString(sc.Text() + "\n")
			}
		}
		close(ready)
		// A line the scanner cannot take ends the scan: keep draining, so that the
		// exporter never blocks on a full pipe.
		io.Copy(io.Discard, stderr)
	}()
	var secs float64
	select {
	case s, ok := <-ready:
		if !ok {
			return 0, 0, fmt.Errorf("exporter exited before ready; stderr: %s", tail(logTail.String()))
		}
		secs = s
	case <-time.After(timeout):
		return 0, 0, fmt.Errorf("not ready within %v", timeout)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	got, err := linesRead(client, addr)
	if err != nil {
		return 0, 0, err
	}
	if got != want {
		return got, secs, fmt.Errorf("ready after %d lines read, the file has %d", got, want)
	}
	return got, secs, nil
}

// linesRead is the sum of waba_exporter_lines_read_total in the exposition.
func linesRead(client *http.Client, addr string) (uint64, error) {
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return sumMetric(resp.Body, "waba_exporter_lines_read_total")
}

// sumMetric sums the samples of one metric name in a text exposition.
func sumMetric(r io.Reader, name string) (uint64, error) {
	var sum uint64
	found := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, name+"{") && !strings.HasPrefix(l, name+" ") {
			continue
		}
		v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
		if err != nil {
			return 0, fmt.Errorf("sample %q: %w", l, err)
		}
		sum += uint64(v)
		found = true
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if !found {
		return 0, errors.New(name + " not in the exposition")
	}
	return sum, nil
}

func countLines(file string) (uint64, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n uint64
	buf := make([]byte, 1<<20)
	for {
		k, err := f.Read(buf)
		n += uint64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}
