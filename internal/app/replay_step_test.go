package app

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/config"
)

// omSample is one sample line of an OpenMetrics document.
type omSample struct {
	family, series string // series: name and labels as written
	value          float64
	ts             float64
}

// parseStepped checks the document structure OpenMetrics requires of a backfill and
// returns its samples: one # TYPE per family and families not interleaved, each series
// in one run within its family, a series' timestamps increasing, # EOF last.
func parseStepped(t *testing.T, doc []byte) []omSample {
	t.Helper()
	var out []omSample
	family := ""
	families := map[string]bool{}
	series := map[string]bool{} // series already closed
	cur := ""
	lastTS := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(doc))
	sc.Buffer(nil, 1<<20)
	eof := false
	for sc.Scan() {
		line := sc.Text()
		if eof {
			t.Fatalf("line after # EOF: %q", line)
		}
		switch {
		case line == "# EOF":
			eof = true
			continue
		case strings.HasPrefix(line, "# TYPE "):
			family = strings.Fields(line)[2]
			if families[family] {
				t.Fatalf("family %s appears twice", family)
			}
			families[family] = true
			continue
		case strings.HasPrefix(line, "#"):
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		vp := strings.LastIndexByte(line[:sp], ' ')
		name := line[:vp]
		if !strings.HasPrefix(name, family) {
			t.Fatalf("sample %q outside its family %s", line, family)
		}
		v, err1 := strconv.ParseFloat(line[vp+1:sp], 64)
		ts, err2 := strconv.ParseFloat(line[sp+1:], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad sample %q", line)
		}
		// The metric of a histogram sample: its labels without le, its name without the
		// suffix; its samples at one time stay together.
		metric := family + "|" + labelsWithoutLE(name)
		if metric != cur {
			if series[metric] {
				t.Fatalf("series %s appears in two runs", metric)
			}
			series[cur] = true
			cur = metric
		}
		if prev, ok := lastTS[name]; ok && ts <= prev {
			t.Fatalf("%s: timestamp %v after %v", name, ts, prev)
		}
		lastTS[name] = ts
		out = append(out, omSample{family: family, series: name, value: v, ts: ts})
	}
	if !eof {
		t.Fatal("no # EOF")
	}
	return out
}

func labelsWithoutLE(s string) string {
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return ""
	}
	var keep []string
	for _, l := range strings.Split(strings.TrimSuffix(s[i+1:], "}"), ",") {
		if !strings.HasPrefix(l, "le=") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, ",")
}

