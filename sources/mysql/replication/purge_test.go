package replication

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/seed5aa6e046/syncer/sources/mysql/gtid"
	"github.com/seed5aa6e046/syncer/sources/mysql/proto"
	"github.com/seed5aa6e046/syncer/test/harness"
)

// dumpMessages are 1236 messages servers send on a binlog dump, and
// whether they mean the start was purged.
var dumpMessages = []struct {
	msg    string
	purged bool
}{
	// MySQL (all versions) and MariaDB: the start file is not in the index.
	{"Could not find first log file name in binary log index file", true},
	// MySQL 5.6/5.7 GTID auto-position.
	{"The slave is connecting using CHANGE MASTER TO MASTER_AUTO_POSITION = 1, but the master has purged binary logs containing GTIDs that the slave requires.", true},
	// MySQL 8.0.2x and 8.0.26+/8.4 wordings.
	{"Cannot replicate because the master purged required binary logs. Replicate the missing transactions from elsewhere, or provision a new slave from backup. Consider increasing the master's binary log expiration period. The GTID set sent by the slave is '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5', and the missing transactions are '3e11fa47-71ca-11e1-9e33-c80aa9429562:6-9'.", true},
	{"Cannot replicate because the source purged required binary logs. Replicate the missing transactions from elsewhere, or provision a new replica from backup. Consider increasing the source's binary log expiration period. The GTID set sent by the replica is '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5', and the missing transactions are '3e11fa47-71ca-11e1-9e33-c80aa9429562:6-9'", true},
	// MariaDB GTID.
	{"Could not find GTID state requested by slave in any binlog files. Probably the slave state is too old and required binlog files have been purged.", true},
	// Not purges.
	{"Client requested master to start replication from position > file size", false},
	{"Client requested master to start replication from position < 4", false},
	{"Client requested master to start replication from impossible position; the first event 'mariadb-bin.000003' at 99999, the last event read from 'mariadb-bin.000003' at 4, the last byte read from 'mariadb-bin.000003' at 4.", false},
	{"Error: connecting slave requested to start from GTID 0-1-9, which is not in the master's binlog", false},
	{"Error: connecting slave requested to start from GTID 0-1-9, which is not in the master's binlog. Since the master's binlog contains GTIDs with higher sequence numbers, it probably means that the slave has diverged due to executing extra erroneous transactions", false},
	{"log event entry exceeded max_allowed_packet; Increase max_allowed_packet on master", false},
	{"binlog truncated in the middle of event; consider out of disk space on master", false},
	{"A slave with the same server_uuid/server_id as this slave has connected to the master", false},
	{"", false},
}

func TestClassifyDumpError(t *testing.T) {
	for _, tc := range dumpMessages {
		if got := classifyDumpError(errFatalReadingBinlog, tc.msg); got != tc.purged {
			t.Errorf("classifyDumpError(1236, %q) = %v, want %v", tc.msg, got, tc.purged)
		}
		if classifyDumpError(1045, tc.msg) {
			t.Errorf("a non-1236 error with message %q counts as purged", tc.msg)
		}
	}
}

func TestPurgedError(t *testing.T) {
	if PurgedError(nil, "x") != nil {
		t.Error("PurgedError(nil) != nil")
	}
	for _, tc := range dumpMessages {
		se := &proto.ServerError{Code: errFatalReadingBinlog, SQLState: "HY000", Message: tc.msg}
		wrapped := fmt.Errorf("replication: binlog dump: %w", se)
		err := PurgedError(wrapped, "mysql-bin.000007:4")
		if !tc.purged {
			if err != wrapped {
				t.Errorf("%q: PurgedError changed a non-purge error into %v", tc.msg, err)
			}
			continue
		}
		if !errors.Is(err, ErrPurged) {
			t.Errorf("%q: not ErrPurged: %v", tc.msg, err)
		}
		var got *proto.ServerError
		if !errors.As(err, &got) || got != se {
			t.Errorf("%q: the server error is no longer in the chain", tc.msg)
		}
		text := err.Error()
		for _, want := range []string{"mysql-bin.000007:4", tc.msg, "new snapshot", "binlog_expire_logs_seconds"} {
			if !strings.Contains(text, want) {
				t.Errorf("PurgedError text lacks %q: %s", want, text)
			}
		}
	}
	// go-sql-driver's error type is understood too.
	me := &mysql.MySQLError{Number: errFatalReadingBinlog, Message: dumpMessages[0].msg}
	if err := PurgedError(me, "f:4"); !errors.Is(err, ErrPurged) {
		t.Errorf("MySQLError: %v", err)
	}
	other := errors.New("connection reset")
	if PurgedError(other, "f:4") != other {
		t.Error("a non-server error was changed")
	}
}

