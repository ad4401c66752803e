package binlog

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// oneValue decodes a one-column table with optional metadata opt and one
// WRITE_ROWS_V2 row holding raw (nil = NULL), and returns the value.
func oneValue(t *testing.T, col testColumn, opt []byte, raw []byte) Value {
	t.Helper()
	d := NewDecoder()
	col.nullable = true
	decodeTestTable(t, d, &testTable{id: 7, schema: "db", name: "t", cols: []testColumn{col}, optional: opt})
	_, after := decodeTestRows(t, d, &testRows{typ: WriteRowsEventV2Type, id: 7, width: 1, data: image(raw)})
	if len(after) != 1 {
		t.Fatalf("got %d rows, want 1", len(after))
	}
	return after[0][0]
}

func signedness(unsigned ...bool) []byte {
	var b []byte
	for i, u := range unsigned {
		if i%8 == 0 {
			b = append(b, 0)
		}
		if u {
			b[i/8] |= 0x80 >> (i % 8)
		}
	}
	return optField(nil, MetaSignedness, b)
}

func TestValueIntegers(t *testing.T) {
	cases := []struct {
		typ      ColumnType
		unsigned bool
		raw      []byte
		want     string
	}{
		{TypeTiny, false, []byte{0x80}, "-128"},
		{TypeTiny, false, []byte{0x7f}, "127"},
		{TypeTiny, true, []byte{0xff}, "255"},
		{TypeShort, false, le(2, 0x8000), "-32768"},
		{TypeShort, true, le(2, 0xffff), "65535"},
		{TypeInt24, false, le(3, 0x800000), "-8388608"},
		{TypeInt24, false, le(3, 0x7fffff), "8388607"},
		{TypeInt24, true, le(3, 0xffffff), "16777215"},
		{TypeLong, false, le(4, 0x80000000), "-2147483648"},
		{TypeLong, true, le(4, 0xffffffff), "4294967295"},
		{TypeLongLong, false, le(8, 1<<63), "-9223372036854775808"},
		{TypeLongLong, false, le(8, 1<<63-1), "9223372036854775807"},
		{TypeLongLong, true, le(8, math.MaxUint64), "18446744073709551615"},
	}
	for _, c := range cases {
		v := oneValue(t, testColumn{typ: c.typ}, signedness(c.unsigned), c.raw)
		if got := renderJSON(t, &v); got != c.want {
			t.Errorf("%s unsigned=%v % x: got %s, want %s", c.typ, c.unsigned, c.raw, got, c.want)
		}
		wantKind := KindInt
		if c.unsigned {
			wantKind = KindUint
		}
		if v.Kind() != wantKind {
			t.Errorf("%s unsigned=%v: kind %s", c.typ, c.unsigned, v.Kind())
		}
	}
	// Without SIGNEDNESS metadata integers are read as signed.
	v := oneValue(t, testColumn{typ: TypeTiny}, nil, []byte{0xff})
	if v.Int64() != -1 || renderJSON(t, &v) != "-1" {
		t.Errorf("TINY 0xff without signedness: %d %s", v.Int64(), renderJSON(t, &v))
	}
	// NULL
	v = oneValue(t, testColumn{typ: TypeLong}, nil, nil)
	if !v.IsNull() || renderJSON(t, &v) != "null" {
		t.Errorf("NULL: kind %s", v.Kind())
	}
}

func TestValueFloats(t *testing.T) {
	v := oneValue(t, testColumn{typ: TypeFloat, meta: []byte{4}}, nil, le(4, uint64(math.Float32bits(3.14))))
	if got := renderJSON(t, &v); got != "3.14" {
		t.Errorf("FLOAT 3.14: %s", got)
	}
	v = oneValue(t, testColumn{typ: TypeDouble, meta: []byte{8}}, nil, le(8, math.Float64bits(-2.718281828459045)))
	if got := renderJSON(t, &v); got != "-2.718281828459045" || v.Float64() != -2.718281828459045 {
		t.Errorf("DOUBLE: %s", got)
	}
	v = oneValue(t, testColumn{typ: TypeDouble, meta: []byte{8}}, nil, le(8, math.Float64bits(1e300)))
	if got := renderJSON(t, &v); got != "1e+300" {
		t.Errorf("DOUBLE 1e300: %s", got)
	}
}

