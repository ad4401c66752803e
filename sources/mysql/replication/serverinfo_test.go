package replication

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/gtid"
	"github.com/seed5aa6e046/syncer/test/harness"
)

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in     string
		flavor binlog.Flavor
		want   [3]int
	}{
		{"8.0.36", binlog.FlavorMySQL, [3]int{8, 0, 36}},
		{"8.4.0-log", binlog.FlavorMySQL, [3]int{8, 4, 0}},
		{"5.7.44-48-log", binlog.FlavorMySQL, [3]int{5, 7, 44}},
		{"10.11.19-MariaDB-0+deb12u1-log", binlog.FlavorMariaDB, [3]int{10, 11, 19}},
		{"5.5.5-10.6.16-MariaDB", binlog.FlavorMariaDB, [3]int{10, 6, 16}},
		{"11.4.2-MariaDB", binlog.FlavorMariaDB, [3]int{11, 4, 2}},
		{"8.0", binlog.FlavorMySQL, [3]int{8, 0, 0}},
		{"", binlog.FlavorMySQL, [3]int{}},
		{"garbage", binlog.FlavorMySQL, [3]int{}},
	} {
		fl, v := parseVersion(tc.in)
		if fl != tc.flavor || v != tc.want {
			t.Errorf("parseVersion(%q) = %v %v, want %v %v", tc.in, fl, v, tc.flavor, tc.want)
		}
	}
}

func TestServerInfoHelpers(t *testing.T) {
	s := &ServerInfo{Flavor: binlog.FlavorMariaDB, VersionNumber: [3]int{10, 5, 2}, User: "o'brien@app@10.0.%"}
	if u, h := s.UserHost(); u != "o'brien@app" || h != "10.0.%" {
		t.Errorf("UserHost = %q %q", u, h)
	}
	if got, want := s.Account(), `'o''brien@app'@'10.0.%'`; got != want {
		t.Errorf("Account = %s, want %s", got, want)
	}
	if !s.AtLeast(10, 5, 2) || s.AtLeast(10, 5, 3) || !s.AtLeast(10, 4, 99) || s.AtLeast(11, 0, 0) {
		t.Error("AtLeast is wrong around 10.5.2")
	}
	if got := binlogMonitorPrivilege(s); got != "BINLOG MONITOR" {
		t.Errorf("privilege on MariaDB 10.5.2 = %s", got)
	}
	s.VersionNumber = [3]int{10, 4, 30}
	if got := binlogMonitorPrivilege(s); got != "REPLICATION CLIENT" {
		t.Errorf("privilege on MariaDB 10.4 = %s", got)
	}
	s.Flavor = binlog.FlavorMySQL
	s.VersionNumber = [3]int{8, 4, 0}
	if got := binlogMonitorPrivilege(s); got != "REPLICATION CLIENT" {
		t.Errorf("privilege on MySQL = %s", got)
	}
}

// servers are the MariaDB instances the integration tests share: starting
// one costs seconds, so every check runs against these two.
type servers struct {
	main *harness.MariaDB // binlog on, server_id 1
	off  *harness.MariaDB // --skip-log-bin, server_id 2 (also used as a replica of main)
}

// startServers starts both servers concurrently and stops them when t ends.
func startServers(t *testing.T) *servers {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var (
		wg       sync.WaitGroup
		s        servers
		mainErr  error
		offErr   error
		optsMain = harness.MariaDBOptions{}
		optsOff  = harness.MariaDBOptions{ServerID: 2, ExtraArgs: []string{"--skip-log-bin"}}
	)
	wg.Add(2)
	go func() { defer wg.Done(); s.main, mainErr = harness.StartMariaDB(ctx, optsMain) }()
	go func() { defer wg.Done(); s.off, offErr = harness.StartMariaDB(ctx, optsOff) }()
	wg.Wait()
	for _, m := range []*harness.MariaDB{s.main, s.off} {
		if m != nil {
			t.Cleanup(func() {
				if err := m.Close(); err != nil {
					t.Errorf("stop MariaDB: %v", err)
				}
			})
		}
	}
	if err := errors.Join(mainErr, offErr); err != nil {
		if skip, msg := harness.CheckStartError(err); skip {
			t.Skip(msg)
		}
		t.Fatalf("MariaDB could not start (CI=%v): %v", harness.InCI(), err)
	}
	return &s
}

