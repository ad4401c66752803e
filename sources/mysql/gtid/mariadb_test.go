package gtid

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestParseMariaDBGTID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want MariaDBGTID
	}{
		{"0-1-100", MariaDBGTID{0, 1, 100}},
		{"4294967295-4294967295-18446744073709551615", MariaDBGTID{4294967295, 4294967295, 18446744073709551615}},
		{"007-1-0", MariaDBGTID{7, 1, 0}},
	} {
		g, err := ParseMariaDBGTID(tc.in)
		if err != nil || g != tc.want {
			t.Errorf("ParseMariaDBGTID(%q) = %v, %v; want %v", tc.in, g, err, tc.want)
		}
	}
	if s := (MariaDBGTID{1, 2, 3}).String(); s != "1-2-3" {
		t.Errorf("String = %q", s)
	}
	for _, in := range []string{"", "1", "1-2", "1-2-", "-1-2", "1--2", "1-2-3-4", "a-1-2", "1-2-3 ", " 1-2-3", "+1-2-3",
		"4294967296-1-1", "1-4294967296-1", "1-1-18446744073709551616", "1-1-0x10", "1_0-1-1"} {
		if g, err := ParseMariaDBGTID(in); err == nil {
			t.Errorf("ParseMariaDBGTID(%q) = %v, want error", in, g)
		} else if !strings.Contains(err.Error(), in) {
			t.Errorf("ParseMariaDBGTID(%q) error %q does not name the input", in, err)
		}
	}
}

func TestMariaDBPos(t *testing.T) {
	p, err := ParseMariaDBPos(" 2-1-7 ,\n0-1-100, 1-2-5")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.String(); got != "0-1-100,1-2-5,2-1-7" {
		t.Fatalf("String = %q", got)
	}
	if g, ok := p.Get(1); !ok || g != (MariaDBGTID{1, 2, 5}) {
		t.Fatalf("Get(1) = %v, %v", g, ok)
	}
	if _, ok := p.Get(9); ok {
		t.Fatal("Get(9) found")
	}
	c := p.Clone()
	c.Update(MariaDBGTID{1, 3, 6})
	c.Update(MariaDBGTID{5, 1, 1})
	if got := c.String(); got != "0-1-100,1-3-6,2-1-7,5-1-1" {
		t.Fatalf("after Update: %q", got)
	}
	if p.String() != "0-1-100,1-2-5,2-1-7" {
		t.Fatal("Clone shares storage")
	}
	if !c.Contains(p) || p.Contains(c) || !p.Contains(p) || !p.Contains(nil) || !p.Contains(&MariaDBPos{}) {
		t.Fatal("Contains")
	}
	// Contains looks at sequence numbers only, not server ids.
	if !MustParseMariaDBPosT(t, "0-9-100").Contains(MustParseMariaDBPosT(t, "0-1-99")) ||
		MustParseMariaDBPosT(t, "0-9-98").Contains(MustParseMariaDBPosT(t, "0-1-99")) {
		t.Fatal("Contains ignores server id")
	}
	if p.Equal(c) || !p.Equal(p.Clone()) || MustParseMariaDBPosT(t, "0-1-1").Equal(MustParseMariaDBPosT(t, "0-2-1")) {
		t.Fatal("Equal")
	}
	if d := c.Domains(); !slices.Equal(d, []MariaDBGTID{{0, 1, 100}, {1, 3, 6}, {2, 1, 7}, {5, 1, 1}}) {
		t.Fatalf("Domains = %v", d)
	}
	var z MariaDBPos
	if !z.IsEmpty() || z.String() != "" || !z.Equal(nil) {
		t.Fatal("zero value")
	}
	z.Update(MariaDBGTID{0, 1, 1})
	if z.String() != "0-1-1" {
		t.Fatal("zero value Update")
	}
	var n *MariaDBPos
	if !n.IsEmpty() || n.String() != "" || n.Domains() != nil || !n.Clone().IsEmpty() || n.Contains(&z) || !z.Contains(n) {
		t.Fatal("nil position")
	}
	for _, in := range []string{"", "  ", "\n"} {
		if p, err := ParseMariaDBPos(in); err != nil || !p.IsEmpty() {
			t.Errorf("ParseMariaDBPos(%q) = %v, %v", in, p, err)
		}
	}
}

func MustParseMariaDBPosT(t *testing.T, s string) *MariaDBPos {
	t.Helper()
	p, err := ParseMariaDBPos(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseMariaDBPosErrors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{"0-1-1,0-2-2", "domain 0 appears twice (0-1-1 and 0-2-2)"},
		{"0-1-1,,1-1-1", "empty GTID at offset 6"},
		{"0-1-1,", "empty GTID at offset 6"},
		{",0-1-1", "empty GTID at offset 0"},
		{"0-1-1,x", "at offset 6"},
	} {
		_, err := ParseMariaDBPos(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseMariaDBPos(%q) error %v, want one containing %q", tc.in, err, tc.msg)
		}
	}
}

func TestMariaDBTextMarshal(t *testing.T) {
	type cp struct {
		Pos  *MariaDBPos `json:"pos"`
		Last MariaDBGTID `json:"last"`
	}
	in := cp{Pos: MustParseMariaDBPosT(t, "1-1-1,0-1-5"), Last: MariaDBGTID{1, 1, 1}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"pos":"0-1-5,1-1-1","last":"1-1-1"}`; string(b) != want {
		t.Fatalf("json %s, want %s", b, want)
	}
	var out cp
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !out.Pos.Equal(in.Pos) || out.Last != in.Last {
		t.Fatalf("round trip: %+v", out)
	}
	if err := out.Pos.UnmarshalText([]byte("0-1-1,0-1-2")); err == nil || !out.Pos.Equal(in.Pos) {
		t.Fatalf("bad UnmarshalText: %v, %q", err, out.Pos)
	}
}
