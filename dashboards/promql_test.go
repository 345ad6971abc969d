package dashboards

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// promqlWords are the PromQL functions and aggregations (callable with
// parentheses) that metricNames accepts; an unknown call is an error.
var promqlWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`abs absent absent_over_time avg_over_time ceil changes clamp clamp_max
		clamp_min count_over_time day_of_month day_of_week day_of_year days_in_month delta deriv exp floor
		histogram_count histogram_fraction histogram_quantile histogram_sum histogram_stddev histogram_stdvar
		holt_winters hour idelta increase irate label_join label_replace last_over_time ln log10 log2
		max_over_time min_over_time minute month predict_linear present_over_time quantile_over_time rate
		resets round scalar sgn sort sort_desc sqrt stddev_over_time stdvar_over_time sum_over_time time
		timestamp vector year acos acosh asin asinh atan atanh cos cosh sin sinh tan tanh deg rad pi
		sum min max avg group stddev stdvar count count_values bottomk topk quantile`) {
		promqlWords[w] = true
	}
}

// metricNames returns the metric names a PromQL expression selects, in
// order of appearance. It is a tokenizer, not a parser: it skips strings,
// label matchers in braces, ranges in brackets, grouping label lists
// (by/without/on/ignoring/group_left/group_right), numbers, durations,
// operators and keywords; a word followed by "(" must be a known function.
// Grafana variables only appear inside strings and brackets, so they are
// skipped with them.
func metricNames(expr string) ([]string, error) {
	var names []string
	isStart := func(c byte) bool { return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	isPart := func(c byte) bool { return isStart(c) || c >= '0' && c <= '9' }
	skipSpace := func(i int) int {
		for i < len(expr) && strings.IndexByte(" \t\r\n", expr[i]) >= 0 {
			i++
		}
		return i
	}
	// skipString returns the index after the string literal starting at i.
	skipString := func(i int) (int, error) {
		quote := expr[i]
		for j := i + 1; j < len(expr); j++ {
			switch {
			case expr[j] == '\\' && quote != '`':
				j++
			case expr[j] == quote:
				return j + 1, nil
			}
		}
		return 0, fmt.Errorf("unterminated string at %d", i)
	}
	// skipUntil returns the index after the closing byte, skipping strings.
	skipUntil := func(i int, closing byte) (int, error) {
		for j := i + 1; j < len(expr); {
			switch c := expr[j]; {
			case c == '"' || c == '\'' || c == '`':
				k, err := skipString(j)
				if err != nil {
					return 0, err
				}
				j = k
			case c == closing:
				return j + 1, nil
			default:
				j++
			}
		}
		return 0, fmt.Errorf("unclosed %q at %d", expr[i], i)
	}
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			j, err := skipString(i)
			if err != nil {
				return nil, err
			}
			i = j
		case c == '{':
			j, err := skipUntil(i, '}')
			if err != nil {
				return nil, err
			}
			i = j
		case c == '[':
			j, err := skipUntil(i, ']')
			if err != nil {
				return nil, err
			}
			i = j
		case c == '#':
			for i < len(expr) && expr[i] != '\n' {
				i++
			}
		case c >= '0' && c <= '9' || c == '.':
			for i < len(expr) && (isPart(expr[i]) || expr[i] == '.') {
				i++
			}
		case isStart(c):
			j := i
			for j < len(expr) && isPart(expr[j]) {
				j++
			}
			word := expr[i:j]
			next := skipSpace(j)
			switch {
			case slices.Contains([]string{"by", "without", "on", "ignoring", "group_left", "group_right"}, word):
				if next < len(expr) && expr[next] == '(' {
					k, err := skipUntil(next, ')')
					if err != nil {
						return nil, err
					}
					j = k
				}
			case slices.Contains([]string{"and", "or", "unless", "bool", "offset", "atan2", "Inf", "inf", "NaN", "nan"}, word):
			case promqlWords[word]:
			case next < len(expr) && expr[next] == '(':
				return nil, fmt.Errorf("unknown function %q", word)
			default:
				names = append(names, word)
			}
			i = j
		case strings.IndexByte(" \t\r\n()+-*/%^=!<>,", c) >= 0:
			i++
		default:
			return nil, fmt.Errorf("unexpected %q at %d", c, i)
		}
	}
	return names, nil
}

func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
		err  bool
	}{
		{expr: `up`, want: []string{"up"}},
		{expr: `sum by (status) (rate(waba_x_total{job=~"$job", s="a}b"}[$__rate_interval]))`, want: []string{"waba_x_total"}},
		{expr: "sum without(category, status) (rate(a_total{x=\"1\"}[1h]))\n/\nsum without() (rate(b_total[5m]))", want: []string{"a_total", "b_total"}},
		{expr: `a:b:ratio{q="0.9"} > 0.8 and on(job, instance) ready == 1`, want: []string{"a:b:ratio", "ready"}},
		{expr: `time() - m_seconds offset 5m > 3600`, want: []string{"m_seconds"}},
		{expr: `histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))`, want: []string{"h_bucket"}},
		{expr: `x * on(a) group_left(b, c) y`, want: []string{"x", "y"}},
		{expr: `topk(20, sum by (country) (increase(p_total[$__range])))`, want: []string{"p_total"}},
		{expr: `max(x) or vector(0) # comment names_nothing`, want: []string{"x"}},
		{expr: `1.5e3 + 0x1f`, want: nil},
		{expr: `rat(x)`, err: true},
		{expr: `x{a="b}`, err: true},
		{expr: `x[5m`, err: true},
		{expr: `x @ 5`, err: true},
	} {
		got, err := metricNames(tc.expr)
		if tc.err {
			if err == nil {
				t.Errorf("metricNames(%q) = %v, want an error", tc.expr, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("metricNames(%q) = %v, %v; want %v", tc.expr, got, err, tc.want)
		}
	}
}

func TestSubstitute(t *testing.T) {
	vars := map[string][]string{
		"job":             {"waba_exporter"},
		"instance":        {"127.0.0.1:9874"},
		"phone_number_id": {"1", "2"},
	}
	for _, tc := range []struct{ in, want string }{
		{`x{job=~"$job", instance=~"$instance"}`, `x{job=~"waba_exporter", instance=~"127.0.0.1:9874"}`},
		{`x{phone_number_id=~"$phone_number_id"}`, `x{phone_number_id=~"(1|2)"}`},
		{`rate(x[$__rate_interval]) + increase(y[$__range])`, `rate(x[1m]) + increase(y[1h])`},
	} {
		if got := substitute(tc.in, vars); got != tc.want {
			t.Errorf("substitute(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
