package e2e

import (
	"fmt"
	"strings"
)

// kind says how a column's value is rendered by `syncer binlog dump` and
// how the expected value is read back from the server.
type kind int

const (
	kInt       kind = iota // exact JSON integer
	kFloat                 // FLOAT: number, compared as float32
	kDouble                // DOUBLE: number, compared as float64
	kDecimal               // string with the column's scale
	kBit                   // number
	kYear                  // number
	kTemporal              // DATE, TIME, DATETIME: string as the server prints it
	kTimestamp             // TIMESTAMP: "YYYY-MM-DDTHH:MM:SS[.f]Z" in UTC
	kText                  // string, converted to UTF-8 (NO_LOG: see noLogExpectation)
	kBinary                // base64
	kEnum                  // label (FULL metadata) or index (MINIMAL)
	kSet                   // array of labels (FULL) or bitmask (MINIMAL)
	kGeometry              // {"srid":N,"wkb":"hex"}
)

func (k kind) String() string {
	return [...]string{"int", "float", "double", "decimal", "bit", "year", "temporal", "timestamp",
		"text", "binary", "enum", "set", "geometry"}[k]
}

// column is one column of a test table.
type column struct {
	name string
	ddl  string // type, e.g. "TINYINT UNSIGNED"
	kind kind
}

// exprs returns the SELECT expressions giving the expected rendering of c,
// as text, from the server itself. The snapshot connection runs with
// time_zone '+00:00' and a utf8mb4 connection charset.
func (c column) exprs() []string {
	n := "`" + c.name + "`"
	switch c.kind {
	case kInt, kDouble, kDecimal, kTemporal, kTimestamp:
		return []string{"CAST(" + n + " AS CHAR)"}
	case kFloat:
		// A FLOAT widened to DOUBLE is exact, and the server prints
		// doubles with enough digits to round-trip.
		return []string{"CAST(CAST(" + n + " AS DOUBLE) AS CHAR)"}
	case kBit:
		return []string{"CAST(CAST(" + n + " AS UNSIGNED) AS CHAR)"}
	case kYear:
		return []string{"CAST(" + n + "+0 AS CHAR)"}
	case kText:
		// HEX: the raw bytes, which the NO_LOG pass expects (no charset).
		return []string{"CONVERT(" + n + " USING utf8mb4)", "HEX(" + n + ")"}
	case kBinary:
		// HEX, converted to base64 by the test: REPLACE(TO_BASE64(x),
		// CHAR(10), '') is quadratic on a 1 MiB value.
		return []string{"HEX(" + n + ")"}
	case kEnum:
		return []string{"CONVERT(" + n + " USING utf8mb4)", "CAST(" + n + "+0 AS CHAR)"}
	case kSet:
		// s+0 is signed for a 64-member SET with its last member set.
		return []string{"CONVERT(" + n + " USING utf8mb4)", "CAST(CAST(" + n + "+0 AS UNSIGNED) AS CHAR)"}
	case kGeometry:
		return []string{"CAST(ST_SRID(" + n + ") AS CHAR)", "HEX(ST_AsWKB(" + n + "))"}
	}
	panic(fmt.Sprintf("column %s: unknown kind %d", c.name, c.kind))
}

// table is a test table: an INT primary key "id" followed by cols.
type table struct {
	name string
	cols []column
}

func (t table) createSQL() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE `%s` (`id` INT NOT NULL PRIMARY KEY", t.name)
	for _, c := range t.cols {
		fmt.Fprintf(&b, ", `%s` %s", c.name, c.ddl)
	}
	b.WriteString(") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4")
	return b.String()
}

// step is one statement of a workload. Steps with a table are DML on that
// table: the table is snapshotted before and after, and the difference is
// what the binary log must contain. Steps without one (SET ...) only
// change the session.
type step struct {
	table string
	sql   string
}

func nines(n int) string { return strings.Repeat("9", n) }

// labels returns n quoted labels prefix000, prefix001, ...
func labels(prefix string, n int, width int) string {
	l := make([]string, n)
	for i := range l {
		l[i] = fmt.Sprintf("'%s%0*d'", prefix, width, i)
	}
	return strings.Join(l, ",")
}

// allMembers is the SET value with every member of labels(prefix, n, width).
func allMembers(prefix string, n, width int) string {
	l := make([]string, n)
	for i := range l {
		l[i] = fmt.Sprintf("%s%0*d", prefix, width, i)
	}
	return "'" + strings.Join(l, ",") + "'"
}

