package snapshot

import (
	"bytes"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/seed5aa6e046/syncer/core"
)

// rdrFuzzTable has a column of every kind Decode reads, and a composite
// key over the key-capable literal kinds.
func rdrFuzzTable() *core.Table {
	col := func(name string, typ core.ColumnType) core.Column {
		return core.Column{Name: name, Type: typ, Nullable: true}
	}
	t := &core.Table{Schema: "fz", Name: "t", Columns: []core.Column{
		{Name: "i", Type: core.ColumnType{Name: "bigint"}},
		{Name: "s", Type: core.ColumnType{Name: "varchar", Length: 20, Charset: "latin1", Collation: "latin1_german1_ci"}},
		{Name: "dt", Type: core.ColumnType{Name: "datetime", FSP: 6}},
		{Name: "de", Type: core.ColumnType{Name: "decimal", Precision: 10, Scale: 2}},
		{Name: "bn", Type: core.ColumnType{Name: "binary", Length: 4}},
		{Name: "en", Type: core.ColumnType{Name: "enum", Elems: []string{"a", "bé", "c"}}},
		{Name: "bt", Type: core.ColumnType{Name: "bit", Length: 3}},
		{Name: "tm", Type: core.ColumnType{Name: "time", FSP: 2}},
		col("u", core.ColumnType{Name: "int", Unsigned: true}),
		col("ti", core.ColumnType{Name: "tinyint"}),
		col("fl", core.ColumnType{Name: "float"}),
		col("db", core.ColumnType{Name: "double"}),
		col("dz", core.ColumnType{Name: "decimal", Precision: 8, Scale: 2, Zerofill: true, Unsigned: true}),
		col("b64", core.ColumnType{Name: "bit", Length: 64}),
		col("yr", core.ColumnType{Name: "year"}),
		col("d", core.ColumnType{Name: "date"}),
		col("ts", core.ColumnType{Name: "timestamp", FSP: 3}),
		col("vc", core.ColumnType{Name: "varchar", Charset: "utf8mb4", Collation: "utf8mb4_general_ci"}),
		col("sj", core.ColumnType{Name: "varchar", Charset: "sjis", Collation: "sjis_japanese_ci"}),
		col("u2", core.ColumnType{Name: "char", Charset: "ucs2", Collation: "ucs2_general_ci"}),
		col("u32", core.ColumnType{Name: "text", Charset: "utf32", Collation: "utf32_general_ci"}),
		col("de8", core.ColumnType{Name: "varchar", Charset: "dec8", Collation: "dec8_swedish_ci"}),
		col("cp", core.ColumnType{Name: "varchar", Charset: "cp1251", Collation: "cp1251_general_ci"}),
		col("nocs", core.ColumnType{Name: "varchar"}),
		col("js", core.ColumnType{Name: "longtext", Charset: "utf8mb4", Collation: "utf8mb4_bin", JSON: true}),
		col("mj", core.ColumnType{Name: "json"}),
		col("bl", core.ColumnType{Name: "blob"}),
		col("st", core.ColumnType{Name: "set", Elems: []string{"x", "y", "z"}}),
		col("g", core.ColumnType{Name: "point"}),
		col("vec", core.ColumnType{Name: "vector", Length: 2}),
		col("uu", core.ColumnType{Name: "uuid"}),
	}}
	t.PrimaryKey = &core.Key{Name: "PRIMARY", Columns: []core.KeyColumn{
		{Name: "i"}, {Name: "s"}, {Name: "dt"}, {Name: "de"}, {Name: "bn"}, {Name: "en"}, {Name: "bt"}, {Name: "tm"}}}
	return t
}

