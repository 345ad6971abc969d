package campaign

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
	"github.com/waba-exporter/waba_exporter/webhook"
)

const genScript = "../../shared/tools/gen_webhooks.py"

// genTruth is the part of the generator's --stats campaigns ground truth checked here.
type genTruth struct {
	Campaigns struct {
		Funnel          map[string]map[string]map[string]int     `json:"funnel"`
		ButtonClicks    map[string]map[string]int                `json:"button_clicks"`
		OptOuts         map[string]map[string]int                `json:"opt_outs"`
		Conversions     map[string]map[string]map[string]int     `json:"conversions"`
		ConversionValue map[string]map[string]map[string]float64 `json:"conversion_value"`
		Diagnostics     struct {
			MessagesTaggedAfterFirstStatus int `json:"messages_tagged_after_first_status"`
			AttributionsDecidedByLogOrder  int `json:"attributions_decided_by_log_order"`
		} `json:"diagnostics"`
	} `json:"campaigns"`
}

type msgInfo struct {
	ref      Ref
	d        int64   // first delivered/read time seen, 0 none
	steps    [4]bool // sent, delivered (or read), read, failed
	customer string  // business + recipient
}

// TestGeneratorCampaignGroundTruth decodes generated months with --campaigns in the three
// pricing eras and rebuilds, from the decoded events and this package alone (no state
// machine), the funnel per campaign and variant, the button clicks, the opt-outs
// (user_preferences stop, 131050 failures, STOP/UNSUBSCRIBE text or button; first write
// of each line) and the conversions with their last-touch attribution (7 days, Record/Attribute over per-customer lists),
// which must equal the generator's ground truth exactly. The attribution is computed
// once the whole log is read, as the ground truth is; the bounded list (MaxTouches 4)
// must give the same result as an unbounded one.
func TestGeneratorCampaignGroundTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the generator")
	}
	if _, err := os.Stat(genScript); err != nil {
		t.Fatal("the generator " + genScript + " is missing: ../shared must be beside the checkout")
	}
	for _, pricing := range []string{"cbp", "pmp", "mixed"} {
		t.Run(pricing, func(t *testing.T) {
			dir := t.TempDir()
			out, stats := filepath.Join(dir, "gen.jsonl"), filepath.Join(dir, "stats.json")
			cmd := exec.Command("python3", genScript, "--lines", "30000", "--campaigns", "--pricing", pricing,
				"--seed", "7", "--out", out, "--stats", stats)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("gen_webhooks.py: %v\n%s", err, b)
			}
			var truth genTruth
			b, err := os.ReadFile(stats)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &truth); err != nil {
				t.Fatal(err)
			}
			checkGenerated(t, out, &truth)
		})
	}
}

