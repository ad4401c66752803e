package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
	"github.com/seed5aa6e046/syncer/test/harness/benchrun"
)

// binlogPos is a position in the source's binary log.
type binlogPos struct {
	File string
	Pos  int64
}

func (p binlogPos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Pos) }

// reached reports whether p is at or after q.
func (p binlogPos) reached(q binlogPos) bool { return !p.core().Less(q.core()) }

func (p binlogPos) core() core.Position { return core.Position{File: p.File, Pos: uint64(p.Pos)} }

func masterStatus(ctx context.Context, db *sql.DB) (binlogPos, error) {
	st, err := replication.CurrentBinlogStatus(ctx, db)
	if err != nil {
		return binlogPos{}, err
	}
	return binlogPos{File: st.File, Pos: int64(st.Pos)}, nil
}

// binlogBytes is the number of binlog bytes between two positions.
func binlogBytes(ctx context.Context, db *sql.DB, from, to binlogPos) (int64, error) {
	if from.File == to.File {
		return to.Pos - from.Pos, nil
	}
	rows, err := db.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		var name string
		var size int64
		if err := rows.Scan(&name, &size); err != nil {
			return 0, err
		}
		switch {
		case name == from.File:
			n += size - from.Pos
		case name == to.File:
			n += to.Pos
		case name > from.File && name < to.File:
			n += size
		}
	}
	return n, rows.Err()
}

// The workload's table: 13 columns of the common types.
const createItems = `CREATE TABLE bench.items (
	id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	qty INT NOT NULL,
	big BIGINT UNSIGNED NOT NULL,
	price DECIMAL(12,2) NOT NULL,
	score DOUBLE NOT NULL,
	code VARCHAR(64) NOT NULL,
	title VARCHAR(255) NOT NULL,
	body TEXT NOT NULL,
	created_at DATETIME(6) NOT NULL,
	updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	status ENUM('new','active','shipped','archived') NOT NULL,
	flag TINYINT(1) NOT NULL,
	attrs JSON NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`

const insertItems = "INSERT INTO bench.items (qty, big, price, score, code, title, body, created_at, updated_at, status, flag, attrs) VALUES "

type workload struct {
	o   options
	env *benchrun.Env
	out io.Writer
	rnd *rand.Rand
}

// Characters of the generated strings: ASCII, Latin-1 and CJK (1 to 3 bytes
// in UTF-8), nothing that needs escaping in an SQL literal.
var alphabet = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789     -_.,:;éüßøñ漢字検索")

func (w *workload) str(minLen, maxLen int) string {
	n := minLen + w.rnd.IntN(maxLen-minLen+1)
	var b strings.Builder
	for range n {
		b.WriteRune(alphabet[w.rnd.IntN(len(alphabet))])
	}
	return b.String()
}

// textOf returns about n bytes of text.
func (w *workload) textOf(n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteRune(alphabet[w.rnd.IntN(len(alphabet))])
	}
	return b.String()
}

var (
	epoch2001 = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	statuses  = []string{"new", "active", "shipped", "archived"}
)

const tsLayout = "2006-01-02 15:04:05.000000"

// appendRow appends one row's VALUES tuple.
func (w *workload) appendRow(b *strings.Builder) {
	r := w.rnd
	cents := r.Int64N(18_000_000_000) - 9_000_000_000 // |price| < 90,000,000.00; updates add 1.00 each
	fmt.Fprintf(b, "(%d,%d,'%s',%s,'%s','%s','%s','%s','%s','%s',%d,'{\"n\": %d, \"tag\": \"%s\", \"ok\": %t}')",
		int32(r.Uint32()),
		r.Uint64(),
		centsString(cents),
		strconv.FormatFloat(float64(r.Int64N(2_000_000_000_000)-1_000_000_000_000)/1000, 'g', -1, 64),
		w.str(8, 20),
		w.str(20, 120),
		w.textOf(200),
		epoch2001.Add(time.Duration(r.Int64N(int64(25*365*24*time.Hour/time.Microsecond)))*time.Microsecond).Format(tsLayout),
		epoch2001.Add(time.Duration(r.Int64N(int64(25*365*24*time.Hour/time.Microsecond)))*time.Microsecond).Format(tsLayout),
		statuses[r.IntN(len(statuses))],
		r.IntN(2),
		r.IntN(1_000_000), w.str(3, 10), r.IntN(2) == 0,
	)
}

