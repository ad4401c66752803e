package harness_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// binlogMagic starts every binary log file.
var binlogMagic = []byte{0xfe, 'b', 'i', 'n'}

func processGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		// A zombie still answers kill(0); check /proc state.
		if b, rerr := os.ReadFile(filepath.Join("/proc", itoa(pid), "stat")); rerr == nil {
			if f := strings.Fields(string(b)); len(f) > 2 && f[2] == "Z" {
				t.Fatalf("process %d is a zombie (not reaped)", pid)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still exists after Close (kill(0) = %v)", pid, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

func TestMariaDBLifecycle(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m, err := harness.StartMariaDB(ctx, harness.MariaDBOptions{RowMetadata: "MINIMAL", ServerID: 42})
	if err != nil {
		if skip, msg := harness.CheckStartError(err); skip {
			t.Skip(msg)
		}
		t.Fatalf("StartMariaDB: %v", err)
	}
	dir, pid := m.Dir(), m.PID()
	closed := false
	defer func() {
		if !closed {
			m.Close()
		}
	}()
	if pid == 0 {
		t.Fatal("PID() = 0 for a running server")
	}
	if !strings.HasPrefix(m.Addr(), "127.0.0.1:") || m.Port() == 0 {
		t.Fatalf("Addr() = %q, Port() = %d", m.Addr(), m.Port())
	}

	// The DSN works from a fresh pool, as the client account over TCP.
	db, err := sql.Open("mysql", m.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var user, meta, format, image, checksum string
	var serverID int
	err = db.QueryRowContext(ctx, `SELECT CURRENT_USER(), @@binlog_row_metadata, @@binlog_format,
		@@binlog_row_image, @@binlog_checksum, @@server_id`).Scan(&user, &meta, &format, &image, &checksum, &serverID)
	if err != nil {
		t.Fatalf("query over DSN %q: %v", m.DSN(), err)
	}
	if wantUser, _ := m.User(); user != wantUser+"@%" {
		t.Errorf("CURRENT_USER() = %q, want %q", user, wantUser+"@%")
	}
	if meta != "MINIMAL" || format != "ROW" || image != "FULL" || checksum != "CRC32" || serverID != 42 {
		t.Errorf("server settings: row_metadata=%s format=%s row_image=%s checksum=%s server_id=%d; want MINIMAL ROW FULL CRC32 42",
			meta, format, image, checksum, serverID)
	}
	// The client account has the replication privileges.
	rows, err := db.QueryContext(ctx, "SHOW GRANTS")
	if err != nil {
		t.Fatal(err)
	}
	var grants strings.Builder
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			t.Fatal(err)
		}
		grants.WriteString(g + "\n")
	}
	rows.Close()
	if !strings.Contains(grants.String(), "ALL PRIVILEGES ON *.*") {
		t.Errorf("grants lack ALL PRIVILEGES ON *.*:\n%s", grants.String())
	}

	// A write lands in the binary log.
	for _, q := range []string{
		"CREATE DATABASE h", "CREATE TABLE h.t (id INT PRIMARY KEY, v VARCHAR(10))",
		"INSERT INTO h.t VALUES (1, 'x')",
	} {
		if _, err := m.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := m.FlushLogs(ctx); err != nil {
		t.Fatal(err)
	}
	files, err := m.BinlogFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("BinlogFiles after one flush = %v, want 2 files", files)
	}
	for i, f := range files {
		if !filepath.IsAbs(f) || filepath.Dir(f) != m.BinlogDir() {
			t.Errorf("binlog file %q not an absolute path in BinlogDir %q", f, m.BinlogDir())
		}
		if want := m.BinlogBaseName() + ".00000" + itoa(i+1); filepath.Base(f) != want {
			t.Errorf("binlog file %d = %q, want base name %q", i, f, want)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, binlogMagic) {
			t.Errorf("%s does not start with the binlog magic: % x", f, b[:min(len(b), 4)])
		}
	}
	first, _ := os.ReadFile(files[0])
	if !bytes.Contains(first, []byte("INSERT INTO h.t")) && !bytes.Contains(first, []byte("CREATE TABLE h.t")) {
		t.Errorf("%s does not contain the statements written (size %d)", files[0], len(first))
	}
	// The account set-up is not in the binary log.
	if bytes.Contains(first, []byte("CREATE USER")) {
		t.Errorf("%s contains the harness's CREATE USER", files[0])
	}

	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	closed = true
	processGone(t, pid)
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("server dir %s still exists after Close (stat: %v)", dir, err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestMariaDBCompressedNoChecksum(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{Compress: true, CompressMinLen: 10, Checksum: "NONE"})
	var compress, minLen, checksum string
	err := m.DB().QueryRowContext(t.Context(),
		"SELECT @@log_bin_compress, @@log_bin_compress_min_len, @@binlog_checksum").Scan(&compress, &minLen, &checksum)
	if err != nil {
		t.Fatal(err)
	}
	if compress != "1" || minLen != "10" || checksum != "NONE" {
		t.Errorf("log_bin_compress=%s min_len=%s checksum=%s; want 1 10 NONE", compress, minLen, checksum)
	}
}

func TestMariaDBStartFailureIncludesErrorLog(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	_, err := harness.StartMariaDB(ctx, harness.MariaDBOptions{
		ExtraArgs:    []string{"--no-such-option-for-the-harness-test"},
		StartTimeout: 60 * time.Second,
	})
	if err == nil {
		t.Fatal("StartMariaDB with a bad option succeeded")
	}
	if skip, msg := harness.CheckStartError(err); skip {
		t.Skip(msg)
	}
	if !strings.Contains(err.Error(), "no-such-option-for-the-harness-test") {
		t.Errorf("error does not include the error log naming the bad option:\n%v", err)
	}
	// The error names the error log; its directory is gone.
	m := regexp.MustCompile(`error log (\S+)/error\.log`).FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("error does not name the error log:\n%v", err)
	}
	if _, serr := os.Stat(m[1]); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("failed start left its directory %s (stat: %v)", m[1], serr)
	}
}

