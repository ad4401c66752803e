package client

import (
	"crypto/rsa"
	"crypto/tls"
	"fmt"
	"strings"
	"time"
)

// TLSMode says whether and how a connection uses TLS.
type TLSMode uint8

const (
	// TLSPreferred uses TLS when the server offers it, without verifying
	// its certificate, and plain TCP otherwise: the mysql client's default.
	// It protects against passive eavesdropping only.
	TLSPreferred TLSMode = iota
	// TLSDisabled never uses TLS.
	TLSDisabled
	// TLSRequired uses TLS or fails; the certificate is not verified.
	TLSRequired
	// TLSVerifyCA requires TLS and verifies the certificate chain against
	// the CAs (Config.TLSConfig.RootCAs, or the system pool), but not the
	// host name.
	TLSVerifyCA
	// TLSVerifyIdentity requires TLS and verifies the chain and that the
	// certificate names the server's host.
	TLSVerifyIdentity
)

var tlsModeNames = [...]string{"preferred", "disabled", "required", "verify-ca", "verify-identity"}

// String returns the mode's name as ParseTLSMode accepts it.
func (m TLSMode) String() string {
	if int(m) < len(tlsModeNames) {
		return tlsModeNames[m]
	}
	return fmt.Sprintf("TLSMode(%d)", m)
}

// ParseTLSMode accepts the names String returns, MySQL's --ssl-mode
// spellings (DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY, any
// case) and go-sql-driver/mysql's tls= values (false → disabled, true →
// verify-identity, skip-verify → required, preferred).
func ParseTLSMode(s string) (TLSMode, error) {
	switch strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-") {
	case "preferred":
		return TLSPreferred, nil
	case "disabled", "false", "0", "off":
		return TLSDisabled, nil
	case "required", "skip-verify":
		return TLSRequired, nil
	case "verify-ca":
		return TLSVerifyCA, nil
	case "verify-identity", "true", "1", "on":
		return TLSVerifyIdentity, nil
	}
	return 0, fmt.Errorf("invalid TLS mode %q: valid modes are preferred, disabled, required, verify-ca, verify-identity "+
		"(also MySQL's DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY and go-sql-driver's false, true, skip-verify)", s)
}

// Defaults of Config.
const (
	DefaultAddr           = "127.0.0.1:3306"
	DefaultConnectTimeout = 10 * time.Second
	DefaultReadTimeout    = 30 * time.Second
	DefaultWriteTimeout   = 30 * time.Second
)

// Config says where and how to connect. Create it with NewConfig or
// ParseDSN; the zero value of a field means its default.
type Config struct {
	User, Password string
	// Net is "tcp" (default) or "unix".
	Net string
	// Addr is "host:port" (default "127.0.0.1:3306"; a host without port
	// gets 3306) or, for Net "unix", the socket path.
	Addr   string
	DBName string

	TLSMode TLSMode
	// TLSConfig is an optional base configuration (RootCAs, Certificates,
	// ServerName, ...). Connect clones it and never mutates it.
	TLSConfig *tls.Config
	// ServerPubKey is the server's pinned RSA key for caching_sha2_password
	// full authentication without TLS.
	ServerPubKey *rsa.PublicKey
	// AllowPublicKeyRetrieval lets the client ask the server for its RSA
	// key when it has none pinned. A man in the middle can then hand over
	// its own key and read the password: prefer TLS or a pinned key.
	AllowPublicKeyRetrieval bool

	// ConnectTimeout bounds dial, TLS and authentication together; default
	// 10s.
	ConnectTimeout time.Duration
	// ReadTimeout bounds the wait for each reply to an ordinary command
	// (not ReadEvent, which takes its own); default 30s.
	ReadTimeout time.Duration
	// WriteTimeout bounds each write; default 30s.
	WriteTimeout time.Duration

	// Params holds DSN options this package does not use itself but keeps
	// for FormatDSN round trips and for DriverConnector (charset,
	// parseTime, loc, ...).
	Params map[string]string

	// Paths of the PEM files the TLS and key settings came from, so that
	// FormatDSN can write them back.
	sslCA, sslCert, sslKey, serverPubKeyPath string
}

// NewConfig returns a Config with the defaults filled in.
func NewConfig() *Config {
	return &Config{
		Net:            "tcp",
		Addr:           DefaultAddr,
		ConnectTimeout: DefaultConnectTimeout,
		ReadTimeout:    DefaultReadTimeout,
		WriteTimeout:   DefaultWriteTimeout,
	}
}

// withDefaults returns a copy of c with empty fields set to their defaults
// and a port added to a TCP address without one.
func (c *Config) withDefaults() (*Config, error) {
	n := *c
	if n.Net == "" {
		n.Net = "tcp"
	}
	switch n.Net {
	case "tcp", "tcp4", "tcp6":
		if n.Addr == "" {
			n.Addr = DefaultAddr
		}
		n.Addr = ensurePort(n.Addr)
	case "unix":
		if n.Addr == "" {
			return nil, fmt.Errorf("network unix needs a socket path")
		}
	default:
		return nil, fmt.Errorf("invalid network %q: want tcp or unix", n.Net)
	}
	if n.TLSMode > TLSVerifyIdentity {
		return nil, fmt.Errorf("invalid %v", n.TLSMode)
	}
	if n.ConnectTimeout <= 0 {
		n.ConnectTimeout = DefaultConnectTimeout
	}
	if n.ReadTimeout <= 0 {
		n.ReadTimeout = DefaultReadTimeout
	}
	if n.WriteTimeout <= 0 {
		n.WriteTimeout = DefaultWriteTimeout
	}
	return &n, nil
}

// ensurePort appends :3306 to a host without a port.
func ensurePort(addr string) string {
	if strings.HasPrefix(addr, "[") {
		if strings.HasSuffix(addr, "]") {
			return addr + ":3306"
		}
		return addr
	}
	switch strings.Count(addr, ":") {
	case 0:
		return addr + ":3306"
	case 1:
		if strings.HasSuffix(addr, ":") {
			return addr + "3306"
		}
		return addr
	default:
		// A bare IPv6 address.
		return "[" + addr + "]:3306"
	}
}
