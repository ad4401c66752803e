package client

import (
	"crypto/rand"
	"crypto/rsa"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn  string
		want Config
	}{
		{"user:pass@tcp(db1:3307)/mydb?timeout=5s&readTimeout=1m&writeTimeout=2s",
			Config{User: "user", Password: "pass", Net: "tcp", Addr: "db1:3307", DBName: "mydb", ConnectTimeout: 5 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Second}},
		{"user@unix(/run/mysqld/mysqld.sock)/",
			Config{User: "user", Net: "unix", Addr: "/run/mysqld/mysqld.sock"}},
		{"user:pass@/db", Config{User: "user", Password: "pass", Net: "tcp", Addr: DefaultAddr, DBName: "db"}},
		{"/", Config{Net: "tcp", Addr: DefaultAddr}},
		{"u:p@tcp(db1)/", Config{User: "u", Password: "p", Net: "tcp", Addr: "db1:3306"}},
		{"u:p@tcp([::1])/", Config{User: "u", Password: "p", Net: "tcp", Addr: "[::1]:3306"}},
		// Passwords with '@', ':' and '/': the last '@' before the address
		// ends them, the first ':' starts them.
		{"u:p@ss:w/rd@tcp(h:1)/db?ssl-mode=DISABLED", Config{User: "u", Password: "p@ss:w/rd", Net: "tcp", Addr: "h:1", DBName: "db", TLSMode: TLSDisabled}},
		{"u:a/b@/", Config{User: "u", Password: "a/b", Net: "tcp", Addr: DefaultAddr}},
		{"u:p@tcp(h:1)/db?charset=utf8mb4&parseTime=true&tls=skip-verify",
			Config{User: "u", Password: "p", Net: "tcp", Addr: "h:1", DBName: "db", TLSMode: TLSRequired, Params: map[string]string{"charset": "utf8mb4", "parseTime": "true"}}},
		{"u@tcp(h)/?tls=true&get-server-public-key=true", Config{User: "u", Net: "tcp", Addr: "h:3306", TLSMode: TLSVerifyIdentity, AllowPublicKeyRetrieval: true}},
		{"u@tcp(h)/?tls=false&allowPublicKeyRetrieval=1&connect-timeout=3s", Config{User: "u", Net: "tcp", Addr: "h:3306", TLSMode: TLSDisabled, AllowPublicKeyRetrieval: true, ConnectTimeout: 3 * time.Second}},
		// URL forms.
		{"mysql://us%3Aer:p%40ss%2Fw@db1:3307/mydb?ssl-mode=VERIFY_CA", Config{User: "us:er", Password: "p@ss/w", Net: "tcp", Addr: "db1:3307", DBName: "mydb", TLSMode: TLSVerifyCA}},
		{"mariadb://repl@db1/", Config{User: "repl", Net: "tcp", Addr: "db1:3306"}},
		{"mysql://u@/db?socket=/tmp/my.sock", Config{User: "u", Net: "unix", Addr: "/tmp/my.sock", DBName: "db"}},
		{"MySQL://u@[::1]:4000", Config{User: "u", Net: "tcp", Addr: "[::1]:4000"}},
	} {
		got, err := ParseDSN(tc.dsn)
		if err != nil {
			t.Errorf("%s: %v", tc.dsn, err)
			continue
		}
		if !got.equalDSN(&tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.dsn, *got, tc.want)
		}
		// Round trip.
		again, err := ParseDSN(got.FormatDSN())
		if err != nil || !again.equalDSN(got) {
			t.Errorf("%s: round trip through %q: %+v %v", tc.dsn, got.FormatDSN(), again, err)
		}
		if r := got.Redacted(); tc.want.Password != "" && (!strings.Contains(r, "xxxxx") || strings.Contains(r, tc.want.Password+"@") || strings.Contains(r, url.UserPassword("", tc.want.Password).String())) {
			t.Errorf("%s: Redacted %q shows the password", tc.dsn, got.Redacted())
		}
	}
}

func TestParseDSNErrors(t *testing.T) {
	for dsn, want := range map[string]string{
		"u:p@tcp(h)/db?foo=bar":                        `unknown option "foo"; valid options: allowAllFiles, `,
		"u:p@tcp(h)/?tls=maybe":                        `option tls="maybe": invalid TLS mode "maybe"`,
		"u:p@tcp(h)/?timeout=soon":                     `option timeout="soon"`,
		"u:p@tcp(h)/?readTimeout=-1s":                  "must be positive",
		"u:p@tcp(h)/?ssl-ca=/nonexistent/ca.pem":       "option ssl-ca: open /nonexistent/ca.pem",
		"u:p@tcp(h)/?ssl-cert=/x.pem":                  "ssl-cert and ssl-key go together",
		"u:p@tcp(h)/?server-public-key-path=/nope.pem": "option server-public-key-path: open /nope.pem",
		"u:p@tcp(h)/?get-server-public-key=perhaps":    "option get-server-public-key",
		"u:p@udp(h)/":                                  `invalid network "udp"`,
		"u:p@unix/":                                    "unix network without a socket path",
		"u:secret@tcp(h)":                              "malformed DSN",
		"mysql://u:secret@h/db?x=1":                    `unknown option "x"`,
		"u:secret@tcp(h)/?tls=%zz":                     "bad percent-encoding",
	} {
		_, err := ParseDSN(dsn)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", dsn, err, want)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error shows the password: %v", dsn, err)
		}
	}
}