func bits(n int) string { return "b'" + strings.Repeat("1", n) + "'" }

// tables returns the test tables: every column type MariaDB has.
func tables() []table {
	var bitCols []column
	for _, n := range []int{1, 2, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 48, 63, 64} {
		bitCols = append(bitCols, column{fmt.Sprintf("b%d", n), fmt.Sprintf("BIT(%d)", n), kBit})
	}
	temporal := []column{{"y", "YEAR", kYear}, {"da", "DATE", kTemporal}}
	for fsp := 0; fsp <= 6; fsp++ {
		temporal = append(temporal, column{fmt.Sprintf("t%d", fsp), fmt.Sprintf("TIME(%d)", fsp), kTemporal})
	}
	for fsp := 0; fsp <= 6; fsp++ {
		temporal = append(temporal, column{fmt.Sprintf("dt%d", fsp), fmt.Sprintf("DATETIME(%d)", fsp), kTemporal})
	}
	for fsp := 0; fsp <= 6; fsp++ {
		temporal = append(temporal, column{fmt.Sprintf("ts%d", fsp), fmt.Sprintf("TIMESTAMP(%d) NULL DEFAULT NULL", fsp), kTimestamp})
	}
	return []table{
		{"ints", []column{
			{"ti", "TINYINT", kInt}, {"tiu", "TINYINT UNSIGNED", kInt},
			{"si", "SMALLINT", kInt}, {"siu", "SMALLINT UNSIGNED", kInt},
			{"mi", "MEDIUMINT", kInt}, {"miu", "MEDIUMINT UNSIGNED", kInt},
			{"i", "INT", kInt}, {"iu", "INT UNSIGNED", kInt},
			{"bi", "BIGINT", kInt}, {"biu", "BIGINT UNSIGNED", kInt},
			{"bool", "BOOLEAN", kInt},
		}},
		{"floats", []column{
			{"f", "FLOAT", kFloat}, {"d", "DOUBLE", kDouble},
			{"f73", "FLOAT(7,3)", kFloat}, {"d103", "DOUBLE(10,3)", kDouble},
			{"fu", "FLOAT UNSIGNED", kFloat}, {"real_", "REAL", kDouble},
		}},
		{"decimals", []column{
			{"d1", "DECIMAL(1,0)", kDecimal}, {"d52", "DECIMAL(5,2)", kDecimal},
			{"d94", "DECIMAL(9,4)", kDecimal}, {"d100", "DECIMAL(10,0)", kDecimal},
			{"d1010", "DECIMAL(10,10)", kDecimal}, {"d189", "DECIMAL(18,9)", kDecimal},
			{"d199", "DECIMAL(19,9)", kDecimal}, {"d2010", "DECIMAL(20,10)", kDecimal},
			{"d3814", "DECIMAL(38,14)", kDecimal}, {"d650", "DECIMAL(65,0)", kDecimal},
			{"d6530", "DECIMAL(65,30)", kDecimal}, {"d3030", "DECIMAL(30,30)", kDecimal},
			{"du", "DECIMAL(12,2) UNSIGNED", kDecimal},
		}},
		{"bits", bitCols},
		{"temporal", temporal},
		{"strings", []column{
			{"u_char", "CHAR(10) CHARACTER SET utf8mb4", kText},
			{"u_char255", "CHAR(255) CHARACTER SET utf8mb4", kText},
			{"u_vc", "VARCHAR(100) CHARACTER SET utf8mb4", kText},
			{"u_vc300", "VARCHAR(300) CHARACTER SET utf8mb4", kText},
			{"u3_vc", "VARCHAR(50) CHARACTER SET utf8mb3", kText},
			{"u_tt", "TINYTEXT CHARACTER SET utf8mb4", kText},
			{"u_t", "TEXT CHARACTER SET utf8mb4", kText},
			{"u_mt", "MEDIUMTEXT CHARACTER SET utf8mb4", kText},
			{"u_lt", "LONGTEXT CHARACTER SET utf8mb4", kText},
			{"l1_c", "CHAR(10) CHARACTER SET latin1", kText},
			{"l1_vc", "VARCHAR(50) CHARACTER SET latin1", kText},
			{"l1_t", "TEXT CHARACTER SET latin1", kText},
			{"asc_vc", "VARCHAR(50) CHARACTER SET ascii", kText},
			{"cp_vc", "VARCHAR(50) CHARACTER SET cp1251", kText},
			{"koi_vc", "VARCHAR(50) CHARACTER SET koi8r", kText},
			{"gbk_c", "CHAR(10) CHARACTER SET gbk", kText},
			{"gbk_vc", "VARCHAR(50) CHARACTER SET gbk", kText},
			{"big5_vc", "VARCHAR(50) CHARACTER SET big5", kText},
			{"sjis_vc", "VARCHAR(50) CHARACTER SET sjis", kText},
			{"euckr_vc", "VARCHAR(50) CHARACTER SET euckr", kText},
			{"ujis_vc", "VARCHAR(50) CHARACTER SET ujis", kText},
			{"sjis_t", "TEXT CHARACTER SET sjis", kText},
		}},
		{"binaries", []column{
			{"bin1", "BINARY(1)", kBinary}, {"bin4", "BINARY(4)", kBinary},
			{"bin16", "BINARY(16)", kBinary}, {"bin255", "BINARY(255)", kBinary},
			{"vb", "VARBINARY(100)", kBinary}, {"vb300", "VARBINARY(300)", kBinary},
			{"tb", "TINYBLOB", kBinary}, {"b", "BLOB", kBinary},
			{"mb", "MEDIUMBLOB", kBinary}, {"lb", "LONGBLOB", kBinary},
			{"cbin", "CHAR(10) CHARACTER SET binary", kBinary},
			{"vcbin", "VARCHAR(20) CHARACTER SET binary", kBinary},
		}},
		{"enums_sets", []column{
			{"e", "ENUM('a','b','c')", kEnum},
			{"e_utf", "ENUM('ä','日本','😀') CHARACTER SET utf8mb4", kEnum},
			{"e_big", "ENUM(" + labels("v", 300, 3) + ")", kEnum},
			{"e_latin", "ENUM('é','ü') CHARACTER SET latin1", kEnum},
			{"s", "SET('x','y','z')", kSet},
			{"s64", "SET(" + labels("m", 64, 2) + ")", kSet},
			{"s_utf", "SET('α','β','γ') CHARACTER SET utf8mb4", kSet},
			{"s9", "SET(" + labels("n", 9, 1) + ")", kSet},
			{"s_latin", "SET('à','ç','x') CHARACTER SET latin1", kSet},
			{"e_cp1251", "ENUM('да','нет') CHARACTER SET cp1251", kEnum},
		}},
		{"strings_more", []column{
			{"utf16_vc", "VARCHAR(20) CHARACTER SET utf16", kText},
			{"utf16le_vc", "VARCHAR(20) CHARACTER SET utf16le", kText},
			{"utf32_vc", "VARCHAR(20) CHARACTER SET utf32", kText},
			{"ucs2_vc", "VARCHAR(20) CHARACTER SET ucs2", kText},
			{"utf16_c", "CHAR(5) CHARACTER SET utf16", kText},
			{"latin2_vc", "VARCHAR(20) CHARACTER SET latin2", kText},
			{"cp1250_vc", "VARCHAR(20) CHARACTER SET cp1250", kText},
			{"greek_vc", "VARCHAR(20) CHARACTER SET greek", kText},
			{"hebrew_vc", "VARCHAR(20) CHARACTER SET hebrew", kText},
			{"cp932_vc", "VARCHAR(20) CHARACTER SET cp932", kText},
			{"eucjpms_vc", "VARCHAR(20) CHARACTER SET eucjpms", kText},
			{"gb2312_vc", "VARCHAR(20) CHARACTER SET gb2312", kText},
			{"tis620_vc", "VARCHAR(20) CHARACTER SET tis620", kText},
			{"cp866_vc", "VARCHAR(20) CHARACTER SET cp866", kText},
			{"koi8u_vc", "VARCHAR(20) CHARACTER SET koi8u", kText},
		}},
		{"wide", wideCols()},
		{"misc", []column{
			{"v", "INT", kInt},
			{"inv", "INT INVISIBLE DEFAULT 7", kInt},
			{"gen_stored", "BIGINT AS (v * 3) PERSISTENT", kInt},
			{"gen_virtual", "VARCHAR(20) AS (CONCAT('v=', v)) VIRTUAL", kText},
			{"dflt", "VARCHAR(10) NOT NULL DEFAULT 'd'", kText},
		}},
		{"many", []column{{"v", "INT", kInt}, {"s", "VARCHAR(20)", kText}}},
		{"json_geo", []column{
			{"j", "JSON", kText},
			{"g", "GEOMETRY", kGeometry},
			{"p", "POINT", kGeometry},
			{"ls", "LINESTRING", kGeometry},
			{"poly", "POLYGON", kGeometry},
			{"mp", "MULTIPOINT", kGeometry},
			{"gc", "GEOMETRYCOLLECTION", kGeometry},
			{"g_srid", "GEOMETRY REF_SYSTEM_ID=4326", kGeometry},
		}},
	}
}

