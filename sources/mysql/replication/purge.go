package replication

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/seed5aa6e046/syncer/sources/mysql/gtid"
	"github.com/seed5aa6e046/syncer/sources/mysql/proto"
)

// ErrPurged means the start position is no longer on the server: the
// binary logs holding it (or transactions after it) were purged, so the
// changes since the checkpoint cannot be streamed any more.
var ErrPurged = errors.New("the start position is no longer on the server: the binlogs after it were purged")

// ErrBadStart means the start position never existed on this server: it
// lies beyond the end of the binlog, is not at an event boundary, or names
// GTIDs or files the server does not know. The checkpoint is usually from
// another server, or the binlog was reset (RESET MASTER).
var ErrBadStart = errors.New("the start position does not exist on this server")

// snapshotWayOut is the fix for a lost start position.
const snapshotWayOut = "The way out is a new snapshot: re-snapshot the pipeline (Syncer reads the included tables again and streams from the position current at the snapshot); the downstream data must be reloaded from it. To keep it from happening again, keep binlogs longer than Syncer may ever be stopped: raise binlog_expire_logs_seconds (MySQL 8, MariaDB 10.6+; expire_logs_days on older servers) with SET GLOBAL and in my.cnf."

// startError is a start position problem as an error: its text is the
// finding's, and it wraps the finding's Cause (ErrPurged or ErrBadStart).
type startError struct {
	finding Finding
}

func (e *startError) Error() string {
	return "replication: " + e.finding.Problem + " " + e.finding.Fix
}

func (e *startError) Unwrap() error { return e.finding.Cause }

// CheckStartAvailable checks that the server can still stream from a start
// position: a MySQL GTID set, a MariaDB GTID position or, when neither is
// set, a file position (file non-empty; with a GTID the file is not
// checked: a GTID start is resumed by GTID, and after a failover the file
// name is another server's). It returns nil
// when the position is available; an error wrapping ErrPurged when the
// server has purged what the stream needs (the text names what is lost and
// the way out); an error wrapping ErrBadStart when the position is not one
// of this server's; other errors when the checks could not run.
func CheckStartAvailable(ctx context.Context, db *sql.DB, file string, pos uint64, set *gtid.Set, maria *gtid.MariaDBPos) error {
	info, err := ReadServerInfo(ctx, db)
	if err != nil {
		return err
	}
	if !info.LogBin {
		return fmt.Errorf("replication: check start position: %w", ErrNoBinlog)
	}
	problems, err := startProblems(ctx, db, info, file, pos, set, maria)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range problems {
		if p.finding.Severity == SeverityError {
			errs = append(errs, p)
		}
	}
	return errors.Join(errs...)
}

func (p *preflight) checkStart() error {
	o := p.opts
	if !p.info.LogBin || (o.StartFile == "" && o.StartGTID.IsEmpty() && o.StartMariaDB.IsEmpty()) {
		return nil // the log_bin finding says all there is to say
	}
	problems, err := startProblems(p.ctx, p.db, p.info, o.StartFile, o.StartPos, o.StartGTID, o.StartMariaDB)
	if err != nil {
		return err
	}
	for _, sp := range problems {
		p.report.Findings = append(p.report.Findings, sp.finding)
	}
	return nil
}

