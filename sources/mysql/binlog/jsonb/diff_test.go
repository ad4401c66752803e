package jsonb

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// encodeDiffs builds a Json_diff_vector body (without the 4-byte length).
func encodeDiffs(diffs ...Diff) []byte {
	var b []byte
	packed := func(n int) {
		switch {
		case n < 251:
			b = append(b, byte(n))
		case n < 1<<16:
			b = append(b, 252, byte(n), byte(n>>8))
		case n < 1<<24:
			b = append(b, 253, byte(n), byte(n>>8), byte(n>>16))
		default:
			b = append(b, 254, byte(n), byte(n>>8), byte(n>>16), byte(n>>24), 0, 0, 0, 0)
		}
	}
	for _, d := range diffs {
		b = append(b, byte(d.Op))
		packed(len(d.Path))
		b = append(b, d.Path...)
		if d.Op != DiffRemove {
			packed(len(d.Value))
			b = append(b, d.Value...)
		}
	}
	return b
}

func TestParseDiffs(t *testing.T) {
	long := encode(strings.Repeat("v", 300), false) // 2-byte packed length
	in := []Diff{
		{Op: DiffReplace, Path: "$.age", Value: encode(int64(26), false)},
		{Op: DiffInsert, Path: `$.a[3]."b c"`, Value: encode(obj{{"x", nil}}, false)},
		{Op: DiffRemove, Path: "$[last-1]"},
		{Op: DiffReplace, Path: "$.s", Value: long},
	}
	b := encodeDiffs(in...)
	got, err := ParseDiffs(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("got %d diffs, want %d", len(got), len(in))
	}
	for i := range in {
		if got[i].Op != in[i].Op || got[i].Path != in[i].Path || string(got[i].Value) != string(in[i].Value) {
			t.Errorf("diff %d: got %+v, want %+v", i, got[i], in[i])
		}
		if (got[i].Value == nil) != (in[i].Op == DiffRemove) {
			t.Errorf("diff %d: Value nil-ness wrong", i)
		}
	}
	// The bytes from rust_mysql_common/json.binlog.000001's
	// PARTIAL_UPDATE_ROWS event: REPLACE $.age with int16 26.
	one, err := ParseDiffs(mustHex(t, "0005242e61676503051a00"))
	if err != nil || len(one) != 1 || one[0].Op != DiffReplace || one[0].Path != "$.age" || mustJSON(t, one[0].Value) != "26" {
		t.Errorf("corpus diff: %+v %v", one, err)
	}
	// An empty vector is valid.
	if d, err := ParseDiffs(nil); err != nil || len(d) != 0 {
		t.Errorf("empty vector: %v %v", d, err)
	}
	// An empty value is JSON null, as in MySQL.
	d, err := ParseDiffs([]byte{0, 3, '$', '.', 'a', 0})
	if err != nil || d[0].Value == nil || len(d[0].Value) != 0 || mustJSON(t, d[0].Value) != "null" {
		t.Errorf("empty value: %+v %v", d, err)
	}
}

func TestParseDiffsErrors(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		msg  string
		off  int
	}{
		{"bad op", []byte{3, 1, '$'}, "unknown operation 3", 0},
		{"no path length", []byte{0}, "truncated length", 1},
		{"NULL path length", []byte{0, 251}, "NULL length", 1},
		{"path too long", []byte{0, 9, '$'}, "path length 9", 1},
		{"truncated 2-byte length", []byte{0, 252, 1}, "truncated length", 1},
		{"8-byte length", []byte{2, 254, 0, 0, 0, 0, 0, 0, 0, 1}, "path length 72057594037927936", 1},
		{"bad path", []byte{2, 1, 'x'}, "does not start with '$'", 2},
		{"root path", []byte{2, 1, '$'}, "whole document", 2},
		{"wildcard", []byte{2, 3, '$', '.', '*'}, "wildcard", 4},
		{"no value length", []byte{0, 3, '$', '.', 'a'}, "truncated length", 5},
		{"value too long", []byte{0, 3, '$', '.', 'a', 5, 4}, "value length 5", 5},
		{"bad value type", []byte{0, 3, '$', '.', 'a', 1, 0x20}, "unknown value type", 6},
		{"bad container", []byte{0, 3, '$', '.', 'a', 3, 2, 1, 0}, "truncated container header", 7},
	}
	for _, tc := range tests {
		_, err := ParseDiffs(tc.b)
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

func TestParsePath(t *testing.T) {
	tests := []struct {
		path string
		want []pathLeg
	}{
		{"$.a", []pathLeg{{member: "a"}}},
		{" $ . a [ 1 ] ", []pathLeg{{member: "a"}, {isCell: true, index: 1}}},
		{`$."a b"."c\"d"`, []pathLeg{{member: "a b"}, {member: `c"d`}}},
		{`$."\u00e9\ud83d\ude00"`, []pathLeg{{member: "é😀"}}},
		{`$.caf\u00e9`, []pathLeg{{member: "café"}}},
		{"$[0][4294967295]", []pathLeg{{isCell: true}, {isCell: true, index: 4294967295}}},
		{"$[last]", []pathLeg{{isCell: true, fromEnd: true}}},
		{"$[last - 2]", []pathLeg{{isCell: true, fromEnd: true, index: 2}}},
		{"$.a.b.c", []pathLeg{{member: "a"}, {member: "b"}, {member: "c"}}},
	}
	for _, tc := range tests {
		got, err := parsePath([]byte(tc.path), nil)
		if err != nil {
			t.Errorf("%q: %v", tc.path, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%q: got %+v, want %+v", tc.path, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q leg %d: got %+v, want %+v", tc.path, i, got[i], tc.want[i])
			}
		}
	}
	for _, bad := range []string{"", "a", "$.", "$[", "$[1", "$[x]", "$[4294967296]", "$[1 to 2]", "$[*]", "$**.a", `$."unterminated`, `$."\ud800"`, `$."\x"`, "$.a]", "$.1a", "$.a-b", "$"} {
		if _, err := parsePath([]byte(bad), nil); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%q: want ErrCorrupt, got %v", bad, err)
		}
	}
}

