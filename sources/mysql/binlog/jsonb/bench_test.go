package jsonb

import (
	"strings"
	"testing"
)

// benchDoc is a ~1.5 KB document shaped like a typical application row:
// ids, names, nested address, tag arrays, prices and timestamps.
func benchDoc() []byte {
	var items arr
	for i := 0; i < 12; i++ {
		items = append(items, obj{
			{"id", int64(100000 + i)},
			{"qty", int64(i)},
			{"sku", "SKU-" + strings.Repeat("A", i%5+3)},
			{"price", 19.99 + float64(i)},
		})
	}
	return encode(obj{
		{"id", int64(123456789)},
		{"name", "Zoë O'Brien"},
		{"email", "zoe@example.com"},
		{"active", true},
		{"score", 98.25},
		{"address", obj{{"city", "Dublin"}, {"street", "1 Main St\nApt 2"}, {"zip", "D01"}}},
		{"tags", arr{"vip", "beta", "eu", "newsletter"}},
		{"created", opaque{typeDatetime, packDatetime(2024, 5, 17, 12, 30, 45, 123456)}},
		{"balance", opaque{typeNewDecimal, append([]byte{12, 2}, encodeDecimal("-1234.56", 12, 2)...)}},
		{"items", items},
	}, false)
}

func BenchmarkAppendJSON(b *testing.B) {
	doc := benchDoc()
	dst := make([]byte, 0, 4096)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		dst, err = AppendJSON(dst[:0], doc)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkApplyDiffs(b *testing.B) {
	txt, err := AppendJSON(nil, benchDoc())
	if err != nil {
		b.Fatal(err)
	}
	diffs := []Diff{
		{DiffReplace, "$.score", encode(99.5, false)},
		{DiffInsert, "$.items[0]", encode(obj{{"id", int64(1)}}, false)},
	}
	b.SetBytes(int64(len(txt)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ApplyDiffs(txt, diffs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendDecimal(b *testing.B) {
	bin := encodeDecimal("-12345678901234567890.1234567890", 40, 10)
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		dst, _, err = AppendDecimal(dst[:0], bin, 40, 10)
		if err != nil {
			b.Fatal(err)
		}
	}
}
