package snapshot

import (
	"bytes"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/test/harness"
)

// rdrKeyCase is a table whose key is paged through: its definition (a
// column n numbers the rows) and its rows' values, inserted with INSERT
// IGNORE so that values equal under the key's collation leave one row.
type rdrKeyCase struct {
	name, create string
	cols         string // the columns of values
	values       []string
	integer      bool   // IntegerKey
	first        string // the raw first key column of the first row, when given
}

var rdrKeyCases = []rdrKeyCase{
	{name: "int", create: "id INT PRIMARY KEY", cols: "id", integer: true,
		values: []string{"-2147483648", "-5", "-1", "0", "1", "2", "3", "10", "11", "99", "100", "2147483647"}},
	{name: "bigint_unsigned", create: "id BIGINT UNSIGNED PRIMARY KEY", cols: "id", integer: true,
		values: []string{"0", "1", "2", "9223372036854775807", "9223372036854775808", "18446744073709551614", "18446744073709551615"}, first: "0"},
	{name: "tinyint_zerofill", create: "id TINYINT(3) UNSIGNED ZEROFILL PRIMARY KEY", cols: "id", integer: true,
		values: []string{"0", "1", "7", "10", "99", "100", "255"}},
	{name: "varchar_general_ci", create: "s VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci PRIMARY KEY", cols: "s",
		values: []string{"'a'", "'A'", "'á'", "'Ab'", "'áB'", "'b'", "'B '", "'b  x'", "'b x'", "'ß'", "'s'", "'ss'", "'Z'", "''",
			"' a'", "'é'", "'E'", "'e1'", "'日本'", "'🎉'", "'😀'", "'a\\0'", "'a\\t'"}},
	{name: "varchar_bin", create: "s VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY", cols: "s",
		values: []string{"'a'", "'A'", "'á'", "'b'", "'B'", "'b '", "''", "'🎉'", "'😀'", "'~'"}},
	{name: "varchar_nopad", create: "s VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin PRIMARY KEY", cols: "s",
		values: []string{"'a'", "'a '", "'a  '", "'A'", "'b'", "''", "' '"}},
	{name: "varchar_latin1", create: "s VARCHAR(20) CHARACTER SET latin1 PRIMARY KEY", cols: "s",
		values: []string{"'a'", "'A'", "'å'", "'ä'", "'ö'", "'Ö'", "'z'", "'ü'", "'y'", "'€'", "'ß'", "'ss'", "'Ø'", "'æ'", "''"}},
	{name: "varchar_ucs2", create: "s VARCHAR(20) CHARACTER SET ucs2 PRIMARY KEY", cols: "s",
		values: []string{"'a'", "'B'", "'Ā'", "'ł'", "'€'", "'z'", "''"}},
	{name: "varchar_utf8mb3", create: "s VARCHAR(20) CHARACTER SET utf8mb3 PRIMARY KEY", cols: "s",
		values: []string{"'a'", "'B'", "'ä'", "'€'", "'z'", "''", "'日'"}},
	{name: "varchar_uca1400", create: "s VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_uca1400_ai_ci PRIMARY KEY", cols: "s",
		values: []string{"'a'", "'A'", "'á'", "'b'", "'ß'", "'ss'", "'Ø'", "'o'", "'🎉'", "'😀'", "''", "'z'"}},
	{name: "varchar_sjis", create: "s VARCHAR(20) CHARACTER SET sjis PRIMARY KEY", cols: "s",
		values: []string{"'a'", "'ｶ'", "'カ'", "'日本'", "'ー'", "'A'", "'z'"}},
	{name: "varchar_cp1251", create: "s VARCHAR(20) CHARACTER SET cp1251 PRIMARY KEY", cols: "s",
		values: []string{"'a'", "'Я'", "'я'", "'Ё'", "'е'", "'ж'", "'z'"}},
	{name: "char_nopad", create: "c CHAR(5) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin PRIMARY KEY", cols: "c",
		values: []string{"'a'", "'a '", "' a'", "'b'", "''", "'A'"}},
	{name: "weird_names", create: "`k é`` x` INT, `ORDER` VARCHAR(5), PRIMARY KEY (`k é`` x`, `ORDER`)", cols: "`k é`` x`, `ORDER`",
		values: []string{"1, 'a'", "1, 'b'", "2, 'a'", "0, 'z'"}},
	{name: "char", create: "c CHAR(5) CHARACTER SET utf8mb4 PRIMARY KEY", cols: "c",
		values: []string{"'a'", "'a b'", "'ab'", "'b'", "'B  '", "'  c'", "''", "'ä'"}},
	{name: "binary4", create: "b BINARY(4) PRIMARY KEY", cols: "b",
		values: []string{"x''", "x'00'", "x'0000ff'", "x'ff'", "x'61'", "x'6100'", "x'61000001'", "x'ffffffff'", "x'7f'", "x'80'"}},
	{name: "varbinary", create: "b VARBINARY(8) PRIMARY KEY", cols: "b",
		values: []string{"x''", "x'00'", "x'0000'", "x'ff'", "x'61'", "x'6100'", "x'20'", "x'2020'"}},
	{name: "decimal", create: "d DECIMAL(10,3) PRIMARY KEY", cols: "d",
		values: []string{"-9999999.999", "-1.5", "-0.001", "0", "0.001", "0.01", "1", "1.5", "10", "9999999.999"}},
	{name: "datetime6", create: "t DATETIME(6) PRIMARY KEY", cols: "t",
		values: []string{"'0000-00-00 00:00:00'", "'0000-00-00 00:00:00.000001'", "'2024-00-00 00:00:00'", "'2024-02-30 10:00:00.5'",
			"'2024-02-29 23:59:59.999999'", "'2024-03-01'", "'1000-01-01'", "'9999-12-31 23:59:59.999999'", "'2024-01-01 00:00:00.000001'"}, first: "0000-00-00 00:00:00.000000"},
	{name: "timestamp3", create: "t TIMESTAMP(3) PRIMARY KEY", cols: "t",
		values: []string{"'0000-00-00 00:00:00'", "'1970-01-01 00:00:01'", "'2024-03-31 01:30:00.001'", "'2038-01-19 03:14:07.999'", "'2000-01-01'"}},
	{name: "date", create: "d DATE PRIMARY KEY", cols: "d",
		values: []string{"'0000-00-00'", "'2024-00-00'", "'2024-02-30'", "'2024-02-29'", "'1000-01-01'", "'9999-12-31'"}},
	{name: "time", create: "t TIME(2) PRIMARY KEY", cols: "t",
		values: []string{"'-838:59:59'", "'-100:00:00.5'", "'-00:00:00.01'", "'00:00:00'", "'00:00:00.01'", "'09:00'", "'10:00'", "'99:00'", "'100:00'", "'838:59:59'"}, first: "-838:59:59.00"},
	{name: "year", create: "y YEAR PRIMARY KEY", cols: "y", values: []string{"0", "1901", "1999", "2000", "2155"}},
	{name: "bit", create: "b BIT(12) PRIMARY KEY", cols: "b", values: []string{"b'0'", "b'1'", "b'11111111'", "b'100000000'", "b'111111111111'", "b'10'"}},
	{name: "enum", create: "e ENUM('z','a','m','') PRIMARY KEY", cols: "e", values: []string{"'z'", "'a'", "'m'", "''", "'bogus'"}, first: "0"},
	{name: "composite_enum_int", create: "e ENUM('z','a','m','') NOT NULL, id INT, PRIMARY KEY (e, id)", cols: "e, id",
		values: []string{"'z', 1", "'z', 2", "'a', 1", "'m', 3", "'m', 1", "'', 1", "'', 2", "'bogus', 5", "'bogus', 1", "'a', 9", "'z', 0"}, first: "0"},
	{name: "uuid", create: "u UUID PRIMARY KEY", cols: "u",
		values: []string{"'6ccd780c-baba-1026-9564-5b8c656024db'", "'6ccd780c-baba-4026-9564-5b8c656024db'", "'00000000-0000-0000-0000-000000000001'",
			"'ffffffff-0000-1000-8000-000000000000'", "'00000001-0000-1000-8000-ffffffffffff'", "'00000002-0000-4000-8000-000000000000'"}},
	{name: "composite_int_varchar", create: "a INT, s VARCHAR(10) CHARACTER SET utf8mb4, PRIMARY KEY (a, s)", cols: "a, s",
		values: []string{"1, 'a'", "1, 'B'", "1, 'c'", "2, ''", "2, 'a'", "-1, 'z'", "3, 'x'", "3, 'y'", "3, 'Y '", "10, 'a'"}},
	{name: "composite_varchar_int", create: "s VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, a INT, PRIMARY KEY (s, a)", cols: "s, a",
		values: []string{"'a', 1", "'A', 2", "'á', 3", "'b', 1", "'b ', 2", "'B', 3", "'a', 0", "'c', -1", "'', 5"}},
	{name: "composite_three", create: "d DATE, s VARCHAR(10) CHARACTER SET latin1, u BIGINT UNSIGNED, PRIMARY KEY (d, s, u)", cols: "d, s, u",
		values: []string{"'2024-01-01', 'a', 1", "'2024-01-01', 'a', 2", "'2024-01-01', 'A', 3", "'2024-01-01', 'b', 0", "'2023-12-31', 'z', 18446744073709551615",
			"'2024-01-02', '', 5", "'2024-01-01', 'ä', 1", "'0000-00-00', 'a', 1", "'2024-01-01', 'a', 18446744073709551615"}},
	{name: "unique_not_null", create: "id INT, code VARCHAR(10) NOT NULL, other INT NULL, UNIQUE KEY nullable (other), UNIQUE KEY code_u (code)", cols: "code, other",
		values: []string{"'x', 1", "'y', NULL", "'a', NULL", "'B', 4", "'c', 5"}},
}

