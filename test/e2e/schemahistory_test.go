package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// The lagging reader: a table goes through every kind of ALTER with rows
// written after each step, and only then does Syncer read the binlog from
// the beginning. Every row must come out with the column names, order,
// types and values of its own time, whatever binlog_row_metadata says.

// lagPart1 and lagPart2 are the workload, each statement followed by the
// rows it writes, as "table op image[ -> image]" with images as
// name=value in column order.
var lagPart1 = []lagStep{
	{sql: "CREATE DATABASE lag"},
	{sql: "CREATE TABLE lag.t (id INT PRIMARY KEY, a INT, b VARCHAR(10), c INT, e ENUM('red','green')) DEFAULT CHARSET=latin1"},
	{sql: "INSERT INTO lag.t VALUES (1, -5, 'café', 7, 'green')", rows: []string{`t insert id=1 a=-5 b="café" c=7 e="green"`}},
	{sql: "ALTER TABLE lag.t ADD COLUMN m INT AFTER a"},
	{sql: "INSERT INTO lag.t (id, a, m, b, c, e) VALUES (2, -6, 60, 'b2', 8, 'red')", rows: []string{`t insert id=2 a=-6 m=60 b="b2" c=8 e="red"`}},
	{sql: "ALTER TABLE lag.t DROP COLUMN c"},
	{sql: "INSERT INTO lag.t VALUES (3, -7, 70, 'b3', 'green')", rows: []string{`t insert id=3 a=-7 m=70 b="b3" e="green"`}},
	{sql: "ALTER TABLE lag.t RENAME COLUMN b TO bee"},
	{sql: "INSERT INTO lag.t VALUES (4, -8, 80, 'b4', 'red')", rows: []string{`t insert id=4 a=-8 m=80 bee="b4" e="red"`}},
}

var lagPart2 = []lagStep{
	{sql: "ALTER TABLE lag.t MODIFY a BIGINT"},
	{sql: "INSERT INTO lag.t VALUES (5, -9000000000, 90, 'b5', 'red')", rows: []string{`t insert id=5 a=-9000000000 m=90 bee="b5" e="red"`}},
	{sql: "ALTER TABLE lag.t MODIFY bee VARCHAR(40)"},
	{sql: "INSERT INTO lag.t VALUES (6, 1, 91, 'a much longer value!', 'green')", rows: []string{`t insert id=6 a=1 m=91 bee="a much longer value!" e="green"`}},
	{sql: "ALTER TABLE lag.t MODIFY m INT UNSIGNED"},
	{sql: "INSERT INTO lag.t VALUES (7, 2, 4000000000, 'b7', 'red')", rows: []string{`t insert id=7 a=2 m=4000000000 bee="b7" e="red"`}},
	{sql: "ALTER TABLE lag.t MODIFY e ENUM('red','green','blue') FIRST"},
	{sql: "INSERT INTO lag.t (id, a, m, bee, e) VALUES (8, 3, 4000000001, 'b8', 'blue')", rows: []string{`t insert e="blue" id=8 a=3 m=4000000001 bee="b8"`}},
	{sql: "ALTER TABLE lag.t CONVERT TO CHARACTER SET utf8mb4"},
	{sql: "INSERT INTO lag.t (id, a, m, bee, e) VALUES (9, 4, 5, 'ü€😀', 'green')", rows: []string{`t insert e="green" id=9 a=4 m=5 bee="ü€😀"`}},
	{sql: "UPDATE lag.t SET bee = 'upd' WHERE id = 1", rows: []string{`t update e="green" id=1 a=-5 m=NULL bee="café" -> e="green" id=1 a=-5 m=NULL bee="upd"`}},

	// gh-ost: a ghost table altered, filled, swapped in by one RENAME.
	{sql: "CREATE TABLE lag.g (id INT PRIMARY KEY, v VARCHAR(10))"},
	{sql: "INSERT INTO lag.g VALUES (1, 'one')", rows: []string{`g insert id=1 v="one"`}},
	{sql: "CREATE TABLE lag._g_gho LIKE lag.g"},
	{sql: "ALTER TABLE lag._g_gho ADD COLUMN w INT NOT NULL DEFAULT 0"},
	{sql: "INSERT INTO lag._g_gho (id, v) SELECT id, v FROM lag.g", rows: []string{`_g_gho insert id=1 v="one" w=0`}},
	{sql: "RENAME TABLE lag.g TO lag._g_del, lag._g_gho TO lag.g"},
	{sql: "INSERT INTO lag.g VALUES (2, 'two', 22)", rows: []string{`g insert id=2 v="two" w=22`}},
	{sql: "DROP TABLE lag._g_del"},

	// pt-online-schema-change: a new table kept in step by triggers.
	{sql: "CREATE TABLE lag.p (id INT PRIMARY KEY, v VARCHAR(10))"},
	{sql: "INSERT INTO lag.p VALUES (1, 'one')", rows: []string{`p insert id=1 v="one"`}},
	{sql: "CREATE TABLE lag._p_new LIKE lag.p"},
	{sql: "ALTER TABLE lag._p_new ADD COLUMN w INT NOT NULL DEFAULT 5"},
	{sql: "CREATE TRIGGER lag.pt_osc_ins AFTER INSERT ON lag.p FOR EACH ROW REPLACE INTO lag._p_new (id, v) VALUES (NEW.id, NEW.v)"},
	{sql: "INSERT INTO lag.p VALUES (2, 'two')", rows: []string{`p insert id=2 v="two"`, `_p_new insert id=2 v="two" w=5`}},
	{sql: "INSERT IGNORE INTO lag._p_new (id, v) SELECT id, v FROM lag.p", rows: []string{`_p_new insert id=1 v="one" w=5`}},
	{sql: "RENAME TABLE lag.p TO lag._p_old, lag._p_new TO lag.p"},
	{sql: "DROP TRIGGER lag.pt_osc_ins"},
	{sql: "DROP TABLE lag._p_old"},
	{sql: "INSERT INTO lag.p VALUES (3, 'three', 33)", rows: []string{`p insert id=3 v="three" w=33`}},
}

