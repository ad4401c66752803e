package gtid

import (
	"encoding/hex"
	"strings"
	"testing"
)

// unhexSpaced decodes hex written with spaces and newlines for readability.
func unhexSpaced(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The byte vectors are written out by hand from the layout table in
// binary.go (itself from Gtid_set::encode and encode_nsids_format in
// mysql-server sql/rpl_gtid_set.cc), not produced by Encode.
var binaryVectors = []struct {
	name, text, hex string
}{
	{"empty", "", "0000000000000000"},
	{"one interval", uuidA + ":1-5", `
		0100000000000000
		3e11fa4771ca11e19e33c80aa9429562
		0100000000000000
		0100000000000000 0600000000000000`},
	{"two UUIDs, UUID order", uuidB + ":7," + uuidA + ":1-5:7-9", `
		0200000000000000
		3e11fa4771ca11e19e33c80aa9429562
		0200000000000000
		0100000000000000 0600000000000000
		0700000000000000 0a00000000000000
		4c4bc7f071ca11e19e33c80aa9429562
		0100000000000000
		0700000000000000 0800000000000000`},
	{"max GNO", uuidA + ":9223372036854775806", `
		0100000000000000
		3e11fa4771ca11e19e33c80aa9429562
		0100000000000000
		feffffffffffff7f ffffffffffffff7f`},
	// Tagged: the count word is 0x01 | n<<8 | 0x01<<56; every TSID carries
	// a varlen tag length (len<<1), 0x00 for the untagged one.
	{"tagged", uuidA + ":1-5:tag1:1-3:7", `
		01 020000000000 01
		3e11fa4771ca11e19e33c80aa9429562 00
		0100000000000000
		0100000000000000 0600000000000000
		3e11fa4771ca11e19e33c80aa9429562 08 74616731
		0200000000000000
		0100000000000000 0400000000000000
		0700000000000000 0800000000000000`},
	{"tagged only, 32-char tag", uuidB + ":" + strings.Repeat("z", 32) + ":42", `
		01 010000000000 01
		4c4bc7f071ca11e19e33c80aa9429562 40 ` + strings.Repeat("7a", 32) + `
		0100000000000000
		2a00000000000000 2b00000000000000`},
}

func TestEncodeVectors(t *testing.T) {
	for _, v := range binaryVectors {
		s := MustParseSet(v.text)
		want := unhexSpaced(t, v.hex)
		if got := s.Encode(); string(got) != string(want) {
			t.Errorf("%s: Encode(%q) =\n%x\nwant\n%x", v.name, v.text, got, want)
		}
		d, err := DecodeSet(want)
		if err != nil {
			t.Errorf("%s: DecodeSet: %v", v.name, err)
			continue
		}
		if !d.Equal(s) {
			t.Errorf("%s: DecodeSet = %q, want %q", v.name, d, s)
		}
	}
}

func TestDecodeSetLenient(t *testing.T) {
	// MySQL's reader takes TSIDs out of order, repeated, with upper-case
	// tags, with empty interval lists; the result is normalized.
	b := unhexSpaced(t, `
		01 040000000000 01
		4c4bc7f071ca11e19e33c80aa9429562 00
		0100000000000000 0100000000000000 0300000000000000
		3e11fa4771ca11e19e33c80aa9429562 04 4142
		0100000000000000 0500000000000000 0600000000000000
		4c4bc7f071ca11e19e33c80aa9429562 00
		0100000000000000 0300000000000000 0400000000000000
		ffffffff000000000000000000000001 00
		0000000000000000`)
	s, err := DecodeSet(b)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.String(), uuidA+":ab:5,"+uuidB+":1-3"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestDecodeSetErrors(t *testing.T) {
	ok := MustParseSet(uuidA + ":1-5:7").Encode()
	tagged := MustParseSet(uuidA + ":t:1").Encode()
	mod := func(b []byte, f func([]byte) []byte) []byte {
		return f(append([]byte(nil), b...))
	}
	for _, tc := range []struct {
		name string
		in   []byte
		msg  string
	}{
		{"short", []byte{1, 0, 0}, "need at least 8"},
		{"truncated", ok[:len(ok)-1], "cannot fit"},
		{"trailing", append(append([]byte(nil), ok...), 0), "unexpected bytes"},
		{"lying SID count", mod(ok, func(b []byte) []byte { b[6] = 0x10; return b }), "cannot fit"},
		{"lying interval count", mod(ok, func(b []byte) []byte { b[24+6] = 0x10; return b }), "cannot fit"},
		{"unknown format", mod(ok, func(b []byte) []byte { b[7] = 2; return b }), "unknown format"},
		{"tagged marker", mod(tagged, func(b []byte) []byte { b[0] = 0; return b }), "byte 0"},
		{"zero start", mod(ok, func(b []byte) []byte { b[32] = 0; return b }), "empty, negative"},
		{"empty interval", mod(ok, func(b []byte) []byte { b[40] = 1; return b }), "empty, negative"},
		{"overlap", mod(ok, func(b []byte) []byte { b[48] = 5; return b }), "not after the previous end"},
		{"adjacent", mod(ok, func(b []byte) []byte { b[48] = 6; return b }), "not after the previous end"},
		{"negative end", mod(ok, func(b []byte) []byte { b[63] = 0x80; return b }), "empty, negative"},
		{"long tag", mod(tagged, func(b []byte) []byte { b[24] = 66; return b }), "exceeds 32"},
		{"multibyte tag length", mod(tagged, func(b []byte) []byte { b[24] = 1; return b }), "1-byte varlen"},
		{"bad tag char", mod(tagged, func(b []byte) []byte { b[25] = '-'; return b }), "invalid character"},
		{"tag overruns", mod(tagged, func(b []byte) []byte { b[24] = 0x40; return b }), "overruns"},
	} {
		_, err := DecodeSet(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: DecodeSet(%x) error %v, want one containing %q", tc.name, tc.in, err, tc.msg)
		}
	}
}
