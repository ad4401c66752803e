package schema

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
)

// DDLErrorPolicy says what a Tracker does with a DDL statement it cannot
// apply: one the parser cannot read, one on a table it does not hold, or a
// CREATE TABLE whose columns only the server knows.
type DDLErrorPolicy int

const (
	// DDLFail stops with an error naming the position and the statement
	// (the default): a schema that silently drifts from the server's
	// decodes rows against the wrong columns.
	DDLFail DDLErrorPolicy = iota
	// DDLSkip logs a warning and goes on without the statement's effect.
	// Reconciliation against each TABLE_MAP still stops the stream if the
	// rows no longer fit the tracked table.
	DDLSkip
)

// ParseDDLErrorPolicy parses "fail" or "skip".
func ParseDDLErrorPolicy(s string) (DDLErrorPolicy, error) {
	switch s {
	case "fail":
		return DDLFail, nil
	case "skip":
		return DDLSkip, nil
	}
	return 0, fmt.Errorf("unknown DDL error policy %q (want fail or skip)", s)
}

func (p DDLErrorPolicy) String() string {
	if p == DDLSkip {
		return "skip"
	}
	return "fail"
}

// ErrUntrackedTable is wrapped by the error for rows of a table the
// tracker does not hold.
var ErrUntrackedTable = errors.New("schema: rows of a table the schema history does not hold")

// Tracker follows a binlog's DDL and decodes its rows with the schema in
// force where they were written. It owns a Catalog (the state at the
// point reached), applies each QUERY event's DDL to it, records every new
// table version in a History, checks every TABLE_MAP against the tracked
// table (Reconcile) and completes it with the names, signedness, charsets
// and ENUM/SET labels that MINIMAL or NO_LOG metadata leaves out.
//
// Feed it the events in binlog order: Query for QUERY events, TableMap for
// TABLE_MAP, Rows for rows events. A Tracker does no I/O besides the
// History's file and is not safe for concurrent use.
type Tracker struct {
	cat  *Catalog
	app  *Applier
	hist *History // nil: not persisted
	// recordedUntil: the history already holds the DDL up to this point.
	recordedUntil Point
	policy        DDLErrorPolicy
	log           *slog.Logger
	// maps holds, per table id, the last TABLE_MAP seen and what it
	// resolved to, so that the TABLE_MAP each transaction repeats costs a
	// map lookup.
	maps map[uint64]*mappedTable
}

type mappedTable struct {
	// cols identifies the decoder's TABLE_MAP layout: the decoder reuses
	// the columns of a TABLE_MAP whose bytes repeat.
	cols      *binlog.Column
	table     *core.Table
	annotated *binlog.TableMapEvent
}

// TrackerOptions configure a Tracker.
type TrackerOptions struct {
	// History receives every table version (nil: the tracker keeps only
	// its Catalog).
	History *History
	// RecordedUntil is set when the events fed begin before the end of
	// what History holds (a second read of binlog files): DDL at or
	// before it is applied to the catalog but not recorded again.
	RecordedUntil Point
	// OnDDLError is the policy for DDL the tracker cannot apply.
	OnDDLError DDLErrorPolicy
	// Logger receives the warnings of DDLSkip; default slog.Default().
	Logger *slog.Logger
}

// NewTracker returns a tracker that starts from cat, the catalog in force
// at the point where the events it is fed begin. The tracker owns cat
// from then on.
func NewTracker(cat *Catalog, opts TrackerOptions) *Tracker {
	l := opts.Logger
	if l == nil {
		l = slog.Default()
	}
	return &Tracker{cat: cat, app: NewApplier(), hist: opts.History, recordedUntil: opts.RecordedUntil,
		policy: opts.OnDDLError, log: l, maps: map[uint64]*mappedTable{}}
}

// Catalog returns the tracked state. The caller must not change it.
func (t *Tracker) Catalog() *Catalog { return t.cat }

