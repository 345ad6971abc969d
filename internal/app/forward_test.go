package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// TestForwardCheckpointRestart: forward tails a log into the topic, serves its metrics,
// and checkpoints the positions of the acknowledged lines; restarted after the log grew,
// it produces only the new lines.
func TestForwardCheckpointRestart(t *testing.T) {
	const topic = "webhooks"
	c, err := kfake.NewCluster(kfake.SeedTopics(3, topic))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := t.TempDir()
	logPath, ckpt := filepath.Join(dir, "wa.ndjson"), filepath.Join(dir, "forward.ckpt")
	line := func(i int) string {
		return fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"W","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"P"},"statuses":[{"id":"wamid.%d","status":"sent","timestamp":"%d","recipient_id":"1555000%04d"}]}}]}]}`+"\n", i, 1750000000+i, i)
	}
	var b strings.Builder
	for i := range 20 {
		b.WriteString(line(i))
	}
	if err := os.WriteFile(logPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	records := func() int64 {
		var n int64
		for p := range int32(3) {
			n += c.PartitionInfo(topic, p).HighWatermark
		}
		return n
	}
	run := func(want int64) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- Forward(ctx, ForwardOptions{Paths: []string{logPath}, Brokers: c.ListenAddrs(), Topic: topic, PollInterval: 20 * time.Millisecond,
				Serve: ServeOptions{Listener: l, TelemetryPath: "/metrics", CheckpointPath: ckpt, CheckpointInterval: time.Hour}})
		}()
		deadline := time.Now().Add(30 * time.Second)
		var body string
		for {
			if records() == want {
				body = get(t, "http://"+l.Addr().String()+"/metrics")
				if strings.Contains(body, "waba_exporter_forward_buffered_records 0") {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("topic holds %d records, want %d", records(), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		return body
	}
	first := run(20)
	if !strings.Contains(first, "waba_exporter_forward_records_total 20") {
		t.Errorf("first run: records_total not 20:\n%s", first)
	}
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 20; i < 25; i++ {
		f.WriteString(line(i))
	}
	f.Close()
	second := run(25)
	if !strings.Contains(second, "waba_exporter_forward_records_total 5") {
		t.Errorf("restart: records_total not 5 (the checkpoint was not used):\n%s", second)
	}
	time.Sleep(100 * time.Millisecond)
	if n := records(); n != 25 {
		t.Errorf("topic holds %d records, want 25", n)
	}
}
