// Command genbench writes a large, realistic MariaDB binary log for the
// decoder benchmarks (make bench-data; make bench reads it).
//
// It starts a private MariaDB with the test harness (binlog_format=ROW,
// binlog_row_image=FULL, binlog_row_metadata=FULL), creates bench.orders with
// twelve columns of mixed types (INT, BIGINT UNSIGNED, DECIMAL(12,2), DOUBLE,
// VARCHAR(64) utf8mb4, CHAR(8), DATETIME(6), TIMESTAMP, DATE, ENUM, a small
// BLOB and a small JSON document), and writes -rows rows with multi-row
// INSERTs, then updates -rows/10 and deletes -rows/20 of them. The data are
// pseudo-random from a fixed seed, so every run writes the same rows. The
// binlog files are copied to -out (default .bench/, which ignores itself in
// git) with a manifest.json describing them.
//
//	go run ./scripts/genbench -out .bench -rows 1000000
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/seed5aa6e046/syncer/test/harness"
)

type config struct {
	out   string
	rows  int
	batch int
	seed  uint64
}

func main() {
	var cfg config
	flag.StringVar(&cfg.out, "out", ".bench", "directory the binlog files are copied to (its old binlog files are removed)")
	flag.IntVar(&cfg.rows, "rows", 1_000_000, "rows to insert; rows/10 are then updated and rows/20 deleted")
	flag.IntVar(&cfg.batch, "batch", 1000, "rows per multi-row INSERT")
	flag.Uint64Var(&cfg.seed, "seed", 1, "seed of the pseudo-random data")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log, os.Stdout); err != nil {
		log.Error("genbench failed", "err", err)
		os.Exit(1)
	}
}

// manifest describes the generated files; it is written to out/manifest.json.
type manifest struct {
	Generator    string    `json:"generator"`
	Server       string    `json:"server"`
	RowMetadata  string    `json:"binlog_row_metadata"`
	Annotate     string    `json:"binlog_annotate_row_events"`
	Table        string    `json:"table"`
	Columns      []string  `json:"columns"`
	Inserted     int       `json:"rows_inserted"`
	Updated      int       `json:"rows_updated"`
	Deleted      int       `json:"rows_deleted"`
	RowChanges   int       `json:"row_changes"`
	Files        []string  `json:"files"`
	Bytes        int64     `json:"bytes"`
	Seed         uint64    `json:"seed"`
	GeneratedAt  time.Time `json:"generated_at"`
	WriteSeconds float64   `json:"write_seconds"`
}

var columns = []string{
	"id INT UNSIGNED NOT NULL PRIMARY KEY",
	"c_int INT NOT NULL",
	"c_ubig BIGINT UNSIGNED NOT NULL",
	"c_dec DECIMAL(12,2) NOT NULL",
	"c_double DOUBLE",
	"c_vc VARCHAR(64) CHARACTER SET utf8mb4 NOT NULL",
	"c_char CHAR(8) CHARACTER SET latin1 NOT NULL",
	"c_dt DATETIME(6) NOT NULL",
	"c_ts TIMESTAMP NULL DEFAULT NULL",
	"c_date DATE NOT NULL",
	"c_enum ENUM('new','paid','shipped','delivered','cancelled') NOT NULL",
	"c_blob BLOB",
	"c_json JSON",
}

var words = []string{"alpha", "beta", "gamma", "delta", "Grüße", "naïve", "日本", "данные", "😀", "order", "item", "ship"}