type lagStep struct {
	sql  string
	rows []string
}

// execOnOneConn runs statements on one connection, so that session
// settings such as sql_log_bin=0 apply to those that follow.
func execOnOneConn(t *testing.T, m *harness.MariaDB, qs ...string) {
	t.Helper()
	conn, err := m.DB().Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range qs {
		if _, err := conn.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func runLagSteps(t *testing.T, m *harness.MariaDB, steps []lagStep) (want []string) {
	t.Helper()
	for _, s := range steps {
		if _, err := m.DB().ExecContext(t.Context(), s.sql); err != nil {
			t.Fatalf("%s: %v", s.sql, err)
		}
		want = append(want, s.rows...)
	}
	return want
}

// orderedObject keeps a JSON object's members in order.
type orderedObject []struct {
	key string
	val any
}

func (o *orderedObject) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*o = append(*o, struct {
			key string
			val any
		}{k.(string), v})
	}
	return nil
}

func (o orderedObject) String() string {
	var parts []string
	for _, m := range o {
		var v string
		switch x := m.val.(type) {
		case nil:
			v = "NULL"
		case string:
			v = strconv.Quote(x)
		default:
			v = fmt.Sprint(x)
		}
		parts = append(parts, m.key+"="+v)
	}
	return strings.Join(parts, " ")
}

// trackedLine is what the schema tests read of an output line.
type trackedLine struct {
	Type  string `json:"type"`
	Table *struct {
		Schema string `json:"schema"`
		Name   string `json:"name"`
	} `json:"table"`
	Rows []struct {
		Before orderedObject `json:"before"`
		After  orderedObject `json:"after"`
	} `json:"rows"`
	SchemaVersion *uint64 `json:"schema_version"`
	SchemaChanges []struct {
		Kind      string `json:"kind"`
		Statement string `json:"statement"`
		New       *struct {
			Version uint64 `json:"version"`
		} `json:"new"`
	} `json:"schema_changes"`
	NextPosition *struct {
		File string `json:"file"`
		Pos  uint64 `json:"pos"`
	} `json:"next_position"`
}