func TestMariaDBOptionValidation(t *testing.T) {
	ctx := context.Background()
	for _, o := range []harness.MariaDBOptions{
		{RowMetadata: "PARTIAL"},
		{Checksum: "MD5"},
		{CompressMinLen: 5},
		{BinlogBaseName: "a/b"},
	} {
		if _, err := harness.StartMariaDB(ctx, o); err == nil || !strings.Contains(err.Error(), "harness:") {
			t.Errorf("StartMariaDB(%+v) error = %v, want a validation error", o, err)
		}
	}
}

func TestPostgresLifecycle(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	p, err := harness.StartPostgres(ctx, harness.PostgresOptions{})
	if err != nil {
		if skip, msg := harness.CheckStartError(err); skip {
			t.Skip(msg)
		}
		t.Fatalf("StartPostgres: %v", err)
	}
	dir, pid := p.Dir(), p.PID()
	closed := false
	defer func() {
		if !closed {
			p.Close()
		}
	}()
	if !strings.HasPrefix(p.DSN(), "postgres://") {
		t.Errorf("DSN() = %q", p.DSN())
	}
	conn, err := p.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var db string
	var n int
	if err := conn.QueryRow(ctx, "SELECT current_database(), 40 + 2").Scan(&db, &n); err != nil {
		t.Fatal(err)
	}
	if db != "syncer" || n != 42 {
		t.Errorf("current_database(), 40+2 = %q, %d; want syncer, 42", db, n)
	}
	var fsync string
	if err := conn.QueryRow(ctx, "SHOW fsync").Scan(&fsync); err != nil {
		t.Fatal(err)
	}
	if fsync != "off" {
		t.Errorf("fsync = %q, want off", fsync)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE t (id int primary key, v text); INSERT INTO t VALUES (1, 'é')"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := conn.QueryRow(ctx, "SELECT v FROM t WHERE id = 1").Scan(&v); err != nil || v != "é" {
		t.Errorf("SELECT v = %q, %v; want é", v, err)
	}
	// Close does not wait for this open connection.
	start := time.Now()
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	closed = true
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("Close with an open connection took %s", d)
	}
	conn.Close(context.Background())
	processGone(t, pid)
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("server dir %s still exists after Close (stat: %v)", dir, err)
	}
}

func TestPostgresForTest(t *testing.T) {
	t.Parallel()
	p := harness.PostgresForTest(t, harness.PostgresOptions{Database: "other"})
	conn, err := p.Connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var db string
	if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&db); err != nil || db != "other" {
		t.Errorf("current_database() = %q, %v; want other", db, err)
	}
}

// TestMissingBinariesPolicy checks the skip policy: a missing binary is a
// skip outside CI and a failure in CI.
func TestMissingBinariesPolicy(t *testing.T) {
	ctx := t.Context()
	empty := t.TempDir()
	_, merr := harness.StartMariaDB(ctx, harness.MariaDBOptions{BinDir: empty})
	_, perr := harness.StartPostgres(ctx, harness.PostgresOptions{BinDir: empty})
	for name, err := range map[string]error{"MariaDB": merr, "PostgreSQL": perr} {
		if !errors.Is(err, harness.ErrNotInstalled) {
			t.Fatalf("%s with an empty BinDir: error %v, want ErrNotInstalled", name, err)
		}
		t.Setenv("CI", "true")
		if skip, msg := harness.CheckStartError(err); skip {
			t.Errorf("%s: CI=true: CheckStartError says skip (%s); want a failure", name, msg)
		}
		t.Setenv("CI", "")
		if skip, msg := harness.CheckStartError(err); !skip || !strings.Contains(msg, "not found") {
			t.Errorf("%s: CI unset: CheckStartError = %v, %q; want skip naming the missing binary", name, skip, msg)
		}
	}
	if skip, _ := harness.CheckStartError(errors.New("port clash")); skip {
		t.Error("CheckStartError skips an error that is not ErrNotInstalled")
	}
}

// TestMariaDBConcurrentStarts starts several servers at once, as parallel
// test packages do: they must not clash on ports, sockets or temporary
// files (concurrent bootstraps sharing /tmp once failed on temporary table
// names).
func TestMariaDBConcurrentStarts(t *testing.T) {
	t.Parallel()
	const n = 4
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			m, err := harness.StartMariaDB(t.Context(), harness.MariaDBOptions{})
			if err != nil {
				errs <- err
				return
			}
			_, err = m.DB().ExecContext(t.Context(), "CREATE TABLE mysql.harness_probe (id INT)")
			if cerr := m.Close(); err == nil {
				err = cerr
			}
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			if skip, msg := harness.CheckStartError(err); skip {
				t.Skip(msg)
			}
			t.Error(err)
		}
	}
}
