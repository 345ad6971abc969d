package config

import (
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // quota time zones must resolve on hosts and images without tzdata

	"github.com/nyaruka/phonenumbers"
)

// Bounds of the integer settings.
const (
	minMaxLineBytes = 1 << 10
	maxMaxLineBytes = 256 << 20
	maxErrorCodeCap = 1000
	maxCountryCap   = 300
	maxResetDay     = 28
)

// checkEnum reports an unknown enum value at path; empty values are left to the caller.
func (d *decoder) checkEnum(path string, v enum, val string) bool {
	for _, ok := range v.Values() {
		if val == ok {
			return true
		}
	}
	if sug := didYouMean(val, v.Values()); sug != "" {
		d.errorf(path, "unknown %s %q%s", v.what(), val, sug)
	} else {
		d.errorf(path, "unknown %s %q (want one of %s)", v.what(), val, strings.Join(v.Values(), ", "))
	}
	return false
}

// checkIDs validates a list of phone number ids: non-empty, unique, and (when allow is not
// empty) inside the labels allowlist.
func (d *decoder) checkIDs(path string, ids []string, allow map[string]bool) {
	seen := map[string]int{}
	for i, id := range ids {
		p := fmt.Sprintf("%s[%d]", path, i)
		if strings.TrimSpace(id) == "" {
			d.errorf(p, "empty phone number id")
			continue
		}
		if j, dup := seen[id]; dup {
			d.errorf(p, "duplicate phone number id %q (also %s[%d])", id, path, j)
			continue
		}
		seen[id] = i
		if len(allow) > 0 && !allow[id] {
			d.errorf(p, "phone number id %q is not in labels.phone_number_ids, so it is never exported", id)
		}
	}
}

// checkKeywords validates a keyword list: non-empty, unique case-insensitively.
func (d *decoder) checkKeywords(path string, kws []string, what string) {
	seen := map[string]int{}
	for i, kw := range kws {
		p := fmt.Sprintf("%s[%d]", path, i)
		k := strings.ToLower(strings.TrimSpace(kw))
		if k == "" {
			d.errorf(p, "empty %s", what)
			continue
		}
		if j, dup := seen[k]; dup {
			d.errorf(p, "duplicate %s %q (also %s[%d]; matching ignores case)", what, kw, path, j)
			continue
		}
		seen[k] = i
	}
}

func validFieldPath(s string) bool {
	for _, seg := range strings.Split(s, ".") {
		if strings.TrimSpace(seg) == "" || strings.TrimSpace(seg) != seg {
			return false
		}
	}
	return true
}

// validate checks a decoded Config section by section, in file order, so errors come out in
// the order a reader meets them. It also resolves the quota time zones.
func (d *decoder) validate(c *Config) {
	allow := map[string]bool{}
	for _, id := range c.Labels.PhoneNumberIDs {
		allow[id] = true
	}
	d.validateInputs(c.Inputs)
	d.validateLabels(&c.Labels)
	d.validateOptOut(&c.OptOut)
	d.validateReply(c)
	d.validateQuotas(c.Quotas, allow)
	d.validatePortfolios(c.Portfolios, allow)
	d.validateMessagingLimits(c.MessagingLimits, allow)
	if rc := c.RateCard; rc != nil {
		d.validateRateCard(rc)
	}
	d.validateState(c)
}

func (d *decoder) validateInputs(inputs []Input) {
	paths := map[string]int{}
	for i := range inputs {
		in := &inputs[i]
		p := fmt.Sprintf("inputs[%d]", i)
		switch {
		case strings.TrimSpace(in.Path) == "":
			d.errorf(p+".path", `required (a file, a glob, or "-" for standard input)`)
		default:
			if j, dup := paths[in.Path]; dup {
				d.errorf(p+".path", "duplicate path %q (also inputs[%d])", in.Path, j)
			} else if _, err := filepath.Match(in.Path, ""); err != nil {
				d.errorf(p+".path", "invalid glob %q: %v", in.Path, err)
			}
			paths[in.Path] = i
		}
		d.checkEnum(p+".format", in.Format, string(in.Format))
		d.checkEnum(p+".start", in.Start, string(in.Start))
		if in.MaxLineBytes < minMaxLineBytes || in.MaxLineBytes > maxMaxLineBytes {
			d.errorf(p+".max_line_bytes", "must be between %d (1 KiB) and %d (256 MiB), got %d", minMaxLineBytes, maxMaxLineBytes, in.MaxLineBytes)
		}
		d.validateEnvelope(p+".envelope", &in.Envelope)
	}
}

