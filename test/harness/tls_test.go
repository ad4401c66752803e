package harness_test

import (
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// openWith opens a pool from cfg without the driver's global TLS registry.
func openWith(t *testing.T, cfg *mysql.Config) *sql.DB {
	t.Helper()
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMariaDBTLS(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{TLS: true, RequireSecureTransport: true})

	if !m.TLSEnabled() || m.CACertPool() == nil {
		t.Fatalf("TLSEnabled() = %v, CACertPool() = %v", m.TLSEnabled(), m.CACertPool())
	}
	if b, err := os.ReadFile(m.CAFile()); err != nil || !strings.Contains(string(b), "BEGIN CERTIFICATE") {
		t.Fatalf("CAFile %q: %v", m.CAFile(), err)
	}
	cf, err := m.ServerCertificate()
	if err != nil {
		t.Fatal(err)
	}
	leaf := cf.Leaf.Leaf
	if len(leaf.IPAddresses) != 1 || !leaf.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) ||
		len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != "localhost" {
		t.Errorf("server certificate SANs: IPs %v, DNS %v; want 127.0.0.1 and localhost", leaf.IPAddresses, leaf.DNSNames)
	}
	if life := time.Until(leaf.NotAfter); life <= 23*time.Hour || life > 25*time.Hour {
		t.Errorf("server certificate expires in %v, want about a day", life)
	}

	// DB() works: with RequireSecureTransport the harness connects over TLS.
	var haveSSL, require string
	if err := m.DB().QueryRowContext(ctx, "SELECT @@have_ssl, @@require_secure_transport").Scan(&haveSSL, &require); err != nil {
		t.Fatal(err)
	}
	if haveSSL != "YES" || require != "1" {
		t.Errorf("have_ssl = %q, require_secure_transport = %q; want YES and 1", haveSSL, require)
	}

	user, pw := m.User()
	base := func() *mysql.Config {
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = user, pw, "tcp", m.Addr()
		cfg.Timeout = 5 * time.Second
		return cfg
	}

	// A verified TLS connection through mysql.Config.TLS (no registry).
	cfg := base()
	cfg.TLS = &tls.Config{RootCAs: m.CACertPool(), ServerName: "127.0.0.1"}
	var name, cipher string
	if err := openWith(t, cfg).QueryRowContext(ctx, "SHOW STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil {
		t.Fatalf("verified TLS connection: %v", err)
	}
	if cipher == "" {
		t.Error("Ssl_cipher is empty on a TLS connection")
	}
	t.Logf("Ssl_cipher = %s", cipher)

	// Plain TCP with the same account is refused. MariaDB 10.11 reports
	// the insecure transport as access denied (1045).
	var myErr *mysql.MySQLError
	if err := openWith(t, base()).PingContext(ctx); !errors.As(err, &myErr) || myErr.Number != 1045 {
		t.Errorf("plain TCP with require_secure_transport=ON: %v, want error 1045", err)
	}

	// Verification fails against another CA, and for another name.
	other, err := harness.GenerateCertificate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg = base()
	cfg.TLS = &tls.Config{RootCAs: other.CAPool, ServerName: "127.0.0.1"}
	var unknownCA x509.UnknownAuthorityError
	if err := openWith(t, cfg).PingContext(ctx); !errors.As(err, &unknownCA) {
		t.Errorf("connection with another CA: %v, want x509.UnknownAuthorityError", err)
	}
	cfg = base()
	cfg.TLS = &tls.Config{RootCAs: m.CACertPool(), ServerName: "wrong.example"}
	var hostErr x509.HostnameError
	if err := openWith(t, cfg).PingContext(ctx); !errors.As(err, &hostErr) {
		t.Errorf("connection verifying wrong.example: %v, want x509.HostnameError", err)
	}
}

// tlsServe accepts one TLS connection with cert, answers "ok" and closes.
func tlsServe(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			_, _ = c.Write([]byte("ok"))
			c.Close()
		}
	}()
	return ln.Addr().String()
}

func tlsDial(addr string, pool *x509.CertPool, serverName string) error {
	d := tls.Dialer{Config: &tls.Config{RootCAs: pool, ServerName: serverName}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	b, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if string(b) != "ok" {
		return errors.New("unexpected answer " + string(b))
	}
	return nil
}

func TestGenerateCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, err := harness.GenerateCertificate(dir)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := harness.GenerateCertificate(dir, "wrong.example")
	if err != nil {
		t.Fatal(err)
	}
	if good.CAFile == wrong.CAFile || good.KeyFile == wrong.KeyFile {
		t.Fatal("two certificates in one directory share files")
	}
	// The files hold the same key pair as Leaf.
	for _, cf := range []harness.CertFiles{good, wrong} {
		pair, err := tls.LoadX509KeyPair(cf.CertFile, cf.KeyFile)
		if err != nil {
			t.Fatalf("load %s: %v", cf.CertFile, err)
		}
		if string(pair.Certificate[0]) != string(cf.Leaf.Certificate[0]) {
			t.Fatalf("%s differs from Leaf", cf.CertFile)
		}
		pool := x509.NewCertPool()
		b, err := os.ReadFile(cf.CAFile)
		if err != nil || !pool.AppendCertsFromPEM(b) {
			t.Fatalf("CA file %s: %v", cf.CAFile, err)
		}
		if _, err := cf.Leaf.Leaf.Verify(x509.VerifyOptions{Roots: pool}); err != nil {
			t.Fatalf("leaf does not verify against %s: %v", cf.CAFile, err)
		}
	}

	goodAddr := tlsServe(t, good.Leaf)
	for _, name := range []string{"127.0.0.1", "localhost"} {
		if err := tlsDial(goodAddr, good.CAPool, name); err != nil {
			t.Errorf("default certificate, server name %s: %v", name, err)
		}
	}
	if err := tlsDial(goodAddr, wrong.CAPool, "127.0.0.1"); err == nil {
		t.Error("certificate verified against another CA")
	}
	wrongAddr := tlsServe(t, wrong.Leaf)
	var hostErr x509.HostnameError
	if err := tlsDial(wrongAddr, wrong.CAPool, "127.0.0.1"); !errors.As(err, &hostErr) {
		t.Errorf("wrong.example certificate for 127.0.0.1: %v, want x509.HostnameError", err)
	}
	if err := tlsDial(wrongAddr, wrong.CAPool, "wrong.example"); err != nil {
		t.Errorf("wrong.example certificate for wrong.example: %v", err)
	}
}

func TestRequireSecureTransportNeedsTLS(t *testing.T) {
	t.Parallel()
	_, err := harness.StartMariaDB(t.Context(), harness.MariaDBOptions{RequireSecureTransport: true})
	if err == nil || !strings.Contains(err.Error(), "needs TLS") {
		t.Fatalf("StartMariaDB(RequireSecureTransport without TLS) = %v, want an option error", err)
	}
}
