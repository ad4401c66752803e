package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/seed5aa6e046/syncer/test/harness/benchrun"
)

// item is one row of bench.items, normalized so that the source's and the
// target's renderings compare equal exactly when the values are equal.
type item struct {
	ID      int64
	Qty     int32
	Big     uint64
	Cents   int64 // price × 100
	Score   float64
	Code    string
	Title   string
	Body    string
	Created time.Time // DATETIME(6): wall clock, in UTC
	Updated time.Time // TIMESTAMP(6): an instant, in UTC
	Status  string
	Flag    int16
	Attrs   string // canonical JSON (sorted keys, no spaces); "" for NULL
	HasAttr bool
}

// appendLine appends the row's canonical text, one line.
func (it *item) appendLine(b []byte) []byte {
	b = strconv.AppendInt(b, it.ID, 10)
	b = append(b, '|')
	b = strconv.AppendInt(b, int64(it.Qty), 10)
	b = append(b, '|')
	b = strconv.AppendUint(b, it.Big, 10)
	b = append(b, '|')
	b = append(b, centsString(it.Cents)...)
	b = append(b, '|')
	b = strconv.AppendFloat(b, it.Score, 'g', -1, 64)
	for _, s := range []string{it.Code, it.Title, it.Body} {
		b = append(b, '|')
		b = strconv.AppendQuote(b, s)
	}
	b = append(b, '|')
	b = it.Created.UTC().AppendFormat(b, tsLayout)
	b = append(b, '|')
	b = it.Updated.UTC().AppendFormat(b, tsLayout)
	b = append(b, '|')
	b = append(b, it.Status...)
	b = append(b, '|')
	b = strconv.AppendInt(b, int64(it.Flag), 10)
	b = append(b, '|')
	if it.HasAttr {
		b = append(b, it.Attrs...)
	} else {
		b = append(b, "NULL"...)
	}
	return append(b, '\n')
}

// canonJSON re-encodes a JSON document with sorted keys and no spaces,
// numbers as written.
func canonJSON(s string) (string, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "", fmt.Errorf("JSON %q: %w", s, err)
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// parseCents parses a DECIMAL(n,2) as written by MariaDB or Postgres.
func parseCents(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "00")[:2]
	c, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("decimal %q: %w", s, err)
	}
	if neg {
		c = -c
	}
	return c, nil
}

const itemColumns = "id, qty, big, price, score, code, title, body, created_at, updated_at, status, flag, attrs"

// readSource reads bench.items from MariaDB in id order.
func readSource(ctx context.Context, db *sql.DB) ([]item, error) {
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM bench.items").Scan(&n); err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, "SELECT "+itemColumns+" FROM bench.items ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := make([]item, 0, n)
	for rows.Next() {
		var it item
		var price string
		var attrs sql.NullString
		if err := rows.Scan(&it.ID, &it.Qty, &it.Big, &price, &it.Score, &it.Code, &it.Title, &it.Body,
			&it.Created, &it.Updated, &it.Status, &it.Flag, &attrs); err != nil {
			return nil, fmt.Errorf("read the source: %w", err)
		}
		if it.Cents, err = parseCents(price); err != nil {
			return nil, fmt.Errorf("source id %d: %w", it.ID, err)
		}
		if attrs.Valid {
			it.HasAttr = true
			if it.Attrs, err = canonJSON(attrs.String); err != nil {
				return nil, fmt.Errorf("source id %d: %w", it.ID, err)
			}
		}
		it.Created, it.Updated = it.Created.UTC(), it.Updated.UTC()
		items = append(items, it)
	}
	return items, rows.Err()
}

// checksum summarizes a side's rows, with the sum of their prices
// besides.
type checksum struct {
	benchrun.RowSum
	sumCents int64
}

func (c checksum) String() string {
	return fmt.Sprintf("%s rows, sum(id) %d, sum(price) %s, md5 %s", benchrun.Grouped(c.Count), c.SumID, centsString(c.sumCents), c.MD5)
}

type summer struct {
	rows     *benchrun.RowSummer
	sumCents int64
	buf      []byte
}

func newSummer() *summer { return &summer{rows: benchrun.NewRowSummer()} }

// add counts the row and returns its canonical text, valid until the next
// add.
func (s *summer) add(it *item) []byte {
	s.sumCents += it.Cents
	s.buf = it.appendLine(s.buf[:0])
	s.rows.Add(it.ID, s.buf)
	return s.buf
}

