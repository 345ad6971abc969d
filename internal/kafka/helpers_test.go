package kafka_test

import (
	"context"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/waba-exporter/waba_exporter/internal/app"
	"github.com/waba-exporter/waba_exporter/internal/config"
	"github.com/waba-exporter/waba_exporter/internal/exporter"
	"github.com/waba-exporter/waba_exporter/internal/kafka"
	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/internal/testutil"
	"github.com/waba-exporter/waba_exporter/tail"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
)

const topic = "webhooks"

// newCluster starts a kfake cluster (listening on 127.0.0.1) with the topic of n
// partitions, keeping 40 days.
func newCluster(t testing.TB, n int32, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.GroupMinSessionTimeout(100 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	ms := fmt.Sprint((40 * 24 * time.Hour).Milliseconds())
	if err := c.CreateTopic(topic, n, map[string]string{"retention.ms": ms}); err != nil {
		t.Fatal(err)
	}
	return c
}

// genLog writes a generated month of webhooks (../shared/tools/gen_webhooks.py, mixed
// pricing era, with BSUIDs). The tests using it skip under -short (they take seconds
// each and need ../shared), and only then.
func genLog(t testing.TB, lines, customers int) string {
	t.Helper()
	python, gen := testutil.Generator(t)
	out := filepath.Join(t.TempDir(), "month.ndjson")
	cmd := exec.Command(python, gen, "--lines", fmt.Sprint(lines), "--customers", fmt.Sprint(customers),
		"--pricing", "mixed", "--bsuid-share", "0.3", "--capability-updates", "--seed", "7", "--out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen_webhooks.py: %v\n%s", err, b)
	}
	return out
}

