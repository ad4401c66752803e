package harness

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// MariaDBOptions configures StartMariaDB. The zero value starts a server
// with binlog_row_metadata=FULL, CRC32 checksums and no compression.
type MariaDBOptions struct {
	// RowMetadata is binlog_row_metadata: "FULL" (default), "MINIMAL" or
	// "NO_LOG".
	RowMetadata string
	// Compress turns on log_bin_compress, so that the server writes
	// QUERY_COMPRESSED and compressed rows events (types 165-171).
	Compress bool
	// CompressMinLen is log_bin_compress_min_len (server default 256, range
	// 10-1024); 0 keeps the server default. Only used with Compress.
	CompressMinLen int
	// Checksum is binlog_checksum: "CRC32" (default) or "NONE".
	Checksum string
	// ServerID is server_id; default 1.
	ServerID uint32
	// BinlogBaseName is the base name of the binlog files inside
	// BinlogDir(); default "mariadb-bin".
	BinlogBaseName string
	// BinDir is the directory holding mariadbd and mariadb-install-db;
	// default: PATH, then /usr/sbin, /usr/bin, /usr/local/mysql/bin,
	// /usr/local/bin.
	BinDir string
	// ExtraArgs are appended to the mariadbd command line, for example
	// "--binlog-annotate-row-events=OFF".
	ExtraArgs []string
	// User and Password of the account created for clients (it has every
	// privilege, REPLICATION SLAVE and REPLICATION CLIENT included); default
	// "syncer" / "syncer-test-pw".
	User, Password string
	// StartTimeout bounds initialisation and start-up; default
	// DefaultStartTimeout.
	StartTimeout time.Duration
	// StopTimeout is how long Close waits after SIGTERM; default
	// DefaultStopTimeout.
	StopTimeout time.Duration
	// BaseDir is where the temporary directory is created; default
	// os.TempDir().
	BaseDir string
	// Logger receives progress messages; default discards them.
	Logger *slog.Logger
	// TLS generates a CA and a server certificate for 127.0.0.1 and
	// localhost in the server's directory and starts mariadbd with
	// --ssl-ca, --ssl-cert and --ssl-key (see CAFile, CACertPool).
	TLS bool
	// RequireSecureTransport sets --require-secure-transport=ON: plain TCP
	// connections are refused. It needs TLS. Config, DSN and DB then use
	// TLS.
	RequireSecureTransport bool
}

