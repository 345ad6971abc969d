package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/waba-exporter/waba_exporter/internal/exporter"
	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/tail"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
)

// MemberOptions configures a Member.
type MemberOptions struct {
	Brokers []string
	Topic   string
	Group   string
	// NewPipeline returns the pipeline of a newly assigned partition and the offset to
	// resume at: a state restored from a local checkpoint with the next offset it has
	// not applied, or a fresh state machine and -1 (the shard is rebuilt from the start
	// of the partition's retention; so is a checkpoint older than that start). With
	// restore false the state is fresh (a checkpoint found unusable). Default: a fresh
	// state machine with window.DefaultConfig.
	NewPipeline func(partition int32, restore bool) (*pipeline.Pipeline, int64)
	// Checkpoint, when set, is called every CheckpointInterval (default 10 s) and when a
	// partition is revoked, for each shard: pos gives its applied offset (under the
	// pipeline's lock, with the state), h is its health (checkpoint success time).
	Checkpoint         func(partition int32, p *pipeline.Pipeline, pos Positions, h *exporter.Health)
	CheckpointInterval time.Duration
	// Registerer receives each shard's exporter.Collector, wrapped with the label
	// partition="<n>", unregistered when the partition is revoked.
	Registerer prometheus.Registerer
	// Now is the wall clock (default time.Now): the collectors' scrape-time "now" and
	// the ticks of caught-up shards.
	Now func() time.Time
	// NoTick keeps the wall clock out of the state machines (comparisons with replay:
	// then Flush before reading).
	NoTick bool
	// SettleAt > 0 (tests of the built binary, --kafka.settle-at): the clock is fixed at
	// this event time, nothing ticks, and each shard, once caught up, is settled there
	// (Settle): the exposition of a replay whose watermark it is.
	SettleAt int64
	// SessionTimeout of the group membership (0: kgo's 45 s): how long a member that
	// died silently keeps its partitions.
	SessionTimeout time.Duration
	Metrics        *ConsumeMetrics // nil: not recorded
	Logger         *slog.Logger
	// Extra client options (tests: shorter session timeouts).
	Extra []kgo.Opt
}

// Member is one member of the consumer group: each partition assigned to it is a shard
// with its own pipeline and state machine, fed by pipeline.Run from the partition's
// records. Partitions are balanced cooperatively (cooperative-sticky: a rebalance moves
// only the partitions that must move). No offset is committed to the group: a
// partition that moves is rebuilt by its new owner from the start of retention, the
// state being a function of the partition's events within the windows.
type Member struct {
	o       MemberOptions
	cl      *kgo.Client
	adm     *kadm.Client
	metrics *ConsumeMetrics
	log     *slog.Logger
	file    *tail.File // the sentinel File of every line: Progress gets the offsets

	mu       sync.Mutex // guards shards
	shards   map[int32]*shard
	cpMu     sync.Mutex  // serialises checkpoint writes
	joined   atomic.Bool // a first assignment was received
	brokerOK atomic.Bool
	wg       sync.WaitGroup
}

// shard is one assigned partition.
type shard struct {
	part       int32
	p          *pipeline.Pipeline
	health     *exporter.Health
	in         chan []*kgo.Record
	target     int64        // end offset when assigned: caught up once next reaches it
	next       atomic.Int64 // next offset to apply (recorded under the pipeline's lock)
	hw         atomic.Int64 // high watermark of the last fetch
	assigned   time.Time
	cancel     context.CancelFunc
	done       chan struct{}
	unregister func()
}

// RecordLines implements pipeline.Recorder: offset is the last record's offset + 1.
func (s *shard) RecordLines(_ *tail.File, offset int64, n int) {
	if n > 0 {
		s.next.Store(offset)
	}
}

// Positions is a shard's applied offset as a restore point, for a checkpoint holding
// state and offset together: call Positions under the pipeline's lock.
type Positions struct {
	topic string
	s     *shard
}

// Positions returns one Position: Source the topic, Path "kafka:<topic>/<partition>",
// Offset the next offset to apply.
func (p Positions) Positions() []tail.Position {
	return []tail.Position{{Source: p.topic, Path: fmt.Sprintf("kafka:%s/%d", p.topic, p.s.part), Offset: p.s.next.Load()}}
}

// ResumeOffset returns the offset a checkpoint's positions resume topic's partition at,
// or -1 when they do not name it.
func ResumeOffset(pos []tail.Position, topic string, partition int32) int64 {
	for _, p := range pos {
		if p.Source == topic && p.Path == fmt.Sprintf("kafka:%s/%d", topic, partition) {
			return p.Offset
		}
	}
	return -1
}

