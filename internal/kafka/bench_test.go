package kafka_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/kafka"
	"github.com/waba-exporter/waba_exporter/tail"
	"github.com/waba-exporter/waba_exporter/webhook"
)

// benchLines are the lines of a generated month (20,000 lines) for the benchmarks.
func benchLines(b *testing.B) [][]byte {
	b.Helper()
	data, err := os.ReadFile(genLog(b, 20000, 5000))
	if err != nil {
		b.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}

// BenchmarkSplit measures the key rule alone (records per second of one core).
func BenchmarkSplit(b *testing.B) {
	lines := benchLines(b)
	s := kafka.NewSplitter(webhook.Options{})
	recs := 0
	b.ResetTimer()
	for b.Loop() {
		for _, l := range lines {
			r, _ := s.Split(l)
			recs += len(r)
		}
	}
	b.ReportMetric(float64(recs)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkForward measures a forwarder producing a month to a 12-partition kfake topic
// until every record is acknowledged (records per second).
func BenchmarkForward(b *testing.B) {
	lines := benchLines(b)
	c := newCluster(b, 12)
	cl, err := kafka.NewProducer(c.ListenAddrs(), topic, 10000)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	met := kafka.NewForwardMetrics()
	f := kafka.NewForwarder(kafka.ForwarderOptions{Client: cl, Topic: topic, Metrics: met})
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		for _, l := range lines {
			if err := f.Line(ctx, &tail.Line{Data: l}); err != nil {
				b.Fatal(err)
			}
		}
		if err := cl.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(counterValue(met.Records)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(counterValue(met.Lines)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkConsumeRebuild measures a member rebuilding every partition of a topic
// holding a month (one member owning all 12 partitions, from the start of retention to
// caught up): records per second, and the rebuild time per million records.
func BenchmarkConsumeRebuild(b *testing.B) {
	lines := benchLines(b)
	c := newCluster(b, 12)
	addrs := c.ListenAddrs()
	cl, err := kafka.NewProducer(addrs, topic, 10000)
	if err != nil {
		b.Fatal(err)
	}
	f := kafka.NewForwarder(kafka.ForwarderOptions{Client: cl, Topic: topic})
	for _, l := range lines {
		if err := f.Line(context.Background(), &tail.Line{Data: l}); err != nil {
			b.Fatal(err)
		}
	}
	if err := cl.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	cl.Close()
	ends := endOffsets(b, c, 12)
	var records int64
	for _, o := range ends {
		records += o
	}
	n := 0
	b.ResetTimer()
	for b.Loop() {
		m := startMember(b, addrs, fmt.Sprint("bench", n), time.Now())
		waitApplied(b, ends, m)
		b.StopTimer()
		m.stop()
		n++
		b.StartTimer()
	}
	perRecord := b.Elapsed().Seconds() / float64(records*int64(n))
	b.ReportMetric(1/perRecord, "records/s")
	b.ReportMetric(perRecord*1e6, "s/1M-records")
}
