package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/seed5aa6e046/syncer/core"
)

// ddlApply applies one schema change in a committed transaction.
func ddlApply(t *testing.T, conn *pgx.Conn, cfg *Config, ch *core.SchemaChange) error {
	t.Helper()
	r := &core.Record{Op: core.OpSchemaChange, Change: ch, Table: ch.New}
	if ch.Kind == core.TruncateTable {
		r.Op = core.OpTruncate
	}
	if ch.Statement == "" {
		ch.Statement = "/* " + string(ch.Kind) + " */"
	}
	return tyTx(t, conn, func(tx pgx.Tx) error { return applySchemaChange(context.Background(), tx, cfg, r) })
}

func ddlMust(t *testing.T, conn *pgx.Conn, cfg *Config, ch *core.SchemaChange) {
	t.Helper()
	if err := ddlApply(t, conn, cfg, ch); err != nil {
		t.Fatal(err)
	}
}

// ddlQuery returns one text value.
func ddlQuery(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	var s *string
	if err := conn.QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if s == nil {
		return "NULL"
	}
	return *s
}

func ddlExec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// ddlExists reports whether schema.table exists.
func ddlExists(t *testing.T, conn *pgx.Conn, schema, table string) bool {
	return ddlQuery(t, conn, "SELECT (to_regclass('"+quoteIdent(schema)+"."+quoteIdent(table)+"') IS NOT NULL)::text") == "true"
}

func col(name string, ct core.ColumnType, nullable bool, def string) core.Column {
	return core.Column{Name: name, Type: ct, Nullable: nullable, Default: def}
}

// with returns a copy of t with cols appended.
func with(t *core.Table, cols ...core.Column) *core.Table {
	c := t.Clone()
	c.Columns = append(c.Columns, cols...)
	c.Version++
	return c
}

// setCol returns a copy of t with column name replaced.
func setCol(t *core.Table, name string, c core.Column) *core.Table {
	n := t.Clone()
	n.Columns[n.ColumnIndex(name)] = c
	n.Version++
	return n
}

func alter(old, new *core.Table, renamed ...core.ColumnRename) *core.SchemaChange {
	return &core.SchemaChange{Kind: core.AlterTable, Old: old, New: new, Database: new.Schema, Renamed: renamed,
		Statement: "ALTER TABLE " + new.Name + " ..."}
}

func create(t *core.Table) *core.SchemaChange {
	return &core.SchemaChange{Kind: core.CreateTable, New: t, Database: t.Schema}
}

var (
	intT  = core.ColumnType{Name: "int"}
	bigT  = core.ColumnType{Name: "bigint"}
	vc10T = core.ColumnType{Name: "varchar", Length: 10}
)

