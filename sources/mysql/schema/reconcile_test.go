package schema

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
	"github.com/seed5aa6e046/syncer/test/harness"
)

// lastTableMap returns the last TABLE_MAP of schema.name in the server's
// binlog, and keeps the reader open (the event is valid until it closes).
func lastTableMap(t *testing.T, m *harness.MariaDB, schema, name string) *binlog.TableMapEvent {
	t.Helper()
	files, err := m.BinlogFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := binlogfile.OpenFiles(files)
	t.Cleanup(func() { r.Close() })
	var last *binlog.TableMapEvent
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if tm, ok := ev.Body.(*binlog.TableMapEvent); ok && tm.Schema == schema && tm.Table == name {
			last = tm
		}
	}
	if last == nil {
		t.Fatalf("no TABLE_MAP of %s.%s", schema, name)
	}
	return last
}

func exec(t *testing.T, m *harness.MariaDB, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if _, err := m.DB().ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// trackedItems is the definition of rc.items as the schema history would
// hold it after the CREATE TABLE below.
func trackedItems() *core.Table {
	utf := func(name string, length int) core.ColumnType {
		return core.ColumnType{Name: name, Length: length, Charset: "utf8mb4", Collation: "utf8mb4_general_ci"}
	}
	enum := utf("enum", 0)
	enum.Elems = []string{"new", "paid", "shipped"}
	set := utf("set", 0)
	set.Elems = []string{"a", "b", "c"}
	return &core.Table{Schema: "rc", Name: "items", Version: 1, Columns: []core.Column{
		{Name: "id", Type: core.ColumnType{Name: "bigint", Unsigned: true}},
		{Name: "qty", Type: core.ColumnType{Name: "int"}, Nullable: true},
		{Name: "price", Type: core.ColumnType{Name: "decimal", Precision: 10, Scale: 2}, Nullable: true},
		{Name: "name", Type: utf("varchar", 40), Nullable: true},
		{Name: "code", Type: utf("char", 3), Nullable: true},
		{Name: "body", Type: utf("text", 0), Nullable: true},
		{Name: "status", Type: enum, Nullable: true},
		{Name: "tags", Type: set, Nullable: true},
		{Name: "at", Type: core.ColumnType{Name: "datetime", FSP: 3}, Nullable: true},
		{Name: "ts", Type: core.ColumnType{Name: "timestamp"}, Nullable: true},
		{Name: "d", Type: core.ColumnType{Name: "date"}, Nullable: true},
		{Name: "y", Type: core.ColumnType{Name: "year"}, Nullable: true},
		{Name: "f", Type: core.ColumnType{Name: "double"}, Nullable: true},
		{Name: "b", Type: core.ColumnType{Name: "varbinary", Length: 8}, Nullable: true},
		{Name: "j", Type: core.ColumnType{Name: "json"}, Nullable: true},
		{Name: "bits", Type: core.ColumnType{Name: "bit", Length: 5}, Nullable: true},
	}}
}

const createItems = `CREATE TABLE rc.items (id BIGINT UNSIGNED PRIMARY KEY, qty INT, price DECIMAL(10,2),
	name VARCHAR(40), code CHAR(3), body TEXT, status ENUM('new','paid','shipped'), tags SET('a','b','c'),
	at DATETIME(3), ts TIMESTAMP NULL, d DATE, y YEAR, f DOUBLE, b VARBINARY(8), j JSON, bits BIT(5))`

// TestReconcile: a TABLE_MAP written by a real MariaDB agrees with the
// tracked definition, under FULL and MINIMAL metadata; after a DDL that
// the history did not see (sql_log_bin=0), the next TABLE_MAP contradicts
// it and Reconcile says how, instead of letting rows be decoded against the
// wrong columns.
func TestReconcile(t *testing.T) {
	for _, meta := range []string{"FULL", "MINIMAL"} {
		t.Run(meta, func(t *testing.T) {
			m := harness.MariaDBForTest(t, harness.MariaDBOptions{RowMetadata: meta})
			exec(t, m, "CREATE DATABASE rc", createItems, "INSERT INTO rc.items (id, qty) VALUES (1, 2)")
			tracked := trackedItems()
			if err := Reconcile(lastTableMap(t, m, "rc", "items"), tracked); err != nil {
				t.Fatalf("the server's own TABLE_MAP does not match the tracked table: %v", err)
			}

			for _, c := range []struct {
				name   string
				change func(*core.Table)
				want   string
			}{
				{"a column more", func(t *core.Table) { t.Columns = t.Columns[:len(t.Columns)-1] }, "16 columns, the tracked table 15"},
				{"type", func(t *core.Table) { t.Columns[1].Type.Name = "bigint" }, "type LONG in the TABLE_MAP, bigint tracked"},
				{"decimal", func(t *core.Table) { t.Columns[2].Type.Scale = 3 }, "DECIMAL(10,2) in the TABLE_MAP, DECIMAL(10,3) tracked"},
				{"signedness", func(t *core.Table) { t.Columns[0].Type.Unsigned = false }, "UNSIGNED in the TABLE_MAP, signed tracked"},
			} {
				bad := tracked.Clone()
				c.change(bad)
				err := Reconcile(lastTableMap(t, m, "rc", "items"), bad)
				if !errors.Is(err, ErrSchemaMismatch) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: got %v, want a mismatch saying %q", c.name, err, c.want)
				}
			}
			if meta == "FULL" {
				bad := tracked.Clone()
				bad.Columns[3].Name = "title"
				if err := Reconcile(lastTableMap(t, m, "rc", "items"), bad); err == nil || !strings.Contains(err.Error(), `named "name" in the TABLE_MAP`) {
					t.Errorf("renamed column: %v", err)
				}
				bad = tracked.Clone()
				bad.Columns[6].Type.Elems = []string{"new", "paid"}
				if err := Reconcile(lastTableMap(t, m, "rc", "items"), bad); err == nil || !strings.Contains(err.Error(), "labels") {
					t.Errorf("ENUM labels: %v", err)
				}
			}

			// A DDL outside the binlog: the history still holds the old
			// definition, the server writes rows in the new layout.
			conn, err := m.DB().Conn(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, q := range []string{"SET SESSION sql_log_bin = 0", "ALTER TABLE rc.items MODIFY qty BIGINT, ADD COLUMN extra INT AFTER id", "SET SESSION sql_log_bin = 1",
				"INSERT INTO rc.items (id, qty) VALUES (2, 3)"} {
				if _, err := conn.ExecContext(context.Background(), q); err != nil {
					t.Fatal(err)
				}
			}
			err = Reconcile(lastTableMap(t, m, "rc", "items"), tracked)
			var me *MismatchError
			if !errors.As(err, &me) || len(me.Diffs) == 0 || !strings.Contains(err.Error(), "17 columns, the tracked table 16") || !strings.Contains(err.Error(), "sql_log_bin") {
				t.Fatalf("a DDL outside the binlog: got %v", err)
			}
			t.Logf("%v", err)
		})
	}
}

// ENUM and SET labels in a TABLE_MAP are in the column's charset: a
// latin1 column's "café" is 63 61 66 e9 there, and UTF-8 in the tracked
// table. They agree (found by the snapshot's differential test: such a
// table stopped the stream with a mismatch).
func TestReconcileLabelsInColumnCharset(t *testing.T) {
	latin1 := binlog.CollationCharset(8) // latin1_swedish_ci
	tracked := &core.Column{Name: "e", Type: core.ColumnType{Name: "enum", Elems: []string{"café", "thé"}, Charset: "latin1"}}
	c := &binlog.Column{Type: binlog.TypeString, RealType: binlog.TypeEnum, Collation: 8, Charset: latin1, EnumValues: []string{"caf\xe9", "th\xe9"}}
	if d := reconcileColumn(c, tracked); d != "" {
		t.Errorf("latin1 ENUM labels: %s", d)
	}
	c.EnumValues = []string{"caf\xe9", "tea"}
	if d := reconcileColumn(c, tracked); d == "" {
		t.Error("different latin1 ENUM labels reconciled")
	}
	set := &core.Column{Name: "s", Type: core.ColumnType{Name: "set", Elems: []string{"ä", "b"}, Charset: "latin1"}}
	cs := &binlog.Column{Type: binlog.TypeString, RealType: binlog.TypeSet, Collation: 8, Charset: latin1, SetValues: []string{"\xe4", "b"}}
	if d := reconcileColumn(cs, set); d != "" {
		t.Errorf("latin1 SET labels: %s", d)
	}
}
