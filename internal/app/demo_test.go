package app

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/waba-exporter/waba_exporter/internal/config"
	"github.com/waba-exporter/waba_exporter/internal/exporter"
)

const demoConfig = `
quotas:
  - name: contract
    limit: 5870000
    unit: billable
    period: {type: calendar_month, timezone: America/Sao_Paulo}
  - name: marketing-budget
    limit: 100000
    unit: billable_messages
    filter: {categories: [marketing]}
portfolios:
  - name: main
    phone_number_ids: ["106540352242922", "109865431120587", "120984736251093"]
    messaging_limit: TIER_10K
rate_card:
  currency: USD
  default: {marketing: 0.0625, utility: 0.0068, authentication: 0.0068}
`

// pushOnly are the metrics that exist only in push mode.
var pushOnly = map[string]bool{
	"waba_exporter_push_failures_total":                 true,
	"waba_exporter_last_push_success_timestamp_seconds": true,
}

// mustBeNonZero are the metric families of docs/metrics.md sections 1, 2, 3 and 7 that the
// demo must drive above zero. The demo's month is in the per-message era, where there are
// no conversations: free entry point windows, which exist in both eras, stand for them.
var mustBeNonZero = []string{
	"waba_inbound_messages_total", "waba_outbound_messages_total", "waba_outbound_message_status_total",
	"waba_outbound_sent_to_delivered_seconds", "waba_outbound_delivered_to_read_seconds",
	"waba_outbound_messages_failed_total", "waba_webhook_errors_total",
	"waba_free_entry_point_windows_opened_total", "waba_conversations_open", "waba_service_windows_opened_total",
	"waba_active_customers", "waba_service_windows_open", "waba_service_windows_closed_total",
	"waba_service_windows_closed_unanswered_total",
	// issue 16: the simulator tags its marketing campaigns and writes conversion lines
	"waba_campaign_messages_total", "waba_campaign_delivered_to_read_seconds",
	"waba_campaign_conversions_total", "waba_campaign_conversion_value_total",
}

func scrape(t *testing.T, url string) (map[string]float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for name, mf := range mfs {
		out[name] += 0
		for _, m := range mf.Metric {
			out[name] += m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return out, nil
}

// TestDemoEmitsEveryMetric runs the demo (simulator -> log file -> tailer -> pipeline ->
// HTTP) in fast mode and checks that every declared metric appears on /metrics, and that
// the sections the simulator must exercise are non-zero.
func TestDemoEmitsEveryMetric(t *testing.T) {
	cfg, err := config.Parse([]byte(demoConfig), "demo.yml")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Demo(ctx, DemoOptions{
			Serve:  ServeOptions{Listener: ln, ExporterMetrics: true},
			Config: cfg, Rate: 100, Fast: true, File: t.TempDir() + "/demo.ndjson",
			PollInterval: 50 * time.Millisecond,
		})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	}()
	base := "http://" + ln.Addr().String()
	var missing, zero []string
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond) // polling a real server, bounded by the deadline
		got, err := scrape(t, base+"/metrics")
		if err != nil {
			continue
		}
		missing, zero = missing[:0], zero[:0]
		for _, name := range exporter.MetricNames() {
			if _, ok := got[name]; !ok && !pushOnly[name] {
				missing = append(missing, name)
			}
		}
		for _, name := range mustBeNonZero {
			if got[name] == 0 {
				zero = append(zero, name)
			}
		}
		if len(missing) == 0 && len(zero) == 0 {
			break
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("declared but never emitted: %s", strings.Join(missing, ", "))
	}
	if len(zero) > 0 {
		t.Errorf("still zero after the demo ran: %s", strings.Join(zero, ", "))
	}
	// Ready once the history backlog has been read (the simulator keeps appending).
	for _, path := range []string{"/-/healthy", "/-/ready", "/"} {
		code := 0
		for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if code = resp.StatusCode; code == http.StatusOK {
				break
			}
		}
		if code != http.StatusOK {
			t.Errorf("GET %s = %d", path, code)
		}
	}
}