func TestApplyDiffs(t *testing.T) {
	doc := `{"a":1,"b":[1,2,3],"c":{"d":"x","ee":null},"num":1.0e+30}`
	tests := []struct {
		name  string
		diffs []Diff
		want  string
	}{
		{"replace member", []Diff{{DiffReplace, "$.a", encode(int64(2), false)}},
			`{"a":2,"b":[1,2,3],"c":{"d":"x","ee":null},"num":1.0e+30}`},
		{"replace nested cell", []Diff{{DiffReplace, "$.b[1]", encode("two", false)}},
			`{"a":1,"b":[1,"two",3],"c":{"d":"x","ee":null},"num":1.0e+30}`},
		{"replace last", []Diff{{DiffReplace, "$.b[last]", encode(obj{{"z", 1.5}}, false)}},
			`{"a":1,"b":[1,2,{"z":1.5}],"c":{"d":"x","ee":null},"num":1.0e+30}`},
		{"insert member sorted", []Diff{{DiffInsert, "$.c.f", encode(true, false)}},
			`{"a":1,"b":[1,2,3],"c":{"d":"x","f":true,"ee":null},"num":1.0e+30}`},
		{"insert longer member at end", []Diff{{DiffInsert, "$.zzzz", encode(nil, false)}},
			`{"a":1,"b":[1,2,3],"c":{"d":"x","ee":null},"num":1.0e+30,"zzzz":null}`},
		{"insert quoted member", []Diff{{DiffInsert, `$."a\"b"`, encode(int64(0), false)}},
			`{"a":1,"b":[1,2,3],"c":{"d":"x","ee":null},"a\"b":0,"num":1.0e+30}`},
		{"insert cell", []Diff{{DiffInsert, "$.b[0]", encode(int64(0), false)}},
			`{"a":1,"b":[0,1,2,3],"c":{"d":"x","ee":null},"num":1.0e+30}`},
		{"insert past end appends", []Diff{{DiffInsert, "$.b[99]", encode(int64(4), false)}},
			`{"a":1,"b":[1,2,3,4],"c":{"d":"x","ee":null},"num":1.0e+30}`},
		{"insert before last", []Diff{{DiffInsert, "$.b[last]", encode(int64(9), false)}},
			`{"a":1,"b":[1,2,9,3],"c":{"d":"x","ee":null},"num":1.0e+30}`},
		{"remove member", []Diff{{DiffRemove, "$.c.d", nil}},
			`{"a":1,"b":[1,2,3],"c":{"ee":null},"num":1.0e+30}`},
		{"remove cell", []Diff{{DiffRemove, "$.b[last-2]", nil}},
			`{"a":1,"b":[2,3],"c":{"d":"x","ee":null},"num":1.0e+30}`},
		{"sequence", []Diff{
			{DiffRemove, "$.b[0]", nil},
			{DiffInsert, "$.b[1]", encode(opaque{typeNewDecimal, append([]byte{21, 10}, encodeDecimal("12345678901.0000000001", 21, 10)...)}, false)},
			{DiffReplace, "$.c", encode(arr{}, false)},
		}, `{"a":1,"b":[2,12345678901.0000000001,3],"c":[],"num":1.0e+30}`},
	}
	for _, tc := range tests {
		got, err := ApplyDiffs([]byte(doc), tc.diffs)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
		if !json.Valid(got) {
			t.Errorf("%s: invalid JSON %s", tc.name, got)
		}
	}
	// The original text is not modified.
	src := []byte(doc)
	if _, err := ApplyDiffs(src, tests[0].diffs); err != nil || string(src) != doc {
		t.Error("ApplyDiffs modified its input")
	}
}

