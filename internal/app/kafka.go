package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"

	"github.com/waba-exporter/waba_exporter/internal/exporter"
	"github.com/waba-exporter/waba_exporter/internal/kafka"
	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
	"golang.org/x/sync/errgroup"
)

// KafkaOptions are run's --kafka.* settings: with Brokers set, run consumes the topic as
// a member of Group instead of tailing files (docs/scale-out.md).
type KafkaOptions struct {
	Brokers []string
	Topic   string
	Group   string
	// SessionTimeout of the group membership (0: 45 s).
	SessionTimeout time.Duration
	// SettleAt (tests): see kafka.MemberOptions.SettleAt.
	SettleAt int64
	Conn     kafka.Conn // TLS and SASL
}

// RunKafka is run in Kafka mode: a consumer group member whose every assigned partition
// is a shard with its own state machine, each shard's series labelled partition="<n>",
// served on the usual endpoints; /-/ready is true when every owned partition is caught
// up. Reloads, push and checkpoints of run do not apply (a moved partition is rebuilt
// from the topic's retention).
func RunKafka(ctx context.Context, o RunOptions, k KafkaOptions) error {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if k.Topic == "" || k.Group == "" {
		return ConfigError{errors.New("--kafka.brokers needs --kafka.topic and --kafka.group")}
	}
	if len(o.LogPaths) > 0 || len(o.Config.Inputs) > 0 {
		log.Warn("Kafka mode reads the topic only: the file inputs are ignored")
	}
	if len(o.Serve.PushURLs) > 0 {
		log.Warn("Kafka mode does not push: --push.url is ignored")
	}
	wc := WindowConfig(o.Config)
	if _, err := applyMemoryBudget(o.Serve.MemoryLimit, &wc, log); err != nil {
		return ConfigError{err}
	}
	regs := &exporter.Registries{Domain: prometheus.NewRegistry()}
	regs.Domain.MustRegister(versioncollector.NewCollector("waba_exporter"))
	if o.Serve.ExporterMetrics {
		regs.Exporter = prometheus.NewRegistry()
		regs.Exporter.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	met := kafka.NewConsumeMetrics()
	if err := met.Register(regs.Domain); err != nil {
		return err
	}
	sh := &shardStates{dir: o.Serve.CheckpointPath, topic: k.Topic, wc: wc, log: log, now: o.Now, sized: make(chan struct{})}
	defer sh.markSized() // an early return must not leave a group callback waiting
	if sh.dir != "" {
		if err := os.MkdirAll(sh.dir, 0o700); err != nil {
			return ConfigError{fmt.Errorf("--checkpoint.path: %w", err)}
		}
		sh.keyPath = o.Serve.HashKeyFile
		if sh.keyPath == "" {
			sh.keyPath = filepath.Join(sh.dir, "hash.key")
		}
	}
	conn, err := k.Conn.Opts()
	if err != nil {
		return ConfigError{err}
	}
	m, err := kafka.NewMember(kafka.MemberOptions{
		Brokers: k.Brokers, Topic: k.Topic, Group: k.Group, Registerer: regs.Domain, Now: o.Now, Metrics: met, Logger: log,
		SessionTimeout: k.SessionTimeout, SettleAt: k.SettleAt, Extra: conn,
		NewPipeline: sh.newPipeline, Checkpoint: sh.checkpoint, CheckpointInterval: o.Serve.CheckpointInterval,
	})
	if err != nil {
		return ConfigError{err}
	}
	defer m.Close()
	// The state caps (sized for one machine, by the memory budget) are shared by the
	// shards: a member owning every partition holds at most what one machine would.
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	n, err := m.PartitionCount(cctx)
	cancel()
	if err != nil {
		log.Warn("topic partitions unknown: each shard gets the whole state caps", "topic", k.Topic, "err", err)
	} else if n > 1 {
		d := window.DefaultConfig()
		for _, c := range []struct{ v, d *int }{{&sh.wc.MaxMessages, &d.MaxMessages}, {&sh.wc.MaxCustomers, &d.MaxCustomers},
			{&sh.wc.MaxConversations, &d.MaxConversations}, {&sh.wc.MaxBuffered, &d.MaxBuffered}} {
			if *c.v <= 0 {
				*c.v = *c.d // unset: the default
			}
			*c.v = max(*c.v/n, 1000)
		}
		log.Info("state caps shared by the partitions", "partitions", n, "max_customers_per_partition", sh.wc.MaxCustomers)
	}
	sh.markSized()
	h, err := exporter.NewHandler(regs, exporter.HandlerOptions{TelemetryPath: o.Serve.TelemetryPath, Version: o.Serve.Version, Logger: log, Ready: m.Ready})
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		m.CheckRetention(cctx)
		return nil
	})
	g.Go(func() error { return fatal(m.Run(ctx), log) })
	g.Go(func() error { return fatal(serve(ctx, o, h, log), log) })
	return g.Wait()
}

