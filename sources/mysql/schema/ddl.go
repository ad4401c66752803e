package schema

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	// The parser needs a driver to build value expressions (DEFAULT
	// literals); test_driver is its self-contained one.
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/seed5aa6e046/syncer/core"
)

var (
	// ErrUnparsable: the parser cannot read a statement.
	ErrUnparsable = errors.New("schema: statement not understood")
	// ErrUnknownTable: a DDL names a table the catalog does not hold.
	ErrUnknownTable = errors.New("schema: unknown table")
	// ErrNeedsServerSchema: the statement's effect cannot be known from its
	// text (CREATE TABLE ... SELECT without column definitions); the
	// caller must read the table's definition from the server.
	ErrNeedsServerSchema = errors.New("schema: definition must be read from the server")
)

// ChangeKind is the kind of a Change.
type ChangeKind int

// The change kinds.
const (
	CreateTable ChangeKind = iota + 1
	AlterTable
	DropTable
	RenameTable
	TruncateTable
	CreateDatabase
	AlterDatabase
	DropDatabase
)

var kindNames = [...]string{"", "CreateTable", "AlterTable", "DropTable", "RenameTable",
	"TruncateTable", "CreateDatabase", "AlterDatabase", "DropDatabase"}

func (k ChangeKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "ChangeKind(" + strconv.Itoa(int(k)) + ")"
}

// Change is one effect of a DDL statement on the catalog.
type Change struct {
	Kind ChangeKind
	// Old is nil for a create, New nil for a drop; both are set for
	// alter, rename and truncate (truncate: the same table). A CREATE that
	// replaces an existing table (CREATE OR REPLACE) has both.
	Old, New *core.Table
	// Database is the database of a database change.
	Database string
	// Statement is the statement text as written (one of possibly
	// several in the query).
	Statement string
}

// Applier applies DDL statements to a Catalog. It holds a parser and is
// not safe for concurrent use.
type Applier struct {
	p *parser.Parser
	// exprP parses DEFAULT (expression) texts while the AST of the
	// statement from p is still in use.
	exprP *parser.Parser
	mode  lexMode
}

// NewApplier returns an Applier.
func NewApplier() *Applier {
	a := &Applier{p: parser.New(), exprP: parser.New()}
	// Window function names (LAG, RANK, ...) are reserved words only in
	// MySQL 8; DDL never calls them, and MariaDB allows them as names.
	a.p.EnableWindowFunc(false)
	a.exprP.EnableWindowFunc(false)
	return a
}

// SetSQLMode sets the sql_mode the following statements were written
// under: the QUERY event's Q_SQL_MODE_CODE status variable, whose bits are
// MySQL's sql_mode bits (MariaDB uses the same layout). It matters for
// ANSI_QUOTES ("x" names an identifier), NO_BACKSLASH_ESCAPES,
// PIPES_AS_CONCAT, HIGH_NOT_PRECEDENCE and IGNORE_SPACE. The default is 0.
func (a *Applier) SetSQLMode(mode uint64) {
	m := mysql.SQLMode(mode)
	a.p.SetSQLMode(m)
	a.exprP.SetSQLMode(m)
	a.mode = lexMode{noBackslashEscapes: m.HasNoBackslashEscapesMode(), ansiQuotes: m.HasANSIQuotesMode()}
}

