package client

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// passThroughParams are go-sql-driver/mysql options that do not concern
// this package but are harmless to keep for DriverConnector and FormatDSN.
var passThroughParams = []string{
	"allowAllFiles", "allowCleartextPasswords", "allowNativePasswords", "charset", "checkConnLiveness",
	"clientFoundRows", "collation", "columnsWithAlias", "connectionAttributes", "interpolateParams",
	"loc", "maxAllowedPacket", "multiStatements", "parseTime", "rejectReadOnly", "timeTruncate",
}

// ownParams are the options this package consumes.
var ownParams = []string{
	"allowPublicKeyRetrieval", "connect-timeout", "get-server-public-key", "readTimeout", "server-public-key-path",
	"socket", "ssl-ca", "ssl-cert", "ssl-key", "ssl-mode", "timeout", "tls", "writeTimeout",
}

// ParseDSN parses a data source name in go-sql-driver/mysql's form
// (user:password@tcp(host:port)/db?opt=val) or as a mysql:// or mariadb://
// URL. See the package documentation for the options. PEM files named by
// options are read now, and errors name them.
func ParseDSN(dsn string) (*Config, error) {
	cfg, err := parseDSN(dsn)
	if err == nil {
		err = cfg.loadFiles()
	}
	if err != nil {
		return nil, fmt.Errorf("parse DSN %q: %w", redactDSN(dsn), err)
	}
	return cfg, nil
}

// parseDSN is ParseDSN without reading the files options name.
func parseDSN(dsn string) (*Config, error) {
	cfg := NewConfig()
	var query string
	var err error
	if rest, ok := cutScheme(dsn); ok {
		query, err = cfg.parseURL(rest)
	} else {
		query, err = cfg.parseDriverForm(dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := cfg.parseParams(query); err != nil {
		return nil, err
	}
	if cfg.Net == "tcp" {
		cfg.Addr = ensurePort(cfg.Addr)
		if err := checkTCPAddr(cfg.Addr); err != nil {
			return nil, fmt.Errorf("parse DSN %q: %w", redactDSN(dsn), err)
		}
	}
	return cfg, nil
}

// redactDSN hides the password of a DSN that failed to parse, as well as
// we can tell where it is: everything between the first ':' and the last
// '@' before the address.
func redactDSN(dsn string) string {
	s := dsn
	prefix := ""
	if rest, ok := cutScheme(dsn); ok {
		prefix, s = dsn[:len(dsn)-len(rest)], rest
	}
	at := strings.LastIndex(s, "@")
	if at < 0 {
		return dsn
	}
	colon := strings.Index(s[:at], ":")
	if colon < 0 {
		return dsn
	}
	return prefix + s[:colon+1] + "xxxxx" + s[at:]
}

func cutScheme(dsn string) (string, bool) {
	for _, p := range []string{"mysql://", "mariadb://"} {
		if len(dsn) >= len(p) && strings.EqualFold(dsn[:len(p)], p) {
			return dsn[len(p):], true
		}
	}
	return "", false
}

// parseDriverForm parses [user[:password]@][net[(addr)]]/dbname[?query]
// and returns the query.
func (c *Config) parseDriverForm(dsn string) (string, error) {
	// The user information ends at the last '@' after which the rest is a
	// well-formed address part; a password may contain '@', ':' and '/',
	// and option values may contain '@' and '/'.
	for at := len(dsn); at >= -1; at-- {
		if at >= 0 && (at == len(dsn) || dsn[at] != '@') {
			continue
		}
		rest := dsn
		if at >= 0 {
			rest = dsn[at+1:]
		}
		netw, addr, db, query, ok := splitAddress(rest)
		if !ok {
			continue
		}
		if at >= 0 {
			user, pw, _ := strings.Cut(dsn[:at], ":")
			c.User, c.Password = user, pw
		}
		if netw != "" {
			c.Net = netw
		}
		switch c.Net {
		case "tcp", "unix":
		default:
			return "", fmt.Errorf("invalid network %q: want tcp or unix", c.Net)
		}
		if addr != "" {
			c.Addr = addr
		} else if c.Net == "unix" {
			return "", fmt.Errorf("unix network without a socket path: write unix(/path/to/socket)")
		}
		c.DBName = db
		return query, nil
	}
	return "", fmt.Errorf("malformed DSN: want [user[:password]@][tcp(host:port)|unix(/path)]/[dbname][?options] " +
		"or mysql://user:password@host:port/dbname")
}

// splitAddress parses [net[(addr)]]/dbname[?query].
func splitAddress(s string) (netw, addr, db, query string, ok bool) {
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= '0' && s[i] <= '9') {
		i++
	}
	netw = s[:i]
	if i < len(s) && s[i] == '(' {
		if netw == "" {
			return
		}
		end := strings.IndexByte(s[i:], ')')
		if end < 0 {
			return
		}
		addr = s[i+1 : i+end]
		i += end + 1
	}
	if i >= len(s) || s[i] != '/' {
		return
	}
	db, query, _ = strings.Cut(s[i+1:], "?")
	if strings.ContainsAny(db, "/") {
		return
	}
	return netw, addr, db, query, true
}

// parseURL parses the part of a mysql:// URL after the scheme.
func (c *Config) parseURL(rest string) (string, error) {
	u, err := url.Parse("mysql://" + rest)
	if err != nil {
		return "", err
	}
	if u.User != nil {
		c.User = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	if u.Host != "" {
		c.Addr = u.Host
	}
	db := strings.TrimPrefix(u.Path, "/")
	if strings.Contains(db, "/") {
		return "", fmt.Errorf("database name %q contains '/'", db)
	}
	c.DBName = db
	if u.Fragment != "" {
		return "", fmt.Errorf("unexpected fragment #%s", u.Fragment)
	}
	return u.RawQuery, nil
}

// parseParams applies the options of a DSN query.
func (c *Config) parseParams(query string) error {
	if query == "" {
		return nil
	}
	for _, kv := range strings.Split(query, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		val, err := url.QueryUnescape(v)
		if err != nil {
			return fmt.Errorf("option %s: bad percent-encoding in %q: %w", k, v, err)
		}
		if err := c.setParam(k, val); err != nil {
			return err
		}
	}
	if (c.sslCert == "") != (c.sslKey == "") {
		return fmt.Errorf("options ssl-cert and ssl-key go together (got only %s)", map[bool]string{true: "ssl-cert", false: "ssl-key"}[c.sslCert != ""])
	}
	return nil
}

func (c *Config) setParam(k, v string) error {
	var err error
	switch k {
	case "tls", "ssl-mode":
		c.TLSMode, err = ParseTLSMode(v)
	case "ssl-ca":
		c.sslCA = v
	case "ssl-cert":
		c.sslCert = v
	case "ssl-key":
		c.sslKey = v
	case "server-public-key-path":
		c.serverPubKeyPath = v
	case "get-server-public-key", "allowPublicKeyRetrieval":
		c.AllowPublicKeyRetrieval, err = strconv.ParseBool(v)
	case "timeout", "connect-timeout":
		c.ConnectTimeout, err = parsePositiveDuration(v)
	case "readTimeout":
		c.ReadTimeout, err = parsePositiveDuration(v)
	case "writeTimeout":
		c.WriteTimeout, err = parsePositiveDuration(v)
	case "socket":
		c.Net, c.Addr = "unix", v
		if v == "" {
			err = fmt.Errorf("empty path")
		}
	default:
		if !slices.Contains(passThroughParams, k) {
			valid := append(slices.Clone(ownParams), passThroughParams...)
			slices.Sort(valid)
			return fmt.Errorf("unknown option %q; valid options: %s", k, strings.Join(valid, ", "))
		}
		if c.Params == nil {
			c.Params = map[string]string{}
		}
		c.Params[k] = v
	}
	if err != nil {
		return fmt.Errorf("option %s=%q: %w", k, v, err)
	}
	return nil
}

func parsePositiveDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, fmt.Errorf("must be positive")
	}
	return d, nil
}

