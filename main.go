// Command waba_exporter is a Prometheus exporter for the WhatsApp Business Platform: it
// tails logs of webhook bodies, keeps an event-time conversation-window state machine per
// customer, and serves delivery, read, response-time, opt-out, quota and messaging-limit
// metrics. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/prometheus/common/version"

	"github.com/waba-exporter/waba_exporter/alerts"
	"github.com/waba-exporter/waba_exporter/dashboards"
	"github.com/waba-exporter/waba_exporter/internal/app"
	"github.com/waba-exporter/waba_exporter/internal/config"
	"github.com/waba-exporter/waba_exporter/internal/kafka"
	"github.com/waba-exporter/waba_exporter/internal/logging"
)

// exitConfig is the exit status for an invalid configuration.
const exitConfig = 2

type webFlags struct {
	ListenAddress          []string `name:"listen-address" default:":9874" help:"Addresses to listen on for the web interface and telemetry (repeatable)."`
	SystemdSocket          bool     `name:"systemd-socket" help:"Serve on the sockets systemd passes (socket activation) instead of --web.listen-address."`
	TelemetryPath          string   `name:"telemetry-path" default:"/metrics" help:"Path under which to expose metrics."`
	ConfigFile             string   `name:"config.file" help:"Path to a web configuration file enabling TLS and basic auth (exporter-toolkit format)."`
	DisableExporterMetrics bool     `name:"disable-exporter-metrics" help:"Exclude go_*, process_* and promhttp_* metrics."`
}

type checkpointFlags struct {
	Path     string        `name:"path" help:"Checkpoint file of offsets and state (off when empty)."`
	Interval time.Duration `name:"interval" default:"10s" help:"How often to write the checkpoint."`
}

// stateFlags protect and bound the state (issue 12).
type stateFlags struct {
	HashKeyFile string `name:"hash-key-file" help:"File holding the key of the customer id hashes (default: beside the checkpoint, <checkpoint.path>.key; created 0600 when absent). Never stored in the checkpoint." type:"path"`
	MemoryLimit string `name:"memory-limit" help:"Memory budget, e.g. 1GiB (sets GOMEMLIMIT and sizes the state caps to fit); default: the cgroup memory limit when there is one, else none. 0 disables."`
}

// pushFlags configure push mode (off unless --push.url is given).
type pushFlags struct {
	URL        []string      `name:"url" sep:"none" help:"Push the metrics to this VictoriaMetrics or vmagent import URL, e.g. http://vm:8428/api/v1/import/prometheus (repeatable; push mode is off without it)."`
	Interval   time.Duration `name:"interval" default:"15s" help:"How often to push (each push times out after one interval)."`
	ExtraLabel []string      `name:"extra-label" sep:"none" help:"Label name=value added to every pushed sample (repeatable)."`
}

// kafkaConnFlags are the TLS and SASL settings of the Kafka clients (run and forward).
type kafkaConnFlags struct {
	TLS              bool   `name:"tls" help:"Connect to the Kafka brokers with TLS (system roots unless --kafka.tls.ca-file)."`
	TLSCAFile        string `name:"tls.ca-file" help:"PEM file of the CAs that sign the Kafka brokers' certificates (implies --kafka.tls)." type:"path"`
	TLSServerName    string `name:"tls.server-name" help:"Server name to verify in the brokers' certificates (default: each broker's host)."`
	SASLMechanism    string `name:"sasl.mechanism" enum:",PLAIN,SCRAM-SHA-256,SCRAM-SHA-512" default:"" help:"Kafka SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (off when empty)."`
	SASLUsername     string `name:"sasl.username" help:"Kafka SASL username."`
	SASLPasswordFile string `name:"sasl.password-file" help:"File holding the Kafka SASL password (first line)." type:"path"`
}

func (k kafkaConnFlags) conn() kafka.Conn {
	return kafka.Conn{TLS: k.TLS, CAFile: k.TLSCAFile, TLSServer: k.TLSServerName,
		SASLMechanism: k.SASLMechanism, SASLUsername: k.SASLUsername, SASLPasswordFile: k.SASLPasswordFile}
}