func (d *decoder) validateEnvelope(ep string, e *Envelope) {
	if e.BodyPath != "" && !validFieldPath(e.BodyPath) {
		d.errorf(ep+".body_path", "invalid field path %q (dot-separated field names, e.g. request.body)", e.BodyPath)
	}
	if e.ReceiveTimePath != "" {
		if !validFieldPath(e.ReceiveTimePath) {
			d.errorf(ep+".receive_time_path", "invalid field path %q (dot-separated field names, e.g. received_at)", e.ReceiveTimePath)
		} else if e.BodyPath == "" {
			d.errorf(ep+".receive_time_path", "needs envelope.body_path (a raw body has no envelope to read a receive time from)")
		}
	}
}

func (d *decoder) validateLabels(l *Labels) {
	if l.ErrorCodeCap < 1 || l.ErrorCodeCap > maxErrorCodeCap {
		d.errorf("labels.error_code_cap", "must be between 1 and %d, got %d", maxErrorCodeCap, l.ErrorCodeCap)
	}
	if l.CountryCap < 1 || l.CountryCap > maxCountryCap {
		d.errorf("labels.country_cap", "must be between 1 and %d, got %d", maxCountryCap, l.CountryCap)
	}
	d.checkIDs("labels.phone_number_ids", l.PhoneNumberIDs, nil)
}

func (d *decoder) validateOptOut(o *OptOut) {
	d.checkKeywords("opt_out.keywords", o.Keywords, "keyword")
	d.checkKeywords("opt_out.opt_in_keywords", o.OptInKeywords, "keyword")
	if d.has("opt_out.button_payloads") { // else copied from keywords, checked above
		d.checkKeywords("opt_out.button_payloads", o.ButtonPayloads, "button payload")
	}
	out := map[string]bool{}
	for _, kw := range o.Keywords {
		out[strings.ToLower(strings.TrimSpace(kw))] = true
	}
	for i, kw := range o.OptInKeywords {
		if k := strings.ToLower(strings.TrimSpace(kw)); k != "" && out[k] {
			d.errorf(fmt.Sprintf("opt_out.opt_in_keywords[%d]", i), "%q is also an opt-out keyword", kw)
		}
	}
}

func (d *decoder) validateReply(c *Config) {
	if c.Reply.Window <= 0 {
		d.errorf("reply.window", "must be > 0")
	} else if c.State.MessageTTL > 0 && c.Reply.Window > c.State.MessageTTL {
		// Report it where the user wrote something: the default side has no line.
		if d.has("reply.window") || !d.has("state.message_ttl") {
			d.errorf("reply.window", "%s is longer than state.message_ttl (%s): messages would be forgotten before a reply could be attributed", c.Reply.Window, c.State.MessageTTL)
		} else {
			d.errorf("state.message_ttl", "%s is shorter than reply.window (%s): messages would be forgotten before a reply could be attributed", c.State.MessageTTL, c.Reply.Window)
		}
	}
}

func (d *decoder) validateQuotas(quotas []Quota, allow map[string]bool) {
	names := map[string]int{}
	for i := range quotas {
		q := &quotas[i]
		p := fmt.Sprintf("quotas[%d]", i)
		if strings.TrimSpace(q.Name) == "" {
			d.errorf(p+".name", "required (the quota label value)")
		} else if j, dup := names[q.Name]; dup {
			d.errorf(p+".name", "duplicate quota name %q (also quotas[%d])", q.Name, j)
		} else {
			names[q.Name] = i
		}
		switch {
		case !d.has(p + ".limit"):
			d.errorf(p+".limit", "required (units allowed per period, > 0)")
		case !(q.Limit > 0) || math.IsInf(q.Limit, 0):
			d.errorf(p+".limit", "must be a finite number > 0, got %v", q.Limit)
		}
		if q.Unit == "" {
			d.errorf(p+".unit", "required (one of %s)", strings.Join(q.Unit.Values(), ", "))
		} else {
			d.checkEnum(p+".unit", q.Unit, string(q.Unit))
		}
		d.checkIDs(p+".filter.phone_number_ids", q.Filter.PhoneNumberIDs, allow)
		d.checkCategories(p, q.Filter.Categories)
		d.validatePeriod(p+".period", &q.Period)
	}
}

