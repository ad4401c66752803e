package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/test/harness"
)

// One PostgreSQL serves the package's tests and benchmarks, started on
// first use (testPostgres) and stopped by TestMain.
var (
	pgOnce sync.Once
	pgSrv  *harness.Postgres
	pgErr  error
	pgSkip string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pgSrv != nil {
		if err := pgSrv.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "stop PostgreSQL:", err)
		}
	}
	os.Exit(code)
}

// testPostgres returns the package's PostgreSQL, starting it on first
// use. It skips tb when PostgreSQL is not installed and CI is not set, and
// fails it on any other start error.
func testPostgres(tb testing.TB) *harness.Postgres {
	tb.Helper()
	pgOnce.Do(func() {
		pgSrv, pgErr = harness.StartPostgres(context.Background(), harness.PostgresOptions{})
		if pgErr != nil {
			if skip, msg := harness.CheckStartError(pgErr); skip {
				pgSkip = msg
			}
		}
	})
	if pgSkip != "" {
		tb.Skip(pgSkip)
	}
	if pgErr != nil {
		tb.Fatalf("PostgreSQL could not start (CI=%v): %v", harness.InCI(), pgErr)
	}
	return pgSrv
}

// fakeBatch is a slice-backed core.Batch. Next returns failErr at index
// failAt (when set), and calls before(i) before handing out record i.
// With gen set it makes its n records one at a time instead, as a source
// streaming a large transaction would.
type fakeBatch struct {
	gen     func(i int) *core.Record
	n       int
	recs    []*core.Record
	cp      core.Position
	i       int
	failAt  int
	failErr error
	before  func(i int)
}

func newBatch(cp core.Position, recs ...*core.Record) *fakeBatch {
	return &fakeBatch{recs: recs, cp: cp, failAt: -1}
}

func (b *fakeBatch) Next(ctx context.Context) (*core.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b.i == b.failAt {
		return nil, b.failErr
	}
	if b.before != nil && b.i < len(b.recs)+b.n {
		b.before(b.i)
	}
	if b.gen != nil && b.i < b.n {
		b.i++
		return b.gen(b.i - 1), nil
	}
	if b.i >= len(b.recs) {
		return nil, io.EOF
	}
	r := b.recs[b.i]
	b.i++
	return r, nil
}

func (b *fakeBatch) Checkpoint() core.Position { return b.cp }

// Table and record builders.

func intCol(name string) core.Column {
	return core.Column{Name: name, Type: core.ColumnType{Name: "int"}}
}

func strCol(name string, n int) core.Column {
	return core.Column{Name: name, Type: core.ColumnType{Name: "varchar", Length: n}, Nullable: true}
}

// newTable defines db.name with cols and the primary key pk (none when
// empty); Version 1.
func newTable(db, name string, cols []core.Column, pk ...string) *core.Table {
	t := &core.Table{Schema: db, Name: name, Columns: cols, Version: 1}
	if len(pk) > 0 {
		k := &core.Key{Name: "PRIMARY"}
		for _, c := range pk {
			k.Columns = append(k.Columns, core.KeyColumn{Name: c})
			for i := range t.Columns {
				if t.Columns[i].Name == c {
					t.Columns[i].Nullable = false
				}
			}
		}
		t.PrimaryKey = k
	}
	return t
}

// row makes a row image: ints become KindInt, strings KindString, nil NULL.
func row(vals ...any) []core.Value {
	out := make([]core.Value, len(vals))
	for i, v := range vals {
		switch v := v.(type) {
		case nil:
			out[i] = core.Null()
		case int:
			out[i] = core.IntValue(int64(v))
		case string:
			out[i] = core.StringValue([]byte(v))
		case core.Value:
			out[i] = v
		default:
			panic(fmt.Sprintf("row: %T", v))
		}
	}
	return out
}

// pos is the test position n of binlog file 1.
func pos(n uint64) core.Position { return core.Position{File: "mysql-bin.000001", Pos: n} }

var recSeq uint64 = 1000

func rec(op core.Op, t *core.Table, before, after []core.Value) *core.Record {
	recSeq++
	return &core.Record{Op: op, Table: t, Before: before, After: after, Position: pos(recSeq)}
}

