package pipelines

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseFull(t *testing.T) {
	const path = "testdata/valid/full.yaml"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SRC_DSN": "repl:pw@tcp(db:3306)/", "PG_PASSWORD": "p@ss", "HOME": "/home/t"}
	f, err := Parse(path, data, lookup(env))
	if err != nil {
		t.Fatal(err)
	}
	stateDir := filepath.Join("testdata", "valid", "state")
	pgDefaults := func(p *Pipeline) {}
	_ = pgDefaults
	want := &File{
		Path:     path,
		StateDir: stateDir,
		Pipelines: []*Pipeline{{
			Name:     "shop",
			StateDir: filepath.Join(stateDir, "shop"),
			Source: Source{
				Type:             "mariadb",
				DSN:              "repl:pw@tcp(db:3306)/",
				ServerID:         4101,
				Include:          []string{"shop.*", "Billing.Invoices"},
				Exclude:          []string{"shop.tmp_*"},
				ExcludeColumns:   []string{"shop.users.password_hash", "*.secret_*"},
				Start:            Start{Mode: StartFilePos, Set: true, File: "mysql-bin.000003", Pos: 1234},
				Heartbeat:        2 * time.Second,
				ReadTimeout:      time.Minute,
				OnDDLError:       "skip",
				OnSchemaMismatch: "reread",
			},
			Sink: Sink{Type: "postgres", Postgres: &PostgresSink{
				DSN:               "postgres://syncer:p@ss@pg:5432/shop?sslmode=disable",
				TargetSchema:      "mirror_{database}",
				StateSchema:       "_state",
				TinyInt1AsBoolean: true,
				KeylessTables:     "full_row",
			}},
			Snapshot: Snapshot{Mode: SnapshotNever, ChunkRows: DefaultChunkRows, ChunkBytes: DefaultChunkBytes, Parallel: DefaultSnapshotParallel},
			Batch:    Batch{MaxRecords: 500, MaxBytes: 1e9, MaxLatency: 0},
			Policies: Policies{
				DropColumn: "keep", DropTable: "keep", Truncate: "ignore",
				ZeroDate: "null", InvalidDate: "null", NulInText: "replace",
				Columns: []ColumnPolicy{
					{Match: "shop.orders.*_at", ZeroDate: "infinity"},
					{Match: "shop.notes.body", NulInText: "strip", InvalidDate: "-infinity"},
				},
			},
			Retry: Retry{MaxDuration: 10 * time.Minute, InitialBackoff: 250 * time.Millisecond, MaxBackoff: 5 * time.Second},
		}, {
			Name:     "crm",
			StateDir: filepath.Join(stateDir, "crm"),
			Source: Source{
				Type: "mysql", DSN: "mysql://repl:$ecret@crm:3307/", ServerID: DefaultServerID("crm"),
				Start:     Start{Mode: StartGTID, Set: true, GTID: "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:11, 3E11FA47-71CA-11E1-9E33-C80AA9429563:1"},
				Heartbeat: DefaultHeartbeat, ReadTimeout: DefaultReadTimeout, OnDDLError: "fail", OnSchemaMismatch: "fail",
			},
			Sink: Sink{Type: "postgres", Postgres: &PostgresSink{
				DSN: "host=pg dbname=crm user=syncer", TargetSchema: "{database}", StateSchema: "_syncer", KeylessTables: "refuse",
			}},
			Snapshot: Snapshot{Mode: SnapshotNever, ChunkRows: DefaultChunkRows, ChunkBytes: DefaultChunkBytes, Parallel: DefaultSnapshotParallel},
			Batch:    Batch{MaxRecords: 20000, MaxBytes: 64 << 20, MaxLatency: 200 * time.Millisecond},
			Policies: Policies{DropColumn: "drop", DropTable: "drop", Truncate: "apply", ZeroDate: "null", InvalidDate: "error", NulInText: "error"},
			Retry:    Retry{InitialBackoff: time.Second, MaxBackoff: 30 * time.Second},
		}, {
			Name:     "earliest",
			StateDir: filepath.Join(stateDir, "earliest"),
			Source: Source{
				Type: "mysql", DSN: "u@tcp(h)/", ServerID: 7, Start: Start{Mode: StartEarliest, Set: true},
				Heartbeat: DefaultHeartbeat, ReadTimeout: DefaultReadTimeout, OnDDLError: "fail", OnSchemaMismatch: "fail",
			},
			Sink: Sink{Type: "postgres", Postgres: &PostgresSink{
				DSN: "postgres:///x", TargetSchema: "{database}", StateSchema: "_syncer", KeylessTables: "refuse",
			}},
			Snapshot: Snapshot{Mode: SnapshotNever, ChunkRows: DefaultChunkRows, ChunkBytes: DefaultChunkBytes, Parallel: DefaultSnapshotParallel},
			Batch:    Batch{MaxRecords: 20000, MaxBytes: 64 << 20, MaxLatency: 200 * time.Millisecond},
			Policies: Policies{DropColumn: "drop", DropTable: "drop", Truncate: "apply", ZeroDate: "null", InvalidDate: "error", NulInText: "error"},
			Retry:    Retry{InitialBackoff: time.Second, MaxBackoff: 30 * time.Second},
		}},
	}
	if !reflect.DeepEqual(f, want) {
		for i := range min(len(f.Pipelines), len(want.Pipelines)) {
			g, w := f.Pipelines[i], want.Pipelines[i]
			if !reflect.DeepEqual(g, w) {
				t.Errorf("pipeline %d:\n got %+v\n     %+v\nwant %+v\n     %+v", i, *g, *g.Sink.Postgres, *w, *w.Sink.Postgres)
			}
		}
		t.Fatalf("got %+v\nwant %+v", f, want)
	}

	p := f.Pipelines[0]
	for _, c := range []struct {
		db, table string
		want      bool
	}{
		{"shop", "orders", true}, {"SHOP", "Orders", true}, {"shop", "tmp_x", false}, {"Shop", "TMP_x", false},
		{"billing", "invoices", true}, {"billing", "other", false}, {"crm", "x", false},
	} {
		if got := p.Includes(c.db, c.table); got != c.want {
			t.Errorf("Includes(%s, %s) = %v", c.db, c.table, got)
		}
	}
	if !f.Pipelines[1].Includes("any", "table") {
		t.Error("no include list includes nothing")
	}
	if f.Pipelines[1].Includes("mysql", "user") || f.Pipelines[1].Includes("SYS", "x") {
		t.Error("no include list includes the system databases")
	}
	for _, c := range []struct {
		db, table, col string
		want           bool
	}{
		{"shop", "users", "password_hash", true}, {"shop", "users", "PASSWORD_HASH", true}, {"shop", "users", "name", false},
		{"x", "y", "secret_key", true}, {"shop", "orders", "secret", false},
	} {
		if got := p.ExcludesColumn(c.db, c.table, c.col); got != c.want {
			t.Errorf("ExcludesColumn(%s, %s, %s) = %v", c.db, c.table, c.col, got)
		}
	}
	if got := p.ColumnPolicy("shop", "orders", "created_at"); got != (ColumnPolicy{Match: "shop.orders.*_at", ZeroDate: "infinity", InvalidDate: "null", NulInText: "replace"}) {
		t.Errorf("ColumnPolicy(created_at) = %+v", got)
	}
	if got := p.ColumnPolicy("shop", "orders", "total"); got != (ColumnPolicy{ZeroDate: "null", InvalidDate: "null", NulInText: "replace"}) {
		t.Errorf("ColumnPolicy(total) = %+v", got)
	}
}

