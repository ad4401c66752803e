package schema

import (
	"context"
	"database/sql"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/test/harness"
)

// differentialSeq is run on a real MariaDB and applied to a Catalog; after
// every statement, each table the server holds must equal the tracked
// model. The statements are the list of nasty schema changes.
var differentialSeq = []string{
	"CREATE DATABASE d1",
	"CREATE DATABASE d2 CHARACTER SET latin1",
	"USE d1",
	"CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, a VARCHAR(10), b INTEGER DEFAULT 5, c TEXT, d DECIMAL(8,3) DEFAULT '1.5' COMMENT 'a ''d''', e ENUM('x','y''s') NOT NULL DEFAULT 'y''s', f BOOL, g DATETIME(3) DEFAULT CURRENT_TIMESTAMP(3), h BIGINT UNSIGNED, UNIQUE KEY (a), KEY (b))",
	"ALTER TABLE t ADD COLUMN x INT AFTER id",
	"ALTER TABLE t ADD COLUMN y VARCHAR(20) CHARACTER SET latin1 FIRST, ADD COLUMN z SMALLINT ZEROFILL",
	"ALTER TABLE t ADD (m1 CHAR(3), m2 SET('p','q') DEFAULT 'p,q')",
	"ALTER TABLE t DROP COLUMN z",
	"ALTER TABLE t CHANGE COLUMN x x2 BIGINT NOT NULL DEFAULT 0 AFTER c",
	"ALTER TABLE t MODIFY b BIGINT UNSIGNED",
	"ALTER TABLE t MODIFY COLUMN a VARCHAR(200) FIRST",
	"ALTER TABLE t RENAME COLUMN m1 TO m1_renamed",
	"ALTER TABLE t ALTER COLUMN b SET DEFAULT 7",
	"ALTER TABLE t ALTER COLUMN x2 DROP DEFAULT",
	"ALTER TABLE t ADD UNIQUE KEY uk_h (h, x2)",
	"ALTER TABLE t RENAME INDEX uk_h TO uk_h2",
	"ALTER TABLE t DROP INDEX a",
	"CREATE UNIQUE INDEX ui ON t (m1_renamed(2))",
	"CREATE INDEX plain ON t (c(10))",
	"DROP INDEX ui ON t",
	"ALTER TABLE t ENGINE=InnoDB, ALGORITHM=COPY",
	"ALTER TABLE t ROW_FORMAT=DYNAMIC, LOCK=SHARED",
	"ALTER TABLE t CONVERT TO CHARACTER SET latin1",
	"ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
	"ALTER TABLE t DEFAULT CHARSET=latin1",
	"ALTER TABLE t ADD COLUMN after_cs VARCHAR(5)",
	"ALTER TABLE t DROP PRIMARY KEY, MODIFY id INT NOT NULL",
	"ALTER TABLE t ADD PRIMARY KEY (id, x2)",
	"ALTER TABLE t ADD CONSTRAINT uc UNIQUE (f)",
	"ALTER TABLE t DROP CONSTRAINT uc",
	"/* leading */ ALTER TABLE t /*!50100 ADD COLUMN vc1 INT */ -- trailing\n",
	"/*M!100100 ALTER TABLE t ADD COLUMN vc2 INT */",
	"ALTER TABLE `t` ADD COLUMN `Weird Name` TINYINT(3) UNSIGNED # hash comment\n",
	"create table T2 (A int primary key, B varchar(3) collate latin1_bin, C double precision, D real, E numeric(6), F fixed(4,1), G serial, H long varchar, I national char(4), J mediumint, K float(30), L year, M time(2), N bit, O tinytext, P longblob, Q binary(2), R varbinary(9), S varchar(4) binary, T text(100), U blob(70000)) default charset=utf8mb4 collate utf8mb4_bin",
	"create table d2.l (a varchar(4), b text charset utf8mb3, c char(2) collate utf8mb4_unicode_ci) ",
	"create table sp (id int primary key, g geometry not null, p point, ls linestring, pg polygon, mp multipoint, ml multilinestring, mpg multipolygon, gc geometrycollection)",
	"create table gen (a int, b int as (a + 1) virtual, c int generated always as (a * 2) stored, d int invisible, e int as (a) persistent, j json)",
	"CREATE TABLE IF NOT EXISTS gen (z int)",
	"CREATE TABLE t_like LIKE t",
	"CREATE TEMPORARY TABLE tmp (a int)",
	"RENAME TABLE t_like TO d2.moved",
	"ALTER TABLE d2.moved RENAME TO d1.moved_back, ADD COLUMN extra INT",
	"ALTER TABLE moved_back RENAME TO moved2",
	// gh-ost cut-over
	"CREATE TABLE _t_gho LIKE t",
	"ALTER TABLE _t_gho ADD COLUMN gho INT FIRST, MODIFY h INT",
	"RENAME TABLE t TO _t_del, _t_gho TO t",
	"DROP TABLE IF EXISTS _t_del, nothere",
	"TRUNCATE TABLE t",
	"CREATE OR REPLACE TABLE gen (a int)",
	"ALTER DATABASE d2 CHARACTER SET utf8mb4",
	"CREATE TABLE d2.after_alter (a varchar(3))",
	"CREATE TABLE cs (a CHAR(2) CHARACTER SET latin2, b VARCHAR(3) CHARACTER SET cp1251 COLLATE cp1251_bin, c TEXT CHARACTER SET ucs2, d VARCHAR(2) COLLATE utf8mb4_nopad_bin, e CHAR(1) COLLATE utf8mb4_uca1400_ai_ci, f TEXT CHARACTER SET utf16) CHARSET=latin2",
	"ALTER TABLE cs CONVERT TO CHARACTER SET utf8mb4",
	"ALTER TABLE cs ADD COLUMN g TINYTEXT CHARACTER SET latin1, ADD COLUMN h INT UNSIGNED DEFAULT '42', ADD COLUMN i DATETIME DEFAULT NOW(), ADD COLUMN j TIMESTAMP(6) NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), ADD COLUMN k BIT(4) DEFAULT b'101', ADD COLUMN l INT DEFAULT -3, ADD COLUMN m UUID, ADD COLUMN n INET6",
	"ALTER TABLE cs CONVERT TO CHARACTER SET latin1",
	"ALTER TABLE cs ADD UNIQUE (h), ADD UNIQUE (h), ADD UNIQUE KEY (a)",
	"ALTER TABLE cs MODIFY h INT UNSIGNED NOT NULL",
	"ALTER TABLE cs DROP COLUMN h",
	"ALTER TABLE T2 ALTER COLUMN B DROP DEFAULT, ALTER COLUMN C SET DEFAULT 2.5",
	"ALTER TABLE T2 CHANGE A a_lower INT NOT NULL, ADD COLUMN pk2 INT NOT NULL DEFAULT 0 FIRST, DROP PRIMARY KEY, ADD PRIMARY KEY (pk2, a_lower)",
	"ALTER TABLE T2 DROP PRIMARY KEY, DROP COLUMN pk2, ADD PRIMARY KEY (a_lower)",
	"CREATE TABLE IF NOT EXISTS d1.cs (a INT)",
	"ALTER TABLE cs ADD COLUMN IF NOT EXISTS a INT, DROP COLUMN IF EXISTS nope",
	"CREATE TABLE ex (a INT, b INT DEFAULT (a+1), c VARCHAR(40) DEFAULT (concat('x', ')''(')), d DATETIME DEFAULT (now() + interval 1 day), e INT DEFAULT (1), f DOUBLE DEFAULT rand(), h BLOB DEFAULT 'x', i VARCHAR(3) DEFAULT (NULL))",
	"ALTER TABLE ex ALTER COLUMN e SET DEFAULT (a + 2), ADD COLUMN g INT DEFAULT (-1)",
	"ALTER TABLE sp ADD SPATIAL INDEX (g), ALGORITHM=COPY",
	"CREATE SPATIAL INDEX spi ON sp (g)",
	"ALTER ONLINE TABLE T2 ADD COLUMN w1 INT, ALGORITHM=NOCOPY",
	"ALTER TABLE T2 WAIT 5 ADD COLUMN w2 TEXT COMPRESSED, ADD COLUMN w3 VARCHAR(100) COMPRESSED=zlib",
	"ALTER TABLE T2 NOWAIT DROP COLUMN w1",
	"RENAME TABLES ex TO ex2",
	"CREATE TABLE keys1 (a VARCHAR(10), b VARCHAR(10) NOT NULL, c TEXT, d CHAR(4) NOT NULL, UNIQUE KEY kc (c(5)), UNIQUE KEY ka (a), UNIQUE KEY kd (d(4)), UNIQUE KEY kb (b(3)), UNIQUE KEY kab (a(2), b))",
	"ALTER TABLE keys1 MODIFY a VARCHAR(10) NOT NULL",
	"ALTER TABLE keys1 RENAME COLUMN a TO b, RENAME COLUMN b TO a",
	"ALTER TABLE keys1 CHANGE c d TEXT, CHANGE d c CHAR(4) NOT NULL FIRST",
	"CREATE TABLE dt (a DATE DEFAULT '2020-01-02', b DATETIME DEFAULT '2020-01-02', c DATETIME(3) DEFAULT '2020-01-02 03:04:05', d TIME(2) DEFAULT '01:02:03', e YEAR DEFAULT '2021', f TIMESTAMP(6) NULL DEFAULT '2020-01-02 03:04:05.5', g DATETIME DEFAULT 0, h TIME DEFAULT 10, i DATE DEFAULT 20200102)",
	// JSON: MariaDB's alias (LONGTEXT with a column CHECK (json_valid)),
	// hand-written column and table checks, and the ALTERs that keep,
	// add or drop them.
	"CREATE TABLE js (id INT PRIMARY KEY, j JSON, k JSON NOT NULL DEFAULT '{}', l LONGTEXT CHECK (json_valid(l)), m TEXT, n VARCHAR(100) CHECK (json_valid(`n`) AND n <> '[]'), o TEXT, CONSTRAINT ck CHECK (json_valid(m)), CHECK (json_valid(o)))",
	"ALTER TABLE js MODIFY j LONGTEXT, ADD COLUMN p JSON AFTER id, ADD COLUMN q TEXT",
	"ALTER TABLE js ADD CONSTRAINT cq CHECK (json_valid(q))",
	"ALTER TABLE js RENAME COLUMN k TO k2, CHANGE l l2 JSON, MODIFY n VARCHAR(200)",
	"ALTER TABLE js CONVERT TO CHARACTER SET latin1",
	"ALTER TABLE js DROP COLUMN o",
	"CREATE TABLE js2 LIKE js",
	"INSERT INTO T2 (a_lower, B) VALUES (1, 'x')",
	"DROP DATABASE d2",
}

