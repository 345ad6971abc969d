package config_test

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/waba-exporter/waba_exporter/internal/app"
	"github.com/waba-exporter/waba_exporter/internal/config"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
)

// fieldCase proves that one configuration field reaches its consumer. Either probe is
// set: Parse(base) and Parse(set) must both succeed and probe must tell them apart
// (the translation into the consumer's settings carries the field), or bad is set: a
// document whose only fault is a bad value of the field, which Parse must reject naming
// the field, for fields whose consumer is not reachable from a public function (consumer
// says where they go).
type fieldCase struct {
	base, set string
	probe     func(c *config.Config) any
	bad       string
	consumer  string
}

// win probes the state machine's settings (app.WindowConfig).
func win(f func(w window.Config) any) func(*config.Config) any {
	return func(c *config.Config) any { return f(app.WindowConfig(c)) }
}

// dec probes the decoder options of the first input (app.DecoderOptions).
func dec(f func(o webhook.Options) any) func(*config.Config) any {
	return func(c *config.Config) any { return f(app.DecoderOptions(c.Inputs[0])) }
}

const (
	oneInput     = "inputs: [{path: a.log}]\n"
	oneQuota     = "quotas: [{name: q, limit: 10, unit: billable}]\n"
	onePortfolio = "portfolios: [{name: p, phone_number_ids: ['1']}]\n"
	oneCard      = "rate_card: {currency: USD, default: {utility: 0.01}}\n"
)

