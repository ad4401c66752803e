package binlog

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func packedList(vals ...uint64) []byte {
	var b []byte
	for _, v := range vals {
		b = appendPacked(b, v)
	}
	return b
}

func nameList(names ...string) []byte {
	var b []byte
	for _, n := range names {
		b = appendPacked(b, uint64(len(n)))
		b = append(b, n...)
	}
	return b
}

func TestTableMapOptionalMetadata(t *testing.T) {
	cols := []testColumn{
		{typ: TypeTiny}, // 0 numeric #0
		{typ: TypeVarchar, meta: le(2, 40), nullable: true},   // 1 character #0
		{typ: TypeString, meta: []byte{byte(TypeEnum), 1}},    // 2 enum/set #0
		{typ: TypeString, meta: []byte{byte(TypeSet), 1}},     // 3 enum/set #1
		{typ: TypeGeometry, meta: []byte{4}},                  // 4
		{typ: TypeBlob, meta: []byte{2}},                      // 5 character #1
		{typ: TypeVector, meta: []byte{4}},                    // 6 character #2 (MySQL 9)
		{typ: TypeLong},                                       // 7 numeric #1
		{typ: TypeString, meta: []byte{0xfe, 8}},              // 8 character #3
		{typ: TypeNewDecimal, meta: []byte{10, 2}},            // 9 numeric #2
		{typ: TypeDateTime2, meta: []byte{3}, nullable: true}, // 10
	}
	var opt []byte
	opt = optField(opt, MetaSignedness, []byte{0b01000000}) // LONG unsigned
	opt = optField(opt, MetaDefaultCharset, packedList(255, 1, 63, 3, 8))
	opt = optField(opt, MetaColumnName, nameList("t", "v", "e", "s", "g", "b", "vec", "l", "c", "d", "dt"))
	opt = optField(opt, MetaSetStrValue, append(packedList(2), nameList("x", "y")...))
	opt = optField(opt, MetaEnumStrValue, append(packedList(3), nameList("r", "g", "b")...))
	opt = optField(opt, MetaGeometryType, packedList(1))
	opt = optField(opt, 99, []byte{1, 2, 3}) // unknown: skipped
	opt = optField(opt, MetaPrimaryKeyWithPrefix, packedList(7, 0, 1, 10))
	opt = optField(opt, MetaEnumAndSetDefaultCharset, packedList(45, 1, 33))
	opt = optField(opt, MetaColumnVisibility, []byte{0b11111110, 0b11100000})
	opt = optField(opt, MetaVectorDimensionality, packedList(3))
	d := NewDecoder()
	tm := decodeTestTable(t, d, &testTable{id: 0x123456789a, schema: "shop", name: "items", cols: cols, optional: opt})
	if tm.TableID != 0x123456789a || tm.Schema != "shop" || tm.Table != "items" || tm.ColumnCount != len(cols) {
		t.Fatalf("header: %+v", tm)
	}
	c := tm.Columns()
	check := func(cond bool, format string, args ...any) {
		t.Helper()
		if !cond {
			t.Errorf(format, args...)
		}
	}
	check(c[0].HasSignedness && !c[0].Unsigned, "TINY signedness %+v", c[0])
	check(c[7].Unsigned, "LONG should be unsigned")
	check(c[9].HasSignedness && !c[9].Unsigned, "DECIMAL signedness")
	check(c[1].Collation == 255 && c[1].Charset == CharsetUTF8MB4, "VARCHAR collation %d", c[1].Collation)
	check(c[5].Collation == 63 && c[5].Binary(), "BLOB override collation %d", c[5].Collation)
	check(c[6].Collation == 255, "VECTOR is a character column on MySQL: %d", c[6].Collation)
	check(c[8].Collation == 8 && c[8].Charset == CharsetLatin1, "CHAR override collation %d", c[8].Collation)
	check(c[4].Collation == 0, "GEOMETRY has no collation on MySQL: %d", c[4].Collation)
	check(c[2].RealType == TypeEnum && slices.Equal(c[2].EnumValues, []string{"r", "g", "b"}) && c[2].Collation == 45, "ENUM %+v", c[2])
	check(c[3].RealType == TypeSet && slices.Equal(c[3].SetValues, []string{"x", "y"}) && c[3].Collation == 33, "SET %+v", c[3])
	check(c[4].HasGeometryType && c[4].GeometryType == 1, "geometry type")
	check(c[7].PrimaryKey && c[7].PrimaryKeyPrefix == 0 && c[1].PrimaryKey && c[1].PrimaryKeyPrefix == 10, "primary key %v %v", c[7], c[1])
	check(!c[0].PrimaryKey, "TINY is not in the key")
	check(c[6].VectorDimensions == 3, "vector dimensions %d", c[6].VectorDimensions)
	check(!c[7].Visible && c[0].Visible && c[10].Visible, "visibility")
	check(c[1].Nullable && !c[0].Nullable && c[10].Nullable, "nullability")
	check(c[9].Precision == 10 && c[9].Scale == 2 && c[10].FSP == 3, "derived metadata")
	check(tm.ColumnLabel(3) == "s" && tm.ColumnLabel(20) == "@21", "labels %q %q", tm.ColumnLabel(3), tm.ColumnLabel(20))
	check(len(tm.Metadata.Unknown) == 1 && tm.Metadata.Unknown[0].Code == 99, "unknown metadata %+v", tm.Metadata.Unknown)
	check(tm.Metadata.Has(MetaVectorDimensionality) && !tm.Metadata.Has(MetaColumnCharset), "Has")

	js, err := json.Marshal(tm)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		TableID uint64 `json:"table_id"`
		Table   struct{ Schema, Name string }
		Columns []struct {
			Name       string
			Type       string
			RealType   string   `json:"real_type"`
			EnumValues []string `json:"enum_values"`
			Unsigned   *bool
		}
	}
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatalf("%v: %s", err, js)
	}
	if back.TableID != tm.TableID || back.Table.Schema != "shop" || back.Table.Name != "items" || back.Columns[2].RealType != "ENUM" ||
		back.Columns[2].EnumValues[1] != "g" || back.Columns[7].Unsigned == nil || !*back.Columns[7].Unsigned || back.Columns[0].Name != "t" {
		t.Errorf("MarshalJSON: %s", js)
	}
}

