package snapshot

// The table-reading layer of the initial snapshot: which key a table is
// read in, the SQL that reads it in key order, chunk by chunk, and (in
// decode.go) the conversion of each result row into the values the binlog
// path would have produced for it.

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
)

// SessionSetup are the statements to run, in order, on every connection
// that reads a snapshot, before its first ChunkQuery or MinMaxQuery. Run
// them on a *sql.Conn (a *sql.DB may hand each query another connection).
// Decode is exact only for results read under them:
//
//   - SET NAMES utf8mb4: the statements carry identifiers as UTF-8 (the
//     catalog's names are), and the connection charset is one that every
//     character can be written in; ChunkQuery's string literals name their
//     charset and collation themselves, so they do not depend on it.
//   - character_set_results = binary: the server sends text in the column's
//     own charset, unconverted, as the binlog carries it; Decode converts it
//     to UTF-8 with the binlog path's converter (binlog.AppendUTF8), so both
//     paths give the same bytes, invalid ones included, and KeyOf's bytes
//     are the stored bytes that ChunkQuery's X'..' literals give back to
//     the server.
//   - time_zone = '+00:00': TIMESTAMP values print in UTC, which Decode
//     reads as the instant (the binlog holds seconds since the epoch), with
//     no DST gap or overlap to make a printed time ambiguous; TIMESTAMP key
//     literals read back in the same zone.
//   - sql_mode = 'ALLOW_INVALID_DATES': a known mode whatever the server's:
//     without PAD_CHAR_TO_FULL_LENGTH, which would pad CHAR values with
//     spaces the binlog does not have, and without NO_ZERO_DATE,
//     NO_ZERO_IN_DATE and the strict modes, so that zero and invalid dates
//     read back in ChunkQuery's literals compare as the dates they are.
//     (ANSI_QUOTES and NO_BACKSLASH_ESCAPES would not matter: identifiers
//     are backquoted and literals are hexadecimal.)
var SessionSetup = []string{
	"SET NAMES utf8mb4",
	"SET SESSION character_set_results = binary",
	"SET SESSION time_zone = '+00:00'",
	"SET SESSION sql_mode = 'ALLOW_INVALID_DATES'",
}

// Key is a row's key: the raw result bytes of the table's key columns, in
// key order, as read under SessionSetup (see KeyOf). A nil Key means no
// bound in ChunkQuery.
type Key [][]byte

// TableReader reads one table version (a *core.Table) with SQL: it picks
// the key the rows are read in, writes the queries and decodes their
// rows. It is immutable and safe for concurrent use.
type TableReader struct {
	table  *core.Table
	cols   []colReader
	from   string // `schema`.`table`
	list   string // SelectList
	keys   []int  // key column indexes into table.Columns, in key order
	index  string // the key's index name
	reason string // why the table is keyless

	// bufs holds decodeScratch values: Decode converts a row into one,
	// then copies the bytes into the row's own arena.
	bufs sync.Pool
}

// colOp is how Decode turns a column's raw result into a core.Value.
type colOp uint8

const (
	colOpInt colOp = iota
	colOpUint
	colOpFloat32
	colOpFloat64
	colOpDecimal
	colOpBit
	colOpYear
	colOpDate
	colOpDateTime
	colOpTimestamp
	colOpTime
	colOpString   // text in charset, converted to UTF-8
	colOpJSON     // JSON text in charset
	colOpBytes    // binary strings, and INET4/INET6/UUID in their binary form
	colOpEnum     // the select list reads the 1-based index
	colOpSet      // the select list reads the bitmask
	colOpGeometry // SRID + WKB
	colOpVector   // little-endian float32s
)

// keyLitKind is how ChunkQuery writes a key column's raw bytes as a literal.
type keyLitKind uint8

const (
	keyLitNone     keyLitKind = iota // not usable in a key
	keyLitInteger                    // integers, YEAR, ENUM index: the digits
	keyLitDecimal                    // DECIMAL: the digits and point
	keyLitBit                        // BIT: big-endian bytes, written as a number
	keyLitTemporal                   // DATE, DATETIME, TIMESTAMP, TIME: a quoted string the column converts
	keyLitText                       // _charset X'..' COLLATE collation
	keyLitBinary                     // X'..'
)

