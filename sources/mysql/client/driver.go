package client

import (
	"database/sql/driver"
	"fmt"
	"net/url"

	"github.com/go-sql-driver/mysql"
)

// DriverConnector returns a go-sql-driver/mysql connector to the same
// server with the same credentials, database, timeouts and TLS, for
// ordinary queries (sql.OpenDB(connector)). The options kept in Params
// (charset, parseTime, loc, ...) are passed to the driver.
//
// The TLS configuration is given to the driver directly (its Config.TLS
// field), never registered globally. Preferred mode lets the driver fall
// back to plain TCP like Connect does. Limitation: the driver can only use
// a pinned RSA key through its global key registry, so ServerPubKey is not
// passed on; without TLS, an account that needs caching_sha2_password full
// authentication makes the driver fetch the key from the server. Use TLS
// (or the unix socket) where that matters.
func (c *Config) DriverConnector() (driver.Connector, error) {
	cfg, err := c.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("driver connector: %w", err)
	}
	// Let the driver parse the pass-through options, which it knows.
	q := url.Values{}
	for k, v := range cfg.Params {
		q.Set(k, v)
	}
	mc, err := mysql.ParseDSN("/?" + q.Encode())
	if err != nil {
		return nil, fmt.Errorf("driver connector: options %v: %w", cfg.Params, err)
	}
	mc.User, mc.Passwd = cfg.User, cfg.Password
	mc.Net, mc.Addr, mc.DBName = cfg.Net, cfg.Addr, cfg.DBName
	mc.Timeout, mc.ReadTimeout, mc.WriteTimeout = cfg.ConnectTimeout, cfg.ReadTimeout, cfg.WriteTimeout
	switch cfg.TLSMode {
	case TLSDisabled:
		mc.TLS = nil
	case TLSPreferred:
		if cfg.Net != "unix" {
			if mc.TLS, err = cfg.tlsClientConfig(); err != nil {
				return nil, fmt.Errorf("driver connector: %w", err)
			}
			mc.AllowFallbackToPlaintext = true
		}
	default:
		if mc.TLS, err = cfg.tlsClientConfig(); err != nil {
			return nil, fmt.Errorf("driver connector: %w", err)
		}
	}
	// The driver logs what it also returns as errors (and retries of idle
	// connections a restarted server closed) to stderr by default; the
	// caller reports errors its own way.
	mc.Logger = discardLogger{}
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, fmt.Errorf("driver connector: %w", err)
	}
	return conn, nil
}

// discardLogger is a go-sql-driver/mysql Logger that drops everything.
type discardLogger struct{}

func (discardLogger) Print(...any) {}
