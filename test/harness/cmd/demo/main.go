// Command demo shows Syncer's MySQL → Postgres pipeline end to end in one
// command. It
//
//  1. starts a private MariaDB (binary log on, binlog_format=ROW) and a
//     private PostgreSQL with the test harness, in temporary directories on
//     free loopback ports;
//  2. creates the database "demo" (customers, products, orders,
//     order_items: utf8mb4 text, DECIMAL, ENUM, SET, TIMESTAMP(3),
//     DATETIME, JSON, BLOB, TINYINT(1), a composite primary key) with a few
//     hundred rows;
//  3. runs `syncer run pipelines/examples/mysql-to-postgres.yaml` with
//     SYNCER_SOURCE_DSN, SYNCER_TARGET_DSN and SYNCER_STATE_DIR pointing at
//     them, its log lines prefixed "syncer | ";
//  4. changes the source for -duration: random inserts, updates and deletes
//     in multi-statement transactions, primary-key changes and, half-way,
//     ALTER TABLE ADD COLUMN ... DEFAULT and RENAME COLUMN, after which the
//     workload uses the new columns;
//  5. waits until the pipeline's checkpoint in _syncer.checkpoints reaches
//     the source's SHOW MASTER STATUS position, then compares every table
//     on both sides (row counts and a checksum of the rows rendered
//     canonically) and prints one line per table, "ok" or "DIFFERENT";
//  6. prints the psql and mariadb commands to look at the data, then stops
//     syncer with SIGTERM (it must exit 0) and both servers.
//
// With -keep it leaves everything running after the check until Ctrl-C.
// It exits non-zero when a table differs or anything fails, and 3 when the
// MariaDB or PostgreSQL binaries are not installed (scripts/setup-debian.sh
// installs them). `make demo` builds bin/syncer and runs it:
//
//	go run ./test/harness/cmd/demo -syncer bin/syncer
package main

import (
	"context"
	"errors"
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

// exitNotInstalled is the exit status when a server binary is missing.
const exitNotInstalled = 3

type options struct {
	syncer        string
	pipelineFile  string
	pipelineName  string
	duration      time.Duration
	catchUp       time.Duration
	keep          bool
	rowMetadata   string
	seed          int64
	syncerLogArgs []string
}

func main() {
	var o options
	flag.StringVar(&o.syncer, "syncer", "bin/syncer", "path of the syncer binary (make build)")
	flag.StringVar(&o.pipelineFile, "pipeline", "pipelines/examples/mysql-to-postgres.yaml", "the pipelines file syncer runs")
	flag.StringVar(&o.pipelineName, "pipeline-name", "", "the pipeline whose checkpoint (row of _syncer.checkpoints) is awaited; default: the file's only one")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "how long the workload changes the source")
	flag.DurationVar(&o.catchUp, "catch-up-timeout", 60*time.Second, "how long to wait for the target to catch up after the workload")
	flag.BoolVar(&o.keep, "keep", false, "after the check, keep the servers and syncer running until Ctrl-C")
	flag.StringVar(&o.rowMetadata, "row-metadata", "FULL", "binlog_row_metadata of the demo MariaDB: FULL or MINIMAL")
	flag.Int64Var(&o.seed, "seed", 0, "random seed of the workload (0: from the clock)")
	syncerLevel := flag.String("syncer-log-level", "info", "syncer's --log-level")
	verbose := flag.Bool("v", false, "log the harness's progress")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "demo: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if o.seed == 0 {
		o.seed = time.Now().UnixNano()
	}
	o.syncerLogArgs = []string{"--log-level", *syncerLevel}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	out := &console{w: os.Stdout}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first Ctrl-C the demo cleans up; a second one kills it.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, o, log, out)
	switch {
	case err == nil:
		return
	case errors.Is(err, harness.ErrNotInstalled):
		fmt.Fprintln(os.Stderr, "demo: FAILED:", err)
		fmt.Fprintln(os.Stderr, "demo: install MariaDB and PostgreSQL with scripts/setup-debian.sh")
		os.Exit(exitNotInstalled)
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "demo: interrupted; servers stopped and their directories removed")
		os.Exit(130)
	default:
		fmt.Fprintln(os.Stderr, "demo: FAILED:", err)
		os.Exit(1)
	}
}

// console serializes the demo's lines and syncer's prefixed ones.
type console struct {
	mu sync.Mutex
	w  io.Writer
}

func (c *console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.w, format, args...)
}

func (c *console) line(prefix, s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.w, "%s%s\n", prefix, s)
}

