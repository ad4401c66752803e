package postgres

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/seed5aa6e046/syncer/core"
)

// targetColumn is a column of an existing target table.
type targetColumn struct {
	Name    string
	Type    string // format_type
	NotNull bool
}

// targetTable is what the target holds of a table.
type targetTable struct {
	OID     uint32
	Columns map[string]targetColumn // by exact name
	PKName  string                  // the primary key constraint, "" when none
	PK      []string                // its columns in key order
}

// readTarget reads schema.name from the catalog; nil when there is no
// such table.
func readTarget(ctx context.Context, tx pgx.Tx, schema, name string) (*targetTable, error) {
	var oid uint32
	err := tx.QueryRow(ctx, `SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`, schema, name).Scan(&oid)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres sink: read the definition of %s.%s: %w", quoteIdent(schema), quoteIdent(name), err)
	}
	t := &targetTable{OID: oid, Columns: map[string]targetColumn{}}
	rows, err := tx.Query(ctx, `SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute
		WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, oid)
	if err != nil {
		return nil, fmt.Errorf("postgres sink: read the columns of %s.%s: %w", quoteIdent(schema), quoteIdent(name), err)
	}
	for rows.Next() {
		var c targetColumn
		if err := rows.Scan(&c.Name, &c.Type, &c.NotNull); err != nil {
			rows.Close()
			return nil, err
		}
		t.Columns[c.Name] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres sink: read the columns of %s.%s: %w", quoteIdent(schema), quoteIdent(name), err)
	}
	err = tx.QueryRow(ctx, `SELECT con.conname, ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
			JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[]
		FROM pg_constraint con WHERE con.conrelid = $1 AND con.contype = 'p'`, oid).Scan(&t.PKName, &t.PK)
	if err != nil && err != pgx.ErrNoRows {
		return nil, fmt.Errorf("postgres sink: read the primary key of %s.%s: %w", quoteIdent(schema), quoteIdent(name), err)
	}
	return t, nil
}

// ensureSchema creates a target schema unless it exists.
func ensureSchema(ctx context.Context, tx pgx.Tx, schema string) error {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil {
		return fmt.Errorf("postgres sink: look up schema %s: %w", quoteIdent(schema), err)
	}
	if exists {
		return nil
	}
	return execDDL(ctx, tx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(schema))
}

func execDDL(ctx context.Context, tx pgx.Tx, sql string) error {
	if _, err := tx.Exec(ctx, sql); err != nil {
		return fmt.Errorf("postgres sink: %s: %w", sql, err)
	}
	return nil
}

// ensureTable creates the target table of p unless it exists, with p's
// key as its primary key; a table that exists already (made by an
// earlier run or by the user) is left as it is, but gets the source
// columns it lacks.
func ensureTable(ctx context.Context, tx pgx.Tx, cfg *Config, p *tablePlan) error {
	if err := ensureSchema(ctx, tx, p.Schema); err != nil {
		return err
	}
	t, err := readTarget(ctx, tx, p.Schema, p.Name)
	if err != nil {
		return err
	}
	if t == nil {
		return execDDL(ctx, tx, createTableSQL(p))
	}
	var adds []string
	for i := range p.Columns {
		c := &p.Columns[i]
		if _, ok := t.Columns[c.Name]; !ok {
			adds = append(adds, "ADD COLUMN IF NOT EXISTS "+quoteIdent(c.Name)+" "+c.PGType)
		}
	}
	if len(adds) == 0 {
		return nil
	}
	return execDDL(ctx, tx, "ALTER TABLE "+p.ident()+" "+strings.Join(adds, ", "))
}

func createTableSQL(p *tablePlan) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS ")
	b.WriteString(p.ident())
	b.WriteString(" (")
	inKey := make(map[int]bool, len(p.Key))
	for _, k := range p.Key {
		inKey[k] = true
	}
	for i := range p.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(p.Columns[i].Name))
		b.WriteByte(' ')
		b.WriteString(p.Columns[i].PGType)
		if inKey[i] {
			b.WriteString(" NOT NULL")
		}
	}
	if len(p.Key) > 0 {
		b.WriteString(", PRIMARY KEY (")
		b.WriteString(p.keyList())
		b.WriteByte(')')
	}
	b.WriteByte(')')
	return b.String()
}

// keyList is the quoted key columns, comma-separated.
func (p *tablePlan) keyList() string {
	names := make([]string, len(p.Key))
	for i, k := range p.Key {
		names[i] = quoteIdent(p.Columns[k].Name)
	}
	return strings.Join(names, ", ")
}

// applySchemaChange applies an OpSchemaChange or OpTruncate record to the
// target inside tx, which the caller commits with the checkpoint. DDL is
// idempotent where Postgres allows it, and a change to a table the target
// does not have yet makes the table as the change leaves it.
func applySchemaChange(ctx context.Context, tx pgx.Tx, cfg *Config, r *core.Record) error {
	ch := r.Change
	if ch == nil {
		return fmt.Errorf("postgres sink: %s record without a schema change", r.Op)
	}
	if r.Op == core.OpTruncate || ch.Kind == core.TruncateTable {
		return truncateTable(ctx, tx, cfg, ch)
	}
	switch ch.Kind {
	case core.CreateTable:
		if ch.New == nil {
			return fmt.Errorf("postgres sink: %s without the new table (statement %q)", ch.Kind, ch.Statement)
		}
		return createFrom(ctx, tx, cfg, ch.New)
	case core.AlterTable:
		return alterTable(ctx, tx, cfg, ch)
	case core.RenameTable:
		return renameTable(ctx, tx, cfg, ch)
	case core.DropTable:
		if cfg.Schema.DropTable == DropTableKeep {
			return nil
		}
		t := ch.Old
		if t == nil {
			t = ch.New
		}
		if t == nil {
			return fmt.Errorf("postgres sink: %s without the table (statement %q)", ch.Kind, ch.Statement)
		}
		return execDDL(ctx, tx, "DROP TABLE IF EXISTS "+quoteIdent(targetSchema(cfg, t.Schema))+"."+quoteIdent(t.Name))
	case core.CreateDatabase:
		return ensureSchema(ctx, tx, targetSchema(cfg, ch.Database))
	case core.AlterDatabase:
		return nil
	case core.DropDatabase:
		return dropDatabase(ctx, tx, cfg, ch)
	}
	return fmt.Errorf("postgres sink: unknown schema change kind %q (statement %q)", ch.Kind, ch.Statement)
}

// createFrom makes the target table of t (without a key when t has none:
// a keyless table is refused, if at all, at its first row).
func createFrom(ctx context.Context, tx pgx.Tx, cfg *Config, t *core.Table) error {
	p, err := planTableKeyless(cfg, t)
	if err != nil {
		return err
	}
	return ensureTable(ctx, tx, cfg, p)
}

func truncateTable(ctx context.Context, tx pgx.Tx, cfg *Config, ch *core.SchemaChange) error {
	if cfg.Schema.Truncate == TruncateIgnore && !ch.Snapshot {
		return nil
	}
	t := ch.New
	if t == nil {
		t = ch.Old
	}
	if t == nil {
		return fmt.Errorf("postgres sink: truncate without the table (statement %q)", ch.Statement)
	}
	p, err := planTableKeyless(cfg, t)
	if err != nil {
		return err
	}
	tt, err := readTarget(ctx, tx, p.Schema, p.Name)
	if err != nil {
		return err
	}
	if tt == nil {
		return ensureTable(ctx, tx, cfg, p)
	}
	return execDDL(ctx, tx, "TRUNCATE TABLE "+p.ident())
}

func dropDatabase(ctx context.Context, tx pgx.Tx, cfg *Config, ch *core.SchemaChange) error {
	if cfg.Schema.DropTable == DropTableKeep {
		return nil
	}
	schema := targetSchema(cfg, ch.Database)
	ts := cfg.TargetSchema
	if ts == "" {
		ts = "{database}"
	}
	if !strings.Contains(ts, "{database}") || schema == cfg.StateSchema {
		// The schema is shared with other databases (or holds the
		// sink's state): dropping it would drop more than the database.
		logWarn(cfg, "DROP DATABASE not applied: the target schema is shared", "database", ch.Database, "schema", schema)
		return nil
	}
	return execDDL(ctx, tx, "DROP SCHEMA IF EXISTS "+quoteIdent(schema)+" CASCADE")
}

func logWarn(cfg *Config, msg string, args ...any) {
	if cfg.Logger != nil {
		cfg.Logger.Warn("postgres sink: "+msg, args...)
	}
}

// renameTable moves the target table of ch.Old to ch.New's name (and
// schema).
func renameTable(ctx context.Context, tx pgx.Tx, cfg *Config, ch *core.SchemaChange) error {
	if ch.Old == nil || ch.New == nil {
		return fmt.Errorf("postgres sink: %s without the old or the new table (statement %q)", ch.Kind, ch.Statement)
	}
	op, err := planTableKeyless(cfg, ch.Old)
	if err != nil {
		return err
	}
	np, err := planTableKeyless(cfg, ch.New)
	if err != nil {
		return err
	}
	return moveTable(ctx, tx, cfg, op, np, ch.Statement)
}

// moveTable renames op's target table to np's name and schema; when op's
// does not exist, it makes np's unless that exists.
func moveTable(ctx context.Context, tx pgx.Tx, cfg *Config, op, np *tablePlan, stmt string) error {
	ot, err := readTarget(ctx, tx, op.Schema, op.Name)
	if err != nil {
		return err
	}
	if op.Schema == np.Schema && op.Name == np.Name {
		if ot == nil {
			return ensureTable(ctx, tx, cfg, np)
		}
		return nil
	}
	nt, err := readTarget(ctx, tx, np.Schema, np.Name)
	if err != nil {
		return err
	}
	if ot == nil {
		if nt == nil {
			return ensureTable(ctx, tx, cfg, np)
		}
		return nil // renamed already, or made by the user
	}
	if nt != nil {
		return fmt.Errorf("postgres sink: cannot apply %q: both the old target table %s and the new one %s exist. "+
			"Drop or rename one of them on the target (the source now only has %s.%s), then restart the pipeline",
			stmt, op.ident(), np.ident(), np.Source.Schema, np.Source.Name)
	}
	if op.Schema == np.Schema {
		return execDDL(ctx, tx, "ALTER TABLE "+op.ident()+" RENAME TO "+quoteIdent(np.Name))
	}
	if err := ensureSchema(ctx, tx, np.Schema); err != nil {
		return err
	}
	// Rename, then move; or move, then rename when the old schema has a
	// table of the new name; or go through a temporary name.
	clashOld, err := readTarget(ctx, tx, op.Schema, np.Name)
	if err != nil {
		return err
	}
	if clashOld == nil || op.Name == np.Name {
		if op.Name != np.Name {
			if err := execDDL(ctx, tx, "ALTER TABLE "+op.ident()+" RENAME TO "+quoteIdent(np.Name)); err != nil {
				return err
			}
		}
		return execDDL(ctx, tx, "ALTER TABLE "+quoteIdent(op.Schema)+"."+quoteIdent(np.Name)+" SET SCHEMA "+quoteIdent(np.Schema))
	}
	clashNew, err := readTarget(ctx, tx, np.Schema, op.Name)
	if err != nil {
		return err
	}
	name := op.Name
	if clashNew != nil {
		name = fmt.Sprintf("_syncer_rename_%d", ot.OID)
		if err := execDDL(ctx, tx, "ALTER TABLE "+op.ident()+" RENAME TO "+quoteIdent(name)); err != nil {
			return err
		}
	}
	if err := execDDL(ctx, tx, "ALTER TABLE "+quoteIdent(op.Schema)+"."+quoteIdent(name)+" SET SCHEMA "+quoteIdent(np.Schema)); err != nil {
		return err
	}
	return execDDL(ctx, tx, "ALTER TABLE "+quoteIdent(np.Schema)+"."+quoteIdent(name)+" RENAME TO "+quoteIdent(np.Name))
}

// alterTable evolves the target table from ch.Old to ch.New.
func alterTable(ctx context.Context, tx pgx.Tx, cfg *Config, ch *core.SchemaChange) error {
	if ch.New == nil {
		return fmt.Errorf("postgres sink: %s without the new table (statement %q)", ch.Kind, ch.Statement)
	}
	np, err := planTableKeyless(cfg, ch.New)
	if err != nil {
		return err
	}
	if ch.Old == nil {
		return ensureTable(ctx, tx, cfg, np)
	}
	op, err := planTableKeyless(cfg, ch.Old)
	if err != nil {
		return err
	}
	if op.Schema != np.Schema || op.Name != np.Name {
		if err := moveTable(ctx, tx, cfg, op, np, ch.Statement); err != nil {
			return err
		}
	}
	t, err := readTarget(ctx, tx, np.Schema, np.Name)
	if err != nil {
		return err
	}
	if t == nil {
		return ensureTable(ctx, tx, cfg, np)
	}
	alter := "ALTER TABLE " + np.ident() + " "

	// Match New's columns to Old's: by rename, else by name.
	renamedTo := map[string]string{}   // lower(to) -> from
	renamedFrom := map[string]string{} // lower(from) -> to
	for _, rn := range ch.Renamed {
		renamedTo[strings.ToLower(rn.To)] = rn.From
		renamedFrom[strings.ToLower(rn.From)] = rn.To
	}
	oldOf := make([]int, len(np.Columns)) // index in op.Columns, or -1 (added)
	matched := make([]bool, len(op.Columns))
	for j := range np.Columns {
		name := np.Columns[j].Name
		from, isRename := renamedTo[strings.ToLower(name)]
		if !isRename {
			if _, gone := renamedFrom[strings.ToLower(name)]; gone {
				oldOf[j] = -1 // a new column with a renamed column's old name
				continue
			}
			from = name
		}
		i := ch.Old.ColumnIndex(from)
		if i >= 0 && matched[i] {
			i = -1
		}
		oldOf[j] = i
		if i >= 0 {
			matched[i] = true
		}
	}

	// Renames (a case-only change included), through temporary names
	// when a new name is taken.
	type rename struct{ from, to string }
	var renames []rename
	for j, i := range oldOf {
		if i < 0 || op.Columns[i].Name == np.Columns[j].Name {
			continue
		}
		from, to := op.Columns[i].Name, np.Columns[j].Name
		if _, ok := t.Columns[from]; !ok {
			continue // renamed already
		}
		if _, ok := t.Columns[to]; ok && !strings.EqualFold(from, to) {
			if _, ok := renamedFrom[strings.ToLower(to)]; !ok {
				return fmt.Errorf("postgres sink: cannot apply %q to %s: column %s is renamed to %s, but the target already has a column %s. "+
					"Drop or rename that column on the target, then restart the pipeline",
					ch.Statement, np.ident(), quoteIdent(from), quoteIdent(to), quoteIdent(to))
			}
		}
		renames = append(renames, rename{from, to})
	}
	if len(renames) > 0 {
		for k, rn := range renames {
			tmp := fmt.Sprintf("_syncer_tmp_%d", k)
			if err := execDDL(ctx, tx, alter+"RENAME COLUMN "+quoteIdent(rn.from)+" TO "+quoteIdent(tmp)); err != nil {
				return err
			}
		}
		for k, rn := range renames {
			tmp := fmt.Sprintf("_syncer_tmp_%d", k)
			if err := execDDL(ctx, tx, alter+"RENAME COLUMN "+quoteIdent(tmp)+" TO "+quoteIdent(rn.to)); err != nil {
				return err
			}
		}
		if t, err = readTarget(ctx, tx, np.Schema, np.Name); err != nil {
			return err
		}
	}

	// The key: drop the target's primary key when the source's changed.
	newKey := np.keyNames()
	oldKey := op.keyNames()
	for k, name := range oldKey {
		if to, ok := renamedFrom[strings.ToLower(name)]; ok {
			oldKey[k] = to
		}
	}
	keyChanged := !equalNames(oldKey, newKey)
	pk := t.PK
	if keyChanged && t.PKName != "" && !equalNames(t.PK, newKey) {
		if err := execDDL(ctx, tx, alter+"DROP CONSTRAINT "+quoteIdent(t.PKName)); err != nil {
			return err
		}
		pk = nil
		for _, name := range oldKey {
			if c, ok := t.Columns[name]; ok && c.NotNull && !containsFold(newKey, name) {
				if err := execDDL(ctx, tx, alter+"ALTER COLUMN "+quoteIdent(c.Name)+" DROP NOT NULL"); err != nil {
					return err
				}
			}
		}
	}

	// Dropped columns.
	for i := range op.Columns {
		if matched[i] {
			continue
		}
		name := op.Columns[i].Name
		if cfg.Schema.DropColumn == DropColumnKeep {
			if c, ok := t.Columns[name]; ok && c.NotNull {
				if err := execDDL(ctx, tx, alter+"ALTER COLUMN "+quoteIdent(name)+" DROP NOT NULL"); err != nil {
					return err
				}
			}
			continue
		}
		if err := execDDL(ctx, tx, alter+"DROP COLUMN IF EXISTS "+quoteIdent(name)); err != nil {
			return err
		}
	}

	// Type changes and added columns.
	for j := range np.Columns {
		nc := &np.Columns[j]
		actual, exists := t.Columns[nc.Name]
		i := oldOf[j]
		if i >= 0 && op.Columns[i].PGType == nc.PGType {
			if !exists {
				if err := execDDL(ctx, tx, alter+"ADD COLUMN IF NOT EXISTS "+quoteIdent(nc.Name)+" "+nc.PGType); err != nil {
					return err
				}
			}
			continue
		}
		if exists {
			if actual.Type == nc.PGType {
				continue // the same type already (the user converted it)
			}
			if widens(actual.Type, nc.PGType) {
				if err := execDDL(ctx, tx, alter+"ALTER COLUMN "+quoteIdent(nc.Name)+" TYPE "+nc.PGType); err != nil {
					return err
				}
				continue
			}
			oldMySQL := "(none: the column is new in the source)"
			if i >= 0 {
				oldMySQL = mysqlType(&ch.Old.Columns[i].Type)
			}
			return &unsafeTypeChangeError{
				Statement: ch.Statement, Table: np.ident(), Column: nc.Name,
				OldType: actual.Type, NewType: nc.PGType,
				OldMySQL: oldMySQL, NewMySQL: mysqlType(&ch.New.Columns[j].Type),
			}
		}
		// Added: existing rows get what MySQL gave them.
		lit, err := backfillDefault(cfg, nc, &ch.New.Columns[j])
		if err != nil {
			return fmt.Errorf("postgres sink: %q adds column %s to %s: existing rows get its default: %w", ch.Statement, quoteIdent(nc.Name), np.ident(), err)
		}
		add := alter + "ADD COLUMN IF NOT EXISTS " + quoteIdent(nc.Name) + " " + nc.PGType
		if lit == "" {
			if err := execDDL(ctx, tx, add); err != nil {
				return err
			}
			continue
		}
		if err := execDDL(ctx, tx, add+" DEFAULT "+lit); err != nil {
			return err
		}
		if err := execDDL(ctx, tx, alter+"ALTER COLUMN "+quoteIdent(nc.Name)+" DROP DEFAULT"); err != nil {
			return err
		}
	}

	// The new key.
	if keyChanged && len(newKey) > 0 && !equalNames(pk, newKey) {
		if err := execDDL(ctx, tx, alter+"ADD PRIMARY KEY ("+np.keyList()+")"); err != nil {
			return fmt.Errorf("%w (the source's key of %s.%s changed to (%s); the target's rows must be unique and not NULL "+
				"over those columns: fix the rows on the target, or add the key yourself, then restart the pipeline)",
				err, ch.New.Schema, ch.New.Name, strings.Join(newKey, ", "))
		}
	}
	return nil
}

// keyNames returns the target names of the key columns.
func (p *tablePlan) keyNames() []string {
	if len(p.Key) == 0 {
		return nil
	}
	out := make([]string, len(p.Key))
	for i, k := range p.Key {
		out[i] = p.Columns[k].Name
	}
	return out
}

func equalNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// unsafeTypeChangeError is a column type change Syncer does not make on
// its own: it says why and the statement to run on the target.
type unsafeTypeChangeError struct {
	Statement, Table, Column string
	OldType, NewType         string // Postgres: the target's and the new mapping's
	OldMySQL, NewMySQL       string
}

func (e *unsafeTypeChangeError) Fix() string {
	return "ALTER TABLE " + e.Table + " ALTER COLUMN " + quoteIdent(e.Column) + " TYPE " + e.NewType +
		" USING " + usingExpr(quoteIdent(e.Column), e.OldType, e.NewType) + ";"
}

func (e *unsafeTypeChangeError) Error() string {
	return fmt.Sprintf("postgres sink: cannot apply %q to %s: column %s changes from MySQL %s to %s, so its Postgres type "+
		"would change from %s to %s, which is not a widening: converting the existing rows could fail or change "+
		"their values, so Syncer does not do it on its own. Convert the target column yourself, e.g. with\n  %s\n"+
		"(check the USING expression fits your data), then restart the pipeline: Syncer sees the column has type %s and continues",
		e.Statement, e.Table, quoteIdent(e.Column), e.OldMySQL, e.NewMySQL, e.OldType, e.NewType, e.Fix(), e.NewType)
}

// usingExpr converts col from one Postgres type to another for the fix
// the error suggests.
func usingExpr(col, from, to string) string {
	fb, _ := parsePGType(from)
	tb, _ := parsePGType(to)
	isText := func(b string) bool { return b == "text" || b == "character varying" || b == "character" }
	_, fromInt := intDigits[fb]
	_, toInt := intDigits[tb]
	switch {
	case fb == "text[]" && isText(tb):
		return "array_to_string(" + col + ", ',')::" + to
	case isText(fb) && tb == "text[]":
		return "string_to_array(" + col + ", ',')"
	case fb == "bytea" && isText(tb):
		return "convert_from(" + col + ", 'UTF8')::" + to
	case isText(fb) && tb == "bytea":
		return "convert_to(" + col + ", 'UTF8')"
	case fromInt && tb == "boolean":
		return col + " <> 0"
	case fb == "boolean" && (toInt || tb == "numeric"):
		return col + "::integer::" + to
	}
	return col + "::" + to
}

// intDigits is the decimal digits of Postgres integer types.
var intDigits = map[string]int{"smallint": 5, "integer": 10, "bigint": 19}

// parsePGType splits a format_type string into its name without the
// modifier and the modifier's numbers: "timestamp(3) without time zone"
// is "timestamp without time zone", [3].
func parsePGType(s string) (base string, args []int) {
	open := strings.IndexByte(s, '(')
	if open < 0 {
		return s, nil
	}
	end := strings.IndexByte(s[open:], ')')
	if end < 0 {
		return s, nil
	}
	end += open
	for _, f := range strings.Split(s[open+1:end], ",") {
		n := 0
		for _, ch := range strings.TrimSpace(f) {
			if ch < '0' || ch > '9' {
				return s, nil
			}
			n = n*10 + int(ch-'0')
		}
		args = append(args, n)
	}
	return strings.TrimSpace(s[:open] + s[end+1:]), args
}

// widens reports whether every value of Postgres type from converts
// exactly to type to, so that ALTER COLUMN TYPE is safe.
func widens(from, to string) bool {
	if from == to {
		return true
	}
	fb, fa := parsePGType(from)
	tb, ta := parsePGType(to)
	arg := func(a []int, i, missing int) int {
		if i < len(a) {
			return a[i]
		}
		return missing
	}
	fd, fromInt := intDigits[fb]
	td, toInt := intDigits[tb]
	switch {
	case fromInt && toInt:
		return td >= fd
	case fromInt && tb == "numeric":
		return len(ta) == 0 || arg(ta, 0, 0)-arg(ta, 1, 0) >= fd
	case fb == "numeric" && tb == "numeric":
		if len(ta) == 0 {
			return true
		}
		if len(fa) == 0 {
			return false
		}
		fs, ts := arg(fa, 1, 0), arg(ta, 1, 0)
		return ts >= fs && ta[0]-ts >= fa[0]-fs
	case fb == "character varying" && tb == "text":
		return true
	case fb == "character varying" && tb == "character varying":
		return len(ta) == 0 || (len(fa) > 0 && ta[0] >= fa[0])
	case fb == "real" && tb == "double precision":
		return true
	case fb == tb && (fb == "timestamp without time zone" || fb == "timestamp with time zone" || fb == "interval"):
		return arg(ta, 0, 6) >= arg(fa, 0, 6)
	case fb == "date" && tb == "timestamp without time zone":
		return true
	case fb == "bit varying" && tb == "bit varying":
		return len(ta) == 0 || (len(fa) > 0 && ta[0] >= fa[0])
	}
	return false
}

// mysqlType renders a MySQL column type for messages.
func mysqlType(ct *core.ColumnType) string {
	s := ct.Name
	switch {
	case ct.Name == "decimal" || (ct.Precision > 0 && (ct.Name == "float" || ct.Name == "double")):
		s += fmt.Sprintf("(%d,%d)", ct.Precision, ct.Scale)
	case ct.Name == "enum" || ct.Name == "set":
		q := make([]string, len(ct.Elems))
		for i, e := range ct.Elems {
			q[i] = "'" + strings.ReplaceAll(e, "'", "''") + "'"
		}
		s += "(" + strings.Join(q, ",") + ")"
	case ct.FSP > 0:
		s += fmt.Sprintf("(%d)", ct.FSP)
	case ct.Length > 0:
		s += fmt.Sprintf("(%d)", ct.Length)
	}
	if ct.Unsigned {
		s += " unsigned"
	}
	return s
}

// backfillDefault returns the Postgres literal (with its cast) that the
// existing rows get for an added column, as MySQL gave them: its literal
// DEFAULT, MySQL's implicit default for a NOT NULL column without one, or
// now() for CURRENT_TIMESTAMP (approximate: the time of the apply, not of
// the ALTER). "" means NULL. Value policies apply (a zero date default
// under zero_date: error is a *ValueError).
func backfillDefault(cfg *Config, c *columnPlan, col *core.Column) (string, error) {
	if col.Generated != "" {
		return "", nil // computed by MySQL; Syncer cannot evaluate the expression
	}
	d := strings.TrimSpace(col.Default)
	var v core.Value
	switch {
	case d == "":
		if col.Nullable {
			return "", nil
		}
		var ok bool
		if v, ok = implicitDefault(col); !ok {
			return "", nil
		}
	case strings.EqualFold(d, "NULL"):
		return "", nil
	case isNowExpr(d):
		switch c.enc {
		case encTimestamp, encDateTime:
			return "now()", nil
		case encDate:
			return "CURRENT_DATE", nil
		}
		return "", nil
	default:
		var ok bool
		if v, ok = parseDefault(d, col); !ok {
			logWarn(cfg, "the default of an added column cannot be translated: existing rows get NULL",
				"table", c.database+"."+c.table, "column", c.Name, "default", d)
			return "", nil
		}
	}
	b, err := c.appendCopy(nil, v)
	if err != nil {
		return "", err
	}
	if string(b) == `\N` {
		return "", nil
	}
	return quoteLiteral(copyUnescape(b)) + "::" + c.PGType, nil
}

// isNowExpr reports MySQL's current-time defaults.
func isNowExpr(d string) bool {
	u := strings.ToUpper(strings.Trim(d, "() "))
	if i := strings.IndexByte(u, '('); i >= 0 {
		u = u[:i]
	}
	switch u {
	case "CURRENT_TIMESTAMP", "NOW", "LOCALTIME", "LOCALTIMESTAMP", "CURRENT_DATE", "CURDATE", "UTC_TIMESTAMP", "SYSDATE":
		return true
	}
	return false
}

// implicitDefault is the value MySQL gives existing rows for an added
// NOT NULL column without a DEFAULT.
func implicitDefault(col *core.Column) (core.Value, bool) {
	ct := &col.Type
	if ct.JSON {
		// MySQL fills a JSON NOT NULL column added without a default
		// with JSON null ('' on MariaDB, which jsonb cannot hold).
		return core.JSONValue([]byte("null")), true
	}
	switch ct.Name {
	case "tinyint", "smallint", "mediumint", "int", "bigint":
		if ct.Unsigned {
			return core.UintValue(0), true
		}
		return core.IntValue(0), true
	case "float":
		return core.Float32Value(0), true
	case "double":
		return core.Float64Value(0), true
	case "decimal":
		return core.DecimalValue([]byte("0")), true
	case "bit":
		return core.BitValue(0, bitWidth(ct)), true
	case "year":
		return core.YearValue(0), true
	case "date":
		return core.DateValue(core.Civil{}), true
	case "datetime":
		return core.DateTimeValue(core.Civil{}), true
	case "timestamp":
		return core.ZeroTimestampValue(), true
	case "time":
		return core.TimeValue(0), true
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
		return core.StringValue([]byte{}), true
	case "binary":
		return core.BytesValue(make([]byte, ct.Length)), true
	case "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return core.BytesValue([]byte{}), true
	case "enum":
		if len(ct.Elems) > 0 {
			return core.EnumValue([]byte(ct.Elems[0])), true
		}
		return core.EnumValue([]byte{}), true
	case "set":
		return core.SetValue([]byte{}), true
	case "json":
		return core.JSONValue([]byte("null")), true
	}
	return core.Value{}, false
}

// parseDefault turns a MySQL DEFAULT literal into a value of the column's
// kind.
func parseDefault(d string, col *core.Column) (core.Value, bool) {
	if len(d) >= 2 && d[0] == '(' && d[len(d)-1] == ')' {
		d = strings.TrimSpace(d[1 : len(d)-1])
	}
	// A charset introducer (_utf8mb4'x') or N'x'.
	if len(d) > 1 && (d[0] == '_' || d[0] == 'N' || d[0] == 'n') {
		if q := strings.IndexAny(d, `'"`); q > 0 && !strings.ContainsAny(d[:q], " (") {
			d = d[q:]
		}
	}
	var s string
	var raw []byte // b'..' and x'..' literals
	switch {
	case len(d) >= 2 && (d[0] == '\'' || d[0] == '"') && d[len(d)-1] == d[0]:
		s = unquoteMySQL(d[1:len(d)-1], d[0])
	case len(d) >= 3 && (d[0] == 'b' || d[0] == 'B') && d[1] == '\'' && d[len(d)-1] == '\'':
		n, err := strconv.ParseUint(d[2:len(d)-1], 2, 64)
		if err != nil {
			return core.Value{}, false
		}
		s = strconv.FormatUint(n, 10)
		raw = bigEndian(n)
	case len(d) >= 3 && (d[0] == 'x' || d[0] == 'X') && d[1] == '\'' && d[len(d)-1] == '\'':
		var ok bool
		if raw, ok = unhex(d[2 : len(d)-1]); !ok {
			return core.Value{}, false
		}
		s = string(raw)
	case len(d) > 2 && d[0] == '0' && (d[1] == 'x' || d[1] == 'b'):
		base := 16
		if d[1] == 'b' {
			base = 2
		}
		n, err := strconv.ParseUint(d[2:], base, 64)
		if err != nil {
			return core.Value{}, false
		}
		s = strconv.FormatUint(n, 10)
		if base == 16 {
			raw, _ = unhex(d[2:])
		} else {
			raw = bigEndian(n)
		}
	case strings.EqualFold(d, "TRUE"):
		s = "1"
	case strings.EqualFold(d, "FALSE"):
		s = "0"
	default:
		if _, err := strconv.ParseFloat(d, 64); err != nil {
			return core.Value{}, false // an expression
		}
		s = d
	}
	ct := &col.Type
	intOf := func() (int64, bool) {
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return n, true
		}
		if raw != nil {
			return int64(beUint(raw)), true
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return 0, false
		}
		return int64(math.Round(f)), true
	}
	if ct.JSON {
		// MariaDB's JSON is text with a json_valid check: its default is
		// JSON text.
		return core.JSONValue([]byte(s)), true
	}
	switch ct.Name {
	case "tinyint", "smallint", "mediumint", "int", "bigint":
		if ct.Unsigned {
			if n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64); err == nil {
				return core.UintValue(n), true
			}
			if raw != nil {
				return core.UintValue(beUint(raw)), true
			}
		}
		n, ok := intOf()
		if !ok {
			return core.Value{}, false
		}
		if ct.Unsigned {
			return core.UintValue(uint64(n)), true
		}
		return core.IntValue(n), true
	case "year":
		n, ok := intOf()
		return core.YearValue(int(n)), ok
	case "float", "double":
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return core.Value{}, false
		}
		if ct.Name == "float" {
			return core.Float32Value(float32(f)), true
		}
		return core.Float64Value(f), true
	case "decimal":
		s = strings.TrimSpace(s)
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return core.Value{}, false
		}
		return core.DecimalValue([]byte(s)), true
	case "bit":
		if raw != nil {
			return core.BitValue(beUint(raw), bitWidth(ct)), true
		}
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return core.Value{}, false
		}
		return core.BitValue(n, bitWidth(ct)), true
	case "date", "datetime", "timestamp":
		c, ok := parseCivil(s)
		if !ok {
			return core.Value{}, false
		}
		switch ct.Name {
		case "date":
			return core.DateValue(c), true
		case "datetime":
			return core.DateTimeValue(c), true
		}
		if c.IsZero() {
			return core.ZeroTimestampValue(), true
		}
		t, ok := c.Time() // MySQL read it in the session's time zone; UTC is assumed
		if !ok {
			return core.Value{}, false
		}
		return core.TimestampValue(t.UnixMicro()), true
	case "time":
		m, ok := parseTimeMicros(s)
		return core.TimeValue(m), ok
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
		return core.StringValue([]byte(s)), true
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		b := []byte(s)
		if raw != nil {
			b = raw
		}
		if ct.Name == "binary" && len(b) < ct.Length {
			b = append(b, make([]byte, ct.Length-len(b))...)
		}
		return core.BytesValue(b), true
	case "enum":
		return core.EnumValue([]byte(s)), true
	case "set":
		return core.SetValue([]byte(s)), true
	case "json":
		return core.JSONValue([]byte(s)), true
	}
	return core.Value{}, false
}

