package faultproxy_test

import (
	"crypto/tls"
	"database/sql"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/seed5aa6e046/syncer/test/harness"
	"github.com/seed5aa6e046/syncer/test/harness/faultproxy"
)

// TestMariaDBThroughProxy runs real MySQL-protocol sessions, plain and TLS,
// through the proxy, and breaks them in the middle of a large result.
func TestMariaDBThroughProxy(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{TLS: true})
	checkNoLeak(t) // after the server start: its pool has goroutines of its own
	ctx := t.Context()
	p := startProxy(t, m.Addr(), faultproxy.Options{})

	const size = 4 << 20
	query := "SELECT REPEAT('x', 4194304)"
	for _, useTLS := range []bool{false, true} {
		name := "plain"
		if useTLS {
			name = "tls"
		}
		t.Run(name, func(t *testing.T) {
			cfg := m.Config()
			cfg.Addr = p.Addr()
			cfg.MaxAllowedPacket = 64 << 20
			if useTLS {
				// The proxy listens on 127.0.0.1 too, so the server's
				// certificate verifies through it.
				cfg.TLS = &tls.Config{RootCAs: m.CACertPool(), ServerName: "127.0.0.1"}
			}
			connector, err := mysql.NewConnector(cfg)
			if err != nil {
				t.Fatal(err)
			}
			db := sql.OpenDB(connector)
			defer db.Close()

			var s string
			if err := db.QueryRowContext(ctx, query).Scan(&s); err != nil {
				t.Fatalf("through a transparent proxy: %v", err)
			}
			if len(s) != size || strings.Trim(s, "x") != "" {
				t.Fatalf("result of %d bytes, want %d x", len(s), size)
			}
			if useTLS {
				var k, cipher string
				if err := db.QueryRowContext(ctx, "SHOW STATUS LIKE 'Ssl_cipher'").Scan(&k, &cipher); err != nil || cipher == "" {
					t.Fatalf("Ssl_cipher %q, err %v", cipher, err)
				}
			}

			for _, f := range []faultproxy.Fault{faultproxy.Drop, faultproxy.Reset} {
				conn, err := db.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				before := p.Stats()
				// The connection is open (handshake done): the fault
				// strikes 100000 bytes into the result.
				p.FaultAfter(f, 100_000)
				err = conn.QueryRowContext(ctx, query).Scan(&s)
				conn.Close()
				if err == nil {
					t.Fatalf("%v in the middle of a result: query succeeded", f)
				}
				t.Logf("%v: %v", f, err)
				after := p.Stats()
				if after.Faults[f] != before.Faults[f]+1 {
					t.Errorf("Faults[%v] went from %d to %d", f, before.Faults[f], after.Faults[f])
				}
				if down := after.BytesDown - before.BytesDown; down != 100_000 {
					t.Errorf("%d bytes went down before the %v, want 100000", down, f)
				}
			}
			// The pool recovers with a new connection.
			if err := db.QueryRowContext(ctx, "SELECT 'ok'").Scan(&s); err != nil || s != "ok" {
				t.Fatalf("after the faults: %q, %v", s, err)
			}
		})
	}
}