// FuzzDecode decodes arbitrary bytes as a value of every column kind, and
// writes them into a chunk query as a key: no panic, text always comes out
// as UTF-8, numbers agree with strconv, and a key value that is no literal
// of its column never reaches the query text.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"", "0", "-1", "18446744073709551615", "18446744073709551616", "-9223372036854775808",
		"9223372036854775808", "3.1415927410125732", "1e-45", "0000012.50", "-0.50", "2024-02-30 12:00:00.5",
		"0000-00-00 00:00:00", "-838:59:59.999999", "838:59:59.99", "2", "7", "\xff\xfe", "\x82\xa0\x82", "ab\x00c",
		"'; DROP TABLE x; --", "1 OR 1=1", "\x00\x00\x00\x01\x01\x00\x00\x00", "9999-12-31", "12:00"} {
		f.Add([]byte(s))
	}
	r, err := NewTableReader(rdrFuzzTable())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := make([]sql.RawBytes, len(r.cols))
		for i := range r.cols {
			clear(raw)
			raw[i] = data
			vals, err := r.Decode(raw)
			if err != nil {
				if !strings.Contains(err.Error(), "column "+r.cols[i].name+":") {
					t.Fatalf("column %s: error without the column: %v", r.cols[i].name, err)
				}
				continue
			}
			rdrFuzzCheck(t, &r.cols[i], data, vals[i])
			for j, v := range vals {
				if j != i && !v.IsNull() {
					t.Fatalf("column %s: %s from a NULL", r.cols[j].name, rdrShow(v))
				}
			}
		}
		// Every key column's value data in turn, the others valid.
		valid := Key{[]byte("1"), []byte("a"), []byte("2024-01-01 00:00:00.000000"), []byte("1.00"), []byte("abcd"),
			[]byte("2"), {5}, []byte("-01:00:00.00")}
		if err := r.CheckKey(valid); err != nil {
			t.Fatal(err)
		}
		for j := range valid {
			k := append(Key(nil), valid...)
			k[j] = data
			q := r.ChunkQuery(k, nil, 10)
			bad := r.CheckKey(k) != nil
			if strings.Contains(q, "invalid key value") != bad {
				t.Fatalf("key column %d %q: CheckKey error %v, query %s", j, data, bad, q)
			}
			if lit := r.cols[r.keys[j]].lit; !bad && lit != keyLitText && lit != keyLitBinary && lit != keyLitBit && !bytes.Contains([]byte(q), data) {
				t.Fatalf("key column %d %q not in the query %s", j, data, q)
			}
		}
	})
}

// rdrFuzzCheck checks one decoded value against what its column's kind
// must give.
func rdrFuzzCheck(t *testing.T, c *colReader, data []byte, v core.Value) {
	t.Helper()
	switch c.op {
	case colOpInt:
		n, err := strconv.ParseInt(string(data), 10, 64)
		if err != nil || v.Kind() != core.KindInt || v.Int() != n {
			t.Fatalf("%s: %q decoded as %s, strconv %d %v", c.name, data, rdrShow(v), n, err)
		}
	case colOpUint:
		n, err := strconv.ParseUint(string(data), 10, 64)
		if err != nil || v.Kind() != core.KindUint || v.Uint() != n {
			t.Fatalf("%s: %q decoded as %s, strconv %d %v", c.name, data, rdrShow(v), n, err)
		}
	case colOpFloat32, colOpFloat64:
		f, err := strconv.ParseFloat(string(data), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || v.Float64() != f {
			t.Fatalf("%s: %q decoded as %s, strconv %v %v", c.name, data, rdrShow(v), f, err)
		}
	case colOpString, colOpJSON, colOpEnum, colOpSet:
		if !utf8.Valid(v.Bytes()) {
			t.Fatalf("%s: %q decoded as invalid UTF-8 %q", c.name, data, v.Bytes())
		}
	case colOpBytes, colOpGeometry, colOpVector:
		if !bytes.Equal(v.Bytes(), data) {
			t.Fatalf("%s: %q decoded as %q", c.name, data, v.Bytes())
		}
	case colOpDate, colOpDateTime:
		if got := v.String(); !strings.HasPrefix(string(data), got[:10]) {
			t.Fatalf("%s: %q decoded as %s", c.name, data, got)
		}
	}
}

// One reader decodes rows from many goroutines at once (its scratch
// space is pooled), each row into values of its own.
func TestDecodeConcurrent(t *testing.T) {
	r, err := NewTableReader(rdrFuzzTable())
	if err != nil {
		t.Fatal(err)
	}
	row := func(n int) []sql.RawBytes {
		raw := make([]sql.RawBytes, len(r.cols))
		raw[0] = []byte(strconv.Itoa(n))
		raw[1] = []byte("G\xf6teborg " + strconv.Itoa(n))
		raw[2] = []byte("2024-02-29 13:14:15.123456")
		raw[17] = []byte(strings.Repeat("é", n%50))
		raw[18] = []byte("\x93\xfa\x96\x7b")
		raw[26] = bytes.Repeat([]byte{byte(n)}, n%300)
		return raw
	}
	want := make([][]core.Value, 64)
	for n := range want {
		v, err := r.Decode(row(n))
		if err != nil {
			t.Fatal(err)
		}
		want[n] = v
	}
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			for i := range 2000 {
				n := (i*7 + g) % len(want)
				raw := row(n)
				got, err := r.Decode(raw)
				clear(raw[1]) // the driver reuses its buffers
				if err == nil {
					for j := range got {
						if !got[j].Equal(want[n][j]) {
							err = fmt.Errorf("row %d column %d: %s, want %s", n, j, rdrShow(got[j]), rdrShow(want[n][j]))
							break
						}
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
