package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// seed returns the random seed of a test: SYNCER_SEED or the time, logged
// so that a failure can be replayed.
func seed(t *testing.T) uint64 {
	s := uint64(time.Now().UnixNano())
	if v := os.Getenv("SYNCER_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("SYNCER_SEED=%q: %v", v, err)
		}
		s = n
	}
	t.Logf("seed %d (SYNCER_SEED=%d replays it)", s, s)
	return s
}

// newPipelineDB creates database db on m (dropping an older one) and
// returns the binlog position before its creation, where the pipeline
// starts: the pipeline sees the CREATE statements and makes its tables.
func newPipelineDB(t *testing.T, m *harness.MariaDB, db string) (string, uint64) {
	t.Helper()
	c := mysqlConn(t, m)
	mustExec(t, c, "DROP DATABASE IF EXISTS `"+db+"`")
	file, pos := binlogPos(t, m)
	mustExec(t, c, "CREATE DATABASE `"+db+"` DEFAULT CHARSET utf8mb4")
	return file, pos
}

func dropTargetSchema(t *testing.T, pg *harness.Postgres, schema, pipeline string) {
	t.Helper()
	c := pgConn(t, pg)
	if _, err := c.Exec(t.Context(), fmt.Sprintf("DROP SCHEMA IF EXISTS %q CASCADE", schema)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(t.Context(), "DELETE FROM _syncer.checkpoints WHERE pipeline = $1", pipeline); err != nil &&
		!strings.Contains(err.Error(), "does not exist") {
		t.Fatal(err)
	}
}

// TestPipelineRandomWorkload runs `syncer run` on a random workload over
// every column type: inserts, updates, deletes and primary key changes in
// multi-statement transactions, DDL mid-stream (ADD COLUMN with a
// default, RENAME COLUMN, a widening MODIFY), a 200,000-row transaction,
// a composite key and a unique-key-only table. At the end every target
// table equals its source table, value for value.
func TestPipelineRandomWorkload(t *testing.T) {
	m := sharedDB(t)
	pg := sharedPG(t)
	r := rand.New(rand.NewPCG(seed(t), 1))
	const db = "pl_random"
	dropTargetSchema(t, pg, db, db)
	file, pos := newPipelineDB(t, m, db)
	c := mysqlConn(t, m)
	mustExec(t, c, "USE "+db)

	all := &randTable{name: "alltypes", cols: allTypesCols()}
	comp := &randTable{name: "composite", cols: []genCol{
		{"b", "VARCHAR(10) NOT NULL", func(r *rand.Rand) string { return pick(r, "'k1'", "'k2'", "'日本'") }},
		{"qty", "INT", intRange(-1000, 1000)},
		{"note", "VARCHAR(50)", text(50)},
	}, key: "PRIMARY KEY (`id`, `b`)"}
	uk := &randTable{name: "unique_only", cols: []genCol{
		{"v", "BIGINT", intRange(-1e12, 1e12)},
		{"s", "VARCHAR(30)", text(30)},
	}, key: "UNIQUE KEY (`id`)"}
	tables := []*randTable{all, comp, uk}
	for _, tb := range tables {
		mustExec(t, c, tb.createSQL())
	}
	mustExec(t, c, "CREATE TABLE big (id INT NOT NULL PRIMARY KEY, v BIGINT, s VARCHAR(40))")
	runTransactions(t, c, r, tables, 60)

	dir := t.TempDir()
	spec := pipelineSpec{name: db, source: m.DSN(), target: pg.DSN(), include: []string{db + ".*"},
		startAt: [2]string{file, strconv.FormatUint(pos, 10)}}
	run := startSyncer(t, writePipeline(t, dir, spec))

	runTransactions(t, c, r, tables, 150)
	// DDL mid-stream; the generator follows.
	mustExec(t, c,
		"ALTER TABLE alltypes ADD COLUMN extra INT NOT NULL DEFAULT 5",
		"ALTER TABLE alltypes RENAME COLUMN vc TO vc_renamed",
		"ALTER TABLE alltypes MODIFY `dec` DECIMAL(14,2)",
		"ALTER TABLE composite ADD COLUMN tag VARCHAR(8) DEFAULT 'new' AFTER qty")
	all.renameCol("vc", "vc_renamed")
	all.cols = append(all.cols, genCol{"extra", "INT NOT NULL DEFAULT 5", intRange(-5, 5)})
	comp.cols = append(comp.cols, genCol{"tag", "VARCHAR(8)", text(8)})
	runTransactions(t, c, r, tables, 150)

	// One 200,000-row transaction, with updates and deletes of its own rows.
	mustExec(t, c, "BEGIN",
		"INSERT INTO big SELECT seq, seq * 7, CONCAT('row ', seq) FROM seq_1_to_200000",
		"UPDATE big SET v = -v WHERE id % 1000 = 0",
		"DELETE FROM big WHERE id % 5000 = 1",
		"COMMIT")
	runTransactions(t, c, r, tables, 40)

	waitCaughtUp(t, m, pg, run, db, 4*time.Minute)
	p := pgConn(t, pg)
	counts := map[string]int{}
	for _, tb := range []string{"alltypes", "composite", "unique_only", "big"} {
		counts[tb] = compareTable(t, c, p, db, tb)
	}
	if counts["big"] != 200000-40 {
		t.Errorf("big has %d rows, want %d", counts["big"], 200000-40)
	}
	t.Logf("rows compared: %v", counts)
	run.stop()
}

// TestPipelineExactlyOnceUnderKill kills `syncer run` with SIGKILL at
// random moments, at least 20 times, while a workload writes, and
// restarts it each time; the table gains a column every 200 transactions.
// A keyless table matched on full rows would show any change applied
// twice as a duplicate, and one lost as a gap.
func TestPipelineExactlyOnceUnderKill(t *testing.T) {
	m := sharedDB(t)
	pg := sharedPG(t)
	r := rand.New(rand.NewPCG(seed(t), 2))
	const db = "pl_kill"
	dropTargetSchema(t, pg, db, db)
	file, pos := newPipelineDB(t, m, db)
	c := mysqlConn(t, m)
	mustExec(t, c, "USE "+db)
	keyed := &randTable{name: "keyed", cols: []genCol{
		{"n", "BIGINT", intRange(-1e9, 1e9)},
		{"s", "VARCHAR(40)", text(40)},
		{"d", "DECIMAL(12,3)", decimalGen(12, 3, false)},
		{"ts", "DATETIME(6)", datetimeGen(6)},
	}}
	mustExec(t, c, keyed.createSQL(),
		"CREATE TABLE events (kind VARCHAR(10), n INT, note VARCHAR(20))") // no key: rows may repeat

	dir := t.TempDir()
	spec := pipelineSpec{name: db, source: m.DSN(), target: pg.DSN(), include: []string{db + ".*"},
		startAt:  [2]string{file, strconv.FormatUint(pos, 10)},
		sinkOpts: "      keyless_tables: full_row\n",
		batch:    "      max_records: 500\n      max_latency: 50ms\n"}
	path := writePipeline(t, dir, spec)

	// The writer: random keyed transactions, and events rows that repeat
	// on purpose (the same row inserted several times, some deleted
	// one at a time).
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		w, err := m.DB().Conn(t.Context())
		if err != nil {
			werr = err
			return
		}
		defer w.Close()
		if _, err := w.ExecContext(t.Context(), "USE "+db); err != nil {
			werr = err
			return
		}
		wr := rand.New(rand.NewPCG(r.Uint64(), 3))
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			stmts := []string{"BEGIN"}
			for j := 0; j < 1+wr.IntN(5); j++ {
				stmts = append(stmts, keyed.step(wr))
			}
			kind := pick(wr, "'a'", "'b'", "'c'")
			stmts = append(stmts, fmt.Sprintf("INSERT INTO events VALUES (%s, %d, 'x'), (%s, %d, 'x')", kind, i%7, kind, i%7))
			if i%3 == 0 {
				stmts = append(stmts, fmt.Sprintf("DELETE FROM events WHERE n = %d LIMIT 1", wr.IntN(7)))
			}
			if i%50 == 0 {
				stmts = append(stmts, fmt.Sprintf("INSERT INTO keyed (id, n, s, d, ts) SELECT seq + %d, seq, 'bulk', 1.5, '2024-01-01 00:00:00' FROM seq_1_to_3000", 10_000_000+i*10_000))
			}
			stmts = append(stmts, "COMMIT")
			if i%200 == 199 {
				// DDL between transactions: a kill may land around it.
				name := fmt.Sprintf("x%d", i)
				stmts = append(stmts, fmt.Sprintf("ALTER TABLE keyed ADD COLUMN %s INT DEFAULT %d", name, i))
				keyed.cols = append(keyed.cols, genCol{name, "INT", intRange(-9, 9)})
			}
			for _, q := range stmts {
				if _, err := w.ExecContext(t.Context(), q); err != nil {
					werr = fmt.Errorf("%s: %w", short(q), err)
					return
				}
			}
		}
	}()

	kills := 0
	deadline := time.Now().Add(3 * time.Minute)
	if os.Getenv("SYNCER_NOKILL") != "" {
		run := startSyncer(t, path)
		time.Sleep(20 * time.Second)
		run.stop()
		kills = 20
	}
	for kills < 22 && time.Now().Before(deadline) {
		run := startSyncer(t, path)
		time.Sleep(time.Duration(300+r.IntN(1500)) * time.Millisecond)
		if run.exited() {
			close(stop)
			wg.Wait()
			t.Fatalf("syncer exited by itself (%v):\n%s", run.err, run.errb.String())
		}
		run.kill()
		kills++
	}
	close(stop)
	wg.Wait()
	if werr != nil {
		t.Fatal(werr)
	}
	if kills < 20 {
		t.Fatalf("only %d kills in the time allowed", kills)
	}
	run := startSyncer(t, path)
	waitCaughtUp(t, m, pg, run, db, 3*time.Minute)
	p := pgConn(t, pg)
	n1 := compareTable(t, c, p, db, "keyed")
	n2 := compareTable(t, c, p, db, "events")
	t.Logf("%d kills; keyed %d rows, events %d rows", kills, n1, n2)
	run.stop()
}

