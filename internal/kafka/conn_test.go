package kafka_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/waba-exporter/waba_exporter/internal/kafka"
	"github.com/waba-exporter/waba_exporter/tail"
)

// TestSASL: with --kafka.sasl.* the forwarder and a member authenticate (SCRAM and
// PLAIN); bad settings are refused before any connection.
func TestSASL(t *testing.T) {
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mech := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"} {
		t.Run(mech, func(t *testing.T) {
			c := newCluster(t, 2, kfake.EnableSASL(), kfake.Superuser(mech, "waba", "s3cret"))
			opts, err := kafka.Conn{SASLMechanism: mech, SASLUsername: "waba", SASLPasswordFile: pass}.Opts()
			if err != nil {
				t.Fatal(err)
			}
			cl, err := kafka.NewProducer(c.ListenAddrs(), topic, 10, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			f := kafka.NewForwarder(kafka.ForwarderOptions{Client: cl, Topic: topic})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := f.Line(ctx, &tail.Line{Data: []byte(fmt.Sprintf(envelope, `"statuses":[`+statusA+`]`))}); err != nil {
				t.Fatal(err)
			}
			if err := cl.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if f.Pending() != 0 {
				t.Fatal("record not acknowledged")
			}
			m, err := kafka.NewMember(kafka.MemberOptions{Brokers: c.ListenAddrs(), Topic: topic, Group: "gs", Extra: opts})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			go func() { _ = m.Run(ctx) }()
			waitFor(t, "record applied", func() bool {
				var n int64
				for _, o := range m.Applied() {
					n += o
				}
				return n == 1 && m.Ready()
			})
		})
	}
}

func TestConnRefused(t *testing.T) {
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]kafka.Conn{
		"unknown mechanism": {SASLMechanism: "GSSAPI", SASLUsername: "u", SASLPasswordFile: pass},
		"no username":       {SASLMechanism: "PLAIN", SASLPasswordFile: pass},
		"no password file":  {SASLMechanism: "PLAIN", SASLUsername: "u"},
		"missing password":  {SASLMechanism: "PLAIN", SASLUsername: "u", SASLPasswordFile: filepath.Join(dir, "none")},
		"CA not PEM":        {CAFile: notPEM},
	} {
		if _, err := c.Opts(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
