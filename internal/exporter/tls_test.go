package exporter

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/waba-exporter/waba_exporter/internal/pipeline"
	"github.com/waba-exporter/waba_exporter/webhook"
	"github.com/waba-exporter/waba_exporter/window"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 (its own CA) and its key
// into dir, and returns the paths and the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "waba_exporter test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, cert
}

// TestTLSBasicAuth serves the real handler through the exporter-toolkit with a web
// config enabling TLS and bcrypt basic auth, and talks to it with real clients.
func TestTLSBasicAuth(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, cert := selfSigned(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	yml := "tls_server_config:\n  cert_file: " + certFile + "\n  key_file: " + keyFile +
		"\nbasic_auth_users:\n  prometheus: " + string(hash) + "\n"
	if err := os.WriteFile(webConfig, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}

	p := pipeline.New(window.New(window.DefaultConfig()), webhook.Options{}, nil, nil)
	regs := NewRegistries(&Collector{P: p, Health: &Health{}, EventTimeOnly: true}, true)
	h, err := NewHandler(regs, HandlerOptions{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ServeListener(ctx, l, webConfig, h, slog.New(slog.DiscardHandler)) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("ServeListener: %v", err)
		}
	}()

	pool := x509.NewCertPool()
	pool.AddCert(cert)
	trusted := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	untrusted := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()}}}

	tests := []struct {
		name       string
		client     *http.Client
		url        string
		user, pass string
		wantStatus int    // 0: the request must fail
		wantErr    string // when wantStatus is 0
		wantBody   string
	}{
		{name: "metrics with the right password", client: trusted, url: "https://" + addr + "/metrics", user: "prometheus", pass: "correct horse",
			wantStatus: 200, wantBody: "waba_exporter_state_ready"},
		{name: "health with the right password", client: trusted, url: "https://" + addr + "/-/healthy", user: "prometheus", pass: "correct horse",
			wantStatus: 200, wantBody: "Healthy"},
		{name: "wrong password", client: trusted, url: "https://" + addr + "/metrics", user: "prometheus", pass: "battery staple", wantStatus: 401},
		{name: "unknown user", client: trusted, url: "https://" + addr + "/metrics", user: "root", pass: "correct horse", wantStatus: 401},
		{name: "no credentials", client: trusted, url: "https://" + addr + "/metrics", wantStatus: 401},
		{name: "probe without credentials", client: trusted, url: "https://" + addr + "/-/ready", wantStatus: 401},
		{name: "client without the CA", client: untrusted, url: "https://" + addr + "/metrics", user: "prometheus", pass: "correct horse",
			wantErr: "certificate"},
		// Go's TLS server answers a plain HTTP request with a bare 400 and no content.
		{name: "plain http", client: http.DefaultClient, url: "http://" + addr + "/metrics", user: "prometheus", pass: "correct horse",
			wantStatus: 400, wantBody: "HTTPS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.pass)
			}
			resp, err := tc.client.Do(req)
			if tc.wantStatus == 0 {
				var cerr *tls.CertificateVerificationError
				if err == nil || !errors.As(err, &cerr) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want a certificate verification error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tc.wantStatus, body)
			}
			if tc.wantBody != "" && !strings.Contains(string(body), tc.wantBody) {
				t.Errorf("body does not contain %q:\n%.300s", tc.wantBody, body)
			}
			if resp.StatusCode != 200 && strings.Contains(string(body), "waba_") {
				t.Errorf("metrics served without authentication:\n%.300s", body)
			}
			if tc.wantStatus == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if resp.StatusCode == 200 && resp.TLS == nil {
				t.Error("200 over a connection without TLS")
			}
		})
	}
}

// TestWebConfigInvalid checks that a broken web config stops the server with an error
// instead of serving in clear.
func TestWebConfigInvalid(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, yml string }{
		{name: "missing key file", yml: "tls_server_config:\n  cert_file: " + filepath.Join(dir, "none.crt") + "\n  key_file: " + filepath.Join(dir, "none.key") + "\n"},
		{name: "unknown field", yml: "tls_server_config:\n  certfile: x\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".yml")
			if err := os.WriteFile(path, []byte(tc.yml), 0o600); err != nil {
				t.Fatal(err)
			}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err = ServeListener(ctx, l, path, http.NotFoundHandler(), slog.New(slog.DiscardHandler))
			if err == nil || ctx.Err() != nil {
				t.Fatalf("ServeListener = %v (ctx %v), want an immediate config error", err, ctx.Err())
			}
		})
	}
}