// minimal is a valid file with one pipeline; %s is spliced into its source.
const minimal = `
pipelines:
  - name: shop
    source:
      dsn: "u:p@tcp(h:3306)/"
%s
    sink: {type: postgres, dsn: "postgres://u@h/db"}
`

func parseString(t *testing.T, src string, env map[string]string) (*File, error) {
	t.Helper()
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["HOME"]; !ok {
		env["HOME"] = "/home/t"
	}
	return Parse("p.yaml", []byte(src), lookup(env))
}

func TestEnvExpansion(t *testing.T) {
	for _, c := range []struct {
		name, value string
		env         map[string]string
		want        string // the expanded include glob
		err         string // a fragment of the error, "" for none
	}{
		{"set", "${DB}.*", map[string]string{"DB": "shop"}, "shop.*", ""},
		{"set empty", "x${DB}.*", map[string]string{"DB": ""}, "x.*", ""},
		{"unset", "${DB}.*", nil, "", `p.yaml:6:17: pipelines[0].source.include[0]: "${DB}.*": environment variable DB is not set`},
		{"two unset", "${A}${B}.*", nil, "", "environment variable A, B are not set"},
		{"default", "${DB:-shop}.*", nil, "shop.*", ""},
		{"default when empty", "${DB:-shop}.*", map[string]string{"DB": ""}, "shop.*", ""},
		{"default not used", "${DB:-shop}.*", map[string]string{"DB": "crm"}, "crm.*", ""},
		{"empty default", "a${DB:-}.*", nil, "a.*", ""},
		{"dollar dollar", "$${DB}.*", map[string]string{"DB": "x"}, "${DB}.*", ""},
		{"lone dollar", "a$b.*", nil, "a$b.*", ""},
		{"trailing dollar", "ab.*$", nil, "ab.*$", ""},
		{"unterminated", "${DB.*", nil, "", "unterminated ${"},
		{"bad name", "${D-B}.*", nil, "", "is not a variable reference"},
		{"yaml specials in the value", "${DB}", map[string]string{"DB": "x: 'y' #z.*"}, "x: 'y' #z.*", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(minimal, "%s", `      include: ["`+c.value+`"]`, 1)
			f, err := parseString(t, src, c.env)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Pipelines[0].Source.Include; len(got) != 1 || got[0] != c.want {
				t.Errorf("include %q, want %q", got, c.want)
			}
		})
	}
}

