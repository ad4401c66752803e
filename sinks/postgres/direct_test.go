package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/core"
)

// counts returns the rows the sink copied straight into targets and
// staged since the last call.
func counts(s *Sink) func() (direct, staged int64) {
	d0, s0 := s.directRows, s.stagedRows
	return func() (int64, int64) {
		d, st := s.directRows-d0, s.stagedRows-s0
		d0, s0 = s.directRows, s.stagedRows
		return d, st
	}
}

func directTable(db string) *core.Table {
	return newTable(db, "t", []core.Column{intCol("id"), strCol("v", 20)}, "id")
}

// TestDirectInsertOnly: a batch of inserts only is copied straight into
// the target, nothing staged.
func TestDirectInsertOnly(t *testing.T) {
	s, _ := testSink(t, "direct_ins", nil)
	conn := testConn(t)
	tb := directTable("direct_ins")
	c := counts(s)
	apply(t, s, pos(1), ins(tb, 1, "a"), ins(tb, 2, "b"), &core.Record{Op: core.OpRead, Table: tb, After: row(3, "c"), Position: pos(2)})
	expectRows(t, conn, "direct_ins.t", "1|a", "2|b", "3|c")
	if d, st := c(); d != 3 || st != 0 {
		t.Fatalf("%d rows direct, %d staged; want 3, 0", d, st)
	}
	// A later batch: inserts of new keys again go direct.
	apply(t, s, pos(3), ins(tb, 4, "d"))
	if d, st := c(); d != 1 || st != 0 {
		t.Fatalf("%d rows direct, %d staged; want 1, 0", d, st)
	}
	expectRows(t, conn, "direct_ins.t", "1|a", "2|b", "3|c", "4|d")
}

// TestDirectThenStaged: inserts copied direct, then an update and a
// delete of the same keys in the same batch, merged on top of them; the
// table's later inserts in the batch are staged.
func TestDirectThenStaged(t *testing.T) {
	s, _ := testSink(t, "direct_mix", nil)
	conn := testConn(t)
	tb := directTable("direct_mix")
	c := counts(s)
	apply(t, s, pos(1),
		ins(tb, 1, "a"), ins(tb, 2, "b"), ins(tb, 3, "c"),
		upd(tb, row(1, "a"), row(1, "a2")),
		del(tb, 2, "b"),
		ins(tb, 2, "b2"),                   // re-inserted after its delete: staged
		upd(tb, row(3, "c"), row(30, "c")), // the key changes
		ins(tb, 5, "e"),
	)
	expectRows(t, conn, "direct_mix.t", "1|a2", "2|b2", "30|c", "5|e")
	if d, st := c(); d != 3 || st != 6 {
		t.Fatalf("%d rows direct, %d staged; want 3, 6", d, st)
	}
	// Insert then delete of the same key in one batch: nothing left.
	apply(t, s, pos(2), ins(tb, 7, "g"), del(tb, 7, "g"))
	expectRows(t, conn, "direct_mix.t", "1|a2", "2|b2", "30|c", "5|e")
}

// TestDirectDeleteFirst: a delete of a key that existed before the batch,
// then its re-insert: the delete comes first, so all of it is staged.
func TestDirectDeleteFirst(t *testing.T) {
	s, _ := testSink(t, "direct_del", nil)
	conn := testConn(t)
	tb := directTable("direct_del")
	apply(t, s, pos(1), ins(tb, 1, "a"), ins(tb, 2, "b"))
	c := counts(s)
	apply(t, s, pos(2), del(tb, 1, "a"), ins(tb, 1, "a2"), ins(tb, 3, "c"))
	expectRows(t, conn, "direct_del.t", "1|a2", "2|b", "3|c")
	if d, st := c(); d != 0 || st != 3 {
		t.Fatalf("%d rows direct, %d staged; want 0, 3", d, st)
	}
}

