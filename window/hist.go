package window

// Bucket upper bounds (seconds) of the latency histograms, from docs/metrics.md sections 2 and 4.
// Histograms share these slices as their Bounds: they are never modified.
var (
	sentToDeliveredBuckets = []float64{1, 2, 5, 10, 30, 60, 120, 300, 900, 3600, 21600, 86400}
	deliveredToReadBuckets = []float64{5, 30, 60, 300, 900, 1800, 3600, 7200, 21600, 43200, 86400, 259200}
	responseBuckets        = []float64{10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400}
)

// Histogram is a fixed-bucket histogram of whole seconds. Counts[i] is the number of
// observations <= Bounds[i] and above Bounds[i-1] (not cumulative); observations above
// the last bound only count towards Count and Sum.
type Histogram struct {
	Bounds []float64
	Counts []uint64
	Count  uint64
	Sum    float64
}

func newHistogram(bounds []float64) Histogram {
	return Histogram{Bounds: bounds, Counts: make([]uint64, len(bounds))}
}

// Observe records v (>= 0).
func (h *Histogram) Observe(v float64) {
	h.Count++
	h.Sum += v
	for i, b := range h.Bounds {
		if v <= b {
			h.Counts[i]++
			return
		}
	}
}

// Cumulative returns the cumulative bucket counts keyed by upper bound, as the Prometheus
// exposition wants them.
func (h *Histogram) Cumulative() map[float64]uint64 {
	out := make(map[float64]uint64, len(h.Bounds))
	var acc uint64
	for i, b := range h.Bounds {
		acc += h.Counts[i]
		out[b] = acc
	}
	return out
}
