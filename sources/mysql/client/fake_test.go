package client

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/proto"
)

// A fake server on a loopback listener, for peers that misbehave or
// authenticate in ways the test MariaDB cannot (caching_sha2_password).

type fakeConn struct {
	nc net.Conn
	fr *proto.Framer
}

// fakeServer accepts connections on 127.0.0.1 and runs handle on each.
// Errors a handler returns fail the test.
func fakeServer(t *testing.T, handle func(fc *fakeConn) error) string {
	t.Helper()
	return fakeServerTB(t, handle)
}

// fakeServerTB is fakeServer for tests and benchmarks.
func fakeServerTB(t testing.TB, handle func(fc *fakeConn) error) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				nc.SetDeadline(time.Now().Add(10 * time.Second))
				// One byte per read, so the framer never buffers the
				// client's TLS ClientHello that follows its SSLRequest.
				fr := proto.NewFramer(struct {
					io.Reader
					io.Writer
				}{iotest.OneByteReader(nc), nc})
				if err := handle(&fakeConn{nc: nc, fr: fr}); err != nil {
					t.Errorf("fake server: %v", err)
				}
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	return l.Addr().String()
}

var fakeNonce = []byte("0123456789abcdefghij")

const fakeCaps = proto.ClientLongPassword | proto.ClientLongFlag | proto.ClientProtocol41 | proto.ClientTransactions |
	proto.ClientSecureConnection | proto.ClientPluginAuth | proto.ClientPluginAuthLenEncClientData | proto.ClientMultiResults

// handshakePacket builds a MySQL 8-style handshake.
func handshakePacket(caps uint32, plugin string, nonce []byte) []byte {
	b := []byte{10}
	b = proto.AppendNULString(b, "8.0.99-fake")
	b = binary.LittleEndian.AppendUint32(b, 42)
	b = append(b, nonce[:8]...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(caps))
	b = append(b, 255)
	b = binary.LittleEndian.AppendUint16(b, proto.ServerStatusAutocommit)
	b = binary.LittleEndian.AppendUint16(b, uint16(caps>>16))
	b = append(b, byte(len(nonce)+1))
	b = append(b, make([]byte, 10)...)
	b = append(b, nonce[8:]...)
	b = append(b, 0)
	return proto.AppendNULString(b, plugin)
}

// clientResponse is the parsed HandshakeResponse41.
type clientResponse struct {
	caps   uint32
	user   string
	auth   []byte
	db     string
	plugin string
}

func parseClientResponse(b []byte) (*clientResponse, error) {
	if len(b) < 32 {
		return nil, fmt.Errorf("handshake response of %d bytes", len(b))
	}
	r := &clientResponse{caps: binary.LittleEndian.Uint32(b)}
	p := b[32:]
	user, n, err := proto.ReadNULString(p)
	if err != nil {
		return nil, err
	}
	r.user = string(user)
	p = p[n:]
	if r.caps&proto.ClientPluginAuthLenEncClientData != 0 {
		auth, _, n, err := proto.ReadLenEncString(p)
		if err != nil {
			return nil, err
		}
		r.auth, p = bytes.Clone(auth), p[n:]
	} else {
		l := int(p[0])
		r.auth, p = bytes.Clone(p[1:1+l]), p[1+l:]
	}
	if r.caps&proto.ClientConnectWithDB != 0 {
		db, n, err := proto.ReadNULString(p)
		if err != nil {
			return nil, err
		}
		r.db, p = string(db), p[n:]
	}
	if r.caps&proto.ClientPluginAuth != 0 {
		pl, _, err := proto.ReadNULString(p)
		if err != nil {
			return nil, err
		}
		r.plugin = string(pl)
	}
	return r, nil
}

func okPacket() []byte { return []byte{0, 0, 0, 2, 0, 0, 0} }

func errPacket(code uint16, state, msg string) []byte {
	b := []byte{0xff}
	b = binary.LittleEndian.AppendUint16(b, code)
	b = append(b, '#')
	b = append(b, state...)
	return append(b, msg...)
}

// serverTLS is the fake server's TLS setup.
type serverTLS struct {
	conf *tls.Config
}

// greet sends the handshake and reads the client's response, running the
// TLS handshake first when the client sends an SSLRequest.
func (fc *fakeConn) greet(caps uint32, plugin string, nonce []byte, st *serverTLS) (*clientResponse, error) {
	if err := fc.fr.WritePacket(handshakePacket(caps, plugin, nonce)); err != nil {
		return nil, err
	}
	p, err := fc.fr.ReadPacket()
	if err == io.EOF {
		// The client gave up after the handshake (e.g. no TLS offered).
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read handshake response: %w", err)
	}
	if len(p) == 32 {
		if binary.LittleEndian.Uint32(p)&proto.ClientSSL == 0 || st == nil {
			return nil, fmt.Errorf("unexpected SSLRequest")
		}
		tc := tls.Server(fc.nc, st.conf)
		if err := tc.Handshake(); err != nil {
			// The client may reject our certificate: not a server error.
			return nil, nil
		}
		fc.nc = tc
		fc.fr.SetTransport(tc)
		if p, err = fc.fr.ReadPacket(); err != nil {
			return nil, fmt.Errorf("read handshake response over TLS: %w", err)
		}
	}
	return parseClientResponse(p)
}