// Apply parses query (one or more statements, as a QUERY event carries)
// with defaultDB as the current database, applies every table and
// database DDL to c and returns the changes in order. Other statements are
// ignored, even when the parser cannot read them (stored program bodies,
// triggers, events). Each statement is applied on its own: a statement that fails
// (ErrUnparsable, ErrUnknownTable, ErrNeedsServerSchema) leaves the catalog
// as it was for that statement, the others still apply, and the error
// joins the failures (test with errors.Is).
func (a *Applier) Apply(c *Catalog, defaultDB, query string) ([]Change, error) {
	var changes []Change
	var errs []error
	for _, rs := range rewrite(query, a.mode) {
		stmts, err := a.parse(rs.sql)
		if err != nil {
			// TiDB does not read everything MySQL does (triggers, events,
			// some GRANT forms...): only a DDL we track is an error.
			if isTrackedDDL(rs.sql) {
				errs = append(errs, fmt.Errorf("%w: %q: %v", ErrUnparsable, rs.orig, err))
			}
			continue
		}
		for _, st := range stmts {
			if u, ok := st.(*ast.UseStmt); ok {
				defaultDB = u.DBName
				continue
			}
			ap := applying{a: a, c: c, defaultDB: defaultDB, stmt: rs.orig, orReplace: rs.orReplace}
			if err := ap.apply(st); err != nil {
				errs = append(errs, err)
			}
			changes = append(changes, ap.changes...)
		}
	}
	return changes, errors.Join(errs...)
}

// TableNames returns every table (schema, name) the statements of query
// name, with defaultDB for unqualified names; nothing for a statement that
// cannot be parsed.
func (a *Applier) TableNames(defaultDB, query string) [][2]string {
	return a.tableNames(defaultDB, query)
}

func (a *Applier) tableNames(defaultDB, query string) [][2]string {
	var out [][2]string
	for _, rs := range rewrite(query, a.mode) {
		stmts, err := a.parse(rs.sql)
		if err != nil {
			continue
		}
		for _, st := range stmts {
			if u, ok := st.(*ast.UseStmt); ok {
				defaultDB = u.DBName
				continue
			}
			st.Accept(&tableNameCollector{defaultDB: defaultDB, out: &out})
		}
	}
	return out
}

type tableNameCollector struct {
	defaultDB string
	out       *[][2]string
}

func (c *tableNameCollector) Enter(n ast.Node) (ast.Node, bool) {
	if tn, ok := n.(*ast.TableName); ok {
		db := tn.Schema.O
		if db == "" {
			db = c.defaultDB
		}
		*c.out = append(*c.out, [2]string{db, tn.Name.O})
	}
	return n, false
}

func (c *tableNameCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// TableFromCreate builds a table from a CREATE TABLE statement (SHOW
// CREATE TABLE output) for the initial capture. schema is the table's
// database unless the statement qualifies the name. c supplies the
// flavor and the default charsets; it is not changed (store the table
// with PutTable). The table has Version 1.
func (a *Applier) TableFromCreate(c *Catalog, schema, createSQL string) (*core.Table, error) {
	rs := rewrite(createSQL, a.mode)
	if len(rs) != 1 {
		return nil, fmt.Errorf("schema: want one CREATE TABLE statement, got %d", len(rs))
	}
	stmts, err := a.parse(rs[0].sql)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrUnparsable, rs[0].sql, err)
	}
	if len(stmts) != 1 {
		return nil, fmt.Errorf("schema: not one CREATE TABLE statement: %q", createSQL)
	}
	ct, ok := stmts[0].(*ast.CreateTableStmt)
	if !ok {
		return nil, fmt.Errorf("schema: not a CREATE TABLE statement: %q", createSQL)
	}
	ap := applying{a: a, c: c, defaultDB: schema}
	db, name, err := ap.names(ct.Table)
	if err != nil {
		return nil, err
	}
	if ct.ReferTable != nil || len(ct.Cols) == 0 {
		return nil, fmt.Errorf("%w: CREATE TABLE without column definitions", ErrNeedsServerSchema)
	}
	t, err := ap.build(db, name, ct)
	if err != nil {
		return nil, err
	}
	t.Version = 1
	return t, nil
}

// applying is the state of one statement being applied.
type applying struct {
	a         *Applier
	c         *Catalog
	defaultDB string
	stmt      string
	orReplace bool
	changes   []Change
}

func (ap *applying) add(ch Change) {
	ch.Statement = ap.stmt
	ap.changes = append(ap.changes, ch)
}