// TestSchemaEvolution runs each kind of schema change, under each policy,
// against the real Postgres and checks the target's definition and rows.
func TestSchemaEvolution(t *testing.T) {
	conn := tyConn(t)
	base := func(db string) *core.Table {
		return tyTable(db, "t", col("n", intT, true, ""), col("s", vc10T, true, ""))
	}
	// setup creates base(db) with rows (1, 10, 'a') and (2, NULL, 'b').
	setup := func(t *testing.T, cfg *Config, db string) *core.Table {
		tb := base(db)
		ddlMust(t, conn, cfg, create(tb))
		ddlExec(t, conn, `INSERT INTO "`+db+`".t VALUES (1, 10, 'a'), (2, NULL, 'b')`)
		return tb
	}
	tests := []struct {
		name string
		cfg  func(*Config)
		run  func(t *testing.T, cfg *Config, db string)
	}{
		{"add column not null default 5 backfills", nil, func(t *testing.T, cfg *Config, db string) {
			old := setup(t, cfg, db)
			ddlMust(t, conn, cfg, alter(old, with(old, col("five", intT, false, "5"))))
			if got := ddlQuery(t, conn, `SELECT string_agg(id || ':' || five, ',' ORDER BY id) FROM "`+db+`".t`); got != "1:5,2:5" {
				t.Errorf("rows %s, want 1:5,2:5", got)
			}
			// The default is gone: later rows carry explicit values.
			if got := ddlQuery(t, conn, `SELECT count(*)::text FROM pg_attrdef WHERE adrelid = '"`+db+`".t'::regclass`); got != "0" {
				t.Errorf("%s defaults left", got)
			}
			if got := tyColumns(t, conn, db, "t"); got != "id integer NOT NULL, n integer, s character varying(10), five integer" {
				t.Errorf("columns %s", got)
			}
		}},
		{"MariaDB JSON columns added with a default or NOT NULL", nil, func(t *testing.T, cfg *Config, db string) {
			old := setup(t, cfg, db)
			mj := core.ColumnType{Name: "longtext", Charset: "utf8mb4", Collation: "utf8mb4_bin", JSON: true}
			ddlMust(t, conn, cfg, alter(old, with(old, col("jd", mj, true, `'{"a": [1, "x"]}'`), col("jn", mj, false, ""))))
			if got := ddlQuery(t, conn, `SELECT string_agg(id || ':' || jd::text || ':' || jn::text, ',' ORDER BY id) FROM "`+db+`".t`); got != `1:{"a": [1, "x"]}:null,2:{"a": [1, "x"]}:null` {
				t.Errorf("rows %s", got)
			}
			if got := tyColumns(t, conn, db, "t"); !strings.Contains(got, "jd jsonb, jn jsonb") {
				t.Errorf("columns %s, want jsonb", got)
			}
		}},
		{"added columns get what MySQL gave existing rows", nil, func(t *testing.T, cfg *Config, db string) {
			old := setup(t, cfg, db)
			ddlMust(t, conn, cfg, alter(old, with(old,
				col("nullable", intT, true, ""),
				col("nn_int", core.ColumnType{Name: "bigint", Unsigned: true}, false, ""),
				col("nn_str", vc10T, false, ""),
				col("nn_date", core.ColumnType{Name: "date"}, false, ""), // the zero date: zero_date null
				col("nn_enum", core.ColumnType{Name: "enum", Elems: []string{"first", "second"}}, false, ""),
				col("nn_set", core.ColumnType{Name: "set", Elems: []string{"x"}}, false, ""),
				col("nn_json", core.ColumnType{Name: "json"}, false, ""),
				col("nn_bin", core.ColumnType{Name: "binary", Length: 2}, false, ""),
				col("quoted", core.ColumnType{Name: "text"}, true, `'it''s \\ a\ttab'`),
				col("intro", vc10T, true, `_utf8mb4'hé'`),
				col("bits", core.ColumnType{Name: "bit", Length: 3}, true, "b'101'"),
				col("dec", core.ColumnType{Name: "decimal", Precision: 5, Scale: 2}, false, "'-1.5'"),
				col("dt", core.ColumnType{Name: "datetime"}, true, "'2020-01-02 03:04:06'"),
				col("tm", core.ColumnType{Name: "time"}, true, "'-12:00:01'"),
				col("flag", core.ColumnType{Name: "tinyint", Length: 1}, false, "TRUE"),
				col("setdef", core.ColumnType{Name: "set", Elems: []string{"a", "b"}}, false, "'a,b'"),
				col("now", core.ColumnType{Name: "timestamp", FSP: 3}, false, "CURRENT_TIMESTAMP(3)"),
				col("nulldef", intT, true, "NULL"),
			)))
			got := ddlQuery(t, conn, `SELECT string_agg(concat_ws('|', id, coalesce(nullable::text, 'NULL'), nn_int, '['||nn_str||']',
				coalesce(nn_date::text, 'NULL'), nn_enum, nn_set::text, nn_json::text, encode(nn_bin, 'hex'), quoted, intro, bits, dec, dt, tm, flag,
				setdef::text, (now IS NOT NULL AND now > now() - interval '1 hour')::text, coalesce(nulldef::text, 'NULL')), ',' ORDER BY id) FROM "`+db+`".t`)
			row := "|NULL|0|[]|NULL|first|{}|null|0000|it's \\ a\ttab|hé|101|-1.50|2020-01-02 03:04:06|-12:00:01|1|{a,b}|true|NULL"
			if want := "1" + row + ",2" + row; got != want {
				t.Errorf("rows\n%q, want\n%q", got, want)
			}
		}},
		{"zero date default under zero_date error", func(c *Config) { c.Values.ZeroDate = DateError }, func(t *testing.T, cfg *Config, db string) {
			old := setup(t, cfg, db)
			err := ddlApply(t, conn, cfg, alter(old, with(old, col("d", core.ColumnType{Name: "date"}, false, "'0000-00-00'"))))
			var ve *ValueError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), "zero_date") || ve.Column != "d" {
				t.Errorf("err = %v, want a ValueError naming zero_date", err)
			}
		}},
		{"rename column keeps values", nil, func(t *testing.T, cfg *Config, db string) {
			old := setup(t, cfg, db)
			nw := setCol(old, "n", col("m", intT, true, ""))
			ddlMust(t, conn, cfg, alter(old, nw, core.ColumnRename{From: "n", To: "m"}))
			if got := ddlQuery(t, conn, `SELECT string_agg(id || ':' || coalesce(m::text, 'NULL'), ',' ORDER BY id) FROM "`+db+`".t`); got != "1:10,2:NULL" {
				t.Errorf("rows %s", got)
			}
			// Applied again (a retry after a user fixed something): nothing to do.
			ddlMust(t, conn, cfg, alter(old, nw, core.ColumnRename{From: "n", To: "m"}))
		}},
		{"swap two columns by renames", nil, func(t *testing.T, cfg *Config, db string) {
			old := tyTable(db, "t", col("a", intT, true, ""), col("b", intT, true, ""))
			ddlMust(t, conn, cfg, create(old))
			ddlExec(t, conn, `INSERT INTO "`+db+`".t VALUES (1, 100, 200)`)
			nw := tyTable(db, "t", col("b", intT, true, ""), col("a", intT, true, ""))
			ddlMust(t, conn, cfg, alter(old, nw, core.ColumnRename{From: "a", To: "b"}, core.ColumnRename{From: "b", To: "a"}))
			if got := ddlQuery(t, conn, `SELECT a || ',' || b FROM "`+db+`".t`); got != "200,100" {
				t.Errorf("a,b = %s, want 200,100", got)
			}
		}},
		{"widening type changes", nil, func(t *testing.T, cfg *Config, db string) {
			old := tyTable(db, "t",
				col("i", core.ColumnType{Name: "smallint"}, true, ""),
				col("u", core.ColumnType{Name: "int", Unsigned: true}, true, ""),
				col("v", vc10T, true, ""),
				col("v2", vc10T, true, ""),
				col("d", core.ColumnType{Name: "decimal", Precision: 10, Scale: 2}, true, ""),
				col("f", core.ColumnType{Name: "float"}, true, ""),
				col("dt", core.ColumnType{Name: "datetime"}, true, ""),
				col("b", core.ColumnType{Name: "bit", Length: 4}, true, ""),
				col("same", core.ColumnType{Name: "int"}, true, ""))
			ddlMust(t, conn, cfg, create(old))
			ddlExec(t, conn, `INSERT INTO "`+db+`".t VALUES (1, 7, 4294967295, 'abc', 'x', 12345678.91, 1.5, '2020-01-01 10:00:00', B'1010', 3)`)
			nw := tyTable(db, "t",
				col("i", core.ColumnType{Name: "int"}, true, ""),
				col("u", core.ColumnType{Name: "bigint", Unsigned: true}, true, ""),
				col("v", core.ColumnType{Name: "varchar", Length: 20}, true, ""),
				col("v2", core.ColumnType{Name: "text"}, true, ""),
				col("d", core.ColumnType{Name: "decimal", Precision: 12, Scale: 4}, true, ""),
				col("f", core.ColumnType{Name: "double"}, true, ""),
				col("dt", core.ColumnType{Name: "datetime", FSP: 6}, true, ""),
				col("b", core.ColumnType{Name: "bit", Length: 8}, true, ""),
				col("same", core.ColumnType{Name: "mediumint"}, true, ""))
			ddlMust(t, conn, cfg, alter(old, nw))
			want := "id integer NOT NULL, i integer, u numeric(20,0), v character varying(20), v2 text, d numeric(12,4), f double precision, " +
				"dt timestamp(6) without time zone, b bit varying(8), same integer"
			if got := tyColumns(t, conn, db, "t"); got != want {
				t.Errorf("columns\n%s, want\n%s", got, want)
			}
			if got := ddlQuery(t, conn, `SELECT concat_ws('|', i, u, v, v2, d, f, dt, b, same) FROM "`+db+`".t`); got != "7|4294967295|abc|x|12345678.9100|1.5|2020-01-01 10:00:00|1010|3" {
				t.Errorf("row %s", got)
			}
		}},
		{"unsafe narrowing is refused with the fix, passes after it", nil, func(t *testing.T, cfg *Config, db string) {
			old := tyTable(db, "t", col("n", bigT, true, ""))
			ddlMust(t, conn, cfg, create(old))
			ddlExec(t, conn, `INSERT INTO "`+db+`".t VALUES (1, 42)`)
			ch := alter(old, setCol(old, "n", col("n", intT, true, "")))
			ch.Statement = "ALTER TABLE t MODIFY n INT"
			err := ddlApply(t, conn, cfg, ch)
			var ue *unsafeTypeChangeError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want an unsafeTypeChangeError", err)
			}
			fix := `ALTER TABLE "` + db + `"."t" ALTER COLUMN "n" TYPE integer USING "n"::integer;`
			for _, s := range []string{"ALTER TABLE t MODIFY n INT", `"` + db + `"."t"`, `"n"`, "bigint", "integer", "not a widening", fix, "restart"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message lacks %q:\n%s", s, err)
				}
			}
			if got := tyColumns(t, conn, db, "t"); got != "id integer NOT NULL, n bigint" {
				t.Errorf("refused change altered the table: %s", got)
			}
			ddlExec(t, conn, strings.TrimSuffix(fix, ";")) // what the user does
			ddlMust(t, conn, cfg, ch)
			if got := ddlQuery(t, conn, `SELECT n::text FROM "`+db+`".t`); got != "42" {
				t.Errorf("n = %s", got)
			}
		}},
		{"varchar narrowing and set to text are refused", nil, func(t *testing.T, cfg *Config, db string) {
			old := tyTable(db, "t", col("v", core.ColumnType{Name: "text"}, true, ""), col("st", core.ColumnType{Name: "set", Elems: []string{"a"}}, true, ""))
			ddlMust(t, conn, cfg, create(old))
			err := ddlApply(t, conn, cfg, alter(old, setCol(old, "v", col("v", vc10T, true, ""))))
			if err == nil || !strings.Contains(err.Error(), `TYPE character varying(10) USING "v"::character varying(10)`) {
				t.Errorf("err = %v", err)
			}
			err = ddlApply(t, conn, cfg, alter(old, setCol(old, "st", col("st", core.ColumnType{Name: "text"}, true, ""))))
			if err == nil || !strings.Contains(err.Error(), `USING array_to_string("st", ',')::text`) {
				t.Errorf("err = %v", err)
			}
		}},
		{"primary key changed, dropped, added", nil, func(t *testing.T, cfg *Config, db string) {
			old := setup(t, cfg, db)
			k2 := old.Clone()
			k2.Columns[2].Nullable = false
			k2.PrimaryKey = &core.Key{Name: "PRIMARY", Columns: []core.KeyColumn{{Name: "id"}, {Name: "s"}}}
			ddlMust(t, conn, cfg, alter(old, k2))
			if got := tyPK(t, conn, db, "t"); got != "id,s" {
				t.Errorf("pk %q, want id,s", got)
			}
			none := k2.Clone()
			none.PrimaryKey = nil
			ddlMust(t, conn, cfg, alter(k2, none))
			if got := tyPK(t, conn, db, "t"); got != "" {
				t.Errorf("pk %q, want none", got)
			}
			if got := tyColumns(t, conn, db, "t"); got != "id integer, n integer, s character varying(10)" {
				t.Errorf("columns %s (former key columns must accept NULL)", got)
			}
			uk := none.Clone()
			uk.Columns[1].Nullable = true
			uk.Columns[0].Nullable = false
			uk.UniqueKeys = []core.Key{{Name: "u", Columns: []core.KeyColumn{{Name: "id"}}}}
			ddlMust(t, conn, cfg, alter(none, uk))
			if got := tyPK(t, conn, db, "t"); got != "id" {
				t.Errorf("pk %q, want id (the unique key over NOT NULL columns)", got)
			}
		}},
		{"drop column under drop", nil, func(t *testing.T, cfg *Config, db string) {
			old := setup(t, cfg, db)
			nw := old.Clone()
			nw.Columns = nw.Columns[:2]
			ddlMust(t, conn, cfg, alter(old, nw))
			if got := tyColumns(t, conn, db, "t"); got != "id integer NOT NULL, n integer" {
				t.Errorf("columns %s", got)
			}
		}},
		{"drop column under keep", func(c *Config) { c.Schema.DropColumn = DropColumnKeep }, func(t *testing.T, cfg *Config, db string) {
			old := setup(t, cfg, db)
			ddlExec(t, conn, `ALTER TABLE "`+db+`".t ALTER COLUMN s SET NOT NULL`) // as if the user had
			nw := old.Clone()
			nw.Columns = nw.Columns[:2]
			ddlMust(t, conn, cfg, alter(old, nw))
			if got := tyColumns(t, conn, db, "t"); got != "id integer NOT NULL, n integer, s character varying(10)" {
				t.Errorf("columns %s", got)
			}
			if got := ddlQuery(t, conn, `SELECT string_agg(s, ',' ORDER BY id) FROM "`+db+`".t`); got != "a,b" {
				t.Errorf("kept values %s", got)
			}
		}},
		{"rename table within the database", nil, func(t *testing.T, cfg *Config, db string) {
			old := setup(t, cfg, db)
			nw := old.Clone()
			nw.Name = "renamed"
			ddlMust(t, conn, cfg, &core.SchemaChange{Kind: core.RenameTable, Old: old, New: nw, Database: db})
			if ddlExists(t, conn, db, "t") || ddlQuery(t, conn, `SELECT count(*)::text FROM "`+db+`".renamed`) != "2" {
				t.Errorf("not renamed")
			}
			ddlMust(t, conn, cfg, &core.SchemaChange{Kind: core.RenameTable, Old: old, New: nw, Database: db}) // again: nothing
		}},
		{"rename table across databases", nil, func(t *testing.T, cfg *Config, db string) {
			old := setup(t, cfg, db)
			nw := old.Clone()
			nw.Schema, nw.Name = db+"_other", "moved"
			ddlMust(t, conn, cfg, &core.SchemaChange{Kind: core.RenameTable, Old: old, New: nw, Database: db})
			if ddlExists(t, conn, db, "t") || ddlQuery(t, conn, `SELECT count(*)::text FROM "`+db+`_other".moved`) != "2" {
				t.Errorf("not moved")
			}
			// The same name in another database, when the old schema has
			// a table of that name already.
			o2 := base(db)
			o2.Name = "x"
			ddlMust(t, conn, cfg, create(o2))
			ddlExec(t, conn, `INSERT INTO "`+db+`".x (id) VALUES (7)`)
			ddlExec(t, conn, `CREATE TABLE "`+db+`".y (id int)`)
			n2 := o2.Clone()
			n2.Schema, n2.Name = db+"_other", "y"
			ddlMust(t, conn, cfg, &core.SchemaChange{Kind: core.RenameTable, Old: o2, New: n2, Database: db})
			if ddlQuery(t, conn, `SELECT string_agg(id::text, ',') FROM "`+db+`_other".y`) != "7" || !ddlExists(t, conn, db, "y") {
				t.Errorf("not moved")
			}
		}},
		{"rename of a table the target never had creates the new one", nil, func(t *testing.T, cfg *Config, db string) {
			old := base(db)
			nw := old.Clone()
			nw.Name = "fresh"
			ddlMust(t, conn, cfg, &core.SchemaChange{Kind: core.RenameTable, Old: old, New: nw, Database: db})
			if !ddlExists(t, conn, db, "fresh") || tyPK(t, conn, db, "fresh") != "id" {
				t.Errorf("not created")
			}
		}},
		{"alter of a table the target never had creates it", nil, func(t *testing.T, cfg *Config, db string) {
			old := base(db)
			ddlMust(t, conn, cfg, alter(old, with(old, col("extra", bigT, true, ""))))
			if got := tyColumns(t, conn, db, "t"); got != "id integer NOT NULL, n integer, s character varying(10), extra bigint" {
				t.Errorf("columns %s", got)
			}
		}},
		{"create keyless table under refuse", nil, func(t *testing.T, cfg *Config, db string) {
			tb := &core.Table{Schema: db, Name: "nokey", Columns: []core.Column{col("a", intT, true, "")}}
			ddlMust(t, conn, cfg, create(tb))
			if !ddlExists(t, conn, db, "nokey") || tyPK(t, conn, db, "nokey") != "" {
				t.Errorf("keyless table not created as is")
			}
		}},
		{"drop table under drop", nil, func(t *testing.T, cfg *Config, db string) {
			old := setup(t, cfg, db)
			for i := 0; i < 2; i++ {
				ddlMust(t, conn, cfg, &core.SchemaChange{Kind: core.DropTable, Old: old, Database: db})
			}
			if ddlExists(t, conn, db, "t") {
				t.Errorf("not dropped")
			}
		}},
		{"drop table under keep", func(c *Config) { c.Schema.DropTable = DropTableKeep }, func(t *testing.T, cfg *Config, db string) {
			old := setup(t, cfg, db)
			ddlMust(t, conn, cfg, &core.SchemaChange{Kind: core.DropTable, Old: old, Database: db})
			if ddlQuery(t, conn, `SELECT count(*)::text FROM "`+db+`".t`) != "2" {
				t.Errorf("rows not kept")
			}
		}},
		{"truncate under apply", nil, func(t *testing.T, cfg *Config, db string) {
			old := setup(t, cfg, db)
			ddlMust(t, conn, cfg, &core.SchemaChange{Kind: core.TruncateTable, Old: old, New: old, Database: db})
			if ddlQuery(t, conn, `SELECT count(*)::text FROM "`+db+`".t`) != "0" {
				t.Errorf("not truncated")
			}
		}},
		{"truncate under ignore", func(c *Config) { c.Schema.Truncate = TruncateIgnore }, func(t *testing.T, cfg *Config, db string) {
			old := setup(t, cfg, db)
			ddlMust(t, conn, cfg, &core.SchemaChange{Kind: core.TruncateTable, Old: old, New: old, Database: db})
			if ddlQuery(t, conn, `SELECT count(*)::text FROM "`+db+`".t`) != "2" {
				t.Errorf("truncated")
			}
		}},
		{"databases under drop", nil, func(t *testing.T, cfg *Config, db string) {
			ddlMust(t, conn, cfg, &core.SchemaChange{Kind: core.CreateDatabase, Database: db + "_new"})
			if ddlQuery(t, conn, `SELECT count(*)::text FROM pg_namespace WHERE nspname = '`+db+`_new'`) != "1" {
				t.Errorf("schema not created")
			}
			ddlMust(t, conn, cfg, &core.SchemaChange{Kind: core.AlterDatabase, Database: db + "_new"})
			setup(t, cfg, db+"_new")
			ddlMust(t, conn, cfg, &core.SchemaChange{Kind: core.DropDatabase, Database: db + "_new"})
			if ddlQuery(t, conn, `SELECT count(*)::text FROM pg_namespace WHERE nspname = '`+db+`_new'`) != "0" {
				t.Errorf("schema not dropped")
			}
		}},
		{"drop database under keep", func(c *Config) { c.Schema.DropTable = DropTableKeep }, func(t *testing.T, cfg *Config, db string) {
			setup(t, cfg, db)
			ddlMust(t, conn, cfg, &core.SchemaChange{Kind: core.DropDatabase, Database: db})
			if !ddlExists(t, conn, db, "t") {
				t.Errorf("dropped")
			}
		}},
		{"drop database with a shared target schema drops no schema", func(c *Config) { c.TargetSchema = "shared_{x}" }, func(t *testing.T, cfg *Config, db string) {
			ddlMust(t, conn, cfg, create(base(db)))
			ddlMust(t, conn, cfg, &core.SchemaChange{Kind: core.DropDatabase, Database: db})
			if !ddlExists(t, conn, "shared_{x}", "t") {
				t.Errorf("shared schema dropped")
			}
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := NewConfig("x")
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			tc.run(t, cfg, "ev"+string(rune('a'+i/26))+string(rune('a'+i%26)))
		})
	}
}