// colReader is what the reader knows of one column.
type colReader struct {
	name    string
	op      colOp
	lit     keyLitKind
	expr    string // the select-list expression
	charset binlog.Charset
	cs, co  string // charset and collation names, for text literals
	width   int    // BIT width
	elems   []string
	// why the column cannot be a key column ("" when it can)
	unkeyable string
}

// NewTableReader returns a reader of t. It picks the key the rows are read
// in: the primary key, else (when there is none, or it does not qualify)
// the first qualifying unique key whose columns are all NOT NULL. A key
// qualifies when none of its columns is a prefix and all are of types whose
// order and comparisons ChunkQuery reproduces exactly and the server reads
// as index ranges: not FLOAT or DOUBLE (approximate), TEXT or BLOB (a
// MariaDB unique key on them is a hash), JSON, SET, spatial or VECTOR. A
// table without a qualifying key is keyless (KeylessReason says why, key
// by key): it is read in one pass.
//
// It is an error for t to have a column of a type Decode cannot read, or a
// key naming a column t does not have.
func NewTableReader(t *core.Table) (*TableReader, error) {
	if t == nil || len(t.Columns) == 0 {
		return nil, fmt.Errorf("snapshot: a table without columns cannot be read")
	}
	r := &TableReader{table: t, from: sqlQuoteIdent(t.Schema) + "." + sqlQuoteIdent(t.Name)}
	r.cols = make([]colReader, len(t.Columns))
	var list strings.Builder
	for i := range t.Columns {
		c, err := newColReader(&t.Columns[i])
		if err != nil {
			return nil, fmt.Errorf("snapshot: table %s column %s: %w", t.QualifiedName(), t.Columns[i].Name, err)
		}
		r.cols[i] = c
		if i > 0 {
			list.WriteString(", ")
		}
		list.WriteString(c.expr)
	}
	r.list = list.String()
	if err := r.pickKey(); err != nil {
		return nil, err
	}
	r.bufs.New = func() any { return new(decodeScratch) }
	return r, nil
}

// pickKey sets the key, or the reason the table has none.
func (r *TableReader) pickKey() error {
	t := r.table
	var reasons []string
	try := func(k *core.Key, primary bool) (bool, error) {
		idx := make([]int, len(k.Columns))
		for j, kc := range k.Columns {
			i := t.ColumnIndex(kc.Name)
			if i < 0 {
				return false, fmt.Errorf("snapshot: table %s: key %s names column %s, which the table does not have", t.QualifiedName(), k.Name, kc.Name)
			}
			idx[j] = i
		}
		what := "unique key " + k.Name
		if primary {
			what = "the primary key"
		}
		for j, kc := range k.Columns {
			col := &t.Columns[idx[j]]
			switch {
			case kc.Prefix > 0:
				reasons = append(reasons, fmt.Sprintf("%s indexes a prefix of column %s, so it orders rows by the prefix only", what, col.Name))
				return false, nil
			case !primary && col.Nullable:
				reasons = append(reasons, fmt.Sprintf("%s has column %s, which may be NULL (NULLs need not be unique)", what, col.Name))
				return false, nil
			case r.cols[idx[j]].unkeyable != "":
				reasons = append(reasons, fmt.Sprintf("%s has column %s: %s", what, col.Name, r.cols[idx[j]].unkeyable))
				return false, nil
			}
		}
		r.keys, r.index = idx, k.Name
		return true, nil
	}
	if t.PrimaryKey != nil {
		if ok, err := try(t.PrimaryKey, true); ok || err != nil {
			return err
		}
	}
	for i := range t.UniqueKeys {
		if ok, err := try(&t.UniqueKeys[i], false); ok || err != nil {
			return err
		}
	}
	switch {
	case len(reasons) > 0:
		r.reason = strings.Join(reasons, "; ")
	case t.PrimaryKey == nil && len(t.UniqueKeys) == 0:
		r.reason = "the table has no primary key and no unique key"
	default:
		r.reason = "the table has no usable key"
	}
	return nil
}