func TestDifferentialMariaDB(t *testing.T) {
	runDifferential(t, harness.MariaDBOptions{}, true, differentialSeq)
}

// timestampSeq exercises explicit_defaults_for_timestamp=OFF.
var timestampSeq = []string{
	"CREATE DATABASE d1",
	"USE d1",
	"CREATE TABLE ts (a INT, t1 TIMESTAMP, t2 TIMESTAMP, t3 TIMESTAMP NULL, t4 TIMESTAMP(3), t5 TIMESTAMP DEFAULT '2020-01-01 00:00:00')",
	"CREATE TABLE ts2 (a INT, t1 TIMESTAMP(6) NULL, t2 TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)",
	"CREATE TABLE ts3 (a INT)",
	"ALTER TABLE ts3 ADD COLUMN t1 TIMESTAMP(2), ADD COLUMN t2 TIMESTAMP",
	"ALTER TABLE ts ADD COLUMN t6 TIMESTAMP NOT NULL",
}

func TestDifferentialMariaDBImplicitTimestamps(t *testing.T) {
	runDifferential(t, harness.MariaDBOptions{ExtraArgs: []string{"--explicit-defaults-for-timestamp=OFF"}}, false, timestampSeq)
}

func runDifferential(t *testing.T, opts harness.MariaDBOptions, explicitTS bool, seq []string) {
	m := harness.MariaDBForTest(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, err := m.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := NewCatalog()
	c.SetFlavor(FlavorMariaDB)
	c.SetServerDefaults("utf8mb4", "utf8mb4_general_ci")
	c.SetExplicitDefaultsForTimestamp(explicitTS)
	a := NewApplier()
	db := ""
	for _, stmt := range seq {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("server: %s: %v", stmt, err)
		}
		_, err := a.Apply(c, db, stmt)
		if err != nil {
			t.Fatalf("Apply %q: %v", stmt, err)
		}
		if strings.HasPrefix(stmt, "USE ") {
			db = strings.TrimPrefix(stmt, "USE ")
		}
		compareWithServer(ctx, t, conn, a, c, stmt)
	}
}

