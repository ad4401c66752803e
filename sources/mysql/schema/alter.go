package schema

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/seed5aa6e046/syncer/core"
)

func (ap *applying) alterTable(s *ast.AlterTableStmt) error {
	db, name, err := ap.names(s.Table)
	if err != nil {
		return err
	}
	old := ap.c.Table(db, name)
	if old == nil {
		// A RENAME of an unknown table makes the target name unknown too:
		// drop whatever the catalog held under it rather than keep a
		// definition that is no longer true.
		for _, sp := range s.Specs {
			if sp.Tp == ast.AlterTableRenameTable {
				if ndb, nname, err := ap.names(sp.NewTable); err == nil {
					if t := ap.c.Table(ndb, nname); t != nil {
						ap.c.deleteTable(ndb, nname)
						ap.add(Change{Kind: DropTable, Old: t})
					}
				}
			}
		}
		return ap.unknown(db, name)
	}
	t := old.Clone()
	swapColumnNames(t, s.Specs)
	renamed := false
	onlyRename := true
	for _, sp := range s.Specs {
		if sp.Tp != ast.AlterTableRenameTable {
			onlyRename = false
		}
		if err := ap.alterSpec(t, sp); err != nil {
			return err
		}
		if sp.Tp == ast.AlterTableRenameTable {
			renamed = true
		}
	}
	finish(t)
	kind := AlterTable
	if renamed && onlyRename {
		kind = RenameTable
	}
	if renamed {
		// The target name's previous table (if any) is replaced.
		ap.c.deleteTable(t.Schema, t.Name)
	}
	ap.store(kind, old, t)
	return nil
}

// swapColumnNames prepares column renames that read the original names,
// as MySQL resolves them: RENAME COLUMN a TO b, RENAME COLUMN b TO a (or
// CHANGE a b ..., CHANGE b a ...) swaps the columns. Applied one by one the
// second rename would find the first's result, so when a rename's target
// is another rename's source, every renamed column first gets a temporary
// name that the specs then refer to.
func swapColumnNames(t *core.Table, specs []*ast.AlterTableSpec) {
	type rename struct {
		sp       *ast.AlterTableSpec
		from, to string
	}
	var rs []rename
	for _, sp := range specs {
		switch {
		case sp.Tp == ast.AlterTableRenameColumn:
			rs = append(rs, rename{sp, sp.OldColumnName.Name.O, sp.NewColumnName.Name.O})
		case sp.Tp == ast.AlterTableChangeColumn && len(sp.NewColumns) == 1:
			rs = append(rs, rename{sp, sp.OldColumnName.Name.O, sp.NewColumns[0].Name.Name.O})
		}
	}
	chained := false
	for _, a := range rs {
		for _, b := range rs {
			if a.sp != b.sp && strings.EqualFold(a.to, b.from) && !strings.EqualFold(a.from, a.to) {
				chained = true
			}
		}
	}
	if !chained {
		return
	}
	for n, r := range rs {
		i := t.ColumnIndex(r.from)
		if i < 0 {
			continue // the spec reports the unknown column
		}
		// A NUL cannot appear in a column name, so this cannot collide.
		tmp := fmt.Sprintf("\x00swap%d", n)
		renameInKeys(t, t.Columns[i].Name, tmp)
		t.Columns[i].Name = tmp
		r.sp.OldColumnName = &ast.ColumnName{Name: ast.NewCIStr(tmp)}
	}
}

// columnRenames returns the columns that stmt, an ALTER TABLE the
// Applier applied to old making new, renamed (RENAME COLUMN a TO b,
// CHANGE a b ...), by their names in old and in new. The statement is
// parsed again: the renames are asked for only of ALTERs that can hold
// one, which are rare.
func (a *Applier) columnRenames(stmt string, old, new *core.Table) []core.ColumnRename {
	if !mayRenameColumn(stmt) {
		return nil
	}
	for _, rs := range rewrite(stmt, a.mode) {
		stmts, err := a.parse(rs.sql)
		if err != nil {
			continue
		}
		for _, st := range stmts {
			if at, ok := st.(*ast.AlterTableStmt); ok {
				return alterRenames(at.Specs, old, new)
			}
		}
	}
	return nil
}