// TestMariaDB runs every check against real servers. The purge test goes
// last: it deletes binlog files the other tests would otherwise see.
func TestMariaDB(t *testing.T) {
	s := startServers(t)
	t.Run("ServerInfo", func(t *testing.T) { testServerInfo(t, s) })
	t.Run("BinlogStatus", func(t *testing.T) { testBinlogStatus(t, s) })
	t.Run("Preflight", func(t *testing.T) { testPreflight(t, s) })
	t.Run("Purge", func(t *testing.T) { testPurge(t, s) })
}

func testServerInfo(t *testing.T, s *servers) {
	ctx := t.Context()
	info, err := ReadServerInfo(ctx, s.main.DB())
	if err != nil {
		t.Fatal(err)
	}
	if info.Flavor != binlog.FlavorMariaDB || !info.IsMariaDB() || info.VersionNumber[0] < 10 {
		t.Errorf("flavor/version: %v %v (%q)", info.Flavor, info.VersionNumber, info.Version)
	}
	var version string
	if err := s.main.DB().QueryRowContext(ctx, "SELECT @@version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if info.Version != version {
		t.Errorf("Version %q, server says %q", info.Version, version)
	}
	want := ServerInfo{
		Flavor: binlog.FlavorMariaDB, Version: info.Version, VersionNumber: info.VersionNumber,
		ServerID: 1, LogBin: true, BinlogFormat: "ROW", BinlogRowImage: "FULL", BinlogRowMetadata: "FULL",
		BinlogChecksum: "CRC32", User: "syncer@%", LowerCaseTableNames: info.LowerCaseTableNames,
	}
	if *info != want {
		t.Errorf("ReadServerInfo =\n%+v\nwant\n%+v", *info, want)
	}
	if !strings.Contains(info.Describe(), "MariaDB") || !strings.Contains(info.Describe(), "server_id 1") {
		t.Errorf("Describe = %q", info.Describe())
	}

	off, err := ReadServerInfo(ctx, s.off.DB())
	if err != nil {
		t.Fatal(err)
	}
	if off.LogBin || off.ServerID != 2 {
		t.Errorf("binlog-off server: LogBin %v, ServerID %d", off.LogBin, off.ServerID)
	}

	// gtid_strict_mode is read as a boolean.
	setGlobal(t, s.main.DB(), "gtid_strict_mode", "ON")
	info, err = ReadServerInfo(ctx, s.main.DB())
	if err != nil {
		t.Fatal(err)
	}
	if !info.GTIDStrictMode {
		t.Error("GTIDStrictMode false after SET GLOBAL gtid_strict_mode = ON")
	}
}

