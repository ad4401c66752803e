package binlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zlib"
)

// mariaColumnCompress builds a stored value as MariaDB's compress_zlib does:
// header 0x80 | width | (raw ? 8 : 0), the big-endian original length in
// width bytes, then the deflate (raw) or zlib stream.
func mariaColumnCompress(t testing.TB, data []byte, raw bool, width int) []byte {
	t.Helper()
	hdr := byte(0x80 | width)
	if raw {
		hdr |= 8
	}
	out := []byte{hdr}
	for i := width - 1; i >= 0; i-- {
		out = append(out, byte(len(data)>>(8*i)))
	}
	var buf bytes.Buffer
	if raw {
		w, err := flate.NewWriter(&buf, 6)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		w.Close()
	} else {
		w := zlib.NewWriter(&buf)
		w.Write(data)
		w.Close()
	}
	return append(out, buf.Bytes()...)
}

func TestMariaUncompress(t *testing.T) {
	long := []byte(strings.Repeat("Grüße, 世界! ", 200))
	for _, tc := range []struct {
		name   string
		stored []byte
		want   []byte
	}{
		{"no bytes is empty", nil, []byte{}},
		{"header 0 alone is empty", []byte{0}, []byte{}},
		{"header 0 then data", append([]byte{0}, "short"...), []byte("short")},
		{"low nibble ignored when the method is 0", []byte{0x0f, 'x'}, []byte("x")},
		{"raw deflate", mariaColumnCompress(t, long, true, 2), long},
		{"zlib wrapper", mariaColumnCompress(t, long, false, 2), long},
		{"wide length field", mariaColumnCompress(t, long, true, 4), long},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mariaUncompress(tc.stored, 1<<20, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}

	// Inflated values go to scratch, after what is there; stored ones alias
	// the input.
	scratch := []byte("keep")
	got, err := mariaUncompress(mariaColumnCompress(t, long, true, 2), 1<<20, &scratch)
	if err != nil || !bytes.Equal(got, long) || string(scratch[:4]) != "keep" || len(scratch) != 4+len(long) {
		t.Fatalf("scratch use: err %v, %d bytes, scratch %q...", err, len(got), scratch[:4])
	}
	in := []byte{0, 'a', 'b'}
	if got, _ := mariaUncompress(in, 10, &scratch); &got[0] != &in[1] {
		t.Error("a value stored uncompressed was copied")
	}
}

func TestMariaUncompressCorrupt(t *testing.T) {
	long := []byte(strings.Repeat("abc", 1000))
	good := mariaColumnCompress(t, long, true, 2)
	wrapped := mariaColumnCompress(t, long, false, 2)
	declare := func(b []byte, n int) []byte {
		b = append([]byte(nil), b...)
		binary.BigEndian.PutUint16(b[1:], uint16(n))
		return b
	}
	badAdler := append([]byte(nil), wrapped...)
	badAdler[len(badAdler)-1] ^= 1
	for _, tc := range []struct {
		name   string
		stored []byte
		limit  int
	}{
		{"unknown method", []byte{0x90, 1, 0}, 100},
		{"length width 0", []byte{0x88}, 100},
		{"length width 5", []byte{0x8d, 0, 0, 0, 0, 1}, 100},
		{"length cut short", []byte{0x8a, 1}, 100},
		{"declared length over the column's", good, len(long) - 1},
		{"declared shorter than the stream", declare(good, len(long)-1), 1 << 20},
		{"declared longer than the stream", declare(good, len(long)+1), 1 << 20},
		{"truncated stream", good[:len(good)/2], 1 << 20},
		{"garbage stream", []byte{0x8a, 10, 0xff, 0xff, 0xff}, 100},
		{"bad zlib header", []byte{0x82, 0, 10, 0x78, 0x00}, 100},
		{"zlib preset dictionary", []byte{0x82, 0, 10, 0x78, 0xbb}, 100},
		{"zlib without adler32", wrapped[:len(wrapped)-4], 1 << 20},
		{"zlib bad adler32", badAdler, 1 << 20},
		{"uncompressed over the column's length", []byte{0, 1, 2, 3}, 2},
		{"bomb: 1 GiB declared, tiny stream", []byte{0x8c, 0x40, 0, 0, 0, 0x03, 0x00}, 1 << 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mariaUncompress(tc.stored, tc.limit, nil)
			if !errors.Is(err, errMariaCompressed) {
				t.Fatalf("got %d bytes, err %v; want a corrupt-value error", len(got), err)
			}
		})
	}
}