// startProblems runs the start position checks. Server-side failures of
// the checks themselves (a missing privilege) become warnings; only
// connection-level failures are returned as errors.
func startProblems(ctx context.Context, db *sql.DB, info *ServerInfo, file string, pos uint64, set *gtid.Set, maria *gtid.MariaDBPos) ([]*startError, error) {
	var out []*startError
	add := func(sev Severity, sentinel error, problem, fix string) {
		out = append(out, &startError{Finding{Check: "start_position", Severity: sev, Problem: problem, Fix: fix, Cause: sentinel}})
	}
	couldNot := func(what string, err error) error {
		if serverErrorNumber(err) == 0 {
			return fmt.Errorf("%s: %w", what, err)
		}
		add(SeverityWarning, nil, fmt.Sprintf("could not check the start position: %s: %v.", what, err),
			"grant the privileges named by the privileges finding, or make sure yourself that the server still has the start position.")
		return nil
	}
	// A GTID start is resumed by GTID: the server picks the file, and after
	// a failover the recorded file name is another server's.
	if file != "" && set.IsEmpty() && maria.IsEmpty() {
		files, err := BinaryLogs(ctx, db)
		if err != nil {
			if errors.Is(err, ErrNoBinlog) {
				return out, nil
			}
			return out, couldNot("SHOW BINARY LOGS", err)
		}
		if err := checkStartFile(ctx, db, files, file, pos, add); err != nil {
			return out, couldNot("SHOW BINLOG EVENTS", err)
		}
	}
	if !set.IsEmpty() {
		if info.IsMariaDB() {
			add(SeverityError, ErrBadStart,
				fmt.Sprintf("the start position is a MySQL GTID set (%s) but the server is %s, which uses MariaDB GTIDs (domain-server-seq).", set, info.Describe()),
				"start from a MariaDB GTID position or a file position of this server, or point the pipeline at the MySQL server the checkpoint came from.")
		} else if err := checkStartMySQLGTID(ctx, db, info, set, add); err != nil {
			return out, couldNot("read @@global.gtid_purged", err)
		}
	}
	if !maria.IsEmpty() {
		if !info.IsMariaDB() {
			add(SeverityError, ErrBadStart,
				fmt.Sprintf("the start position is a MariaDB GTID position (%s) but the server is %s, which uses MySQL GTID sets.", maria, info.Describe()),
				"start from a MySQL GTID set or a file position of this server, or point the pipeline at the MariaDB server the checkpoint came from.")
		} else if err := checkStartMariaDBGTID(ctx, db, maria, add); err != nil {
			return out, couldNot("read the MariaDB GTID state", err)
		}
	}
	return out, nil
}

type addFunc func(sev Severity, sentinel error, problem, fix string)

