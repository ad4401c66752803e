package binlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/klauspost/compress/zlib"
)

// jsonObjA is MySQL binary JSON for {"a":v} with a small int16 v.
func jsonObjA(v byte) []byte {
	// type small object; count 1; size 12; key entry (offset 11, len 1);
	// value entry (int16, inlined v); key "a".
	return []byte{0x00, 1, 0, 12, 0, 11, 0, 1, 0, 0x05, v, 0, 'a'}
}

// jsonDiff encodes one Json_diff_vector entry.
func jsonDiff(op byte, path string, value []byte) []byte {
	b := append([]byte{op}, appendPacked(nil, uint64(len(path)))...)
	b = append(b, path...)
	if op != 2 {
		b = appendPacked(b, uint64(len(value)))
		b = append(b, value...)
	}
	return b
}

func TestRowsUpdateImagesAndBitmaps(t *testing.T) {
	d := NewDecoder()
	tm := decodeTestTable(t, d, &testTable{id: 9, schema: "s", name: "t", cols: []testColumn{
		{typ: TypeLong}, {typ: TypeVarchar, meta: le(2, 30), nullable: true}, {typ: TypeTiny, nullable: true},
	}, optional: nameList()})
	_ = tm
	// Before image: columns 1 and 3 (id, tiny); after image: column 2 only.
	before := append([]byte{0b00}, le(4, 42)...)
	before = append(before, 7)
	after := append([]byte{0b0}, lenPrefixed(1, []byte("new"))...)
	// Second row: after image value NULL.
	before2 := append([]byte{0b10}, le(4, 43)...) // tiny is NULL
	after2 := []byte{0b1}
	data := bytes.Join([][]byte{before, after, before2, after2}, nil)
	b, a := decodeTestRows(t, d, &testRows{typ: UpdateRowsEventV2Type, id: 9, width: 3, before: []byte{0b101}, after: []byte{0b010}, data: data})
	if len(b) != 2 || len(a) != 2 {
		t.Fatalf("rows: %d %d", len(b), len(a))
	}
	if b[0][0].Int64() != 42 || b[0][1].Present() || b[0][2].Int64() != 7 {
		t.Errorf("row 1 before: %v %v %v", b[0][0].Kind(), b[0][1].Kind(), b[0][2].Kind())
	}
	if a[0][0].Present() || string(a[0][1].Bytes()) != "new" || a[0][2].Present() {
		t.Errorf("row 1 after: %v %q %v", a[0][0].Kind(), a[0][1].Bytes(), a[0][2].Kind())
	}
	if !b[1][2].IsNull() || !a[1][1].IsNull() {
		t.Errorf("row 2 NULLs: %v %v", b[1][2].Kind(), a[1][1].Kind())
	}
	// DELETE has only a before image; WRITE only an after image.
	bd, ad := decodeTestRows(t, d, &testRows{typ: DeleteRowsEventV1Type, id: 9, width: 3, before: []byte{0b001}, data: append([]byte{0}, le(4, 1)...)})
	if bd[0] == nil || ad[0] != nil || bd[0][0].Int64() != 1 {
		t.Errorf("DELETE images: %v %v", bd, ad)
	}
}

func TestRowsExtraData(t *testing.T) {
	d := NewDecoder()
	decodeTestTable(t, d, &testTable{id: 2, cols: []testColumn{{typ: TypeLong}}})
	row := image(le(4, 1))
	cases := []struct {
		typ        EventType
		extra      []byte
		part, src  int // -1 = absent
		ndb        []byte
		data       []byte
		wantAction RowsAction
	}{
		{WriteRowsEventV2Type, []byte{1, 5, 0}, 5, -1, nil, row, RowsInsert},
		{UpdateRowsEventV2Type, []byte{1, 5, 0, 3, 0}, 5, 3, nil, append(append([]byte{}, row...), row...), RowsUpdate},
		{DeleteRowsEventV2Type, []byte{0, 3, 1, 0xaa, 1, 9, 0}, 9, -1, []byte{3, 1, 0xaa}, row, RowsDelete},
		{DeleteRowsEventV2Type, []byte{7, 1, 2, 3}, -1, -1, nil, row, RowsDelete}, // unknown chunk: ignored
	}
	for _, c := range cases {
		ev, err := d.Decode(wrapEvent(c.typ, (&testRows{typ: c.typ, id: 2, width: 1, extra: c.extra, data: c.data}).body()))
		if err != nil {
			t.Fatalf("%s % x: %v", c.typ, c.extra, err)
		}
		r := ev.Body.(*RowsEvent)
		if r.HasPartition != (c.part >= 0) || (c.part >= 0 && int(r.PartitionID) != c.part) ||
			r.HasSourcePartition != (c.src >= 0) || (c.src >= 0 && int(r.SourcePartitionID) != c.src) ||
			!bytes.Equal(r.NDBInfo, c.ndb) || r.Action() != c.wantAction {
			t.Errorf("%s % x: %+v", c.typ, c.extra, r)
		}
		js, _ := json.Marshal(r)
		if c.part >= 0 && !strings.Contains(string(js), `"partition_id":`) {
			t.Errorf("MarshalJSON lacks the partition: %s", js)
		}
		it := r.Rows()
		n := 0
		for it.Next() {
			n++
		}
		if n != 1 || it.Err() != nil {
			t.Errorf("%s: %d rows, %v", c.typ, n, it.Err())
		}
	}
	_, err := d.Decode(wrapEvent(WriteRowsEventV2Type, (&testRows{typ: WriteRowsEventV2Type, id: 2, width: 1, extra: []byte{0, 1}, data: row}).body()))
	if err == nil || !strings.Contains(err.Error(), "NDB") {
		t.Errorf("bad NDB length: %v", err)
	}
}

