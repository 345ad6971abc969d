package kafka_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/waba-exporter/waba_exporter/internal/testutil"
)

// process is a `waba_exporter run --kafka.*` member process.
type process struct {
	cmd  *exec.Cmd
	addr string
}

// startProcess starts a member settled at the event time now (--kafka.settle-at).
func startProcess(t *testing.T, bin string, brokers []string, group string, now time.Time) *process {
	t.Helper()
	p := &process{addr: testutil.FreeAddr(t)}
	p.cmd = exec.Command(bin, "run", "--kafka.brokers="+brokers[0], "--kafka.topic="+topic, "--kafka.group="+group,
		"--kafka.session-timeout=2s", fmt.Sprintf("--kafka.settle-at=%d", now.Unix()),
		"--web.listen-address="+p.addr, "--web.disable-exporter-metrics", "--log.level=warn")
	p.cmd.Stderr = os.Stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		_ = p.cmd.Wait()
	})
	return p
}

// scrape returns the process's metric families (nil when it does not answer).
func (p *process) scrape() []*dto.MetricFamily {
	resp, err := http.Get("http://" + p.addr + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	dec := expfmt.NewDecoder(resp.Body, expfmt.ResponseFormat(resp.Header))
	var out []*dto.MetricFamily
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); err != nil {
			return out
		}
		out = append(out, mf)
	}
}

// readyPartitions returns the partitions whose waba_exporter_state_ready is 1 in mfs,
// and whether every owned partition is.
func readyPartitions(mfs []*dto.MetricFamily) (ready []string, all bool) {
	all = true
	for _, mf := range mfs {
		if mf.GetName() != "waba_exporter_state_ready" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "partition" {
					if m.GetGauge().GetValue() == 1 {
						ready = append(ready, l.GetValue())
					} else {
						all = false
					}
				}
			}
		}
	}
	return ready, all
}

// TestMemberProcesses: three forwarders feed a 12-partition topic; three member
// processes (the built binary) consume it, one is killed with SIGKILL in the middle and
// another joins later; the sum over the surviving members equals a single replay of the
// merged log.
func TestMemberProcesses(t *testing.T) {
	testutil.SkipShort(t, "the built binary and member processes")
	bin := testutil.BuildExporter(t)
	log := genLog(t, 4000, 600)
	_, merged, deliveries := receivers(t, log, 3, 0.05, t.TempDir())
	want, now := replayRegistry(t, merged)
	c := newCluster(t, 12)
	addrs := c.ListenAddrs()
	forwardDeliveries(t, addrs, deliveries)
	ps := []*process{startProcess(t, bin, addrs, "gproc", now), startProcess(t, bin, addrs, "gproc", now), startProcess(t, bin, addrs, "gproc", now)}
	// In the middle: once the first member owns partitions, it is killed.
	waitFor(t, "first member owns partitions", func() bool {
		r, _ := readyPartitions(ps[0].scrape())
		return len(r) > 0
	})
	if err := ps[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = ps[0].cmd.Wait()
	ps = append(ps[1:], startProcess(t, bin, addrs, "gproc", now)) // joins later
	var gs []prometheus.Gatherer
	waitFor(t, "the survivors own every partition, caught up", func() bool {
		gs = gs[:0]
		seen := map[string]int{}
		for _, p := range ps {
			mfs := p.scrape()
			r, all := readyPartitions(mfs)
			if !all || len(r) == 0 {
				return false
			}
			for _, part := range r {
				seen[part]++
			}
			gs = append(gs, prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return mfs, nil }))
		}
		if len(seen) != 12 {
			return false
		}
		for _, n := range seen {
			if n != 1 {
				return false
			}
		}
		return true
	})
	if d, n := diff(flatten(t, want), flatten(t, gs...), 40); n > 0 {
		t.Errorf("%d series differ:\n%s", n, d)
	}
}
