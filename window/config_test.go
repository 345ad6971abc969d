package window

import (
	"testing"
	"time"
)

// TestConfigDurations: durations count in whole seconds of event time; an unset (zero,
// negative or sub-second) TTL or window takes the default, a sub-second lateness is
// none, and the machine works in the seconds New derived.
func TestConfigDurations(t *testing.T) {
	d := DefaultConfig()
	switchAt := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		set  func(*Config)
		want eventSeconds
	}{
		{"defaults", func(*Config) {}, eventSeconds{messageTTL: 7*86400 + 3600, customerTTL: 35 * 86400, lateness: 300, replyWindow: 86400, pricingSwitch: switchAt.Unix()}},
		{"zero takes the defaults", func(c *Config) {
			c.MessageTTL, c.CustomerTTL, c.ReplyWindow, c.PricingSwitchAt = 0, 0, 0, time.Time{}
		}, eventSeconds{messageTTL: 7*86400 + 3600, customerTTL: 35 * 86400, lateness: 300, replyWindow: 86400, pricingSwitch: switchAt.Unix()}},
		{"set", func(c *Config) {
			c.MessageTTL, c.CustomerTTL, c.AllowedLateness, c.ReplyWindow = 2*time.Hour, 48*time.Hour, 90*time.Second, 30*time.Minute
			c.PricingSwitchAt = switchAt.Add(24 * time.Hour)
		}, eventSeconds{messageTTL: 7200, customerTTL: 172800, lateness: 90, replyWindow: 1800, pricingSwitch: switchAt.Unix() + 86400}},
		{"fractions are dropped", func(c *Config) {
			c.MessageTTL, c.AllowedLateness, c.ReplyWindow = 90*time.Minute+999*time.Millisecond, 1500*time.Millisecond, 500*time.Millisecond
		}, eventSeconds{messageTTL: 5400, customerTTL: 35 * 86400, lateness: 1, replyWindow: 86400, pricingSwitch: switchAt.Unix()}},
		{"negative", func(c *Config) { c.CustomerTTL, c.AllowedLateness = -time.Hour, -time.Minute },
			eventSeconds{messageTTL: 7*86400 + 3600, customerTTL: 35 * 86400, lateness: 0, replyWindow: 86400, pricingSwitch: switchAt.Unix()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := d
			tt.set(&cfg)
			m := New(cfg)
			if m.sec != tt.want {
				t.Errorf("seconds %+v, want %+v", m.sec, tt.want)
			}
			c := m.Config()
			if got := c.seconds(); got != m.sec {
				t.Errorf("Config() gives %+v, the machine runs on %+v", got, m.sec)
			}
		})
	}
}

// TestReconfigureKeepsTTLs: the TTLs are fixed at New; the reply window and the
// lateness follow a reconfiguration.
func TestReconfigureKeepsTTLs(t *testing.T) {
	m := New(DefaultConfig())
	cfg := DefaultConfig()
	cfg.MessageTTL, cfg.ReplyWindow, cfg.AllowedLateness = time.Hour, 2*time.Hour, time.Minute
	m.Reconfigure(cfg)
	if m.sec.messageTTL != 7*86400+3600 || m.sec.replyWindow != 7200 || m.sec.lateness != 60 {
		t.Errorf("after Reconfigure: %+v", m.sec)
	}
}