// brokerHook follows the member's reach of the brokers: a fetch that fails to be
// written or read, or a connection that cannot be made, makes the member not ready
// until a fetch succeeds again (the client retries by itself and surfaces none of
// these to the poll).
type brokerHook struct{ m *Member }

// OnBrokerE2E implements kgo.HookBrokerE2E.
func (h brokerHook) OnBrokerE2E(_ kgo.BrokerMetadata, key int16, e2e kgo.BrokerE2E) {
	if key == int16(kmsg.Fetch) {
		h.m.brokerOK.Store(e2e.WriteErr == nil && e2e.ReadErr == nil)
	}
}

// OnBrokerConnect implements kgo.HookBrokerConnect.
func (h brokerHook) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err != nil {
		h.m.brokerOK.Store(false)
	}
}

// NewMember returns a member; Run joins the group.
func NewMember(o MemberOptions) (*Member, error) {
	if o.SettleAt > 0 {
		at := time.Unix(o.SettleAt, 0)
		o.Now, o.NoTick = func() time.Time { return at }, true
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewConsumeMetrics()
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	if o.NewPipeline == nil {
		o.NewPipeline = func(int32, bool) (*pipeline.Pipeline, int64) {
			return pipeline.New(window.New(window.DefaultConfig()), webhook.Options{}, nil, o.Logger), -1
		}
	}
	m := &Member{o: o, metrics: o.Metrics, log: o.Logger, file: &tail.File{}, shards: map[int32]*shard{}}
	m.brokerOK.Store(true) // until a fetch fails
	// The client joins the group as soon as it is made: the callbacks may run before
	// NewMember returns, so they use the client they are given, never m.cl or m.adm.
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(o.Brokers...),
		kgo.ConsumerGroup(o.Group),
		kgo.ConsumeTopics(o.Topic),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(m.assigned),
		kgo.OnPartitionsRevoked(m.revoked),
		kgo.OnPartitionsLost(m.revoked),
		kgo.RetryBackoffFn(backoff),
		kgo.WithHooks(brokerHook{m}),
	}, o.Extra...)
	if o.SessionTimeout > 0 {
		opts = append(opts, kgo.SessionTimeout(o.SessionTimeout), kgo.HeartbeatInterval(o.SessionTimeout/10))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	m.cl, m.adm = cl, kadm.NewClient(cl)
	return m, nil
}

// Close leaves the group (its partitions go to the other members) and stops the shards.
func (m *Member) Close() {
	m.cl.Close()
	m.mu.Lock()
	parts := slices.Collect(maps.Keys(m.shards))
	m.mu.Unlock()
	m.drop(parts)
	m.wg.Wait()
}

// Client is the member's client (tests).
func (m *Member) Client() *kgo.Client { return m.cl }

// Run polls until ctx is done, handing each partition's records to its shard. Shards
// are started and stopped by the group's assignment callbacks, between polls.
func (m *Member) Run(ctx context.Context) error {
	if m.o.Checkpoint != nil {
		every := m.o.CheckpointInterval
		if every <= 0 {
			every = 10 * time.Second
		}
		go func() {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					m.mu.Lock()
					shards := slices.Collect(maps.Values(m.shards))
					m.mu.Unlock()
					for _, s := range shards {
						m.checkpoint(s)
					}
				}
			}
		}()
	}
	for {
		fs := m.cl.PollFetches(ctx)
		if fs.IsClientClosed() || ctx.Err() != nil {
			m.cl.AllowRebalance()
			return ctx.Err()
		}
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				m.brokerOK.Store(false)
				m.log.Warn("fetch error", "topic", t, "partition", p, "err", err)
			}
		})
		// No revoke runs until AllowRebalance (BlockRebalanceOnPoll): a shard looked up
		// here stays running while its records are handed over, outside the lock.
		fs.EachPartition(func(fp kgo.FetchTopicPartition) {
			m.mu.Lock()
			s := m.shards[fp.Partition]
			m.mu.Unlock()
			if s == nil {
				return
			}
			s.hw.Store(fp.HighWatermark)
			if len(fp.Records) == 0 {
				return
			}
			m.metrics.Records.Add(float64(len(fp.Records)))
			select {
			case s.in <- fp.Records:
			case <-ctx.Done():
			}
			m.setLag(s)
		})
		m.cl.AllowRebalance()
	}
}

// setLag updates the lag of s from its last high watermark and applied offset.
func (m *Member) setLag(s *shard) {
	m.metrics.Lag.WithLabelValues(m.o.Topic, strconv.Itoa(int(s.part))).Set(float64(max(s.hw.Load()-s.next.Load(), 0)))
}