// loadFiles reads the PEM files named by options into TLSConfig and
// ServerPubKey.
func (c *Config) loadFiles() error {
	if c.sslCA != "" || c.sslCert != "" {
		conf := &tls.Config{}
		if c.sslCA != "" {
			b, err := os.ReadFile(c.sslCA)
			if err != nil {
				return fmt.Errorf("option ssl-ca: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(b) {
				return fmt.Errorf("option ssl-ca: no PEM certificate in %s", c.sslCA)
			}
			conf.RootCAs = pool
		}
		if c.sslCert != "" {
			cert, err := tls.LoadX509KeyPair(c.sslCert, c.sslKey)
			if err != nil {
				return fmt.Errorf("options ssl-cert=%s ssl-key=%s: %w", c.sslCert, c.sslKey, err)
			}
			conf.Certificates = []tls.Certificate{cert}
		}
		c.TLSConfig = conf
	}
	if c.serverPubKeyPath != "" {
		b, err := os.ReadFile(c.serverPubKeyPath)
		if err != nil {
			return fmt.Errorf("option server-public-key-path: %w", err)
		}
		if c.ServerPubKey, err = parsePublicKeyPEM(b); err != nil {
			return fmt.Errorf("option server-public-key-path: %s: %w", c.serverPubKeyPath, err)
		}
	}
	return nil
}

// FormatDSN returns the configuration in go-sql-driver/mysql's DSN form;
// ParseDSN of the result gives an equal Config. Options at their default
// are left out. When that form cannot represent the configuration (a user
// name with ':', an address with ')'), it returns the mysql:// URL form
// instead. A TLSConfig or ServerPubKey set in code rather than from files
// named in a DSN cannot be written and is left out.
func (c *Config) FormatDSN() string {
	if d := c.formatDriver(c.Password); c.sameAs(d) {
		return d
	}
	return c.formatURL(c.Password)
}

// Redacted is FormatDSN with the password replaced by "xxxxx", for logs
// and error messages.
func (c *Config) Redacted() string {
	pw := ""
	if c.Password != "" {
		pw = "xxxxx"
	}
	if c.sameAs(c.formatDriver(c.Password)) {
		return c.formatDriver(pw)
	}
	return c.formatURL(pw)
}

// sameAs reports whether dsn parses (without reading files) back to c.
func (c *Config) sameAs(dsn string) bool {
	p, err := parseDSN(dsn)
	return err == nil && p.equalDSN(c)
}

// equalDSN compares what a DSN can express.
func (c *Config) equalDSN(o *Config) bool {
	a, b := *c, *o
	a.TLSConfig, b.TLSConfig, a.ServerPubKey, b.ServerPubKey = nil, nil, nil, nil
	if len(a.Params) == 0 && len(b.Params) == 0 {
		a.Params, b.Params = nil, nil
	}
	a.normalizeDSN()
	b.normalizeDSN()
	return a.User == b.User && a.Password == b.Password && a.Net == b.Net && a.Addr == b.Addr &&
		a.DBName == b.DBName && a.TLSMode == b.TLSMode && a.AllowPublicKeyRetrieval == b.AllowPublicKeyRetrieval &&
		a.ConnectTimeout == b.ConnectTimeout && a.ReadTimeout == b.ReadTimeout && a.WriteTimeout == b.WriteTimeout &&
		maps.Equal(a.Params, b.Params) && a.sslCA == b.sslCA && a.sslCert == b.sslCert && a.sslKey == b.sslKey &&
		a.serverPubKeyPath == b.serverPubKeyPath
}

// normalizeDSN fills in defaults the way ParseDSN would.
func (c *Config) normalizeDSN() {
	if c.Net == "" {
		c.Net = "tcp"
	}
	if c.Net == "tcp" {
		if c.Addr == "" {
			c.Addr = DefaultAddr
		}
		c.Addr = ensurePort(c.Addr)
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
}

func (c *Config) formatDriver(password string) string {
	var b strings.Builder
	if c.User != "" || password != "" {
		b.WriteString(c.User)
		if password != "" {
			b.WriteByte(':')
			b.WriteString(password)
		}
		b.WriteByte('@')
	}
	netw := c.Net
	if netw == "" {
		netw = "tcp"
	}
	addr := c.Addr
	if addr == "" && netw == "tcp" {
		addr = DefaultAddr
	}
	b.WriteString(netw)
	b.WriteByte('(')
	b.WriteString(addr)
	b.WriteByte(')')
	b.WriteByte('/')
	b.WriteString(c.DBName)
	if q := c.encodeParams(false); q != "" {
		b.WriteByte('?')
		b.WriteString(q)
	}
	return b.String()
}

func (c *Config) formatURL(password string) string {
	u := url.URL{Scheme: "mysql", Path: "/" + c.DBName}
	if password != "" {
		u.User = url.UserPassword(c.User, password)
	} else if c.User != "" {
		u.User = url.User(c.User)
	}
	unix := c.Net == "unix"
	if !unix {
		u.Host = c.Addr
		if u.Host == "" {
			u.Host = DefaultAddr
		}
	}
	u.RawQuery = c.encodeParams(unix)
	return u.String()
}

// encodeParams encodes the options that differ from the defaults, sorted.
func (c *Config) encodeParams(socket bool) string {
	params := url.Values{}
	if socket {
		params.Set("socket", c.Addr)
	}
	if c.TLSMode != TLSPreferred {
		params.Set("tls", c.TLSMode.String())
	}
	for k, v := range map[string]string{"ssl-ca": c.sslCA, "ssl-cert": c.sslCert, "ssl-key": c.sslKey, "server-public-key-path": c.serverPubKeyPath} {
		if v != "" {
			params.Set(k, v)
		}
	}
	if c.AllowPublicKeyRetrieval {
		params.Set("get-server-public-key", "true")
	}
	for k, d := range map[string][2]time.Duration{
		"timeout":      {c.ConnectTimeout, DefaultConnectTimeout},
		"readTimeout":  {c.ReadTimeout, DefaultReadTimeout},
		"writeTimeout": {c.WriteTimeout, DefaultWriteTimeout},
	} {
		if d[0] > 0 && d[0] != d[1] {
			params.Set(k, d[0].String())
		}
	}
	for k, v := range c.Params {
		params.Set(k, v)
	}
	return params.Encode()
}

// checkTCPAddr accepts host:port where host is empty (the local host), an
// IP address (IPv6 in brackets) or a host name, and port is 1-65535: a
// DSN whose address cannot be dialled is an error now, not at connect time.
func checkTCPAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("address %q: port %q is not a number from 1 to 65535", addr, port)
	}
	if host == "" {
		return nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if strings.Contains(host, ":") {
		return fmt.Errorf("address %q: %q is neither an IPv6 address nor a host name", addr, host)
	}
	for _, r := range host {
		if !(r == '-' || r == '.' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return fmt.Errorf("address %q: host name %q has the character %q", addr, host, r)
		}
	}
	return nil
}