// Paging through each key type with small limits, each chunk after the
// KeyOf of the last row, reads every row exactly once in the server's ORDER
// BY order; bounded chunks (after, upto] read the same, and so do they
// with limits.
func TestChunkQueryPaging(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	db := m.DB()
	w := rdrConn(t, db)
	rdrRun(t, w, "CREATE DATABASE kp", "SET time_zone = '+00:00'")
	// Server settings that would change how the literals compare, which
	// SessionSetup must override.
	rdrRun(t, db, "SET GLOBAL sql_mode = 'PAD_CHAR_TO_FULL_LENGTH,ANSI_QUOTES,NO_BACKSLASH_ESCAPES,STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE'",
		"SET GLOBAL time_zone = 'SYSTEM'", "SET GLOBAL collation_connection = 'latin1_bin'")
	fresh, err := sql.Open("mysql", m.DSN()) // connections made after the SET GLOBAL
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	conn := rdrConn(t, fresh)
	for _, c := range rdrKeyCases {
		t.Run(c.name, func(t *testing.T) {
			rdrRun(t, w, "CREATE TABLE kp."+c.name+" ("+c.create+", n INT NOT NULL AUTO_INCREMENT, UNIQUE KEY n_u (n))")
			for _, v := range c.values {
				rdrRun(t, w, "INSERT IGNORE INTO kp."+c.name+" ("+c.cols+") VALUES ("+v+")")
			}
			r, err := NewTableReader(rdrTable(t, db, "kp", c.name))
			if err != nil {
				t.Fatal(err)
			}
			if !r.Keyed() {
				t.Fatalf("keyless: %s", r.KeylessReason())
			}
			if r.IntegerKey() != c.integer {
				t.Errorf("IntegerKey %v", r.IntegerKey())
			}
			want := rdrServerOrder(t, conn, r)
			if len(want) < 4 {
				t.Fatalf("only %d rows", len(want))
			}
			if c.first != "" && string(want[0].key[0]) != c.first {
				t.Fatalf("first key %q, want %q", want[0].key[0], c.first)
			}
			all, _ := rdrRead(t, conn, r, r.ChunkQuery(nil, nil, 0))
			rdrSameRows(t, "unbounded", r, all, want)
			for _, limit := range []int{1, 2, 3} {
				rdrSameRows(t, fmt.Sprintf("limit %d", limit), r, rdrPage(t, conn, r, nil, nil, limit, len(want)), want)
			}
			// Bounds at every third row: (nil, k2], (k2, k5], ..., (kn, nil].
			var bounds []Key
			bounds = append(bounds, nil)
			for i := 2; i < len(want)-1; i += 3 {
				bounds = append(bounds, want[i].key)
			}
			bounds = append(bounds, nil)
			var bounded, boundedPaged [][]core.Value
			for i := 0; i+1 < len(bounds); i++ {
				rows, _ := rdrRead(t, conn, r, r.ChunkQuery(bounds[i], bounds[i+1], 0))
				bounded = append(bounded, rows...)
				boundedPaged = append(boundedPaged, rdrPage(t, conn, r, bounds[i], bounds[i+1], 2, len(want))...)
			}
			rdrSameRows(t, "bounded", r, bounded, want)
			rdrSameRows(t, "bounded, limit 2", r, boundedPaged, want)
			// Empty ranges: (k, k] and after the last.
			if rows, _ := rdrRead(t, conn, r, r.ChunkQuery(want[1].key, want[1].key, 0)); len(rows) != 0 {
				t.Errorf("(k, k] read %d rows", len(rows))
			}
			if rows, _ := rdrRead(t, conn, r, r.ChunkQuery(want[len(want)-1].key, nil, 5)); len(rows) != 0 {
				t.Errorf("after the last key: %d rows", len(rows))
			}
			rdrCheckPlan(t, conn, r, want[1].key, want[len(want)-2].key)
			if c.integer {
				rdrCheckMinMax(t, conn, r, want)
			}
		})
	}
}