// forwardFiles forwards files to the cluster's topic to their end through one Forwarder.
func forwardFiles(t testing.TB, addrs []string, files ...string) *kafka.ForwardMetrics {
	t.Helper()
	cl, err := kafka.NewProducer(addrs, topic, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	met := kafka.NewForwardMetrics()
	f := kafka.NewForwarder(kafka.ForwarderOptions{Client: cl, Topic: topic, Metrics: met})
	for _, file := range files {
		tl, err := tail.New(tail.Options{Sources: []string{file}, Follow: false})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		in := make(chan *tail.Batch, 4)
		errc := make(chan error, 1)
		go func() { errc <- tl.Run(ctx, in); close(in) }()
		if err := f.Run(ctx, in); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	return met
}

// member is a consumer group member under test, with its own registry.
type member struct {
	*kafka.Member
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan struct{}
}

// startMember starts a member comparing with replay: no wall-clock ticks, and the
// collectors' "now" is now (the watermark of the whole log).
func startMember(t testing.TB, addrs []string, group string, now time.Time) *member {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := kafka.NewMember(kafka.MemberOptions{
		Brokers: addrs, Topic: topic, Group: group, Registerer: reg, NoTick: true,
		Now: func() time.Time { return now },
		NewPipeline: func(int32, bool) (*pipeline.Pipeline, int64) {
			return pipeline.New(window.New(app.WindowConfig(config.Default())), webhook.Options{}, nil, nil), -1
		},
		Extra: []kgo.Opt{kgo.SessionTimeout(time.Second), kgo.HeartbeatInterval(100 * time.Millisecond), kgo.RebalanceTimeout(5 * time.Second)},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	mb := &member{Member: m, reg: reg, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(mb.done); _ = m.Run(ctx) }()
	t.Cleanup(mb.stop)
	return mb
}

func (m *member) stop() {
	select {
	case <-m.done:
		return
	default:
	}
	m.cancel()
	<-m.done
	m.Close()
}

// waitApplied waits until the members together own every partition, are ready, and
// have applied every record (the end offsets ends).
func waitApplied(t testing.TB, ends map[int32]int64, ms ...*member) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		got := map[int32]int64{}
		ready := true
		for _, m := range ms {
			ready = ready && m.Ready()
			for p, o := range m.Applied() {
				if _, dup := got[p]; dup {
					ready = false
				}
				got[p] = o
			}
		}
		if ready && len(got) == len(ends) {
			ok := true
			for p, o := range ends {
				ok = ok && got[p] >= o
			}
			if ok {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("members not caught up in time")
}

// endOffsets returns the end offset of every partition of the topic.
func endOffsets(t testing.TB, c *kfake.Cluster, n int32) map[int32]int64 {
	t.Helper()
	out := map[int32]int64{}
	for p := range n {
		pi := c.PartitionInfo(topic, p)
		out[p] = pi.HighWatermark
	}
	return out
}

// replayRegistry replays files in event time and returns its domain registry and the
// watermark.
func replayRegistry(t testing.TB, files ...string) (prometheus.Gatherer, time.Time) {
	t.Helper()
	p, m, err := app.ReplayPipeline(context.Background(), config.Default(), files, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &exporter.Collector{P: p, Health: &exporter.Health{}, EventTimeOnly: true}
	regs := exporter.NewRegistries(c, false)
	return regs.Domain, time.Unix(m.Watermark(), 0)
}

// Families whose series do not add up over shards: info and level gauges of a business
// (each shard that saw the business exports them; max is the value), and the oldest
// unanswered message (min).
var maxFamilies = map[string]bool{
	"waba_phone_number_info": true, "waba_id": true, "waba_messaging_limit_recipients": true, "waba_quota_limit": true,
	"waba_quota_period_start_timestamp_seconds": true, "waba_quota_period_end_timestamp_seconds": true,
	"waba_account_status": true, "waba_phone_number_quality_rating": true, "waba_pricing_volume_tier": true,
	"waba_portfolio_messaging_limit_recipients": true,
}
var minFamilies = map[string]bool{"waba_oldest_unanswered_message_timestamp_seconds": true}

// compared reports whether a family is a business metric compared with replay: every
// waba_* family, and of the exporter's own the parse errors (without their logfile
// label). waba_exporter_events_total counts webhook changes per record: a change the
// forwarder splits in N records counts N.
func compared(name string) bool {
	if !strings.HasPrefix(name, "waba_exporter_") {
		return strings.HasPrefix(name, "waba_")
	}
	return name == "waba_exporter_parse_errors_total"
}

// dropped labels differ between a replay and the shards by construction.
var dropped = map[string]bool{"partition": true, "instance": true, "logfile": true}

// flatten aggregates the compared series of gs without the dropped labels: sums, or
// max or min for the families above. Histograms give _bucket, _sum and _count series.
func flatten(t testing.TB, gs ...prometheus.Gatherer) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	add := func(name string, key string, v float64) {
		old, ok := out[key]
		switch {
		case !ok:
			out[key] = v
		case maxFamilies[name]:
			out[key] = math.Max(old, v)
		case minFamilies[name]:
			if v != 0 && (old == 0 || v < old) {
				out[key] = v
			}
		default:
			out[key] = old + v
		}
	}
	for _, g := range gs {
		mfs, err := g.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			name := mf.GetName()
			if !compared(name) {
				continue
			}
			for _, m := range mf.GetMetric() {
				base := labelKey(m.GetLabel(), "")
				switch {
				case m.Histogram != nil:
					h := m.Histogram
					for _, b := range h.GetBucket() {
						if math.IsInf(b.GetUpperBound(), 1) {
							continue // _count; a parsed exposition has it, a gathered one not
						}
						add(name, name+"_bucket"+labelKey(m.GetLabel(), fmt.Sprint(b.GetUpperBound())), float64(b.GetCumulativeCount()))
					}
					add(name, name+"_sum"+base, h.GetSampleSum())
					add(name, name+"_count"+base, float64(h.GetSampleCount()))
				case m.Counter != nil:
					add(name, name+base, m.Counter.GetValue())
				case m.Gauge != nil:
					add(name, name+base, m.Gauge.GetValue())
				case m.Untyped != nil:
					add(name, name+base, m.Untyped.GetValue())
				}
			}
		}
	}
	return out
}

func labelKey(ls []*dto.LabelPair, le string) string {
	var parts []string
	for _, l := range ls {
		if !dropped[l.GetName()] {
			parts = append(parts, l.GetName()+"="+l.GetValue())
		}
	}
	if le != "" {
		parts = append(parts, "le="+le)
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

// diff lists the series whose values differ (at most max lines), and the count.
func diff(want, got map[string]float64, maxLines int) (string, int) {
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	var b strings.Builder
	n := 0
	for _, k := range sorted {
		w, wok := want[k]
		g, gok := got[k]
		if wok && gok && (w == g || math.Abs(w-g) <= 1e-9*math.Max(math.Abs(w), 1)) {
			continue
		}
		if !wok && g == 0 || !gok && w == 0 {
			continue // a zero series one side does not export
		}
		n++
		if n <= maxLines {
			fmt.Fprintf(&b, "%s: replay %v (%v), kafka %v (%v)\n", k, w, wok, g, gok)
		}
	}
	return b.String(), n
}

func counterValue(c prometheus.Collector) float64 {
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	_ = (<-ch).Write(&m)
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}