// TestPipelinePostgresOutage stops Postgres for a while mid-stream: the
// pipeline keeps retrying without exiting, and once Postgres is back it
// resumes from its checkpoint and loses nothing.
func TestPipelinePostgresOutage(t *testing.T) {
	m := sharedDB(t)
	pg := harness.PostgresForTest(t, harness.PostgresOptions{})
	r := rand.New(rand.NewPCG(seed(t), 4))
	const db = "pl_outage"
	file, pos := newPipelineDB(t, m, db)
	c := mysqlConn(t, m)
	mustExec(t, c, "USE "+db)
	tb := &randTable{name: "t", cols: []genCol{{"n", "INT", intRange(-100, 100)}, {"s", "VARCHAR(20)", text(20)}}}
	mustExec(t, c, tb.createSQL())
	spec := pipelineSpec{name: db, source: m.DSN(), target: pg.DSN(), include: []string{db + ".*"},
		startAt: [2]string{file, strconv.FormatUint(pos, 10)}}
	run := startSyncer(t, writePipeline(t, t.TempDir(), spec))
	runTransactions(t, c, r, []*randTable{tb}, 100)
	waitCaughtUp(t, m, pg, run, db, time.Minute)

	if err := pg.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	runTransactions(t, c, r, []*randTable{tb}, 200)
	time.Sleep(3 * time.Second)
	if run.exited() {
		t.Fatalf("syncer exited while Postgres was down (%v):\n%s", run.err, run.errb.String())
	}
	if err := pg.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	runTransactions(t, c, r, []*randTable{tb}, 100)
	waitCaughtUp(t, m, pg, run, db, 2*time.Minute)
	compareTable(t, c, pgConn(t, pg), db, "t")
	if !strings.Contains(run.errb.String(), "retrying") {
		t.Errorf("no retry logged during the outage:\n%s", run.errb.String())
	}
	run.stop()
}