// unknown reports a DDL on a table the catalog does not hold; nil for a
// table of an ignored database (SetIgnoredDatabases), whose DDL is not
// tracked.
func (ap *applying) unknown(db, name string) error {
	if ap.c.ignored(db) {
		return nil
	}
	return &UnknownTableError{Schema: db, Name: name, Statement: ap.stmt}
}

// UnknownTableError is the error for a DDL on a table the catalog does not
// hold. It wraps ErrUnknownTable.
type UnknownTableError struct {
	Schema, Name string
	Statement    string
}

func (e *UnknownTableError) Error() string {
	return fmt.Sprintf("%v: %s.%s in %q", ErrUnknownTable, e.Schema, e.Name, e.Statement)
}

func (e *UnknownTableError) Unwrap() error { return ErrUnknownTable }

func (ap *applying) names(tn *ast.TableName) (string, string, error) {
	db := tn.Schema.O
	if db == "" {
		db = ap.defaultDB
	}
	if db == "" {
		return "", "", fmt.Errorf("%w: %s: no database selected in %q", ErrUnknownTable, tn.Name.O, ap.stmt)
	}
	return db, tn.Name.O, nil
}

func (ap *applying) apply(st ast.StmtNode) error {
	switch s := st.(type) {
	case *ast.CreateTableStmt:
		return ap.createTable(s)
	case *ast.AlterTableStmt:
		return ap.alterTable(s)
	case *ast.DropTableStmt:
		return ap.dropTable(s)
	case *ast.RenameTableStmt:
		return ap.renameTable(s)
	case *ast.TruncateTableStmt:
		db, name, err := ap.names(s.Table)
		if err != nil {
			return err
		}
		t := ap.c.Table(db, name)
		if t == nil {
			return ap.unknown(db, name)
		}
		ap.add(Change{Kind: TruncateTable, Old: t, New: t})
	case *ast.CreateIndexStmt:
		return ap.createIndex(s)
	case *ast.DropIndexStmt:
		return ap.dropIndex(s)
	case *ast.CreateDatabaseStmt:
		ap.createDatabase(s)
	case *ast.AlterDatabaseStmt:
		ap.alterDatabase(s)
	case *ast.DropDatabaseStmt:
		ap.dropDatabase(s)
	}
	return nil
}

// store puts t in the catalog as the successor of old (nil for a new
// table), numbering its version, and records the change. It reports
// false (and records nothing) when the definition did not change.
func (ap *applying) store(kind ChangeKind, old, t *core.Table) bool {
	if old != nil && kind != CreateTable && old.SameDefinition(t) {
		return false
	}
	t.Version = 1
	if old != nil {
		t.Version = old.Version + 1
	}
	if old != nil {
		ap.c.deleteTable(old.Schema, old.Name)
	}
	ap.c.PutTable(t)
	ap.add(Change{Kind: kind, Old: old, New: t})
	return true
}

func (ap *applying) createTable(s *ast.CreateTableStmt) error {
	if s.TemporaryKeyword != ast.TemporaryNone {
		return nil // temporary tables are not replicated in row format
	}
	db, name, err := ap.names(s.Table)
	if err != nil {
		return err
	}
	if ap.c.ignored(db) {
		return nil
	}
	old := ap.c.Table(db, name)
	if old != nil && s.IfNotExists {
		return nil
	}
	var t *core.Table
	switch {
	case s.ReferTable != nil:
		sdb, sname, err := ap.names(s.ReferTable)
		if err != nil {
			return err
		}
		src := ap.c.Table(sdb, sname)
		if src == nil {
			return ap.unknown(sdb, sname)
		}
		t = src.Clone()
		t.Schema, t.Name = db, name
	case len(s.Cols) == 0:
		return fmt.Errorf("%w: %s.%s: columns come from the SELECT in %q", ErrNeedsServerSchema, db, name, ap.stmt)
	default:
		if t, err = ap.build(db, name, s); err != nil {
			return err
		}
	}
	ap.store(CreateTable, old, t)
	return nil
}