// TestWidens checks the widening rules on format_type strings.
func TestWidens(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		want     bool
	}{
		{"smallint", "integer", true}, {"integer", "bigint", true}, {"bigint", "integer", false},
		{"bigint", "numeric(20,0)", true}, {"bigint", "numeric(18,0)", false}, {"integer", "numeric(12,2)", true},
		{"numeric(10,2)", "numeric(12,4)", true}, {"numeric(10,2)", "numeric(10,4)", false}, {"numeric(10,2)", "numeric(12,1)", false},
		{"character varying(10)", "character varying(20)", true}, {"character varying(10)", "character varying(5)", false},
		{"character varying(10)", "text", true}, {"text", "character varying(10)", false},
		{"real", "double precision", true}, {"double precision", "real", false},
		{"timestamp(0) without time zone", "timestamp(6) without time zone", true},
		{"timestamp(6) with time zone", "timestamp(3) with time zone", false},
		{"interval(0)", "interval(6)", true}, {"bit varying(4)", "bit varying(8)", true}, {"bit varying(8)", "bit varying(4)", false},
		{"date", "timestamp(0) without time zone", true}, {"text", "jsonb", false}, {"text[]", "text", false},
	} {
		if got := widens(tc.from, tc.to); got != tc.want {
			t.Errorf("widens(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}
