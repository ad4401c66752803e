package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seed5aa6e046/syncer/test/harness/benchrun"
)

// floorRun is one run of the floor: the dump and the load of the same rows.
type floorRun struct {
	dump, copy time.Duration
	fileBytes  int64
	// CPU time of MariaDB over the dump and of PostgreSQL over the copy.
	mariadbCPU, pgCPU time.Duration
	// differs counts the rows of the floor's table that differ from
	// syncer's target; -1: not compared.
	differs int64
}

func (f floorRun) total() time.Duration { return f.dump + f.copy }

// dumpSelect is the dump: every column as it is, except the BLOB, written
// as '\x' + hex so that Postgres reads it as bytea (the only conversion;
// the server does it while it writes the file, inside the dump's time).
// SELECT ... INTO OUTFILE's default format is Postgres' COPY text format:
// tab-separated, one row a line, \N for NULL, backslash escapes for tab,
// newline and backslash.
const dumpSelect = `SELECT id, qty, big, price, score, code, title, body, created_at, day, status, flag, note,
	CONCAT('\\x', HEX(payload)) INTO OUTFILE %s FROM bench.snap`

// floorOnce dumps bench.snap with SELECT ... INTO OUTFILE into dir and
// loads the file into a fresh copy of the target table (CREATE TABLE ...
// (LIKE bench.snap INCLUDING ALL): the sink's own column types and primary
// key) with COPY ... FROM STDIN in one transaction. With compare, the
// loaded table is then compared with syncer's target (not timed).
func floorOnce(ctx context.Context, run int, dir string, env *benchrun.Env, rows int, compare bool, out io.Writer) (floorRun, error) {
	src, tgt := env.Source, env.Target
	fr := floorRun{differs: -1}
	fmt.Fprintf(out, "\n== floor, run %d: SELECT ... INTO OUTFILE of bench.snap, then COPY bench_floor.snap FROM STDIN (text format) of that file\n", run)
	file := filepath.Join(dir, "snap.tsv")
	_ = os.Remove(file)
	defer os.Remove(file)
	if err := env.ExecTarget(ctx,
		"DROP SCHEMA IF EXISTS bench_floor CASCADE",
		"CREATE SCHEMA bench_floor",
		"CREATE TABLE bench_floor.snap (LIKE bench.snap INCLUDING ALL)",
	); err != nil {
		return fr, err
	}
	if err := settle(ctx, src, tgt, out); err != nil {
		return fr, err
	}
	myConn, err := src.Conn(ctx)
	if err != nil {
		return fr, err
	}
	defer myConn.Close()

	// 1. The dump.
	myBefore := env.MariaDBCPU()
	t := time.Now()
	r, err := myConn.ExecContext(ctx, fmt.Sprintf(dumpSelect, sqlString(file)))
	if err != nil {
		return fr, fmt.Errorf("floor: SELECT ... INTO OUTFILE: %w", err)
	}
	fr.dump = time.Since(t)
	fr.mariadbCPU = env.MariaDBCPU().Since(myBefore)
	if n, _ := r.RowsAffected(); n != int64(rows) {
		return fr, fmt.Errorf("floor: the dump wrote %d rows, want %d", n, rows)
	}
	st, err := os.Stat(file)
	if err != nil {
		return fr, fmt.Errorf("floor: the dump's file: %w", err)
	}
	fr.fileBytes = st.Size()

	// 2. The load, from BEGIN to COMMIT.
	f, err := os.Open(file)
	if err != nil {
		return fr, fmt.Errorf("floor: %w", err)
	}
	pgBefore := env.PostgresCPU()
	t = time.Now()
	n, err := copyFile(ctx, tgt, f)
	fr.copy = time.Since(t)
	fr.pgCPU = env.PostgresCPU().Since(pgBefore)
	f.Close()
	if err != nil {
		return fr, fmt.Errorf("floor: COPY: %w", err)
	}
	if n != int64(rows) {
		return fr, fmt.Errorf("floor: COPY loaded %d rows, want %d", n, rows)
	}
	fmt.Fprintf(out, "   dump %s (%.1f MB file; MariaDB CPU %s), copy %s (PostgreSQL CPU %s): %s rows in %s: %s rows/s\n",
		benchrun.Round(fr.dump), float64(fr.fileBytes)/1e6, benchrun.Round(fr.mariadbCPU), benchrun.Round(fr.copy), benchrun.Round(fr.pgCPU),
		benchrun.Grouped(n), benchrun.Round(fr.total()), benchrun.Grouped(int64(float64(n)/fr.total().Seconds())))

	// The floor loaded the same rows as syncer (a difference is reported;
	// it is not syncer's).
	if compare {
		err = tgt.QueryRow(ctx, `SELECT count(*) FROM bench_floor.snap f FULL JOIN bench.snap t ON f.id = t.id
			WHERE f.id IS NULL OR t.id IS NULL OR ROW(f.*) IS DISTINCT FROM ROW(t.*)`).Scan(&fr.differs)
		if err != nil {
			return fr, fmt.Errorf("floor: compare the floor's table with the target: %w", err)
		}
		if fr.differs == 0 {
			fmt.Fprintf(out, "   the floor's table equals syncer's target, row for row\n")
		} else {
			fmt.Fprintf(out, "   WARNING: %s rows of the floor's table differ from syncer's target\n", benchrun.Grouped(fr.differs))
		}
	}
	if _, err := tgt.Exec(ctx, "DROP SCHEMA bench_floor CASCADE"); err != nil {
		return fr, err
	}
	return fr, nil
}

// copyFile runs COPY bench_floor.snap FROM STDIN with the file's contents,
// in one transaction.
func copyFile(ctx context.Context, tgt *pgx.Conn, f io.Reader) (int64, error) {
	tx, err := tgt.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.Background())
	q := "COPY bench_floor.snap (" + snapColumns + ") FROM STDIN"
	tag, err := tx.Conn().PgConn().CopyFrom(ctx, f, q)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}