func TestRowsPartialJSON(t *testing.T) {
	d := NewDecoder()
	decodeTestTable(t, d, &testTable{id: 4, cols: []testColumn{{typ: TypeLong}, {typ: TypeJSON, meta: []byte{4}, nullable: true}}})
	diff := jsonDiff(0, "$.a", []byte{0x05, 2, 0})
	diff = append(diff, jsonDiff(1, "$.b", []byte{0x04, 1})...) // insert true
	fullBefore := image(le(4, 1), lenPrefixed(4, jsonObjA(1)))
	partialAfter := append([]byte{1, 0b1}, image(le(4, 1), lenPrefixed(4, diff))...)
	_, a := decodeTestRows(t, d, &testRows{typ: PartialUpdateRowsEventType, id: 4, width: 2, data: append(fullBefore, partialAfter...)})
	if got := renderJSON(t, &a[0][1]); got != `{"a":2,"b":true}` || a[0][1].Kind() != KindJSONText {
		t.Errorf("rebuilt after image: %s (%s)", got, a[0][1].Kind())
	}

	// Minimal before image (id only): the diff stays a diff.
	minBefore := append([]byte{0}, le(4, 1)...)
	ev, err := d.Decode(wrapEvent(PartialUpdateRowsEventType, (&testRows{typ: PartialUpdateRowsEventType, id: 4, width: 2, before: []byte{0b01},
		data: append(minBefore, partialAfter...)}).body()))
	if err != nil {
		t.Fatal(err)
	}
	it := ev.Body.(*RowsEvent).Rows()
	if !it.Next() {
		t.Fatal(it.Err())
	}
	v := it.After()[1]
	if got := renderJSON(t, &v); v.Kind() != KindJSONDiff || got != `[{"op":"replace","path":"$.a","value":2},{"op":"insert","path":"$.b","value":true}]` {
		t.Errorf("diff rendering: %s", got)
	}
	diffs, err := it.JSONDiffs(1)
	if err != nil || len(diffs) != 2 || diffs[1].Path != "$.b" {
		t.Errorf("JSONDiffs: %v %+v", err, diffs)
	}
	if it.JSONDiff(0) != nil {
		t.Error("non-JSON column has a diff")
	}

	// value_options 0: full documents in the after image.
	fullAfter := append([]byte{0}, image(le(4, 1), lenPrefixed(4, jsonObjA(3)))...)
	_, a = decodeTestRows(t, d, &testRows{typ: PartialUpdateRowsEventType, id: 4, width: 2, data: append(fullBefore, fullAfter...)})
	if got := renderJSON(t, &a[0][1]); got != `{"a":3}` {
		t.Errorf("full after image: %s", got)
	}

	// A diff that does not apply to the before image is an error.
	bad := append([]byte{1, 0b1}, image(le(4, 1), lenPrefixed(4, jsonDiff(2, "$.zz", nil)))...)
	ev, err = d.Decode(wrapEvent(PartialUpdateRowsEventType, (&testRows{typ: PartialUpdateRowsEventType, id: 4, width: 2, data: append(fullBefore, bad...)}).body()))
	if err != nil {
		t.Fatal(err)
	}
	it = ev.Body.(*RowsEvent).Rows()
	if it.Next() || it.Err() == nil || !strings.Contains(it.Err().Error(), "column 2") {
		t.Errorf("unappliable diff: %v", it.Err())
	}
}

// mariaCompressRows compresses data in MariaDB's compressed-event format.
func mariaCompressRows(t *testing.T, data []byte) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(data)
	w.Close()
	return append([]byte{0x80 | 4, byte(len(data) >> 24), byte(len(data) >> 16), byte(len(data) >> 8), byte(len(data))}, z.Bytes()...)
}