// wideCols returns 300 columns, so that the column count, the null bitmap
// and the metadata need more than one byte of length.
func wideCols() []column {
	cols := make([]column, 300)
	for i := range cols {
		switch i % 3 {
		case 0:
			cols[i] = column{fmt.Sprintf("c%03d", i), "SMALLINT", kInt}
		case 1:
			cols[i] = column{fmt.Sprintf("c%03d", i), "VARCHAR(3)", kText}
		default:
			cols[i] = column{fmt.Sprintf("c%03d", i), "DECIMAL(4,1)", kDecimal}
		}
	}
	return cols
}

// wideRow returns "(id, v0, v1, ...)" for the wide table; every nullEvery-th
// value is NULL (0: none).
func wideRow(id, nullEvery int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "(%d", id)
	for i := 0; i < 300; i++ {
		switch {
		case nullEvery > 0 && i%nullEvery == 0:
			b.WriteString(", NULL")
		case i%3 == 0:
			fmt.Fprintf(&b, ", %d", i*id-150)
		case i%3 == 1:
			fmt.Fprintf(&b, ", '%d'", i%1000)
		default:
			fmt.Fprintf(&b, ", %d.%d", i%1000-500, i%10)
		}
	}
	b.WriteString(")")
	return b.String()
}

// nullRow returns "(id, NULL, NULL, ...)" for t.
func nullRow(t table, id int) string {
	return fmt.Sprintf("(%d%s)", id, strings.Repeat(", NULL", len(t.cols)))
}