// TestDirectKeyAlreadyThere: a direct COPY of a key the target already
// holds fails with a retryable error; the table is staged from then on,
// also after Close and Open, and the same batch then applies.
func TestDirectKeyAlreadyThere(t *testing.T) {
	s, _ := testSink(t, "direct_dup", nil)
	conn := testConn(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `CREATE SCHEMA direct_dup; CREATE TABLE direct_dup.t (id integer PRIMARY KEY, v varchar(20));
		INSERT INTO direct_dup.t VALUES (2, 'prefilled')`); err != nil {
		t.Fatal(err)
	}
	tb := directTable("direct_dup")
	recs := []*core.Record{ins(tb, 1, "a"), ins(tb, 2, "b"), ins(tb, 3, "c")}
	err := s.Apply(ctx, newBatch(pos(5), recs...))
	if err == nil {
		t.Fatal("a direct COPY of a key already in the target succeeded")
	}
	t.Logf("error: %v", err)
	if !core.IsRetryable(err) {
		t.Fatal("the unique violation of a direct COPY is not retryable")
	}
	for _, want := range []string{"direct_dup.t", "23505", "already holds a key", "staging", recs[1].Position.String()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q", want)
		}
	}
	expectRows(t, conn, "direct_dup.t", "2|prefilled")
	// As the pipeline does: close, open, re-apply from the checkpoint.
	_ = s.Close()
	if cp, err := s.Open(ctx, "direct_dup"); err != nil || !cp.IsZero() {
		t.Fatalf("reopen: %v %v", cp, err)
	}
	c := counts(s)
	apply(t, s, pos(5), recs...)
	expectRows(t, conn, "direct_dup.t", "1|a", "2|b", "3|c")
	if d, st := c(); d != 0 || st != 3 {
		t.Fatalf("%d rows direct, %d staged; want 0, 3", d, st)
	}
	// Other tables still go direct.
	tb2 := newTable("direct_dup", "u", []core.Column{intCol("id")}, "id")
	apply(t, s, pos(6), ins(tb2, 1))
	if d, st := c(); d != 1 || st != 0 {
		t.Fatalf("%d rows direct, %d staged; want 1, 0", d, st)
	}
}

// TestDirectAcrossChunks: with small chunks, the switch from direct to
// staged falls inside a chunk and the direct rows span several chunks;
// two tables interleave.
func TestDirectAcrossChunks(t *testing.T) {
	s, _ := testSink(t, "direct_chunks", func(c *Config) { c.ChunkRows = 7 })
	conn := testConn(t)
	tb := directTable("direct_chunks")
	tb2 := newTable("direct_chunks", "u", []core.Column{intCol("id"), strCol("v", 20)}, "id")
	var recs []*core.Record
	for i := 0; i < 100; i++ {
		recs = append(recs, ins(tb, i, fmt.Sprint("v", i)), ins(tb2, i, "x"))
	}
	// tb2 switches to staging here, tb carries on direct.
	recs = append(recs, upd(tb2, row(5, "x"), row(5, "y")))
	for i := 100; i < 150; i++ {
		recs = append(recs, ins(tb, i, fmt.Sprint("v", i)), ins(tb2, i, "x"))
	}
	for i := 0; i < 150; i += 3 {
		recs = append(recs, upd(tb, row(i, fmt.Sprint("v", i)), row(i, "updated")))
	}
	for i := 1; i < 150; i += 3 {
		recs = append(recs, del(tb, i, fmt.Sprint("v", i)))
	}
	recs = append(recs, ins(tb, 1, "back"))
	c := counts(s)
	apply(t, s, pos(1), recs...)
	if d, st := c(); d != 250 || st != 50+1+50+50+1 {
		t.Fatalf("%d rows direct, %d staged; want 250, 152", d, st)
	}
	var count, updated int
	var back string
	if err := conn.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE v = 'updated'),
		(SELECT v FROM direct_chunks.t WHERE id = 1) FROM direct_chunks.t`).Scan(&count, &updated, &back); err != nil {
		t.Fatal(err)
	}
	if count != 101 || updated != 50 || back != "back" {
		t.Fatalf("%d rows, %d updated, id 1 = %q; want 101, 50, back", count, updated, back)
	}
	var count2, ys int
	if err := conn.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE v = 'y') FROM direct_chunks.u`).Scan(&count2, &ys); err != nil {
		t.Fatal(err)
	}
	if count2 != 150 || ys != 1 {
		t.Fatalf("direct_chunks.u: %d rows, %d updated; want 150, 1", count2, ys)
	}
}