// rowsOfSchema renders the rows events of database db as the workload's
// "table op image" strings, checking that each carries a schema version.
func rowsOfSchema(t *testing.T, out, db string) (rows []string, lines []trackedLine) {
	t.Helper()
	for i, raw := range strings.Split(strings.TrimSpace(out), "\n") {
		if raw == "" {
			continue
		}
		var l trackedLine
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, raw)
		}
		lines = append(lines, l)
		if l.Table == nil || l.Table.Schema != db || !strings.HasSuffix(l.Type, "_ROWS") && !strings.HasSuffix(l.Type, "_ROWS_V1") {
			continue
		}
		if l.SchemaVersion == nil || *l.SchemaVersion == 0 {
			t.Errorf("line %d: rows event of %s.%s without schema_version: %s", i+1, db, l.Table.Name, raw)
		}
		op := map[string]string{"WRITE": "insert", "UPDATE": "update", "DELETE": "delete"}[strings.SplitN(l.Type, "_", 2)[0]]
		for _, r := range l.Rows {
			s := l.Table.Name + " " + op + " "
			switch {
			case r.Before != nil && r.After != nil:
				s += r.Before.String() + " -> " + r.After.String()
			case r.After != nil:
				s += r.After.String()
			default:
				s += r.Before.String()
			}
			rows = append(rows, s)
		}
	}
	return rows, lines
}

// expectRows checks a CLI run that must succeed and print exactly want
// (the rows of database db, in "table op image" form).
func expectRows(t *testing.T, what, out, errs string, code int, db string, want []string) {
	t.Helper()
	if code != 0 {
		t.Fatalf("%s: exit %d\n%s", what, code, errs)
	}
	got, _ := rowsOfSchema(t, out, db)
	sameRows(t, what, got, want)
}

func sameRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") == strings.Join(want, "\n") {
		return
	}
	t.Errorf("%s: rows differ\n got:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
}

func TestLaggingReader(t *testing.T) {
	for _, md := range []string{"FULL", "MINIMAL", "NO_LOG"} {
		t.Run(md, func(t *testing.T) {
			t.Parallel()
			testLaggingReader(t, md)
		})
	}
}

