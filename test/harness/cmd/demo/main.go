// Command demo shows Syncer's binlog reader end to end: it starts a
// private MariaDB with the test harness, starts `syncer binlog stream` as a
// replica of it, runs a small shop workload (inserts, updates, deletes, an
// ALTER TABLE and a multi-statement transaction), prints what the stream
// received live, then `syncer binlog dump` of the server's binlog files and
// its --stats summary, checks that every change is there each time, and
// stops the server. It exits non-zero on any failure. `make demo` builds bin/syncer
// and runs it:
//
//	go run ./test/harness/cmd/demo -syncer bin/syncer
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/seed5aa6e046/syncer/test/harness"
)

func main() {
	syncer := flag.String("syncer", "bin/syncer", "path of the syncer binary (make build)")
	meta := flag.String("row-metadata", "FULL", "binlog_row_metadata of the demo server: FULL or MINIMAL")
	verbose := flag.Bool("v", false, "log the harness's progress")
	flag.Parse()
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *syncer, *meta, log, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo: FAILED:", err)
		os.Exit(1)
	}
}

// workload is the demo's SQL, in order. Statements between BEGIN and COMMIT
// form one transaction.
var workload = []string{
	"CREATE DATABASE shop",
	"USE shop",
	`CREATE TABLE customers (
		id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
		name VARCHAR(100) CHARACTER SET utf8mb4 NOT NULL,
		email VARCHAR(200) NOT NULL,
		created DATETIME(3) NOT NULL
	)`,
	`CREATE TABLE orders (
		id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
		customer_id INT UNSIGNED NOT NULL,
		total DECIMAL(10,2) NOT NULL,
		status ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
		placed TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
		note JSON NULL
	)`,
	"INSERT INTO customers (name, email, created) VALUES ('Ada Lovelace', 'ada@example.com', '2024-01-15 09:30:00.125'), " +
		"('Jürgen Müller', 'juergen@example.de', '2024-02-01 12:00:00'), ('山田太郎', 'taro@example.jp', '2024-03-03 03:03:03.333')",
	"INSERT INTO orders (customer_id, total, status, placed, note) VALUES " +
		"(1, 19.99, 'new', '2024-04-01 10:00:00.000', '{\"gift\": true}'), (2, 120.50, 'paid', '2024-04-02 11:30:00.500', NULL), " +
		"(3, 7.00, 'new', '2024-04-03 08:15:00.250', '{\"coupon\": \"SPRING\"}')",
	"UPDATE orders SET status = 'shipped' WHERE id = 2",
	"UPDATE customers SET email = 'ada@lovelace.example' WHERE id = 1",
	"DELETE FROM orders WHERE id = 3",
	"ALTER TABLE customers ADD COLUMN loyalty_points INT NOT NULL DEFAULT 0 AFTER email",
	"UPDATE customers SET loyalty_points = 150 WHERE id = 2",
	"BEGIN",
	"INSERT INTO orders (customer_id, total, status, placed) VALUES (2, 42.00, 'paid', '2024-05-01 16:45:00.750')",
	"UPDATE customers SET loyalty_points = loyalty_points + 42 WHERE id = 2",
	"UPDATE orders SET status = 'cancelled' WHERE id = 1",
	"DELETE FROM customers WHERE id = 3",
	"COMMIT",
}

// wantRows is the number of row changes the workload makes, per table.
var wantRows = map[string]int{"customers": 3 + 1 + 1 + 1 + 1, "orders": 3 + 1 + 1 + 1 + 1}

