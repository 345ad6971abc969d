package window

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/waba-exporter/waba_exporter/campaign"
	"github.com/waba-exporter/waba_exporter/model"
)

// A scenario is a short sequence of events (in arrival order) and the metric values
// expected after it, written as data in testdata/scenarios/*.yaml.
type scenario struct {
	Name   string `yaml:"name"`
	Base   string `yaml:"base"` // RFC 3339; event times are seconds after it
	Config struct {
		AllowedLateness *int64     `yaml:"allowed_lateness"`
		Keywords        []string   `yaml:"keywords"`
		Quotas          []scQuota  `yaml:"quotas"`
		Portfolios      []scPortfo `yaml:"portfolios"`
		MaxMessages     int        `yaml:"max_messages"`
		OptInKeywords   []string   `yaml:"opt_in_keywords"`
		// RateCard: price by category (any country), currency "EUR".
		RateCard map[string]float64 `yaml:"rate_card"`
		// Campaigns (issue 16); durations in seconds.
		Campaigns struct {
			MaxCampaigns      int      `yaml:"max_campaigns"`
			MaxVariants       int      `yaml:"max_variants"`
			Allow             []string `yaml:"allow_campaigns"`
			ExpireAfter       int64    `yaml:"expire_after"`
			AttributionWindow int64    `yaml:"attribution_window"`
			Attribution       string   `yaml:"attribution"`
		} `yaml:"campaigns"`
	} `yaml:"config"`
	Events []scEvent `yaml:"events"`
	// Flush releases the reorder buffer before checking (as replay does). Default true.
	Flush *bool `yaml:"flush"`
	// At is the scrape time (seconds after base) for gauges; default the watermark.
	At     *int64             `yaml:"at"`
	Expect map[string]float64 `yaml:"expect"`
}

type scQuota struct {
	Name     string `yaml:"name"`
	Unit     string `yaml:"unit"`
	Limit    float64
	Timezone string `yaml:"timezone"`
}

type scPortfo struct {
	Name       string   `yaml:"name"`
	Businesses []string `yaml:"businesses"`
	Wabas      []string `yaml:"wabas"`
	Limit      float64  `yaml:"limit"`
}

type scEvent struct {
	Kind     string `yaml:"kind"` // status, inbound, pref, quality, error
	Biz      string `yaml:"biz"`
	Display  string `yaml:"display"`
	Customer string `yaml:"customer"`
	ID       string `yaml:"id"`
	T        int64  `yaml:"t"`
	Status   string `yaml:"status"`
	Category string `yaml:"category"`
	Model    string `yaml:"model"`
	Type     string `yaml:"type"`
	Conv     string `yaml:"conv"`
	Origin   string `yaml:"origin"`
	Expiry   int64  `yaml:"expiry"` // seconds after base
	Error    int64  `yaml:"error"`
	MsgType  string `yaml:"msg_type"`
	Referral bool   `yaml:"referral"`
	Context  string `yaml:"context"`
	Text     string `yaml:"text"`
	Payload  string `yaml:"payload"`
	Value    string `yaml:"value"` // pref: stop/resume
	Limit    string `yaml:"limit"`
	Event    string `yaml:"event"`
	Repeat   int    `yaml:"repeat"`  // apply this event again n more times (duplicates)
	UserID   string `yaml:"user_id"` // business-scoped user id (BSUID)
	Country  string `yaml:"country"` // contacts[].profile.country_code
	Account  string `yaml:"account"` // WABA id (entry.id)
	Billing  bool   `yaml:"billing"` // status kind: a BSP billing report, not a status
	// capability: business_capability_update limit (-1 unlimited).
	LimitRecipients int64 `yaml:"limit_recipients"`
	// account: account_update details.
	State      string `yaml:"state"`
	Until      int64  `yaml:"until"` // restriction expiration, seconds after base
	TierCat    string `yaml:"tier_category"`
	Tier       string `yaml:"tier"`
	TierUpdate int64  `yaml:"tier_update"` // seconds after base
	TierMonth  string `yaml:"tier_month"`
	// status: biz_opaque_callback_data; conversion: name, value, currency.
	Tag      string  `yaml:"tag"`
	Name     string  `yaml:"name"`
	Amount   float64 `yaml:"amount"`
	Currency string  `yaml:"currency"`
}