// problemsOf collects what an addFunc receives.
type problemsOf struct{ list []*startError }

func (p *problemsOf) add(sev Severity, sentinel error, problem, fix string) {
	p.list = append(p.list, &startError{Finding{Check: "start_position", Severity: sev, Problem: problem, Fix: fix, Cause: sentinel}})
}

func (p *problemsOf) want(t *testing.T, what string, sentinels ...error) {
	t.Helper()
	if len(p.list) != len(sentinels) {
		t.Errorf("%s: %d problems, want %d: %v", what, len(p.list), len(sentinels), p.list)
		return
	}
	for i, s := range sentinels {
		if p.list[i].finding.Cause != s {
			t.Errorf("%s: problem %d is %v, want %v: %v", what, i, p.list[i].finding.Cause, s, p.list[i])
		}
	}
}

func TestCompareMySQLGTID(t *testing.T) {
	const own = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	const other = "4a5b6c7d-0000-11e1-9e33-c80aa9429562"
	set := gtid.MustParseSet
	executed := set(own + ":1-100," + other + ":1-20")
	purged := set(own + ":1-40")
	for _, tc := range []struct {
		name  string
		start string
		want  []error
	}{
		{"at the end", own + ":1-100," + other + ":1-20", nil},
		{"just after the purge", own + ":1-40", nil},
		{"needs purged transactions", own + ":1-30", []error{ErrPurged}},
		{"empty start needs everything", "", []error{ErrPurged}},
		{"ahead of the server", own + ":1-120", []error{ErrBadStart}},
		{"foreign transactions", own + ":1-50,99999999-0000-11e1-9e33-c80aa9429562:1-3", []error{nil}},
		{"purged and ahead", own + ":1-10:101-102", []error{ErrPurged, ErrBadStart}},
	} {
		var p problemsOf
		compareMySQLGTID(own, purged, executed, set(tc.start), p.add)
		p.want(t, tc.name, tc.want...)
		if len(p.list) > 0 && p.list[0].finding.Cause == ErrPurged && !strings.Contains(p.list[0].finding.Problem, own+":") {
			t.Errorf("%s: the missing GTIDs are not named: %s", tc.name, p.list[0].finding.Problem)
		}
	}
	var p problemsOf
	compareMySQLGTID(own, purged, executed, set(own+":1-30"), p.add)
	if got := p.list[0].finding.Problem; !strings.Contains(got, own+":31-40") {
		t.Errorf("missing GTIDs: %s", got)
	}
}