// TestPipelineValuePolicies checks what each policy stores for values
// Postgres cannot hold, and that "error" stops the pipeline with a
// message naming the table, the column and the setting.
func TestPipelineValuePolicies(t *testing.T) {
	m := sharedDB(t)
	pg := sharedPG(t)
	cases := []struct {
		name     string
		policies string
		// want is the target's rendering of (zero date, invalid date,
		// text with NUL), or the error the run must end with.
		want    string
		wantErr []string
	}{
		{"defaults-stop-at-invalid-date", "", "", []string{"pl_pol_0.t", "invalid_date", "2024-02-30"}},
		{"null", "      zero_date: \"null\"\n      invalid_date: \"null\"\n      nul_in_text: strip\n", "NULL|NULL|ab", nil},
		{"infinity", "      zero_date: infinity\n      invalid_date: -infinity\n      nul_in_text: replace\n", "infinity|-infinity|a\uFFFDb", nil},
		{"zero-date-error", "      zero_date: error\n      invalid_date: \"null\"\n", "", []string{"pl_pol_3.t", "zero_date", "0000-00-00"}},
		{"nul-error", "      invalid_date: \"null\"\n", "", []string{"pl_pol_4.t", "nul_in_text"}},
		{"per-column", "      invalid_date: \"null\"\n      nul_in_text: strip\n      columns:\n        - match: \"pl_pol_5.t.zd\"\n          zero_date: -infinity\n", "-infinity|NULL|ab", nil},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := fmt.Sprintf("pl_pol_%d", i)
			dropTargetSchema(t, pg, db, db)
			file, pos := newPipelineDB(t, m, db)
			c := mysqlConn(t, m)
			mustExec(t, c, "USE "+db, "SET SESSION sql_mode = 'ALLOW_INVALID_DATES'",
				"CREATE TABLE t (id INT PRIMARY KEY, zd DATE, bad DATE, txt VARCHAR(10))",
				"INSERT INTO t VALUES (1, '0000-00-00', '2024-02-30', CONCAT('a', CHAR(0), 'b'))")
			spec := pipelineSpec{name: db, source: m.DSN(), target: pg.DSN(), include: []string{db + ".*"},
				startAt: [2]string{file, strconv.FormatUint(pos, 10)}, policies: tc.policies}
			run := startSyncer(t, writePipeline(t, t.TempDir(), spec))
			if tc.wantErr != nil {
				if code := run.wait(time.Minute); code != 1 {
					t.Fatalf("exit %d, want 1\n%s", code, run.errb.String())
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(run.errb.String(), w) {
						t.Errorf("the error does not mention %q:\n%s", w, run.errb.String())
					}
				}
				return
			}
			waitCaughtUp(t, m, pg, run, db, time.Minute)
			p := pgConn(t, pg)
			var zd, bad, txt *string
			if err := p.QueryRow(t.Context(), fmt.Sprintf(`SELECT zd::text, bad::text, txt FROM %q.t WHERE id = 1`, db)).Scan(&zd, &bad, &txt); err != nil {
				t.Fatal(err)
			}
			str := func(p *string) string {
				if p == nil {
					return "NULL"
				}
				return *p
			}
			if got := str(zd) + "|" + str(bad) + "|" + str(txt); got != tc.want {
				t.Errorf("stored %q, want %q", got, tc.want)
			}
			run.stop()
		})
	}
}

