package exporter

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/model"
	"github.com/waba-exporter/waba_exporter/tail"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
)

// SourceStats is what the tailer reports of one logfile, as it reports it.
type SourceStats = tail.SourceStats

// Health holds the exporter-level states set by the process (readiness, checkpoint,
// reload, push). All fields are safe for concurrent use.
type Health struct {
	StateReady        atomic.Bool
	CheckpointSuccess atomic.Int64 // unix seconds; 0 = never
	ReloadSuccessful  atomic.Bool
	ReloadSuccess     atomic.Int64 // unix seconds

	mu   sync.Mutex
	push map[string]*pushStats
}

type pushStats struct {
	failures    uint64
	lastSuccess int64
}

// PushResult records the outcome of one push to url (already redacted).
func (h *Health) PushResult(url string, err error, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.push == nil {
		h.push = map[string]*pushStats{}
	}
	s, ok := h.push[url]
	if !ok {
		s = &pushStats{}
		h.push[url] = s
	}
	if err != nil {
		s.failures++
	} else {
		s.lastSuccess = now.Unix()
	}
}

// RegisterPush makes a push target's series exist before the first push.
func (h *Health) RegisterPush(url string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.push == nil {
		h.push = map[string]*pushStats{}
	}
	if _, ok := h.push[url]; !ok {
		h.push[url] = &pushStats{}
	}
}

// Collector emits every metric of docs/metrics.md from the pipeline's state at scrape.
type Collector struct {
	P      *pipeline.Pipeline
	Health *Health
	// Sources reports the tailer's per-logfile stats (nil when not tailing).
	Sources func() []SourceStats
	// FsnotifyOverflows reports the tailer's rescans forced by fsnotify (nil: 0).
	FsnotifyOverflows func() uint64
	// Now is the wall clock (injected). Scrape-time gauges use max(watermark, Now) as
	// "now"; with EventTimeOnly (replay) they use the watermark alone.
	Now           func() time.Time
	EventTimeOnly bool
	// Reliability holds the checkpoint failure counters (nil: 0).
	Reliability *Reliability
	// HoldUntilReady leaves out the state's series (domain metrics and the pipeline's
	// counters) while Health.StateReady is false, exposing only the health gauges: a
	// Kafka shard being rebuilt would otherwise show counters climbing from a partial
	// replay, which rate() over a partition that moved reads as traffic.
	HoldUntilReady bool

	lastDuration atomic.Int64 // ns
}

// Describe sends every Desc.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func histogram(ch chan<- prometheus.Metric, d *prometheus.Desc, h *window.Histogram, labels ...string) {
	ch <- prometheus.MustNewConstHistogram(d, h.Count, h.Sum, h.Cumulative(), labels...)
}

// Collect emits the metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	start := time.Now()
	var sources []SourceStats
	if c.Sources != nil {
		sources = c.Sources()
	}
	h := c.Health
	if h == nil {
		h = &Health{}
	}
	if !c.HoldUntilReady || h.StateReady.Load() {
		c.collectState(ch)
	}
	c.collectReliability(ch, sources)
	c.collectSources(ch, sources)
	gauge(ch, dStateReady, b2f(h.StateReady.Load()))
	gauge(ch, dCheckpointOK, float64(h.CheckpointSuccess.Load()))
	gauge(ch, dReloadOK, b2f(h.ReloadSuccessful.Load()))
	gauge(ch, dReloadTime, float64(h.ReloadSuccess.Load()))
	h.mu.Lock()
	for _, url := range slices.Sorted(maps.Keys(h.push)) {
		s := h.push[url]
		counter(ch, dPushFailures, float64(s.failures), url)
		gauge(ch, dPushSuccess, float64(s.lastSuccess), url)
	}
	h.mu.Unlock()
	gauge(ch, dCollectDuration, time.Duration(c.lastDuration.Load()).Seconds())
	c.lastDuration.Store(int64(time.Since(start)))
}

