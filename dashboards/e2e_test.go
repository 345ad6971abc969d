package dashboards

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/waba-exporter/waba_exporter/alerts"

	"github.com/waba-exporter/waba_exporter/internal/testutil"
)

// The end-to-end test runs the real pieces: the exporter binary in demo fast
// mode, Prometheus (Debian package) scraping it every second with our rules,
// and Alertmanager (Debian package) loaded with alerts/alertmanager.example.yml
// whose webhook receivers point at an httptest server. Every wait is a
// bounded poll of an external process; every process is stopped in Cleanup.

// e2eQuota is configured with a limit of 1 so that WabaQuotaNearlyUsed fires.
const e2eQuota = "e2e-small"

// The WABAs of the account events the test adds beside the demo's traffic.
const (
	e2eRestrictedWABA = "900000000000091"
	e2eDisabledWABA   = "900000000000092"
)

// e2eFor replaces every alert `for` so the test does not wait minutes; the
// expressions and thresholds are the committed ones.
const e2eFor = time.Second

// e2eConfig is the exporter config of the test: a tiny quota, a second
// normal one, a portfolio, a messaging-limit override and a rate card, so
// that every dashboard panel has something to show.
const e2eConfig = `quotas:
  - name: ` + e2eQuota + `
    limit: 1
    unit: delivered_messages
  - name: e2e-contract
    limit: 100000000
    unit: billable_messages
portfolios:
  - name: e2e-portfolio
    phone_number_ids: ["107342981650234", "112093847561203"]
    messaging_limit: TIER_10K
messaging_limits:
  "125610293847561": 1000
rate_card:
  currency: USD
  default:
    marketing: 0.025
    utility: 0.004
    authentication: 0.004
    authentication_international: 0.02
labels:
  country_enabled: true
`

// poll calls f every interval until it returns nil or the deadline passes,
// and returns f's last error.
func poll(timeout, interval time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(interval)
	}
}

func httpGet(u string) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}

// promAPI queries Prometheus' HTTP API and decodes the data field.
func promAPI(base, path string, params url.Values, data any) error {
	b, code, err := httpGet(base + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	var r struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("%s: status %d: %s", path, code, b)
	}
	if r.Status != "success" {
		return fmt.Errorf("%s: %s", path, r.Error)
	}
	return json.Unmarshal(r.Data, data)
}