// TestPipelineKeylessTables: a table without a usable key stops the
// pipeline with a message naming it and both fixes, unless keyless_tables
// is full_row.
func TestPipelineKeylessTables(t *testing.T) {
	m := sharedDB(t)
	pg := sharedPG(t)
	const db = "pl_keyless"
	dropTargetSchema(t, pg, db, db)
	file, pos := newPipelineDB(t, m, db)
	c := mysqlConn(t, m)
	mustExec(t, c, "USE "+db, "CREATE TABLE k (a INT, b VARCHAR(10))",
		"INSERT INTO k VALUES (1, 'x'), (1, 'x'), (2, NULL)", "DELETE FROM k WHERE a = 1 LIMIT 1",
		"UPDATE k SET b = 'y' WHERE a = 2")
	spec := pipelineSpec{name: db, source: m.DSN(), target: pg.DSN(), include: []string{db + ".*"},
		startAt: [2]string{file, strconv.FormatUint(pos, 10)}}
	dir := t.TempDir()
	run := startSyncer(t, writePipeline(t, dir, spec))
	if code := run.wait(time.Minute); code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, run.errb.String())
	}
	for _, w := range []string{"pl_keyless.k", "PRIMARY KEY", "full_row"} {
		if !strings.Contains(run.errb.String(), w) {
			t.Errorf("the refusal does not mention %q:\n%s", w, run.errb.String())
		}
	}
	spec.sinkOpts = "      keyless_tables: full_row\n"
	run = startSyncer(t, writePipeline(t, dir, spec))
	waitCaughtUp(t, m, pg, run, db, time.Minute)
	if n := compareTable(t, c, pgConn(t, pg), db, "k"); n != 2 {
		t.Errorf("k has %d rows, want 2", n)
	}
	run.stop()
}

