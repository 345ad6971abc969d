package app

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/internal/config"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// demoIdentifiers reads the simulator's log and returns every customer number
// (contacts wa_id, messages from, statuses recipient_id, user_preferences wa_id) and
// every message id (messages id, statuses id) it wrote.
func demoIdentifiers(t *testing.T, path string) (numbers, ids map[string]bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type value struct {
		Contacts []struct {
			WaID string `json:"wa_id"`
		} `json:"contacts"`
		Messages []struct {
			From string `json:"from"`
			ID   string `json:"id"`
		} `json:"messages"`
		Statuses []struct {
			ID          string `json:"id"`
			RecipientID string `json:"recipient_id"`
		} `json:"statuses"`
		UserPreferences []struct {
			WaID string `json:"wa_id"`
		} `json:"user_preferences"`
	}
	var body struct {
		Entry []struct {
			Changes []struct {
				Value value `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	numbers, ids = map[string]bool{}, map[string]bool{}
	add := func(m map[string]bool, s string) {
		if s != "" {
			m[s] = true
		}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4<<20)
	lines := 0
	for sc.Scan() {
		body.Entry = nil
		if json.Unmarshal(sc.Bytes(), &body) != nil {
			continue // the simulator may write deliberately broken lines
		}
		lines++
		for _, e := range body.Entry {
			for _, c := range e.Changes {
				v := c.Value
				for _, x := range v.Contacts {
					add(numbers, x.WaID)
				}
				for _, x := range v.Messages {
					add(numbers, x.From)
					add(ids, x.ID)
				}
				for _, x := range v.Statuses {
					add(numbers, x.RecipientID)
					add(ids, x.ID)
				}
				for _, x := range v.UserPreferences {
					add(numbers, x.WaID)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if lines < 100 || len(numbers) < 50 || len(ids) < 100 {
		t.Fatalf("the demo wrote too little to test with: %d lines, %d numbers, %d ids", lines, len(numbers), len(ids))
	}
	return numbers, ids
}

var digitRun = regexp.MustCompile(`[0-9]+`)

// leaks returns the identifiers that occur in text: a customer number as a whole run of
// digits (or inside one), a message id as a substring.
func leaks(text string, numbers, ids map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, run := range digitRun.FindAllString(text, -1) {
		if numbers[run] && !seen[run] {
			seen[run] = true
			out = append(out, run)
			continue
		}
		if len(run) > 8 {
			for n := range numbers {
				if len(n) < len(run) && strings.Contains(run, n) && !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
			}
		}
	}
	for id := range ids {
		if strings.Contains(text, id) {
			out = append(out, id)
		}
	}
	return out
}

// waitOK polls a real local server until path answers 200, bounded by a deadline.
func waitOK(t *testing.T, base, path string) {
	t.Helper()
	for deadline := time.Now().Add(120 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(base + path)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s%s never answered 200 (last error %v)", base, path, err)
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return string(b)
}

// pushSink is a loopback import endpoint that keeps the (gunzipped) pushed bodies.
type pushSink struct {
	mu     sync.Mutex
	bodies []string
	got    chan struct{}
}

func newPushSink(t *testing.T) (*pushSink, *httptest.Server) {
	s := &pushSink{got: make(chan struct{}, 1000)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rd io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, "bad gzip", http.StatusBadRequest)
				return
			}
			rd = zr
		}
		b, _ := io.ReadAll(rd)
		s.mu.Lock()
		s.bodies = append(s.bodies, string(b))
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		select {
		case s.got <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *pushSink) all() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.bodies, "\n")
}

// The payload content of the rejected lines below: none of it may reach a log record.
const (
	privNumber = "4915799912345"
	privID     = "wamid.PRIVACYTESTq1w2e3r4t5y6u7i8o9p0"
	privText   = "Privacy marker: my card is 4111-1111-1111-1111"
	privOpaque = "order-PRIVACY-778899"
	privName   = "Privatus Testperson"
)

// badLines are rejected lines of every kind, each carrying payload content.
func badLines() []string {
	meta := func(value string) string {
		return `{"object":"whatsapp_business_account","entry":[{"id":"100000000000001","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"100000000000002"},` + value + `},"field":"messages"}]}]}`
	}
	contact := `"contacts":[{"profile":{"name":"` + privName + `"},"wa_id":"` + privNumber + `"}]`
	return []string{
		// invalid_json: truncated
		meta(contact + `,"messages":[{"from":"` + privNumber + `","id":"` + privID + `","timestamp":"1763700000","type":"text","text":{"body":"` + privText + `"}}]`)[:230],
		// unknown_format: a JSON object of no known shape
		`{"customer":"` + privNumber + `","note":"` + privText + `","ref":"` + privID + `"}`,
		// unexpected_object: a JSON array
		`["` + privNumber + `","` + privText + `"]`,
		// bad_timestamp
		meta(contact + `,"messages":[{"from":"` + privNumber + `","id":"` + privID + `","timestamp":"` + privNumber + `x","type":"text","text":{"body":"` + privText + `"}}]`),
		// missing_field: a message without its sender
		meta(contact + `,"messages":[{"id":"` + privID + `","timestamp":"1763700000","type":"text","text":{"body":"` + privText + `"}}]`),
		// unknown_status
		meta(`"statuses":[{"id":"` + privID + `","status":"exploded ` + privText + `","timestamp":"1763700000","recipient_id":"` + privNumber + `","biz_opaque_callback_data":"` + privOpaque + `"}]`),
		// binary garbage around the number
		"\x00\x01\xfe" + privNumber + "\xff" + privText,
	}
}

// tooLongLine exceeds the 4 KiB cap of the bad input: the tailer skips it whole, with
// no log record.
var tooLongLine = `{"customer":"` + privNumber + `","pad":"` + strings.Repeat(privText, 200) + `"}`

// TestLogPrivacy runs the demo (debug logs, push mode to a loopback receiver whose URL
// carries credentials), then a run over the demo's log plus lines rejected for every
// reason, and checks that no customer number or message id the simulator wrote appears
// in the logs, on /metrics or in the pushed bodies; that no rejected line's content
// reaches its log record; and that the push credentials appear nowhere.
func TestLogPrivacy(t *testing.T) {
	cfg, err := config.Parse([]byte(demoConfig), "demo.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	demoFile := filepath.Join(dir, "demo.ndjson")
	sink, sinkSrv := newPushSink(t)
	pushURL := strings.Replace(sinkSrv.URL, "http://", "http://pushuser:pushpass-9f8e7d@", 1) + "/api/v1/import/prometheus?authKey=tok-5a4b3c2d1e"
	const pushSecrets = "pushpass-9f8e7d tok-5a4b3c2d1e pushuser"

	// Phase 1: the demo.
	var demoLogs syncBuffer
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Demo(ctx, DemoOptions{
			Serve: ServeOptions{Listener: ln, ExporterMetrics: true,
				PushURLs: []string{pushURL}, PushInterval: 100 * time.Millisecond, PushExtraLabels: []string{"env=privacy"}},
			Config: cfg, Rate: 100, Fast: true, History: 72 * time.Hour, File: demoFile,
			PollInterval: 50 * time.Millisecond,
			Logger:       slog.New(slog.NewJSONHandler(&demoLogs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		})
	}()
	waitOK(t, base, "/-/ready")
	// Two pushes after readiness: the second was gathered with live state.
	for range 2 {
		select {
		case <-sink.got:
		case <-time.After(60 * time.Second):
			t.Fatal("nothing pushed")
		}
	}
	demoMetrics := get(t, base+"/metrics")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo: %v", err)
	}
	numbers, ids := demoIdentifiers(t, demoFile)
	wantSeries := `waba_exporter_last_push_success_timestamp_seconds{url="` + sinkSrv.URL + `/api/v1/import/prometheus?authKey=xxxxx"}`
	if !strings.Contains(demoMetrics, wantSeries) {
		t.Errorf("/metrics has no %s", wantSeries)
	}

	// Phase 2: a run over the demo's log and the rejected lines.
	badFile := filepath.Join(dir, "bad.ndjson")
	bad := badLines()
	if err := os.WriteFile(badFile, []byte(strings.Join(append(bad, tooLongLine), "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg2 := *cfg
	cfg2.Inputs = []config.Input{
		{Path: demoFile, Format: config.FormatAuto, Start: config.StartBeginning, MaxLineBytes: config.DefaultMaxLineBytes},
		{Path: badFile, Format: config.FormatAuto, Start: config.StartBeginning, MaxLineBytes: 4096},
	}
	var runLogs syncBuffer
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base2 := "http://" + ln2.Addr().String()
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan error, 1)
	go func() {
		done2 <- Run(ctx2, RunOptions{
			Serve: ServeOptions{Listener: ln2, ExporterMetrics: true}, Config: &cfg2, PollInterval: 50 * time.Millisecond,
			Logger: slog.New(slog.NewJSONHandler(&runLogs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		})
	}()
	waitOK(t, base2, "/-/ready")
	runMetrics := get(t, base2+"/metrics")
	cancel2()
	if err := <-done2; err != nil {
		t.Fatalf("run: %v", err)
	}

	// Every reason was counted for the bad file (the lines were really rejected).
	for _, reason := range []string{"invalid_json", "unknown_format", "unexpected_object", "bad_timestamp", "missing_field", "unknown_status", "line_too_long"} {
		re := regexp.MustCompile(`waba_exporter_parse_errors_total\{logfile="` + regexp.QuoteMeta(badFile) + `",reason="` + reason + `"\} ([1-9][0-9]*)`)
		if !re.MatchString(runMetrics) {
			t.Errorf("no parse error counted for reason %s", reason)
		}
	}

	outputs := []struct{ name, text string }{
		{"demo logs", demoLogs.String()},
		{"demo /metrics", demoMetrics},
		{"pushed bodies", sink.all()},
		{"run logs", runLogs.String()},
		{"run /metrics", runMetrics},
	}
	for _, o := range outputs {
		if o.text == "" {
			t.Errorf("%s: empty (nothing was checked)", o.name)
		}
		if l := leaks(o.text, numbers, ids); len(l) > 0 {
			t.Errorf("%s carry %d customer numbers or message ids, e.g. %q", o.name, len(l), l[:min(3, len(l))])
		}
		for _, s := range append(strings.Fields(pushSecrets), privNumber, privID, privText, privOpaque, privName, "4111-1111") { // dashed: a sample value or timestamp may hold the digits 4111
			if strings.Contains(o.text, s) {
				t.Errorf("%s carry %q", o.name, s)
			}
		}
	}

	// The rejected lines' records: one per line (no rate limiter here), with only the
	// position, the reason and a content-free error.
	allowed := map[string]bool{"time": true, "level": true, "msg": true, "logfile": true, "offset": true, "reason": true, "error": true}
	rejected := 0
	for _, line := range strings.Split(runLogs.String(), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] != "webhook line rejected" || rec["logfile"] != badFile {
			continue
		}
		rejected++
		for k := range rec {
			if !allowed[k] {
				t.Errorf("rejected-line record has attribute %q: %s", k, line)
			}
		}
		// The error is a fixed description of the shape: no digit run longer than a
		// field index, nothing from the payload.
		msg, _ := rec["error"].(string)
		for _, run := range digitRun.FindAllString(msg, -1) {
			if len(run) > 3 {
				t.Errorf("rejected-line error carries a number: %q", msg)
			}
		}
		for _, word := range []string{"Privacy", "exploded", "customer", "note", "card"} {
			if strings.Contains(msg, word) {
				t.Errorf("rejected-line error carries payload text %q: %q", word, msg)
			}
		}
	}
	if rejected != len(bad) {
		t.Errorf("%d rejected-line records for %d bad lines:\n%s", rejected, len(bad), runLogs.String())
	}
}

// TestErrorCodeLabelsCarryNoCustomerData: error codes that are not known codes (numbers
// longer than six digits, phone-number-like strings, free text) are exported as
// error_code="other", and nothing of them reaches /metrics or the checkpoint; known codes
// keep their own value.
func TestErrorCodeLabelsCarryNoCustomerData(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "codes.ndjson")
	cp := filepath.Join(dir, "state.ckpt")
	hostile := []string{`4915112345678`, `"4915112345678"`, `"+49 151 1234 5678"`, `"quokka 015112345678 now"`, `1234567`, `"John Smith <john@example.com>"`, `-4915112345678`, `49151123456.5`}
	secrets := []string{"4915112345678", "15112345678", "1234567", "john", "smith", "example", "quokka"}
	var lines []string
	at := 1752000000
	for i, code := range append(hostile, "131026", `"131049"`) {
		at += 10
		status := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.E%d","status":"failed","timestamp":"%d","recipient_id":"4915100000%03d","errors":[{"code":%s,"title":"x"}]}]},"field":"messages"}]}]}`, i, at, i, code)
		valueErr := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},"errors":[{"code":%s,"title":"x"}]},"field":"messages"}]}]}`, code)
		lines = append(lines, status, valueErr)
	}
	if err := os.WriteFile(logPath, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "waba.yml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf("inputs: [{path: %q}]\n", logPath)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startRun(t, cfgPath, cp)
	waitFor(t, "codes read", func() bool { return metricValue(t, r.base, linesOf(logPath)) == float64(len(lines)) })
	metrics := get(t, r.base+"/metrics")
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	ckpt, err := os.ReadFile(cp)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`error_code="131026"`, `error_code="131049"`, `error_code="other"`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
	for _, s := range secrets {
		if strings.Contains(strings.ToLower(metrics), s) {
			t.Errorf("/metrics carries %q", s)
		}
		if bytes.Contains(bytes.ToLower(ckpt), []byte(s)) {
			t.Errorf("the checkpoint carries %q", s)
		}
	}
	// Every error_code value exported is a known code or a fixed word.
	for _, m := range regexp.MustCompile(`error_code="([^"]*)"`).FindAllStringSubmatch(metrics, -1) {
		if !regexp.MustCompile(`^([0-9]{1,6}|other|none|unknown)$`).MatchString(m[1]) {
			t.Errorf("error_code=%q exported", m[1])
		}
	}
}
