package replication

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/gtid"
)

func TestParseGrantLine(t *testing.T) {
	for _, tc := range []struct {
		line      string
		ok        bool
		revoke    bool
		privs     []string
		db, table string
	}{
		// MariaDB 10.11, as SHOW GRANTS prints them.
		{line: "GRANT ALL PRIVILEGES ON *.* TO `syncer`@`%` IDENTIFIED BY PASSWORD '*4F78' WITH GRANT OPTION",
			ok: true, privs: []string{"ALL"}, db: "*", table: "*"},
		{line: "GRANT REPLICATION SLAVE, BINLOG MONITOR, REPLICATION MASTER ADMIN, SLAVE MONITOR ON *.* TO `lim2`@`127.0.0.1` IDENTIFIED BY PASSWORD '*D8'",
			ok: true, privs: []string{"BINLOG MONITOR", "REPLICATION MASTER ADMIN", "REPLICATION SLAVE", "SLAVE MONITOR"}, db: "*", table: "*"},
		{line: "GRANT SELECT ON `mysql`.* TO `lim`@`%`", ok: true, privs: []string{"SELECT"}, db: "mysql", table: "*"},
		{line: "GRANT SELECT, INSERT ON `mysql`.`user` TO `lim`@`%`", ok: true, privs: []string{"INSERT", "SELECT"}, db: "mysql", table: "user"},
		{line: "GRANT SELECT (`Host`) ON `mysql`.`db` TO `lim`@`%`", ok: true, privs: []string{}, db: "mysql", table: "db"},
		{line: "GRANT SELECT (`a`, `b`), UPDATE ON `d`.`t` TO `u`@`%`", ok: true, privs: []string{"UPDATE"}, db: "d", table: "t"},
		{line: "GRANT BINLOG MONITOR ON *.* TO `r1`", ok: true, privs: []string{"BINLOG MONITOR"}, db: "*", table: "*"},
		{line: "GRANT `r1` TO `lim`@`%`"},
		{line: "SET DEFAULT ROLE `r1` FOR `lim`@`%`"},
		{line: "GRANT USAGE ON *.* TO `none`@`%` IDENTIFIED BY PASSWORD '*D8'", ok: true, privs: []string{"USAGE"}, db: "*", table: "*"},
		{line: "GRANT EXECUTE ON PROCEDURE `d`.`p` TO `u`@`%`"},
		{line: "GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION"},
		// MySQL 8: static and dynamic privileges on separate lines, role
		// grants with hosts, partial revokes, names needing quotes.
		{line: "GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `cdc`@`%`",
			ok: true, privs: []string{"RELOAD", "REPLICATION CLIENT", "REPLICATION SLAVE", "SELECT"}, db: "*", table: "*"},
		{line: "GRANT BACKUP_ADMIN,REPLICATION_SLAVE_ADMIN ON *.* TO `cdc`@`%`", ok: true, privs: []string{"BACKUP_ADMIN", "REPLICATION_SLAVE_ADMIN"}, db: "*", table: "*"},
		{line: "GRANT `reader`@`%`,`r2`@`%` TO `cdc`@`%`"},
		{line: "REVOKE SELECT ON `secret`.* FROM `cdc`@`%`", ok: true, revoke: true, privs: []string{"SELECT"}, db: "secret", table: "*"},
		{line: "GRANT ALL ON `app\\_db`.* TO `u`@`h`", ok: true, privs: []string{"ALL"}, db: `app\_db`, table: "*"},
		{line: "GRANT SELECT ON `we``ird.db`.`t on x` TO `u`@`h`", ok: true, privs: []string{"SELECT"}, db: "we`ird.db", table: "t on x"},
		{line: "grant select on d.t to u@h", ok: true, privs: []string{"SELECT"}, db: "d", table: "t"},
		{line: "GRANT SELECT ON TABLE `d`.`t` TO `u`@`h`", ok: true, privs: []string{"SELECT"}, db: "d", table: "t"},
		{line: ""},
		{line: "GRANT"},
		{line: "GRANT SELECT ON"},
		{line: "GRANT SELECT ON `unterminated"},
	} {
		gl, ok := parseGrantLine(tc.line)
		if ok != tc.ok {
			t.Errorf("%q: ok %v, want %v", tc.line, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		privs := slices.Sorted(maps.Keys(gl.privs))
		if privs == nil {
			privs = []string{}
		}
		if gl.revoke != tc.revoke || !slices.Equal(privs, tc.privs) || gl.db != tc.db || gl.table != tc.table {
			t.Errorf("%q:\n got revoke=%v privs=%q on %q.%q\nwant revoke=%v privs=%q on %q.%q",
				tc.line, gl.revoke, privs, gl.db, gl.table, tc.revoke, tc.privs, tc.db, tc.table)
		}
	}
}

func TestGrantSet(t *testing.T) {
	g := &grantSet{}
	for _, l := range []string{
		"GRANT USAGE ON *.* TO `u`@`%`",
		"GRANT REPLICATION SLAVE ON *.* TO `u`@`%`",
		"GRANT SELECT ON `app\\_%`.* TO `u`@`%`",
		"GRANT ALL PRIVILEGES ON `shop`.* TO `u`@`%`",
		"GRANT SELECT ON `crm`.`contacts` TO `u`@`%`",
		"GRANT SELECT (`id`) ON `crm`.`deals` TO `u`@`%`",
		"GRANT `r` TO `u`@`%`",
	} {
		g.addLine(l)
	}
	if !g.hasGlobal("REPLICATION SLAVE") || g.hasGlobal("REPLICATION CLIENT", "BINLOG MONITOR") {
		t.Error("hasGlobal is wrong")
	}
	for _, tc := range []struct {
		db, table string
		fold      bool
		want      bool
	}{
		{"app_1", "t", false, true},
		{"app_1", "*", false, true},
		{"appx1", "t", false, false}, // the '_' is escaped: literal
		{"app_", "t", false, true},   // '%' matches nothing
		{"shop", "orders", false, true},
		{"SHOP", "orders", false, false},
		{"SHOP", "orders", true, true},
		{"crm", "contacts", false, true},
		{"crm", "*", false, false},
		{"crm", "deals", false, false}, // column privilege only
		{"other", "t", false, false},
	} {
		if got := g.canSelect(tc.db, tc.table, tc.fold); got != tc.want {
			t.Errorf("canSelect(%s.%s, fold=%v) = %v, want %v", tc.db, tc.table, tc.fold, got, tc.want)
		}
	}

	// A global SELECT with a MySQL partial revoke on one database.
	g = &grantSet{}
	g.addLine("GRANT SELECT, REPLICATION SLAVE ON *.* TO `u`@`%`")
	g.addLine("REVOKE SELECT ON `secret`.* FROM `u`@`%`")
	if !g.canSelect("public", "t", false) || g.canSelect("secret", "t", false) || g.canSelect("secret", "*", false) {
		t.Error("partial revoke not applied")
	}
	g = &grantSet{}
	g.addLine("GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION")
	if !g.hasGlobal("BINLOG MONITOR") || !g.canSelect("any", "t", false) {
		t.Error("ALL PRIVILEGES on *.* does not grant everything")
	}
}

func TestMatchDBPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"db", "db", true},
		{"db", "db2", false},
		{"d_", "db", true},
		{"d_", "d", false},
		{"%", "", true},
		{"%", "anything", true},
		{"a%b%c", "aXXbYYc", true},
		{"a%b%c", "aXXbYY", false},
		{`a\_b`, "a_b", true},
		{`a\_b`, "axb", false},
		{`a\%`, "a%", true},
		{`a\%`, "ab", false},
		{"%_x", "x", false},
		{"%_x", "yx", true},
	} {
		if got := matchDBPattern(tc.pattern, tc.name, false); got != tc.want {
			t.Errorf("matchDBPattern(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

func TestParseTableSpec(t *testing.T) {
	for _, tc := range []struct {
		in, db, table string
		ok            bool
	}{
		{"shop.orders", "shop", "orders", true},
		{"shop.*", "shop", "*", true},
		{"`my.db`.`t.1`", "my.db", "t.1", true},
		{"`a``b`.c", "a`b", "c", true},
		{" shop.orders ", "shop", "orders", true},
		{"shop", "", "", false},
		{".t", "", "", false},
		{"shop.", "", "", false},
		{"`shop.orders", "", "", false},
		{"`s`.`t`x", "", "", false},
	} {
		db, table, err := parseTableSpec(tc.in)
		if (err == nil) != tc.ok || db != tc.db || table != tc.table {
			t.Errorf("parseTableSpec(%q) = %q %q %v, want %q %q ok=%v", tc.in, db, table, err, tc.db, tc.table, tc.ok)
		}
	}
}

func TestReportErr(t *testing.T) {
	srv := &ServerInfo{Flavor: binlog.FlavorMySQL, Version: "8.4.0", VersionNumber: [3]int{8, 4, 0}, ServerID: 7, User: "cdc@%"}
	r := &Report{Server: srv, Findings: []Finding{
		{Check: "binlog_row_metadata", Severity: SeverityWarning, Problem: "metadata MINIMAL.", Fix: "set it FULL."},
	}}
	if err := r.Err(); err != nil {
		t.Errorf("warnings only: Err = %v", err)
	}
	if w := r.Warnings(); len(w) != 1 || w[0].Check != "binlog_row_metadata" {
		t.Errorf("Warnings = %v", w)
	}
	r.Findings = append(r.Findings,
		Finding{Check: "log_bin", Severity: SeverityError, Problem: "log_bin is OFF.", Fix: "add log_bin=mysql-bin."},
		Finding{Check: "binlog_format", Severity: SeverityError, Problem: "binlog_format is MIXED.", Fix: "SET GLOBAL binlog_format = 'ROW';"},
	)
	err := r.Err()
	if !errors.Is(err, ErrPreflight) {
		t.Fatalf("Err = %v, want ErrPreflight", err)
	}
	want := "the MySQL server is not ready for Syncer (MySQL 8.4.0 (8.4.0), server_id 7, user cdc@%):\n" +
		"  - [log_bin] log_bin is OFF.\n    fix: add log_bin=mysql-bin.\n" +
		"  - [binlog_format] binlog_format is MIXED.\n    fix: SET GLOBAL binlog_format = 'ROW';"
	if err.Error() != want {
		t.Errorf("Err text:\n%s\nwant:\n%s", err, want)
	}
	if errors.Is(err, ErrPurged) || errors.Is(err, ErrBadStart) {
		t.Errorf("Err wraps a start cause no finding has: %v", err)
	}
	r.Findings = append(r.Findings, Finding{Check: "start_position", Severity: SeverityError, Problem: "gone.", Fix: "snapshot.", Cause: ErrPurged})
	if err := r.Err(); !errors.Is(err, ErrPurged) || !errors.Is(err, ErrPreflight) || errors.Is(err, ErrBadStart) {
		t.Errorf("Err with a purged start: %v", err)
	}
	if got := r.Findings[1].String(); got != "error [log_bin]: log_bin is OFF. Fix: add log_bin=mysql-bin." {
		t.Errorf("Finding.String = %q", got)
	}
	if s := r.String(); !strings.Contains(s, "user cdc@%") || strings.Count(s, "\n") != 4 {
		t.Errorf("Report.String = %q", s)
	}
}

// FuzzParseGrantLine feeds SHOW GRANTS lines (text from the server) to the
// parser and the grant set: they must not panic, and a parsed line names a
// target.
func FuzzParseGrantLine(f *testing.F) {
	for _, s := range []string{
		"GRANT ALL PRIVILEGES ON *.* TO `syncer`@`%` IDENTIFIED BY PASSWORD '*4F78' WITH GRANT OPTION",
		"GRANT SELECT (`Host`) ON `mysql`.`db` TO `lim`@`%`",
		"REVOKE SELECT ON `secret`.* FROM `cdc`@`%`",
		"GRANT `r1` TO `lim`@`%`",
		"GRANT SELECT ON `we``ird.db`.`t on x` TO `u`@`h`",
		"GRANT EXECUTE ON PROCEDURE `d`.`p` TO `u`@`%`",
		"GRANT SELECT ((((`a`) ON d.t TO u",
	} {
		f.Add(s, "d", "t")
	}
	f.Fuzz(func(t *testing.T, line, db, table string) {
		gl, ok := parseGrantLine(line)
		if ok && (gl.db == "" || gl.table == "" || gl.privs == nil) {
			t.Fatalf("%q parsed to an empty target %q.%q", line, gl.db, gl.table)
		}
		g := &grantSet{}
		g.addLine(line)
		g.canSelect(db, table, false)
		g.canSelect(db, "*", true)
		matchDBPattern(line, db, false)
		parseTableSpec(line)
	})
}

// findings returns the findings of one check.
func findings(r *Report, check string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

// wantOnly fails unless the report holds exactly one finding, of check
// with sev, whose Problem and Fix contain the given fragments.
func wantOnly(t *testing.T, r *Report, check string, sev Severity, problem, fix string) Finding {
	t.Helper()
	if len(r.Findings) != 1 {
		t.Fatalf("want exactly one %s finding, got %d:\n%s", check, len(r.Findings), r)
	}
	f := r.Findings[0]
	if f.Check != check || f.Severity != sev || !strings.Contains(f.Problem, problem) || !strings.Contains(f.Fix, fix) {
		t.Fatalf("finding %s\nwant check %s, severity %v, problem containing %q, fix containing %q", f, check, sev, problem, fix)
	}
	if (sev == SeverityError) != (r.Err() != nil) {
		t.Fatalf("Err() = %v for a %v finding", r.Err(), sev)
	}
	return f
}

func testPreflight(t *testing.T, s *servers) {
	db := s.main.DB()
	mustExec(t, db, "CREATE DATABASE IF NOT EXISTS pf_a", "CREATE TABLE IF NOT EXISTS pf_a.t1 (id INT PRIMARY KEY)",
		"CREATE TABLE IF NOT EXISTS pf_a.t2 (id INT PRIMARY KEY)", "CREATE DATABASE IF NOT EXISTS pf_b",
		"CREATE TABLE IF NOT EXISTS pf_b.t (id INT PRIMARY KEY)")
	tables := []string{"pf_a.t1", "pf_a.t2", "pf_b.*"}
	healthy := PreflightOptions{ServerID: 100, Tables: tables}
	run := func(t *testing.T, db *sql.DB, opts PreflightOptions) *Report {
		t.Helper()
		r, err := Preflight(t.Context(), db, opts)
		if err != nil {
			t.Fatalf("Preflight: %v", err)
		}
		return r
	}

	t.Run("ChecksCannotRun", func(t *testing.T) {
		// A cancelled context or a dead server is an error, not a finding.
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if r, err := Preflight(ctx, db, healthy); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: report %v, error %v", r, err)
		}
		cfg := s.main.Config()
		cfg.Addr, cfg.Timeout = "127.0.0.1:1", time.Second
		dead, err := sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			t.Fatal(err)
		}
		defer dead.Close()
		if r, err := Preflight(t.Context(), dead, healthy); err == nil {
			t.Errorf("no server: report %v, no error", r)
		}
		if err := CheckStartAvailable(t.Context(), dead, "f.000001", 4, nil, nil); err == nil || errors.Is(err, ErrPurged) {
			t.Errorf("no server: CheckStartAvailable = %v", err)
		}
	})

	t.Run("Healthy", func(t *testing.T) {
		r := run(t, db, healthy)
		if len(r.Findings) != 0 || r.Err() != nil {
			t.Fatalf("healthy server has findings:\n%s", r)
		}
		if r.Server == nil || !r.Server.IsMariaDB() || r.Server.ServerID != 1 {
			t.Errorf("Report.Server = %+v", r.Server)
		}
	})

	t.Run("BinlogFormat", func(t *testing.T) {
		for _, format := range []string{"STATEMENT", "MIXED"} {
			setGlobal(t, db, "binlog_format", format)
			r := run(t, db, healthy)
			wantOnly(t, r, "binlog_format", SeverityError, "binlog_format is "+format+", not ROW", "SET GLOBAL binlog_format = 'ROW';")
			if !strings.Contains(r.Err().Error(), "SET GLOBAL binlog_format = 'ROW';") {
				t.Errorf("Err text lacks the fix: %v", r.Err())
			}
		}
	})

	t.Run("BinlogRowImage", func(t *testing.T) {
		for _, image := range []string{"MINIMAL", "NOBLOB", "FULL_NODUP"} {
			var old string
			if err := db.QueryRowContext(t.Context(), "SELECT @@global.binlog_row_image").Scan(&old); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(t.Context(), "SET GLOBAL binlog_row_image = '"+image+"'"); err != nil {
				if image == "FULL_NODUP" {
					t.Logf("this server has no FULL_NODUP (%v)", err)
					continue
				}
				t.Fatal(err)
			}
			r := run(t, db, healthy)
			mustExec(t, db, "SET GLOBAL binlog_row_image = '"+old+"'")
			wantOnly(t, r, "binlog_row_image", SeverityError, "binlog_row_image is "+image, "SET GLOBAL binlog_row_image = 'FULL';")
		}
	})

	t.Run("BinlogRowMetadata", func(t *testing.T) {
		for _, md := range []string{"MINIMAL", "NO_LOG"} {
			setGlobal(t, db, "binlog_row_metadata", md)
			r := run(t, db, healthy)
			f := wantOnly(t, r, "binlog_row_metadata", SeverityWarning, "binlog_row_metadata is "+md, "SET GLOBAL binlog_row_metadata = 'FULL';")
			if !strings.Contains(f.Problem, "schema history") || len(r.Warnings()) != 1 {
				t.Errorf("the warning does not say what it costs: %s", f)
			}
		}
	})

	t.Run("SeveralAtOnce", func(t *testing.T) {
		setGlobal(t, db, "binlog_format", "MIXED")
		setGlobal(t, db, "binlog_row_image", "MINIMAL")
		r := run(t, db, healthy)
		err := r.Err()
		if !errors.Is(err, ErrPreflight) || len(r.Findings) != 2 {
			t.Fatalf("report:\n%s", r)
		}
		for _, fix := range []string{"SET GLOBAL binlog_format = 'ROW';", "SET GLOBAL binlog_row_image = 'FULL';", "MariaDB"} {
			if !strings.Contains(err.Error(), fix) {
				t.Errorf("Err text lacks %q:\n%v", fix, err)
			}
		}
	})

	t.Run("LogBinOff", func(t *testing.T) {
		// The tables live on the other server.
		opts := PreflightOptions{ServerID: 100}
		r := run(t, s.off.DB(), opts)
		wantOnly(t, r, "log_bin", SeverityError, "log_bin=OFF", "log_bin=mysql-bin")
		// A start position on a server without binlog: only log_bin is
		// reported, there is nothing to check the position against.
		opts.StartFile, opts.StartPos = "mariadb-bin.000001", 4
		wantOnly(t, run(t, s.off.DB(), opts), "log_bin", SeverityError, "log_bin=OFF", "restart")
	})

	t.Run("ServerID", func(t *testing.T) {
		opts := healthy
		opts.ServerID = 0
		wantOnly(t, run(t, db, opts), "server_id", SeverityError, "server_id is 0", "non-zero server_id")
		opts.ServerID = 1
		wantOnly(t, run(t, db, opts), "server_id", SeverityError, "the source's own @@server_id", "differs from the source's")

		// Make the binlog-off server (server_id 2) a replica of main: it
		// registers, and server_id 2 is then taken.
		user, pw := s.main.User()
		mustExec(t, s.off.DB(), fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='%s', MASTER_PASSWORD='%s', MASTER_USE_GTID=no",
			s.main.Port(), user, pw), "START SLAVE")
		t.Cleanup(func() { s.off.DB().Exec("STOP SLAVE") })
		deadline := time.Now().Add(30 * time.Second)
		for {
			var n int
			rows, err := db.QueryContext(t.Context(), "SHOW SLAVE HOSTS")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				n++
			}
			rows.Close()
			if n > 0 {
				break
			}
			if time.Now().After(deadline) {
				var state string
				s.off.DB().QueryRow("SELECT Last_IO_Error FROM information_schema.SLAVE_STATUS").Scan(&state)
				t.Fatalf("the replica did not register within 30s (%s)", state)
			}
			time.Sleep(100 * time.Millisecond)
		}
		opts.ServerID = 2
		wantOnly(t, run(t, db, opts), "server_id", SeverityError, "another replica already uses server_id 2 (", "unique server_id")
		opts.ServerID = 3
		if r := run(t, db, opts); len(r.Findings) != 0 {
			t.Errorf("server_id 3 is free, yet:\n%s", r)
		}
	})

	t.Run("Privileges", func(t *testing.T) {
		// REPLICATION SLAVE and SELECT on one table only.
		lim := newUser(t, s.main, "pf_lim", "GRANT REPLICATION SLAVE ON *.* TO {user}", "GRANT SELECT ON pf_a.t1 TO {user}")
		r := run(t, lim, healthy)
		want := map[string]string{
			"BINLOG MONITOR":        "GRANT BINLOG MONITOR ON *.* TO 'pf_lim'@'%';",
			"SELECT on `pf_a`.`t2`": "GRANT SELECT ON `pf_a`.`t2` TO 'pf_lim'@'%';",
			"SELECT on `pf_b`.*":    "GRANT SELECT ON `pf_b`.* TO 'pf_lim'@'%';",
		}
		checkPrivilegeFindings(t, r, want)

		// Nothing at all: REPLICATION SLAVE is missing too.
		none := newUser(t, s.main, "pf_none")
		r = run(t, none, PreflightOptions{ServerID: 100, Tables: []string{"pf_a.t1"}})
		checkPrivilegeFindings(t, r, map[string]string{
			"REPLICATION SLAVE":     "GRANT REPLICATION SLAVE ON *.* TO 'pf_none'@'%';",
			"BINLOG MONITOR":        "GRANT BINLOG MONITOR ON *.* TO 'pf_none'@'%';",
			"SELECT on `pf_a`.`t1`": "GRANT SELECT ON `pf_a`.`t1` TO 'pf_none'@'%';",
		})

		// Everything through a default role and database-level grants, as
		// MariaDB prints "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.*".
		mustExec(t, db, "SET SESSION sql_log_bin = 0", "DROP ROLE IF EXISTS pf_role", "CREATE ROLE pf_role",
			"GRANT BINLOG MONITOR ON *.* TO pf_role", "GRANT SELECT ON `pf\\_%`.* TO pf_role")
		full := newUser(t, s.main, "pf_full", "GRANT REPLICATION SLAVE ON *.* TO {user}", "GRANT pf_role TO {user}",
			"SET DEFAULT ROLE pf_role FOR {user}")
		r = run(t, full, healthy)
		if len(r.Findings) != 0 {
			t.Errorf("account with every privilege through a role has findings:\n%s", r)
		}
		// The included table does not exist: a warning, not an error.
		r = run(t, full, PreflightOptions{ServerID: 100, Tables: []string{"pf_a.missing"}})
		wantOnly(t, r, "privileges", SeverityWarning, "does not exist", "check the table name")
	})

	t.Run("GTIDStrictMode", func(t *testing.T) {
		opts := healthy
		opts.StartMariaDB = currentMariaDBPos(t, db)
		setGlobal(t, db, "gtid_strict_mode", "OFF")
		wantOnly(t, run(t, db, opts), "gtid_strict_mode", SeverityWarning, "gtid_strict_mode is OFF", "SET GLOBAL gtid_strict_mode = ON;")
		setGlobal(t, db, "gtid_strict_mode", "ON")
		if r := run(t, db, opts); len(r.Findings) != 0 {
			t.Errorf("strict mode on, current position:\n%s", r)
		}
		// A MySQL GTID set cannot start a MariaDB stream.
		opts = healthy
		opts.StartGTID = gtid.MustParseSet("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5")
		wantOnly(t, run(t, db, opts), "start_position", SeverityError, "MySQL GTID set", "MariaDB GTID position")
	})
}

// checkPrivilegeFindings wants one error finding per entry of want (Problem
// containing the key, Fix containing the value) and nothing else.
func checkPrivilegeFindings(t *testing.T, r *Report, want map[string]string) {
	t.Helper()
	got := findings(r, "privileges")
	if len(got) != len(want) || len(r.Findings) != len(want) {
		t.Fatalf("want %d privilege findings, got:\n%s", len(want), r)
	}
	for problem, fix := range want {
		found := false
		for _, f := range got {
			if f.Severity == SeverityError && strings.Contains(f.Problem, problem) && strings.Contains(f.Fix, fix) {
				found = true
			}
		}
		if !found {
			t.Errorf("no finding about %q with fix %q in:\n%s", problem, fix, r)
		}
	}
}