// rdrKeyed is a row in the server's key order: its key and its n.
type rdrKeyed struct {
	key Key
	n   int64
}

// rdrServerOrder reads the key columns and n with the server's own ORDER
// BY of the key, without the reader's queries.
func rdrServerOrder(t *testing.T, conn *sql.Conn, r *TableReader) []rdrKeyed {
	t.Helper()
	var names []string
	for _, i := range r.KeyColumns() {
		names = append(names, r.cols[i].expr)
	}
	q := "SELECT " + strings.Join(names, ", ") + ", n FROM " + r.from + " IGNORE INDEX (n_u) ORDER BY " + strings.Join(rdrKeyNames(r), ", ")
	rows, err := conn.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []rdrKeyed
	for rows.Next() {
		raw := make([]sql.RawBytes, len(names))
		var n int64
		ptrs := []any{}
		for i := range raw {
			ptrs = append(ptrs, &raw[i])
		}
		if err := rows.Scan(append(ptrs, &n)...); err != nil {
			t.Fatal(err)
		}
		k := make(Key, len(raw))
		for i := range raw {
			k[i] = bytes.Clone(raw[i])
		}
		out = append(out, rdrKeyed{k, n})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func rdrKeyNames(r *TableReader) []string {
	var names []string
	for _, i := range r.KeyColumns() {
		names = append(names, sqlQuoteIdent(r.Table().Columns[i].Name))
	}
	return names
}

// rdrPage reads (after, upto] in chunks of limit rows, each after the
// KeyOf of the previous chunk's last row, carried through Strings and
// KeyFromStrings as a checkpoint would.
func rdrPage(t *testing.T, conn *sql.Conn, r *TableReader, after, upto Key, limit, most int) [][]core.Value {
	t.Helper()
	var out [][]core.Value
	for range most + 2 {
		rows, keys := rdrRead(t, conn, r, r.ChunkQuery(after, upto, limit))
		out = append(out, rows...)
		if len(rows) < limit {
			return out
		}
		k, err := KeyFromStrings(keys[len(keys)-1].Strings())
		if err != nil {
			t.Fatal(err)
		}
		if err := r.CheckKey(k); err != nil {
			t.Fatal(err)
		}
		after = k
	}
	t.Fatalf("more than %d chunks of %d rows for %d rows", most+2, limit, most)
	return nil
}

// rdrSameRows requires rows to be want's rows, in order, by n.
func rdrSameRows(t *testing.T, what string, r *TableReader, rows [][]core.Value, want []rdrKeyed) {
	t.Helper()
	ni := r.Table().ColumnIndex("n")
	var got, exp []int64
	for _, row := range rows {
		got = append(got, row[ni].Int())
	}
	for _, w := range want {
		exp = append(exp, w.n)
	}
	if !slices.Equal(got, exp) {
		t.Errorf("%s: rows (by n) %v, want %v", what, got, exp)
	}
}

// rdrCheckPlan requires a bounded chunk to read the key's index as a
// range, without sorting.
func rdrCheckPlan(t *testing.T, conn *sql.Conn, r *TableReader, after, upto Key) {
	t.Helper()
	q := r.ChunkQuery(after, upto, 3)
	rows, err := conn.QueryContext(t.Context(), "EXPLAIN "+q)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for rows.Next() {
		raw := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		plan := map[string]string{}
		for i, c := range cols {
			plan[c] = string(raw[i])
		}
		if plan["type"] != "range" || plan["key"] != r.KeyIndex() || strings.Contains(plan["Extra"], "filesort") {
			t.Errorf("plan of %s: %v", q, plan)
		}
	}
}

// rdrCheckMinMax requires MinMaxQuery's results to be the first and the
// last key.
func rdrCheckMinMax(t *testing.T, conn *sql.Conn, r *TableReader, want []rdrKeyed) {
	t.Helper()
	var lo, hi []byte
	if err := conn.QueryRowContext(t.Context(), r.MinMaxQuery()).Scan(&lo, &hi); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(lo, want[0].key[0]) || !bytes.Equal(hi, want[len(want)-1].key[0]) {
		t.Errorf("MinMaxQuery: %q, %q; want %q, %q", lo, hi, want[0].key[0], want[len(want)-1].key[0])
	}
}

// Tables without a key they can be read by are keyless, with the reason,
// and read whole in one query.
func TestTableReaderKeyless(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	db := m.DB()
	w := rdrConn(t, db)
	rdrRun(t, w, "CREATE DATABASE kl")
	cases := []struct {
		name, create, reason string
		index                string // the key picked, "" for keyless
	}{
		{"nokey", "a INT, b TEXT", "no primary key and no unique key", ""},
		{"nullable", "a INT NULL, b INT, UNIQUE KEY ua (a)", "unique key ua has column a, which may be NULL", ""},
		{"prefix", "s VARCHAR(100) NOT NULL, PRIMARY KEY (s(10))", "the primary key indexes a prefix of column s", ""},
		{"float", "f FLOAT NOT NULL PRIMARY KEY", "column f: an approximate number", ""},
		{"double", "f DOUBLE NOT NULL, g INT NULL, UNIQUE KEY uf (f), UNIQUE KEY ug (g)", "unique key ug has column g, which may be NULL", ""},
		{"text", "t TEXT NOT NULL, UNIQUE KEY ut (t)", "unique key ut has column t: TEXT", ""},
		{"set", "s SET('a','b') NOT NULL PRIMARY KEY", "column s: a SET", ""},
		{"blob", "t BLOB NOT NULL, UNIQUE KEY ut (t(20))", "unique key ut indexes a prefix of column t", ""},
		{"prefix_then_unique", "s VARCHAR(100) NOT NULL, c INT NOT NULL, PRIMARY KEY (s(10)), UNIQUE KEY uc (c)", "", "uc"},
		{"nullable_then_unique", "a INT NULL, c INT NOT NULL, UNIQUE KEY ua (a), UNIQUE KEY uc (c)", "", "uc"},
	}
	conn := rdrConn(t, db)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rdrRun(t, w, "CREATE TABLE kl."+c.name+" ("+c.create+")")
			tbl := rdrTable(t, db, "kl", c.name)
			r, err := NewTableReader(tbl)
			if err != nil {
				t.Fatal(err)
			}
			if c.index != "" {
				if !r.Keyed() || r.KeyIndex() != c.index || r.KeylessReason() != "" {
					t.Errorf("keyed %v by %q (%q), want by %s", r.Keyed(), r.KeyIndex(), r.KeylessReason(), c.index)
				}
				return
			}
			if r.Keyed() || r.KeyColumns() != nil || r.IntegerKey() || r.MinMaxQuery() != "" {
				t.Fatalf("keyed by %s", r.KeyIndex())
			}
			if !strings.Contains(r.KeylessReason(), c.reason) {
				t.Errorf("reason %q, want it to say %q", r.KeylessReason(), c.reason)
			}
			q := r.ChunkQuery(Key{[]byte("1")}, Key{[]byte("2")}, 2)
			if q != "SELECT "+r.SelectList()+" FROM `kl`.`"+c.name+"`" {
				t.Errorf("keyless query %s", q)
			}
			if r.KeyOf(make([]sql.RawBytes, len(tbl.Columns))) != nil {
				t.Error("KeyOf of a keyless table")
			}
			if r.CheckKey(Key{[]byte("1")}) == nil {
				t.Error("CheckKey of a keyless table")
			}
		})
	}
	// A keyless table is read whole, duplicates and NULLs included.
	rdrRun(t, w, "INSERT INTO kl.nokey VALUES (1, 'a'), (1, 'a'), (NULL, NULL), (2, REPEAT('é', 3000))")
	r, err := NewTableReader(rdrTable(t, db, "kl", "nokey"))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := rdrRead(t, conn, r, r.ChunkQuery(nil, nil, 0))
	var got []string
	for _, row := range rows {
		got = append(got, rdrShow(row[0])+" "+fmt.Sprint(len(row[1].Bytes())))
	}
	slices.Sort(got)
	if want := []string{"int:1 1", "int:1 1", "int:2 6000", "null:NULL 0"}; !slices.Equal(got, want) {
		t.Errorf("keyless rows %q, want %q", got, want)
	}
}

