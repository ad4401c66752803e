package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/seed5aa6e046/syncer/core"
)

func TestClassify(t *testing.T) {
	pgErr := func(code string) error { return &pgconn.PgError{Severity: "ERROR", Code: code, Message: "m"} }
	for _, c := range []struct {
		name   string
		err    error
		broken bool
		want   bool
	}{
		{"connection failure 08006", pgErr("08006"), false, true},
		{"connection does not exist 08003", pgErr("08003"), false, true},
		{"admin shutdown", pgErr("57P01"), false, true},
		{"crash shutdown", pgErr("57P02"), false, true},
		{"cannot connect now", pgErr("57P03"), false, true},
		{"serialization failure", pgErr("40001"), false, true},
		{"deadlock", pgErr("40P01"), false, true},
		{"wrapped deadlock", fmt.Errorf("merge: %w", pgErr("40P01")), false, true},
		{"unique violation", pgErr("23505"), false, false},
		{"undefined table", pgErr("42P01"), false, false},
		{"server error on a broken connection", pgErr("42P01"), true, false},
		{"invalid password", pgErr("28P01"), true, false},
		{"eof", io.EOF, false, true},
		{"unexpected eof", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), false, true},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, false, true},
		{"reset", fmt.Errorf("x: %w", syscall.ECONNRESET), false, true},
		{"closed conn", net.ErrClosed, false, true},
		{"other error on a broken connection", errors.New("conn closed"), true, true},
		{"other error", errors.New("something"), false, false},
		{"cancelled", context.Canceled, true, false},
		{"deadline", context.DeadlineExceeded, false, false},
	} {
		got := core.IsRetryable(classify(context.Background(), c.err, c.broken))
		if got != c.want {
			t.Errorf("%s: retryable %v, want %v", c.name, got, c.want)
		}
	}
	if classify(context.Background(), nil, true) != nil {
		t.Error("classify(nil) is not nil")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if core.IsRetryable(classify(ctx, io.EOF, true)) {
		t.Error("an error after ctx ended is retryable")
	}
}

// TestTerminatedBackendIsRetryable kills the sink's backend in the middle
// of a batch (pg_terminate_backend, as a server restart or a network cut
// would): Apply fails retryably and commits nothing; Close, Open and the
// same batch again apply it whole.
func TestTerminatedBackendIsRetryable(t *testing.T) {
	s, _ := testSink(t, "terminate", func(c *Config) { c.ChunkRows = 10 })
	conn := testConn(t)
	tb := newTable("terminate", "t", []core.Column{intCol("id"), strCol("v", 10)}, "id")
	apply(t, s, pos(1), ins(tb, 0, "first"))
	var recs []*core.Record
	for i := 1; i <= 100; i++ {
		recs = append(recs, ins(tb, i, "x"))
	}
	ctx := context.Background()
	pid := s.conn.PgConn().PID()
	b := newBatch(pos(2), recs...)
	b.before = func(i int) {
		if i != 55 {
			return
		}
		if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
			t.Errorf("terminate: %v", err)
		}
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			var n int
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n); err != nil || n == 0 {
				return
			}
		}
		t.Errorf("backend %d still there 10s after pg_terminate_backend", pid)
	}
	err := s.Apply(ctx, b)
	if err == nil {
		t.Fatal("apply on a terminated backend succeeded")
	}
	if !core.IsRetryable(err) {
		t.Fatalf("terminated backend: not retryable: %v", err)
	}
	t.Logf("error: %v", err)
	if err := s.Close(); err != nil {
		t.Fatalf("close after a lost connection: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	cp, err := s.Open(ctx, "terminate")
	if err != nil {
		t.Fatal(err)
	}
	if cp != pos(1) {
		t.Fatalf("checkpoint %v after the failed batch, want %v", cp, pos(1))
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM terminate.t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d rows after the failed batch (%v), want 1", n, err)
	}
	apply(t, s, pos(2), recs...)
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM terminate.t").Scan(&n); err != nil || n != 101 {
		t.Fatalf("%d rows after the retry (%v), want 101", n, err)
	}
}

// TestApplyAfterLostConnection: a connection lost between batches shows
// at the next Apply, retryably.
func TestApplyAfterLostConnection(t *testing.T) {
	s, _ := testSink(t, "lost", nil)
	conn := testConn(t)
	tb := newTable("lost", "t", []core.Column{intCol("id")}, "id")
	apply(t, s, pos(1), ins(tb, 1))
	ctx := context.Background()
	pid := s.conn.PgConn().PID()
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	err := s.Apply(ctx, newBatch(pos(2), ins(tb, 2)))
	if err == nil || !core.IsRetryable(err) {
		t.Fatalf("apply on a lost connection: %v (retryable %v)", err, core.IsRetryable(err))
	}
	if _, err := s.Open(ctx, "lost"); err != nil {
		t.Fatal(err)
	}
	apply(t, s, pos(2), ins(tb, 2))
	expectRows(t, conn, "lost.t", "1", "2")
}
