package client

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/sources/mysql/proto"
	"github.com/seed5aa6e046/syncer/test/harness"
)

// writePKI writes the CA, the server certificate and its key as PEM files
// for mariadbd's --ssl-* options.
func writePKI(t *testing.T, pki *testPKI) (ca, cert, key string) {
	t.Helper()
	dir := t.TempDir()
	ca, cert, key = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "server-cert.pem"), filepath.Join(dir, "server-key.pem")
	keyDER, err := x509.MarshalPKCS8PrivateKey(pki.serverCert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	for path, data := range map[string][]byte{
		ca:   pki.caPEM,
		cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pki.serverCert.Certificate[0]}),
		key:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return ca, cert, key
}

// TestTLSRealMariaDB runs the TLS modes against a MariaDB started with a
// test certificate for 127.0.0.1 (not "localhost").
func TestTLSRealMariaDB(t *testing.T) {
	if testServer == nil {
		t.Skip(skipMsg)
	}
	pki := newTestPKI(t, []string{"db.test.example"}, []net.IP{net.IPv4(127, 0, 0, 1)})
	ca, cert, key := writePKI(t, pki)
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{
		ExtraArgs: []string{"--ssl-ca=" + ca, "--ssl-cert=" + cert, "--ssl-key=" + key},
	})
	user, pw := m.User()
	port := m.Addr()[strings.LastIndexByte(m.Addr(), ':'):]
	for _, tc := range []struct {
		dsn     string
		wantErr string
	}{
		{"tcp(" + m.Addr() + ")/", ""},
		{"tcp(" + m.Addr() + ")/?tls=required", ""},
		{"tcp(" + m.Addr() + ")/?ssl-mode=VERIFY_CA&ssl-ca=" + ca, ""},
		{"tcp(" + m.Addr() + ")/?ssl-mode=VERIFY_IDENTITY&ssl-ca=" + ca, ""},
		// The certificate does not name localhost: verify-ca accepts it,
		// verify-identity does not.
		{"tcp(localhost" + port + ")/?ssl-mode=VERIFY_CA&ssl-ca=" + ca, ""},
		{"tcp(localhost" + port + ")/?ssl-mode=VERIFY_IDENTITY&ssl-ca=" + ca, "localhost"},
		// Without the CA the system pool does not trust it.
		{"tcp(" + m.Addr() + ")/?tls=true", "certificate"},
	} {
		cfg, err := ParseDSN(user + ":" + pw + "@" + tc.dsn)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Connect(t.Context(), cfg)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want one mentioning %q", tc.dsn, err, tc.wantErr)
			}
			if c != nil {
				c.Close()
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.dsn, err)
			continue
		}
		st, ok := c.TLSConnectionState()
		if !ok {
			t.Errorf("%s: no TLS", tc.dsn)
		}
		res, err := c.Query(t.Context(), "SHOW SESSION STATUS LIKE 'Ssl_version'")
		if err != nil || len(res.Rows) != 1 || !strings.HasPrefix(res.Rows[0][1].String, "TLSv1.") {
			t.Errorf("%s: Ssl_version %+v %v (client: %x)", tc.dsn, res, err, st.Version)
		}
		c.Close()
	}
	// A client certificate from ssl-cert/ssl-key, for an account that
	// requires one.
	if _, err := m.DB().ExecContext(t.Context(), "CREATE USER 'x509u'@'%' IDENTIFIED BY 'x509-pw' REQUIRE X509"); err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM := pki.clientCertPEM(t, "x509u")
	dir := t.TempDir()
	clientCert, clientKey := filepath.Join(dir, "client-cert.pem"), filepath.Join(dir, "client-key.pem")
	os.WriteFile(clientCert, certPEM, 0o600)
	os.WriteFile(clientKey, keyPEM, 0o600)
	base := "x509u:x509-pw@tcp(" + m.Addr() + ")/?ssl-mode=VERIFY_IDENTITY&ssl-ca=" + ca
	cfg, err := ParseDSN(base + "&ssl-cert=" + clientCert + "&ssl-key=" + clientKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Connect(t.Context(), cfg)
	if err != nil {
		t.Fatalf("with a client certificate: %v", err)
	}
	c.Close()
	cfg, err = ParseDSN(base)
	if err != nil {
		t.Fatal(err)
	}
	var se *proto.ServerError
	if _, err := Connect(t.Context(), cfg); !errors.As(err, &se) || se.Code != 1045 {
		t.Fatalf("REQUIRE X509 account without a certificate: %v", err)
	}

	// The driver connector uses the same TLS settings.
	cfg, err = ParseDSN(user + ":" + pw + "@tcp(" + m.Addr() + ")/?ssl-mode=VERIFY_IDENTITY&ssl-ca=" + ca)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := cfg.DriverConnector()
	if err != nil {
		t.Fatal(err)
	}
	dc, err := conn.Connect(t.Context())
	if err != nil {
		t.Fatalf("driver connector over verify-identity TLS: %v", err)
	}
	dc.Close()
}