// newColReader decides how column c is selected, decoded and compared.
func newColReader(c *core.Column) (colReader, error) {
	typ := &c.Type
	cr := colReader{name: c.Name, expr: sqlQuoteIdent(c.Name)}
	textual := func(op colOp) {
		cr.op, cr.lit = op, keyLitText
		cr.cs, cr.co = strings.ToLower(typ.Charset), strings.ToLower(typ.Collation)
		if cr.cs == "" && cr.co != "" {
			if i := strings.IndexByte(cr.co, '_'); i > 0 {
				cr.cs = cr.co[:i]
			}
		}
		if cr.cs == "utf8" {
			cr.cs = "utf8mb3"
		}
		cr.charset = binlog.CharsetByName(cr.cs)
		if cr.charset == binlog.CharsetUnknown {
			// What the binlog path does without metadata: accept the
			// bytes if they are UTF-8.
			cr.charset = binlog.CharsetUTF8MB4
			cr.unkeyable = "its character set " + strconv.Quote(typ.Charset) + " is not known, so its literals could not be written"
		}
		if cr.charset == binlog.CharsetBinary {
			cr.op, cr.lit = colOpBytes, keyLitBinary
		}
		if !sqlIsName(cr.cs) || !sqlIsName(cr.co) {
			// Written unquoted in the literals (_cs X'..' COLLATE co).
			cr.unkeyable = fmt.Sprintf("its charset %q or collation %q is not a plain name", typ.Charset, typ.Collation)
		}
	}
	switch typ.Name {
	case "tinyint", "smallint", "mediumint", "int", "bigint":
		cr.op, cr.lit = colOpInt, keyLitInteger
		if typ.Unsigned {
			cr.op = colOpUint
		}
	case "float", "double":
		// The text protocol prints a FLOAT column with 6 significant
		// digits (and FLOAT(M,D), DOUBLE(M,D) with D decimals); as a
		// DOUBLE expression the value prints as the shortest text that
		// reads back as the same double, and a FLOAT widened to double
		// narrows back exactly.
		cr.op, cr.expr = colOpFloat64, "("+cr.expr+" + 0e0)"
		if typ.Name == "float" {
			cr.op = colOpFloat32
		}
		cr.unkeyable = "an approximate number, which a printed literal may not compare equal to"
	case "decimal":
		cr.op, cr.lit = colOpDecimal, keyLitDecimal
	case "bit":
		cr.op, cr.lit, cr.width = colOpBit, keyLitBit, typ.Length
		if cr.width == 0 {
			cr.width = 1
		}
	case "year":
		cr.op, cr.lit = colOpYear, keyLitInteger
	case "date":
		cr.op, cr.lit = colOpDate, keyLitTemporal
	case "datetime":
		cr.op, cr.lit = colOpDateTime, keyLitTemporal
	case "timestamp":
		cr.op, cr.lit = colOpTimestamp, keyLitTemporal
	case "time":
		cr.op, cr.lit = colOpTime, keyLitTemporal
	case "char", "varchar":
		textual(colOpString)
	case "tinytext", "text", "mediumtext", "longtext":
		textual(colOpString)
		if typ.JSON {
			cr.op = colOpJSON
		}
		cr.unkeyable = "TEXT, which a unique key indexes by a hash (or a prefix), in no order"
	case "json":
		textual(colOpJSON)
		cr.unkeyable = "JSON, which has no order"
	case "binary", "varbinary":
		cr.op, cr.lit = colOpBytes, keyLitBinary
	case "tinyblob", "blob", "mediumblob", "longblob":
		cr.op = colOpBytes
		cr.unkeyable = "a BLOB, which a unique key indexes by a hash (or a prefix), in no order"
	case "enum":
		// The index, not the label: it is what the binlog holds and
		// what an ENUM sorts by.
		cr.op, cr.lit, cr.elems, cr.expr = colOpEnum, keyLitInteger, typ.Elems, "("+cr.expr+" + 0)"
	case "set":
		cr.op, cr.elems, cr.expr = colOpSet, typ.Elems, "("+cr.expr+" + 0)"
		// Its comparisons by bitmask are correct, but the optimizer
		// reads none as an index range: every chunk would scan the
		// index from its start.
		cr.unkeyable = "a SET, whose comparisons the server reads by scanning the whole index"
	case "inet4", "inet6", "uuid":
		// MariaDB prints these as text; the binlog holds their 16 (or 4)
		// stored bytes, which the cast returns.
		n := 16
		if typ.Name == "inet4" {
			n = 4
		}
		cr.op, cr.lit, cr.expr = colOpBytes, keyLitBinary, "CAST("+cr.expr+" AS BINARY("+strconv.Itoa(n)+"))"
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
		"geometrycollection", "geomcollection":
		cr.op = colOpGeometry
		cr.unkeyable = "a spatial type, which has no order"
	case "vector":
		cr.op = colOpVector
		cr.unkeyable = "a VECTOR, which has no order"
	default:
		return cr, fmt.Errorf("type %q is not one the snapshot can read", typ.Name)
	}
	if typ.JSON && cr.op == colOpString {
		cr.op = colOpJSON
	}
	if cr.lit == keyLitNone && cr.unkeyable == "" {
		cr.unkeyable = "its type cannot be compared reliably"
	}
	return cr, nil
}