// fieldCases is keyed by field path as typePaths writes it (list elements as []). Every
// leaf field of Config needs a case: TestEveryFieldReachesItsConsumer fails otherwise.
var fieldCases = map[string]fieldCase{
	"inputs[].path": {bad: "inputs: [{path: 'a[.log'}]\n", consumer: "tail.Options.Sources (app/inputs.go)"},
	"inputs[].format": {base: oneInput, set: "inputs: [{path: a.log, format: twilio}]\n",
		probe: dec(func(o webhook.Options) any { return o.Format })},
	"inputs[].start":          {bad: "inputs: [{path: a.log, start: middle}]\n", consumer: "tail.Options.Start (app/inputs.go)"},
	"inputs[].max_line_bytes": {base: oneInput, set: "inputs: [{path: a.log, max_line_bytes: 2048}]\n", probe: dec(func(o webhook.Options) any { return o.MaxLineBytes })},
	"inputs[].business":       {base: oneInput, set: "inputs: [{path: a.log, business: '42'}]\n", probe: dec(func(o webhook.Options) any { return o.Business })},
	"inputs[].envelope":       {base: oneInput, set: "inputs: [{path: a.log, envelope: {body_path: b}}]\n", probe: dec(func(o webhook.Options) any { return o.Envelope })},
	"inputs[].envelope.body_path": {base: oneInput, set: "inputs: [{path: a.log, envelope: {body_path: b}}]\n",
		probe: dec(func(o webhook.Options) any { return o.Envelope.BodyPath })},
	"inputs[].envelope.receive_time_path": {base: "inputs: [{path: a.log, envelope: {body_path: b}}]\n",
		set:   "inputs: [{path: a.log, envelope: {body_path: b, receive_time_path: t}}]\n",
		probe: dec(func(o webhook.Options) any { return o.Envelope.TimePath })},

	"labels":                  {set: "labels: {error_code_cap: 5}\n", probe: win(func(w window.Config) any { return w.ErrorCodeCap })},
	"labels.error_code_cap":   {set: "labels: {error_code_cap: 5}\n", probe: win(func(w window.Config) any { return w.ErrorCodeCap })},
	"labels.country_cap":      {set: "labels: {country_cap: 5}\n", probe: win(func(w window.Config) any { return w.CountryCap })},
	"labels.country_enabled":  {set: "labels: {country_enabled: false}\n", probe: win(func(w window.Config) any { return w.CountryOf != nil })},
	"labels.phone_number_ids": {set: "labels: {phone_number_ids: ['1']}\n", probe: win(func(w window.Config) any { return w.AllowBusinesses })},

	"opt_out":                 {set: "opt_out: {keywords: [PARAR]}\n", probe: win(func(w window.Config) any { return w.OptOutKeywords })},
	"opt_out.keywords":        {set: "opt_out: {keywords: [PARAR]}\n", probe: win(func(w window.Config) any { return w.OptOutKeywords })},
	"opt_out.opt_in_keywords": {set: "opt_out: {opt_in_keywords: [VOLTAR]}\n", probe: win(func(w window.Config) any { return w.OptInKeywords })},
	"opt_out.button_payloads": {set: "opt_out: {button_payloads: []}\n", probe: win(func(w window.Config) any { return len(w.OptOutPayloads) })},

	"reply":        {set: "reply: {window: 2h}\n", probe: win(func(w window.Config) any { return w.ReplyWindow })},
	"reply.window": {set: "reply: {window: 2h}\n", probe: win(func(w window.Config) any { return w.ReplyWindow })},

	"quotas":          {set: oneQuota, probe: win(func(w window.Config) any { return len(w.Quotas) })},
	"quotas[].name":   {base: oneQuota, set: "quotas: [{name: r, limit: 10, unit: billable}]\n", probe: quota(func(q window.Quota) any { return q.Name })},
	"quotas[].limit":  {base: oneQuota, set: "quotas: [{name: q, limit: 11, unit: billable}]\n", probe: quota(func(q window.Quota) any { return q.Limit })},
	"quotas[].unit":   {base: oneQuota, set: "quotas: [{name: q, limit: 10, unit: delivered_messages}]\n", probe: quota(func(q window.Quota) any { return q.Unit })},
	"quotas[].filter": {base: oneQuota, set: "quotas: [{name: q, limit: 10, unit: billable, filter: {phone_number_ids: ['1']}}]\n", probe: quota(func(q window.Quota) any { return q.Businesses })},
	"quotas[].filter.phone_number_ids": {base: oneQuota, set: "quotas: [{name: q, limit: 10, unit: billable, filter: {phone_number_ids: ['1']}}]\n",
		probe: quota(func(q window.Quota) any { return q.Businesses })},
	"quotas[].filter.categories": {base: oneQuota, set: "quotas: [{name: q, limit: 10, unit: billable, filter: {categories: [marketing]}}]\n",
		probe: quota(func(q window.Quota) any { return q.Categories })},
	"quotas[].period": {base: oneQuota, set: "quotas: [{name: q, limit: 10, unit: billable, period: {timezone: Asia/Kolkata}}]\n",
		probe: quota(func(q window.Quota) any { return q.Location.String() })},
	"quotas[].period.type": {base: "quotas: [{name: q, limit: 10, unit: billable, period: {type: calendar_month}}]\n",
		set:   "quotas: [{name: q, limit: 10, unit: billable, period: {type: reset_day, reset_day: 1}}]\n",
		probe: quota(func(q window.Quota) any { return q.ResetDay })},
	"quotas[].period.timezone": {base: oneQuota, set: "quotas: [{name: q, limit: 10, unit: billable, period: {timezone: Asia/Kolkata}}]\n",
		probe: quota(func(q window.Quota) any { return q.Location.String() })},
	"quotas[].period.reset_day": {base: "quotas: [{name: q, limit: 10, unit: billable, period: {type: reset_day, reset_day: 1}}]\n",
		set:   "quotas: [{name: q, limit: 10, unit: billable, period: {type: reset_day, reset_day: 15}}]\n",
		probe: quota(func(q window.Quota) any { return q.ResetDay })},

	"portfolios":        {set: onePortfolio, probe: win(func(w window.Config) any { return len(w.Portfolios) })},
	"portfolios[].name": {base: onePortfolio, set: "portfolios: [{name: r, phone_number_ids: ['1']}]\n", probe: portfolio(func(p window.Portfolio) any { return p.Name })},
	"portfolios[].phone_number_ids": {base: onePortfolio, set: "portfolios: [{name: p, phone_number_ids: ['2']}]\n",
		probe: portfolio(func(p window.Portfolio) any { return p.Businesses })},
	"portfolios[].waba_ids": {base: onePortfolio, set: "portfolios: [{name: p, phone_number_ids: ['1'], waba_ids: ['9']}]\n",
		probe: portfolio(func(p window.Portfolio) any { return p.Wabas })},
	"portfolios[].messaging_limit": {base: onePortfolio, set: "portfolios: [{name: p, phone_number_ids: ['1'], messaging_limit: TIER_1K}]\n",
		probe: portfolio(func(p window.Portfolio) any { return p.Limit })},

	"messaging_limits": {set: "messaging_limits: {'1': TIER_10K}\n", probe: win(func(w window.Config) any { return w.LimitOverrides })},

	"rate_card":          {set: oneCard, probe: win(func(w window.Config) any { return w.RateCard != nil })},
	"rate_card.currency": {base: oneCard, set: "rate_card: {currency: EUR, default: {utility: 0.01}}\n", probe: win(func(w window.Config) any { return w.RateCard.Currency })},
	"rate_card.default":  {base: oneCard, set: "rate_card: {currency: USD, default: {utility: 0.02}}\n", probe: win(func(w window.Config) any { return w.RateCard.Default })},
	"rate_card.countries": {base: oneCard, set: "rate_card: {currency: USD, default: {utility: 0.01}, countries: {br: {marketing: 0.1}}}\n",
		probe: win(func(w window.Config) any { return w.RateCard.Countries })},

	"state":                  {set: "state: {max_messages: 1000}\n", probe: win(func(w window.Config) any { return w.MaxMessages })},
	"state.max_messages":     {set: "state: {max_messages: 1000}\n", probe: win(func(w window.Config) any { return w.MaxMessages })},
	"state.max_customers":    {set: "state: {max_customers: 1000}\n", probe: win(func(w window.Config) any { return w.MaxCustomers })},
	"state.max_businesses":   {set: "state: {max_businesses: 7}\n", probe: win(func(w window.Config) any { return w.MaxBusinesses })},
	"state.message_ttl":      {set: "state: {message_ttl: 8d}\n", probe: win(func(w window.Config) any { return w.MessageTTL })},
	"state.customer_ttl":     {set: "state: {customer_ttl: 40d}\n", probe: win(func(w window.Config) any { return w.CustomerTTL })},
	"state.allowed_lateness": {set: "state: {allowed_lateness: 1m}\n", probe: win(func(w window.Config) any { return w.AllowedLateness })},

	"inputs": {base: oneInput, set: "inputs: [{path: a.log}, {path: b.log}]\n", probe: func(c *config.Config) any {
		// Every input gets its own decoder options (and tailer, in app/inputs.go).
		return len(c.Inputs)
	}},
}