// encodeDecimal writes s ("-12.50") as MySQL binary DECIMAL(p,sc), for
// tests (decimal2bin).
func encodeDecimal(s string, p, sc int) []byte {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	ip, fp, _ := strings.Cut(s, ".")
	intg := p - sc
	ip = strings.TrimLeft(ip, "0")
	ip = strings.Repeat("0", intg-len(ip)) + ip
	fp += strings.Repeat("0", sc-len(fp))
	var out []byte
	group := func(digits string) {
		var v uint64
		for _, c := range digits {
			v = v*10 + uint64(c-'0')
		}
		out = append(out, be(decimalGroupBytes[len(digits)], v)...)
	}
	lead := intg % 9
	if lead > 0 {
		group(ip[:lead])
	}
	for i := lead; i < intg; i += 9 {
		group(ip[i : i+9])
	}
	for i := 0; i+9 <= sc; i += 9 {
		group(fp[i : i+9])
	}
	if sc%9 > 0 {
		group(fp[sc-sc%9:])
	}
	out[0] ^= 0x80
	if neg {
		for i := range out {
			out[i] ^= 0xff
		}
	}
	return out
}

func TestValueDecimal(t *testing.T) {
	cases := []struct {
		p, s int
		in   string
		want string
	}{
		{4, 2, "-12.50", "-12.50"},
		{4, 2, "12.5", "12.50"},
		{10, 0, "1234567890", "1234567890"},
		{10, 0, "-7", "-7"},
		{5, 5, "0.00001", "0.00001"},
		{5, 5, "-0.12345", "-0.12345"},
		{20, 6, "-12345678901234.123456", "-12345678901234.123456"},
		{20, 6, "0", "0.000000"},
		{65, 30, "12345678901234567890123456789012345.123456789012345678901234567890", "12345678901234567890123456789012345.123456789012345678901234567890"},
		{65, 30, "-99999999999999999999999999999999999.999999999999999999999999999999", "-99999999999999999999999999999999999.999999999999999999999999999999"},
		{65, 0, "-1", "-1"},
		{65, 38, "-123456789012345678901234567.12345678901234567890123456789012345678", "-123456789012345678901234567.12345678901234567890123456789012345678"}, // MariaDB's widest scale
		{18, 9, "000000001.000000001", "1.000000001"},
	}
	for _, c := range cases {
		raw := encodeDecimal(c.in, c.p, c.s)
		if len(raw) != decimalBinarySize(c.p, c.s) {
			t.Fatalf("DECIMAL(%d,%d): encoder wrote %d bytes, size %d", c.p, c.s, len(raw), decimalBinarySize(c.p, c.s))
		}
		v := oneValue(t, testColumn{typ: TypeNewDecimal, meta: []byte{byte(c.p), byte(c.s)}}, nil, raw)
		if got := renderJSON(t, &v); got != `"`+c.want+`"` {
			t.Errorf("DECIMAL(%d,%d) %s: got %s", c.p, c.s, c.in, got)
		}
		if got := string(v.AppendDecimal(nil)); got != c.want {
			t.Errorf("AppendDecimal: %s", got)
		}
	}
	// A group holding more than 9 digits is corrupt.
	raw := encodeDecimal("1.5", 10, 1)
	raw[0], raw[1], raw[2], raw[3] = 0x80|0x3b, 0x9a, 0xca, 0x00 // 1e9 in the 9-digit group
	d := NewDecoder()
	decodeTestTable(t, d, &testTable{id: 1, cols: []testColumn{{typ: TypeNewDecimal, meta: []byte{10, 1}}}})
	ev, err := d.Decode(wrapEvent(WriteRowsEventV2Type, (&testRows{typ: WriteRowsEventV2Type, id: 1, width: 1, data: image(raw)}).body()))
	if err != nil {
		t.Fatal(err)
	}
	it := ev.Body.(*RowsEvent).Rows()
	if it.Next() || it.Err() == nil || !strings.Contains(it.Err().Error(), "corrupt") {
		t.Errorf("corrupt decimal: err %v", it.Err())
	}
}

// encodeDateTime2 writes DATETIME2(fsp) the way MySQL's
// my_datetime_packed_to_binary does.
func encodeDateTime2(y, mo, d, h, mi, s, micro, fsp int) []byte {
	ymd := uint64((y*13+mo)<<5 | d)
	hms := uint64(h<<12 | mi<<6 | s)
	out := be(5, (ymd<<17|hms)+0x8000000000)
	switch fracBytes(fsp) {
	case 1:
		out = append(out, byte(micro/10000))
	case 2:
		out = append(out, be(2, uint64(micro/100))...)
	case 3:
		out = append(out, be(3, uint64(micro))...)
	}
	return out
}

