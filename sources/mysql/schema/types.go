package schema

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/types"

	"github.com/seed5aa6e046/syncer/core"
)

// Flavor is the server family, which decides the few places where MySQL
// and MariaDB build different definitions from the same statement.
type Flavor int

const (
	// FlavorUnknown leaves flavor-dependent details out: utf8mb4 columns
	// without an explicit collation get an empty Collation, integer
	// display widths stay as written.
	FlavorUnknown Flavor = iota
	// FlavorMariaDB: utf8mb4 defaults to utf8mb4_general_ci (10.x), integer
	// types get their default display width (int → int(11)), YEAR is
	// year(4), JSON is LONGTEXT utf8mb4_bin (MariaDB's JSON is an alias).
	FlavorMariaDB
	// FlavorMySQL (8.0): utf8mb4 defaults to utf8mb4_0900_ai_ci and
	// integer display widths are dropped except TINYINT(1) and ZEROFILL,
	// as SHOW CREATE TABLE on MySQL 8.0.19+ does.
	FlavorMySQL
)

// charsetInfo holds what the model needs of a character set: its default
// collation and its maximum bytes per character.
type charsetInfo struct {
	collation string
	maxLen    int
}

// charsets are the character sets common to MySQL and MariaDB. utf8mb4's
// default collation depends on the flavor (see defaultCollation).
var charsets = map[string]charsetInfo{
	"armscii8": {"armscii8_general_ci", 1},
	"ascii":    {"ascii_general_ci", 1},
	"big5":     {"big5_chinese_ci", 2},
	"binary":   {"binary", 1},
	"cp1250":   {"cp1250_general_ci", 1},
	"cp1251":   {"cp1251_general_ci", 1},
	"cp1256":   {"cp1256_general_ci", 1},
	"cp1257":   {"cp1257_general_ci", 1},
	"cp850":    {"cp850_general_ci", 1},
	"cp852":    {"cp852_general_ci", 1},
	"cp866":    {"cp866_general_ci", 1},
	"cp932":    {"cp932_japanese_ci", 2},
	"dec8":     {"dec8_swedish_ci", 1},
	"eucjpms":  {"eucjpms_japanese_ci", 3},
	"euckr":    {"euckr_korean_ci", 2},
	"gb2312":   {"gb2312_chinese_ci", 2},
	"gbk":      {"gbk_chinese_ci", 2},
	"gb18030":  {"gb18030_chinese_ci", 4},
	"geostd8":  {"geostd8_general_ci", 1},
	"greek":    {"greek_general_ci", 1},
	"hebrew":   {"hebrew_general_ci", 1},
	"hp8":      {"hp8_english_ci", 1},
	"keybcs2":  {"keybcs2_general_ci", 1},
	"koi8r":    {"koi8r_general_ci", 1},
	"koi8u":    {"koi8u_general_ci", 1},
	"latin1":   {"latin1_swedish_ci", 1},
	"latin2":   {"latin2_general_ci", 1},
	"latin5":   {"latin5_turkish_ci", 1},
	"latin7":   {"latin7_general_ci", 1},
	"macce":    {"macce_general_ci", 1},
	"macroman": {"macroman_general_ci", 1},
	"sjis":     {"sjis_japanese_ci", 2},
	"swe7":     {"swe7_swedish_ci", 1},
	"tis620":   {"tis620_thai_ci", 1},
	"ucs2":     {"ucs2_general_ci", 2},
	"ujis":     {"ujis_japanese_ci", 3},
	"utf16":    {"utf16_general_ci", 4},
	"utf16le":  {"utf16le_general_ci", 4},
	"utf32":    {"utf32_general_ci", 4},
	"utf8mb3":  {"utf8mb3_general_ci", 3},
	"utf8mb4":  {"", 4},
}

// normCharset lower-cases a charset name and maps the utf8 alias to
// utf8mb3, as MySQL 8 and MariaDB 10.6+ report it.
func normCharset(cs string) string {
	cs = strings.ToLower(cs)
	if cs == "utf8" {
		return "utf8mb3"
	}
	return cs
}

func normCollation(co string) string {
	co = strings.ToLower(co)
	if strings.HasPrefix(co, "utf8_") {
		return "utf8mb3_" + co[len("utf8_"):]
	}
	return co
}

// charsetOfCollation derives the character set from a collation name:
// every collation name starts with its charset and an underscore.
func charsetOfCollation(co string) string {
	if co == "binary" {
		return "binary"
	}
	if i := strings.IndexByte(co, '_'); i > 0 {
		return normCharset(co[:i])
	}
	return ""
}

