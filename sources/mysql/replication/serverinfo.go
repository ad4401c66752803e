package replication

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/gtid"
)

// MySQL/MariaDB error numbers this file and preflight.go react to.
const (
	errParse              = 1064 // ER_PARSE_ERROR: the statement does not exist on this server
	errUnknownCom         = 1047 // ER_UNKNOWN_COM_ERROR
	errSpecificAccess     = 1227 // ER_SPECIFIC_ACCESS_DENIED_ERROR: a global privilege is missing
	errTableAccess        = 1142 // ER_TABLEACCESS_DENIED_ERROR
	errColumnAccess       = 1143 // ER_COLUMNACCESS_DENIED_ERROR
	errDBAccess           = 1044 // ER_DBACCESS_DENIED_ERROR
	errNoSuchTable        = 1146 // ER_NO_SUCH_TABLE
	errBadDB              = 1049 // ER_BAD_DB_ERROR
	errNoBinaryLogging    = 1381 // ER_NO_BINARY_LOGGING
	errWrongOffsetOrIO    = 1220 // ER_ERROR_WHEN_EXECUTING_COMMAND (SHOW BINLOG EVENTS FROM a bad offset)
	errUnknownSystemVar   = 1193 // ER_UNKNOWN_SYSTEM_VARIABLE
	errFatalReadingBinlog = 1236 // ER_MASTER_FATAL_ERROR_READING_BINLOG
)

// ServerInfo is what Syncer needs to know about a source server before it
// streams from it. Variables are the GLOBAL values: a session may override
// binlog_format for itself, but every new connection (the application's
// included) starts from the global value.
type ServerInfo struct {
	Flavor        binlog.Flavor
	Version       string // @@version, e.g. "10.11.19-MariaDB-0+deb12u1-log"
	VersionNumber [3]int // parsed from Version: {10, 11, 19}
	ServerID      uint32
	ServerUUID    string // MySQL @@server_uuid ("" on MariaDB)
	LogBin        bool

	// "" when the variable does not exist on this server (for example
	// binlog_row_metadata before MySQL 8.0.1 / MariaDB 10.5).
	BinlogFormat, BinlogRowImage, BinlogRowMetadata, BinlogChecksum string

	GTIDMode       string // MySQL @@gtid_mode ("" on MariaDB)
	GTIDStrictMode bool   // MariaDB @@gtid_strict_mode
	User           string // CURRENT_USER(), "user@host"

	// LowerCaseTableNames is @@lower_case_table_names: when not 0, database
	// and table names compare case-insensitively in grants.
	LowerCaseTableNames int
}

// AtLeast reports whether the server version is at least major.minor.patch.
func (s *ServerInfo) AtLeast(major, minor, patch int) bool {
	v := s.VersionNumber
	if v[0] != major {
		return v[0] > major
	}
	if v[1] != minor {
		return v[1] > minor
	}
	return v[2] >= patch
}

// IsMariaDB reports whether the server is MariaDB.
func (s *ServerInfo) IsMariaDB() bool { return s.Flavor == binlog.FlavorMariaDB }

// Describe renders the server for messages: "MariaDB 10.11.19
// (10.11.19-MariaDB-0+deb12u1-log), server_id 1".
func (s *ServerInfo) Describe() string {
	name := "MySQL"
	if s.IsMariaDB() {
		name = "MariaDB"
	}
	return fmt.Sprintf("%s %d.%d.%d (%s), server_id %d", name, s.VersionNumber[0], s.VersionNumber[1],
		s.VersionNumber[2], s.Version, s.ServerID)
}

// UserHost splits User ("name@host", as CURRENT_USER() returns it) into
// its parts. The host never contains '@', the user name may.
func (s *ServerInfo) UserHost() (user, host string) {
	return splitUserHost(s.User)
}

// Account renders User as an SQL account name for GRANT statements:
// 'name'@'host'.
func (s *ServerInfo) Account() string {
	u, h := s.UserHost()
	return quoteString(u) + "@" + quoteString(h)
}

func splitUserHost(s string) (user, host string) {
	i := strings.LastIndexByte(s, '@')
	if i < 0 {
		return s, "%"
	}
	return s[:i], s[i+1:]
}

