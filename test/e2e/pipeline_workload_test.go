package e2e

import (
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// genCol is a column of a randomly written table: its DDL and a generator
// of SQL literals covering its type's range and edges.
type genCol struct {
	name string
	ddl  string
	gen  func(r *rand.Rand) string
}

func pick(r *rand.Rand, xs ...string) string { return xs[r.IntN(len(xs))] }

func intRange(lo, hi int64) func(r *rand.Rand) string {
	return func(r *rand.Rand) string {
		switch r.IntN(6) {
		case 0:
			return strconv.FormatInt(lo, 10)
		case 1:
			return strconv.FormatInt(hi, 10)
		case 2:
			return "0"
		}
		span := uint64(hi) - uint64(lo)
		if span == math.MaxUint64 {
			return strconv.FormatInt(int64(r.Uint64()), 10)
		}
		return strconv.FormatInt(lo+int64(r.Uint64N(span+1)), 10)
	}
}

func uintRange(hi uint64) func(r *rand.Rand) string {
	return func(r *rand.Rand) string {
		switch r.IntN(5) {
		case 0:
			return strconv.FormatUint(hi, 10)
		case 1:
			return "0"
		}
		if hi == math.MaxUint64 {
			return strconv.FormatUint(r.Uint64(), 10)
		}
		return strconv.FormatUint(r.Uint64N(hi+1), 10)
	}
}

func decimalGen(p, s int, unsigned bool) func(r *rand.Rand) string {
	return func(r *rand.Rand) string {
		digits := func(n int) string {
			var b strings.Builder
			for i := 0; i < n; i++ {
				b.WriteByte(byte('0' + r.IntN(10)))
			}
			return b.String()
		}
		ip := p - s
		v := digits(1 + r.IntN(max(ip, 1)))
		if ip == 0 {
			v = "0"
		}
		if r.IntN(5) == 0 && ip > 0 {
			v = strings.Repeat("9", ip) // the largest integer part
		}
		if s > 0 {
			v += "." + digits(s)
		}
		if !unsigned && r.IntN(2) == 0 {
			v = "-" + v
		}
		return v
	}
}

// text draws strings that stress escaping and encoding.
func text(max int) func(r *rand.Rand) string {
	pieces := []string{"a", "Z", "0", " ", "\t", "\n", "\r", "\\", "'", "\"", ",", "{", "}", "é", "ü", "日本", "😀", "ß", "Ω", "NULL", "\\N", "x"}
	return func(r *rand.Rand) string {
		n := r.IntN(max + 1)
		var b strings.Builder
		runes := 0
		for runes < n {
			p := pieces[r.IntN(len(pieces))]
			b.WriteString(p)
			runes += len([]rune(p))
		}
		s := []rune(b.String())
		if len(s) > max {
			s = s[:max]
		}
		// CHAR and VARCHAR comparisons ignore trailing spaces; keep them
		// off the end so that the test compares what it sees.
		out := strings.TrimRight(string(s), " ")
		return sqlString(out)
	}
}

func latin1Text(r *rand.Rand) string {
	const chars = "abcXYZ éüàçÅ ñ'\\"
	n := r.IntN(30)
	rs := []rune(chars)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteRune(rs[r.IntN(len(rs))])
	}
	return sqlString(strings.TrimRight(b.String(), " "))
}

func sqlString(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\\\")
	s = strings.ReplaceAll(s, "'", "\\'")
	return "'" + s + "'"
}

func hexBytes(n int) func(r *rand.Rand) string {
	return func(r *rand.Rand) string {
		k := n
		if n < 0 {
			k = r.IntN(-n + 1)
		}
		if k == 0 {
			return "''"
		}
		b := make([]byte, k)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return fmt.Sprintf("X'%X'", b)
	}
}

func bitGen(n int) func(r *rand.Rand) string {
	return func(r *rand.Rand) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteByte(byte('0' + r.IntN(2)))
		}
		return "b'" + b.String() + "'"
	}
}

func dateGen(r *rand.Rand) time.Time {
	lo := time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	switch r.IntN(6) {
	case 0:
		return time.Unix(lo, 0).UTC()
	case 1:
		return time.Unix(hi, 0).UTC()
	}
	return time.Unix(lo+r.Int64N(hi-lo), 0).UTC()
}

func datetimeGen(fsp int) func(r *rand.Rand) string {
	return func(r *rand.Rand) string {
		d := dateGen(r)
		s := d.Format("2006-01-02 15:04:05")
		if fsp > 0 {
			s += "." + fmt.Sprintf("%06d", r.IntN(1000000))[:fsp]
		}
		return "'" + s + "'"
	}
}