func replayBytes(t *testing.T, o ReplayOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	o.Out, o.Stdout = "-", &buf
	if o.Config == nil {
		o.Config = config.Default()
	}
	if err := Replay(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReplayStepDocument replays the golden log with a step: the document has the
// structure promtool needs, the same bytes run after run and whether families are
// sorted in memory or on disk, every series carries the extra labels, and the last step
// holds the unstepped replay's final values.
func TestReplayStepDocument(t *testing.T) {
	o := ReplayOptions{Files: []string{replayGoldenInput}, Step: time.Minute, ExtraLabels: []string{"job=waba_exporter", "instance=a:1"}}
	doc := replayBytes(t, o)
	samples := parseStepped(t, doc)
	if again := replayBytes(t, o); !bytes.Equal(doc, again) {
		t.Fatal("two stepped replays differ")
	}
	o.SpillBudget = 512 // many runs per family, merged
	if spilled := replayBytes(t, o); !bytes.Equal(doc, spilled) {
		t.Fatal("sorting on disk gives other bytes than sorting in memory")
	}

	steps := map[float64]bool{}
	last := map[string]omSample{}
	for _, s := range samples {
		if !strings.Contains(s.series, `instance="a:1"`) || !strings.Contains(s.series, `job="waba_exporter"`) {
			t.Fatalf("%s lacks the extra labels", s.series)
		}
		if s.ts != float64(int64(s.ts)/60*60) {
			t.Fatalf("%s: timestamp %v is not a step", s.series, s.ts)
		}
		steps[s.ts] = true
		last[canonical(s.series)] = s
	}
	// The log's event times span 1756684800..1756685750: steps 1756684800..1756685760,
	// 17 of them, the last one written after the flush.
	if len(steps) != 17 {
		t.Errorf("%d steps, want 17", len(steps))
	}
	final := replayBytes(t, ReplayOptions{Files: []string{replayGoldenInput}})
	n := 0
	for _, line := range strings.Split(string(final), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		name := line[:sp]
		if strings.HasPrefix(name, "waba_exporter_collect_duration_seconds") {
			continue
		}
		name = canonical(withLabels(name, `instance="a:1"`, `job="waba_exporter"`))
		want, _ := strconv.ParseFloat(line[sp+1:], 64)
		got, ok := last[name]
		if !ok {
			t.Errorf("%s: missing from the stepped replay", name)
			continue
		}
		if got.value != want || got.ts != 1756685760 {
			t.Errorf("%s: last step %v at %v, want %v at 1756685760", name, got.value, got.ts, want)
		}
		n++
	}
	if n < 300 {
		t.Errorf("compared %d series only", n)
	}
}

// withLabels adds labels to a series name.
func withLabels(series string, add ...string) string {
	if i := strings.IndexByte(series, '{'); i >= 0 {
		return strings.TrimSuffix(series, "}") + "," + strings.Join(add, ",") + "}"
	}
	return series + "{" + strings.Join(add, ",") + "}"
}

// canonical sorts the labels of a series name (label values here hold no comma).
func canonical(series string) string {
	i := strings.IndexByte(series, '{')
	if i < 0 {
		return series
	}
	ls := strings.Split(strings.TrimSuffix(series[i+1:], "}"), ",")
	sort.Strings(ls)
	return series[:i] + "{" + strings.Join(ls, ",") + "}"
}

// stepBody is a Meta webhook body with one status.
func stepBody(id, status string, ts int64) string {
	return fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"100000000000001","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"100000000000002"},"statuses":[{"id":"wamid.step%s","status":%q,"timestamp":"%d","recipient_id":"15550009999"}]},"field":"messages"}]}]}`, id, status, ts)
}

// TestReplayStepSemantics: the sample at step T holds the lines before the first line
// whose event time is after T; a late line counts from the next step; quiet steps are
// written; the last step (at or after the last event) holds everything.
func TestReplayStepSemantics(t *testing.T) {
	const base = 1756684800 // a multiple of 300
	lines := []string{
		stepBody("a", "sent", base+100),
		stepBody("b", "sent", base+350), // passes base+300
		stepBody("c", "sent", base+200), // late: counts from base+600
		stepBody("d", "sent", base+1000),
	}
	file := filepath.Join(t.TempDir(), "steps.ndjson")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	samples := parseStepped(t, replayBytes(t, ReplayOptions{Files: []string{file}, Step: 5 * time.Minute}))
	got := map[float64]float64{}
	for _, s := range samples {
		if strings.HasPrefix(s.series, "waba_outbound_message_status_total{") && strings.Contains(s.series, `status="sent"`) {
			got[s.ts] += s.value
		}
	}
	want := map[float64]float64{base + 300: 1, base + 600: 3, base + 900: 3, base + 1200: 4}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sent by step = %v, want %v", got, want)
	}
}

func TestReplayStepErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "jump.ndjson")
	jump := stepBody("a", "sent", 1756684800) + "\n" + stepBody("b", "sent", 1756684800+10*365*86400) + "\n"
	if err := os.WriteFile(file, []byte(jump), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		o      ReplayOptions
		config bool // a ConfigError (exit 2)
		want   string
	}{
		{"fraction of a second", ReplayOptions{Step: 1500 * time.Millisecond}, true, "whole number of seconds"},
		{"negative", ReplayOptions{Step: -time.Minute}, true, "--step"},
		{"labels without a step", ReplayOptions{ExtraLabels: []string{"job=x"}}, true, "--extra-label needs --step"},
		{"bad label", ReplayOptions{Step: time.Minute, ExtraLabels: []string{"job"}}, true, "--extra-label[0]"},
		{"reserved label", ReplayOptions{Step: time.Minute, ExtraLabels: []string{"__name__=x"}}, true, "reserved"},
		{"ten years at a minute", ReplayOptions{Step: time.Minute}, false, "event time jumps from 2025-09-01T00:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Files, tc.o.Out, tc.o.Config = []string{file}, filepath.Join(t.TempDir(), "out.om"), config.Default()
			err := Replay(context.Background(), tc.o)
			var ce ConfigError
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.As(err, &ce) != tc.config {
				t.Fatalf("err = %v (config error: %v), want one containing %q (config error: %v)", err, errors.As(err, &ce), tc.want, tc.config)
			}
			if _, err := os.Stat(tc.o.Out); err == nil {
				t.Error("an output file was written")
			}
			if left, _ := filepath.Glob(filepath.Join(filepath.Dir(tc.o.Out), "waba-replay-step-*")); len(left) > 0 {
				t.Errorf("spill files left: %v", left)
			}
		})
	}
}