// Table returns the table version read.
func (r *TableReader) Table() *core.Table { return r.table }

// Keyed reports whether the table is read in key order, chunk by chunk.
func (r *TableReader) Keyed() bool { return r.keys != nil }

// KeylessReason says why the table has no key to read it by ("" when
// Keyed).
func (r *TableReader) KeylessReason() string { return r.reason }

// KeyColumns returns the key's columns, as indexes into Table().Columns,
// in key order (nil when keyless). The caller must not change it.
func (r *TableReader) KeyColumns() []int { return r.keys }

// KeyIndex returns the name of the index the key is ("PRIMARY" for the
// primary key; "" when keyless).
func (r *TableReader) KeyIndex() string { return r.index }

// IntegerKey reports a key of one integer column, whose range can be split
// into chunks by value (see MinMaxQuery).
func (r *TableReader) IntegerKey() bool {
	if len(r.keys) != 1 {
		return false
	}
	op := r.cols[r.keys[0]].op
	return op == colOpInt || op == colOpUint
}

// SelectList returns the column expressions ChunkQuery selects: every
// column of the table in order (generated and invisible ones too, which
// the binlog carries), FLOAT and DOUBLE as DOUBLE expressions, ENUM and
// SET as their numbers, INET4, INET6 and UUID in binary.
func (r *TableReader) SelectList() string { return r.list }

// MinMaxQuery returns the SELECT of the least and the greatest key of an
// integer key (IntegerKey), whose raw results are decimal integers (both
// NULL for an empty table); "" for other tables.
func (r *TableReader) MinMaxQuery() string {
	if !r.IntegerKey() {
		return ""
	}
	k := sqlQuoteIdent(r.cols[r.keys[0]].name)
	return "SELECT MIN(" + k + "), MAX(" + k + ") FROM " + r.from
}

// ChunkQuery returns the SELECT of the rows whose key is greater than
// after (nil: from the first row) and at most upto (nil: to the last), in
// key order, at most limit of them (0: all). Reading chunk after chunk,
// each after the KeyOf of the previous chunk's last row, reads every row
// once (keyset pagination: each chunk starts in the index where the last
// ended, never at an OFFSET).
//
// The comparisons are those of ORDER BY: a composite key compares in the
// expanded form a > x OR (a = x AND b > y), which the optimizer reads as
// index ranges (a row constructor comparison is not always), and each
// literal compares as the column does: text in the column's charset and
// collation, binary strings bytewise, numbers as numbers, BIT as a number,
// temporal values as values of the column's type, and an ENUM by index, an
// inequality as the list of the indexes it admits (the optimizer reads
// "e IN (3, 4)" as index ranges, "e > 2" as a scan of the whole index).
//
// after and upto must be keys of this table: from KeyOf, or of the integer
// text MinMaxQuery returns for an integer key, or passing CheckKey. A key
// column value that cannot be written as a literal (CheckKey's error) is
// written as a column name no table has, so that the server rejects the
// query rather than reading the wrong rows.
//
// A keyless table is read whole in one pass, in the order the server
// returns its rows: the query has no WHERE, ORDER BY or LIMIT whatever the
// arguments.
func (r *TableReader) ChunkQuery(after, upto Key, limit int) string {
	var b strings.Builder
	b.Grow(len(r.list) + 64)
	b.WriteString("SELECT ")
	b.WriteString(r.list)
	b.WriteString(" FROM ")
	b.WriteString(r.from)
	if !r.Keyed() {
		return b.String()
	}
	// The plan would be the index anyway with a LIMIT; FORCE INDEX keeps
	// a large chunk or an unbounded last one from turning into a table
	// scan and a sort.
	b.WriteString(" FORCE INDEX (")
	b.WriteString(sqlQuoteIdent(r.index))
	b.WriteString(")")
	where := " WHERE "
	if after != nil {
		b.WriteString(where)
		r.writeBound(&b, after, ">")
		where = " AND "
	}
	if upto != nil {
		b.WriteString(where)
		r.writeBound(&b, upto, "<=")
	}
	b.WriteString(" ORDER BY ")
	for j, i := range r.keys {
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString(sqlQuoteIdent(r.cols[i].name))
	}
	if limit > 0 {
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.Itoa(limit))
	}
	return b.String()
}

