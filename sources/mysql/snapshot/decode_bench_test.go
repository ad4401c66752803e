package snapshot

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/core"
)

// BenchmarkDecode decodes one 13-column row of mixed types, as ChunkQuery
// returns it under SessionSetup; run with -benchmem (the aim is 2
// allocations a row: the values and their arena).
func BenchmarkDecode(b *testing.B) {
	t := &core.Table{Schema: "bench", Name: "t", Columns: []core.Column{
		{Name: "id", Type: core.ColumnType{Name: "bigint", Unsigned: true}},
		{Name: "n", Type: core.ColumnType{Name: "int"}},
		{Name: "price", Type: core.ColumnType{Name: "decimal", Precision: 12, Scale: 2}},
		{Name: "ratio", Type: core.ColumnType{Name: "float"}},
		{Name: "score", Type: core.ColumnType{Name: "double"}},
		{Name: "created", Type: core.ColumnType{Name: "datetime", FSP: 6}},
		{Name: "updated", Type: core.ColumnType{Name: "timestamp"}},
		{Name: "day", Type: core.ColumnType{Name: "date"}},
		{Name: "name", Type: core.ColumnType{Name: "varchar", Length: 100, Charset: "utf8mb4", Collation: "utf8mb4_general_ci"}},
		{Name: "city", Type: core.ColumnType{Name: "varchar", Length: 50, Charset: "latin1", Collation: "latin1_swedish_ci"}},
		{Name: "note", Type: core.ColumnType{Name: "text", Charset: "utf8mb4", Collation: "utf8mb4_general_ci"}},
		{Name: "status", Type: core.ColumnType{Name: "enum", Elems: []string{"new", "paid", "shipped"}}},
		{Name: "token", Type: core.ColumnType{Name: "varbinary", Length: 16}},
	}, PrimaryKey: &core.Key{Name: "PRIMARY", Columns: []core.KeyColumn{{Name: "id"}}}}
	r, err := NewTableReader(t)
	if err != nil {
		b.Fatal(err)
	}
	raw := []sql.RawBytes{
		[]byte("1234567"), []byte("-42"), []byte("19999.95"), []byte("0.10000000149011612"), []byte("3.141592653589793"),
		[]byte("2024-02-29 13:14:15.123456"), []byte("2024-03-01 00:00:01"), []byte("2024-02-29"),
		[]byte("Ada Lovelace — Analytical Engine 🎉"), []byte("G\xf6teborg"),
		[]byte(strings.Repeat("a note of some length. ", 8)), []byte("2"), []byte("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"),
	}
	if _, err := r.Decode(raw); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var keep []core.Value
	for b.Loop() {
		vals, err := r.Decode(raw)
		if err != nil {
			b.Fatal(err)
		}
		keep = vals
	}
	_ = keep
}