func testLaggingReader(t *testing.T, metadata string) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{RowMetadata: metadata})
	user, pw := m.User()
	dsn := dsnFor(m, user, pw, "")
	first := m.BinlogBaseName() + ".000001"
	state := filepath.Join(t.TempDir(), "state")
	const timeout = 2 * time.Minute

	want1 := runLagSteps(t, m, lagPart1)

	// 1. Read everything so far from the beginning, with an empty state
	// directory: the schema at the start is reconstructed.
	out, errs, code := runSyncer(t, timeout, "binlog", "stream", "--dsn", dsn, "--state-dir", state,
		"--start-file", first, "--start-pos", "4", "--until-now", "--tables", "lag.*")
	if code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, errs)
	}
	got, lines := rowsOfSchema(t, out, "lag")
	sameRows(t, "first run (from the beginning)", got, want1)
	versions := map[string]uint64{}
	for _, l := range lines {
		for _, c := range l.SchemaChanges {
			if c.New != nil {
				versions[c.Kind]++
			}
		}
	}
	if versions["alter_table"] != 3 || versions["create_table"] != 1 {
		t.Errorf("schema changes of the first run: %v, want 1 create_table and 3 alter_table", versions)
	}
	// The next_position of the row of id=3: a point in the middle.
	var mid *struct {
		File string `json:"file"`
		Pos  uint64 `json:"pos"`
	}
	for _, l := range lines {
		if l.Table != nil && l.Table.Name == "t" && len(l.Rows) == 1 && strings.Contains(l.Rows[0].After.String(), "id=3 ") {
			mid = l.NextPosition
		}
	}
	if mid == nil {
		t.Fatal("no row with id=3 in the first run")
	}

	// 2. More DDL and rows, in a new binlog file, then resume from the
	// state directory: only the new rows, each with its schema.
	if err := m.FlushLogs(t.Context()); err != nil {
		t.Fatal(err)
	}
	want2 := runLagSteps(t, m, lagPart2)
	out, errs, code = runSyncer(t, timeout, "binlog", "stream", "--dsn", dsn, "--state-dir", state, "--until-now", "--tables", "lag.*")
	expectRows(t, "resumed run", out, errs, code, "lag", want2)

	// 3. The files, read from the beginning with a fresh state directory.
	files, err := m.BinlogFiles(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"binlog", "dump", "--schema-from", dsn, "--state-dir", filepath.Join(t.TempDir(), "dump-state"), "--tables", "lag.*"}, files...)
	out, errs, code = runSyncer(t, timeout, args...)
	expectRows(t, "binlog dump --schema-from", out, errs, code, "lag", append(append([]string(nil), want1...), want2...))

	// 4. Restart from a point in the middle of the history: the history
	// after it is dropped and rebuilt from the binlog.
	out, errs, code = runSyncer(t, timeout, "binlog", "stream", "--dsn", dsn, "--state-dir", state,
		"--start-file", mid.File, "--start-pos", strconv.FormatUint(mid.Pos, 10), "--until-now", "--tables", "lag.*")
	expectRows(t, "run from the middle", out, errs, code, "lag", append(append([]string(nil), want1[3:]...), want2...))

	// 5. A DDL the tracker cannot read: fail names it and its position;
	// skip warns and goes on.
	unreadable := "CREATE TABLE lag.sv (a INT) WITH SYSTEM VERSIONING"
	want3 := runLagSteps(t, m, []lagStep{
		{sql: unreadable},
		{sql: "INSERT INTO lag.g VALUES (3, 'three', 33)", rows: []string{`g insert id=3 v="three" w=33`}},
	})
	_, errs, code = runSyncer(t, timeout, "binlog", "stream", "--dsn", dsn, "--state-dir", state, "--until-now", "--tables", "lag.*")
	if code != 1 || !strings.Contains(errs, unreadable) || !strings.Contains(errs, m.BinlogBaseName()+".0") ||
		!strings.Contains(errs, "--on-ddl-error=skip") {
		t.Fatalf("unreadable DDL, policy fail: exit %d\n%s", code, errs)
	}
	out, errs, code = runSyncer(t, timeout, "binlog", "stream", "--dsn", dsn, "--state-dir", state, "--until-now",
		"--tables", "lag.*", "--on-ddl-error", "skip")
	if code != 0 || !strings.Contains(errs, "DDL not applied") {
		t.Fatalf("unreadable DDL, policy skip: exit %d\n%s", code, errs)
	}
	got, _ = rowsOfSchema(t, out, "lag")
	sameRows(t, "after a skipped DDL", got, want3)

	// 6. A change outside the binlog: a clear error, not wrong data.
	execOnOneConn(t, m, "SET sql_log_bin = 0", "ALTER TABLE lag.t ADD COLUMN hidden INT", "SET sql_log_bin = 1",
		"INSERT INTO lag.t (id, a, m, bee, e) VALUES (10, 5, 6, 'x', 'red')")
	out, errs, code = runSyncer(t, timeout, "binlog", "stream", "--dsn", dsn, "--state-dir", state, "--until-now", "--tables", "lag.*")
	// The restart compares the history with the server first: lag.t
	// differs with no DDL in the binlog to explain it.
	if code != 1 || !strings.Contains(errs, "lag.t: 5 columns tracked, 6 on the server") || !strings.Contains(errs, "sql_log_bin") {
		t.Fatalf("DDL outside the binlog: exit %d\n%s", code, errs)
	}
	if strings.Contains(out, `"id":10`) {
		t.Errorf("a row of the altered table was printed:\n%s", out)
	}
	if !strings.Contains(errs, "--on-schema-mismatch=reread") {
		t.Errorf("the mismatch error does not say how to recover:\n%s", errs)
	}

	// 7. Recovery: the table's definition re-read from the server, since
	// no DDL on it follows in the binlog; the next runs go on from there.
	out, errs, code = runSyncer(t, timeout, "binlog", "stream", "--dsn", dsn, "--state-dir", state, "--until-now",
		"--tables", "lag.*", "--on-schema-mismatch", "reread")
	if code != 0 || !strings.Contains(errs, "re-read from the server") {
		t.Fatalf("--on-schema-mismatch=reread: exit %d\n%s", code, errs)
	}
	got, lines = rowsOfSchema(t, out, "lag")
	sameRows(t, "after a re-read", got, []string{`t insert e="red" id=10 a=5 m=6 bee="x" hidden=NULL`})
	reread := false
	for _, l := range lines {
		for _, c := range l.SchemaChanges {
			reread = reread || (c.Kind == "alter_table" && strings.Contains(c.Statement, "re-read from the server"))
		}
	}
	if !reread {
		t.Error("the re-read is not reported as a schema change")
	}
	want4 := runLagSteps(t, m, []lagStep{
		{sql: "INSERT INTO lag.t (id, a, m, bee, e, hidden) VALUES (11, 6, 7, 'y', 'blue', 12)",
			rows: []string{`t insert e="blue" id=11 a=6 m=7 bee="y" hidden=12`}},
	})
	out, errs, code = runSyncer(t, timeout, "binlog", "stream", "--dsn", dsn, "--state-dir", state, "--until-now", "--tables", "lag.*")
	expectRows(t, "the run after the re-read", out, errs, code, "lag", want4)
}