func (s *summer) sum() checksum { return checksum{RowSum: s.rows.Sum(), sumCents: s.sumCents} }

// verifyTarget streams bench.items from Postgres in id order and compares
// it with the source's rows. Any difference is an error that shows the
// first differing rows.
func verifyTarget(ctx context.Context, tgt *pgx.Conn, items []item, out io.Writer) (checksum, error) {
	srcSum := newSummer()
	for i := range items {
		srcSum.add(&items[i])
	}
	want := srcSum.sum()

	rows, err := tgt.Query(ctx, `SELECT id, qty, big::text, price::text, score, code, title, body,
		created_at, updated_at, status::text, flag::int, attrs::text FROM bench.items ORDER BY id`)
	if err != nil {
		return want, fmt.Errorf("read the target bench.items: %w", err)
	}
	defer rows.Close()
	tgtSum := newSummer()
	var diffs []string
	const maxDiffs = 10
	i := 0
	var line []byte
	for rows.Next() {
		var it item
		var big, price string
		var flag int32
		var attrs *string
		if err := rows.Scan(&it.ID, &it.Qty, &big, &price, &it.Score, &it.Code, &it.Title, &it.Body,
			&it.Created, &it.Updated, &it.Status, &flag, &attrs); err != nil {
			return want, fmt.Errorf("read the target: %w", err)
		}
		if it.Big, err = strconv.ParseUint(big, 10, 64); err != nil {
			return want, fmt.Errorf("target id %d: big %q: %w", it.ID, big, err)
		}
		if it.Cents, err = parseCents(price); err != nil {
			return want, fmt.Errorf("target id %d: %w", it.ID, err)
		}
		it.Flag = int16(flag)
		if attrs != nil {
			it.HasAttr = true
			if it.Attrs, err = canonJSON(*attrs); err != nil {
				return want, fmt.Errorf("target id %d: %w", it.ID, err)
			}
		}
		it.Created, it.Updated = it.Created.UTC(), it.Updated.UTC()
		line = append(line[:0], tgtSum.add(&it)...)
		// Walk the source in step: ids missing from the target, extra
		// ids, different rows.
		for i < len(items) && items[i].ID < it.ID {
			if len(diffs) < maxDiffs {
				diffs = append(diffs, fmt.Sprintf("id %d: missing from the target", items[i].ID))
			}
			i++
		}
		switch {
		case i < len(items) && items[i].ID == it.ID:
			if s := items[i].appendLine(nil); !bytes.Equal(s, line) && len(diffs) < maxDiffs {
				diffs = append(diffs, fmt.Sprintf("id %d differs:\n      source %s\n      target %s",
					it.ID, bytes.TrimRight(s, "\n"), bytes.TrimRight(line, "\n")))
			}
			i++
		default:
			if len(diffs) < maxDiffs {
				diffs = append(diffs, fmt.Sprintf("id %d: in the target, not in the source", it.ID))
			}
		}
	}
	if err := rows.Err(); err != nil {
		return want, fmt.Errorf("read the target: %w", err)
	}
	for ; i < len(items) && len(diffs) < maxDiffs; i++ {
		diffs = append(diffs, fmt.Sprintf("id %d: missing from the target", items[i].ID))
	}
	got := tgtSum.sum()
	fmt.Fprintf(out, "   source %s\n   target %s\n", want, got)
	if got != want || len(diffs) > 0 {
		return want, fmt.Errorf("THE TARGET DIFFERS FROM THE SOURCE (first differences):\n    %s", strings.Join(diffs, "\n    "))
	}
	fmt.Fprintf(out, "   equal\n")
	return want, nil
}

// itemSource feeds items to CopyFrom, each value typed for the target
// column's Postgres type.
type itemSource struct {
	items []item
	i     int
	conv  []func(*item) any
	vals  []any
}

func (s *itemSource) Next() bool { s.i++; return s.i <= len(s.items) }
func (s *itemSource) Err() error { return nil }
func (s *itemSource) Values() ([]any, error) {
	it := &s.items[s.i-1]
	for j, f := range s.conv {
		s.vals[j] = f(it)
	}
	return s.vals, nil
}