func timestampGen(r *rand.Rand) string {
	lo, hi := int64(1), int64(math.MaxInt32)
	sec := lo + r.Int64N(hi-lo)
	switch r.IntN(6) {
	case 0:
		sec = lo
	case 1:
		sec = hi
	}
	return "'" + time.Unix(sec, 0).UTC().Format("2006-01-02 15:04:05") + fmt.Sprintf(".%06d'", r.IntN(1000000))
}

func timeGen(fsp int) func(r *rand.Rand) string {
	return func(r *rand.Rand) string {
		h := r.IntN(839)
		m, s := r.IntN(60), r.IntN(60)
		if r.IntN(6) == 0 {
			h, m, s = 838, 59, 59
		}
		v := fmt.Sprintf("%d:%02d:%02d", h, m, s)
		if fsp > 0 {
			v += "." + fmt.Sprintf("%06d", r.IntN(1000000))[:fsp]
		}
		if r.IntN(2) == 0 {
			v = "-" + v
		}
		return "'" + v + "'"
	}
}

func jsonGen(r *rand.Rand) string {
	vals := []string{`1`, `-2.5`, `"s"`, `"日本 \"q\" \\ \n"`, `true`, `null`, `[1, 2, [3]]`, `{"a": {"b": [1, "x"]}}`, `1e100`, `""`}
	var b strings.Builder
	b.WriteString("{")
	n := r.IntN(4)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `"k%d": %s`, r.IntN(100), vals[r.IntN(len(vals))])
	}
	b.WriteString("}")
	return sqlString(b.String())
}

// allTypesCols are the columns of the every-type table, after its "id".
func allTypesCols() []genCol {
	return []genCol{
		{"ti", "TINYINT", intRange(-128, 127)},
		{"tiu", "TINYINT UNSIGNED", uintRange(255)},
		{"flag", "TINYINT(1)", intRange(-128, 127)},
		{"si", "SMALLINT", intRange(-32768, 32767)},
		{"siu", "SMALLINT UNSIGNED", uintRange(65535)},
		{"mi", "MEDIUMINT", intRange(-8388608, 8388607)},
		{"miu", "MEDIUMINT UNSIGNED", uintRange(16777215)},
		{"i", "INT", intRange(math.MinInt32, math.MaxInt32)},
		{"iu", "INT UNSIGNED", uintRange(math.MaxUint32)},
		{"bi", "BIGINT", intRange(math.MinInt64, math.MaxInt64)},
		{"biu", "BIGINT UNSIGNED", uintRange(math.MaxUint64)},
		{"f", "FLOAT", func(r *rand.Rand) string {
			return strconv.FormatFloat(float64(float32(r.NormFloat64()*1e6)), 'g', -1, 32)
		}},
		{"d", "DOUBLE", func(r *rand.Rand) string {
			return pick(r, "0", "1.7976931348623157e308", "-2.2250738585072014e-308",
				strconv.FormatFloat(r.NormFloat64()*math.Pow(10, float64(r.IntN(40)-20)), 'g', -1, 64))
		}},
		{"dec", "DECIMAL(10,2)", decimalGen(10, 2, false)},
		{"dbig", "DECIMAL(65,30)", decimalGen(65, 30, false)},
		{"du", "DECIMAL(12,2) UNSIGNED", decimalGen(12, 2, true)},
		{"b1", "BIT(1)", bitGen(1)},
		{"b9", "BIT(9)", bitGen(9)},
		{"b64", "BIT(64)", bitGen(64)},
		{"y", "YEAR", func(r *rand.Rand) string { return pick(r, "1901", "2155", "0", strconv.Itoa(1901+r.IntN(255))) }},
		{"da", "DATE", func(r *rand.Rand) string { return "'" + dateGen(r).Format("2006-01-02") + "'" }},
		{"t0", "TIME", timeGen(0)},
		{"t6", "TIME(6)", timeGen(6)},
		{"dt0", "DATETIME", datetimeGen(0)},
		{"dt3", "DATETIME(3)", datetimeGen(3)},
		{"dt6", "DATETIME(6)", datetimeGen(6)},
		{"ts6", "TIMESTAMP(6) NULL DEFAULT NULL", timestampGen},
		{"ch", "CHAR(10) CHARACTER SET utf8mb4", text(10)},
		{"vc", "VARCHAR(100) CHARACTER SET utf8mb4", text(100)},
		{"l1", "VARCHAR(50) CHARACTER SET latin1", latin1Text},
		{"tx", "TEXT CHARACTER SET utf8mb4", text(2000)},
		{"bin", "BINARY(4)", hexBytes(4)},
		{"vb", "VARBINARY(64)", hexBytes(-64)},
		{"bl", "BLOB", hexBytes(-3000)},
		{"e", "ENUM('a','b','c d','é')", func(r *rand.Rand) string { return pick(r, "'a'", "'b'", "'c d'", "'é'") }},
		{"s", "SET('x','y','z','w')", func(r *rand.Rand) string { return pick(r, "''", "'x'", "'x,z'", "'y,z,w'", "'x,y,z,w'") }},
		{"j", "JSON", jsonGen},
		{"g", "GEOMETRY", func(r *rand.Rand) string {
			return fmt.Sprintf("ST_GeomFromText('POINT(%d %d)')", r.IntN(1000)-500, r.IntN(1000))
		}},
	}
}