// runDemo runs the demo in fast mode until the returned stop is called; it returns the
// base URL once the server answers.
func runDemo(t *testing.T, o DemoOptions) (base string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.Serve.Listener, o.Fast, o.PollInterval = ln, true, 50*time.Millisecond
	if o.Rate == 0 {
		o.Rate = 100
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Demo(ctx, o) }()
	var once bool
	var result error
	stop = func() error {
		if !once {
			once = true
			cancel()
			result = <-done
		}
		return result
	}
	t.Cleanup(func() { stop() })
	return "http://" + ln.Addr().String(), stop
}

// TestDemoBuiltInConfig: without --config the demo has quotas, a portfolio and a rate
// card, and the quota, cost and limit metrics get data; a user's config replaces it.
func TestDemoBuiltInConfig(t *testing.T) {
	cfg, err := LoadDemoConfig("")
	if err != nil {
		t.Fatalf("built-in demo config: %v", err)
	}
	if len(cfg.Quotas) == 0 || len(cfg.Portfolios) != 1 || cfg.RateCard == nil || cfg.RateCard.Currency == "" {
		t.Fatalf("built-in demo config lacks quotas, the portfolio or the rate card: %+v", cfg)
	}
	user := t.TempDir() + "/user.yml"
	if err := os.WriteFile(user, []byte("quotas:\n  - name: mine\n    limit: 10\n    unit: delivered_messages\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mine, err := LoadDemoConfig(user)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine.Quotas) != 1 || mine.Quotas[0].Name != "mine" || len(mine.Portfolios) != 0 || mine.RateCard != nil {
		t.Errorf("--config did not replace the built-in config: %+v", mine)
	}

	// Config nil: Demo uses the built-in one.
	base, stop := runDemo(t, DemoOptions{File: t.TempDir() + "/demo.ndjson", History: 7 * 24 * time.Hour})
	want := []string{"waba_quota_used", "waba_quota_consumed_total", "waba_quota_limit", "waba_estimated_cost_total",
		"waba_portfolio_business_initiated_unique_recipients_24h", "waba_messaging_limit_recipients"}
	var zero []string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		time.Sleep(300 * time.Millisecond) // polling a real server, bounded by the deadline
		got, err := scrape(t, base+"/metrics")
		if err != nil {
			continue
		}
		zero = zero[:0]
		for _, name := range want {
			if got[name] == 0 {
				zero = append(zero, name)
			}
		}
		if len(zero) == 0 {
			break
		}
	}
	if len(zero) > 0 {
		t.Errorf("zero with the built-in demo config: %s", strings.Join(zero, ", "))
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestDemoLogRemovedOnExit: without --demo.file the log lives in a temp directory of
// its own, removed on exit; with --demo.file it is kept.
func TestDemoLogRemovedOnExit(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var out strings.Builder
	_, stop := runDemo(t, DemoOptions{Config: config.Default(), History: 2 * time.Hour, Stdout: &out})
	var logs []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && len(logs) == 0; time.Sleep(50 * time.Millisecond) {
		logs, _ = filepath.Glob(filepath.Join(tmp, "waba-demo-*", "*.ndjson"))
	}
	if len(logs) != 1 {
		t.Fatalf("demo log in %s: %v", tmp, logs)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), logs[0]) || !strings.Contains(out.String(), "removed on exit") {
		t.Errorf("the demo did not say where its log is and that it goes: %q", out.String())
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("left in the temp directory after exit: %v", left)
	}

	kept := filepath.Join(t.TempDir(), "kept.ndjson")
	_, stop = runDemo(t, DemoOptions{Config: config.Default(), History: 2 * time.Hour, File: kept})
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if st, err := os.Stat(kept); err == nil && st.Size() > 0 {
			break
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(kept); err != nil || st.Size() == 0 {
		t.Errorf("--demo.file not kept after exit: %v", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("a demo with --demo.file used the temp directory: %v", left)
	}
}