func (d *decoder) checkCategories(p string, categories []Category) {
	cats := map[Category]int{}
	for j, cat := range categories {
		cp := fmt.Sprintf("%s.filter.categories[%d]", p, j)
		if !d.checkEnum(cp, cat, string(cat)) {
			continue
		}
		if k, dup := cats[cat]; dup {
			d.errorf(cp, "duplicate category %q (also %s.filter.categories[%d])", cat, p, k)
		}
		cats[cat] = j
	}
}

// validatePeriod checks a quota period and resolves its time zone into pd.loc.
func (d *decoder) validatePeriod(pp string, pd *Period) {
	d.checkEnum(pp+".type", pd.Type, string(pd.Type))
	if loc, err := loadLocation(pd.Timezone); err != nil {
		d.errorf(pp+".timezone", "unknown time zone %q (an IANA name such as Europe/Paris or America/Sao_Paulo)", pd.Timezone)
	} else {
		pd.loc = loc
	}
	switch pd.Type {
	case PeriodResetDay:
		if !d.has(pp + ".reset_day") {
			d.errorf(pp+".reset_day", "required for period type reset_day (1 to %d)", maxResetDay)
		} else if pd.ResetDay < 1 || pd.ResetDay > maxResetDay {
			d.errorf(pp+".reset_day", "must be between 1 and %d, got %d", maxResetDay, pd.ResetDay)
		}
	case PeriodCalendarMonth:
		if pd.ResetDay != 0 {
			d.errorf(pp+".reset_day", "only valid with period type reset_day (calendar_month starts on the 1st)")
		}
	}
}

// validatePortfolios checks each portfolio and that a WABA id or phone number id belongs
// to one portfolio only.
func (d *decoder) validatePortfolios(pfs []Portfolio, allow map[string]bool) {
	names := map[string]int{}
	owner := map[string]string{}
	wabaOwner := map[string]string{}
	for i := range pfs {
		pf := &pfs[i]
		p := fmt.Sprintf("portfolios[%d]", i)
		if strings.TrimSpace(pf.Name) == "" {
			d.errorf(p+".name", "required (the portfolio label value)")
		} else if j, dup := names[pf.Name]; dup {
			d.errorf(p+".name", "duplicate portfolio name %q (also portfolios[%d])", pf.Name, j)
		} else {
			names[pf.Name] = i
		}
		if len(pf.PhoneNumberIDs) == 0 && len(pf.WabaIDs) == 0 {
			d.errorf(p+".phone_number_ids", "required (at least one phone number id, or waba_ids)")
		}
		d.checkIDs(p+".phone_number_ids", pf.PhoneNumberIDs, allow)
		d.claimWabaIDs(p, pf, wabaOwner)
		for j, id := range pf.PhoneNumberIDs {
			if id == "" {
				continue
			}
			if other, taken := owner[id]; taken && other != pf.Name {
				d.errorf(fmt.Sprintf("%s.phone_number_ids[%d]", p, j), "phone number id %q is already in portfolio %q (a number belongs to one portfolio)", id, other)
			} else {
				owner[id] = pf.Name
			}
		}
	}
}

// claimWabaIDs records pf as the owner of its WABA ids in wabaOwner, reporting empty,
// duplicate and already-owned ids.
func (d *decoder) claimWabaIDs(p string, pf *Portfolio, wabaOwner map[string]string) {
	for j, id := range pf.WabaIDs {
		wp := fmt.Sprintf("%s.waba_ids[%d]", p, j)
		switch {
		case strings.TrimSpace(id) == "":
			d.errorf(wp, "empty WABA id")
		case wabaOwner[id] != "" && wabaOwner[id] != pf.Name:
			d.errorf(wp, "WABA id %q is already in portfolio %q (a WABA belongs to one portfolio)", id, wabaOwner[id])
		case wabaOwner[id] == pf.Name:
			d.errorf(wp, "duplicate WABA id %q", id)
		default:
			wabaOwner[id] = pf.Name
		}
	}
}