func quota(f func(q window.Quota) any) func(*config.Config) any {
	return win(func(w window.Config) any { return f(w.Quotas[0]) })
}

func portfolio(f func(p window.Portfolio) any) func(*config.Config) any {
	return win(func(w window.Config) any { return f(w.Portfolios[0]) })
}

// fieldPaths lists the field paths of t the way the cases name them: nested structs and
// lists of structs are walked (list elements as []), maps, Duration, Limit and scalars
// are leaves. Containers are listed too: a new section needs a case of its own.
func fieldPaths(t reflect.Type, prefix string, out map[string]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice:
		fieldPaths(t.Elem(), prefix+"[]", out)
		return
	case reflect.Struct:
	default:
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		p := name
		if prefix != "" {
			p = prefix + "." + name
		}
		out[p] = true
		fieldPaths(f.Type, p, out)
	}
}

// TestEveryFieldReachesItsConsumer walks every field of Config by reflection and checks
// that its case shows the value reaching the code that uses it: the translated settings
// of the state machine or the decoder differ when only that field changes. What the
// settings then do is the business of the window and webhook tests. A field without a
// case fails the test: a new setting must be wired before it is documented.
func TestEveryFieldReachesItsConsumer(t *testing.T) {
	paths := map[string]bool{}
	fieldPaths(reflect.TypeOf(config.Config{}), "", paths)
	var missing, stale []string
	for p := range paths {
		if _, ok := fieldCases[p]; !ok {
			missing = append(missing, p)
		}
	}
	for p := range fieldCases {
		if !paths[p] {
			stale = append(stale, p)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 {
		t.Errorf("config fields without a consumer case (wire them and add a case, or delete them): %s", strings.Join(missing, ", "))
	}
	if len(stale) > 0 {
		t.Errorf("cases for fields that do not exist: %s", strings.Join(stale, ", "))
	}
	if len(paths) < 40 {
		t.Fatalf("walked only %d field paths: the walk is broken", len(paths))
	}

	for _, p := range sortedCaseKeys() {
		tc := fieldCases[p]
		t.Run(p, func(t *testing.T) {
			if tc.probe == nil {
				checkRejected(t, p, tc)
				return
			}
			base, err := config.Parse([]byte(tc.base), "base.yml")
			if err != nil {
				t.Fatalf("base: %v", err)
			}
			set, err := config.Parse([]byte(tc.set), "set.yml")
			if err != nil {
				t.Fatalf("set: %v", err)
			}
			b, s := tc.probe(base), tc.probe(set)
			if reflect.DeepEqual(b, s) {
				t.Errorf("setting %s does not reach its consumer: %v both with and without it\n%s", p, b, tc.set)
			}
		})
	}
}

// checkRejected: a bad value of the field is an error naming the field (with its list
// index), and the case names where the valid value goes.
func checkRejected(t *testing.T, p string, tc fieldCase) {
	t.Helper()
	if tc.bad == "" || tc.consumer == "" {
		t.Fatalf("case %s has neither a probe nor a bad value with its consumer", p)
	}
	_, err := config.Parse([]byte(tc.bad), "bad.yml")
	var list config.ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		t.Fatalf("Parse accepted the bad value: %v", err)
	}
	want := strings.ReplaceAll(p, "[]", "[0]")
	for _, e := range list {
		if e.Path == want && e.Line > 0 {
			return
		}
	}
	t.Errorf("errors %v name no %s with a line", err, want)
}

func sortedCaseKeys() []string {
	keys := make([]string, 0, len(fieldCases))
	for k := range fieldCases {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