// build makes the table of a CREATE TABLE with column definitions.
func (ap *applying) build(db, name string, s *ast.CreateTableStmt) (*core.Table, error) {
	t := &core.Table{Schema: db, Name: name}
	var cs, co string
	for _, o := range s.Options {
		switch o.Tp {
		case ast.TableOptionCharset:
			cs = o.StrValue
		case ast.TableOptionCollate:
			co = o.StrValue
		}
	}
	dcs, dco := ap.c.dbDefaults(db)
	t.Charset, t.Collation = resolveCharset(cs, co, ap.c.flavor, dcs, dco)
	var uniq []string
	for _, def := range s.Cols {
		col, pk, u := ap.column(t, def)
		if t.ColumnIndex(col.Name) >= 0 {
			return nil, fmt.Errorf("%w: duplicate column %q in %q", ErrUnparsable, col.Name, ap.stmt)
		}
		t.Columns = append(t.Columns, col)
		if pk {
			t.PrimaryKey = &core.Key{Name: "PRIMARY", Columns: []core.KeyColumn{{Name: col.Name}}}
		}
		if u {
			uniq = append(uniq, col.Name)
		}
	}
	// Inline UNIQUE keys come before table constraints, as MySQL creates
	// them in that order.
	for _, n := range uniq {
		addUnique(t, "", []core.KeyColumn{{Name: n}})
	}
	for _, k := range s.Constraints {
		if err := addConstraint(t, k); err != nil {
			return nil, fmt.Errorf("%w in %q", err, ap.stmt)
		}
	}
	finish(t)
	return t, nil
}

// column converts a column definition; pk and uniq report inline PRIMARY
// KEY and UNIQUE.
func (ap *applying) column(t *core.Table, def *ast.ColumnDef) (col core.Column, pk, uniq bool) {
	col.Name = def.Name.Name.O
	col.Nullable = true
	collate := ""
	for _, o := range def.Options {
		if o.Tp == ast.ColumnOptionCollate {
			collate = o.StrValue
		}
	}
	col.Type = columnType(def.Tp, collate, ap.c.flavor, t.Charset, t.Collation)
	var defExpr ast.ExprNode
	hasDefault, explicitNull, onUpdate := false, false, false
	for _, o := range def.Options {
		switch o.Tp {
		case ast.ColumnOptionNotNull:
			col.Nullable = false
		case ast.ColumnOptionNull:
			col.Nullable = true
			explicitNull = true
		case ast.ColumnOptionOnUpdate:
			onUpdate = true
		case ast.ColumnOptionPrimaryKey:
			pk = true
		case ast.ColumnOptionUniqKey:
			uniq = true
		case ast.ColumnOptionAutoIncrement:
			col.AutoIncrement = true
		case ast.ColumnOptionDefaultValue:
			defExpr, hasDefault = o.Expr, true
		case ast.ColumnOptionComment:
			col.Comment = exprString(o.Expr)
		case ast.ColumnOptionGenerated:
			col.Generated = restore(o.Expr)
			col.Stored = o.Stored
		case ast.ColumnOptionCheck:
			// CHECK (json_valid(col)) on the column itself: MariaDB's JSON
			// as SHOW CREATE TABLE prints it, or written by hand.
			if o.Enforced && jsonCapable(col.Type.Name) {
				for _, n := range jsonValidColumns(o.Expr) {
					if strings.EqualFold(n, col.Name) {
						col.Type.JSON = true
					}
				}
			}
		case ast.ColumnOptionSecondaryEngineAttribute:
			switch {
			case o.StrValue == attrInvisible:
				col.Invisible = true
			case strings.HasPrefix(o.StrValue, attrSRIDPrefix):
				n, _ := strconv.ParseUint(o.StrValue[len(attrSRIDPrefix):], 10, 32)
				col.Type.SRID = uint32(n)
			}
		}
	}
	if pk || col.AutoIncrement {
		// A primary key column is NOT NULL; so is an AUTO_INCREMENT one
		// (MySQL and MariaDB make it so silently).
		col.Nullable = false
	}
	if hasDefault {
		col.Default = ap.defaultText(defExpr, col.Type)
	}
	if ap.c.implicitTimestamp && col.Type.Name == "timestamp" && col.Generated == "" && !explicitNull {
		// explicit_defaults_for_timestamp=OFF: a TIMESTAMP is NOT NULL
		// unless declared NULL; without DEFAULT, the table's first
		// TIMESTAMP defaults to the current time (unless it has ON UPDATE),
		// the others to zero.
		col.Nullable = false
		if !hasDefault {
			if onUpdate || hasOtherTimestamp(t, col.Name) {
				col.Default = "'0000-00-00 00:00:00"
				if col.Type.FSP > 0 {
					col.Default += "." + strings.Repeat("0", col.Type.FSP)
				}
				col.Default += "'"
			} else {
				col.Default = "current_timestamp()"
				if col.Type.FSP > 0 {
					col.Default = "current_timestamp(" + strconv.Itoa(col.Type.FSP) + ")"
				}
			}
		}
	}
	if col.Default == "" && col.Nullable && col.Generated == "" && !col.AutoIncrement {
		// A nullable column without DEFAULT defaults to NULL; SHOW CREATE
		// TABLE says so, and the model must not depend on the spelling.
		col.Default = "NULL"
	}
	return col, pk, uniq
}