// Query applies the DDL of a QUERY (or MariaDB QUERY_COMPRESSED) event
// that ends at point at, records the new table versions in the history
// and returns one schema-change record per effect. Other statements (DML
// in statement format, BEGIN, COMMIT, GRANT...) change nothing.
func (t *Tracker) Query(q *binlog.QueryEvent, at Point) ([]core.SchemaChange, error) {
	if !mayChangeSchema(q.Query) {
		return nil, nil
	}
	var mode uint64
	if q.StatusVars.SQLMode != nil {
		mode = q.StatusVars.SQLMode.Bits
	}
	t.app.SetSQLMode(mode)
	changes, err := t.app.Apply(t.cat, q.Schema, q.Query)
	if err != nil {
		if t.policy == DDLFail {
			return nil, &DDLError{At: at, Statement: q.Query, Err: err}
		}
		t.log.Warn("schema: DDL not applied (on-ddl-error=skip): the tracked schema of the tables it names may now differ from the server's",
			"position", at.String(), "statement", q.Query, "error", err.Error())
	}
	if len(changes) == 0 {
		return nil, nil
	}
	if t.hist != nil && at.Compare(t.recordedUntil) > 0 {
		if err := t.hist.Record(at, t.entries(changes)); err != nil {
			return nil, err
		}
	}
	out := make([]core.SchemaChange, len(changes))
	pos := core.Position{File: at.File, Pos: at.Pos, GTID: at.GTID}
	for i, ch := range changes {
		out[i] = core.SchemaChange{Kind: ch.Kind.coreKind(), Old: ch.Old, New: ch.New, Database: ch.database(),
			Statement: ch.Statement, Position: pos}
		if (ch.Kind == AlterTable || ch.Kind == RenameTable) && ch.Old != nil && ch.New != nil {
			out[i].Renamed = t.app.columnRenames(ch.Statement, ch.Old, ch.New)
		}
	}
	// A table id may be mapped again to the new definition: drop what
	// resolved against the old one.
	clear(t.maps)
	return out, nil
}

// Replace puts t, a table's definition read from the server, in place of
// the tracked one from point at on (when Reconcile found that the history
// no longer matches the server: a DDL ran outside the binlog). It records
// the new version in the history and returns the schema-change record; t
// gets the next version number.
func (t *Tracker) Replace(tab *core.Table, at Point, why string) (core.SchemaChange, error) {
	old := t.cat.Table(tab.Schema, tab.Name)
	tab = tab.Clone()
	tab.Version = 1
	kind := core.CreateTable
	if old != nil {
		tab.Version, kind = old.Version+1, core.AlterTable
	}
	if t.hist != nil && at.Compare(t.recordedUntil) > 0 {
		if err := t.hist.Record(at, []Entry{t.entry(tab, tab, why)}); err != nil {
			return core.SchemaChange{}, err
		}
	}
	t.cat.PutTable(tab)
	clear(t.maps)
	return core.SchemaChange{Kind: kind, Old: old, New: tab, Database: tab.Schema, Statement: why,
		Position: core.Position{File: at.File, Pos: at.Pos, GTID: at.GTID}}, nil
}

// DDLError is the error for a DDL statement the tracker could not apply
// under DDLFail.
type DDLError struct {
	At        Point
	Statement string
	Err       error
}

func (e *DDLError) Error() string {
	return fmt.Sprintf("schema: the DDL at %s cannot be applied to the tracked schema: %v. Statement: %s. "+
		"Syncer stops rather than decode later rows with a schema that may be wrong. If the statement does not change "+
		"a table you replicate, restart with the DDL error policy set to skip (--on-ddl-error=skip); otherwise report it",
		e.At, e.Err, e.Statement)
}

func (e *DDLError) Unwrap() error { return e.Err }

// entries turns changes into history entries: a rename is a drop of the
// old name and the table under the new one.
func (t *Tracker) entries(changes []Change) []Entry {
	var es []Entry
	for _, ch := range changes {
		switch ch.Kind {
		case CreateTable, AlterTable, RenameTable:
			if ch.Old != nil && !t.sameName(ch.Old, ch.New) {
				es = append(es, t.entry(ch.Old, nil, ch.Statement))
			}
			es = append(es, t.entry(ch.New, ch.New, ch.Statement))
		case DropTable:
			es = append(es, t.entry(ch.Old, nil, ch.Statement))
		}
	}
	return es
}

func (t *Tracker) sameName(a, b *core.Table) bool {
	return t.cat.nameKey(a.Schema) == t.cat.nameKey(b.Schema) && t.cat.nameKey(a.Name) == t.cat.nameKey(b.Name)
}

// entry names a history entry as the catalog keys it, so that a history
// of a server with lower_case_table_names finds a table whatever the case
// a statement used.
func (t *Tracker) entry(named, table *core.Table, stmt string) Entry {
	e := Entry{Schema: t.cat.nameKey(named.Schema), Name: t.cat.nameKey(named.Name), Table: table, Statement: stmt}
	if table != nil && (table.Schema != e.Schema || table.Name != e.Name) {
		c := table.Clone()
		c.Schema, c.Name = e.Schema, e.Name
		e.Table = c
	}
	return e
}

func (k ChangeKind) coreKind() core.SchemaChangeKind {
	switch k {
	case CreateTable:
		return core.CreateTable
	case AlterTable:
		return core.AlterTable
	case DropTable:
		return core.DropTable
	case RenameTable:
		return core.RenameTable
	case TruncateTable:
		return core.TruncateTable
	case CreateDatabase:
		return core.CreateDatabase
	case AlterDatabase:
		return core.AlterDatabase
	case DropDatabase:
		return core.DropDatabase
	}
	return core.SchemaChangeKind(k.String())
}

func (ch *Change) database() string {
	switch {
	case ch.Database != "":
		return ch.Database
	case ch.New != nil:
		return ch.New.Schema
	case ch.Old != nil:
		return ch.Old.Schema
	}
	return ""
}

