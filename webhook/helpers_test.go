package webhook

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/waba-exporter/waba_exporter/model"
)

// ev is an Event with its byte fields as strings, for comparisons in tests. Fields that
// a test does not set must be zero in the decoded event too.
type ev struct {
	Kind         model.Kind
	Provider     model.Provider
	Field        string
	Business     string
	Display      string
	Account      string
	Customer     string
	ID           string
	Time         int64
	Status       model.Status
	Category     model.Category
	Model        model.PricingModel
	PType        model.PricingType
	Billable     int8
	ConvID       string
	ConvOrigin   model.Category
	ConvExpiry   int64
	ErrorCode    int64
	ErrorCodeRaw string
	Inferred     bool
	MsgType      model.MessageType
	Referral     bool
	ContextID    string
	Payload      string
	Text         string
	Preference   model.Preference
	EventName    string
	Limit        string
	Rating       model.Rating
	UserID       string // CustomerUserID
	Country      string // CustomerCountry
	LimitRecip   int64  // LimitRecipients
	AcctState    string // AccountState
	RestrUntil   int64  // RestrictionUntil
	TierCat      model.Category
	Tier         string
	TierTime     int64
	TierMonth    string
	Billing      bool
	Tag          string  // CampaignTag
	ConvName     string  // ConversionName
	ConvValue    float64 // ConversionValue
	ConvCurrency string  // ConversionCurrency
}

func toEv(e model.Event) ev {
	return ev{
		Kind: e.Kind, Provider: e.Provider, Field: e.Field,
		Business: string(e.Business), Display: string(e.DisplayNumber), Account: string(e.Account),
		Customer: string(e.Customer), ID: string(e.MessageID), Time: e.Time,
		Status: e.Status, Category: e.Category, Model: e.PricingModel, PType: e.PricingType,
		Billable: e.Billable, ConvID: string(e.ConversationID), ConvOrigin: e.ConversationOrigin,
		ConvExpiry: e.ConversationExpiry, ErrorCode: e.ErrorCode, ErrorCodeRaw: string(e.ErrorCodeRaw),
		Inferred: e.PricingInferred, MsgType: e.MessageType, Referral: e.Referral,
		ContextID: string(e.ContextID), Payload: string(e.Payload), Text: string(e.Text),
		Preference: e.Preference, EventName: string(e.EventName), Limit: string(e.Limit), Rating: e.Rating,
		UserID: string(e.CustomerUserID), Country: string(e.CustomerCountry), LimitRecip: e.LimitRecipients,
		AcctState: string(e.AccountState), RestrUntil: e.RestrictionUntil, TierCat: e.TierCategory,
		Tier: string(e.Tier), TierTime: e.TierUpdateTime, TierMonth: string(e.TierMonth), Billing: e.Billing,
		Tag: string(e.CampaignTag), ConvName: string(e.ConversionName), ConvValue: e.ConversionValue,
		ConvCurrency: string(e.ConversionCurrency),
	}
}

func toEvs(es []model.Event) []ev {
	out := make([]ev, 0, len(es))
	for _, e := range es {
		out = append(out, toEv(e))
	}
	return out
}

// evPlain has ev's fields but not its String method (which would recurse).
type evPlain ev

func (e ev) String() string { return fmt.Sprintf("%+v", evPlain(e)) }

// decodeCase is one row of a table-driven decode test.
type decodeCase struct {
	name   string
	opts   Options
	line   string
	recv   int64
	want   []ev
	reason Reason // ReasonNone: no error expected
}

func runDecodeCases(t *testing.T, cases []decodeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(tc.opts)
			got, err := d.Decode([]byte(tc.line), tc.recv)
			perr := parseErr(t, err)
			switch {
			case tc.reason == ReasonNone && perr != nil:
				t.Fatalf("unexpected error %v", perr)
			case tc.reason != ReasonNone && perr == nil:
				t.Fatalf("want error %s, got none (events %v)", tc.reason, toEvs(got))
			case tc.reason != ReasonNone && perr.Reason != tc.reason:
				t.Fatalf("want error %s, got %v", tc.reason, perr)
			}
			gotEv := toEvs(got)
			if len(gotEv) == 0 && len(tc.want) == 0 {
				return
			}
			if !reflect.DeepEqual(gotEv, tc.want) {
				t.Fatalf("events differ\n got: %s\nwant: %s", fmtEvs(gotEv), fmtEvs(tc.want))
			}
			checkInvariants(t, got, err)
		})
	}
}