// TestPipelineSchemaPolicies: drop_column keep keeps the target column,
// drop_table keep keeps the table, truncate ignore keeps the rows; an
// unsafe type change stops the pipeline with the fix, and after the user
// applies it to the target, a restart goes on.
func TestPipelineSchemaPolicies(t *testing.T) {
	m := sharedDB(t)
	pg := sharedPG(t)
	const db = "pl_schema"
	dropTargetSchema(t, pg, db, db)
	file, pos := newPipelineDB(t, m, db)
	c := mysqlConn(t, m)
	mustExec(t, c, "USE "+db,
		"CREATE TABLE a (id INT PRIMARY KEY, keepme VARCHAR(10), n INT)",
		"CREATE TABLE gone (id INT PRIMARY KEY)",
		"CREATE TABLE tr (id INT PRIMARY KEY)",
		"INSERT INTO a VALUES (1, 'k', 1)", "INSERT INTO gone VALUES (1)", "INSERT INTO tr VALUES (1), (2)",
		"ALTER TABLE a DROP COLUMN keepme", "INSERT INTO a VALUES (2, 2)",
		"DROP TABLE gone", "TRUNCATE TABLE tr")
	spec := pipelineSpec{name: db, source: m.DSN(), target: pg.DSN(), include: []string{db + ".*"},
		startAt:  [2]string{file, strconv.FormatUint(pos, 10)},
		policies: "      drop_column: keep\n      drop_table: keep\n      truncate: ignore\n"}
	dir := t.TempDir()
	run := startSyncer(t, writePipeline(t, dir, spec))
	waitCaughtUp(t, m, pg, run, db, time.Minute)
	p := pgConn(t, pg)
	var got string
	if err := p.QueryRow(t.Context(), fmt.Sprintf(`SELECT string_agg(id || ':' || coalesce(keepme, 'NULL') || ':' || n, ',' ORDER BY id) FROM %q.a`, db)).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "1:k:1,2:NULL:2" {
		t.Errorf("a = %q, want the dropped column kept: 1:k:1,2:NULL:2", got)
	}
	var n int
	if err := p.QueryRow(t.Context(), fmt.Sprintf(`SELECT (SELECT count(*) FROM %q.gone) + (SELECT count(*) FROM %q.tr)`, db, db)).Scan(&n); err != nil {
		t.Fatalf("kept tables: %v", err)
	}
	if n != 3 {
		t.Errorf("kept tables hold %d rows, want 3", n)
	}

	// An unsafe change: INT to VARCHAR.
	mustExec(t, c, "ALTER TABLE a MODIFY n VARCHAR(20)", "INSERT INTO a VALUES (3, 'three')")
	if code := run.wait(time.Minute); code != 1 {
		t.Fatalf("exit %d after an unsafe change, want 1\n%s", code, run.errb.String())
	}
	for _, w := range []string{"pl_schema.a", "ALTER TABLE", "USING"} {
		if !strings.Contains(run.errb.String(), w) {
			t.Errorf("the error does not mention %q:\n%s", w, run.errb.String())
		}
	}
	if _, err := p.Exec(t.Context(), fmt.Sprintf(`ALTER TABLE %q.a ALTER COLUMN n TYPE varchar(20) USING n::text`, db)); err != nil {
		t.Fatal(err)
	}
	run = startSyncer(t, writePipeline(t, dir, spec))
	waitCaughtUp(t, m, pg, run, db, time.Minute)
	if err := p.QueryRow(t.Context(), fmt.Sprintf(`SELECT n FROM %q.a WHERE id = 3`, db)).Scan(&got); err != nil || got != "three" {
		t.Errorf("after the fix: n = %q, %v; want three", got, err)
	}
	run.stop()
}

// TestPipelineFileErrors: `syncer validate` and `syncer run` report a bad
// file with file:line:column before connecting to anything.
func TestPipelineFileErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	bad := "pipelines:\n  - name: x\n    source:\n      dsn: \"u:p@tcp(127.0.0.1:1)/\"\n      srever_id: 5\n    sink:\n      type: postgres\n      dsn: \"postgres://u@127.0.0.1:1/db\"\n    batch:\n      max_latency: soon\n"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"validate", "run"} {
		_, errs, code := runSyncer(t, 30*time.Second, cmd, path)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2\n%s", cmd, code, errs)
		}
		for _, w := range []string{path + ":5:7", "server_id", path + ":10:20"} {
			if !strings.Contains(errs, w) {
				t.Errorf("%s: output lacks %q:\n%s", cmd, w, errs)
			}
		}
	}
	good := filepath.Join("..", "..", "pipelines", "examples", "mysql-to-postgres.yaml")
	cmd := []string{"validate", good}
	os.Setenv("SYNCER_SOURCE_DSN", "u:p@tcp(127.0.0.1:3306)/")
	os.Setenv("SYNCER_TARGET_DSN", "postgres://u@127.0.0.1:5432/db")
	defer os.Unsetenv("SYNCER_SOURCE_DSN")
	defer os.Unsetenv("SYNCER_TARGET_DSN")
	if out, errs, code := runSyncer(t, 30*time.Second, cmd...); code != 0 || !strings.Contains(out, "valid") {
		t.Errorf("validate %s: exit %d\n%s%s", good, code, out, errs)
	}
}