// assigned starts a shard per new partition, each caught up once it has applied the
// records up to the partition's end offset at assignment.
func (m *Member) assigned(ctx context.Context, cl *kgo.Client, parts map[string][]int32) {
	ps := parts[m.o.Topic]
	m.metrics.Rebalances.Inc()
	defer m.joined.Store(true)
	if len(ps) == 0 {
		return
	}
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(ctx, m.o.Topic)
	if err != nil {
		m.log.Warn("end offsets unknown: shards are ready at their first idle moment", "err", err)
	}
	starts, _ := adm.ListStartOffsets(ctx, m.o.Topic)
	resume := map[int32]kgo.EpochOffset{}
	for _, p := range ps {
		pl, next := m.o.NewPipeline(p, true)
		s := &shard{part: p, p: pl, health: &exporter.Health{}, in: make(chan []*kgo.Record, 4),
			assigned: time.Now(), done: make(chan struct{})}
		s.health.ReloadSuccessful.Store(true)
		if o, ok := ends.Lookup(m.o.Topic, p); ok && o.Err == nil {
			s.target = o.Offset
		}
		var start int64
		if o, ok := starts.Lookup(m.o.Topic, p); ok && o.Err == nil {
			start = o.Offset
		}
		switch {
		case next >= start && next <= s.target:
			// The checkpoint resumes within what the partition holds.
			s.next.Store(next)
			resume[p] = kgo.EpochOffset{Epoch: -1, Offset: next}
			m.log.Info("partition resumed from its checkpoint", "partition", p, "offset", next)
		case next >= 0:
			m.log.Warn("partition checkpoint outside the partition's offsets: rebuilding from the start of retention",
				"partition", p, "offset", next, "start", start, "end", s.target)
			s.p, _ = m.o.NewPipeline(p, false)
			fallthrough
		default:
			s.next.Store(start)
		}
		s.p.AddSource(m.o.Topic)
		c := &exporter.Collector{P: s.p, Health: s.health, Now: m.o.Now, HoldUntilReady: true}
		reg := prometheus.WrapRegistererWith(prometheus.Labels{"partition": strconv.Itoa(int(p))}, m.o.Registerer)
		if err := reg.Register(c); err != nil {
			m.log.Error("shard metrics not registered", "partition", p, "err", err)
		}
		s.unregister = func() { reg.Unregister(c) }
		sctx, cancel := context.WithCancel(context.Background())
		s.cancel = cancel
		m.mu.Lock()
		m.shards[p] = s
		m.mu.Unlock()
		m.metrics.Assigned.Inc()
		m.wg.Add(1)
		go m.runShard(sctx, s)
	}
	if len(resume) > 0 {
		cl.SetOffsets(map[string]map[int32]kgo.EpochOffset{m.o.Topic: resume})
	}
	m.log.Info("partitions assigned", "topic", m.o.Topic, "partitions", fmt.Sprint(ps))
}

// revoked stops the shards of the partitions taken away (revoked or lost) and removes
// their series.
func (m *Member) revoked(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
	m.metrics.Rebalances.Inc()
	ps := parts[m.o.Topic]
	if len(ps) == 0 {
		return
	}
	m.drop(ps)
	m.log.Info("partitions revoked", "topic", m.o.Topic, "partitions", fmt.Sprint(ps))
}

func (m *Member) drop(ps []int32) {
	for _, p := range ps {
		m.mu.Lock()
		s := m.shards[p]
		delete(m.shards, p)
		m.mu.Unlock()
		if s == nil {
			continue
		}
		s.cancel()
		<-s.done
		m.checkpoint(s)
		s.unregister()
		m.metrics.Lag.DeleteLabelValues(m.o.Topic, strconv.Itoa(int(p)))
		m.metrics.Revoked.Inc()
	}
}

// checkpoint writes the checkpoint of s, if checkpoints are on.
func (m *Member) checkpoint(s *shard) {
	if m.o.Checkpoint == nil {
		return
	}
	m.cpMu.Lock()
	defer m.cpMu.Unlock()
	m.o.Checkpoint(s.part, s.p, Positions{topic: m.o.Topic, s: s}, s.health)
}