// unquoteMySQL decodes the body of a MySQL string literal.
func unquoteMySQL(s string, q byte) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == q && i+1 < len(s) && s[i+1] == q:
			b.WriteByte(q)
			i++
		case ch == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case '0':
				b.WriteByte(0)
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'b':
				b.WriteByte('\b')
			case 'Z':
				b.WriteByte(26)
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

func unhex(s string) ([]byte, bool) {
	if len(s)%2 == 1 {
		s = "0" + s
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		n, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			return nil, false
		}
		out[i] = byte(n)
	}
	return out, true
}

func bigEndian(n uint64) []byte {
	var b []byte
	for ; n > 0; n >>= 8 {
		b = append([]byte{byte(n)}, b...)
	}
	if b == nil {
		b = []byte{0}
	}
	return b
}

func beUint(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

// parseCivil parses 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]' (the zero date and
// invalid dates included) and the number 0.
func parseCivil(s string) (core.Civil, bool) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return core.Civil{}, true
	}
	frac := ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s, frac = s[:i], s[i+1:]
	}
	f := strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if len(f) != 3 && len(f) != 5 && len(f) != 6 {
		return core.Civil{}, false
	}
	n := make([]int, 6)
	for i, x := range f {
		v, err := strconv.Atoi(x)
		if err != nil {
			return core.Civil{}, false
		}
		n[i] = v
	}
	c := core.Civil{Year: n[0], Month: n[1], Day: n[2], Hour: n[3], Minute: n[4], Second: n[5]}
	if frac != "" {
		if len(frac) > 6 {
			frac = frac[:6]
		}
		us, err := strconv.Atoi(frac + strings.Repeat("0", 6-len(frac)))
		if err != nil {
			return core.Civil{}, false
		}
		c.Microsecond = us
	}
	return c, true
}