func run(ctx context.Context, syncer, meta string, log *slog.Logger, stdout io.Writer) error {
	if _, err := os.Stat(syncer); err != nil {
		return fmt.Errorf("syncer binary: %w (run make build)", err)
	}
	syncer, err := filepath.Abs(syncer)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "== starting a private MariaDB (binlog_format=ROW, binlog_row_image=FULL, binlog_row_metadata=%s)\n", meta)
	db, err := harness.StartMariaDB(ctx, harness.MariaDBOptions{RowMetadata: meta, Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil {
			fmt.Fprintln(os.Stderr, "demo: stopping MariaDB:", cerr)
		}
		fmt.Fprintln(stdout, "== MariaDB stopped and its directory removed")
	}()
	fmt.Fprintf(stdout, "   listening on %s, binlog in %s\n\n== workload\n", db.Addr(), db.BinlogDir())

	user, pw := db.User()
	dsn := fmt.Sprintf("%s:%s@tcp(%s)/", user, pw, db.Addr())
	fmt.Fprintf(stdout, "   syncer binlog stream --dsn '%s:xxxxx@tcp(%s)/' --tables 'shop.*' started in the background\n", user, db.Addr())
	live, err := startStream(ctx, syncer, dsn, "--tables", "shop.*")
	if err != nil {
		return err
	}
	defer live.stop()

	conn, err := db.DB().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, q := range workload {
		fmt.Fprintf(stdout, "   %s\n", strings.Join(strings.Fields(q), " "))
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	fmt.Fprintf(stdout, "\n== what syncer binlog stream received live, as a replica\n")
	out, err := live.waitFor(ctx, check)
	if err != nil {
		return err
	}
	stdout.Write(out)

	if err := db.FlushLogs(ctx); err != nil {
		return err
	}
	files, err := db.BinlogFiles(ctx)
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "\n== syncer binlog dump %s\n", strings.Join(files, " "))
	out, err = runSyncer(ctx, syncer, files...)
	if err != nil {
		return err
	}
	stdout.Write(out)
	if err := check(out); err != nil {
		return err
	}

	fmt.Fprintf(stdout, "\n== syncer binlog dump --tables shop.orders %s (rows events only shown)\n", strings.Join(files, " "))
	args := append([]string{"--tables", "shop.orders"}, files...)
	out, err = runSyncer(ctx, syncer, args...)
	if err != nil {
		return err
	}
	n := 0
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		if bytes.Contains(line, []byte(`"rows":`)) {
			stdout.Write(append(line, '\n'))
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("--tables shop.orders printed no rows events")
	}

	fmt.Fprintf(stdout, "\n== syncer binlog dump --stats %s\n", strings.Join(files, " "))
	out, err = runSyncer(ctx, syncer, append([]string{"--stats"}, files...)...)
	if err != nil {
		return err
	}
	stdout.Write(out)
	var st struct {
		Rows int `json:"rows"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &st); err != nil {
		return fmt.Errorf("--stats output is not one JSON object: %w", err)
	}
	if want := wantRows["customers"] + wantRows["orders"]; st.Rows != want {
		return fmt.Errorf("--stats counted %d rows, the workload changed %d", st.Rows, want)
	}
	state, err := os.MkdirTemp("", "syncer-demo-state-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(state)
	fmt.Fprintf(stdout, "\n== syncer binlog dump --schema-from '%s:xxxxx@tcp(%s)/' --state-dir %s --tables shop.customers %s\n"+
		"   (each row decoded with the schema in force when it was written; rows events and the ALTER shown)\n",
		user, db.Addr(), state, strings.Join(files, " "))
	out, err = runSyncer(ctx, syncer, append([]string{"--schema-from", dsn, "--state-dir", state, "--tables", "shop.customers"}, files...)...)
	if err != nil {
		return err
	}
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		if bytes.Contains(line, []byte(`"rows":`)) || bytes.Contains(line, []byte(`"schema_changes":`)) {
			stdout.Write(append(line, '\n'))
		}
	}
	if err := checkSchemaVersions(out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n== demo OK: every row change of the workload was streamed live and decoded from the files, each with its own schema\n")
	return nil
}

func runSyncer(ctx context.Context, syncer string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, syncer, append([]string{"binlog", "dump"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("syncer binlog dump %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// check verifies that the dump holds every row change of the workload,
// the ALTER TABLE and the transaction's commit.
func check(out []byte) error {
	dec := json.NewDecoder(bytes.NewReader(out))
	rows := map[string]int{}
	sawAlter, sawAfterAlter := false, false
	for dec.More() {
		var ev struct {
			Type  string `json:"type"`
			Query string `json:"query"`
			// An object in rows events; TABLE_MAP events have a string.
			Table json.RawMessage `json:"table"`
			Rows  []struct {
				Before map[string]any `json:"before"`
				After  map[string]any `json:"after"`
			} `json:"rows"`
		}
		if err := dec.Decode(&ev); err != nil {
			return fmt.Errorf("dump output is not JSON lines: %w", err)
		}
		if strings.HasPrefix(ev.Query, "ALTER TABLE customers") {
			sawAlter = true
		}
		var table struct {
			Schema string `json:"schema"`
			Name   string `json:"name"`
		}
		if len(ev.Table) == 0 || ev.Table[0] != '{' {
			continue
		}
		if err := json.Unmarshal(ev.Table, &table); err != nil {
			return fmt.Errorf("rows event \"table\": %w", err)
		}
		if table.Schema == "shop" && len(ev.Rows) > 0 {
			rows[table.Name] += len(ev.Rows)
			if sawAlter && table.Name == "customers" {
				// Five columns (by name with FULL metadata, "@1".."@5"
				// with MINIMAL) once loyalty_points exists.
				for _, r := range ev.Rows {
					if len(r.After) == 5 {
						sawAfterAlter = true
					}
				}
			}
		}
	}
	for table, want := range wantRows {
		if rows[table] != want {
			return fmt.Errorf("dump has %d row changes of shop.%s, the workload made %d", rows[table], table, want)
		}
	}
	if !sawAlter {
		return fmt.Errorf("dump has no QUERY event with the ALTER TABLE")
	}
	if !sawAfterAlter {
		return fmt.Errorf("no customers row after the ALTER TABLE has the new column loyalty_points")
	}
	return nil
}

// checkSchemaVersions verifies the --schema-from dump: customers rows are
// keyed by column name whatever binlog_row_metadata is, carry schema
// version 1 before the ALTER TABLE and 2 (with loyalty_points) after it,
// and the ALTER carries its schema change.
func checkSchemaVersions(out []byte) error {
	dec := json.NewDecoder(bytes.NewReader(out))
	sawChange := false
	rows := 0
	for dec.More() {
		var ev struct {
			Query   string          `json:"query"`
			Table   json.RawMessage `json:"table"`
			Version uint64          `json:"schema_version"`
			Rows    []struct {
				Before map[string]any `json:"before"`
				After  map[string]any `json:"after"`
			} `json:"rows"`
			Changes []struct {
				Kind string `json:"kind"`
				New  struct {
					Version uint64 `json:"version"`
				} `json:"new"`
			} `json:"schema_changes"`
		}
		if err := dec.Decode(&ev); err != nil {
			return fmt.Errorf("dump output is not JSON lines: %w", err)
		}
		if strings.HasPrefix(ev.Query, "ALTER TABLE customers") {
			if len(ev.Changes) != 1 || ev.Changes[0].Kind != "alter_table" || ev.Changes[0].New.Version != 2 {
				return fmt.Errorf("the ALTER TABLE's schema_changes are %+v, want one alter_table to version 2", ev.Changes)
			}
			sawChange = true
			continue
		}
		if len(ev.Rows) == 0 || !bytes.Contains(ev.Table, []byte(`"customers"`)) {
			continue
		}
		want := uint64(1)
		if sawChange {
			want = 2
		}
		if ev.Version != want {
			return fmt.Errorf("a customers rows event has schema_version %d, want %d", ev.Version, want)
		}
		for _, r := range ev.Rows {
			for _, img := range []map[string]any{r.Before, r.After} {
				if img == nil {
					continue
				}
				if _, ok := img["email"]; !ok {
					return fmt.Errorf("a customers row is not keyed by column name: %v", img)
				}
				if _, ok := img["loyalty_points"]; ok != sawChange {
					return fmt.Errorf("a customers row of schema version %d has loyalty_points=%v: %v", want, ok, img)
				}
			}
			rows++
		}
	}
	if !sawChange {
		return fmt.Errorf("the --schema-from dump has no schema change for the ALTER TABLE")
	}
	if rows != wantRows["customers"] {
		return fmt.Errorf("the --schema-from dump has %d customers row changes, the workload made %d", rows, wantRows["customers"])
	}
	return nil
}

// liveStream is a `syncer binlog stream` running in the background.
type liveStream struct {
	cmd    *exec.Cmd
	out    *lockedBuffer
	stderr *lockedBuffer
	done   chan error
}

func startStream(ctx context.Context, syncer, dsn string, args ...string) (*liveStream, error) {
	l := &liveStream{out: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	l.cmd = exec.CommandContext(ctx, syncer, append([]string{"binlog", "stream", "--dsn", dsn, "--heartbeat", "1s"}, args...)...)
	l.cmd.Stdout, l.cmd.Stderr = l.out, l.stderr
	if err := l.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start syncer binlog stream: %w", err)
	}
	go func() { l.done <- l.cmd.Wait() }()
	// It starts at the server's current position, read when it has
	// connected and logged "streaming": the workload must come after.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(l.stderr.String(), "msg=streaming") {
		select {
		case err := <-l.done:
			return nil, fmt.Errorf("syncer binlog stream exited at start: %v\n%s", err, l.stderr.String())
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			l.stop()
			return nil, fmt.Errorf("syncer binlog stream did not start within 30s:\n%s", l.stderr.String())
		}
	}
	return l, nil
}

// waitFor waits until the stream's output passes check (or 30s pass), then
// stops the stream with SIGTERM, which must end it cleanly (exit 0).
func (l *liveStream) waitFor(ctx context.Context, check func([]byte) error) ([]byte, error) {
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for {
		if last = check(l.out.Bytes()); last == nil {
			break
		}
		select {
		case err := <-l.done:
			return nil, fmt.Errorf("syncer binlog stream ended early: %v\n%s", err, l.stderr.String())
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("syncer binlog stream did not deliver the workload within 30s: %v\nstderr:\n%s", last, l.stderr.String())
		}
	}
	if err := l.stop(); err != nil {
		return nil, err
	}
	return l.out.Bytes(), nil
}

// stop sends SIGTERM and waits; a stream stopped this way exits 0.
func (l *liveStream) stop() error {
	if l.cmd.ProcessState != nil {
		return nil
	}
	l.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-l.done:
		if err != nil {
			return fmt.Errorf("syncer binlog stream did not exit cleanly on SIGTERM: %v\n%s", err, l.stderr.String())
		}
		return nil
	case <-time.After(10 * time.Second):
		l.cmd.Process.Kill()
		return fmt.Errorf("syncer binlog stream did not exit within 10s of SIGTERM")
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.b.Bytes())
}

func (b *lockedBuffer) String() string { return string(b.Bytes()) }
