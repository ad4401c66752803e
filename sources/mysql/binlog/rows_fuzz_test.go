package binlog

import (
	"encoding/json"
	"testing"
)

// seedTables are TABLE_MAP bodies covering every column type family.
func seedTables() []*testTable {
	return []*testTable{
		benchTable(),
		{id: 2, schema: "s", name: "t", cols: []testColumn{
			{typ: TypeString, meta: []byte{byte(TypeEnum), 2}}, {typ: TypeString, meta: []byte{byte(TypeSet), 8}},
			{typ: TypeBit, meta: []byte{3, 2}}, {typ: TypeGeometry, meta: []byte{4}}, {typ: TypeVector, meta: []byte{4}},
			{typ: TypeJSON, meta: []byte{4}, nullable: true}, {typ: TypeString, meta: []byte{0xee, 0x90}},
			{typ: TypeYear}, {typ: TypeTime}, {typ: TypeDateTime}, {typ: TypeTimestamp}, {typ: TypeFloat, meta: []byte{4}},
		}, optional: append(enumSetMeta([][]string{{"a", "b"}}, [][]string{{"x"}}), charsetMeta(63)...)},
	}
}

func FuzzTableMap(f *testing.F) {
	for _, t := range seedTables() {
		f.Add(t.body())
	}
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3})
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, fl := range []Flavor{FlavorMySQL, FlavorMariaDB} {
			d := NewDecoder(WithFormat(&Format{HeaderLength: HeaderLen, Flavor: fl}))
			ev, err := d.Decode(wrapEvent(TableMapEventType, body))
			if err != nil {
				continue
			}
			tm := ev.Body.(*TableMapEvent)
			if len(tm.Columns()) != tm.ColumnCount {
				t.Fatalf("%d columns for count %d", len(tm.Columns()), tm.ColumnCount)
			}
			for i := range tm.Columns() {
				_ = tm.ColumnLabel(i)
			}
			if _, err := json.Marshal(tm); err != nil {
				t.Fatal(err)
			}
			// The same bytes again must come from the reuse path unchanged.
			ev2, err := d.Decode(wrapEvent(TableMapEventType, body))
			if err != nil || ev2.Body.(*TableMapEvent).ColumnCount != tm.ColumnCount {
				t.Fatalf("second decode: %v", err)
			}
		}
	})
}

var fuzzRowTypes = []EventType{WriteRowsEventV1Type, UpdateRowsEventV1Type, DeleteRowsEventV1Type,
	WriteRowsEventV2Type, UpdateRowsEventV2Type, DeleteRowsEventV2Type, PartialUpdateRowsEventType,
	MariaWriteRowsCompressedV1Type, MariaUpdateRowsCompressedType, PreGAWriteRowsEventType}

func FuzzRows(f *testing.F) {
	tables := seedTables()
	f.Add(tables[0].body(), byte(3), (&testRows{typ: WriteRowsEventV2Type, id: 1, width: 12, data: benchRow(1)}).body())
	f.Add(tables[0].body(), byte(4), (&testRows{typ: UpdateRowsEventV2Type, id: 1, width: 12, data: append(benchRow(1), benchRow(2)...)}).body())
	jsonTable := &testTable{id: 4, cols: []testColumn{{typ: TypeLong}, {typ: TypeJSON, meta: []byte{4}, nullable: true}}}
	partial := append(image(le(4, 1), lenPrefixed(4, jsonObjA(1))), append([]byte{1, 1}, image(le(4, 1), lenPrefixed(4, jsonDiff(0, "$.a", []byte{5, 2, 0})))...)...)
	f.Add(jsonTable.body(), byte(6), (&testRows{typ: PartialUpdateRowsEventType, id: 4, width: 2, data: partial}).body())
	f.Fuzz(func(t *testing.T, tmBody []byte, typ byte, rowsBody []byte) {
		d := NewDecoder()
		if _, err := d.Decode(wrapEvent(TableMapEventType, tmBody)); err != nil {
			return
		}
		rt := fuzzRowTypes[int(typ)%len(fuzzRowTypes)]
		ev, err := d.Decode(wrapEvent(rt, rowsBody))
		if err != nil {
			return
		}
		r := ev.Body.(*RowsEvent)
		if _, err := json.Marshal(r); err != nil {
			t.Fatal(err)
		}
		it := r.Rows()
		var out []byte
		for it.Next() {
			for _, img := range [][]Value{it.Before(), it.After()} {
				for i := range img {
					out, _ = img[i].AppendJSON(out[:0])
					_ = img[i].String()
				}
			}
			for i := range r.Table.Columns() {
				_, _ = it.JSONDiffs(i)
			}
		}
	})
}

func FuzzValue(f *testing.F) {
	f.Add(byte(TypeNewDecimal), uint16(0x4102), uint32(0), []byte{0x80, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(byte(TypeTime2), uint16(6), uint32(0), encodeTime2(true, 838, 59, 59, 999999, 6))
	f.Add(byte(TypeDateTime2), uint16(3), uint32(0), encodeDateTime2(2024, 1, 2, 3, 4, 5, 6000, 3))
	f.Add(byte(TypeTimestamp2), uint16(2), uint32(0), []byte{0x66, 0, 0, 0, 9})
	f.Add(byte(TypeVarchar), uint16(300), uint32(28), lenPrefixed(2, []byte{0xc4, 0xe3}))
	f.Add(byte(TypeString), uint16(0xfe04), uint32(63), lenPrefixed(1, []byte{1}))
	f.Add(byte(TypeString), uint16(0xf802), uint32(8), []byte{3, 0})
	f.Add(byte(TypeBlob), uint16(4), uint32(35), lenPrefixed(4, []byte{0, 'a'}))
	f.Add(byte(TypeGeometry), uint16(4), uint32(63), lenPrefixed(4, []byte{0, 0, 0, 0, 1}))
	f.Add(byte(TypeVector), uint16(4), uint32(63), lenPrefixed(4, []byte{0, 0, 0x80, 0x3f}))
	f.Add(byte(TypeJSON), uint16(4), uint32(63), lenPrefixed(4, jsonObjA(1)))
	f.Add(byte(TypeBit), uint16(0x0105), uint32(0), []byte{0x1f, 0xff})
	f.Add(byte(TypeDouble), uint16(8), uint32(0), le(8, 0x7ff8000000000001))
	f.Fuzz(func(t *testing.T, typ byte, meta uint16, collation uint32, raw []byte) {
		c := &Column{Type: ColumnType(typ), RealType: ColumnType(typ), Meta: meta, Collation: collation,
			Charset: CollationCharset(collation), Unsigned: collation&1 == 1, EnumValues: []string{"a", "b"}, SetValues: []string{"x", "y", "z"}}
		c.deriveFromMeta()
		c.op = planValue(c)
		var v Value
		var pad []byte
		n, err := decodeValue(c, raw, &v, &pad)
		if err != nil {
			return
		}
		if n < 0 || n > len(raw) {
			t.Fatalf("consumed %d of %d bytes", n, len(raw))
		}
		_, _ = v.AppendJSON(nil)
		_ = v.String()
		_, _ = v.Time()
		_ = v.Duration()
		_, _, _ = v.Date()
		_, _, _, _, _ = v.Clock()
		_ = v.Float64()
		_ = v.AppendDecimal(nil)
	})
}