// writeBound writes "key op k" for op ">" or "<=", expanded:
// (a > x OR (a = x AND (b > y OR (b = y AND (c > z))))).
func (r *TableReader) writeBound(b *strings.Builder, k Key, op string) {
	strict := op
	if op == "<=" {
		strict = "<"
	}
	n := len(r.keys)
	b.WriteString("(")
	for j, i := range r.keys {
		col := &r.cols[i]
		var v []byte
		bad := len(k) != n
		if !bad {
			v = k[j]
		}
		if j == n-1 {
			b.WriteString(col.compare(op, v, bad))
			break
		}
		b.WriteString(col.compare(strict, v, bad) + " OR (" + col.compare("=", v, bad) + " AND (")
	}
	b.WriteString(strings.Repeat("))", n-1))
	b.WriteString(")")
}

// CheckKey reports whether k can bound a ChunkQuery of this table: one
// value per key column, each one the column's literal syntax accepts.
func (r *TableReader) CheckKey(k Key) error {
	if !r.Keyed() {
		return fmt.Errorf("snapshot: table %s is keyless: %s", r.table.QualifiedName(), r.reason)
	}
	if len(k) != len(r.keys) {
		return fmt.Errorf("snapshot: table %s: a key of %d values, the key %s has %d columns", r.table.QualifiedName(), len(k), r.index, len(r.keys))
	}
	for j, i := range r.keys {
		if err := r.cols[i].checkLiteral(k[j]); err != nil {
			return fmt.Errorf("snapshot: table %s key column %s: %w", r.table.QualifiedName(), r.cols[i].name, err)
		}
	}
	return nil
}

// checkLiteral reports whether v can be written as a literal of the column.
func (c *colReader) checkLiteral(v []byte) error {
	if v == nil {
		return fmt.Errorf("a key value is NULL")
	}
	switch c.lit {
	case keyLitInteger:
		if !keyIsInteger(v) {
			return fmt.Errorf("%q is not an integer", v)
		}
		if c.op == colOpEnum {
			if k, err := decodeUint(v); err != nil || k > uint64(len(c.elems)) {
				return fmt.Errorf("%q is not an index of the ENUM's %d labels", v, len(c.elems))
			}
		}
	case keyLitDecimal:
		if !keyIsDecimal(v) {
			return fmt.Errorf("%q is not a decimal number", v)
		}
	case keyLitBit:
		if len(v) > 8 {
			return fmt.Errorf("a BIT value of %d bytes", len(v))
		}
	case keyLitTemporal:
		if !keyIsTemporal(v) {
			return fmt.Errorf("%q is not a date or time", v)
		}
	case keyLitText, keyLitBinary:
	default:
		return fmt.Errorf("the column cannot be a key column: %s", c.unkeyable)
	}
	return nil
}

// compare writes "column op v" (op one of > < <= =) so that it compares
// as the column does. For a value checkLiteral refuses (or bad), the value
// is a name no column has (see ChunkQuery).
func (c *colReader) compare(op string, v []byte, bad bool) string {
	name := sqlQuoteIdent(c.name)
	if bad || c.checkLiteral(v) != nil {
		return name + " " + op + " " + sqlQuoteIdent("invalid key value for column "+c.name)
	}
	if c.op == colOpEnum && op != "=" {
		return c.enumRange(name, op, v)
	}
	var lit string
	switch c.lit {
	case keyLitInteger, keyLitDecimal:
		lit = string(v)
	case keyLitBit:
		var n uint64
		for _, x := range v {
			n = n<<8 | uint64(x)
		}
		lit = strconv.FormatUint(n, 10)
	case keyLitTemporal:
		lit = "'" + string(v) + "'"
	case keyLitText:
		lit = "_" + c.cs + " " + sqlHexLiteral(v)
		if c.co != "" {
			lit += " COLLATE " + c.co
		}
	default:
		lit = sqlHexLiteral(v)
	}
	return name + " " + op + " " + lit
}

