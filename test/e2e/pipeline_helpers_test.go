package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
	"github.com/seed5aa6e046/syncer/test/harness"
)

// pgOnce starts the package's Postgres on first use; TestMain stops it.
var pgOnce struct {
	sync.Once
	pg   *harness.Postgres
	skip string
}

// sharedPG returns the package's Postgres, skipping t (outside CI only)
// when the server binaries are not installed.
func sharedPG(t *testing.T) *harness.Postgres {
	t.Helper()
	pgOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		pg, err := harness.StartPostgres(ctx, harness.PostgresOptions{})
		if err != nil {
			if skip, msg := harness.CheckStartError(err); skip {
				pgOnce.skip = msg
				return
			}
			pgOnce.skip = "FAIL: " + err.Error()
			return
		}
		pgOnce.pg = pg
	})
	if pgOnce.pg == nil {
		if strings.HasPrefix(pgOnce.skip, "FAIL: ") {
			t.Fatal(pgOnce.skip)
		}
		t.Skip(pgOnce.skip)
	}
	return pgOnce.pg
}

func closeSharedPG() {
	if pgOnce.pg != nil {
		if err := pgOnce.pg.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: stop Postgres:", err)
		}
	}
}

// pgConn connects to pg for the test's duration, with UTC output.
func pgConn(t *testing.T, pg *harness.Postgres) *pgx.Conn {
	t.Helper()
	c, err := pg.Connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	if _, err := c.Exec(t.Context(), "SET TIME ZONE 'UTC'"); err != nil {
		t.Fatal(err)
	}
	return c
}

// mysqlConn is one session on m with UTC time and utf8mb4, for the test's
// duration.
func mysqlConn(t *testing.T, m *harness.MariaDB) *sql.Conn {
	t.Helper()
	c, err := m.DB().Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for _, q := range []string{"SET time_zone = '+00:00'", "SET NAMES utf8mb4"} {
		if _, err := c.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func mustExec(t *testing.T, c *sql.Conn, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if _, err := c.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", short(q), err)
		}
	}
}

// binlogPos is the source's current binlog position.
func binlogPos(t *testing.T, m *harness.MariaDB) (string, uint64) {
	t.Helper()
	st, err := replication.CurrentBinlogStatus(t.Context(), m.DB())
	if err != nil {
		t.Fatal(err)
	}
	return st.File, st.Pos
}

// pipelineSpec is what a test's YAML file says.
type pipelineSpec struct {
	name     string
	source   string // DSN
	target   string // DSN
	include  []string
	startAt  [2]string // file, pos
	policies string    // YAML lines under policies:, indented by 6
	sinkOpts string    // YAML lines under sink:, indented by 6
	batch    string    // YAML lines under batch:, indented by 6
	extra    string    // YAML lines under source:, indented by 6
}

func (s pipelineSpec) yaml(stateDir string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "state_dir: %q\npipelines:\n  - name: %s\n    source:\n      dsn: %q\n", stateDir, s.name, s.source)
	if len(s.include) > 0 {
		q := make([]string, len(s.include))
		for i, x := range s.include {
			q[i] = strconv.Quote(x)
		}
		fmt.Fprintf(&b, "      include: [%s]\n", strings.Join(q, ", "))
	}
	if s.startAt[0] != "" {
		fmt.Fprintf(&b, "      start: {file: %s, pos: %s}\n", s.startAt[0], s.startAt[1])
	}
	b.WriteString(s.extra)
	fmt.Fprintf(&b, "    sink:\n      type: postgres\n      dsn: %q\n", s.target)
	b.WriteString(s.sinkOpts)
	if s.batch != "" {
		b.WriteString("    batch:\n" + s.batch)
	}
	if s.policies != "" {
		b.WriteString("    policies:\n" + s.policies)
	}
	b.WriteString("    retry:\n      initial_backoff: 200ms\n      max_backoff: 1s\n")
	return b.String()
}

// syncerRun is a `syncer run` process.
type syncerRun struct {
	t    *testing.T
	cmd  *exec.Cmd
	errb *lockedBuffer
	done chan struct{}
	err  error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// writePipeline writes the spec's file into dir and returns its path.
func writePipeline(t *testing.T, dir string, s pipelineSpec) string {
	t.Helper()
	path := filepath.Join(dir, s.name+".yaml")
	if err := os.WriteFile(path, []byte(s.yaml(filepath.Join(dir, "state"))), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startSyncer starts `syncer run path`; the test's cleanup kills it if it
// is still running.
func startSyncer(t *testing.T, path string) *syncerRun {
	t.Helper()
	r := &syncerRun{t: t, errb: &lockedBuffer{}, done: make(chan struct{})}
	r.cmd = exec.Command(shared.syncer, "run", path)
	r.cmd.Stdout, r.cmd.Stderr = r.errb, r.errb
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.err = r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			r.cmd.Process.Kill()
			<-r.done
		}
	})
	return r
}

