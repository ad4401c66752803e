package gtid

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

const (
	uuidA = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	uuidB = "4c4bc7f0-71ca-11e1-9e33-c80aa9429562"
	uuidC = "ffffffff-0000-0000-0000-000000000001"
)

var (
	sidA = mustUUID(uuidA)
	sidB = mustUUID(uuidB)
	sidC = mustUUID(uuidC)
)

func mustUUID(s string) UUID {
	u, err := ParseUUID(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestParseSetCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"  \n\t", ""},
		{",,", ""},
		{uuidA, ""}, // a UUID without intervals adds nothing
		{uuidA + ":1", uuidA + ":1"},
		{uuidA + ":1-1", uuidA + ":1"},
		{uuidA + ":1-5", uuidA + ":1-5"},
		{uuidA + ":1-3:4-5", uuidA + ":1-5"},          // adjacent merge
		{uuidA + ":4-5:1-3", uuidA + ":1-5"},          // order does not matter
		{uuidA + ":1-10:3-4:9-12", uuidA + ":1-12"},   // overlap
		{uuidA + ":7:1-5:9", uuidA + ":1-5:7:9"},      // sorted
		{uuidA + ":1-5:7:8", uuidA + ":1-5:7-8"},      // single GNOs merge too
		{strings.ToUpper(uuidA) + ":1", uuidA + ":1"}, // hex case
		// sources sorted by UUID, separators with whitespace as the server
		// prints them
		{uuidB + ":1-100,\n" + uuidA + ":1-5", uuidA + ":1-5," + uuidB + ":1-100"},
		{" " + uuidA + " : 1 - 5 : 7 ,\n\t" + uuidB + ":3 ", uuidA + ":1-5:7," + uuidB + ":3"},
		{uuidA + ":1," + uuidA + ":2", uuidA + ":1-2"}, // repeated UUID
		{",," + uuidA + ":1,,", uuidA + ":1"},
		// tags: apply to following intervals, untagged first, tags sorted
		// and lower-cased
		{uuidA + ":1-5:tag1:1-3:7", uuidA + ":1-5:tag1:1-3:7"},
		{uuidA + ":zz:1:aa:2:3", uuidA + ":aa:2-3:zz:1"},
		{uuidA + ":zz:1:aa:2:5", uuidA + ":aa:2:5:zz:1"},
		{uuidA + ":zz:1," + uuidA + ":3:aa:2", uuidA + ":3:aa:2:zz:1"},
		{uuidA + ":TaG_9:1-2", uuidA + ":tag_9:1-2"},
		{uuidA + ":_:1", uuidA + ":_:1"},
		{uuidA + ":t:1:T:2", uuidA + ":t:1-2"},
		{uuidA + ":t", ""}, // a tag without intervals adds nothing
		{uuidA + ":t:1," + uuidA + ":2", uuidA + ":2:t:1"},
		{uuidA + ":" + strings.Repeat("x", 32) + ":1", uuidA + ":" + strings.Repeat("x", 32) + ":1"},
		{uuidA + ":1-9223372036854775806", uuidA + ":1-9223372036854775806"},
	} {
		s, err := ParseSet(tc.in)
		if err != nil {
			t.Errorf("ParseSet(%q): %v", tc.in, err)
			continue
		}
		if got := s.String(); got != tc.want {
			t.Errorf("ParseSet(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
		if s.IsEmpty() != (tc.want == "") {
			t.Errorf("ParseSet(%q).IsEmpty() = %v", tc.in, s.IsEmpty())
		}
	}
}

func TestParseSetErrors(t *testing.T) {
	for _, tc := range []struct {
		in      string
		offset  int
		message string
	}{
		{"x", 0, "expected a UUID"},
		{uuidA[:35], 0, "expected a UUID"},
		{"3e11fa47x71ca-11e1-9e33-c80aa9429562:1", 0, "expected a UUID"},
		{"3e11fa47-71ca-11e1-9e33-c80aa942956g:1", 0, "expected a UUID"},
		{uuidA + ":", 37, "after ':'"},
		{uuidA + ":0", 37, "GNOs start at 1"},
		{uuidA + ":1-0", 39, "GNOs start at 1"},
		{uuidA + ":5-3", 37, "ends before it starts"},
		{uuidA + ":1-", 39, "expected a transaction number"},
		{uuidA + ":9223372036854775807", 37, "exceeds 9223372036854775806"},
		{uuidA + ":99999999999999999999999", 37, "exceeds"},
		{uuidA + ":-1", 37, "expected a tag"},
		{uuidA + ":+1", 37, "expected a tag"},
		{uuidA + ":0x10", 37, "GNOs start at 1"},
		{uuidA + ":1x", 38, "expected ':', ',' or end"},
		{uuidA + ":1 2", 39, "expected ':', ',' or end"},
		{uuidA + ":t-1:1", 38, "expected ':', ',' or end"},
		{uuidA + "::1", 37, "expected a tag"},
		{uuidA + ":" + strings.Repeat("x", 33) + ":1", 37, "maximum is 32"},
		{uuidA + ":1;" + uuidB, 38, "expected ':', ',' or end"},
		{uuidA + ":1," + "nope", 39, "expected a UUID"},
		{uuidA + ":é:1", 37, "expected a tag"},
	} {
		_, err := ParseSet(tc.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseSet(%q) error = %v, want *SyntaxError", tc.in, err)
			continue
		}
		if se.Offset != tc.offset || !strings.Contains(se.Msg, tc.message) {
			t.Errorf("ParseSet(%q): offset %d, %q; want offset %d, message containing %q", tc.in, se.Offset, se.Msg, tc.offset, tc.message)
		}
		// The message names the input and the text at the offset.
		if msg := err.Error(); !strings.Contains(msg, "offset") || !strings.Contains(msg, tc.in[:min(len(tc.in), 10)]) {
			t.Errorf("ParseSet(%q) error %q does not name the input and offset", tc.in, msg)
		}
	}
}

func TestZeroValueAndNil(t *testing.T) {
	var s Set
	if !s.IsEmpty() || s.String() != "" || !s.Equal(&Set{}) {
		t.Fatal("zero Set is not empty")
	}
	s.Add(sidA, "", 1)
	if s.String() != uuidA+":1" {
		t.Fatalf("zero Set after Add: %q", s.String())
	}
	var n *Set
	if !n.IsEmpty() || n.String() != "" || !n.Equal(&Set{}) || !n.Clone().IsEmpty() {
		t.Fatal("nil Set is not empty")
	}
	if n.Contains(&s) || !s.Contains(n) || !n.Contains(nil) {
		t.Fatal("nil Set containment")
	}
	if !n.Union(&s).Equal(&s) || !n.Subtract(&s).IsEmpty() || !s.Subtract(n).Equal(&s) {
		t.Fatal("nil Set union/subtract")
	}
	if got := n.Encode(); string(got) != "\x00\x00\x00\x00\x00\x00\x00\x00" {
		t.Fatalf("nil Set Encode = %x", got)
	}
}

func TestAdd(t *testing.T) {
	var s Set
	steps := []struct {
		sid  UUID
		tag  string
		gno  int64
		want string
	}{
		{sidB, "", 5, uuidB + ":5"},
		{sidB, "", 6, uuidB + ":5-6"},
		{sidB, "", 8, uuidB + ":5-6:8"},
		{sidB, "", 7, uuidB + ":5-8"}, // fills the gap, merges both sides
		{sidB, "", 3, uuidB + ":3:5-8"},
		{sidB, "", 4, uuidB + ":3-8"}, // merges backwards
		{sidB, "", 1, uuidB + ":1:3-8"},
		{sidB, "", 6, uuidB + ":1:3-8"}, // already there
		{sidB, "", 1, uuidB + ":1:3-8"},
		{sidB, "", 10, uuidB + ":1:3-8:10"},
		{sidB, "", 9, uuidB + ":1:3-10"},
		{sidA, "", 2, uuidA + ":2," + uuidB + ":1:3-10"},
		{sidA, "T2", 1, uuidA + ":2:t2:1," + uuidB + ":1:3-10"},
		{sidA, "t1", 1, uuidA + ":2:t1:1:t2:1," + uuidB + ":1:3-10"},
		{sidA, "t2", 2, uuidA + ":2:t1:1:t2:1-2," + uuidB + ":1:3-10"},
		{sidC, "", MaxGNO, uuidA + ":2:t1:1:t2:1-2," + uuidB + ":1:3-10," + uuidC + ":9223372036854775806"},
	}
	for i, st := range steps {
		s.Add(st.sid, st.tag, st.gno)
		if got := s.String(); got != st.want {
			t.Fatalf("step %d Add(%s, %q, %d): %q, want %q", i, st.sid, st.tag, st.gno, got, st.want)
		}
		if !s.ContainsGTID(st.sid, st.tag, st.gno) {
			t.Fatalf("step %d: ContainsGTID false after Add", i)
		}
	}
	if s.ContainsGTID(sidB, "", 2) || s.ContainsGTID(sidB, "", 11) || s.ContainsGTID(sidA, "t3", 1) || s.ContainsGTID(sidA, "bad-tag", 1) {
		t.Fatal("ContainsGTID reports an absent GTID")
	}
	if got := s.Intervals(sidB, ""); !slices.Equal(got, []Interval{{1, 1}, {3, 10}}) {
		t.Fatalf("Intervals = %v", got)
	}
}

func TestAddPanicsOnInvalid(t *testing.T) {
	for _, tc := range []struct {
		tag string
		gno int64
	}{{"", 0}, {"", -1}, {"", MaxGNO + 1}, {"1a", 1}, {"a-b", 1}, {strings.Repeat("a", 33), 1}} {
		if err := ValidateGTID(tc.tag, tc.gno); err == nil {
			t.Errorf("ValidateGTID(%q, %d) = nil", tc.tag, tc.gno)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Add(%q, %d) did not panic", tc.tag, tc.gno)
				}
			}()
			var s Set
			s.Add(sidA, tc.tag, tc.gno)
		}()
	}
	if err := ValidateGTID("Ab_1", MaxGNO); err != nil {
		t.Errorf("ValidateGTID valid: %v", err)
	}
}

