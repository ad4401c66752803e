package client

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/proto"
)

func fakeConfig(addr string) *Config {
	cfg := NewConfig()
	cfg.User, cfg.Password, cfg.Addr = "u", "sekret-pw", addr
	cfg.ConnectTimeout = 3 * time.Second
	return cfg
}

// connectFake connects and returns the error and how long it took.
func connectFake(t *testing.T, cfg *Config) (*Conn, error, time.Duration) {
	t.Helper()
	start := time.Now()
	c, err := Connect(t.Context(), cfg)
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err, time.Since(start)
}

func TestFakeServerClosesDuringHandshake(t *testing.T) {
	addr := fakeServer(t, func(fc *fakeConn) error { return nil })
	_, err, d := connectFake(t, fakeConfig(addr))
	want := "connect to " + addr + ": server closed the connection during the handshake (read 0 of 4 header bytes): unexpected EOF"
	if err == nil || err.Error() != want || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if d > 4*time.Second {
		t.Fatalf("took %v", d)
	}
	// Closing after part of a header.
	addr = fakeServer(t, func(fc *fakeConn) error { fc.nc.Write([]byte{50, 0}); return nil })
	_, err, _ = connectFake(t, fakeConfig(addr))
	if err == nil || !strings.Contains(err.Error(), "server closed the connection during the handshake (read 2 of 4 header bytes") {
		t.Fatalf("err = %v", err)
	}
	// Closing after the handshake, while authenticating.
	addr = fakeServer(t, func(fc *fakeConn) error {
		_, err := fc.greet(fakeCaps, pluginNative, fakeNonce, nil)
		return err
	})
	_, err, _ = connectFake(t, fakeConfig(addr))
	if err == nil || !strings.Contains(err.Error(), `server closed the connection during the authentication as user "u" with plugin mysql_native_password`) {
		t.Fatalf("err = %v", err)
	}
}

func TestFakeServerMalformedHandshake(t *testing.T) {
	for name, pkt := range map[string][]byte{
		"no NUL":           {10, 'x', 'y'},
		"protocol 9":       append([]byte{9}, handshakePacket(fakeCaps, pluginNative, fakeNonce)[1:]...),
		"truncated":        handshakePacket(fakeCaps, pluginNative, fakeNonce)[:20],
		"no protocol 4.1":  handshakePacket(proto.ClientSecureConnection, pluginNative, fakeNonce),
		"empty":            {},
		"too many clients": errPacket(1040, "08004", "Too many connections"),
	} {
		t.Run(name, func(t *testing.T) {
			addr := fakeServer(t, func(fc *fakeConn) error {
				fc.fr.WritePacket(pkt)
				fc.drain()
				return nil
			})
			_, err, d := connectFake(t, fakeConfig(addr))
			if err == nil || !strings.HasPrefix(err.Error(), "connect to "+addr+": ") {
				t.Fatalf("err = %v", err)
			}
			if d > 4*time.Second {
				t.Fatalf("took %v: %v", d, err)
			}
			var se *proto.ServerError
			if name == "too many clients" && (!errors.As(err, &se) || se.Code != 1040) {
				t.Fatalf("err = %v, want ServerError 1040", err)
			}
			t.Log(err)
		})
	}
}

