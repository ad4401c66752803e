package replication

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/seed5aa6e046/syncer/sources/mysql/gtid"
)

// Severity says whether a Finding stops Syncer from starting.
type Severity int

const (
	// SeverityWarning: Syncer works, with a cost the finding explains.
	SeverityWarning Severity = iota
	// SeverityError: Syncer refuses to start until it is fixed.
	SeverityError
)

func (s Severity) String() string {
	if s == SeverityError {
		return "error"
	}
	return "warning"
}

// Finding is one problem Preflight found on the server.
type Finding struct {
	// Check is a short id: "log_bin", "binlog_format", "binlog_row_image",
	// "binlog_row_metadata", "gtid_mode", "gtid_strict_mode", "privileges",
	// "server_id", "start_position".
	Check    string
	Severity Severity
	// Problem says what is wrong, with the values found.
	Problem string
	// Fix says exactly how to fix it: the SQL or my.cnf line, and whether
	// a restart is needed.
	Fix string
	// Cause is ErrPurged or ErrBadStart for a start_position error,
	// ErrServerIDInUse for a server_id error, nil otherwise; Report.Err wraps it, so that errors.Is(err, ErrPurged)
	// holds for a report that found the start purged.
	Cause error
}

// String renders the finding on one line: "error [binlog_format]: problem
// Fix: fix".
func (f Finding) String() string {
	return fmt.Sprintf("%s [%s]: %s Fix: %s", f.Severity, f.Check, f.Problem, f.Fix)
}

// PreflightOptions says what Syncer is about to do, so that Preflight can
// check the server allows it.
type PreflightOptions struct {
	// ServerID is the replica server_id Syncer will use.
	ServerID uint32
	// Tables are the tables the pipeline reads, as "db.table" or "db.*"
	// (names may be quoted with backquotes: "`my.db`.`t`"). SELECT is needed
	// on them for the snapshot. Empty: the check is skipped.
	Tables []string

	// The start position, checked for availability (see
	// CheckStartAvailable): the GTID when one is set, else the file
	// position. All unset means "start at the current position", which is
	// always available.
	StartFile    string
	StartPos     uint64
	StartGTID    *gtid.Set        // MySQL GTID start: the executed set
	StartMariaDB *gtid.MariaDBPos // MariaDB GTID start
}

// Report is the result of Preflight.
type Report struct {
	Server   *ServerInfo
	Findings []Finding
}

// ErrServerIDInUse is wrapped by Report.Err when another replica is
// connected with the server_id Syncer would use. After a crash that replica
// is often Syncer's own previous connection, which the source drops once it
// notices (at its next heartbeat), so a pipeline retries for a while.
var ErrServerIDInUse = errors.New("the server_id is in use by another replica")

// ErrPreflight is wrapped by Report.Err when a check failed.
var ErrPreflight = errors.New("the MySQL server is not ready for Syncer")

// Err returns nil when no finding is an error; otherwise an error wrapping
// ErrPreflight (and the findings' causes, such as ErrPurged) whose text
// lists every error finding with its fix, one per line.
func (r *Report) Err() error {
	var errs []Finding
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			errs = append(errs, f)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &preflightError{server: r.Server, findings: errs}
}

// Warnings returns the findings that do not stop Syncer.
func (r *Report) Warnings() []Finding {
	var ws []Finding
	for _, f := range r.Findings {
		if f.Severity == SeverityWarning {
			ws = append(ws, f)
		}
	}
	return ws
}

// String renders the server and every finding, one per line, for logs
// and the command line.
func (r *Report) String() string {
	var b strings.Builder
	if r.Server != nil {
		fmt.Fprintf(&b, "%s, user %s", r.Server.Describe(), r.Server.User)
	}
	if len(r.Findings) == 0 {
		b.WriteString(": all checks passed")
	}
	for _, f := range r.Findings {
		b.WriteString("\n  ")
		b.WriteString(f.String())
	}
	return b.String()
}

type preflightError struct {
	server   *ServerInfo
	findings []Finding
}

func (e *preflightError) Error() string {
	var b strings.Builder
	b.WriteString(ErrPreflight.Error())
	if e.server != nil {
		fmt.Fprintf(&b, " (%s, user %s)", e.server.Describe(), e.server.User)
	}
	b.WriteByte(':')
	for _, f := range e.findings {
		fmt.Fprintf(&b, "\n  - [%s] %s\n    fix: %s", f.Check, f.Problem, f.Fix)
	}
	return b.String()
}

