package app

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/config"
	"github.com/waba-exporter/waba_exporter/internal/exporter"
	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/model"
	"github.com/waba-exporter/waba_exporter/tail"
	"github.com/waba-exporter/waba_exporter/webhook"
)

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{"1GiB", 1 << 30, false}, {"512MiB", 512 << 20, false}, {"1.5GB", 1_500_000_000, false},
		{"1073741824", 1 << 30, false}, {"2g", 2 << 30, false}, {"", 0, true}, {"GiB", 0, true}, {"1 parsec", 0, true},
	} {
		got, err := ParseBytes(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseBytes(%q) = %d, %v", tc.in, got, err)
		}
	}
}

// TestFitCaps: the default caps fit a 1 GiB budget unchanged; a smaller budget lowers
// every cap by one factor so the estimate fits its share.
func TestFitCaps(t *testing.T) {
	wc := WindowConfig(config.Default())
	if fitCaps(&wc, 1<<30) {
		t.Errorf("default caps lowered under 1 GiB: estimate %d bytes", estimateStateBytes(wc))
	}
	small := WindowConfig(config.Default())
	if !fitCaps(&small, 256<<20) {
		t.Fatal("default caps kept under 256 MiB")
	}
	if est := estimateStateBytes(small); float64(est) > float64(256<<20)*stateShare {
		t.Errorf("estimate %d over the state share of 256 MiB", est)
	}
	if small.MaxMessages >= wc.MaxMessages || small.MaxCustomers >= wc.MaxCustomers {
		t.Errorf("caps not lowered: %+v", small)
	}
}

// procStatus reads a field of /proc/self/status in bytes (VmRSS, VmHWM).
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return -1
}

type floodReport struct {
	Events       int     `json:"events"`
	Checkpoints  int     `json:"checkpoints"`
	Failures     int     `json:"failures"`
	PeakRSS      int64   `json:"peak_rss"`
	MaxWriteGrow int64   `json:"max_write_growth"`
	WriteAlloc   uint64  `json:"max_write_alloc"`
	PeakHeap     uint64  `json:"peak_heap"`
	CkptBytes    int64   `json:"checkpoint_bytes"`
	Seconds      float64 `json:"seconds"`
	Err          string  `json:"err,omitempty"`
}

// floodChild runs in a child process (a clean RSS): the state at its default caps under
// a 1 GiB budget takes a flood of unique message ids and customers with the checkpoint
// written every WABA_FLOOD_EVERY events, and reports peak RSS and heap, and how much RSS
// grew and how much was allocated during each checkpoint write.
func floodChild() int {
	var rep floodReport
	defer func() {
		b, _ := json.Marshal(rep)
		fmt.Println(string(b))
	}()
	events, _ := strconv.Atoi(os.Getenv("WABA_FLOOD_EVENTS"))
	every, _ := strconv.Atoi(os.Getenv("WABA_FLOOD_EVERY"))
	dir := os.Getenv("WABA_FLOOD_DIR")
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	wc := WindowConfig(config.Default())
	if _, err := applyMemoryBudget("1GiB", &wc, log); err != nil {
		rep.Err = err.Error()
		return 1
	}
	cp := filepath.Join(dir, "state.ckpt")
	m, _, _, err := restoreState(cp, HashKeyPath(cp, ""), wc, log, nil)
	if err != nil {
		rep.Err = err.Error()
		return 1
	}
	p := pipeline.New(m, webhook.Options{}, nil, log)
	rel := &exporter.Reliability{}
	c := &checkpointer{path: cp, p: p, prog: tail.NewProgress(), health: &exporter.Health{}, rel: rel, log: log, now: time.Now}
	start := time.Now()
	biz := []byte("106540352242922")
	var id, cust, conv []byte
	const batch = 4096
	for i := 0; i < events; i += batch {
		p.Update(func(v pipeline.View) {
			for j := i; j < min(i+batch, events); j++ {
				cust = strconv.AppendInt(cust[:0], int64(5511000000000+j), 10)
				id = append(append(id[:0], "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjY3MjQ3NDQ3Nzg3RjM4Q0I0Mw"...), strconv.Itoa(j)...)
				conv = append(strconv.AppendInt(conv[:0], int64(j), 10), "conv"...)
				ev := model.Event{Kind: model.KindStatus, Business: biz, Customer: cust, MessageID: id, Time: int64(1754006400 + j/50),
					Status: model.StatusDelivered, Category: model.CategoryMarketing, PricingModel: model.PricingModelCBP,
					ConversationID: conv, ConversationOrigin: model.CategoryMarketing}
				if j%2 == 0 {
					ev = model.Event{Kind: model.KindInbound, Business: biz, Customer: cust, MessageID: id, Time: int64(1754006400 + j/50),
						MessageType: model.MessageTypeText, Text: []byte("hi")}
				}
				v.Machine.Apply(&ev)
			}
		})
		rep.Events = min(i+batch, events)
		if rep.Events%every < batch || rep.Events == events {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			rep.PeakHeap = max(rep.PeakHeap, ms.HeapAlloc)
			runtime.GC()
			os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // reset VmHWM to the current RSS
			before := procStatus("VmRSS")
			rep.PeakRSS = max(rep.PeakRSS, procStatus("VmHWM"))
			runtime.ReadMemStats(&ms)
			alloc := ms.TotalAlloc
			if err := c.write(); err != nil {
				rep.Err = err.Error()
			}
			runtime.ReadMemStats(&ms)
			rep.WriteAlloc = max(rep.WriteAlloc, ms.TotalAlloc-alloc)
			rep.Checkpoints++
			rep.MaxWriteGrow = max(rep.MaxWriteGrow, procStatus("VmHWM")-before)
		}
		rep.PeakRSS = max(rep.PeakRSS, procStatus("VmHWM"))
	}
	rep.Failures = int(rel.CheckpointFailures.Load())
	if fi, err := os.Stat(cp); err == nil {
		rep.CkptBytes = fi.Size()
	}
	rep.Seconds = time.Since(start).Seconds()
	return 0
}