// TableMap resolves a TABLE_MAP to the tracked table in force: it checks
// the two agree (Reconcile) and remembers, for the rows events that
// follow, the TABLE_MAP completed with the tracked names, signedness,
// charsets and ENUM/SET labels. It returns nil and no error for a table of
// an ignored (system) database. A table the tracker does not hold is an
// error wrapping ErrUntrackedTable; a disagreement is a *MismatchError.
func (t *Tracker) TableMap(tm *binlog.TableMapEvent) (*core.Table, error) {
	m, err := t.resolve(tm)
	if m == nil {
		return nil, err
	}
	return m.table, nil
}

func (t *Tracker) resolve(tm *binlog.TableMapEvent) (*mappedTable, error) {
	cols := tm.Columns()
	var key *binlog.Column
	if len(cols) > 0 {
		key = &cols[0]
	}
	if m := t.maps[tm.TableID]; m != nil && m.cols == key {
		return m, nil
	}
	if t.cat.ignored(tm.Schema) {
		return nil, nil
	}
	tab := t.cat.Table(tm.Schema, tm.Table)
	if tab == nil {
		return nil, fmt.Errorf("%w: %s.%s has rows in the binlog but no tracked definition here: it was not among the tables "+
			"captured when the history started (its definition could not be read, or it existed only before the start and was "+
			"dropped since) and no CREATE TABLE for it was read after. Syncer will not guess its columns: start at a later "+
			"position with an empty state directory, or keep a schema history from before the table was created",
			ErrUntrackedTable, tm.Schema, tm.Table)
	}
	if err := Reconcile(tm, tab); err != nil {
		return nil, err
	}
	ann, err := tm.WithSchema(columnSchemas(tab))
	if err != nil {
		return nil, err
	}
	m := &mappedTable{cols: key, table: tab, annotated: ann}
	t.maps[tm.TableID] = m
	return m, nil
}

// Rows points a rows event at its completed TABLE_MAP (so that its values
// decode with the tracked names, signedness, charsets and labels) and
// returns the table version its rows belong to; nil for an ignored
// database or a rows event without a table map.
func (t *Tracker) Rows(ev *binlog.RowsEvent) (*core.Table, error) {
	if ev.Table == nil {
		return nil, nil
	}
	m, err := t.resolve(ev.Table)
	if m == nil {
		return nil, err
	}
	ev.Table = m.annotated
	return m.table, nil
}

// columnSchemas is what the binlog decoder needs of a table.
func columnSchemas(t *core.Table) []binlog.ColumnSchema {
	out := make([]binlog.ColumnSchema, len(t.Columns))
	for i := range t.Columns {
		c := &t.Columns[i]
		cs := binlog.CharsetByName(c.Type.Charset)
		if c.Type.Charset == "" && isBinaryType(c.Type.Name) {
			cs = binlog.CharsetBinary
		}
		out[i] = binlog.ColumnSchema{Name: c.Name, Unsigned: c.Type.Unsigned, Charset: cs}
		switch c.Type.Name {
		case "enum":
			out[i].EnumValues = c.Type.Elems
		case "set":
			out[i].SetValues = c.Type.Elems
		}
	}
	return out
}

func isBinaryType(name string) bool {
	switch name {
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return true
	}
	return false
}

// mayChangeSchema is a fast filter for the QUERY events of every
// transaction: false when the statement's first word shows it cannot be
// DDL, so that BEGIN, COMMIT and statement-format DML skip the parser.
func mayChangeSchema(q string) bool {
	w := firstWord(q)
	switch strings.ToUpper(w) {
	case "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "XA", "INSERT", "UPDATE", "DELETE", "REPLACE",
		"SET", "GRANT", "REVOKE", "FLUSH", "ANALYZE", "OPTIMIZE", "REPAIR", "CHECK", "LOAD", "CALL", "DO", "SELECT":
		return false
	}
	return true
}

// firstWord returns the first word of q after white space and comments
// (a versioned comment /*!...*/ holds code: its content counts).
func firstWord(q string) string {
	i := 0
	for i < len(q) {
		switch {
		case isSpaceByte(q[i]):
			i++
		case strings.HasPrefix(q[i:], "/*!") || strings.HasPrefix(q[i:], "/*M!"):
			// Executable comment: skip the marker and version digits.
			i += strings.Index(q[i:], "!") + 1
			for i < len(q) && q[i] >= '0' && q[i] <= '9' {
				i++
			}
		case strings.HasPrefix(q[i:], "/*"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return ""
			}
			i += end + 4
		case strings.HasPrefix(q[i:], "-- ") || q[i] == '#':
			end := strings.IndexByte(q[i:], '\n')
			if end < 0 {
				return ""
			}
			i += end + 1
		default:
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			return q[i:j]
		}
	}
	return ""
}
