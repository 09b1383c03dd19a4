package natsjs_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/coalitiondev/coalition/natsjs"
	"github.com/coalitiondev/coalition/schema"
)

// StartServer starts a listening server with opts.
func StartServer(tb testing.TB, opts *server.Options) *server.Server {
	tb.Helper()
	if opts.Host == "" {
		opts.Host, opts.Port = "127.0.0.1", -1
	}
	opts.NoLog, opts.NoSigs = true, true
	s, err := server.NewServer(opts)
	if err != nil {
		tb.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		tb.Fatal("nats-server not ready")
	}
	tb.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

func TestConnectToken(t *testing.T) {
	t.Parallel()
	s := StartServer(t, &server.Options{Authorization: "7f3c9a1e5b2d4f60"})
	cases := []struct {
		name  string
		token string
		ok    bool
	}{
		{"Token", "7f3c9a1e5b2d4f60", true},
		{"ErrWrongToken", "7f3c9a1e5b2d4f61", false},
		{"ErrNoToken", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := natsjs.Connect(natsjs.ClientConfig{URL: s.ClientURL(), Token: tc.token}, nil, nil)
			if (err == nil) != tc.ok {
				t.Fatalf("got %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				if tc.token != "" && strings.Contains(err.Error(), tc.token) {
					t.Errorf("error reveals the token: %v", err)
				}
				return
			}
			defer nc.Close()
			if err := nc.Publish(eventSubject, nil); err != nil {
				t.Fatal(err)
			}
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// writeFile writes a secret file (mode 0600) into dir.
func writeFile(tb testing.TB, dir, name string, b []byte) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestConnectNKey logs in with an nkey seed file: the server knows only the
// public key, with the producer's permissions.
func TestConnectNKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	other, _ := nkeys.CreateUser()
	otherSeed, _ := other.Seed()
	s := StartServer(t, &server.Options{Nkeys: []*server.NkeyUser{{
		Nkey:        pub,
		Permissions: &server.Permissions{Publish: &server.SubjectPermission{Allow: []string{schema.StreamSubjects}}},
	}}})
	cases := []struct {
		name string
		seed []byte
		ok   bool
	}{
		{"Seed", seed, true},
		{"ErrUnknownKey", otherSeed, false},
		{"ErrNotASeed", []byte(pub), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, dir, tc.name+".nk", tc.seed)
			errs := &asyncErrors{}
			nc, err := natsjs.Connect(natsjs.ClientConfig{URL: s.ClientURL(), NKeyFile: file}, nil, slog.New(errs))
			if (err == nil) != tc.ok {
				t.Fatalf("got %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				if strings.Contains(err.Error(), string(tc.seed)) {
					t.Errorf("error reveals the seed: %v", err)
				}
				return
			}
			defer nc.Close()
			// The user's permissions apply: events yes, alerts no.
			_ = nc.Publish(eventSubject, nil)
			_ = nc.Publish(natsjs.AlertSubject("x"), nil)
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}
			if !errs.waitFor(`Permissions Violation for Publish to "coalition.alerts.x"`) {
				t.Errorf("publishing an alert was not refused:\n%s", errs)
			}
			if strings.Contains(errs.String(), eventSubject) {
				t.Errorf("publishing an event was refused:\n%s", errs)
			}
		})
	}
}