// quoteString quotes s as an SQL string literal for messages the user
// copies into a client.
func quoteString(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// serverVariables are read with one SHOW GLOBAL VARIABLES, which returns
// only those that exist on this server: absent ones stay "" instead of
// failing the query as SELECT @@name would (error 1193).
var serverVariables = []string{
	"version", "server_id", "server_uuid", "log_bin", "binlog_format", "binlog_row_image",
	"binlog_row_metadata", "binlog_checksum", "gtid_mode", "gtid_strict_mode", "lower_case_table_names",
}

// ReadServerInfo reads the server's version, identity and binary log
// configuration. It needs no privilege beyond being able to connect.
func ReadServerInfo(ctx context.Context, db *sql.DB) (*ServerInfo, error) {
	q := "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('" + strings.Join(serverVariables, "','") + "')"
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read server variables: %w", err)
	}
	vars := make(map[string]string, len(serverVariables))
	for rows.Next() {
		var name, value sql.NullString
		if err := rows.Scan(&name, &value); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read server variables: %w", err)
		}
		vars[strings.ToLower(name.String)] = value.String
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("read server variables: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read server variables: %w", err)
	}
	if vars["version"] == "" {
		return nil, fmt.Errorf("read server variables: the server did not report @@version")
	}
	info := &ServerInfo{
		Version:           vars["version"],
		ServerUUID:        vars["server_uuid"],
		LogBin:            parseBoolVar(vars["log_bin"]),
		BinlogFormat:      strings.ToUpper(vars["binlog_format"]),
		BinlogRowImage:    strings.ToUpper(vars["binlog_row_image"]),
		BinlogRowMetadata: strings.ToUpper(vars["binlog_row_metadata"]),
		BinlogChecksum:    strings.ToUpper(vars["binlog_checksum"]),
		GTIDMode:          strings.ToUpper(vars["gtid_mode"]),
		GTIDStrictMode:    parseBoolVar(vars["gtid_strict_mode"]),
	}
	info.Flavor, info.VersionNumber = parseVersion(info.Version)
	if s := vars["server_id"]; s != "" {
		id, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("read server variables: server_id %q: %w", s, err)
		}
		info.ServerID = uint32(id)
	}
	if s := vars["lower_case_table_names"]; s != "" {
		info.LowerCaseTableNames, _ = strconv.Atoi(s)
	}
	if err := db.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&info.User); err != nil {
		return nil, fmt.Errorf("read CURRENT_USER(): %w", err)
	}
	return info, nil
}

// parseBoolVar reads a boolean system variable as SHOW VARIABLES ("ON",
// "OFF") or SELECT @@name ("1", "0") render it.
func parseBoolVar(s string) bool {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "ON", "1", "TRUE", "YES":
		return true
	}
	return false
}

// parseVersion reads the flavor and the leading "major.minor.patch" of a
// @@version string ("8.0.36", "8.4.0-log", "10.11.19-MariaDB-0+deb12u1-log").
func parseVersion(s string) (binlog.Flavor, [3]int) {
	fl := binlog.FlavorMySQL
	if strings.Contains(strings.ToLower(s), "mariadb") {
		fl = binlog.FlavorMariaDB
		// Servers pretending to be 5.5.5 for old replicas prefix the real
		// version with "5.5.5-"; @@version normally does not, but the
		// handshake does and callers may pass that.
		s = strings.TrimPrefix(s, "5.5.5-")
	}
	var v [3]int
	for i := 0; i < 3; i++ {
		j := 0
		for j < len(s) && s[j] >= '0' && s[j] <= '9' && j < 9 {
			j++
		}
		if j == 0 {
			break
		}
		v[i], _ = strconv.Atoi(s[:j])
		s = s[j:]
		if len(s) == 0 || s[0] != '.' {
			break
		}
		s = s[1:]
	}
	return fl, v
}