func TestSetOperations(t *testing.T) {
	a := MustParseSet(uuidA + ":1-10:20-30:t:1-5," + uuidB + ":1-3")
	b := MustParseSet(uuidA + ":5-25:t:6," + uuidC + ":1")
	if got, want := a.Union(b).String(), uuidA+":1-30:t:1-6,"+uuidB+":1-3,"+uuidC+":1"; got != want {
		t.Errorf("Union = %q, want %q", got, want)
	}
	if got, want := a.Subtract(b).String(), uuidA+":1-4:26-30:t:1-5,"+uuidB+":1-3"; got != want {
		t.Errorf("a-b = %q, want %q", got, want)
	}
	if got, want := b.Subtract(a).String(), uuidA+":11-19:t:6,"+uuidC+":1"; got != want {
		t.Errorf("b-a = %q, want %q", got, want)
	}
	if got := a.Subtract(a); !got.IsEmpty() {
		t.Errorf("a-a = %q", got)
	}
	if !a.Contains(MustParseSet(uuidA+":2-3:25:t:5")) || a.Contains(b) || !a.Union(b).Contains(b) {
		t.Error("Contains")
	}
	if a.Contains(MustParseSet(uuidA + ":10-20")) { // spans a gap
		t.Error("Contains across a gap")
	}
	// Operations return new sets and leave their inputs alone.
	before := a.String()
	u := a.Union(nil)
	u.Add(sidA, "", 15)
	c := a.Clone()
	c.Add(sidA, "", 11)
	_ = a.Subtract(b)
	if a.String() != before {
		t.Errorf("input modified: %q, was %q", a.String(), before)
	}
}

func TestTextMarshal(t *testing.T) {
	type cp struct {
		Pos *Set `json:"pos"`
	}
	in := cp{Pos: MustParseSet(uuidB + ":1-3," + uuidA + ":t:5")}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"pos":"` + uuidA + `:t:5,` + uuidB + `:1-3"}`; string(b) != want {
		t.Fatalf("json = %s, want %s", b, want)
	}
	var out cp
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !out.Pos.Equal(in.Pos) {
		t.Fatalf("round trip %q != %q", out.Pos, in.Pos)
	}
	if err := out.Pos.UnmarshalText([]byte("garbage")); err == nil || !out.Pos.Equal(in.Pos) {
		t.Fatalf("UnmarshalText of garbage: err %v, set now %q (must be unchanged)", err, out.Pos)
	}
	if err := out.Pos.UnmarshalText(nil); err != nil || !out.Pos.IsEmpty() {
		t.Fatalf("UnmarshalText(empty): %v %q", err, out.Pos)
	}
}
