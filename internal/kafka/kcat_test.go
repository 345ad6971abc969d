package kafka_test

import (
	"bufio"
	"bytes"
	"maps"
	"os"
	"os/exec"
	"testing"

	"github.com/waba-exporter/waba_exporter/internal/kafka"
	"github.com/waba-exporter/waba_exporter/internal/testutil"
	"github.com/waba-exporter/waba_exporter/webhook"
)

// TestKcatProducer: records written by a client that is not ours (Debian's kcat, on
// librdkafka, with the murmur2 partitioner of the key rule) following the key rule are
// land in the same partitions as the forwarder's and are consumed by a member, whose
// exposition equals a replay.
func TestKcatProducer(t *testing.T) {
	kcat := testutil.Tool(t, "kcat")
	log := genLog(t, 2000, 300)
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	// key<TAB>value lines, the records of the key rule.
	var in bytes.Buffer
	s := kafka.NewSplitter(webhook.Options{})
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	n := 0
	for sc.Scan() {
		recs, _ := s.Split(sc.Bytes())
		for _, r := range recs {
			in.Write(r.Key)
			in.WriteByte('\t')
			in.Write(r.Value)
			in.WriteByte('\n')
			n++
		}
	}
	c := newCluster(t, 6)
	addrs := c.ListenAddrs()
	cmd := exec.Command(kcat, "-P", "-b", addrs[0], "-t", topic, "-K", "\t", "-X", "partitioner=murmur2_random")
	cmd.Stdin = &in
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
	ends := endOffsets(t, c, 6)
	var total int64
	for _, o := range ends {
		total += o
	}
	if total != int64(n) {
		t.Fatalf("kcat produced %d records, want %d", total, n)
	}
	// The same partitions as our forwarder's (the Java client's murmur2 of the key).
	c2 := newCluster(t, 6)
	forwardFiles(t, c2.ListenAddrs(), log)
	if ours := endOffsets(t, c2, 6); !maps.Equal(ours, ends) {
		t.Errorf("records per partition: kcat %v, forward %v", ends, ours)
	}
	want, now := replayRegistry(t, log)
	m := startMember(t, addrs, "gkcat", now)
	waitApplied(t, ends, m)
	m.Settle(now.Unix())
	got := flatten(t, m.reg)
	if d, n := diff(flatten(t, want), got, 40); n > 0 {
		t.Errorf("%d series differ:\n%s", n, d)
	}
	t.Logf("kcat produced %d records over %d partitions; the member applied them all", total, len(ends))
}