func TestApplyDiffsRejected(t *testing.T) {
	doc := []byte(`{"a":1,"b":[1,2,3],"s":"str"}`)
	v := encode(int64(5), false)
	tests := []struct {
		name string
		d    Diff
		msg  string
	}{
		{"replace missing member", Diff{DiffReplace, "$.x", v}, "no value at the path"},
		{"replace cell out of range", Diff{DiffReplace, "$.b[3]", v}, "no value at the path"},
		{"replace through scalar", Diff{DiffReplace, "$.a.b", v}, "no value at the path"},
		{"no auto-wrap", Diff{DiffReplace, "$.a[0]", v}, "no value at the path"},
		{"missing parent", Diff{DiffInsert, "$.x.y", v}, "parent path"},
		{"insert existing", Diff{DiffInsert, "$.a", v}, "already exists"},
		{"insert cell into object", Diff{DiffInsert, "$[0]", v}, "not an object"},
		{"insert member into array", Diff{DiffInsert, "$.b.x", v}, "not an object"},
		{"remove missing", Diff{DiffRemove, "$.zz", nil}, "no value at the path"},
		{"remove last-5", Diff{DiffRemove, "$.b[last-5]", nil}, "no value at the path"},
		{"root", Diff{DiffReplace, "$", v}, "whole document"},
		{"bad value", Diff{DiffReplace, "$.a", []byte{0x20}}, "unknown value type"},
	}
	for _, tc := range tests {
		_, err := ApplyDiffs(doc, []Diff{tc.d})
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "json diff 0") {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.msg)
		}
	}
	for _, bad := range []string{``, `{`, `{"a":}`, `[1,]`, `01`, `1.`, `-`, `"\x"`, "\"\x01\"", `{"a":1}x`, `tru`, `[1 2]`, `{"a" 1}`, `{1:2}`} {
		if _, err := ApplyDiffs([]byte(bad), nil); !errors.Is(err, ErrCorrupt) {
			t.Errorf("text %q: want ErrCorrupt, got %v", bad, err)
		}
	}
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	if _, err := ApplyDiffs([]byte(deep), nil); err == nil {
		t.Error("text deeper than MaxDepth accepted")
	}
	// Inserting an array into the deepest array makes the result too deep.
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	path := "$" + strings.Repeat("[0]", MaxDepth-1) + "[0]"
	if _, err := ApplyDiffs([]byte(ok), []Diff{{DiffInsert, path, encode(arr{}, false)}}); err == nil || !strings.Contains(err.Error(), "deeper") {
		t.Errorf("too deep result: %v", err)
	}
}

// TestApplyDiffsAgainstBinary checks ApplyDiffs against the document
// built directly: applying the diffs to AppendJSON(before) must print
// exactly what AppendJSON prints for the binary after-image.
func TestApplyDiffsAgainstBinary(t *testing.T) {
	before := obj{{"id", int64(7)}, {"tags", arr{"a", "b"}}, {"price", 9.5}, {"owner", obj{{"name", "Zoë"}}}}
	after := obj{{"id", int64(7)}, {"new", uint64(1)}, {"tags", arr{"a", "x", "b"}}, {"price", 10.25}, {"owner", obj{{"name", "Zoë"}, {"since", opaque{typeDate, packDatetime(2024, 2, 29, 0, 0, 0, 0)}}}}}
	diffs := []Diff{
		{DiffInsert, "$.tags[1]", encode("x", false)},
		{DiffReplace, "$.price", encode(10.25, false)},
		{DiffInsert, "$.owner.since", encode(opaque{typeDate, packDatetime(2024, 2, 29, 0, 0, 0, 0)}, false)},
		{DiffInsert, "$.new", encode(uint64(1), false)},
	}
	for _, large := range []bool{false, true} {
		txt := mustJSON(t, encode(before, large))
		got, err := ApplyDiffs([]byte(txt), diffs)
		if err != nil {
			t.Fatal(err)
		}
		if want := mustJSON(t, encode(after, large)); string(got) != want {
			t.Errorf("large=%v:\n got %s\nwant %s", large, got, want)
		}
	}
}