func rdrSmallTable() *core.Table {
	return &core.Table{Schema: "db", Name: "t`x", Columns: []core.Column{
		{Name: "a", Type: core.ColumnType{Name: "int"}},
		{Name: "s", Type: core.ColumnType{Name: "varchar", Length: 10, Charset: "latin1", Collation: "latin1_german1_ci"}},
		{Name: "e", Type: core.ColumnType{Name: "enum", Elems: []string{"x", "y", "z"}}},
		{Name: "f", Type: core.ColumnType{Name: "float"}, Nullable: true},
	}, PrimaryKey: &core.Key{Name: "PRIMARY", Columns: []core.KeyColumn{{Name: "a"}, {Name: "s"}, {Name: "e"}}}}
}

// The text of chunk queries: the expanded comparisons, literals in the
// column's collation, ENUM index lists, and keys that are no literals.
func TestChunkQueryText(t *testing.T) {
	r, err := NewTableReader(rdrSmallTable())
	if err != nil {
		t.Fatal(err)
	}
	const sel = "SELECT `a`, `s`, (`e` + 0), (`f` + 0e0) FROM `db`.`t``x` FORCE INDEX (`PRIMARY`)"
	for _, c := range []struct {
		after, upto Key
		limit       int
		want        string
	}{
		{nil, nil, 0, sel + " ORDER BY `a`, `s`, `e`"},
		{Key{[]byte("5"), []byte("ab"), []byte("2")}, nil, 100, sel +
			" WHERE (`a` > 5 OR (`a` = 5 AND (`s` > _latin1 X'6162' COLLATE latin1_german1_ci OR (`s` = _latin1 X'6162' COLLATE latin1_german1_ci AND (`e` IN (3))))))" +
			" ORDER BY `a`, `s`, `e` LIMIT 100"},
		{Key{[]byte("-5"), []byte(""), []byte("3")}, Key{[]byte("9"), []byte("\xe4"), []byte("0")}, 2, sel +
			" WHERE (`a` > -5 OR (`a` = -5 AND (`s` > _latin1 X'' COLLATE latin1_german1_ci OR (`s` = _latin1 X'' COLLATE latin1_german1_ci AND (FALSE)))))" +
			" AND (`a` < 9 OR (`a` = 9 AND (`s` < _latin1 X'E4' COLLATE latin1_german1_ci OR (`s` = _latin1 X'E4' COLLATE latin1_german1_ci AND (`e` IN (0))))))" +
			" ORDER BY `a`, `s`, `e` LIMIT 2"},
		{Key{[]byte("1 OR 1=1"), []byte("x"), []byte("9")}, nil, 0, sel +
			" WHERE (`a` > `invalid key value for column a` OR (`a` = `invalid key value for column a` AND (`s` > _latin1 X'78' COLLATE latin1_german1_ci OR (`s` = _latin1 X'78' COLLATE latin1_german1_ci AND (`e` > `invalid key value for column e`)))))" +
			" ORDER BY `a`, `s`, `e`"},
		{Key{[]byte("1")}, nil, 0, sel +
			" WHERE (`a` > `invalid key value for column a` OR (`a` = `invalid key value for column a` AND (`s` > `invalid key value for column s` OR (`s` = `invalid key value for column s` AND (`e` > `invalid key value for column e`)))))" +
			" ORDER BY `a`, `s`, `e`"},
	} {
		if got := r.ChunkQuery(c.after, c.upto, c.limit); got != c.want {
			t.Errorf("ChunkQuery(%q, %q, %d):\n got %s\nwant %s", c.after, c.upto, c.limit, got, c.want)
		}
	}
	if err := r.CheckKey(Key{[]byte("5"), []byte("ab"), []byte("2")}); err != nil {
		t.Error(err)
	}
	for _, k := range []Key{nil, {[]byte("5")}, {[]byte("5"), []byte("a"), []byte("4")}, {[]byte("x"), []byte("a"), []byte("1")},
		{[]byte("5"), nil, []byte("1")}, {[]byte("5"), []byte("a"), []byte("-1")}} {
		if err := r.CheckKey(k); err == nil {
			t.Errorf("CheckKey(%q) accepted", k)
		}
	}
	if r.MinMaxQuery() != "" || r.IntegerKey() {
		t.Error("a composite key is no integer key")
	}
	raw := []sql.RawBytes{[]byte("7"), []byte("q"), []byte("1"), nil}
	k := r.KeyOf(raw)
	raw[1][0] = 'z'
	if len(k) != 3 || string(k[0]) != "7" || string(k[1]) != "q" || string(k[2]) != "1" {
		t.Errorf("KeyOf %q", k)
	}
}

// Keys survive a checkpoint's JSON strings, empty values and bytes that
// are not UTF-8 included.
func TestKeyStringsRoundTrip(t *testing.T) {
	for _, k := range []Key{nil, {}, {[]byte{}}, {[]byte("1"), []byte("\xff\x00 é"), []byte{}}} {
		s := k.Strings()
		got, err := KeyFromStrings(s)
		if err != nil {
			t.Fatal(err)
		}
		if (got == nil) != (k == nil) || len(got) != len(k) {
			t.Fatalf("%q → %q → %q", k, s, got)
		}
		for i := range k {
			if !bytes.Equal(got[i], k[i]) || got[i] == nil {
				t.Errorf("%q → %q → %q", k, s, got)
			}
		}
	}
	if _, err := KeyFromStrings([]string{"not base64!"}); err == nil {
		t.Error("KeyFromStrings accepted bad base64")
	}
}