func checkStartFile(ctx context.Context, db *sql.DB, files []BinlogFile, file string, pos uint64, add addFunc) error {
	if len(files) == 0 {
		return nil
	}
	oldest, newest := files[0], files[len(files)-1]
	for _, f := range files {
		if f.Name != file {
			continue
		}
		switch {
		case pos < 4:
			add(SeverityError, ErrBadStart,
				fmt.Sprintf("start position %s:%d is inside the binlog file header: events start at offset 4.", file, pos),
				fmt.Sprintf("start at %s:4 or at a position Syncer recorded.", file))
		case pos > f.Size:
			add(SeverityError, ErrBadStart,
				fmt.Sprintf("start position %s:%d is beyond the end of %s (%d bytes): the checkpoint is from another server with the same file names, or the binlog was reset (RESET MASTER) and rewritten.", file, pos, file, f.Size),
				"point the pipeline at the server the checkpoint came from, or take a new snapshot.")
		case pos < f.Size:
			// An offset inside an event decodes as garbage: SHOW BINLOG
			// EVENTS FROM it fails with 1220 where a boundary does not.
			q := "SHOW BINLOG EVENTS IN " + quoteString(file) + " FROM " + strconv.FormatUint(pos, 10) + " LIMIT 1"
			rows, err := db.QueryContext(ctx, q)
			if err == nil {
				// The error may come with the rows rather than the query.
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
			if serverErrorNumber(err) == errWrongOffsetOrIO {
				add(SeverityError, ErrBadStart,
					fmt.Sprintf("start position %s:%d is not at an event boundary (%v): it was not recorded by a replica of this server.", file, pos, err),
					"start from a position Syncer recorded, or take a new snapshot.")
				return nil
			}
			return err
		}
		return nil
	}
	base, num, ok := binlogSeq(file)
	oBase, oNum, oOK := binlogSeq(oldest.Name)
	_, nNum, _ := binlogSeq(newest.Name)
	switch {
	case !ok || !oOK || base != oBase:
		add(SeverityError, ErrBadStart,
			fmt.Sprintf("binlog file %s is not one of this server's (they are %s to %s): the checkpoint is from another server, or log_bin's base name changed.", file, oldest.Name, newest.Name),
			"point the pipeline at the server the checkpoint came from, or take a new snapshot.")
	case num < oNum:
		add(SeverityError, ErrPurged,
			fmt.Sprintf("binlog file %s is no longer on the server (oldest is %s): the changes between your checkpoint (%s:%d) and %s are lost to the binlog.", file, oldest.Name, file, pos, oldest.Name),
			snapshotWayOut)
	case num > nNum:
		add(SeverityError, ErrBadStart,
			fmt.Sprintf("binlog file %s does not exist yet (newest is %s): the checkpoint is from another server, or the binlog was reset (RESET MASTER).", file, newest.Name),
			"point the pipeline at the server the checkpoint came from, or take a new snapshot.")
	default:
		add(SeverityError, ErrPurged,
			fmt.Sprintf("binlog file %s is missing from the server's binlog index although older and newer files exist (%s to %s): it was deleted.", file, oldest.Name, newest.Name),
			snapshotWayOut)
	}
	return nil
}

// binlogSeq splits "base.000042" into "base" and 42.
func binlogSeq(name string) (base string, num uint64, ok bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.ParseUint(name[i+1:], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return name[:i], n, true
}

// checkStartMySQLGTID: the server can serve a GTID set only if it still has
// every transaction outside it, that is if gtid_purged ⊆ start.
func checkStartMySQLGTID(ctx context.Context, db *sql.DB, info *ServerInfo, start *gtid.Set, add addFunc) error {
	var purgedText, executedText sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT @@global.gtid_purged, @@global.gtid_executed").Scan(&purgedText, &executedText); err != nil {
		return err
	}
	purged, err := gtid.ParseSet(strings.ReplaceAll(purgedText.String, "\n", ""))
	if err != nil {
		return fmt.Errorf("parse @@global.gtid_purged %q: %w", purgedText.String, err)
	}
	executed, err := gtid.ParseSet(strings.ReplaceAll(executedText.String, "\n", ""))
	if err != nil {
		return fmt.Errorf("parse @@global.gtid_executed %q: %w", executedText.String, err)
	}
	compareMySQLGTID(info.ServerUUID, purged, executed, start, add)
	return nil
}

// compareMySQLGTID reports a MySQL GTID start that needs purged
// transactions, or that holds transactions of this server it never
// executed (which MySQL refuses too).
func compareMySQLGTID(serverUUID string, purged, executed, start *gtid.Set, add addFunc) {
	if missing := purged.Subtract(start); !missing.IsEmpty() {
		add(SeverityError, ErrPurged,
			fmt.Sprintf("the server has purged transactions the start GTID set does not contain: %s (@@global.gtid_purged is %s): those changes are lost to the binlog.", missing, purged),
			snapshotWayOut)
	}
	extra := start.Subtract(executed)
	if extra.IsEmpty() {
		return
	}
	own := false
	if uuid, err := gtid.ParseUUID(serverUUID); err == nil {
		own = len(extra.Intervals(uuid, "")) > 0
	}
	if own {
		add(SeverityError, ErrBadStart,
			fmt.Sprintf("the start GTID set contains transactions of this server (server_uuid %s) that it never executed: %s (@@global.gtid_executed is %s): the checkpoint is from another server, or the GTID history was reset (RESET MASTER).", serverUUID, extra, executed),
			"point the pipeline at the server the checkpoint came from, or take a new snapshot.")
		return
	}
	add(SeverityWarning, nil,
		fmt.Sprintf("the start GTID set contains transactions this server has not executed: %s: if they reach this server later (it replicates them from elsewhere), Syncer will skip them.", extra),
		"nothing to do if the checkpoint was taken from this server's topology; otherwise start from a GTID set of this server.")
}

// checkStartMariaDBGTID compares a MariaDB start position with the
// server's binlog state: @@gtid_binlog_pos (the newest GTID per domain) and
// BINLOG_GTID_POS(oldest file, 4), the GTID state where the oldest binlog
// begins (its Gtid_list event). The server looks for a binlog whose
// Gtid_list is at or before the start in every domain; if even the oldest
// is past the start in a domain, the transactions in between were purged.
func checkStartMariaDBGTID(ctx context.Context, db *sql.DB, start *gtid.MariaDBPos, add addFunc) error {
	var curText sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT @@global.gtid_binlog_pos").Scan(&curText); err != nil {
		return err
	}
	cur, err := gtid.ParseMariaDBPos(curText.String)
	if err != nil {
		return fmt.Errorf("parse @@global.gtid_binlog_pos %q: %w", curText.String, err)
	}
	files, err := BinaryLogs(ctx, db)
	if err != nil && !errors.Is(err, ErrNoBinlog) {
		return err
	}
	var oldest string
	var first *gtid.MariaDBPos
	if len(files) > 0 {
		oldest = files[0].Name
		var firstText sql.NullString
		if err := db.QueryRowContext(ctx, "SELECT BINLOG_GTID_POS(?, 4)", oldest).Scan(&firstText); err != nil {
			return err
		}
		// NULL: the server could not read the file; nothing to compare with.
		if firstText.Valid {
			if first, err = gtid.ParseMariaDBPos(firstText.String); err != nil {
				return fmt.Errorf("parse BINLOG_GTID_POS(%q, 4) %q: %w", oldest, firstText.String, err)
			}
		}
	}
	compareMariaDBGTID(start, cur, first, oldest, add)
	return nil
}

