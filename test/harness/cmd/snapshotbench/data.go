package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seed5aa6e046/syncer/test/harness"
	"github.com/seed5aa6e046/syncer/test/harness/benchrun"
)

// The benchmark's table: pipelinebench's bench.items shape (the common
// types) with a DATE, a nullable VARCHAR and a small BLOB instead of its
// TIMESTAMP and JSON, and a TEXT of varied length. 14 columns.
const createSnap = `CREATE TABLE bench.snap (
	id BIGINT NOT NULL PRIMARY KEY,
	qty INT NOT NULL,
	big BIGINT UNSIGNED NOT NULL,
	price DECIMAL(12,2) NOT NULL,
	score DOUBLE NOT NULL,
	code VARCHAR(64) NOT NULL,
	title VARCHAR(255) NOT NULL,
	body TEXT NOT NULL,
	created_at DATETIME(6) NOT NULL,
	day DATE NOT NULL,
	status ENUM('new','active','shipped','archived') NOT NULL,
	flag TINYINT(1) NOT NULL,
	note VARCHAR(100) NULL,
	payload BLOB NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`

const snapColumns = "id, qty, big, price, score, code, title, body, created_at, day, status, flag, note, payload"

// The characters of the generated text: ASCII, Latin-1 and CJK (1 to 3
// bytes in UTF-8), quotes, a backslash, tabs and newlines (which both the
// copy and the floor's text format must escape). No carriage return: a
// bare CR in SELECT ... INTO OUTFILE's output is not valid input for
// Postgres' COPY text format, and NUL is not valid in Postgres text.
var alphabet = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789      -_.,:;'\"\\\t\néüßøñ漢字検索")

// baseText is the text the rows' strings are cut from: baseLen characters
// drawn from alphabet with a fixed seed.
const baseLen = 4000

func baseText(seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 0xba5e))
	var b strings.Builder
	for range baseLen {
		b.WriteRune(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// sqlString quotes s as a MariaDB string literal (default sql_mode: the
// backslash escapes).
func sqlString(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `'`, `''`)
	return "'" + s + "'"
}

// selectRows is the SELECT list that makes row seq (1, 2, ...) from the
// base text: every value a function of seq (CRC32 of seq with a salt as
// the pseudo-random source), so a run is reproducible.
func selectRows(base string) string {
	b := sqlString(base)
	h := func(salt string) string { return fmt.Sprintf("CRC32(CONCAT('%s', seq))", salt) }
	return strings.Join([]string{
		"seq",
		"CAST(" + h("q") + " AS SIGNED) - 2147483648",
		h("b") + " * 4294967296 + " + h("B"), // the full BIGINT UNSIGNED range
		"(CAST(" + h("p") + " AS SIGNED) - 2147483648) / 100",
		// Doubles with all 17 digits, negative ones, zero.
		"IF(seq % 1000 = 0, 0e0, (CAST(" + h("s") + " AS SIGNED) - 2147483648) / 7e0 * POW(10, CAST(" + h("S") + " % 30 AS SIGNED) - 15))",
		"CONCAT(ELT(1 + seq % 5, 'AB', 'xy', 'é', '漢', 'q-'), '-', HEX(" + h("c") + "))",
		"SUBSTRING(" + b + ", 1 + " + h("t") + " % 1000, 10 + " + h("T") + " % 110)",
		// Mostly 20-300 characters, one in twenty 1000-2000, one in fifty
		// empty.
		"SUBSTRING(" + b + ", 1 + " + h("x") + " % 1000, IF(seq % 50 = 0, 0, IF(seq % 20 = 3, 1000 + " + h("X") + " % 1001, 20 + " + h("X") + " % 281)))",
		"TIMESTAMP('2001-01-01') + INTERVAL (" + h("d") + " * 183000 + seq % 1000000) MICROSECOND",
		"DATE('1970-01-01') + INTERVAL (" + h("D") + " % 40000) DAY",
		"ELT(1 + " + h("e") + " % 4, 'new', 'active', 'shipped', 'archived')",
		"seq % 2",
		"IF(seq % 3 = 0, NULL, CONCAT('note ', seq, IF(seq % 7 = 0, ' é漢', '')))",
		// 0 to 32 bytes, zero bytes and 0xFF included.
		"LEFT(UNHEX(CONCAT(MD5(seq), MD5(seq + 1))), seq % 33)",
	}, ", ")
}

// generate creates bench.snap and fills it with rows 1..o.rows, o.genBatch
// rows per INSERT ... SELECT from the sequence engine, not written to the
// binlog (sql_log_bin=0: the snapshot reads the table, not its history).
func generate(ctx context.Context, o options, env *benchrun.Env, out io.Writer) (time.Duration, error) {
	if err := env.ExecSource(ctx, "CREATE DATABASE bench", createSnap); err != nil {
		return 0, err
	}
	conn, err := env.Source.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET SESSION sql_log_bin = 0"); err != nil {
		return 0, err
	}
	fmt.Fprintf(out, "\n== generating %s rows in bench.snap (INSERT ... SELECT from mysql.seq_N_to_M, %s rows per statement, sql_log_bin=0)\n",
		benchrun.Grouped(int64(o.rows)), benchrun.Grouped(int64(o.genBatch)))
	sel := selectRows(baseText(o.seed))
	t0 := time.Now()
	next := t0.Add(10 * time.Second)
	for from := 1; from <= o.rows; from += o.genBatch {
		to := min(from+o.genBatch-1, o.rows)
		q := fmt.Sprintf("INSERT INTO bench.snap (%s) SELECT %s FROM mysql.seq_%d_to_%d", snapColumns, sel, from, to)
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return 0, fmt.Errorf("insert rows %d..%d: %w", from, to, err)
		}
		if time.Now().After(next) {
			next = next.Add(10 * time.Second)
			fmt.Fprintf(out, "   %s: %s rows\n", benchrun.Round(time.Since(t0)), benchrun.Grouped(int64(to)))
		}
	}
	d := time.Since(t0)
	var n int64
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM bench.snap").Scan(&n); err != nil {
		return 0, err
	}
	if n != int64(o.rows) {
		return 0, fmt.Errorf("bench.snap has %d rows after the inserts, want %d", n, o.rows)
	}
	if _, err := conn.ExecContext(ctx, "ANALYZE TABLE bench.snap"); err != nil {
		return 0, err
	}
	fmt.Fprintf(out, "   %s rows in %s\n", benchrun.Grouped(n), benchrun.Round(d))
	return d, nil
}

