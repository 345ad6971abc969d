package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/config"
	"github.com/waba-exporter/waba_exporter/internal/push"
	"github.com/waba-exporter/waba_exporter/internal/sim"
)

// DemoOptions configures Demo.
type DemoOptions struct {
	Serve   ServeOptions
	Config  *config.Config
	Rate    float64       // lines per second once live
	Fast    bool          // one simulated hour per wall second
	History time.Duration // written at full speed first
	File    string        // default: a file in a new temp directory, removed on exit
	Seed    int64
	// WriteLines > 0: write that many lines to File and return (benchmarks).
	WriteLines   int
	Stdout       io.Writer
	Logger       *slog.Logger
	Now          func() time.Time
	PollInterval time.Duration
	Started      func(addr string)
}

// fastSpeed is how much faster than real time the simulator runs in fast mode.
const fastSpeed = 3600

// demoConfigYAML is the demo's built-in configuration, sized to the simulator's traffic
// (about 10,000 billable messages a day, 6,000 of them marketing, over four numbers), so
// that every panel has data: a monthly contract quota used at a sustainable pace, a
// marketing budget burning too fast (its burn-rate alert fires within the month, and the
// nearly-used one after about three weeks), one portfolio of the two American numbers
// with a configured messaging limit, and a rate card with two country rates.
const demoConfigYAML = `# waba_exporter demo: built-in configuration (give --config to use your own).
quotas:
  - name: contract
    limit: 400000
    unit: billable
    period: {type: calendar_month, timezone: UTC}
  - name: marketing-budget
    limit: 150000
    unit: billable_messages
    filter: {categories: [marketing]}
    period: {type: calendar_month, timezone: UTC}
portfolios:
  - name: americas
    phone_number_ids: ["107342981650234", "112093847561203"]
    messaging_limit: TIER_10K
rate_card:
  currency: USD
  default: {marketing: 0.025, utility: 0.004, authentication: 0.004, authentication_international: 0.02}
  countries:
    br: {marketing: 0.0625, utility: 0.0068, authentication: 0.0068}
    in: {marketing: 0.0107, utility: 0.0014, authentication: 0.0014}
labels:
  country_enabled: true
`

// LoadDemoConfig loads the configuration of the demo: the file at path, or the built-in
// one when path is empty (a user's config replaces it whole).
func LoadDemoConfig(path string) (*config.Config, error) {
	if path != "" {
		return config.Load(path)
	}
	return config.Parse([]byte(demoConfigYAML), "built-in demo config")
}

// Demo runs the built-in traffic simulator, appending webhook bodies to a log file, and
// runs the exporter on that file through the real tailing path.
func Demo(ctx context.Context, o DemoOptions) error {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.History <= 0 {
		o.History = 30 * 24 * time.Hour
	}
	if o.WriteLines > 0 {
		return writeDemoLines(o)
	}
	po := push.Options{URLs: o.Serve.PushURLs, Interval: o.Serve.PushInterval, ExtraLabels: o.Serve.PushExtraLabels}
	if err := po.Validate(); err != nil {
		return ConfigError{err} // before the simulator starts writing
	}
	if o.Config == nil {
		cfg, err := LoadDemoConfig("")
		if err != nil {
			return err
		}
		o.Config = cfg
	}
	f, cleanup, err := openDemoFile(o.File)
	if err != nil {
		return err
	}
	defer cleanup()
	// The simulator's log, after the config's own inputs (a --config may add logs to tail
	// beside it, e.g. account events for an alert test).
	cfg := *o.Config
	cfg.Inputs = append(append([]config.Input(nil), o.Config.Inputs...),
		config.Input{Path: f.Name(), Format: config.FormatMeta, Start: config.StartBeginning, MaxLineBytes: config.DefaultMaxLineBytes})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	speed := 1.0
	if o.Fast {
		speed = fastSpeed
	}
	s := sim.New(sim.Options{Seed: o.Seed, Start: o.Now().Add(-o.History)})
	simErr := make(chan error, 1)
	go func() { simErr <- s.Play(ctx, f, o.Now, o.Rate, speed) }()

	announceDemo(o, f.Name())
	err = Run(ctx, RunOptions{Serve: o.Serve, Config: &cfg, Logger: o.Logger, Now: o.Now, PollInterval: o.PollInterval, Started: o.Started})
	cancel()
	if serr := <-simErr; err == nil && serr != nil && ctx.Err() == nil {
		err = serr
	}
	return err
}

// writeDemoLines writes o.WriteLines simulated lines to o.File and returns (no exporter).
func writeDemoLines(o DemoOptions) error {
	if o.File == "" {
		return ConfigError{fmt.Errorf("--demo.write-lines needs --demo.file")}
	}
	f, err := os.Create(o.File)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	s := sim.New(sim.Options{Seed: o.Seed, Start: o.Now().Add(-o.History)})
	if err := s.WriteN(bw, o.WriteLines); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// openDemoFile opens the log the simulator appends to: name truncated, or, when name is
// empty, a file in a temporary directory of its own (the month of history is ~200 MB).
// cleanup closes the file and removes that directory.
func openDemoFile(name string) (f *os.File, cleanup func(), err error) {
	if name != "" {
		f, err = os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, nil, err
		}
		return f, func() { f.Close() }, nil
	}
	dir, err := os.MkdirTemp("", "waba-demo-*")
	if err != nil {
		return nil, nil, err
	}
	f, err = os.Create(filepath.Join(dir, "webhooks.ndjson"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return f, func() { f.Close(); os.RemoveAll(dir) }, nil
}

// announceDemo tells the user where the simulated log is and where the metrics are.
func announceDemo(o DemoOptions, file string) {
	addr := "http://localhost:9874"
	if len(o.Serve.ListenAddresses) > 0 {
		addr = "http://" + hostPort(o.Serve.ListenAddresses[0])
	}
	keep := " (removed on exit; --demo.file keeps it)"
	if o.File != "" {
		keep = ""
	}
	fmt.Fprintf(o.Stdout, "waba_exporter demo: simulated webhooks are appended to %s%s\nOpen %s%s for the metrics (Ctrl-C to stop).\n", file, keep, addr, telemetryPath(o.Serve.TelemetryPath))
}

func hostPort(a string) string {
	if len(a) > 0 && a[0] == ':' {
		return "localhost" + a
	}
	return a
}

func telemetryPath(p string) string {
	if p == "" {
		return "/metrics"
	}
	return p
}