// Unwrap returns ErrPreflight and the causes of the findings (ErrPurged,
// ErrBadStart).
func (e *preflightError) Unwrap() []error {
	errs := []error{ErrPreflight}
	for _, f := range e.findings {
		if f.Cause != nil && !slices.Contains(errs, f.Cause) {
			errs = append(errs, f.Cause)
		}
	}
	return errs
}

// Preflight checks that the server can feed Syncer: binary log on and in
// ROW format with full row images, metadata, GTID settings, the account's
// privileges, a unique replica server_id and, when given, a start position
// the server still has. Problems are findings in the Report (see
// Report.Err); Preflight itself fails only when the checks could not run
// (connection lost, context cancelled).
func Preflight(ctx context.Context, db *sql.DB, opts PreflightOptions) (*Report, error) {
	info, err := ReadServerInfo(ctx, db)
	if err != nil {
		return nil, err
	}
	p := &preflight{ctx: ctx, db: db, info: info, opts: opts, report: &Report{Server: info}}
	p.checkBinlogConfig()
	p.checkGTIDConfig()
	for _, check := range []func() error{p.checkServerID, p.checkPrivileges, p.checkStart} {
		if err := check(); err != nil {
			return nil, fmt.Errorf("replication: preflight: %w", err)
		}
	}
	return p.report, nil
}

type preflight struct {
	ctx    context.Context
	db     *sql.DB
	info   *ServerInfo
	opts   PreflightOptions
	report *Report

	// replicationSlave is what the server_id check learnt about the
	// REPLICATION SLAVE privilege: on MySQL, SHOW REPLICAS needs it, so the
	// query's outcome is a free probe.
	replicationSlave probe
}

// probe is the outcome of running a statement that needs a privilege.
type probe uint8

const (
	probeUnknown probe = iota
	probeGranted
	probeDenied
)

func (p *preflight) add(check string, sev Severity, problem, fix string) {
	p.report.Findings = append(p.report.Findings, Finding{Check: check, Severity: sev, Problem: problem, Fix: fix})
}

// restartNote says how to persist a dynamic global variable: MySQL 8
// writes SET PERSIST to mysqld-auto.cnf, other servers need my.cnf.
func (p *preflight) persist(name, value string) string {
	if !p.info.IsMariaDB() && p.info.AtLeast(8, 0, 0) {
		return fmt.Sprintf("and keep it across restarts with SET PERSIST %s = '%s'; (or %s=%s under [mysqld] in my.cnf)", name, value, name, value)
	}
	return fmt.Sprintf("and add %s=%s under [mysqld] in my.cnf so that it survives a restart", name, value)
}

