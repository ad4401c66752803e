package binlog

import (
	"bytes"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func TestPayloadCorpusConnectorJava(t *testing.T) {
	evs := decodeCorpusFile(t, "mysql-binlog-connector-java/mysql-bin.compressed")
	if len(evs) != 5 {
		t.Fatalf("got %d top-level events, want 5", len(evs))
	}
	ps := bodies[*TransactionPayloadEvent](evs)
	if len(ps) != 1 {
		t.Fatalf("got %d payloads, want 1", len(ps))
	}
	p := ps[0]
	if p.Compression != PayloadZstd || p.PayloadSize != 451 || p.UncompressedSize != 960 {
		t.Errorf("payload fields = %+v", p)
	}
	var types []EventType
	total := 0
	for _, in := range p.Events {
		types = append(types, in.Header.Type)
		total += len(in.Raw)
		if in.HasChecksum {
			t.Errorf("inner %s has a checksum", in.Header.Type)
		}
	}
	want := []EventType{QueryEventType, TableMapEventType, UpdateRowsEventV2Type, XIDEventType}
	if len(types) != len(want) {
		t.Fatalf("inner types = %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Errorf("inner event %d is %s, want %s", i, types[i], want[i])
		}
	}
	if total != 960 {
		t.Errorf("inner events total %d bytes, want the uncompressed size 960", total)
	}
	if x, ok := p.Events[3].Body.(*XIDEvent); !ok || x.XID != 31 {
		t.Errorf("inner XID = %+v", p.Events[3].Body)
	}
	if q, ok := p.Events[0].Body.(*QueryEvent); !ok || q.Query != "BEGIN" || q.ThreadID != 12 {
		t.Errorf("inner QUERY = %+v", p.Events[0].Body)
	}
	if js := jsonOf(t, p); js != `{"payload_size":451,"compression_type":"ZSTD","uncompressed_size":960}` {
		t.Errorf("JSON = %s", js)
	}
	// The ROTATE after the payload is decoded with checksums again.
	if r := bodies[*RotateEvent](evs); len(r) != 1 || r[0].NextFile != "mysql-bin.000005" || !evs[4].Ev.HasChecksum {
		t.Errorf("rotate after payload = %+v", r)
	}
}

func TestPayloadCorpusConnectorRust(t *testing.T) {
	evs := decodeCorpusFile(t, "mysql-binlog-connector-rust/mysql-bin.000057")
	if len(evs) != 8 {
		t.Fatalf("got %d top-level events, want 8", len(evs))
	}
	ps := bodies[*TransactionPayloadEvent](evs)
	if len(ps) != 2 || ps[0].UncompressedSize != 214 || ps[1].UncompressedSize != 1255 {
		t.Fatalf("payloads = %+v", ps)
	}
	var rq []string
	for _, r := range bodies[*RowsQueryEvent](evs) {
		rq = append(rq, r.Query)
	}
	if len(rq) != 3 || rq[0] != "insert into b values(1)" ||
		rq[1] != "update test_table_3 set enum_field='large', set_field='c', \nproduct_item_2='product_3_value' where product_id=55555" {
		t.Errorf("ROWS_QUERY texts = %q", rq)
	}
	xids := bodies[*XIDEvent](evs)
	if len(xids) != 2 || xids[0].XID != 10 || xids[1].XID != 22 {
		t.Errorf("inner XIDs = %+v", xids)
	}
	evs = decodeCorpusFile(t, "rust_mysql_common/transaction_compression.000001")
	if ps := bodies[*TransactionPayloadEvent](evs); len(ps) != 1 || len(ps[0].Events) == 0 {
		t.Errorf("transaction_compression payloads = %+v", ps)
	}
}

// payloadFields encodes the header fields of a TRANSACTION_PAYLOAD.
func payloadFields(compression byte, uncompressed, size int, extra ...[]byte) []byte {
	var b []byte
	put := func(typ byte, v int) {
		vb := lenencBytes(uint64(v))
		b = append(b, typ, byte(len(vb)))
		b = append(b, vb...)
	}
	put(payloadCompress, int(compression))
	if uncompressed >= 0 {
		put(payloadUncomp, uncompressed)
	}
	for _, e := range extra {
		b = append(b, e...)
	}
	put(payloadSize, size)
	return append(b, payloadEndMark)
}

func lenencBytes(v uint64) []byte {
	switch {
	case v < 251:
		return []byte{byte(v)}
	case v < 1<<16:
		return []byte{0xfc, byte(v), byte(v >> 8)}
	case v < 1<<24:
		return []byte{0xfd, byte(v), byte(v >> 8), byte(v >> 16)}
	}
	return append([]byte{0xfe}, u64le(v)...)
}

func zstdCompress(t testing.TB, b []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

// innerEvents builds the uncompressed payload of a small transaction.
func innerEvents() []byte {
	return cat(
		makeEvent(QueryEventType, 7, queryBody(3, "db", nil, []byte("BEGIN")), false),
		makeEvent(RowsQueryEventType, 7, append([]byte{9}, "UPDATE t SET a=1"...), false),
		makeEvent(XIDEventType, 7, u64le(4711), false),
	)
}

func TestPayloadHandBuilt(t *testing.T) {
	plain := innerEvents()
	compressed := zstdCompress(t, plain)
	for _, tc := range []struct {
		name string
		body []byte
		comp PayloadCompression
	}{
		{"zstd", cat(payloadFields(0, len(plain), len(compressed)), compressed), PayloadZstd},
		{"none", cat(payloadFields(255, -1, len(plain)), plain), PayloadNone},
		{"unknown field skipped", cat(payloadFields(0, len(plain), len(compressed), []byte{9, 2, 0xaa, 0xbb}), compressed), PayloadZstd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// With CRC32 on: the outer events carry checksums, the inner
			// ones do not, and checking resumes after the payload.
			d := NewDecoder()
			if _, err := d.Decode(makeFDE("8.0.28", mysql80PostHeaders, ChecksumCRC32)); err != nil {
				t.Fatal(err)
			}
			ev, err := d.Decode(makeEvent(TransactionPayloadEventType, 1, tc.body, true))
			if err != nil {
				t.Fatal(err)
			}
			p := ev.Body.(*TransactionPayloadEvent)
			if p.Compression != tc.comp || p.UncompressedSize != uint64(len(plain)) || len(p.Events) != 3 {
				t.Fatalf("payload = %+v", p)
			}
			if q := p.Events[0].Body.(*QueryEvent); q.Query != "BEGIN" || q.Schema != "db" {
				t.Errorf("inner query = %+v", q)
			}
			if r := p.Events[1].Body.(*RowsQueryEvent); r.Query != "UPDATE t SET a=1" {
				t.Errorf("inner rows query = %+v", r)
			}
			if x := p.Events[2].Body.(*XIDEvent); x.XID != 4711 {
				t.Errorf("inner xid = %+v", x)
			}
			after := makeEvent(XIDEventType, 1, u64le(5), true)
			if ev, err := d.Decode(after); err != nil || !ev.HasChecksum {
				t.Errorf("event after payload: %v", err)
			}
			after[HeaderLen] ^= 1
			if _, err := d.Decode(after); err == nil {
				t.Error("corrupt event after payload passed the checksum")
			}
		})
	}
}

func TestPayloadErrors(t *testing.T) {
	plain := innerEvents()
	compressed := zstdCompress(t, plain)
	nested := makeEvent(TransactionPayloadEventType, 7, cat(payloadFields(255, -1, len(plain)), plain), false)
	cases := []struct {
		name string
		body []byte
		want string
	}{
		{"size mismatch", cat(payloadFields(0, len(plain)+1, len(compressed)), compressed), "inflates to"},
		{"size too small", cat(payloadFields(0, len(plain)-1, len(compressed)), compressed), "more than the declared"},
		{"absurd size", cat(payloadFields(0, 1<<40, len(compressed)), compressed), "exceeds the 1073741824-byte limit"},
		{"bad compression", cat(payloadFields(7, len(plain), len(compressed)), compressed), "compression type 7"},
		{"no end mark", []byte{2, 1, 0}, "no end mark"},
		{"payload beyond event", cat(payloadFields(0, len(plain), len(compressed)+10), compressed), "payload size"},
		{"no uncompressed size", cat(payloadFields(0, -1, len(compressed)), compressed), "without an uncompressed size"},
		{"garbage zstd", cat(payloadFields(0, len(plain), 6), []byte("abcdef")), "zstd"},
		{"nested", cat(payloadFields(255, -1, len(nested)), nested), "nested"},
		{"inner truncated", cat(payloadFields(255, -1, len(plain)-3), plain[:len(plain)-3]), "inner event 2 at offset"},
		{"field length too long", []byte{2, 9, 0}, "length 9 exceeds"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDecoder(t, FlavorMySQL)
			_, err := decodeBody(t, d, TransactionPayloadEventType, tc.body)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "TRANSACTION_PAYLOAD") {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if d.inPayload {
				t.Error("decoder left in payload mode")
			}
		})
	}
}