// defaultCollation is the default collation of charset cs on this flavor,
// "" when unknown.
func defaultCollation(cs string, f Flavor) string {
	if cs == "utf8mb4" {
		switch f {
		case FlavorMariaDB:
			return "utf8mb4_general_ci"
		case FlavorMySQL:
			return "utf8mb4_0900_ai_ci"
		}
		return ""
	}
	return charsets[cs].collation
}

func maxLen(cs string) int {
	if ci, ok := charsets[cs]; ok {
		return ci.maxLen
	}
	return 4 // unknown: assume the widest, which only matters for TEXT sizing
}

// resolveCharset completes a (charset, collation) pair where either may be
// empty, from the explicit values down to the inherited ones.
func resolveCharset(cs, co string, f Flavor, inheritCS, inheritCO string) (string, string) {
	cs, co = normCharset(cs), normCollation(co)
	switch {
	case cs == "" && co == "":
		return inheritCS, inheritCO
	case cs == "":
		return charsetOfCollation(co), co
	case co == "":
		return cs, defaultCollation(cs, f)
	}
	return cs, co
}

// textTypeFor returns the smallest TEXT (or BLOB) type holding bytes bytes.
func textTypeFor(bytes int, blob bool) string {
	var n string
	switch {
	case bytes <= 255:
		n = "tinytext"
	case bytes <= 65535:
		n = "text"
	case bytes <= 16777215:
		n = "mediumtext"
	default:
		n = "longtext"
	}
	if blob {
		return strings.Replace(n, "text", "blob", 1)
	}
	return n
}

func textCapacity(name string) int {
	switch name {
	case "tinytext", "tinyblob":
		return 255
	case "text", "blob":
		return 65535
	case "mediumtext", "mediumblob":
		return 16777215
	}
	return 4294967295
}

// isCharType reports whether a column of this type has a character set.
func isCharType(name string) bool {
	switch name {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set":
		return true
	}
	return false
}

func isIntType(name string) bool {
	switch name {
	case "tinyint", "smallint", "mediumint", "int", "bigint":
		return true
	}
	return false
}

// defaultIntWidth is the display width MariaDB (and MySQL 5.7) shows for
// an integer type declared without one.
func defaultIntWidth(name string, unsigned bool) int {
	w := map[string]int{"tinyint": 4, "smallint": 6, "mediumint": 9, "int": 11, "bigint": 20}[name]
	if unsigned && name != "bigint" {
		w--
	}
	return w
}