func (p *preflight) checkBinlogConfig() {
	info := p.info
	if !info.LogBin {
		p.add("log_bin", SeverityError,
			"binary logging is disabled (log_bin=OFF): the server writes no binlog for Syncer to read.",
			fmt.Sprintf("log_bin is a startup option: add log_bin=mysql-bin and server_id=%d (any id unique in your replication topology) under [mysqld] in my.cnf and restart the server (MySQL 8 has it ON by default; check that --skip-log-bin / --disable-log-bin is not set).",
				max(info.ServerID, 1)))
	}
	switch info.BinlogFormat {
	case "ROW":
	case "":
		p.add("binlog_format", SeverityError, "the server does not report binlog_format, so row-based logging cannot be confirmed.",
			"Syncer needs row-based logging: set binlog_format=ROW under [mysqld] in my.cnf and restart.")
	default:
		extra := ""
		if info.BinlogFormat == "MIXED" {
			extra = " MIXED logs most changes as SQL statements, which cannot be decoded into rows."
		}
		p.add("binlog_format", SeverityError,
			fmt.Sprintf("binlog_format is %s, not ROW: Syncer reads row events and cannot turn logged statements into row changes.%s", info.BinlogFormat, extra),
			"run SET GLOBAL binlog_format = 'ROW'; "+p.persist("binlog_format", "ROW")+
				". The global value applies to new sessions only: connections already open keep writing the old format until they reconnect, so restart or reconnect the applications (or restart the server) before Syncer's start position.")
	}
	switch info.BinlogRowImage {
	case "FULL":
	case "":
		// Servers older than binlog_row_image (MySQL 5.5) always log full images.
	default:
		p.add("binlog_row_image", SeverityError,
			fmt.Sprintf("binlog_row_image is %s, not FULL: updates would carry partial rows and deletes only the key, so Syncer could not emit whole rows.", info.BinlogRowImage),
			"run SET GLOBAL binlog_row_image = 'FULL'; "+p.persist("binlog_row_image", "FULL")+
				". New sessions log full images; open connections keep the old setting until they reconnect.")
	}
	const cost = "without it the binlog carries no column names, ENUM/SET labels or per-column character sets, so Syncer must rely on its own schema history (taken from DDL since the snapshot) and cannot cross-check it against the log. FULL costs a few bytes per column in each TABLE_MAP event."
	switch info.BinlogRowMetadata {
	case "FULL":
	case "":
		since := "MySQL 8.0.1"
		if info.IsMariaDB() {
			since = "MariaDB 10.5"
		}
		p.add("binlog_row_metadata", SeverityWarning,
			fmt.Sprintf("this server has no binlog_row_metadata variable (it appeared in %s): %s", since, cost),
			fmt.Sprintf("upgrade to %s or later and set binlog_row_metadata=FULL; until then Syncer works from its schema history alone.", since))
	default:
		p.add("binlog_row_metadata", SeverityWarning,
			fmt.Sprintf("binlog_row_metadata is %s, not FULL: %s", info.BinlogRowMetadata, cost),
			"run SET GLOBAL binlog_row_metadata = 'FULL'; "+p.persist("binlog_row_metadata", "FULL")+".")
	}
}

func (p *preflight) checkGTIDConfig() {
	info := p.info
	if !p.opts.StartGTID.IsEmpty() && !info.IsMariaDB() && info.GTIDMode != "ON" {
		mode := info.GTIDMode
		if mode == "" {
			mode = "absent (the server predates GTIDs)"
		}
		p.add("gtid_mode", SeverityError,
			fmt.Sprintf("the start position is a GTID set but gtid_mode is %s: the server can only serve GTID positions with gtid_mode=ON (transactions logged without a GTID would be invisible to it).", mode),
			"enable GTIDs step by step (each step on every server of the topology): SET GLOBAL enforce_gtid_consistency = WARN; then ON; SET GLOBAL gtid_mode = OFF_PERMISSIVE; then ON_PERMISSIVE; wait until Ongoing_anonymous_transaction_count is 0; SET GLOBAL gtid_mode = ON; and persist gtid_mode=ON and enforce_gtid_consistency=ON in my.cnf. Or start from a file position instead.")
	}
	if !p.opts.StartMariaDB.IsEmpty() && info.IsMariaDB() && !info.GTIDStrictMode {
		p.add("gtid_strict_mode", SeverityWarning,
			"the start position is a MariaDB GTID position but gtid_strict_mode is OFF: Syncer works, but if a domain ever logs GTIDs out of order, a resume by GTID becomes ambiguous and may skip or repeat transactions.",
			"run SET GLOBAL gtid_strict_mode = ON; and add gtid_strict_mode=ON under [mysqld] in my.cnf.")
	}
}