// compareMariaDBGTID checks start against the server's newest GTIDs (cur,
// @@gtid_binlog_pos) and the GTID state where its oldest binlog begins
// (first; nil when unknown).
func compareMariaDBGTID(start, cur, first *gtid.MariaDBPos, oldest string, add addFunc) {
	const elsewhere = "point the pipeline at the server the checkpoint came from, or take a new snapshot."
	for _, g := range start.Domains() {
		last, ok := cur.Get(g.Domain)
		if !ok {
			add(SeverityError, ErrBadStart,
				fmt.Sprintf("the start GTID %s is in replication domain %d, which this server has never logged (@@gtid_binlog_pos is %q): the checkpoint is from another server, or the binlog was reset (RESET MASTER).", g, g.Domain, cur.String()),
				elsewhere)
			continue
		}
		if g.Seq > last.Seq {
			add(SeverityError, ErrBadStart,
				fmt.Sprintf("the start GTID %s is ahead of this server's binlog, whose last GTID in domain %d is %s (@@gtid_binlog_pos): the checkpoint is from another server, or the binlog was reset (RESET MASTER).", g, g.Domain, last),
				elsewhere)
		}
	}

	for _, f := range first.Domains() {
		g, ok := start.Get(f.Domain)
		switch {
		case !ok:
			add(SeverityError, ErrPurged,
				fmt.Sprintf("the start position has no GTID for replication domain %d, so the stream would need that domain from its first transaction, but the binlogs up to %s were purged (the oldest binlog %s starts after it): those changes are lost to the binlog.", f.Domain, f, oldest),
				snapshotWayOut)
		case g.Seq < f.Seq:
			add(SeverityError, ErrPurged,
				fmt.Sprintf("the transactions after the start GTID %s up to %s in domain %d are in purged binlogs (the oldest binlog %s starts after %s): those changes are lost to the binlog.", g, f, f.Domain, oldest, f),
				snapshotWayOut)
		}
	}
}

// PurgedError turns the server's error 1236 (ER_MASTER_FATAL_ERROR_READING_BINLOG)
// received on a binlog dump into an error wrapping both ErrPurged and err,
// when its message says the binlog or GTIDs the start needs were purged or
// cannot be found; the text names the start position and the way out.
// Other errors, nil included, are returned unchanged. start is the start
// position as the user knows it ("mysql-bin.000012:4", a GTID set).
func PurgedError(err error, start string) error {
	if err == nil {
		return nil
	}
	code, msg, ok := dumpErrorOf(err)
	if !ok || !classifyDumpError(code, msg) {
		return err
	}
	return &purgedError{start: start, err: err}
}

type purgedError struct {
	start string
	err   error
}

func (e *purgedError) Error() string {
	return fmt.Sprintf("replication: the server no longer has the binlogs needed to stream from %s (%v): the changes after that position are lost to the binlog. %s",
		e.start, e.err, snapshotWayOut)
}

func (e *purgedError) Unwrap() []error { return []error{ErrPurged, e.err} }

// dumpErrorOf finds the server error number and message in err's chain:
// a *proto.ServerError from the replication connection or a
// *mysql.MySQLError from go-sql-driver.
func dumpErrorOf(err error) (code uint16, msg string, ok bool) {
	var se *proto.ServerError
	if errors.As(err, &se) {
		return se.Code, se.Message, true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number, me.Message, true
	}
	return 0, "", false
}

// purgedMessages are the (lower-cased) fragments of 1236 messages that mean
// the start is gone. MySQL: the file (or, with GTIDs, the file holding the
// first missing transaction) is not in the index, or the GTIDs the replica
// lacks were purged (wording changed over 5.6 to 8.x). MariaDB: no binlog's
// Gtid_list is at or before the requested GTID state.
var purgedMessages = []string{
	"could not find first log file name in binary log index file",
	"purged required binary logs",
	"has purged binary logs containing gtids",
	"could not find gtid state requested by slave in any binlog files",
	"required binlog files have been purged",
}

// classifyDumpError reports whether a server error on a binlog dump means
// the start position was purged. "Impossible position" / "position > file
// size" (a bad offset) and MariaDB's "not in the master's binlog" (a start
// ahead of the server) are not purges.
func classifyDumpError(code uint16, msg string) (purged bool) {
	if code != errFatalReadingBinlog {
		return false
	}
	m := strings.ToLower(msg)
	for _, p := range purgedMessages {
		if strings.Contains(m, p) {
			return true
		}
	}
	return false
}
