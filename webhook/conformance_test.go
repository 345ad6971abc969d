package webhook

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

// payloadDir holds the published example bodies (read-only, shared with the project;
// ../shared/payloads from the repository root). They are read here at run time and never
// copied into the repository.
const payloadDir = "../../shared/payloads"

// A nameRule reads one fact from a payload file name and checks it on the decoded event.
type nameRule struct {
	re *regexp.Regexp
	// kind is the Kind the name implies, KindNone if the rule says nothing about it.
	kind  model.Kind
	check func(t *testing.T, m []string, e ev)
}

func rule(expr string, kind model.Kind, check func(t *testing.T, m []string, e ev)) nameRule {
	return nameRule{re: regexp.MustCompile(expr), kind: kind, check: check}
}

// enumName turns a name fragment like "account-restriction" into "ACCOUNT_RESTRICTION".
func enumName(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }

var statusWords = map[string]model.Status{
	"sent": model.StatusSent, "delivered": model.StatusDelivered, "read": model.StatusRead, "failed": model.StatusFailed,
	"deleted": model.StatusDeleted, "enqueued": model.StatusAccepted, "seen": model.StatusRead,
}

var inboundWords = map[string]model.MessageType{
	"text": model.MessageTypeText, "image": model.MessageTypeImage, "location": model.MessageTypeLocation,
	"reaction": model.MessageTypeReaction, "interactive": model.MessageTypeInteractive, "button": model.MessageTypeButton,
	"list": model.MessageTypeInteractive, "unsupported": model.MessageTypeUnsupported,
}