// checkServerID verifies that Syncer's replica server_id is usable: not 0,
// not the source's own, and not used by another connected replica.
func (p *preflight) checkServerID() error {
	id := p.opts.ServerID
	const clash = "two replicas with one server_id kick each other's connections off the source, so both keep reconnecting"
	if id == 0 {
		p.add("server_id", SeverityError, "the replica server_id is 0: the server refuses to stream the binlog to server_id 0.",
			"choose a unique non-zero server_id in the pipeline configuration.")
		return nil
	}
	if id == p.info.ServerID {
		p.add("server_id", SeverityError,
			fmt.Sprintf("the replica server_id %d is the source's own @@server_id: the source would skip or refuse the stream.", id),
			"choose a server_id in the pipeline configuration that differs from the source's and from every other replica's.")
		return nil
	}
	stmt := "SHOW SLAVE HOSTS"
	if !p.info.IsMariaDB() && p.info.AtLeast(8, 0, 22) {
		stmt = "SHOW REPLICAS"
	}
	replicas, err := p.replicaHosts(stmt)
	if err != nil {
		if serverErrorNumber(err) == 0 {
			return fmt.Errorf("%s: %w", stmt, err)
		}
		if serverErrorNumber(err) == errSpecificAccess {
			// MySQL requires REPLICATION SLAVE for SHOW REPLICAS: the
			// privilege check reports it. MariaDB 10.5.2+ wants REPLICATION
			// MASTER ADMIN, an administrator's privilege a CDC account
			// should not need: the check is skipped without a warning, which
			// every well-configured account would otherwise get.
			if !p.info.IsMariaDB() {
				p.replicationSlave = probeDenied
			}
			return nil
		}
		p.add("server_id", SeverityWarning,
			fmt.Sprintf("could not check whether another replica already uses server_id %d: %s failed: %v.", id, stmt, err),
			fmt.Sprintf("make sure no replica of this server uses server_id %d.", id))
		return nil
	}
	if !p.info.IsMariaDB() {
		p.replicationSlave = probeGranted
	}
	for _, r := range replicas {
		if r.serverID != id {
			continue
		}
		where := r.host
		if where == "" {
			where = "host not reported"
		}
		p.add("server_id", SeverityError,
			fmt.Sprintf("another replica already uses server_id %d (%s, port %d): %s. (If it is an earlier Syncer run, the source has not dropped its connection yet: wait for it to time out or KILL it.)", id, where, r.port, clash),
			"choose a unique server_id in the pipeline configuration.")
		p.report.Findings[len(p.report.Findings)-1].Cause = ErrServerIDInUse
	}
	return nil
}

type replicaHost struct {
	serverID uint32
	host     string
	port     uint64
}