func (e scEvent) toModel(base int64) model.Event {
	ev := model.Event{
		Business:        []byte(e.Biz),
		DisplayNumber:   []byte(e.Display),
		Customer:        []byte(e.Customer),
		MessageID:       []byte(e.ID),
		Time:            base + e.T,
		Field:           "messages",
		CustomerUserID:  []byte(e.UserID),
		CustomerCountry: []byte(e.Country),
		Account:         []byte(e.Account),
	}
	switch e.Kind {
	case "status":
		ev.Kind = model.KindStatus
		ev.Status = model.ParseStatus([]byte(e.Status))
		ev.Category = model.ParseCategory([]byte(e.Category))
		ev.PricingModel = model.ParsePricingModel([]byte(e.Model))
		ev.PricingType = model.ParsePricingType([]byte(e.Type))
		ev.ConversationID = []byte(e.Conv)
		ev.ConversationOrigin = model.ParseCategory([]byte(e.Origin))
		if e.Expiry != 0 {
			ev.ConversationExpiry = base + e.Expiry
		}
		ev.ErrorCode = e.Error
		if e.Tag != "" {
			ev.CampaignTag = []byte(e.Tag)
		}
		// A category without a pricing model or type stands for what a BSP decoder
		// infers (not a report): only the state machine's own inference prices it.
		ev.PricingInferred = e.Model == "" && e.Type == "" && e.Conv == ""
		if e.Billing {
			ev.Billing = true
			ev.Status = model.StatusNone
		}
	case "inbound":
		ev.Kind = model.KindInbound
		ev.MessageType = model.ParseMessageType([]byte(e.MsgType))
		if e.MsgType == "" {
			ev.MessageType = model.MessageTypeText
		}
		ev.Referral = e.Referral
		ev.ContextID = []byte(e.Context)
		ev.Text = []byte(e.Text)
		ev.Payload = []byte(e.Payload)
	case "conversion":
		ev.Kind = model.KindConversion
		ev.Field = "waba_conversion"
		ev.ConversionName = []byte(e.Name)
		ev.ConversionValue = e.Amount
		ev.ConversionCurrency = []byte(e.Currency)
	case "pref":
		ev.Kind = model.KindUserPreference
		ev.Field = "user_preferences"
		if e.Value == "stop" {
			ev.Preference = model.PreferenceStop
		} else {
			ev.Preference = model.PreferenceResume
		}
	case "quality":
		ev.Kind = model.KindQualityUpdate
		ev.Field = "phone_number_quality_update"
		ev.Limit = []byte(e.Limit)
		ev.EventName = []byte(e.Event)
	case "error":
		ev.Kind = model.KindWebhookError
		ev.ErrorCode = e.Error
	case "capability":
		ev.Kind = model.KindQualityUpdate
		ev.Field = "business_capability_update"
		ev.LimitRecipients = e.LimitRecipients
	case "account":
		ev.Kind = model.KindAccountUpdate
		ev.Field = "account_update"
		ev.EventName = []byte(e.Event)
		ev.AccountState = []byte(e.State)
		if e.Until != 0 {
			ev.RestrictionUntil = base + e.Until
		}
		ev.TierCategory = model.ParseCategory([]byte(e.TierCat))
		ev.Tier = []byte(e.Tier)
		if e.TierUpdate != 0 {
			ev.TierUpdateTime = base + e.TierUpdate
		}
		ev.TierMonth = []byte(e.TierMonth)
	}
	return ev
}

func loadScenarios(t *testing.T) map[string]scenario {
	t.Helper()
	files, err := filepath.Glob("testdata/scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	out := map[string]scenario{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var sc scenario
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&sc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = sc
	}
	return out
}

