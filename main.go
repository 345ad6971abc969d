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
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/prometheus/common/version"

	"github.com/waba-exporter/waba_exporter/app"
	"github.com/waba-exporter/waba_exporter/config"
	"github.com/waba-exporter/waba_exporter/internal/logging"
)

// exitConfig is the exit status for an invalid configuration.
const exitConfig = 2

type webFlags struct {
	ListenAddress          []string `name:"listen-address" default:":9874" help:"Addresses to listen on for the web interface and telemetry (repeatable)."`
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

type runCmd struct {
	Config     string          `help:"YAML configuration file." type:"path"`
	LogPath    []string        `name:"log.path" help:"Log file or glob of webhook bodies to tail (repeatable); '-' reads standard input. Added to the config's inputs." type:"path"`
	LogStart   string          `name:"log.start" enum:"beginning,end" default:"beginning" help:"Where to start reading a file seen for the first time: beginning (rebuild the windows from what the file holds) or end."`
	Web        webFlags        `embed:"" prefix:"web."`
	Checkpoint checkpointFlags `embed:"" prefix:"checkpoint."`
	Push       pushFlags       `embed:"" prefix:"push."`
	State      stateFlags      `embed:"" prefix:"state."`
}

type demoCmd struct {
	Config     string        `help:"YAML configuration file (quotas, portfolios, rate card...)." type:"path"`
	Web        webFlags      `embed:"" prefix:"web."`
	Push       pushFlags     `embed:"" prefix:"push."`
	Rate       float64       `name:"demo.rate" default:"20" help:"Lines per second once the history is written."`
	Fast       bool          `name:"demo.fast" help:"Compress time (one simulated hour per second) for tests."`
	History    time.Duration `name:"demo.history" default:"720h" help:"How much history to write at full speed before going live."`
	File       string        `name:"demo.file" help:"Log file the simulator appends to (default: a new temp file)." type:"path"`
	Seed       int64         `name:"demo.seed" default:"1" help:"Simulator seed."`
	WriteLines int           `name:"demo.write-lines" help:"Write this many lines to --demo.file and exit (for benchmarks)."`
}

type replayCmd struct {
	OpenMetrics string   `name:"openmetrics" required:"" help:"Write the final exposition as OpenMetrics text to this file ('-' = stdout)."`
	Config      string   `help:"YAML configuration file." type:"path"`
	Timestamps  bool     `help:"Stamp every sample with the last event time (for promtool tsdb create-blocks-from openmetrics)."`
	Files       []string `arg:"" name:"file" help:"Log files to replay, in order." type:"path"`
}

type checkConfigCmd struct {
	File string `arg:"" help:"Configuration file to check."`
}

type versionCmd struct{}

type cli struct {
	LogLevel  string `name:"log.level" default:"info" enum:"debug,info,warn,error" help:"Log level: debug, info, warn, error."`
	LogFormat string `name:"log.format" default:"logfmt" enum:"logfmt,json" help:"Log format: logfmt or json."`

	Run         runCmd         `cmd:"" default:"withargs" help:"Tail webhook logs and serve metrics (the default command)."`
	Demo        demoCmd        `cmd:"" help:"Run the exporter on built-in simulated traffic and serve metrics."`
	Replay      replayCmd      `cmd:"" help:"Read log files to the end in event-time mode and write the final exposition."`
	CheckConfig checkConfigCmd `cmd:"" name:"check-config" help:"Validate a configuration file; exit 0 when valid, 2 when not."`
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
	case "check-config <file>":
		if _, err := config.Load(c.CheckConfig.File); err != nil {
			fmt.Fprintln(stderr, err)
			return exitConfig
		}
		fmt.Fprintf(stdout, "%s: OK\n", c.CheckConfig.File)
		return 0
	case "replay <file>":
		cfg, err := loadConfig(c.Replay.Config)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitConfig
		}
		err = app.Replay(ctx, app.ReplayOptions{Config: cfg, Files: c.Replay.Files, Out: c.Replay.OpenMetrics, Timestamps: c.Replay.Timestamps, Stdout: stdout, Progress: stderr, Logger: log})
		return exitStatus(stderr, err)
	case "demo":
		cfg, err := loadConfig(c.Demo.Config)
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
		err = app.Run(ctx, app.RunOptions{Serve: so, Config: cfg, LogPaths: c.Run.LogPath, LogStart: c.Run.LogStart, Logger: log})
		return exitStatus(stderr, err)
	}
}

func serveOptions(w webFlags, p pushFlags, configPath, ver string) app.ServeOptions {
	return app.ServeOptions{
		ListenAddresses: w.ListenAddress, TelemetryPath: w.TelemetryPath, WebConfigFile: w.ConfigFile,
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
