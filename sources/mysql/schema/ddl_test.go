package schema

import (
	"errors"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/core"
)

func newTestCatalog(f Flavor) *Catalog {
	c := NewCatalog()
	c.SetFlavor(f)
	c.SetServerDefaults("utf8mb4", "")
	return c
}

func mustApply(t *testing.T, a *Applier, c *Catalog, db string, stmts ...string) []Change {
	t.Helper()
	var all []Change
	for _, s := range stmts {
		ch, err := a.Apply(c, db, s)
		if err != nil {
			t.Fatalf("Apply(%q): %v", s, err)
		}
		all = append(all, ch...)
	}
	return all
}

func cols(tb *core.Table) string {
	var n []string
	for _, c := range tb.Columns {
		n = append(n, c.Name)
	}
	return strings.Join(n, ",")
}

// TestApplyTable checks statement sequences against expected definitions,
// field by field.
func TestApplyTable(t *testing.T) {
	utf := func(name string, length int) core.ColumnType {
		return core.ColumnType{Name: name, Length: length, Charset: "utf8mb4", Collation: "utf8mb4_general_ci"}
	}
	tests := []struct {
		name   string
		flavor Flavor
		stmts  []string
		table  string
		want   core.Table
	}{{
		name:   "synonyms and options",
		flavor: FlavorMariaDB,
		stmts: []string{"CREATE TABLE db.t (a INTEGER NOT NULL, b BOOLEAN DEFAULT TRUE, c DEC(5,2) UNSIGNED ZEROFILL, d SERIAL, " +
			"e VARCHAR(3) NOT NULL DEFAULT 'x' COMMENT 'note', f INT INVISIBLE, g POINT NOT NULL SRID 4326, h VECTOR(3), " +
			"PRIMARY KEY (a), UNIQUE KEY uk (e(2), a), KEY (f), FOREIGN KEY (f) REFERENCES o (id))"},
		table: "t",
		want: core.Table{Schema: "db", Name: "t", Charset: "utf8mb4", Collation: "utf8mb4_general_ci", Version: 1,
			Columns: []core.Column{
				{Name: "a", Type: core.ColumnType{Name: "int", Length: 11}},
				{Name: "b", Type: core.ColumnType{Name: "tinyint", Length: 1}, Nullable: true, Default: "1"},
				{Name: "c", Type: core.ColumnType{Name: "decimal", Precision: 5, Scale: 2, Unsigned: true, Zerofill: true}, Nullable: true, Default: "NULL"},
				{Name: "d", Type: core.ColumnType{Name: "bigint", Length: 20, Unsigned: true}, AutoIncrement: true},
				{Name: "e", Type: utf("varchar", 3), Default: "'x'", Comment: "note"},
				{Name: "f", Type: core.ColumnType{Name: "int", Length: 11}, Nullable: true, Default: "NULL", Invisible: true},
				{Name: "g", Type: core.ColumnType{Name: "point", SRID: 4326}},
				{Name: "h", Type: core.ColumnType{Name: "vector", Length: 3}, Nullable: true, Default: "NULL"},
			},
			PrimaryKey: &core.Key{Name: "PRIMARY", Columns: []core.KeyColumn{{Name: "a"}}},
			UniqueKeys: []core.Key{{Name: "d", Columns: []core.KeyColumn{{Name: "d"}}}, {Name: "uk", Columns: []core.KeyColumn{{Name: "e", Prefix: 2}, {Name: "a"}}}},
		},
	}, {
		name:   "alter sequence with positions",
		flavor: FlavorMySQL,
		stmts: []string{
			"CREATE TABLE t (a INT(11), b TINYINT(1), c INT ZEROFILL)",
			"ALTER TABLE t ADD COLUMN x CHAR(2) FIRST, ADD COLUMN y BIGINT AFTER a",
			"ALTER TABLE t MODIFY c BIGINT UNSIGNED FIRST, CHANGE b b2 VARCHAR(9) CHARACTER SET latin1 AFTER y",
			"ALTER TABLE t DROP COLUMN x, RENAME COLUMN a TO a1, ALTER COLUMN y SET DEFAULT 3",
		},
		table: "t",
		want: core.Table{Schema: "db", Name: "t", Charset: "utf8mb4", Collation: "utf8mb4_0900_ai_ci", Version: 4,
			Columns: []core.Column{
				{Name: "c", Type: core.ColumnType{Name: "bigint", Unsigned: true}, Nullable: true, Default: "NULL"},
				{Name: "a1", Type: core.ColumnType{Name: "int"}, Nullable: true, Default: "NULL"},
				{Name: "y", Type: core.ColumnType{Name: "bigint"}, Nullable: true, Default: "3"},
				{Name: "b2", Type: core.ColumnType{Name: "varchar", Length: 9, Charset: "latin1", Collation: "latin1_swedish_ci"}, Nullable: true, Default: "NULL"},
			},
		},
	}, {
		name:   "charset resolution: column > table > database > server",
		flavor: FlavorUnknown,
		stmts: []string{
			"CREATE DATABASE dbx CHARACTER SET latin2",
			"CREATE TABLE dbx.t (a CHAR(1), b CHAR(1) CHARACTER SET utf8, c TEXT COLLATE ascii_bin, d CHAR(1) CHARACTER SET utf8mb4)",
		},
		table: "dbx.t",
		want: core.Table{Schema: "dbx", Name: "t", Charset: "latin2", Collation: "latin2_general_ci", Version: 1,
			Columns: []core.Column{
				{Name: "a", Type: core.ColumnType{Name: "char", Length: 1, Charset: "latin2", Collation: "latin2_general_ci"}, Nullable: true, Default: "NULL"},
				{Name: "b", Type: core.ColumnType{Name: "char", Length: 1, Charset: "utf8mb3", Collation: "utf8mb3_general_ci"}, Nullable: true, Default: "NULL"},
				{Name: "c", Type: core.ColumnType{Name: "text", Charset: "ascii", Collation: "ascii_bin"}, Nullable: true, Default: "NULL"},
				// utf8mb4's default collation depends on the flavor: unknown.
				{Name: "d", Type: core.ColumnType{Name: "char", Length: 1, Charset: "utf8mb4"}, Nullable: true, Default: "NULL"},
			},
		},
	}, {
		name:   "versioned and MariaDB comments, quoting, case",
		flavor: FlavorMariaDB,
		stmts: []string{
			"/*!40101 SET NAMES utf8 */; CREATE TABLE `Db`.`T` (`Col A` INT) /*!50100 ENGINE=InnoDB */",
			"/*M!100100 ALTER TABLE `Db`.`T` ADD COLUMN m INT */",
			"ALTER TABLE Db.T /*!50100 ADD COLUMN v INT FIRST */ -- comment ; not a statement\n",
			"# a comment\nALTER TABLE Db.T MODIFY `col a` BIGINT /* inline */",
		},
		table: "Db.T",
		want: core.Table{Schema: "Db", Name: "T", Charset: "utf8mb4", Collation: "utf8mb4_general_ci", Version: 4,
			Columns: []core.Column{
				{Name: "v", Type: core.ColumnType{Name: "int", Length: 11}, Nullable: true, Default: "NULL"},
				{Name: "col a", Type: core.ColumnType{Name: "bigint", Length: 20}, Nullable: true, Default: "NULL"},
				{Name: "m", Type: core.ColumnType{Name: "int", Length: 11}, Nullable: true, Default: "NULL"},
			},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCatalog(tt.flavor)
			a := NewApplier()
			mustApply(t, a, c, "db", tt.stmts...)
			db, name := "db", tt.table
			if i := strings.IndexByte(tt.table, '.'); i >= 0 {
				db, name = tt.table[:i], tt.table[i+1:]
			}
			got := c.Table(db, name)
			if got == nil {
				t.Fatalf("no table %s.%s; have %v", db, name, c.Tables())
			}
			if js(got) != js(&tt.want) {
				t.Errorf("got:  %s\nwant: %s%s", js(got), js(&tt.want), diffTables(&tt.want, got))
			}
		})
	}
}

