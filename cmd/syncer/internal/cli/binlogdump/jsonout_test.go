package binlogdump

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/cmd/syncer/internal/cli/command"
	"github.com/seed5aa6e046/syncer/sources/mysql/schema"
)

func TestAppendBody(t *testing.T) {
	type body struct {
		Type  string `json:"type"`
		Query string `json:"query"`
		N     uint64 `json:"n"`
		Skip  []byte `json:"-"`
	}
	e := newBodyEncoder()
	got, err := e.appendBody([]byte(`{"x":1`), &body{Type: "INSERT_ID", Query: "a < b && c", N: 18446744073709551615})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"x":1,"body_type":"INSERT_ID","query":"a < b && c","n":18446744073709551615`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	got, _ = e.appendBody(nil, struct{}{})
	if len(got) != 0 {
		t.Errorf("empty body wrote %q", got)
	}
	got, _ = e.appendBody(nil, []int{1})
	if string(got) != `,"body":[1]` {
		t.Errorf("non-object body wrote %q", got)
	}
}

func TestTablePattern(t *testing.T) {
	ps, err := parseTables("shop.orders, db2.* ,*.users,s?.t")
	if err != nil {
		t.Fatal(err)
	}
	match := func(schema, table string) bool {
		for _, p := range ps {
			if p.Match(schema, table) {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		schema, table string
		want          bool
	}{
		{"shop", "orders", true}, {"shop", "order", false}, {"Shop", "orders", false},
		{"db2", "anything", true}, {"other", "users", true}, {"s1", "t", true}, {"s12", "t", false},
	} {
		if got := match(c.schema, c.table); got != c.want {
			t.Errorf("%s.%s: %v, want %v", c.schema, c.table, got, c.want)
		}
	}
}

func TestParseArgsInterspersed(t *testing.T) {
	o, err := ParseArgs([]string{"a", "--stats", "b", "--start-position=8", "--", "--c"}, nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if !o.Stats || o.StartPosition != 8 || len(o.Files) != 3 || o.Files[0] != "a" || o.Files[1] != "b" || o.Files[2] != "--c" {
		t.Fatalf("%+v", o)
	}
}

func TestParseArgsSchemaFrom(t *testing.T) {
	noEnv := func(string) string { return "" }
	env := func(k string) string {
		if k == "SYNCER_DSN" {
			return "u:p@tcp(db:3306)/"
		}
		return ""
	}
	o, err := ParseArgs([]string{"--schema-from", "u@tcp(h:3307)/", "--state-dir", "s", "--on-ddl-error", "skip", "f"}, nil, noEnv)
	if err != nil || o.SchemaFrom == nil || o.SchemaFrom.Addr != "h:3307" || o.StateDir != "s" || o.OnDDLError != schema.DDLSkip {
		t.Fatalf("%+v %v", o, err)
	}
	if o, err = ParseArgs([]string{"--state-dir", "s", "f"}, nil, env); err != nil || o.SchemaFrom == nil || o.SchemaFrom.Addr != "db:3306" {
		t.Fatalf("$SYNCER_DSN: %+v %v", o, err)
	}
	for args, want := range map[string]string{
		"--schema-from u@tcp(h)/ f":                                "needs --state-dir",
		"--state-dir s f":                                          "needs --schema-from",
		"--schema-from u@tcp(h)/?bogus=1 --state-dir s f":          "unknown option",
		"--schema-from u@tcp(h)/ --state-dir s --on-ddl-error x f": "want fail or skip",
	} {
		_, err := ParseArgs(strings.Fields(args), nil, noEnv)
		var ue *command.UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want a usage error containing %q", args, err, want)
		}
	}
}

func TestSpliceMembers(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{}`, ``},
		{`{"a":1}`, `,"a":1`},
		{`{"a":"x,}\"]","type":[1,{"b":"}"}],"c":{"d":[]},"file":null}`, `,"a":"x,}\"]","body_type":[1,{"b":"}"}],"c":{"d":[]},"body_file":null`},
	}
	for _, c := range cases {
		got, err := spliceMembers(nil, []byte(c.in))
		if err != nil || string(got) != c.want {
			t.Errorf("%s: got %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{``, `{`, `[1]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":"x}`, `{"a":1}}`} {
		if _, err := spliceMembers(nil, []byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzSpliceMembers(f *testing.F) {
	f.Add(`{"a":"x,}\"]","type":[1,{"b":"}"}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := spliceMembers([]byte("{\"k\":0"), []byte(s))
		if err != nil {
			return
		}
		// Whatever was accepted must give a valid object.
		var m map[string]any
		if json.Valid([]byte(s)) {
			if err := json.Unmarshal(append(got, '}'), &m); err != nil {
				t.Fatalf("%s -> %s: %v", s, got, err)
			}
		}
	})
}
