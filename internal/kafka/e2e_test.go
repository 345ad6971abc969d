package kafka_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/waba-exporter/waba_exporter/internal/kafka"
)

// TestMemberEqualsReplay: a generated month forwarded to a 12-partition topic and read
// by one member gives, summed over its partitions, the exposition of a replay.
func TestMemberEqualsReplay(t *testing.T) {
	log := genLog(t, 3000, 400)
	c := newCluster(t, 12)
	addrs := c.ListenAddrs()
	met := forwardFiles(t, addrs, log)
	t.Logf("forwarded %v lines as %v records", counterValue(met.Lines), counterValue(met.Records))
	want, now := replayRegistry(t, log)
	m := startMember(t, addrs, "g1", now)
	waitApplied(t, endOffsets(t, c, 12), m)
	m.Settle(now.Unix())
	if d, n := diff(flatten(t, want), flatten(t, m.reg), 40); n > 0 {
		t.Errorf("%d series differ:\n%s", n, d)
	}
}

// TestMembersShareAndHandOver: two members of one group share 12 partitions, and the
// sum of their expositions equals a single replay; when one leaves, the other rebuilds
// its partitions and the sum is still equal.
func TestMembersShareAndHandOver(t *testing.T) {
	log := genLog(t, 4000, 600)
	c := newCluster(t, 12)
	addrs := c.ListenAddrs()
	forwardFiles(t, addrs, log)
	want, now := replayRegistry(t, log)
	wantFlat := flatten(t, want)
	ends := endOffsets(t, c, 12)
	a := startMember(t, addrs, "g2", now)
	b := startMember(t, addrs, "g2", now)
	waitSplit(t, a, b)
	waitApplied(t, ends, a, b)
	a.Settle(now.Unix())
	b.Settle(now.Unix())
	t.Logf("partitions: a %v, b %v", a.Partitions(), b.Partitions())
	if d, n := diff(wantFlat, flatten(t, a.reg, b.reg), 40); n > 0 {
		t.Errorf("two members: %d series differ:\n%s", n, d)
	}
	a.stop()
	waitApplied(t, ends, b)
	b.Settle(now.Unix())
	if got := b.Partitions(); len(got) != 12 {
		t.Fatalf("b owns %v after a left", got)
	}
	if d, n := diff(wantFlat, flatten(t, b.reg), 40); n > 0 {
		t.Errorf("after the handover: %d series differ:\n%s", n, d)
	}
}

// waitSplit waits until both members own partitions.
func waitSplit(t *testing.T, a, b *member) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if pa, pb := a.Partitions(), b.Partitions(); len(pa) > 0 && len(pb) > 0 && len(pa)+len(pb) == 12 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("partitions not shared: a %v, b %v", a.Partitions(), b.Partitions())
}

// TestNotAWebhookIsAParseError: a record that is not a webhook body counts as a parse
// error of the topic's logfile, like a bad line; blank lines are not forwarded.
func TestNotAWebhookIsAParseError(t *testing.T) {
	c := newCluster(t, 3)
	addrs := c.ListenAddrs()
	dir := t.TempDir()
	file := filepath.Join(dir, "in.ndjson")
	body := fmt.Sprintf(envelope, `"statuses":[`+statusA+`]`)
	if err := os.WriteFile(file, []byte(body+"\n\nnot a webhook\n  \n"+template+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	met := forwardFiles(t, addrs, file)
	if got := counterValue(met.Unkeyed); got != 1 {
		t.Errorf("unkeyed lines %v, want 1", got)
	}
	m := startMember(t, addrs, "g3", time.Unix(1750000000, 0))
	waitApplied(t, endOffsets(t, c, 3), m)
	got := flatten(t, m.reg)
	var errs float64
	for k, v := range got {
		if strings.HasPrefix(k, "waba_exporter_parse_errors_total{") {
			errs += v
		}
	}
	if errs != 1 {
		t.Errorf("parse errors %v, want 1", errs)
	}
	var delivered float64
	for k, v := range got {
		if strings.HasPrefix(k, "waba_outbound_message_status_total{") && strings.HasSuffix(k, ",status=delivered}") {
			delivered += v
		}
	}
	if delivered != 1 {
		t.Errorf("delivered %v, want 1", delivered)
	}
}

// TestRetention: the member reads the topic's retention.ms (the start warns when it is
// under the 35 days the windows need).
func TestRetention(t *testing.T) {
	c, err := kfake.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct {
		topic string
		ms    string
		want  time.Duration
	}{
		{"week", "604800000", 7 * 24 * time.Hour},
		{"forever", "-1", -time.Millisecond},
		{"quarter", "7776000000", 90 * 24 * time.Hour},
	} {
		if err := c.CreateTopic(tc.topic, 1, map[string]string{"retention.ms": tc.ms}); err != nil {
			t.Fatal(err)
		}
		m, err := kafka.NewMember(kafka.MemberOptions{Brokers: c.ListenAddrs(), Topic: tc.topic, Group: "gr"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.Retention(context.Background())
		m.Close()
		if err != nil || got != tc.want {
			t.Errorf("%s: retention %v, %v; want %v", tc.topic, got, err, tc.want)
		}
	}
}
