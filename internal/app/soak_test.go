package app

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/sim"
)

// The soak (make soak) and its short form (make test) are one test with other sizes.
var (
	soakKills  = flag.Int("soak.kills", 6, "soak: SIGKILLs at random points")
	soakLines  = flag.Int("soak.lines", 6000, "soak: generated lines (one simulated month)")
	soakHours  = flag.Int("soak.hours", 12, "soak: rotations (one per simulated hour of the month: 720)")
	soakSeed   = flag.Int64("soak.seed", 0, "soak: seed of the kill points and slices (0: from the clock)")
	soakReport = flag.String("soak.report", "", "soak: write the result as JSON to this file")
)

// soakFixedNow is before every generated event (see WABA_CRASH_NOW): the soak compares
// byte for byte, so the live tick must change nothing.
var soakFixedNow = strconv.FormatInt(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC).Unix(), 10)

// startSoakChild starts the exporter child in dir, tailing the relative path log (so the
// logfile label is the same in every directory).
func startSoakChild(t *testing.T, dir, log, cp string) *child {
	t.Helper()
	addrFile := filepath.Join(dir, fmt.Sprintf("addr-%d", time.Now().UnixNano()))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WABA_CRASH_CHILD=1", "WABA_CRASH_LOG="+log, "WABA_CRASH_CHECKPOINT="+cp,
		"WABA_CRASH_ADDR="+addrFile, "WABA_CRASH_NOW="+soakFixedNow)
	cmd.Stderr = io.Discard
	if lf, err := os.OpenFile(filepath.Join(dir, "children.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
		cmd.Stderr = lf // the children's logs, for a failure's diagnosis
		defer lf.Close()
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if b, err := os.ReadFile(addrFile); err == nil {
			c.addr = string(b)
			os.Remove(addrFile)
			return c
		}
	}
	cmd.Process.Kill()
	t.Fatal("child did not start")
	return nil
}

// linesRead scrapes the child's lines_read_total (-1 when it does not answer).
func (c *child) linesRead(log string) float64 {
	return metricValue(nil, "http://"+c.addr, fmt.Sprintf("waba_exporter_lines_read_total{logfile=%q}", log))
}

// soakVolatile are series that differ between a rotated log and one file by design.
var soakVolatile = []string{"waba_exporter_file_rotations_total", "waba_exporter_file_truncations_total",
	"waba_exporter_file_read_errors_total", "waba_exporter_source_up"}

