package schema

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
)

// FuzzApply feeds arbitrary queries to Apply on a catalog holding a few
// tables: errors are fine, panics are not, and whatever is stored must be
// consistent (keys name existing columns).
func FuzzApply(f *testing.F) {
	for _, s := range differentialSeq {
		f.Add(s)
	}
	for _, s := range []string{
		"CREATE TABLE x (a point srid 4326 invisible, b int as (1) persistent)",
		"/*M!100100 CREATE OR REPLACE TABLE t (a national char(3), b nvarchar(2), c nchar)*/",
		"ALTER TABLE t ADD COLUMN p point AFTER id, CHANGE COLUMN p q multipolygon FIRST",
		"RENAME TABLE t TO u, u TO t, t TO v",
		"CREATE TABLE `a``b` (`c``d` int); DROP TABLE `a``b`",
		"ALTER TABLE t ADD INDEX i (a) INVISIBLE, ADD COLUMN inv INT INVISIBLE",
		"create table z (a int default (1+1))",
		"/*!",
		"'unterminated",
		"CREATE TABLE t2 (a int) ; ; ;",
	} {
		f.Add(s)
	}
	a := NewApplier()
	f.Fuzz(func(t *testing.T, q string) {
		c := NewCatalog()
		c.SetFlavor(FlavorMariaDB)
		if _, err := a.Apply(c, "d1", "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(3), c TEXT, UNIQUE (a))"); err != nil {
			t.Fatal(err)
		}
		_, _ = a.Apply(c, "d1", q)
		for _, tb := range c.Tables() {
			keys := tb.UniqueKeys
			if tb.PrimaryKey != nil {
				keys = append(keys, *tb.PrimaryKey)
			}
			for _, k := range keys {
				for _, kc := range k.Columns {
					if tb.ColumnIndex(kc.Name) < 0 {
						t.Fatalf("%q: key %s of %s names missing column %s", q, k.Name, tb.QualifiedName(), kc.Name)
					}
				}
			}
		}
		_, _ = a.TableFromCreate(c, "d1", q)
	})
}

// BenchmarkApplyAlter measures a typical online-schema-change ALTER.
func BenchmarkApplyAlter(b *testing.B) {
	a := NewApplier()
	base := NewCatalog()
	base.SetFlavor(FlavorMariaDB)
	if _, err := a.Apply(base, "shop", "CREATE TABLE orders (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, status ENUM('new','paid','shipped') NOT NULL DEFAULT 'new', total DECIMAL(12,2) NOT NULL DEFAULT 0, note VARCHAR(255), created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), UNIQUE KEY (customer_id, created_at), KEY (status))"); err != nil {
		b.Fatal(err)
	}
	const q = "ALTER TABLE `shop`.`orders` ADD COLUMN `currency` CHAR(3) NOT NULL DEFAULT 'EUR' AFTER `total`, MODIFY `note` TEXT, ALGORITHM=INPLACE, LOCK=NONE"
	b.ReportAllocs()
	for b.Loop() {
		c := base.Clone()
		if _, err := a.Apply(c, "shop", q); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzRewind checks the reconstruction against the forward path: a base
// catalog, the fuzzer's statements (one per line) applied to it give the
// end catalog; rewinding the end through the same statements must give
// only tables of the base, with their base definitions (never a table the
// window changed), and the Tracker must take the same statements without
// panicking.
func FuzzRewind(f *testing.F) {
	f.Add("ALTER TABLE t ADD COLUMN z INT\nCREATE TABLE n (a INT)\nRENAME TABLE n TO m, keep TO kept")
	f.Add("CREATE TABLE _t_gho LIKE t\nALTER TABLE _t_gho ADD w INT\nRENAME TABLE t TO _t_del, _t_gho TO t\nDROP TABLE _t_del")
	f.Add("DROP DATABASE d1\nCREATE DATABASE d1\nCREATE TABLE d1.t (x INT)")
	f.Add("CREATE TABLE lag (id INT, `system` INT, empty INT)\nALTER TABLE lag RENAME COLUMN empty TO rank")
	f.Add("TRUNCATE keep\nCREATE INDEX i ON keep (id)\nCREATE UNIQUE INDEX u ON keep (v)")
	f.Fuzz(func(t *testing.T, in string) {
		base := NewCatalog()
		base.SetFlavor(FlavorMariaDB)
		base.SetIgnoredDatabases(SystemDatabases()...)
		a := NewApplier()
		for _, q := range []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(3))", "CREATE TABLE keep (id INT, v INT)"} {
			if _, err := a.Apply(base, "d1", q); err != nil {
				t.Fatal(err)
			}
		}
		end := base.Clone()
		var window []QueryAt
		for i, q := range strings.Split(in, "\n") {
			window = append(window, QueryAt{Query: q, Schema: "d1", At: Point{File: "b.000001", Pos: uint64(100 + i)}})
			_, _ = a.Apply(end, "d1", q)
		}
		start, unknown, err := Rewind(end, window, DDLSkip)
		if err != nil {
			t.Fatalf("Rewind with DDLSkip: %v", err)
		}
		for _, tb := range start.Tables() {
			b := base.Table(tb.Schema, tb.Name)
			if b == nil || b.Fingerprint() != tb.Fingerprint() {
				t.Fatalf("%q: table %s at the start is not the base's: %+v", in, tb.QualifiedName(), tb)
			}
		}
		for _, u := range unknown {
			if start.Table(u.Schema, u.Name) != nil {
				t.Fatalf("%q: %s.%s is both unknown and in the start catalog", in, u.Schema, u.Name)
			}
		}
		tr := NewTracker(start, TrackerOptions{OnDDLError: DDLSkip, Logger: discardLogger()})
		for _, w := range window {
			_, _ = tr.Query(&binlog.QueryEvent{Schema: w.Schema, Query: w.Query}, w.At)
		}
	})
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
