package exporter

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/waba-exporter/waba_exporter/window"
)

// Self-metrics of the reliability work (issue 12): what was dropped or lost, and failed
// checkpoints. Kept apart from metrics.go so the families of each change stay separate.
var (
	dDroppedEvents      = desc("waba_exporter_dropped_events_total", "Decoded events dropped without reaching the state, by reason (business_cap, not_allowed, no_business, bad_metadata, no_message_id).", "reason")
	dCheckpointFailures = desc("waba_exporter_checkpoint_failures_total", "Checkpoint writes that failed (the previous checkpoint is kept).")
	dLinesLost          = desc("waba_exporter_lines_lost_total", "Lines known to be lost before they could be read, by reason (rotated_unread: a file created and rotated away between two rescans).", lFile, "reason")
	dCheckpointUnusable = desc("waba_exporter_checkpoint_restore_failures_total", "Checkpoints found at start that could not be used (set aside, or unreadable and left in place; checkpoints are then not written).")
)

func init() {
	allDescs = append(allDescs, dDroppedEvents, dCheckpointFailures, dCheckpointUnusable, dLinesLost)
}

// Reliability holds the process-level reliability counters. Safe for concurrent use.
type Reliability struct {
	CheckpointFailures atomic.Uint64
	CheckpointUnusable atomic.Uint64
}

// collectDropped emits the state machine's drops by reason (under the pipeline's lock).
func collectDropped(ch chan<- prometheus.Metric, m *window.Machine) {
	dropped := m.Stats().Dropped
	for r, name := range dropReasonNames {
		counter(ch, dDroppedEvents, float64(dropped[r]), name)
	}
}

func (c *Collector) collectReliability(ch chan<- prometheus.Metric, sources []SourceStats) {
	for _, s := range sources {
		counter(ch, dLinesLost, float64(s.LinesLost), s.Source, "rotated_unread")
	}
	r := c.Reliability
	if r == nil {
		r = &Reliability{}
	}
	counter(ch, dCheckpointFailures, float64(r.CheckpointFailures.Load()))
	counter(ch, dCheckpointUnusable, float64(r.CheckpointUnusable.Load()))
}