// mayRenameColumn reports whether an ALTER TABLE statement can rename a
// column: it says RENAME or CHANGE somewhere.
func mayRenameColumn(stmt string) bool {
	for i := 0; i+6 <= len(stmt); i++ {
		if w := stmt[i : i+6]; strings.EqualFold(w, "rename") || strings.EqualFold(w, "change") {
			return true
		}
	}
	return false
}

// alterRenames lists the column renames of an ALTER TABLE's specs, read
// before swapColumnNames rewrites them: a spec that keeps the name (up to
// case) is no rename, and one whose columns are not in old and new (an
// error, or dropped again by a later spec) is left out.
func alterRenames(specs []*ast.AlterTableSpec, old, new *core.Table) []core.ColumnRename {
	var out []core.ColumnRename
	for _, sp := range specs {
		var from, to string
		switch {
		case sp.Tp == ast.AlterTableRenameColumn && sp.OldColumnName != nil && sp.NewColumnName != nil:
			from, to = sp.OldColumnName.Name.O, sp.NewColumnName.Name.O
		case sp.Tp == ast.AlterTableChangeColumn && sp.OldColumnName != nil && len(sp.NewColumns) == 1:
			from, to = sp.OldColumnName.Name.O, sp.NewColumns[0].Name.Name.O
		default:
			continue
		}
		if strings.EqualFold(from, to) {
			continue
		}
		i, j := old.ColumnIndex(from), new.ColumnIndex(to)
		if i < 0 || j < 0 {
			continue
		}
		out = append(out, core.ColumnRename{From: old.Columns[i].Name, To: new.Columns[j].Name})
	}
	return out
}

func (ap *applying) errColumn(t *core.Table, name string) error {
	return fmt.Errorf("schema: %s: no column %q in %q", t.QualifiedName(), name, ap.stmt)
}

// place moves column i to the position sp asks (FIRST, AFTER x; none: stay).
func place(t *core.Table, i int, pos *ast.ColumnPosition) error {
	if pos == nil || pos.Tp == ast.ColumnPositionNone {
		return nil
	}
	col := t.Columns[i]
	t.Columns = append(t.Columns[:i], t.Columns[i+1:]...)
	at := 0
	if pos.Tp == ast.ColumnPositionAfter {
		j := t.ColumnIndex(pos.RelativeColumn.Name.O)
		if j < 0 {
			// Restore before failing: t is discarded anyway, but keep it sane.
			t.Columns = append(t.Columns, col)
			return fmt.Errorf("schema: %s: AFTER unknown column %q", t.QualifiedName(), pos.RelativeColumn.Name.O)
		}
		at = j + 1
	}
	t.Columns = append(t.Columns, core.Column{})
	copy(t.Columns[at+1:], t.Columns[at:])
	t.Columns[at] = col
	return nil
}

// renameInKeys renames a column in every key.
func renameInKeys(t *core.Table, from, to string) {
	fix := func(k *core.Key) {
		for i := range k.Columns {
			if strings.EqualFold(k.Columns[i].Name, from) {
				k.Columns[i].Name = to
			}
		}
	}
	if t.PrimaryKey != nil {
		fix(t.PrimaryKey)
	}
	for i := range t.UniqueKeys {
		fix(&t.UniqueKeys[i])
	}
}

// dropFromKeys removes a dropped column from every key, dropping keys left
// empty, as MySQL does.
func dropFromKeys(t *core.Table, name string) {
	strip := func(k core.Key) core.Key {
		cols := k.Columns[:0:0]
		for _, kc := range k.Columns {
			if !strings.EqualFold(kc.Name, name) {
				cols = append(cols, kc)
			}
		}
		k.Columns = cols
		return k
	}
	if t.PrimaryKey != nil {
		k := strip(*t.PrimaryKey)
		if len(k.Columns) == 0 {
			t.PrimaryKey = nil
		} else {
			t.PrimaryKey = &k
		}
	}
	keys := t.UniqueKeys[:0:0]
	for _, k := range t.UniqueKeys {
		if k = strip(k); len(k.Columns) > 0 {
			keys = append(keys, k)
		}
	}
	t.UniqueKeys = keys
}

