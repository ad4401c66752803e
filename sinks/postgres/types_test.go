package postgres

import (
	"bytes"
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seed5aa6e046/syncer/core"
)

// The tests of types.go, encode.go and ddl.go use the package's shared
// PostgreSQL (testPostgres, sink_test.go).

// tyConn connects to the shared PostgreSQL with the session in UTC.
func tyConn(t *testing.T) *pgx.Conn {
	t.Helper()
	pg := testPostgres(t)
	ctx := context.Background()
	conn, err := pg.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, "SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	return conn
}

// tyCol makes a column.
func tyCol(name string, ct core.ColumnType) core.Column {
	return core.Column{Name: name, Type: ct, Nullable: true}
}

// tyTable makes db.name with an "id int" primary key first, then cols.
func tyTable(db, name string, cols ...core.Column) *core.Table {
	all := append([]core.Column{{Name: "id", Type: core.ColumnType{Name: "int"}}}, cols...)
	return &core.Table{Schema: db, Name: name, Columns: all, Version: 1,
		PrimaryKey: &core.Key{Name: "PRIMARY", Columns: []core.KeyColumn{{Name: "id"}}}}
}

// tyTx runs f in a transaction and commits it.
func tyTx(t *testing.T, conn *pgx.Conn, f func(tx pgx.Tx) error) error {
	t.Helper()
	ctx := context.Background()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback(ctx)
		return err
	}
	return tx.Commit(ctx)
}

// tyCopy encodes rows with appendCopy and COPYs them into p's table.
func tyCopy(t *testing.T, conn *pgx.Conn, p *tablePlan, rows [][]core.Value) {
	t.Helper()
	var buf []byte
	for _, row := range rows {
		for i, v := range row {
			if i > 0 {
				buf = append(buf, '\t')
			}
			var err error
			if buf, err = p.Columns[i].appendCopy(buf, v); err != nil {
				t.Fatalf("appendCopy(%s, %v): %v", p.Columns[i].Name, v, err)
			}
		}
		buf = append(buf, '\n')
	}
	cols := make([]string, len(p.Columns))
	for i := range p.Columns {
		cols[i] = quoteIdent(p.Columns[i].Name)
	}
	sql := "COPY " + p.ident() + " (" + strings.Join(cols, ", ") + ") FROM STDIN"
	if _, err := conn.PgConn().CopyFrom(context.Background(), bytes.NewReader(buf), sql); err != nil {
		t.Fatalf("%s: %v\ndata:\n%q", sql, err, buf)
	}
}

// tyNull marks an expected NULL.
type tyNull struct{}

// tyCase is one column type: values written, and what Postgres returns.
// A string want is compared with the column's ::text; another want is
// scanned into a variable of its type; tyNull{} expects NULL.
type tyCase struct {
	name   string
	ct     core.ColumnType
	bool1  bool // Config.TinyInt1AsBoolean
	pgType string
	vals   []core.Value
	want   []any
}

func u64s(s string) []byte { return []byte(s) }

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func civil(y, mo, d, h, mi, s, us int) core.Civil {
	return core.Civil{Year: y, Month: mo, Day: d, Hour: h, Minute: mi, Second: s, Microsecond: us}
}

