package push

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/waba-exporter/waba_exporter/internal/exporter"
	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
)

func TestParseExtraLabels(t *testing.T) {
	tests := []struct {
		in      []string
		want    []Label
		wantErr string
	}{
		{in: nil},
		{in: []string{"env=prod", "region=eu-west-1"}, want: []Label{{"env", "prod"}, {"region", "eu-west-1"}}},
		{in: []string{"note=a=b,c d"}, want: []Label{{"note", "a=b,c d"}}},
		{in: []string{"_x9=é"}, want: []Label{{"_x9", "é"}}},
		{in: []string{"env"}, wantErr: `--push.extra-label[0]: "env": want name=value`},
		{in: []string{"env=prod", "9lives=x"}, wantErr: `--push.extra-label[1]: "9lives": label name must match`},
		{in: []string{"my-env=x"}, wantErr: `"my-env": label name must match`},
		{in: []string{"=x"}, wantErr: `"": label name must match`},
		{in: []string{"__name__=x"}, wantErr: `"__name__": names starting with __ are reserved`},
		{in: []string{"le=1"}, wantErr: `"le": reserved for histogram buckets`},
		{in: []string{"quantile=0.5"}, wantErr: `"quantile": reserved for histogram buckets and summary quantiles`},
		{in: []string{"env="}, wantErr: `"env": empty value`},
		{in: []string{"env=\xff"}, wantErr: `"env": value is not valid UTF-8`},
		{in: []string{"env=a", "env=b"}, wantErr: `--push.extra-label[1]: "env" given twice`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.in, ","), func(t *testing.T) {
			got, err := ParseExtraLabels(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "http://vm:8428/api/v1/import/prometheus", want: "http://vm:8428/api/v1/import/prometheus"},
		{in: "https://user:s3cretpw@vm.example/api/v1/import/prometheus", want: "https://vm.example/api/v1/import/prometheus"},
		{in: "https://user@vm.example/x", want: "https://vm.example/x"},
		{in: "http://vm/x?token=abcdef123&extra_label=job%3Dwaba", want: "http://vm/x?extra_label=xxxxx&token=xxxxx"},
		{in: "http://vm/x#frag", want: "http://vm/x"},
		{in: "ftp://vm/x", wantErr: "scheme must be http or https"},
		{in: "vm:8428/api", wantErr: "scheme must be http or https"},
		{in: "http:///api", wantErr: "missing host"},
		{in: "http://user:pw@vm/%zz", wantErr: "not a valid URL"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := RedactURL(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewValidation(t *testing.T) {
	g := prometheus.NewRegistry()
	tests := []struct {
		name    string
		o       Options
		off     bool
		wantErr string
	}{
		{name: "off", o: Options{}, off: true},
		{name: "labels without url", o: Options{ExtraLabels: []string{"a=b"}}, wantErr: "--push.extra-label needs --push.url"},
		{name: "negative interval", o: Options{URLs: []string{"http://vm/x"}, Interval: -time.Second}, wantErr: "--push.interval: must be positive"},
		{name: "bad url hides secret", o: Options{URLs: []string{"http://vm/x", "gopher://u:hunter22@vm/x"}}, wantErr: "--push.url[1]: scheme must be http or https"},
		{name: "bad label", o: Options{URLs: []string{"http://vm/x"}, ExtraLabels: []string{"a-b=c"}}, wantErr: `--push.extra-label[0]: "a-b"`},
		{name: "same after redaction", o: Options{URLs: []string{"http://vm/x?t=aaaaaaa", "http://vm/x?t=bbbbbbb"}}, wantErr: "--push.url[1]: same endpoint as --push.url[0] (http://vm/x?t=xxxxx)"},
		{name: "ok", o: Options{URLs: []string{"http://a/x", "http://b/x"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			verr := tc.o.Validate()
			tc.o.Gatherer = g
			p, err := New(tc.o)
			if fmt.Sprint(verr) != fmt.Sprint(err) {
				t.Errorf("Validate = %v, New = %v", verr, err)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "hunter22") {
					t.Fatalf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (p == nil) != tc.off {
				t.Fatalf("pusher = %v, want off=%v", p, tc.off)
			}
		})
	}
}

// recorder is a Recorder that keeps every call.
type recorder struct {
	mu         sync.Mutex
	registered []string
	failures   map[string]int
	success    map[string]time.Time
}

func newRecorder() *recorder {
	return &recorder{failures: map[string]int{}, success: map[string]time.Time{}}
}

func (r *recorder) RegisterPush(url string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.registered = append(r.registered, url)
}

func (r *recorder) PushResult(url string, err error, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.failures[url]++
	} else {
		r.success[url] = now
	}
}

// testRegistry is a small registry with every sample shape the text format has.
func testRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waba_test_events_total", Help: "Events."}, []string{"field"})
	c.WithLabelValues("messages").Add(7)
	c.WithLabelValues("statuses").Add(3)
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "waba_test_open", Help: "Open windows,\nwith a newline in help."})
	g.Set(42.5)
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "waba_test_latency_seconds", Help: "Latency.", Buckets: []float64{1, 10}})
	h.Observe(0.5)
	h.Observe(5)
	h.Observe(50)
	// A label named like an extra label: kept as exported_env.
	e := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "waba_test_env_info", Help: "Env."}, []string{"env"})
	e.WithLabelValues("inner").Set(1)
	reg.MustRegister(c, g, h, e)
	return reg
}