func TestParseDSNFiles(t *testing.T) {
	dir := t.TempDir()
	pki := newTestPKI(t, []string{"x"}, nil)
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, pki.caPEM, 0o600)
	key, _ := rsa.GenerateKey(rand.Reader, 1024)
	pub := writeKeyPEM(t, &key.PublicKey, false)
	bad := filepath.Join(dir, "bad.pem")
	os.WriteFile(bad, []byte("not pem"), 0o600)

	cfg, err := ParseDSN("u@tcp(h)/?ssl-mode=verify_ca&ssl-ca=" + ca + "&server-public-key-path=" + pub)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLSConfig == nil || cfg.TLSConfig.RootCAs == nil || cfg.ServerPubKey == nil || !cfg.ServerPubKey.Equal(&key.PublicKey) {
		t.Fatalf("%+v", cfg)
	}
	again, err := ParseDSN(cfg.FormatDSN())
	if err != nil || !again.equalDSN(cfg) || again.ServerPubKey == nil || again.TLSConfig == nil {
		t.Fatalf("round trip %q: %v", cfg.FormatDSN(), err)
	}
	for _, opt := range []string{"ssl-ca", "server-public-key-path"} {
		_, err := ParseDSN("u@tcp(h)/?" + opt + "=" + bad)
		if err == nil || !strings.Contains(err.Error(), bad) && !strings.Contains(err.Error(), "no PEM") {
			t.Errorf("%s: %v", opt, err)
		}
	}
}

func TestFormatDSN(t *testing.T) {
	cfg := NewConfig()
	cfg.User, cfg.Password, cfg.Addr, cfg.DBName = "repl", "pw", "db1:3306", "d"
	if got := cfg.FormatDSN(); got != "repl:pw@tcp(db1:3306)/d" {
		t.Fatalf("FormatDSN %q", got)
	}
	if got := cfg.Redacted(); got != "repl:xxxxx@tcp(db1:3306)/d" {
		t.Fatalf("Redacted %q", got)
	}
	// A user name with ':' cannot be written in the driver form.
	cfg.User = "a:b"
	got := cfg.FormatDSN()
	if !strings.HasPrefix(got, "mysql://") {
		t.Fatalf("FormatDSN %q", got)
	}
	back, err := ParseDSN(got)
	if err != nil || !back.equalDSN(cfg) {
		t.Fatalf("%q: %+v %v", got, back, err)
	}
	if r := cfg.Redacted(); strings.Contains(r, "pw") {
		t.Fatalf("Redacted %q", r)
	}
}

func TestTLSModeNames(t *testing.T) {
	for m := TLSPreferred; m <= TLSVerifyIdentity; m++ {
		if got, err := ParseTLSMode(m.String()); err != nil || got != m {
			t.Errorf("%v: %v %v", m, got, err)
		}
	}
	for s, want := range map[string]TLSMode{
		"DISABLED": TLSDisabled, "PREFERRED": TLSPreferred, "REQUIRED": TLSRequired, "VERIFY_CA": TLSVerifyCA,
		"VERIFY_IDENTITY": TLSVerifyIdentity, "false": TLSDisabled, "true": TLSVerifyIdentity, "skip-verify": TLSRequired,
		"preferred": TLSPreferred,
	} {
		if got, err := ParseTLSMode(s); err != nil || got != want {
			t.Errorf("%s: %v %v", s, got, err)
		}
	}
	if _, err := ParseTLSMode("custom"); err == nil || !strings.Contains(err.Error(), "verify-identity") {
		t.Errorf("custom: %v", err)
	}
}

func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{
		"user:pass@tcp(db1:3307)/mydb?timeout=5s&readTimeout=1m",
		"u:p@ss:w/rd@tcp(h:1)/db?ssl-mode=DISABLED&charset=utf8mb4",
		"user@unix(/run/mysqld/mysqld.sock)/",
		"mysql://us%3Aer:p%40ss@db1:3307/mydb?tls=verify-ca",
		"mariadb://u@/db?socket=/tmp/my.sock",
		"/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		cfg, err := parseDSN(dsn) // no file reads: the fuzzer must not open paths
		if err != nil {
			return
		}
		out := cfg.FormatDSN()
		again, err := parseDSN(out)
		if err != nil {
			t.Fatalf("%q -> %q: %v", dsn, out, err)
		}
		if !again.equalDSN(cfg) {
			t.Fatalf("%q -> %q:\n%+v\n%+v", dsn, out, *cfg, *again)
		}
		if cfg.Password != "" && len(cfg.Password) > 3 && strings.Contains(cfg.Redacted(), "xxxxx") == false {
			t.Fatalf("Redacted %q", cfg.Redacted())
		}
	})
}