// columnType converts a parsed field type into the model's ColumnType,
// resolving the character set against the table's (tcs, tco).
// explicitCollate is a COLLATE column option, which the parser keeps apart
// from the type.
func columnType(ft *types.FieldType, explicitCollate string, f Flavor, tcs, tco string) core.ColumnType {
	var t core.ColumnType
	flen, dec := ft.GetFlen(), ft.GetDecimal()
	flag := ft.GetFlag()
	t.Unsigned = mysql.HasUnsignedFlag(flag)
	t.Zerofill = mysql.HasZerofillFlag(flag)
	if t.Zerofill {
		t.Unsigned = true // ZEROFILL implies UNSIGNED in MySQL and MariaDB
	}
	cs := ft.GetCharset()
	binaryCS := cs == "binary"
	textual := false // a type whose length is in characters and may be binary
	switch ft.GetType() {
	case mysql.TypeTiny, mysql.TypeShort, mysql.TypeInt24, mysql.TypeLong, mysql.TypeLonglong:
		t.Name = map[byte]string{mysql.TypeTiny: "tinyint", mysql.TypeShort: "smallint",
			mysql.TypeInt24: "mediumint", mysql.TypeLong: "int", mysql.TypeLonglong: "bigint"}[ft.GetType()]
		if flen > 0 {
			t.Length = flen
		}
		switch f {
		case FlavorMariaDB:
			if t.Length == 0 {
				t.Length = defaultIntWidth(t.Name, t.Unsigned)
			}
		case FlavorMySQL:
			if !t.Zerofill && !(t.Name == "tinyint" && t.Length == 1) {
				t.Length = 0
			} else if t.Length == 0 {
				t.Length = defaultIntWidth(t.Name, t.Unsigned)
			}
		}
	case mysql.TypeNewDecimal:
		t.Name = "decimal"
		t.Precision, t.Scale = 10, 0
		if flen > 0 {
			t.Precision = flen
		}
		if dec > 0 {
			t.Scale = dec
		}
	case mysql.TypeFloat, mysql.TypeDouble:
		t.Name = "float"
		if ft.GetType() == mysql.TypeDouble {
			t.Name = "double"
		}
		if flen > 0 && dec >= 0 {
			t.Precision, t.Scale = flen, dec
		}
	case mysql.TypeBit:
		t.Name = "bit"
		t.Length = 1
		if flen > 0 {
			t.Length = flen
		}
	case mysql.TypeDate, mysql.TypeNewDate:
		t.Name = "date"
	case mysql.TypeDuration, mysql.TypeDatetime, mysql.TypeTimestamp:
		t.Name = map[byte]string{mysql.TypeDuration: "time", mysql.TypeDatetime: "datetime", mysql.TypeTimestamp: "timestamp"}[ft.GetType()]
		if dec > 0 {
			t.FSP = dec
		}
	case mysql.TypeYear:
		t.Name = "year"
		if f == FlavorMariaDB {
			t.Length = 4
		}
	case mysql.TypeJSON:
		t.JSON = true
		if f == FlavorMariaDB {
			// MariaDB's JSON is an alias: LONGTEXT utf8mb4_bin with CHECK
			// (json_valid(column)), which SHOW CREATE TABLE prints (and
			// column reads back as JSON).
			t.Name = "longtext"
			t.Charset, t.Collation = "utf8mb4", "utf8mb4_bin"
			return t
		}
		t.Name = "json"
	case mysql.TypeTiDBVectorFloat32:
		t.Name = "vector"
		if flen > 0 {
			t.Length = flen
		}
	case mysql.TypeGeometry:
		t.Name = "geometry"
	case mysql.TypeString, mysql.TypeVarchar, mysql.TypeVarString:
		textual = true
		if ft.GetType() == mysql.TypeString {
			t.Name = "char"
		} else {
			t.Name = "varchar"
		}
		if flen >= magicTypeBase && flen < magicTypeBase+len(extraTypes) {
			t.Name = extraTypes[flen-magicTypeBase]
			return t
		}
		t.Length = flen
		if t.Length < 0 {
			t.Length = 1 // CHAR / BINARY without a length
		}
	case mysql.TypeTinyBlob, mysql.TypeBlob, mysql.TypeMediumBlob, mysql.TypeLongBlob:
		textual = true
		t.Name = map[byte]string{mysql.TypeTinyBlob: "tinytext", mysql.TypeBlob: "text",
			mysql.TypeMediumBlob: "mediumtext", mysql.TypeLongBlob: "longtext"}[ft.GetType()]
	case mysql.TypeEnum, mysql.TypeSet:
		t.Name = "enum"
		if ft.GetType() == mysql.TypeSet {
			t.Name = "set"
		}
		t.Elems = append([]string(nil), ft.GetElems()...)
	default:
		t.Name = strings.ToLower(types.TypeToStr(ft.GetType(), ""))
	}
	if !isCharType(t.Name) {
		return t
	}
	// Character columns: explicit charset/collation, else the table's.
	co := explicitCollate
	if co == "" {
		co = ft.GetCollate()
	}
	if normCollation(co) == "binary" {
		binaryCS = true
	}
	if binaryCS && textual {
		switch t.Name {
		case "char":
			t.Name = "binary"
		case "varchar":
			t.Name = "varbinary"
		default:
			t.Name = strings.Replace(t.Name, "text", "blob", 1)
		}
		if strings.HasSuffix(t.Name, "blob") {
			t.Name = blobSize(t.Name, ft.GetFlen(), 1)
		}
		return t
	}
	t.Charset, t.Collation = resolveCharset(cs, co, f, tcs, tco)
	if mysql.HasBinaryFlag(flag) && t.Charset != "" && !binaryCS {
		// CHAR(n) BINARY: the charset's binary collation.
		t.Collation = t.Charset + "_bin"
	}
	if strings.HasSuffix(t.Name, "text") {
		t.Name = blobSize(t.Name, ft.GetFlen(), maxLen(t.Charset))
	}
	return t
}

// blobSize applies TEXT(n)/BLOB(n): MySQL picks the smallest type that
// holds n characters.
func blobSize(name string, flen, mbMax int) string {
	if flen <= 0 {
		return name
	}
	return textTypeFor(flen*mbMax, strings.HasSuffix(name, "blob"))
}

// jsonCapable reports whether a column of this type can be marked JSON by
// a json_valid check: the text types (MySQL's JSON is JSON anyway). Binary
// types are left out: their values are bytes, not text.
func jsonCapable(name string) bool {
	switch name {
	case "json", "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
		return true
	}
	return false
}