func TestChangesAndVersions(t *testing.T) {
	c := newTestCatalog(FlavorMariaDB)
	a := NewApplier()
	ch := mustApply(t, a, c, "db", "CREATE TABLE t (id INT PRIMARY KEY, v INT)")
	if len(ch) != 1 || ch[0].Kind != CreateTable || ch[0].Old != nil || ch[0].New.Version != 1 {
		t.Fatalf("create: %+v", ch)
	}
	v1 := ch[0].New
	ch = mustApply(t, a, c, "db", "ALTER TABLE t ENGINE=InnoDB, ALGORITHM=INPLACE, LOCK=NONE")
	if len(ch) != 0 {
		t.Fatalf("no-op alter gave %+v", ch)
	}
	ch = mustApply(t, a, c, "db", "ALTER TABLE t ADD INDEX (v)")
	if len(ch) != 0 {
		t.Fatalf("plain index gave %+v", ch)
	}
	ch = mustApply(t, a, c, "db", "CREATE UNIQUE INDEX uv ON t (v)")
	if len(ch) != 1 || ch[0].Kind != AlterTable || ch[0].New.Version != 2 || len(ch[0].New.UniqueKeys) != 1 {
		t.Fatalf("unique index: %+v", ch)
	}
	if len(v1.UniqueKeys) != 0 || v1.Version != 1 {
		t.Fatal("a stored table was mutated")
	}
	ch = mustApply(t, a, c, "db", "TRUNCATE t")
	if len(ch) != 1 || ch[0].Kind != TruncateTable || ch[0].Old != ch[0].New || ch[0].New.Version != 2 {
		t.Fatalf("truncate: %+v", ch)
	}
	// gh-ost cut-over, in one statement.
	mustApply(t, a, c, "db", "CREATE TABLE _t_gho LIKE t", "ALTER TABLE _t_gho ADD COLUMN w INT")
	ch = mustApply(t, a, c, "db", "RENAME TABLE t TO _t_del, _t_gho TO t")
	if len(ch) != 2 || ch[0].Kind != RenameTable || ch[1].Kind != RenameTable {
		t.Fatalf("cut-over: %+v", ch)
	}
	if nt := c.Table("db", "t"); cols(nt) != "id,v,w" || nt.Version != 3 {
		t.Fatalf("after cut-over t = %s v%d", cols(nt), nt.Version)
	}
	if old := c.Table("db", "_t_del"); old == nil || cols(old) != "id,v" || old.Version != 3 {
		t.Fatalf("after cut-over _t_del = %+v", old)
	}
	if c.Table("db", "_t_gho") != nil {
		t.Fatal("_t_gho still there")
	}
	ch = mustApply(t, a, c, "db", "DROP TABLE IF EXISTS _t_del, nope")
	if len(ch) != 1 || ch[0].Kind != DropTable || ch[0].New != nil || ch[0].Old.Name != "_t_del" {
		t.Fatalf("drop: %+v", ch)
	}
	// DROP INDEX of a unique key is a change; of an unknown index is not.
	ch = mustApply(t, a, c, "db", "DROP INDEX nothing ON t")
	if len(ch) != 0 {
		t.Fatalf("drop plain index: %+v", ch)
	}
	ch = mustApply(t, a, c, "db", "ALTER TABLE t DROP PRIMARY KEY")
	if len(ch) != 1 || ch[0].New.PrimaryKey != nil {
		t.Fatalf("drop pk: %+v", ch)
	}
	// Database changes; DROP DATABASE drops its tables first.
	ch = mustApply(t, a, c, "", "CREATE DATABASE IF NOT EXISTS other CHARACTER SET latin1",
		"CREATE TABLE other.x (a CHAR(1))", "CREATE TABLE other.y (a INT)", "ALTER DATABASE other COLLATE latin1_bin")
	if d, ok := c.Database("other"); !ok || d.Charset != "latin1" || d.Collation != "latin1_bin" {
		t.Fatalf("database: %+v %v", d, ok)
	}
	if x := c.Table("other", "x"); x.Columns[0].Type.Collation != "latin1_swedish_ci" {
		t.Fatalf("ALTER DATABASE changed an existing table: %+v", x)
	}
	ch = mustApply(t, a, c, "", "DROP DATABASE other")
	var kinds []string
	for _, x := range ch {
		kinds = append(kinds, x.Kind.String())
	}
	if strings.Join(kinds, ",") != "DropTable,DropTable,DropDatabase" || ch[2].Database != "other" {
		t.Fatalf("drop database: %v", kinds)
	}
	if _, ok := c.Database("other"); ok || c.Table("other", "x") != nil {
		t.Fatal("database still there")
	}
	// Ignored statements.
	ch = mustApply(t, a, c, "db", "BEGIN", "INSERT INTO t VALUES (1)", "SET @a = 1", "CREATE USER u",
		"GRANT ALL ON *.* TO u", "CREATE VIEW vw AS SELECT 1", "CREATE TEMPORARY TABLE tmp (a INT)",
		"DROP TEMPORARY TABLE tmp", "COMMIT", "CREATE TABLE IF NOT EXISTS t (z INT)",
		"CREATE DEFINER=`root`@`localhost` PROCEDURE p() BEGIN DROP TABLE t; CREATE TABLE t (a INT); END",
		"CREATE DEFINER=`root`@`localhost` TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.id = 1; SET @x = 2; END",
		"CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN TRUNCATE t; DELETE FROM t; END",
		"DROP TRIGGER IF EXISTS tr", "ALTER EVENT e DISABLE", "XA START 'x'", "FLUSH TABLES", "ANALYZE TABLE t", "OPTIMIZE TABLE t")
	if len(ch) != 0 {
		t.Fatalf("ignored statements gave %+v", ch)
	}
}

