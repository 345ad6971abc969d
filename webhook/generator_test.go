package webhook

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/waba-exporter/waba_exporter/model"
)

// genMonth writes a generated log with args and returns its path and ground truth.
func genMonth(t *testing.T, args ...string) (string, map[string]json.RawMessage) {
	t.Helper()
	if _, err := os.Stat(genScript); err != nil {
		t.Fatal("the generator " + genScript + " is missing: ../shared must be beside the checkout")
	}
	dir := t.TempDir()
	out, stats := filepath.Join(dir, "gen.jsonl"), filepath.Join(dir, "stats.json")
	cmd := exec.Command("python3", append([]string{genScript, "--out", out, "--stats", stats}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen_webhooks.py %v: %v\n%s", args, err, b)
	}
	b, err := os.ReadFile(stats)
	if err != nil {
		t.Fatal(err)
	}
	var truth map[string]json.RawMessage
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	return out, truth
}

// TestGeneratorIdentityLimitsAccount decodes a 2026-shaped month (API v23, half the
// customers with business-scoped user ids, capability and account updates) and checks
// what the decoders alone can show against the generator's ground truth: every line
// decodes; linking phone numbers and BSUIDs on the events that show both gives exactly the
// generator's customers by identity; every BSUID-only customer event has a country; the
// latest portfolio limit per WABA and the account update details are as written.
func TestGeneratorIdentityLimitsAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the generator")
	}
	path, truth := genMonth(t, "--lines", "30000", "--seed", "10", "--bsuid-share", "0.5",
		"--capability-updates", "--api-version", "23", "--pricing", "mixed")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 8<<20)

	// Union-find over identities: "p"+phone and "u"+BSUID.
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if _, ok := parent[x]; !ok {
			parent[x] = x
		}
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	type seen struct {
		key       string // an identity of the event
		phone, id bool
		t         int64
	}
	var sightings []seen
	type lim struct{ t, n int64 }
	lastLimit := map[string]lim{}
	accountEvents := map[string]int{}
	country := regexp.MustCompile(`^[A-Z]{2}$`)
	month := regexp.MustCompile(`^\d{4}-\d{2}$`)
	d := NewDecoder(Options{})
	lines, bsuidOnly := 0, 0
	for sc.Scan() {
		lines++
		evs, perr := d.Decode(sc.Bytes(), 0)
		if perr != nil {
			t.Fatalf("line %d: %v", lines, perr)
		}
		checkInvariants(t, evs, perr)
		for _, e := range evs {
			switch e.Kind {
			case model.KindStatus, model.KindInbound:
				p, u := string(e.Customer), string(e.CustomerUserID)
				s := seen{phone: p != "", id: u != "", t: e.Time}
				switch {
				case s.phone && s.id:
					parent[find("p"+p)] = find("u" + u)
					s.key = "p" + p
				case s.phone:
					s.key = "p" + p
				case s.id:
					s.key = "u" + u
					bsuidOnly++
					if !country.MatchString(string(e.CustomerCountry)) {
						t.Fatalf("line %d: a BSUID-only %v without a country (%q)", lines, e.Kind, e.CustomerCountry)
					}
				default:
					t.Fatalf("line %d: a %v without any customer", lines, e.Kind)
				}
				find(s.key)
				sightings = append(sightings, s)
			case model.KindQualityUpdate:
				if e.Field != FieldBusinessCapabilityUpdate {
					continue
				}
				if len(e.Limit) != 0 || e.LimitRecipients == 0 {
					t.Fatalf("line %d: capability update with Limit %q, LimitRecipients %d", lines, e.Limit, e.LimitRecipients)
				}
				if l := lastLimit[string(e.Account)]; e.Time >= l.t {
					lastLimit[string(e.Account)] = lim{e.Time, e.LimitRecipients}
				}
			case model.KindAccountUpdate:
				accountEvents[string(e.EventName)]++
				switch string(e.EventName) {
				case "VOLUME_BASED_PRICING_TIER_UPDATE":
					if e.TierCategory != model.CategoryUtility && e.TierCategory != model.CategoryAuthentication || len(e.Tier) == 0 ||
						e.TierUpdateTime != e.Time || !month.Match(e.TierMonth) ||
						string(e.TierMonth) != time.Unix(e.Time, 0).UTC().Format("2006-01") {
						t.Fatalf("line %d: volume tier update %+v", lines, toEv(e))
					}
				case "ACCOUNT_RESTRICTION":
					if e.RestrictionUntil == 0 {
						t.Fatalf("line %d: restriction without expiration", lines)
					}
				case "DISABLED_UPDATE":
					if s := string(e.AccountState); s != "SCHEDULE_FOR_DISABLE" && s != "REINSTATE" {
						t.Fatalf("line %d: disabled update with state %q", lines, s)
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}

	// Classify each customer (component) by what its events showed, in time order.
	sort.SliceStable(sightings, func(i, j int) bool { return sightings[i].t < sightings[j].t })
	type cls struct{ phoneOnly, idOnly, both, idAfterBoth, bothAfterID bool }
	byCust := map[string]*cls{}
	for _, s := range sightings {
		r := find(s.key)
		c := byCust[r]
		if c == nil {
			c = &cls{}
			byCust[r] = c
		}
		switch {
		case s.phone && s.id:
			if c.idOnly {
				c.bothAfterID = true
			}
			c.both = true
		case s.phone:
			c.phoneOnly = true
		default:
			if c.both {
				c.idAfterBoth = true
			}
			c.idOnly = true
		}
	}
	got := map[string]int{}
	for _, c := range byCust {
		switch {
		case !c.both && !c.idOnly:
			got["phone_only"]++
		case !c.both && !c.phoneOnly:
			got["bsuid_only"]++
		case c.both && !c.idOnly && !c.phoneOnly:
			got["both"]++
		case c.both && c.idAfterBoth && !c.bothAfterID && !c.phoneOnly:
			got["switched"]++
		default:
			got["mixed"]++
		}
	}
	var want map[string]int
	if err := json.Unmarshal(truth["customers_by_identity"], &want); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d lines, %d BSUID-only customer events; customers by identity %v (ground truth %v); account update webhooks %v; limits %v", lines, bsuidOnly, got, want, accountEvents, lastLimit)
	for _, k := range []string{"phone_only", "bsuid_only", "both", "switched", "mixed"} {
		if got[k] != want[k] {
			t.Errorf("customers %s: decoded %d, ground truth %d", k, got[k], want[k])
		}
	}
	if want["switched"] == 0 || want["bsuid_only"] == 0 {
		t.Errorf("the month exercises no switched or BSUID-only customers: %v", want)
	}

	var wantLimit map[string]int64
	if err := json.Unmarshal(truth["capability_limit_last_by_waba"], &wantLimit); err != nil {
		t.Fatal(err)
	}
	if len(wantLimit) == 0 || len(lastLimit) != len(wantLimit) {
		t.Fatalf("capability limits: decoded %v, ground truth %v", lastLimit, wantLimit)
	}
	for waba, n := range wantLimit {
		if lastLimit[waba].n != n {
			t.Errorf("WABA %s: latest limit %d, ground truth %d", waba, lastLimit[waba].n, n)
		}
	}
	var wantAcct map[string]int
	if err := json.Unmarshal(truth["account_updates_by_event"], &wantAcct); err != nil {
		t.Fatal(err)
	}
	for ev := range wantAcct {
		if accountEvents[ev] < wantAcct[ev] {
			t.Errorf("account updates %s: decoded %d webhooks, ground truth %d updates", ev, accountEvents[ev], wantAcct[ev])
		}
	}
	if accountEvents["DISABLED_UPDATE"]+accountEvents["ACCOUNT_RESTRICTION"] == 0 {
		t.Errorf("the month exercises no account incident with details: %v", accountEvents)
	}
	for ev := range accountEvents {
		if _, ok := wantAcct[ev]; !ok {
			t.Errorf("decoded account update %s the generator did not write", ev)
		}
	}
}