// serve serves h on the listener, the systemd sockets or the listen addresses of o.
func serve(ctx context.Context, o RunOptions, h http.Handler, log *slog.Logger) error {
	so := &o.Serve
	switch {
	case so.Listener != nil:
		if o.Started != nil {
			o.Started(so.Listener.Addr().String())
		}
		return exporter.ServeListener(ctx, so.Listener, so.WebConfigFile, h, log)
	case so.SystemdSocket:
		return exporter.ServeSystemdSocket(ctx, so.WebConfigFile, h, log)
	}
	return exporter.Serve(ctx, so.ListenAddresses, so.WebConfigFile, h, log)
}

// shardStates makes and checkpoints the state of each partition: in Kafka mode
// --checkpoint.path is a directory holding one checkpoint per partition,
// <topic>-<partition>.ckpt (state and offset in one file, as run's), and the hash key.
type shardStates struct {
	dir, keyPath, topic string
	// wc is written once, while the member may already be joining the group (the caps
	// are shared by the partitions, whose number the member's client reads), then only
	// read: sized is closed once it is final, and newPipeline waits for it.
	wc        window.Config
	sized     chan struct{}
	sizedOnce sync.Once
	log       *slog.Logger
	now       func() time.Time
}

func (sh *shardStates) markSized() { sh.sizedOnce.Do(func() { close(sh.sized) }) }

func (sh *shardStates) path(p int32) string {
	if sh.dir == "" {
		return ""
	}
	return filepath.Join(sh.dir, fmt.Sprintf("%s-%d.ckpt", sh.topic, p))
}

// newPipeline returns partition p's pipeline, restored from its checkpoint when restore
// is set and there is one (with the offset to resume at), else fresh (-1).
func (sh *shardStates) newPipeline(p int32, restore bool) (*pipeline.Pipeline, int64) {
	<-sh.sized
	path := sh.path(p)
	if !restore {
		path = ""
	}
	m, saved, restored, err := restoreState(path, sh.keyPath, sh.wc, sh.log, nil)
	if err != nil {
		sh.log.Error("partition state not restored: rebuilding it", "partition", p, "err", err)
		m, saved, restored = window.New(sh.wc), savedState{}, false
	}
	pl := pipeline.New(m, webhook.Options{}, nil, sh.log)
	if !restored {
		return pl, -1
	}
	pl.RestoreCounts(saved.Sources)
	return pl, kafka.ResumeOffset(saved.Positions, sh.topic, p)
}

// checkpoint writes partition p's checkpoint (none without a directory).
func (sh *shardStates) checkpoint(p int32, pl *pipeline.Pipeline, pos kafka.Positions, h *exporter.Health) {
	if sh.dir == "" {
		return
	}
	c := &checkpointer{path: sh.path(p), p: pl, prog: pos, health: h, log: sh.log, now: sh.now}
	_ = c.write()
}