// centsString formats an amount in cents as a decimal, e.g. -1234 as -12.34.
func centsString(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// run creates bench.items, notes the binlog position, runs the inserts,
// updates and deletes, and notes the position again.
func (w *workload) run(ctx context.Context, res *results) (start, end binlogPos, err error) {
	w.rnd = rand.New(rand.NewPCG(w.o.seed, 0x5eed))
	if err := w.env.ExecSource(ctx, "CREATE DATABASE bench", createItems); err != nil {
		return start, end, err
	}
	if start, err = masterStatus(ctx, w.env.Source); err != nil {
		return start, end, err
	}
	fmt.Fprintf(w.out, "\n== workload, syncer not running: binlog at %s before it\n", start)
	conn, err := w.env.Source.Conn(ctx)
	if err != nil {
		return start, end, err
	}
	defer conn.Close()
	t0 := time.Now()

	// Inserts.
	tx := w.o.txRows
	var b strings.Builder
	for done := 0; done < w.o.rows; {
		n := min(tx, w.o.rows-done)
		b.Reset()
		b.WriteString(insertItems)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			w.appendRow(&b)
		}
		r, err := conn.ExecContext(ctx, b.String())
		if err != nil {
			return start, end, fmt.Errorf("insert rows %d..%d: %w", done+1, done+n, err)
		}
		k, _ := r.RowsAffected()
		res.inserts += k
		done += n
	}
	var maxID, count int64
	if err := conn.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0), COUNT(*) FROM bench.items").Scan(&maxID, &count); err != nil {
		return start, end, err
	}
	if count != int64(w.o.rows) || maxID != count {
		return start, end, fmt.Errorf("after the inserts: %d rows, max(id) %d; want ids 1..%d", count, maxID, w.o.rows)
	}
	fmt.Fprintf(w.out, "   %s inserts in %s\n", benchrun.Grouped(res.inserts), benchrun.Round(time.Since(t0)))

	// Updates and deletes: ranges of tx ids spread evenly over the table,
	// the deletes offset by half a stride so that they take both updated
	// and untouched rows.
	t1 := time.Now()
	ranges := func(total, offset int, f func(lo, hi int) (int64, error)) (int64, error) {
		if total == 0 {
			return 0, nil
		}
		nTx := (total + tx - 1) / tx
		stride := w.o.rows / nTx
		var sum int64
		for k := range nTx {
			size := min(tx, total-k*tx)
			lo := 1 + k*stride + offset
			if lo+size-1 > w.o.rows {
				lo = w.o.rows - size + 1
			}
			n, err := f(lo, lo+size-1)
			if err != nil {
				return sum, err
			}
			sum += n
		}
		return sum, nil
	}
	exec := func(q string, lo, hi int) (int64, error) {
		r, err := conn.ExecContext(ctx, q, lo, hi)
		if err != nil {
			return 0, fmt.Errorf("%s [%d, %d]: %w", q, lo, hi, err)
		}
		return r.RowsAffected()
	}
	const update = `UPDATE bench.items SET qty = qty + 1, price = price + 1.00, score = -score,
		title = CONCAT('u ', LEFT(title, 200)), updated_at = updated_at + INTERVAL 1 SECOND,
		status = 'archived', flag = 1 - flag, attrs = JSON_SET(attrs, '$.u', 1)
		WHERE id BETWEEN ? AND ?`
	if res.updates, err = ranges(w.o.updates, 0, func(lo, hi int) (int64, error) { return exec(update, lo, hi) }); err != nil {
		return start, end, err
	}
	fmt.Fprintf(w.out, "   %s updates in %s\n", benchrun.Grouped(res.updates), benchrun.Round(time.Since(t1)))
	t2 := time.Now()
	delOffset := 0
	if n := (w.o.deletes + tx - 1) / tx; n > 0 {
		delOffset = w.o.rows / n / 2
	}
	const del = "DELETE FROM bench.items WHERE id BETWEEN ? AND ?"
	if res.deletes, err = ranges(w.o.deletes, delOffset, func(lo, hi int) (int64, error) { return exec(del, lo, hi) }); err != nil {
		return start, end, err
	}
	fmt.Fprintf(w.out, "   %s deletes in %s\n", benchrun.Grouped(res.deletes), benchrun.Round(time.Since(t2)))
	res.workload = time.Since(t0)
	if res.updates != int64(w.o.updates) || res.deletes != int64(w.o.deletes) {
		return start, end, fmt.Errorf("the workload changed %d rows by update and %d by delete; want %d and %d",
			res.updates, res.deletes, w.o.updates, w.o.deletes)
	}

	if end, err = masterStatus(ctx, w.env.Source); err != nil {
		return start, end, err
	}
	if res.binlogBytes, err = binlogBytes(ctx, w.env.Source, start, end); err != nil {
		return start, end, err
	}
	fmt.Fprintf(w.out, "   binlog at %s after it: %.1f MB of binlog (row events and their annotations)\n", end, float64(res.binlogBytes)/1e6)
	return start, end, nil
}