// flat maps "name{labels}" (labels sorted) to the value of every sample of the text
// exposition in body, parsed strictly.
func flat(t *testing.T, body string) map[string]float64 {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("pushed body is not valid Prometheus text: %v\n%s", err, body)
	}
	out := map[string]float64{}
	for name, mf := range mfs {
		for _, m := range mf.Metric {
			key := func(suffix string, extra ...string) string {
				var ls []string
				for _, lp := range m.Label {
					ls = append(ls, lp.GetName()+"="+lp.GetValue())
				}
				ls = append(ls, extra...)
				sort.Strings(ls)
				return name + suffix + "{" + strings.Join(ls, ",") + "}"
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				out[key("")] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key("")] = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[key("_count")] = float64(m.GetHistogram().GetSampleCount())
				out[key("_sum")] = m.GetHistogram().GetSampleSum()
				for _, b := range m.GetHistogram().Bucket {
					out[key("_bucket", fmt.Sprintf("le=%g", b.GetUpperBound()))] = float64(b.GetCumulativeCount())
				}
			default:
				out[key("")] = m.GetUntyped().GetValue()
			}
		}
	}
	return out
}

// receiver is a loopback import endpoint: it records every request body (gunzipped)
// and answers with the current status.
type receiver struct {
	mu     sync.Mutex
	status int
	bodies []string
	paths  []string
	got    chan struct{}
}