// kafkaFlags put run in Kafka mode (a consumer group member; docs/scale-out.md).
type kafkaFlags struct {
	Brokers []string `name:"brokers" help:"Kafka bootstrap brokers host:port (repeatable or comma-separated): consume --kafka.topic as a member of --kafka.group instead of tailing files."`
	Topic   string   `name:"topic" help:"Kafka topic of webhook bodies keyed by customer (written by waba_exporter forward)."`
	Group   string   `name:"group" help:"Kafka consumer group shared by the members."`
	// Session timeout of the group membership: how long a member that died silently
	// keeps its partitions.
	SessionTimeout time.Duration `name:"session-timeout" default:"45s" help:"Consumer group session timeout: how long the partitions of a member that died silently wait before moving."`
	// SettleAt (tests of the built binary): the clock fixed at this event time.
	SettleAt int64          `name:"settle-at" hidden:""`
	Conn     kafkaConnFlags `embed:""`
}

// forwardCmd tails webhook logs into a Kafka topic (docs/scale-out.md).
type forwardCmd struct {
	InputPath   []string        `name:"input.path" required:"" help:"Log file or glob of webhook bodies to tail (repeatable)." type:"path"`
	InputStart  string          `name:"input.start" enum:"beginning,end" default:"beginning" help:"Where to start reading a file seen for the first time."`
	Brokers     []string        `name:"kafka.brokers" required:"" help:"Kafka bootstrap brokers host:port (repeatable or comma-separated)."`
	Topic       string          `name:"kafka.topic" required:"" help:"Topic to produce to (keyed by customer; retention of at least 35 days)."`
	Conn        kafkaConnFlags  `embed:"" prefix:"kafka."`
	MaxBuffered int             `name:"kafka.max-buffered-records" default:"10000" help:"Records produced and not yet acknowledged; when full, reading stops until the broker acknowledges."`
	Web         webFlags        `embed:"" prefix:"web."`
	Checkpoint  checkpointFlags `embed:"" prefix:"checkpoint."`
}

type runCmd struct {
	Config     string   `help:"YAML configuration file; needed for reloads (SIGHUP, POST /-/reload, file changes)." type:"path"`
	InputPath  []string `name:"input.path" help:"Log file or glob of webhook bodies to tail (repeatable); '-' reads standard input. Added to the config's inputs." type:"path"`
	InputStart string   `name:"input.start" enum:"beginning,end" default:"beginning" help:"Where to start reading a file seen for the first time: beginning (rebuild the windows from what the file holds) or end."`
	// Deprecated names of --input.path and --input.start (before 0.1.0):
	// still accepted, hidden from the help, and warned about.
	OldLogPath  []string        `name:"log.path" hidden:"" type:"path"`
	OldLogStart string          `name:"log.start" hidden:""`
	Web         webFlags        `embed:"" prefix:"web."`
	Checkpoint  checkpointFlags `embed:"" prefix:"checkpoint."`
	Push        pushFlags       `embed:"" prefix:"push."`
	State       stateFlags      `embed:"" prefix:"state."`
	Kafka       kafkaFlags      `embed:"" prefix:"kafka."`
}

type demoCmd struct {
	Config     string        `help:"YAML configuration file (default: a built-in one with a monthly quota, a portfolio and a rate card); its inputs are tailed beside the simulator's log." type:"path"`
	Web        webFlags      `embed:"" prefix:"web."`
	Push       pushFlags     `embed:"" prefix:"push."`
	Rate       float64       `name:"demo.rate" default:"20" help:"Lines per second once the history is written."`
	Fast       bool          `name:"demo.fast" help:"Compress time (one simulated hour per second) for tests."`
	History    time.Duration `name:"demo.history" default:"720h" help:"How much history to write at full speed before going live."`
	File       string        `name:"demo.file" help:"Log file the simulator appends to, kept on exit (default: a file in a new temp directory, removed on exit)." type:"path"`
	Seed       int64         `name:"demo.seed" default:"1" help:"Simulator seed."`
	WriteLines int           `name:"demo.write-lines" help:"Write this many lines to --demo.file and exit (for benchmarks)."`
}

