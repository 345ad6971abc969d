// Package push sends the exporter's exposition, on an interval, to VictoriaMetrics or
// vmagent import endpoints (push mode, off by default).
//
// Every round gathers the same prometheus.Gatherer that serves /metrics, encodes it once
// in the Prometheus text format (no timestamps), adds the configured extra labels to
// every sample, and pushes the body to each target with VictoriaMetrics/metrics'
// PushMetricsExt. Each target's outcome is recorded under its redacted URL (no userinfo,
// no query values), which is also the only form of the URL that is ever logged.
package push

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/VictoriaMetrics/metrics"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"
)

// DefaultInterval is the push interval when none is given.
const DefaultInterval = 15 * time.Second

// Recorder receives the outcome of every push; *exporter.Health implements it.
// url is always the redacted form.
type Recorder interface {
	RegisterPush(url string)
	PushResult(url string, err error, now time.Time)
}

// Options configures a Pusher.
type Options struct {
	// URLs are the import endpoints, e.g.
	// http://victoria-metrics:8428/api/v1/import/prometheus. Empty: push mode is off.
	URLs []string
	// Interval between pushes (DefaultInterval when zero). Each push to a target is
	// abandoned (and counted as failed) after one interval.
	Interval time.Duration
	// ExtraLabels are name=value pairs added to every pushed sample.
	ExtraLabels []string
	// Gatherer is the exposition to push (the same one /metrics serves).
	Gatherer prometheus.Gatherer
	// Recorder, if set, receives each target's result.
	Recorder Recorder
	Logger   *slog.Logger
	// Now is the wall clock (default time.Now).
	Now func() time.Time
}

// Label is one validated extra label.
type Label struct{ Name, Value string }

// target is one push endpoint: the full URL (secrets included; used only for the
// request) and its redacted form (label value, logs, errors).
type target struct {
	url      string
	redacted string
	forms    []string // renderings of url that error texts may quote
	secrets  []string // passwords and query values scrubbed from error texts
}

// Pusher pushes the exposition to every target on an interval.
type Pusher struct {
	targets  []target
	interval time.Duration
	labels   []Label
	g        prometheus.Gatherer
	rec      Recorder
	log      *slog.Logger
	now      func() time.Time
}

// Validate checks the flags of o (URLs, interval, extra labels) without building a
// Pusher. Errors name the flag at fault and never contain a URL's secrets.
func (o Options) Validate() error {
	_, _, err := o.parse()
	return err
}

func (o Options) parse() ([]target, []Label, error) {
	if len(o.URLs) == 0 {
		if len(o.ExtraLabels) > 0 {
			return nil, nil, errors.New("--push.extra-label needs --push.url")
		}
		return nil, nil, nil
	}
	if o.Interval < 0 {
		return nil, nil, fmt.Errorf("--push.interval: must be positive, got %s", o.Interval)
	}
	labels, err := ParseExtraLabels(o.ExtraLabels)
	if err != nil {
		return nil, nil, err
	}
	var targets []target
	seen := map[string]int{}
	for i, raw := range o.URLs {
		t, err := parseTarget(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("--push.url[%d]: %w", i, err)
		}
		if j, dup := seen[t.redacted]; dup {
			return nil, nil, fmt.Errorf("--push.url[%d]: same endpoint as --push.url[%d] (%s) once credentials and query values are hidden", i, j, t.redacted)
		}
		seen[t.redacted] = i
		targets = append(targets, t)
	}
	return targets, labels, nil
}

// New validates o and returns a Pusher, or (nil, nil) when no URL is given (push mode
// off). Errors are those of Validate.
func New(o Options) (*Pusher, error) {
	targets, labels, err := o.parse()
	if err != nil || len(targets) == 0 {
		return nil, err
	}
	if o.Gatherer == nil {
		return nil, errors.New("push: no gatherer")
	}
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	p := &Pusher{targets: targets, interval: o.Interval, labels: labels, g: o.Gatherer, rec: o.Recorder, log: o.Logger, now: o.Now}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p, nil
}

// Targets returns the redacted URLs, in flag order.
func (p *Pusher) Targets() []string {
	out := make([]string, len(p.targets))
	for i, t := range p.targets {
		out[i] = t.redacted
	}
	return out
}

