package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seed5aa6e046/syncer/core"
)

// storedCheckpoint reads pipeline's checkpoint row directly.
func storedCheckpoint(t *testing.T, conn *pgx.Conn, pipeline string) core.Position {
	t.Helper()
	var (
		p   core.Position
		pos int64
	)
	err := conn.QueryRow(context.Background(), `SELECT file, pos, gtid FROM _syncer.checkpoints WHERE pipeline = $1`, pipeline).
		Scan(&p.File, &pos, &p.GTID)
	if err == pgx.ErrNoRows {
		return core.Position{}
	}
	if err != nil {
		t.Fatal(err)
	}
	p.Pos = uint64(pos)
	return p
}

func schemaChange(kind core.SchemaChangeKind, old, new *core.Table, stmt string, at core.Position) *core.Record {
	t := new
	if t == nil {
		t = old
	}
	op := core.OpSchemaChange
	if kind == core.TruncateTable {
		op = core.OpTruncate
	}
	return &core.Record{Op: op, Table: t, Position: at, TxEnd: true,
		Change: &core.SchemaChange{Kind: kind, Old: old, New: new, Database: t.Schema, Statement: stmt, Position: at}}
}

func TestApplySchemaChangeWithCheckpoint(t *testing.T) {
	s, _ := testSink(t, "ddl", nil)
	conn := testConn(t)
	ctx := context.Background()
	v1 := newTable("ddl", "t", []core.Column{intCol("id"), strCol("v", 20)}, "id")
	apply(t, s, pos(10), ins(v1, 1, "a"), ins(v1, 2, "b"))

	// ALTER TABLE t ADD COLUMN extra int: the column and the checkpoint
	// commit together.
	v2 := v1.Clone()
	v2.Version = 2
	extra := intCol("extra")
	extra.Nullable = true
	v2.Columns = append(v2.Columns, extra)
	if err := s.ApplySchemaChange(ctx, schemaChange(core.AlterTable, v1, v2, "ALTER TABLE t ADD COLUMN extra int", pos(20)), pos(21)); err != nil {
		t.Fatal(err)
	}
	if got := storedCheckpoint(t, conn, "ddl"); got != pos(21) {
		t.Fatalf("checkpoint %v after the schema change, want %v", got, pos(21))
	}
	expectRows(t, conn, "ddl.t", "1|a|NULL", "2|b|NULL")
	// Rows of the new version go through a new staging table.
	apply(t, s, pos(30), ins(v2, 3, "c", 33), upd(v2, row(1, "a", nil), row(1, "a", 11)))
	expectRows(t, conn, "ddl.t", "1|a|11", "2|b|NULL", "3|c|33")

	// A change the target refuses (or fails) commits nothing: neither
	// its DDL nor its checkpoint.
	v3 := v2.Clone()
	v3.Version = 3
	more := intCol("more")
	more.Nullable = true
	v3.Columns = append(v3.Columns, more)
	v3.Columns[1].Type = core.ColumnType{Name: "json"} // varchar -> json: not a safe change
	err := s.ApplySchemaChange(ctx, schemaChange(core.AlterTable, v2, v3, "ALTER TABLE t ADD more int, MODIFY v json", pos(40)), pos(41))
	if err != nil {
		t.Logf("refused: %v", err)
		if got := storedCheckpoint(t, conn, "ddl"); got != pos(30) {
			t.Fatalf("checkpoint %v after a failed schema change, want %v", got, pos(30))
		}
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM information_schema.columns WHERE table_schema = 'ddl' AND table_name = 't' AND column_name = 'more'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("column of a failed change: %d (%v)", n, err)
		}
	} else {
		t.Logf("varchar -> json accepted by applySchemaChange; atomicity of a failed change not checked")
	}
	// The sink is still usable for the old version after a refusal.
	apply(t, s, pos(50), ins(v2, 4, "d", 44))

	// TRUNCATE: rows gone, checkpoint moved.
	if err := s.ApplySchemaChange(ctx, schemaChange(core.TruncateTable, v2, v2, "TRUNCATE t", pos(60)), pos(61)); err != nil {
		t.Fatal(err)
	}
	expectRows(t, conn, "ddl.t")
	if got := storedCheckpoint(t, conn, "ddl"); got != pos(61) {
		t.Fatalf("checkpoint %v after truncate, want %v", got, pos(61))
	}
	if cp, err := s.Open(ctx, "ddl"); err != nil || cp != pos(61) {
		t.Fatalf("reopen: %v, %v", cp, err)
	}
	apply(t, s, pos(70), ins(v2, 5, "e", 55))
	expectRows(t, conn, "ddl.t", "5|e|55")
}

