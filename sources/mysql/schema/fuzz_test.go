package schema

import (
	"testing"
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
