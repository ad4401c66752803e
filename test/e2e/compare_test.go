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