// enumRange writes an ENUM inequality as the list of indexes it admits:
// the optimizer reads "e IN (2, 3)" as index ranges, but "e > 1" (by
// index) as a scan of the whole index. Index 0 is the empty error value,
// first in ENUM order.
func (c *colReader) enumRange(name, op string, v []byte) string {
	k, _ := decodeUint(v)
	lo, hi := uint64(0), uint64(len(c.elems))
	switch op {
	case ">":
		lo = k + 1
	case "<":
		if k == 0 {
			return "FALSE"
		}
		hi = min(hi, k-1)
	case "<=":
		hi = min(hi, k)
	}
	if lo > hi {
		return "FALSE"
	}
	var b strings.Builder
	b.WriteString(name + " IN (")
	for i := lo; i <= hi; i++ {
		if i > lo {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatUint(i, 10))
	}
	b.WriteString(")")
	return b.String()
}

// sqlHexLiteral writes v as a hexadecimal string literal, X'..'.
func sqlHexLiteral(v []byte) string {
	const hexDigits = "0123456789ABCDEF"
	b := make([]byte, 0, 3+2*len(v))
	b = append(b, 'X', '\'')
	for _, x := range v {
		b = append(b, hexDigits[x>>4], hexDigits[x&15])
	}
	return string(append(b, '\''))
}

// keyIsInteger reports an optional '-' and 1-20 digits, which fit in a
// BIGINT (signed or not) when they are a key's.
func keyIsInteger(v []byte) bool {
	if len(v) > 0 && v[0] == '-' {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > 20 {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// keyIsDecimal reports an optional '-', digits and an optional point with
// digits after it.
func keyIsDecimal(v []byte) bool {
	if len(v) > 0 && v[0] == '-' {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > 80 {
		return false
	}
	nDigits, point := 0, false
	for i, c := range v {
		switch {
		case c >= '0' && c <= '9':
			nDigits++
		case c == '.' && !point && i > 0 && i < len(v)-1:
			point = true
		default:
			return false
		}
	}
	return nDigits > 0
}

// keyIsTemporal reports text made of digits and the separators of DATE,
// DATETIME and TIME values, so that quoting it needs no escapes.
func keyIsTemporal(v []byte) bool {
	if len(v) == 0 || len(v) > 32 {
		return false
	}
	for _, c := range v {
		if (c < '0' || c > '9') && c != '-' && c != ':' && c != '.' && c != ' ' {
			return false
		}
	}
	return true
}

// sqlIsName reports a charset or collation name: letters, digits and
// underscores ("" too).
func sqlIsName(s string) bool {
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// sqlQuoteIdent backquotes a name.
func sqlQuoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// Querier runs a query: a *sql.Conn set up with SessionSetup (or a
// *sql.Tx on one).
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// ReadChunk runs ChunkQuery(after, upto, limit) on q and calls row with
// each result row, in key order (raw is the driver's and is reused after
// row returns: Decode it, or copy what is kept). It returns the number of
// rows and the last row's key, where the next chunk starts (after itself
// when there was no row; nil for a keyless table).
func (r *TableReader) ReadChunk(ctx context.Context, q Querier, after, upto Key, limit int, row func(raw []sql.RawBytes) error) (n int, last Key, err error) {
	query := r.ChunkQuery(after, upto, limit)
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return 0, nil, fmt.Errorf("snapshot: read a chunk of %s: %w (query: %.300s)", r.table.QualifiedName(), err, query)
	}
	defer rows.Close()
	raw := make([]sql.RawBytes, len(r.cols))
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	// The last row's key is kept in buffers of its own (the driver
	// reuses raw's) and copied once at the end.
	keyRaw := make([]sql.RawBytes, len(r.cols))
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return n, nil, fmt.Errorf("snapshot: read a chunk of %s: %w", r.table.QualifiedName(), err)
		}
		n++
		for _, i := range r.keys {
			keyRaw[i] = append(keyRaw[i][:0], raw[i]...)
		}
		if err := row(raw); err != nil {
			return n, nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return n, nil, fmt.Errorf("snapshot: read a chunk of %s: %w", r.table.QualifiedName(), err)
	}
	if n == 0 || !r.Keyed() {
		return n, after, nil
	}
	return n, r.KeyOf(keyRaw), nil
}