// TestPipelinesInOneFile runs two pipelines from one file in one process:
// one starts at a GTID and excludes a column, the other starts at a file
// position and excludes a table. Each target holds exactly what its
// pipeline selects.
func TestPipelinesInOneFile(t *testing.T) {
	m := sharedDB(t)
	pg := sharedPG(t)
	const dbA, dbB = "pl_multi_a", "pl_multi_b"
	dropTargetSchema(t, pg, dbA, "multi_a")
	dropTargetSchema(t, pg, dbB, "multi_b")
	c := mysqlConn(t, m)
	mustExec(t, c, "DROP DATABASE IF EXISTS "+dbA, "DROP DATABASE IF EXISTS "+dbB,
		"CREATE DATABASE "+dbA, "CREATE DATABASE "+dbB,
		"CREATE TABLE "+dbA+".users (id INT PRIMARY KEY, name VARCHAR(20), secret VARCHAR(20))",
		"CREATE TABLE "+dbB+".keep (id INT PRIMARY KEY, v INT)",
		"CREATE TABLE "+dbB+".skip (id INT PRIMARY KEY, v INT)",
		"INSERT INTO "+dbA+".users VALUES (1, 'before', 's1')")
	// A starts after the row above (by GTID), B at the position before
	// its own rows.
	var gtidPos string
	if err := c.QueryRowContext(t.Context(), "SELECT @@gtid_binlog_pos").Scan(&gtidPos); err != nil {
		t.Fatal(err)
	}
	file, pos := binlogPos(t, m)
	mustExec(t, c,
		"INSERT INTO "+dbA+".users VALUES (2, 'after', 's2'), (3, 'also', 's3')",
		"UPDATE "+dbA+".users SET secret = 'changed', name = 'upd' WHERE id = 2",
		"INSERT INTO "+dbB+".keep VALUES (1, 10), (2, 20)",
		"INSERT INTO "+dbB+".skip VALUES (1, 1)")
	dir := t.TempDir()
	yaml := fmt.Sprintf(`state_dir: %q
pipelines:
  - name: multi_a
    source:
      dsn: %q
      include: ["%s.*"]
      exclude_columns: ["%s.users.secret"]
      start: {gtid: %q}
    sink:
      type: postgres
      dsn: %q
  - name: multi_b
    source:
      dsn: %q
      server_id: 4242
      include: ["%s.*"]
      exclude: ["%s.skip"]
      start: {file: %s, pos: %d}
    sink:
      type: postgres
      dsn: %q
`, filepath.Join(dir, "state"), m.DSN(), dbA, dbA, gtidPos, pg.DSN(), m.DSN(), dbB, dbB, file, pos, pg.DSN())
	path := filepath.Join(dir, "multi.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	run := startSyncer(t, path)
	waitCaughtUp(t, m, pg, run, "multi_a", time.Minute)
	waitCaughtUp(t, m, pg, run, "multi_b", time.Minute)
	p := pgConn(t, pg)
	var got string
	// The tables existed before the start: the sink made them at their
	// first row, without the excluded column.
	if err := p.QueryRow(t.Context(), `SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM pl_multi_a.users`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "2:upd,3:also" {
		t.Errorf("pl_multi_a.users = %q, want the rows after the GTID: 2:upd,3:also", got)
	}
	var n int
	if err := p.QueryRow(t.Context(), `SELECT count(*) FROM information_schema.columns WHERE table_schema = 'pl_multi_a' AND column_name = 'secret'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the excluded column exists in the target (%d, %v)", n, err)
	}
	if err := p.QueryRow(t.Context(), `SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM pl_multi_b.keep`).Scan(&got); err != nil || got != "1:10,2:20" {
		t.Errorf("pl_multi_b.keep = %q, %v", got, err)
	}
	var skipped bool
	if err := p.QueryRow(t.Context(), `SELECT to_regclass('pl_multi_b.skip') IS NULL`).Scan(&skipped); err != nil {
		t.Fatal(err)
	}
	if !skipped {
		t.Error("the excluded table pl_multi_b.skip was created in the target")
	}
	run.stop()
}

// TestPipelineMariaDBCompressedColumns: MariaDB's COMPRESSED columns are
// tracked (the DDL parses) and decompressed on the way to Postgres.
func TestPipelineMariaDBCompressedColumns(t *testing.T) {
	m := sharedDB(t)
	pg := sharedPG(t)
	const db = "pl_compressed"
	dropTargetSchema(t, pg, db, db)
	file, pos := newPipelineDB(t, m, db)
	c := mysqlConn(t, m)
	mustExec(t, c, "USE "+db,
		"CREATE TABLE z (id INT PRIMARY KEY, v VARCHAR(1000) COMPRESSED, t TEXT COMPRESSED CHARACTER SET latin1, b BLOB COMPRESSED, after_v VARCHAR(20) CHARACTER SET latin1)",
		"INSERT INTO z VALUES (1, REPEAT('abc日本', 200), REPEAT('é', 300), REPEAT(X'00FF10', 100), 'é'), (2, '', '', '', ''), (3, 'short', 'ü', X'01', NULL), (4, NULL, NULL, NULL, 'x')",
		"UPDATE z SET v = REPEAT('x', 999) WHERE id = 2")
	spec := pipelineSpec{name: db, source: m.DSN(), target: pg.DSN(), include: []string{db + ".*"},
		startAt: [2]string{file, strconv.FormatUint(pos, 10)}}
	run := startSyncer(t, writePipeline(t, t.TempDir(), spec))
	waitCaughtUp(t, m, pg, run, db, time.Minute)
	if n := compareTable(t, c, pgConn(t, pg), db, "z"); n != 4 {
		t.Errorf("z has %d rows, want 4", n)
	}
	run.stop()
}

// TestPipelineStateDirLost: the schema history is a cache of what the
// binlog says; when the state directory is lost, a restart rebuilds the
// schema at the sink's checkpoint (today's schema rewound through the
// binlog's DDL) and goes on exactly.
func TestPipelineStateDirLost(t *testing.T) {
	m := sharedDB(t)
	pg := sharedPG(t)
	r := rand.New(rand.NewPCG(seed(t), 5))
	const db = "pl_lost"
	dropTargetSchema(t, pg, db, db)
	file, pos := newPipelineDB(t, m, db)
	c := mysqlConn(t, m)
	mustExec(t, c, "USE "+db)
	tb := &randTable{name: "t", cols: []genCol{{"n", "INT", intRange(-100, 100)}, {"s", "VARCHAR(20)", text(20)}}}
	mustExec(t, c, tb.createSQL())
	dir := t.TempDir()
	spec := pipelineSpec{name: db, source: m.DSN(), target: pg.DSN(), include: []string{db + ".*"},
		startAt: [2]string{file, strconv.FormatUint(pos, 10)}}
	path := writePipeline(t, dir, spec)
	run := startSyncer(t, path)
	runTransactions(t, c, r, []*randTable{tb}, 50)
	waitCaughtUp(t, m, pg, run, db, time.Minute)
	run.stop()

	// While it is stopped: more rows, and DDL that changes the column
	// order and types the rows after it are written with.
	runTransactions(t, c, r, []*randTable{tb}, 30)
	mustExec(t, c, "ALTER TABLE t ADD COLUMN extra VARCHAR(10) DEFAULT 'e' FIRST", "ALTER TABLE t MODIFY n BIGINT")
	tb.cols = append(tb.cols, genCol{"extra", "VARCHAR(10)", text(10)})
	runTransactions(t, c, r, []*randTable{tb}, 30)
	if err := os.RemoveAll(filepath.Join(dir, "state")); err != nil {
		t.Fatal(err)
	}
	run = startSyncer(t, path)
	runTransactions(t, c, r, []*randTable{tb}, 20)
	waitCaughtUp(t, m, pg, run, db, time.Minute)
	compareTable(t, c, pgConn(t, pg), db, "t")
	run.stop()
}
