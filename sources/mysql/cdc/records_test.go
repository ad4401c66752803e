package cdc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
	"github.com/seed5aa6e046/syncer/test/harness"
)

// openRecords opens a Source on m at its current position (or resuming
// from dir) and Records over it.
func openRecords(t *testing.T, m *harness.MariaDB, dir string, cfg RecordsConfig) *Records {
	t.Helper()
	rc := replication.NewConfig(connOf(t, m))
	rc.Logger = quietLogger()
	src, err := Open(t.Context(), Config{Replication: rc, StateDir: dir, Logger: quietLogger(), RequireFullRowImage: true})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRecords(src, cfg)
	t.Cleanup(func() { r.Close() })
	return r
}

// readRecords reads records until n transactions have ended.
func readRecords(t *testing.T, r *Records, txs int) []*core.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var out []*core.Record
	for txs > 0 {
		rec, err := r.Next(ctx)
		if err != nil {
			t.Fatalf("after %d records: %v", len(out), err)
		}
		out = append(out, rec)
		if rec.TxEnd {
			txs--
		}
	}
	return out
}

// session returns one connection of m with the statements run on it.
func session(t *testing.T, m *harness.MariaDB, stmts ...string) *sql.Conn {
	t.Helper()
	conn, err := m.DB().Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	run(t, conn, stmts...)
	return conn
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func run(t *testing.T, db execer, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// show renders values as kind:text, for exact comparisons.
func show(vals []core.Value) []string {
	if vals == nil {
		return nil
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = v.Kind().String() + ":" + v.String()
		if v.Kind() == core.KindBit {
			out[i] += fmt.Sprintf("/%d", v.BitWidth())
		}
	}
	return out
}

func checkValues(t *testing.T, what string, got []core.Value, want []string) {
	t.Helper()
	g := show(got)
	if len(g) != len(want) {
		t.Errorf("%s: %d values, want %d:\n got %q\nwant %q", what, len(g), len(want), g, want)
		return
	}
	for i := range want {
		if w, ok := strings.CutPrefix(want[i], "datetime:"); ok {
			// Expect what core makes of the civil time, so that the
			// check is of what Records hands it.
			want[i] = "datetime:" + core.DateTimeValue(parseCivil(t, w)).String()
		}
		if g[i] != want[i] {
			t.Errorf("%s: value %d: got %q, want %q", what, i, g[i], want[i])
		}
	}
}

const allTypesTable = `CREATE TABLE ty.t (
	id INT PRIMARY KEY,
	ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED, mi MEDIUMINT, mu MEDIUMINT UNSIGNED,
	i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED,
	de DECIMAL(12,3), fl FLOAT, db DOUBLE, bt BIT(10), yr YEAR,
	d DATE, dt DATETIME(3), ts TIMESTAMP(6) NULL DEFAULT NULL, tm TIME(2),
	c CHAR(5) CHARACTER SET utf8mb4, vc VARCHAR(50) CHARACTER SET utf8mb4, tx TEXT CHARACTER SET utf8mb4,
	cl CHAR(5) CHARACTER SET latin1, vl VARCHAR(50) CHARACTER SET latin1, tl TEXT CHARACTER SET latin1,
	bn BINARY(4), vb VARBINARY(20), bl BLOB,
	en ENUM('a','bé','c'), st SET('x','y','z'),
	js JSON, g GEOMETRY
)`

const allTypesRow1 = `INSERT INTO ty.t VALUES (1,
	-128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615,
	-123456789.125, 1.5, -2.25e300, b'1010101010', 2024,
	'2024-02-29', '2024-02-29 13:14:15.123', '2024-02-29 13:14:15.654321', '-123:45:06.78',
	'héllo', '日本語 🎉', 'a\0b', 'café', 'Größe', 'ñ',
	x'0102', x'00ff', x'deadbeef',
	'bé', 'z,x', '{"a": [1, 2]}', ST_GeomFromText('POINT(1 2)'))`

var allTypesWant1 = []string{"int:1",
	"int:-128", "uint:255", "int:-32768", "uint:65535", "int:-8388608", "uint:16777215", "int:-2147483648", "uint:4294967295",
	"int:-9223372036854775808", "uint:18446744073709551615",
	"decimal:-123456789.125", "float32:1.5", "float64:-2.25e+300", "bit:b'1010101010'/10", "year:2024",
	"date:2024-02-29", "datetime:2024-02-29 13:14:15.123000", "timestamp:2024-02-29 13:14:15.654321", "time:-123:45:06.780000",
	"string:héllo", "string:日本語 🎉", "string:a\x00b", "string:café", "string:Größe", "string:ñ",
	"bytes:0x01020000", "bytes:0x00ff", "bytes:0xdeadbeef",
	"enum:bé", "set:x,z", `json:{"a": [1, 2]}`, "geometry:0x000000000101000000000000000000f03f0000000000000040",
}

// Every column type, inserted, updated (the key too) and deleted in
// multi-statement transactions, with zero and invalid dates: the records'
// ops, table version, values and transaction fields.
func TestRecordsAllTypes(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	run(t, m.DB(), "CREATE DATABASE ty", allTypesTable)
	dir := filepath.Join(t.TempDir(), "state")
	r := openRecords(t, m, dir, RecordsConfig{})
	s := session(t, m, "SET time_zone='+00:00'", "SET sql_mode='ALLOW_INVALID_DATES'")
	run(t, s, "BEGIN", allTypesRow1,
		`INSERT INTO ty.t (id, d, dt, ts, en) VALUES (2, '0000-00-00', '2024-00-10 01:02:03', '0000-00-00 00:00:00', ''),
			(3, '2024-02-30', '0000-00-00 00:00:00.000', NULL, NULL)`,
		"COMMIT")
	run(t, s, "BEGIN", "UPDATE ty.t SET i = i + 1, vc = 'x' WHERE id = 1", "UPDATE ty.t SET id = 10 WHERE id = 2",
		"DELETE FROM ty.t WHERE id = 3", "COMMIT")
	recs := readRecords(t, r, 2)
	if len(recs) != 6 {
		for _, rec := range recs {
			t.Logf("%s %s %d %v", rec.Op, rec.TxID, rec.TxSeq, rec.TxEnd)
		}
		t.Fatalf("%d records, want 6", len(recs))
	}
	tbl := recs[0].Table
	if tbl == nil || tbl.QualifiedName() != "ty.t" || tbl.Version != 1 {
		t.Fatalf("table %+v", tbl)
	}
	for i, rec := range recs {
		if rec.Table != tbl {
			t.Errorf("record %d: another *Table", i)
		}
		wantOp := []core.Op{core.OpInsert, core.OpInsert, core.OpInsert, core.OpUpdate, core.OpUpdate, core.OpDelete}[i]
		if rec.Op != wantOp {
			t.Errorf("record %d: op %s, want %s", i, rec.Op, wantOp)
		}
		if want := i % 3; rec.TxSeq != want {
			t.Errorf("record %d: TxSeq %d, want %d", i, rec.TxSeq, want)
		}
		if end := i%3 == 2; rec.TxEnd != end || rec.Checkpoint.IsZero() != !end {
			t.Errorf("record %d: TxEnd %v, checkpoint %v", i, rec.TxEnd, rec.Checkpoint)
		}
		if rec.TxID != recs[i/3*3].TxID || strings.Count(rec.TxID, "-") != 2 {
			t.Errorf("record %d: TxID %q, want the transaction's MariaDB GTID", i, rec.TxID)
		}
		if rec.Position.File == "" || (i > 0 && rec.Position.Less(recs[i-1].Position)) {
			t.Errorf("record %d: position %v", i, rec.Position)
		}
		if rec.CommitTime.IsZero() || time.Since(rec.CommitTime) > time.Hour {
			t.Errorf("record %d: commit time %v", i, rec.CommitTime)
		}
	}
	if recs[0].TxID == recs[3].TxID {
		t.Errorf("two transactions, one TxID %q", recs[0].TxID)
	}
	if !recs[2].Checkpoint.Less(recs[5].Checkpoint) || recs[5].Checkpoint.GTID == "" {
		t.Errorf("checkpoints %v then %v", recs[2].Checkpoint, recs[5].Checkpoint)
	}
	n := len(allTypesWant1)
	nulls := func(set map[int]string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "null:NULL"
			if v, ok := set[i]; ok {
				out[i] = v
			}
		}
		return out
	}
	row2 := nulls(map[int]string{0: "int:2", 16: "date:0000-00-00", 17: "datetime:2024-00-10 01:02:03", 18: "timestamp:0000-00-00 00:00:00", 29: "enum:"})
	row3 := nulls(map[int]string{0: "int:3", 16: "date:2024-02-30", 17: "datetime:0000-00-00 00:00:00"})
	checkValues(t, "insert 1", recs[0].After, allTypesWant1)
	checkValues(t, "insert 2", recs[1].After, row2)
	checkValues(t, "insert 3", recs[2].After, row3)
	if recs[0].Before != nil || recs[5].After != nil {
		t.Errorf("insert with a before image or delete with an after image")
	}
	if !recs[1].After[18].IsZeroTimestamp() || !recs[1].After[16].Civil().IsZero() || recs[2].After[16].Civil().Valid() {
		t.Errorf("zero and invalid dates: %v %v %v", recs[1].After[18], recs[1].After[16], recs[2].After[16])
	}
	upd := append([]string(nil), allTypesWant1...)
	upd[7], upd[21] = "int:-2147483647", "string:x"
	checkValues(t, "update 1 before", recs[3].Before, allTypesWant1)
	checkValues(t, "update 1 after", recs[3].After, upd)
	row10 := append([]string(nil), row2...)
	row10[0] = "int:10"
	checkValues(t, "update 2 before", recs[4].Before, row2)
	checkValues(t, "update 2 after", recs[4].After, row10)
	checkValues(t, "delete", recs[5].Before, row3)
}

// A record's values do not alias the source's buffers: records read
// earlier keep their values while later ones are decoded.
func TestRecordsOwnMemory(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	run(t, m.DB(), "CREATE DATABASE o", "CREATE TABLE o.t (id INT PRIMARY KEY, s VARCHAR(20), b BLOB)")
	r := openRecords(t, m, filepath.Join(t.TempDir(), "state"), RecordsConfig{})
	for i := range 50 {
		run(t, m.DB(), fmt.Sprintf("INSERT INTO o.t VALUES (%d, 'text %d', REPEAT('b%d', 10))", i, i, i))
	}
	recs := readRecords(t, r, 50)
	for i, rec := range recs {
		want := []string{fmt.Sprintf("int:%d", i), fmt.Sprintf("string:text %d", i), "bytes:" + fmt.Sprintf("%x", strings.Repeat(fmt.Sprintf("b%d", i), 10))}
		want[2] = "bytes:0x" + want[2][len("bytes:"):]
		checkValues(t, fmt.Sprintf("record %d", i), rec.After, want)
	}
}

// A DDL between row changes is its own transaction, in order, and the
// rows after it carry the new table version; renames fill Renamed.
func TestRecordsDDL(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	run(t, m.DB(), "CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY, a INT)")
	r := openRecords(t, m, filepath.Join(t.TempDir(), "state"), RecordsConfig{})
	run(t, m.DB(), "INSERT INTO d.t VALUES (1, 10)",
		"ALTER TABLE d.t RENAME COLUMN a TO b, ADD COLUMN c VARCHAR(5) DEFAULT 'x'",
		"INSERT INTO d.t VALUES (2, 20, 'y')",
		"TRUNCATE TABLE d.t",
		"DROP TABLE d.t")
	recs := readRecords(t, r, 5)
	if len(recs) != 5 {
		t.Fatalf("%d records, want 5", len(recs))
	}
	ops := []core.Op{core.OpInsert, core.OpSchemaChange, core.OpInsert, core.OpTruncate, core.OpSchemaChange}
	for i, rec := range recs {
		if rec.Op != ops[i] || !rec.TxEnd || rec.TxSeq != 0 || rec.Checkpoint.IsZero() {
			t.Errorf("record %d: %s seq %d end %v checkpoint %v, want %s ending its transaction", i, rec.Op, rec.TxSeq, rec.TxEnd, rec.Checkpoint, ops[i])
		}
	}
	v1, ch, v2 := recs[0].Table, recs[1].Change, recs[2].Table
	if ch == nil || ch.Kind != core.AlterTable || ch.Old != v1 || ch.New != v2 || recs[1].Table != v2 || v2.Version != v1.Version+1 {
		t.Fatalf("ALTER: %+v; versions %d then %d", ch, v1.Version, v2.Version)
	}
	if want := []core.ColumnRename{{From: "a", To: "b"}}; len(ch.Renamed) != 1 || ch.Renamed[0] != want[0] {
		t.Errorf("renamed %+v, want %+v", ch.Renamed, want)
	}
	if recs[1].Position != ch.Position || !recs[0].Position.Less(recs[1].Position) || !recs[1].Position.Less(recs[2].Position) {
		t.Errorf("positions %v %v %v", recs[0].Position, recs[1].Position, recs[2].Position)
	}
	checkValues(t, "insert after the ALTER", recs[2].After, []string{"int:2", "int:20", "string:y"})
	if recs[3].Change.Kind != core.TruncateTable || recs[3].Table != v2 {
		t.Errorf("truncate: %+v", recs[3].Change)
	}
	if recs[4].Change.Kind != core.DropTable || recs[4].Table != v2 || recs[4].Change.New != nil {
		t.Errorf("drop: %+v, table %p want the old %p", recs[4].Change, recs[4].Table, v2)
	}
}

// JSON columns on MariaDB (LONGTEXT with CHECK (json_valid(col))) give
// JSONValues, whether the table was captured (SHOW CREATE TABLE) or
// created and altered in the binlog; a column that loses its check gives
// strings again.
func TestRecordsJSON(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	run(t, m.DB(), "CREATE DATABASE j",
		"CREATE TABLE j.cap (id INT PRIMARY KEY, a JSON, b TEXT CHECK (json_valid(b)), c TEXT, d TEXT, CONSTRAINT ck CHECK (json_valid(c)))")
	r := openRecords(t, m, filepath.Join(t.TempDir(), "state"), RecordsConfig{})
	row := `(1, '{"x": 1}', '[true]', '"s"', '{"not": "checked"}')`
	run(t, m.DB(), "INSERT INTO j.cap VALUES "+row,
		"CREATE TABLE j.ddl (id INT PRIMARY KEY, a JSON, b TEXT CHECK (json_valid(b)), c TEXT, d TEXT, CONSTRAINT ck CHECK (json_valid(c)))",
		"INSERT INTO j.ddl VALUES "+row,
		"ALTER TABLE j.ddl MODIFY a LONGTEXT, ADD COLUMN e JSON",
		"INSERT INTO j.ddl VALUES (2, 'plain', NULL, 'null', 'x', '{}')")
	recs := readRecords(t, r, 5)
	if len(recs) != 5 {
		t.Fatalf("%d records, want 5", len(recs))
	}
	want := []string{"int:1", `json:{"x": 1}`, "json:[true]", `json:"s"`, `string:{"not": "checked"}`}
	checkValues(t, "captured table", recs[0].After, want)
	checkValues(t, "table created in the binlog", recs[2].After, want)
	checkValues(t, "after MODIFY a LONGTEXT", recs[4].After, []string{"int:2", "string:plain", "null:NULL", "json:null", "string:x", "json:{}"})
	if !recs[0].Table.Columns[1].Type.JSON || recs[0].Table.Columns[1].Type.Name != "longtext" {
		t.Errorf("captured JSON column: %+v", recs[0].Table.Columns[1].Type)
	}
	if !recs[0].Table.SameDefinition(renamed(recs[2].Table, "cap")) {
		t.Errorf("captured and created definitions differ:\n%+v\n%+v", recs[0].Table, recs[2].Table)
	}
}

func renamed(t *core.Table, name string) *core.Table {
	c := t.Clone()
	c.Name = name
	return c
}

// Excluded tables make an OpProgress record at their transaction's end;
// excluded columns leave the table and the values; an excluded primary key
// column is an error naming it.
func TestRecordsExclusions(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	run(t, m.DB(), "CREATE DATABASE ex", "CREATE TABLE ex.skip (id INT PRIMARY KEY)",
		"CREATE TABLE ex.keep (id INT PRIMARY KEY, secret VARCHAR(10), v INT, UNIQUE KEY (secret), UNIQUE KEY (v))",
		"CREATE TABLE ex.pkx (secret INT PRIMARY KEY)")
	r := openRecords(t, m, filepath.Join(t.TempDir(), "state"), RecordsConfig{
		Include:       func(db, table string) bool { return table != "skip" },
		ExcludeColumn: func(db, table, column string) bool { return column == "secret" },
	})
	run(t, m.DB(), "INSERT INTO ex.skip VALUES (1)", "INSERT INTO ex.skip VALUES (2)",
		"INSERT INTO ex.keep VALUES (1, 'pw', 5)", "UPDATE ex.keep SET secret = 'pw2', v = 6")
	recs := readRecords(t, r, 4)
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4", len(recs))
	}
	for i, rec := range recs[:2] {
		if rec.Op != core.OpProgress || !rec.TxEnd || rec.Checkpoint.IsZero() || rec.Table != nil || rec.TxID == "" {
			t.Errorf("record %d: %+v, want progress", i, rec)
		}
	}
	if !recs[0].Checkpoint.Less(recs[1].Checkpoint) {
		t.Errorf("progress checkpoints %v then %v", recs[0].Checkpoint, recs[1].Checkpoint)
	}
	tb := recs[2].Table
	if tb != recs[3].Table || tb.ColumnIndex("secret") >= 0 || len(tb.Columns) != 2 || len(tb.UniqueKeys) != 1 || tb.UniqueKeys[0].Columns[0].Name != "v" {
		t.Fatalf("projected table %+v", tb)
	}
	checkValues(t, "insert", recs[2].After, []string{"int:1", "int:5"})
	checkValues(t, "update before", recs[3].Before, []string{"int:1", "int:5"})
	checkValues(t, "update after", recs[3].After, []string{"int:1", "int:6"})

	run(t, m.DB(), "INSERT INTO ex.pkx VALUES (1)")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err := r.Next(ctx)
	if err == nil || !strings.Contains(err.Error(), `"secret"`) || !strings.Contains(err.Error(), "ex.pkx") || !strings.Contains(err.Error(), "primary key") {
		t.Fatalf("excluded primary key column: %v", err)
	}
}