func (ap *applying) alterSpec(t *core.Table, sp *ast.AlterTableSpec) error {
	switch sp.Tp {
	case ast.AlterTableAddColumns:
		for _, def := range sp.NewColumns {
			col, pk, u := ap.column(t, def)
			if t.ColumnIndex(col.Name) >= 0 {
				if sp.IfNotExists {
					continue
				}
				return fmt.Errorf("schema: %s: duplicate column %q in %q", t.QualifiedName(), col.Name, ap.stmt)
			}
			t.Columns = append(t.Columns, col)
			if err := place(t, len(t.Columns)-1, sp.Position); err != nil {
				return err
			}
			if pk {
				t.PrimaryKey = &core.Key{Name: "PRIMARY", Columns: []core.KeyColumn{{Name: col.Name}}}
			}
			if u {
				addUnique(t, "", []core.KeyColumn{{Name: col.Name}})
			}
		}
		for _, k := range sp.NewConstraints {
			if err := addConstraint(t, k); err != nil {
				return fmt.Errorf("%w in %q", err, ap.stmt)
			}
		}
	case ast.AlterTableAddConstraint:
		if sp.Constraint != nil {
			if sp.Constraint.IfNotExists && sp.Constraint.Name != "" && uniqueIndex(t, sp.Constraint.Name) >= 0 {
				return nil
			}
			if err := addConstraint(t, sp.Constraint); err != nil {
				return fmt.Errorf("%w in %q", err, ap.stmt)
			}
		}
	case ast.AlterTableDropColumn:
		n := sp.OldColumnName.Name.O
		i := t.ColumnIndex(n)
		if i < 0 {
			if sp.IfExists {
				return nil
			}
			return ap.errColumn(t, n)
		}
		t.Columns = append(t.Columns[:i], t.Columns[i+1:]...)
		dropFromKeys(t, n)
	case ast.AlterTableDropPrimaryKey:
		t.PrimaryKey = nil
	case ast.AlterTableDropIndex, ast.AlterTableDropCheck:
		n := sp.Name
		if sp.Tp == ast.AlterTableDropCheck && sp.Constraint != nil {
			n = sp.Constraint.Name
		}
		dropKey(t, n) // a non-unique index or a CHECK: nothing in the model
	case ast.AlterTableModifyColumn, ast.AlterTableChangeColumn:
		def := sp.NewColumns[0]
		from := def.Name.Name.O
		if sp.Tp == ast.AlterTableChangeColumn {
			from = sp.OldColumnName.Name.O
		}
		i := t.ColumnIndex(from)
		if i < 0 {
			if sp.IfExists {
				return nil
			}
			return ap.errColumn(t, from)
		}
		// The new definition replaces the old one entirely; a column
		// without its own charset takes the table's, not its old one.
		col, pk, u := ap.column(t, def)
		if j := t.ColumnIndex(col.Name); j >= 0 && j != i {
			return fmt.Errorf("schema: %s: duplicate column %q in %q", t.QualifiedName(), col.Name, ap.stmt)
		}
		t.Columns[i] = col
		if from != col.Name {
			renameInKeys(t, from, col.Name)
		}
		if err := place(t, i, sp.Position); err != nil {
			return err
		}
		if pk {
			t.PrimaryKey = &core.Key{Name: "PRIMARY", Columns: []core.KeyColumn{{Name: col.Name}}}
		}
		if u {
			addUnique(t, "", []core.KeyColumn{{Name: col.Name}})
		}
	case ast.AlterTableRenameColumn:
		from, to := sp.OldColumnName.Name.O, sp.NewColumnName.Name.O
		i := t.ColumnIndex(from)
		if i < 0 {
			return ap.errColumn(t, from)
		}
		t.Columns[i].Name = to
		renameInKeys(t, from, to)
	case ast.AlterTableAlterColumn:
		def := sp.NewColumns[0]
		n := def.Name.Name.O
		i := t.ColumnIndex(n)
		if i < 0 {
			return ap.errColumn(t, n)
		}
		c := &t.Columns[i]
		if len(def.Options) == 0 {
			// DROP DEFAULT: a nullable column still defaults to NULL (the
			// server shows DEFAULT NULL), a NOT NULL one has no default.
			c.Default = ""
			if c.Nullable && c.Generated == "" && !c.AutoIncrement {
				c.Default = "NULL"
			}
		}
		for _, o := range def.Options {
			if v, ok := o.Expr.(ast.ValueExpr); ok {
				if s, ok := v.GetValue().(string); ok && (s == attrPrefix+"visible" || s == attrPrefix+"invisible") {
					c.Invisible = s == attrPrefix+"invisible" // SET [IN]VISIBLE, see rewrite
					continue
				}
			}
			if o.Expr != nil { // SET DEFAULT: the parser leaves Tp unset
				c.Default = ap.defaultText(o.Expr, c.Type)
			}
		}
	case ast.AlterTableRenameIndex:
		if t.PrimaryKey != nil && strings.EqualFold(sp.FromKey.O, "PRIMARY") {
			return nil
		}
		if i := uniqueIndex(t, sp.FromKey.O); i >= 0 {
			t.UniqueKeys[i].Name = sp.ToKey.O
		}
	case ast.AlterTableRenameTable:
		db, name, err := ap.names(sp.NewTable)
		if err != nil {
			return err
		}
		t.Schema, t.Name = db, name
	case ast.AlterTableOption:
		return ap.tableOptions(t, sp.Options)
	}
	// Everything else (ENGINE, ALGORITHM, LOCK, FORCE, partitions, foreign
	// keys, checks, plain indexes, ...) does not change the model.
	return nil
}