// replicaHosts lists the replicas registered with the source: SHOW
// REPLICAS (MySQL 8.0.22+) or SHOW SLAVE HOSTS, whose columns differ in
// case and in newer names only.
func (p *preflight) replicaHosts(stmt string) ([]replicaHost, error) {
	rows, err := p.db.QueryContext(p.ctx, stmt)
	if err != nil {
		return nil, err
	}
	var out []replicaHost
	err = scanStrings(rows, func(cols []string, vals []sql.NullString) error {
		var r replicaHost
		for i, c := range cols {
			switch strings.ToLower(c) {
			case "server_id":
				id, _ := strconv.ParseUint(vals[i].String, 10, 32)
				r.serverID = uint32(id)
			case "host":
				r.host = vals[i].String
			case "port":
				r.port, _ = strconv.ParseUint(vals[i].String, 10, 64)
			}
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// checkPrivileges reads the account's grants and, where a statement shows
// it for sure, probes: a probe's answer wins over the parsed grants, which
// cannot see every way to hold a privilege (SUPER on old servers, roles
// activated later, proxies).
func (p *preflight) checkPrivileges() error {
	grants, gerr := p.readGrants()
	if gerr != nil {
		if serverErrorNumber(gerr) == 0 {
			return gerr
		}
		p.add("privileges", SeverityWarning,
			fmt.Sprintf("could not read the account's grants (%v): privileges are only checked where a probe can tell.", gerr),
			"allow the account to run SHOW GRANTS, or check the privileges yourself: REPLICATION SLAVE, "+binlogMonitorPrivilege(p.info)+" and SELECT on the included tables.")
		grants = nil
	}
	account := p.info.Account()
	var missingGlobal []string

	// REPLICATION SLAVE: COM_BINLOG_DUMP needs it. No statement but the
	// dump itself probes it on MariaDB.
	hasSlave := p.replicationSlave == probeGranted
	if p.replicationSlave == probeUnknown {
		hasSlave = grants == nil || grants.hasGlobal("REPLICATION SLAVE")
	}
	if !hasSlave {
		missingGlobal = append(missingGlobal, "REPLICATION SLAVE")
	}

	// REPLICATION CLIENT / BINLOG MONITOR: SHOW MASTER STATUS probes it.
	monitor := binlogMonitorPrivilege(p.info)
	_, err := CurrentBinlogStatus(p.ctx, p.db)
	switch {
	case err == nil, errors.Is(err, ErrNoBinlog):
	case errors.Is(err, ErrPrivilege):
		missingGlobal = append(missingGlobal, monitor)
	case serverErrorNumber(err) == 0:
		return fmt.Errorf("probe the binlog position: %w", err)
	default:
		if grants != nil && !grants.hasGlobal(monitor, "REPLICATION CLIENT", "BINLOG MONITOR", "SUPER") {
			missingGlobal = append(missingGlobal, monitor)
		}
	}
	for _, priv := range missingGlobal {
		why := "to stream the binlog (COM_BINLOG_DUMP)"
		if priv != "REPLICATION SLAVE" {
			why = "to read the binlog position and list the binlog files (SHOW MASTER STATUS, SHOW BINARY LOGS)"
		}
		p.add("privileges", SeverityError,
			fmt.Sprintf("the account %s lacks the %s privilege, needed %s.", p.info.User, priv, why),
			fmt.Sprintf("GRANT %s ON *.* TO %s;", priv, account))
	}

	for _, t := range p.opts.Tables {
		if err := p.checkTablePrivilege(grants, t); err != nil {
			return err
		}
	}
	return nil
}

func (p *preflight) checkTablePrivilege(grants *grantSet, spec string) error {
	db, table, err := parseTableSpec(spec)
	if err != nil {
		p.add("privileges", SeverityError, fmt.Sprintf("included table %q: %v.", spec, err),
			"write included tables as db.table or db.* in the pipeline configuration.")
		return nil
	}
	fold := p.info.LowerCaseTableNames != 0
	has := grants == nil || grants.canSelect(db, table, fold)
	if table != "*" {
		// A concrete table can be probed: the answer is authoritative.
		q := "SELECT * FROM " + quoteIdent(db) + "." + quoteIdent(table) + " LIMIT 0"
		rows, err := p.db.QueryContext(p.ctx, q)
		if err == nil {
			rows.Close()
			has = true
		} else {
			switch serverErrorNumber(err) {
			case 0:
				return fmt.Errorf("probe SELECT on %s: %w", spec, err)
			case errTableAccess, errColumnAccess, errDBAccess:
				has = false
			case errNoSuchTable, errBadDB:
				p.add("privileges", SeverityWarning,
					fmt.Sprintf("included table %s.%s does not exist (yet), so SELECT on it could not be probed.", db, table),
					"check the table name in the pipeline configuration; nothing to do if the table will be created later.")
			}
		}
	}
	if !has {
		target := quoteIdent(db) + "." + quoteIdent(table)
		if table == "*" {
			target = quoteIdent(db) + ".*"
		}
		p.add("privileges", SeverityError,
			fmt.Sprintf("the account %s lacks SELECT on %s, needed to snapshot the included table(s).", p.info.User, target),
			fmt.Sprintf("GRANT SELECT ON %s TO %s;", target, p.info.Account()))
	}
	return nil
}

// readGrants parses the account's SHOW GRANTS. MariaDB includes the
// grants of the session's current role; MySQL needs USING for the active
// roles, which are what Syncer's own connections get (default roles).
func (p *preflight) readGrants() (*grantSet, error) {
	lines, err := p.queryLines("SHOW GRANTS")
	if err != nil {
		return nil, fmt.Errorf("SHOW GRANTS: %w", err)
	}
	if !p.info.IsMariaDB() {
		var roles sql.NullString
		if err := p.db.QueryRowContext(p.ctx, "SELECT CURRENT_ROLE()").Scan(&roles); err == nil &&
			roles.Valid && roles.String != "" && !strings.EqualFold(roles.String, "NONE") {
			if more, err := p.queryLines("SHOW GRANTS FOR CURRENT_USER() USING " + roles.String); err == nil {
				lines = more
			}
		}
	}
	g := &grantSet{}
	for _, l := range lines {
		g.addLine(l)
	}
	return g, nil
}

// queryLines runs a statement that returns one text column per row.
func (p *preflight) queryLines(q string) ([]string, error) {
	rows, err := p.db.QueryContext(p.ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s.String)
	}
	return out, rows.Err()
}

// quoteIdent quotes an SQL identifier with backquotes.
func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// parseTableSpec reads "db.table", "db.*" or the backquoted forms.
func parseTableSpec(s string) (db, table string, err error) {
	s = strings.TrimSpace(s)
	db, rest, ok := readIdent(s)
	if !ok || db == "" || !strings.HasPrefix(rest, ".") {
		return "", "", fmt.Errorf("want db.table or db.*")
	}
	rest = rest[1:]
	if rest == "*" {
		return db, "*", nil
	}
	table, rest, ok = readIdent(rest)
	if !ok || table == "" || rest != "" {
		return "", "", fmt.Errorf("want db.table or db.*")
	}
	return db, table, nil
}

// readIdent reads a backquoted identifier (a backquote inside is doubled) or a
// bare one up to '.', and returns the rest.
func readIdent(s string) (ident, rest string, ok bool) {
	if strings.HasPrefix(s, "`") {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] == '`' {
				if i+1 < len(s) && s[i+1] == '`' {
					b.WriteByte('`')
					i++
					continue
				}
				return b.String(), s[i+1:], true
			}
			b.WriteByte(s[i])
		}
		return "", s, false
	}
	i := strings.IndexByte(s, '.')
	if i < 0 {
		i = len(s)
	}
	return s[:i], s[i:], true
}

// grantSet is what parsed SHOW GRANTS lines give a session: global,
// database-level and table-level privileges, and MySQL partial revokes.
type grantSet struct {
	global  map[string]bool
	dbs     []scopedGrant
	tables  []scopedGrant
	revokes []scopedGrant // REVOKE ... ON db.* (MySQL partial_revokes)
}

type scopedGrant struct {
	db, table string // table "" for database-level grants; db may hold LIKE wildcards
	privs     map[string]bool
}

// addLine parses one line of SHOW GRANTS. Lines it does not understand
// (role grants, PROXY, SET DEFAULT ROLE, routine grants) add nothing.
func (g *grantSet) addLine(line string) {
	gl, ok := parseGrantLine(line)
	if !ok {
		return
	}
	switch {
	case gl.db == "*" && gl.table == "*":
		if gl.revoke {
			return // REVOKE on *.* is not printed by servers
		}
		if g.global == nil {
			g.global = map[string]bool{}
		}
		for p := range gl.privs {
			g.global[p] = true
		}
	case gl.table == "*":
		sg := scopedGrant{db: gl.db, privs: gl.privs}
		if gl.revoke {
			g.revokes = append(g.revokes, sg)
		} else {
			g.dbs = append(g.dbs, sg)
		}
	default:
		if !gl.revoke {
			g.tables = append(g.tables, scopedGrant{db: gl.db, table: gl.table, privs: gl.privs})
		}
	}
}

// hasGlobal reports whether any of privs (or ALL PRIVILEGES) is granted on
// *.*.
func (g *grantSet) hasGlobal(privs ...string) bool {
	if g.global["ALL"] {
		return true
	}
	for _, p := range privs {
		if g.global[p] {
			return true
		}
	}
	return false
}

// canSelect reports whether the grants allow SELECT on db.table (table
// "*": on every table of db). fold compares names case-insensitively
// (lower_case_table_names != 0).
func (g *grantSet) canSelect(db, table string, fold bool) bool {
	sel := func(privs map[string]bool) bool { return privs["SELECT"] || privs["ALL"] }
	eq := func(a, b string) bool {
		if fold {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	for _, r := range g.revokes {
		if sel(r.privs) && eq(r.db, db) {
			return false
		}
	}
	if sel(g.global) {
		return true
	}
	for _, d := range g.dbs {
		if sel(d.privs) && matchDBPattern(d.db, db, fold) {
			return true
		}
	}
	if table == "*" {
		return false
	}
	for _, t := range g.tables {
		if sel(t.privs) && eq(t.db, db) && eq(t.table, table) {
			return true
		}
	}
	return false
}

// matchDBPattern matches a database name against a database-level grant
// name, where '%' and '_' are wildcards unless escaped with '\'.
func matchDBPattern(pattern, name string, fold bool) bool {
	if fold {
		pattern, name = strings.ToLower(pattern), strings.ToLower(name)
	}
	// Iterative wildcard match with backtracking to the last '%'.
	pi, ni := 0, 0
	star, mark := -1, 0
	for ni < len(name) {
		if pi < len(pattern) {
			c := pattern[pi]
			switch {
			case c == '%':
				star, mark = pi, ni
				pi++
				continue
			case c == '\\' && pi+1 < len(pattern):
				if pattern[pi+1] == name[ni] {
					pi += 2
					ni++
					continue
				}
			case c == '_' || c == name[ni]:
				pi++
				ni++
				continue
			}
		}
		if star < 0 {
			return false
		}
		mark++
		pi, ni = star+1, mark
	}
	for pi < len(pattern) && pattern[pi] == '%' {
		pi++
	}
	return pi == len(pattern)
}

// grantLine is one parsed "GRANT privs ON target TO ..." or "REVOKE privs
// ON target FROM ..." line.
type grantLine struct {
	revoke    bool
	privs     map[string]bool // upper case, single spaces; "ALL" for ALL [PRIVILEGES]
	db, table string          // "*" for wildcards
}

// parseGrantLine parses a SHOW GRANTS line. Column-level privileges
// ("SELECT (`a`)") are left out: they do not allow reading whole rows.
// ok is false for lines that grant no object privileges.
func parseGrantLine(line string) (gl grantLine, ok bool) {
	s := strings.TrimSpace(line)
	switch {
	case hasPrefixFold(s, "GRANT "):
		s = s[len("GRANT "):]
	case hasPrefixFold(s, "REVOKE "):
		s = s[len("REVOKE "):]
		gl.revoke = true
	default:
		return gl, false
	}
	on := indexTopLevelWord(s, "ON")
	if on < 0 {
		return gl, false // a role grant: GRANT `r`@`%` TO ...
	}
	privText, target := s[:on], strings.TrimSpace(s[on+len("ON"):])
	gl.privs = map[string]bool{}
	for _, item := range splitTopLevel(privText, ',') {
		item = strings.TrimSpace(item)
		if item == "" || strings.ContainsRune(item, '(') {
			continue // column privilege
		}
		name := strings.ToUpper(strings.Join(strings.Fields(item), " "))
		if name == "ALL PRIVILEGES" {
			name = "ALL"
		}
		gl.privs[name] = true
	}
	for _, kw := range []string{"FUNCTION ", "PROCEDURE ", "PACKAGE BODY ", "PACKAGE "} {
		if hasPrefixFold(target, kw) {
			return gl, false
		}
	}
	if hasPrefixFold(target, "TABLE ") {
		target = strings.TrimSpace(target[len("TABLE "):])
	}
	if strings.HasPrefix(target, "*") {
		rest := strings.TrimPrefix(target, "*")
		if strings.HasPrefix(rest, ".*") {
			gl.db, gl.table = "*", "*"
			return gl, true
		}
		return gl, false // "ON *": the default database, unknowable here
	}
	db, rest, ok := readGrantIdent(target)
	if !ok || db == "" || !strings.HasPrefix(rest, ".") {
		return gl, false
	}
	rest = rest[1:]
	if strings.HasPrefix(rest, "*") {
		gl.db, gl.table = db, "*"
		return gl, true
	}
	table, _, ok := readGrantIdent(rest)
	if !ok || table == "" {
		return gl, false
	}
	gl.db, gl.table = db, table
	return gl, true
}

// readGrantIdent reads a backquoted or bare identifier in a GRANT target;
// a bare one ends at '.', a space or the end.
func readGrantIdent(s string) (ident, rest string, ok bool) {
	if strings.HasPrefix(s, "`") {
		return readIdent(s)
	}
	i := strings.IndexAny(s, ". ")
	if i < 0 {
		i = len(s)
	}
	if i == 0 {
		return "", s, false
	}
	return s[:i], s[i:], true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// scanTopLevel calls at for each byte of s outside quotes and parentheses,
// until at returns true.
func scanTopLevel(s string, at func(i int) (stop bool)) {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '`' || c == '\'' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			if depth > 0 {
				depth--
			}
		case depth == 0:
			if at(i) {
				return
			}
		}
	}
}

// indexTopLevelWord finds the keyword w as a separate word outside quotes
// and parentheses, or -1.
func indexTopLevelWord(s, w string) int {
	found := -1
	scanTopLevel(s, func(i int) bool {
		if (i == 0 || s[i-1] == ' ') && hasPrefixFold(s[i:], w) && (i+len(w) == len(s) || s[i+len(w)] == ' ') {
			found = i
			return true
		}
		return false
	})
	return found
}

// splitTopLevel splits s at sep outside quotes and parentheses.
func splitTopLevel(s string, sep byte) []string {
	var out []string
	start := 0
	scanTopLevel(s, func(i int) bool {
		if s[i] == sep {
			out = append(out, s[start:i])
			start = i + 1
		}
		return false
	})
	return append(out, s[start:])
}