// workload returns the statements run against the tables, in order.
func workload() []step {
	tbl := map[string]table{}
	for _, t := range tables() {
		tbl[t.name] = t
	}
	var w []step
	add := func(table string, sqls ...string) {
		for _, s := range sqls {
			w = append(w, step{table, s})
		}
	}
	session := func(sqls ...string) { add("", sqls...) }
	session("SET time_zone = '+00:00'", "SET sql_mode = DEFAULT")

	// Integers: min, max, zero, ±1, NULL; high bits of unsigned columns.
	add("ints",
		"INSERT INTO ints VALUES (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0, 0)",
		"INSERT INTO ints VALUES (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615, 1)",
		"INSERT INTO ints VALUES (3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), (4, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1), "+nullRow(tbl["ints"], 5),
		"UPDATE ints SET tiu = 128, siu = 32768, miu = 8388608, iu = 2147483648, biu = 9223372036854775808 WHERE id = 3",
		"UPDATE ints SET ti = -2, si = 12345, mi = -1234567, i = NULL, bi = 1 WHERE id IN (2, 4)",
		"UPDATE ints SET bi = 42, biu = 18446744073709551614 WHERE id = 5",
		"UPDATE ints SET ti = NULL, tiu = NULL, si = NULL, siu = NULL, mi = NULL, miu = NULL, i = NULL, iu = NULL, bi = NULL, biu = NULL, bool = NULL WHERE id = 1",
		"DELETE FROM ints WHERE id = 4",
		"DELETE FROM ints",
	)

	// Floating point: extremes, denormals, values that are not exact.
	add("floats",
		"INSERT INTO floats VALUES (1, 3.402823466e38, 1.7976931348623157e308, 9999.999, 9999999.999, 3.402823466e38, 1e308)",
		"INSERT INTO floats VALUES (2, -3.402823466e38, -1.7976931348623157e308, -9999.999, -9999999.999, 0, -1e-308)",
		"INSERT INTO floats VALUES (3, 1.17549435e-38, 2.2250738585072014e-308, 0.001, 0.001, 1.17549435e-38, 2.2250738585072014e-308), "+
			"(4, 1.4e-45, 4.9e-324, 0, 0, 1.4e-45, 4.9e-324), "+
			"(5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.30000000000000004), "+
			"(6, 16777217, 9007199254740993, -0.5, 123.456, 16777216, 1.5), "+
			"(7, 3.14159265358979, 3.141592653589793, 3.142, -3.142, 2.718281828, 2.718281828459045), "+
			"(8, 0, 0, 0, 0, 0, 0), "+
			"(9, 1e-10, 1e300, 1.5, 1e6, 1e30, -1e-300), "+nullRow(tbl["floats"], 10),
		"UPDATE floats SET f = f * 2, d = d / 3 WHERE id IN (5, 7)",
		"UPDATE floats SET f = NULL, d = NULL WHERE id = 9",
		"UPDATE floats SET f = 123.456, d = -0.1, f73 = 1.001, d103 = 2.002, fu = 7, real_ = 8 WHERE id = 10",
		"DELETE FROM floats WHERE id = 3",
		"DELETE FROM floats",
	)

	// DECIMAL: every width and scale, max and min, zero, tiny fractions.
	add("decimals",
		fmt.Sprintf("INSERT INTO decimals VALUES (1, 9, 999.99, 99999.9999, %s, 0.%s, %s.%s, %s.%s, %s.%s, %s.%s, %s, %s.%s, 0.%s, %s.99)",
			nines(10), nines(10), nines(9), nines(9), nines(10), nines(9), nines(10), nines(10), nines(24), nines(14),
			nines(65), nines(35), nines(30), nines(30), nines(10)),
		fmt.Sprintf("INSERT INTO decimals VALUES (2, -9, -999.99, -99999.9999, -%s, -0.%s, -%s.%s, -%s.%s, -%s.%s, -%s.%s, -%s, -%s.%s, -0.%s, 0)",
			nines(10), nines(10), nines(9), nines(9), nines(10), nines(9), nines(10), nines(10), nines(24), nines(14),
			nines(65), nines(35), nines(30), nines(30)),
		"INSERT INTO decimals VALUES (3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), "+
			"(4, -1, -0.01, 1.0001, -1, -0.0000000001, -0.000000001, 1234567890.123456789, -1.5, "+
			"12345678901234567890.12345678901234, -1, -0.000000000000000000000000000001, 0.5, 0.01), "+
			"(5, 5, 12.5, -0.5, 100000, 0.5, 123.000000001, -100000000.000000001, 0.0000000001, "+
			"-0.00000000000001, 10000000000000000000000000000000000000000000000000000000000000000, "+
			"12345678901234567890123456789012345.123456789012345678901234567890, 0.000000000000000000000000000001, 1), "+
			nullRow(tbl["decimals"], 6),
		"UPDATE decimals SET d52 = -12.5, d6530 = -d6530, d650 = d650 - 1 WHERE id IN (1, 4)",
		"UPDATE decimals SET d1 = 7, d3814 = 0.5 WHERE id = 6",
		"DELETE FROM decimals WHERE id = 2",
		"DELETE FROM decimals",
	)

	// BIT(1..64).
	var zeros, maxes, pattern []string
	for _, c := range tbl["bits"].cols {
		var n int
		fmt.Sscanf(c.name, "b%d", &n)
		zeros = append(zeros, "b'0'")
		maxes = append(maxes, bits(n))
		// Highest and lowest bit set.
		if n == 1 {
			pattern = append(pattern, "b'1'")
		} else {
			pattern = append(pattern, "b'1"+strings.Repeat("0", n-2)+"1'")
		}
	}
	add("bits",
		"INSERT INTO bits VALUES (1, "+strings.Join(zeros, ", ")+")",
		"INSERT INTO bits VALUES (2, "+strings.Join(maxes, ", ")+")",
		"INSERT INTO bits VALUES (3, "+strings.Join(pattern, ", ")+"), "+nullRow(tbl["bits"], 4),
		"UPDATE bits SET b1 = b'0', b8 = 0xA5, b64 = 0x8000000000000000, b63 = 0x4000000000000000 WHERE id = 2",
		"UPDATE bits SET b9 = 256, b33 = 4294967296, b48 = 0x123456789ABC WHERE id = 4",
		"DELETE FROM bits WHERE id = 1",
		"DELETE FROM bits",
	)

	// Temporal types: fsp 0-6, min/max, negative TIME, zero and invalid
	// dates, TIMESTAMPs written from other time zones.
	tcols := func(vals map[string]string) string {
		var b strings.Builder
		for _, c := range tbl["temporal"].cols {
			v, ok := vals[c.name]
			if !ok {
				v, ok = vals[strings.TrimRight(c.name, "0123456789")]
			}
			if !ok {
				v = "NULL"
			}
			b.WriteString(", " + v)
		}
		return b.String()
	}
	add("temporal",
		"INSERT INTO temporal VALUES (1"+tcols(map[string]string{
			"y": "2155", "da": "'9999-12-31'", "t": "'838:59:59'", "dt": "'9999-12-31 23:59:59'",
			"dt6": "'9999-12-31 23:59:59.999999'", "dt3": "'9999-12-31 23:59:59.999'",
			"ts": "'2038-01-19 03:14:07'", "ts6": "'2038-01-19 03:14:07.999999'",
		})+")",
		"INSERT INTO temporal VALUES (2"+tcols(map[string]string{
			"y": "1901", "da": "'1000-01-01'", "t": "'-838:59:59'", "dt": "'1000-01-01 00:00:00'",
			"ts": "'1970-01-01 00:00:01'",
		})+")",
		"INSERT INTO temporal VALUES (3"+tcols(map[string]string{
			"y": "2024", "da": "'2024-02-29'", "t0": "'00:00:00'", "t1": "'-00:00:00.1'", "t2": "'12:34:56.78'",
			"t3": "'-01:02:03.004'", "t4": "'100:00:00.0001'", "t5": "'-00:00:00.00001'", "t6": "'23:59:59.999999'",
			"dt0": "'2024-02-29 12:34:56'", "dt1": "'2024-02-29 12:34:56.7'", "dt2": "'2024-02-29 12:34:56.07'",
			"dt3": "'2024-02-29 12:34:56.123'", "dt4": "'2024-02-29 12:34:56.0001'", "dt5": "'2024-02-29 12:34:56.12345'",
			"dt6": "'2024-02-29 12:34:56.000001'",
			"ts0": "'2024-02-29 12:34:56'", "ts1": "'2024-02-29 12:34:56.5'", "ts2": "'2024-02-29 12:34:56.05'",
			"ts3": "'2024-02-29 12:34:56.999'", "ts4": "'2024-02-29 12:34:56.1234'", "ts5": "'2024-02-29 12:34:56.00001'",
			"ts6": "'2024-02-29 12:34:56.654321'",
		})+"), "+nullRow(tbl["temporal"], 4),
	)
	session("SET time_zone = '+05:30'")
	add("temporal",
		"INSERT INTO temporal VALUES (5"+tcols(map[string]string{
			"y": "70", "da": "'2000-01-01'", "t": "'-12:00:00.5'", "dt": "'2000-01-01 05:30:00.5'",
			"ts": "'2000-01-01 05:30:00.5'",
		})+")",
	)
	session("SET time_zone = '-08:00'")
	add("temporal", "UPDATE temporal SET ts3 = '1999-12-31 16:00:00.25', ts0 = '2021-03-14 01:59:59' WHERE id = 5")
	session("SET time_zone = '+00:00'", "SET sql_mode = ''")
	add("temporal",
		"INSERT INTO temporal VALUES (6"+tcols(map[string]string{
			"y": "0", "da": "'0000-00-00'", "t": "'00:00:00'", "dt": "'0000-00-00 00:00:00'", "ts": "'0000-00-00 00:00:00'",
		})+")",
		"INSERT INTO temporal VALUES (7"+tcols(map[string]string{
			"y": "1999", "da": "'2024-00-00'", "t": "'-00:00:01'", "dt": "'2024-02-00 10:00:00'", "dt6": "'2024-00-15 10:00:00.5'",
		})+")",
	)
	session("SET sql_mode = 'ALLOW_INVALID_DATES'")
	add("temporal",
		"INSERT INTO temporal VALUES (8"+tcols(map[string]string{
			"da": "'2024-02-31'", "dt": "'2023-04-31 23:59:59'", "t6": "'-838:59:59.999999'", "t5": "'838:59:59.99999'",
		})+")",
	)
	session("SET sql_mode = DEFAULT")
	add("temporal",
		"UPDATE temporal SET t6 = '-00:00:00.000001', dt6 = '1970-01-01 00:00:00', ts6 = '1970-01-01 00:00:00.000001', y = 1901 WHERE id = 3",
		"UPDATE temporal SET da = '1970-01-01', t0 = '-1:00:00', ts2 = '2001-09-09 01:46:40.99' WHERE id = 4",
		"DELETE FROM temporal WHERE id = 2",
		"DELETE FROM temporal",
	)

	// Strings in many character sets, empty, multibyte, emoji, special
	// characters, and long values.
	add("strings",
		"INSERT INTO strings VALUES (1, 'Grüße 😀', REPEAT('é', 255), 'こんにちは世界 🌍', REPEAT('Ж', 300), 'utf8mb3 ✓', "+
			"'tiny 😀', 'text 👍🏽 🇩🇪', REPEAT('многобайтовый ', 1000), REPEAT('long 😀 ', 20000), "+
			"'Café', 'Ñandú ÿ ß ©', 'Latin1 text ½ ¾', 'plain ascii ~', 'Привет, мир', 'Съешь же ещё этих', "+
			"'中文', '简体中文测试', '繁體中文 許功蓋', '日本語 表示 ソ', '한국어 텍스트', '日本語テキスト ｱｲｳ', 'ソ表能 十')",
		"INSERT INTO strings VALUES (2, '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '')",
		"INSERT INTO strings VALUES (3, 'a  ', 'b ', 'trailing  ', ' lead', 'q\"uote''s', 'back\\\\slash', 'new\\nline\\ttab', "+
			"'ctrl\\0nul\\Z', CONCAT('bell', CHAR(7), 'x'), 'ä ', 'ÿ', 'x\\ny', '\\\\', 'ё', 'ё', 'A', 'B', 'C', 'D', 'E', 'F', ''), "+
			nullRow(tbl["strings"], 4),
		"UPDATE strings SET u_vc = CONCAT(u_vc, '✓'), l1_vc = 'Ünïcödé', cp_vc = 'Ёж', gbk_vc = '更新' WHERE id IN (1, 3)",
		"UPDATE strings SET u_char = 'x', u_mt = NULL, sjis_t = '更新されました' WHERE id = 2",
		"UPDATE strings SET u_lt = 'now set', euckr_vc = '갱신', big5_vc = '更新' WHERE id = 4",
		"DELETE FROM strings WHERE id = 2",
		"DELETE FROM strings",
	)

	// Binary strings: BINARY(n) with trailing zero bytes, blobs up to 1 MiB.
	add("binaries",
		"INSERT INTO binaries VALUES (1, 'a', 'ab\\0\\0', UNHEX('00112233445566778899AABBCCDDEEFF'), UNHEX('FF'), "+
			"UNHEX('00FF00'), REPEAT(UNHEX('FE'), 300), UNHEX('DEADBEEF'), REPEAT('z', 65535), 'medium', UNHEX('0000'), 'bin', UNHEX('8081'))",
		"INSERT INTO binaries VALUES (2, '', '', '', '', '', '', '', '', '', '', '', '')",
		"INSERT INTO binaries VALUES (3, UNHEX('00'), UNHEX('00000000'), 'x ', 'trailing space ', 'v\\0', 'w', 't', 'b', "+
			"REPEAT('0123456789abcdef', 65536), UNHEX(REPEAT('00FF7F80', 262144)), UNHEX('0000000000'), ''), "+
			nullRow(tbl["binaries"], 4),
		"UPDATE binaries SET mb = CONCAT(mb, 'x'), bin4 = UNHEX('01') WHERE id = 3",
		"UPDATE binaries SET lb = UNHEX('00'), bin16 = 'abc' WHERE id IN (1, 4)",
		"DELETE FROM binaries WHERE id = 2",
		"DELETE FROM binaries",
	)

	// ENUM and SET: 1- and 2-byte ENUMs, SETs of 1..8 bytes, the empty
	// value, the invalid ENUM value '' (index 0).
	add("enums_sets",
		"INSERT INTO enums_sets VALUES (1, 'a', 'ä', 'v000', 'é', '', 'm00', 'α', 'n0', 'à,ç', 'да')",
		"INSERT INTO enums_sets VALUES (2, 'c', '😀', 'v299', 'ü', 'x,y,z', "+allMembers("m", 64, 2)+", 'α,β,γ', "+allMembers("n", 9, 1)+", 'x', 'нет')",
		"INSERT INTO enums_sets VALUES (3, 'b', '日本', 'v256', 'é', 'y', 'm63', 'γ', 'n8', '', 'да'), "+nullRow(tbl["enums_sets"], 4),
	)
	session("SET sql_mode = ''")
	add("enums_sets", "INSERT INTO enums_sets VALUES (5, 'nope', 'nope', 'nope', 'nope', '', 'm00,m63', '', '', 'ç', 'nope')")
	session("SET sql_mode = DEFAULT")
	add("enums_sets",
		"UPDATE enums_sets SET e = 'b', e_big = 'v255', s64 = 'm31,m32', s = 'x,z' WHERE id IN (1, 3)",
		"UPDATE enums_sets SET e_utf = '😀', s_utf = 'β' WHERE id = 4",
		"DELETE FROM enums_sets WHERE id = 2",
		"DELETE FROM enums_sets",
	)

	// More character sets: UTF-16/32 and UCS-2, Central European, Greek,
	// Hebrew, Japanese (cp932, eucjpms), GB2312, Thai, DOS Cyrillic, KOI8-U.
	add("strings_more",
		"INSERT INTO strings_more VALUES (1, 'UTF-16 😀 ü', 'le 日本', 'utf32 🎉', 'ucs2 Ω', '😀ab', "+
			"'Zażółć gęślą', 'Příliš žluťoučký', 'Καλημέρα', 'שלום עולם', '表示 ①', '髙橋 ①', '简体中文', 'สวัสดี', 'Привет', 'Привіт ї')",
		"INSERT INTO strings_more VALUES (2, '', '', '', '', '', '', '', '', '', '', '', '', '', '', ''), "+nullRow(tbl["strings_more"], 3),
		"UPDATE strings_more SET utf16_vc = 'x', greek_vc = 'Ωμέγα', cp932_vc = 'ｶﾀｶﾅ' WHERE id IN (1, 2)",
		"DELETE FROM strings_more",
	)

	// 300 columns; NULL patterns across the multi-byte null bitmap.
	add("wide",
		"INSERT INTO wide VALUES "+wideRow(1, 0)+", "+wideRow(2, 7)+", "+nullRow(tbl["wide"], 3),
		"UPDATE wide SET c000 = 1, c299 = 9.9, c150 = 77 WHERE id IN (1, 3)",
		"UPDATE wide SET c001 = NULL, c298 = 'z' WHERE id = 2",
		"DELETE FROM wide",
	)

	// Invisible and generated columns, defaults.
	add("misc",
		"INSERT INTO misc (id, v) VALUES (1, 10), (2, NULL)",
		"INSERT INTO misc (id, v, inv, dflt) VALUES (3, -5, NULL, '')",
		"UPDATE misc SET v = v + 1, inv = inv * 2 WHERE id IN (1, 3)",
		"DELETE FROM misc",
	)

	// Statements whose rows span several rows events.
	add("many",
		"INSERT INTO many SELECT seq, seq * 3, CONCAT('row ', seq) FROM seq_1_to_3000",
		"UPDATE many SET v = v + 1, s = CONCAT(s, '+') WHERE id % 3 = 0",
		"DELETE FROM many WHERE id > 2500",
		"DELETE FROM many",
	)

	// JSON (text in MariaDB) and geometry with and without SRIDs.
	add("json_geo",
		`INSERT INTO json_geo VALUES (1, '{"a": 1, "b": [true, false, null], "c": "ü😀", "d": 1.5e300, "e": {"f": -0.5}}', `+
			"ST_GeomFromText('POINT(1 2)'), POINT(1.5, -2.25), ST_GeomFromText('LINESTRING(0 0, 1 1, 2 0)'), "+
			"ST_GeomFromText('POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 3 2, 3 3, 2 2))'), "+
			"ST_GeomFromText('MULTIPOINT(1 1, 2 2)'), ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1), LINESTRING(0 0, 1 1))'), "+
			"ST_GeomFromText('POINT(13.4 52.5)', 4326))",
		"INSERT INTO json_geo VALUES (2, '[]', ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 0))', 3857), ST_GeomFromText('POINT(0 0)', 4326), "+
			"ST_GeomFromText('LINESTRING(-1 -1, 1e10 1e-10)'), ST_GeomFromText('POLYGON((0 0, 1 0, 0 1, 0 0))', 4326), "+
			"ST_GeomFromText('MULTIPOINT(0 0)'), ST_GeomFromText('GEOMETRYCOLLECTION EMPTY'), ST_GeomFromText('LINESTRING(1 2, 3 4)', 4326))",
		`INSERT INTO json_geo (id, j) VALUES (3, '"string"'), (4, '123'), (5, 'null'), (6, '{}'), (7, '{"k": "\\u00e9\\n\\"q\\""}'), (8, NULL)`,
		`UPDATE json_geo SET j = JSON_SET(j, '$.a', 2), p = POINT(-180, 90) WHERE id = 1`,
		"UPDATE json_geo SET g = ST_GeomFromText('POINT(7 7)', 2000), j = '[1, 2.5, \"x\"]' WHERE id IN (2, 8)",
		"DELETE FROM json_geo WHERE id = 3",
		"DELETE FROM json_geo",
	)
	return w
}
