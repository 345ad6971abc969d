package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Conn are the connection settings shared by the forwarder and the members: TLS and
// SASL, as managed clusters (MSK, Confluent Cloud, Aiven, Redpanda Cloud) require.
type Conn struct {
	TLS       bool   // connect with TLS (system roots unless CAFile)
	CAFile    string // PEM file of the CAs to trust (implies TLS)
	TLSServer string // server name to verify (default: the broker's host)
	// SASLMechanism is "", PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (case-insensitive).
	SASLMechanism string
	SASLUsername  string
	// SASLPasswordFile holds the password (its first line): never on the command line.
	SASLPasswordFile string
}

// Opts returns the client options of c.
func (c Conn) Opts() ([]kgo.Opt, error) {
	var opts []kgo.Opt
	if c.TLS || c.CAFile != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.TLSServer}
		if c.CAFile != "" {
			pem, err := os.ReadFile(c.CAFile)
			if err != nil {
				return nil, fmt.Errorf("kafka CA file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("kafka CA file %s: no PEM certificate", c.CAFile)
			}
			cfg.RootCAs = pool
		}
		opts = append(opts, kgo.DialTLSConfig(cfg)) // ServerName empty: the broker's host
	}
	if c.SASLMechanism == "" {
		return opts, nil
	}
	if c.SASLUsername == "" || c.SASLPasswordFile == "" {
		return nil, errors.New("kafka SASL needs a username and a password file")
	}
	b, err := os.ReadFile(c.SASLPasswordFile)
	if err != nil {
		return nil, fmt.Errorf("kafka SASL password file: %w", err)
	}
	pass, _, _ := strings.Cut(string(b), "\n")
	pass = strings.TrimSuffix(pass, "\r")
	var m sasl.Mechanism
	switch strings.ToUpper(c.SASLMechanism) {
	case "PLAIN":
		m = plain.Auth{User: c.SASLUsername, Pass: pass}.AsMechanism()
	case "SCRAM-SHA-256":
		m = scram.Auth{User: c.SASLUsername, Pass: pass}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		m = scram.Auth{User: c.SASLUsername, Pass: pass}.AsSha512Mechanism()
	default:
		return nil, fmt.Errorf("kafka SASL mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", c.SASLMechanism)
	}
	return append(opts, kgo.SASL(m)), nil
}