func scenarioMachine(t *testing.T, sc scenario) (*Machine, int64) {
	t.Helper()
	base := int64(1748736000) // 2025-06-01T00:00:00Z
	if sc.Base != "" {
		bt, err := time.Parse(time.RFC3339, sc.Base)
		if err != nil {
			t.Fatal(err)
		}
		base = bt.Unix()
	}
	cfg := DefaultConfig()
	cfg.CountryOf = func(c []byte) string {
		if strings.HasPrefix(string(c), "55") {
			return "br"
		}
		return "unknown"
	}
	cfg.ParseLimit = func(tier string) (float64, bool) {
		v, ok := map[string]float64{"TIER_1K": 1000, "TIER_10K": 10000}[tier]
		return v, ok
	}
	if sc.Config.AllowedLateness != nil {
		cfg.AllowedLateness = time.Duration(*sc.Config.AllowedLateness) * time.Second
	}
	if sc.Config.Keywords != nil {
		cfg.OptOutKeywords = sc.Config.Keywords
	}
	if sc.Config.MaxMessages > 0 {
		cfg.MaxMessages = sc.Config.MaxMessages
	}
	if sc.Config.OptInKeywords != nil {
		cfg.OptInKeywords = sc.Config.OptInKeywords
	}
	if sc.Config.RateCard != nil {
		cfg.RateCard = &RateCard{Currency: "EUR", Default: map[model.Category]float64{}}
		for c, p := range sc.Config.RateCard {
			cfg.RateCard.Default[model.ParseCategory([]byte(c))] = p
		}
	}
	for _, q := range sc.Config.Quotas {
		loc := time.UTC
		if q.Timezone != "" {
			l, err := time.LoadLocation(q.Timezone)
			if err != nil {
				t.Fatal(err)
			}
			loc = l
		}
		wq := Quota{Name: q.Name, Limit: q.Limit, Location: loc}
		switch q.Unit {
		case "billable_messages":
			wq.Unit = UnitBillableMessages
		case "delivered_messages":
			wq.Unit = UnitDeliveredMessages
		case "billable":
			wq.Unit = UnitBillable
		}
		cfg.Quotas = append(cfg.Quotas, wq)
	}
	for _, p := range sc.Config.Portfolios {
		cfg.Portfolios = append(cfg.Portfolios, Portfolio{Name: p.Name, Businesses: p.Businesses, Wabas: p.Wabas, Limit: p.Limit})
	}
	cc := sc.Config.Campaigns
	cfg.Campaigns = campaign.Config{MaxCampaigns: cc.MaxCampaigns, MaxVariants: cc.MaxVariants, Campaigns: cc.Allow,
		ExpireAfter: time.Duration(cc.ExpireAfter) * time.Second, AttributionWindow: time.Duration(cc.AttributionWindow) * time.Second,
		Attribution: cc.Attribution}
	return New(cfg), base
}

func runScenario(t *testing.T, sc scenario, events []scEvent) map[string]float64 {
	m, base := scenarioMachine(t, sc)
	for _, e := range events {
		if e.Kind == "tick" {
			m.Tick(base + e.T)
			continue
		}
		for i := 0; i <= e.Repeat; i++ {
			ev := e.toModel(base)
			m.Apply(&ev)
		}
	}
	if sc.Flush == nil || *sc.Flush {
		m.Flush()
	}
	now := m.Watermark()
	if sc.At != nil {
		now = base + *sc.At
	}
	return flatten(m, now, base)
}

