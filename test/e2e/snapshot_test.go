package e2e

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
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