type replayCmd struct {
	OpenMetrics string        `name:"openmetrics" required:"" help:"Write the final exposition as OpenMetrics text to this file ('-' = stdout)."`
	Config      string        `help:"YAML configuration file." type:"path"`
	Timestamps  bool          `help:"Stamp every sample with the last event time (for promtool tsdb create-blocks-from openmetrics)."`
	Step        time.Duration `help:"Write the exposition at every step of event time (e.g. 5m), each sample stamped with its step: history for promtool tsdb create-blocks-from openmetrics (see README, Backfill)."`
	ExtraLabel  []string      `name:"extra-label" sep:"none" help:"Label name=value added to every series of a --step replay, e.g. job=waba_exporter (repeatable)."`
	Files       []string      `arg:"" name:"file" help:"Log files to replay, in order." type:"path"`
}

type checkConfigCmd struct {
	File string `arg:"" help:"Configuration file to check."`
}

type versionCmd struct{}

// generateFlags are shared by the generate subcommands.
type generateFlags struct {
	Selector string `help:"Label matchers selecting the exporter's series in every rule and query, without braces (default job=\"waba-exporter\"). Overrides the config file's selector." env:"WABA_EXPORTER_GENERATE_SELECTOR"`
	Config   string `help:"YAML file of alerts.Config keys (selector, thresholds, for durations; see alerts/README.md); missing keys keep their defaults." type:"existingfile" env:"WABA_EXPORTER_GENERATE_CONFIG"`
	Out      string `required:"" help:"Directory to write to (created if missing)." type:"path" env:"WABA_EXPORTER_GENERATE_OUT"`
}

type generateRulesCmd struct {
	generateFlags
	Format string `enum:"prometheus,kubernetes" default:"prometheus" help:"prometheus: waba_exporter.rules.yml for rule_files; kubernetes: prometheusrule.yaml, a PrometheusRule for the Prometheus Operator." env:"WABA_EXPORTER_GENERATE_FORMAT"`
}

type generateDashboardsCmd struct {
	generateFlags
	Format string `enum:"grafana,kubernetes" default:"grafana" help:"grafana: one JSON file per dashboard; kubernetes: grafana-dashboards.yaml, ConfigMaps labelled grafana_dashboard=\"1\" for the Grafana sidecar." env:"WABA_EXPORTER_GENERATE_FORMAT"`
}

type generateCmd struct {
	Rules      generateRulesCmd      `cmd:"" help:"Write the Prometheus recording and alerting rules."`
	Dashboards generateDashboardsCmd `cmd:"" help:"Write the Grafana dashboards."`
}

type cli struct {
	ShowVersion kong.VersionFlag `name:"version" env:"-" help:"Print the version and exit."`
	LogLevel    string           `name:"log.level" default:"info" enum:"debug,info,warn,error" help:"Log level: debug, info, warn, error."`
	LogFormat   string           `name:"log.format" default:"logfmt" enum:"logfmt,json" help:"Log format: logfmt or json."`

	Run         runCmd         `cmd:"" default:"withargs" help:"Tail webhook logs and serve metrics (the default command)."`
	Demo        demoCmd        `cmd:"" help:"Run the exporter on built-in simulated traffic and serve metrics."`
	Replay      replayCmd      `cmd:"" help:"Read log files to the end in event-time mode and write the final exposition."`
	Forward     forwardCmd     `cmd:"" help:"Tail webhook logs into a Kafka topic, one record per customer, keyed by customer (scale-out)."`
	CheckConfig checkConfigCmd `cmd:"" name:"check-config" help:"Validate a configuration file; exit 0 when valid, 2 when not."`
	Generate    generateCmd    `cmd:"" help:"Write the rules or dashboards for another selector or other thresholds."`
	Version     versionCmd     `cmd:"" help:"Print the version."`
}