func (o MariaDBOptions) withDefaults() (MariaDBOptions, error) {
	if o.RowMetadata == "" {
		o.RowMetadata = "FULL"
	}
	o.RowMetadata = strings.ToUpper(o.RowMetadata)
	switch o.RowMetadata {
	case "FULL", "MINIMAL", "NO_LOG":
	default:
		return o, fmt.Errorf("harness: RowMetadata %q: want FULL, MINIMAL or NO_LOG", o.RowMetadata)
	}
	if o.Checksum == "" {
		o.Checksum = "CRC32"
	}
	o.Checksum = strings.ToUpper(o.Checksum)
	switch o.Checksum {
	case "CRC32", "NONE":
	default:
		return o, fmt.Errorf("harness: Checksum %q: want CRC32 or NONE", o.Checksum)
	}
	if o.CompressMinLen != 0 && (o.CompressMinLen < 10 || o.CompressMinLen > 1024) {
		return o, fmt.Errorf("harness: CompressMinLen %d: want 10..1024", o.CompressMinLen)
	}
	if o.ServerID == 0 {
		o.ServerID = 1
	}
	if o.BinlogBaseName == "" {
		o.BinlogBaseName = "mariadb-bin"
	}
	if strings.ContainsAny(o.BinlogBaseName, "/\\") {
		return o, fmt.Errorf("harness: BinlogBaseName %q must be a plain file name", o.BinlogBaseName)
	}
	if o.User == "" {
		o.User = "syncer"
	}
	if o.Password == "" {
		o.Password = "syncer-test-pw"
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = DefaultStopTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.RequireSecureTransport && !o.TLS {
		return o, errors.New("harness: RequireSecureTransport needs TLS")
	}
	return o, nil
}

// MariaDB is a running private MariaDB server. Its methods are safe for
// concurrent use, except Close (which may be called more than once) and
// Stop, Kill, Start and Restart, which must not run concurrently with each
// other, with Close or with PID.
type MariaDB struct {
	opts      MariaDBOptions
	dir       string
	dataDir   string
	binlogDir string
	socket    string
	errLog    string
	port      int
	proc      *process
	db        *sql.DB
	log       *slog.Logger
	mariadbd  string     // binary path, for Start after Stop or Kill
	certs     *CertFiles // server certificate when opts.TLS
}

// mariadbBinDirs are searched when the binaries are not on PATH.
var mariadbBinDirs = []string{"/usr/sbin", "/usr/bin", "/usr/local/mysql/bin", "/usr/local/bin"}

// StartMariaDB initialises a fresh data directory in a new temporary
// directory and starts mariadbd on a free 127.0.0.1 port, with the binary
// log in row format (binlog_row_image=FULL) and the options in opts. It
// waits until the server accepts connections, creates the client account
// and returns. On failure nothing is left behind and the error includes the
// tail of the server's error log.
func StartMariaDB(ctx context.Context, opts MariaDBOptions) (*MariaDB, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	find := func(name string) (string, error) { return findBinary(name, mariadbBinDirs...) }
	if opts.BinDir != "" {
		find = func(name string) (string, error) { return findIn(name, opts.BinDir) }
	}
	mariadbd, err := find("mariadbd")
	if err != nil {
		return nil, fmt.Errorf("harness: start MariaDB: %w", err)
	}
	installDB, err := find("mariadb-install-db")
	if err != nil {
		return nil, fmt.Errorf("harness: start MariaDB: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()

	dir, err := os.MkdirTemp(opts.BaseDir, "syncer-mariadb-")
	if err != nil {
		return nil, fmt.Errorf("harness: start MariaDB: %w", err)
	}
	m := &MariaDB{
		opts:      opts,
		dir:       dir,
		dataDir:   filepath.Join(dir, "data"),
		binlogDir: filepath.Join(dir, "binlog"),
		socket:    filepath.Join(dir, "mariadb.sock"),
		errLog:    filepath.Join(dir, "error.log"),
		log:       opts.Logger.With("server", "mariadb", "dir", dir),
		mariadbd:  mariadbd,
	}
	if err := m.start(ctx, mariadbd, installDB); err != nil {
		if cerr := m.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, err
	}
	return m, nil
}

func (m *MariaDB) start(ctx context.Context, mariadbd, installDB string) error {
	for _, d := range []string{m.binlogDir, m.tmpDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("harness: start MariaDB: %w", err)
		}
	}
	m.log.Debug("initialising data directory")
	installArgs := []string{
		"--no-defaults",
		"--datadir=" + m.dataDir,
		// A private tmpdir: concurrent bootstraps sharing /tmp clash on
		// their temporary table names.
		"--tmpdir=" + m.tmpDir(),
		"--auth-root-authentication-method=normal",
		"--skip-test-db",
		"--skip-name-resolve",
	}
	if os.Geteuid() == 0 {
		// Run as root instead of switching to the mysql account, which
		// could not enter a private temporary directory.
		installArgs = append(installArgs, "--user=root")
	}
	install := exec.CommandContext(ctx, installDB, installArgs...)
	if err := runLogged(ctx, install); err != nil {
		return fmt.Errorf("harness: start MariaDB: mariadb-install-db: %w", err)
	}
	if err := m.prepareTLS(); err != nil {
		return err
	}

	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return fmt.Errorf("harness: start MariaDB: %w", err)
		}
		m.port = port
		lastErr = m.launch(ctx, mariadbd)
		if lastErr == nil {
			return m.setup(ctx)
		}
		if !strings.Contains(TailFile(m.errLog, 50), "Address already in use") || ctx.Err() != nil {
			return lastErr
		}
		m.log.Debug("port taken, retrying", "port", port)
		_ = os.Remove(m.errLog)
	}
	return lastErr
}

// tmpDir is the server's private tmpdir.
func (m *MariaDB) tmpDir() string { return filepath.Join(m.dir, "tmp") }