// flatten turns the machine's counters and scrape view into "name.label.label" keys,
// summed over phone numbers (and countries); zero values are left out.
func flatten(m *Machine, now, base int64) map[string]float64 {
	out := map[string]float64{}
	add := func(v float64, parts ...string) {
		if v != 0 {
			out[strings.Join(parts, ".")] += v
		}
	}
	view := m.View(now)
	for i, b := range m.Businesses() {
		for mt := model.MessageType(0); mt < model.NumMessageType; mt++ {
			add(float64(b.Inbound[mt]), "inbound", mt.String())
		}
		for c := model.Category(0); c < model.NumCategory; c++ {
			cs := c.String()
			add(float64(b.Outbound[c]), "outbound", cs)
			for f := range NumFunnel {
				add(float64(b.Status[c][f]), "status", cs, funnelNames[f])
			}
			add(float64(b.SentToDelivered[c].Count), "sent_to_delivered.count", cs)
			add(b.SentToDelivered[c].Sum, "sent_to_delivered.sum", cs)
			add(float64(b.DeliveredToRead[c].Count), "delivered_to_read.count", cs)
			add(b.DeliveredToRead[c].Sum, "delivered_to_read.sum", cs)
			add(float64(b.ConversationsOpened[c]), "conversations_opened", cs)
			add(float64(b.ReplyEligible[c]), "reply_eligible", cs)
			for a := range NumAttribution {
				add(float64(b.Replies[c][a]), "replies", cs, attributionNames[a])
			}
			add(b.Cost[c], "cost", cs)
			add(float64(view.Businesses[i].ConversationsOpen[c]), "conversations_open", cs)
		}
		for k, n := range b.Failed {
			add(float64(n), "failed", k.Category.String(), k.Code)
		}
		for k, n := range b.WebhookErrors {
			add(float64(n), "webhook_errors", k)
		}
		for k, n := range b.Priced {
			add(float64(n), "priced", k.Category.String(), k.PricingType.String())
			add(float64(n), "priced_country", m.CountryName(k.Country))
		}
		for f := range NumMismatch {
			add(float64(b.Mismatches[f]), "mismatches", mismatchNames[f])
		}
		for s := range NumSource {
			add(float64(b.OptOuts[s]), "opt_outs", sourceNames[s])
			add(float64(b.OptIns[s]), "opt_ins", sourceNames[s])
		}
		add(float64(b.FEPWindowsOpened), "fep_windows_opened")
		add(float64(b.OptedOutCustomers), "opted_out_customers")
		add(float64(b.ServiceWindowsOpened), "service_windows_opened")
		add(float64(b.ServiceWindowsClosed), "service_windows_closed")
		add(float64(b.ServiceWindowsClosedUnanswered), "service_windows_closed_unanswered")
		add(float64(b.FirstResponse.Count), "first_response.count")
		add(b.FirstResponse.Sum, "first_response.sum")
		add(float64(b.Response.Count), "response.count")
		add(b.Response.Sum, "response.sum")
		for ev, n := range b.QualityEvents {
			add(float64(n), "quality_events", ev)
		}
		if b.LimitKnown {
			add(b.Limit, "messaging_limit")
		}
		add(1, "rating", b.Rating.String())
		bv := view.Businesses[i]
		add(float64(bv.ServiceWindowsOpen), "service_windows_open")
		add(float64(bv.Unanswered), "unanswered")
		if bv.OldestUnanswered != 0 {
			add(float64(bv.OldestUnanswered-base), "oldest_unanswered")
		}
		for w, name := range activeWindowNames {
			add(float64(bv.Active[w]), "active", name)
		}
		add(float64(bv.UniqueRecipients24h), "unique_recipients_24h")
	}
	for _, p := range view.Portfolios {
		add(float64(p.UniqueRecipients24h), "portfolio_recipients_24h", p.Name)
		if p.LimitSource != LimitUnknown {
			add(p.Limit, "portfolio_limit", p.Name, limitSourceNames[p.LimitSource])
		}
	}
	for _, a := range m.Accounts() {
		for ev, n := range a.Events {
			add(float64(n), "account_events", a.ID, ev)
		}
		add(1, "account_status", a.ID, accountStatusNames[a.Status(now)])
		for c, t := range a.Tiers {
			add(t.Value, "volume_tier", a.ID, c.String())
		}
	}
	for k, name := range evictKindNames {
		add(float64(view.Entries[k]), "entries", name)
	}
	for _, q := range view.Quotas {
		add(q.Used, "quota_used", q.Name)
		add(q.Consumed, "quota_consumed", q.Name)
		add(float64(q.Start-base), "quota_start", q.Name)
	}
	cv := m.Campaigns()
	for _, f := range cv.Funnel {
		for s := range NumCampaignStatus {
			add(float64(f.Status[s]), "campaign", f.Campaign, f.Variant, campaignStatusNames[s])
		}
		add(float64(f.Replies), "campaign_replies", f.Campaign, f.Variant)
		add(float64(f.Clicks), "campaign_clicks", f.Campaign, f.Variant)
		add(float64(f.OptOuts), "campaign_opt_outs", f.Campaign, f.Variant)
		add(1, "campaign_series", f.Campaign, f.Variant)
	}
	for _, l := range cv.Latency {
		add(float64(l.Hist.Count), "campaign_read_latency.count", l.Campaign, l.Variant)
		add(l.Hist.Sum, "campaign_read_latency.sum", l.Campaign, l.Variant)
	}
	for _, c := range cv.Conversions {
		add(float64(c.Count), "campaign_conversions", c.Campaign, c.Variant, c.Key)
	}
	for _, c := range cv.Values {
		add(c.Value, "campaign_value", c.Campaign, c.Variant, c.Key)
	}
	add(float64(cv.Stats.CampaignOverflow), "campaign_overflow.campaign")
	add(float64(cv.Stats.VariantOverflow), "campaign_overflow.variant")
	for r, n := range cv.Stats.Refused {
		add(float64(n), "campaign_refused", campaign.RefuseReasonNames[r])
	}
	add(float64(m.self.DuplicateStatus), "duplicates.status")
	add(float64(m.self.DuplicateMessage), "duplicates.message")
	add(float64(m.self.OutOfOrderStatus), "out_of_order.status")
	add(float64(m.self.OutOfOrderLatency), "out_of_order.latency")
	add(float64(m.self.OutOfOrderLate), "out_of_order.late")
	for k, name := range evictKindNames {
		add(float64(m.self.Evictions[k][ReasonCapacity]), "evictions", name, "capacity")
		add(float64(m.self.Evictions[k][ReasonTTL]), "evictions", name, "ttl")
	}
	return out
}