func TestMultiStatementAndUse(t *testing.T) {
	c := newTestCatalog(FlavorMariaDB)
	a := NewApplier()
	ch, err := a.Apply(c, "db", "CREATE TABLE a (x INT); USE db2; CREATE TABLE b (y INT) ; ALTER TABLE db.a ADD z POINT /* c; */")
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 3 || c.Table("db", "a") == nil || c.Table("db2", "b") == nil || cols(c.Table("db", "a")) != "x,z" {
		t.Fatalf("changes %+v tables %v", ch, c.Tables())
	}
	if ch[1].Statement != "CREATE TABLE b (y INT)" || ch[2].Statement != "ALTER TABLE db.a ADD z POINT /* c; */" {
		t.Fatalf("statement text %q, %q", ch[1].Statement, ch[2].Statement)
	}
}

func TestErrors(t *testing.T) {
	c := newTestCatalog(FlavorMariaDB)
	a := NewApplier()
	mustApply(t, a, c, "db", "CREATE TABLE t (a INT)")
	_, err := a.Apply(c, "db", "ALTER TABLE t ADD COLUMN ((( garbage")
	if !errors.Is(err, ErrUnparsable) || !strings.Contains(err.Error(), "garbage") {
		t.Fatalf("unparsable: %v", err)
	}
	if ch, err := a.Apply(c, "db", "FROBNICATE THE TABLES; create unknown thing"); err != nil || len(ch) != 0 {
		t.Fatalf("unreadable non-DDL must be ignored: %v %v", ch, err)
	}
	if _, err := a.Apply(c, "db", "CREATE TABLE t9 (a CHAR(3) BYTE)"); !errors.Is(err, ErrUnparsable) {
		t.Fatalf("unreadable CREATE TABLE: %v", err)
	}
	_, err = a.Apply(c, "db", "ALTER TABLE other ADD COLUMN b INT")
	if !errors.Is(err, ErrUnknownTable) {
		t.Fatalf("unknown: %v", err)
	}
	_, err = a.Apply(c, "", "ALTER TABLE t ADD COLUMN b INT")
	if !errors.Is(err, ErrUnknownTable) {
		t.Fatalf("no database: %v", err)
	}
	_, err = a.Apply(c, "db", "CREATE TABLE s SELECT * FROM t")
	if !errors.Is(err, ErrNeedsServerSchema) || c.Table("db", "s") != nil {
		t.Fatalf("CTAS: %v", err)
	}
	// With explicit definitions, those columns are the model.
	mustApply(t, a, c, "db", "CREATE TABLE s2 (k INT PRIMARY KEY) SELECT a FROM t")
	if cols(c.Table("db", "s2")) != "k" {
		t.Fatal("CTAS with definitions")
	}
	// A failing statement leaves the table alone; the next one applies.
	ch, err := a.Apply(c, "db", "ALTER TABLE t ADD COLUMN b INT, DROP COLUMN nope; ALTER TABLE t ADD COLUMN c INT")
	if err == nil || len(ch) != 1 || cols(c.Table("db", "t")) != "a,c" {
		t.Fatalf("partial: %v %+v %s", err, ch, cols(c.Table("db", "t")))
	}
	// RENAME of an unknown table onto a known name: the name is dropped.
	ch, err = a.Apply(c, "db", "RENAME TABLE unknown TO t")
	if !errors.Is(err, ErrUnknownTable) || c.Table("db", "t") != nil || len(ch) != 1 || ch[0].Kind != DropTable {
		t.Fatalf("rename unknown: %v %+v", err, ch)
	}
	if _, err := a.TableFromCreate(c, "db", "CREATE TABLE x LIKE y"); !errors.Is(err, ErrNeedsServerSchema) {
		t.Fatalf("TableFromCreate LIKE: %v", err)
	}
	if _, err := a.TableFromCreate(c, "db", "DROP TABLE x"); err == nil {
		t.Fatal("TableFromCreate accepted DROP")
	}
}