// runShard applies the shard's records until it is stopped.
func (m *Member) runShard(ctx context.Context, s *shard) {
	defer m.wg.Done()
	defer close(s.done)
	src := &recordSource{in: s.in, topic: m.o.Topic, file: m.file, wait: pipeline.IdleWait{Every: time.Second}}
	var last int64
	check := func() {
		if s.health.StateReady.Load() || s.next.Load() < s.target {
			return
		}
		if m.o.SettleAt > 0 {
			s.p.Tick(m.o.SettleAt)
			s.p.Flush()
		}
		s.health.StateReady.Store(true)
		d := time.Since(s.assigned)
		m.metrics.Rebuild.Observe(d.Seconds())
		m.log.Info("partition caught up", "partition", s.part, "rebuild_seconds", d.Seconds())
	}
	err := s.p.Run(ctx, src, pipeline.Hooks{
		RecvTime: src.recvTime,
		Progress: s,
		Applied:  func(*pipeline.Decoded) { check(); m.setLag(s) },
		Idle: func() {
			check()
			if m.o.NoTick || !s.health.StateReady.Load() {
				return
			}
			if t := m.o.Now().Unix(); t != last {
				s.p.Tick(t)
				last = t
			}
		},
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		m.log.Error("shard stopped", "partition", s.part, "err", err)
	}
}

// Ready reports whether the member has joined, every partition it owns is caught up,
// and its last fetch reached the brokers (a member that lost them is not ready).
func (m *Member) Ready() bool {
	if !m.joined.Load() || !m.brokerOK.Load() {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.shards {
		if !s.health.StateReady.Load() {
			return false
		}
	}
	return true
}

// Partitions returns the partitions owned, sorted.
func (m *Member) Partitions() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.shards))
}

// Settle brings every shard to the end of a replay whose watermark is t (comparisons
// with replay, NoTick): event time t reaches every machine (each shard's own watermark
// is only its partition's latest event), then the reorder buffers are released.
func (m *Member) Settle(t int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.shards {
		s.p.Tick(t)
		s.p.Flush()
	}
}

// Applied returns the number of records each owned partition has applied up to (its
// next offset), by partition.
func (m *Member) Applied() map[int32]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[int32]int64, len(m.shards))
	for p, s := range m.shards {
		out[p] = s.next.Load()
	}
	return out
}

// recordSource is a pipeline.Source over the record batches of one partition: each
// record is a line of the logfile named after the topic, its offset + 1 recorded once
// applied. The receive time of a batch is its first record's timestamp.
type recordSource struct {
	in    <-chan []*kgo.Record
	topic string
	file  *tail.File
	lines []pipeline.Line
	recv  int64
	wait  pipeline.IdleWait
}

func (r *recordSource) recvTime() int64 { return r.recv }

// Next implements pipeline.Source.
func (r *recordSource) Next(ctx context.Context) ([]pipeline.Line, error) {
	recs, ok, err := pipeline.Receive(ctx, r.in, &r.wait)
	if !ok {
		return nil, err
	}
	r.lines = r.lines[:0]
	for _, rec := range recs {
		r.lines = append(r.lines, pipeline.Line{Source: r.topic, File: r.file, Offset: rec.Offset + 1, Data: rec.Value})
	}
	r.recv = recs[0].Timestamp.Unix()
	return r.lines, nil
}

// WindowsNeed is the history the state machine's windows need (a calendar-month quota,
// 30-day MAU, 7-day retries): a topic keeping less cannot rebuild a moved partition.
const WindowsNeed = 35 * 24 * time.Hour

// Retention returns the topic's retention.ms (negative: unlimited).
func (m *Member) Retention(ctx context.Context) (time.Duration, error) {
	rcs, err := m.adm.DescribeTopicConfigs(ctx, m.o.Topic)
	if err != nil {
		return 0, err
	}
	rc, err := rcs.On(m.o.Topic, nil)
	if err != nil {
		return 0, err
	}
	if rc.Err != nil {
		return 0, rc.Err
	}
	for _, c := range rc.Configs {
		if c.Key == "retention.ms" {
			ms, err := strconv.ParseInt(c.MaybeValue(), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("retention.ms %q: %w", c.MaybeValue(), err)
			}
			return time.Duration(ms) * time.Millisecond, nil
		}
	}
	return 0, errors.New("retention.ms not reported")
}

// PartitionCount returns the number of partitions of the topic.
func (m *Member) PartitionCount(ctx context.Context) (int, error) {
	tds, err := m.adm.ListTopics(ctx, m.o.Topic)
	if err != nil {
		return 0, err
	}
	td, ok := tds[m.o.Topic]
	if !ok {
		return 0, fmt.Errorf("topic %s not found", m.o.Topic)
	}
	if td.Err != nil {
		return 0, td.Err
	}
	return len(td.Partitions), nil
}

// CheckRetention logs a warning, with the figure, when the topic keeps less history
// than the windows need.
func (m *Member) CheckRetention(ctx context.Context) {
	r, err := m.Retention(ctx)
	switch {
	case err != nil:
		m.log.Warn("topic retention unknown", "topic", m.o.Topic, "err", err)
	case r >= 0 && r < WindowsNeed:
		m.log.Warn("topic retention is shorter than the windows need: a partition that moves is rebuilt from less history than its state holds",
			"topic", m.o.Topic, "retention", r.String(), "retention_days", r.Hours()/24, "need_days", WindowsNeed.Hours()/24)
	default:
		m.log.Info("topic retention", "topic", m.o.Topic, "retention", r.String())
	}
}