// encodeTime2 writes TIME2(fsp) the way my_time_packed_to_binary does.
func encodeTime2(neg bool, h, mi, s, micro, fsp int) []byte {
	packed := int64(h<<12|mi<<6|s)<<24 + int64(micro)
	if neg {
		packed = -packed
	}
	intPart, frac := packed>>24, packed%(1<<24)
	switch fracBytes(fsp) {
	case 0:
		return be(3, uint64(intPart+0x800000))
	case 1:
		return append(be(3, uint64(intPart+0x800000)), byte(int8(frac/10000)))
	case 2:
		return append(be(3, uint64(intPart+0x800000)), be(2, uint64(uint16(int16(frac/100))))...)
	}
	return be(6, uint64(packed+0x800000000000))
}

func TestValueTemporal(t *testing.T) {
	type tc struct {
		name string
		col  testColumn
		raw  []byte
		want string
	}
	var cases []tc
	micros := []int{0, 900000, 120000, 123000, 123400, 123450, 123456}
	wantFrac := []string{"", ".9", ".12", ".123", ".1234", ".12345", ".123456"}
	for fsp := 0; fsp <= 6; fsp++ {
		cases = append(cases,
			tc{"DATETIME2", testColumn{typ: TypeDateTime2, meta: []byte{byte(fsp)}},
				encodeDateTime2(2024, 2, 29, 23, 59, 58, micros[fsp], fsp), `"2024-02-29 23:59:58` + wantFrac[fsp] + `"`},
			tc{"TIME2-", testColumn{typ: TypeTime2, meta: []byte{byte(fsp)}},
				encodeTime2(true, 838, 59, 59, micros[fsp], fsp), `"-838:59:59` + wantFrac[fsp] + `"`},
			tc{"TIME2+", testColumn{typ: TypeTime2, meta: []byte{byte(fsp)}},
				encodeTime2(false, 1, 2, 3, micros[fsp], fsp), `"01:02:03` + wantFrac[fsp] + `"`},
			tc{"TIMESTAMP2", testColumn{typ: TypeTimestamp2, meta: []byte{byte(fsp)}},
				append(be(4, 1717243200), encodeDateTime2(0, 0, 0, 0, 0, 0, micros[fsp], fsp)[5:]...), `"2024-06-01T12:00:00` + wantFrac[fsp] + `Z"`},
		)
	}
	cases = append(cases,
		tc{"TIME2 -0.5s", testColumn{typ: TypeTime2, meta: []byte{1}}, encodeTime2(true, 0, 0, 0, 500000, 1), `"-00:00:00.5"`},
		tc{"TIME2 -1.01s", testColumn{typ: TypeTime2, meta: []byte{4}}, encodeTime2(true, 0, 0, 1, 10000, 4), `"-00:00:01.0100"`},
		tc{"DATETIME2 zero", testColumn{typ: TypeDateTime2, meta: []byte{0}}, encodeDateTime2(0, 0, 0, 0, 0, 0, 0, 0), `"0000-00-00 00:00:00"`},
		tc{"DATETIME2 invalid", testColumn{typ: TypeDateTime2, meta: []byte{2}}, encodeDateTime2(2023, 2, 31, 0, 0, 0, 10000, 2), `"2023-02-31 00:00:00.01"`},
		tc{"TIMESTAMP2 zero", testColumn{typ: TypeTimestamp2, meta: []byte{0}}, be(4, 0), `"0000-00-00 00:00:00"`},
		tc{"TIMESTAMP2 zero fsp3", testColumn{typ: TypeTimestamp2, meta: []byte{3}}, be(6, 0), `"0000-00-00 00:00:00.000"`},
		// One microsecond after the epoch is a real instant, not the zero
		// timestamp (found by the live differential test on MariaDB).
		tc{"TIMESTAMP2 epoch+1us", testColumn{typ: TypeTimestamp2, meta: []byte{6}},
			append(be(4, 0), encodeDateTime2(0, 0, 0, 0, 0, 0, 1, 6)[5:]...), `"1970-01-01T00:00:00.000001Z"`},
		tc{"DATE", testColumn{typ: TypeDate}, le(3, 2024<<9|2<<5|29), `"2024-02-29"`},
		tc{"DATE zero", testColumn{typ: TypeDate}, le(3, 0), `"0000-00-00"`},
		tc{"DATE zero day", testColumn{typ: TypeDate}, le(3, 2024<<9|5<<5), `"2024-05-00"`},
		tc{"NEWDATE", testColumn{typ: TypeNewDate}, le(3, 1999<<9|12<<5|31), `"1999-12-31"`},
		tc{"old TIME", testColumn{typ: TypeTime}, le(3, 8385959), `"838:59:59"`},
		tc{"old TIME negative", testColumn{typ: TypeTime}, le(3, 1<<24-10203), `"-01:02:03"`},
		tc{"old DATETIME", testColumn{typ: TypeDateTime}, le(8, 99991231235959), `"9999-12-31 23:59:59"`},
		tc{"old DATETIME zero", testColumn{typ: TypeDateTime}, le(8, 0), `"0000-00-00 00:00:00"`},
		tc{"old TIMESTAMP", testColumn{typ: TypeTimestamp}, le(4, 2147472847), `"2038-01-19T00:14:07Z"`},
		tc{"old TIMESTAMP zero", testColumn{typ: TypeTimestamp}, le(4, 0), `"0000-00-00 00:00:00"`},
		tc{"YEAR", testColumn{typ: TypeYear}, []byte{124}, `2024`},
		tc{"YEAR 0000", testColumn{typ: TypeYear}, []byte{0}, `0`},
		tc{"YEAR 2155", testColumn{typ: TypeYear}, []byte{255}, `2155`},
	)
	for _, c := range cases {
		v := oneValue(t, c.col, nil, c.raw)
		if got := renderJSON(t, &v); got != c.want {
			t.Errorf("%s fsp=%v: got %s, want %s", c.name, c.col.meta, got, c.want)
		}
	}
	// Accessors.
	v := oneValue(t, testColumn{typ: TypeTime2, meta: []byte{6}}, nil, encodeTime2(true, 507, 48, 27, 0, 6))
	if d := v.Duration(); d != -(507*time.Hour + 48*time.Minute + 27*time.Second) {
		t.Errorf("Duration: %v", d)
	}
	v = oneValue(t, testColumn{typ: TypeDateTime2, meta: []byte{6}}, nil, encodeDateTime2(2024, 12, 31, 23, 59, 59, 999999, 6))
	if tm, ok := v.Time(); !ok || !tm.Equal(time.Date(2024, 12, 31, 23, 59, 59, 999999000, time.UTC)) {
		t.Errorf("Time: %v %v", tm, ok)
	}
	v = oneValue(t, testColumn{typ: TypeDateTime2, meta: []byte{0}}, nil, encodeDateTime2(2023, 2, 31, 0, 0, 0, 0, 0))
	if _, ok := v.Time(); ok {
		t.Error("Time accepted February 31st")
	}
}