// An empty state directory and a start before DDL on a table that existed
// there: the schema at the start comes from the older binlog that created
// the table; once that is purged it cannot be known, and Syncer says so.
func TestStartBeforeUnknowableSchema(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{RowMetadata: "MINIMAL"})
	user, pw := m.User()
	dsn := dsnFor(m, user, pw, "")
	runLagSteps(t, m, []lagStep{
		{sql: "CREATE DATABASE u"},
		{sql: "CREATE TABLE u.t (id INT PRIMARY KEY, a INT)"},
		{sql: "INSERT INTO u.t VALUES (1, 2)"},
	})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := m.FlushLogs(ctx); err != nil {
		t.Fatal(err)
	}
	files, err := m.BinlogFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second := filepath.Base(files[len(files)-1])
	runLagSteps(t, m, []lagStep{
		{sql: "INSERT INTO u.t VALUES (2, 3)"},
		{sql: "ALTER TABLE u.t DROP COLUMN a"},
		{sql: "INSERT INTO u.t VALUES (3)"},
	})
	// The server still has the binlog that creates the table: the
	// stream reads its definition from there.
	out, errs, code := runSyncer(t, 2*time.Minute, "binlog", "stream", "--dsn", dsn, "--state-dir", filepath.Join(t.TempDir(), "s"),
		"--start-file", second, "--until-now")
	expectRows(t, "start before an ALTER, with the CREATE in an older binlog", out, errs, code, "u",
		[]string{"t insert id=2 a=3", "t insert id=3"})
	// Once that binlog is purged, nothing holds the definition.
	if _, err := m.DB().ExecContext(ctx, "PURGE BINARY LOGS TO '"+second+"'"); err != nil {
		t.Fatal(err)
	}
	_, errs, code = runSyncer(t, 2*time.Minute, "binlog", "stream", "--dsn", dsn, "--state-dir", filepath.Join(t.TempDir(), "s2"),
		"--start-file", second, "--until-now")
	if code != 1 || !strings.Contains(errs, "cannot be reconstructed") || !strings.Contains(errs, "u.t is changed at "+second) ||
		!strings.Contains(errs, "ALTER TABLE u.t DROP COLUMN a") {
		t.Fatalf("start before an ALTER of a table that existed: exit %d\n%s", code, errs)
	}
	// The same for files.
	args := append([]string{"binlog", "dump", "--schema-from", dsn, "--state-dir", filepath.Join(t.TempDir(), "d")}, files[len(files)-1])
	_, errs, code = runSyncer(t, 2*time.Minute, args...)
	if code != 1 || !strings.Contains(errs, "cannot be reconstructed") {
		t.Fatalf("dump of a file before an ALTER of a table that existed: exit %d\n%s", code, errs)
	}
}