// serverErrorNumber returns the MySQL error number carried by err (from
// go-sql-driver), or 0.
func serverErrorNumber(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// ErrNoBinlog is returned (wrapped) when the server has binary logging
// disabled, so there is no binlog position to read or stream from.
var ErrNoBinlog = errors.New("binary logging is disabled on the server (log_bin=OFF)")

// ErrPrivilege is wrapped by errors caused by a missing privilege; the
// error text names the privilege and the GRANT statement that fixes it.
var ErrPrivilege = errors.New("missing privilege")

// BinlogStatus is the server's current binary log position: where a
// replica asking for "now" would start.
type BinlogStatus struct {
	File string
	Pos  uint64
	// GTIDSet is MySQL's Executed_Gtid_Set (nil on MariaDB; empty on MySQL
	// without GTIDs).
	GTIDSet *gtid.Set
	// MariaDBPos is MariaDB's @@global.gtid_binlog_pos: the last GTID
	// written to the binlog in each replication domain (nil on MySQL).
	MariaDBPos *gtid.MariaDBPos
}

// binlogStatusStatements are tried in order: MySQL 8.2 introduced SHOW
// BINARY LOG STATUS and 8.4 removed SHOW MASTER STATUS; MariaDB 10.5.2
// added SHOW BINLOG STATUS as the new name of SHOW MASTER STATUS, which a
// future version may drop. A server that does not know a statement answers
// with a syntax error, and the next one is tried.
var binlogStatusStatements = []string{"SHOW BINARY LOG STATUS", "SHOW MASTER STATUS", "SHOW BINLOG STATUS"}

// CurrentBinlogStatus returns the current binary log file, position and
// GTID state. It tries SHOW BINARY LOG STATUS, SHOW MASTER STATUS and SHOW
// BINLOG STATUS in turn, moving on when the server does not know one. A
// missing privilege stops it with an error wrapping ErrPrivilege that names
// the privilege (REPLICATION CLIENT on MySQL, BINLOG MONITOR on MariaDB
// 10.5+) and the GRANT statement; a server with the binlog off gives an
// error wrapping ErrNoBinlog.
func CurrentBinlogStatus(ctx context.Context, db *sql.DB) (*BinlogStatus, error) {
	return currentBinlogStatus(ctx, db, binlogStatusStatements)
}

func currentBinlogStatus(ctx context.Context, db *sql.DB, statements []string) (*BinlogStatus, error) {
	var lastErr error
	for _, stmt := range statements {
		st, err := queryBinlogStatus(ctx, db, stmt)
		if err == nil {
			if st == nil {
				return nil, fmt.Errorf("replication: %s returned no row: %w", stmt, ErrNoBinlog)
			}
			// Only MySQL has Executed_Gtid_Set; MariaDB needs a query more.
			if st.GTIDSet == nil {
				if err := addMariaDBGTIDPos(ctx, db, st); err != nil {
					return nil, err
				}
			}
			return st, nil
		}
		switch serverErrorNumber(err) {
		case errParse, errUnknownCom:
			lastErr = err
			continue
		case errSpecificAccess:
			return nil, binlogMonitorPrivilegeError(ctx, db, stmt, err)
		}
		return nil, fmt.Errorf("replication: %s: %w", stmt, err)
	}
	return nil, fmt.Errorf("replication: read the current binlog position: the server knows none of %s: %w",
		strings.Join(statements, ", "), lastErr)
}

// queryBinlogStatus runs one of the status statements. It returns nil, nil
// when the statement ran but returned no row (binary logging disabled).
func queryBinlogStatus(ctx context.Context, db *sql.DB, stmt string) (*BinlogStatus, error) {
	rows, err := db.QueryContext(ctx, stmt)
	if err != nil {
		return nil, err
	}
	var st *BinlogStatus
	err = scanStrings(rows, func(cols []string, vals []sql.NullString) error {
		if st != nil {
			return nil // one row is expected; ignore any other
		}
		st = &BinlogStatus{}
		for i, c := range cols {
			var err error
			switch strings.ToLower(c) {
			case "file":
				st.File = vals[i].String
			case "position":
				if st.Pos, err = strconv.ParseUint(vals[i].String, 10, 64); err != nil {
					return fmt.Errorf("position %q: %w", vals[i].String, err)
				}
			case "executed_gtid_set":
				// The server breaks long sets over lines.
				text := strings.ReplaceAll(vals[i].String, "\n", "")
				if st.GTIDSet, err = gtid.ParseSet(text); err != nil {
					return fmt.Errorf("Executed_Gtid_Set %q: %w", text, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// addMariaDBGTIDPos fills MariaDBGTIDPos on MariaDB, where the status
// statements carry no GTID column.
func addMariaDBGTIDPos(ctx context.Context, db *sql.DB, st *BinlogStatus) error {
	var pos sql.NullString
	err := db.QueryRowContext(ctx, "SELECT @@global.gtid_binlog_pos").Scan(&pos)
	if serverErrorNumber(err) == errUnknownSystemVar {
		return nil // MySQL
	}
	if err != nil {
		return fmt.Errorf("replication: read @@global.gtid_binlog_pos: %w", err)
	}
	p, err := gtid.ParseMariaDBPos(pos.String)
	if err != nil {
		return fmt.Errorf("replication: parse @@global.gtid_binlog_pos %q: %w", pos.String, err)
	}
	st.MariaDBPos = p
	return nil
}

// binlogMonitorPrivilegeError explains a privilege error from a statement
// that reads binlog state (SHOW MASTER STATUS, SHOW BINARY LOGS).
func binlogMonitorPrivilegeError(ctx context.Context, db *sql.DB, stmt string, err error) error {
	priv, account := "REPLICATION CLIENT", "CURRENT_USER"
	if info, ierr := ReadServerInfo(ctx, db); ierr == nil {
		priv = binlogMonitorPrivilege(info)
		account = info.Account()
	}
	return fmt.Errorf("replication: %s: %w: the account needs the %s privilege to read the binlog position: run GRANT %s ON *.* TO %s; (%w)",
		stmt, ErrPrivilege, priv, priv, account, err)
}

// binlogMonitorPrivilege names the privilege that lets an account read
// binlog positions: MariaDB 10.5.2 split BINLOG MONITOR out of REPLICATION
// CLIENT (which became its alias).
func binlogMonitorPrivilege(info *ServerInfo) string {
	if info.IsMariaDB() && info.AtLeast(10, 5, 2) {
		return "BINLOG MONITOR"
	}
	return "REPLICATION CLIENT"
}

// BinlogFile is one row of SHOW BINARY LOGS.
type BinlogFile struct {
	Name string
	Size uint64
}

// BinaryLogs lists the binary log files the server still has, oldest
// first (SHOW BINARY LOGS). It wraps ErrNoBinlog when binary logging is
// off and ErrPrivilege when the account may not list them.
func BinaryLogs(ctx context.Context, db *sql.DB) ([]BinlogFile, error) {
	const stmt = "SHOW BINARY LOGS"
	rows, err := db.QueryContext(ctx, stmt)
	if err != nil {
		switch serverErrorNumber(err) {
		case errNoBinaryLogging:
			return nil, fmt.Errorf("replication: %s: %w (%w)", stmt, ErrNoBinlog, err)
		case errSpecificAccess:
			return nil, binlogMonitorPrivilegeError(ctx, db, stmt, err)
		}
		return nil, fmt.Errorf("replication: %s: %w", stmt, err)
	}
	var files []BinlogFile
	err = scanStrings(rows, func(cols []string, vals []sql.NullString) error {
		// Log_name, File_size, and on MySQL 8 Encrypted.
		if len(cols) < 2 {
			return fmt.Errorf("unexpected columns %q", cols)
		}
		size, err := strconv.ParseUint(vals[1].String, 10, 64)
		if err != nil {
			return fmt.Errorf("size of %s %q: %w", vals[0].String, vals[1].String, err)
		}
		files = append(files, BinlogFile{Name: vals[0].String, Size: size})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("replication: %s: %w", stmt, err)
	}
	return files, nil
}

// scanStrings reads every row of rows as strings (NULL kept apart) and
// calls fn with the column names and the row's values, which fn must not
// keep. Statements like SHOW MASTER STATUS differ in columns between
// servers, so callers pick columns by name.
func scanStrings(rows *sql.Rows, fn func(cols []string, vals []sql.NullString) error) error {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := fn(cols, vals); err != nil {
			return err
		}
	}
	return rows.Err()
}
