package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/waba-exporter/waba_exporter/internal/config"
	"github.com/waba-exporter/waba_exporter/internal/exporter"

	"github.com/waba-exporter/waba_exporter/internal/testutil"
)

// groundTruth is the part of gen_webhooks.py --stats that a replay must reproduce.
type groundTruth struct {
	StatusesUnique     map[string]float64            `json:"statuses_by_status_unique"`
	InboundUnique      map[string]float64            `json:"inbound_by_type_unique"`
	ConversationsByCat map[string]float64            `json:"conversations_opened_by_category"`
	PMPFEPWindows      float64                       `json:"pmp_fep_windows_opened"`
	CBPDeliveredByCat  map[string]float64            `json:"cbp_delivered_by_category"`
	PMPDelivered       map[string]map[string]float64 `json:"pmp_delivered_by_type_and_category"`
	DeliveredByModel   map[string]float64            `json:"delivered_by_pricing_model"`
	OptOuts            map[string]float64            `json:"opt_outs_by_source"`
	CustomersByPhone   map[string]float64            `json:"unique_inbound_customers_by_phone_number_id"`
	CustomersByID      map[string]float64            `json:"customers_by_identity"`
	BIRecipients       struct {
		ByPhone map[string]float64 `json:"by_phone_number_id"`
		ByWABA  map[string]float64 `json:"by_waba_id"`
		End     int64              `json:"window_end_ts"`
	} `json:"business_initiated_unique_recipients_24h"`
	CapabilityLimit map[string]float64 `json:"capability_limit_last_by_waba"`
	AccountUpdates  map[string]float64 `json:"account_updates_by_event"`
}

// genOptions are the generator's options for 2025-2026 traffic that every replay test
// runs with: API v23 (a conversation object with a fresh id on every PMP-priced status),
// 30% of customers with a business-scoped user id (a third of them BSUID-only, a third
// switching from phone to BSUID mid-log), and portfolio limits and account updates.
var genOptions = []string{"--api-version", "23", "--bsuid-share", "0.3", "--capability-updates"}

func generate(t *testing.T, pricing string, lines int) (string, groundTruth) {
	t.Helper()
	python, script := testutil.Generator(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "gen.ndjson")
	stats := filepath.Join(dir, "gen.stats.json")
	args := append([]string{script, "--lines", fmt.Sprint(lines), "--seed", "7", "--pricing", pricing, "--out", out, "--stats", stats}, genOptions...)
	cmd := exec.Command(python, args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen_webhooks.py: %v\n%s", err, b)
	}
	var gt groundTruth
	data, err := os.ReadFile(stats)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &gt); err != nil {
		t.Fatal(err)
	}
	return out, gt
}

// sums gathers the replayed pipeline and sums each family's values by the given labels.
func sums(t *testing.T, reg prometheus.Gatherer) func(name string, labels ...string) map[string]float64 {
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		byName[mf.GetName()] = mf
	}
	return func(name string, labels ...string) map[string]float64 {
		out := map[string]float64{}
		mf := byName[name]
		if mf == nil {
			return out
		}
		for _, m := range mf.Metric {
			key := ""
			for _, want := range labels {
				for _, l := range m.Label {
					if l.GetName() == want {
						if key != "" {
							key += "/"
						}
						key += l.GetValue()
					}
				}
			}
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			if v != 0 {
				out[key] += v
			}
		}
		return out
	}
}

// replayConfig has a quota of each unit whose figures the ground truth gives, over the
// whole log (a period far longer than the month: reset day 1, the log starts later).
const replayConfig = `
quotas:
  - {name: conv, limit: 1000000, unit: conversations}
  - {name: billable, limit: 1000000, unit: billable}
  - {name: billable-messages, limit: 1000000, unit: billable_messages}
`

