package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresOptions configures StartPostgres. The zero value is fine.
type PostgresOptions struct {
	// RunAs is the unprivileged account postgres runs as when the caller
	// is root (postgres refuses to run as root). Default: "postgres" if it
	// exists, else "nobody", else a "syncer-test" account created with
	// useradd. Ignored when the caller is not root.
	RunAs string
	// BinDir is the directory holding initdb and postgres; default: the
	// newest /usr/lib/postgresql/<version>/bin, else the directory of
	// initdb on PATH.
	BinDir string
	// Database is created after start-up and used by DSN(); default
	// "syncer".
	Database string
	// ExtraArgs are appended to the postgres command line, e.g.
	// "-c", "wal_level=logical".
	ExtraArgs []string
	// StartTimeout bounds initdb plus start-up; default DefaultStartTimeout.
	StartTimeout time.Duration
	// StopTimeout is how long Close waits after SIGTERM; default
	// DefaultStopTimeout.
	StopTimeout time.Duration
	// BaseDir is where the temporary directory is created; default
	// os.TempDir(). It must be reachable by the RunAs account.
	BaseDir string
	// Logger receives progress messages; default discards them.
	Logger *slog.Logger
}

// Postgres is a running private PostgreSQL server with trust
// authentication for the superuser "postgres".
type Postgres struct {
	opts    PostgresOptions
	dir     string
	dataDir string
	sockDir string
	logFile string
	port    int
	proc    *process
	cred    *syscall.Credential
	log     *slog.Logger
}

// postgresBinDir finds the directory holding initdb and postgres: the
// newest /usr/lib/postgresql/<version>/bin, else the directory of initdb on
// PATH.
func postgresBinDir() (string, error) {
	if d := newestVersionDir("/usr/lib/postgresql"); d != "" {
		bin := filepath.Join(d, "bin")
		if _, err := os.Stat(filepath.Join(bin, "postgres")); err == nil {
			return bin, nil
		}
	}
	p, err := findBinary("initdb")
	if err != nil {
		return "", fmt.Errorf("PostgreSQL (no /usr/lib/postgresql/<version>/bin/postgres): %w", err)
	}
	return filepath.Dir(p), nil
}