func TestTableMapMariaDBCharacterColumns(t *testing.T) {
	// MariaDB counts GEOMETRY among character columns (COLUMN_CHARSET has
	// an entry for it); MySQL does not.
	cols := []testColumn{{typ: TypeGeometry, meta: []byte{4}}, {typ: TypeVarchar, meta: le(2, 10)}}
	opt := optField(nil, MetaColumnCharset, packedList(63, 8))
	d := NewDecoder(WithFormat(&Format{HeaderLength: HeaderLen, Flavor: FlavorMariaDB, Version: [3]int{10, 11, 0}}))
	tm := decodeTestTable(t, d, &testTable{id: 1, cols: cols, optional: opt})
	if c := tm.Columns(); c[0].Collation != 63 || c[1].Collation != 8 {
		t.Errorf("MariaDB collations: %d %d", c[0].Collation, c[1].Collation)
	}
	d = NewDecoder()
	tm = decodeTestTable(t, d, &testTable{id: 1, cols: cols, optional: opt})
	if c := tm.Columns(); c[0].Collation != 0 || c[1].Collation != 63 {
		t.Errorf("MySQL collations: %d %d", c[0].Collation, c[1].Collation)
	}
}

func TestTableMapShortTableID(t *testing.T) {
	// Sources before 5.1.4 wrote 4-byte table ids, announced by a
	// post-header length of 6.
	ph := make([]byte, 40)
	ph[TableMapEventType-1] = 6
	ph[WriteRowsEventV1Type-1] = 6
	d := NewDecoder(WithFormat(&Format{HeaderLength: HeaderLen, PostHeaderLengths: ph}))
	body := append(le(4, 77), 0, 0, 1, 'd', 0, 1, 't', 0, 1, byte(TypeLong), 0, 0)
	ev, err := d.Decode(wrapEvent(TableMapEventType, body))
	if err != nil {
		t.Fatal(err)
	}
	if tm := ev.Body.(*TableMapEvent); tm.TableID != 77 || tm.Table != "t" {
		t.Errorf("4-byte table id: %+v", tm)
	}
	rows := append(le(4, 77), 0, 0, 1, 1)
	rows = append(rows, image(le(4, 5))...)
	ev, err = d.Decode(wrapEvent(WriteRowsEventV1Type, rows))
	if err != nil {
		t.Fatal(err)
	}
	it := ev.Body.(*RowsEvent).Rows()
	if !it.Next() || it.After()[0].Int64() != 5 {
		t.Errorf("rows with a 4-byte table id: %v", it.Err())
	}
}

func TestTableMapReuseAndReplace(t *testing.T) {
	d := NewDecoder()
	tbl := &testTable{id: 5, schema: "s", name: "a", cols: []testColumn{{typ: TypeLong}}}
	first := decodeTestTable(t, d, tbl)
	second := decodeTestTable(t, d, tbl)
	if &first.Columns()[0] != &second.Columns()[0] {
		t.Error("identical TABLE_MAP was decoded again instead of reused")
	}
	tbl.cols = append(tbl.cols, testColumn{typ: TypeTiny})
	third := decodeTestTable(t, d, tbl)
	if third.ColumnCount != 2 || d.Table(5) != third {
		t.Errorf("changed TABLE_MAP for the same id: %d columns", third.ColumnCount)
	}
}

func TestTableMapErrors(t *testing.T) {
	good := (&testTable{id: 1, schema: "s", name: "t", cols: []testColumn{{typ: TypeVarchar, meta: le(2, 10)}}}).body()
	for n := 0; n < len(good); n++ {
		d := NewDecoder()
		_, err := d.Decode(wrapEvent(TableMapEventType, good[:n]))
		// Truncation inside the metadata block or before it must fail;
		// cutting exactly after the column types is the old (pre-5.1.18)
		// layout and is valid.
		if err == nil && n != 16 {
			t.Errorf("TABLE_MAP cut at %d bytes decoded", n)
		}
	}
	bad := []struct {
		name string
		body []byte
		want string
	}{
		{"column count beyond data", append(good[:14:14], 0xfc, 0xff, 0xff), "column count"},
		{"metadata length beyond data", append(good[:16:16], 0x20), "metadata length"},
		{"optional field too long", append(append([]byte{}, good...), MetaColumnName, 50, 1), "COLUMN_NAME"},
		{"unknown type", (&testTable{id: 1, cols: []testColumn{{typ: 200}}}).body(), "TYPE_200"},
		{"too many columns", append(append(good[:14:14], 0xfc, 0x01, 0x10), make([]byte, 4097)...), "limit of 4096"},
		{"labels count", append(append([]byte{}, good...), MetaEnumStrValue, 2, 100, 1), "ENUM label count"},
	}
	for _, b := range bad {
		_, err := NewDecoder().Decode(wrapEvent(TableMapEventType, b.body))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: error %v, want it to mention %q", b.name, err, b.want)
		}
	}
}