// compareWithServer checks every table of d1 and d2 on the server against
// the catalog: the SHOW CREATE TABLE model and information_schema.COLUMNS.
func compareWithServer(ctx context.Context, t *testing.T, conn *sql.Conn, a *Applier, c *Catalog, after string) {
	t.Helper()
	rows, err := conn.QueryContext(ctx, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ('d1','d2') AND TABLE_TYPE='BASE TABLE' ORDER BY 1, 2")
	if err != nil {
		t.Fatal(err)
	}
	var names [][2]string
	for rows.Next() {
		var s, n string
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		names = append(names, [2]string{s, n})
	}
	rows.Close()
	// information_schema sorts by collation; Tables() sorts bytewise.
	sort.Slice(names, func(i, j int) bool {
		if names[i][0] != names[j][0] {
			return names[i][0] < names[j][0]
		}
		return names[i][1] < names[j][1]
	})
	var tracked [][2]string
	for _, tb := range c.Tables() {
		tracked = append(tracked, [2]string{tb.Schema, tb.Name})
	}
	if js(names) != js(tracked) {
		t.Fatalf("after %q: server tables %v, tracked %v", after, names, tracked)
	}
	for _, n := range names {
		var tn, create string
		if err := conn.QueryRowContext(ctx, "SHOW CREATE TABLE `"+n[0]+"`.`"+n[1]+"`").Scan(&tn, &create); err != nil {
			t.Fatal(err)
		}
		want, err := a.TableFromCreate(c, n[0], create)
		if err != nil {
			t.Fatalf("after %q: TableFromCreate(%s): %v", after, create, err)
		}
		got := c.Table(n[0], n[1]).Clone()
		got.Version = want.Version
		if !got.SameDefinition(want) {
			t.Fatalf("after %q: %s.%s differs: %s\nSHOW CREATE TABLE: %s", after, n[0], n[1], diffTables(want, got), create)
		}
		compareColumns(ctx, t, conn, got, after)
	}
}

func compareColumns(ctx context.Context, t *testing.T, conn *sql.Conn, tb *core.Table, after string) {
	t.Helper()
	rows, err := conn.QueryContext(ctx, "SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE, IFNULL(CHARACTER_SET_NAME,''), IFNULL(COLLATION_NAME,'') FROM information_schema.COLUMNS WHERE TABLE_SCHEMA=? AND TABLE_NAME=? ORDER BY ORDINAL_POSITION", tb.Schema, tb.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var name, dt, null, cs, co string
		if err := rows.Scan(&name, &dt, &null, &cs, &co); err != nil {
			t.Fatal(err)
		}
		if i >= len(tb.Columns) {
			t.Fatalf("after %q: %s: server has more columns (%s)", after, tb.QualifiedName(), name)
		}
		col := tb.Columns[i]
		got := []string{col.Name, col.Type.Name, map[bool]string{true: "YES", false: "NO"}[col.Nullable], col.Type.Charset, col.Type.Collation}
		want := []string{name, dt, null, cs, co}
		if js(got) != js(want) {
			t.Errorf("after %q: %s column %d: information_schema %v, tracked %v", after, tb.QualifiedName(), i, want, got)
		}
		i++
	}
	if i != len(tb.Columns) {
		t.Fatalf("after %q: %s: server has %d columns, tracked %d", after, tb.QualifiedName(), i, len(tb.Columns))
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// diffTables describes how got differs from want, column by column.
func diffTables(want, got *core.Table) string {
	var b strings.Builder
	for i := 0; i < len(want.Columns) || i < len(got.Columns); i++ {
		var w, g any
		if i < len(want.Columns) {
			w = want.Columns[i]
		}
		if i < len(got.Columns) {
			g = got.Columns[i]
		}
		if js(w) != js(g) {
			b.WriteString("\n  column " + js(i) + ": server " + js(w) + "\n            tracked " + js(g))
		}
	}
	w, g := *want, *got
	w.Columns, g.Columns = nil, nil
	if js(w) != js(g) {
		b.WriteString("\n  table: server " + js(w) + "\n         tracked " + js(g))
	}
	if b.Len() == 0 {
		return "\n  server  " + js(want) + "\n  tracked " + js(got)
	}
	return b.String()
}