func TestFakeServerGarbage(t *testing.T) {
	cases := map[string][]byte{
		// Announces 16 MiB, sends 3 bytes, then hangs: bounded by the
		// connect timeout, no 16 MiB allocation up front.
		"lying length": {0xff, 0xff, 0xff, 0, 10, 'a', 'b'},
		"bad sequence": {5, 0, 0, 7, 10, 'a', 0, 0, 0},
		"http":         []byte("HTTP/1.1 400 Bad Request\r\n\r\n"),
	}
	for name, wire := range cases {
		t.Run(name, func(t *testing.T) {
			addr := fakeServer(t, func(fc *fakeConn) error {
				fc.nc.Write(wire)
				fc.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
				io.Copy(io.Discard, fc.nc)
				return nil
			})
			cfg := fakeConfig(addr)
			cfg.ConnectTimeout = time.Second
			_, err, d := connectFake(t, cfg)
			if err == nil || d > 4*time.Second {
				t.Fatalf("err = %v after %v", err, d)
			}
			t.Log(err)
			if name == "lying length" && !strings.Contains(err.Error(), "connect timeout 1s exceeded") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestFakeServerSilent(t *testing.T) {
	addr := fakeServer(t, func(fc *fakeConn) error {
		fc.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
		io.Copy(io.Discard, fc.nc)
		return nil
	})
	cfg := fakeConfig(addr)
	cfg.ConnectTimeout = 500 * time.Millisecond
	_, err, d := connectFake(t, cfg)
	if !errors.Is(err, os.ErrDeadlineExceeded) || d > 3*time.Second {
		t.Fatalf("err = %v after %v", err, d)
	}
	// The caller's context is honoured too.
	ctx, cancel := t.Context(), func() {}
	ctx, cancel = contextWithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	cfg.ConnectTimeout = 10 * time.Second
	start := time.Now()
	_, err = Connect(ctx, cfg)
	if err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestFakeCachingSHA2FastPath(t *testing.T) {
	s := &sha2Server{password: "sekret-pw", cached: true}
	addr := fakeServer(t, s.handle)
	c, err, _ := connectFake(t, fakeConfig(addr))
	if err != nil {
		t.Fatal(err)
	}
	if c.AuthPlugin() != pluginCachingSHA2 || c.ServerVersion() != "8.0.99-fake" || c.IsMariaDB() || c.ConnectionID() != 42 {
		t.Fatalf("plugin %q version %q mariadb %v id %d", c.AuthPlugin(), c.ServerVersion(), c.IsMariaDB(), c.ConnectionID())
	}
	cfg := fakeConfig(addr)
	cfg.Password = "wrong"
	_, err, _ = connectFake(t, cfg)
	var se *proto.ServerError
	if !errors.As(err, &se) || se.Code != 1045 {
		t.Fatalf("wrong password: %v", err)
	}
}

func writeKeyPEM(t *testing.T, pub *rsa.PublicKey, pkcs1 bool) string {
	t.Helper()
	var block *pem.Block
	if pkcs1 {
		block = &pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(pub)}
	} else {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "PUBLIC KEY", Bytes: der}
	}
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFakeCachingSHA2FullAuth(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("refused without key or TLS", func(t *testing.T) {
		s := &sha2Server{password: "sekret-pw", key: key}
		addr := fakeServer(t, s.handle)
		_, err, _ := connectFake(t, fakeConfig(addr))
		if err == nil {
			t.Fatal("connected")
		}
		for _, want := range []string{"server-public-key-path=", "get-server-public-key=true", "TLS", `user "u" with plugin caching_sha2_password`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
	})
	t.Run("public key retrieval", func(t *testing.T) {
		s := &sha2Server{password: "sekret-pw", key: key}
		addr := fakeServer(t, s.handle)
		cfg := fakeConfig(addr)
		cfg.AllowPublicKeyRetrieval = true
		if _, err, _ := connectFake(t, cfg); err != nil {
			t.Fatal(err)
		}
		if r := s.result(); r != "RSA with retrieved key" {
			t.Fatalf("server saw %q", r)
		}
		cfg.Password = "wrong"
		_, err, _ = connectFake(t, cfg)
		var se *proto.ServerError
		if !errors.As(err, &se) || se.Code != 1045 {
			t.Fatalf("wrong password: %v", err)
		}
	})
	for _, pkcs1 := range []bool{false, true} {
		name := map[bool]string{false: "pinned PKIX key from DSN", true: "pinned PKCS#1 key from DSN"}[pkcs1]
		t.Run(name, func(t *testing.T) {
			s := &sha2Server{password: "p@ss:w/rd", key: key}
			addr := fakeServer(t, s.handle)
			cfg, err := ParseDSN("u:p@ss:w/rd@tcp(" + addr + ")/?timeout=3s&server-public-key-path=" + writeKeyPEM(t, &key.PublicKey, pkcs1))
			if err != nil {
				t.Fatal(err)
			}
			if _, err, _ := connectFake(t, cfg); err != nil {
				t.Fatal(err)
			}
			if r := s.result(); r != "RSA with pinned key" {
				t.Fatalf("server saw %q", r)
			}
		})
	}
	t.Run("wrong pinned key", func(t *testing.T) {
		other, _ := rsa.GenerateKey(rand.Reader, 2048)
		s := &sha2Server{password: "sekret-pw", key: key}
		addr := fakeServer(t, s.handle)
		cfg := fakeConfig(addr)
		cfg.ServerPubKey = &other.PublicKey
		_, err, _ := connectFake(t, cfg)
		var se *proto.ServerError
		if !errors.As(err, &se) || se.Code != 1045 {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("cleartext over TLS", func(t *testing.T) {
		pki := newTestPKI(t, []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)})
		s := &sha2Server{password: "sekret-pw", tls: pki.server()}
		addr := fakeServer(t, s.handle)
		cfg := fakeConfig(addr)
		cfg.TLSMode = TLSVerifyIdentity
		cfg.TLSConfig = &tls.Config{RootCAs: pki.caPool}
		c, err, _ := connectFake(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if st, ok := c.TLSConnectionState(); !ok || !st.HandshakeComplete || st.Version < tls.VersionTLS12 {
			t.Fatalf("TLS state %v %+v", ok, st)
		}
		if r := s.result(); r != "cleartext over TLS" {
			t.Fatalf("server saw %q", r)
		}
		if cfg.TLSConfig.ServerName != "" || cfg.TLSConfig.MinVersion != 0 {
			t.Fatal("the base TLS config was mutated")
		}
	})
}

// TestFakeAuthSwitch: the server announces caching_sha2_password, then
// switches the account to mysql_native_password with a new nonce.
func TestFakeAuthSwitch(t *testing.T) {
	nonce2 := []byte("ZYXWVUTSRQPONMLKJIHG")
	var switches int
	addr := fakeServer(t, func(fc *fakeConn) error {
		r, err := fc.greet(fakeCaps, pluginCachingSHA2, fakeNonce, nil)
		if err != nil {
			return err
		}
		if r.plugin != pluginCachingSHA2 || !checkSHA2Fast("sekret-pw", fakeNonce, r.auth) {
			return errors.New("first response is not a caching_sha2 scramble")
		}
		for range switches {
			fc.fr.WritePacket(proto.AppendAuthSwitchRequest(nil, pluginNative, append(bytes.Clone(nonce2), 0)))
			p, err := fc.fr.ReadPacket()
			if err != nil {
				return nil // the client refused a second switch
			}
			if !checkNative("sekret-pw", nonce2, p) {
				return fc.fr.WritePacket(errPacket(1045, "28000", "Access denied (native)"))
			}
		}
		fc.fr.WritePacket(okPacket())
		fc.drain()
		return nil
	})
	switches = 1
	c, err, _ := connectFake(t, fakeConfig(addr))
	if err != nil {
		t.Fatal(err)
	}
	if c.AuthPlugin() != pluginNative {
		t.Fatalf("AuthPlugin %q", c.AuthPlugin())
	}
	c.Close()
}

func TestFakeAuthSwitchTwiceAndUnknown(t *testing.T) {
	for _, tc := range []struct {
		name     string
		switches [][]byte
		want     string
	}{
		{"twice", [][]byte{
			proto.AppendAuthSwitchRequest(nil, pluginNative, append(bytes.Clone(fakeNonce), 0)),
			proto.AppendAuthSwitchRequest(nil, pluginNative, append(bytes.Clone(fakeNonce), 0)),
		}, "second auth switch request"},
		{"unknown plugin", [][]byte{proto.AppendAuthSwitchRequest(nil, "auth_gssapi_client", []byte("x"))}, `unsupported authentication plugin "auth_gssapi_client"`},
		{"clear text over TCP", [][]byte{proto.AppendAuthSwitchRequest(nil, pluginClear, nil)}, "refusing without TLS or a unix socket"},
		{"old password", [][]byte{{0xfe}}, "mysql_old_password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeServer(t, func(fc *fakeConn) error {
				if _, err := fc.greet(fakeCaps, pluginNative, fakeNonce, nil); err != nil {
					return err
				}
				for _, sw := range tc.switches {
					fc.fr.WritePacket(sw)
					if _, err := fc.fr.ReadPacket(); err != nil {
						return nil
					}
				}
				fc.fr.WritePacket(okPacket())
				return nil
			})
			_, err, _ := connectFake(t, fakeConfig(addr))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestFakeTLSModes(t *testing.T) {
	// The certificate names another host: verify-ca accepts it,
	// verify-identity does not.
	pki := newTestPKI(t, []string{"db.other.example"}, nil)
	s := &sha2Server{password: "sekret-pw", cached: true, tls: pki.server()}
	addr := fakeServer(t, s.handle)
	otherPKI := newTestPKI(t, []string{"db.other.example"}, nil)

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pki.caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode    TLSMode
		roots   *x509.CertPool
		wantErr string
		wantTLS bool
	}{
		{TLSPreferred, nil, "", true},
		{TLSDisabled, nil, "", false},
		{TLSRequired, nil, "", true},
		{TLSVerifyCA, pki.caPool, "", true},
		{TLSVerifyCA, otherPKI.caPool, "verify-ca", false},
		{TLSVerifyIdentity, pki.caPool, "127.0.0.1", false},
		{TLSVerifyIdentity, otherPKI.caPool, "certificate", false},
	} {
		cfg := fakeConfig(addr)
		cfg.TLSMode = tc.mode
		if tc.roots != nil {
			cfg.TLSConfig = &tls.Config{RootCAs: tc.roots}
		}
		c, err, _ := connectFake(t, cfg)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "TLS handshake") {
				t.Errorf("%v: err = %v, want one mentioning %q", tc.mode, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.mode, err)
			continue
		}
		if _, ok := c.TLSConnectionState(); ok != tc.wantTLS {
			t.Errorf("%v: TLS %v", tc.mode, ok)
		}
	}
	// Through a DSN: verify-ca with ssl-ca.
	cfg, err := ParseDSN("u:sekret-pw@tcp(" + addr + ")/?ssl-mode=VERIFY_CA&ssl-ca=" + caFile + "&timeout=3s")
	if err != nil {
		t.Fatal(err)
	}
	if _, err, _ := connectFake(t, cfg); err != nil {
		t.Fatalf("verify-ca from DSN: %v", err)
	}

	// A server without TLS: preferred falls back, required fails clearly.
	plain := &sha2Server{password: "sekret-pw", cached: true}
	addr = fakeServer(t, plain.handle)
	cfg = fakeConfig(addr)
	if c, err, _ := connectFake(t, cfg); err != nil {
		t.Fatalf("preferred without server TLS: %v", err)
	} else if _, ok := c.TLSConnectionState(); ok {
		t.Fatal("TLS state on a plain connection")
	}
	for _, mode := range []TLSMode{TLSRequired, TLSVerifyCA, TLSVerifyIdentity} {
		cfg.TLSMode = mode
		_, err, _ := connectFake(t, cfg)
		if err == nil || !strings.Contains(err.Error(), "does not offer TLS") || !strings.Contains(err.Error(), mode.String()) {
			t.Errorf("%v against a plain server: %v", mode, err)
		}
	}
}