func TestCloneAndNames(t *testing.T) {
	c := newTestCatalog(FlavorMariaDB)
	a := NewApplier()
	mustApply(t, a, c, "db", "CREATE TABLE T (a INT)")
	cl := c.Clone()
	mustApply(t, a, cl, "db", "ALTER TABLE T ADD b INT", "CREATE TABLE u (a INT)", "DROP DATABASE db")
	if cols(c.Table("db", "T")) != "a" || c.Table("db", "u") != nil {
		t.Fatal("applying to a clone changed the original")
	}
	if c.Table("db", "t") != nil || c.Table("DB", "T") != nil {
		t.Fatal("names must be case-sensitive by default")
	}
	ci := newTestCatalog(FlavorMariaDB)
	ci.SetCaseInsensitiveNames(true)
	mustApply(t, a, ci, "Db", "CREATE TABLE T (a INT)", "ALTER TABLE db.t ADD b INT")
	if tb := ci.Table("DB", "t"); tb == nil || cols(tb) != "a,b" {
		t.Fatalf("case-insensitive: %v", ci.Tables())
	}
	// Tables are sorted by schema, then name.
	mustApply(t, a, c, "db", "CREATE TABLE a (x INT)", "CREATE TABLE a.z (x INT)")
	var names []string
	for _, tb := range c.Tables() {
		names = append(names, tb.QualifiedName())
	}
	if strings.Join(names, " ") != "a.z db.T db.a" {
		t.Fatalf("Tables order: %v", names)
	}
}

