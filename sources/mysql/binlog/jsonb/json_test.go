package jsonb

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func packDatetime(y, mo, d, h, mi, s, us int64) []byte {
	ymd := (y*13+mo)<<5 | d
	hms := h<<12 | mi<<6 | s
	return binary.LittleEndian.AppendUint64(nil, uint64((ymd<<17|hms)<<24|us))
}

func packTime(neg bool, h, mi, s, us int64) []byte {
	v := (h<<12|mi<<6|s)<<24 | us
	if neg {
		v = -v
	}
	return binary.LittleEndian.AppendUint64(nil, uint64(v))
}

func mustJSON(t *testing.T, bin []byte) string {
	t.Helper()
	out, err := AppendJSON(nil, bin)
	if err != nil {
		t.Fatalf("AppendJSON(%x): %v", bin, err)
	}
	return string(out)
}

func TestAppendJSONScalars(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{nil, `null`},
		{true, `true`},
		{false, `false`},
		{int64(0), `0`},
		{int64(math.MinInt16), `-32768`},
		{int64(math.MaxInt16), `32767`},
		{int64(math.MinInt32), `-2147483648`},
		{int64(math.MaxInt32), `2147483647`},
		{int64(math.MinInt64), `-9223372036854775808`},
		{int64(math.MaxInt64), `9223372036854775807`},
		{uint64(65535), `65535`},
		{uint64(math.MaxUint32), `4294967295`},
		{uint64(math.MaxUint64), `18446744073709551615`},
		{"", `""`},
		{"héllo wörld ✓ 😀", `"héllo wörld ✓ 😀"`},
		{"q\"b\\s/", `"q\"b\\s/"`},
		{"\b\t\n\f\r", `"\b\t\n\f\r"`},
		{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f" + `"`},
		{strings.Repeat("a", 200), `"` + strings.Repeat("a", 200) + `"`},     // 2-byte varlen
		{strings.Repeat("b", 20000), `"` + strings.Repeat("b", 20000) + `"`}, // 3-byte varlen
	}
	for _, tc := range tests {
		if got := mustJSON(t, encode(tc.v, false)); got != tc.want {
			t.Errorf("%#v: got %s, want %s", tc.v, trunc(got), trunc(tc.want))
		}
	}
	// Integers of every width also as explicitly built documents, so the
	// encoder's width choice is not what is being tested.
	raw := []struct {
		bin  []byte
		want string
	}{
		{[]byte{jsonInt16, 0xff, 0xff}, `-1`},
		{[]byte{jsonUint16, 0xff, 0xff}, `65535`},
		{[]byte{jsonInt32, 0xfe, 0xff, 0xff, 0xff}, `-2`},
		{[]byte{jsonUint32, 0xfe, 0xff, 0xff, 0xff}, `4294967294`},
		{[]byte{jsonInt64, 1, 0, 0, 0, 0, 0, 0, 0}, `1`},
		{[]byte{jsonUint64, 0, 0, 0, 0, 0, 0, 0, 0x80}, `9223372036854775808`},
		{nil, `null`}, // empty document: MySQL reads it as null
	}
	for _, tc := range raw {
		if got := mustJSON(t, tc.bin); got != tc.want {
			t.Errorf("%x: got %s, want %s", tc.bin, got, tc.want)
		}
	}
}

func trunc(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func TestAppendJSONDoubles(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{0, `0.0`},
		{math.Copysign(0, -1), `-0.0`},
		{1, `1.0`},
		{-2.5, `-2.5`},
		{0.1, `0.1`},
		{100, `100.0`},
		{123.456, `123.456`},
		{1e14, `100000000000000.0`},
		{1e15, `1e15`},
		{3e15, `3e15`},
		{1e20, `1e20`},
		{1.5e300, `1.5e300`},
		{1.7976931348623157e308, `1.7976931348623157e308`},
		{1234567890123456.7, `1234567890123456.8`}, // 17 digits, decpt 16: still fixed
		{12345678901234567e1, `1.2345678901234566e17`},
		{1e-5, `0.00001`},
		{1.5e-7, `0.00000015`},
		{1e-14, `0.00000000000001`},
		{1e-15, `0.000000000000001`},
		{1e-16, `1e-16`},
		{-1.25e-20, `-1.25e-20`},
		{5e-324, `5e-324`},
		{0.30000000000000004, `0.30000000000000004`},
	}
	for _, tc := range tests {
		got := mustJSON(t, encode(tc.f, false))
		if got != tc.want {
			t.Errorf("%v: got %s, want %s", tc.f, got, tc.want)
		}
		var back float64
		if err := json.Unmarshal([]byte(got), &back); err != nil || back != tc.f {
			t.Errorf("%v: %s does not round-trip (%v, %v)", tc.f, got, back, err)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := AppendJSON(nil, encode(f, false)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%v: want ErrCorrupt, got %v", f, err)
		}
	}
}

func TestAppendJSONContainers(t *testing.T) {
	doc := obj{
		{"a", int64(1)},
		{"b", arr{int64(-1), uint64(2), true, nil, "s", 1.5}},
		{"cc", obj{}},
		{"dd", arr{}},
		{"big", int64(1 << 40)},
		{"i32", int64(-100000)},
		{"u32", uint64(100000)},
		{"nested", obj{{"x", arr{arr{arr{"deep"}}}}}},
		{"k\"ey\n", "v"},
	}
	want := `{"a":1,"b":[-1,2,true,null,"s",1.5],"cc":{},"dd":[],"big":1099511627776,"i32":-100000,"u32":100000,"nested":{"x":[[["deep"]]]},"k\"ey\n":"v"}`
	for _, large := range []bool{false, true} {
		bin := encode(doc, large)
		if got := mustJSON(t, bin); got != want {
			t.Errorf("large=%v:\n got %s\nwant %s", large, got, want)
		}
		if !json.Valid([]byte(want)) {
			t.Fatal("test expectation is not valid JSON")
		}
	}
	// A large container inside a small one, and the reverse.
	mixed := arr{lg{arr{int64(7), uint64(70000)}}, obj{{"z", lg{obj{{"y", false}}}}}}
	if got, want := mustJSON(t, encode(mixed, false)), `[[7,70000],{"z":{"y":false}}]`; got != want {
		t.Errorf("mixed: got %s, want %s", got, want)
	}
	// int32/uint32 are inlined only in the large format; check the
	// encoder really produced both layouts.
	small := encode(arr{int64(-100000)}, false)
	large := encode(arr{int64(-100000)}, true)
	if len(small) != 1+4+3+4 || len(large) != 1+8+5 {
		t.Fatalf("unexpected layouts: small %x, large %x", small, large)
	}
	if mustJSON(t, small) != `[-100000]` || mustJSON(t, large) != `[-100000]` {
		t.Error("int32 in small/large array")
	}
	// A big array that needs the large format for real.
	var elems arr
	var sb strings.Builder
	sb.WriteByte('[')
	for i := 0; i < 5000; i++ {
		elems = append(elems, strings.Repeat("x", 20))
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`"` + strings.Repeat("x", 20) + `"`)
	}
	sb.WriteByte(']')
	if got := mustJSON(t, encode(elems, true)); got != sb.String() {
		t.Error("5000-element large array mismatch")
	}
}

// TestAppendJSONHandBuilt checks documents written out byte by byte from
// the format description, independent of the test encoder.
func TestAppendJSONHandBuilt(t *testing.T) {
	tests := []struct {
		hex  string
		want string
	}{
		// {"a": 1} small object: count 1, size 12, key entry (11, 1),
		// value entry int16 inlined 1, key "a".
		{"00" + "0100" + "0c00" + "0b000100" + "050100" + "61", `{"a":1}`},
		// ["x"] small array: count 1, size 9, entry string at 7.
		{"02" + "0100" + "0900" + "0c0700" + "0178", `["x"]`},
		// [true] large array: count 1, size 13, entry literal inlined.
		{"03" + "01000000" + "0d000000" + "0401000000", `[true]`},
		// {"id":1,"name":"John"} from MySqlCdc/mysql-bin.000001.
		{"0002001d0012000200140004000501000c180069646e616d65044a6f686e", `{"id":1,"name":"John"}`},
	}
	for _, tc := range tests {
		bin := mustHex(t, tc.hex)
		if got := mustJSON(t, bin); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.hex, got, tc.want)
		}
	}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b := make([]byte, len(s)/2)
	for i := range b {
		var v byte
		for _, c := range s[2*i : 2*i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			case c >= 'a' && c <= 'f':
				v |= byte(c - 'a' + 10)
			default:
				t.Fatalf("bad hex %q", s)
			}
		}
		b[i] = v
	}
	return b
}

func TestAppendJSONOpaque(t *testing.T) {
	dec := func(s string, p, sc int) opaque {
		return opaque{typeNewDecimal, append([]byte{byte(p), byte(sc)}, encodeDecimal(s, p, sc)...)}
	}
	tests := []struct {
		v    opaque
		want string
	}{
		{dec("123.456", 6, 3), `123.456`},
		{dec("9", 11, 2), `9.00`},
		{dec("-0.5", 3, 2), `-0.50`},
		{dec("12345678901234567890123456789012345.123456789012345678901234567890", 65, 30), `12345678901234567890123456789012345.123456789012345678901234567890`},
		{dec("7", 1, 0), `7`},
		{opaque{typeDate, packDatetime(2012, 3, 18, 0, 0, 0, 0)}, `"2012-03-18"`},
		{opaque{typeDate, packDatetime(0, 0, 0, 0, 0, 0, 0)}, `"0000-00-00"`},
		{opaque{typeDate, packDatetime(33, 1, 2, 0, 0, 0, 0)}, `"0033-01-02"`},
		{opaque{typeDatetime, packDatetime(2012, 3, 18, 11, 30, 45, 0)}, `"2012-03-18 11:30:45.000000"`},
		{opaque{typeDatetime, packDatetime(9999, 12, 31, 23, 59, 59, 999999)}, `"9999-12-31 23:59:59.999999"`},
		{opaque{typeTimestamp, packDatetime(1970, 1, 1, 0, 0, 1, 500)}, `"1970-01-01 00:00:01.000500"`},
		{opaque{typeTime, packTime(false, 87, 31, 46, 654321)}, `"87:31:46.654321"`},
		{opaque{typeTime, packTime(true, 838, 59, 59, 0)}, `"-838:59:59.000000"`},
		{opaque{typeTime, packTime(false, 0, 0, 0, 1)}, `"00:00:00.000001"`},
		{opaque{typeTime, packTime(true, 1, 2, 3, 400000)}, `"-01:02:03.400000"`},
		{opaque{typeVarString, []byte("plain \"text\"")}, `"plain \"text\""`},
		{opaque{15, []byte("U")}, `"base64:type15:VQ=="`},
		{opaque{15, nil}, `"base64:type15:"`},
		{opaque{252, []byte("ab")}, `"base64:type252:YWI="`},
		{opaque{16, []byte("abc")}, `"base64:type16:YWJj"`},
		{opaque{255, bytes.Repeat([]byte{0xff}, 60)}, `"base64:type255:` + strings.Repeat("/", 76) + `\n` + strings.Repeat("/", 4) + `"`},
	}
	for _, tc := range tests {
		got := mustJSON(t, encode(tc.v, false))
		if got != tc.want {
			t.Errorf("opaque type %d %x: got %s, want %s", tc.v.typ, tc.v.data, got, tc.want)
		}
		// Inside a container too.
		got = mustJSON(t, encode(obj{{"k", tc.v}}, true))
		if want := `{"k":` + tc.want + `}`; got != want {
			t.Errorf("in object: got %s, want %s", got, want)
		}
	}
	// 57 bytes encode to exactly 76 characters: no line break yet.
	if got := mustJSON(t, encode(opaque{255, make([]byte, 57)}, false)); strings.Contains(got, `\n`) {
		t.Errorf("57 bytes: unexpected line break: %s", got)
	}
	if got := mustJSON(t, encode(opaque{255, make([]byte, 58)}, false)); !strings.HasSuffix(got, `\nAA=="`) {
		t.Errorf("58 bytes: want line break before the last group: %s", got)
	}
}