// hasOtherTimestamp reports whether t has a TIMESTAMP column other than
// name. Column positions are not considered: "first" is approximated by
// "the only one so far", exact for CREATE TABLE and for adding columns.
func hasOtherTimestamp(t *core.Table, name string) bool {
	for _, c := range t.Columns {
		if c.Type.Name == "timestamp" && !strings.EqualFold(c.Name, name) {
			return true
		}
	}
	return false
}

// finish establishes the invariants MySQL keeps after every change: key
// columns of the primary key are NOT NULL, unique keys are ordered with
// the all-NOT-NULL ones first (MySQL's key order; otherwise definition
// order), and empty key lists are nil.
func finish(t *core.Table) {
	if t.PrimaryKey != nil {
		for _, kc := range t.PrimaryKey.Columns {
			if i := t.ColumnIndex(kc.Name); i >= 0 {
				c := &t.Columns[i]
				c.Nullable = false
				if c.Default == "NULL" {
					c.Default = ""
				}
			}
		}
	}
	nullable := func(k core.Key) bool {
		for _, kc := range k.Columns {
			if i := t.ColumnIndex(kc.Name); i >= 0 && t.Columns[i].Nullable {
				return true
			}
		}
		return false
	}
	partial := func(k core.Key) bool {
		for _, kc := range k.Columns {
			if kc.Prefix > 0 {
				return true
			}
		}
		return false
	}
	// A prefix as long as the column is the whole column: the server
	// stores (and shows) a full key part.
	fullPrefix := func(k *core.Key) {
		for i, kc := range k.Columns {
			if j := t.ColumnIndex(kc.Name); j >= 0 && kc.Prefix > 0 {
				switch ct := t.Columns[j].Type; ct.Name {
				case "char", "varchar", "binary", "varbinary":
					if kc.Prefix >= ct.Length {
						k.Columns[i].Prefix = 0
					}
				}
			}
		}
	}
	if t.PrimaryKey != nil {
		fullPrefix(t.PrimaryKey)
	}
	for i := range t.UniqueKeys {
		fullPrefix(&t.UniqueKeys[i])
	}
	// The servers' key order: NOT NULL unique keys first, then keys without
	// prefix parts, then definition order.
	sort.SliceStable(t.UniqueKeys, func(i, j int) bool {
		a, b := t.UniqueKeys[i], t.UniqueKeys[j]
		if na, nb := nullable(a), nullable(b); na != nb {
			return !na
		}
		return !partial(a) && partial(b)
	})
	if len(t.UniqueKeys) == 0 {
		t.UniqueKeys = nil
	}
}

