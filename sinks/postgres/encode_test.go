package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/seed5aa6e046/syncer/core"
)

// TestValuePolicies checks what each policy stores for values Postgres
// cannot hold, in the COPY text and, stored, in a real Postgres.
func TestValuePolicies(t *testing.T) {
	zeroDate := core.DateValue(core.Civil{})
	zeroDT := core.DateTimeValue(core.Civil{})
	zeroTS := core.ZeroTimestampValue()
	feb30 := core.DateValue(civil(2021, 2, 30, 0, 0, 0, 0))
	year0 := core.DateTimeValue(civil(0, 1, 1, 10, 0, 0, 0))
	month0 := core.DateValue(civil(2020, 0, 5, 0, 0, 0, 0))
	nulText := core.StringValue([]byte("a\x00b\tc"))
	nulEnum := core.EnumValue([]byte("x\x00"))
	nulSet := core.SetValue([]byte("a\x00,b"))
	nulJSON := core.JSONValue([]byte(`{"k":"x\u0000y","raw":"\\u0000"}`))
	date := core.ColumnType{Name: "date"}
	dt := core.ColumnType{Name: "datetime", FSP: 0}
	ts := core.ColumnType{Name: "timestamp"}
	text := core.ColumnType{Name: "text"}
	enum := core.ColumnType{Name: "enum", Elems: []string{"x\x00"}}
	set := core.ColumnType{Name: "set", Elems: []string{"a\x00", "b"}}
	js := core.ColumnType{Name: "json"}

	tests := []struct {
		name   string
		ct     core.ColumnType
		pol    ValuePolicies
		v      core.Value
		copy   string // the COPY text; "" when an error is expected
		stored string // ::text read back from Postgres, "NULL" for NULL
		errKey string // the policy key the error names
	}{
		{"zero date null", date, ValuePolicies{ZeroDate: DateNull}, zeroDate, `\N`, "NULL", ""},
		{"zero date infinity", date, ValuePolicies{ZeroDate: DateInfinity}, zeroDate, "infinity", "infinity", ""},
		{"zero date -infinity", date, ValuePolicies{ZeroDate: DateNegInfinity}, zeroDate, "-infinity", "-infinity", ""},
		{"zero date error", date, ValuePolicies{ZeroDate: DateError}, zeroDate, "", "", "zero_date"},
		{"zero datetime infinity", dt, ValuePolicies{ZeroDate: DateInfinity}, zeroDT, "infinity", "infinity", ""},
		{"zero datetime error", dt, ValuePolicies{ZeroDate: DateError}, zeroDT, "", "", "zero_date"},
		{"zero timestamp -infinity", ts, ValuePolicies{ZeroDate: DateNegInfinity}, zeroTS, "-infinity", "-infinity", ""},
		{"zero timestamp null", ts, ValuePolicies{ZeroDate: DateNull}, zeroTS, `\N`, "NULL", ""},
		{"zero timestamp error", ts, ValuePolicies{ZeroDate: DateError}, zeroTS, "", "", "zero_date"},
		{"feb 30 error", date, ValuePolicies{InvalidDate: DateError, ZeroDate: DateNull}, feb30, "", "", "invalid_date"},
		{"feb 30 null", date, ValuePolicies{InvalidDate: DateNull}, feb30, `\N`, "NULL", ""},
		{"year 0 infinity", dt, ValuePolicies{InvalidDate: DateInfinity}, year0, "infinity", "infinity", ""},
		{"month 0 -infinity", date, ValuePolicies{InvalidDate: DateNegInfinity}, month0, "-infinity", "-infinity", ""},
		{"month 0 error", date, ValuePolicies{InvalidDate: DateError}, month0, "", "", "invalid_date"},
		{"nul text strip", text, ValuePolicies{NulInText: NulStrip}, nulText, `ab\tc`, "ab\tc", ""},
		{"nul text replace", text, ValuePolicies{NulInText: NulReplace}, nulText, "a\uFFFDb\\tc", "a\uFFFDb\tc", ""},
		{"nul text error", text, ValuePolicies{NulInText: NulError}, nulText, "", "", "nul_in_text"},
		{"nul enum strip", enum, ValuePolicies{NulInText: NulStrip}, nulEnum, "x", "x", ""},
		{"nul enum error", enum, ValuePolicies{NulInText: NulError}, nulEnum, "", "", "nul_in_text"},
		{"nul set strip", set, ValuePolicies{NulInText: NulStrip}, nulSet, `{"a","b"}`, `{a,b}`, ""},
		{"nul set replace", set, ValuePolicies{NulInText: NulReplace}, nulSet, "{\"a\uFFFD\",\"b\"}", "{a\uFFFD,b}", ""},
		{"nul set error", set, ValuePolicies{NulInText: NulError}, nulSet, "", "", "nul_in_text"},
		{"nul json strip", js, ValuePolicies{NulInText: NulStrip}, nulJSON, `{"k":"xy","raw":"\\\\u0000"}`, `{"k": "xy", "raw": "\\u0000"}`, ""},
		{"nul json replace", js, ValuePolicies{NulInText: NulReplace}, nulJSON, `{"k":"x\\ufffdy","raw":"\\\\u0000"}`, "{\"k\": \"x\uFFFDy\", \"raw\": \"\\\\u0000\"}", ""},
		{"nul json error", js, ValuePolicies{NulInText: NulError}, nulJSON, "", "", "nul_in_text"},
		{"raw nul in json strip", js, ValuePolicies{NulInText: NulStrip}, core.JSONValue([]byte("\"a\x00b\"")), `"ab"`, `"ab"`, ""},
	}
	conn := tyConn(t)
	ctx := context.Background()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := NewConfig("x")
			cfg.Values = tc.pol
			p, err := planTable(cfg, tyTable("policies", "t"+string(rune('a'+i)), tyCol("v", tc.ct)))
			if err != nil {
				t.Fatal(err)
			}
			c := &p.Columns[1]
			got, err := c.appendCopy([]byte("prefix|"), tc.v)
			if tc.errKey != "" {
				var ve *ValueError
				if !errors.As(err, &ve) {
					t.Fatalf("err = %v, want a *ValueError", err)
				}
				if ve.Table != "policies."+p.Name || ve.Column != "v" || ve.Value == "" || ve.Reason == "" ||
					!strings.Contains(ve.Hint, "policies."+tc.errKey) || !strings.Contains(ve.Hint, "policies.columns") ||
					!strings.Contains(ve.Hint, "policies."+p.Name+".v") {
					t.Errorf("ValueError %+v", ve)
				}
				msg := err.Error()
				for _, s := range []string{ve.Table, ve.Column, ve.Value, tc.errKey} {
					if !strings.Contains(msg, s) {
						t.Errorf("message lacks %q: %s", s, msg)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "prefix|"+tc.copy {
				t.Errorf("COPY text %q, want %q", got, "prefix|"+tc.copy)
			}
			if err := tyTx(t, conn, func(tx pgx.Tx) error { return ensureTable(ctx, tx, cfg, p) }); err != nil {
				t.Fatal(err)
			}
			tyCopy(t, conn, p, [][]core.Value{{core.IntValue(1), tc.v}})
			var want any = tc.stored
			if tc.stored == "NULL" {
				want = tyNull{}
			}
			checkValue(t, conn, p, "v", 1, want)
		})
	}
}