func ins(t *core.Table, after ...any) *core.Record { return rec(core.OpInsert, t, nil, row(after...)) }
func del(t *core.Table, before ...any) *core.Record {
	return rec(core.OpDelete, t, row(before...), nil)
}
func upd(t *core.Table, before, after []core.Value) *core.Record {
	return rec(core.OpUpdate, t, before, after)
}

// testSink opens a sink on the package's PostgreSQL for pipeline (each
// test uses its own pipeline and source database names).
func testSink(t testing.TB, pipeline string, edit func(*Config)) (*Sink, core.Position) {
	t.Helper()
	pg := testPostgres(t)
	cfg := NewConfig(pg.DSN())
	if edit != nil {
		edit(cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := s.Open(context.Background(), pipeline)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, cp
}

// testConn is a connection of the test's own, closed at the end.
func testConn(t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := testPostgres(t).Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// dump returns the rows of a table as sorted "v1|v2|..." lines (NULL for
// NULL), or nil when the table does not exist.
func dump(t testing.TB, conn *pgx.Conn, table string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT * FROM "+table)
	if err != nil {
		t.Fatalf("dump %s: %v", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if v == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func expectRows(t testing.TB, conn *pgx.Conn, table string, want ...string) {
	t.Helper()
	got := dump(t, conn, table)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\ngot  %q\nwant %q", table, got, want)
	}
}

func apply(t testing.TB, s *Sink, cp core.Position, recs ...*core.Record) {
	t.Helper()
	if err := s.Apply(context.Background(), newBatch(cp, recs...)); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(nil); err == nil {
		t.Fatal("New(nil) succeeded")
	}
	cfg := NewConfig("")
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "dsn") {
		t.Fatalf("empty dsn: %v", err)
	}
	cfg = NewConfig("postgres://x@127.0.0.1/db")
	cfg.ChunkRows = 0
	if _, err := New(cfg); err == nil {
		t.Fatal("ChunkRows 0 accepted")
	}
	cfg = NewConfig("postgres://x@127.0.0.1/db")
	cfg.Keyless = "maybe"
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "keyless") {
		t.Fatalf("bad keyless policy: %v", err)
	}
}

func TestInsertUpdateDelete(t *testing.T) {
	s, cp := testSink(t, "basic", nil)
	if !cp.IsZero() {
		t.Fatalf("first open: checkpoint %v, want zero", cp)
	}
	conn := testConn(t)
	tb := newTable("basic", "items", []core.Column{intCol("id"), strCol("name", 20), intCol("qty")}, "id")
	tb.Columns[2].Nullable = true
	apply(t, s, pos(10),
		ins(tb, 1, "apple", 5),
		ins(tb, 2, "pear", nil),
		ins(tb, 3, "plum", 7),
	)
	expectRows(t, conn, `basic.items`, "1|apple|5", "2|pear|NULL", "3|plum|7")
	apply(t, s, pos(20),
		upd(tb, row(1, "apple", 5), row(1, "apple", 6)),
		del(tb, 3, "plum", 7),
		ins(tb, 4, "fig", 1),
		upd(tb, row(2, "pear", nil), row(2, "Pear", 2)),
	)
	expectRows(t, conn, `basic.items`, "1|apple|6", "2|Pear|2", "4|fig|1")
	// Re-applying an update of a row that is gone inserts it (upsert);
	// deleting a row that is gone does nothing.
	apply(t, s, pos(30), del(tb, 3, "plum", 7), upd(tb, row(5, "kiwi", 1), row(5, "kiwi", 2)))
	expectRows(t, conn, `basic.items`, "1|apple|6", "2|Pear|2", "4|fig|1", "5|kiwi|2")
}

func TestCollapseInOneBatch(t *testing.T) {
	s, _ := testSink(t, "collapse", nil)
	conn := testConn(t)
	tb := newTable("collapse", "t", []core.Column{intCol("id"), strCol("v", 20)}, "id")
	apply(t, s, pos(1), ins(tb, 10, "ten"), ins(tb, 20, "twenty"), ins(tb, 30, "thirty"))
	apply(t, s, pos(2),
		// insert, update, delete: absent.
		ins(tb, 1, "a"), upd(tb, row(1, "a"), row(1, "b")), del(tb, 1, "b"),
		// delete then insert again: present with the new image.
		del(tb, 10, "ten"), ins(tb, 10, "TEN"),
		// insert then several updates: the last image.
		ins(tb, 2, "x"), upd(tb, row(2, "x"), row(2, "y")), upd(tb, row(2, "y"), row(2, "z")),
		// an update changing the key moves the row.
		upd(tb, row(20, "twenty"), row(21, "twenty-one")),
	)
	expectRows(t, conn, `collapse.t`, "10|TEN", "2|z", "21|twenty-one", "30|thirty")
	// Swap two keys through a third, and back and forth, in one batch:
	// 21 <-> 30.
	apply(t, s, pos(3),
		upd(tb, row(21, "twenty-one"), row(99, "twenty-one")),
		upd(tb, row(30, "thirty"), row(21, "thirty")),
		upd(tb, row(99, "twenty-one"), row(30, "twenty-one")),
	)
	expectRows(t, conn, `collapse.t`, "10|TEN", "2|z", "21|thirty", "30|twenty-one")
	// A -> B, then B -> A: the row ends where it began, with the last
	// image; and a key moved onto a key deleted earlier in the batch.
	apply(t, s, pos(4),
		upd(tb, row(2, "z"), row(3, "z")),
		upd(tb, row(3, "z"), row(2, "zz")),
		del(tb, 10, "TEN"),
		upd(tb, row(21, "thirty"), row(10, "moved")),
	)
	expectRows(t, conn, `collapse.t`, "10|moved", "2|zz", "30|twenty-one")
}

func TestUniqueKeyWithoutPrimaryKey(t *testing.T) {
	s, _ := testSink(t, "ukey", nil)
	conn := testConn(t)
	tb := newTable("ukey", "users", []core.Column{intCol("n"), strCol("email", 50), strCol("name", 50)})
	tb.Columns[0].Nullable = true
	tb.Columns[1].Nullable = false
	tb.UniqueKeys = []core.Key{
		{Name: "n_uk", Columns: []core.KeyColumn{{Name: "n"}}}, // nullable: not usable
		{Name: "email_uk", Columns: []core.KeyColumn{{Name: "email"}}},
	}
	apply(t, s, pos(1), ins(tb, 1, "a@x", "Ann"), ins(tb, nil, "b@x", "Bob"))
	apply(t, s, pos(2),
		upd(tb, row(1, "a@x", "Ann"), row(1, "a@x", "Anne")),
		upd(tb, row(nil, "b@x", "Bob"), row(nil, "bob@x", "Bob")),
	)
	expectRows(t, conn, `ukey.users`, "1|a@x|Anne", "NULL|bob@x|Bob")
	var pk string
	if err := conn.QueryRow(context.Background(), `SELECT string_agg(a.attname, ',') FROM pg_index i
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
		WHERE i.indrelid = 'ukey.users'::regclass AND i.indisprimary`).Scan(&pk); err != nil {
		t.Fatal(err)
	}
	if pk != "email" {
		t.Fatalf("target key %q, want email", pk)
	}
}

func TestKeylessRefused(t *testing.T) {
	s, _ := testSink(t, "keyless_refused", nil)
	conn := testConn(t)
	ok := newTable("keyless_refused", "ok", []core.Column{intCol("id")}, "id")
	tb := newTable("keyless_refused", "log", []core.Column{intCol("a"), strCol("b", 10)})
	r := ins(tb, 1, "x")
	err := s.Apply(context.Background(), newBatch(pos(5), ins(ok, 1), r))
	if err == nil {
		t.Fatal("keyless table accepted under the refuse policy")
	}
	for _, want := range []string{"keyless_refused.log", "PRIMARY KEY", "full_row", r.Position.String()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if core.IsRetryable(err) {
		t.Errorf("keyless refusal is retryable: %v", err)
	}
	t.Logf("error: %v", err)
	var ke *keylessError
	if !errors.As(err, &ke) {
		t.Errorf("error does not wrap the keylessError: %v", err)
	}
	// Nothing of the batch was committed.
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_tables WHERE schemaname = 'keyless_refused'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d tables created by a failed batch", n)
	}
	// The sink stays usable.
	apply(t, s, pos(6), ins(ok, 2))
	expectRows(t, conn, `keyless_refused.ok`, "2")
}

func TestKeylessFullRow(t *testing.T) {
	s, _ := testSink(t, "keyless_full", func(c *Config) { c.Keyless = KeylessFullRow })
	conn := testConn(t)
	tb := newTable("keyless_full", "log", []core.Column{intCol("a"), strCol("b", 10)})
	tb.Columns[0].Nullable = true
	apply(t, s, pos(1),
		ins(tb, 1, "x"), ins(tb, 1, "x"), ins(tb, 1, "x"),
		ins(tb, 2, nil), ins(tb, 2, nil),
		ins(tb, nil, "n"),
	)
	expectRows(t, conn, `keyless_full.log`, "1|x", "1|x", "1|x", "2|NULL", "2|NULL", "NULL|n")
	apply(t, s, pos(2),
		del(tb, 1, "x"),                       // one of three
		upd(tb, row(2, nil), row(2, "two")),   // one of two, NULL matched
		upd(tb, row(nil, "n"), row(nil, "N")), // NULL matched
		ins(tb, 3, "y"), del(tb, 3, "y"),      // in and out in one batch
		ins(tb, 4, "z"), upd(tb, row(4, "z"), row(4, "zz")), // in then changed
		del(tb, 9, "none"), // no such row: nothing
	)
	expectRows(t, conn, `keyless_full.log`, "1|x", "1|x", "2|NULL", "2|two", "4|zz", "NULL|N")
}

func TestCheckpointWithBatch(t *testing.T) {
	s, cp := testSink(t, "ckpt", nil)
	if !cp.IsZero() {
		t.Fatalf("checkpoint %v on first open", cp)
	}
	conn := testConn(t)
	tb := newTable("ckpt", "t", []core.Column{intCol("id")}, "id")
	want := core.Position{File: "mysql-bin.000007", Pos: 4242, GTID: "0-1-99"}
	apply(t, s, want, ins(tb, 1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := s.Open(context.Background(), "ckpt")
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("reopened at %v, want %v", got, want)
	}
	// Another pipeline has its own checkpoint.
	s2, cp2 := testSink(t, "ckpt-other", nil)
	if !cp2.IsZero() {
		t.Fatalf("other pipeline at %v", cp2)
	}
	_ = s2

	// A batch that ends without its end (the pipeline stops, or crashes)
	// leaves neither its rows nor its checkpoint, even after rows were
	// copied to staging (ChunkRows below).
	s.cfg.ChunkRows = 2
	b := newBatch(pos(999999), ins(tb, 2), ins(tb, 3), ins(tb, 4), ins(tb, 5), ins(tb, 6))
	b.failAt, b.failErr = 4, errors.New("pipeline stopping")
	err = s.Apply(context.Background(), b)
	if err == nil || !strings.Contains(err.Error(), "pipeline stopping") {
		t.Fatalf("abandoned batch: %v", err)
	}
	expectRows(t, conn, `ckpt.t`, "1")
	var p int64
	if err := conn.QueryRow(context.Background(), `SELECT pos FROM _syncer.checkpoints WHERE pipeline = 'ckpt'`).Scan(&p); err != nil {
		t.Fatal(err)
	}
	if p != 4242 {
		t.Fatalf("checkpoint moved to %d by an abandoned batch", p)
	}
	// A cancelled context: the same.
	ctx, cancel := context.WithCancel(context.Background())
	b = newBatch(pos(999999), ins(tb, 7), ins(tb, 8), ins(tb, 9))
	b.before = func(i int) {
		if i == 2 {
			cancel()
		}
	}
	if err := s.Apply(ctx, b); err == nil || core.IsRetryable(err) {
		t.Fatalf("cancelled apply: %v (retryable %v)", err, core.IsRetryable(err))
	}
	expectRows(t, conn, `ckpt.t`, "1")
	// And the sink goes on.
	apply(t, s, pos(5000), ins(tb, 10))
	expectRows(t, conn, `ckpt.t`, "1", "10")
	if got, err = s.Open(context.Background(), "ckpt"); err != nil || got != pos(5000) {
		t.Fatalf("reopen: %v %v", got, err)
	}
}

func TestLargeTransactionInChunks(t *testing.T) {
	s, _ := testSink(t, "large", func(c *Config) { c.ChunkRows = 100 })
	conn := testConn(t)
	tb := newTable("large", "t", []core.Column{intCol("id"), strCol("v", 40)}, "id")
	tb2 := newTable("large", "u", []core.Column{intCol("id")}, "id")
	const n = 10000
	recs := make([]*core.Record, 0, 2*n)
	for i := 0; i < n; i++ {
		recs = append(recs, ins(tb, i, fmt.Sprintf("v%d", i)))
		if i%10 == 0 {
			recs = append(recs, ins(tb2, i))
		}
	}
	// Later in the same transaction: updates and deletes of rows inserted
	// chunks earlier.
	for i := 0; i < n; i += 7 {
		recs = append(recs, upd(tb, row(i, fmt.Sprintf("v%d", i)), row(i, "updated")))
	}
	for i := 1; i < n; i += 7 {
		recs = append(recs, del(tb, i, fmt.Sprintf("v%d", i)))
	}
	// First the batch dies at its last record: nothing at all.
	b := newBatch(pos(77), recs...)
	b.failAt, b.failErr = len(recs)-1, errors.New("crash")
	if err := s.Apply(context.Background(), b); err == nil {
		t.Fatal("abandoned batch succeeded")
	}
	var exists bool
	if err := conn.QueryRow(context.Background(), `SELECT to_regclass('large.t') IS NOT NULL`).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Fatal("abandoned batch left its table")
	}
	apply(t, s, pos(78), recs...)
	var count, updated int
	if err := conn.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE v = 'updated') FROM large.t`).Scan(&count, &updated); err != nil {
		t.Fatal(err)
	}
	deleted := (n - 1 + 6) / 7
	if count != n-deleted || updated != (n+6)/7 {
		t.Fatalf("%d rows (%d updated), want %d (%d updated)", count, updated, n-deleted, (n+6)/7)
	}
	var count2 int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM large.u`).Scan(&count2); err != nil || count2 != n/10 {
		t.Fatalf("large.u: %d rows, %v", count2, err)
	}
}

func TestValueErrorNamesRow(t *testing.T) {
	s, _ := testSink(t, "valerr", nil)
	tb := newTable("valerr", "ev", []core.Column{intCol("id"),
		{Name: "at", Type: core.ColumnType{Name: "datetime"}, Nullable: true}}, "id")
	bad := rec(core.OpInsert, tb, nil, row(7, core.DateTimeValue(core.Civil{Year: 2024, Month: 2, Day: 30})))
	err := s.Apply(context.Background(), newBatch(pos(1), ins(tb, 1, nil), bad))
	if err == nil {
		t.Fatal("February 30th stored under the error policy")
	}
	var ve *ValueError
	if !errors.As(err, &ve) {
		t.Fatalf("no ValueError in %v", err)
	}
	for _, want := range []string{"valerr.ev", bad.Position.String(), "id=7", "column at", "invalid_date"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if core.IsRetryable(err) {
		t.Error("value error is retryable")
	}
	t.Logf("error: %v", err)
}

func TestOpenUnreachable(t *testing.T) {
	// A port nobody listens on: connection refused, retryable.
	cfg := NewConfig("postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2")
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = s.Open(ctx, "p")
	if err == nil {
		t.Fatal("open of a closed port succeeded")
	}
	if !core.IsRetryable(err) {
		t.Fatalf("connection refused is not retryable: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, newBatch(pos(1))); err == nil || !core.IsRetryable(err) {
		t.Fatalf("apply on a sink that is not open: %v", err)
	}
}

func TestOpenBadDatabaseIsFatal(t *testing.T) {
	pg := testPostgres(t)
	s, err := New(NewConfig(pg.DSNFor("no_such_database")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Open(context.Background(), "p")
	if err == nil || core.IsRetryable(err) {
		t.Fatalf("open of a missing database: %v (retryable %v)", err, core.IsRetryable(err))
	}
}