func TestConvertCharset(t *testing.T) {
	c := newTestCatalog(FlavorMariaDB)
	a := NewApplier()
	mustApply(t, a, c, "db", "CREATE TABLE t (a TINYTEXT, b TEXT, c MEDIUMTEXT, d VARCHAR(5), e VARBINARY(3), f ENUM('a'), g INT) CHARSET latin1",
		"ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4")
	tb := c.Table("db", "t")
	want := []string{"text", "mediumtext", "longtext", "varchar", "varbinary", "enum", "int"}
	for i, w := range want {
		col := tb.Columns[i]
		if col.Type.Name != w {
			t.Errorf("column %s: %s, want %s", col.Name, col.Type.Name, w)
		}
		if isCharType(w) && (col.Type.Charset != "utf8mb4" || col.Type.Collation != "utf8mb4_general_ci") {
			t.Errorf("column %s: %s/%s", col.Name, col.Type.Charset, col.Type.Collation)
		}
	}
	if tb.Columns[4].Type.Charset != "" || tb.Charset != "utf8mb4" {
		t.Errorf("binary column or table default wrong: %+v", tb)
	}
	// DEFAULT CHARSET alone changes only the table default.
	mustApply(t, a, c, "db", "ALTER TABLE t DEFAULT CHARACTER SET = latin1")
	tb = c.Table("db", "t")
	if tb.Charset != "latin1" || tb.Columns[3].Type.Charset != "utf8mb4" {
		t.Errorf("DEFAULT CHARSET: %+v", tb)
	}
}

// TestServerSyntax covers MySQL 8 and MariaDB syntax the TiDB grammar
// lacks (see rewrite.go).
func TestServerSyntax(t *testing.T) {
	a := NewApplier()
	c := newTestCatalog(FlavorMySQL)
	mysqlShow := "CREATE TABLE `a5` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `p` point NOT NULL /*!80003 SRID 4326 */,\n" +
		"  `v` int DEFAULT NULL /*!80023 INVISIBLE */,\n  `w` int DEFAULT ((`id` * 2)),\n  PRIMARY KEY (`id`),\n  SPATIAL KEY `p` (`p`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci"
	tb, err := a.TableFromCreate(c, "d", mysqlShow)
	if err != nil {
		t.Fatal(err)
	}
	if p := tb.Columns[1]; p.Type.Name != "point" || p.Type.SRID != 4326 || p.Nullable {
		t.Errorf("point column: %+v", p)
	}
	if v := tb.Columns[2]; !v.Invisible || v.Default != "NULL" {
		t.Errorf("invisible column: %+v", v)
	}
	if w := tb.Columns[3]; w.Default != "`id`*2" {
		t.Errorf("expression default: %q", w.Default)
	}
	if tb.Collation != "utf8mb4_0900_ai_ci" || tb.Columns[0].Type.Length != 0 {
		t.Errorf("MySQL flavor: %+v", tb)
	}
	c.PutTable(tb)
	steps := []struct {
		q    string
		cols string
	}{
		{"ALTER TABLE a5 ADD COLUMN c INT, ALGORITHM=NOCOPY", "id,p,v,w,c"},
		{"ALTER TABLE a5 WAIT 10 ADD COLUMN e INT FIRST", "e,id,p,v,w,c"},
		{"ALTER TABLE a5 NOWAIT DROP COLUMN e", "id,p,v,w,c"},
		{"ALTER ONLINE TABLE a5 DROP COLUMN c", "id,p,v,w"},
		{"ALTER TABLE a5 ADD COLUMN h TEXT COMPRESSED, ADD COLUMN i BLOB COMPRESSED=zlib NOT NULL, ROW_FORMAT=COMPRESSED", "id,p,v,w,h,i"},
		{"ALTER TABLE a5 ALTER COLUMN v SET VISIBLE, ALTER COLUMN h SET INVISIBLE", "id,p,v,w,h,i"},
		{"CREATE SPATIAL INDEX sp ON a5 (p)", "id,p,v,w,h,i"},
		{"RENAME TABLES a5 TO a6", "id,p,v,w,h,i"},
	}
	for _, s := range steps {
		if _, err := a.Apply(c, "d", s.q); err != nil {
			t.Fatalf("%s: %v", s.q, err)
		}
	}
	tb = c.Table("d", "a6")
	if tb == nil || cols(tb) != steps[len(steps)-1].cols {
		t.Fatalf("after steps: %v", c.Tables())
	}
	if tb.Columns[2].Invisible || !tb.Columns[4].Invisible {
		t.Errorf("SET [IN]VISIBLE: %+v", tb.Columns)
	}
}