func keyColumns(parts []*ast.IndexPartSpecification) ([]core.KeyColumn, bool) {
	var out []core.KeyColumn
	for _, p := range parts {
		if p.Column == nil {
			return nil, false // functional key part: not a column key
		}
		kc := core.KeyColumn{Name: p.Column.Name.O}
		if p.Length > 0 {
			kc.Prefix = p.Length
		}
		out = append(out, kc)
	}
	return out, len(out) > 0
}

// addConstraint applies a table constraint; only PRIMARY KEY and UNIQUE
// are part of the model, and CHECK (json_valid(col)), which marks col as
// JSON. A key on a column the table lacks is an error (the server refuses
// it, so the model must not hold it).
func addConstraint(t *core.Table, k *ast.Constraint) error {
	if k.Tp == ast.ConstraintCheck {
		if k.Enforced {
			markJSON(t, jsonValidColumns(k.Expr))
		}
		return nil
	}
	cols, ok := keyColumns(k.Keys)
	if !ok {
		return nil
	}
	switch k.Tp {
	case ast.ConstraintPrimaryKey, ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex:
		if err := checkKeyColumns(t, cols); err != nil {
			return err
		}
	}
	switch k.Tp {
	case ast.ConstraintPrimaryKey:
		t.PrimaryKey = &core.Key{Name: "PRIMARY", Columns: cols}
	case ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex:
		addUnique(t, k.Name, cols)
	}
	return nil
}

// markJSON marks the named columns of t as JSON (those that can hold
// it; names t lacks are ignored: the server refuses such a check).
func markJSON(t *core.Table, names []string) {
	for _, n := range names {
		if i := t.ColumnIndex(n); i >= 0 && jsonCapable(t.Columns[i].Type.Name) {
			t.Columns[i].Type.JSON = true
		}
	}
}

// jsonValidColumns returns the columns a CHECK expression requires to hold
// valid JSON: c for json_valid(c), and those of every conjunct of an AND
// (json_valid(a) AND json_valid(b), json_valid(a) AND a > 0). Other
// expressions (OR, NOT, IS TRUE, json_valid of an expression) require
// nothing the model can use.
func jsonValidColumns(e ast.ExprNode) []string {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return jsonValidColumns(x.Expr)
	case *ast.BinaryOperationExpr:
		if x.Op == opcode.LogicAnd {
			return append(jsonValidColumns(x.L), jsonValidColumns(x.R)...)
		}
	case *ast.FuncCallExpr:
		if x.FnName.L == "json_valid" && len(x.Args) == 1 {
			if c, ok := x.Args[0].(*ast.ColumnNameExpr); ok && c.Name != nil {
				return []string{c.Name.Name.O}
			}
		}
	}
	return nil
}

func checkKeyColumns(t *core.Table, cols []core.KeyColumn) error {
	for _, kc := range cols {
		if t.ColumnIndex(kc.Name) < 0 {
			return fmt.Errorf("schema: %s: key on unknown column %q", t.QualifiedName(), kc.Name)
		}
	}
	return nil
}

// addUnique adds a unique key, naming an unnamed one as MySQL does: after
// its first column, with _2, _3... on collision.
func addUnique(t *core.Table, name string, cols []core.KeyColumn) {
	if name == "" {
		base := cols[0].Name
		name = base
		for n := 2; uniqueIndex(t, name) >= 0 || strings.EqualFold(name, "PRIMARY"); n++ {
			name = base + "_" + strconv.Itoa(n)
		}
	}
	t.UniqueKeys = append(t.UniqueKeys, core.Key{Name: name, Columns: cols})
}

func uniqueIndex(t *core.Table, name string) int {
	for i, k := range t.UniqueKeys {
		if strings.EqualFold(k.Name, name) {
			return i
		}
	}
	return -1
}

