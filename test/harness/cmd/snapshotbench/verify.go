package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/seed5aa6e046/syncer/test/harness/benchrun"
)

// row is one row of bench.snap as canonical text, the same for both sides
// exactly when the values are equal: integers and decimals in decimal,
// the double by its shortest exact text, strings quoted, DATETIME(6) and
// DATE as wall clock text, the BLOB in upper-case hex, NULL unquoted.
type row struct {
	id   int64
	line []byte
}

// canonLine renders a row's values (in snapColumns order).
func canonLine(b []byte, id, qty int64, big, price string, score float64, code, title, body, created, day, status string,
	flag int64, note *string, payloadHex string) []byte {
	b = strconv.AppendInt(b, id, 10)
	b = append(b, '|')
	b = strconv.AppendInt(b, qty, 10)
	b = append(b, '|')
	b = append(b, big...)
	b = append(b, '|')
	b = append(b, price...)
	b = append(b, '|')
	b = strconv.AppendFloat(b, score, 'g', -1, 64)
	for _, s := range []string{code, title, body} {
		b = append(b, '|')
		b = strconv.AppendQuote(b, s)
	}
	b = append(b, '|')
	b = append(b, created...)
	b = append(b, '|')
	b = append(b, day...)
	b = append(b, '|')
	b = append(b, status...)
	b = append(b, '|')
	b = strconv.AppendInt(b, flag, 10)
	b = append(b, '|')
	if note == nil {
		b = append(b, "NULL"...)
	} else {
		b = strconv.AppendQuote(b, *note)
	}
	b = append(b, '|')
	b = append(b, payloadHex...)
	return append(b, '\n')
}

// The same canonical text asked of each server. The source query has a
// parameter so that go-sql-driver prepares it and reads the binary
// protocol (the DOUBLE as its 8 bytes, not as text).
const (
	sourceRange = `SELECT id, qty, CAST(big AS CHAR), CAST(price AS CHAR), score, code, title, body,
		DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f'), DATE_FORMAT(day, '%Y-%m-%d'), CAST(status AS CHAR), flag, note, HEX(payload)
		FROM bench.snap WHERE id BETWEEN ? AND ? ORDER BY id`
	targetRange = `SELECT id, qty, big::text, price::text, score, code, title, body,
		to_char(created_at, 'YYYY-MM-DD HH24:MI:SS.US'), to_char(day, 'YYYY-MM-DD'), status::text, flag::int8, note, upper(encode(payload, 'hex'))
		FROM bench.snap WHERE id BETWEEN $1 AND $2 ORDER BY id`
)

// scanRow reads one row of sourceRange or targetRange: the same columns
// into the same Go types on both sides (a NULL note as nil).
func scanRow(rs rowScanner) (row, error) {
	var id, qty, flag int64
	var big, price, code, title, body, created, day, status, payload string
	var score float64
	var note *string
	if err := rs.Scan(&id, &qty, &big, &price, &score, &code, &title, &body, &created, &day, &status, &flag, &note, &payload); err != nil {
		return row{}, err
	}
	return row{id: id, line: canonLine(nil, id, qty, big, price, score, code, title, body, created, day, status, flag, note, payload)}, nil
}

// rowScanner is what readRows needs of database/sql's and pgx's rows.
type rowScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// readRows reads a range query's rows; side names it in an error.
func readRows(rs rowScanner, side string) ([]row, error) {
	var out []row
	for rs.Next() {
		r, err := scanRow(rs)
		if err != nil {
			return nil, fmt.Errorf("read the %s: %w", side, err)
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

func readSourceRange(ctx context.Context, db *sql.DB, lo, hi int64) ([]row, error) {
	rs, err := db.QueryContext(ctx, sourceRange, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("read the source: %w", err)
	}
	defer rs.Close()
	return readRows(rs, "source")
}

func readTargetRange(ctx context.Context, tgt *pgx.Conn, lo, hi int64) ([]row, error) {
	rs, err := tgt.Query(ctx, targetRange, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("read the target bench.snap: %w", err)
	}
	defer rs.Close()
	return readRows(rs, "target")
}

// verifyTarget compares bench.snap in Postgres with bench.snap in MariaDB,
// every row and every column, id range by id range (both sides read at
// once), and fails with the first differences.
func verifyTarget(ctx context.Context, src *sql.DB, tgt *pgx.Conn, out io.Writer) (benchrun.RowSum, error) {
	var srcMin, srcMax, tgtMin, tgtMax int64
	if err := src.QueryRowContext(ctx, "SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM bench.snap").Scan(&srcMin, &srcMax); err != nil {
		return benchrun.RowSum{}, err
	}
	if err := tgt.QueryRow(ctx, "SELECT COALESCE(min(id), 0), COALESCE(max(id), 0) FROM bench.snap").Scan(&tgtMin, &tgtMax); err != nil {
		return benchrun.RowSum{}, fmt.Errorf("the target bench.snap: %w", err)
	}
	lo, hi := min(srcMin, tgtMin), max(srcMax, tgtMax)
	srcSum, tgtSum := benchrun.NewRowSummer(), benchrun.NewRowSummer()
	var diffs []string
	var ndiff int64
	const maxDiffs = 10
	diff := func(format string, args ...any) {
		ndiff++
		if len(diffs) < maxDiffs {
			diffs = append(diffs, fmt.Sprintf(format, args...))
		}
	}
	const step = 100_000
	type result struct {
		rows []row
		err  error
	}
	for from := lo; from <= hi; from += step {
		to := min(from+step-1, hi)
		ch := make(chan result, 1)
		go func() {
			r, err := readSourceRange(ctx, src, from, to)
			ch <- result{r, err}
		}()
		t, terr := readTargetRange(ctx, tgt, from, to)
		sr := <-ch
		if sr.err != nil {
			return benchrun.RowSum{}, sr.err
		}
		if terr != nil {
			return benchrun.RowSum{}, terr
		}
		s := sr.rows
		i, j := 0, 0
		for i < len(s) || j < len(t) {
			switch {
			case j == len(t) || (i < len(s) && s[i].id < t[j].id):
				diff("id %d: missing from the target", s[i].id)
				srcSum.Add(s[i].id, s[i].line)
				i++
			case i == len(s) || t[j].id < s[i].id:
				diff("id %d: in the target, not in the source", t[j].id)
				tgtSum.Add(t[j].id, t[j].line)
				j++
			default:
				if !bytes.Equal(s[i].line, t[j].line) {
					diff("id %d differs:\n      source %s\n      target %s", s[i].id,
						bytes.TrimRight(s[i].line, "\n"), bytes.TrimRight(t[j].line, "\n"))
				}
				srcSum.Add(s[i].id, s[i].line)
				tgtSum.Add(t[j].id, t[j].line)
				i, j = i+1, j+1
			}
		}
	}
	want, got := srcSum.Sum(), tgtSum.Sum()
	fmt.Fprintf(out, "   source %s\n   target %s\n", want, got)
	if got != want || len(diffs) > 0 {
		return want, fmt.Errorf("THE TARGET DIFFERS FROM THE SOURCE: %s differences (rows missing, extra or different); the first:\n    %s",
			benchrun.Grouped(ndiff), strings.Join(diffs, "\n    "))
	}
	fmt.Fprintf(out, "   equal\n")
	return want, nil
}