// tableInfo describes the source table for the summary.
type tableInfo struct {
	dataBytes   int64 // InnoDB data_length (clustered index)
	avgRowBytes int64 // InnoDB's estimate
	textBytes   int64 // sum of the columns' lengths (LENGTH: bytes)
}

func readTableInfo(ctx context.Context, db *sql.DB) (tableInfo, error) {
	var ti tableInfo
	err := db.QueryRowContext(ctx, `SELECT data_length, avg_row_length FROM information_schema.tables
		WHERE table_schema = 'bench' AND table_name = 'snap'`).Scan(&ti.dataBytes, &ti.avgRowBytes)
	if err != nil {
		return ti, err
	}
	err = db.QueryRowContext(ctx, `SELECT SUM(LENGTH(code) + LENGTH(title) + LENGTH(body) + COALESCE(LENGTH(note), 0) + LENGTH(payload))
		FROM bench.snap`).Scan(&ti.textBytes)
	return ti, err
}

// settle lets the previous phase's writes out before a measured one: InnoDB
// flushes its dirty pages (innodb_max_dirty_pages_pct 0 until at most 1%
// of the buffer pool is dirty, at most a minute), PostgreSQL checkpoints,
// and the kernel writes back its dirty pages (sync). It prints how long
// that took (not part of any measurement).
func settle(ctx context.Context, src *sql.DB, tgt *pgx.Conn, out io.Writer) error {
	t := time.Now()
	var pct string
	if err := src.QueryRowContext(ctx, "SELECT @@innodb_max_dirty_pages_pct").Scan(&pct); err != nil {
		return err
	}
	if _, err := src.ExecContext(ctx, "SET GLOBAL innodb_max_dirty_pages_pct = 0"); err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	var dirty, total int64
	for time.Now().Before(deadline) {
		err := src.QueryRowContext(ctx, `SELECT
			(SELECT variable_value FROM information_schema.global_status WHERE variable_name = 'INNODB_BUFFER_POOL_PAGES_DIRTY'),
			(SELECT variable_value FROM information_schema.global_status WHERE variable_name = 'INNODB_BUFFER_POOL_PAGES_TOTAL')`).Scan(&dirty, &total)
		if err != nil {
			return err
		}
		if dirty*100 <= total {
			break
		}
		if err := harness.Sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	if _, err := src.ExecContext(ctx, "SET GLOBAL innodb_max_dirty_pages_pct = "+pct); err != nil {
		return err
	}
	if _, err := tgt.Exec(ctx, "CHECKPOINT"); err != nil {
		return err
	}
	syscall.Sync()
	note := ""
	if dirty*100 > total {
		note = fmt.Sprintf("; InnoDB still had %d of %d pages dirty after a minute", dirty, total)
	}
	fmt.Fprintf(out, "   (settled before the measurement: InnoDB's dirty pages flushed, CHECKPOINT, sync: %s%s)\n", benchrun.Round(time.Since(t)), note)
	return nil
}