func checkGenerated(t *testing.T, path string, truth *genTruth) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tbl := mustTable(t, Config{})
	week := int64(DefaultAttributionWindow.Seconds())
	msgs := map[string]*msgInfo{}
	seenInbound := map[string]bool{}
	type click struct{ context string }
	var clicks []click
	type conv struct {
		customer, name, currency string
		t                        int64
		value                    float64
	}
	var convs []conv
	type signal struct {
		customer string
		t        int64
	}
	var signals []signal // opt-out signals, first write of each line
	seenLine := map[uint64]bool{}
	// per customer: bounded and unbounded touch lists, fed in log order
	bounded, unbounded := map[string][]Touch{}, map[string][]Touch{}
	// stream: what a state machine gets recording, as lines come, only the deliveries of
	// messages whose tag it knows (and a delivery when its tag arrives later)
	stream := map[string][]Touch{}
	keys := map[string]uint64{}
	key := func(id string) uint64 {
		k, ok := keys[id]
		if !ok {
			k = uint64(len(keys) + 1)
			keys[id] = k
		}
		return k
	}
	type delivery struct {
		id, customer string
		t            int64
	}
	var deliveries []delivery // every delivered/read status in log order
	dec := webhook.NewDecoder(webhook.Options{})
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	taggedLater := 0
	for sc.Scan() {
		h := fnv.New64a()
		h.Write(sc.Bytes())
		retry := seenLine[h.Sum64()]
		seenLine[h.Sum64()] = true
		evs, err := dec.Decode(sc.Bytes(), 0)
		var perr *webhook.ParseError
		if errors.As(err, &perr) && perr.Reason != webhook.ReasonUnknownFormat {
			// value-level errors and other fields decode; no line of the generator is bad
			t.Fatalf("decode: %v", perr)
		}
		for i := range evs {
			ev := &evs[i]
			switch ev.Kind {
			case model.KindStatus:
				id := string(ev.MessageID)
				m := msgs[id]
				if m == nil {
					m = &msgInfo{customer: string(ev.Business) + "/" + string(ev.Customer)}
					msgs[id] = m
				}
				if m.ref == 0 && len(ev.CampaignTag) > 0 {
					r, o := tbl.Tag(ev.CampaignTag, ev.Time)
					switch o {
					case Refused:
						t.Fatalf("tag %q refused", ev.CampaignTag)
					case Tagged:
						if m.steps != [4]bool{} {
							taggedLater++
						}
						m.ref = r
						if m.d != 0 {
							// the tag comes after a delivery: record it now (window-style)
							stream[m.customer] = Record(stream[m.customer], Touch{Time: m.d, Key: key(id), Ref: r}, DefaultMaxTouches)
						}
					}
				}
				switch ev.Status {
				case model.StatusSent:
					m.steps[0] = true
				case model.StatusDelivered, model.StatusRead:
					m.steps[1] = true
					if ev.Status == model.StatusRead {
						m.steps[2] = true
					}
					deliveries = append(deliveries, delivery{id, m.customer, ev.Time})
					if m.d == 0 || ev.Time < m.d {
						m.d = ev.Time
					}
					if m.ref != 0 {
						stream[m.customer] = Record(stream[m.customer], Touch{Time: ev.Time, Key: key(id), Ref: m.ref}, DefaultMaxTouches)
					}
				case model.StatusFailed:
					m.steps[3] = true
					if ev.ErrorCode == 131050 && !retry {
						signals = append(signals, signal{m.customer, ev.Time})
					}
				}
			case model.KindInbound:
				id := string(ev.MessageID)
				if seenInbound[id] {
					continue
				}
				seenInbound[id] = true
				if kw := strings.ToUpper(strings.TrimSpace(string(ev.Payload) + string(ev.Text))); (kw == "STOP" || kw == "UNSUBSCRIBE") &&
					(ev.MessageType == model.MessageTypeText || ev.MessageType == model.MessageTypeButton) {
					signals = append(signals, signal{string(ev.Business) + "/" + string(ev.Customer), ev.Time})
				}
				if ev.MessageType == model.MessageTypeButton || ev.MessageType == model.MessageTypeInteractive {
					clicks = append(clicks, click{string(ev.ContextID)})
				}
			case model.KindUserPreference:
				if ev.Preference == model.PreferenceStop && !retry {
					signals = append(signals, signal{string(ev.Business) + "/" + string(ev.Customer), ev.Time})
				}
			case model.KindConversion:
				convs = append(convs, conv{string(ev.Business) + "/" + string(ev.Customer), string(ev.ConversionName),
					string(ev.ConversionCurrency), ev.Time, ev.ConversionValue})
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	// The tag of a message is known once the log is read (it may come on a later line):
	// record its deliveries in log order.
	for _, d := range deliveries {
		m := msgs[d.id]
		if m.ref == 0 {
			continue
		}
		tc := Touch{Time: d.t, Key: key(d.id), Ref: m.ref}
		bounded[d.customer] = Record(bounded[d.customer], tc, DefaultMaxTouches)
		unbounded[d.customer] = Record(unbounded[d.customer], tc, 64)
	}
	steps := [4]string{"sent", "delivered", "read", "failed"}
	funnel := map[string]map[string]map[string]int{}
	cv := func(r Ref) (string, string) {
		c, v, ok := tbl.Resolve(r)
		if !ok {
			t.Fatalf("Ref %x does not resolve", r)
		}
		return c, v
	}
	for _, m := range msgs {
		if m.ref == 0 {
			continue
		}
		c, v := cv(m.ref)
		if funnel[c] == nil {
			funnel[c] = map[string]map[string]int{}
		}
		if funnel[c][v] == nil {
			funnel[c][v] = map[string]int{"sent": 0, "delivered": 0, "read": 0, "failed": 0}
		}
		for i, s := range steps {
			if m.steps[i] {
				funnel[c][v][s]++
			}
		}
	}
	if !reflect.DeepEqual(funnel, truth.Campaigns.Funnel) {
		t.Errorf("funnel\n got %v\nwant %v", funnel, truth.Campaigns.Funnel)
	}
	if taggedLater != truth.Campaigns.Diagnostics.MessagesTaggedAfterFirstStatus {
		t.Errorf("%d messages tagged after their first status, ground truth %d", taggedLater,
			truth.Campaigns.Diagnostics.MessagesTaggedAfterFirstStatus)
	}
	gotClicks := map[string]map[string]int{}
	for c, vs := range truth.Campaigns.ButtonClicks {
		gotClicks[c] = map[string]int{}
		for v := range vs {
			gotClicks[c][v] = 0
		}
	}
	for _, k := range clicks {
		if m := msgs[k.context]; m != nil && m.ref != 0 {
			c, v := cv(m.ref)
			gotClicks[c][v]++
		}
	}
	if !reflect.DeepEqual(gotClicks, truth.Campaigns.ButtonClicks) {
		t.Errorf("button clicks\n got %v\nwant %v", gotClicks, truth.Campaigns.ButtonClicks)
	}
	// opt-outs: each signal credited to the latest tagged delivery within the window
	gotOpts := map[string]map[string]int{}
	for c, vs := range truth.Campaigns.OptOuts {
		gotOpts[c] = map[string]int{}
		for v := range vs {
			gotOpts[c][v] = 0
		}
	}
	for _, sg := range signals {
		if tc, ok := Attribute(unbounded[sg.customer], sg.t, week, LastTouch); ok {
			c, v := cv(tc.Ref)
			gotOpts[c][v]++
		}
	}
	if !reflect.DeepEqual(gotOpts, truth.Campaigns.OptOuts) {
		t.Errorf("opt-outs\n got %v\nwant %v", gotOpts, truth.Campaigns.OptOuts)
	}
	// conversions: counts by name exactly, values to the cent
	gotN := map[string]map[string]map[string]int{}
	gotV := map[string]map[string]map[string]float64{}
	for c, vs := range truth.Campaigns.Conversions {
		gotN[c], gotV[c] = map[string]map[string]int{}, map[string]map[string]float64{}
		for v, ns := range vs {
			gotN[c][v], gotV[c][v] = map[string]int{}, map[string]float64{}
			for n := range ns {
				gotN[c][v][n] = 0
			}
			for cur := range truth.Campaigns.ConversionValue[c][v] {
				gotV[c][v][cur] = 0
			}
		}
	}
	differ, streamDiffer := 0, 0
	for _, k := range convs {
		c, v := LabelNone, LabelNone
		tc, ok := Attribute(unbounded[k.customer], k.t, week, LastTouch)
		if ok {
			c, v = cv(tc.Ref)
		}
		if tb, okb := Attribute(bounded[k.customer], k.t, week, LastTouch); okb != ok || tb.Ref != tc.Ref {
			differ++
		}
		if ts, oks := Attribute(stream[k.customer], k.t, week, LastTouch); oks != ok || ts.Ref != tc.Ref {
			streamDiffer++
		}
		if gotN[c] == nil || gotN[c][v] == nil {
			t.Fatalf("conversion credited to %s/%s, which the ground truth lacks", c, v)
		}
		gotN[c][v][k.name]++
		if k.currency != "" {
			gotV[c][v][k.currency] += k.value
		}
	}
	if !reflect.DeepEqual(gotN, truth.Campaigns.Conversions) {
		t.Errorf("conversions\n got %v\nwant %v", gotN, truth.Campaigns.Conversions)
	}
	for c, vs := range truth.Campaigns.ConversionValue {
		for v, cs := range vs {
			for cur, want := range cs {
				if got := gotV[c][v][cur]; math.Abs(got-want) > 0.005 {
					t.Errorf("conversion value %s/%s %s: %.2f, want %.2f", c, v, cur, got, want)
				}
			}
		}
	}
	if differ != 0 {
		t.Errorf("%d conversions attributed differently with %d touches per customer", differ, DefaultMaxTouches)
	}
	// Recording in log order gives the same attribution but for same-second ties whose
	// order a late tag changes (diagnostics attributions_decided_by_log_order).
	if streamDiffer > truth.Campaigns.Diagnostics.AttributionsDecidedByLogOrder {
		t.Errorf("%d conversions attributed differently when recorded as lines come (%d decided by log order)",
			streamDiffer, truth.Campaigns.Diagnostics.AttributionsDecidedByLogOrder)
	}
	n := 0
	for _, vs := range truth.Campaigns.Funnel {
		n += len(vs)
	}
	st := tbl.Stats()
	nOpts := 0
	for _, vs := range truth.Campaigns.OptOuts {
		for _, k := range vs {
			nOpts += k
		}
	}
	t.Log(fmt.Sprintf("%d messages, %d campaign/variant pairs, %d clicks read, %d conversions (%d attributed otherwise when recorded as lines come), %d opt-out signals (%d attributed); tag values: %d tagged, %d no tag",
		len(msgs), n, len(clicks), len(convs), streamDiffer, len(signals), nOpts, st.Tagged, st.NoTag))
	if n < 4 || len(convs) < 20 || st.NoTag == 0 || nOpts == 0 {
		t.Fatalf("too little campaign traffic to check: %d pairs, %d conversions", n, len(convs))
	}
}