func TestApplySchemaChangeDropsStaging(t *testing.T) {
	s, _ := testSink(t, "ddl_stage", nil)
	conn := testConn(t)
	ctx := context.Background()
	v1 := newTable("ddl_stage", "t", []core.Column{intCol("id"), strCol("v", 20)}, "id")
	apply(t, s, pos(1), ins(v1, 1, "a"))
	ts := s.tables[v1]
	if ts == nil || ts.stage == "" {
		t.Fatal("no staging table after a batch")
	}
	stage := ts.stage
	if err := s.ApplySchemaChange(ctx, schemaChange(core.DropTable, v1, nil, "DROP TABLE t", pos(2)), pos(3)); err != nil {
		t.Fatal(err)
	}
	if s.tables[v1] != nil {
		t.Fatal("plan of a dropped table still cached")
	}
	var n int
	if err := s.conn.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relname = $1 AND relpersistence = 't'`, stage).Scan(&n); err != nil || n != 0 {
		t.Fatalf("staging table %s: %d (%v)", stage, n, err)
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('ddl_stage.t') IS NOT NULL`).Scan(&exists); err != nil || exists {
		t.Fatalf("dropped table exists: %v %v", exists, err)
	}
	// Re-created by the next row (the same definition, as CREATE TABLE
	// would log it).
	v2 := v1.Clone()
	v2.Version = 2
	apply(t, s, pos(4), ins(v2, 2, "b"))
	expectRows(t, conn, "ddl_stage.t", "2|b")
}