func TestRowsMariaDBCompressed(t *testing.T) {
	d := NewDecoder()
	decodeTestTable(t, d, &testTable{id: 6, cols: []testColumn{{typ: TypeLong}, {typ: TypeBlob, meta: []byte{2}}}})
	plain := bytes.Repeat(image(le(4, 8), lenPrefixed(2, []byte("compressible compressible"))), 3)
	for _, typ := range []EventType{MariaWriteRowsCompressedV1Type, MariaWriteRowsCompressedType} {
		r := &testRows{typ: typ, id: 6, width: 2, data: mariaCompressRows(t, plain)}
		ev, err := d.Decode(wrapEvent(typ, r.body()))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		re := ev.Body.(*RowsEvent)
		if !re.Compressed || !bytes.Equal(re.RowData, plain) {
			t.Errorf("%s: compressed=%v", typ, re.Compressed)
		}
		it := re.Rows()
		n := 0
		for it.Next() {
			if string(it.After()[1].Bytes()) != "compressible compressible" {
				t.Errorf("%s row %d: %q", typ, n, it.After()[1].Bytes())
			}
			n++
		}
		if n != 3 || it.Err() != nil {
			t.Errorf("%s: %d rows, %v", typ, n, it.Err())
		}
	}
	r := &testRows{typ: MariaUpdateRowsCompressedV1Type, id: 6, width: 2, data: []byte{0x81, 5, 0}}
	if _, err := d.Decode(wrapEvent(r.typ, r.body())); err == nil || !strings.Contains(err.Error(), "compressed row data") {
		t.Errorf("corrupt compressed rows: %v", err)
	}
}

func TestRowsPreGAUnsupported(t *testing.T) {
	d := NewDecoder()
	decodeTestTable(t, d, &testTable{id: 1, cols: []testColumn{{typ: TypeLong}}})
	ev, err := d.Decode(wrapEvent(PreGAWriteRowsEventType, (&testRows{typ: PreGAWriteRowsEventType, id: 1, width: 1, data: []byte{0xfd, 1, 0, 0, 0}}).body()))
	if err != nil {
		t.Fatal(err)
	}
	it := ev.Body.(*RowsEvent).Rows()
	if it.Next() || !errors.Is(it.Err(), ErrUnsupportedRowFormat) {
		t.Errorf("pre-GA rows: %v", it.Err())
	}
}

func TestRowsIteratorReuse(t *testing.T) {
	d := NewDecoder()
	decodeTestTable(t, d, &testTable{id: 1, cols: []testColumn{{typ: TypeLong}}})
	var it RowIterator
	for i := range 3 {
		ev, err := d.Decode(wrapEvent(WriteRowsEventV1Type, (&testRows{typ: WriteRowsEventV1Type, id: 1, width: 1, data: image(le(4, uint64(i)))}).body()))
		if err != nil {
			t.Fatal(err)
		}
		it.Reset(ev.Body.(*RowsEvent))
		if !it.Next() || it.After()[0].Int64() != int64(i) || it.Next() {
			t.Errorf("event %d: %v", i, it.Err())
		}
	}
}

func TestRowsEmptyImagesDoNotLoop(t *testing.T) {
	d := NewDecoder()
	decodeTestTable(t, d, &testTable{id: 1, cols: []testColumn{{typ: TypeLong}}})
	ev, err := d.Decode(wrapEvent(WriteRowsEventV1Type, (&testRows{typ: WriteRowsEventV1Type, id: 1, width: 1, before: []byte{0}, data: []byte{7}}).body()))
	if err != nil {
		t.Fatal(err)
	}
	it := ev.Body.(*RowsEvent).Rows()
	if it.Next() || it.Err() == nil || !strings.Contains(it.Err().Error(), "select no column") {
		t.Errorf("empty images: %v", it.Err())
	}
}

func TestRowsDummyTableID(t *testing.T) {
	// End-of-statement events with table id ~0 carry no rows and need no map.
	d := NewDecoder()
	ev, err := d.Decode(wrapEvent(WriteRowsEventV1Type, (&testRows{typ: WriteRowsEventV1Type, id: 0xFFFFFFFFFFFF, width: 1}).body()))
	if err != nil {
		t.Fatal(err)
	}
	if r := ev.Body.(*RowsEvent); r.Table != nil || r.Rows().Next() {
		t.Errorf("dummy event: %+v", r)
	}
}

// A MariaDB TIMESTAMP(6) in the pre-10.1 format is logged as the old
// TIMESTAMP type (4 bytes, no metadata) but written with 3 more bytes of
// fraction; the misaligned row must fail with an error that names the cause.
func TestRowsOldTemporalHint(t *testing.T) {
	d := NewDecoder()
	decodeTestTable(t, d, &testTable{id: 5, schema: "shop", name: "events", cols: []testColumn{
		{typ: TypeTimestamp}, {typ: TypeVarchar, meta: le(2, 30)},
	}})
	data := image(append(le(4, 1700000000), 0x0f, 0x42, 0x3f), lenPrefixed(1, []byte("abc")))
	ev, err := d.Decode(wrapEvent(WriteRowsEventV1Type, (&testRows{typ: WriteRowsEventV1Type, id: 5, width: 2, data: data}).body()))
	if err != nil {
		t.Fatal(err)
	}
	it := ev.Body.(*RowsEvent).Rows()
	for it.Next() {
	}
	if it.Err() == nil || !strings.Contains(it.Err().Error(), "column 1 @1 is an old-format TIMESTAMP") || !strings.Contains(it.Err().Error(), "ALTER TABLE shop.events FORCE") {
		t.Fatalf("err = %v, want the old-temporal hint", it.Err())
	}
}
