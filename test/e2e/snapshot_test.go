package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	snapshotpkg "github.com/seed5aa6e046/syncer/sources/mysql/snapshot"
	"github.com/seed5aa6e046/syncer/test/harness"
)

// sinkSnapshot returns the snapshot progress the sink committed for
// pipeline, and whether a checkpoint exists.
func sinkSnapshot(t *testing.T, pg *pgx.Conn, pipeline string) (string, bool) {
	t.Helper()
	var s string
	err := pg.QueryRow(t.Context(), "SELECT snapshot FROM _syncer.checkpoints WHERE pipeline = $1 AND file <> ''", pipeline).Scan(&s)
	if err == pgx.ErrNoRows {
		return "", false
	}
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return "", false
		}
		t.Fatal(err)
	}
	return s, true
}

// waitSnapshotDone waits until the sink's checkpoint says the copy is
// complete.
func waitSnapshotDone(t *testing.T, pg *harness.Postgres, r *syncerRun, pipeline string, timeout time.Duration) {
	t.Helper()
	c := pgConn(t, pg)
	deadline := time.Now().Add(timeout)
	for {
		s, ok := sinkSnapshot(t, c, pipeline)
		if ok {
			active, err := snapshotpkg.InProgress(s)
			if err != nil {
				t.Fatal(err)
			}
			if !active {
				return
			}
		}
		if r != nil && r.exited() {
			t.Fatalf("syncer exited (%v) before the snapshot ended\n%s", r.err, r.errb.String())
		}
		if time.Now().After(deadline) {
			msg := ""
			if r != nil {
				msg = r.errb.String()
			}
			t.Fatalf("snapshot of pipeline %s not done within %s (progress %.300s)\n%s", pipeline, timeout, s, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fillRows inserts n rows with INSERT ... SELECT from a sequence, in
// transactions of at most 50,000 rows; values is the SELECT list over
// seq (the row number from 1).
func fillRows(t *testing.T, c *sql.Conn, table string, n int, cols, values string) {
	t.Helper()
	for from := 1; from <= n; from += 50000 {
		to := min(from+50000-1, n)
		mustExec(t, c, fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM mysql.seq_%d_to_%d", table, cols, values, from, to))
	}
}

// The kinds of table the copy must get right: integer, composite and
// non-integer keys, a unique key without a primary key, no key (with
// duplicate rows), an empty table, wide rows of multi-megabyte values.
func TestSnapshotTableKinds(t *testing.T) {
	m := sharedDB(t)
	pg := sharedPG(t)
	my := mysqlConn(t, m)
	const db = "snapkinds"
	mustExec(t, my, "DROP DATABASE IF EXISTS "+db, "CREATE DATABASE "+db,
		"CREATE TABLE snapkinds.ints (id BIGINT PRIMARY KEY, v VARCHAR(40), d DECIMAL(12,3), f FLOAT, ts DATETIME(6))",
		"CREATE TABLE snapkinds.composite (region VARCHAR(20) COLLATE utf8mb4_general_ci, n INT, note TEXT, PRIMARY KEY (region, n))",
		"CREATE TABLE snapkinds.strkey (code CHAR(12) CHARACTER SET latin1 PRIMARY KEY, v INT)",
		"CREATE TABLE snapkinds.uniq (a INT NOT NULL, b VARCHAR(10) NOT NULL, v INT, UNIQUE KEY ab (a, b))",
		"CREATE TABLE snapkinds.nokey (a INT, b VARCHAR(10))",
		"CREATE TABLE snapkinds.empty (id INT PRIMARY KEY, v TEXT)",
		"CREATE TABLE snapkinds.wide (id INT PRIMARY KEY, b LONGBLOB, t LONGTEXT)",
	)
	fillRows(t, my, "snapkinds.ints", 23456, "id, v, d, f, ts", "seq * 3, CONCAT('v', seq), seq / 7, seq / 3, '2024-01-01' + INTERVAL seq SECOND + INTERVAL seq MICROSECOND")
	fillRows(t, my, "snapkinds.composite", 5000, "region, n, note", "ELT(1 + seq % 5, 'north', 'South', 'éast', 'west', 'Ñorth'), seq, REPEAT('x', seq % 300)")
	fillRows(t, my, "snapkinds.strkey", 3000, "code, v", "CONCAT(CHAR(65 + seq % 26), LPAD(seq, 6, '0'), IF(seq % 2, 'é', '')), seq")
	fillRows(t, my, "snapkinds.uniq", 2000, "a, b, v", "seq % 100, CONCAT('b', seq), seq")
	fillRows(t, my, "snapkinds.nokey", 1500, "a, b", "seq % 50, IF(seq % 3, 'x', NULL)")
	for i := 1; i <= 6; i++ {
		mustExec(t, my, fmt.Sprintf("INSERT INTO snapkinds.wide VALUES (%d, REPEAT(UNHEX('00FF7F'), %d), REPEAT('wide é ', %d))", i, 1_000_000+i, 500_000))
	}
	dir := t.TempDir()
	path := writePipeline(t, dir, pipelineSpec{name: "snapkinds", source: m.DSN(), target: pg.DSN(), include: []string{db + ".*"},
		sinkOpts: "      keyless_tables: full_row\n",
		extra:    "",
	})
	// Small chunks, so every table takes several.
	addSnapshotSettings(t, path, "    snapshot:\n      chunk_rows: 1000\n      parallel: 3\n")
	r := startSyncer(t, path)
	waitSnapshotDone(t, pg, r, "snapkinds", 3*time.Minute)
	// A change after the copy streams in.
	mustExec(t, my, "UPDATE snapkinds.ints SET v = 'after' WHERE id = 300", "INSERT INTO snapkinds.empty VALUES (1, 'one')")
	waitCaughtUp(t, m, pg, r, "snapkinds", time.Minute)
	r.stop()
	if testing.Verbose() {
		t.Log(r.errb.String())
	}
	pc := pgConn(t, pg)
	for _, table := range []string{"ints", "composite", "strkey", "uniq", "nokey", "empty", "wide"} {
		n := compareTable(t, my, pc, db, table)
		t.Logf("%s: %d rows equal", table, n)
	}
	if out := r.errb.String(); !strings.Contains(out, "snapshot: table copied") || !strings.Contains(out, "snapshot: complete") {
		t.Errorf("the log does not report the copy:\n%s", out)
	}
	out, code := syncerCmd(t, "verify", path)
	if code != 0 || !strings.Contains(out, "all 7 tables equal") {
		t.Fatalf("syncer verify after the snapshot: exit %d\n%s", code, out)
	}
	// verify sees a changed, a missing and an extra row.
	for _, q := range []string{
		"UPDATE snapkinds.ints SET v = 'tampered' WHERE id = 30",
		"DELETE FROM snapkinds.composite WHERE region = 'west' AND n = 3",
		"INSERT INTO snapkinds.strkey VALUES ('ZZZ', 1)",
		"DELETE FROM snapkinds.nokey WHERE ctid = (SELECT ctid FROM snapkinds.nokey LIMIT 1)",
	} {
		if _, err := pc.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	out, code = syncerCmd(t, "verify", path)
	for _, want := range []string{"4 of 7 tables differ", "snapkinds.ints different: id=30 (columns v)", "snapkinds.composite missing: (region='west', n=3)",
		"snapkinds.strkey extra: code='ZZZ'", "snapkinds.nokey missing"} {
		if !strings.Contains(out, want) {
			t.Errorf("syncer verify after tampering: exit %d, output lacks %q\n%s", code, want, out)
		}
	}
	if code != 1 {
		t.Errorf("syncer verify with differences: exit %d, want 1", code)
	}
	if testing.Verbose() {
		t.Log(out)
	}
	out, code = syncerCmd(t, "verify", "--tables", "snapkinds.ints,snapkinds.uniq", path)
	if code != 1 || !strings.Contains(out, "1 of 2 tables differ") {
		t.Errorf("syncer verify --tables: exit %d\n%s", code, out)
	}
	out, code = syncerCmd(t, "status", path)
	if testing.Verbose() {
		t.Log(out)
	}
	if code != 0 || !strings.Contains(out, "stopped") || !strings.Contains(out, "snapkinds.ints") {
		t.Errorf("syncer status after the run: exit %d\n%s", code, out)
	}
}

// syncerCmd runs the syncer CLI and returns its combined output and exit
// code.
func syncerCmd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(shared.syncer, args...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	}
	t.Fatalf("syncer %s: %v", strings.Join(args, " "), err)
	return "", -1
}

// addSnapshotSettings inserts YAML lines (a pipeline's snapshot: key) in a
// pipeline file written by writePipeline, before its sink: key.
func addSnapshotSettings(t *testing.T, path, lines string) {
	t.Helper()
	b, err := readFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "    sink:\n", lines+"    sink:\n", 1)
	if err := writeFile(path, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

var _ = context.Background

func readFile(path string) ([]byte, error)     { return os.ReadFile(path) }
func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o600) }

// snapWorkload changes the tables of a snapshot test until stop is
// closed: inserts, updates (key changes too), deletes, in transactions of
// several statements over all the tables, and now and then an ALTER
// TABLE. It returns the number of transactions committed.
func snapWorkload(t *testing.T, m *harness.MariaDB, db string, maxID int64, stop <-chan struct{}, alters bool) <-chan int {
	t.Helper()
	done := make(chan int, 1)
	c := mysqlConn(t, m)
	go func() {
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
		n := 0
		next := maxID + 1
		altered := 0
		defer func() { done <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			var qs []string
			for range 1 + rng.IntN(4) {
				id := 1 + rng.Int64N(maxID)
				switch rng.IntN(9) {
				case 0, 1:
					qs = append(qs, fmt.Sprintf("INSERT INTO %s.big (id, a, b, c) VALUES (%d, %d, 'ins%d', %d)", db, next, rng.IntN(1000), next, rng.Int64N(1<<40)))
					next++
				case 2, 3:
					qs = append(qs, fmt.Sprintf("UPDATE %s.big SET a = a + 1, b = CONCAT('u', %d) WHERE id = %d", db, rng.IntN(100), id))
				case 4:
					qs = append(qs, fmt.Sprintf("DELETE FROM %s.big WHERE id = %d", db, id))
				case 5:
					// A key change: the row moves to a fresh id.
					qs = append(qs, fmt.Sprintf("UPDATE %s.big SET id = %d WHERE id = %d", db, next, id))
					next++
				case 6:
					qs = append(qs, fmt.Sprintf("UPDATE %s.pairs SET v = v + 1 WHERE k1 = 'k%d' AND k2 = %d", db, id%500, id%200))
				case 7:
					qs = append(qs, fmt.Sprintf("DELETE FROM %s.pairs WHERE k1 = 'k%d' AND k2 = %d", db, id%500, id%200),
						fmt.Sprintf("INSERT IGNORE INTO %s.pairs (k1, k2, v) VALUES ('k%d', %d, 1)", db, rng.IntN(500), rng.IntN(200)))
				case 8:
					qs = append(qs, fmt.Sprintf("INSERT INTO %s.bag (a, b) VALUES (%d, 'w')", db, rng.IntN(50)),
						fmt.Sprintf("DELETE FROM %s.bag WHERE a = %d LIMIT 1", db, rng.IntN(50)))
				}
			}
			if _, err := c.ExecContext(context.Background(), "BEGIN"); err != nil {
				t.Errorf("workload: %v", err)
				return
			}
			ok := true
			for _, q := range qs {
				if _, err := c.ExecContext(context.Background(), q); err != nil {
					if strings.Contains(err.Error(), "Duplicate entry") {
						continue
					}
					t.Errorf("workload: %s: %v", q, err)
					ok = false
					break
				}
			}
			end := "COMMIT"
			if !ok {
				end = "ROLLBACK"
			}
			if _, err := c.ExecContext(context.Background(), end); err != nil || !ok {
				if err != nil {
					t.Errorf("workload: %v", err)
				}
				return
			}
			n++
			if alters && n%400 == 0 && altered < 3 {
				altered++
				mustExec(t, c, fmt.Sprintf("ALTER TABLE %s.pairs ADD COLUMN x%d INT DEFAULT %d", db, altered, altered))
			}
		}
	}()
	return done
}

// createSnapTables makes the tables of the workload: big (rows rows, an
// integer key), pairs (a composite key), bag (no key, duplicates).
func createSnapTables(t *testing.T, c *sql.Conn, db string, rows int) {
	t.Helper()
	mustExec(t, c, "DROP DATABASE IF EXISTS "+db, "CREATE DATABASE "+db,
		"CREATE TABLE "+db+".big (id BIGINT PRIMARY KEY, a INT, b VARCHAR(40), c BIGINT, d DATETIME(3), e DECIMAL(10,2))",
		"CREATE TABLE "+db+".pairs (k1 VARCHAR(10), k2 INT, v INT, PRIMARY KEY (k1, k2))",
		"CREATE TABLE "+db+".bag (a INT, b VARCHAR(10))")
	fillRows(t, c, db+".big", rows, "id, a, b, c, d, e", "seq, seq % 1000, CONCAT('row', seq), seq * 7919, '2020-01-01' + INTERVAL seq SECOND, seq / 100")
	fillRows(t, c, db+".pairs", 100000, "k1, k2, v", "CONCAT('k', seq % 500), seq DIV 500, seq")
	fillRows(t, c, db+".bag", 3000, "a, b", "seq % 50, 'b'")
}

// startSnapWorkload makes the workload's tables in database db (the
// pipeline of the same name copies them in chunks of chunkRows) and starts
// the workload; closing stop ends it, done then gives its transactions.
func startSnapWorkload(t *testing.T, db string, rows, chunkRows int) (m *harness.MariaDB, pg *harness.Postgres, my *sql.Conn, path string, stop chan struct{}, done <-chan int) {
	t.Helper()
	m, pg = sharedDB(t), sharedPG(t)
	my = mysqlConn(t, m)
	createSnapTables(t, my, db, rows)
	path = writePipeline(t, t.TempDir(), pipelineSpec{name: db, source: m.DSN(), target: pg.DSN(), include: []string{db + ".*"},
		sinkOpts: "      keyless_tables: full_row\n"})
	addSnapshotSettings(t, path, fmt.Sprintf("    snapshot:\n      chunk_rows: %d\n", chunkRows))
	stop = make(chan struct{})
	return m, pg, my, path, stop, snapWorkload(t, m, db, int64(rows), stop, true)
}

// A snapshot of tables of about 2M rows while a workload changes them
// (key changes, deletes, inserts, a keyless table, ALTER TABLE): once
// the copy and the catch-up are done, the target equals the source
// (syncer verify, and the tests' own comparison).
func TestSnapshotUnderWorkload(t *testing.T) {
	const db = "snapload"
	rows := envInt(t, "SYNCER_SNAPSHOT_ROWS", 1_900_000)
	m, pg, my, path, stop, done := startSnapWorkload(t, db, rows, 20000)
	start := time.Now()
	r := startSyncer(t, path)
	checkStatusWhileCopying(t, r, path, "snapload")
	waitSnapshotDone(t, pg, r, "snapload", 10*time.Minute)
	copyTook := time.Since(start)
	time.Sleep(2 * time.Second) // the workload goes on after the copy
	close(stop)
	txs := <-done
	waitCaughtUp(t, m, pg, r, "snapload", 3*time.Minute)
	r.stop()
	t.Logf("%d rows copied in %s under %d concurrent transactions", rows, copyTook.Round(time.Millisecond), txs)
	if txs < 100 {
		t.Errorf("the workload committed only %d transactions: the test did not exercise the copy under changes", txs)
	}
	out, code := syncerCmd(t, "verify", path)
	if code != 0 || !strings.Contains(out, "all 3 tables equal") {
		t.Fatalf("syncer verify: exit %d\n%s\n%s", code, out, r.errb.String())
	}
	pc := pgConn(t, pg)
	compareTable(t, my, pc, db, "pairs")
	compareTable(t, my, pc, db, "bag")
	compareChecksum(t, my, pc, db, "big")
}

// compareChecksum compares a big table by count and an order-independent
// checksum of (id, a, b, c) on both sides, so the tests' own check of the
// large table does not rest on syncer verify.
func compareChecksum(t *testing.T, my *sql.Conn, pc *pgx.Conn, db, table string) {
	t.Helper()
	var n1, n2 int64
	var s1, s2 string
	if err := my.QueryRowContext(t.Context(), fmt.Sprintf("SELECT COUNT(*), CAST(COALESCE(SUM(CAST(CONV(SUBSTR(MD5(CONCAT_WS('|', id, a, b, c)), 1, 12), 16, 10) AS UNSIGNED)), 0) AS CHAR) FROM %s.%s", db, table)).Scan(&n1, &s1); err != nil {
		t.Fatal(err)
	}
	if err := pc.QueryRow(t.Context(), fmt.Sprintf(`SELECT count(*), COALESCE(sum(('x' || substr(md5(concat_ws('|', id, a, b, c)), 1, 12))::bit(48)::bigint), 0)::text FROM %s.%s`, db, table)).Scan(&n2, &s2); err != nil {
		t.Fatal(err)
	}
	if n1 != n2 || s1 != s2 {
		t.Errorf("%s.%s: source %d rows (checksum %s), target %d rows (checksum %s)", db, table, n1, s1, n2, s2)
	}
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// committedRows is the copy's progress in the sink's checkpoint: rows of
// finished tables plus rows of tables in progress; done reports the copy
// complete.
func committedRows(t *testing.T, pc *pgx.Conn, pipeline string) (rows int64, done bool) {
	t.Helper()
	s, ok := sinkSnapshot(t, pc, pipeline)
	if !ok {
		return 0, false
	}
	p, err := snapshotpkg.ReadProgress(s)
	if err != nil {
		t.Fatal(err)
	}
	if p == nil {
		return 0, true
	}
	rows = p.DoneRows
	for _, tt := range p.Tables {
		rows += tt.Rows
	}
	return rows, len(p.Tables) == 0
}

// Kill -9 during the snapshot five times, at random moments, under a
// workload: every restart resumes from the committed chunks (the copied
// rows never go back to zero), and the target ends equal to the source.
func TestSnapshotKillResume(t *testing.T) {
	const db = "snapkill"
	rows := envInt(t, "SYNCER_SNAPSHOT_KILL_ROWS", 600_000)
	m, pg, my, path, stop, done := startSnapWorkload(t, db, rows, 5000)
	pc := pgConn(t, pg)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	var last int64
	for kill := 1; kill <= 5; kill++ {
		r := startSyncer(t, path)
		// Let it commit more of the copy, then kill it at a random moment.
		deadline := time.Now().Add(2 * time.Minute)
		for {
			n, complete := committedRows(t, pc, "snapkill")
			if complete {
				t.Fatalf("the snapshot ended before kill %d: make the tables bigger (SYNCER_SNAPSHOT_KILL_ROWS=%d)", kill, 2*rows)
			}
			if n > last {
				break
			}
			if r.exited() || time.Now().After(deadline) {
				t.Fatalf("run %d: no progress beyond %d rows\n%s", kill, last, r.errb.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Duration(100+rng.IntN(900)) * time.Millisecond)
		r.kill()
		n, complete := committedRows(t, pc, "snapkill")
		if complete {
			t.Fatalf("the snapshot ended before kill %d: make the tables bigger (SYNCER_SNAPSHOT_KILL_ROWS=%d)", kill, 2*rows)
		}
		if n < last {
			t.Fatalf("after kill %d the committed copy went back from %d to %d rows", kill, last, n)
		}
		if kill > 1 && !strings.Contains(r.errb.String(), "snapshot: resuming the copy from the sink's checkpoint") {
			t.Errorf("run %d did not resume the copy:\n%s", kill, r.errb.String())
		}
		t.Logf("kill %d: %d rows committed", kill, n)
		last = n
	}
	r := startSyncer(t, path)
	waitSnapshotDone(t, pg, r, "snapkill", 5*time.Minute)
	if strings.Contains(r.errb.String(), "snapshot: copying the included tables") {
		t.Errorf("the last run started the copy over:\n%s", r.errb.String())
	}
	close(stop)
	<-done
	waitCaughtUp(t, m, pg, r, "snapkill", 3*time.Minute)
	r.stop()
	out, code := syncerCmd(t, "verify", path)
	if code != 0 || !strings.Contains(out, "all 3 tables equal") {
		t.Fatalf("syncer verify after 5 kills: exit %d\n%s\n%s", code, out, r.errb.String())
	}
	compareChecksum(t, my, pc, db, "big")
	compareTable(t, my, pc, db, "bag")
}

// The snapshot modes: schema_only creates the targets without rows,
// never copies nothing, always copies everything again at each start
// (emptying the targets first, so rows deleted while stopped go too) and
// streams from the current position.
func TestSnapshotModes(t *testing.T) {
	m := sharedDB(t)
	pg := sharedPG(t)
	my := mysqlConn(t, m)
	pc := pgConn(t, pg)
	for _, mode := range []string{"schema_only", "never", "always"} {
		db := "snapmode_" + mode
		mustExec(t, my, "DROP DATABASE IF EXISTS "+db, "CREATE DATABASE "+db,
			"CREATE TABLE "+db+".t (id INT PRIMARY KEY, v VARCHAR(10))",
			"INSERT INTO "+db+".t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
		dir := t.TempDir()
		name := "snapmode-" + strings.ReplaceAll(mode, "_", "-")
		path := writePipeline(t, dir, pipelineSpec{name: name, source: m.DSN(), target: pg.DSN(), include: []string{db + ".*"}})
		addSnapshotSettings(t, path, "    snapshot:\n      mode: "+mode+"\n")
		r := startSyncer(t, path)
		waitLog(t, r, "schema reconstructed", time.Minute)
		mustExec(t, my, "INSERT INTO "+db+".t VALUES (4, 'd')")
		waitSnapshotDone(t, pg, r, name, time.Minute)
		waitCaughtUp(t, m, pg, r, name, time.Minute)
		r.stop()
		var n int
		err := pc.QueryRow(t.Context(), "SELECT count(*) FROM "+db+".t").Scan(&n)
		switch mode {
		case "schema_only":
			if err != nil || n != 1 {
				t.Errorf("schema_only: target has %d rows (err %v), want the one inserted after the start", n, err)
			}
		case "never":
			if err != nil || n != 1 {
				t.Errorf("never: target has %d rows (err %v), want the one inserted after the start", n, err)
			}
		case "always":
			if err != nil || n != 4 {
				t.Errorf("always: target has %d rows (err %v), want 4", n, err)
			}
			// While stopped: a delete and an insert; the next start
			// copies again, so the target loses the deleted row.
			mustExec(t, my, "DELETE FROM "+db+".t WHERE id = 1", "INSERT INTO "+db+".t VALUES (5, 'e')")
			r = startSyncer(t, path)
			waitLog(t, r, "snapshot: complete", time.Minute)
			waitSnapshotDone(t, pg, r, name, time.Minute)
			waitCaughtUp(t, m, pg, r, name, time.Minute)
			r.stop()
			if !strings.Contains(r.errb.String(), "snapshot mode always: copying every table again") {
				t.Errorf("always: the second start did not copy again:\n%s", r.errb.String())
			}
			compareTable(t, my, pc, db, "t")
		}
	}
}

// A re-snapshot of one table while the pipeline streams rebuilds its
// target (rows lost there come back, rows added there go), and a table
// the include list covers after a restart is copied by itself.
func TestSnapshotResnapshotAndNewTable(t *testing.T) {
	m := sharedDB(t)
	pg := sharedPG(t)
	my := mysqlConn(t, m)
	pc := pgConn(t, pg)
	const db = "snapre"
	mustExec(t, my, "DROP DATABASE IF EXISTS "+db, "CREATE DATABASE "+db,
		"CREATE TABLE snapre.a (id INT PRIMARY KEY, v INT)",
		"CREATE TABLE snapre.b (id INT PRIMARY KEY, v INT)",
		"CREATE TABLE snapre.later (id INT PRIMARY KEY, v INT)")
	fillRows(t, my, "snapre.a", 30000, "id, v", "seq, seq")
	fillRows(t, my, "snapre.b", 1000, "id, v", "seq, seq")
	fillRows(t, my, "snapre.later", 2000, "id, v", "seq, seq")
	dir := t.TempDir()
	spec := pipelineSpec{name: "snapre", source: m.DSN(), target: pg.DSN(), include: []string{"snapre.a", "snapre.b"}}
	path := writePipeline(t, dir, spec)
	addSnapshotSettings(t, path, "    snapshot:\n      chunk_rows: 2000\n")
	r := startSyncer(t, path)
	waitSnapshotDone(t, pg, r, "snapre", time.Minute)
	// The target of a drifts: rows lost, a row added, a value changed.
	for _, q := range []string{"DELETE FROM snapre.a WHERE id % 10 = 0", "INSERT INTO snapre.a VALUES (-1, -1)", "UPDATE snapre.a SET v = 0 WHERE id = 7"} {
		if _, err := pc.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	out, code := syncerCmd(t, "verify", "--tables", "snapre.a", path)
	if code != 1 {
		t.Fatalf("verify of the drifted target: exit %d\n%s", code, out)
	}
	// A workload goes on while a is copied again.
	stop := make(chan struct{})
	wdone := make(chan struct{})
	go func() {
		defer close(wdone)
		c := mysqlConn(t, m)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			mustExec(t, c, fmt.Sprintf("UPDATE snapre.a SET v = v + 1 WHERE id = %d", 1+i%30000),
				fmt.Sprintf("INSERT INTO snapre.b VALUES (%d, 0)", 10000+i))
		}
	}()
	out, code = syncerCmd(t, "snapshot", "--table", "snapre.a", path)
	if code != 0 || !strings.Contains(out, "re-snapshot of snapre.a requested") || !strings.Contains(out, "running") {
		t.Fatalf("syncer snapshot: exit %d\n%s", code, out)
	}
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(r.errb.String(), "snapshot: complete") || strings.Count(r.errb.String(), "snapshot: table copied") < 3 {
		if time.Now().After(deadline) || r.exited() {
			t.Fatalf("the re-snapshot did not complete\n%s", r.errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	<-wdone
	waitCaughtUp(t, m, pg, r, "snapre", time.Minute)
	out, code = syncerCmd(t, "verify", path)
	if code != 0 {
		t.Fatalf("verify after the re-snapshot: exit %d\n%s\n%s", code, out, r.errb.String())
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "state", "snapre", "snapshot-requests"))
	if len(entries) != 0 {
		t.Errorf("the request is still in the state directory after its copy: %v", entries)
	}
	r.stop()
	// The include list grows: the next start copies the new table.
	spec.include = append(spec.include, "snapre.later")
	path = writePipeline(t, dir, spec)
	mustExec(t, my, "INSERT INTO snapre.later VALUES (9999, 1)")
	r = startSyncer(t, path)
	// (The sink's last checkpoint says the copy is complete until this
	// run commits its first one: wait for the table's copy in the log.)
	waitLog(t, r, "table=snapre.later rows=", time.Minute)
	waitSnapshotDone(t, pg, r, "snapre", time.Minute)
	waitCaughtUp(t, m, pg, r, "snapre", time.Minute)
	r.stop()
	if !strings.Contains(r.errb.String(), "a table the include list now covers is copied") {
		t.Errorf("the new table was not reported:\n%s", r.errb.String())
	}
	out, code = syncerCmd(t, "verify", path)
	if code != 0 || !strings.Contains(out, "all 3 tables equal") {
		t.Fatalf("verify after the include list grew: exit %d\n%s", code, out)
	}
	// A table the pipeline does not replicate cannot be requested.
	out, code = syncerCmd(t, "snapshot", "--table", "snapre.nope", path)
	if code != 1 || !strings.Contains(out, "does not replicate snapre.nope") {
		t.Errorf("snapshot of an excluded table: exit %d\n%s", code, out)
	}
}

// waitLog waits for a line of syncer's log containing s.
func waitLog(t *testing.T, r *syncerRun, s string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(r.errb.String(), s) {
		if r.exited() || time.Now().After(deadline) {
			t.Fatalf("syncer did not log %q\n%s", s, r.errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// DDL while the tables are being copied: a column added, a table renamed,
// a primary key changed, a table dropped, a table truncated. The copy
// follows each (a chunk read before the change is read again, a table
// whose key changed is copied again) and the target ends equal.
func TestSnapshotDDLDuringCopy(t *testing.T) {
	m := sharedDB(t)
	pg := sharedPG(t)
	my := mysqlConn(t, m)
	const db = "snapddl"
	mustExec(t, my, "DROP DATABASE IF EXISTS "+db, "CREATE DATABASE "+db)
	for _, name := range []string{"addcol", "renamed", "newkey", "dropped", "truncated"} {
		mustExec(t, my, "CREATE TABLE snapddl."+name+" (id INT PRIMARY KEY, v INT, s VARCHAR(30))")
		fillRows(t, my, "snapddl."+name, 150000, "id, v, s", "seq, seq % 100, CONCAT('s', seq)")
	}
	dir := t.TempDir()
	path := writePipeline(t, dir, pipelineSpec{name: "snapddl", source: m.DSN(), target: pg.DSN(), include: []string{db + ".*"}})
	addSnapshotSettings(t, path, "    snapshot:\n      chunk_rows: 1000\n      parallel: 2\n")
	r := startSyncer(t, path)
	pc := pgConn(t, pg)
	// Wait until the copy has begun, then change every table.
	deadline := time.Now().Add(time.Minute)
	for {
		if n, _ := committedRows(t, pc, "snapddl"); n > 0 {
			break
		}
		if time.Now().After(deadline) || r.exited() {
			t.Fatalf("the copy did not start\n%s", r.errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	mustExec(t, my,
		"ALTER TABLE snapddl.addcol ADD COLUMN extra INT NOT NULL DEFAULT 5",
		"UPDATE snapddl.addcol SET extra = 6 WHERE id % 1000 = 1",
		"RENAME TABLE snapddl.renamed TO snapddl.renamed2",
		"UPDATE snapddl.renamed2 SET v = -1 WHERE id % 500 = 0",
		"ALTER TABLE snapddl.newkey DROP PRIMARY KEY, ADD PRIMARY KEY (v, id)",
		"DELETE FROM snapddl.newkey WHERE id % 7 = 0",
		"DROP TABLE snapddl.dropped",
		"TRUNCATE TABLE snapddl.truncated",
		"INSERT INTO snapddl.truncated VALUES (1, 1, 'after truncate'), (200000, 2, 'after truncate')")
	if n, done := committedRows(t, pc, "snapddl"); done || n >= 750000 {
		t.Fatalf("the copy ended before the DDL (%d rows committed): make the tables bigger", n)
	}
	waitSnapshotDone(t, pg, r, "snapddl", 3*time.Minute)
	waitCaughtUp(t, m, pg, r, "snapddl", time.Minute)
	r.stop()
	if testing.Verbose() {
		t.Log(r.errb.String())
	}
	out, code := syncerCmd(t, "verify", path)
	if code != 0 || !strings.Contains(out, "all 4 tables equal") {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, r.errb.String())
	}
	var gone bool
	if err := pc.QueryRow(t.Context(), "SELECT to_regclass('snapddl.dropped') IS NULL AND to_regclass('snapddl.renamed') IS NULL").Scan(&gone); err != nil || !gone {
		t.Errorf("the dropped and the renamed tables' old targets remain (err %v)", err)
	}
	for _, table := range []string{"addcol", "renamed2", "newkey", "truncated"} {
		compareTable(t, my, pc, db, table)
	}
}

// checkStatusWhileCopying polls syncer status -o json until it shows the
// copy under way, and checks what it shows.
func checkStatusWhileCopying(t *testing.T, r *syncerRun, path, pipeline string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		out, code := syncerCmd(t, "status", "-o", "json", path)
		if code != 0 {
			t.Fatalf("syncer status -o json: exit %d\n%s", code, out)
		}
		var entries []struct {
			Pipeline string
			Running  bool
			Status   *struct {
				State    string
				Snapshot *struct {
					Active    bool
					Rows      int64
					Estimated int64
					Tables    []struct {
						Table     string
						State     string
						Rows      int64
						Estimated int64
					}
				}
			}
		}
		if err := json.Unmarshal([]byte(out), &entries); err != nil {
			t.Fatalf("syncer status -o json: %v\n%s", err, out)
		}
		if len(entries) == 1 && entries[0].Status != nil && entries[0].Status.Snapshot != nil && entries[0].Status.Snapshot.Rows > 0 && entries[0].Status.Snapshot.Active {
			e := entries[0]
			if !e.Running || e.Status.State != "snapshotting" || e.Status.Snapshot.Estimated < e.Status.Snapshot.Rows || len(e.Status.Snapshot.Tables) == 0 {
				t.Errorf("status while copying: %s", out)
			}
			text, _ := syncerCmd(t, "status", path)
			if !strings.Contains(text, "snapshot in progress") || !strings.Contains(text, "rows/s") {
				t.Errorf("syncer status while copying:\n%s", text)
			}
			return
		}
		if r.exited() || time.Now().After(deadline) {
			t.Fatalf("syncer status never showed the copy under way; last:\n%s\n%s", out, r.errb.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