// tableOptions applies DEFAULT CHARSET / COLLATE (the table default only)
// and CONVERT TO CHARACTER SET (every character column too).
func (ap *applying) tableOptions(t *core.Table, opts []*ast.TableOption) error {
	var cs, co string
	convert, set := false, false
	for _, o := range opts {
		switch o.Tp {
		case ast.TableOptionCharset:
			set = true
			cs = o.StrValue
			if o.UintValue == ast.TableOptionCharsetWithConvertTo {
				convert = true
			}
			if o.Default {
				// CONVERT TO CHARACTER SET DEFAULT: the database's.
				cs, _ = ap.c.dbDefaults(t.Schema)
			}
		case ast.TableOptionCollate:
			set = true
			co = o.StrValue
		}
	}
	if !set {
		return nil
	}
	dcs, dco := ap.c.dbDefaults(t.Schema)
	if cs == "" && co == "" {
		cs, co = dcs, dco
	}
	ncs, nco := resolveCharset(cs, co, ap.c.flavor, "", "")
	t.Charset, t.Collation = ncs, nco
	if !convert {
		return nil
	}
	for i := range t.Columns {
		ct := &t.Columns[i].Type
		if !isCharType(ct.Name) || ct.Charset == "binary" {
			continue
		}
		if strings.HasSuffix(ct.Name, "text") {
			// MySQL keeps the character capacity of a TEXT column: when
			// the new charset has wider characters, the type grows
			// (TEXT latin1 → MEDIUMTEXT utf8mb4).
			chars := textCapacity(ct.Name) / maxLen(ct.Charset)
			if need := textTypeFor(chars*maxLen(ncs), false); textCapacity(need) > textCapacity(ct.Name) {
				ct.Name = need
			}
		}
		ct.Charset, ct.Collation = ncs, nco
	}
	return nil
}

func (ap *applying) dropTable(s *ast.DropTableStmt) error {
	if s.IsView || s.TemporaryKeyword != ast.TemporaryNone {
		return nil
	}
	var errs []error
	for _, tn := range s.Tables {
		db, name, err := ap.names(tn)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t := ap.c.Table(db, name)
		if t == nil {
			if !s.IfExists {
				errs = append(errs, ap.unknown(db, name))
			}
			continue
		}
		ap.c.deleteTable(db, name)
		ap.add(Change{Kind: DropTable, Old: t})
	}
	return errors.Join(errs...)
}

