package schema

import (
	"fmt"
	"slices"
	"strings"

	"github.com/seed5aa6e046/syncer/core"
)

// WindowTables returns the tables (schema, name) the DDL statements of a
// binlog window name, keyed as c keys them (Catalog.TableKey). complete is
// false when a DDL statement of the window cannot be parsed, so that the
// tables it names are not known.
func WindowTables(c *Catalog, window []QueryAt) (tables map[[2]string]bool, complete bool) {
	tables, complete = map[[2]string]bool{}, true
	a := NewApplier()
	for _, q := range window {
		if !mayChangeSchema(q.Query) {
			continue
		}
		a.SetSQLMode(q.SQLMode)
		for _, rs := range rewrite(q.Query, a.mode) {
			if _, err := a.parse(rs.sql); err != nil && isTrackedDDL(rs.sql) {
				complete = false
			}
		}
		for _, n := range a.tableNames(q.Schema, q.Query) {
			tables[c.TableKey(n[0], n[1])] = true
		}
	}
	return tables, complete
}

// DecodingDiff describes the first way two definitions of a table differ in
// what decoding its rows depends on (column count, order, names, types,
// signedness, charsets, ENUM/SET labels), "" when they agree. Defaults,
// keys and comments are not compared: they do not change how a row reads.
func DecodingDiff(tracked, server *core.Table) string {
	if len(tracked.Columns) != len(server.Columns) {
		return fmt.Sprintf("%d columns tracked, %d on the server", len(tracked.Columns), len(server.Columns))
	}
	for i := range tracked.Columns {
		a, b := &tracked.Columns[i], &server.Columns[i]
		switch {
		case !strings.EqualFold(a.Name, b.Name):
			return fmt.Sprintf("column %d is %s in the history, %s on the server", i+1, a.Name, b.Name)
		case a.Type.Name != b.Type.Name || a.Type.Unsigned != b.Type.Unsigned:
			return fmt.Sprintf("column %s is %s in the history, %s on the server", a.Name, typeWords(a.Type), typeWords(b.Type))
		case a.Type.Charset != b.Type.Charset:
			return fmt.Sprintf("column %s is in charset %q in the history, %q on the server", a.Name, a.Type.Charset, b.Type.Charset)
		case !slices.Equal(a.Type.Elems, b.Type.Elems):
			return fmt.Sprintf("column %s has labels %q in the history, %q on the server", a.Name, a.Type.Elems, b.Type.Elems)
		}
	}
	return ""
}

func typeWords(t core.ColumnType) string {
	if t.Unsigned {
		return t.Name + " unsigned"
	}
	return t.Name
}