// nameRules is what a file name says, as the SOURCES.md naming goes:
// <provider>-<kind>-<what>[-<code>][-<pricing>...].
var nameRules = []nameRule{
	// provider prefixes
	rule(`^(meta-cloud|360dialog)-`, model.KindNone, func(t *testing.T, _ []string, e ev) { eq(t, "provider", e.Provider, model.ProviderMeta) }),
	rule(`^onprem-`, model.KindNone, func(t *testing.T, _ []string, e ev) { eq(t, "provider", e.Provider, model.ProviderOnPrem) }),
	rule(`^gupshup-v[23]-`, model.KindNone, func(t *testing.T, _ []string, e ev) { eq(t, "provider", e.Provider, model.ProviderGupshup) }),
	rule(`^twilio-`, model.KindNone, func(t *testing.T, _ []string, e ev) { eq(t, "provider", e.Provider, model.ProviderTwilio) }),
	rule(`^infobip-`, model.KindNone, func(t *testing.T, _ []string, e ev) { eq(t, "provider", e.Provider, model.ProviderInfobip) }),

	// campaign tags: set exactly on the file named for it (its value is "some data")
	rule(`-biz-opaque-callback-data$`, model.KindNone, func(t *testing.T, _ []string, e ev) { eq(t, "campaign tag", e.Tag, "some data") }),

	// kinds
	rule(`-(?:status|message-event|delivery-report)-(sent|delivered|read|failed|deleted|enqueued)(?:-|$)`, model.KindStatus,
		func(t *testing.T, m []string, e ev) { eq(t, "status", e.Status, statusWords[m[1]]) }),
	rule(`-status-v\d+-`, model.KindStatus, func(t *testing.T, _ []string, e ev) {}),
	rule(`-(seen)-report`, model.KindStatus, func(t *testing.T, m []string, e ev) { eq(t, "status", e.Status, model.StatusRead) }),
	rule(`-(?:message-)?inbound-([a-z]+)`, model.KindInbound, func(t *testing.T, m []string, e ev) {
		mt, ok := inboundWords[m[1]]
		if !ok {
			t.Fatalf("test does not know inbound type %q", m[1])
		}
		eq(t, "message type", e.MsgType, mt)
	}),
	rule(`-user-preferences-(stop|resume)`, model.KindUserPreference, func(t *testing.T, m []string, e ev) {
		eq(t, "preference", e.Preference, map[string]model.Preference{"stop": model.PreferenceStop, "resume": model.PreferenceResume}[m[1]])
	}),
	rule(`-phone-number-quality-update-([a-z-]+)`, model.KindQualityUpdate, func(t *testing.T, m []string, e ev) {
		eq(t, "event", e.EventName, enumName(m[1]))
	}),
	rule(`-message-template-status-update-([a-z-]+)`, model.KindTemplateStatus, func(t *testing.T, m []string, e ev) {
		eq(t, "event", e.EventName, enumName(m[1]))
	}),
	rule(`-template-update-event`, model.KindTemplateStatus, func(t *testing.T, _ []string, e ev) {
		if e.EventName == "" {
			t.Fatal("template event without an event name")
		}
	}),
	rule(`-account-update-([a-z-]+)`, model.KindAccountUpdate, func(t *testing.T, m []string, e ev) {
		eq(t, "event", e.EventName, enumName(m[1]))
	}),
	rule(`-value-errors-`, model.KindWebhookError, func(t *testing.T, _ []string, e ev) {}),
	// A billing report is a status-kind event without a status: the pricing Gupshup
	// reports for the message it names.
	rule(`-billing-event-`, model.KindStatus, func(t *testing.T, _ []string, e ev) {
		eq(t, "field", e.Field, FieldMessages)
		eq(t, "billing", e.Billing, true)
		eq(t, "status", e.Status, model.StatusNone)
		if e.ID == "" || e.Customer == "" || e.Model == model.PricingModelNone || e.Billable == 0 {
			t.Fatal("billing event without message id, customer, pricing model or billable")
		}
	}),
	// account_update details
	rule(`-account-update-account-restriction`, model.KindNone, func(t *testing.T, _ []string, e ev) {
		if e.RestrUntil == 0 {
			t.Fatal("restriction without its expiration")
		}
	}),
	rule(`-account-update-disabled-update`, model.KindNone, func(t *testing.T, _ []string, e ev) {
		if e.AcctState == "" {
			t.Fatal("disabled update without its ban state")
		}
	}),

	// details
	rule(`-(\d{3,6})(?:-|$)`, model.KindNone, func(t *testing.T, m []string, e ev) {
		code, _ := strconv.ParseInt(m[1], 10, 64)
		eq(t, "error code", e.ErrorCode, code)
	}),
	rule(`-(cbp|pmp)-`, model.KindNone, func(t *testing.T, m []string, e ev) {
		eq(t, "pricing model", e.Model, map[string]model.PricingModel{"cbp": model.PricingModelCBP, "pmp": model.PricingModelPMP}[m[1]])
	}),
	rule(`-(?:cbp|pmp|billing-event)-(marketing-lite|marketing|utility|authentication|service)(?:-|$)`, model.KindNone,
		func(t *testing.T, m []string, e ev) { eq(t, "category", e.Category, model.ParseCategory([]byte(m[1]))) }),
	rule(`-with-conversation|-with-expiration`, model.KindNone, func(t *testing.T, _ []string, e ev) {
		if e.ConvID == "" || e.ConvExpiry == 0 {
			t.Fatalf("want a conversation with expiry, got %q/%d", e.ConvID, e.ConvExpiry)
		}
	}),
	rule(`-no-conversation-no-pricing`, model.KindNone, func(t *testing.T, _ []string, e ev) {
		if e.ConvID != "" || e.Model != model.PricingModelNone || e.Category != model.CategoryNone {
			t.Fatal("want no conversation and no pricing")
		}
	}),
	rule(`-ctwa-referral`, model.KindNone, func(t *testing.T, _ []string, e ev) { eq(t, "referral", e.Referral, true) }),
	rule(`-context$|-list-reply|-button-reply|-quick-reply`, model.KindNone, func(t *testing.T, m []string, e ev) {
		if m[0] == "-context" && e.ContextID == "" {
			t.Fatal("want a context id")
		}
		if m[0] != "-context" && e.Payload == "" {
			t.Fatal("want a reply payload")
		}
	}),
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// conformancePrefixes are the providers whose files must decode.
var conformancePrefixes = []string{"meta-", "onprem-", "360dialog-", "gupshup-v3-", "gupshup-v2-", "infobip-", "twilio-"}

func TestConformancePayloads(t *testing.T) {
	entries, err := os.ReadDir(payloadDir)
	if os.IsNotExist(err) {
		msg := payloadDir + " (../shared/payloads from the repository root) is absent; " +
			"the published example bodies are needed to check the decoders against real shapes"
		if testing.Short() {
			t.Skip("-short: conformance not run: " + msg)
		}
		t.Fatal(msg)
	}
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, de := range entries {
		name := de.Name()
		if de.IsDir() || name == "SOURCES.md" || name == "REPORT.md" {
			continue
		}
		body, err := os.ReadFile(filepath.Join(payloadDir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			switch {
			case strings.HasSuffix(name, ".json.txt"):
				checkMalformed(t, body)
			case strings.HasSuffix(name, ".json"), strings.HasPrefix(name, "twilio-") && strings.HasSuffix(name, ".txt"):
				checkByName(t, strings.TrimSuffix(strings.TrimSuffix(name, ".json"), ".txt"), body)
			default:
				t.Fatalf("payload file %s has a name the conformance test does not know", name)
			}
		})
		checked++
	}
	if checked < 50 {
		t.Fatalf("only %d payload files found", checked)
	}
}

func checkMalformed(t *testing.T, body []byte) {
	for _, line := range [][]byte{body, bytes.ReplaceAll(body, []byte("\n"), nil)} {
		d := NewDecoder(Options{})
		evs, perr := d.Decode(line, 1700000000)
		if perr == nil {
			t.Fatalf("malformed payload decoded without error into %v", toEvs(evs))
		}
		checkInvariants(t, evs, perr)
	}
}

func checkByName(t *testing.T, stem string, body []byte) {
	known := false
	for _, p := range conformancePrefixes {
		known = known || strings.HasPrefix(stem, p)
	}
	if !known {
		t.Fatalf("no decoder claims %s", stem)
	}
	// Bodies are logged one per line: decode the file as published and flattened.
	flat := bytes.ReplaceAll(bytes.ReplaceAll(body, []byte("\r"), nil), []byte("\n"), nil)
	for _, line := range [][]byte{body, flat} {
		d := NewDecoder(Options{})
		evs, perr := d.Decode(line, 1700000000)
		if perr != nil {
			t.Fatalf("decode error %v", perr)
		}
		checkInvariants(t, evs, perr)
		if len(evs) != 1 {
			t.Fatalf("want exactly one event, got %d: %v", len(evs), toEvs(evs))
		}
		e := toEv(evs[0])
		if e.Tag != "" && !strings.HasSuffix(stem, "-biz-opaque-callback-data") {
			t.Fatalf("campaign tag %q on a payload not named for it", e.Tag)
		}
		kinds := 0
		for _, r := range nameRules {
			m := r.re.FindStringSubmatch(stem)
			if m == nil {
				continue
			}
			if r.kind != model.KindNone {
				kinds++
				eq(t, "kind", e.Kind, r.kind)
			}
			r.check(t, m, e)
		}
		if kinds != 1 {
			t.Fatalf("the name %s implies %d kinds; the rules need updating", stem, kinds)
		}
	}
}