// parseTimeMicros parses MySQL TIME text: [-][D ]H:MM[:SS[.ffffff]] or a
// number [-]HHMMSS[.ffffff].
func parseTimeMicros(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var us int64
	if i := strings.IndexByte(s, '.'); i >= 0 {
		frac := s[i+1:]
		if len(frac) > 6 {
			frac = frac[:6]
		}
		n, err := strconv.Atoi(frac + strings.Repeat("0", 6-len(frac)))
		if err != nil {
			return 0, false
		}
		us = int64(n)
		s = s[:i]
	}
	var h, m, sec int64
	days := int64(0)
	if i := strings.IndexByte(s, ' '); i >= 0 {
		d, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil {
			return 0, false
		}
		days, s = d, s[i+1:]
	}
	if strings.Contains(s, ":") {
		parts := strings.Split(s, ":")
		vals := []*int64{&h, &m, &sec}
		if len(parts) > 3 {
			return 0, false
		}
		for i, p := range parts {
			v, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return 0, false
			}
			*vals[i] = v
		}
	} else {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, false
		}
		h, m, sec = v/10000, v/100%100, v%100
	}
	total := ((days*24+h)*3600+m*60+sec)*1e6 + us
	if neg {
		total = -total
	}
	return total, true
}

// copyUnescape undoes COPY TEXT escaping.
func copyUnescape(b []byte) string {
	var out strings.Builder
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 == len(b) {
			out.WriteByte(b[i])
			continue
		}
		i++
		switch b[i] {
		case 'n':
			out.WriteByte('\n')
		case 'r':
			out.WriteByte('\r')
		case 't':
			out.WriteByte('\t')
		default:
			out.WriteByte(b[i])
		}
	}
	return out.String()
}

// quoteLiteral quotes a Postgres string literal (E” when it holds a
// backslash, as quote_literal does).
func quoteLiteral(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		return "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}