func TestSQLMode(t *testing.T) {
	a := NewApplier()
	c := newTestCatalog(FlavorMariaDB)
	// ANSI_QUOTES (4) | NO_BACKSLASH_ESCAPES (1<<20)
	a.SetSQLMode(4 | 1<<20)
	mustApply(t, a, c, "db", `CREATE TABLE "q" ("p" point, "s" VARCHAR(9) DEFAULT 'a\'); ALTER TABLE "q" ADD COLUMN "x" INT DEFAULT (1+1)`)
	tb := c.Table("db", "q")
	if tb == nil || cols(tb) != "p,s,x" || tb.Columns[0].Type.Name != "point" {
		t.Fatalf("ANSI_QUOTES: %v", c.Tables())
	}
	if tb.Columns[1].Default != `'a\\'` || tb.Columns[2].Default != "1+1" {
		t.Fatalf("defaults: %q %q", tb.Columns[1].Default, tb.Columns[2].Default)
	}
	a.SetSQLMode(0)
	if _, err := a.Apply(c, "db", `CREATE TABLE "r" (a INT)`); !errors.Is(err, ErrUnparsable) {
		t.Fatalf("without ANSI_QUOTES a double-quoted name is a string: %v", err)
	}
}

func TestCatalogDatabases(t *testing.T) {
	c := NewCatalog()
	c.SetServerDefaults("utf8mb4", "")
	c.SetFlavor(FlavorMySQL) // after the defaults: resolution is lazy
	c.PutDatabase(Database{Name: "b", Charset: "latin1"})
	c.PutDatabase(Database{Name: "a", Collation: "utf8mb4_bin"})
	a := NewApplier()
	mustApply(t, a, c, "", "CREATE DATABASE c", "CREATE TABLE c.t (x VARCHAR(1))")
	got := js(c.Databases())
	want := `[{"Name":"a","Charset":"utf8mb4","Collation":"utf8mb4_bin"},{"Name":"b","Charset":"latin1","Collation":"latin1_swedish_ci"},{"Name":"c","Charset":"utf8mb4","Collation":"utf8mb4_0900_ai_ci"}]`
	if got != want {
		t.Fatalf("Databases:\n got %s\nwant %s", got, want)
	}
	if d, ok := c.Database("b"); !ok || d.Charset != "latin1" {
		t.Fatalf("Database(b) = %+v, %v", d, ok)
	}
	if _, ok := c.Database("B"); ok {
		t.Fatal("database names are case-sensitive by default")
	}
	tb, err := a.TableFromCreate(c, "ignored", "CREATE TABLE b.t (x VARCHAR(1))")
	if err != nil || tb.Schema != "b" || tb.Columns[0].Type.Charset != "latin1" || tb.Version != 1 {
		t.Fatalf("TableFromCreate qualified: %+v %v", tb, err)
	}
	if c.Table("b", "t") != nil {
		t.Fatal("TableFromCreate must not store the table")
	}
	c.PutTable(tb)
	if c.Table("b", "t") != tb {
		t.Fatal("PutTable")
	}
}