func main() {
	var c cli
	kctx := kong.Parse(&c,
		kong.Name("waba_exporter"),
		kong.Description("Prometheus exporter for the WhatsApp Business Platform: webhook logs in, metrics out.\nEvery flag can also be set with an environment variable WABA_EXPORTER_<FLAG> (e.g. WABA_EXPORTER_WEB_LISTEN_ADDRESS)."),
		kong.DefaultEnvars("WABA_EXPORTER"),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		// The version variables are set by `make build` and the Dockerfile
		// through -ldflags -X github.com/prometheus/common/version.Version=...
		kong.Vars{"version": version.Print("waba_exporter")},
	)
	os.Exit(run(kctx.Command(), &c, os.Stdout, os.Stderr))
}

func run(cmd string, c *cli, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Repeated records (a flood of invalid lines) are rate-limited per message and
	// reason, with a count of what was suppressed.
	log, limiter, err := logging.NewRateLimited(stderr, c.LogLevel, c.LogFormat, logging.RateLimitOptions{})
	if err != nil {
		fmt.Fprintln(stderr, "waba_exporter:", err)
		return exitConfig
	}
	go limiter.Run(ctx, 0)
	defer limiter.Flush(context.Background())
	ver := version.Print("waba_exporter")
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, ver)
		return 0
	case "generate rules", "generate dashboards":
		return generate(cmd, c, stdout, stderr)
	case "check-config <file>":
		cfg, err := config.Load(c.CheckConfig.File)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitConfig
		}
		for _, w := range config.Warnings(cfg, time.Now()) {
			fmt.Fprintf(stdout, "%s: warning: %s\n", c.CheckConfig.File, w)
		}
		fmt.Fprintf(stdout, "%s: OK\n", c.CheckConfig.File)
		return 0
	case "replay <file>":
		cfg, err := loadConfig(c.Replay.Config)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitConfig
		}
		err = app.Replay(ctx, app.ReplayOptions{Config: cfg, Files: c.Replay.Files, Out: c.Replay.OpenMetrics, Timestamps: c.Replay.Timestamps, Stdout: stdout, Progress: stderr, Logger: log,
			Step: c.Replay.Step, ExtraLabels: c.Replay.ExtraLabel})
		return exitStatus(stderr, err)
	case "forward":
		so := serveOptions(c.Forward.Web, pushFlags{}, "", ver)
		so.CheckpointPath, so.CheckpointInterval = c.Forward.Checkpoint.Path, c.Forward.Checkpoint.Interval
		err := app.Forward(ctx, app.ForwardOptions{Serve: so, Paths: c.Forward.InputPath, Start: c.Forward.InputStart,
			Brokers: c.Forward.Brokers, Topic: c.Forward.Topic, MaxBuffered: c.Forward.MaxBuffered, Conn: c.Forward.Conn.conn(), Logger: log})
		return exitStatus(stderr, err)
	case "demo":
		cfg, err := app.LoadDemoConfig(c.Demo.Config)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitConfig
		}
		err = app.Demo(ctx, app.DemoOptions{
			Serve: serveOptions(c.Demo.Web, c.Demo.Push, c.Demo.Config, ver), Config: cfg,
			Rate: c.Demo.Rate, Fast: c.Demo.Fast, History: c.Demo.History, File: c.Demo.File,
			Seed: c.Demo.Seed, WriteLines: c.Demo.WriteLines, Stdout: stdout, Logger: log,
		})
		return exitStatus(stderr, err)
	default: // run
		cfg, err := loadConfig(c.Run.Config)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitConfig
		}
		so := serveOptions(c.Run.Web, c.Run.Push, c.Run.Config, ver)
		so.CheckpointPath, so.CheckpointInterval = c.Run.Checkpoint.Path, c.Run.Checkpoint.Interval
		so.HashKeyFile, so.MemoryLimit = c.Run.State.HashKeyFile, c.Run.State.MemoryLimit
		paths, start, err := inputFlags(&c.Run, log)
		if err != nil {
			fmt.Fprintln(stderr, "waba_exporter:", err)
			return exitConfig
		}
		ro := app.RunOptions{Serve: so, Config: cfg, LogPaths: paths, LogStart: start, Logger: log}
		if len(c.Run.Kafka.Brokers) > 0 {
			err = app.RunKafka(ctx, ro, app.KafkaOptions{Brokers: c.Run.Kafka.Brokers, Topic: c.Run.Kafka.Topic, Group: c.Run.Kafka.Group,
				SessionTimeout: c.Run.Kafka.SessionTimeout, SettleAt: c.Run.Kafka.SettleAt, Conn: c.Run.Kafka.Conn.conn()})
			return exitStatus(stderr, err)
		}
		err = app.Run(ctx, ro)
		return exitStatus(stderr, err)
	}
}