func run(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) error {
	if cfg.rows < 1 || cfg.batch < 1 {
		return fmt.Errorf("-rows and -batch must be positive")
	}
	start := time.Now()
	// No ANNOTATE_ROWS events: they would repeat every multi-row INSERT's
	// text in the binlog and halve the share of row data.
	db, err := harness.StartMariaDB(ctx, harness.MariaDBOptions{
		RowMetadata: "FULL",
		ExtraArgs:   []string{"--binlog-annotate-row-events=OFF"},
		Logger:      log,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Error("stop MariaDB", "err", err)
		}
	}()
	var version string
	if err := db.DB().QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return fmt.Errorf("SELECT VERSION(): %w", err)
	}
	conn, err := db.DB().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	setup := []string{
		"SET time_zone = '+00:00'",
		"CREATE DATABASE bench",
		"CREATE TABLE bench.orders (" + strings.Join(columns, ", ") + ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	}
	for _, q := range setup {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}

	rng := rand.New(rand.NewPCG(cfg.seed, 0x5eed))
	writeStart := time.Now()
	var sb strings.Builder
	lastLog := time.Now()
	for first := 1; first <= cfg.rows; first += cfg.batch {
		last := min(first+cfg.batch-1, cfg.rows)
		sb.Reset()
		sb.WriteString("INSERT INTO bench.orders VALUES ")
		for id := first; id <= last; id++ {
			if id > first {
				sb.WriteByte(',')
			}
			appendRow(&sb, rng, id)
		}
		if _, err := conn.ExecContext(ctx, sb.String()); err != nil {
			return fmt.Errorf("insert rows %d-%d: %w", first, last, err)
		}
		if time.Since(lastLog) > 5*time.Second {
			log.Info("inserting", "rows", last, "of", cfg.rows)
			lastLog = time.Now()
		}
	}

	// Updates: every 10th row, in ranges of 10*batch ids per statement.
	updated := 0
	for lo := 1; lo <= cfg.rows; lo += 10 * cfg.batch {
		hi := min(lo+10*cfg.batch-1, cfg.rows)
		res, err := conn.ExecContext(ctx, fmt.Sprintf(
			"UPDATE bench.orders SET c_int = c_int + 1, c_dec = c_dec * 1.10, c_enum = 'shipped', "+
				"c_ts = '2025-06-01 12:00:00', c_vc = CONCAT(LEFT(c_vc, 50), ' (upd)') WHERE id BETWEEN %d AND %d AND id %% 10 = 0", lo, hi))
		if err != nil {
			return fmt.Errorf("update rows %d-%d: %w", lo, hi, err)
		}
		n, _ := res.RowsAffected()
		updated += int(n)
	}
	// Deletes: every 20th row (offset 5).
	deleted := 0
	for lo := 1; lo <= cfg.rows; lo += 10 * cfg.batch {
		hi := min(lo+10*cfg.batch-1, cfg.rows)
		res, err := conn.ExecContext(ctx, fmt.Sprintf(
			"DELETE FROM bench.orders WHERE id BETWEEN %d AND %d AND id %% 20 = 5", lo, hi))
		if err != nil {
			return fmt.Errorf("delete rows %d-%d: %w", lo, hi, err)
		}
		n, _ := res.RowsAffected()
		deleted += int(n)
	}
	writeTime := time.Since(writeStart)
	if err := db.FlushLogs(ctx); err != nil {
		return err
	}
	files, err := db.BinlogFiles(ctx)
	if err != nil {
		return err
	}
	files = files[:len(files)-1] // the newest file was opened by the flush and is empty

	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	// The directory ignores itself, so that generated data never lands in git.
	if err := os.WriteFile(filepath.Join(cfg.out, ".gitignore"), []byte("*\n"), 0o644); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(cfg.out, db.BinlogBaseName()+".[0-9]*"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	m := manifest{
		Generator: "scripts/genbench", Server: version, RowMetadata: "FULL", Annotate: "OFF", Table: "bench.orders",
		Columns: columns, Inserted: cfg.rows, Updated: updated, Deleted: deleted,
		RowChanges: cfg.rows + updated + deleted, Seed: cfg.seed, GeneratedAt: time.Now().UTC(),
		WriteSeconds: writeTime.Seconds(),
	}
	for _, f := range files {
		n, err := copyFile(f, filepath.Join(cfg.out, filepath.Base(f)))
		if err != nil {
			return err
		}
		m.Files = append(m.Files, filepath.Base(f))
		m.Bytes += n
	}
	b, err := json.MarshalIndent(&m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(cfg.out, "manifest.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "genbench: wrote %d row changes (%d inserted, %d updated, %d deleted) into %d binlog file(s), %.1f MB, in %s (%s total); files in %s\n",
		m.RowChanges, m.Inserted, m.Updated, m.Deleted, len(m.Files), float64(m.Bytes)/1e6,
		writeTime.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), cfg.out)
	return nil
}

// appendRow appends one "(...)" tuple of pseudo-random values.
func appendRow(sb *strings.Builder, rng *rand.Rand, id int) {
	w := func(s string) { sb.WriteString(s) }
	w("(")
	w(strconv.Itoa(id))
	w(",")
	w(strconv.FormatInt(int64(rng.Int32())-1<<30, 10))
	w(",")
	w(strconv.FormatUint(rng.Uint64(), 10))
	w(",")
	cents := rng.Int64N(2_000_000_000) - 1_000_000_000
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	fmt.Fprintf(sb, "%s%d.%02d", sign, cents/100, cents%100)
	w(",")
	if rng.IntN(20) == 0 {
		w("NULL")
	} else {
		w(strconv.FormatFloat(rng.NormFloat64()*1e4, 'g', -1, 64))
	}
	w(",'")
	n := 1 + rng.IntN(5)
	for i := 0; i < n; i++ {
		if i > 0 {
			w(" ")
		}
		w(words[rng.IntN(len(words))])
	}
	w(" #")
	w(strconv.Itoa(id))
	w("','")
	fmt.Fprintf(sb, "C%07d", rng.IntN(10_000_000))
	w("','")
	t := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(5 * 365 * 24 * time.Hour))))
	t = t.Truncate(time.Microsecond)
	w(t.Format("2006-01-02 15:04:05.000000"))
	w("',")
	if rng.IntN(10) == 0 {
		w("NULL")
	} else {
		w("'" + t.Add(time.Hour).Format("2006-01-02 15:04:05") + "'")
	}
	w(",'")
	w(t.Format("2006-01-02"))
	w("','")
	w([]string{"new", "paid", "shipped", "delivered", "cancelled"}[rng.IntN(5)])
	w("',")
	if rng.IntN(4) == 0 {
		w("NULL")
	} else {
		b := make([]byte, 8+rng.IntN(56))
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		fmt.Fprintf(sb, "X'%X'", b)
	}
	w(",")
	if rng.IntN(4) == 0 {
		w("NULL")
	} else {
		fmt.Fprintf(sb, `'{"sku": "S-%d", "qty": %d, "tags": ["%s", "%s"], "gift": %t}'`,
			rng.IntN(100000), 1+rng.IntN(9), words[rng.IntN(4)], words[rng.IntN(4)], rng.IntN(2) == 0)
	}
	w(")")
}

func copyFile(src, dst string) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return n, nil
}
