package e2e

import (
	"database/sql"
	"encoding/json"
	"testing"
)

// TestCompareValue checks the differential tests' comparison itself, so
// that a passing differential test means the values really are equal.
func TestCompareValue(t *testing.T) {
	s := func(v string) sql.NullString { return sql.NullString{String: v, Valid: true} }
	null := sql.NullString{}
	n := func(v string) json.Number { return json.Number(v) }
	for _, c := range []struct {
		kind    kind
		minimal bool
		want    []sql.NullString
		got     any
		ok      bool
	}{
		{kInt, false, []sql.NullString{s("18446744073709551615")}, n("18446744073709551615"), true},
		{kInt, false, []sql.NullString{s("18446744073709551615")}, n("18446744073709551614"), false},
		{kInt, false, []sql.NullString{s("-1")}, "-1", false}, // a string is not a number
		{kInt, false, []sql.NullString{null}, nil, true},
		{kInt, false, []sql.NullString{null}, n("0"), false},
		{kInt, false, []sql.NullString{s("0")}, nil, false},
		{kFloat, false, []sql.NullString{s("3.4028234663852886e38")}, n("3.4028235e+38"), true},
		{kFloat, false, []sql.NullString{s("0.10000000149011612")}, n("0.1"), true},
		{kFloat, false, []sql.NullString{s("0.10000000149011612")}, n("0.10000001"), false},
		{kDouble, false, []sql.NullString{s("0.1")}, n("0.1"), true},
		{kDouble, false, []sql.NullString{s("0.1")}, n("0.10000000000000002"), false},
		{kDecimal, false, []sql.NullString{s("-12.50")}, "-12.50", true},
		{kDecimal, false, []sql.NullString{s("-12.50")}, "-12.5", false},
		{kTimestamp, false, []sql.NullString{s("2024-02-29 12:34:56.500")}, "2024-02-29T12:34:56.500Z", true},
		{kTimestamp, false, []sql.NullString{s("2024-02-29 12:34:56.500")}, "2024-02-29 12:34:56.500", false},
		{kTimestamp, false, []sql.NullString{s("0000-00-00 00:00:00")}, "0000-00-00 00:00:00", true},
		{kBinary, false, []sql.NullString{s("61000000")}, "YQAAAA==", true},
		{kBinary, false, []sql.NullString{s("61000000")}, "YQ==", false},
		{kEnum, false, []sql.NullString{s("b"), s("2")}, "b", true},
		{kEnum, true, []sql.NullString{s("b"), s("2")}, n("2"), true},
		{kEnum, true, []sql.NullString{s("b"), s("2")}, "b", false},
		{kSet, false, []sql.NullString{s("x,z"), s("5")}, []any{"x", "z"}, true},
		{kSet, false, []sql.NullString{s("x,z"), s("5")}, []any{"z", "x"}, false},
		{kSet, false, []sql.NullString{s(""), s("0")}, []any{}, true},
		{kSet, true, []sql.NullString{s("x,z"), s("5")}, n("5"), true},
		{kGeometry, false, []sql.NullString{s("4326"), s("0101000000")}, map[string]any{"srid": n("4326"), "wkb": "0101000000"}, true},
		{kGeometry, false, []sql.NullString{s("4326"), s("0101000000")}, map[string]any{"srid": n("0"), "wkb": "0101000000"}, false},
		{kText, false, []sql.NullString{s("😀")}, "😀", true},
		{kText, false, []sql.NullString{s("é")}, "\ufffd", false},
	} {
		ok, wantRepr := compareValue(column{name: "c", kind: c.kind}, c.minimal, c.want, c.got)
		if ok != c.ok {
			t.Errorf("compareValue(%v, minimal=%v, want %v, got %#v) = %v (%s), want %v", c.kind, c.minimal, c.want, c.got, ok, wantRepr, c.ok)
		}
	}
}

