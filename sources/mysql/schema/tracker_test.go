package schema

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
)

func trackerCatalog(t *testing.T, ddl ...string) *Catalog {
	t.Helper()
	c := NewCatalog()
	c.SetFlavor(FlavorMariaDB)
	c.SetServerDefaults("utf8mb4", "")
	c.SetIgnoredDatabases(SystemDatabases()...)
	a := NewApplier()
	for _, q := range ddl {
		if _, err := a.Apply(c, "db", q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return c
}

func pt(pos uint64) Point { return Point{File: "bin.000001", Pos: pos} }

func TestTrackerQueryRecordsVersions(t *testing.T) {
	h, err := OpenHistory(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	cat := trackerCatalog(t, "CREATE DATABASE db", "CREATE TABLE t (id INT PRIMARY KEY, a INT)")
	if err := h.Baseline(pt(4), cat.Tables()); err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(cat, TrackerOptions{History: h})
	for _, q := range []string{"BEGIN", "INSERT INTO t VALUES (1, 2)", "COMMIT", "/* c */ SET @x = 1"} {
		if ch, err := tr.Query(&binlog.QueryEvent{Schema: "db", Query: q}, pt(10)); err != nil || ch != nil {
			t.Errorf("%q: changes %v, err %v", q, ch, err)
		}
	}
	ch, err := tr.Query(&binlog.QueryEvent{Schema: "db", Query: "ALTER TABLE t ADD COLUMN b VARCHAR(10) AFTER id"}, pt(100))
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 1 || ch[0].Kind != core.AlterTable || ch[0].Old.Version != 1 || ch[0].New.Version != 2 ||
		ch[0].New.Columns[1].Name != "b" || ch[0].Position != (core.Position{File: "bin.000001", Pos: 100}) ||
		ch[0].Database != "db" || !strings.Contains(ch[0].Statement, "ADD COLUMN b") {
		t.Fatalf("ALTER: %+v", ch)
	}
	ch, err = tr.Query(&binlog.QueryEvent{Schema: "db", Query: "RENAME TABLE t TO u"}, pt(200))
	if err != nil || len(ch) != 1 || ch[0].Kind != core.RenameTable || ch[0].New.Name != "u" || ch[0].New.Version != 3 {
		t.Fatalf("RENAME: %+v %v", ch, err)
	}
	// The history answers for every point.
	for _, c := range []struct {
		at      uint64
		name    string
		version uint64
		cols    int
	}{{50, "t", 1, 2}, {100, "t", 2, 3}, {150, "t", 2, 3}, {200, "u", 3, 3}} {
		got, err := h.TableAsOf(pt(c.at), "db", c.name)
		if err != nil || got == nil || got.Version != c.version || len(got.Columns) != c.cols {
			t.Errorf("at %d: %s = %+v, %v", c.at, c.name, got, err)
		}
	}
	if got, _ := h.TableAsOf(pt(200), "db", "t"); got != nil {
		t.Errorf("t still exists after the rename: %+v", got)
	}
}

func TestTrackerDDLPolicy(t *testing.T) {
	bad := "ALTER TABLE t ADD COLUMN c INT WITH SYSTEM VERSIONING NONSENSE"
	cat := trackerCatalog(t, "CREATE DATABASE db", "CREATE TABLE t (id INT)")
	tr := NewTracker(cat, TrackerOptions{})
	_, err := tr.Query(&binlog.QueryEvent{Schema: "db", Query: bad}, pt(300))
	var de *DDLError
	if !errors.As(err, &de) || !errors.Is(err, ErrUnparsable) || !strings.Contains(err.Error(), "bin.000001:300") ||
		!strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "--on-ddl-error=skip") {
		t.Fatalf("fail policy: %v", err)
	}
	var logged strings.Builder
	tr = NewTracker(trackerCatalog(t, "CREATE DATABASE db", "CREATE TABLE t (id INT)"),
		TrackerOptions{OnDDLError: DDLSkip, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	ch, err := tr.Query(&binlog.QueryEvent{Schema: "db", Query: bad + "; ALTER TABLE t ADD COLUMN d INT"}, pt(300))
	if err != nil || len(ch) != 1 || ch[0].New.ColumnIndex("d") != 1 {
		t.Fatalf("skip policy: %+v %v", ch, err)
	}
	if !strings.Contains(logged.String(), "DDL not applied") || !strings.Contains(logged.String(), "bin.000001:300") {
		t.Errorf("skip policy logged %q", logged.String())
	}
	// DDL on the server's own tables is not tracked, whatever the policy.
	tr = NewTracker(trackerCatalog(t), TrackerOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, q := range []string{"ALTER TABLE mysql.user ADD COLUMN x INT", "CREATE TABLE mysql.foo (a INT)", "DROP TABLE sys.bar"} {
		if ch, err := tr.Query(&binlog.QueryEvent{Schema: "db", Query: q}, pt(400)); err != nil || ch != nil {
			t.Errorf("%q: %+v %v", q, ch, err)
		}
	}
}

func TestFirstWord(t *testing.T) {
	for q, want := range map[string]string{
		"BEGIN":                         "BEGIN",
		"  /* x */ ALTER TABLE t":       "ALTER",
		"/*!40000 ALTER TABLE t */":     "ALTER",
		"/*M!100301 CREATE TABLE x */":  "CREATE",
		"-- c\nDROP TABLE t":            "DROP",
		"# c\ninsert into t values (1)": "insert",
		"/* unterminated":               "",
		"":                              "",
	} {
		if got := firstWord(q); got != want {
			t.Errorf("firstWord(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestRewind(t *testing.T) {
	// At the end of the window: t (created in it, then altered), keep
	// (untouched), old (existed before, altered in it).
	end := trackerCatalog(t, "CREATE DATABASE db",
		"CREATE TABLE t (id INT, a BIGINT)", "CREATE TABLE keep (id INT)", "CREATE TABLE old (id INT, z INT)")
	window := []QueryAt{
		{Query: "BEGIN", Schema: "db", At: pt(10)},
		{Query: "CREATE TABLE t (id INT, a INT)", Schema: "db", At: pt(20)},
		{Query: "ALTER TABLE t MODIFY a BIGINT", Schema: "db", At: pt(30)},
		{Query: "ALTER TABLE old ADD COLUMN z INT", Schema: "db", At: pt(40)},
		{Query: "CREATE TABLE gone (id INT)", Schema: "db", At: pt(50)},
		{Query: "DROP TABLE gone", Schema: "db", At: pt(60)},
	}
	start, unknown, err := Rewind(end, window, DDLFail)
	if err != nil {
		t.Fatal(err)
	}
	if start.Table("db", "keep") == nil || start.Table("db", "t") != nil || start.Table("db", "old") != nil {
		t.Errorf("start tables: %v", names(start.Tables()))
	}
	if len(unknown) != 1 || unknown[0].Name != "old" || unknown[0].At != pt(40) {
		t.Errorf("unknown: %+v", unknown)
	}
	msg := (&UnknowableError{Start: pt(4), Tables: unknown}).Error()
	if !strings.Contains(msg, "db.old is changed at bin.000001:40") || !strings.Contains(msg, "Start at or after bin.000001:40") {
		t.Errorf("refusal: %s", msg)
	}
	// The end catalog is not changed.
	if end.Table("db", "t") == nil || end.Table("db", "old") == nil {
		t.Error("Rewind changed its input")
	}
	if _, _, err := Rewind(end, []QueryAt{{Query: "ALTER TABLE keep ADD x INT NONSENSE(", Schema: "db", At: pt(9)}}, DDLFail); !errors.Is(err, ErrUnparsable) {
		t.Errorf("unparsable DDL in the window: %v", err)
	}
	if _, _, err := Rewind(end, []QueryAt{{Query: "ALTER TABLE keep ADD x INT NONSENSE(", Schema: "db", At: pt(9)}}, DDLSkip); err != nil {
		t.Errorf("unparsable DDL skipped: %v", err)
	}
}

func names(ts []*core.Table) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.QualifiedName())
	}
	return out
}

// The names a statement failing on an unknown table also names did not
// exist at the start: RENAME unknown TO x leaves x out of the start.
func TestRewindRenameOfUnknown(t *testing.T) {
	end := trackerCatalog(t, "CREATE DATABASE db", "CREATE TABLE kept (id INT)", "CREATE TABLE copy (id INT)")
	start, unknown, err := Rewind(end, []QueryAt{
		{Query: "RENAME TABLE keep TO kept", Schema: "db", At: pt(10)},
		{Query: "CREATE TABLE copy LIKE kept", Schema: "db", At: pt(20)},
	}, DDLFail)
	if err != nil {
		t.Fatal(err)
	}
	if len(start.Tables()) != 0 {
		t.Errorf("start holds %v; kept and copy did not exist there", names(start.Tables()))
	}
	if len(unknown) != 1 || unknown[0].Name != "keep" {
		t.Errorf("unknown: %+v", unknown)
	}
}

func TestHistoryCoveredUntil(t *testing.T) {
	h, err := OpenHistory(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	check := func(want uint64, wantOK bool) {
		t.Helper()
		got, ok, err := h.CoveredUntil()
		if err != nil || ok != wantOK || (ok && got != pt(want)) {
			t.Fatalf("CoveredUntil = %v %v %v, want %d %v", got, ok, err, want, wantOK)
		}
	}
	check(0, false)
	cat := trackerCatalog(t, "CREATE DATABASE db", "CREATE TABLE t (id INT)")
	if err := h.Baseline(pt(4), cat.Tables()); err != nil {
		t.Fatal(err)
	}
	check(4, true)
	for _, p := range []uint64{100, 50} {
		if err := h.SetCoveredUntil(pt(p)); err != nil {
			t.Fatal(err)
		}
	}
	check(100, true)
	tr := NewTracker(cat, TrackerOptions{History: h})
	if _, err := tr.Query(&binlog.QueryEvent{Schema: "db", Query: "ALTER TABLE t ADD c INT"}, pt(200)); err != nil {
		t.Fatal(err)
	}
	check(200, true)
	if _, err := h.TruncateAfter(pt(150)); err != nil {
		t.Fatal(err)
	}
	check(150, true)
	if _, err := h.TruncateAfter(pt(20)); err != nil {
		t.Fatal(err)
	}
	check(20, true)
}