// TestScenarios runs every scenario file and compares the expected keys. A key expected
// at 0 must be absent (zero); keys not named are not checked.
func TestScenarios(t *testing.T) {
	for file, sc := range loadScenarios(t) {
		t.Run(strings.TrimSuffix(file, ".yaml"), func(t *testing.T) {
			if len(sc.Expect) == 0 {
				t.Fatal("scenario has no expectations")
			}
			got := runScenario(t, sc, sc.Events)
			var bad []string
			for k, want := range sc.Expect {
				if got[k] != want {
					bad = append(bad, fmt.Sprintf("%s = %v, want %v", k, got[k], want))
				}
			}
			if len(bad) > 0 {
				sort.Strings(bad)
				keys := make([]string, 0, len(got))
				for k, v := range got {
					keys = append(keys, fmt.Sprintf("%s=%v", k, v))
				}
				sort.Strings(keys)
				t.Errorf("%s:\n  %s\nall values:\n  %s", sc.Name, strings.Join(bad, "\n  "), strings.Join(keys, "\n  "))
			}
		})
	}
}

// TestInterleavingProperty: for random arrival orders (within the allowed lateness) and
// duplications (at any later time) of the same webhooks, the final counters are the same.
// Labels that depend on what arrived first (the category a status is counted under before
// its pricing is known, latencies that a skipped stage stands in for) are compared as
// totals; the self-metrics about order are not compared.
func TestInterleavingProperty(t *testing.T) {
	for file, sc := range loadScenarios(t) {
		if strings.HasPrefix(file, "late-") || sc.Config.MaxMessages > 0 {
			continue // scenarios about lateness and eviction themselves
		}
		if strings.HasPrefix(file, "conversion-") || strings.HasPrefix(file, "campaign-caps") {
			// Conversions are never deduplicated (a repeated line is another one), and
			// attributed as lines come; label caps keep the first values to arrive.
			continue
		}
		t.Run(strings.TrimSuffix(file, ".yaml"), func(t *testing.T) {
			want := orderFree(runScenario(t, sc, sc.Events))
			lateness := int64(DefaultConfig().AllowedLateness / time.Second)
			if sc.Config.AllowedLateness != nil {
				lateness = *sc.Config.AllowedLateness
			}
			rng := rand.New(rand.NewSource(int64(len(file))))
			for round := 0; round < 30; round++ {
				type arrival struct {
					at int64
					e  scEvent
				}
				var arr []arrival
				for _, e := range sc.Events {
					if e.Kind == "tick" {
						arr = append(arr, arrival{e.T + lateness, e})
						continue
					}
					arr = append(arr, arrival{e.T + rng.Int63n(lateness/2+1), e})
				}
				for i := 0; i < 3; i++ {
					e := sc.Events[rng.Intn(len(sc.Events))]
					if e.Kind == "tick" {
						continue
					}
					e.Repeat = 0
					arr = append(arr, arrival{e.T + rng.Int63n(3*day), e})
				}
				sort.SliceStable(arr, func(i, j int) bool { return arr[i].at < arr[j].at })
				evs := make([]scEvent, len(arr))
				for i, a := range arr {
					evs[i] = a.e
				}
				got := orderFree(runScenario(t, sc, evs))
				if d := diff(want, got); d != "" {
					t.Fatalf("round %d: arrival order changed the result:\n%s", round, d)
				}
			}
		})
	}
}