func replayGenerated(t *testing.T, file string) func(name string, labels ...string) map[string]float64 {
	t.Helper()
	cfg, err := config.Parse([]byte(replayConfig), "replay.yml")
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := ReplayPipeline(context.Background(), cfg, []string{file}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &exporter.Collector{P: p, Health: &exporter.Health{}, EventTimeOnly: true}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	return sums(t, reg)
}

// uniqueFailures counts failed statuses by error code, deduplicated by message id, read
// independently from the log (the generator's failed_by_error_code counts retried
// webhooks again).
func uniqueFailures(t *testing.T, file string) map[string]float64 {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type status struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Errors []struct {
			Code int `json:"code"`
		} `json:"errors"`
	}
	var body struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Statuses []status `json:"statuses"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	seen := map[string]bool{}
	out := map[string]float64{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		body.Entry = nil
		if json.Unmarshal(sc.Bytes(), &body) != nil {
			continue
		}
		for _, e := range body.Entry {
			for _, c := range e.Changes {
				for _, s := range c.Value.Statuses {
					if s.Status != "failed" || seen[s.ID] || len(s.Errors) == 0 {
						continue
					}
					seen[s.ID] = true
					out[fmt.Sprint(s.Errors[0].Code)]++
				}
			}
		}
	}
	return out
}

func equalMaps(t *testing.T, what string, got, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		if v != 0 && got[k] != v {
			t.Errorf("%s[%s] = %v, want %v", what, k, got[k], v)
		}
	}
	for k, v := range got {
		if want[k] == 0 && v != 0 {
			t.Errorf("%s[%s] = %v, want 0", what, k, v)
		}
	}
}

// TestReplayMatchesGeneratorGroundTruth replays logs of the reference generator (testutil.Generator) in
// the three pricing eras and compares with the generator's ground truth (issues 2 and 8).
func TestReplayMatchesGeneratorGroundTruth(t *testing.T) {
	for _, pricing := range []string{"cbp", "pmp", "mixed"} {
		t.Run(pricing, func(t *testing.T) {
			t.Parallel()
			file, gt := generate(t, pricing, 20000)
			get := replayGenerated(t, file)

			// Statuses: read implies delivered.
			wantStatus := map[string]float64{"sent": gt.StatusesUnique["sent"], "read": gt.StatusesUnique["read"]}
			for _, n := range gt.DeliveredByModel {
				wantStatus["delivered"] += n
			}
			equalMaps(t, "status", get("waba_outbound_message_status_total", "status"), wantStatus)
			fails := get("waba_outbound_messages_failed_total", "error_code")
			equalMaps(t, "failed", fails, uniqueFailures(t, file))
			var total float64
			for _, n := range fails {
				total += n
			}
			if total != gt.StatusesUnique["failed"] {
				t.Errorf("failures = %v, want %v", total, gt.StatusesUnique["failed"])
			}
			equalMaps(t, "inbound", get("waba_inbound_messages_total", "message_type"), gt.InboundUnique)

			// Conversations: CBP ones only, by origin (a v23 conversation object on a
			// PMP-priced status is none); free entry point windows in both eras.
			equalMaps(t, "conversations", get("waba_conversations_opened_total", "category"), gt.ConversationsByCat)
			wantFEP := map[string]float64{"": gt.ConversationsByCat["referral_conversion"] + gt.PMPFEPWindows}
			equalMaps(t, "free entry point windows", get("waba_free_entry_point_windows_opened_total"), wantFEP)

			// Priced messages by type and category: PMP-era messages only, as reported
			// (CBP-era ones are charged through their conversation).
			wantPriced := map[string]float64{}
			var regular float64
			for typ, cats := range gt.PMPDelivered {
				for cat, n := range cats {
					wantPriced[typ+"/"+cat] += n
					if typ == "regular" {
						regular += n
					}
				}
			}
			equalMaps(t, "priced", get("waba_outbound_messages_priced_total", "pricing_type", "category"), wantPriced)

			// Quotas: conversations counts CBP conversations; billable counts billable CBP
			// conversations (all but service and referral_conversion) and PMP regular
			// messages; billable_messages PMP regular messages.
			var conv, billableConv float64
			for cat, n := range gt.ConversationsByCat {
				conv += n
				if cat != "service" && cat != "referral_conversion" {
					billableConv += n
				}
			}
			equalMaps(t, "quota consumed", get("waba_quota_consumed_total", "quota"),
				map[string]float64{"conv": conv, "billable": billableConv + regular, "billable-messages": regular})
			if pricing == "pmp" {
				// A v23 PMP month: a conversations quota does not move after 2025-07-01.
				if used := get("waba_quota_used", "quota")["conv"]; used != 0 {
					t.Errorf("conversations quota used %v in a PMP month, want 0", used)
				}
			}

			// Customers (SPEC 4.9): one customer whatever identifiers it showed. The log
			// spans less than 30 days, so the 30d active customers are every customer
			// with an inbound message.
			if gt.CustomersByID["bsuid_only"] == 0 || gt.CustomersByID["switched"] == 0 {
				t.Fatalf("the generator made no BSUID-only or switching customers: %v", gt.CustomersByID)
			}
			active := get("waba_active_customers", "phone_number_id", "window")
			gotActive := map[string]float64{}
			for k, v := range active {
				if phone, ok := strings.CutSuffix(k, "/30d"); ok {
					gotActive[phone] = v
				}
			}
			equalMaps(t, "customers (30d active)", gotActive, gt.CustomersByPhone)
			// Every customer of the log, whatever identifiers it showed, is one state
			// entry (the generator's customers each write to one number of a month).
			var customers float64
			for _, n := range gt.CustomersByID {
				customers += n
			}
			equalMaps(t, "customer state entries", map[string]float64{"": get("waba_exporter_state_entries", "kind")["customer"]}, map[string]float64{"": customers})

			// Messaging limit: unique customers delivered a business-initiated message in
			// the trailing 24h, per number and per portfolio (one per WABA here).
			equalMaps(t, "business-initiated recipients by number", get("waba_business_initiated_unique_recipients_24h", "phone_number_id"), gt.BIRecipients.ByPhone)
			equalMaps(t, "business-initiated recipients by portfolio", get("waba_portfolio_business_initiated_unique_recipients_24h", "portfolio"), gt.BIRecipients.ByWABA)
			wantLimit := map[string]float64{}
			for waba, l := range gt.CapabilityLimit {
				if l < 0 {
					l = math.Inf(1)
				}
				wantLimit[waba+"/webhook"] = l
			}
			equalMaps(t, "portfolio limits", get("waba_portfolio_messaging_limit_recipients", "portfolio", "source"), wantLimit)

			// Account health: events once per update (Meta's duplicate tier update too).
			wantAccount := map[string]float64{}
			for ev, n := range gt.AccountUpdates {
				wantAccount[strings.ToLower(ev)] += n
			}
			equalMaps(t, "account events", get("waba_account_events_total", "event"), wantAccount)

			var priced, mismatches float64
			for _, n := range wantPriced {
				priced += n
			}
			for _, n := range get("waba_pricing_mismatches_total", "field") {
				mismatches += n
			}
			if mismatches > 0.001*priced {
				t.Errorf("pricing mismatches %v > 0.1%% of %v priced messages", mismatches, priced)
			}
			t.Logf("%s: %v priced messages, %v mismatches (%.3f%%)", pricing, priced, mismatches, 100*mismatches/priced)
			equalMaps(t, "opt_outs", get("waba_opt_outs_total", "source"), gt.OptOuts)
		})
	}
}

// campaignTruth is the `campaigns` ground truth of gen_webhooks.py --campaigns.
type campaignTruth struct {
	Funnel          map[string]map[string]map[string]float64 `json:"funnel"`
	Replies         map[string]map[string]float64            `json:"replies"`
	Clicks          map[string]map[string]float64            `json:"button_clicks"`
	OptOuts         map[string]map[string]float64            `json:"opt_outs"`
	Conversions     map[string]map[string]map[string]float64 `json:"conversions"`
	ConversionValue map[string]map[string]map[string]float64 `json:"conversion_value"`
	Diagnostics     struct {
		Late        float64 `json:"messages_tagged_after_first_status"`
		AfterWindow float64 `json:"conversions_after_window"`
	} `json:"diagnostics"`
}

// TestReplayMatchesCampaignGroundTruth replays gen_webhooks.py --campaigns logs (tagged
// marketing bursts, button replies, conversion lines; 20% of customers with a BSUID) in
// the three pricing eras and compares every campaign figure with the generator's ground
// truth (issue 16): the funnel, replies, clicks, opt-outs, conversions by name and their
// value to the cent.
func TestReplayMatchesCampaignGroundTruth(t *testing.T) {
	for _, pricing := range []string{"cbp", "pmp", "mixed"} {
		t.Run(pricing, func(t *testing.T) {
			t.Parallel()
			python, script := testutil.Generator(t)
			dir := t.TempDir()
			out, stats := filepath.Join(dir, "gen.ndjson"), filepath.Join(dir, "gen.stats.json")
			cmd := exec.Command(python, script, "--lines", "30000", "--seed", "11", "--pricing", pricing,
				"--out", out, "--stats", stats, "--api-version", "23", "--bsuid-share", "0.2", "--campaigns")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("gen_webhooks.py: %v\n%s", err, b)
			}
			data, err := os.ReadFile(stats)
			if err != nil {
				t.Fatal(err)
			}
			var st struct {
				Campaigns campaignTruth `json:"campaigns"`
			}
			if err := json.Unmarshal(data, &st); err != nil {
				t.Fatal(err)
			}
			gt := st.Campaigns
			if len(gt.Funnel) < 2 || gt.Diagnostics.Late == 0 || gt.Diagnostics.AfterWindow == 0 {
				t.Fatalf("the generated log does not exercise campaigns enough: %+v", gt.Diagnostics)
			}
			get := replayGenerated(t, out)

			flat2 := func(m map[string]map[string]float64) map[string]float64 {
				o := map[string]float64{}
				for c, vs := range m {
					for v, n := range vs {
						o[c+"/"+v] = n
					}
				}
				return o
			}
			flat3 := func(m map[string]map[string]map[string]float64) map[string]float64 {
				o := map[string]float64{}
				for c, vs := range m {
					for v, ks := range vs {
						for k, n := range ks {
							o[c+"/"+v+"/"+k] = n
						}
					}
				}
				return o
			}
			equalMaps(t, "funnel", get("waba_campaign_messages_total", "campaign", "variant", "status"), flat3(gt.Funnel))
			equalMaps(t, "replies", get("waba_campaign_replies_total", "campaign", "variant"), flat2(gt.Replies))
			equalMaps(t, "clicks", get("waba_campaign_button_clicks_total", "campaign", "variant"), flat2(gt.Clicks))
			equalMaps(t, "opt-outs", get("waba_campaign_opt_outs_total", "campaign", "variant"), flat2(gt.OptOuts))
			equalMaps(t, "conversions", get("waba_campaign_conversions_total", "campaign", "variant", "name"), flat3(gt.Conversions))
			// Values to the cent.
			gotV := get("waba_campaign_conversion_value_total", "campaign", "variant", "currency")
			for k, v := range gotV {
				gotV[k] = math.Round(v*100) / 100
			}
			equalMaps(t, "conversion value", gotV, flat3(gt.ConversionValue))
		})
	}
}