// TestOpenConcurrently: sinks of several pipelines opening at once on a
// fresh state schema all succeed.
func TestOpenConcurrently(t *testing.T) {
	pg := testPostgres(t)
	errs := make(chan error, 8)
	for i := 0; i < cap(errs); i++ {
		go func() {
			cfg := NewConfig(pg.DSN())
			cfg.StateSchema = "_syncer_concurrent"
			s, err := New(cfg)
			if err == nil {
				_, err = s.Open(context.Background(), fmt.Sprintf("p%d", i))
				_ = s.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < cap(errs); i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// Two processes applying one pipeline: the second one's batch finds the
// checkpoint moved under it and fails, naming the cause, instead of
// applying the same changes again.
func TestFenceAgainstASecondProcess(t *testing.T) {
	a, _ := testSink(t, "fenced", nil)
	b, _ := testSink(t, "fenced", nil)
	tb := newTable("fenced", "t", []core.Column{intCol("id")}, "id")
	apply(t, a, pos(100), ins(tb, 1))
	err := b.Apply(context.Background(), newBatch(pos(100), ins(tb, 2)))
	if err == nil || !strings.Contains(err.Error(), "another process applies the same pipeline") || core.IsRetryable(err) {
		t.Fatalf("second process's Apply = %v; want a fatal fence error", err)
	}
	expectRows(t, testConn(t), `"fenced"."t"`, "1")
	// The first goes on.
	apply(t, a, pos(200), ins(tb, 3))
	expectRows(t, testConn(t), `"fenced"."t"`, "1", "3")
}

// A commit in flight when a process dies holds the checkpoint row: Open
// waits for it rather than return the checkpoint before it.
func TestOpenWaitsForACommitInFlight(t *testing.T) {
	_, _ = testSink(t, "inflight", nil)
	conn := testConn(t)
	tx, err := conn.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(context.Background(), `UPDATE _syncer.checkpoints SET file = 'mysql-bin.000002', pos = 77 WHERE pipeline = 'inflight'`); err != nil {
		t.Fatal(err)
	}
	type result struct {
		cp  core.Position
		err error
	}
	got := make(chan result, 1)
	go func() {
		s, err := New(NewConfig(testPostgres(t).DSN()))
		if err != nil {
			got <- result{err: err}
			return
		}
		defer s.Close()
		cp, err := s.Open(context.Background(), "inflight")
		got <- result{cp, err}
	}()
	select {
	case r := <-got:
		t.Fatalf("Open returned %v, %v while the commit was in flight", r.cp, r.err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.err != nil || r.cp.File != "mysql-bin.000002" || r.cp.Pos != 77 {
		t.Fatalf("Open = %v, %v; want the checkpoint committed meanwhile", r.cp, r.err)
	}
}

// The snapshot progress (core.Position.Snapshot) is stored and read back
// with the checkpoint, and a checkpoints table an earlier release made
// without the column gains it at Open.
func TestCheckpointKeepsSnapshotProgress(t *testing.T) {
	ctx := context.Background()
	conn := testConn(t)
	// The layout of the first release, under a state schema of its own.
	for _, q := range []string{
		"DROP SCHEMA IF EXISTS _syncer_old CASCADE",
		"CREATE SCHEMA _syncer_old",
		`CREATE TABLE _syncer_old.checkpoints (pipeline text PRIMARY KEY, file text NOT NULL, pos bigint NOT NULL,
			gtid text NOT NULL, updated_at timestamptz NOT NULL)`,
		`INSERT INTO _syncer_old.checkpoints VALUES ('snapprog', 'mysql-bin.000001', 7, '', now())`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s, cp := testSink(t, "snapprog", func(c *Config) { c.StateSchema = "_syncer_old" })
	if cp.File != "mysql-bin.000001" || cp.Pos != 7 || cp.Snapshot != "" {
		t.Fatalf("checkpoint after the migration = %+v, want mysql-bin.000001:7 without snapshot progress", cp)
	}
	tb := newTable("snapprog", "t", []core.Column{intCol("id"), strCol("v", 20)}, "id")
	at := pos(20)
	at.Snapshot = `{"v":1,"tables":[{"n":"snapprog.t","s":"copying"}]}`
	r := &core.Record{Op: core.OpRead, Table: tb, After: row(1, "a"), Position: at, TxEnd: true, Checkpoint: at}
	if err := s.Apply(ctx, newBatch(at, r)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := New(func() *Config { c := NewConfig(testPostgres(t).DSN()); c.StateSchema = "_syncer_old"; return c }())
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err := s2.Open(ctx, "snapprog")
	if err != nil {
		t.Fatal(err)
	}
	if got != at {
		t.Fatalf("checkpoint read back = %+v, want %+v", got, at)
	}
}

// A truncate a snapshot makes (before a table is copied again) empties
// the target even under the truncate policy ignore, which is for the
// source's TRUNCATE statements.
func TestSnapshotTruncateOverridesIgnore(t *testing.T) {
	s, _ := testSink(t, "snaptrunc", func(c *Config) { c.Schema.Truncate = TruncateIgnore })
	conn := testConn(t)
	ctx := context.Background()
	tb := newTable("snaptrunc", "t", []core.Column{intCol("id"), strCol("v", 20)}, "id")
	apply(t, s, pos(10), ins(tb, 1, "a"), ins(tb, 2, "b"))
	src := schemaChange(core.TruncateTable, tb, tb, "TRUNCATE TABLE t", pos(11))
	if err := s.ApplySchemaChange(ctx, src, pos(11)); err != nil {
		t.Fatal(err)
	}
	expectRows(t, conn, `snaptrunc.t`, "1|a", "2|b")
	snap := schemaChange(core.TruncateTable, tb, tb, "-- syncer: re-snapshot of snaptrunc.t", pos(12))
	snap.Change.Snapshot = true
	if err := s.ApplySchemaChange(ctx, snap, pos(12)); err != nil {
		t.Fatal(err)
	}
	expectRows(t, conn, `snaptrunc.t`)
}