// alertmanagerNotification is the webhook payload of Alertmanager.
type alertmanagerNotification struct {
	Receiver string `json:"receiver"`
	Status   string `json:"status"`
	Alerts   []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"alerts"`
}

// receiver records the notifications by URL path (one path per receiver of
// the example config).
type receiver struct {
	mu   sync.Mutex
	got  map[string][]alertmanagerNotification
	errs []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var n alertmanagerNotification
	err := json.NewDecoder(req.Body).Decode(&n)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs = append(r.errs, err.Error())
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.got[req.URL.Path] = append(r.got[req.URL.Path], n)
}

// find returns the labels of a firing alert delivered on path that has all
// the given labels.
func (r *receiver) find(path string, want map[string]string) (map[string]string, map[string]string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.got[path] {
		for _, a := range n.Alerts {
			ok := a.Status == "firing"
			for k, v := range want {
				ok = ok && a.Labels[k] == v
			}
			if ok {
				return a.Labels, a.Annotations, true
			}
		}
	}
	return nil, nil, false
}

func (r *receiver) summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []string
	for path, ns := range r.got {
		for _, n := range ns {
			for _, a := range n.Alerts {
				s = append(s, fmt.Sprintf("%s %s %s %v", path, a.Status, a.Labels["alertname"], a.Labels))
			}
		}
	}
	sort.Strings(s)
	return strings.Join(s, "\n") + fmt.Sprintf("\n(decode errors: %v)", r.errs)
}

// alertmanagerConfig is the committed example with its receivers pointed at
// base and its grouping waits shortened.
func alertmanagerConfig(t *testing.T, base string) []byte {
	t.Helper()
	b, err := os.ReadFile("../alerts/alertmanager.example.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	route := cfg["route"].(map[string]any)
	route["group_wait"], route["group_interval"] = "1s", "1s"
	n := 0
	for _, r := range cfg["receivers"].([]any) {
		for _, wc := range r.(map[string]any)["webhook_configs"].([]any) {
			m := wc.(map[string]any)
			u, err := url.Parse(m["url"].(string))
			if err != nil {
				t.Fatal(err)
			}
			m["url"] = base + u.Path
			n++
		}
	}
	if n == 0 {
		t.Fatal("the Alertmanager example has no webhook receivers to redirect")
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var labelValuesRE = regexp.MustCompile(`^label_values\((.+), *([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

// substitute replaces Grafana variables the way Grafana formats a multi-value
// selection for Prometheus: (a|b|c).
func substitute(expr string, vars map[string][]string) string {
	r := []string{"$__rate_interval", "1m", "$__range", "1h", "$__interval", "15s"}
	var names []string
	for k := range vars {
		names = append(names, k)
	}
	// Longest first, so $phone_number_id is not cut by a shorter name.
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	for _, k := range names {
		v := vars[k]
		s := v[0]
		if len(v) > 1 {
			s = "(" + strings.Join(v, "|") + ")"
		}
		r = append(r, "$"+k, s)
	}
	return strings.NewReplacer(r...).Replace(expr)
}

// e2eSetup is one way of selecting the exporter: a Prometheus scrape job of
// the same exporter, and the rules and dashboards generated for its selector.
// Both run side by side in one Prometheus, so each proves that its rules and
// dashboards see its own job and not the other.
type e2eSetup struct {
	name, job string
	selector  string
	rules     []byte               // the rule file
	dash      map[string]Dashboard // by file name
}

// e2eCustomSelector is the custom selector: the job name plus a target label
// that only its scrape job sets.
const e2eCustomSelector = `job="whatsapp", team="waba"`

func TestEndToEnd(t *testing.T) {
	promBin, amBin := testutil.Tool(t, "prometheus"), testutil.Tool(t, "prometheus-alertmanager")
	tmp := t.TempDir()

	exporterBin := testutil.BuildExporter(t)

	rec := &receiver{got: map[string][]alertmanagerNotification{}}
	hook := httptest.NewServer(rec)
	t.Cleanup(hook.Close)

	exporterAddr, promAddr, amAddr := testutil.FreeAddr(t), testutil.FreeAddr(t), testutil.FreeAddr(t)
	write := func(name string, b []byte) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Account events the demo does not make on purpose: a restriction that lasts a month
	// and a disablement, so that both critical account alerts must reach Alertmanager.
	now := time.Now().Unix()
	accounts := write("accounts.ndjson", []byte(fmt.Sprintf(
		`{"object":"whatsapp_business_account","entry":[{"id":"%s","time":%d,"changes":[{"value":{"event":"ACCOUNT_RESTRICTION","restriction_info":[{"restriction_type":"RESTRICTED_BIZ_INITIATED_MESSAGING","expiration":%d}]},"field":"account_update"}]}]}`+"\n"+
			`{"object":"whatsapp_business_account","entry":[{"id":"%s","time":%d,"changes":[{"value":{"event":"DISABLED_UPDATE","ban_info":{"waba_ban_state":"DISABLE","waba_ban_date":"December 6, 2026"}},"field":"account_update"}]}]}`+"\n",
		e2eRestrictedWABA, now, now+30*86400, e2eDisabledWABA, now)))
	exporterCfg := write("waba_exporter.yml", []byte(e2eConfig+"inputs:\n  - path: "+accounts+"\n"))

	// The Kubernetes job name: the committed defaults, rendered in process.
	def := alerts.Default().WithFor(e2eFor)
	defRules, err := alerts.RulesYAML(alerts.Rules(def))
	if err != nil {
		t.Fatal(err)
	}
	setups := []*e2eSetup{{name: "kubernetes job", job: "waba-exporter", selector: alerts.DefaultSelector, rules: defRules, dash: decodeAll(t, def)}}
	if m := regexp.MustCompile(`job="([^"]+)"`).FindStringSubmatch(alerts.DefaultSelector); m == nil || m[1] != setups[0].job {
		t.Fatalf("default selector %s does not select job %q", alerts.DefaultSelector, setups[0].job)
	}

	// The custom selector, through the CLI as a user would: `for` durations
	// from a config file, the selector from the flag (which overrides it).
	genCfg, err := yaml.Marshal(alerts.Default().WithFor(e2eFor))
	if err != nil {
		t.Fatal(err)
	}
	write("generate.yml", genCfg)
	custom := &e2eSetup{name: "custom selector", job: "whatsapp", selector: e2eCustomSelector, dash: map[string]Dashboard{}}
	for _, what := range []string{"rules", "dashboards"} {
		cmd := exec.Command(exporterBin, "generate", what, "--config="+filepath.Join(tmp, "generate.yml"),
			"--selector="+e2eCustomSelector, "--out="+filepath.Join(tmp, "custom"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
		}
	}
	if custom.rules, err = os.ReadFile(filepath.Join(tmp, "custom", alerts.GeneratedRulesFile)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(custom.rules), alerts.DefaultSelector) || !strings.Contains(string(custom.rules), e2eCustomSelector) {
		t.Fatalf("generated rules do not use the custom selector only")
	}
	for name := range All(def) {
		b, err := os.ReadFile(filepath.Join(tmp, "custom", name))
		if err != nil {
			t.Fatal(err)
		}
		var d Dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("generated %s: %v", name, err)
		}
		custom.dash[name] = d
	}
	setups = append(setups, custom)
	write("rules-default.yml", setups[0].rules)
	write("rules-custom.yml", custom.rules)

	write("prometheus.yml", []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [rules-default.yml, rules-custom.yml]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["%s"]
scrape_configs:
  - job_name: waba-exporter
    static_configs:
      - targets: ["%s"]
  - job_name: whatsapp
    static_configs:
      - targets: ["%s"]
        labels: {team: waba}
`, amAddr, exporterAddr, exporterAddr)))
	amCfg := write("alertmanager.yml", alertmanagerConfig(t, hook.URL))

	// Pushes go to a port nobody listens on: the push panel has data and
	// WabaExporterPushFailing must fire.
	deadPush := "http://" + testutil.FreeAddr(t) + "/api/v1/import/prometheus"
	exp := testutil.StartProcess(t, tmp, "waba_exporter", exporterBin, "demo",
		"--web.listen-address="+exporterAddr, "--demo.fast", "--config="+exporterCfg,
		"--demo.file="+filepath.Join(tmp, "demo.ndjson"), "--push.url="+deadPush, "--push.interval=1s")
	am := testutil.StartProcess(t, tmp, "alertmanager", amBin, "--config.file="+amCfg,
		"--storage.path="+filepath.Join(tmp, "am"), "--web.listen-address="+amAddr,
		"--cluster.listen-address=")
	prom := testutil.StartProcess(t, tmp, "prometheus", promBin, "--config.file="+filepath.Join(tmp, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(tmp, "tsdb"), "--web.listen-address="+promAddr,
		"--rules.alert.resend-delay=1s")

	exp.WaitHTTP200(t, "http://"+exporterAddr+"/metrics", 60*time.Second)
	am.WaitHTTP200(t, "http://"+amAddr+"/-/ready", 30*time.Second)
	prom.WaitHTTP200(t, "http://"+promAddr+"/-/ready", 30*time.Second)
	promURL := "http://" + promAddr

	// The exporter must become ready (state restored) for the gated alerts.
	exp.WaitHTTP200(t, "http://"+exporterAddr+"/-/ready", 120*time.Second)

	for _, su := range setups {
		t.Run("dashboard queries return data with the "+su.name, func(t *testing.T) {
			vars := map[string][]string{}
			// Resolve the template variables with their own queries, in order.
			// Every dashboard's variables, each once, in dashboard order (the shared
			// ones first; the campaigns dashboard adds $campaign).
			var list []Variable
			seen := map[string]bool{}
			for _, f := range slices.Sorted(maps.Keys(su.dash)) {
				for _, v := range su.dash[f].Templating.List {
					if !seen[v.Name] {
						seen[v.Name] = true
						list = append(list, v)
					}
				}
			}
			for _, v := range list {
				if v.Type != "query" {
					continue
				}
				if !strings.Contains(v.Query, su.selector) {
					t.Errorf("variable %s: query %q does not use the selector %s", v.Name, v.Query, su.selector)
				}
				m := labelValuesRE.FindStringSubmatch(v.Query)
				if m == nil {
					t.Fatalf("variable %s: query %q is not label_values(selector, label)", v.Name, v.Query)
				}
				var values []string
				err := poll(60*time.Second, time.Second, func() error {
					values = nil
					if err := promAPI(promURL, "/api/v1/label/"+m[2]+"/values", url.Values{"match[]": {substitute(m[1], vars)}}, &values); err != nil {
						return err
					}
					if len(values) == 0 {
						return fmt.Errorf("no values")
					}
					return nil
				})
				if err != nil {
					t.Fatalf("variable %s (%s): %v", v.Name, v.Query, err)
				}
				vars[v.Name] = values
			}
			if got := vars[VarJob]; len(got) != 1 || got[0] != su.job {
				t.Errorf("job variable = %v, want [%s]", got, su.job)
			}
			if got := vars[VarInstance]; len(got) != 1 || got[0] != exporterAddr {
				t.Errorf("instance variable = %v, want [%s]", got, exporterAddr)
			}
			t.Logf("variables: %v", vars)

			// kafkaOnly: the query reads only Kafka self-metrics, which the demo
			// exporter does not have; it must evaluate, but may return nothing.
			type query struct {
				where, expr string
				kafkaOnly   bool
			}
			var queries []query
			files := make([]string, 0, len(su.dash))
			for f := range su.dash {
				files = append(files, f)
			}
			sort.Strings(files)
			for _, f := range files {
				for _, p := range su.dash[f].Panels {
					for _, tg := range p.Targets {
						if !strings.Contains(tg.Expr, su.selector) {
							t.Errorf("%s %q: query %q does not use the selector %s", f, p.Title, tg.Expr, su.selector)
						}
						names, _ := metricNames(tg.Expr)
						kafkaOnly := len(names) > 0 && !slices.ContainsFunc(names, func(n string) bool { return !slices.Contains(kafkaSelfMetrics, n) })
						queries = append(queries, query{fmt.Sprintf("%s %q %s", f, p.Title, tg.RefID), substitute(tg.Expr, vars), kafkaOnly})
					}
				}
			}
			var empty []string
			err := poll(90*time.Second, 2*time.Second, func() error {
				empty = empty[:0]
				for _, q := range queries {
					var res struct {
						Result []json.RawMessage `json:"result"`
					}
					if err := promAPI(promURL, "/api/v1/query", url.Values{"query": {q.expr}}, &res); err != nil {
						empty = append(empty, fmt.Sprintf("%s: %v", q.where, err))
					} else if len(res.Result) == 0 && !q.kafkaOnly {
						empty = append(empty, fmt.Sprintf("%s: no data: %s", q.where, q.expr))
					}
				}
				if len(empty) > 0 {
					return fmt.Errorf("%d of %d queries", len(empty), len(queries))
				}
				return nil
			})
			if err != nil {
				t.Errorf("dashboard queries without data after 90s (%v):\n%s", err, strings.Join(empty, "\n"))
			}
			t.Logf("%d dashboard queries checked, every one returned data but those of Kafka mode", len(queries))
		})
	}

	t.Run("every rule evaluates without error", func(t *testing.T) {
		// Runtime errors (e.g. many-to-many matching) only show on real data.
		var res struct {
			Groups []struct {
				Name  string `json:"name"`
				File  string `json:"file"`
				Rules []struct {
					Name      string            `json:"name"`
					Health    string            `json:"health"`
					LastError string            `json:"lastError"`
					State     string            `json:"state"`
					Labels    map[string]string `json:"labels"`
				} `json:"rules"`
			} `json:"groups"`
		}
		if err := promAPI(promURL, "/api/v1/rules", nil, &res); err != nil {
			t.Fatal(err)
		}
		n := 0
		var firing []string
		for _, g := range res.Groups {
			for _, r := range g.Rules {
				n++
				if r.Health != "ok" {
					t.Errorf("rule %s %s/%s: health %q: %s", filepath.Base(g.File), g.Name, r.Name, r.Health, r.LastError)
				}
				if r.State == "firing" {
					firing = append(firing, filepath.Base(g.File)+" "+r.Name+"/"+r.Labels["severity"])
				}
			}
		}
		want := 0
		for _, g := range alerts.Rules(alerts.Default()).Groups {
			want += len(g.Rules)
		}
		if n != want*len(setups) {
			t.Errorf("Prometheus loaded %d rules, want %d (%d per selector)", n, want*len(setups), want)
		}
		t.Logf("alerts firing on the demo: %v", firing)
	})

	t.Run("account alerts reach Alertmanager", func(t *testing.T) {
		for _, su := range setups {
			for alert, waba := range map[string]string{alerts.AlertAccountRestricted: e2eRestrictedWABA, alerts.AlertAccountDisabled: e2eDisabledWABA} {
				want := map[string]string{"alertname": alert, "waba_id": waba, "severity": "critical", "job": su.job}
				err := poll(90*time.Second, time.Second, func() error {
					if _, _, ok := rec.find("/pager", want); !ok {
						return fmt.Errorf("not delivered")
					}
					return nil
				})
				if err != nil {
					t.Errorf("%s: %v not paged within 90s; received:\n%s", su.name, want, rec.summary())
				}
				if _, _, ok := rec.find("/whatsapp", want); !ok {
					t.Errorf("%s: %v not delivered to the whatsapp team receiver; received:\n%s", su.name, want, rec.summary())
				}
			}
		}
	})

	t.Run("quota alert reaches Alertmanager", func(t *testing.T) {
		for _, su := range setups {
			want := map[string]string{"alertname": alerts.AlertQuotaNearlyUsed, "quota": e2eQuota, "severity": "critical", "job": su.job}
			var ann map[string]string
			err := poll(90*time.Second, time.Second, func() error {
				var ok bool
				if _, ann, ok = rec.find("/billing", want); !ok {
					return fmt.Errorf("not delivered")
				}
				return nil
			})
			if err != nil {
				t.Fatalf("%s: %v not delivered to the billing receiver within 90s; received:\n%s", su.name, want, rec.summary())
			}
			if got, want := ann["runbook_url"], alerts.Default().RunbookURLFor(alerts.AlertQuotaNearlyUsed); got != want {
				t.Errorf("runbook_url = %q, want %q", got, want)
			}
			if !strings.Contains(ann["summary"], e2eQuota) {
				t.Errorf("summary %q does not name the quota", ann["summary"])
			}
			// Critical quota alerts also page (the example's nested route with continue).
			if _, _, ok := rec.find("/pager", want); !ok {
				t.Errorf("%s: critical quota alert not delivered to the pager receiver; received:\n%s", su.name, rec.summary())
			}
			// The example's inhibit rule silences the warning of the same quota.
			warning := map[string]string{"alertname": alerts.AlertQuotaNearlyUsed, "quota": e2eQuota, "severity": "warning", "job": su.job}
			if _, _, ok := rec.find("/billing", warning); ok {
				t.Errorf("%s: the warning was delivered although the critical alert inhibits it; received:\n%s", su.name, rec.summary())
			}
			// A limit of 1 is also used up far faster than the month elapses.
			burn := map[string]string{"alertname": alerts.AlertQuotaBurnTooFast, "quota": e2eQuota, "severity": "warning", "job": su.job}
			if err := poll(30*time.Second, time.Second, func() error {
				if _, _, ok := rec.find("/billing", burn); !ok {
					return fmt.Errorf("not delivered")
				}
				return nil
			}); err != nil {
				t.Errorf("%s: %v not delivered to the billing receiver; received:\n%s", su.name, burn, rec.summary())
			}
		}
	})

	t.Run("push failing fires", func(t *testing.T) {
		for _, su := range setups {
			err := poll(60*time.Second, time.Second, func() error {
				return firing(promURL, map[string]string{"alertname": alerts.AlertExporterPushFailing, "job": su.job, "url": deadPush})
			})
			if err != nil {
				t.Errorf("%s: %s for %s did not fire within 60s: %v", su.name, alerts.AlertExporterPushFailing, deadPush, err)
			}
		}
	})

	t.Run("exporter down fires", func(t *testing.T) {
		exp.Stop()
		for _, su := range setups {
			want := map[string]string{"alertname": alerts.AlertExporterDown, "instance": exporterAddr, "severity": "critical", "job": su.job}
			err := poll(60*time.Second, time.Second, func() error {
				return firing(promURL, map[string]string{"alertname": alerts.AlertExporterDown, "instance": exporterAddr, "job": su.job})
			})
			if err != nil {
				t.Fatalf("%s: %s did not fire in Prometheus within 60s: %v", su.name, alerts.AlertExporterDown, err)
			}
			err = poll(30*time.Second, time.Second, func() error {
				if _, _, ok := rec.find("/pager", want); !ok {
					return fmt.Errorf("not delivered")
				}
				return nil
			})
			if err != nil {
				t.Fatalf("%s: %s not delivered to the pager receiver within 30s; received:\n%s", su.name, alerts.AlertExporterDown, rec.summary())
			}
		}
	})
}

// firing returns nil once Prometheus has a firing alert carrying every label of want.
func firing(promURL string, want map[string]string) error {
	var res struct {
		Alerts []struct {
			Labels map[string]string `json:"labels"`
			State  string            `json:"state"`
		} `json:"alerts"`
	}
	if err := promAPI(promURL, "/api/v1/alerts", nil, &res); err != nil {
		return err
	}
next:
	for _, a := range res.Alerts {
		if a.State != "firing" {
			continue
		}
		for k, v := range want {
			if a.Labels[k] != v {
				continue next
			}
		}
		return nil
	}
	return fmt.Errorf("not firing: %+v", res.Alerts)
}