// TestNoLogExpectation checks the NO_LOG transformation of the server's
// values into what the dump prints without signedness or charsets.
func TestNoLogExpectation(t *testing.T) {
	s := func(v string) sql.NullString { return sql.NullString{String: v, Valid: true} }
	n := func(v string) json.Number { return json.Number(v) }
	for _, c := range []struct {
		ddl  string
		kind kind
		want []sql.NullString
		got  any
		ok   bool
	}{
		{"BIGINT UNSIGNED", kInt, []sql.NullString{s("18446744073709551615")}, n("-1"), true},
		{"BIGINT UNSIGNED", kInt, []sql.NullString{s("18446744073709551615")}, n("18446744073709551615"), false},
		{"BIGINT UNSIGNED", kInt, []sql.NullString{s("9223372036854775808")}, n("-9223372036854775808"), true},
		{"BIGINT UNSIGNED", kInt, []sql.NullString{s("9223372036854775807")}, n("9223372036854775807"), true},
		{"TINYINT UNSIGNED", kInt, []sql.NullString{s("255")}, n("-1"), true},
		{"TINYINT UNSIGNED", kInt, []sql.NullString{s("128")}, n("-128"), true},
		{"TINYINT UNSIGNED", kInt, []sql.NullString{s("127")}, n("127"), true},
		{"SMALLINT UNSIGNED", kInt, []sql.NullString{s("32768")}, n("-32768"), true},
		{"MEDIUMINT UNSIGNED", kInt, []sql.NullString{s("16777215")}, n("-1"), true},
		{"INT UNSIGNED", kInt, []sql.NullString{s("4294967295")}, n("-1"), true},
		{"INT UNSIGNED", kInt, []sql.NullString{s("2147483648")}, n("-2147483648"), true},
		{"INT", kInt, []sql.NullString{s("-5")}, n("-5"), true},
		{"INT UNSIGNED", kInt, []sql.NullString{{}}, nil, true},
		// Text: the raw bytes (HEX), a string when valid UTF-8, else base64.
		{"VARCHAR(50) CHARACTER SET latin1", kText, []sql.NullString{s("é"), s("E9")}, "6Q==", true},
		{"VARCHAR(50) CHARACTER SET latin1", kText, []sql.NullString{s("é"), s("E9")}, "é", false},
		{"VARCHAR(50) CHARACTER SET latin1", kText, []sql.NullString{s("abc"), s("616263")}, "abc", true},
		{"VARCHAR(20) CHARACTER SET utf16", kText, []sql.NullString{s("x"), s("0078")}, "\x00x", true},
		{"TEXT CHARACTER SET utf8mb4", kText, []sql.NullString{s("😀"), s("F09F9880")}, "😀", true},
		{"TEXT CHARACTER SET utf8mb4", kText, []sql.NullString{{}, {}}, nil, true},
		// Binary: the same rule; BINARY(n) without its trailing zero bytes.
		{"BINARY(4)", kBinary, []sql.NullString{s("61620000")}, "ab", true},
		{"BINARY(4)", kBinary, []sql.NullString{s("61620000")}, "YWIAAA==", false},
		{"BINARY(4)", kBinary, []sql.NullString{s("00000000")}, "", true},
		{"CHAR(10) CHARACTER SET binary", kBinary, []sql.NullString{s("62696E00")}, "bin", true},
		{"VARBINARY(100)", kBinary, []sql.NullString{s("00FF00")}, "AP8A", true},
		{"VARBINARY(100)", kBinary, []sql.NullString{s("7600")}, "v\x00", true},
		// Everything else as with MINIMAL.
		{"DECIMAL(12,2) UNSIGNED", kDecimal, []sql.NullString{s("1.00")}, "1.00", true},
	} {
		col, want := noLogExpectation(column{name: "c", ddl: c.ddl, kind: c.kind}, c.want)
		ok, wantRepr := compareValue(col, true, want, c.got)
		if ok != c.ok {
			t.Errorf("NO_LOG %s %v, got %#v: ok = %v (want %s), want ok = %v", c.ddl, c.want, c.got, ok, wantRepr, c.ok)
		}
	}
}