func TestCompareMariaDBGTID(t *testing.T) {
	pos := func(s string) *gtid.MariaDBPos {
		p, err := gtid.ParseMariaDBPos(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	cur := pos("0-1-100,5-2-30")
	first := pos("0-1-40,5-2-10")
	for _, tc := range []struct {
		name  string
		start string
		first *gtid.MariaDBPos
		want  []error
	}{
		{"current", "0-1-100,5-2-30", first, nil},
		{"at the oldest file", "0-1-40,5-2-10", first, nil},
		{"older in one domain", "0-1-39,5-2-10", first, []error{ErrPurged}},
		{"a domain missing", "0-1-50", first, []error{ErrPurged}},
		{"ahead", "0-1-101,5-2-30", first, []error{ErrBadStart}},
		{"unknown domain", "0-1-100,5-2-30,7-1-1", first, []error{ErrBadStart}},
		{"oldest file unknown", "0-1-1", nil, nil},
		{"another server id, same seq", "0-9-100,5-2-30", first, nil},
	} {
		var p problemsOf
		compareMariaDBGTID(pos(tc.start), cur, tc.first, "mariadb-bin.000009", p.add)
		p.want(t, tc.name, tc.want...)
	}
}

// purgeTo purges every binlog before the newest and waits until the server
// has really deleted them: MariaDB keeps files that its binlog checkpoint
// (InnoDB crash recovery) still needs, until InnoDB has flushed.
func purgeTo(t *testing.T, m *harness.MariaDB) []BinlogFile {
	t.Helper()
	ctx := t.Context()
	deadline := time.Now().Add(30 * time.Second)
	for {
		files, err := BinaryLogs(ctx, m.DB())
		if err != nil {
			t.Fatal(err)
		}
		newest := files[len(files)-1].Name
		if len(files) == 1 {
			return files
		}
		if time.Now().After(deadline) {
			t.Fatalf("PURGE BINARY LOGS TO %s left %v", newest, files)
		}
		mustExec(t, m.DB(), "PURGE BINARY LOGS TO '"+newest+"'")
		time.Sleep(200 * time.Millisecond)
	}
}

func testPurge(t *testing.T, s *servers) {
	ctx := t.Context()
	db := s.main.DB()
	mustExec(t, db, "CREATE DATABASE IF NOT EXISTS purge_db", "CREATE TABLE IF NOT EXISTS purge_db.t (id INT PRIMARY KEY)",
		"INSERT INTO purge_db.t VALUES (1)")
	// A second replication domain, written only before the purge.
	mustExec(t, db, "SET SESSION gtid_domain_id = 9", "INSERT INTO purge_db.t VALUES (2)")
	before, err := CurrentBinlogStatus(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := before.MariaDBPos.Get(9); !ok {
		t.Fatalf("domain 9 not in %v", before.MariaDBPos)
	}
	if err := CheckStartAvailable(ctx, db, before.File, before.Pos, nil, before.MariaDBPos); err != nil {
		t.Fatalf("the current position is not available: %v", err)
	}
	mustExec(t, db, "FLUSH BINARY LOGS", "INSERT INTO purge_db.t VALUES (3)", "FLUSH BINARY LOGS", "INSERT INTO purge_db.t VALUES (4)")
	files := purgeTo(t, s.main)
	newest := files[0]
	now, err := CurrentBinlogStatus(ctx, db)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("File", func(t *testing.T) {
		err := CheckStartAvailable(ctx, db, before.File, before.Pos, nil, nil)
		if !errors.Is(err, ErrPurged) || errors.Is(err, ErrBadStart) {
			t.Fatalf("start in a purged file: %v", err)
		}
		for _, want := range []string{fmt.Sprintf("binlog file %s is no longer on the server (oldest is %s)", before.File, newest.Name),
			"lost to the binlog", "new snapshot"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
		r, err := Preflight(ctx, db, PreflightOptions{ServerID: 100, StartFile: before.File, StartPos: before.Pos})
		if err != nil {
			t.Fatal(err)
		}
		if f := wantOnly(t, r, "start_position", SeverityError, "is no longer on the server", "new snapshot"); f.Cause != ErrPurged {
			t.Errorf("finding cause %v", f.Cause)
		}
		if err := r.Err(); !strings.Contains(err.Error(), "new snapshot") || !errors.Is(err, ErrPurged) || !errors.Is(err, ErrPreflight) {
			t.Errorf("Report.Err lacks the way out or ErrPurged: %v", err)
		}

		for _, ok := range []uint64{4, now.Pos} {
			if err := CheckStartAvailable(ctx, db, now.File, ok, nil, nil); err != nil {
				t.Errorf("%s:%d: %v", now.File, ok, err)
			}
		}
		base, num, _ := binlogSeq(newest.Name)
		for _, tc := range []struct {
			file string
			pos  uint64
			want string
		}{
			{now.File, now.Pos + 100, "beyond the end"},
			{now.File, 5, "not at an event boundary"},
			{now.File, 2, "inside the binlog file header"},
			{fmt.Sprintf("%s.%06d", base, num+5), 4, "does not exist yet"},
			{"other-bin.000001", 4, "is not one of this server's"},
		} {
			err := CheckStartAvailable(ctx, db, tc.file, tc.pos, nil, nil)
			if !errors.Is(err, ErrBadStart) || errors.Is(err, ErrPurged) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s:%d: %v, want ErrBadStart saying %q", tc.file, tc.pos, err, tc.want)
			}
		}
	})

	t.Run("MariaDBGTID", func(t *testing.T) {
		err := CheckStartAvailable(ctx, db, "", 0, nil, before.MariaDBPos)
		if !errors.Is(err, ErrPurged) || !strings.Contains(err.Error(), "are in purged binlogs") {
			t.Fatalf("start at a purged GTID: %v", err)
		}
		if err := CheckStartAvailable(ctx, db, "", 0, nil, now.MariaDBPos); err != nil {
			t.Errorf("current GTID position: %v", err)
		}
		// Domain 9 left: a start without it needs its purged history.
		cur0, _ := now.MariaDBPos.Get(0)
		only0 := &gtid.MariaDBPos{}
		only0.Update(cur0)
		err = CheckStartAvailable(ctx, db, "", 0, nil, only0)
		if !errors.Is(err, ErrPurged) || !strings.Contains(err.Error(), "no GTID for replication domain 9") {
			t.Errorf("start without domain 9: %v", err)
		}
		ahead := now.MariaDBPos.Clone()
		ahead.Update(gtid.MariaDBGTID{Domain: 0, Server: 1, Seq: cur0.Seq + 100})
		err = CheckStartAvailable(ctx, db, "", 0, nil, ahead)
		if !errors.Is(err, ErrBadStart) || !strings.Contains(err.Error(), "ahead of this server's binlog") {
			t.Errorf("start ahead: %v", err)
		}
		unknown := now.MariaDBPos.Clone()
		unknown.Update(gtid.MariaDBGTID{Domain: 77, Server: 1, Seq: 1})
		err = CheckStartAvailable(ctx, db, "", 0, nil, unknown)
		if !errors.Is(err, ErrBadStart) || !strings.Contains(err.Error(), "domain 77") {
			t.Errorf("unknown domain: %v", err)
		}
		// Preflight reports it as a finding (and the strict-mode note).
		setGlobal(t, db, "gtid_strict_mode", "ON")
		r, err := Preflight(ctx, db, PreflightOptions{ServerID: 100, StartMariaDB: before.MariaDBPos})
		if err != nil {
			t.Fatal(err)
		}
		wantOnly(t, r, "start_position", SeverityError, "are in purged binlogs", "new snapshot")
		if err := r.Err(); !errors.Is(err, ErrPurged) || errors.Is(err, ErrBadStart) {
			t.Errorf("Report.Err: %v", err)
		}

		// A GTID start resumes by GTID: a file name from another server
		// (after a failover) or a purged one is not held against it.
		for _, file := range []string{"other-bin.000042", before.File} {
			if err := CheckStartAvailable(ctx, db, file, 4, nil, now.MariaDBPos); err != nil {
				t.Errorf("GTID start with file %s: %v", file, err)
			}
		}
	})

	// The server's own words on a dump from the purged positions, through
	// mariadb-binlog --read-from-remote-server, must classify as purged.
	t.Run("ServerMessages", func(t *testing.T) {
		tool, err := exec.LookPath("mariadb-binlog")
		if err != nil {
			if harness.InCI() {
				t.Fatalf("mariadb-binlog not found (CI=true): %v", err)
			}
			t.Skipf("mariadb-binlog not found: %v", err)
		}
		user, pw := s.main.User()
		dump := func(file string, start string) string {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			out, _ := exec.CommandContext(ctx, tool, "--read-from-remote-server", "--host=127.0.0.1",
				fmt.Sprintf("--port=%d", s.main.Port()), "--user="+user, "--password="+pw,
				"--start-position="+start, "--result-file=/dev/null", file).CombinedOutput()
			const marker = "Got error reading packet from server: "
			i := strings.Index(string(out), marker)
			if i < 0 {
				t.Fatalf("%s from %s: no server error in output:\n%s", file, start, out)
			}
			msg, _, _ := strings.Cut(string(out)[i+len(marker):], "\n")
			return strings.TrimSpace(msg)
		}
		for _, tc := range []struct {
			file, start string
			purged      bool
		}{
			{before.File, "4", true},
			{newest.Name, before.MariaDBPos.String(), true},
			{newest.Name, "0-1-999999", false},
			{newest.Name, "999999", false},
		} {
			msg := dump(tc.file, tc.start)
			if got := classifyDumpError(errFatalReadingBinlog, msg); got != tc.purged {
				t.Errorf("%s from %s: server says %q: purged %v, want %v", tc.file, tc.start, msg, got, tc.purged)
			}
			err := PurgedError(&proto.ServerError{Code: errFatalReadingBinlog, SQLState: "HY000", Message: msg}, tc.start)
			if errors.Is(err, ErrPurged) != tc.purged {
				t.Errorf("PurgedError(%q) = %v", msg, err)
			}
		}
	})
}
