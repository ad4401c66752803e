package harness_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/test/harness"
)

func countRows(t *testing.T, ctx context.Context, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM r.t").Scan(&n); err != nil {
		t.Fatalf("count rows: %v", err)
	}
	return n
}

func checkBinlogFile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("binlog file: %v", err)
	}
	if !bytes.HasPrefix(b, binlogMagic) || len(b) <= len(binlogMagic) {
		t.Fatalf("%s: %d bytes, no binlog header", path, len(b))
	}
}

func TestMariaDBRestart(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	if m.TLSEnabled() || m.CAFile() != "" || m.CACertPool() != nil {
		t.Errorf("server without TLS: TLSEnabled %v, CAFile %q", m.TLSEnabled(), m.CAFile())
	}
	db := m.DB()
	for _, q := range []string{
		"CREATE DATABASE r",
		"CREATE TABLE r.t (id INT PRIMARY KEY, v VARCHAR(20))",
		"INSERT INTO r.t VALUES (1, 'one'), (2, 'two'), (3, 'three')",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	before, err := m.BinlogFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	addr, dsn, pid := m.Addr(), m.DSN(), m.PID()

	// Restart: same address, a new process, data and binlog files kept, a
	// new binlog file begun; DB() keeps working.
	if err := m.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if m.Addr() != addr || m.DSN() != dsn {
		t.Errorf("after Restart: Addr %s, DSN %s; was %s, %s", m.Addr(), m.DSN(), addr, dsn)
	}
	if p := m.PID(); p == 0 || p == pid {
		t.Errorf("PID after Restart = %d, before %d", p, pid)
	}
	processGone(t, pid)
	if m.DB() != db {
		t.Error("DB() is another pool after Restart")
	}
	if n := countRows(t, ctx, db); n != 3 {
		t.Errorf("after Restart: %d rows, want 3", n)
	}
	after, err := m.BinlogFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before)+1 {
		t.Fatalf("binlog files before Restart %v, after %v: want one more", before, after)
	}
	for i, f := range before {
		if after[i] != f {
			t.Fatalf("binlog files before Restart %v, after %v", before, after)
		}
		checkBinlogFile(t, f)
	}
	checkBinlogFile(t, after[len(after)-1])

	// A fresh pool from the DSN reaches the restarted server too.
	fresh, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if n := countRows(t, ctx, fresh); n != 3 {
		t.Errorf("fresh pool after Restart: %d rows, want 3", n)
	}

	// Start while running fails.
	if err := m.Start(ctx); err == nil {
		t.Error("Start on a running server succeeded")
	}

	// Kill: the server is down until Start, then recovers.
	pid = m.PID()
	if err := m.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if m.PID() != 0 {
		t.Errorf("PID() after Kill = %d", m.PID())
	}
	processGone(t, pid)
	short, cancel := context.WithTimeout(ctx, 3*time.Second)
	if err := fresh.PingContext(short); err == nil {
		t.Error("ping succeeded after Kill")
	}
	cancel()
	if err := m.Kill(); err != nil {
		t.Errorf("second Kill: %v", err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatalf("Start after Kill: %v", err)
	}
	if n := countRows(t, ctx, db); n != 3 {
		t.Errorf("after Kill and Start: %d rows, want 3", n)
	}
	files, err := m.BinlogFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(after)+1 {
		t.Errorf("binlog files after Kill and Start %v: want one more than %v", files, after)
	}

	// Stop is clean and idempotent; Start brings the server back.
	if err := m.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := m.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatalf("Start after Stop: %v", err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO r.t VALUES (4, 'four')"); err != nil {
		t.Fatalf("insert after Stop and Start: %v", err)
	}

	// Close after Kill stops nothing and removes the directory.
	dir := m.Dir()
	if err := m.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close after Kill: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("directory %s still there after Close (%v)", dir, err)
	}
	if err := m.Start(ctx); err == nil {
		t.Error("Start after Close succeeded")
	}
}