// randTable is a table the random workload writes: its key, its columns
// and the keys of its current rows.
type randTable struct {
	name   string
	cols   []genCol
	nextID int
	ids    []int
	// key is the table's key clause; default PRIMARY KEY (id).
	key string
}

func (t *randTable) createSQL() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE `%s` (`id` INT NOT NULL", t.name)
	for _, c := range t.cols {
		fmt.Fprintf(&b, ", `%s` %s", c.name, c.ddl)
	}
	key := t.key
	if key == "" {
		key = "PRIMARY KEY (`id`)"
	}
	b.WriteString(", " + key + ") DEFAULT CHARSET=utf8mb4")
	return b.String()
}

func (t *randTable) value(r *rand.Rand, c genCol) string {
	if r.IntN(10) == 0 && !strings.Contains(c.ddl, "NOT NULL") {
		return "NULL"
	}
	return c.gen(r)
}

func (t *randTable) insert(r *rand.Rand, rows int) string {
	var b strings.Builder
	names := []string{"`id`"}
	for _, c := range t.cols {
		names = append(names, "`"+c.name+"`")
	}
	fmt.Fprintf(&b, "INSERT INTO `%s` (%s) VALUES ", t.name, strings.Join(names, ", "))
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		t.nextID++
		t.ids = append(t.ids, t.nextID)
		vals := []string{strconv.Itoa(t.nextID)}
		for _, c := range t.cols {
			vals = append(vals, t.value(r, c))
		}
		b.WriteString("(" + strings.Join(vals, ", ") + ")")
	}
	return b.String()
}

// step returns one random statement: an insert, an update of some
// columns, a delete, or a primary key change.
func (t *randTable) step(r *rand.Rand) string {
	if len(t.ids) < 5 || r.IntN(10) < 4 {
		return t.insert(r, 1+r.IntN(4))
	}
	k := r.IntN(len(t.ids))
	id := t.ids[k]
	switch r.IntN(10) {
	case 0, 1:
		t.ids = append(t.ids[:k], t.ids[k+1:]...)
		return fmt.Sprintf("DELETE FROM `%s` WHERE id = %d", t.name, id)
	case 2:
		t.nextID++
		t.ids[k] = t.nextID
		return fmt.Sprintf("UPDATE `%s` SET id = %d WHERE id = %d", t.name, t.nextID, id)
	}
	var sets []string
	for n := 1 + r.IntN(4); n > 0; n-- {
		c := t.cols[r.IntN(len(t.cols))]
		sets = append(sets, fmt.Sprintf("`%s` = %s", c.name, t.value(r, c)))
	}
	return fmt.Sprintf("UPDATE `%s` SET %s WHERE id = %d", t.name, strings.Join(sets, ", "), id)
}

// renameCol renames a column in the generator after an ALTER.
func (t *randTable) renameCol(from, to string) {
	for i := range t.cols {
		if t.cols[i].name == from {
			t.cols[i].name = to
		}
	}
}

// runTransactions runs n random transactions of 1-6 statements over
// tables, with the database db selected on c.
func runTransactions(t *testing.T, c *sql.Conn, r *rand.Rand, tables []*randTable, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		stmts := 1 + r.IntN(6)
		mustExec(t, c, "BEGIN")
		for j := 0; j < stmts; j++ {
			tb := tables[r.IntN(len(tables))]
			q := tb.step(r)
			if _, err := c.ExecContext(t.Context(), q); err != nil {
				t.Fatalf("%s: %v", short(q), err)
			}
		}
		mustExec(t, c, "COMMIT")
	}
}