func orderFree(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		switch {
		case strings.HasPrefix(k, "duplicates"), strings.HasPrefix(k, "out_of_order"),
			strings.Contains(k, "_to_"), strings.HasPrefix(k, "evictions"), strings.HasPrefix(k, "entries"):
		case strings.HasPrefix(k, "status."):
			parts := strings.Split(k, ".")
			out["status_total."+parts[len(parts)-1]] += v
		case strings.HasPrefix(k, "failed."):
			parts := strings.Split(k, ".")
			out["failed_total."+parts[len(parts)-1]] += v
		case strings.HasPrefix(k, "outbound."):
			out["outbound_total"] += v
		default:
			out[k] = v
		}
	}
	return out
}

func diff(a, b map[string]float64) string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, fmt.Sprintf("%s: %v -> %v", k, v, b[k]))
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			out = append(out, fmt.Sprintf("%s: 0 -> %v", k, v))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// TestSnapshotRestoreMidway: stopping after any event, snapshotting, restoring into a new
// Machine and going on gives the same final state as an uninterrupted run.
func TestSnapshotRestoreMidway(t *testing.T) {
	for file, sc := range loadScenarios(t) {
		t.Run(strings.TrimSuffix(file, ".yaml"), func(t *testing.T) {
			want := runScenario(t, sc, sc.Events)
			for cut := 0; cut <= len(sc.Events); cut++ {
				m, base := scenarioMachine(t, sc)
				apply := func(m *Machine, evs []scEvent) {
					for _, e := range evs {
						if e.Kind == "tick" {
							m.Tick(base + e.T)
							continue
						}
						for i := 0; i <= e.Repeat; i++ {
							ev := e.toModel(base)
							m.Apply(&ev)
						}
					}
				}
				apply(m, sc.Events[:cut])
				snap := m.Snapshot()
				m2, err := Restore(m.Config(), snap)
				if err != nil {
					t.Fatalf("cut %d: %v", cut, err)
				}
				if again := m2.Snapshot(); len(again) != len(snap) {
					t.Fatalf("cut %d: re-snapshot is %d bytes, first was %d", cut, len(again), len(snap))
				}
				apply(m2, sc.Events[cut:])
				if sc.Flush == nil || *sc.Flush {
					m2.Flush()
				}
				now := m2.Watermark()
				if sc.At != nil {
					now = base + *sc.At
				}
				if d := diff(want, flatten(m2, now, base)); d != "" {
					t.Fatalf("cut after %d events: restored run differs:\n%s", cut, d)
				}
			}
		})
	}
}

func TestRestoreRejectsBadInput(t *testing.T) {
	m := New(DefaultConfig())
	ev := model.Event{Kind: model.KindInbound, Business: []byte("1"), Customer: []byte("5511"), MessageID: []byte("x"), Time: 1754006400}
	m.Apply(&ev)
	snap := m.Snapshot()
	for name, data := range map[string][]byte{
		"truncated": snap[:len(snap)/2],
		"trailing":  append(append([]byte(nil), snap...), 1, 2, 3),
		"empty":     nil,
	} {
		if _, err := Restore(DefaultConfig(), data); err == nil {
			t.Errorf("%s: Restore accepted it", name)
		}
	}
	other := DefaultConfig()
	other.HashKey = 42
	if _, err := Restore(other, snap); err == nil {
		t.Error("Restore accepted a snapshot taken with another hash key")
	}
}