// TestColumnPolicyOverride: a policies.columns entry wins over the
// pipeline's policy, for the columns it matches only.
func TestColumnPolicyOverride(t *testing.T) {
	cfg := NewConfig("x")
	cfg.Values.ZeroDate = DateError
	cfg.Columns = []ColumnPolicies{
		{Match: "shop.orders.shipped*", ValuePolicies: ValuePolicies{ZeroDate: DateInfinity}},
		{Match: "shop.*.*", ValuePolicies: ValuePolicies{NulInText: NulStrip}},
	}
	p, err := planTable(cfg, tyTable("shop", "orders",
		tyCol("shipped_at", core.ColumnType{Name: "date"}),
		tyCol("created_at", core.ColumnType{Name: "date"}),
		tyCol("note", core.ColumnType{Name: "text"})))
	if err != nil {
		t.Fatal(err)
	}
	zero := core.DateValue(core.Civil{})
	if got, err := p.Columns[1].appendCopy(nil, zero); err != nil || string(got) != "infinity" {
		t.Errorf("shipped_at: %q %v, want infinity", got, err)
	}
	var ve *ValueError
	if _, err := p.Columns[2].appendCopy(nil, zero); !errors.As(err, &ve) || ve.Column != "created_at" {
		t.Errorf("created_at: err = %v, want the pipeline's error policy", err)
	}
	// The first match wins: note matches only the second entry.
	if got, err := p.Columns[3].appendCopy(nil, core.StringValue([]byte("a\x00"))); err != nil || string(got) != "a" {
		t.Errorf("note: %q %v, want a", got, err)
	}
}