// inputFlags merges the deprecated --log.path/--log.start into
// --input.path/--input.start, warning once for each old name used; a given
// --log.start replaces --input.start.
func inputFlags(r *runCmd, log *slog.Logger) (paths []string, start string, err error) {
	paths = append(append(paths, r.InputPath...), r.OldLogPath...)
	if len(r.OldLogPath) > 0 {
		log.Warn("--log.path (WABA_EXPORTER_LOG_PATH) is deprecated: use --input.path (WABA_EXPORTER_INPUT_PATH)")
	}
	start = r.InputStart
	if r.OldLogStart != "" {
		log.Warn("--log.start (WABA_EXPORTER_LOG_START) is deprecated: use --input.start (WABA_EXPORTER_INPUT_START)")
		if r.OldLogStart != "beginning" && r.OldLogStart != "end" {
			return nil, "", fmt.Errorf("--log.start: %q: want beginning or end", r.OldLogStart)
		}
		start = r.OldLogStart
	}
	return paths, start, nil
}

// generate writes rules or dashboards for the configured selector and
// thresholds. A bad config file or selector is a configuration error (2).
func generate(cmd string, c *cli, stdout, stderr io.Writer) int {
	f, format := c.Generate.Rules.generateFlags, c.Generate.Rules.Format
	if cmd == "generate dashboards" {
		f, format = c.Generate.Dashboards.generateFlags, c.Generate.Dashboards.Format
	}
	ac := alerts.Default()
	if f.Config != "" {
		var err error
		if ac, err = alerts.LoadConfig(f.Config); err != nil {
			fmt.Fprintln(stderr, "waba_exporter:", err)
			return exitConfig
		}
	}
	if f.Selector != "" {
		ac.Selector = f.Selector
	}
	if err := alerts.ValidateSelector(ac.Selector); err != nil {
		fmt.Fprintln(stderr, "waba_exporter:", err)
		return exitConfig
	}
	var files []alerts.File
	var err error
	if cmd == "generate rules" {
		files, err = alerts.GenerateRules(ac, format)
	} else {
		files, err = dashboards.Generate(ac, format)
	}
	if err == nil {
		err = alerts.WriteFiles(f.Out, files)
	}
	if err != nil {
		fmt.Fprintln(stderr, "waba_exporter:", err)
		return 1
	}
	for _, file := range files {
		fmt.Fprintln(stdout, filepath.Join(f.Out, file.Name))
	}
	return 0
}

func serveOptions(w webFlags, p pushFlags, configPath, ver string) app.ServeOptions {
	return app.ServeOptions{
		ListenAddresses: w.ListenAddress, SystemdSocket: w.SystemdSocket, TelemetryPath: w.TelemetryPath, WebConfigFile: w.ConfigFile,
		ExporterMetrics: !w.DisableExporterMetrics, ConfigPath: configPath, Version: ver,
		PushURLs: p.URL, PushInterval: p.Interval, PushExtraLabels: p.ExtraLabel,
	}
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path)
}

func exitStatus(stderr io.Writer, err error) int {
	if err == nil || errors.Is(err, context.Canceled) {
		return 0
	}
	fmt.Fprintln(stderr, "waba_exporter:", err)
	var ce app.ConfigError
	if errors.As(err, &ce) {
		return exitConfig
	}
	return 1
}