func (d *decoder) validateMessagingLimits(limits map[string]Limit, allow map[string]bool) {
	for _, id := range slices.Sorted(maps.Keys(limits)) {
		p := joinPath("messaging_limits", id)
		if strings.TrimSpace(id) == "" {
			d.errorf(p, "empty phone number id")
		} else if len(allow) > 0 && !allow[id] {
			d.errorf(p, "phone number id %q is not in labels.phone_number_ids, so it is never exported", id)
		}
	}
}

// validateState checks the state section; the campaigns section is checked between the
// bounds and the lateness rule, the order the errors have always come out in.
func (d *decoder) validateState(c *Config) {
	st := &c.State
	if st.MaxMessages < 1 {
		d.errorf("state.max_messages", "must be > 0, got %d", st.MaxMessages)
	}
	if st.MaxCustomers < 1 {
		d.errorf("state.max_customers", "must be > 0, got %d", st.MaxCustomers)
	}
	if st.MaxBusinesses < 1 || st.MaxBusinesses > MaxMaxBusinesses {
		d.errorf("state.max_businesses", "must be between 1 and %d, got %d", MaxMaxBusinesses, st.MaxBusinesses)
	}
	if st.MessageTTL <= 0 {
		d.errorf("state.message_ttl", "must be > 0")
	}
	if st.CustomerTTL <= 0 {
		d.errorf("state.customer_ttl", "must be > 0")
	}
	d.validateCampaigns(&c.Campaigns)
	if st.MessageTTL > 0 && st.AllowedLateness >= st.MessageTTL {
		if d.has("state.allowed_lateness") || !d.has("state.message_ttl") {
			d.errorf("state.allowed_lateness", "%s must be shorter than state.message_ttl (%s)", st.AllowedLateness, st.MessageTTL)
		} else {
			d.errorf("state.message_ttl", "%s must be longer than state.allowed_lateness (%s)", st.MessageTTL, st.AllowedLateness)
		}
	}
}

func (d *decoder) validateRateCard(rc *RateCard) {
	switch {
	case rc.Currency == "":
		d.errorf("rate_card.currency", "required (an ISO 4217 code such as USD)")
	case !isUpperAlpha(rc.Currency, 3):
		msg := fmt.Sprintf("invalid currency %q (an ISO 4217 code: three upper-case letters", rc.Currency)
		if up := strings.ToUpper(rc.Currency); isUpperAlpha(up, 3) {
			msg += fmt.Sprintf(", did you mean %q?", up)
		}
		d.errorf("rate_card.currency", "%s)", msg)
	}
	if len(rc.Default) == 0 && len(rc.Countries) == 0 {
		d.errorf("rate_card", "no prices: set rate_card.default or rate_card.countries")
	}
	d.checkPrices("rate_card.default", rc.Default)
	regions := phonenumbers.GetSupportedRegions()
	for _, cc := range slices.Sorted(maps.Keys(rc.Countries)) {
		p := joinPath("rate_card.countries", cc)
		switch {
		case isUpperAlpha(strings.ToUpper(cc), 2) && cc != strings.ToLower(cc):
			d.errorf(p, "country codes are lower case (did you mean %q?)", strings.ToLower(cc))
		case !isUpperAlpha(strings.ToUpper(cc), 2):
			d.errorf(p, "invalid country code %q (ISO 3166-1 alpha-2, lower case, e.g. br)", cc)
		case !regions[strings.ToUpper(cc)]:
			d.errorf(p, "unknown country code %q (ISO 3166-1 alpha-2 with a calling code)", cc)
		}
		if len(rc.Countries[cc]) == 0 {
			d.errorf(p, "no prices for this country")
		}
		d.checkPrices(p, rc.Countries[cc])
	}
}

func (d *decoder) checkPrices(path string, prices map[Category]float64) {
	for _, k := range slices.Sorted(maps.Keys(prices)) {
		p := joinPath(path, string(k))
		if !d.checkEnum(p, k, string(k)) {
			continue
		}
		if v := prices[k]; !(v >= 0) || math.IsInf(v, 0) {
			d.errorf(p, "price must be a finite number >= 0, got %v", v)
		}
	}
}

func isUpperAlpha(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// loadLocation resolves an IANA zone name. Unlike time.LoadLocation it rejects "Local"
// (the host's zone would make the quota period depend on where the exporter runs) and
// the empty name.
func loadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	return time.LoadLocation(name)
}