// One transaction of 20,000 rows: 20,000 records, numbered, with one
// TxEnd, on the last.
func TestRecordsLargeTransaction(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	run(t, m.DB(), "CREATE DATABASE big", "CREATE TABLE big.t (id INT PRIMARY KEY, s VARCHAR(20))")
	r := openRecords(t, m, filepath.Join(t.TempDir(), "state"), RecordsConfig{})
	run(t, m.DB(), "INSERT INTO big.t SELECT seq, CONCAT('row ', seq) FROM big.seq_1_to_20000")
	recs := readRecords(t, r, 1)
	if len(recs) != 20000 {
		t.Fatalf("%d records, want 20000", len(recs))
	}
	for i, rec := range recs {
		if rec.TxSeq != i || rec.TxEnd != (i == len(recs)-1) || rec.TxID != recs[0].TxID || rec.Op != core.OpInsert {
			t.Fatalf("record %d: seq %d end %v tx %q op %s", i, rec.TxSeq, rec.TxEnd, rec.TxID, rec.Op)
		}
		if got := rec.After[0].Int(); got != int64(i+1) {
			t.Fatalf("record %d: id %d", i, got)
		}
	}
}

// After Ack(p), a new Source on the same state directory resumes at p.
func TestRecordsAckCommitsAt(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	run(t, m.DB(), "CREATE DATABASE ck", "CREATE TABLE ck.t (id INT PRIMARY KEY)")
	dir := filepath.Join(t.TempDir(), "state")
	r := openRecords(t, m, dir, RecordsConfig{})
	run(t, m.DB(), "INSERT INTO ck.t VALUES (1)", "INSERT INTO ck.t VALUES (2)", "INSERT INTO ck.t VALUES (3)")
	recs := readRecords(t, r, 1)
	p := recs[0].Checkpoint
	r.Ack(p)
	readRecords(t, r, 2) // commits between events
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r2 := openRecords(t, m, dir, RecordsConfig{})
	src := r2.src.(*Source)
	if st := src.Start(); st.File != p.File || st.Pos != p.Pos || !src.Resumed() {
		t.Fatalf("resumed at %v (resumed %v), want %v", st, src.Resumed(), p)
	}
	recs = readRecords(t, r2, 2)
	if len(recs) != 2 || recs[0].After[0].Int() != 2 || recs[1].After[0].Int() != 3 {
		t.Fatalf("after the restart: %d records %v", len(recs), recs)
	}
	// A position past the reader's checkpoint is refused.
	if err := src.CommitAt(core.Position{File: p.File, Pos: 1 << 40}); err == nil {
		t.Error("CommitAt past the checkpoint: no error")
	}
}

