package schema

import (
	"testing"
)

// jsonCols lists the columns of db.t marked JSON.
func jsonCols(t *testing.T, c *Catalog, table string) map[string]bool {
	t.Helper()
	tb := c.Table("db", table)
	if tb == nil {
		t.Fatalf("no table db.%s", table)
	}
	out := map[string]bool{}
	for _, col := range tb.Columns {
		if col.Type.JSON {
			out[col.Name] = true
		}
	}
	return out
}

func sameSet(a map[string]bool, b ...string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, n := range b {
		if !a[n] {
			return false
		}
	}
	return true
}

// TestJSONColumns: the JSON keyword, a column CHECK (json_valid(itself))
// and a table CHECK (json_valid(col)) mark a column JSON, on every flavor
// and through ALTER TABLE.
func TestJSONColumns(t *testing.T) {
	for _, f := range []Flavor{FlavorUnknown, FlavorMariaDB, FlavorMySQL} {
		c := newTestCatalog(f)
		a := NewApplier()
		mustApply(t, a, c, "db",
			"CREATE TABLE t (id INT PRIMARY KEY, a JSON, b LONGTEXT CHECK (json_valid(b)), c TEXT CHECK (JSON_VALID(`C`)), "+
				"d VARCHAR(100) CHECK ((json_valid(d) AND d <> 'x')), e TEXT CHECK (json_valid(f)), f TEXT, g TEXT, h TEXT, "+
				"i LONGBLOB CHECK (json_valid(i)), k TEXT CHECK (json_valid(k) OR k IS NULL), l INT CHECK (json_valid(l)), "+
				"m TEXT, n TEXT CHECK (json_valid(n)) NOT ENFORCED, "+
				"CONSTRAINT ck CHECK (json_valid(g)), CHECK (json_valid(h) AND json_valid(`m`)), CHECK (json_valid(nope)))")
		if got := jsonCols(t, c, "t"); !sameSet(got, "a", "b", "c", "d", "g", "h", "m") {
			t.Errorf("flavor %d: JSON columns %v", f, got)
		}
		tb := c.Table("db", "t")
		wantName := map[Flavor]string{FlavorUnknown: "json", FlavorMySQL: "json", FlavorMariaDB: "longtext"}[f]
		if tb.Columns[1].Type.Name != wantName {
			t.Errorf("flavor %d: JSON is %q", f, tb.Columns[1].Type.Name)
		}
		mustApply(t, a, c, "db",
			"ALTER TABLE t ADD COLUMN o JSON, ADD COLUMN p TEXT CHECK (json_valid(p)), ADD COLUMN q TEXT",
			"ALTER TABLE t ADD CONSTRAINT c2 CHECK (json_valid(q))",
			"ALTER TABLE t MODIFY b LONGTEXT, MODIFY f JSON, CHANGE c c2 MEDIUMTEXT CHECK (json_valid(c2))",
			"ALTER TABLE t RENAME COLUMN a TO a2",
			"ALTER TABLE t CONVERT TO CHARACTER SET latin1",
		)
		if got := jsonCols(t, c, "t"); !sameSet(got, "a2", "c2", "d", "f", "g", "h", "m", "o", "p", "q") {
			t.Errorf("flavor %d: after ALTER, JSON columns %v", f, got)
		}
	}
}

// TestJSONShowCreate: MariaDB's SHOW CREATE TABLE of a JSON column gives
// the definition the DDL gave.
func TestJSONShowCreate(t *testing.T) {
	c := newTestCatalog(FlavorMariaDB)
	c.SetServerDefaults("utf8mb4", "utf8mb4_general_ci")
	a := NewApplier()
	mustApply(t, a, c, "db", "CREATE TABLE t (id INT PRIMARY KEY, j JSON, k JSON NOT NULL DEFAULT '{}')")
	got, err := a.TableFromCreate(c, "db", "CREATE TABLE `t` (\n"+
		"  `id` int(11) NOT NULL,\n"+
		"  `j` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`j`)),\n"+
		"  `k` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '{}' CHECK (json_valid(`k`)),\n"+
		"  PRIMARY KEY (`id`)\n"+
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci")
	if err != nil {
		t.Fatal(err)
	}
	want := c.Table("db", "t")
	if !got.SameDefinition(want) {
		t.Fatalf("SHOW CREATE TABLE: %s", diffTables(want, got))
	}
	if !got.Columns[1].Type.JSON || !got.Columns[2].Type.JSON {
		t.Errorf("not JSON: %+v", got.Columns)
	}
}
