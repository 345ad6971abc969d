// Command parseonly is the parse-only limit of PERFORMANCE.md: it reads a webhook log
// line by line (bufio, big buffer), parses every line with fastjson and counts the
// statuses and inbound messages, keeping no other state. make bench runs it on the same
// file as waba_exporter replay, in the same run, and the ratio of their throughputs is
// the end-to-end target (>= 0.5). With -stdlib it parses with encoding/json instead
// (into the few fields it counts), the baseline of a decoder written with the standard
// library.
//
// Usage: parseonly [-stdlib] FILE...
// Output (stdout, one line): lines=N bytes=N statuses=N messages=N errors=N
package main

import (
	"bufio"
	"encoding/json"
	"flag"
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
	stdlib := flag.Bool("stdlib", false, "parse with encoding/json instead of fastjson")
	flag.Parse()
	if flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: parseonly [-stdlib] FILE...")
		os.Exit(2)
	}
	parse := parseFast()
	if *stdlib {
		parse = parseStdlib
	}
	var c counts
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "parseonly:", err)
			os.Exit(1)
		}
		err = count(f, &c, parse)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "parseonly:", name, err)
			os.Exit(1)
		}
	}
	fmt.Printf("lines=%d bytes=%d statuses=%d messages=%d errors=%d\n", c.lines, c.bytes, c.statuses, c.messages, c.errors)
}

// count parses every line of r with parse. Lines up to 4 MiB are accepted, as the
// exporter's tailer.
func count(r io.Reader, c *counts, parse func(line []byte, c *counts) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		c.lines++
		c.bytes += int64(len(line)) + 1
		if len(line) == 0 {
			continue
		}
		if parse(line, c) != nil {
			c.errors++
		}
	}
	return sc.Err()
}

// parseFast parses with fastjson (one parser, reused) and counts.
func parseFast() func(line []byte, c *counts) error {
	var p fastjson.Parser
	return func(line []byte, c *counts) error {
		v, err := p.ParseBytes(line)
		if err != nil {
			return err
		}
		for _, e := range v.GetArray("entry") {
			for _, ch := range e.GetArray("changes") {
				val := ch.Get("value")
				c.statuses += int64(len(val.GetArray("statuses")))
				c.messages += int64(len(val.GetArray("messages")))
			}
		}
		return nil
	}
}

// stdBody is what parseStdlib decodes of a body: the arrays it counts (their items kept
// raw, as fastjson's are not walked either).
type stdBody struct {
	Entry []struct {
		Changes []struct {
			Value struct {
				Statuses []json.RawMessage `json:"statuses"`
				Messages []json.RawMessage `json:"messages"`
			} `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

// parseStdlib parses with encoding/json (which checks the whole line) and counts.
func parseStdlib(line []byte, c *counts) error {
	var b stdBody
	if err := json.Unmarshal(line, &b); err != nil {
		return err
	}
	for _, e := range b.Entry {
		for _, ch := range e.Changes {
			c.statuses += int64(len(ch.Value.Statuses))
			c.messages += int64(len(ch.Value.Messages))
		}
	}
	return nil
}
