package snapshot

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/cdc"
	"github.com/seed5aa6e046/syncer/sources/mysql/client"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
	"github.com/seed5aa6e046/syncer/test/harness"
)

// Test helpers of the table reader's tests are prefixed rdr, to keep
// clear of the other tests of the package.

func rdrQuietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type rdrExecer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func rdrRun(t testing.TB, db rdrExecer, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// rdrConn returns a connection set up with SessionSetup.
func rdrConn(t testing.TB, db *sql.DB) *sql.Conn {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	rdrRun(t, conn, SessionSetup...)
	return conn
}

// rdrTable returns the definition of schema.name as the cdc layer reads it.
func rdrTable(t testing.TB, db *sql.DB, schema, name string) *core.Table {
	t.Helper()
	cat, err := cdc.ReadCatalog(context.Background(), db, cdc.CaptureOptions{Logger: rdrQuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	tbl := cat.Table(schema, name)
	if tbl == nil {
		t.Fatalf("table %s.%s not in the catalog", schema, name)
	}
	return tbl
}

// rdrRead runs q and returns every row decoded, and each row's KeyOf.
func rdrRead(t testing.TB, conn *sql.Conn, r *TableReader, q string) ([][]core.Value, []Key) {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != len(r.Table().Columns) {
		t.Fatalf("%d result columns, the table has %d", len(cols), len(r.Table().Columns))
	}
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	var out [][]core.Value
	var keys []Key
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		vals, err := r.Decode(raw)
		if err != nil {
			t.Fatalf("row %d: %v", len(out), err)
		}
		out = append(out, vals)
		keys = append(keys, r.KeyOf(raw))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out, keys
}

func rdrShow(v core.Value) string {
	s := v.Kind().String() + ":" + v.String()
	if v.Kind() == core.KindBit {
		s += "/" + strconv.Itoa(v.BitWidth())
	}
	if len(s) > 200 {
		s = s[:200] + fmt.Sprintf("...(%d bytes)", len(v.Bytes()))
	}
	return s
}

// rdrBinlogRows opens the binlog path (cdc.Open and cdc.NewRecords) at the
// server's current position.
func rdrBinlogRows(t *testing.T, m *harness.MariaDB) *cdc.Records {
	t.Helper()
	recs, _ := rdrOpenRecords(t, m, cdc.RecordsConfig{})
	t.Cleanup(func() { recs.Close() })
	return recs
}

// rdrOpenRecords opens the binlog path at the server's current position,
// and returns the connection configuration with it; the caller closes the
// records.
func rdrOpenRecords(t *testing.T, m *harness.MariaDB, cfg cdc.RecordsConfig) (*cdc.Records, *client.Config) {
	t.Helper()
	user, pw := m.User()
	cc, err := client.ParseDSN(fmt.Sprintf("%s:%s@tcp(%s)/?timeout=5s", user, pw, m.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	rc := replication.NewConfig(cc)
	rc.Logger = rdrQuietLogger()
	src, err := cdc.Open(t.Context(), cdc.Config{Replication: rc, StateDir: t.TempDir(), Logger: rdrQuietLogger(), RequireFullRowImage: true})
	if err != nil {
		t.Fatal(err)
	}
	return cdc.NewRecords(src, cfg), cc
}

// rdrInserts reads n insert records of table name from recs.
func rdrInserts(t *testing.T, recs *cdc.Records, name string, n int) []*core.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var out []*core.Record
	for len(out) < n {
		rec, err := recs.Next(ctx)
		if err != nil {
			t.Fatalf("after %d of %d rows: %v", len(out), n, err)
		}
		if rec.Op == core.OpInsert && rec.Table.Name == name {
			out = append(out, rec)
		}
	}
	return out
}

// rdrCompare requires every row of the SELECT path to equal the binlog
// path's row of the same id (column 0), value by value.
func rdrCompare(t *testing.T, tbl *core.Table, binlogRows []*core.Record, selected [][]core.Value) {
	t.Helper()
	byID := map[int64][]core.Value{}
	for _, rec := range binlogRows {
		if !rec.Table.SameDefinition(tbl) {
			t.Fatalf("the binlog path's table %s differs from the catalog's:\n%+v\n%+v", tbl.QualifiedName(), rec.Table, tbl)
		}
		byID[rec.After[0].Int()] = rec.After
	}
	if len(selected) != len(binlogRows) {
		t.Fatalf("%d rows selected, %d from the binlog", len(selected), len(binlogRows))
	}
	checked := 0
	for _, row := range selected {
		id := row[0].Int()
		want, ok := byID[id]
		if !ok {
			t.Fatalf("row id %d selected, not in the binlog", id)
		}
		for i, col := range tbl.Columns {
			if !row[i].Equal(want[i]) {
				t.Errorf("id %d column %s (%s): SELECT %s, binlog %s", id, col.Name, col.Type.Name, rdrShow(row[i]), rdrShow(want[i]))
			}
			checked++
		}
	}
	t.Logf("%d rows, %d values equal", len(selected), checked)
}

const rdrAllTypes = `CREATE TABLE ty.t (
	id INT PRIMARY KEY,
	ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED, mi MEDIUMINT, mu MEDIUMINT UNSIGNED,
	i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, iz INT(6) ZEROFILL, bz BIGINT(25) UNSIGNED ZEROFILL, bo BOOL,
	de DECIMAL(12,3), d0 DECIMAL(5,0), dz DECIMAL(8,2) ZEROFILL, dbig DECIMAL(65,30), dfrac DECIMAL(38,38),
	fl FLOAT, fz FLOAT(7,3) ZEROFILL, db DOUBLE, dd DOUBLE(10,2),
	b1 BIT(1), b10 BIT(10), b64 BIT(64),
	yr YEAR,
	d DATE, dt0 DATETIME, dt1 DATETIME(1), dt3 DATETIME(3), dt6 DATETIME(6),
	ts0 TIMESTAMP NULL DEFAULT NULL, ts3 TIMESTAMP(3) NULL DEFAULT NULL, ts6 TIMESTAMP(6) NULL DEFAULT NULL,
	tm0 TIME, tm2 TIME(2), tm6 TIME(6),
	c CHAR(5) CHARACTER SET utf8mb4, vc VARCHAR(50) CHARACTER SET utf8mb4, tx TEXT CHARACTER SET utf8mb4,
	mtx MEDIUMTEXT CHARACTER SET utf8mb4, c3 VARCHAR(20) CHARACTER SET utf8mb3,
	cl CHAR(5) CHARACTER SET latin1, vl VARCHAR(50) CHARACTER SET latin1, tl TEXT CHARACTER SET latin1,
	vcp VARCHAR(20) CHARACTER SET cp1251, vsj VARCHAR(20) CHARACTER SET sjis, vgb VARCHAR(20) CHARACTER SET gbk,
	vu2 VARCHAR(20) CHARACTER SET ucs2, vu16 VARCHAR(20) CHARACTER SET utf16, vu32 VARCHAR(20) CHARACTER SET utf32,
	vu16le VARCHAR(20) CHARACTER SET utf16le, vb5 VARCHAR(20) CHARACTER SET big5, vkr VARCHAR(20) CHARACTER SET euckr,
	vuj VARCHAR(20) CHARACTER SET ujis, vko VARCHAR(20) CHARACTER SET koi8r, vgr VARCHAR(20) CHARACTER SET greek,
	vl2 VARCHAR(20) CHARACTER SET latin2, vde VARCHAR(20) CHARACTER SET dec8, vas VARCHAR(20) CHARACTER SET ascii,
	cu2 CHAR(4) CHARACTER SET ucs2,
	bn BINARY(4), vb VARBINARY(20), tb TINYBLOB, bl BLOB, lb LONGBLOB,
	en ENUM('a','bé','c'), st SET('x','y','z'), en2 ENUM('gross','klein') CHARACTER SET latin1,
	js JSON, g GEOMETRY, pt POINT, pg POLYGON,
	u UUID, i6 INET6, i4 INET4,
	vz VARCHAR(100) COMPRESSED, bz2 BLOB COMPRESSED, tz TEXT COMPRESSED CHARACTER SET latin1,
	gv INT AS (i + 1) VIRTUAL, gs VARCHAR(60) AS (CONCAT(vc, '!')) STORED, inv INT INVISIBLE
)`

// rdrAllTypesRows are column lists and values: each map is one row.
var rdrAllTypesRows = []map[string]string{
	{ // maxima
		"ti": "127", "tu": "255", "si": "32767", "su": "65535", "mi": "8388607", "mu": "16777215",
		"i": "2147483647", "iu": "4294967295", "bi": "9223372036854775807", "bu": "18446744073709551615",
		"iz": "42", "bz": "18446744073709551615", "bo": "1",
		"de": "999999999.999", "d0": "99999", "dz": "12.5",
		"dbig": "'99999999999999999999999999999999999.999999999999999999999999999999'", "dfrac": "'0.99999999999999999999999999999999999999'",
		"fl": "3.14159274", "fz": "1.2345", "db": "1.7976931348623157e308", "dd": "3.14159",
		"b1": "b'1'", "b10": "b'1111111111'", "b64": "0xFFFFFFFFFFFFFFFF", "yr": "2155",
		"d": "'9999-12-31'", "dt0": "'9999-12-31 23:59:59'", "dt1": "'9999-12-31 23:59:59.9'", "dt3": "'9999-12-31 23:59:59.999'",
		"dt6": "'9999-12-31 23:59:59.999999'",
		"ts0": "'2038-01-19 03:14:07'", "ts3": "'2038-01-19 03:14:07.999'", "ts6": "'2038-01-19 03:14:07.999999'",
		"tm0": "'838:59:59'", "tm2": "'838:59:59.99'", "tm6": "'838:59:59.999999'",
		"c": "'héllo'", "vc": "'日本語 🎉'", "tx": "'a\\0b'", "mtx": "REPEAT('ab€🎉', 3000)", "c3": "'ñ€'",
		"cl": "'café'", "vl": "'Größe €…ŠŽ'", "tl": "REPEAT('ñ', 5000)",
		"vcp": "'Привет'", "vsj": "'日本語ｶﾅ'", "vgb": "'中文字'", "vu2": "'ĀŁ€'", "vu16": "'😀a'", "vu32": "'😀b'",
		"vu16le": "'x😀'", "vb5": "'中文'", "vkr": "'한국어'", "vuj": "'日本'", "vko": "'Привет'", "vgr": "'Ελληνικά'",
		"vl2": "'Łódź'", "vde": "'abc'", "vas": "'plain'", "cu2": "'ab'",
		"bn": "x'01020304'", "vb": "x'00ff00'", "tb": "x'deadbeef'", "bl": "REPEAT(x'00ff7f80', 2000)", "lb": "REPEAT(x'0102030405', 30000)",
		"en": "'bé'", "st": "'z,x'", "en2": "'gross'",
		"js": `'{"a": [1, 2], "b": "é"}'`, "g": "ST_GeomFromText('POINT(1 2)', 4326)", "pt": "POINT(-1.5, 2.25)",
		"pg": "ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0),(5 5,7 5,7 7,5 7,5 5))')",
		"u":  "'6ccd780c-baba-1026-9564-5b8c656024db'", "i6": "'2001:db8::ff00:42:8329'", "i4": "'255.0.0.1'", "inv": "7",
		"vz": "'compressed ✓'", "bz2": "REPEAT(x'00ff', 5000)", "tz": "REPEAT('Größe ', 1000)",
	},
	{ // minima, empty values
		"ti": "-128", "tu": "0", "si": "-32768", "su": "0", "mi": "-8388608", "mu": "0",
		"i": "-2147483648", "iu": "0", "bi": "-9223372036854775808", "bu": "0", "iz": "0", "bz": "0", "bo": "0",
		"de": "-999999999.999", "d0": "-99999", "dz": "0", "dbig": "'-99999999999999999999999999999999999.999999999999999999999999999999'",
		"dfrac": "'-0.00000000000000000000000000000000000001'",
		"fl":    "-3.4028234663852886e38", "fz": "0", "db": "-2.2250738585072014e-308", "dd": "-0.01",
		"b1": "b'0'", "b10": "b'0'", "b64": "0", "yr": "1901",
		"d": "'1000-01-01'", "dt0": "'1000-01-01 00:00:00'", "dt1": "'1000-01-01 00:00:00.0'", "dt3": "'1000-01-01 00:00:00'",
		"dt6": "'1000-01-01 00:00:00.000001'",
		"ts0": "'1970-01-01 00:00:01'", "ts3": "'1970-01-01 00:00:01.001'", "ts6": "'1970-01-01 00:00:01.000001'",
		"tm0": "'-838:59:59'", "tm2": "'-838:59:59.99'", "tm6": "'-838:59:59.999999'",
		"c": "''", "vc": "''", "tx": "''", "mtx": "''", "c3": "''", "cl": "''", "vl": "''", "tl": "''",
		"vcp": "''", "vsj": "''", "vgb": "''", "vu2": "''", "vu16": "''", "vu32": "''", "vu16le": "''", "cu2": "''",
		"bn": "x''", "vb": "x''", "tb": "x''", "bl": "x''", "lb": "x''",
		"en": "'no such label'", "st": "''", "en2": "'klein'",
		"js": "'[]'", "g": "ST_GeomFromText('LINESTRING(0 0,1 1,2 3)')", "pt": "POINT(0, 0)",
		"u": "'00000000-0000-0000-0000-000000000000'", "i6": "'::'", "i4": "'0.0.0.0'",
	},
	{ // zero and invalid dates, odd times and floats
		"yr": "0", "d": "'0000-00-00'", "dt0": "'0000-00-00 00:00:00'", "dt1": "'2024-02-30 12:00:00.5'",
		"dt3": "'2024-00-10 01:02:03.004'", "dt6": "'2023-02-29 23:59:59.000001'",
		"ts0": "'0000-00-00 00:00:00'", "ts3": "'2024-02-29 13:14:15.1'", "ts6": "'0000-00-00 00:00:00'",
		"tm0": "'00:00:00'", "tm2": "'-00:00:00.50'", "tm6": "'-00:00:00.000001'",
		"fl": "0.1", "fz": "-0e0", "db": "0.1", "dd": "-0e0",
		"c": "'ab  '", "vc": "'ab  '", "cl": "'a '", "vl": "' '", "cu2": "'a  '",
		"bn": "x'6100'", "vb": "x'610000'", "de": "-0.5", "d0": "0", "dbig": "'0.000000000000000000000000000001'",
		"dz": "'000001.50'", "iz": "123456", "tx": "'\\t\\n\\r\\\\ \\'\"'", "js": `'"\\u00e9 \\ud83c\\udf89"'`,
		"st": "'x,y,z'", "en": "'c'", "g": "ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))')",
		"u": "'6ccd780c-baba-4026-9564-5b8c656024db'", "i6": "'::ffff:1.2.3.4'", "i4": "'1.2.3.4'",
	},
	{}, // NULLs everywhere
	{ // float edge cases
		"fl": "1.401298464324817e-45", "fz": "9999.999", "db": "4.9406564584124654e-324", "dd": "99999999.99",
	},
	{
		"fl": "1.1754943508222875e-38", "db": "2.2250738585072014e-308",
	},
	{
		"fl": "123456789", "db": "1.2345678901234567e-300", "dz": "999999.99",
	},
	{
		"fl": "-0e0", "db": "-0e0",
	},
	{
		"fl": "16777217", "db": "9007199254740993",
	},
	{
		"fl": "0.3", "db": "0.30000000000000004",
	},
}

// The SELECT path decodes every column type into exactly the values the
// binlog path makes of the same row: each row inserted is read back from
// the binlog (cdc.Open, cdc.NewRecords) and with a TableReader of the
// definition the cdc layer reads (cdc.ReadCatalog), and every value must
// be Equal.
func TestDecodeMatchesBinlog(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	db := m.DB()
	rdrRun(t, db, "CREATE DATABASE ty", rdrAllTypes,
		"CREATE TABLE ty.f (id INT PRIMARY KEY, f FLOAT, d DOUBLE, fu FLOAT UNSIGNED, fm FLOAT(12,4), dm DOUBLE(20,6))")
	recs := rdrBinlogRows(t, m)

	// Writes are not strict, so that the ENUM error value and invalid
	// dates can be inserted, and in UTC, so that the TIMESTAMP
	// literals are what they say.
	w, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rdrRun(t, w, "SET NAMES utf8mb4", "SET time_zone = '+00:00'", "SET sql_mode = 'ALLOW_INVALID_DATES'")
	for i, row := range rdrAllTypesRows {
		cols, vals := []string{"id"}, []string{strconv.Itoa(i + 1)}
		for c, v := range row {
			cols, vals = append(cols, c), append(vals, v)
		}
		rdrRun(t, w, "INSERT INTO ty.t ("+strings.Join(cols, ", ")+") VALUES ("+strings.Join(vals, ", ")+")")
	}
	// Floats from random bit patterns: every FLOAT and DOUBLE inserted
	// as the exact decimal text of its value.
	rnd := rand.New(rand.NewPCG(1, 2))
	const floats = 3000
	var ins strings.Builder
	for i := range floats {
		if i%500 == 0 {
			if ins.Len() > 0 {
				rdrRun(t, w, ins.String())
			}
			ins.Reset()
			ins.WriteString("INSERT INTO ty.f VALUES ")
		} else {
			ins.WriteString(", ")
		}
		var f32 float32
		for {
			f32 = math.Float32frombits(rnd.Uint32())
			if !math.IsNaN(float64(f32)) && !math.IsInf(float64(f32), 0) {
				break
			}
		}
		var f64 float64
		for {
			f64 = math.Float64frombits(rnd.Uint64())
			if !math.IsNaN(f64) && !math.IsInf(f64, 0) {
				break
			}
		}
		if i%3 == 0 { // everyday magnitudes too
			f32 = float32(rnd.NormFloat64() * 1000)
			f64 = rnd.NormFloat64() * 1e6
		}
		fu := math.Abs(float64(f32))
		fmt.Fprintf(&ins, "(%d, %s, %s, %s, %s, %s)", i+1,
			strconv.FormatFloat(float64(f32), 'g', -1, 64), strconv.FormatFloat(f64, 'g', -1, 64),
			strconv.FormatFloat(fu, 'g', -1, 64),
			strconv.FormatFloat(math.Mod(float64(f32), 1e7), 'g', -1, 64), strconv.FormatFloat(math.Mod(f64, 1e13), 'g', -1, 64))
	}
	rdrRun(t, w, ins.String())

	binlogT := rdrInserts(t, recs, "t", len(rdrAllTypesRows))
	binlogF := rdrInserts(t, recs, "f", floats)

	// Server settings that would change what a SELECT prints, which
	// SessionSetup must override.
	rdrRun(t, db, "SET GLOBAL sql_mode = 'PAD_CHAR_TO_FULL_LENGTH,ANSI_QUOTES,NO_BACKSLASH_ESCAPES,STRICT_ALL_TABLES,NO_ZERO_DATE'",
		"SET GLOBAL time_zone = '+05:30'")
	fresh, err := sql.Open("mysql", m.DSN()) // connections made after the SET GLOBAL
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	conn := rdrConn(t, fresh)
	for _, c := range []struct {
		name   string
		binlog []*core.Record
	}{{"t", binlogT}, {"f", binlogF}} {
		t.Run(c.name, func(t *testing.T) {
			tbl := rdrTable(t, db, "ty", c.name)
			r, err := NewTableReader(tbl)
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := rdrRead(t, conn, r, r.ChunkQuery(nil, nil, 0))
			rdrCompare(t, tbl, c.binlog, rows)
			if c.name == "t" {
				rdrCheckAllTypesKinds(t, tbl, rows)
				rdrCheckFloatText(t, conn)
			}
		})
	}
}

// rdrCheckAllTypesKinds checks some values of ty.t against what they
// must be, so that the comparison is not of two paths wrong alike.
func rdrCheckAllTypesKinds(t *testing.T, tbl *core.Table, rows [][]core.Value) {
	t.Helper()
	want := map[[2]string]string{
		{"1", "bu"}:   "uint:18446744073709551615",
		{"1", "bz"}:   "uint:18446744073709551615",
		{"1", "iz"}:   "uint:42",
		{"1", "fl"}:   "float32:3.1415927",
		{"1", "fz"}:   "float32:1.234",
		{"1", "b64"}:  "bit:b'1111111111111111111111111111111111111111111111111111111111111111'/64",
		{"1", "c"}:    "string:héllo",
		{"1", "vsj"}:  "string:日本語ｶﾅ",
		{"1", "vu16"}: "string:😀a",
		{"1", "vl"}:   "string:Größe €…ŠŽ",
		{"1", "en"}:   "enum:bé",
		{"1", "en2"}:  "enum:gross",
		{"1", "st"}:   "set:x,z",
		{"1", "js"}:   `json:{"a": [1, 2], "b": "é"}`,
		{"1", "g"}:    "geometry:0xe61000000101000000000000000000f03f0000000000000040",
		{"1", "gs"}:   "string:日本語 🎉!",
		{"1", "inv"}:  "int:7",
		{"1", "u"}:    "bytes:0x6ccd780cbaba102695645b8c656024db",
		{"1", "tm6"}:  "time:838:59:59.999999",
		{"1", "ts6"}:  "timestamp:2038-01-19 03:14:07.999999",
		{"2", "en"}:   "enum:",
		{"2", "bn"}:   "bytes:0x00000000",
		{"2", "dz"}:   "decimal:0.00",
		{"2", "tm2"}:  "time:-838:59:59.990000",
		{"3", "d"}:    "date:0000-00-00",
		{"3", "dt1"}:  "datetime:2024-02-30 12:00:00.500000",
		{"3", "ts6"}:  "timestamp:0000-00-00 00:00:00",
		{"3", "yr"}:   "year:0",
		{"3", "c"}:    "string:ab",
		{"3", "vc"}:   "string:ab  ",
		{"3", "bn"}:   "bytes:0x61000000",
		{"3", "dz"}:   "decimal:1.50",
		{"3", "tm2"}:  "time:-00:00:00.500000",
		{"3", "fl"}:   "float32:0.1",
		{"3", "db"}:   "float64:0.1",
		{"4", "vc"}:   "null:NULL",
		{"5", "fl"}:   "float32:1e-45",
		{"5", "db"}:   "float64:5e-324",
		// The server stores -0 as 0 (the binlog says so too).
		{"8", "fl"}: "float32:0",
		{"8", "db"}: "float64:0",
	}
	for k, w := range want {
		id, _ := strconv.Atoi(k[0])
		i := tbl.ColumnIndex(k[1])
		if i < 0 || id > len(rows) {
			t.Fatalf("no column %s or row %d", k[1], id)
		}
		if got := rdrShow(rows[id-1][i]); got != w {
			t.Errorf("id %d column %s: %s, want %s", id, k[1], got, w)
		}
	}
}

// rdrCheckFloatText shows why SelectList reads FLOAT as a DOUBLE
// expression: the column itself prints 6 digits, which is not the value.
func rdrCheckFloatText(t *testing.T, conn *sql.Conn) {
	t.Helper()
	var plain, expr string
	if err := conn.QueryRowContext(t.Context(), "SELECT fl, fl + 0e0 FROM ty.t WHERE id = 1").Scan(&plain, &expr); err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.ParseFloat(plain, 64)
	e, _ := strconv.ParseFloat(expr, 64)
	if want := float32(3.14159274); float32(p) == want || float32(e) != want || float64(float32(e)) != e {
		t.Errorf("FLOAT 3.14159274 prints as %q, as a DOUBLE expression %q: the expression should be exact and the column lossy", plain, expr)
	}
}