// TestMariaCompressedValue decodes whole row-image values through
// decodeValue: length prefix, decompression, kind by charset, and an error
// that names the column.
func TestMariaCompressedValue(t *testing.T) {
	text := []byte(strings.Repeat("é naïve ", 100))
	stored := mariaColumnCompress(t, text, true, 2)
	blob := &Column{Index: 2, Type: TypeMariaBlobCompressed, RealType: TypeMariaBlobCompressed, Length: 2, Charset: CharsetBinary}
	vc := &Column{Index: 0, Type: TypeMariaVarcharCompressed, RealType: TypeMariaVarcharCompressed, Length: 4001, Charset: CharsetUTF8MB4}
	for _, c := range []*Column{blob, vc} {
		c.op = planValue(c)
	}
	row := binary.LittleEndian.AppendUint16(nil, uint16(len(stored)))
	row = append(row, stored...)
	var v Value
	var pad []byte
	n, err := decodeValue(vc, row, &v, &pad)
	if err != nil || n != len(row) {
		t.Fatalf("n %d err %v", n, err)
	}
	if txt, ok := v.AppendText(nil); v.Kind() != KindString || !ok || !bytes.Equal(txt, text) {
		t.Fatalf("VARCHAR COMPRESSED: kind %s, %q", v.Kind(), txt)
	}
	if n, err := decodeValue(blob, row, &v, &pad); err != nil || n != len(row) || v.Kind() != KindBytes || !bytes.Equal(v.Bytes(), text) {
		t.Fatalf("BLOB COMPRESSED: n %d err %v kind %s", n, err, v.Kind())
	}
	// A VARCHAR(10) COMPRESSED value (max length 11 with the header byte)
	// cannot declare 800 bytes.
	small := &Column{Index: 4, Type: TypeMariaVarcharCompressed, RealType: TypeMariaVarcharCompressed, Length: 11}
	small.op = planValue(small)
	short := append([]byte{byte(len(stored))}, stored...)
	if len(stored) < 256 {
		if _, err := decodeValue(small, short, &v, &pad); err == nil || !strings.Contains(err.Error(), "column 5 (VARCHAR_COMPRESSED)") {
			t.Fatalf("got %v, want an error naming column 5", err)
		}
	}
}

// FuzzMariaCompressed feeds arbitrary stored bytes to the decompressor: it
// must not panic, must never return more than the limit, and must return
// exactly the declared length for a compressed value.
func FuzzMariaCompressed(f *testing.F) {
	long := []byte(strings.Repeat("fuzz me ", 300))
	f.Add([]byte{}, uint32(100))
	f.Add([]byte{0, 'h', 'i'}, uint32(100))
	f.Add(mariaColumnCompress(f, long, true, 2), uint32(1<<20))
	f.Add(mariaColumnCompress(f, long, false, 2), uint32(1<<20))
	f.Add(mariaColumnCompress(f, long, true, 3), uint32(len(long)))
	f.Add(mariaColumnCompress(f, []byte("ab"), true, 1), uint32(2))
	f.Fuzz(func(t *testing.T, stored []byte, limit uint32) {
		lim := int(limit % (1 << 24))
		scratch := []byte("x")
		got, err := mariaUncompress(stored, lim, &scratch)
		if err != nil {
			if !errors.Is(err, errMariaCompressed) {
				t.Fatalf("error does not wrap errMariaCompressed: %v", err)
			}
			if string(scratch) != "x" {
				t.Fatalf("a failed decode left %d bytes in scratch", len(scratch)-1)
			}
			return
		}
		if len(got) > lim {
			t.Fatalf("%d bytes over the %d limit", len(got), lim)
		}
		if len(stored) > 0 && stored[0]>>4 == mariaZlibMethod {
			w := int(stored[0] & 7)
			var declared int
			for _, b := range stored[1 : 1+w] {
				declared = declared<<8 | int(b)
			}
			if len(got) != declared {
				t.Fatalf("%d bytes, declared %d", len(got), declared)
			}
			// A round trip through the writer inflates back.
			again, err := mariaUncompress(mariaColumnCompress(t, got, true, 4), lim, nil)
			if err != nil || !bytes.Equal(again, got) {
				t.Fatalf("round trip: %v", err)
			}
		}
	})
}
