package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func inboundLine(pnid, metadata string, i int) string {
	if metadata == "" {
		metadata = fmt.Sprintf(`{"display_phone_number":"1555000%04s","phone_number_id":%q}`, pnid[len(pnid)-4:], pnid)
	}
	return fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":%s,"messages":[{"from":"49151000%05d","id":"wamid.D%d","timestamp":"%d","type":"text","text":{"body":"hi"}}]},"field":"messages"}]}]}`,
		metadata, i, i, 1752000000+i)
}

// TestDroppedEventsCounted: every event dropped before the state is counted by reason,
// with the business cap from the config, and a business over the cap is logged once.
func TestDroppedEventsCounted(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "in.ndjson")
	lines := []string{
		inboundLine("100000000000001", "", 1),
		inboundLine("100000000000002", "", 2),
		inboundLine("100000000000003", "", 3), // over the cap of 2
		inboundLine("100000000000003", "", 4), // again: counted, not logged again
		inboundLine("100000000000004", "", 5), // a second business over the cap
		inboundLine("100000000000001", `"not an object"`, 6),
		inboundLine("100000000000001", `{"display_phone_number":"15550000001"}`, 7),
		`{"statuses":[{"id":"x1","status":"sent","timestamp":"1752600000","recipient_id":"4915100000001"}]}`, // On-Premises: no business
	}
	if err := os.WriteFile(logPath, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "waba.yml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf("inputs: [{path: %q}]\nstate: {max_businesses: 2}\n", logPath)), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	r := startRunLogged(t, cfgPath, "", &logs)
	waitFor(t, "lines read", func() bool { return metricValue(t, r.base, linesOf(logPath)) == float64(len(lines)) })
	want := map[string]float64{"business_cap": 3, "bad_metadata": 2, "no_business": 1, "not_allowed": 0, "no_message_id": 0}
	for reason, n := range want {
		if v := metricValue(t, r.base, fmt.Sprintf("waba_exporter_dropped_events_total{reason=%q}", reason)); v != n {
			t.Errorf("dropped %s = %v, want %v", reason, v, n)
		}
	}
	waitFor(t, "the drop logged", func() bool { return strings.Contains(logs.String(), "100000000000004") })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"100000000000003", "100000000000004"} {
		if n := strings.Count(logs.String(), id); n != 1 {
			t.Errorf("business %s logged %d times, want once", id, n)
		}
	}
}