// dropKey drops the primary key (name PRIMARY) or the unique key named
// name; it reports whether there was one.
func dropKey(t *core.Table, name string) bool {
	if strings.EqualFold(name, "PRIMARY") {
		had := t.PrimaryKey != nil
		t.PrimaryKey = nil
		return had
	}
	if i := uniqueIndex(t, name); i >= 0 {
		t.UniqueKeys = append(t.UniqueKeys[:i:i], t.UniqueKeys[i+1:]...)
		return true
	}
	return false
}

// restore prints an expression in a canonical form, so that the same
// expression written differently (case, spacing, charset introducers)
// yields the same text.
func restore(n ast.Node) string {
	n.Accept(synonymFuncs{})
	var sb strings.Builder
	flags := format.RestoreStringSingleQuotes | format.RestoreKeyWordLowercase |
		format.RestoreNameBackQuotes | format.RestoreStringWithoutCharset
	if err := n.Restore(format.NewRestoreCtx(flags, &sb)); err != nil {
		return ""
	}
	return sb.String()
}

// synonymFuncs renames the synonyms of CURRENT_TIMESTAMP, which servers
// print as current_timestamp().
type synonymFuncs struct{}

func (synonymFuncs) Enter(n ast.Node) (ast.Node, bool) {
	if f, ok := n.(*ast.FuncCallExpr); ok {
		switch f.FnName.L {
		case "now", "localtime", "localtimestamp":
			f.FnName = ast.NewCIStr("current_timestamp")
		}
	}
	return n, false
}

func (synonymFuncs) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func exprString(e ast.ExprNode) string {
	if v, ok := e.(ast.ValueExpr); ok {
		return v.GetString()
	}
	return restore(e)
}

func quote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
}

// defaultText renders a DEFAULT value as SQL text in one canonical form:
// NULL, a number for numeric columns, a quoted string otherwise, and
// current_timestamp()/current_timestamp(n) for the current-time functions.
func (ap *applying) defaultText(e ast.ExprNode, t core.ColumnType) string {
	numeric := isIntType(t.Name) || t.Name == "decimal" || t.Name == "float" || t.Name == "double"
	switch v := e.(type) {
	case ast.ValueExpr:
		val := v.GetValue()
		if val == nil {
			return "NULL"
		}
		s, isStr := val.(string)
		if !isStr {
			s = restore(e) // a number: its literal text
		}
		if numeric {
			return canonicalNumber(s, t)
		}
		if t.Name == "bit" {
			return restore(e)
		}
		if c, ok := canonicalTemporal(s, t); ok {
			return c
		}
		return quote(s)
	case *ast.FuncCallExpr:
		switch v.FnName.L {
		case defaultExprFunc:
			// DEFAULT (expression), which rewrite() passed as text: parse
			// the expression on its own and render it canonically.
			if len(v.Args) == 1 {
				if text, ok := v.Args[0].(ast.ValueExpr); ok {
					if x := ap.parseExpr(text.GetString()); x != nil {
						return ap.defaultText(x, t)
					}
				}
			}
		case "current_timestamp", "now", "localtime", "localtimestamp":
			if len(v.Args) == 1 {
				return "current_timestamp(" + restore(v.Args[0]) + ")"
			}
			return "current_timestamp()"
		}
	case *ast.UnaryOperationExpr:
		if numeric {
			return canonicalNumber(restore(e), t)
		}
	}
	return restore(e)
}