func vec(fs ...float32) []byte {
	b := make([]byte, 0, 4*len(fs))
	for _, f := range fs {
		n := math.Float32bits(f)
		b = append(b, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	}
	return b
}

func tyCases() []tyCase {
	it := func(name string, unsigned bool) core.ColumnType {
		return core.ColumnType{Name: name, Unsigned: unsigned}
	}
	long := strings.Repeat("long \t line\n with \\ and 'quotes' \"dq\" é😀\r", 5000)
	tricky := "tab\there\nnewline\r\\backslash\\N 'single' \"double\" {braces} é 中文 😀 \x01\x7f"
	ts2038 := time.Date(2038, 1, 19, 3, 14, 7, 999999000, time.UTC)
	ts2100 := time.Date(2100, 6, 1, 12, 0, 0, 0, time.UTC)
	return []tyCase{
		{"tinyint", it("tinyint", false), false, "smallint",
			[]core.Value{core.IntValue(-128), core.IntValue(127), core.IntValue(0)}, []any{"-128", "127", "0"}},
		{"tinyint_unsigned", it("tinyint", true), false, "smallint",
			[]core.Value{core.UintValue(0), core.UintValue(255)}, []any{"0", "255"}},
		{"tinyint1_smallint", core.ColumnType{Name: "tinyint", Length: 1}, false, "smallint",
			[]core.Value{core.IntValue(0), core.IntValue(1), core.IntValue(-5)}, []any{"0", "1", "-5"}},
		{"tinyint1_bool", core.ColumnType{Name: "tinyint", Length: 1}, true, "boolean",
			[]core.Value{core.IntValue(0), core.IntValue(1), core.IntValue(-5), core.IntValue(127)}, []any{false, true, true, true}},
		{"smallint", it("smallint", false), false, "smallint",
			[]core.Value{core.IntValue(-32768), core.IntValue(32767)}, []any{"-32768", "32767"}},
		{"smallint_unsigned", it("smallint", true), false, "integer",
			[]core.Value{core.UintValue(65535), core.UintValue(0)}, []any{"65535", "0"}},
		{"mediumint", it("mediumint", false), false, "integer",
			[]core.Value{core.IntValue(-8388608), core.IntValue(8388607)}, []any{"-8388608", "8388607"}},
		{"mediumint_unsigned", it("mediumint", true), false, "integer",
			[]core.Value{core.UintValue(16777215)}, []any{"16777215"}},
		{"int", it("int", false), false, "integer",
			[]core.Value{core.IntValue(math.MinInt32), core.IntValue(math.MaxInt32)}, []any{int32(math.MinInt32), int32(math.MaxInt32)}},
		{"int_unsigned", it("int", true), false, "bigint",
			[]core.Value{core.UintValue(math.MaxUint32)}, []any{int64(math.MaxUint32)}},
		{"bigint", it("bigint", false), false, "bigint",
			[]core.Value{core.IntValue(math.MinInt64), core.IntValue(math.MaxInt64)}, []any{int64(math.MinInt64), int64(math.MaxInt64)}},
		{"bigint_unsigned", it("bigint", true), false, "numeric(20,0)",
			[]core.Value{core.UintValue(math.MaxUint64), core.UintValue(0), core.UintValue(1 << 63)},
			[]any{"18446744073709551615", "0", "9223372036854775808"}},
		{"decimal_65_0", core.ColumnType{Name: "decimal", Precision: 65}, false, "numeric(65,0)",
			[]core.Value{core.DecimalValue(u64s(strings.Repeat("9", 65))), core.DecimalValue(u64s("-" + strings.Repeat("9", 65))), core.DecimalValue(u64s("0"))},
			[]any{strings.Repeat("9", 65), "-" + strings.Repeat("9", 65), "0"}},
		{"decimal_65_30", core.ColumnType{Name: "decimal", Precision: 65, Scale: 30}, false, "numeric(65,30)",
			[]core.Value{core.DecimalValue(u64s("-" + strings.Repeat("1", 35) + "." + strings.Repeat("2", 30))),
				core.DecimalValue(u64s("0." + strings.Repeat("0", 29) + "1"))},
			[]any{"-" + strings.Repeat("1", 35) + "." + strings.Repeat("2", 30), "0." + strings.Repeat("0", 29) + "1"}},
		{"decimal_10_2", core.ColumnType{Name: "decimal", Precision: 10, Scale: 2}, false, "numeric(10,2)",
			[]core.Value{core.DecimalValue(u64s("-0.50")), core.DecimalValue(u64s("0.00")), core.DecimalValue(u64s("99999999.99"))},
			[]any{"-0.50", "0.00", "99999999.99"}},
		{"decimal_5_5", core.ColumnType{Name: "decimal", Precision: 5, Scale: 5}, false, "numeric(5,5)",
			[]core.Value{core.DecimalValue(u64s("-0.12345"))}, []any{"-0.12345"}},
		{"float", core.ColumnType{Name: "float"}, false, "real",
			[]core.Value{core.Float32Value(math.MaxFloat32), core.Float32Value(-math.MaxFloat32), core.Float32Value(math.SmallestNonzeroFloat32),
				core.Float32Value(1.17549435e-38), core.Float32Value(0.1), core.Float32Value(-1.5), core.Float32Value(16777217)},
			[]any{float32(math.MaxFloat32), float32(-math.MaxFloat32), float32(math.SmallestNonzeroFloat32),
				float32(1.17549435e-38), float32(0.1), float32(-1.5), float32(16777217)}},
		{"double", core.ColumnType{Name: "double"}, false, "double precision",
			[]core.Value{core.Float64Value(math.MaxFloat64), core.Float64Value(-math.MaxFloat64), core.Float64Value(math.SmallestNonzeroFloat64),
				core.Float64Value(2.2250738585072014e-308), core.Float64Value(0.1), core.Float64Value(1.0 / 3)},
			[]any{math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 2.2250738585072014e-308, 0.1, 1.0 / 3}},
		{"bit1", core.ColumnType{Name: "bit", Length: 1}, false, "bit varying(1)",
			[]core.Value{core.BitValue(0, 1), core.BitValue(1, 1)}, []any{"0", "1"}},
		{"bit8", core.ColumnType{Name: "bit", Length: 8}, false, "bit varying(8)",
			[]core.Value{core.BitValue(5, 8), core.BitValue(0xff, 8)}, []any{"00000101", "11111111"}},
		{"bit64", core.ColumnType{Name: "bit", Length: 64}, false, "bit varying(64)",
			[]core.Value{core.BitValue(math.MaxUint64, 64), core.BitValue(1<<63|1, 64)},
			[]any{strings.Repeat("1", 64), "1" + strings.Repeat("0", 62) + "1"}},
		{"year", core.ColumnType{Name: "year"}, false, "smallint",
			[]core.Value{core.YearValue(0), core.YearValue(1901), core.YearValue(2155)}, []any{"0", "1901", "2155"}},
		{"date", core.ColumnType{Name: "date"}, false, "date",
			[]core.Value{core.DateValue(civil(1000, 1, 1, 0, 0, 0, 0)), core.DateValue(civil(9999, 12, 31, 0, 0, 0, 0)),
				core.DateValue(civil(1, 1, 1, 0, 0, 0, 0)), core.DateValue(civil(2024, 2, 29, 0, 0, 0, 0))},
			[]any{"1000-01-01", "9999-12-31", "0001-01-01", "2024-02-29"}},
		{"datetime6", core.ColumnType{Name: "datetime", FSP: 6}, false, "timestamp(6) without time zone",
			[]core.Value{core.DateTimeValue(civil(9999, 12, 31, 23, 59, 59, 999999)), core.DateTimeValue(civil(1000, 1, 1, 0, 0, 0, 0)),
				core.DateTimeValue(civil(2001, 2, 3, 4, 5, 6, 7))},
			[]any{"9999-12-31 23:59:59.999999", "1000-01-01 00:00:00", "2001-02-03 04:05:06.000007"}},
		{"datetime0", core.ColumnType{Name: "datetime"}, false, "timestamp(0) without time zone",
			// An odd second: core once packed the second's low bit over
			// the microseconds' top bit.
			[]core.Value{core.DateTimeValue(civil(2020, 1, 2, 3, 4, 5, 0))}, []any{time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)}},
		{"timestamp6", core.ColumnType{Name: "timestamp", FSP: 6}, false, "timestamp(6) with time zone",
			[]core.Value{core.TimestampValue(0), core.TimestampValue(ts2038.UnixMicro()), core.TimestampValue(ts2100.UnixMicro()), core.TimestampValue(-1)},
			[]any{"1970-01-01 00:00:00+00", "2038-01-19 03:14:07.999999+00", ts2100, "1969-12-31 23:59:59.999999+00"}},
		{"timestamp0", core.ColumnType{Name: "timestamp"}, false, "timestamp(0) with time zone",
			[]core.Value{core.TimestampValue(2147483647 * 1e6)}, []any{"2038-01-19 03:14:07+00"}},
		{"time6", core.ColumnType{Name: "time", FSP: 6}, false, "interval(6)",
			[]core.Value{core.TimeValue(838*3600e6 + 59*60e6 + 59e6), core.TimeValue(-(838*3600e6 + 59*60e6 + 59e6)),
				core.TimeValue(-500000), core.TimeValue(25 * 3600e6), core.TimeValue(1000001), core.TimeValue(-(3600e6 + 250000)), core.TimeValue(0),
				core.TimeValue(838*3600e6 + 59*60e6 + 59e6 + 999999)},
			[]any{"838:59:59", "-838:59:59", "-00:00:00.5", "25:00:00", "00:00:01.000001", "-01:00:00.25", "00:00:00", "838:59:59.999999"}},
		{"time0", core.ColumnType{Name: "time"}, false, "interval(0)",
			[]core.Value{core.TimeValue(-(838*3600e6 + 59*60e6 + 59e6)), core.TimeValue(12*3600e6 + 34*60e6 + 56e6)},
			[]any{"-838:59:59", "12:34:56"}},
		{"varchar", core.ColumnType{Name: "varchar", Length: 200}, false, "character varying(200)",
			[]core.Value{core.StringValue([]byte{}), core.StringValue(u64s(tricky)), core.StringValue(u64s(strings.Repeat("é", 200)))},
			[]any{"", tricky, strings.Repeat("é", 200)}},
		{"char", core.ColumnType{Name: "char", Length: 3}, false, "character varying(3)",
			[]core.Value{core.StringValue(u64s("a\tb")), core.StringValue(u64s("😀😀😀"))}, []any{"a\tb", "😀😀😀"}},
		{"longtext", core.ColumnType{Name: "longtext"}, false, "text",
			[]core.Value{core.StringValue(u64s(long)), core.StringValue(u64s(`\N`)), core.StringValue(u64s(`\`))}, []any{long, `\N`, `\`}},
		{"tinytext", core.ColumnType{Name: "tinytext"}, false, "text",
			[]core.Value{core.StringValue(u64s("x"))}, []any{"x"}},
		{"blob", core.ColumnType{Name: "blob"}, false, "bytea",
			[]core.Value{core.BytesValue(allBytes()), core.BytesValue([]byte{}), core.BytesValue(u64s(`\x00\\`))},
			[]any{allBytes(), []byte{}, []byte(`\x00\\`)}},
		{"binary", core.ColumnType{Name: "binary", Length: 4}, false, "bytea",
			[]core.Value{core.BytesValue([]byte{0, 0, 1, 0})}, []any{[]byte{0, 0, 1, 0}}},
		{"varbinary", core.ColumnType{Name: "varbinary", Length: 300}, false, "bytea",
			[]core.Value{core.BytesValue(allBytes())}, []any{allBytes()}},
		{"enum", core.ColumnType{Name: "enum", Elems: []string{"", "a b", `é'"\`}}, false, "text",
			[]core.Value{core.EnumValue([]byte{}), core.EnumValue(u64s("a b")), core.EnumValue(u64s(`é'"\`))}, []any{"", "a b", `é'"\`}},
		{"set", core.ColumnType{Name: "set", Elems: []string{"a", `q"x`, "{b}", `back\slash`, "NULL", " sp ", "é😀", "t\tn\n"}}, false, "text[]",
			[]core.Value{core.SetValue([]byte{}), core.SetValue(u64s("a")), core.SetValue(u64s(`a,q"x,{b},back\slash,NULL, sp ,é😀,` + "t\tn\n"))},
			[]any{[]string{}, []string{"a"}, []string{"a", `q"x`, "{b}", `back\slash`, "NULL", " sp ", "é😀", "t\tn\n"}}},
		{"json", core.ColumnType{Name: "json"}, false, "jsonb",
			[]core.Value{core.JSONValue(u64s(`{"b":[1,2.5,{"c":null,"d":true}],"a":"é😀\n\t\\\"\u00e9"}`)), core.JSONValue(u64s(`[]`)),
				core.JSONValue(u64s(`"\\u0000 is text"`)), core.JSONValue(u64s(`12345678901234567890.5`))},
			[]any{`{"a": "é😀\n\t\\\"é", "b": [1, 2.5, {"c": null, "d": true}]}`, `[]`, `"\\u0000 is text"`, `12345678901234567890.5`}},
		{"json_mariadb", core.ColumnType{Name: "longtext", Charset: "utf8mb4", Collation: "utf8mb4_bin", JSON: true}, false, "jsonb",
			[]core.Value{core.JSONValue(u64s(`{"b": 1, "a": ["é", null]}`)), core.JSONValue(u64s(`"x"`))},
			[]any{`{"a": ["é", null], "b": 1}`, `"x"`}},
		{"json_checked_varchar", core.ColumnType{Name: "varchar", Length: 20, Charset: "latin1", Collation: "latin1_swedish_ci", JSON: true}, false, "jsonb",
			[]core.Value{core.JSONValue(u64s(`[1,2]`))}, []any{`[1, 2]`}},
		{"geometry", core.ColumnType{Name: "geometry"}, false, "bytea",
			[]core.Value{core.GeometryValue([]byte{0xe6, 0x10, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40})},
			[]any{[]byte{0xe6, 0x10, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40}}},
		{"point", core.ColumnType{Name: "point", SRID: 4326}, false, "bytea",
			[]core.Value{core.GeometryValue([]byte{0, 0, 0, 0, 1})}, []any{[]byte{0, 0, 0, 0, 1}}},
		{"vector", core.ColumnType{Name: "vector", Length: 4}, false, "real[]",
			[]core.Value{core.VectorValue(vec(1.5, -0.1, math.MaxFloat32, math.SmallestNonzeroFloat32)), core.VectorValue(vec())},
			[]any{[]float32{1.5, -0.1, math.MaxFloat32, math.SmallestNonzeroFloat32}, []float32{}}},
	}
}

// TestTypeRoundTrip plans a table per type, creates it with ensureTable,
// COPYs appendCopy's output into it (and a NULL) and reads every value
// back.
func TestTypeRoundTrip(t *testing.T) {
	conn := tyConn(t)
	ctx := context.Background()
	for _, tc := range tyCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := NewConfig("unused")
			cfg.TinyInt1AsBoolean = tc.bool1
			src := tyTable("types", tc.name, tyCol("v", tc.ct))
			p, err := planTable(cfg, src)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Columns[1].PGType; got != tc.pgType {
				t.Fatalf("PGType = %q, want %q", got, tc.pgType)
			}
			if err := tyTx(t, conn, func(tx pgx.Tx) error { return ensureTable(ctx, tx, cfg, p) }); err != nil {
				t.Fatal(err)
			}
			// The declared type is what format_type prints.
			var actual string
			if err := conn.QueryRow(ctx, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute
				WHERE attrelid = $1::regclass AND attname = 'v'`, p.ident()).Scan(&actual); err != nil {
				t.Fatal(err)
			}
			if actual != tc.pgType {
				t.Errorf("target column type %q, want %q", actual, tc.pgType)
			}
			var rows [][]core.Value
			for i, v := range tc.vals {
				rows = append(rows, []core.Value{core.IntValue(int64(i)), v})
			}
			rows = append(rows, []core.Value{core.IntValue(int64(len(tc.vals))), core.Null()})
			tyCopy(t, conn, p, rows)
			want := append(append([]any(nil), tc.want...), tyNull{})
			for i, w := range want {
				checkValue(t, conn, p, "v", i, w)
			}
		})
	}
}

// checkValue compares the value of column col in row id with want.
func checkValue(t *testing.T, conn *pgx.Conn, p *tablePlan, col string, id int, want any) {
	t.Helper()
	ctx := context.Background()
	q := func(expr string) string {
		return "SELECT " + expr + " FROM " + p.ident() + " WHERE id = $1"
	}
	c := quoteIdent(col)
	switch w := want.(type) {
	case tyNull:
		var isNull bool
		if err := conn.QueryRow(ctx, q(c+" IS NULL"), id).Scan(&isNull); err != nil {
			t.Fatal(err)
		}
		if !isNull {
			t.Errorf("row %d: not NULL", id)
		}
	case string:
		var got *string
		if err := conn.QueryRow(ctx, q(c+"::text"), id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got == nil || *got != w {
			t.Errorf("row %d: got %s, want %q", id, show(got), w)
		}
	default:
		dst := reflect.New(reflect.TypeOf(want))
		if err := conn.QueryRow(ctx, q(c), id).Scan(dst.Interface()); err != nil {
			t.Fatalf("row %d: scan into %T: %v", id, want, err)
		}
		got := dst.Elem().Interface()
		if wt, ok := want.(time.Time); ok {
			if !got.(time.Time).Equal(wt) {
				t.Errorf("row %d: got %v, want %v", id, got, wt)
			}
			return
		}
		if !reflect.DeepEqual(got, want) && !floatBitsEqual(got, want) {
			t.Errorf("row %d: got %#v, want %#v", id, got, want)
		}
	}
}

func floatBitsEqual(a, b any) bool {
	switch x := a.(type) {
	case float32:
		y, ok := b.(float32)
		return ok && math.Float32bits(x) == math.Float32bits(y)
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	}
	return false
}

func show(s *string) string {
	if s == nil {
		return "NULL"
	}
	if len(*s) > 300 {
		return strconvQuote((*s)[:300]) + "..."
	}
	return strconvQuote(*s)
}

func strconvQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// TestPlanTable checks names, keys and the keyless policy.
func TestPlanTable(t *testing.T) {
	nn := func(c core.Column) core.Column { c.Nullable = false; return c }
	a := tyCol("A", core.ColumnType{Name: "int"})
	b := tyCol("b", core.ColumnType{Name: "varchar", Length: 5})
	c := tyCol("c", core.ColumnType{Name: "int"})
	uk := func(cols ...string) core.Key {
		k := core.Key{Name: "uk"}
		for _, c := range cols {
			k.Columns = append(k.Columns, core.KeyColumn{Name: c})
		}
		return k
	}
	tests := []struct {
		name     string
		table    *core.Table
		keyless  KeylessPolicy
		schema   string
		wantKey  []int
		fullRow  bool
		keyError bool
	}{
		{"primary key", &core.Table{Schema: "Shop", Name: "Orders", Columns: []core.Column{nn(a), b},
			PrimaryKey: &core.Key{Name: "PRIMARY", Columns: []core.KeyColumn{{Name: "a"}}}}, "", "{database}", []int{0}, false, false},
		{"unique over not null", &core.Table{Schema: "s", Name: "t", Columns: []core.Column{a, nn(b), nn(c)},
			UniqueKeys: []core.Key{uk("a"), uk("c", "b")}}, "", "pre_{database}_x", []int{2, 1}, false, false},
		{"nullable unique only: refuse", &core.Table{Schema: "s", Name: "t", Columns: []core.Column{a, b},
			UniqueKeys: []core.Key{uk("a")}}, KeylessRefuse, "{database}", nil, false, true},
		{"no key: refuse by default", &core.Table{Schema: "s", Name: "t", Columns: []core.Column{a}}, "", "{database}", nil, false, true},
		{"no key: full row", &core.Table{Schema: "s", Name: "t", Columns: []core.Column{a}}, KeylessFullRow, "public", nil, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := NewConfig("x")
			cfg.Keyless = tc.keyless
			cfg.TargetSchema = tc.schema
			p, err := planTable(cfg, tc.table)
			var ke *keylessError
			if tc.keyError {
				if !errors.As(err, &ke) {
					t.Fatalf("err = %v, want a keylessError", err)
				}
				msg := err.Error()
				for _, s := range []string{tc.table.Schema + "." + tc.table.Name, "PRIMARY KEY", "UNIQUE key over NOT NULL", "full_row", "slow"} {
					if !strings.Contains(msg, s) {
						t.Errorf("message lacks %q: %s", s, msg)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Key, tc.wantKey) || p.FullRow != tc.fullRow {
				t.Errorf("Key %v FullRow %v, want %v %v", p.Key, p.FullRow, tc.wantKey, tc.fullRow)
			}
			wantSchema := strings.ReplaceAll(tc.schema, "{database}", tc.table.Schema)
			if p.Schema != wantSchema || p.Name != tc.table.Name {
				t.Errorf("target %s.%s, want %s.%s", p.Schema, p.Name, wantSchema, tc.table.Name)
			}
			if p.Columns[0].Name != "A" {
				t.Errorf("column name %q, want the exact source case", p.Columns[0].Name)
			}
			if got, want := p.ident(), quoteIdent(wantSchema)+"."+quoteIdent(tc.table.Name); got != want {
				t.Errorf("ident %s, want %s", got, want)
			}
		})
	}
	if got := quoteIdent(`we"ird Name`); got != `"we""ird Name"` {
		t.Errorf("quoteIdent = %s", got)
	}
	// A JSON column is jsonb whatever its Name, and carries JSON values:
	// a string is refused rather than written into jsonb.
	for _, ct := range []core.ColumnType{{Name: "json", JSON: true}, {Name: "json"}, {Name: "longtext", JSON: true}, {Name: "text", JSON: true}, {Name: "varchar", Length: 9, JSON: true}} {
		p, err := planTableKeyless(NewConfig("x"), tyTable("s", "t", tyCol("j", ct)))
		if err != nil {
			t.Fatal(err)
		}
		if c := p.Columns[1]; c.PGType != "jsonb" || c.kind != core.KindJSON || c.enc != encJSON {
			t.Errorf("%+v: %s kind %s", ct, c.PGType, c.kind)
		}
		if _, err := p.Columns[1].appendCopy(nil, core.StringValue([]byte("{}"))); err == nil {
			t.Errorf("%+v: a string accepted", ct)
		}
	}
	if p, _ := planTableKeyless(NewConfig("x"), tyTable("s", "t", tyCol("j", core.ColumnType{Name: "longtext"}))); p.Columns[1].PGType != "text" {
		t.Errorf("LONGTEXT without JSON is %s", p.Columns[1].PGType)
	}
	if _, err := planTable(NewConfig("x"), tyTable("s", "t", tyCol("g", core.ColumnType{Name: "nosuchtype"}))); err == nil ||
		!strings.Contains(err.Error(), "nosuchtype") {
		t.Errorf("unknown type: err = %v", err)
	}
}

// TestEnsureTableKeepsUserTable: an existing table is left as it is but
// gets the source columns it lacks.
func TestEnsureTableKeepsUserTable(t *testing.T) {
	conn := tyConn(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS usr; CREATE TABLE usr.t (id bigint PRIMARY KEY, extra text DEFAULT 'x');
		INSERT INTO usr.t (id) VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	cfg := NewConfig("x")
	p, err := planTable(cfg, tyTable("usr", "t", tyCol("Name", core.ColumnType{Name: "varchar", Length: 9})))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // idempotent
		if err := tyTx(t, conn, func(tx pgx.Tx) error { return ensureTable(ctx, tx, cfg, p) }); err != nil {
			t.Fatal(err)
		}
	}
	got := tyColumns(t, conn, "usr", "t")
	want := "id bigint NOT NULL, extra text, Name character varying(9)"
	if got != want {
		t.Errorf("columns %q, want %q", got, want)
	}
	var extra string
	if err := conn.QueryRow(ctx, `SELECT extra FROM usr.t WHERE id = 1`).Scan(&extra); err != nil || extra != "x" {
		t.Errorf("user's row: %q %v", extra, err)
	}
	// A new table gets the key as PRIMARY KEY, the key NOT NULL, nothing else.
	p2, _ := planTable(cfg, tyTable("usr", "fresh", tyCol("n", core.ColumnType{Name: "int"})))
	if err := tyTx(t, conn, func(tx pgx.Tx) error { return ensureTable(ctx, tx, cfg, p2) }); err != nil {
		t.Fatal(err)
	}
	if got, want := tyColumns(t, conn, "usr", "fresh"), "id integer NOT NULL, n integer"; got != want {
		t.Errorf("columns %q, want %q", got, want)
	}
	if got := tyPK(t, conn, "usr", "fresh"); got != "id" {
		t.Errorf("primary key %q, want id", got)
	}
}

// tyColumns describes a target table's columns: "name type [NOT NULL]".
func tyColumns(t *testing.T, conn *pgx.Conn, schema, table string) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute
		WHERE attrelid = (quote_ident($1) || '.' || quote_ident($2))::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, schema, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, typ string
		var nn bool
		if err := rows.Scan(&name, &typ, &nn); err != nil {
			t.Fatal(err)
		}
		s := name + " " + typ
		if nn {
			s += " NOT NULL"
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, ", ")
}

// tyPK returns the primary key's columns, comma-separated ("" for none).
func tyPK(t *testing.T, conn *pgx.Conn, schema, table string) string {
	t.Helper()
	var cols []string
	err := conn.QueryRow(context.Background(), `SELECT ARRAY(SELECT a.attname FROM pg_constraint con,
			unnest(con.conkey) WITH ORDINALITY k(attnum, ord), pg_attribute a
		WHERE con.conrelid = (quote_ident($1) || '.' || quote_ident($2))::regclass AND con.contype = 'p'
			AND a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[]`, schema, table).Scan(&cols)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(cols, ",")
}