func TestSecretsNotInErrors(t *testing.T) {
	const secret = "Zq9-sekrit"
	env := map[string]string{
		"SRC":  "repl:" + secret + "@tcp(db:3306)/?nosuch=1",
		"DST":  "postgres://u:" + secret + "@h:badport/db",
		"KV":   "host=h password=" + secret + " sslmode=bogus",
		"ZD":   secret,
		"SIZE": secret,
		"ID":   secret,
		"DST2": "postgres://u:Zq9 sekrit@h/db",
	}
	src := `
pipelines:
  - name: a
    source: {dsn: "${SRC}", server_id: "${ID}"}
    sink: {type: postgres, dsn: "${DST}"}
    batch: {max_bytes: "${SIZE}"}
    policies: {zero_date: "${ZD}"}
  - name: b
    source: {dsn: "repl:` + secret + `@tcp(db:3306)/?nosuch=1"}
    sink: {type: postgres, dsn: "${KV}"}
  - name: c
    source: {dsn: "mysql://repl:` + secret + `@db:3306/x/y"}
    sink: {type: postgres, dsn: "host=h password='` + secret + `' sslmode=bogus"}
  - name: d
    source: {dsn: "u@tcp(h)/"}
    sink: {type: postgres, dsn: "${DST2}"}
`
	_, err := parseString(t, src, env)
	if err == nil {
		t.Fatal("no error")
	}
	var es *Errors
	if !errors.As(err, &es) || len(es.List) != 10 {
		t.Errorf("want 10 errors:\n%v", err)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "sekrit") {
		t.Errorf("the secret is in the errors:\n%v", err)
	}
	for _, ref := range []string{"${SRC}", "${DST}", "${KV}", "${ZD}", "${SIZE}", "${ID}"} {
		if !strings.Contains(err.Error(), ref) {
			t.Errorf("no %s in the errors:\n%v", ref, err)
		}
	}
}

