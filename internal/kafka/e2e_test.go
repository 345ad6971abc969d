package kafka_test

import (
	"testing"
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
	m.Flush()
	if d, n := diff(flatten(t, want), flatten(t, m.reg), 40); n > 0 {
		t.Errorf("%d series differ:\n%s", n, d)
	}
}
