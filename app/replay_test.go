package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/waba-exporter/waba_exporter/config"
	"github.com/waba-exporter/waba_exporter/exporter"
)

const genTool = "../../shared/tools/gen_webhooks.py"

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
}

func generate(t *testing.T, pricing string, lines int) (string, groundTruth) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs python3 and the reference generator beside the checkout (../shared)")
	}
	if _, err := os.Stat(genTool); err != nil {
		t.Fatalf("the generator %s is missing: ../shared must be beside the checkout (%v)", genTool, err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "gen.ndjson")
	stats := filepath.Join(dir, "gen.stats.json")
	cmd := exec.Command("python3", genTool, "--lines", fmt.Sprint(lines), "--seed", "7", "--pricing", pricing, "--out", out, "--stats", stats)
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

func replayGenerated(t *testing.T, file string) func(name string, labels ...string) map[string]float64 {
	t.Helper()
	p, _, err := ReplayPipeline(context.Background(), config.Default(), []string{file}, nil, nil)
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

// TestReplayMatchesGeneratorGroundTruth replays logs of the reference generator (genTool) in
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

			// Conversations: CBP ones by origin, PMP free entry points as referral_conversion.
			wantConv := map[string]float64{}
			for k, v := range gt.ConversationsByCat {
				wantConv[k] = v
			}
			wantConv["referral_conversion"] += gt.PMPFEPWindows
			equalMaps(t, "conversations", get("waba_conversations_opened_total", "category"), wantConv)

			// Priced messages by type and category: PMP as reported; CBP by category, with
			// service free and referral conversions free entry points.
			wantPriced := map[string]float64{}
			for typ, cats := range gt.PMPDelivered {
				for cat, n := range cats {
					wantPriced[typ+"/"+cat] += n
				}
			}
			for cat, n := range gt.CBPDeliveredByCat {
				typ := "regular"
				switch cat {
				case "service":
					typ = "free_customer_service"
				case "referral_conversion":
					typ = "free_entry_point"
				}
				wantPriced[typ+"/"+cat] += n
			}
			equalMaps(t, "priced", get("waba_outbound_messages_priced_total", "pricing_type", "category"), wantPriced)

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