// charsetMeta returns a DEFAULT_CHARSET field with default collation coll.
func charsetMeta(coll uint64) []byte {
	return optField(nil, MetaDefaultCharset, appendPacked(nil, coll))
}

func TestValueStrings(t *testing.T) {
	varchar := testColumn{typ: TypeVarchar, meta: le(2, 300)}
	// utf8mb4 VARCHAR(75): 2-byte length prefix because max bytes > 255.
	v := oneValue(t, varchar, charsetMeta(255), lenPrefixed(2, []byte("héllo \"q\"\n")))
	if got := renderJSON(t, &v); got != `"héllo \"q\"\n"` {
		t.Errorf("utf8mb4 VARCHAR: %s", got)
	}
	// 1-byte prefix for short VARCHAR, latin1 with cp1252 bytes.
	v = oneValue(t, testColumn{typ: TypeVarchar, meta: le(2, 20)}, charsetMeta(8), lenPrefixed(1, []byte{'a', 0x80, 0xe9, 0x81}))
	if got := renderJSON(t, &v); got != "\"a€é\u0081\"" {
		t.Errorf("latin1: %s", got)
	}
	// Empty string is not NULL.
	v = oneValue(t, varchar, charsetMeta(45), lenPrefixed(2, nil))
	if got := renderJSON(t, &v); got != `""` {
		t.Errorf("empty: %s", got)
	}
	// cp1251, koi8r, gbk, big5, sjis, euckr, ucs2, utf16le, utf32.
	conv := []struct {
		coll uint64
		raw  []byte
		want string
	}{
		{51, []byte{0xcf, 0xf0, 0xe8}, "При"},           // cp1251
		{7, []byte{0xf0, 0xd2, 0xc9}, "При"},            // koi8r
		{28, []byte{0xc4, 0xe3, 0xba, 0xc3}, "你好"},      // gbk
		{24, []byte{0xc4, 0xe3, 0xba, 0xc3}, "你好"},      // gb2312
		{248, []byte{0x81, 0x30, 0x81, 0x30}, "\u0080"}, // gb18030 4-byte
		{1, []byte{0xa7, 0x41}, "你"},                    // big5
		{13, []byte{0x82, 0xa0}, "あ"},                   // sjis
		{12, []byte{0xa4, 0xa2}, "あ"},                   // ujis
		{19, []byte{0xb0, 0xa1}, "가"},                   // euckr
		{35, []byte{0x00, 0x41, 0x04, 0x10}, "AА"},      // ucs2
		{56, []byte{0x41, 0x00}, "A"},                   // utf16le
		{60, []byte{0x00, 0x01, 0xf6, 0x00}, "😀"},       // utf32
		{54, []byte{0xd8, 0x3d, 0xde, 0x00}, "😀"},       // utf16
		{36, []byte{0x8f}, "П"},                         // cp866
		{11, []byte("plain"), "plain"},                  // ascii
		{2048 + 256 + 1, []byte("uca1400"), "uca1400"},  // MariaDB utf8mb4_uca1400_*
		{1024 + 45, []byte("nopad"), "nopad"},           // MariaDB utf8mb4_general_nopad_ci
		{255, []byte{0xff, 0xfe}, "//4="},               // invalid utf8mb4 -> base64
		{11, []byte{0xc3}, "ww=="},                      // non-ASCII in ascii -> base64
		{3, []byte{0x41}, "QQ=="},                       // dec8: no converter -> base64
		{12345, []byte("x"), "x"},                       // unknown collation, valid UTF-8
	}
	for _, c := range conv {
		v = oneValue(t, varchar, charsetMeta(c.coll), lenPrefixed(2, c.raw))
		if got := renderJSON(t, &v); got != `"`+c.want+`"` {
			t.Errorf("collation %d % x: got %s, want %q", c.coll, c.raw, got, c.want)
		}
	}
	// No charset metadata: text when UTF-8, base64 otherwise.
	v = oneValue(t, varchar, nil, lenPrefixed(2, []byte{0xff}))
	if got := renderJSON(t, &v); got != `"/w=="` {
		t.Errorf("unknown charset, invalid UTF-8: %s", got)
	}
	// Binary collation: base64.
	v = oneValue(t, testColumn{typ: TypeBlob, meta: []byte{2}}, charsetMeta(63), lenPrefixed(2, []byte{0, 1, 2}))
	if got := renderJSON(t, &v); got != `"AAEC"` || v.Kind() != KindBytes {
		t.Errorf("BLOB: %s %s", got, v.Kind())
	}
	// TEXT with 3- and 4-byte length prefixes.
	for _, w := range []byte{1, 3, 4} {
		v = oneValue(t, testColumn{typ: TypeBlob, meta: []byte{w}}, charsetMeta(45), lenPrefixed(int(w), []byte("text")))
		if got := renderJSON(t, &v); got != `"text"` {
			t.Errorf("TEXT prefix %d: %s", w, got)
		}
	}
}

