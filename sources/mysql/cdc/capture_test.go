package cdc

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/client"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
	"github.com/seed5aa6e046/syncer/sources/mysql/schema"
	"github.com/seed5aa6e046/syncer/test/harness"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func connOf(t testing.TB, m *harness.MariaDB) *client.Config {
	t.Helper()
	user, pw := m.User()
	c, err := client.ParseDSN(fmt.Sprintf("%s:%s@tcp(%s)/?timeout=5s", user, pw, m.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The capture is the schema at the position it returns, even while DDL and
// writes run: replaying the binlog from that position onto it gives the
// server's schema at the end, table for table.
func TestCaptureAtUnderConcurrentDDL(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{RowMetadata: "MINIMAL"})
	ctx := t.Context()
	for _, q := range []string{"CREATE DATABASE c", "CREATE TABLE c.t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)", "CREATE TABLE c.other (id INT)"} {
		if _, err := m.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn := connOf(t, m)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // DDL and rows, on and on
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			q := fmt.Sprintf("INSERT INTO c.t (v) VALUES (%d)", i)
			pause := 3 * time.Millisecond
			if i%5 == 0 {
				// DDL often, but with room between for a capture on a
				// loaded machine: a capture that DDL overtakes five
				// times in a row gives up.
				q, pause = fmt.Sprintf("ALTER TABLE c.t ADD COLUMN c%d INT", i), 40*time.Millisecond
			}
			if _, err := m.DB().ExecContext(context.Background(), q); err != nil {
				t.Errorf("%s: %v", q, err)
				return
			}
			time.Sleep(pause)
		}
	}()
	db := sql.OpenDB(mustConnector(t, conn))
	defer db.Close()
	type captured struct {
		cat *schema.Catalog
		at  schema.Point
	}
	var caps []captured
	var refused int
	for range 8 {
		cat, st, err := captureAt(ctx, db, serverScanner(conn, quietLogger()), CaptureOptions{Logger: quietLogger()})
		if err != nil {
			refused++ // DDL kept overtaking it: an error, never a wrong schema
			t.Logf("capture refused: %v", err)
			continue
		}
		caps = append(caps, captured{cat, schema.Point{File: st.File, Pos: st.Pos}})
	}
	close(stop)
	wg.Wait()
	if len(caps) == 0 {
		t.Fatalf("no capture succeeded in 8 tries (%d refused)", refused)
	}
	final, err := ReadCatalog(ctx, db, CaptureOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	st, err := currentPoint(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range caps {
		window, err := serverScanner(conn, quietLogger())(ctx, c.at, st)
		if err != nil {
			t.Fatal(err)
		}
		tr := schema.NewTracker(c.cat, schema.TrackerOptions{})
		for _, q := range window {
			if _, err := tr.Query(queryEvent(q), q.At); err != nil {
				t.Fatalf("capture %d at %s: replaying %q: %v", i, c.at, q.Query, err)
			}
		}
		for _, want := range final.Tables() {
			got := tr.Catalog().Table(want.Schema, want.Name)
			if got == nil || got.Fingerprint() != want.Fingerprint() {
				t.Errorf("capture %d at %s, replayed to %s: %s is\n%+v\nthe server says\n%+v", i, c.at, st, want.QualifiedName(), got, want)
			}
		}
	}
	t.Logf("%d captures checked, %d refused", len(caps), refused)
}

func TestStable(t *testing.T) {
	cat := schema.NewCatalog()
	cat.SetIgnoredDatabases(schema.SystemDatabases()...)
	a := schema.NewApplier()
	if _, err := a.Apply(cat, "d", "CREATE TABLE t (id INT)"); err != nil {
		t.Fatal(err)
	}
	p := schema.Point{File: "b.000001", Pos: 10}
	for _, c := range []struct {
		window []schema.QueryAt
		want   bool
	}{
		{nil, true},
		{[]schema.QueryAt{{Query: "BEGIN", At: p}, {Query: "INSERT INTO t VALUES (1)", Schema: "d", At: p}}, true},
		{[]schema.QueryAt{{Query: "CREATE USER x", At: p}}, true},
		{[]schema.QueryAt{{Query: "ALTER TABLE t ADD c INT", Schema: "d", At: p}}, false},
		{[]schema.QueryAt{{Query: "CREATE TABLE n (a INT)", Schema: "d", At: p}}, false},
		{[]schema.QueryAt{{Query: "CREATE TABLE t (id INT)", Schema: "d", At: p}}, false},
		{[]schema.QueryAt{{Query: "ALTER TABLE mysql.user ADD c INT", Schema: "d", At: p}}, true},
	} {
		if got := stable(cat, c.window); got != c.want {
			t.Errorf("stable(%v) = %v, want %v", c.window, got, c.want)
		}
	}
}

func mustConnector(t testing.TB, c *client.Config) driver.Connector {
	t.Helper()
	conn, err := c.DriverConnector()
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func currentPoint(ctx context.Context, db *sql.DB) (schema.Point, error) {
	st, err := replication.CurrentBinlogStatus(ctx, db)
	if err != nil {
		return schema.Point{}, err
	}
	return schema.Point{File: st.File, Pos: st.Pos}, nil
}

// A table whose definition the parser cannot read (a MariaDB
// system-versioned table) fails the capture under DDLFail, and is left out
// with a warning under DDLSkip or when it is not among the tables
// replicated.
func TestReadCatalogUnreadableTable(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	ctx := t.Context()
	for _, q := range []string{"CREATE DATABASE r", "CREATE TABLE r.ok (id INT PRIMARY KEY)",
		"CREATE TABLE r.sv (id INT) WITH SYSTEM VERSIONING"} {
		if _, err := m.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db := sql.OpenDB(mustConnector(t, connOf(t, m)))
	defer db.Close()
	_, err := ReadCatalog(ctx, db, CaptureOptions{Logger: quietLogger()})
	if !errors.Is(err, schema.ErrUnparsable) || !strings.Contains(err.Error(), "r.sv") || !strings.Contains(err.Error(), "--on-ddl-error=skip") {
		t.Fatalf("DDLFail: %v", err)
	}
	onlyOK := func(db, table string) bool { return table == "ok" }
	for _, opts := range []CaptureOptions{{OnDDLError: schema.DDLSkip}, {Include: onlyOK}} {
		var logged strings.Builder
		opts.Logger = slog.New(slog.NewTextHandler(&logged, nil))
		cat, err := ReadCatalog(ctx, db, opts)
		if err != nil {
			t.Fatalf("%+v: %v", opts, err)
		}
		if cat.Table("r", "ok") == nil || cat.Table("r", "sv") != nil || !strings.Contains(logged.String(), "left out") {
			t.Errorf("%+v: tables %v, log %q", opts, cat.Tables(), logged.String())
		}
	}
}
