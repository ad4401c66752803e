package benchrun

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// Flags are the flags every benchmark has.
type Flags struct {
	Syncer  string // -syncer: the binary under test
	Keep    bool   // -keep: leave the work directory for a look afterwards
	Verbose bool   // -v: the harness's log on stderr
}

// Register defines -syncer, -keep and -v on the command line's flag set;
// kept says what the work directory holds, in -keep's help.
func (f *Flags) Register(kept string) {
	flag.StringVar(&f.Syncer, "syncer", "bin/syncer", "path of the syncer binary (make build)")
	flag.BoolVar(&f.Keep, "keep", false, "keep the work directory ("+kept+") instead of removing it")
	flag.BoolVar(&f.Verbose, "v", false, "log the harness's progress")
}

// Main is the rest of a benchmark's main after flag.Parse: it refuses
// arguments and options that check rejects (exit status 2), runs the
// benchmark with a context that Ctrl-C and SIGTERM cancel, and exits with
// status 1 when it fails. name is the command's, for its messages.
func Main(name string, check func() error, run func(ctx context.Context, out io.Writer) error) {
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "%s: unexpected arguments %q\n", name, flag.Args())
		os.Exit(2)
	}
	if err := check(); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Stdout)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted: %w", err)
		}
		fmt.Fprintln(os.Stderr, "\n"+name+": FAILED:", err)
		os.Exit(1)
	}
}

// Env is what a benchmark works with: the syncer binary, a work directory
// (pipelines files, syncer's logs), the machine's description and, from
// StartServers on, a private MariaDB and PostgreSQL with a connection to
// each. Close takes it all down again.
type Env struct {
	Name    string // the command's, for its messages
	Syncer  string // absolute path of the syncer binary
	Work    string
	Machine Machine // read at the start, before the servers load it

	MariaDB  *harness.MariaDB
	Postgres *harness.Postgres
	Source   *sql.DB   // a pool on MariaDB's client account
	Target   *pgx.Conn // PostgreSQL's database bench

	MariaDBVersion, PostgresVersion string

	flags Flags
	out   io.Writer
}

// NewEnv checks the syncer binary (the benchmark builds nothing), makes the
// work directory and reads and prints the machine's description.
func NewEnv(name string, f Flags, out io.Writer) (*Env, error) {
	e := &Env{Name: name, flags: f, out: out}
	var err error
	if e.Syncer, err = filepath.Abs(f.Syncer); err != nil {
		return nil, err
	}
	if st, err := os.Stat(e.Syncer); err != nil || st.IsDir() {
		return nil, fmt.Errorf("syncer binary %s: not a file (%v): run make build", e.Syncer, err)
	}
	if e.Work, err = os.MkdirTemp("", name+"-"); err != nil {
		return nil, err
	}
	e.Machine = ReadMachine()
	fmt.Fprintf(out, "== machine: %s\n", e.Machine)
	return e, nil
}

// ServerOptions is what a benchmark chooses about its servers. Both run
// without durability (the harness's defaults); the arguments size them
// for the benchmark's data, for syncer and the floor alike.
type ServerOptions struct {
	MariaDBArgs  []string // mariadbd options
	PostgresArgs []string // postgres options ("-c", "name=value")
	// SourceConfig, when set, adjusts the configuration of Source, whose
	// sessions run in UTC.
	SourceConfig func(*mysql.Config)
}

// StartServers starts a private MariaDB and a private PostgreSQL side by
// side (start-up takes seconds each), opens Source and Target and prints
// the servers' versions. What it has started, Close stops, also after an
// error.
func (e *Env) StartServers(ctx context.Context, so ServerOptions) error {
	level := slog.LevelWarn
	if e.flags.Verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	fmt.Fprintf(e.out, "== starting a private MariaDB and a private PostgreSQL\n")
	var mErr, pErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.MariaDB, mErr = harness.StartMariaDB(ctx, harness.MariaDBOptions{Logger: log, ExtraArgs: so.MariaDBArgs})
	}()
	e.Postgres, pErr = harness.StartPostgres(ctx, harness.PostgresOptions{
		Logger:    log,
		Database:  "bench",
		ExtraArgs: so.PostgresArgs,
	})
	<-done
	if err := errors.Join(mErr, pErr); err != nil {
		return err
	}

	cfg := e.MariaDB.Config()
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	if so.SourceConfig != nil {
		so.SourceConfig(cfg)
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return err
	}
	e.Source = sql.OpenDB(conn)
	e.Source.SetMaxOpenConns(4)
	if e.Target, err = e.Postgres.Connect(ctx); err != nil {
		return err
	}
	if err := e.Source.QueryRowContext(ctx, "SELECT VERSION()").Scan(&e.MariaDBVersion); err != nil {
		return err
	}
	if err := e.Target.QueryRow(ctx, "SHOW server_version").Scan(&e.PostgresVersion); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "   MariaDB %s on %s, PostgreSQL %s on %s\n", e.MariaDBVersion, e.MariaDB.Addr(), e.PostgresVersion, e.Postgres.Addr())
	return nil
}

// Close closes the connections, stops the servers (removing their
// directories) and removes the work directory unless -keep.
func (e *Env) Close() {
	if e.Target != nil {
		e.Target.Close(context.Background())
	}
	if e.Source != nil {
		e.Source.Close()
	}
	if e.Postgres != nil {
		if err := e.Postgres.Close(); err != nil {
			fmt.Fprintln(os.Stderr, e.Name+": stopping PostgreSQL:", err)
		}
		fmt.Fprintln(e.out, "== MariaDB and PostgreSQL stopped, their directories removed")
	}
	if e.MariaDB != nil {
		if err := e.MariaDB.Close(); err != nil {
			fmt.Fprintln(os.Stderr, e.Name+": stopping MariaDB:", err)
		}
	}
	if e.flags.Keep {
		fmt.Fprintf(e.out, "== work directory kept: %s\n", e.Work)
		return
	}
	os.RemoveAll(e.Work)
}

// PrintSummaryHead starts the summary with what the figures were measured
// on: the machine (with its load at the end, which moves the figures) and
// the servers.
func (e *Env) PrintSummaryHead(w io.Writer) {
	fmt.Fprintf(w, "\n== summary\n")
	fmt.Fprintf(w, "machine      %s, at end %s\n", e.Machine, LoadAvg())
	fmt.Fprintf(w, "servers      MariaDB %s, PostgreSQL %s (private, loopback, no fsync)\n", e.MariaDBVersion, e.PostgresVersion)
}

// ExecSource runs the statements on the source one after the other; an
// error names the statement.
func (e *Env) ExecSource(ctx context.Context, qs ...string) error {
	for _, q := range qs {
		if _, err := e.Source.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// ExecTarget runs the statements on the target one after the other; an
// error names the statement.
func (e *Env) ExecTarget(ctx context.Context, qs ...string) error {
	for _, q := range qs {
		if _, err := e.Target.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// Tamper changes column of the first row of the target's table and
// deletes its last row, so that the comparison that follows must fail:
// -tamper tests the benchmark's own check.
func (e *Env) Tamper(ctx context.Context, table, column string) error {
	fmt.Fprintf(e.out, "\n== -tamper: changing the %s of the target's first row and deleting its last; the comparison must fail\n", column)
	return e.ExecTarget(ctx,
		fmt.Sprintf("UPDATE %s SET %s = %s || ' (tampered)' WHERE id = (SELECT min(id) FROM %s)", table, column, column, table),
		fmt.Sprintf("DELETE FROM %s WHERE id = (SELECT max(id) FROM %s)", table, table))
}