// drain waits for the client's COM_QUIT or close.
func (fc *fakeConn) drain() {
	fc.fr.ResetSequence()
	fc.fr.ReadPacket()
}

// Server-side checks, written from the server's point of view (what it
// stores and how it verifies), independently of the client's code.

func checkNative(password string, nonce, resp []byte) bool {
	s1 := sha1.Sum([]byte(password))
	stored := sha1.Sum(s1[:]) // SHA1(SHA1(pw)), mysql.user's hash
	h := sha1.New()
	h.Write(nonce)
	h.Write(stored[:])
	x := h.Sum(nil)
	if len(resp) != len(x) {
		return false
	}
	for i := range x {
		x[i] ^= resp[i]
	}
	got := sha1.Sum(x)
	return got == stored
}

func checkSHA2Fast(password string, nonce, resp []byte) bool {
	s1 := sha256.Sum256([]byte(password))
	cached := sha256.Sum256(s1[:]) // the server's cache entry
	h := sha256.New()
	h.Write(cached[:])
	h.Write(nonce)
	x := h.Sum(nil)
	if len(resp) != len(x) {
		return false
	}
	for i := range x {
		x[i] ^= resp[i]
	}
	return sha256.Sum256(x) == cached
}

// sha2Server is the server side of caching_sha2_password.
type sha2Server struct {
	password string
	cached   bool            // fast path succeeds
	key      *rsa.PrivateKey // for full authentication over plain TCP
	tls      *serverTLS
	// result of the last full authentication, for the test to inspect
	mu       sync.Mutex
	fullAuth string
}

func (s *sha2Server) handle(fc *fakeConn) error {
	caps := fakeCaps
	if s.tls != nil {
		caps |= proto.ClientSSL
	}
	r, err := fc.greet(caps, pluginCachingSHA2, fakeNonce, s.tls)
	if err != nil || r == nil {
		return err
	}
	if r.plugin != pluginCachingSHA2 {
		return fmt.Errorf("client plugin %q", r.plugin)
	}
	if s.cached {
		if !checkSHA2Fast(s.password, fakeNonce, r.auth) {
			return fc.fr.WritePacket(errPacket(1045, "28000", "Access denied (fast)"))
		}
		fc.fr.WritePacket([]byte{1, 3})
		return fc.fr.WritePacket(okPacket())
	}
	fc.fr.WritePacket([]byte{1, 4})
	p, err := fc.fr.ReadPacket()
	if err != nil {
		// The client gave up (no key, no TLS): expected in that test.
		s.setResult("client hung up")
		return nil
	}
	var plain []byte
	switch {
	case fc.nc != nil && isTLS(fc.nc):
		plain = bytes.Clone(p)
		s.setResult("cleartext over TLS")
	default:
		if bytes.Equal(p, []byte{2}) {
			der, _ := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
			pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			fc.fr.WritePacket(append([]byte{1}, pemKey...))
			if p, err = fc.fr.ReadPacket(); err != nil {
				return err
			}
			s.setResult("RSA with retrieved key")
		} else {
			s.setResult("RSA with pinned key")
		}
		dec, err := rsa.DecryptOAEP(sha1.New(), nil, s.key, p, nil)
		if err != nil {
			return fc.fr.WritePacket(errPacket(1045, "28000", "Access denied (bad RSA)"))
		}
		for i := range dec {
			dec[i] ^= fakeNonce[i%len(fakeNonce)]
		}
		plain = dec
	}
	if !bytes.Equal(plain, append([]byte(s.password), 0)) {
		return fc.fr.WritePacket(errPacket(1045, "28000", "Access denied (full)"))
	}
	fc.fr.WritePacket(okPacket())
	fc.drain()
	return nil
}

func (s *sha2Server) setResult(r string) {
	s.mu.Lock()
	s.fullAuth = r
	s.mu.Unlock()
}

func (s *sha2Server) result() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fullAuth
}

func isTLS(nc net.Conn) bool {
	_, ok := nc.(*tls.Conn)
	return ok
}

// testPKI is a CA and a server certificate signed by it, for names.
type testPKI struct {
	caKey      *ecdsa.PrivateKey
	caCert     *x509.Certificate
	caPool     *x509.CertPool
	serverCert tls.Certificate
	caPEM      []byte
}

func newTestPKI(t *testing.T, dnsNames []string, ips []net.IP) *testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "syncer test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "fake mysql"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: dnsNames, IPAddresses: ips,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &testPKI{
		caKey:      caKey,
		caCert:     caCert,
		caPool:     pool,
		serverCert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		caPEM:      pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
	}
}

func (p *testPKI) server() *serverTLS {
	return &serverTLS{conf: &tls.Config{Certificates: []tls.Certificate{p.serverCert}, MinVersion: tls.VersionTLS12}}
}

func contextWithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

// clientCertPEM issues a client certificate signed by the CA and returns
// it and its key in PEM.
func (p *testPKI) clientCertPEM(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}
