package harness_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seed5aa6e046/syncer/test/harness"
)

func pgCount(t *testing.T, ctx context.Context, p *harness.Postgres) int {
	t.Helper()
	conn, err := p.Connect(ctx)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM r").Scan(&n); err != nil {
		t.Fatalf("count rows: %v", err)
	}
	return n
}

// pgDown checks that nothing accepts connections at p's address.
func pgDown(t *testing.T, ctx context.Context, p *harness.Postgres, after string) {
	t.Helper()
	short, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(short, p.DSN()); err == nil {
		conn.Close(ctx)
		t.Fatalf("connected after %s", after)
	}
}

func TestPostgresStopStart(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	p := harness.PostgresForTest(t, harness.PostgresOptions{})
	conn, err := p.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE r (id int PRIMARY KEY, v text)",
		"INSERT INTO r VALUES (1, 'one'), (2, 'two'), (3, 'three')",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	addr, dsn, pid := p.Addr(), p.DSN(), p.PID()

	// Stop: fast shutdown even with a client connected; the port is free
	// and connecting fails.
	if err := p.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if p.PID() != 0 {
		t.Errorf("PID() after Stop = %d", p.PID())
	}
	processGone(t, pid)
	pgDown(t, ctx, p, "Stop")
	if err := conn.Ping(ctx); err == nil {
		t.Error("a connection made before Stop still works")
	}
	conn.Close(ctx)
	if err := p.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}

	// Start: same address and DSN, a new process, the data still there.
	if err := p.Start(ctx); err != nil {
		t.Fatalf("Start after Stop: %v", err)
	}
	if p.Addr() != addr || p.DSN() != dsn {
		t.Errorf("after Start: Addr %s, DSN %s; was %s, %s", p.Addr(), p.DSN(), addr, dsn)
	}
	if q := p.PID(); q == 0 || q == pid {
		t.Errorf("PID after Start = %d, before %d", q, pid)
	}
	if n := pgCount(t, ctx, p); n != 3 {
		t.Errorf("after Stop and Start: %d rows, want 3", n)
	}
	if err := p.Start(ctx); err == nil {
		t.Error("Start on a running server succeeded")
	}

	// Kill: down until Start, which recovers committed data.
	conn, err = p.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The server runs with synchronous_commit=off: without this a commit
	// just before SIGKILL may be lost (see Kill).
	for _, q := range []string{"SET synchronous_commit = on", "INSERT INTO r VALUES (4, 'four')"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close(ctx)
	pid = p.PID()
	if err := p.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if p.PID() != 0 {
		t.Errorf("PID() after Kill = %d", p.PID())
	}
	processGone(t, pid)
	pgDown(t, ctx, p, "Kill")
	if err := p.Kill(); err != nil {
		t.Errorf("second Kill: %v", err)
	}
	if err := p.Restart(ctx); err != nil { // Stop of a killed server does nothing
		t.Fatalf("Restart after Kill: %v", err)
	}
	if n := pgCount(t, ctx, p); n != 4 {
		t.Errorf("after Kill and Start: %d rows, want 4", n)
	}

	// Restart of a running server.
	if err := p.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if n := pgCount(t, ctx, p); n != 4 {
		t.Errorf("after Restart: %d rows, want 4", n)
	}

	// Close after Kill removes the directory; Start after Close fails.
	dir := p.Dir()
	if err := p.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close after Kill: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("directory %s still there after Close (%v)", dir, err)
	}
	if err := p.Start(ctx); err == nil {
		t.Error("Start after Close succeeded")
	}
}
