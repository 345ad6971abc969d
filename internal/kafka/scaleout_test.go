package kafka_test

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/waba-exporter/waba_exporter/internal/kafka"
	"github.com/waba-exporter/waba_exporter/tail"
)

// receivers splits log at random across n receiver logs, as a load balancer would, with
// a share of the lines delivered again (a retry) to another receiver than the first.
// It returns the receiver of each delivery, in order, the lines, and the merged log
// (every delivery in order), written to dir.
func receivers(t *testing.T, log string, n int, retryShare float64, dir string) (files []string, merged string, deliveries []delivery) {
	t.Helper()
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rng := rand.New(rand.NewPCG(15, 15))
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := append([]byte(nil), sc.Bytes()...)
		r := rng.IntN(n)
		deliveries = append(deliveries, delivery{r, line})
		if rng.Float64() < retryShare {
			deliveries = append(deliveries, delivery{(r + 1 + rng.IntN(n-1)) % n, line})
		}
	}
	outs := make([]*os.File, n)
	for i := range outs {
		files = append(files, filepath.Join(dir, "receiver"+string(rune('a'+i))+".ndjson"))
		if outs[i], err = os.Create(files[i]); err != nil {
			t.Fatal(err)
		}
	}
	merged = filepath.Join(dir, "merged.ndjson")
	m, err := os.Create(merged)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deliveries {
		outs[d.receiver].Write(append(d.line, '\n'))
		m.Write(append(d.line, '\n'))
	}
	for _, o := range append(outs, m) {
		if err := o.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return files, merged, deliveries
}

type delivery struct {
	receiver int
	line     []byte
}

// TestSidecarsDiffer shows the problem: one exporter per receiver (a sidecar), summed,
// differs from a single exporter reading every webhook.
func TestSidecarsDiffer(t *testing.T) {
	log := genLog(t, 4000, 600)
	files, merged, _ := receivers(t, log, 3, 0.05, t.TempDir())
	want, _ := replayRegistry(t, merged)
	var sidecars []prometheus.Gatherer
	for _, f := range files {
		g, _ := replayRegistry(t, f)
		sidecars = append(sidecars, g)
	}
	wantFlat := flatten(t, want)
	d, n := diff(wantFlat, flatten(t, sidecars...), 25)
	if n == 0 {
		t.Fatal("three sidecars summed equal the single replay: the problem does not show")
	}
	t.Logf("three sidecars summed: %d of %d series differ from the single replay; for example:\n%s", n, len(wantFlat), d)
}

// TestThreeForwardersThreeMembers: three receivers' logs, each forwarded by its own
// forwarder as the webhooks arrive, feed a 12-partition topic; members consume it (one
// stops midway, another joins later); the sum over the members equals a single replay
// of the merged log.
func TestThreeForwardersThreeMembers(t *testing.T) {
	log := genLog(t, 4000, 600)
	_, merged, deliveries := receivers(t, log, 3, 0.05, t.TempDir())
	want, now := replayRegistry(t, merged)
	wantFlat := flatten(t, want)
	c := newCluster(t, 12)
	addrs := c.ListenAddrs()
	a := startMember(t, addrs, "g3m", now)
	b := startMember(t, addrs, "g3m", now)
	half := len(deliveries) / 2
	forwardDeliveries(t, addrs, deliveries[:half])
	a.stop() // midway: a leaves, b takes its partitions over
	forwardDeliveries(t, addrs, deliveries[half:])
	c3 := startMember(t, addrs, "g3m", now) // joins later
	ends := endOffsets(t, c, 12)
	waitFor(t, "b and c share", func() bool { return len(c3.Partitions()) > 0 && len(b.Partitions())+len(c3.Partitions()) == 12 })
	waitApplied(t, ends, b, c3)
	b.Settle(now.Unix())
	c3.Settle(now.Unix())
	t.Logf("partitions: b %v, c %v", b.Partitions(), c3.Partitions())
	if d, n := diff(wantFlat, flatten(t, b.reg, c3.reg), 40); n > 0 {
		t.Errorf("%d series differ:\n%s", n, d)
	}
}

// forwardDeliveries forwards each delivery through the forwarder of its receiver (one
// per receiver, as one runs beside each receiver replica). Webhooks arrive in real time:
// a month compressed into a second would let the producers interleave far beyond the
// allowed lateness, so each delivery is acknowledged before the next.
func forwardDeliveries(t *testing.T, addrs []string, deliveries []delivery) {
	t.Helper()
	fwds := map[int]*kafka.Forwarder{}
	for _, d := range deliveries {
		f := fwds[d.receiver]
		if f == nil {
			cl, err := kafka.NewProducer(addrs, topic, 1000, kgo.ProducerLinger(0))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			f = kafka.NewForwarder(kafka.ForwarderOptions{Client: cl, Topic: topic})
			fwds[d.receiver] = f
		}
		if err := f.Line(context.Background(), &tail.Line{Data: d.line}); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(30 * time.Second); f.Pending() > 0; time.Sleep(50 * time.Microsecond) {
			if time.Now().After(deadline) {
				t.Fatal("delivery not acknowledged")
			}
		}
	}
}