func fmtEvs(es []ev) string {
	var sb strings.Builder
	for _, e := range es {
		sb.WriteString("\n  ")
		sb.WriteString(e.String())
	}
	return sb.String()
}

// parseErr returns the *ParseError that err holds (nil for a nil err) and fails when a
// non-nil err is anything else: Decode's contract.
func parseErr(t testing.TB, err error) *ParseError {
	t.Helper()
	if err == nil {
		return nil
	}
	var pe *ParseError
	if !errors.As(err, &pe) || pe == nil {
		t.Fatalf("Decode returned %T (%v), not a *ParseError", err, err)
	}
	return pe
}

// checkInvariants asserts what every decoded line must satisfy, whatever the input.
func checkInvariants(t testing.TB, evs []model.Event, err error) {
	t.Helper()
	if perr := parseErr(t, err); perr != nil {
		if perr.Reason <= ReasonNone || perr.Reason >= NumReason {
			t.Fatalf("error with reason out of range: %d", perr.Reason)
		}
		if perr.Detail == "" {
			t.Fatalf("error without detail: %v", perr)
		}
	}
	fields := map[string]bool{}
	for _, f := range Fields() {
		fields[f] = true
	}
	for i, e := range evs {
		if e.Kind == model.KindNone || e.Kind >= model.NumKind {
			t.Fatalf("event %d: kind %d", i, e.Kind)
		}
		if e.Provider == model.ProviderNone {
			t.Fatalf("event %d: no provider", i)
		}
		if !fields[e.Field] {
			t.Fatalf("event %d: field %q not in Fields()", i, e.Field)
		}
		if e.Time < 0 || (e.Time != 0 && (e.Time < minUnix || e.Time > maxUnix)) {
			t.Fatalf("event %d: time %d out of range", i, e.Time)
		}
		switch e.Kind {
		case model.KindStatus:
			if (e.Status == model.StatusNone) != e.Billing || e.Status >= model.NumStatus {
				t.Fatalf("status event %d: status %v with Billing %v (only a billing report has none)", i, e.Status, e.Billing)
			}
			if len(e.MessageID) == 0 {
				t.Fatalf("status event %d without a message id", i)
			}
			if e.Time == 0 && e.Provider != model.ProviderTwilio {
				t.Fatalf("status event %d without a time", i)
			}
		case model.KindInbound:
			if e.MessageType == model.MessageTypeNone || len(e.MessageID) == 0 || (len(e.Customer) == 0 && len(e.CustomerUserID) == 0) {
				t.Fatalf("inbound event %d incomplete: %+v", i, toEv(e))
			}
		case model.KindUserPreference:
			if e.Preference == model.PreferenceNone || (len(e.Customer) == 0 && len(e.CustomerUserID) == 0) {
				t.Fatalf("preference event %d incomplete", i)
			}
		case model.KindWebhookError:
			if e.ErrorCode == 0 && len(e.ErrorCodeRaw) == 0 {
				t.Fatalf("webhook error event %d without a code", i)
			}
		case model.KindConversion:
			if len(e.Business) == 0 || (len(e.Customer) == 0) == (len(e.CustomerUserID) == 0) || e.Time == 0 ||
				len(e.ConversionName) == 0 || !(e.ConversionValue >= 0) || e.ConversionValue > math.MaxFloat64 ||
				(len(e.ConversionCurrency) > 0 && !isISO4217(e.ConversionCurrency)) ||
				(len(e.ConversionCurrency) == 0 && e.ConversionValue != 0) {
				t.Fatalf("conversion event %d malformed: %+v", i, toEv(e))
			}
		}
		if len(e.CampaignTag) > model.MaxCampaignTagBytes || (e.CampaignTag != nil && len(e.CampaignTag) == 0) ||
			(len(e.CampaignTag) > 0 && e.Kind != model.KindStatus) {
			t.Fatalf("event %d: campaign tag of %d bytes on a %v event", i, len(e.CampaignTag), e.Kind)
		}
		if e.Kind != model.KindConversion && (e.ConversionName != nil || e.ConversionValue != 0 || e.ConversionCurrency != nil) {
			t.Fatalf("event %d: conversion fields on a %v event", i, e.Kind)
		}
	}
}