// converters maps a column and its Postgres type to a value CopyFrom can
// encode in binary.
func converter(col, pgType string) (func(*item) any, error) {
	isNum := strings.HasPrefix(pgType, "numeric")
	switch col {
	case "id":
		return func(it *item) any { return it.ID }, nil
	case "qty":
		return func(it *item) any { return it.Qty }, nil
	case "big":
		if isNum {
			return func(it *item) any {
				return pgtype.Numeric{Int: new(big.Int).SetUint64(it.Big), Valid: true}
			}, nil
		}
	case "price":
		if isNum {
			return func(it *item) any { return pgtype.Numeric{Int: big.NewInt(it.Cents), Exp: -2, Valid: true} }, nil
		}
	case "score":
		return func(it *item) any { return it.Score }, nil
	case "code":
		return func(it *item) any { return it.Code }, nil
	case "title":
		return func(it *item) any { return it.Title }, nil
	case "body":
		return func(it *item) any { return it.Body }, nil
	case "created_at":
		return func(it *item) any { return it.Created }, nil
	case "updated_at":
		return func(it *item) any { return it.Updated }, nil
	case "status":
		return func(it *item) any { return it.Status }, nil
	case "flag":
		if pgType == "boolean" {
			return func(it *item) any { return it.Flag != 0 }, nil
		}
		return func(it *item) any { return it.Flag }, nil
	case "attrs":
		return func(it *item) any {
			if !it.HasAttr {
				return nil
			}
			return it.Attrs
		}, nil
	default:
		return nil, fmt.Errorf("the target table has a column %s (%s) the benchmark does not know", col, pgType)
	}
	return nil, fmt.Errorf("column %s: unexpected target type %s", col, pgType)
}

// copyFloor copies items into a fresh table like the target's (same types,
// same primary key) with one binary COPY in one transaction, floorRuns
// times, and takes the median time.
func copyFloor(ctx context.Context, env *benchrun.Env, items []item, floorRuns int, res *results, out io.Writer) error {
	tgt := env.Target
	fmt.Fprintf(out, "\n== COPY floor: the same %s rows into a fresh table of the same types (pgx CopyFrom, binary, one transaction)\n",
		benchrun.Grouped(int64(len(items))))
	if err := env.ExecTarget(ctx,
		"DROP SCHEMA IF EXISTS bench_floor CASCADE",
		"CREATE SCHEMA bench_floor",
		"CREATE TABLE bench_floor.items (LIKE bench.items INCLUDING ALL)",
	); err != nil {
		return err
	}
	rows, err := tgt.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
		WHERE a.attrelid = 'bench_floor.items'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`)
	if err != nil {
		return err
	}
	var cols, types []string
	var conv []func(*item) any
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			return err
		}
		f, err := converter(name, typ)
		if err != nil {
			rows.Close()
			return err
		}
		cols, types, conv = append(cols, name), append(types, name+" "+typ), append(conv, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	fmt.Fprintf(out, "   columns: %s\n", strings.Join(types, ", "))

	// Each run into a fresh table; the floor is the median run (the
	// machine's noise moves a single COPY by tens of percent).
	var times []time.Duration
	for run := 1; run <= floorRuns; run++ {
		if run > 1 {
			if err := env.ExecTarget(ctx,
				"DROP TABLE bench_floor.items",
				"CREATE TABLE bench_floor.items (LIKE bench.items INCLUDING ALL)",
				"CHECKPOINT",
			); err != nil {
				return err
			}
		}
		src := &itemSource{items: items, conv: conv, vals: make([]any, len(conv))}
		t := time.Now()
		tx, err := tgt.Begin(ctx)
		if err != nil {
			return err
		}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{"bench_floor", "items"}, cols, src)
		if err != nil {
			_ = tx.Rollback(ctx)
			return fmt.Errorf("COPY floor: %w", err)
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("COPY floor: commit: %w", err)
		}
		d := time.Since(t)
		if n != int64(len(items)) {
			return fmt.Errorf("COPY floor: copied %d rows, want %d", n, len(items))
		}
		times = append(times, d)
		fmt.Fprintf(out, "   run %d: %s rows in %s: %s rows/s\n", run, benchrun.Grouped(n), benchrun.Round(d), benchrun.Grouped(int64(float64(n)/d.Seconds())))
	}
	slices.Sort(times)
	res.floor = times[len(times)/2]
	res.floorRows = len(items)
	res.floorRuns = times
	fmt.Fprintf(out, "   median of %d runs: %s: %s rows/s\n", len(times), benchrun.Round(res.floor), benchrun.Grouped(int64(res.floorRate())))
	if _, err := tgt.Exec(ctx, "DROP SCHEMA bench_floor CASCADE"); err != nil {
		return err
	}
	return nil
}