func newReceiver(t *testing.T) (*receiver, *httptest.Server) {
	r := &receiver{status: http.StatusNoContent, got: make(chan struct{}, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		r.paths = append(r.paths, req.Method+" "+req.URL.RequestURI())
		status := r.status
		r.mu.Unlock()
		w.WriteHeader(status)
		r.got <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	return r, srv
}

func (r *receiver) setStatus(s int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = s
}

func (r *receiver) last() (string, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.paths[len(r.paths)-1], r.bodies[len(r.bodies)-1]
}

// TestPushBody pushes to a loopback receiver and checks that the body, parsed strictly,
// is the gathered exposition with the extra labels on every sample.
func TestPushBody(t *testing.T) {
	reg := testRegistry()
	rcv, srv := newReceiver(t)
	rec := newRecorder()
	now := time.Unix(1_700_000_000, 0)
	p, err := New(Options{
		URLs: []string{srv.URL + "/api/v1/import/prometheus"}, Interval: 5 * time.Second,
		ExtraLabels: []string{"env=prod", "instance=waba-1"}, Gatherer: reg, Recorder: rec,
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	res := p.PushOnce(context.Background())
	target := srv.URL + "/api/v1/import/prometheus"
	if err, ok := res[target]; !ok || err != nil {
		t.Fatalf("results = %v", res)
	}
	path, body := rcv.last()
	if path != "POST /api/v1/import/prometheus" {
		t.Errorf("request = %q", path)
	}
	got := flat(t, body)
	want := map[string]float64{
		"waba_test_events_total{env=prod,field=messages,instance=waba-1}":    7,
		"waba_test_events_total{env=prod,field=statuses,instance=waba-1}":    3,
		"waba_test_open{env=prod,instance=waba-1}":                           42.5,
		"waba_test_latency_seconds_count{env=prod,instance=waba-1}":          3,
		"waba_test_latency_seconds_sum{env=prod,instance=waba-1}":            55.5,
		"waba_test_latency_seconds_bucket{env=prod,instance=waba-1,le=1}":    1,
		"waba_test_latency_seconds_bucket{env=prod,instance=waba-1,le=10}":   2,
		"waba_test_latency_seconds_bucket{env=prod,instance=waba-1,le=+Inf}": 3,
		"waba_test_env_info{env=prod,exported_env=inner,instance=waba-1}":    1,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pushed samples:\n got %v\nwant %v", got, want)
	}
	if strings.Contains(body, "# TYPE waba_test_open gauge") == false {
		t.Errorf("TYPE line missing:\n%s", body)
	}
	if !rec.success[target].Equal(now) || rec.failures[target] != 0 {
		t.Errorf("recorder: success %v failures %d", rec.success[target], rec.failures[target])
	}
}

// TestPushFailures checks that every kind of failure is counted for its target and
// leaves the last success unchanged, and that no secret of the URL reaches the label,
// the error or the log.
func TestPushFailures(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	hang := hangingServer(t, nil)

	tests := []struct {
		name   string
		url    func(srv string) string
		status int
		errHas string
	}{
		{name: "500", url: func(s string) string { return s + "/api/v1/import/prometheus" }, status: 500, errHas: "unexpected status code"},
		{name: "400 with secrets", url: func(s string) string {
			return strings.Replace(s, "http://", "http://pushuser:hunter22pw@", 1) + "/import?authKey=tok3n-s3cret"
		}, status: 400, errHas: "400"},
		{name: "closed port", url: func(string) string { return "http://pushuser:hunter22pw@" + closedAddr + "/x?authKey=tok3n-s3cret" }, errHas: "connection refused"},
		{name: "timeout", url: func(string) string { return hang.URL + "/x?authKey=tok3n-s3cret" }, errHas: "deadline exceeded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rcv, srv := newReceiver(t)
			rcv.setStatus(http.StatusNoContent)
			raw := tc.url(srv.URL)
			redacted, err := RedactURL(raw)
			if err != nil {
				t.Fatal(err)
			}
			var logs strings.Builder
			var mu sync.Mutex
			rec := newRecorder()
			clock := time.Unix(1_700_000_000, 0)
			p, err := New(Options{
				URLs: []string{raw}, Interval: 300 * time.Millisecond, Gatherer: testRegistry(), Recorder: rec,
				Logger: newLogger(&logs, &mu), Now: func() time.Time { return clock },
			})
			if err != nil {
				t.Fatal(err)
			}
			// A first successful push where the target can answer.
			first := p.PushOnce(context.Background())
			wantFirstOK := tc.status != 0
			if wantFirstOK && first[redacted] != nil {
				t.Fatalf("first push: %v", first[redacted])
			}
			lastOK := rec.success[redacted]
			if tc.status != 0 {
				rcv.setStatus(tc.status)
			}
			clock = clock.Add(time.Minute)
			for i := 1; i <= 2; i++ {
				res := p.PushOnce(context.Background())
				perr, ok := res[redacted]
				if !ok || perr == nil {
					t.Fatalf("push %d: results %v, want a failure for %s", i, res, redacted)
				}
				if !strings.Contains(perr.Error(), tc.errHas) {
					t.Errorf("error %q does not say %q", perr, tc.errHas)
				}
			}
			wantFailures := 2
			if !wantFirstOK {
				wantFailures = 3
			}
			if rec.failures[redacted] != wantFailures {
				t.Errorf("failures = %d, want %d (%v)", rec.failures[redacted], wantFailures, rec.failures)
			}
			if !rec.success[redacted].Equal(lastOK) {
				t.Errorf("last success moved: %v -> %v", lastOK, rec.success[redacted])
			}
			mu.Lock()
			out := logs.String()
			mu.Unlock()
			if !strings.Contains(out, "push failed") {
				t.Errorf("failure not logged:\n%s", out)
			}
			for _, secret := range []string{"hunter22pw", "tok3n-s3cret", "pushuser"} {
				if strings.Contains(out, secret) || strings.Contains(redacted, secret) {
					t.Errorf("secret %q leaked:\nlabel %s\nlogs %s", secret, redacted, out)
				}
			}
		})
	}
}

// hangingServer never answers: each handler reads the body (so the server notices the
// client going away), signals entered, and waits for the client or the test's end.
func hangingServer(t *testing.T, entered chan<- struct{}) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if entered != nil {
			entered <- struct{}{}
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

func newLogger(w io.Writer, mu *sync.Mutex) *slog.Logger {
	return slog.New(slog.NewTextHandler(&lockedWriter{w: w, mu: mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestRunHealthSeries runs the Pusher with the exporter's Health as the Recorder and a
// real Collector: the push series exist before the first push, the pushed body carries
// them, a failing target's counter rises and its last success stays, and Run returns
// nil when ctx ends.
func TestRunHealthSeries(t *testing.T) {
	health := &exporter.Health{}
	p0 := pipeline.New(window.New(window.DefaultConfig()), webhook.Options{}, nil, nil)
	regs := exporter.NewRegistries(&exporter.Collector{P: p0, Health: health, EventTimeOnly: true}, false)
	rcv, srv := newReceiver(t)
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer bad.Close()
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	p, err := New(Options{
		URLs: []string{srv.URL + "/api/v1/import/prometheus", bad.URL + "/api/v1/import/prometheus?authKey=abcdefgh"},
		// Each push times out after one interval: 250 ms keeps a loaded machine from
		// failing the good target (20 ms did, under make test).
		Interval: 250 * time.Millisecond, ExtraLabels: []string{"job=waba"}, Gatherer: regs.Gatherer(),
		Recorder: health, Now: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	good, badURL := srv.URL+"/api/v1/import/prometheus", bad.URL+"/api/v1/import/prometheus?authKey=xxxxx"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	// Wait for three pushes to the good target (each round also fails on the bad one).
	for range 3 {
		select {
		case <-rcv.got:
		case <-time.After(30 * time.Second):
			t.Fatal("no push received")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	_, body := rcv.last()
	got := flat(t, body)
	// The third body was gathered after at least two completed rounds.
	if v := got[`waba_exporter_push_failures_total{job=waba,url=`+badURL+`}`]; v < 2 {
		t.Errorf("pushed failures for the bad target = %v, want >= 2\n%s", v, body)
	}
	if v := got[`waba_exporter_push_failures_total{job=waba,url=`+good+`}`]; v != 0 {
		t.Errorf("pushed failures for the good target = %v, want 0", v)
	}
	if v := got[`waba_exporter_last_push_success_timestamp_seconds{job=waba,url=`+good+`}`]; v != float64(now.Unix()) {
		t.Errorf("pushed last success for the good target = %v, want %d", v, now.Unix())
	}
	if v, ok := got[`waba_exporter_last_push_success_timestamp_seconds{job=waba,url=`+badURL+`}`]; !ok || v != 0 {
		t.Errorf("last success for the bad target = %v (present %v), want 0", v, ok)
	}
	if strings.Contains(body, "abcdefgh") {
		t.Error("pushed body carries the URL's query secret")
	}
}

// TestRunStopsDuringPush checks that a push cut short by ctx is not counted as a
// failure, and that Run returns promptly.
func TestRunStopsDuringPush(t *testing.T) {
	entered := make(chan struct{}, 1)
	hang := hangingServer(t, entered)
	rec := newRecorder()
	p, err := New(Options{URLs: []string{hang.URL + "/x"}, Interval: time.Hour, Gatherer: testRegistry(), Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	<-entered
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(rec.registered) != 1 || rec.registered[0] != hang.URL+"/x" {
		t.Errorf("registered = %v", rec.registered)
	}
	if rec.failures[hang.URL+"/x"] != 0 || !rec.success[hang.URL+"/x"].IsZero() {
		t.Errorf("an interrupted push was recorded: failures %v success %v", rec.failures, rec.success)
	}
}

// failingGatherer returns an error and nothing to push.
type failingGatherer struct{}

func (failingGatherer) Gather() ([]*dto.MetricFamily, error) {
	return nil, errors.New("collector broke")
}

func TestGatherFailureCounts(t *testing.T) {
	rcv, srv := newReceiver(t)
	rec := newRecorder()
	p, err := New(Options{URLs: []string{srv.URL + "/x"}, Interval: time.Second, Gatherer: failingGatherer{}, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	res := p.PushOnce(context.Background())
	if err := res[srv.URL+"/x"]; err == nil || !strings.Contains(err.Error(), "collector broke") {
		t.Fatalf("result = %v", err)
	}
	if rec.failures[srv.URL+"/x"] != 1 {
		t.Errorf("failures = %v", rec.failures)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.bodies) != 0 {
		t.Errorf("an empty exposition was pushed")
	}
}