func withoutSoakVolatile(s string) string {
	var keep []string
next:
	for _, l := range strings.Split(s, "\n") {
		for _, v := range soakVolatile {
			if strings.HasPrefix(l, v) {
				continue next
			}
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

type soakResult struct {
	Lines           int     `json:"lines"`
	Bytes           int     `json:"bytes"`
	Kills           int     `json:"kills"`
	Rotations       int     `json:"rotations"`
	Renames         int     `json:"renames"`
	Copytruncates   int     `json:"copytruncates"`
	Slices          int     `json:"slices"`
	CutLines        int     `json:"slices_cutting_a_line"`
	Seed            int64   `json:"seed"`
	Seconds         float64 `json:"seconds"`
	ExpositionLines int     `json:"exposition_lines"`
	DiffLines       int     `json:"diff_lines"`
	Equal           bool    `json:"byte_equal"`
}

// TestSoakRotations: a generated month is written to a log in slices that cut lines, with
// a rotation every simulated hour, alternating rename (the log moved to log.N, a new one
// created) and copytruncate (copied to log.N, truncated in place); the exporter (with
// checkpoints) is killed with SIGKILL at random points and restarted each time. Its final
// exposition must equal, byte for byte, that of one uninterrupted read of the same lines
// (series that describe the rotations themselves aside). Before a copytruncate the writer
// waits until the exporter has read everything and stops it gracefully: copytruncate loses,
// by design, what is written after the last read and before the truncation, and lines of a
// checkpoint older than the truncation cannot be read again from the truncated file. Before
// a rename it waits until a checkpoint was written since the file was created: a file
// rotated away before any checkpoint knew it is not found again after a crash.
//
// make test runs the short form; make soak runs 1,000 kills over a month with 720
// rotations (flags -soak.*), and writes its result for docs/reliability.md.
func TestSoakRotations(t *testing.T) {
	start := time.Now()
	n, kills, hours := *soakLines, *soakKills, *soakHours
	seed := *soakSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	rng := rand.New(rand.NewSource(seed))
	var gen bytes.Buffer
	month := 30 * 86400.0
	if err := sim.New(sim.Options{Seed: 7, Rate: float64(n) / month}).WriteN(&gen, n); err != nil {
		t.Fatal(err)
	}
	all := gen.Bytes()
	res := soakResult{Lines: n, Bytes: len(all), Seed: seed}

	// The reference: one uninterrupted read of all the lines, in its own directory.
	refDir := t.TempDir()
	const log = "webhooks.log"
	if err := os.WriteFile(filepath.Join(refDir, log), all, 0o644); err != nil {
		t.Fatal(err)
	}
	ref := startSoakChild(t, refDir, log, "ref.ckpt")
	want := withoutSoakVolatile(waitComplete(t, ref, n))
	ref.kill()

	// Hour boundaries (line starts) and the slices of each hour, with the kill points.
	var starts []int
	for i := 0; i < len(all); i++ {
		if i == 0 || all[i-1] == '\n' {
			starts = append(starts, i)
		}
	}
	starts = append(starts, len(all))
	perHour := (n + hours - 1) / hours
	type slice struct{ from, to int }
	var plan [][]slice // per hour
	for h := 0; h < hours && h*perHour < n; h++ {
		from, to := starts[h*perHour], starts[min((h+1)*perHour, n)]
		cuts := []int{from}
		for k := rng.Intn(4); k > 0 && to-from > 2; k-- {
			cuts = append(cuts, from+1+rng.Intn(to-from-1))
		}
		cuts = append(cuts, to)
		for i := 1; i < len(cuts); i++ { // sorted, possibly equal
			for j := i; j > 0 && cuts[j] < cuts[j-1]; j-- {
				cuts[j], cuts[j-1] = cuts[j-1], cuts[j]
			}
		}
		var ss []slice
		for i := 1; i < len(cuts); i++ {
			if cuts[i] > cuts[i-1] {
				ss = append(ss, slice{cuts[i-1], cuts[i]})
				if all[cuts[i]-1] != '\n' {
					res.CutLines++
				}
			}
		}
		plan = append(plan, ss)
		res.Slices += len(ss)
	}
	killAt := make([]int, res.Slices)
	for k := 0; k < kills; k++ {
		killAt[rng.Intn(len(killAt))]++
	}

	dir := t.TempDir()
	path := filepath.Join(dir, log)
	appendBytes := func(b []byte) {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(b); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	appendBytes(nil)
	c := startSoakChild(t, dir, log, "soak.ckpt")
	defer func() { c.kill() }()
	written, si := 0, 0     // complete lines written; slice index
	createdAt := time.Now() // when the file now at the path was created
	for h, ss := range plan {
		for _, s := range ss {
			appendBytes(all[s.from:s.to])
			written += bytes.Count(all[s.from:s.to], []byte("\n"))
			for k := killAt[si]; k > 0; k-- {
				time.Sleep(time.Duration(rng.Intn(30)) * time.Millisecond) // a random point of its work
				c.kill()
				res.Kills++
				c = startSoakChild(t, dir, log, "soak.ckpt")
			}
			si++
		}
		if h == len(plan)-1 {
			break
		}
		res.Rotations++
		rotated := filepath.Join(dir, fmt.Sprintf("%s.%d", log, h+1))
		if h%2 == 0 {
			// A file renamed away before any checkpoint knew it cannot be found again
			// (docs/reliability.md): wait until one was written since it was created.
			deadline := time.Now().Add(2 * time.Minute)
			for {
				if fi, err := os.Stat(filepath.Join(dir, "soak.ckpt")); err == nil && fi.ModTime().After(createdAt) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("hour %d: no checkpoint written since the log was created", h)
				}
				time.Sleep(10 * time.Millisecond) // polling a child process, bounded
			}
			if err := os.Rename(path, rotated); err != nil {
				t.Fatal(err)
			}
			res.Renames++
			createdAt = time.Now()
			continue
		}
		// copytruncate: only once everything written is read and checkpointed.
		deadline := time.Now().Add(2 * time.Minute)
		for c.linesRead(log) != float64(written) {
			if time.Now().After(deadline) {
				logs, _ := os.ReadFile(filepath.Join(dir, "children.log"))
				if len(logs) > 6000 {
					logs = logs[len(logs)-6000:]
				}
				t.Fatalf("hour %d: the exporter did not catch up: %v of %d lines; children's log ends:\n%s", h, c.linesRead(log), written, logs)
			}
			time.Sleep(20 * time.Millisecond) // polling a child process, bounded
		}
		c.cmd.Process.Signal(syscall.SIGTERM)
		c.cmd.Wait()
		content, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(rotated, content, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, 0); err != nil {
			t.Fatal(err)
		}
		res.Copytruncates++
		c = startSoakChild(t, dir, log, "soak.ckpt")
	}
	got := withoutSoakVolatile(waitComplete(t, c, n))
	res.Seconds = time.Since(start).Seconds()
	res.ExpositionLines = strings.Count(want, "\n") + 1
	res.Equal = got == want
	if !res.Equal {
		d := lineDiff(want, got)
		res.DiffLines = strings.Count(d, "\n") + 1
		t.Errorf("exposition after %d kills and %d rotations differs from an uninterrupted read:\n%s", res.Kills, res.Rotations, d)
		t.Logf("children's warnings:\n%s", soakWarnings(filepath.Join(dir, "children.log")))
	}
	t.Logf("soak: %+v", res)
	if *soakReport != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*soakReport, append(b, '\n'), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// soakWarnings returns the WARN and ERROR lines of the children's log (the last 40), for
// a failure's diagnosis: which file was counted as lost, which checkpoint was refused.
func soakWarnings(path string) string {
	b, _ := os.ReadFile(path)
	var keep []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep[max(0, len(keep)-40):], "\n")
}