func TestZeroDateYAMLNull(t *testing.T) {
	for _, v := range []string{"null", "~", "", `"null"`, "Null", "NULL"} {
		src := minimal[:len(minimal)-1] + "\n    policies:\n      zero_date: " + v + "\n      invalid_date: " + v + "\n      columns: [{match: a.b.c, zero_date: " + v + "}]\n"
		f, err := parseString(t, strings.Replace(src, "%s", "", 1), nil)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		p := f.Pipelines[0].Policies
		if p.ZeroDate != "null" || p.InvalidDate != "null" || p.Columns[0].ZeroDate != "null" {
			t.Errorf("%q: %+v", v, p)
		}
	}
}

func TestDuplicateDerivedServerIDs(t *testing.T) {
	src := `
pipelines:
  - name: a
    source: {dsn: "u@tcp(h)/"}
    sink: {type: postgres, dsn: "postgres://u@h/db"}
  - name: b
    source: {dsn: "u@tcp(h)/", server_id: ` + itoa(DefaultServerID("a")) + `}
    sink: {type: postgres, dsn: "postgres://u@h/db"}
`
	_, err := parseString(t, src, nil)
	want := "p.yaml:7:43: pipelines[1].source.server_id: duplicate server_id " + itoa(DefaultServerID("a")) + ": the pipeline at line 3 derives it from its name"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v\nwant %s...", err, want)
	}
}

func itoa(u uint32) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtUint(u)) }

func fmtUint(u uint32) string {
	if u == 0 {
		return "0"
	}
	var b []byte
	for u > 0 {
		b = append([]byte{byte('0' + u%10)}, b...)
		u /= 10
	}
	return string(b)
}

func TestDefaultServerID(t *testing.T) {
	seen := map[uint32]string{}
	for _, n := range []string{"shop", "crm", "a", "b", "demo", "shop-eu", "shop_eu"} {
		id := DefaultServerID(n)
		if id < 1000000 || id > 1999999 {
			t.Errorf("%s: %d out of range", n, id)
		}
		if id != DefaultServerID(n) {
			t.Errorf("%s: not stable", n)
		}
		if o, dup := seen[id]; dup {
			t.Errorf("%s and %s: both %d", n, o, id)
		}
		seen[id] = n
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1": 1, "10B": 10, "1KiB": 1024, "64MiB": 64 << 20, "2GiB": 2 << 30, "1KB": 1000, "5MB": 5e6,
		"1GB": 1e9, "64mib": 64 << 20, "8 MiB": 8 << 20,
	} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1.5MiB", "-1", "1TB", "MiB", "99999999999GiB", "1 M"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q): no error", in)
		}
	}
}

func TestStateDirDefaults(t *testing.T) {
	src := strings.Replace(minimal, "%s", "", 1)
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SYNCER_STATE_DIR": "/srv/s", "XDG_STATE_HOME": "/x", "HOME": "/h"}, "/srv/s"},
		{map[string]string{"XDG_STATE_HOME": "/x", "HOME": "/h"}, "/x/syncer"},
		{map[string]string{"HOME": "/h"}, "/h/.local/state/syncer"},
	} {
		f, err := Parse("p.yaml", []byte(src), lookup(c.env))
		if err != nil {
			t.Fatal(err)
		}
		if f.StateDir != c.want || f.Pipelines[0].StateDir != filepath.Join(c.want, "shop") {
			t.Errorf("env %v: state dir %q, %q", c.env, f.StateDir, f.Pipelines[0].StateDir)
		}
	}
	f, err := Parse("/etc/syncer/p.yaml", []byte("state_dir: ~/st\n"+src), lookup(map[string]string{"HOME": "/h"}))
	if err != nil || f.StateDir != "/h/st" {
		t.Errorf("state_dir ~/st: %v %v", f, err)
	}
	f, err = Parse("/etc/syncer/p.yaml", []byte("state_dir: st\n"+src), lookup(map[string]string{"HOME": "/h"}))
	if err != nil || f.StateDir != "/etc/syncer/st" {
		t.Errorf("state_dir st: %v %v", f, err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/no-such-file.yaml")
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v", err)
	}
}