func TestValueCharAndBinary(t *testing.T) {
	// CHAR(100) utf8mb4: 400 bytes, more than 255, so the length's high
	// bits are stored inverted in the type byte: 0xfe ^ 0x10 = 0xee.
	col := testColumn{typ: TypeString, meta: []byte{0xee, 0x90}}
	v := oneValue(t, col, charsetMeta(255), lenPrefixed(2, []byte("wide")))
	if got := renderJSON(t, &v); got != `"wide"` {
		t.Errorf("CHAR(100): %s", got)
	}
	c := v.Column()
	if c.RealType != TypeString || c.Length != 400 {
		t.Errorf("CHAR(100) metadata: real type %s length %d", c.RealType, c.Length)
	}
	// BINARY(4): trailing zero bytes stripped in the binlog are restored.
	v = oneValue(t, testColumn{typ: TypeString, meta: []byte{0xfe, 4}}, charsetMeta(63), lenPrefixed(1, []byte{1, 2}))
	if got := renderJSON(t, &v); got != `"AQIAAA=="` || !bytes.Equal(v.Bytes(), []byte{1, 2, 0, 0}) {
		t.Errorf("BINARY(4): %s % x", got, v.Bytes())
	}
	// CHAR keeps its (stripped) bytes: the server also strips trailing spaces on read.
	v = oneValue(t, testColumn{typ: TypeString, meta: []byte{0xfe, 10}}, charsetMeta(8), lenPrefixed(1, []byte("ab")))
	if got := renderJSON(t, &v); got != `"ab"` {
		t.Errorf("CHAR(10) latin1: %s", got)
	}
}