// args returns the mariadbd command line.
func (m *MariaDB) args() []string {
	o := m.opts
	args := []string{
		"--no-defaults",
		"--datadir=" + m.dataDir,
		"--tmpdir=" + m.tmpDir(),
		"--socket=" + m.socket,
		fmt.Sprintf("--port=%d", m.port),
		"--bind-address=127.0.0.1",
		"--pid-file=" + filepath.Join(m.dir, "mariadb.pid"),
		"--log-error=" + m.errLog,
		"--skip-name-resolve",
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_general_ci",
		"--log-bin=" + filepath.Join(m.binlogDir, o.BinlogBaseName),
		fmt.Sprintf("--server-id=%d", o.ServerID),
		"--binlog-format=ROW",
		"--binlog-row-image=FULL",
		"--binlog-row-metadata=" + o.RowMetadata,
		"--binlog-checksum=" + o.Checksum,
		// Speed: tests do not need durability.
		"--sync-binlog=0",
		"--innodb-flush-log-at-trx-commit=0",
		"--innodb-buffer-pool-size=128M",
		"--max-allowed-packet=256M",
		"--max-binlog-size=1G",
	}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	if o.Compress {
		args = append(args, "--log-bin-compress=ON")
		if o.CompressMinLen != 0 {
			args = append(args, fmt.Sprintf("--log-bin-compress-min-len=%d", o.CompressMinLen))
		}
	}
	args = append(args, m.tlsArgs()...)
	return append(args, o.ExtraArgs...)
}

// launch starts mariadbd and waits until it accepts connections over its
// unix socket.
func (m *MariaDB) launch(ctx context.Context, mariadbd string) error {
	cmd := exec.Command(mariadbd, m.args()...)
	cmd.Dir = m.dir
	out, err := os.Create(filepath.Join(m.dir, "mariadbd.out"))
	if err != nil {
		return fmt.Errorf("harness: start MariaDB: %w", err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	m.log.Debug("starting mariadbd", "port", m.port)
	p, err := startProcess("mariadbd", cmd)
	if err != nil {
		return fmt.Errorf("harness: start MariaDB: %w", err)
	}
	m.proc = p

	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "unix"
	cfg.Addr = m.socket
	cfg.Timeout = 2 * time.Second
	rootDSN := cfg.FormatDSN()
	for {
		if p.exited() {
			m.proc = nil
			return fmt.Errorf("harness: start MariaDB: mariadbd exited while starting (%v); error log %s:\n%s",
				p.err, m.errLog, TailFile(m.errLog, 40))
		}
		if err := pingDSN(ctx, rootDSN); err == nil {
			return nil
		} else if ctx.Err() != nil {
			return fmt.Errorf("harness: start MariaDB: not ready on port %d: %w (last error: %v); error log %s:\n%s",
				m.port, ctx.Err(), err, m.errLog, TailFile(m.errLog, 40))
		}
		if err := Sleep(ctx, 50*time.Millisecond); err != nil {
			continue // next iteration reports the timeout
		}
	}
}

func pingDSN(ctx context.Context, dsn string) error {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.PingContext(ctx)
}

// setup creates the client account (not written to the binary log) and
// opens DB().
func (m *MariaDB) setup(ctx context.Context) error {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "unix"
	cfg.Addr = m.socket
	root, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return fmt.Errorf("harness: set up MariaDB: %w", err)
	}
	defer root.Close()
	conn, err := root.Conn(ctx)
	if err != nil {
		return fmt.Errorf("harness: set up MariaDB: connect as root: %w", err)
	}
	defer conn.Close()
	user, pw := m.opts.User, m.opts.Password
	for _, q := range []string{
		"SET SESSION sql_log_bin = 0",
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", user, pw),
		fmt.Sprintf("GRANT ALL PRIVILEGES ON *.* TO '%s'@'%%' WITH GRANT OPTION", user),
		fmt.Sprintf("GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO '%s'@'%%'", user),
		"FLUSH PRIVILEGES",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("harness: set up MariaDB: %s: %w", strings.Replace(q, pw, "***", 1), err)
		}
	}
	db, err := sql.Open("mysql", m.DSN())
	if err != nil {
		return fmt.Errorf("harness: set up MariaDB: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("harness: set up MariaDB: connect as %s over TCP %s: %w", user, m.Addr(), err)
	}
	m.db = db
	m.log.Info("MariaDB ready", "addr", m.Addr(), "row_metadata", m.opts.RowMetadata,
		"compress", m.opts.Compress, "checksum", m.opts.Checksum)
	return nil
}

// Config returns a go-sql-driver/mysql configuration for the client account
// over TCP, with no default database. Callers may change the copy. With
// RequireSecureTransport it uses TLS verified against CAFile (its DSN form
// says tls=skip-verify).
func (m *MariaDB) Config() *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User = m.opts.User
	cfg.Passwd = m.opts.Password
	cfg.Net = "tcp"
	cfg.Addr = m.Addr()
	cfg.Timeout = 10 * time.Second
	m.configureTLS(cfg)
	return cfg
}

