package harness

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/go-sql-driver/mysql"
)

// CertFiles is a test certificate authority and a leaf certificate it
// signed, as PEM files and in memory.
type CertFiles struct {
	// CAFile is the CA certificate (PEM); CertFile and KeyFile are the leaf
	// certificate (PEM) and its private key (PKCS #8 PEM).
	CAFile, CertFile, KeyFile string
	// CAPool holds the CA certificate, for tls.Config.RootCAs.
	CAPool *x509.CertPool
	// Leaf is the leaf certificate and key, for tls.Config.Certificates;
	// Leaf.Leaf is parsed.
	Leaf tls.Certificate
}

// certValidity is how long generated certificates are valid. They start an
// hour in the past so that a slightly slow clock elsewhere does not matter.
const certValidity = 24 * time.Hour

// GenerateCertificate creates, in a new subdirectory of dir, a fresh CA and
// a leaf certificate signed by it, both ECDSA P-256 and valid for a day.
// Each host becomes a subject alternative name: an IP address SAN when it
// parses as one, a DNS SAN otherwise; with no hosts the SANs are 127.0.0.1
// and localhost. The leaf is good for server and client authentication, so
// it serves MariaDB, a fake server in a test, or a client certificate. A
// certificate that fails hostname verification for 127.0.0.1 is
// GenerateCertificate(dir, "wrong.example").
func GenerateCertificate(dir string, hosts ...string) (CertFiles, error) {
	if len(hosts) == 0 {
		hosts = []string{"127.0.0.1", "localhost"}
	}
	certDir, err := os.MkdirTemp(dir, "certs-")
	if err != nil {
		return CertFiles{}, fmt.Errorf("harness: generate certificate: %w", err)
	}
	now := time.Now()

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return CertFiles{}, fmt.Errorf("harness: generate CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "syncer test CA", Organization: []string{"syncer tests"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return CertFiles{}, fmt.Errorf("harness: create CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return CertFiles{}, fmt.Errorf("harness: parse CA certificate: %w", err)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return CertFiles{}, fmt.Errorf("harness: generate key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"syncer tests"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return CertFiles{}, fmt.Errorf("harness: create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return CertFiles{}, fmt.Errorf("harness: parse certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return CertFiles{}, fmt.Errorf("harness: marshal key: %w", err)
	}

	cf := CertFiles{
		CAFile:   filepath.Join(certDir, "ca.pem"),
		CertFile: filepath.Join(certDir, "cert.pem"),
		KeyFile:  filepath.Join(certDir, "key.pem"),
		CAPool:   x509.NewCertPool(),
		Leaf:     tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
	}
	cf.CAPool.AddCert(caCert)
	for _, f := range []struct {
		path, typ string
		der       []byte
		mode      os.FileMode
	}{
		{cf.CAFile, "CERTIFICATE", caDER, 0o644},
		{cf.CertFile, "CERTIFICATE", der, 0o644},
		{cf.KeyFile, "PRIVATE KEY", keyDER, 0o600},
	} {
		b := pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der})
		if err := os.WriteFile(f.path, b, f.mode); err != nil {
			return CertFiles{}, fmt.Errorf("harness: write %s: %w", f.path, err)
		}
	}
	return cf, nil
}

// serial returns a random 128-bit certificate serial number.
func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		// crypto/rand does not fail on supported platforms.
		panic(fmt.Sprintf("harness: random serial: %v", err))
	}
	return n
}

// prepareTLS generates the server's certificates when Options.TLS is set.
func (m *MariaDB) prepareTLS() error {
	if !m.opts.TLS {
		return nil
	}
	cf, err := GenerateCertificate(m.dir, "127.0.0.1", "localhost")
	if err != nil {
		return fmt.Errorf("harness: start MariaDB: %w", err)
	}
	m.certs = &cf
	return nil
}

// tlsArgs returns the mariadbd options for TLS.
func (m *MariaDB) tlsArgs() []string {
	var args []string
	if m.certs != nil {
		args = append(args, "--ssl-ca="+m.certs.CAFile, "--ssl-cert="+m.certs.CertFile, "--ssl-key="+m.certs.KeyFile)
	}
	if m.opts.RequireSecureTransport {
		args = append(args, "--require-secure-transport=ON")
	}
	return args
}

// configureTLS makes cfg use TLS when the server refuses plain TCP
// (RequireSecureTransport). cfg.TLS verifies the server against CAFile for
// 127.0.0.1. A DSN string cannot carry an unregistered tls.Config, so the
// DSN form says tls=skip-verify: still encrypted, not verified.
func (m *MariaDB) configureTLS(cfg *mysql.Config) {
	if m.certs == nil || !m.opts.RequireSecureTransport {
		return
	}
	cfg.TLS = m.TLSConfig()
	cfg.TLSConfig = "skip-verify"
}

// TLSEnabled reports whether the server was started with TLS.
func (m *MariaDB) TLSEnabled() bool { return m.certs != nil }

// CAFile returns the path of the CA certificate that signed the server's
// certificate, or "" without TLS.
func (m *MariaDB) CAFile() string {
	if m.certs == nil {
		return ""
	}
	return m.certs.CAFile
}

// CACertPool returns a pool holding the server's CA certificate, or nil
// without TLS.
func (m *MariaDB) CACertPool() *x509.CertPool {
	if m.certs == nil {
		return nil
	}
	return m.certs.CAPool
}

// ServerCertificate returns the files of the server's certificate (its
// Leaf is the server's certificate and key), or an error without TLS.
func (m *MariaDB) ServerCertificate() (CertFiles, error) {
	if m.certs == nil {
		return CertFiles{}, errors.New("harness: MariaDB was started without TLS")
	}
	return *m.certs, nil
}

// TLSConfig returns a client tls.Config that verifies the server's
// certificate against CAFile with server name 127.0.0.1, or nil without
// TLS.
func (m *MariaDB) TLSConfig() *tls.Config {
	if m.certs == nil {
		return nil
	}
	return &tls.Config{RootCAs: m.certs.CAPool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}