func run(ctx context.Context, o options, log *slog.Logger, out *console) (err error) {
	if _, err := os.Stat(o.syncer); err != nil {
		return fmt.Errorf("syncer binary: %w (run make build)", err)
	}
	syncerPath, err := filepath.Abs(o.syncer)
	if err != nil {
		return err
	}
	pipelineFile, err := filepath.Abs(o.pipelineFile)
	if err != nil {
		return err
	}
	if _, err := os.Stat(pipelineFile); err != nil {
		return fmt.Errorf("pipelines file: %w", err)
	}

	// 1. Servers.
	out.printf("== starting a private MariaDB (binlog_format=ROW, binlog_row_metadata=%s) and a private PostgreSQL\n", o.rowMetadata)
	type started struct {
		db  *harness.MariaDB
		pg  *harness.Postgres
		err error
	}
	mch, pch := make(chan started, 1), make(chan started, 1)
	go func() {
		db, err := harness.StartMariaDB(ctx, harness.MariaDBOptions{RowMetadata: o.rowMetadata, Logger: log})
		mch <- started{db: db, err: err}
	}()
	go func() {
		pg, err := harness.StartPostgres(ctx, harness.PostgresOptions{Database: "demo", Logger: log})
		pch <- started{pg: pg, err: err}
	}()
	ms, ps := <-mch, <-pch
	if ms.db != nil {
		defer func() {
			if cerr := ms.db.Close(); cerr != nil {
				out.printf("demo: stopping MariaDB: %v\n", cerr)
			}
		}()
	}
	if ps.pg != nil {
		defer func() {
			if cerr := ps.pg.Close(); cerr != nil {
				out.printf("demo: stopping PostgreSQL: %v\n", cerr)
			}
			out.printf("== MariaDB and PostgreSQL stopped, their directories removed\n")
		}()
	}
	if err := errors.Join(ms.err, ps.err); err != nil {
		return err
	}
	db, pg := ms.db, ps.pg
	user, pw := db.User()
	sourceDSN := fmt.Sprintf("%s:%s@tcp(%s)/", user, pw, db.Addr())
	targetDSN := pg.DSN()
	out.printf("   MariaDB    %s (data in %s)\n   PostgreSQL %s (data in %s)\n", db.Addr(), db.Dir(), pg.Addr(), pg.Dir())

	src, err := openSource(ctx, db)
	if err != nil {
		return err
	}
	defer src.Close()

	// 2. Schema and initial data.
	w := newWorkload(o.seed)
	out.printf("\n== creating database demo in MariaDB (seed %d)\n", o.seed)
	if err := w.setup(ctx, src, out); err != nil {
		return err
	}

	// 3. syncer run.
	stateDir, err := os.MkdirTemp("", "syncer-demo-state-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stateDir)
	rel := o.pipelineFile
	out.printf("\n== starting syncer run %s\n", rel)
	out.printf("   SYNCER_SOURCE_DSN='%s'\n   SYNCER_TARGET_DSN='%s'\n   SYNCER_STATE_DIR=%s\n", sourceDSN, targetDSN, stateDir)
	envMap := map[string]string{"SYNCER_SOURCE_DSN": sourceDSN, "SYNCER_TARGET_DSN": targetDSN, "SYNCER_STATE_DIR": stateDir}
	name, err := checkPipelineFile(pipelineFile, envMap, o.pipelineName, out)
	if err != nil {
		return err
	}
	var env []string
	for k, v := range envMap {
		env = append(env, k+"="+v)
	}
	args := append([]string{"run"}, o.syncerLogArgs...)
	args = append(args, pipelineFile)
	proc, err := startSyncer(syncerPath, args, env, out)
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if stopped {
			return
		}
		if serr := proc.stop(); serr != nil && err == nil {
			err = serr
		}
	}()

	// 4. Workload.
	out.printf("\n== changing the source for %s\n", o.duration)
	if err := w.run(ctx, src, o.duration, proc.exited, out); err != nil {
		return err
	}

	// 5. Catch-up and comparison.
	out.printf("\n== waiting for the target to catch up (at most %s)\n", o.catchUp)
	tgt, err := openTarget(ctx, pg)
	if err != nil {
		return err
	}
	defer tgt.Close(context.Background())
	if err := waitCaughtUp(ctx, src, tgt, name, o.catchUp, proc, out); err != nil {
		return err
	}
	out.printf("\n== comparing source (MariaDB demo.*) with target (PostgreSQL \"demo\".*)\n")
	same, err := compareAll(ctx, src, tgt, out)
	if err != nil {
		return err
	}
	out.printf("\n== syncer verify %s (the same check, by syncer itself)\n", rel)
	vcmd := exec.CommandContext(ctx, syncerPath, "verify", pipelineFile)
	vcmd.Env = append(os.Environ(), env...)
	vout, verr := vcmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimRight(string(vout), "\n"), "\n") {
		out.printf("   %s\n", line)
	}
	if verr != nil {
		same = false
		out.printf("   syncer verify: %v\n", verr)
	}

	// 6. How to look, then stop.
	printLook(out, db, pg)
	if o.keep && ctx.Err() == nil {
		out.printf("\n== -keep: MariaDB, PostgreSQL and syncer keep running; change demo.* in MariaDB and watch it\n" +
			"   arrive in PostgreSQL. Press Ctrl-C to stop everything.\n")
		select {
		case <-ctx.Done():
		case perr := <-proc.exitedErr():
			return fmt.Errorf("syncer exited while the demo was kept running: %v", perr)
		}
		out.printf("\n")
	}
	out.printf("\n== stopping syncer (SIGTERM)\n")
	stopped = true
	if err := proc.stop(); err != nil {
		return err
	}
	out.printf("   syncer exited with status 0\n")
	if !same {
		return errors.New("the target differs from the source (see the DIFFERENT tables above)")
	}
	out.printf("\n== demo OK: every table of demo.* is the same in MariaDB and PostgreSQL\n")
	return nil
}

// printLook prints the commands to look at both sides.
func printLook(out *console, db *harness.MariaDB, pg *harness.Postgres) {
	user, pw := db.User()
	out.printf("\n== look at the data yourself (while the servers run; see -keep):\n")
	out.printf("   psql '%s' -c 'SELECT * FROM demo.customers ORDER BY id LIMIT 5'\n", pg.DSN())
	out.printf("   psql '%s' -c 'SELECT * FROM _syncer.checkpoints'\n", pg.DSN())
	out.printf("   mariadb -h 127.0.0.1 -P %d -u %s -p'%s' --default-character-set=utf8mb4 demo -e 'SELECT * FROM customers ORDER BY id LIMIT 5'\n",
		db.Port(), user, pw)
	out.printf("   mariadb -h 127.0.0.1 -P %d -u %s -p'%s' -e 'SHOW MASTER STATUS'\n", db.Port(), user, pw)
}

// shortErr is the first line of an error, for progress lines.
func shortErr(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