// Open with RequireFullRowImage refuses a server logging MINIMAL row
// images, saying how to fix it.
func TestRequireFullRowImage(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	run(t, m.DB(), "SET GLOBAL binlog_row_image = 'MINIMAL'")
	t.Cleanup(func() { m.DB().Exec("SET GLOBAL binlog_row_image = 'FULL'") })
	rc := replication.NewConfig(connOf(t, m))
	rc.Logger = quietLogger()
	rc.SkipPreflight = true // the check is Open's own
	_, err := Open(t.Context(), Config{Replication: rc, StateDir: filepath.Join(t.TempDir(), "state"), Logger: quietLogger(), RequireFullRowImage: true})
	if err == nil {
		t.Fatal("Open succeeded with binlog_row_image=MINIMAL")
	}
	for _, want := range []string{"binlog_row_image=MINIMAL", "SET GLOBAL binlog_row_image='FULL'", "my.cnf"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// An update logged with a MINIMAL row image (a session that set it
// after the source opened) is an error, not a record with missing
// columns.
func TestRecordsPartialRowImage(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	run(t, m.DB(), "CREATE DATABASE pi", "CREATE TABLE pi.t (id INT PRIMARY KEY, a INT, b INT)", "INSERT INTO pi.t VALUES (1, 2, 3)")
	r := openRecords(t, m, filepath.Join(t.TempDir(), "state"), RecordsConfig{})
	run(t, session(t, m, "SET SESSION binlog_row_image = 'MINIMAL'"), "UPDATE pi.t SET a = 5 WHERE id = 1")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err := r.Next(ctx)
	if !errors.Is(err, ErrRowImageNotFull) || !strings.Contains(err.Error(), "binlog_row_image") {
		t.Fatalf("MINIMAL image: %v", err)
	}
}

// scripted is an eventSource replaying events.
type scripted struct {
	evs []*Event
	cps []replication.Position // the checkpoint after each event
	i   int
	cp  replication.Position
}

func (s *scripted) Next(ctx context.Context) (*Event, error) {
	if s.i >= len(s.evs) {
		return nil, io.EOF
	}
	s.cp = s.cps[s.i]
	s.i++
	return s.evs[s.i-1], nil
}
func (s *scripted) Checkpoint() replication.Position { return s.cp }
func (s *scripted) CommitAt(core.Position) error     { return nil }
func (s *scripted) Close() error                     { return nil }

// The transaction rules without a server: TxID from a MySQL GTID or the
// first event's file:pos, the original commit time of MySQL's GTID event,
// one progress record per transaction end that moves the checkpoint,
// nothing for synthetic events and events between transactions.
func TestRecordsTransactions(t *testing.T) {
	s := &scripted{}
	pos := uint64(100)
	add := func(body binlog.EventBody, ts uint32, inTx, ends, synthetic bool, chs ...core.SchemaChange) {
		end := pos + 50
		s.evs = append(s.evs, &Event{Event: &replication.Event{Event: &binlog.Event{Header: binlog.Header{Timestamp: ts}, Body: body},
			File: "bin.000001", Pos: pos, NextFile: "bin.000001", NextPos: end, InTransaction: inTx, EndsTransaction: ends, Synthetic: synthetic},
			SchemaChanges: chs})
		cp := replication.Position{File: "bin.000001", Pos: 100}
		if len(s.cps) > 0 {
			cp = s.cps[len(s.cps)-1]
		}
		if ends {
			cp = replication.Position{File: "bin.000001", Pos: end}
		}
		s.cps = append(s.cps, cp)
		pos = end
	}
	tbl := &core.Table{Schema: "d", Name: "t", Version: 1}
	// 1: no GTID, nothing but BEGIN/COMMIT: progress, TxID file:pos.
	add(&binlog.QueryEvent{Query: "BEGIN"}, 1000, true, false, false)
	add(&binlog.XIDEvent{}, 1001, false, true, false)
	// Synthetic and out-of-transaction events: nothing.
	add(&binlog.RotateEvent{}, 1002, false, false, true)
	add(&binlog.FormatDescriptionEvent{}, 1002, false, false, false)
	// 2: a MySQL GTID with an original commit time, then a DDL.
	add(&binlog.GTIDEvent{GTID: "3e11fa47-71ca-11e1-9e33-c80aa9429562:7", HasCommitTimestamps: true, OriginalCommitTimestamp: 1_700_000_000_123_456}, 1003, true, false, false)
	add(&binlog.QueryEvent{Query: "CREATE TABLE t (id INT)"}, 1004, false, true, false,
		core.SchemaChange{Kind: core.CreateTable, New: tbl, Database: "d", Statement: "CREATE TABLE t (id INT)", Position: core.Position{File: "bin.000001", Pos: 350}})
	// 3: a MariaDB GTID and a DDL making two changes, no commit time of its own.
	add(&binlog.MariaGTIDEvent{GTID: "0-1-9", Standalone: true}, 1005, true, false, false)
	add(&binlog.QueryEvent{Query: "DROP TABLE t, u"}, 1006, false, true, false,
		core.SchemaChange{Kind: core.DropTable, Old: tbl, Database: "d"}, core.SchemaChange{Kind: core.DropTable, Old: &core.Table{Schema: "d", Name: "u"}, Database: "d"})
	r := newRecords(s, RecordsConfig{})
	var recs []*core.Record
	for {
		rec, err := r.Next(t.Context())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	type want struct {
		op    core.Op
		tx    string
		seq   int
		end   bool
		cp    uint64
		ctime time.Time
	}
	wants := []want{
		{core.OpProgress, "bin.000001:100", 0, true, 200, time.Unix(1001, 0)},
		{core.OpSchemaChange, "3e11fa47-71ca-11e1-9e33-c80aa9429562:7", 0, true, 400, time.UnixMicro(1_700_000_000_123_456)},
		{core.OpSchemaChange, "0-1-9", 0, false, 0, time.Unix(1006, 0)},
		{core.OpSchemaChange, "0-1-9", 1, true, 500, time.Unix(1006, 0)},
	}
	if len(recs) != len(wants) {
		for _, rec := range recs {
			t.Logf("%+v", rec)
		}
		t.Fatalf("%d records, want %d", len(recs), len(wants))
	}
	for i, w := range wants {
		rec := recs[i]
		if rec.Op != w.op || rec.TxID != w.tx || rec.TxSeq != w.seq || rec.TxEnd != w.end || rec.Checkpoint.Pos != w.cp || !rec.CommitTime.Equal(w.ctime) {
			t.Errorf("record %d: %s %q seq %d end %v checkpoint %d at %v; want %+v", i, rec.Op, rec.TxID, rec.TxSeq, rec.TxEnd, rec.Checkpoint.Pos, rec.CommitTime, w)
		}
	}
	if recs[1].Table != tbl || recs[1].Position.Pos != 350 || recs[2].Table != tbl || recs[3].Table.Name != "u" {
		t.Errorf("schema change tables or positions: %+v %+v", recs[1], recs[2])
	}
}

// parseCivil reads "YYYY-MM-DD HH:MM:SS[.ffffff]".
func parseCivil(t *testing.T, s string) core.Civil {
	t.Helper()
	var c core.Civil
	if _, err := fmt.Sscanf(s, "%d-%d-%d %d:%d:%d", &c.Year, &c.Month, &c.Day, &c.Hour, &c.Minute, &c.Second); err != nil {
		t.Fatalf("civil %q: %v", s, err)
	}
	if _, frac, ok := strings.Cut(s, "."); ok {
		frac = (frac + "000000")[:6]
		fmt.Sscanf(frac, "%d", &c.Microsecond)
	}
	return c
}

// ReportPosition: the checkpoint moving past events outside any
// transaction (the scripted source moves it at the format description)
// makes a progress record, once, and nothing without the option.
func TestRecordsReportPosition(t *testing.T) {
	script := func() *scripted {
		s := &scripted{}
		at := func(p uint64) replication.Position { return replication.Position{File: "bin.000002", Pos: p} }
		ev := func(body binlog.EventBody, pos, next uint64, inTx, ends bool) *Event {
			return &Event{Event: &replication.Event{Event: &binlog.Event{Header: binlog.Header{Timestamp: 7}, Body: body},
				File: "bin.000002", Pos: pos, NextFile: "bin.000002", NextPos: next, InTransaction: inTx, EndsTransaction: ends}}
		}
		s.evs = []*Event{
			ev(&binlog.FormatDescriptionEvent{}, 4, 256, false, false),
			ev(&binlog.MariaGTIDListEvent{}, 256, 300, false, false),
		}
		s.cps = []replication.Position{at(256), at(300)}
		return s
	}
	for _, report := range []bool{false, true} {
		r := newRecords(script(), RecordsConfig{ReportPosition: report})
		var got []core.Position
		for {
			rec, err := r.Next(t.Context())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.Op != core.OpProgress || !rec.TxEnd {
				t.Fatalf("record %+v, want progress", rec)
			}
			got = append(got, rec.Checkpoint)
		}
		want := 0
		if report {
			want = 2
		}
		if len(got) != want || (report && (got[0].Pos != 256 || got[1].Pos != 300)) {
			t.Errorf("ReportPosition %v: progress at %v, want %d records (256, 300)", report, got, want)
		}
	}
}
