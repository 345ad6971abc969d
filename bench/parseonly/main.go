// Command parseonly is the parse-only limit of PERFORMANCE.md: it reads a webhook log
// line by line (bufio, big buffer), parses every line with fastjson and counts the
// statuses and inbound messages, keeping no other state. make bench runs it on the same
// file as waba_exporter replay, in the same run, and the ratio of their throughputs is
// the end-to-end target (>= 0.5).
//
// Usage: parseonly FILE...
// Output (stdout, one line): lines=N bytes=N statuses=N messages=N errors=N
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/valyala/fastjson"
)

// counts are what a file holds; they double as a sanity check against the generator's
// --stats ground truth.
type counts struct {
	lines, bytes, statuses, messages, errors int64
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: parseonly FILE...")
		os.Exit(2)
	}
	var c counts
	for _, name := range os.Args[1:] {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "parseonly:", err)
			os.Exit(1)
		}
		err = count(f, &c)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "parseonly:", name, err)
			os.Exit(1)
		}
	}
	fmt.Printf("lines=%d bytes=%d statuses=%d messages=%d errors=%d\n", c.lines, c.bytes, c.statuses, c.messages, c.errors)
}

// count parses every line of r. Lines up to 4 MiB are accepted, as the exporter's tailer.
func count(r io.Reader, c *counts) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	var p fastjson.Parser
	for sc.Scan() {
		line := sc.Bytes()
		c.lines++
		c.bytes += int64(len(line)) + 1
		if len(line) == 0 {
			continue
		}
		v, err := p.ParseBytes(line)
		if err != nil {
			c.errors++
			continue
		}
		for _, e := range v.GetArray("entry") {
			for _, ch := range e.GetArray("changes") {
				val := ch.Get("value")
				c.statuses += int64(len(val.GetArray("statuses")))
				c.messages += int64(len(val.GetArray("messages")))
			}
		}
	}
	return sc.Err()
}
