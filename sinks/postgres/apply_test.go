package postgres

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/core"
)

func TestStageSQL(t *testing.T) {
	tb := newTable("shop", "order items", []core.Column{intCol("order"), intCol("line"), strCol("sku", 20), strCol("_seq", 5)}, "order", "line")
	p, err := planTable(NewConfig("postgres://x/y"), tb)
	if err != nil {
		t.Fatal(err)
	}
	q := buildStageSQL(p, stageName(3, tb.Name))
	for _, c := range []struct{ got, want string }{
		{q.create, `CREATE TEMP TABLE "stage_3_orderitems" (_seq bigint, _op "char", c0 integer, c1 integer, c2 character varying(20), c3 character varying(5)) ON COMMIT DELETE ROWS`},
		{q.copy, `COPY pg_temp."stage_3_orderitems" FROM STDIN`},
		{q.del, `DELETE FROM "shop"."order items" AS _t USING (SELECT DISTINCT ON (c0, c1) c0, c1, _op FROM pg_temp."stage_3_orderitems" ORDER BY c0, c1, _seq DESC) AS _l WHERE _l._op = 'd' AND _t."order" = _l.c0 AND _t."line" = _l.c1`},
		{q.ins, `INSERT INTO "shop"."order items" ("order", "line", "sku", "_seq") SELECT _l.c0, _l.c1, _l.c2, _l.c3 FROM (SELECT DISTINCT ON (c0, c1) * FROM pg_temp."stage_3_orderitems" ORDER BY c0, c1, _seq DESC) AS _l WHERE _l._op = 'u' ON CONFLICT ("order", "line") DO UPDATE SET "sku" = EXCLUDED."sku", "_seq" = EXCLUDED."_seq"`},
	} {
		if c.got != c.want {
			t.Errorf("got  %s\nwant %s", c.got, c.want)
		}
	}
	// All columns in the key: nothing to update.
	p2, _ := planTable(NewConfig("postgres://x/y"), newTable("shop", "tags", []core.Column{intCol("a"), intCol("b")}, "a", "b"))
	if q := buildStageSQL(p2, "s"); !strings.HasSuffix(q.ins, `ON CONFLICT ("a", "b") DO NOTHING`) {
		t.Errorf("all-key table: %s", q.ins)
	}
}

// TestSourceColumnsNamedLikeStagingColumns: columns named _seq, _op, c0
// do not clash with the staging table's own.
func TestSourceColumnsNamedLikeStagingColumns(t *testing.T) {
	s, _ := testSink(t, "clash", nil)
	conn := testConn(t)
	tb := newTable("clash", "t", []core.Column{intCol("_seq"), strCol("_op", 5), strCol("c0", 5)}, "_seq")
	apply(t, s, pos(1), ins(tb, 1, "a", "b"), ins(tb, 2, "c", "d"), upd(tb, row(1, "a", "b"), row(1, "x", "y")), del(tb, 2, "c", "d"))
	expectRows(t, conn, "clash.t", "1|x|y")
}

func TestCopyErrorNamesRecord(t *testing.T) {
	s, _ := testSink(t, "copyerr", nil)
	conn := testConn(t)
	tb := newTable("copyerr", "t", []core.Column{intCol("id"), strCol("code", 5)}, "id")
	bad := ins(tb, 2, "much too long")
	err := s.Apply(context.Background(), newBatch(pos(9), ins(tb, 1, "ok"), bad, ins(tb, 3, "ok")))
	if err == nil {
		t.Fatal("a value too long for varchar(5) was stored")
	}
	t.Logf("error: %v", err)
	for _, want := range []string{"copyerr.t", bad.Position.String(), "much too long", "22001"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q", want)
		}
	}
	if core.IsRetryable(err) {
		t.Error("a value error is retryable")
	}
	var exists bool
	if err := conn.QueryRow(context.Background(), `SELECT to_regclass('copyerr.t') IS NOT NULL`).Scan(&exists); err != nil || exists {
		t.Fatalf("failed batch left its table: %v %v", exists, err)
	}
}

func TestExistingTargetWithoutKey(t *testing.T) {
	s, _ := testSink(t, "nokey", nil)
	conn := testConn(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `CREATE SCHEMA nokey; CREATE TABLE nokey.t (id integer, v text)`); err != nil {
		t.Fatal(err)
	}
	tb := newTable("nokey", "t", []core.Column{intCol("id"), strCol("v", 5)}, "id")
	err := s.Apply(ctx, newBatch(pos(1), ins(tb, 1, "a")))
	if err == nil {
		t.Fatal("upsert into a table without a key succeeded")
	}
	t.Logf("error: %v", err)
	for _, want := range []string{`"nokey"."t"`, "42P10", "ADD PRIMARY KEY"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q", want)
		}
	}
	if _, err := conn.Exec(ctx, `ALTER TABLE nokey.t ADD PRIMARY KEY (id)`); err != nil {
		t.Fatal(err)
	}
	apply(t, s, pos(1), ins(tb, 1, "a"))
	expectRows(t, conn, "nokey.t", "1|a")
}

func TestSchemaChangeRecordInBatchRefused(t *testing.T) {
	s, _ := testSink(t, "ddl_in_batch", nil)
	tb := newTable("ddl_in_batch", "t", []core.Column{intCol("id")}, "id")
	r := schemaChange(core.AlterTable, tb, tb, "ALTER TABLE t COMMENT 'x'", pos(3))
	progress := &core.Record{Op: core.OpProgress, Position: pos(2)}
	if err := s.Apply(context.Background(), newBatch(pos(4), ins(tb, 1), progress, r)); err == nil || !strings.Contains(err.Error(), "row changes only") {
		t.Fatalf("schema change in a batch: %v", err)
	}
}

// TestLargeTransactionBoundedMemory streams a 200k-row transaction (about
// 60 MB of COPY text) through the default chunk limits: the sink's live
// heap stays a few chunks large.
func TestLargeTransactionBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("200k rows")
	}
	s, _ := testSink(t, "bigtx", nil)
	conn := testConn(t)
	tb := newTable("bigtx", "t", []core.Column{intCol("id"), {Name: "body", Type: core.ColumnType{Name: "text"}, Nullable: true}}, "id")
	const n = 200000
	body := strings.Repeat("lorem ipsum dolor sit amet ", 11) // ~300 bytes
	var peak uint64
	b := &fakeBatch{n: n, cp: pos(1), failAt: -1,
		gen: func(i int) *core.Record {
			return &core.Record{Op: core.OpInsert, Table: tb, After: row(i, body+string(rune('a'+i%26))), Position: pos(uint64(i))}
		},
		before: func(i int) {
			if i%20000 == 19999 {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		},
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	if err := s.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	var count int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM bigtx.t`).Scan(&count); err != nil || count != n {
		t.Fatalf("%d rows (%v), want %d", count, err, n)
	}
	grown := int64(peak) - int64(base)
	t.Logf("live heap grew by %.1f MB at most while streaming %d rows", float64(grown)/(1<<20), n)
	if limit := int64(4 * s.cfg.ChunkBytes); grown > limit {
		t.Fatalf("live heap grew by %d bytes, more than %d: the transaction is buffered", grown, limit)
	}
}