// Run registers every target with the Recorder (so its series exist before the first
// push), pushes once at once and then every interval, until ctx is done. A push cut
// short by ctx is neither a success nor a failure. Run returns nil when ctx ends.
func (p *Pusher) Run(ctx context.Context) error {
	if p.rec != nil {
		for _, t := range p.targets {
			p.rec.RegisterPush(t.redacted)
		}
	}
	p.log.Info("push mode on", "targets", strings.Join(p.Targets(), ","), "interval", p.interval)
	tick := time.NewTicker(p.interval)
	defer tick.Stop()
	for {
		p.PushOnce(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// PushOnce gathers once and pushes the body to every target concurrently, recording
// each outcome. It returns the errors by redacted URL (nil entries for successes);
// targets whose push was cut short by ctx are left out.
func (p *Pusher) PushOnce(ctx context.Context) map[string]error {
	body, gerr := p.Encode()
	results := make(map[string]error, len(p.targets))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, t := range p.targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := gerr
			if body != nil {
				err = p.pushTo(ctx, t, body)
			}
			if ctx.Err() != nil {
				return // stopping: not an outcome of the target
			}
			if p.rec != nil {
				p.rec.PushResult(t.redacted, err, p.now())
			}
			if err != nil {
				p.log.Warn("push failed", "url", t.redacted, "err", err)
			} else {
				p.log.Debug("pushed", "url", t.redacted, "bytes", len(body))
			}
			mu.Lock()
			results[t.redacted] = err
			mu.Unlock()
		}()
	}
	wg.Wait()
	return results
}

func (p *Pusher) pushTo(ctx context.Context, t target, body []byte) error {
	pctx, cancel := context.WithTimeout(ctx, p.interval)
	defer cancel()
	err := metrics.PushMetricsExt(pctx, t.url, func(w io.Writer) { _, _ = w.Write(body) },
		&metrics.PushOptions{Method: http.MethodPost})
	if err == nil && pctx.Err() != nil {
		// PushMetricsExt reports a cancelled request as success; only the parent
		// ctx ending is a non-outcome (PushOnce checks it), a timeout is a failure.
		err = fmt.Errorf("push to %s: %w", t.redacted, pctx.Err())
	}
	if err != nil {
		return scrubbed{msg: t.scrub(err.Error())}
	}
	return nil
}

// scrubbed is an error whose text had the URL's secrets removed; the original error is
// deliberately not kept (its text carries them).
type scrubbed struct{ msg string }

func (e scrubbed) Error() string { return e.msg }

// Encode gathers and writes the exposition in the Prometheus text format with the extra
// labels added to every sample. A partial gather (some collector failed) is still
// pushed and logged; a gather with nothing to push returns the error.
func (p *Pusher) Encode() ([]byte, error) {
	mfs, err := p.g.Gather()
	if err != nil {
		if len(mfs) == 0 {
			return nil, fmt.Errorf("gather: %w", err)
		}
		p.log.Warn("push: partial gather", "err", err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			m.Label = addLabels(m.Label, p.labels)
			m.TimestampMs = nil
		}
		if err := enc.Encode(mf); err != nil {
			return nil, fmt.Errorf("encode %s: %w", mf.GetName(), err)
		}
	}
	return buf.Bytes(), nil
}

// addLabels adds extra to a sample's labels. A label the sample already has under an
// extra label's name is kept as exported_<name> (as Prometheus does for a conflicting
// target label), so no sample loses a dimension and no two samples collapse. The
// result is sorted by name, as the text format expects.
func addLabels(have []*dto.LabelPair, extra []Label) []*dto.LabelPair {
	if len(extra) == 0 {
		return have
	}
	out := make([]*dto.LabelPair, 0, len(have)+len(extra))
	for _, lp := range have {
		name := lp.GetName()
		for _, e := range extra {
			if e.Name == name {
				name = "exported_" + name
				break
			}
		}
		out = append(out, &dto.LabelPair{Name: proto.String(name), Value: proto.String(lp.GetValue())})
	}
	for _, e := range extra {
		out = append(out, &dto.LabelPair{Name: proto.String(e.Name), Value: proto.String(e.Value)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out
}

// ParseExtraLabels validates name=value pairs: the name is a legacy Prometheus label
// name, neither starting with "__" nor "le" or "quantile" (reserved), the value is
// non-empty UTF-8, and no name is given twice.
func ParseExtraLabels(pairs []string) ([]Label, error) {
	var out []Label
	seen := map[string]bool{}
	for i, s := range pairs {
		name, value, ok := strings.Cut(s, "=")
		switch {
		case !ok:
			return nil, fmt.Errorf("--push.extra-label[%d]: %q: want name=value", i, s)
		case !validLabelName(name):
			return nil, fmt.Errorf("--push.extra-label[%d]: %q: label name must match [a-zA-Z_][a-zA-Z0-9_]*", i, name)
		case strings.HasPrefix(name, "__"):
			return nil, fmt.Errorf("--push.extra-label[%d]: %q: names starting with __ are reserved", i, name)
		case name == "le" || name == "quantile":
			return nil, fmt.Errorf("--push.extra-label[%d]: %q: reserved for histogram buckets and summary quantiles", i, name)
		case value == "":
			return nil, fmt.Errorf("--push.extra-label[%d]: %q: empty value", i, name)
		case !utf8.ValidString(value):
			return nil, fmt.Errorf("--push.extra-label[%d]: %q: value is not valid UTF-8", i, name)
		case seen[name]:
			return nil, fmt.Errorf("--push.extra-label[%d]: %q given twice", i, name)
		}
		seen[name] = true
		out = append(out, Label{Name: name, Value: value})
	}
	return out, nil
}

func validLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// RedactURL returns the form of a push URL that may be shown: scheme, host and path,
// without userinfo or fragment, and with every query value replaced by "xxxxx" (the
// parameter names stay, so two endpoints that differ by a parameter stay apart).
func RedactURL(raw string) (string, error) {
	t, err := parseTarget(raw)
	if err != nil {
		return "", err
	}
	return t.redacted, nil
}

// parseTarget validates a push URL. Its errors never quote the URL (it may carry a
// password or a token).
func parseTarget(raw string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return target{}, errors.New("not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return target{}, errors.New("scheme must be http or https")
	}
	if u.Host == "" {
		return target{}, errors.New("missing host")
	}
	t := target{url: raw}
	// Every rendering of the URL an error text may quote (the library quotes
	// url.Redacted, net/http quotes the URL with the password as "***").
	t.forms = []string{raw, u.String(), u.Redacted()}
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			// As net/http's stripPassword renders it.
			t.forms = append(t.forms, strings.Replace(u.String(), u.User.String()+"@", u.User.Username()+":***@", 1))
			if len(pw) >= minSecret {
				t.secrets = append(t.secrets, pw, url.PathEscape(pw), url.QueryEscape(pw))
			}
		}
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	if u.RawQuery != "" {
		q := u.Query()
		keys := make([]string, 0, len(q))
		for k, vs := range q {
			keys = append(keys, k)
			for _, v := range vs {
				if len(v) >= minSecret {
					t.secrets = append(t.secrets, v, url.QueryEscape(v))
				}
			}
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = url.QueryEscape(k) + "=xxxxx"
		}
		r.RawQuery = strings.Join(parts, "&")
		t.secrets = append(t.secrets, u.RawQuery)
	}
	t.redacted = r.String()
	// Longest first, so a string that contains another is replaced whole.
	sort.Slice(t.forms, func(i, j int) bool { return len(t.forms[i]) > len(t.forms[j]) })
	sort.Slice(t.secrets, func(i, j int) bool { return len(t.secrets[i]) > len(t.secrets[j]) })
	return t, nil
}

// minSecret is the shortest password or query value also scrubbed on its own from
// error texts (beyond the URL renderings); shorter ones would mangle unrelated text
// such as status codes, and cannot appear apart from the URL anyway.
const minSecret = 6

// scrub replaces every rendering of the target's URL in an error text by the redacted
// URL (the library's and net/http's errors quote the URL with its query, and net/http
// keeps the user name), then removes any password or query value left (a receiver's
// response body may echo it).
func (t target) scrub(s string) string {
	for _, f := range t.forms {
		s = strings.ReplaceAll(s, f, t.redacted)
	}
	for _, sec := range t.secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "xxxxx")
		}
	}
	return s
}
