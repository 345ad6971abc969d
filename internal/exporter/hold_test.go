package exporter

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// A collector that holds until ready exposes only its health gauges while the state is
// being rebuilt, then everything the same collector without the hold would.
func TestHoldUntilReady(t *testing.T) {
	_, p := replayFile(t, "testdata/meta-mixed.ndjson")
	h := &Health{}
	held := prometheus.NewPedanticRegistry()
	held.MustRegister(&Collector{P: p, Health: h, EventTimeOnly: true, HoldUntilReady: true})
	plain := prometheus.NewPedanticRegistry()
	plain.MustRegister(&Collector{P: p, Health: h, EventTimeOnly: true})

	rebuilding := string(exposition(t, held))
	for _, name := range []string{"waba_outbound_message_status_total", "waba_inbound_messages_total", "waba_exporter_lines_read_total"} {
		if strings.Contains(rebuilding, name) {
			t.Errorf("%s exposed while the state is not ready", name)
		}
	}
	if !strings.Contains(rebuilding, "waba_exporter_state_ready 0") {
		t.Errorf("readiness not exposed while rebuilding:\n%s", rebuilding)
	}
	h.StateReady.Store(true)
	if got, want := string(exposition(t, held)), string(exposition(t, plain)); got != want {
		t.Errorf("once ready, the held collector differs from the plain one")
	}
	if !strings.Contains(string(exposition(t, held)), "waba_outbound_message_status_total") {
		t.Error("the state's series are missing once ready")
	}
}