func testBinlogStatus(t *testing.T, s *servers) {
	ctx := t.Context()
	db := s.main.DB()
	mustExec(t, db, "CREATE DATABASE IF NOT EXISTS status_db")
	mustExec(t, db, "CREATE TABLE IF NOT EXISTS status_db.t (id INT PRIMARY KEY)")
	mustExec(t, db, "REPLACE INTO status_db.t VALUES (1)")

	st, err := CurrentBinlogStatus(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	files, err := BinaryLogs(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("BinaryLogs returned no file")
	}
	last := files[len(files)-1]
	if st.File != last.Name || st.Pos != last.Size || st.Pos <= 4 {
		t.Errorf("status %s:%d, newest binlog %s is %d bytes", st.File, st.Pos, last.Name, last.Size)
	}
	paths, err := s.main.BinlogFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(files) || !strings.HasSuffix(paths[len(paths)-1], "/"+last.Name) {
		t.Errorf("BinaryLogs %v, harness sees %v", files, paths)
	}
	var pos string
	if err := db.QueryRowContext(ctx, "SELECT @@global.gtid_binlog_pos").Scan(&pos); err != nil {
		t.Fatal(err)
	}
	if st.GTIDSet != nil || st.MariaDBPos == nil || st.MariaDBPos.String() != pos || pos == "" {
		t.Errorf("GTIDs: set %v, MariaDB %v; server's gtid_binlog_pos %q", st.GTIDSet, st.MariaDBPos, pos)
	}

	// MariaDB has no SHOW BINARY LOG STATUS: the syntax error moves on to
	// SHOW BINLOG STATUS, which gives the same answer.
	st2, err := currentBinlogStatus(ctx, db, []string{"SHOW BINARY LOG STATUS", "SHOW BINLOG STATUS"})
	if err != nil {
		t.Fatalf("fallback to SHOW BINLOG STATUS: %v", err)
	}
	if st2.File != st.File || st2.Pos != st.Pos || !st2.MariaDBPos.Equal(st.MariaDBPos) {
		t.Errorf("SHOW BINLOG STATUS gave %+v, SHOW MASTER STATUS %+v", st2, st)
	}
	if _, err := currentBinlogStatus(ctx, db, []string{"SHOW BINARY LOG STATUS"}); err == nil ||
		!strings.Contains(err.Error(), "knows none of SHOW BINARY LOG STATUS") || serverErrorNumber(err) != errParse {
		t.Errorf("no known statement: %v", err)
	}

	// Without BINLOG MONITOR the error names the privilege and the GRANT.
	nopriv := newUser(t, s.main, "nopriv")
	_, err = CurrentBinlogStatus(ctx, nopriv)
	if !errors.Is(err, ErrPrivilege) || !strings.Contains(err.Error(), "GRANT BINLOG MONITOR ON *.* TO 'nopriv'@'%';") {
		t.Errorf("CurrentBinlogStatus without privilege: %v", err)
	}
	_, err = BinaryLogs(ctx, nopriv)
	if !errors.Is(err, ErrPrivilege) || !strings.Contains(err.Error(), "BINLOG MONITOR") {
		t.Errorf("BinaryLogs without privilege: %v", err)
	}

	// Binlog off: no position, no files.
	if _, err := CurrentBinlogStatus(ctx, s.off.DB()); !errors.Is(err, ErrNoBinlog) {
		t.Errorf("CurrentBinlogStatus with the binlog off: %v", err)
	}
	if _, err := BinaryLogs(ctx, s.off.DB()); !errors.Is(err, ErrNoBinlog) {
		t.Errorf("BinaryLogs with the binlog off: %v", err)
	}
}

// mustExec runs statements on db through one connection, so that session
// settings (sql_log_bin, gtid_domain_id) hold for the following ones; the
// connection is then discarded so that they do not leak into the pool.
func mustExec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		// driver.ErrBadConn makes database/sql close the connection
		// instead of returning it to the pool.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
	}()
	for _, q := range stmts {
		if _, err := conn.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// setGlobal sets a global variable for the rest of the test and restores
// its value when the test ends.
func setGlobal(t *testing.T, db *sql.DB, name, value string) {
	t.Helper()
	var old sql.NullString
	if err := db.QueryRowContext(t.Context(), "SELECT @@global."+name).Scan(&old); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, fmt.Sprintf("SET GLOBAL %s = '%s'", name, value))
	t.Cleanup(func() {
		// Numeric values (booleans read back as 0/1) must not be quoted.
		v := old.String
		if _, err := strconv.Atoi(v); err != nil {
			v = "'" + v + "'"
		}
		if _, err := db.ExecContext(context.Background(), fmt.Sprintf("SET GLOBAL %s = %s", name, v)); err != nil {
			t.Errorf("restore %s: %v", name, err)
		}
	})
}

// newUser creates the account name@'%' (password "pw") with the given
// grants, without logging it to the binlog, and returns a pool for it.
func newUser(t *testing.T, m *harness.MariaDB, name string, grants ...string) *sql.DB {
	t.Helper()
	stmts := []string{
		"SET SESSION sql_log_bin = 0",
		fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", name),
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'pw'", name),
	}
	for _, g := range grants {
		stmts = append(stmts, strings.ReplaceAll(g, "{user}", fmt.Sprintf("'%s'@'%%'", name)))
	}
	mustExec(t, m.DB(), stmts...)
	cfg := m.Config()
	cfg.User, cfg.Passwd = name, "pw"
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// currentMariaDBPos reads the server's @@gtid_binlog_pos.
func currentMariaDBPos(t *testing.T, db *sql.DB) *gtid.MariaDBPos {
	t.Helper()
	var s string
	if err := db.QueryRowContext(t.Context(), "SELECT @@global.gtid_binlog_pos").Scan(&s); err != nil {
		t.Fatal(err)
	}
	p, err := gtid.ParseMariaDBPos(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