// DSN returns the go-sql-driver/mysql DSN of the client account, e.g.
// "syncer:pw@tcp(127.0.0.1:41234)/?timeout=10s".
func (m *MariaDB) DSN() string { return m.Config().FormatDSN() }

// DSNFor returns the DSN with database db as the default database.
func (m *MariaDB) DSNFor(db string) string {
	cfg := m.Config()
	cfg.DBName = db
	return cfg.FormatDSN()
}

// Addr returns "127.0.0.1:PORT".
func (m *MariaDB) Addr() string { return fmt.Sprintf("127.0.0.1:%d", m.port) }

// Port returns the TCP port.
func (m *MariaDB) Port() int { return m.port }

// User returns the client account's user name and password.
func (m *MariaDB) User() (user, password string) { return m.opts.User, m.opts.Password }

// Socket returns the path of the server's unix socket (root can connect
// through it without a password).
func (m *MariaDB) Socket() string { return m.socket }

// Dir returns the server's temporary directory (removed by Close).
func (m *MariaDB) Dir() string { return m.dir }

// BinlogDir returns the directory holding the binary log files.
func (m *MariaDB) BinlogDir() string { return m.binlogDir }

// BinlogBaseName returns the base name of the binlog files.
func (m *MariaDB) BinlogBaseName() string { return m.opts.BinlogBaseName }

// ErrorLog returns the path of the server's error log.
func (m *MariaDB) ErrorLog() string { return m.errLog }

// Options returns the options the server was started with, defaults filled
// in.
func (m *MariaDB) Options() MariaDBOptions { return m.opts }

// PID returns the mariadbd process id, or 0 when it is not running.
func (m *MariaDB) PID() int {
	if m.proc == nil || m.proc.exited() {
		return 0
	}
	return m.proc.cmd.Process.Pid
}

// DB returns a connection pool for the client account (closed by Close).
func (m *MariaDB) DB() *sql.DB { return m.db }

// BinlogFiles returns the absolute paths of the server's binary log files,
// oldest first, as listed by SHOW BINARY LOGS.
func (m *MariaDB) BinlogFiles(ctx context.Context) ([]string, error) {
	rows, err := m.db.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return nil, fmt.Errorf("harness: SHOW BINARY LOGS: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("harness: SHOW BINARY LOGS: %w", err)
	}
	var files []string
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("harness: SHOW BINARY LOGS: %w", err)
		}
		files = append(files, filepath.Join(m.binlogDir, string(vals[0])))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("harness: SHOW BINARY LOGS: %w", err)
	}
	return files, nil
}

// FlushLogs closes the current binary log file and opens the next one
// (FLUSH BINARY LOGS), so that every file but the newest is complete.
func (m *MariaDB) FlushLogs(ctx context.Context) error {
	if _, err := m.db.ExecContext(ctx, "FLUSH BINARY LOGS"); err != nil {
		return fmt.Errorf("harness: FLUSH BINARY LOGS: %w", err)
	}
	return nil
}

// Close closes DB(), stops the server (SIGTERM, then SIGKILL of its process
// group after the stop timeout) and removes its directory.
func (m *MariaDB) Close() error {
	var errs []error
	if m.db != nil {
		if err := m.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("harness: close MariaDB pool: %w", err))
		}
		m.db = nil
	}
	if m.proc != nil {
		if err := m.proc.stop(m.opts.StopTimeout); err != nil {
			errs = append(errs, fmt.Errorf("harness: %w; error log:\n%s", err, TailFile(m.errLog, 20)))
		}
		m.proc = nil
	}
	if m.dir != "" {
		if err := os.RemoveAll(m.dir); err != nil {
			errs = append(errs, fmt.Errorf("harness: remove %s: %w", m.dir, err))
		}
		m.dir = ""
	}
	m.log.Debug("MariaDB stopped")
	return errors.Join(errs...)
}