func (r *syncerRun) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and expects exit status 0 within 30s.
func (r *syncerRun) stop() {
	r.t.Helper()
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		r.cmd.Process.Kill()
		<-r.done
		r.t.Fatalf("syncer run did not stop within 30s of SIGTERM\n%s", r.errb.String())
	}
	if r.err != nil {
		r.t.Fatalf("syncer run after SIGTERM: %v\n%s", r.err, r.errb.String())
	}
}

// kill sends SIGKILL and waits.
func (r *syncerRun) kill() {
	r.cmd.Process.Kill()
	<-r.done
}

// wait waits for the process to exit by itself and returns its exit code.
func (r *syncerRun) wait(timeout time.Duration) int {
	r.t.Helper()
	select {
	case <-r.done:
	case <-time.After(timeout):
		r.cmd.Process.Kill()
		<-r.done
		r.t.Fatalf("syncer run still running after %s\n%s", timeout, r.errb.String())
	}
	if r.err == nil {
		return 0
	}
	if ee, ok := r.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	r.t.Fatal(r.err)
	return -1
}

// waitCaughtUp waits until the pipeline's checkpoint reaches the source's
// current position, failing when r exits or timeout passes.
func waitCaughtUp(t *testing.T, m *harness.MariaDB, pg *harness.Postgres, r *syncerRun, pipeline string, timeout time.Duration) {
	t.Helper()
	file, pos := binlogPos(t, m)
	want := core.Position{File: file, Pos: pos}
	c, err := pg.Connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	deadline := time.Now().Add(timeout)
	for {
		got, ok, err := harness.SinkCheckpoint(t.Context(), c, pipeline)
		if err == nil && ok && !got.Less(want) {
			done, err := harness.CopyDone(got)
			if err != nil {
				t.Fatal(err)
			}
			if done {
				return
			}
		}
		gf, gp := got.File, got.Pos
		if r != nil && r.exited() {
			t.Fatalf("syncer exited (%v) before catching up to %s:%d (checkpoint %s:%d)\n%s", r.err, file, pos, gf, gp, r.errb.String())
		}
		if time.Now().After(deadline) {
			msg := ""
			if r != nil {
				msg = r.errb.String()
			}
			t.Fatalf("pipeline %s did not reach %s:%d within %s (checkpoint %s:%d, err %v)\n%s", pipeline, file, pos, timeout, gf, gp, err, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// colExpr renders one column canonically on both sides.
type colExpr struct {
	name   string
	my, pg string // SELECT expressions returning text (or NULL)
	cmp    string // "text", "float" or "json"
}

// canonicalColumns derives the comparison expressions from the source
// table's columns (information_schema), so a table altered mid-test is
// compared as it is now.
func canonicalColumns(t *testing.T, my *sql.Conn, db, table string) []colExpr {
	t.Helper()
	jsonCols := jsonValidColumns(t, my, db, table)
	rows, err := my.QueryContext(t.Context(), `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, COALESCE(NUMERIC_PRECISION, 0)
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, db, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []colExpr
	for rows.Next() {
		var name, dt, ct string
		var prec int
		if err := rows.Scan(&name, &dt, &ct, &prec); err != nil {
			t.Fatal(err)
		}
		m := "`" + name + "`"
		p := `"` + name + `"`
		c := colExpr{name: name, my: "CAST(" + m + " AS CHAR)", pg: p + "::text", cmp: "text"}
		switch dt {
		case "float", "double":
			c.my, c.pg, c.cmp = "CAST(CAST("+m+" AS DOUBLE) AS CHAR)", p+"::float8::text", "float"
		case "bit":
			c.my = "LPAD(BIN(" + m + "), " + strconv.Itoa(prec) + ", '0')"
		case "year":
			c.my = "CAST(" + m + "+0 AS CHAR)"
		case "date":
			c.my, c.pg = "DATE_FORMAT("+m+", '%Y-%m-%d')", "to_char("+p+", 'YYYY-MM-DD')"
		case "datetime":
			c.my, c.pg = "DATE_FORMAT("+m+", '%Y-%m-%d %H:%i:%s.%f')", "to_char("+p+", 'YYYY-MM-DD HH24:MI:SS.US')"
		case "timestamp":
			c.my, c.pg = "DATE_FORMAT("+m+", '%Y-%m-%d %H:%i:%s.%f')", "to_char("+p+" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
		case "time":
			c.my = "CAST(CAST(TIME_TO_SEC(" + m + ")*1000000 AS SIGNED) AS CHAR)"
			c.pg = "(extract(epoch from " + p + ")*1000000)::bigint::text"
		case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "geometry", "point", "linestring", "polygon":
			c.my, c.pg = "HEX("+m+")", "upper(encode("+p+", 'hex'))"
		case "set":
			c.pg = "array_to_string(" + p + ", ',')"
		case "json":
			c.cmp = "json"
		case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
			// MariaDB's JSON is LONGTEXT with CHECK (json_valid(col)):
			// a jsonb column on the target, compared as JSON.
			if jsonCols[strings.ToLower(name)] {
				c.cmp = "json"
			}
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// tableRows reads every row of a table as canonical strings, sorted (so
// that keyless tables compare as multisets).
func mysqlRows(t *testing.T, my *sql.Conn, db, table string, cols []colExpr) [][]sql.NullString {
	t.Helper()
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = c.my
	}
	rows, err := my.QueryContext(t.Context(), fmt.Sprintf("SELECT %s FROM `%s`.`%s`", strings.Join(exprs, ", "), db, table))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]sql.NullString
	for rows.Next() {
		row := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func postgresRows(t *testing.T, pg *pgx.Conn, schema, table string, cols []colExpr) [][]sql.NullString {
	t.Helper()
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = c.pg
	}
	rows, err := pg.Query(t.Context(), fmt.Sprintf(`SELECT %s FROM %q.%q`, strings.Join(exprs, ", "), schema, table))
	if err != nil {
		t.Fatalf("read target %s.%s: %v", schema, table, err)
	}
	defer rows.Close()
	var out [][]sql.NullString
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		row := make([]sql.NullString, len(cols))
		for i, v := range vals {
			if v != nil {
				row[i] = sql.NullString{String: v.(string), Valid: true}
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// jsonValidColumns returns the (lower-cased) columns of db.table that a
// CHECK (json_valid(col)) covers: MariaDB's JSON columns.
func jsonValidColumns(t *testing.T, my *sql.Conn, db, table string) map[string]bool {
	t.Helper()
	rows, err := my.QueryContext(t.Context(), `SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
		WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`, db, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var clause string
		if err := rows.Scan(&clause); err != nil {
			t.Fatal(err)
		}
		if n, ok := strings.CutPrefix(clause, "json_valid(`"); ok {
			if n, ok = strings.CutSuffix(n, "`)"); ok {
				out[strings.ToLower(strings.ReplaceAll(n, "``", "`"))] = true
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// normalize brings a canonical value to its comparable form.
func normalize(c colExpr, v sql.NullString) string {
	if !v.Valid {
		return "NULL"
	}
	switch c.cmp {
	case "float":
		f, err := strconv.ParseFloat(v.String, 64)
		if err != nil {
			return "bad float " + v.String
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	case "json":
		var x any
		if err := json.Unmarshal([]byte(v.String), &x); err != nil {
			return "bad json " + v.String
		}
		b, _ := json.Marshal(x)
		return string(b)
	}
	return v.String
}

func rowKeys(cols []colExpr, rows [][]sql.NullString) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		parts := make([]string, len(r))
		for j, v := range r {
			parts[j] = normalize(cols[j], v)
		}
		b, _ := json.Marshal(parts)
		out[i] = string(b)
	}
	sort.Strings(out)
	return out
}

// compareTable fails t unless the target table holds exactly the source
// table's rows, value for value (as multisets: keyless tables may hold
// duplicates, which must match too). It returns the row count.
func compareTable(t *testing.T, my *sql.Conn, pg *pgx.Conn, db, table string) int {
	t.Helper()
	cols := canonicalColumns(t, my, db, table)
	if len(cols) == 0 {
		t.Fatalf("source table %s.%s has no columns", db, table)
	}
	src := rowKeys(cols, mysqlRows(t, my, db, table, cols))
	dst := rowKeys(cols, postgresRows(t, pg, db, table, cols))
	if reflect.DeepEqual(src, dst) {
		return len(src)
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	onlySrc, onlyDst := diffSorted(src, dst)
	t.Errorf("%s.%s: target differs from source (%d source rows, %d target rows)\ncolumns: %s\nonly in source (%d):\n  %s\nonly in target (%d):\n  %s",
		db, table, len(src), len(dst), strings.Join(names, ","), len(onlySrc), strings.Join(first(onlySrc, 5), "\n  "),
		len(onlyDst), strings.Join(first(onlyDst, 5), "\n  "))
	return len(src)
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// diffSorted returns the elements of sorted multisets a and b that the
// other lacks.
func diffSorted(a, b []string) (onlyA, onlyB []string) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || (i < len(a) && a[i] < b[j]):
			onlyA = append(onlyA, a[i])
			i++
		case i >= len(a) || a[i] > b[j]:
			onlyB = append(onlyB, b[j])
			j++
		default:
			i++
			j++
		}
	}
	return onlyA, onlyB
}
