package cdc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
	"github.com/seed5aa6e046/syncer/sources/mysql/schema"
)

// ReadCatalog reads the definition of every table of the server's user
// databases (all but SystemDatabases) with SHOW CREATE TABLE, together
// with the settings that decide how later DDL reads: the server family,
// lower_case_table_names, the default character set and collation and
// explicit_defaults_for_timestamp. The tables have Version 1.
//
// The result is the schema at some moment during the call; captureAt
// ties it to a binlog position.
func ReadCatalog(ctx context.Context, db *sql.DB, opts CaptureOptions) (*schema.Catalog, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	defer conn.Close()
	cat, err := newCatalog(ctx, conn)
	if err != nil {
		return nil, err
	}
	type name struct{ db, table string }
	var tables []name
	// MariaDB lists system-versioned tables as SYSTEM VERSIONED.
	rows, err := conn.QueryContext(ctx, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "+
		"WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') ORDER BY TABLE_SCHEMA, TABLE_NAME")
	if err != nil {
		return nil, fmt.Errorf("read schema: list tables: %w", err)
	}
	for rows.Next() {
		var n name
		if err := rows.Scan(&n.db, &n.table); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read schema: list tables: %w", err)
		}
		if !cat.Ignored(n.db) {
			tables = append(tables, n)
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read schema: list tables: %w", err)
	}
	app := schema.NewApplier()
	for _, n := range tables {
		var tname, create string
		err := conn.QueryRowContext(ctx, "SHOW CREATE TABLE "+quoteName(n.db)+"."+quoteName(n.table)).Scan(&tname, &create)
		if isNoSuchTable(err) {
			continue // dropped since the list was read
		}
		if err != nil {
			return nil, fmt.Errorf("read schema: SHOW CREATE TABLE %s.%s: %w", n.db, n.table, err)
		}
		t, err := app.TableFromCreate(cat, n.db, create)
		if err != nil && opts.skipped != nil && opts.OnDDLError == schema.DDLSkip {
			opts.skipped[cat.TableKey(n.db, n.table)] = true
		}
		if err != nil {
			if opts.Include != nil && !opts.Include(n.db, n.table) {
				log.Warn("schema: table left out of the captured schema: its definition cannot be read; it is not among the tables replicated",
					"table", n.db+"."+n.table, "error", err.Error())
				continue
			}
			if opts.OnDDLError == schema.DDLSkip {
				log.Warn("schema: table left out of the captured schema: its definition cannot be read (on-ddl-error=skip); its rows will stop the stream",
					"table", n.db+"."+n.table, "error", err.Error())
				continue
			}
			return nil, fmt.Errorf("read schema: table %s.%s: %w. Its definition: %s. To leave such tables out, use the DDL error policy skip (--on-ddl-error=skip)",
				n.db, n.table, err, create)
		}
		cat.PutTable(t)
	}
	return cat, nil
}

// readDatabases adds the server's user databases, with their default
// charsets, to cat.
func readDatabases(ctx context.Context, conn *sql.Conn, cat *schema.Catalog) error {
	rows, err := conn.QueryContext(ctx, "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA")
	if err != nil {
		return fmt.Errorf("read schema: list databases: %w", err)
	}
	for rows.Next() {
		var d schema.Database
		if err := rows.Scan(&d.Name, &d.Charset, &d.Collation); err != nil {
			rows.Close()
			return fmt.Errorf("read schema: list databases: %w", err)
		}
		if !cat.Ignored(d.Name) {
			cat.PutDatabase(d)
		}
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("read schema: list databases: %w", err)
	}
	return nil
}

// CaptureOptions configure ReadCatalog.
type CaptureOptions struct {
	// OnDDLError decides what becomes of a table whose definition the
	// parser cannot read: DDLFail fails the capture, DDLSkip leaves the
	// table out with a warning.
	OnDDLError schema.DDLErrorPolicy
	// Include names the tables replicated (nil: all): a table outside it
	// whose definition cannot be read is left out with a warning
	// whatever OnDDLError says.
	Include func(schema, table string) bool
	Logger  *slog.Logger
	// skipped, when not nil, receives the tables left out under DDLSkip.
	skipped map[[2]string]bool
}

// newCatalog returns a catalog with the server's settings and user
// databases, without tables, and sets the session up so that SHOW CREATE
// TABLE prints what the parser reads.
func newCatalog(ctx context.Context, conn *sql.Conn) (*schema.Catalog, error) {
	// Backquoted names whatever the global sql_mode (ANSI_QUOTES would
	// print double quotes); utf8mb4 so that names and comments arrive as
	// written.
	for _, q := range []string{"SET NAMES utf8mb4", "SET SESSION sql_mode = ''", "SET SESSION sql_quote_show_create = 1"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("read schema: %s: %w", q, err)
		}
	}
	vars := map[string]string{}
	rows, err := conn.QueryContext(ctx, "SHOW GLOBAL VARIABLES WHERE Variable_name IN "+
		"('version', 'lower_case_table_names', 'character_set_server', 'collation_server', 'explicit_defaults_for_timestamp')")
	if err != nil {
		return nil, fmt.Errorf("read schema: server variables: %w", err)
	}
	for rows.Next() {
		var k, v sql.NullString
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read schema: server variables: %w", err)
		}
		vars[strings.ToLower(k.String)] = v.String
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read schema: server variables: %w", err)
	}
	cat := schema.NewCatalog()
	if v := vars["lower_case_table_names"]; v != "" && v != "0" {
		cat.SetCaseInsensitiveNames(true)
	}
	cat.SetIgnoredDatabases(schema.SystemDatabases()...)
	if strings.Contains(strings.ToLower(vars["version"]), "mariadb") {
		cat.SetFlavor(schema.FlavorMariaDB)
	} else {
		cat.SetFlavor(schema.FlavorMySQL)
	}
	cat.SetServerDefaults(vars["character_set_server"], vars["collation_server"])
	if v := strings.ToUpper(vars["explicit_defaults_for_timestamp"]); v == "OFF" || v == "0" {
		cat.SetExplicitDefaultsForTimestamp(false)
	}
	if err := readDatabases(ctx, conn, cat); err != nil {
		return nil, err
	}
	return cat, nil
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}