func enumSetMeta(enums, sets [][]string) []byte {
	labels := func(lists [][]string) []byte {
		var b []byte
		for _, l := range lists {
			b = appendPacked(b, uint64(len(l)))
			for _, s := range l {
				b = appendPacked(b, uint64(len(s)))
				b = append(b, s...)
			}
		}
		return b
	}
	var b []byte
	if enums != nil {
		b = optField(b, MetaEnumStrValue, labels(enums))
	}
	if sets != nil {
		b = optField(b, MetaSetStrValue, labels(sets))
	}
	return b
}

func TestValueEnumSet(t *testing.T) {
	many := make([]string, 300)
	for i := range many {
		many[i] = "e" + strings.Repeat("x", i%3)
	}
	many[299] = "last"
	// ENUM with 300 labels: 2-byte index.
	v := oneValue(t, testColumn{typ: TypeString, meta: []byte{byte(TypeEnum), 2}}, enumSetMeta([][]string{many}, nil), le(2, 300))
	if got := renderJSON(t, &v); got != `"last"` || v.Uint64() != 300 {
		t.Errorf("ENUM 2-byte: %s", got)
	}
	v = oneValue(t, testColumn{typ: TypeString, meta: []byte{byte(TypeEnum), 1}}, enumSetMeta([][]string{{"a", "b"}}, nil), []byte{0})
	if got := renderJSON(t, &v); got != `""` {
		t.Errorf("ENUM index 0: %s", got)
	}
	v = oneValue(t, testColumn{typ: TypeString, meta: []byte{byte(TypeEnum), 1}}, nil, []byte{2})
	if got := renderJSON(t, &v); got != `2` {
		t.Errorf("ENUM without labels: %s", got)
	}
	// SET with 64 members: 8 bytes.
	members := make([]string, 64)
	for i := range members {
		members[i] = "m" + string(rune('A'+i%26)) + string(rune('a'+i/26))
	}
	v = oneValue(t, testColumn{typ: TypeString, meta: []byte{byte(TypeSet), 8}}, enumSetMeta(nil, [][]string{members}), le(8, 1|1<<63))
	if got := renderJSON(t, &v); got != `["mAa","mLc"]` {
		t.Errorf("SET 8-byte: %s", got)
	}
	v = oneValue(t, testColumn{typ: TypeString, meta: []byte{byte(TypeSet), 1}}, enumSetMeta(nil, [][]string{{"a", "b", "c", "d"}}), []byte{0b1101})
	if got := renderJSON(t, &v); got != `["a","c","d"]` {
		t.Errorf("SET: %s", got)
	}
	v = oneValue(t, testColumn{typ: TypeString, meta: []byte{byte(TypeSet), 1}}, enumSetMeta(nil, [][]string{{"a"}}), []byte{0})
	if got := renderJSON(t, &v); got != `[]` {
		t.Errorf("empty SET: %s", got)
	}
	v = oneValue(t, testColumn{typ: TypeString, meta: []byte{byte(TypeSet), 1}}, nil, []byte{5})
	if got := renderJSON(t, &v); got != `5` {
		t.Errorf("SET without labels: %s", got)
	}
}

