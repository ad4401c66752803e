package snapshot

import (
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/core"
)

func TestTokenRoundTrip(t *testing.T) {
	tok := &progressToken{Scope: &scope{Include: []string{"shop.*"}, Exclude: []string{"shop.tmp_*"}},
		Tables: []*tableToken{
			{Schema: "shop", Name: "orders", State: stateCopying, After: Key{[]byte("42")}.Strings(), Rows: 42},
			{Schema: "shop", Name: "users", State: statePending, Truncate: true},
		}, Requests: []string{"r1"}, Done: 3, DoneRows: 1000}
	s := tok.encode()
	got, err := decodeToken(s)
	if err != nil {
		t.Fatal(err)
	}
	if got.encode() != s || !got.active() {
		t.Fatalf("round trip: %s\nbecame %s", s, got.encode())
	}
	if active, err := InProgress(s); err != nil || !active {
		t.Errorf("InProgress = %v, %v", active, err)
	}
	p, err := ReadProgress(s)
	if err != nil || p.Done != 3 || p.DoneRows != 1000 || len(p.Tables) != 2 || p.Tables[0].Table != "shop.orders" || p.Tables[0].Rows != 42 {
		t.Errorf("ReadProgress = %+v, %v", p, err)
	}
	for _, c := range []struct{ in, want string }{
		{`{"v":2}`, "version 2"},
		{`{"v":1,"tables":[{"schema":"a","name":"b","state":"odd"}]}`, "malformed table entry"},
		{`not json`, "not readable"},
	} {
		if _, err := decodeToken(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("decodeToken(%q) = %v, want an error saying %q", c.in, err, c.want)
		}
	}
	if tok, err := decodeToken(""); tok != nil || err != nil {
		t.Errorf(`decodeToken("") = %v, %v`, tok, err)
	}
}

func TestScopeEqual(t *testing.T) {
	sc := &scope{Include: []string{"Shop.*"}, Exclude: []string{"shop.tmp_*"}}
	if !sc.equal(&scope{Include: []string{"Shop.*"}, Exclude: []string{"shop.tmp_*"}}) || sc.equal(&scope{}) {
		t.Error("scope.equal")
	}
}

// The stream's changes to a copying table keyed by an integer: rows past
// the last chunk emitted are dropped, and a key change across the line is
// its side's insert or delete.
func TestRowFilterCut(t *testing.T) {
	tbl := &core.Table{Schema: "d", Name: "t", Columns: []core.Column{{Name: "id", Type: core.ColumnType{Name: "bigint"}}, {Name: "v", Type: core.ColumnType{Name: "int"}}},
		PrimaryKey: &core.Key{Name: "PRIMARY", Columns: []core.KeyColumn{{Name: "id"}}}}
	f := cutFilter(tbl, &tableToken{Schema: "d", Name: "t", State: stateCopying, After: Key{[]byte("100")}.Strings()}, nil)
	if f == nil {
		t.Fatal("no filter for an integer key")
	}
	row := func(id int64) []core.Value { return []core.Value{core.IntValue(id), core.IntValue(1)} }
	for _, c := range []struct {
		r    *core.Record
		want core.Op // 0: dropped
	}{
		{&core.Record{Op: core.OpInsert, After: row(100)}, core.OpInsert},
		{&core.Record{Op: core.OpInsert, After: row(101)}, 0},
		{&core.Record{Op: core.OpDelete, Before: row(-5)}, core.OpDelete},
		{&core.Record{Op: core.OpDelete, Before: row(500)}, 0},
		{&core.Record{Op: core.OpUpdate, Before: row(5), After: row(6)}, core.OpUpdate},
		{&core.Record{Op: core.OpUpdate, Before: row(500), After: row(600)}, 0},
		{&core.Record{Op: core.OpUpdate, Before: row(500), After: row(6)}, core.OpInsert},
		{&core.Record{Op: core.OpUpdate, Before: row(6), After: row(500)}, core.OpDelete},
	} {
		out := f.apply(c.r)
		switch {
		case c.want == 0 && out != nil:
			t.Errorf("%s %v→%v: kept as %s, want dropped", c.r.Op, c.r.Before, c.r.After, out.Op)
		case c.want != 0 && (out == nil || out.Op != c.want):
			t.Errorf("%s %v→%v: %v, want %s", c.r.Op, c.r.Before, c.r.After, out, c.want)
		case c.want == core.OpInsert && out.Before != nil, c.want == core.OpDelete && out.After != nil:
			t.Errorf("%s: the converted record keeps the other image", c.r.Op)
		}
	}
	// Unsigned keys past MaxInt64, and keys that cannot be compared.
	utbl := tbl.Clone()
	utbl.Columns[0].Type.Unsigned = true
	uf := cutFilter(utbl, &tableToken{State: stateCopying, After: Key{[]byte("18446744073709551610")}.Strings()}, nil)
	if uf == nil || uf.apply(&core.Record{Op: core.OpInsert, After: []core.Value{core.UintValue(18446744073709551615), core.IntValue(1)}}) != nil {
		t.Error("an unsigned key past the line must be dropped")
	}
	stbl := tbl.Clone()
	stbl.Columns[0].Type = core.ColumnType{Name: "varchar", Length: 10, Charset: "utf8mb4", Collation: "utf8mb4_general_ci"}
	if cutFilter(stbl, &tableToken{State: stateCopying, After: Key{[]byte("abc")}.Strings()}, nil) != nil {
		t.Error("a string key has a cut filter: its order is the collation's")
	}
}

// FuzzDecodeToken: the progress comes from the sink's checkpoint row; no
// content of it may crash a restart.
func FuzzDecodeToken(f *testing.F) {
	f.Add(`{"v":1,"scope":{"include":["a.*"]},"tables":[{"schema":"a","name":"b","state":"copying","after":["MTA="],"rows":10}]}`)
	f.Add(`{"v":1}`)
	f.Add(`{"v":1,"tables":[{"schema":"a","name":"b","state":"pending","after":["!!"]}]}`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := decodeToken(s)
		if err != nil || tok == nil {
			return
		}
		again, err := decodeToken(tok.encode())
		if err != nil || again.encode() != tok.encode() {
			t.Fatalf("re-encoding %q: %v", s, err)
		}
		for _, tt := range tok.Tables {
			k, err := KeyFromStrings(tt.After)
			if err == nil && k != nil {
				_ = k.Strings()
			}
		}
		_, _ = ReadProgress(s)
	})
}