func quoteName(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// isNoSuchTable reports MySQL error 1146 (ER_NO_SUCH_TABLE).
func isNoSuchTable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1146
}

// maxCaptureAttempts bounds the retries of a capture that DDL keeps
// overtaking.
const maxCaptureAttempts = 5

// captureAt reads the schema at a binlog position: it reads the current
// position, the schema and the position again. A DDL statement changes a
// table's definition while holding the table's metadata lock and writes
// its binlog event before releasing it, and SHOW CREATE TABLE waits for
// that lock; so the schema read reflects exactly the DDL logged before the
// second position. When the position moved, the events between the two
// are read: if none changes a table, the schema is the one in force at
// the second position; otherwise DDL slipped in while the tables were
// read, the definitions may come from different moments, and the capture
// starts again.
func captureAt(ctx context.Context, db *sql.DB, scan windowScanner, opts CaptureOptions) (*schema.Catalog, *replication.BinlogStatus, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	for attempt := 1; ; attempt++ {
		before, err := replication.CurrentBinlogStatus(ctx, db)
		if err != nil {
			return nil, nil, err
		}
		cat, err := ReadCatalog(ctx, db, opts)
		if err != nil {
			return nil, nil, err
		}
		after, err := replication.CurrentBinlogStatus(ctx, db)
		if err != nil {
			return nil, nil, err
		}
		from, to := schema.Point{File: before.File, Pos: before.Pos}, schema.Point{File: after.File, Pos: after.Pos}
		if from.Compare(to) == 0 {
			return cat, after, nil
		}
		window, err := scan(ctx, from, to)
		if err != nil {
			return nil, nil, fmt.Errorf("read schema: check the binlog written while the schema was read (%s to %s): %w", from, to, err)
		}
		if stable(cat, window) {
			return cat, after, nil
		}
		if attempt == maxCaptureAttempts {
			return nil, nil, fmt.Errorf("read schema: DDL ran while the schema was read, %d times in a row (last between %s and %s); "+
				"start again when no schema change is running", attempt, from, to)
		}
		log.Info("schema: DDL ran while the schema was read; reading it again", "from", from.String(), "to", to.String(), "attempt", attempt)
	}
}

// stable reports whether no statement of the window is table or database
// DDL (outside the ignored databases). Any such statement makes the
// capture ambiguous, whether or not the definitions read show its effect:
// a CREATE TABLE may have come after the list of tables was read.
func stable(cat *schema.Catalog, window []schema.QueryAt) bool {
	c := cat.Clone()
	a := schema.NewApplier()
	for _, q := range window {
		a.SetSQLMode(q.SQLMode)
		if ch, err := a.Apply(c, q.Schema, q.Query); len(ch) > 0 || err != nil {
			return false
		}
	}
	return true
}

// windowScanner returns the QUERY events between two points of the
// binlog, in order.
type windowScanner func(ctx context.Context, from, to schema.Point) ([]schema.QueryAt, error)

// errScanEnded is returned when the binlog ends before the window does.
var errScanEnded = errors.New("the binlog ended before the end of the window")

// queryAt converts a QUERY event ending at p.
func queryAt(q *binlog.QueryEvent, p schema.Point) schema.QueryAt {
	qa := schema.QueryAt{Query: q.Query, Schema: q.Schema, At: p}
	if q.StatusVars.SQLMode != nil {
		qa.SQLMode = q.StatusVars.SQLMode.Bits
	}
	return qa
}

// queryEvent rebuilds the QUERY event of a scanned statement, for a
// Tracker.
func queryEvent(q schema.QueryAt) *binlog.QueryEvent {
	ev := &binlog.QueryEvent{Schema: q.Schema, Query: q.Query}
	if q.SQLMode != 0 {
		ev.StatusVars.SQLMode = &binlog.SQLMode{Bits: q.SQLMode}
	}
	return ev
}

// catchUp brings a tracker whose catalog is the history's at from to the
// point to, applying (and recording) the DDL the binlog holds in between:
// a start past what the history has seen must not use the schema it last
// saw.
func catchUp(ctx context.Context, scan windowScanner, tr *schema.Tracker, from, to schema.Point) (int, error) {
	window, err := scan(ctx, from, to)
	if err != nil {
		return 0, fmt.Errorf("read the binlog from %s, where the schema history ends, to the start %s: %w", from, to, err)
	}
	for _, q := range window {
		if _, err := tr.Query(queryEvent(q), q.At); err != nil {
			return 0, err
		}
	}
	return len(window), nil
}