func TestAppendJSONCorrupt(t *testing.T) {
	good := encode(obj{{"a", arr{int64(1), "two", 3.0}}, {"bb", opaque{typeDate, packDatetime(2020, 1, 1, 0, 0, 0, 0)}}}, false)
	// Every truncation must fail cleanly (the outer size no longer fits).
	for i := 1; i < len(good); i++ {
		if _, err := AppendJSON(nil, good[:i]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("prefix %d: want ErrCorrupt, got %v", i, err)
		}
	}
	// dst is returned unchanged on error.
	prefix := []byte("keep")
	out, err := AppendJSON(prefix, good[:len(good)-1])
	if err == nil || string(out) != "keep" {
		t.Errorf("on error dst must be returned as is: %q, %v", out, err)
	}

	deep := func(n int) []byte {
		var v any = int64(1)
		for i := 0; i < n; i++ {
			v = arr{v}
		}
		return encode(v, false)
	}
	if _, err := AppendJSON(nil, deep(MaxDepth)); err != nil {
		t.Errorf("depth %d must be accepted: %v", MaxDepth, err)
	}
	if _, err := AppendJSON(nil, deep(MaxDepth+1)); err == nil || !strings.Contains(err.Error(), "nesting") {
		t.Errorf("depth %d must be rejected, got %v", MaxDepth+1, err)
	}

	tests := []struct {
		name string
		hex  string
		msg  string
		off  int
	}{
		{"unknown type", "0d00", "unknown value type", 0},
		{"unknown literal", "0403", "unknown literal", 1},
		{"truncated int64", "09010203", "truncated scalar", 1},
		{"string too long", "0c0561", "string length 5", 1},
		{"varlen too long", "0cffffffffff", "variable-length", 1},
		{"varlen over 32 bits", "0cffffffff7f", "32 bits", 1},
		{"size beyond data", "0201000a00", "container size 10", 3},
		{"count beyond size", "02ffff0400", "elements do not fit", 1},
		{"value offset before entry", "02010007000c0200", "offset 2", 5},
		{"value offset beyond size", "02010007000c0900", "offset 9", 5},
		{"key outside data", "0001000b000b000500050100", "key 0", 5},
		{"key inside header", "0001000b0002000100050100", "key 0", 5},
		{"decimal size mismatch", "0f" + "f6" + "03" + "0602" + "80", "does not match DECIMAL(6,2)", 3},
		{"decimal bad precision", "0f" + "f6" + "02" + "4200", "does not match DECIMAL(66,0)", 3},
		{"temporal short", "0f" + "0a" + "01" + "00", "want 8", 3},
		{"opaque truncated", "0f0f05", "opaque length 5", 2},
	}
	for _, tc := range tests {
		_, err := AppendJSON(nil, mustHex(t, tc.hex))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: want *Error, got %v", tc.name, err)
			continue
		}
		if !strings.Contains(e.What, tc.msg) || e.Offset != tc.off {
			t.Errorf("%s: got %q at %d, want %q at %d", tc.name, e.What, e.Offset, tc.msg, tc.off)
		}
	}
}

// TestAppendJSONSharedOffsets builds a document whose value entries all
// point at the same nested array, which in turn points many times at one
// array, and so on: printed naively the output grows exponentially. The
// work budget must stop it.
func TestAppendJSONSharedOffsets(t *testing.T) {
	const fan, levels = 60, 12
	// Build from the innermost array outwards; each level is a small
	// array of fan entries all pointing at the same child placed once
	// after the header.
	child := []byte{jsonSmallArray}
	child = append(child, encode(arr{int64(1)}, false)[1:]...)
	for l := 0; l < levels; l++ {
		header := 4 + fan*3
		body := binary.LittleEndian.AppendUint16(nil, fan)
		body = binary.LittleEndian.AppendUint16(body, uint16(header+len(child)-1))
		for i := 0; i < fan; i++ {
			body = append(body, jsonSmallArray)
			body = binary.LittleEndian.AppendUint16(body, uint16(header))
		}
		body = append(body, child[1:]...)
		child = append([]byte{jsonSmallArray}, body...)
		if len(child) > 60000 {
			break
		}
	}
	_, err := AppendJSON(nil, child)
	if err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Fatalf("want an overlap error, got %v", err)
	}
}