// A start past the point the history has read up to: the DDL in between
// is read from the binlog first, for streams and for files.
func TestHistoryGap(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{RowMetadata: "NO_LOG"})
	user, pw := m.User()
	dsn := dsnFor(m, user, pw, "")
	state := filepath.Join(t.TempDir(), "s")
	dumpState := filepath.Join(t.TempDir(), "d")
	runLagSteps(t, m, []lagStep{
		{sql: "CREATE DATABASE gap"},
		{sql: "CREATE TABLE gap.t (id INT PRIMARY KEY, a INT UNSIGNED)"},
		{sql: "INSERT INTO gap.t VALUES (1, 4000000000)"},
	})
	ctx := t.Context()
	first, err := m.BinlogFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The history reads up to here, by stream and by file.
	if _, errs, code := runSyncer(t, 2*time.Minute, "binlog", "stream", "--dsn", dsn, "--state-dir", state, "--until-now"); code != 0 {
		t.Fatalf("first stream: exit %d\n%s", code, errs)
	}
	if _, errs, code := runSyncer(t, 2*time.Minute, append([]string{"binlog", "dump", "--schema-from", dsn, "--state-dir", dumpState}, first...)...); code != 0 {
		t.Fatalf("first dump: exit %d\n%s", code, errs)
	}
	if err := m.FlushLogs(ctx); err != nil {
		t.Fatal(err)
	}
	// Unseen: a DDL in a file nobody reads.
	runLagSteps(t, m, []lagStep{{sql: "ALTER TABLE gap.t ADD COLUMN b VARCHAR(5) FIRST, MODIFY a BIGINT"}})
	if err := m.FlushLogs(ctx); err != nil {
		t.Fatal(err)
	}
	files, err := m.BinlogFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := files[len(files)-1]
	want := runLagSteps(t, m, []lagStep{
		{sql: "INSERT INTO gap.t VALUES ('x', 2, -9000000000)", rows: []string{`t insert b="x" id=2 a=-9000000000`}},
	})
	out, errs, code := runSyncer(t, 2*time.Minute, "binlog", "stream", "--dsn", dsn, "--state-dir", state,
		"--start-file", filepath.Base(last), "--until-now", "--tables", "gap.*")
	expectRows(t, "stream started past the history", out, errs, code, "gap", want)
	out, errs, code = runSyncer(t, 2*time.Minute, "binlog", "dump", "--schema-from", dsn, "--state-dir", dumpState, "--tables", "gap.*", last)
	expectRows(t, "dump of files past the history", out, errs, code, "gap", want)

	// A stream on the dump's state directory goes on where the files
	// ended.
	want = runLagSteps(t, m, []lagStep{
		{sql: "INSERT INTO gap.t VALUES ('y', 3, 7)", rows: []string{`t insert b="y" id=3 a=7`}},
	})
	out, errs, code = runSyncer(t, 2*time.Minute, "binlog", "stream", "--dsn", dsn, "--state-dir", dumpState, "--until-now", "--tables", "gap.*")
	expectRows(t, "stream on the dump's state directory", out, errs, code, "gap", want)
}