// renameTable applies the pairs in order, as MySQL does, so that the
// gh-ost/pt-osc cut-over RENAME TABLE t TO _t_del, _t_gho TO t works.
func (ap *applying) renameTable(s *ast.RenameTableStmt) error {
	var errs []error
	for _, tt := range s.TableToTables {
		db, name, err := ap.names(tt.OldTable)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ndb, nname, err := ap.names(tt.NewTable)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		old := ap.c.Table(db, name)
		if old == nil {
			// The target now holds a table we do not know.
			if prev := ap.c.Table(ndb, nname); prev != nil {
				ap.c.deleteTable(ndb, nname)
				ap.add(Change{Kind: DropTable, Old: prev})
			}
			errs = append(errs, ap.unknown(db, name))
			continue
		}
		t := old.Clone()
		t.Schema, t.Name = ndb, nname
		ap.c.deleteTable(ndb, nname)
		ap.store(RenameTable, old, t)
	}
	return errors.Join(errs...)
}

func (ap *applying) createIndex(s *ast.CreateIndexStmt) error {
	if s.KeyType != ast.IndexKeyTypeUnique {
		return nil
	}
	db, name, err := ap.names(s.Table)
	if err != nil {
		return err
	}
	old := ap.c.Table(db, name)
	if old == nil {
		return ap.unknown(db, name)
	}
	if s.IfNotExists && uniqueIndex(old, s.IndexName) >= 0 {
		return nil
	}
	cols, ok := keyColumns(s.IndexPartSpecifications)
	if !ok {
		return nil
	}
	if err := checkKeyColumns(old, cols); err != nil {
		return fmt.Errorf("%w in %q", err, ap.stmt)
	}
	t := old.Clone()
	addUnique(t, s.IndexName, cols)
	finish(t)
	ap.store(AlterTable, old, t)
	return nil
}

func (ap *applying) dropIndex(s *ast.DropIndexStmt) error {
	db, name, err := ap.names(s.Table)
	if err != nil {
		return err
	}
	old := ap.c.Table(db, name)
	if old == nil {
		return ap.unknown(db, name)
	}
	t := old.Clone()
	if dropKey(t, s.IndexName) {
		finish(t)
		ap.store(AlterTable, old, t)
	}
	return nil
}

func dbOptions(opts []*ast.DatabaseOption) (cs, co string) {
	for _, o := range opts {
		switch o.Tp {
		case ast.DatabaseOptionCharset:
			cs = o.Value
		case ast.DatabaseOptionCollate:
			co = o.Value
		}
	}
	return cs, co
}

func (ap *applying) createDatabase(s *ast.CreateDatabaseStmt) {
	if _, ok := ap.c.Database(s.Name.O); ok && s.IfNotExists {
		return
	}
	cs, co := dbOptions(s.Options)
	if cs == "" && co == "" {
		cs, co = ap.c.serverDefaults()
	}
	ap.c.PutDatabase(Database{Name: s.Name.O, Charset: cs, Collation: co})
	ap.add(Change{Kind: CreateDatabase, Database: s.Name.O})
}

func (ap *applying) alterDatabase(s *ast.AlterDatabaseStmt) {
	name := s.Name.O
	if s.AlterDefaultDatabase || name == "" {
		name = ap.defaultDB
	}
	cs, co := dbOptions(s.Options)
	if cs == "" && co == "" {
		return // only options the model does not hold
	}
	d, _ := ap.c.Database(name)
	d.Name = name
	if cs != "" || co != "" {
		d.Charset, d.Collation = cs, co
	}
	ap.c.PutDatabase(d)
	ap.add(Change{Kind: AlterDatabase, Database: name})
}

func (ap *applying) dropDatabase(s *ast.DropDatabaseStmt) {
	e := ap.c.dbs[ap.c.nameKey(s.Name.O)]
	if e == nil && s.IfExists {
		return
	}
	if e != nil {
		for _, t := range ap.c.Tables() {
			if ap.c.nameKey(t.Schema) == ap.c.nameKey(s.Name.O) {
				ap.add(Change{Kind: DropTable, Old: t})
			}
		}
		delete(ap.c.dbs, ap.c.nameKey(s.Name.O))
	}
	ap.add(Change{Kind: DropDatabase, Database: s.Name.O})
}