// TestFloodUnderMemoryLimitWithCheckpoints: 3M unique ids (message ids and customers,
// over every default cap) under a 1 GiB budget with the checkpoint on: the process stays
// under 1 GiB of RSS, every checkpoint write succeeds, and a write grows RSS by a few MiB
// at most (the state is streamed, not copied). The short form, and the form under the race
// detector (which multiplies memory and time), flood 600k ids; under the race detector the
// bound is on the Go heap instead of RSS.
func TestFloodUnderMemoryLimitWithCheckpoints(t *testing.T) {
	if runtime.GOOS != "linux" {
		// It measures RSS in /proc/self/status: Linux only, as CI and the deployments are.
		t.Fatal("needs Linux (reads /proc/self/status)")
	}
	events, every := 3_000_000, 1_000_000
	if testing.Short() || raceEnabled {
		events, every = 600_000, 200_000
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WABA_FLOOD_CHILD=1", "WABA_FLOOD_DIR="+dir,
		"WABA_FLOOD_EVENTS="+strconv.Itoa(events), "WABA_FLOOD_EVERY="+strconv.Itoa(every))
	cmd.Stderr = os.Stderr
	if !testing.Verbose() {
		cmd.Stderr = nil
	}
	out, err := cmd.Output()
	var rep floodReport
	if jerr := json.Unmarshal([]byte(lastLine(string(out))), &rep); jerr != nil {
		t.Fatalf("child: %v; output %q", err, out)
	}
	t.Logf("flood: %+v", rep)
	if err != nil || rep.Err != "" {
		t.Fatalf("child failed: %v %s", err, rep.Err)
	}
	if rep.Events != events || rep.Checkpoints < events/every || rep.Failures != 0 {
		t.Errorf("flood incomplete: %+v", rep)
	}
	if !raceEnabled {
		if rep.PeakRSS <= 0 || rep.PeakRSS > 1<<30 {
			t.Errorf("peak RSS %d MiB, want under 1024 MiB", rep.PeakRSS>>20)
		}
		if rep.MaxWriteGrow > 16<<20 {
			t.Errorf("a checkpoint write grew RSS by %d MiB, want a few MiB at most", rep.MaxWriteGrow>>20)
		}
	}
	if rep.PeakHeap == 0 || float64(rep.PeakHeap) > float64(1<<30)*goMemLimitShare {
		t.Errorf("peak heap %d MiB, want under GOMEMLIMIT", rep.PeakHeap>>20)
	}
	if rep.WriteAlloc > 4<<20 {
		t.Errorf("a checkpoint write allocated %d MiB, want a bounded buffer", rep.WriteAlloc>>20)
	}
	if rep.CkptBytes < 10<<20 {
		t.Errorf("checkpoint of %d bytes: too small for the state the flood built", rep.CkptBytes)
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