// TestConnectCreds logs in with a JWT credentials file, as nsc writes one,
// to a server in operator mode.
func TestConnectCreds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	operator, _ := nkeys.CreateOperator()
	opub, _ := operator.PublicKey()
	ojwt, err := jwt.NewOperatorClaims(opub).Encode(operator)
	if err != nil {
		t.Fatal(err)
	}
	oc, err := jwt.DecodeOperatorClaims(ojwt)
	if err != nil {
		t.Fatal(err)
	}
	account, _ := nkeys.CreateAccount()
	apub, _ := account.PublicKey()
	ajwt, err := jwt.NewAccountClaims(apub).Encode(operator)
	if err != nil {
		t.Fatal(err)
	}
	resolver := &server.MemAccResolver{}
	if err := resolver.Store(apub, ajwt); err != nil {
		t.Fatal(err)
	}
	s := StartServer(t, &server.Options{TrustedOperators: []*jwt.OperatorClaims{oc}, AccountResolver: resolver})

	creds := func(name string, signer nkeys.KeyPair) string {
		user, _ := nkeys.CreateUser()
		upub, _ := user.PublicKey()
		useed, _ := user.Seed()
		uc := jwt.NewUserClaims(upub)
		uc.Pub.Allow.Add(schema.StreamSubjects)
		uc.Sub.Allow.Add("_INBOX.>")
		ujwt, err := uc.Encode(signer)
		if err != nil {
			t.Fatal(err)
		}
		b, err := jwt.FormatUserConfig(ujwt, useed)
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, dir, name+".creds", b)
	}
	stranger, _ := nkeys.CreateAccount()
	cases := []struct {
		name string
		file string
		ok   bool
	}{
		{"Creds", creds("producer", account), true},
		{"ErrUnknownAccount", creds("stranger", stranger), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := natsjs.Connect(natsjs.ClientConfig{URL: s.ClientURL(), CredsFile: tc.file}, nil, nil)
			if (err == nil) != tc.ok {
				t.Fatalf("got %v, want ok=%v", err, tc.ok)
			}
			if err == nil {
				defer nc.Close()
				if err := nc.Publish(eventSubject, nil); err != nil {
					t.Fatal(err)
				}
				if err := nc.Flush(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// testPKI is a CA and the server and client certificates it signed, as PEM
// files.
type testPKI struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
	OtherCA                                          string // a CA that signed nothing here
}

func newTestPKI(tb testing.TB) testPKI {
	tb.Helper()
	dir := tb.TempDir()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		return k
	}
	serial := int64(0)
	issue := func(tmpl *x509.Certificate, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, []byte) {
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			tb.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			tb.Fatal(err)
		}
		return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	keyPEM := func(k *ecdsa.PrivateKey) []byte {
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			tb.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	}
	caTmpl := func(name string) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	}
	caKey := newKey()
	ca, caPEM := issue(caTmpl("coalition test CA"), caKey, nil, nil)
	_, otherPEM := issue(caTmpl("another CA"), newKey(), nil, nil)
	srvKey, cliKey := newKey(), newKey()
	_, srvPEM := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "nats"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, srvKey, ca, caKey)
	_, cliPEM := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "producer"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, cliKey, ca, caKey)
	return testPKI{
		CA: writeFile(tb, dir, "ca.pem", caPEM), OtherCA: writeFile(tb, dir, "other-ca.pem", otherPEM),
		ServerCert: writeFile(tb, dir, "server.pem", srvPEM), ServerKey: writeFile(tb, dir, "server-key.pem", keyPEM(srvKey)),
		ClientCert: writeFile(tb, dir, "client.pem", cliPEM), ClientKey: writeFile(tb, dir, "client-key.pem", keyPEM(cliKey)),
	}
}

// TestConnectTLS connects over TLS to a server that verifies client
// certificates, with the CA, certificate and key of natsjs.ClientConfig.
func TestConnectTLS(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: pki.ServerCert, KeyFile: pki.ServerKey, CaFile: pki.CA, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	s := StartServer(t, &server.Options{TLS: true, TLSVerify: true, TLSConfig: tc, TLSTimeout: 2})
	url := fmt.Sprintf("tls://127.0.0.1:%d", s.Addr().(*net.TCPAddr).Port)
	cases := []struct {
		name string
		cfg  natsjs.ClientConfig
		ok   bool
	}{
		{"MutualTLS", natsjs.ClientConfig{URL: url, TLSCA: pki.CA, TLSCert: pki.ClientCert, TLSKey: pki.ClientKey}, true},
		{"ErrNoClientCert", natsjs.ClientConfig{URL: url, TLSCA: pki.CA}, false},
		{"ErrUnknownServerCA", natsjs.ClientConfig{URL: url, TLSCA: pki.OtherCA, TLSCert: pki.ClientCert, TLSKey: pki.ClientKey}, false},
		{"ErrMissingKey", natsjs.ClientConfig{URL: url, TLSCA: pki.CA, TLSCert: pki.ClientCert}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := natsjs.Connect(tc.cfg, nil, nil)
			if (err == nil) != tc.ok {
				t.Fatalf("got %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				return
			}
			defer nc.Close()
			if !nc.TLSRequired() {
				t.Error("connection is not TLS")
			}
			if err := nc.Publish(eventSubject, nil); err != nil {
				t.Fatal(err)
			}
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
