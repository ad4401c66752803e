package binlog

import (
	"bytes"
	"strings"
	"testing"

	"github.com/klauspost/compress/zlib"
)

// mariaCompress builds MariaDB's compressed layout by hand: header byte,
// big-endian length in lenBytes bytes, zlib stream.
func mariaCompress(t testing.TB, plain []byte, lenBytes int) []byte {
	t.Helper()
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out := []byte{0x80 | byte(lenBytes)}
	for i := lenBytes - 1; i >= 0; i-- {
		out = append(out, byte(len(plain)>>(8*i)))
	}
	return append(out, z.Bytes()...)
}

func TestDecompressMariaDBRoundTrip(t *testing.T) {
	for _, size := range []int{1, 255, 256, 70000, 1 << 17} {
		plain := bytes.Repeat([]byte("insert into t values (1,'abc');"), size/31+1)[:size]
		for lb := 1; lb <= 4; lb++ {
			if size >= 1<<(8*lb) {
				continue
			}
			got, err := decompressMariaDB(mariaCompress(t, plain, lb))
			if err != nil {
				t.Fatalf("size %d, %d length bytes: %v", size, lb, err)
			}
			if !bytes.Equal(got, plain) {
				t.Fatalf("size %d, %d length bytes: got %d bytes, want %d", size, lb, len(got), len(plain))
			}
			if cap(got) > size {
				t.Errorf("size %d: result capacity %d exceeds the declared length", size, cap(got))
			}
		}
	}
}

// The length is big-endian: 0x01 0x00 is 256, not 1.
func TestDecompressMariaDBBigEndianLength(t *testing.T) {
	plain := bytes.Repeat([]byte{'x'}, 256)
	data := mariaCompress(t, plain, 2)
	if data[1] != 0x01 || data[2] != 0x00 {
		t.Fatalf("test helper wrote length bytes % x", data[1:3])
	}
	got, err := decompressMariaDB(data)
	if err != nil || len(got) != 256 {
		t.Fatalf("got %d bytes, err %v", len(got), err)
	}
}

func TestDecompressMariaDBErrors(t *testing.T) {
	good := mariaCompress(t, []byte("hello world"), 1)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "missing header byte"},
		{"not compressed", append([]byte{0x01}, good[1:]...), "lacks the compressed bit"},
		{"unknown algorithm", append([]byte{0x91}, good[1:]...), "algorithm 1"},
		{"zero length width", append([]byte{0x80}, good[1:]...), "0-byte length"},
		{"length width 5", append([]byte{0x85}, good[1:]...), "5-byte length"},
		{"truncated length", []byte{0x84, 0, 0}, "need 5 bytes, have 3"},
		{"zero declared", append([]byte{0x81, 0}, good[2:]...), "is 0"},
		{"absurd declared", []byte{0x84, 0x7f, 0xff, 0xff, 0xff, 0x78, 0x9c}, "exceeds"},
		{"declared too big", append([]byte{0x81, 12}, good[2:]...), "inflates to 11 bytes, header declares 12"},
		{"declared too small", append([]byte{0x81, 10}, good[2:]...), "more than the declared 10"},
		{"truncated stream", good[:len(good)-6], "inflating"},
		{"bad zlib header", []byte{0x81, 5, 0xff, 0xff}, "zlib header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decompressMariaDB(tc.data)
			if err == nil {
				t.Fatalf("no error, got %q", got)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func FuzzDecompressMariaDB(f *testing.F) {
	f.Add(mariaCompress(f, []byte("select 1"), 1))
	f.Add(mariaCompress(f, bytes.Repeat([]byte("ab"), 5000), 3))
	f.Add([]byte{0x84, 0x3f, 0xff, 0xff, 0xff, 0x78, 0x9c, 0x03, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := decompressMariaDB(data)
		if err != nil {
			return
		}
		var declared int
		n := int(data[0] & 7)
		for _, b := range data[1 : 1+n] {
			declared = declared<<8 | int(b)
		}
		if len(out) != declared {
			t.Fatalf("returned %d bytes, declared %d", len(out), declared)
		}
	})
}
