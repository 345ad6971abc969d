// Package app wires the stages into the commands of the CLI (run, demo, replay): it
// translates the configuration into the settings of each package, starts the tailer,
// the pipeline, the HTTP server and the checkpointer, and stops them in order.
package app

import (
	"bytes"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"

	"github.com/waba-exporter/waba_exporter/internal/config"
	"github.com/waba-exporter/waba_exporter/model"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
)

// ConfigError marks an error caused by the configuration (exit status 2).
type ConfigError struct{ Err error }

func (e ConfigError) Error() string { return e.Err.Error() }
func (e ConfigError) Unwrap() error { return e.Err }

// WindowConfig translates the configuration into the state machine's settings.
func WindowConfig(cfg *config.Config) window.Config {
	w := window.DefaultConfig()
	w.MaxMessages = cfg.State.MaxMessages
	w.MaxCustomers = cfg.State.MaxCustomers
	w.MessageTTL = cfg.State.MessageTTL.Std()
	w.CustomerTTL = cfg.State.CustomerTTL.Std()
	w.MaxBusinesses = cfg.State.MaxBusinesses
	w.AllowedLateness = cfg.State.AllowedLateness.Std()
	w.ReplyWindow = cfg.Reply.Window.Std()
	w.Campaigns = cfg.Campaigns.Campaign()
	w.ErrorCodeCap = cfg.Labels.ErrorCodeCap
	w.CountryCap = cfg.Labels.CountryCap
	w.AllowBusinesses = cfg.Labels.PhoneNumberIDs
	if cfg.Labels.CountryEnabled {
		w.CountryOf = CountryOf
	}
	w.ParseLimit = func(tier string) (float64, bool) {
		v, err := config.ParseLimit(tier)
		return v, err == nil
	}
	w.OptOutKeywords = cfg.OptOut.Keywords
	w.OptInKeywords = cfg.OptOut.OptInKeywords
	w.OptOutPayloads = cfg.OptOut.ButtonPayloads
	for _, q := range cfg.Quotas {
		wq := window.Quota{Name: q.Name, Limit: q.Limit, Businesses: q.Filter.PhoneNumberIDs, Location: q.Period.Location()}
		switch q.Unit {
		case config.UnitBillable:
			wq.Unit = window.UnitBillable
		case config.UnitBillableMessages:
			wq.Unit = window.UnitBillableMessages
		case config.UnitDeliveredMessages:
			wq.Unit = window.UnitDeliveredMessages
		default:
			wq.Unit = window.UnitConversations
		}
		if q.Period.Type == config.PeriodResetDay {
			wq.ResetDay = q.Period.ResetDay
		}
		for _, c := range q.Filter.Categories {
			wq.Categories = append(wq.Categories, model.ParseCategory([]byte(c)))
		}
		w.Quotas = append(w.Quotas, wq)
	}
	for _, p := range cfg.Portfolios {
		wp := window.Portfolio{Name: p.Name, Businesses: p.PhoneNumberIDs, Wabas: p.WabaIDs}
		if p.MessagingLimit != nil {
			wp.Limit = float64(*p.MessagingLimit)
		}
		w.Portfolios = append(w.Portfolios, wp)
	}
	if len(cfg.MessagingLimits) > 0 {
		w.LimitOverrides = map[string]float64{}
		for id, l := range cfg.MessagingLimits {
			w.LimitOverrides[id] = float64(l)
		}
	}
	if rc := cfg.RateCard; rc != nil {
		card := &window.RateCard{Currency: rc.Currency, Default: map[model.Category]float64{}, Countries: map[string]map[model.Category]float64{}}
		for c, p := range rc.Default {
			card.Default[model.ParseCategory([]byte(c))] = p
		}
		for country, prices := range rc.Countries {
			m := map[model.Category]float64{}
			for c, p := range prices {
				m[model.ParseCategory([]byte(c))] = p
			}
			card.Countries[strings.ToLower(country)] = m
		}
		w.RateCard = card
	}
	return w
}

// DecoderOptions translates an input's format and envelope into decoder options.
func DecoderOptions(in config.Input) webhook.Options {
	f, _ := webhook.ParseFormat(string(in.Format))
	return webhook.Options{
		Format:       f,
		Business:     in.Business,
		MaxLineBytes: in.MaxLineBytes,
		Envelope: webhook.Envelope{
			BodyPath: in.Envelope.BodyPath,
			TimePath: in.Envelope.ReceiveTimePath,
		},
	}
}

// Country tables, built once: region by country calling code, and, for the North
// American Numbering Plan (+1, shared by the US, Canada and the Caribbean), region by
// area code. Built from the phonenumbers metadata so the lookup on the hot path is two
// array reads and allocates nothing.
var (
	countryOnce sync.Once
	byCallCode  [1000]string // calling code -> lower-case region, "" when none
	byNANPArea  [1000]string // +1 area code -> lower-case region
)

func buildCountryTables() {
	for cc := 1; cc < 1000; cc++ {
		if r := phonenumbers.GetRegionCodeForCountryCode(cc); r != "" && r != "ZZ" {
			byCallCode[cc] = strings.ToLower(r)
		}
	}
	for area := 200; area < 1000; area++ {
		num, err := phonenumbers.Parse("+1"+strconv.Itoa(area)+"5550123", "")
		if err != nil {
			continue
		}
		if r := phonenumbers.GetRegionCodeForNumber(num); r != "" && r != "ZZ" {
			byNANPArea[area] = strings.ToLower(r)
		}
	}
}

// CountryOf returns the lower-case ISO 3166-1 alpha-2 region of a customer's WhatsApp id
// from its country calling code (for +1, from the area code), "unknown" for ids that are
// not phone numbers (usernames, group ids).
func CountryOf(waID []byte) string {
	countryOnce.Do(buildCountryTables)
	s := bytes.TrimPrefix(bytes.TrimPrefix(waID, []byte("whatsapp:")), []byte("+"))
	if len(s) < 7 || len(s) > 15 {
		return "unknown"
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return "unknown"
		}
	}
	if s[0] == '1' {
		if r := byNANPArea[digits(s[1:4])]; r != "" {
			return r
		}
		return "us"
	}
	for l := 1; l <= 3; l++ {
		if r := byCallCode[digits(s[:l])]; r != "" {
			return r
		}
	}
	return "unknown"
}

func digits(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}
