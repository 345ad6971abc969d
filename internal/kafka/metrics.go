package kafka

import "github.com/prometheus/client_golang/prometheus"

// ForwardMetrics are the forwarder's self-metrics (no label names a customer).
type ForwardMetrics struct {
	Lines         prometheus.Counter
	Unkeyed       prometheus.Counter
	Records       prometheus.Counter
	Bytes         prometheus.Counter
	ProduceErrors prometheus.Counter
	Buffered      prometheus.Gauge
	LastAck       prometheus.Gauge
}

// NewForwardMetrics returns unregistered forwarder metrics.
func NewForwardMetrics() *ForwardMetrics {
	return &ForwardMetrics{
		Lines: prometheus.NewCounter(prometheus.CounterOpts{Name: "waba_exporter_forward_lines_total",
			Help: "Lines read from the inputs by the forwarder."}),
		Unkeyed: prometheus.NewCounter(prometheus.CounterOpts{Name: "waba_exporter_forward_unkeyed_lines_total",
			Help: "Lines naming no customer, account or business (not webhook bodies): forwarded with an empty key; the consumer counts their parse errors."}),
		Records: prometheus.NewCounter(prometheus.CounterOpts{Name: "waba_exporter_forward_records_total",
			Help: "Records acknowledged by the broker (one per customer of a body)."}),
		Bytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "waba_exporter_forward_bytes_total",
			Help: "Key and value bytes of the acknowledged records."}),
		ProduceErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "waba_exporter_forward_produce_errors_total",
			Help: "Records whose produce failed (each is produced again after a backoff)."}),
		Buffered: prometheus.NewGauge(prometheus.GaugeOpts{Name: "waba_exporter_forward_buffered_records",
			Help: "Records produced and not yet acknowledged (bounded by --kafka.max-buffered-records)."}),
		LastAck: prometheus.NewGauge(prometheus.GaugeOpts{Name: "waba_exporter_forward_last_ack_timestamp_seconds",
			Help: "Unix time of the last record acknowledged by the broker."}),
	}
}

// Register registers the metrics with r.
func (m *ForwardMetrics) Register(r prometheus.Registerer) error {
	return register(r, m.Lines, m.Unkeyed, m.Records, m.Bytes, m.ProduceErrors, m.Buffered, m.LastAck)
}

// register registers every collector with r, stopping at the first error.
func register(r prometheus.Registerer, cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// ConsumeMetrics are the consumer member's self-metrics.
type ConsumeMetrics struct {
	Lag        *prometheus.GaugeVec
	Rebuild    prometheus.Histogram
	Rebalances prometheus.Counter
	Assigned   prometheus.Counter
	Revoked    prometheus.Counter
	Records    prometheus.Counter
}

// NewConsumeMetrics returns unregistered consumer metrics.
func NewConsumeMetrics() *ConsumeMetrics {
	return &ConsumeMetrics{
		Lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "waba_exporter_kafka_consumer_lag_records",
			Help: "Records of an owned partition not yet applied (high watermark minus the next offset to apply)."}, []string{"topic", "partition"}),
		Rebuild: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "waba_exporter_kafka_rebuild_duration_seconds",
			Help:    "Time from the assignment of a partition to its shard being caught up (rebuilt from retention or a checkpoint).",
			Buckets: []float64{0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600}}),
		Rebalances: prometheus.NewCounter(prometheus.CounterOpts{Name: "waba_exporter_kafka_rebalances_total",
			Help: "Group rebalances this member took part in (assignments or revocations)."}),
		Assigned: prometheus.NewCounter(prometheus.CounterOpts{Name: "waba_exporter_kafka_partitions_assigned_total",
			Help: "Partitions assigned to this member."}),
		Revoked: prometheus.NewCounter(prometheus.CounterOpts{Name: "waba_exporter_kafka_partitions_revoked_total",
			Help: "Partitions revoked from or lost by this member."}),
		Records: prometheus.NewCounter(prometheus.CounterOpts{Name: "waba_exporter_kafka_records_total",
			Help: "Records fetched and handed to the shards."}),
	}
}

// Register registers the metrics with r.
func (m *ConsumeMetrics) Register(r prometheus.Registerer) error {
	return register(r, m.Lag, m.Rebuild, m.Rebalances, m.Assigned, m.Revoked, m.Records)
}