// TestKindMismatch: a value of the wrong kind is a bug, named as such.
func TestKindMismatch(t *testing.T) {
	p, err := planTable(NewConfig("x"), tyTable("db", "t", tyCol("n", core.ColumnType{Name: "int"})))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Columns[1].appendCopy(nil, core.StringValue([]byte("1")))
	if err == nil || !strings.Contains(err.Error(), "db.t") || !strings.Contains(err.Error(), "column n") ||
		!strings.Contains(err.Error(), "string") || !strings.Contains(err.Error(), "int") {
		t.Errorf("err = %v", err)
	}
}

// TestCopyEscaping checks the COPY text of awkward strings and bytes.
func TestCopyEscaping(t *testing.T) {
	p, err := planTable(NewConfig("x"), tyTable("db", "t",
		tyCol("s", core.ColumnType{Name: "text"}), tyCol("b", core.ColumnType{Name: "blob"}),
		tyCol("set", core.ColumnType{Name: "set"}), tyCol("vec", core.ColumnType{Name: "vector"})))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		col  int
		v    core.Value
		want string
	}{
		{1, core.StringValue([]byte("a\\b\nc\rd\te")), `a\\b\nc\rd\te`},
		{1, core.StringValue([]byte(`\N`)), `\\N`},
		{1, core.Null(), `\N`},
		{2, core.BytesValue([]byte{0, 0xff, '\\'}), `\\x00ff5c`},
		{3, core.SetValue([]byte(`a"b,c\d`)), `{"a\\"b","c\\\\d"}`},
		{3, core.SetValue(nil), `{}`},
		{4, core.VectorValue(vec(0.1, -2)), `{0.1,-2}`},
	} {
		got, err := p.Columns[tc.col].appendCopy(nil, tc.v)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s %v: %q %v, want %q", p.Columns[tc.col].Name, tc.v, got, err, tc.want)
		}
	}
}

// TestAppendCopyAllocs: the common kinds encode without allocating.
func TestAppendCopyAllocs(t *testing.T) {
	cols, vals := encBenchRow(t)
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		b := buf[:0]
		for i := range cols {
			b, _ = cols[i].appendCopy(b, vals[i])
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per row, want 0", allocs)
	}
}

func encBenchRow(tb testing.TB) ([]columnPlan, []core.Value) {
	p, err := planTable(NewConfig("x"), tyTable("db", "t",
		tyCol("big", core.ColumnType{Name: "bigint"}),
		tyCol("ubig", core.ColumnType{Name: "bigint", Unsigned: true}),
		tyCol("name", core.ColumnType{Name: "varchar", Length: 100}),
		tyCol("note", core.ColumnType{Name: "text"}),
		tyCol("day", core.ColumnType{Name: "date"}),
		tyCol("at", core.ColumnType{Name: "datetime", FSP: 6}),
		tyCol("ts", core.ColumnType{Name: "timestamp", FSP: 3}),
		tyCol("price", core.ColumnType{Name: "decimal", Precision: 10, Scale: 2}),
		tyCol("score", core.ColumnType{Name: "double"}),
	))
	if err != nil {
		tb.Fatal(err)
	}
	vals := []core.Value{
		core.IntValue(123456789),
		core.IntValue(-42),
		core.UintValue(18446744073709551615),
		core.StringValue([]byte("Jane O'Neil")),
		core.StringValue([]byte("a note\twith a tab\nand a newline \\ backslash")),
		core.DateValue(civil(2024, 5, 17, 0, 0, 0, 0)),
		core.DateTimeValue(civil(2024, 5, 17, 13, 45, 10, 123456)),
		core.TimestampValue(1715953510123000),
		core.DecimalValue([]byte("1234.50")),
		core.Float64Value(0.1),
	}
	return p.Columns, vals
}

func BenchmarkAppendCopy(b *testing.B) {
	cols, vals := encBenchRow(b)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for i := range cols {
			var err error
			if buf, err = cols[i].appendCopy(buf, vals[i]); err != nil {
				b.Fatal(err)
			}
			buf = append(buf, '\t')
		}
	}
	b.SetBytes(int64(len(buf)))
}
