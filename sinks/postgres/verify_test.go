package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/core"
)

// The verify tests write targets through the Sink (Apply), then verify
// them with a Sink that is never opened: verify needs no checkpoint.

// verifySink returns an unopened sink on the package's PostgreSQL.
func verifySink(t testing.TB, edit func(*Config)) *Sink {
	t.Helper()
	cfg := NewConfig(testPostgres(t).DSN())
	if edit != nil {
		edit(cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func startVerify(t testing.TB, s *Sink, tb *core.Table, maxDiffs int) core.TableVerifier {
	t.Helper()
	v, err := s.VerifyTable(context.Background(), tb, core.VerifyOptions{MaxDiffs: maxDiffs})
	if err != nil {
		t.Fatalf("VerifyTable: %v", err)
	}
	t.Cleanup(func() { _ = v.Close(context.Background()) })
	return v
}

// verified is a whole table's comparison: the chunks' counts summed, the
// target's row count, Finish's result, and every diff as "kind key
// [columns] xcount", chunks' first then Finish's.
type verified struct {
	target                          int64
	rows, equal, missing, different int
	fin                             core.FinishResult
	diffs                           []string
}

func showDiff(d core.RowDiff) string {
	s := d.Kind + " " + d.Key
	if len(d.Columns) > 0 {
		s += " [" + strings.Join(d.Columns, " ") + "]"
	}
	if d.Count != 1 {
		s += " x" + strconv.FormatInt(d.Count, 10)
	}
	return s
}

// runVerify compares rows with tb's target in chunks of chunk rows.
func runVerify(t testing.TB, s *Sink, tb *core.Table, rows [][]core.Value, chunk, maxDiffs, limit int) verified {
	t.Helper()
	ctx := context.Background()
	v := startVerify(t, s, tb, maxDiffs)
	var out verified
	n, ok, err := v.TargetCount(ctx)
	if err != nil || !ok {
		t.Fatalf("TargetCount: %d %v %v", n, ok, err)
	}
	out.target = n
	for len(rows) > 0 {
		c := rows[:min(chunk, len(rows))]
		rows = rows[len(c):]
		res, err := v.Compare(ctx, c)
		if err != nil {
			t.Fatalf("Compare: %v", err)
		}
		if res.Rows != len(c) {
			t.Fatalf("Compare: Rows %d, want %d", res.Rows, len(c))
		}
		if len(res.Diffs) > maxDiffs {
			t.Fatalf("Compare listed %d diffs, MaxDiffs %d", len(res.Diffs), maxDiffs)
		}
		out.rows += res.Rows
		out.equal += res.Equal
		out.missing += res.Missing
		out.different += res.Different
		for _, d := range res.Diffs {
			out.diffs = append(out.diffs, showDiff(d))
		}
	}
	fin, err := v.Finish(ctx, limit)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if len(fin.Diffs) > limit {
		t.Fatalf("Finish listed %d diffs, limit %d", len(fin.Diffs), limit)
	}
	out.fin = fin
	for _, d := range fin.Diffs {
		out.diffs = append(out.diffs, showDiff(d))
	}
	if err := v.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return out
}

func expectDiffs(t testing.TB, got verified, want ...string) {
	t.Helper()
	if strings.Join(got.diffs, "\n") != strings.Join(want, "\n") {
		t.Fatalf("diffs:\ngot  %q\nwant %q", got.diffs, want)
	}
}

func exec(t testing.TB, sql string) {
	t.Helper()
	if _, err := testConn(t).Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func insertAll(tb *core.Table, rows [][]core.Value) []*core.Record {
	recs := make([]*core.Record, len(rows))
	for i, r := range rows {
		recs[i] = rec(core.OpInsert, tb, nil, r)
	}
	return recs
}

func itemsTable(db string) *core.Table {
	tb := newTable(db, "items", []core.Column{intCol("id"), strCol("name", 20), intCol("qty"),
		{Name: "price", Type: core.ColumnType{Name: "decimal", Precision: 10, Scale: 2}, Nullable: true},
		{Name: "at", Type: core.ColumnType{Name: "datetime", FSP: 6}, Nullable: true}}, "id")
	tb.Columns[2].Nullable = true
	return tb
}

func itemRow(id int, name string, qty any) []core.Value {
	return row(id, name, qty, core.DecimalValue([]byte(strconv.Itoa(id)+".50")),
		core.DateTimeValue(civil(2024, 1, id%28+1, 10, 0, id, id*1000)))
}

// TestVerifyEqualThenChanged: a target the sink wrote (inserts, then an
// update and a delete) equals its source; then the target is changed
// behind the sink's back and verify names exactly the rows changed.
func TestVerifyEqualThenChanged(t *testing.T) {
	const db = "verify_basic"
	s, _ := testSink(t, db, nil)
	tb := itemsTable(db)
	var src [][]core.Value
	for id := 1; id <= 10; id++ {
		src = append(src, itemRow(id, fmt.Sprintf("item %d", id), id))
	}
	apply(t, s, pos(1), insertAll(tb, src)...)
	// The source then updates 7 and deletes 10.
	upd7 := itemRow(7, "seven", nil)
	apply(t, s, pos(2), upd(tb, src[6], upd7), rec(core.OpDelete, tb, src[9], nil))
	src[6], src = upd7, src[:9]

	vs := verifySink(t, nil)
	got := runVerify(t, vs, tb, src, 4, 10, 10)
	if got.target != 9 || got.rows != 9 || got.equal != 9 || got.missing != 0 || got.different != 0 ||
		got.fin.Extra != 0 || got.fin.Missing != 0 {
		t.Fatalf("equal target: %+v", got)
	}
	expectDiffs(t, got)

	exec(t, `UPDATE verify_basic.items SET name = 'changed' WHERE id = 2;
		DELETE FROM verify_basic.items WHERE id = 3;
		INSERT INTO verify_basic.items (id, name) VALUES (99, 'extra'), (-1, 'minus');
		UPDATE verify_basic.items SET qty = NULL WHERE id = 4;
		UPDATE verify_basic.items SET name = 'x', price = 0, at = at + interval '1 microsecond' WHERE id = 5;
		UPDATE verify_basic.items SET qty = 7 WHERE id = 7`)
	got = runVerify(t, vs, tb, src, 4, 10, 10)
	if got.target != 10 || got.rows != 9 || got.equal != 4 || got.missing != 1 || got.different != 4 || got.fin.Extra != 2 {
		t.Fatalf("changed target: %+v", got)
	}
	expectDiffs(t, got,
		"different id=2 [name]",
		"missing id=3",
		"different id=4 [qty]",
		"different id=5 [name price at]",
		"different id=7 [qty]", // NULL at the source, 7 in the target
		"extra id=-1",
		"extra id=99",
	)

	// Lists are bounded, counts are not.
	got = runVerify(t, vs, tb, src, 100, 1, 0)
	if got.missing != 1 || got.different != 4 || got.fin.Extra != 2 {
		t.Fatalf("bounded lists: %+v", got)
	}
	expectDiffs(t, got, "different id=2 [name]")
	got = runVerify(t, vs, tb, src, 100, 0, 1)
	expectDiffs(t, got, "extra id=-1")
}

// TestVerifyCompositeKey: keys of two columns, shown in key order.
func TestVerifyCompositeKey(t *testing.T) {
	const db = "verify_composite"
	s, _ := testSink(t, db, nil)
	tb := newTable(db, "stock", []core.Column{intCol("id"), strCol("region", 5), intCol("n")}, "region", "id")
	src := [][]core.Value{row(1, "eu", 10), row(2, "eu", 20), row(1, "us", 30), row(2, "it's", 40)}
	apply(t, s, pos(1), insertAll(tb, src)...)
	vs := verifySink(t, nil)
	got := runVerify(t, vs, tb, src, 3, 10, 10)
	if got.equal != 4 || got.fin.Extra != 0 {
		t.Fatalf("equal target: %+v", got)
	}
	exec(t, `DELETE FROM verify_composite.stock WHERE region = 'eu' AND id = 2;
		INSERT INTO verify_composite.stock VALUES (3, 'eu', 0);
		UPDATE verify_composite.stock SET n = 41 WHERE region = 'it''s'`)
	got = runVerify(t, vs, tb, src, 3, 10, 10)
	if got.equal != 2 || got.missing != 1 || got.different != 1 || got.fin.Extra != 1 {
		t.Fatalf("changed target: %+v", got)
	}
	expectDiffs(t, got, "missing (region='eu', id=2)", "different (region='it''s', id=2) [n]", "extra (region='eu', id=3)")
}

// TestVerifyKeylessMultiset: a keyless table (full_row) with identical
// rows is compared as a multiset: one copy fewer or more is a difference.
func TestVerifyKeylessMultiset(t *testing.T) {
	const db = "verify_keyless"
	fullRow := func(c *Config) { c.Keyless = KeylessFullRow }
	s, _ := testSink(t, db, fullRow)
	tb := newTable(db, "log", []core.Column{intCol("a"), strCol("b", 10)})
	tb.Columns[0].Nullable = true
	src := [][]core.Value{row(1, "x"), row(1, "x"), row(1, "x"), row(2, nil), row(2, nil), row(nil, "n")}
	apply(t, s, pos(1), insertAll(tb, src)...)
	vs := verifySink(t, fullRow)
	got := runVerify(t, vs, tb, src, 4, 10, 10)
	if got.target != 6 || got.rows != 6 || got.equal != 0 || got.fin.Missing != 0 || got.fin.Extra != 0 {
		t.Fatalf("equal target: %+v", got)
	}
	expectDiffs(t, got)

	exec(t, `DELETE FROM verify_keyless.log WHERE ctid = (SELECT ctid FROM verify_keyless.log WHERE a = 1 LIMIT 1)`)
	got = runVerify(t, vs, tb, src, 4, 10, 10)
	if got.fin.Missing != 1 || got.fin.Extra != 0 {
		t.Fatalf("one duplicate removed: %+v", got)
	}
	expectDiffs(t, got, "missing (a=1, b='x')")

	exec(t, `DELETE FROM verify_keyless.log WHERE a = 1;
		INSERT INTO verify_keyless.log VALUES (2, NULL), (2, NULL), (7, 'q'), (NULL, 'n')`)
	got = runVerify(t, vs, tb, src, 2, 10, 10)
	if got.fin.Missing != 3 || got.fin.Extra != 4 {
		t.Fatalf("changed target: %+v", got)
	}
	expectDiffs(t, got, "missing (a=1, b='x') x3", "extra (a=2, b=NULL) x2", "extra (a=7, b='q')", "extra (a=NULL, b='n')")
	got = runVerify(t, vs, tb, src, 6, 0, 2)
	if got.fin.Missing != 3 || got.fin.Extra != 4 || len(got.diffs) != 2 {
		t.Fatalf("bounded list: %+v", got)
	}
}

// TestVerifyAllTypes: every mapped type, written by the sink, verifies
// as equal, NULL included; and a changed value of each is found.
func TestVerifyAllTypes(t *testing.T) {
	const db = "verify_types"
	for _, bool1 := range []bool{false, true} {
		edit := func(c *Config) { c.TinyInt1AsBoolean = bool1 }
		s, _ := testSink(t, db+"_"+strconv.FormatBool(bool1), edit)
		vs := verifySink(t, edit)
		for _, tc := range tyCases() {
			if tc.bool1 != bool1 {
				continue
			}
			t.Run(tc.name, func(t *testing.T) {
				tb := tyTable(db, tc.name, tyCol("v", tc.ct))
				var src [][]core.Value
				for i, v := range append(append([]core.Value(nil), tc.vals...), core.Null()) {
					src = append(src, []core.Value{core.IntValue(int64(i)), v})
				}
				apply(t, s, pos(1), insertAll(tb, src)...)
				got := runVerify(t, vs, tb, src, 2, 10, 10)
				if got.equal != len(src) || got.fin.Extra != 0 || len(got.diffs) != 0 {
					t.Fatalf("written by the sink: %+v", got)
				}
				// Row 0 gets row 1's value (or NULL when there is no
				// row 1 but the NULL one).
				exec(t, `UPDATE verify_types.`+quoteIdent(tc.name)+` SET v = (SELECT v FROM verify_types.`+quoteIdent(tc.name)+` WHERE id = 1) WHERE id = 0`)
				got = runVerify(t, vs, tb, src, 2, 10, 10)
				if got.different != 1 || got.equal != len(src)-1 {
					t.Fatalf("changed: %+v", got)
				}
				expectDiffs(t, got, "different id=0 [v]")
			})
		}
	}
}

// TestVerifyTargetTypesWithoutEquality: target columns someone changed
// to types without an equality operator (json, point), and one with a
// collation of its own, are compared sensibly, keyed and keyless.
func TestVerifyTargetTypesWithoutEquality(t *testing.T) {
	const db = "verify_noeq"
	fullRow := func(c *Config) { c.Keyless = KeylessFullRow }
	s, _ := testSink(t, db, fullRow)
	vs := verifySink(t, fullRow)
	cols := []core.Column{
		tyCol("j", core.ColumnType{Name: "json"}),
		strCol("p", 30),
		strCol("c", 30),
	}
	keyed := tyTable(db, "keyed", cols...)
	keyless := newTable(db, "keyless", append([]core.Column(nil), cols...))
	src := [][]core.Value{
		{core.JSONValue([]byte(`{"b": 1, "a": [1, 2]}`)), core.StringValue([]byte("(1,2)")), core.StringValue([]byte("B"))},
		{core.JSONValue([]byte(`[]`)), core.StringValue([]byte("(-1.5,0)")), core.StringValue([]byte("a"))},
		{core.JSONValue([]byte(`[]`)), core.StringValue([]byte("(-1.5,0)")), core.StringValue([]byte("a"))},
		{core.Null(), core.Null(), core.Null()},
	}
	keyedSrc := make([][]core.Value, len(src))
	for i, r := range src {
		keyedSrc[i] = append([]core.Value{core.IntValue(int64(i))}, r...)
	}
	apply(t, s, pos(1), append(insertAll(keyed, keyedSrc), insertAll(keyless, src)...)...)
	for _, table := range []string{"keyed", "keyless"} {
		exec(t, `ALTER TABLE verify_noeq.`+table+` ALTER COLUMN j TYPE json USING j::json,
			ALTER COLUMN p TYPE point USING p::point, ALTER COLUMN c TYPE varchar(30) COLLATE "C"`)
	}
	got := runVerify(t, vs, keyed, keyedSrc, 3, 10, 10)
	if got.equal != 4 || got.fin.Extra != 0 || len(got.diffs) != 0 {
		t.Fatalf("keyed, altered types: %+v", got)
	}
	got = runVerify(t, vs, keyless, src, 3, 10, 10)
	if got.fin.Missing != 0 || got.fin.Extra != 0 || len(got.diffs) != 0 {
		t.Fatalf("keyless, altered types: %+v", got)
	}
	exec(t, `UPDATE verify_noeq.keyed SET j = '{"a": [1, 2], "b": 2}' WHERE id = 0;
		UPDATE verify_noeq.keyed SET p = '(1,3)' WHERE id = 1;
		UPDATE verify_noeq.keyed SET j = '[ ]' WHERE id = 2; -- other json text, the same jsonb
		UPDATE verify_noeq.keyless SET p = '(9,9)' WHERE j::text = '[]' AND ctid = (SELECT min(ctid) FROM verify_noeq.keyless WHERE j::text = '[]')`)
	got = runVerify(t, vs, keyed, keyedSrc, 3, 10, 10)
	if got.equal != 2 || got.different != 2 {
		t.Fatalf("keyed, changed: %+v", got)
	}
	expectDiffs(t, got, "different id=0 [j]", "different id=1 [p]")
	got = runVerify(t, vs, keyless, src, 3, 10, 10)
	if got.fin.Missing != 1 || got.fin.Extra != 1 {
		t.Fatalf("keyless, changed: %+v", got)
	}
	expectDiffs(t, got, "missing (j='[]', p='(-1.5,0)', c='a')", "extra (j='[]', p='(9,9)', c='a')")
}

// TestVerifyValuePolicies: values the sink stores under a policy
// compare as the policy stores them.
func TestVerifyValuePolicies(t *testing.T) {
	const db = "verify_policies"
	policies := func(c *Config) {
		c.Values.ZeroDate = DateNull
		c.Columns = []ColumnPolicies{{Match: db + ".t.s", ValuePolicies: ValuePolicies{NulInText: NulStrip}}}
	}
	s, _ := testSink(t, db, policies)
	tb := newTable(db, "t", []core.Column{intCol("id"),
		{Name: "d", Type: core.ColumnType{Name: "date"}, Nullable: true},
		{Name: "ts", Type: core.ColumnType{Name: "timestamp"}, Nullable: true},
		strCol("s", 20)}, "id")
	src := [][]core.Value{
		{core.IntValue(1), core.DateValue(core.Civil{}), core.ZeroTimestampValue(), core.StringValue([]byte("a\x00b"))},
		{core.IntValue(2), core.DateValue(civil(2024, 5, 6, 0, 0, 0, 0)), core.TimestampValue(1e15), core.StringValue([]byte("ok"))},
	}
	apply(t, s, pos(1), insertAll(tb, src)...)
	vs := verifySink(t, policies)
	got := runVerify(t, vs, tb, src, 10, 10, 10)
	if got.equal != 2 || len(got.diffs) != 0 {
		t.Fatalf("zero dates as NULL, NUL stripped: %+v", got)
	}

	// The zero date the sink stored as NULL is not what a zero_date:
	// infinity sink would store.
	inf := verifySink(t, func(c *Config) { policies(c); c.Values.ZeroDate = DateInfinity })
	got = runVerify(t, inf, tb, src, 10, 10, 10)
	expectDiffs(t, got, "different id=1 [d ts]")

	// Under zero_date: error the sink refuses the row, and so does verify.
	strict := verifySink(t, func(c *Config) { policies(c); c.Values.ZeroDate = DateError })
	v := startVerify(t, strict, tb, 10)
	_, err := v.Compare(context.Background(), src)
	var ve *ValueError
	if !errors.As(err, &ve) {
		t.Fatalf("zero date under the error policy: err = %v, want a *ValueError", err)
	}
	for _, want := range []string{"verify " + db + ".t", "id=1", "zero_date", "the sink refuses such a value too"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if _, err := v.Finish(context.Background(), 10); err == nil || !strings.Contains(err.Error(), "earlier step failed") {
		t.Errorf("Finish after a failed Compare: %v", err)
	}
}

// TestVerifyTargetMissing: verify says so clearly when the target table
// does not exist.
func TestVerifyTargetMissing(t *testing.T) {
	tb := newTable("verify_missing", "nothing", []core.Column{intCol("id")}, "id")
	v := startVerify(t, verifySink(t, nil), tb, 10)
	ctx := context.Background()
	n, ok, err := v.TargetCount(ctx)
	if err != nil || ok || n != 0 {
		t.Fatalf("TargetCount = %d, %v, %v; want 0, false, nil", n, ok, err)
	}
	_, err = v.Compare(ctx, [][]core.Value{row(1)})
	if !errors.Is(err, core.ErrTargetMissing) {
		t.Fatalf("Compare: %v, want ErrTargetMissing", err)
	}
	for _, want := range []string{"verify verify_missing.nothing", `"verify_missing"."nothing"`, "does not exist"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if _, err := v.Finish(ctx, 10); !errors.Is(err, core.ErrTargetMissing) {
		t.Fatalf("Finish: %v, want ErrTargetMissing", err)
	}
}

// TestVerifyTargetColumns: a target lacking a source column, or with
// one the source lacks, cannot be compared, and the error names them;
// under drop_column: keep the target's own columns are ignored.
func TestVerifyTargetColumns(t *testing.T) {
	const db = "verify_columns"
	s, _ := testSink(t, db, nil)
	tb := newTable(db, "t", []core.Column{intCol("id"), strCol("a", 5), strCol("b", 5)}, "id")
	src := [][]core.Value{row(1, "a", "b")}
	apply(t, s, pos(1), insertAll(tb, src)...)
	ctx := context.Background()
	vs := verifySink(t, nil)
	exec(t, `ALTER TABLE verify_columns.t DROP COLUMN b`)
	_, err := vs.VerifyTable(ctx, tb, core.VerifyOptions{})
	if err == nil || !strings.Contains(err.Error(), "lacks the source's columns b") {
		t.Fatalf("target without column b: %v", err)
	}
	exec(t, `ALTER TABLE verify_columns.t ADD COLUMN b varchar(5), ADD COLUMN "Audit" text, ADD COLUMN zz int`)
	_, err = vs.VerifyTable(ctx, tb, core.VerifyOptions{})
	if err == nil || !strings.Contains(err.Error(), "columns the source table lacks: Audit, zz") {
		t.Fatalf("target with extra columns: %v", err)
	}
	exec(t, `UPDATE verify_columns.t SET b = 'b', "Audit" = 'x'`)
	got := runVerify(t, verifySink(t, func(c *Config) { c.Schema.DropColumn = DropColumnKeep }), tb, src, 10, 10, 10)
	if got.equal != 1 || len(got.diffs) != 0 {
		t.Fatalf("drop_column keep: %+v", got)
	}
}

// TestVerifyLargeChunk: a chunk of 100k rows streams through COPY with
// a bounded buffer.
func TestVerifyLargeChunk(t *testing.T) {
	const db = "verify_large"
	s, _ := testSink(t, db, nil)
	tb := newTable(db, "t", []core.Column{intCol("id"), strCol("v", 40)}, "id")
	const n = 100000
	src := make([][]core.Value, n)
	for i := range src {
		src[i] = row(i, fmt.Sprintf("value %d with some text", i))
	}
	apply(t, s, pos(1), insertAll(tb, src)...)
	exec(t, `DELETE FROM verify_large.t WHERE id IN (5, 50000, 99999); UPDATE verify_large.t SET v = 'x' WHERE id = 77777`)
	ctx := context.Background()
	vs := verifySink(t, nil)
	v := startVerify(t, vs, tb, 10)
	res, err := v.Compare(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != n || res.Missing != 3 || res.Different != 1 || res.Equal != n-4 {
		t.Fatalf("%+v", res)
	}
	got := make([]string, len(res.Diffs))
	for i, d := range res.Diffs {
		got[i] = showDiff(d)
	}
	want := []string{"missing id=5", "missing id=50000", "different id=77777 [v]", "missing id=99999"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("diffs %q, want %q", got, want)
	}
	if c := cap(v.(*tableVerifier).rd.buf); c > 2*copyBatch {
		t.Errorf("the COPY buffer grew to %d bytes for a chunk of %d rows", c, n)
	}
	fin, err := v.Finish(ctx, 10)
	if err != nil || fin.Extra != 0 {
		t.Fatalf("Finish: %+v %v", fin, err)
	}
}

// TestVerifySnapshot: the comparison sees the target as it was when it
// started, whatever is written meanwhile.
func TestVerifySnapshot(t *testing.T) {
	const db = "verify_snapshot"
	s, _ := testSink(t, db, nil)
	tb := newTable(db, "t", []core.Column{intCol("id"), strCol("v", 10)}, "id")
	src := [][]core.Value{row(1, "a"), row(2, "b")}
	apply(t, s, pos(1), insertAll(tb, src)...)
	ctx := context.Background()
	vs := verifySink(t, nil)
	v := startVerify(t, vs, tb, 10)
	if n, _, err := v.TargetCount(ctx); err != nil || n != 2 {
		t.Fatalf("TargetCount %d %v", n, err)
	}
	apply(t, s, pos(2), ins(tb, 3, "c"), del(tb, 1, "a"))
	res, err := v.Compare(ctx, src)
	if err != nil || res.Equal != 2 {
		t.Fatalf("Compare %+v %v", res, err)
	}
	fin, err := v.Finish(ctx, 10)
	if err != nil || fin.Extra != 0 {
		t.Fatalf("Finish %+v %v", fin, err)
	}
	got := runVerify(t, vs, tb, src, 10, 10, 10)
	expectDiffs(t, got, "missing id=1", "extra id=3")
}

// TestVerifyTargetWithoutUniqueKey: a target that lost its primary key
// may hold a key twice; the surplus row is extra.
func TestVerifyTargetWithoutUniqueKey(t *testing.T) {
	const db = "verify_nonunique"
	s, _ := testSink(t, db, nil)
	tb := newTable(db, "t", []core.Column{intCol("id"), strCol("v", 10)}, "id")
	src := [][]core.Value{row(1, "a"), row(2, "b"), row(3, "c")}
	apply(t, s, pos(1), insertAll(tb, src)...)
	exec(t, `ALTER TABLE verify_nonunique.t DROP CONSTRAINT t_pkey;
		INSERT INTO verify_nonunique.t VALUES (2, 'b'), (3, 'other'), (3, 'c'), (4, 'd')`)
	got := runVerify(t, verifySink(t, nil), tb, src, 2, 10, 10)
	if got.equal != 3 || got.fin.Extra != 4 {
		t.Fatalf("%+v", got)
	}
	expectDiffs(t, got, "extra id=4", "extra id=2", "extra id=3 x2")
}

func TestVerifyShowKey(t *testing.T) {
	for _, tc := range []struct {
		v    core.Value
		want string
	}{
		{core.IntValue(-4), "-4"},
		{core.StringValue([]byte("it's\na\ttab")), `'it''s\na\ttab'`},
		{core.StringValue([]byte("\x01\xff")), `'\x01\xff'`},
		{core.StringValue([]byte(strings.Repeat("é", 40))), "'" + strings.Repeat("é", 32) + "...'"},
		{core.BytesValue([]byte{0, 0xab}), "0x00ab"},
		{core.DecimalValue([]byte("-1.50")), "-1.50"},
		{core.DateTimeValue(civil(2024, 1, 2, 3, 4, 5, 0)), "'2024-01-02 03:04:05'"},
		{core.Null(), "NULL"},
	} {
		if got := showValue(tc.v); got != tc.want {
			t.Errorf("showValue(%v) = %s, want %s", tc.v, got, tc.want)
		}
	}
}

// TestVerifyKeyCollation: a target key column with a collation of its
// own (whose order is not C's) still finds every row: the chunk's key
// range is taken in the target's order.
func TestVerifyKeyCollation(t *testing.T) {
	const db = "verify_collation"
	s, _ := testSink(t, db, nil)
	conn := testConn(t)
	var icu bool
	if err := conn.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu')`).Scan(&icu); err != nil {
		t.Fatal(err)
	}
	if !icu {
		t.Skip("this PostgreSQL has no ICU collations")
	}
	tb := newTable(db, "t", []core.Column{strCol("k", 10), intCol("n")}, "k")
	src := [][]core.Value{row("B", 1), row("a", 2), row("c", 3)}
	apply(t, s, pos(1), insertAll(tb, src)...)
	exec(t, `ALTER TABLE verify_collation.t ALTER COLUMN k TYPE varchar(10) COLLATE "und-x-icu"`)
	got := runVerify(t, verifySink(t, nil), tb, src, 10, 10, 10)
	if got.equal != 3 || len(got.diffs) != 0 {
		t.Fatalf("%+v", got)
	}
}