// collectState emits the series computed from the pipeline's state, under its read lock.
func (c *Collector) collectState(ch chan<- prometheus.Metric) {
	c.P.Read(func(v pipeline.View) {
		m := v.Machine
		now := m.Watermark()
		if !c.EventTimeOnly && c.Now != nil {
			now = max(now, c.Now().Unix())
		}
		view := m.View(now)
		c.collectDomain(ch, m, &view)
		c.collectSelf(ch, v, &view)
		collectDropped(ch, m)
		collectCampaigns(ch, m)
	})
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var convOpenCats = []model.Category{model.CategoryMarketing, model.CategoryUtility, model.CategoryAuthentication, model.CategoryAuthenticationInternational, model.CategoryService, model.CategoryReferralConversion}

var ratings = []model.Rating{model.RatingGreen, model.RatingYellow, model.RatingRed, model.RatingUnknown}

// accountEventGrid are the account_update events exported at 0 from the first sight of
// a WABA, so that alerts on their increase see the series.
var accountEventGrid = []string{"account_violation", "account_restriction", "disabled_update", "volume_based_pricing_tier_update"}

// collectDomain emits the domain metrics (docs/metrics.md sections 1 to 9), one metric
// family group per function.
func (c *Collector) collectDomain(ch chan<- prometheus.Metric, m *window.Machine, view *window.View) {
	currency := m.Currency()
	optInKeywords := len(m.Config().OptInKeywords) > 0
	for i, b := range m.Businesses() {
		bv := &view.Businesses[i]
		collectMessages(ch, b, currency)
		collectResponses(ch, b, bv)
		collectOptOuts(ch, b, optInKeywords)
		collectWindows(ch, b, bv)
		collectQuality(ch, b)
		collectPricing(ch, m, b)
	}
	for _, p := range view.Portfolios {
		gauge(ch, dPortfolioRecipients, float64(p.UniqueRecipients24h), p.Name)
		if p.LimitSource != window.LimitUnknown {
			gauge(ch, dPortfolioLimit, p.Limit, p.Name, limitSourceNames[p.LimitSource])
		}
	}
	collectAccounts(ch, m, view.Now)
	for _, q := range view.Quotas {
		gauge(ch, dQuotaLimit, q.Limit, q.Name)
		gauge(ch, dQuotaUsed, q.Used, q.Name)
		counter(ch, dQuotaConsumed, q.Consumed, q.Name)
		gauge(ch, dQuotaStart, float64(q.Start), q.Name)
		gauge(ch, dQuotaEnd, float64(q.End), q.Name)
	}
	for ev, n := range m.Stats().TemplateEvents {
		counter(ch, dTemplateStatusEvents, float64(n), ev)
	}
}

// collectMessages emits the inbound and outbound message counters, the funnel and its
// latencies, failures and the reply counters, on the pre-initialised category grid.
func collectMessages(ch chan<- prometheus.Metric, b *window.Business, currency string) {
	id := b.ID
	for mt := model.MessageTypeText; mt < model.NumMessageType; mt++ {
		counter(ch, dInbound, float64(b.Inbound[mt]), id, mt.String())
	}
	for _, cat := range labelCategories {
		cs := cat.String()
		counter(ch, dOutbound, float64(b.Outbound[cat]), id, cs)
		for f, name := range funnelNames {
			counter(ch, dOutboundStatus, float64(b.Status[cat][f]), id, cs, name)
		}
		if b.SentToDelivered[cat].Count > 0 {
			histogram(ch, dSentToDeliv, &b.SentToDelivered[cat], id, cs)
		}
		if b.DeliveredToRead[cat].Count > 0 {
			histogram(ch, dDelivToRead, &b.DeliveredToRead[cat], id, cs)
		}
		counter(ch, dConvOpened, float64(b.ConversationsOpened[cat]), id, cs)
		if window.IsTemplateCategory(cat) {
			counter(ch, dReplyEligible, float64(b.ReplyEligible[cat]), id, cs)
			for a, name := range attributionNames {
				counter(ch, dReplies, float64(b.Replies[cat][a]), id, cs, name)
			}
			if currency != "" {
				counter(ch, dCost, b.Cost[cat], id, cs, currency)
			}
		}
	}
	for k, n := range b.Failed {
		counter(ch, dFailed, float64(n), id, k.Category.String(), k.Code)
	}
	for code, n := range b.WebhookErrors {
		counter(ch, dWebhookErrors, float64(n), id, code)
	}
}

// collectResponses emits the response times and the unanswered conversations.
func collectResponses(ch chan<- prometheus.Metric, b *window.Business, bv *window.BusinessView) {
	histogram(ch, dFirstResponse, &b.FirstResponse, b.ID)
	histogram(ch, dResponse, &b.Response, b.ID)
	gauge(ch, dUnanswered, float64(bv.Unanswered), b.ID)
	if bv.OldestUnanswered > 0 {
		gauge(ch, dOldestUnanswered, float64(bv.OldestUnanswered), b.ID)
	}
}

// collectOptOuts emits the opt-out and opt-in counters.
func collectOptOuts(ch chan<- prometheus.Metric, b *window.Business, optInKeywords bool) {
	id := b.ID
	for s, name := range sourceNames {
		counter(ch, dOptOuts, float64(b.OptOuts[s]), id, name)
	}
	// Only the sources that can resume (docs/metrics.md 6): keyword with a START keyword.
	counter(ch, dOptIns, float64(b.OptIns[window.SourceUserPreferences]), id, sourceNames[window.SourceUserPreferences])
	if optInKeywords {
		counter(ch, dOptIns, float64(b.OptIns[window.SourceKeyword]), id, sourceNames[window.SourceKeyword])
	}
	counter(ch, dOptedOutCustoms, float64(b.OptedOutCustomers), id)
}

// collectWindows emits the free entry point, conversation and service windows, and the
// active customers and unique recipients.
func collectWindows(ch chan<- prometheus.Metric, b *window.Business, bv *window.BusinessView) {
	id := b.ID
	counter(ch, dFEPOpened, float64(b.FEPWindowsOpened), id)
	for _, cat := range convOpenCats {
		gauge(ch, dConvOpen, float64(bv.ConversationsOpen[cat]), id, cat.String())
	}
	counter(ch, dCSWOpened, float64(b.ServiceWindowsOpened), id)
	counter(ch, dCSWClosed, float64(b.ServiceWindowsClosed), id)
	counter(ch, dCSWClosedUnans, float64(b.ServiceWindowsClosedUnanswered), id)
	gauge(ch, dCSWOpen, float64(bv.ServiceWindowsOpen), id)
	for w, name := range activeWindowNames {
		gauge(ch, dActive, float64(bv.Active[w]), id, name)
	}
	gauge(ch, dUniqueRecipients, float64(bv.UniqueRecipients24h), id)
}

// collectQuality emits the messaging limit, the phone number info, the quality rating
// and quality events.
func collectQuality(ch chan<- prometheus.Metric, b *window.Business) {
	id := b.ID
	if b.LimitKnown {
		gauge(ch, dMessagingLimit, b.Limit, id)
	}
	if b.Display != "" || b.WabaID != "" {
		gauge(ch, dPhoneInfo, 1, id, b.Display, b.WabaID)
	}
	for _, r := range ratings {
		gauge(ch, dQualityRating, b2f(b.Rating == r), id, r.String())
	}
	for ev, n := range b.QualityEvents {
		counter(ch, dQualityEvents, float64(n), id, ev)
	}
}

// collectPricing emits the priced messages and the pricing mismatches.
func collectPricing(ch chan<- prometheus.Metric, m *window.Machine, b *window.Business) {
	for k, n := range b.Priced {
		counter(ch, dPriced, float64(n), b.ID, k.Category.String(), k.PricingType.String(), m.CountryName(k.Country))
	}
	for f, name := range mismatchNames {
		counter(ch, dMismatches, float64(b.Mismatches[f]), b.ID, name)
	}
}

// collectAccounts emits the account events, status and volume tiers of every WABA.
func collectAccounts(ch chan<- prometheus.Metric, m *window.Machine, now int64) {
	for _, a := range m.Accounts() {
		for _, ev := range accountEventGrid {
			if _, ok := a.Events[ev]; !ok {
				counter(ch, dAccountEvents, 0, a.ID, ev)
			}
		}
		for ev, n := range a.Events {
			counter(ch, dAccountEvents, float64(n), a.ID, ev)
		}
		st := a.Status(now)
		for s, name := range accountStatusNames {
			gauge(ch, dAccountStatus, b2f(window.AccountStatus(s) == st), a.ID, name)
		}
		for cat, t := range a.Tiers {
			gauge(ch, dVolumeTier, t.Value, a.ID, cat.String())
		}
	}
}

func (c *Collector) collectSelf(ch chan<- prometheus.Metric, v pipeline.View, view *window.View) {
	m := v.Machine
	for _, src := range v.Sources {
		s := v.Counts[src]
		counter(ch, dLinesRead, float64(s.Lines), src)
		counter(ch, dBytesRead, float64(s.Bytes), src)
		for _, r := range webhook.Reasons() {
			counter(ch, dParseErrors, float64(s.ParseErrors[r]), src, r.String())
		}
	}
	st := m.Stats()
	events := st.Events
	for _, f := range webhook.Fields() {
		counter(ch, dEvents, float64(events[f]), f)
	}
	for f, n := range events {
		if !isKnownField(f) {
			counter(ch, dEvents, float64(n), f)
		}
	}
	counter(ch, dDuplicates, float64(st.DuplicateStatus), "status")
	counter(ch, dDuplicates, float64(st.DuplicateMessage), "message")
	counter(ch, dOutOfOrder, float64(st.OutOfOrderStatus), "status")
	counter(ch, dOutOfOrder, float64(st.OutOfOrderLatency), "latency")
	counter(ch, dOutOfOrder, float64(st.OutOfOrderLate), "late")
	counter(ch, dOutOfOrder, float64(st.EarlyReleased), "early_release")
	gauge(ch, dLastEvent, float64(m.Watermark()))
	for k, kind := range evictKindNames {
		gauge(ch, dStateEntries, float64(view.Entries[k]), kind)
		for r, reason := range evictReasonNames {
			counter(ch, dStateEvictions, float64(st.Evictions[k][r]), kind, reason)
		}
	}
	for _, l := range []string{"error_code", "country", "waba_id", "portfolio"} {
		counter(ch, dLabelOverflow, float64(st.LabelOverflow[l]), l)
	}
}

func isKnownField(f string) bool {
	for _, k := range webhook.Fields() {
		if k == f {
			return true
		}
	}
	return false
}

func (c *Collector) collectSources(ch chan<- prometheus.Metric, sources []SourceStats) {
	files := 0
	for _, s := range sources {
		counter(ch, dRotations, float64(s.Rotations), s.Source)
		counter(ch, dTruncations, float64(s.Truncations), s.Source)
		counter(ch, dReadErrors, float64(s.ReadErrors), s.Source)
		gauge(ch, dSourceUp, b2f(s.Up), s.Source)
		gauge(ch, dTailLag, float64(s.LagBytes), s.Source)
		last := 0.0
		if !s.LastRead.IsZero() {
			last = float64(s.LastRead.UnixNano()) / 1e9
		}
		gauge(ch, dLastRead, last, s.Source)
		files += s.FilesOpen
	}
	gauge(ch, dFilesWatched, float64(files))
	var ov uint64
	if c.FsnotifyOverflows != nil {
		ov = c.FsnotifyOverflows()
	}
	counter(ch, dFsnotifyOverfl, float64(ov))
}
