package binlog

import (
	"encoding/binary"
	"testing"
)

// A small encoder for TABLE_MAP and rows events, for tests and benchmarks.
// It writes events without checksums, for a decoder whose format has the
// v4 default post-header lengths (6-byte table ids, v1 rows post-header 8,
// v2 rows post-header 10).

type testColumn struct {
	typ      ColumnType
	meta     []byte // metadata bytes exactly as the TABLE_MAP stores them
	nullable bool
}

type testTable struct {
	id       uint64
	schema   string
	name     string
	cols     []testColumn
	optional []byte // optional metadata TLVs
}

func appendPacked(b []byte, v uint64) []byte {
	switch {
	case v < 251:
		return append(b, byte(v))
	case v < 1<<16:
		return append(b, 0xfc, byte(v), byte(v>>8))
	case v < 1<<24:
		return append(b, 0xfd, byte(v), byte(v>>8), byte(v>>16))
	}
	b = append(b, 0xfe)
	return binary.LittleEndian.AppendUint64(b, v)
}

func appendLE48(b []byte, v uint64) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24), byte(v>>32), byte(v>>40))
}

// optField appends one optional metadata TLV.
func optField(b []byte, code byte, val []byte) []byte {
	b = append(b, code)
	b = appendPacked(b, uint64(len(val)))
	return append(b, val...)
}

// body returns the TABLE_MAP body (post-header included).
func (t *testTable) body() []byte {
	b := appendLE48(nil, t.id)
	b = append(b, 1, 0) // flags
	b = append(b, byte(len(t.schema)))
	b = append(append(b, t.schema...), 0)
	b = append(b, byte(len(t.name)))
	b = append(append(b, t.name...), 0)
	b = appendPacked(b, uint64(len(t.cols)))
	var meta []byte
	for _, c := range t.cols {
		b = append(b, byte(c.typ))
		meta = append(meta, c.meta...)
	}
	b = appendPacked(b, uint64(len(meta)))
	b = append(b, meta...)
	nulls := make([]byte, (len(t.cols)+7)/8)
	for i, c := range t.cols {
		if c.nullable {
			nulls[i/8] |= 1 << (i % 8)
		}
	}
	b = append(b, nulls...)
	return append(b, t.optional...)
}

// wrapEvent prepends a 19-byte header to body.
func wrapEvent(t EventType, body []byte) []byte {
	ev := make([]byte, HeaderLen, HeaderLen+len(body))
	binary.LittleEndian.PutUint32(ev[0:], 1700000000)
	ev[4] = byte(t)
	binary.LittleEndian.PutUint32(ev[5:], 1)
	binary.LittleEndian.PutUint32(ev[9:], uint32(HeaderLen+len(body)))
	return append(ev, body...)
}

// testRows builds a rows event body: rows are appended with addRow.
type testRows struct {
	typ    EventType
	id     uint64
	width  int
	before []byte // present bitmap (nil = all)
	after  []byte
	extra  []byte // v2 extra row info
	data   []byte
}

func (r *testRows) body() []byte {
	b := appendLE48(nil, r.id)
	b = append(b, 1, 0)
	if defaultRowsPostHeader(r.typ) == 10 {
		b = binary.LittleEndian.AppendUint16(b, uint16(2+len(r.extra)))
		b = append(b, r.extra...)
	}
	b = appendPacked(b, uint64(r.width))
	all := make([]byte, (r.width+7)/8)
	for i := range r.width {
		all[i/8] |= 1 << (i % 8)
	}
	bm := r.before
	if bm == nil {
		bm = all
	}
	b = append(b, bm...)
	if hasAfterBitmap(r.typ) {
		am := r.after
		if am == nil {
			am = all
		}
		b = append(b, am...)
	}
	return append(b, r.data...)
}

// image appends one row image: values[i] nil means NULL. Every column
// is present.
func image(values ...[]byte) []byte {
	nulls := make([]byte, (len(values)+7)/8)
	var data []byte
	for i, v := range values {
		if v == nil {
			nulls[i/8] |= 1 << (i % 8)
			continue
		}
		data = append(data, v...)
	}
	return append(nulls, data...)
}

// decodeTestTable decodes t's TABLE_MAP into d and returns it.
func decodeTestTable(tb testing.TB, d *Decoder, t *testTable) *TableMapEvent {
	tb.Helper()
	ev, err := d.Decode(wrapEvent(TableMapEventType, t.body()))
	if err != nil {
		tb.Fatalf("TABLE_MAP: %v", err)
	}
	return ev.Body.(*TableMapEvent)
}

// decodeTestRows decodes r with d and returns every row's images (cloned).
func decodeTestRows(tb testing.TB, d *Decoder, r *testRows) (before, after [][]Value) {
	tb.Helper()
	ev, err := d.Decode(wrapEvent(r.typ, r.body()))
	if err != nil {
		tb.Fatalf("%s: %v", r.typ, err)
	}
	it := ev.Body.(*RowsEvent).Rows()
	for it.Next() {
		clone := func(vs []Value) []Value {
			if vs == nil {
				return nil
			}
			out := make([]Value, len(vs))
			for i := range vs {
				out[i] = vs[i].Clone()
			}
			return out
		}
		before = append(before, clone(it.Before()))
		after = append(after, clone(it.After()))
	}
	if err := it.Err(); err != nil {
		tb.Fatalf("%s rows: %v", r.typ, err)
	}
	return before, after
}

// renderJSON renders v, failing the test on error.
func renderJSON(tb testing.TB, v *Value) string {
	tb.Helper()
	out, err := v.AppendJSON(nil)
	if err != nil {
		tb.Fatalf("render %s: %v", v.Kind(), err)
	}
	return string(out)
}

// Little helpers for value bytes.
func le(n int, v uint64) []byte {
	b := make([]byte, n)
	for i := range n {
		b[i] = byte(v >> (8 * i))
	}
	return b
}

func be(n int, v uint64) []byte {
	b := make([]byte, n)
	for i := range n {
		b[n-1-i] = byte(v >> (8 * i))
	}
	return b
}

func lenPrefixed(width int, s []byte) []byte { return append(le(width, uint64(len(s))), s...) }