// canonicalTemporal writes a DATE/DATETIME/TIMESTAMP/TIME default as the
// server shows it: full fields, the fraction to the column's FSP
// ('2020-01-02' → '2020-01-02 00:00:00' for DATETIME, 0 → zero date, 10 →
// '00:00:10' for TIME). ok is false for what it does not recognize
// (negative or day-prefixed times, fractions needing rounding), which is
// then kept as written.
func canonicalTemporal(s string, t core.ColumnType) (string, bool) {
	var frac string
	body := s
	if i := strings.LastIndexByte(s, '.'); i >= 0 && (t.Name == "time" || strings.Contains(s, ":")) {
		body, frac = s[:i], s[i+1:]
	}
	if strings.TrimLeft(frac, "0123456789") != "" {
		return "", false
	}
	if len(frac) > t.FSP && strings.Trim(frac[t.FSP:], "0") != "" {
		return "", false // the server rounds; not reproduced
	}
	for len(frac) < t.FSP {
		frac += "0"
	}
	frac = frac[:t.FSP]
	if frac != "" {
		frac = "." + frac
	}
	parts := strings.FieldsFunc(body, func(r rune) bool { return r < '0' || r > '9' })
	if strings.ContainsAny(body, "-+") && t.Name == "time" {
		return "", false
	}
	num := func(p string) int { n, _ := strconv.Atoi(p); return n }
	two := func(n int) string { return fmt.Sprintf("%02d", n) }
	switch t.Name {
	case "time":
		var h, m, sec int
		switch len(parts) {
		case 1:
			p := parts[0]
			if len(p) > 7 {
				return "", false
			}
			for len(p) < 6 {
				p = "0" + p
			}
			h, m, sec = num(p[:len(p)-4]), num(p[len(p)-4:len(p)-2]), num(p[len(p)-2:])
		case 2:
			h, m = num(parts[0]), num(parts[1])
		case 3:
			h, m, sec = num(parts[0]), num(parts[1]), num(parts[2])
		default:
			return "", false
		}
		return "'" + two(h) + ":" + two(m) + ":" + two(sec) + frac + "'", true
	case "date", "datetime", "timestamp":
		var f []int
		switch {
		case len(parts) == 1 && num(parts[0]) == 0 && len(parts[0]) < 8:
			f = []int{0, 0, 0, 0, 0, 0}
		case len(parts) == 1 && (len(parts[0]) == 8 || len(parts[0]) == 14):
			p := parts[0]
			f = []int{num(p[:4]), num(p[4:6]), num(p[6:8]), 0, 0, 0}
			if len(p) == 14 {
				f[3], f[4], f[5] = num(p[8:10]), num(p[10:12]), num(p[12:14])
			}
		case len(parts) == 3 || len(parts) == 6:
			if len(parts[0]) != 4 {
				return "", false // two-digit years: leave to the server
			}
			f = make([]int, 6)
			for i, p := range parts {
				f[i] = num(p)
			}
		default:
			return "", false
		}
		d := fmt.Sprintf("%04d-%02d-%02d", f[0], f[1], f[2])
		if t.Name == "date" {
			return "'" + d + "'", true
		}
		return "'" + d + " " + two(f[3]) + ":" + two(f[4]) + ":" + two(f[5]) + frac + "'", true
	}
	return "", false
}

// parseExpr parses one expression, nil if it cannot.
func (ap *applying) parseExpr(text string) ast.ExprNode {
	stmts, err := parseSQL(ap.a.exprP, "SELECT "+text)
	if err != nil || len(stmts) != 1 {
		return nil
	}
	sel, ok := stmts[0].(*ast.SelectStmt)
	if !ok || sel.Fields == nil || len(sel.Fields.Fields) != 1 || sel.Fields.Fields[0].Expr == nil {
		return nil
	}
	x := sel.Fields.Fields[0].Expr
	for {
		// MySQL 8 prints DEFAULT ((expr)): parentheses carry no meaning.
		p, ok := x.(*ast.ParenthesesExpr)
		if !ok {
			return x
		}
		x = p.Expr
	}
}

// canonicalNumber writes a numeric default as the server shows it:
// integers plainly, DECIMAL with its scale.
func canonicalNumber(s string, t core.ColumnType) string {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "true":
		s = "1"
	case "false":
		s = "0"
	}
	if isIntType(t.Name) {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return strconv.FormatInt(n, 10)
		}
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return strconv.FormatUint(n, 10)
		}
		return s
	}
	if t.Name == "decimal" {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return strconv.FormatFloat(f, 'f', t.Scale, 64)
		}
	}
	return s
}