func TestValueBitGeometryVector(t *testing.T) {
	// BIT(10): metadata bits%8=2, bytes=1; value big-endian in 2 bytes.
	v := oneValue(t, testColumn{typ: TypeBit, meta: []byte{2, 1}}, nil, []byte{0x02, 0xaa})
	if got := renderJSON(t, &v); got != `682` || v.Column().Bits != 10 {
		t.Errorf("BIT(10): %s bits %d", got, v.Column().Bits)
	}
	v = oneValue(t, testColumn{typ: TypeBit, meta: []byte{0, 8}}, nil, be(8, math.MaxUint64))
	if got := renderJSON(t, &v); got != `18446744073709551615` {
		t.Errorf("BIT(64): %s", got)
	}
	wkb := []byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40}
	v = oneValue(t, testColumn{typ: TypeGeometry, meta: []byte{4}}, nil, lenPrefixed(4, append(le(4, 4326), wkb...)))
	if got := renderJSON(t, &v); got != `{"srid":4326,"wkb":"0101000000000000000000f03f0000000000000040"}` {
		t.Errorf("GEOMETRY: %s", got)
	}
	vec := append(le(4, uint64(math.Float32bits(1.1))), le(4, uint64(math.Float32bits(-1)))...)
	v = oneValue(t, testColumn{typ: TypeVector, meta: []byte{4}}, nil, lenPrefixed(4, vec))
	if got := renderJSON(t, &v); got != `[1.1,-1]` {
		t.Errorf("VECTOR: %s", got)
	}
}

func TestValueErrors(t *testing.T) {
	d := NewDecoder()
	decodeTestTable(t, d, &testTable{id: 3, cols: []testColumn{{typ: TypeLong}, {typ: TypeVarchar, meta: le(2, 10)}}})
	// Second value claims 200 bytes; only 3 follow.
	data := image(le(4, 1), append([]byte{200}, "abc"...))
	ev, err := d.Decode(wrapEvent(WriteRowsEventV1Type, (&testRows{typ: WriteRowsEventV1Type, id: 3, width: 2, data: data}).body()))
	if err != nil {
		t.Fatal(err)
	}
	it := ev.Body.(*RowsEvent).Rows()
	if it.Next() {
		t.Fatal("Next succeeded on a truncated value")
	}
	if err := it.Err(); err == nil || !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "column 2 (VARCHAR)") || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("truncated value error: %v", err)
	}
	// Unknown table id.
	_, err = d.Decode(wrapEvent(WriteRowsEventV1Type, (&testRows{typ: WriteRowsEventV1Type, id: 99, width: 2, data: data}).body()))
	if err == nil || !strings.Contains(err.Error(), "table id 99 has no TABLE_MAP") {
		t.Errorf("unknown table: %v", err)
	}
	// Old DECIMAL.
	decodeTestTable(t, d, &testTable{id: 4, cols: []testColumn{{typ: TypeDecimal}}})
	ev, err = d.Decode(wrapEvent(WriteRowsEventV1Type, (&testRows{typ: WriteRowsEventV1Type, id: 4, width: 1, data: image([]byte("1.5"))}).body()))
	if err != nil {
		t.Fatal(err)
	}
	it = ev.Body.(*RowsEvent).Rows()
	if it.Next() || !errors.Is(it.Err(), ErrUnsupportedRowFormat) {
		t.Errorf("old DECIMAL: %v", it.Err())
	}
}

func TestValueAppendText(t *testing.T) {
	v := oneValue(t, testColumn{typ: TypeVarchar, meta: le(2, 20)}, charsetMeta(51), lenPrefixed(1, []byte{0xcf, 0xf0, 0xe8}))
	if out, ok := v.AppendText(nil); !ok || string(out) != "При" {
		t.Errorf("cp1251 text: %q %v", out, ok)
	}
	v = oneValue(t, testColumn{typ: TypeVarchar, meta: le(2, 20)}, nil, lenPrefixed(1, []byte{0xff}))
	if _, ok := v.AppendText(nil); ok {
		t.Error("invalid UTF-8 without charset metadata converted")
	}
	v = oneValue(t, testColumn{typ: TypeString, meta: []byte{byte(TypeEnum), 1}}, enumSetMeta([][]string{{"red", "green"}}, nil), []byte{2})
	if out, ok := v.AppendText(nil); !ok || string(out) != "green" {
		t.Errorf("ENUM label: %q %v", out, ok)
	}
}

func TestValueEnumLabelCharset(t *testing.T) {
	// latin1 ENUM labels arrive in latin1 bytes.
	opt := append(enumSetMeta([][]string{{"caf\xe9"}}, nil), optField(nil, MetaEnumAndSetDefaultCharset, appendPacked(nil, 8))...)
	v := oneValue(t, testColumn{typ: TypeString, meta: []byte{byte(TypeEnum), 1}}, opt, []byte{1})
	if got := renderJSON(t, &v); got != `"café"` {
		t.Errorf("latin1 ENUM label: %s", got)
	}
}