// StartPostgres runs initdb in a new temporary directory and starts postgres
// on a free 127.0.0.1 port with its unix socket in that directory, trust
// authentication and fsync=off, then creates opts.Database. When the caller
// is root the server runs as an unprivileged account (see
// PostgresOptions.RunAs).
func StartPostgres(ctx context.Context, opts PostgresOptions) (*Postgres, error) {
	if opts.Database == "" {
		opts.Database = "syncer"
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = DefaultStopTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	bin := opts.BinDir
	if bin == "" {
		var err error
		if bin, err = postgresBinDir(); err != nil {
			return nil, fmt.Errorf("harness: start PostgreSQL: %w", err)
		}
	}
	for _, name := range []string{"initdb", "postgres"} {
		if _, err := findIn(name, bin); err != nil {
			return nil, fmt.Errorf("harness: start PostgreSQL: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()

	cred, err := postgresCredential(ctx, opts.RunAs)
	if err != nil {
		return nil, fmt.Errorf("harness: start PostgreSQL: %w", err)
	}
	dir, err := os.MkdirTemp(opts.BaseDir, "syncer-postgres-")
	if err != nil {
		return nil, fmt.Errorf("harness: start PostgreSQL: %w", err)
	}
	p := &Postgres{
		opts:    opts,
		dir:     dir,
		dataDir: filepath.Join(dir, "data"),
		sockDir: dir,
		logFile: filepath.Join(dir, "postgres.log"),
		cred:    cred,
		log:     opts.Logger.With("server", "postgres", "dir", dir),
	}
	if err := p.start(ctx, bin); err != nil {
		if cerr := p.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, err
	}
	return p, nil
}

// postgresCredential returns the credential to run postgres with, or nil
// when the caller is not root.
func postgresCredential(ctx context.Context, runAs string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	candidates := []string{runAs}
	if runAs == "" {
		candidates = []string{"postgres", "nobody", "syncer-test"}
	}
	var u *user.User
	for _, name := range candidates {
		if found, err := user.Lookup(name); err == nil {
			u = found
			break
		}
	}
	if u == nil {
		name := candidates[len(candidates)-1]
		useradd, err := findBinary("useradd", "/usr/sbin", "/sbin")
		if err != nil {
			return nil, fmt.Errorf("no account to run postgres as (tried %s): %w", strings.Join(candidates, ", "), err)
		}
		cmd := exec.CommandContext(ctx, useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name)
		if err := runLogged(ctx, cmd); err != nil {
			return nil, fmt.Errorf("create account %s to run postgres as: %w", name, err)
		}
		if u, err = user.Lookup(name); err != nil {
			return nil, fmt.Errorf("look up account %s after useradd: %w", name, err)
		}
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("account %s: uid %q: %w", u.Username, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("account %s: gid %q: %w", u.Username, u.Gid, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

func (p *Postgres) command(ctx context.Context, path string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if ctx != nil {
		cmd = exec.CommandContext(ctx, path, args...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = p.dir
	// A clean environment: no PG* variables of the caller, a HOME the
	// unprivileged account can read.
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + p.dir, "LC_ALL=C", "TZ=UTC"}
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd
}

func (p *Postgres) chown() error {
	if p.cred == nil {
		return nil
	}
	return filepath.WalkDir(p.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(p.cred.Uid), int(p.cred.Gid))
	})
}

func (p *Postgres) start(ctx context.Context, bin string) error {
	if p.cred != nil {
		// MkdirTemp makes the directory 0700; the server account must be
		// able to enter it.
		if err := p.chown(); err != nil {
			return fmt.Errorf("harness: start PostgreSQL: chown %s: %w", p.dir, err)
		}
	}
	p.log.Debug("initdb")
	initdb := p.command(ctx, filepath.Join(bin, "initdb"),
		"-D", p.dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if err := runLogged(ctx, initdb); err != nil {
		return fmt.Errorf("harness: start PostgreSQL: initdb (as uid %s): %w", p.uidString(), err)
	}
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return fmt.Errorf("harness: start PostgreSQL: %w", err)
		}
		p.port = port
		lastErr = p.launch(ctx, bin)
		if lastErr == nil {
			return p.setup(ctx)
		}
		if !strings.Contains(TailFile(p.logFile, 50), "already in use") || ctx.Err() != nil {
			return lastErr
		}
		p.log.Debug("port taken, retrying", "port", port)
	}
	return lastErr
}

func (p *Postgres) uidString() string {
	if p.cred == nil {
		return strconv.Itoa(os.Geteuid())
	}
	return strconv.FormatUint(uint64(p.cred.Uid), 10)
}

func (p *Postgres) launch(ctx context.Context, bin string) error {
	args := []string{
		"-D", p.dataDir,
		"-p", strconv.Itoa(p.port),
		"-k", p.sockDir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "logging_collector=off",
		"-c", "max_connections=50",
	}
	args = append(args, p.opts.ExtraArgs...)
	cmd := p.command(nil, filepath.Join(bin, "postgres"), args...)
	logf, err := os.OpenFile(p.logFile, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("harness: start PostgreSQL: %w", err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	p.log.Debug("starting postgres", "port", p.port)
	proc, err := startProcess("postgres", cmd)
	if err != nil {
		return fmt.Errorf("harness: start PostgreSQL: %w", err)
	}
	proc.term = syscall.SIGINT // "fast" shutdown: do not wait for clients
	p.proc = proc
	dsn := p.dsn("postgres")
	for {
		if proc.exited() {
			p.proc = nil
			return fmt.Errorf("harness: start PostgreSQL: postgres exited while starting (%v); log %s:\n%s",
				proc.err, p.logFile, TailFile(p.logFile, 40))
		}
		pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(pingCtx, dsn)
		cancel()
		if err == nil {
			_ = conn.Close(ctx)
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("harness: start PostgreSQL: not ready on port %d: %w (last error: %v); log %s:\n%s",
				p.port, ctx.Err(), err, p.logFile, TailFile(p.logFile, 40))
		}
		_ = Sleep(ctx, 50*time.Millisecond)
	}
}

func (p *Postgres) setup(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, p.dsn("postgres"))
	if err != nil {
		return fmt.Errorf("harness: set up PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	q := "CREATE DATABASE " + pgx.Identifier{p.opts.Database}.Sanitize()
	if _, err := conn.Exec(ctx, q); err != nil {
		return fmt.Errorf("harness: set up PostgreSQL: %s: %w", q, err)
	}
	p.log.Info("PostgreSQL ready", "addr", p.Addr(), "database", p.opts.Database)
	return nil
}

func (p *Postgres) dsn(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     p.Addr(),
		Path:     "/" + db,
		RawQuery: "sslmode=disable&connect_timeout=10",
	}
	return u.String()
}

// DSN returns the URL of opts.Database for the superuser "postgres", e.g.
// "postgres://postgres@127.0.0.1:41234/syncer?sslmode=disable&connect_timeout=10".
func (p *Postgres) DSN() string { return p.dsn(p.opts.Database) }

// DSNFor returns the URL of database db.
func (p *Postgres) DSNFor(db string) string { return p.dsn(db) }

// Addr returns "127.0.0.1:PORT".
func (p *Postgres) Addr() string { return fmt.Sprintf("127.0.0.1:%d", p.port) }

// Port returns the TCP port.
func (p *Postgres) Port() int { return p.port }

// SocketDir returns the directory holding the server's unix socket.
func (p *Postgres) SocketDir() string { return p.sockDir }

// Dir returns the server's temporary directory (removed by Close).
func (p *Postgres) Dir() string { return p.dir }

// LogFile returns the path of the server's log.
func (p *Postgres) LogFile() string { return p.logFile }

// PID returns the postmaster's process id, or 0 when it is not running.
func (p *Postgres) PID() int {
	if p.proc == nil || p.proc.exited() {
		return 0
	}
	return p.proc.cmd.Process.Pid
}

// Connect opens a new connection to DSN(); the caller closes it.
func (p *Postgres) Connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, p.DSN())
	if err != nil {
		return nil, fmt.Errorf("harness: connect to PostgreSQL %s: %w", p.Addr(), err)
	}
	return conn, nil
}

// Close stops the server (SIGINT, PostgreSQL's "fast" shutdown, which does
// not wait for clients; SIGKILL of the process group after the stop
// timeout) and removes its directory. It may be called more than once.
func (p *Postgres) Close() error {
	var errs []error
	if p.proc != nil {
		if err := p.proc.stop(p.opts.StopTimeout); err != nil {
			errs = append(errs, fmt.Errorf("harness: %w; log:\n%s", err, TailFile(p.logFile, 20)))
		}
		p.proc = nil
	}
	if p.dir != "" {
		if err := os.RemoveAll(p.dir); err != nil {
			errs = append(errs, fmt.Errorf("harness: remove %s: %w", p.dir, err))
		}
		p.dir = ""
	}
	p.log.Debug("PostgreSQL stopped")
	return errors.Join(errs...)
}