func TestInflateZstdBounded(t *testing.T) {
	big := bytes.Repeat([]byte{'a'}, 1<<20)
	c := zstdCompress(t, big)
	out, err := inflateZstd(c, 1<<20)
	if err != nil || !bytes.Equal(out, big) || cap(out) > 1<<20 {
		t.Fatalf("err %v len %d cap %d", err, len(out), cap(out))
	}
	if _, err := inflateZstd(c, 1000); err == nil || !strings.Contains(err.Error(), "more than the declared 1000") {
		t.Errorf("bomb: %v", err)
	}
}

func FuzzPayload(f *testing.F) {
	plain := innerEvents()
	compressed := zstdCompress(f, plain)
	f.Add(cat(payloadFields(0, len(plain), len(compressed)), compressed))
	f.Add(cat(payloadFields(255, -1, len(plain)), plain))
	f.Fuzz(func(t *testing.T, body []byte) {
		d := newTestDecoder(t, FlavorMySQL)
		ev, err := decodeBody(t, d, TransactionPayloadEventType, body)
		if d.inPayload {
			t.Fatal("decoder left in payload mode")
		}
		if err != nil {
			return
		}
		p := ev.Body.(*TransactionPayloadEvent)
		for _, in := range p.Events {
			if in.Header.Type == TransactionPayloadEventType {
				t.Fatal("nested payload accepted")
			}
		}
	})
}
