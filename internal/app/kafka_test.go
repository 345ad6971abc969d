package app

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/waba-exporter/waba_exporter/internal/config"
	"github.com/waba-exporter/waba_exporter/internal/kafka"
	"github.com/waba-exporter/waba_exporter/tail"
	"github.com/waba-exporter/waba_exporter/webhook"
)

// TestRunKafkaCheckpointResume: a member writes one checkpoint per partition (state and
// offset); restarted with them, it resumes at their offsets (it fetches nothing already
// applied) and serves the same business series as the full rebuild.
func TestRunKafkaCheckpointResume(t *testing.T) {
	const topic = "webhooks"
	c, err := kfake.NewCluster(kfake.GroupMinSessionTimeout(100 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.CreateTopic(topic, 4, map[string]string{"retention.ms": fmt.Sprint((40 * 24 * time.Hour).Milliseconds())}); err != nil {
		t.Fatal(err)
	}
	brokers := c.ListenAddrs()
	const input = "../exporter/testdata/meta-mixed.ndjson"
	forwardAll(t, brokers, topic, input)
	_, m, err := ReplayPipeline(context.Background(), config.Default(), []string{input}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	run := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- RunKafka(ctx, RunOptions{Config: config.Default(),
				Serve: ServeOptions{Listener: l, TelemetryPath: "/metrics", CheckpointPath: dir, CheckpointInterval: time.Hour}},
				KafkaOptions{Brokers: brokers, Topic: topic, Group: "g", SessionTimeout: time.Second, SettleAt: m.Watermark()})
		}()
		base := "http://" + l.Addr().String()
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := http.Get(base + "/-/ready")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK && strings.Count(get(t, base+"/metrics"), "waba_exporter_state_ready{partition=") == 4 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("member not ready: %s", get(t, base+"/metrics"))
			}
			time.Sleep(50 * time.Millisecond)
		}
		body := get(t, base+"/metrics")
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		return body
	}
	first := run()
	for p := range 4 {
		if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("%s-%d.ckpt", topic, p))); err != nil {
			t.Errorf("partition %d: no checkpoint: %v", p, err)
		}
	}
	second := run()
	if v := sample(second, "waba_exporter_kafka_records_total"); v != "0" {
		t.Errorf("the restarted member fetched %s records: it did not resume at its checkpoints", v)
	}
	if v := sample(first, "waba_exporter_kafka_records_total"); v == "0" || v == "" {
		t.Errorf("the first member fetched %q records", v)
	}
	if a, b := business(first), business(second); a != b {
		t.Errorf("business series differ after the resume:\n%s\n----\n%s", a, b)
	}
}

// forwardAll forwards every line of file to the topic and waits for the acknowledgements.
func forwardAll(t *testing.T, brokers []string, topic, file string) {
	t.Helper()
	cl, err := kafka.NewProducer(brokers, topic, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	f := kafka.NewForwarder(kafka.ForwarderOptions{Client: cl, Topic: topic, Decoder: webhook.Options{}})
	in, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if err := f.Line(context.Background(), &tail.Line{Data: sc.Bytes()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// sample returns the value of the first sample of name (no labels) in an exposition.
func sample(expo, name string) string {
	for _, l := range strings.Split(expo, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			return v
		}
	}
	return ""
}

// business returns the business series (waba_*, not the exporter's own) of an exposition.
func business(expo string) string {
	var b strings.Builder
	for _, l := range strings.Split(expo, "\n") {
		if strings.HasPrefix(l, "waba_") && !strings.HasPrefix(l, "waba_exporter_") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
