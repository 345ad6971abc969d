package kafka_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/waba-exporter/waba_exporter/internal/kafka"
	"github.com/waba-exporter/waba_exporter/tail"
)

// TestForwardBrokerDown: while the broker refuses every produce request, the forwarder
// stops reading ahead (the lines in flight stay bounded by the buffer) and does not
// record unacknowledged lines as done; once the broker is back nothing is lost: the
// positions reach the end of the file and a member's exposition equals a replay.
func TestForwardBrokerDown(t *testing.T) {
	log := genLog(t, 2000, 300)
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	half := bytes.IndexByte(data[len(data)/2:], '\n') + len(data)/2 + 1
	c := newCluster(t, 6)
	addrs := c.ListenAddrs()
	var refuse atomic.Bool
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		if refuse.Load() {
			c.KeepControl()
			return nil, errors.New("refused"), true
		}
		return nil, nil, false
	})
	file := filepath.Join(t.TempDir(), "in.ndjson")
	if err := os.WriteFile(file, data[:half], 0o600); err != nil {
		t.Fatal(err)
	}
	const maxBuffered = 50
	cl, err := kafka.NewProducer(addrs, topic, maxBuffered)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	tl, err := tail.New(tail.Options{Sources: []string{file}, Follow: true, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	met := kafka.NewForwardMetrics()
	f := kafka.NewForwarder(kafka.ForwarderOptions{Client: cl, Topic: topic, Progress: tail.NewProgress(tl), Metrics: met})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := make(chan *tail.Batch, 1)
	go func() { _ = tl.Run(ctx, in); close(in) }()
	go func() { _ = f.Run(ctx, in) }()
	offset := func() int64 {
		var off int64
		for _, p := range f.Positions() {
			off = max(off, p.Offset)
		}
		return off
	}
	waitFor(t, "first half acknowledged", func() bool { return offset() == int64(half) })
	refuse.Store(true)
	fh, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fh.Write(data[half:]); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	time.Sleep(time.Second)
	if p := f.Pending(); p == 0 || p > maxBuffered+1 {
		t.Errorf("broker down: %d lines in flight, want 1..%d", p, maxBuffered+1)
	}
	if off := offset(); off >= int64(len(data)) {
		t.Errorf("broker down: positions at %d, the end of the file: lines recorded as done before acknowledged", off)
	}
	t.Logf("broker down: %d lines in flight, positions at %d of %d, %v records buffered", f.Pending(), offset(), len(data), counterValue(met.Buffered))
	refuse.Store(false)
	waitFor(t, "everything acknowledged", func() bool { return offset() == int64(len(data)) && f.Pending() == 0 })
	cancel()
	want, now := replayRegistry(t, log)
	m := startMember(t, addrs, "gdown", now)
	waitApplied(t, endOffsets(t, c, 6), m)
	m.Settle(now.Unix())
	if d, n := diff(flatten(t, want), flatten(t, m.reg), 40); n > 0 {
		t.Errorf("%d series differ:\n%s", n, d)
	}
}

// waitFor waits for cond, two minutes at most (member processes under -race on a
// loaded machine rebalance slowly).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMemberBrokerDown: a member whose broker stops answering fetches reports not
// ready, and resumes from its shards' offsets once the broker is back (nothing applied
// twice, nothing missed).
func TestMemberBrokerDown(t *testing.T) {
	c := newCluster(t, 2)
	addrs := c.ListenAddrs()
	file := filepath.Join(t.TempDir(), "in.ndjson")
	line := func(i int) string {
		return fmt.Sprintf(envelope, fmt.Sprintf(`"statuses":[{"id":"wamid.%d","status":"delivered","timestamp":"%d","recipient_id":"1555123%04d"}]`, i, 1750000000+i, i))
	}
	var b strings.Builder
	for i := range 10 {
		b.WriteString(line(i) + "\n")
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	forwardFiles(t, addrs, file)
	m := startMember(t, addrs, "gbd", time.Unix(1750000100, 0))
	waitApplied(t, endOffsets(t, c, 2), m)
	var refuse atomic.Bool
	refuse.Store(true)
	c.ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
		if refuse.Load() {
			c.KeepControl()
			return nil, errors.New("refused"), true
		}
		return nil, nil, false
	})
	waitFor(t, "member not ready while the broker refuses fetches", func() bool { return !m.Ready() })
	b.Reset()
	for i := 10; i < 20; i++ {
		b.WriteString(line(i) + "\n")
	}
	more := filepath.Join(t.TempDir(), "more.ndjson")
	if err := os.WriteFile(more, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	forwardFiles(t, addrs, more)
	refuse.Store(false)
	waitApplied(t, endOffsets(t, c, 2), m)
	var delivered float64
	for k, v := range flatten(t, m.reg) {
		if strings.HasPrefix(k, "waba_outbound_message_status_total{") && strings.HasSuffix(k, ",status=delivered}") {
			delivered += v
		}
	}
	if delivered != 20 {
		t.Errorf("delivered %v, want 20", delivered)
	}
}