// --on-schema-mismatch=reread refuses when logged DDL on the table follows
// the mismatch: the server's definition now is not the event's.
func TestRereadRefusedWhenDDLFollows(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{RowMetadata: "MINIMAL"})
	user, pw := m.User()
	dsn := dsnFor(m, user, pw, "")
	state := filepath.Join(t.TempDir(), "s")
	runLagSteps(t, m, []lagStep{{sql: "CREATE DATABASE rr"}, {sql: "CREATE TABLE rr.t (id INT PRIMARY KEY)"}})
	if _, errs, code := runSyncer(t, 2*time.Minute, "binlog", "stream", "--dsn", dsn, "--state-dir", state, "--until-now"); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, errs)
	}
	execOnOneConn(t, m, "SET sql_log_bin = 0", "ALTER TABLE rr.t ADD COLUMN x INT", "SET sql_log_bin = 1",
		"INSERT INTO rr.t VALUES (1, 2)", "ALTER TABLE rr.t ADD COLUMN y INT", "INSERT INTO rr.t VALUES (2, 3, 4)")
	// The restart's drift check passes over rr.t (logged DDL names it):
	// the TABLE_MAP of the first insert shows the difference.
	_, errs, code := runSyncer(t, 2*time.Minute, "binlog", "stream", "--dsn", dsn, "--state-dir", state, "--until-now")
	if code != 1 || !strings.Contains(errs, "the TABLE_MAP has 2 columns, the tracked table 1") || !strings.Contains(errs, "--on-schema-mismatch=reread") {
		t.Fatalf("TABLE_MAP mismatch: exit %d\n%s", code, errs)
	}
	out, errs, code := runSyncer(t, 2*time.Minute, "binlog", "stream", "--dsn", dsn, "--state-dir", state, "--until-now",
		"--on-schema-mismatch", "reread")
	if code != 1 || !strings.Contains(errs, "did not help") || !strings.Contains(errs, "ALTER TABLE rr.t ADD COLUMN y INT") {
		t.Fatalf("reread with DDL after the mismatch: exit %d\n%s", code, errs)
	}
	if strings.Contains(out, `"rows"`) {
		t.Errorf("rows were printed:\n%s", out)
	}
}

// A column renamed outside the binlog while no stream runs: without FULL
// metadata no TABLE_MAP shows it, but the restart compares the history
// with the server and stops, rather than print the old name; reread takes
// the server's definition.
func TestUnloggedRenameCaughtAtRestart(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{RowMetadata: "MINIMAL"})
	user, pw := m.User()
	dsn := dsnFor(m, user, pw, "")
	state := filepath.Join(t.TempDir(), "s")
	runLagSteps(t, m, []lagStep{{sql: "CREATE DATABASE ur"}, {sql: "CREATE TABLE ur.t (id INT PRIMARY KEY, old_name INT)"}})
	if _, errs, code := runSyncer(t, 2*time.Minute, "binlog", "stream", "--dsn", dsn, "--state-dir", state, "--until-now"); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, errs)
	}
	execOnOneConn(t, m, "SET sql_log_bin = 0", "ALTER TABLE ur.t RENAME COLUMN old_name TO new_name", "SET sql_log_bin = 1",
		"INSERT INTO ur.t VALUES (1, 2)")
	out, errs, code := runSyncer(t, 2*time.Minute, "binlog", "stream", "--dsn", dsn, "--state-dir", state, "--until-now")
	if code != 1 || !strings.Contains(errs, "column 2 is old_name in the history, new_name on the server") || strings.Contains(out, `"rows"`) {
		t.Fatalf("restart after an unlogged rename: exit %d\n%s\n%s", code, errs, out)
	}
	out, errs, code = runSyncer(t, 2*time.Minute, "binlog", "stream", "--dsn", dsn, "--state-dir", state, "--until-now",
		"--on-schema-mismatch", "reread")
	expectRows(t, "after the re-read", out, errs, code, "ur", []string{"t insert id=1 new_name=2"})

	// Drift in a table the stream does not replicate does not stop it.
	execOnOneConn(t, m, "SET sql_log_bin = 0", "ALTER TABLE ur.t RENAME COLUMN new_name TO newer_name", "SET sql_log_bin = 1")
	runLagSteps(t, m, []lagStep{{sql: "CREATE TABLE ur.other (id INT)"}, {sql: "INSERT INTO ur.other VALUES (7)"}})
	out, errs, code = runSyncer(t, 2*time.Minute, "binlog", "stream", "--dsn", dsn, "--state-dir", state, "--until-now", "--tables", "ur.other")
	expectRows(t, "rows of the replicated table", out, errs, code, "ur", []string{"other insert id=7"})
}
