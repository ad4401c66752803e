package binlog

import "strconv"

// ColumnType is a column type code as written in a TABLE_MAP event
// (enum_field_types in MySQL's field_types.h, plus MariaDB's additions).
type ColumnType uint8

// Column type codes. ENUM and SET columns are written as STRING in the
// TABLE_MAP, with the real type in the first metadata byte; Column.RealType
// carries it.
const (
	TypeDecimal    ColumnType = 0 // pre-5.0 DECIMAL stored as text; no binlog metadata
	TypeTiny       ColumnType = 1
	TypeShort      ColumnType = 2
	TypeLong       ColumnType = 3
	TypeFloat      ColumnType = 4
	TypeDouble     ColumnType = 5
	TypeNull       ColumnType = 6
	TypeTimestamp  ColumnType = 7
	TypeLongLong   ColumnType = 8
	TypeInt24      ColumnType = 9
	TypeDate       ColumnType = 10
	TypeTime       ColumnType = 11 // pre-5.6 TIME: HHMMSS as an integer
	TypeDateTime   ColumnType = 12 // pre-5.6 DATETIME: YYYYMMDDhhmmss as an integer
	TypeYear       ColumnType = 13
	TypeNewDate    ColumnType = 14
	TypeVarchar    ColumnType = 15
	TypeBit        ColumnType = 16
	TypeTimestamp2 ColumnType = 17
	TypeDateTime2  ColumnType = 18
	TypeTime2      ColumnType = 19
	TypeTypedArray ColumnType = 20 // MySQL 8 multi-valued index helper; never in row images

	// MariaDB compressed columns (COMPRESSED attribute, MariaDB 10.3+).
	TypeMariaBlobCompressed    ColumnType = 140
	TypeMariaVarcharCompressed ColumnType = 141

	TypeVector     ColumnType = 242 // MySQL 9
	TypeInvalid    ColumnType = 243
	TypeBool       ColumnType = 244 // reserved, never written
	TypeJSON       ColumnType = 245
	TypeNewDecimal ColumnType = 246
	TypeEnum       ColumnType = 247
	TypeSet        ColumnType = 248
	TypeTinyBlob   ColumnType = 249
	TypeMediumBlob ColumnType = 250
	TypeLongBlob   ColumnType = 251
	TypeBlob       ColumnType = 252
	TypeVarString  ColumnType = 253
	TypeString     ColumnType = 254
	TypeGeometry   ColumnType = 255
)

var columnTypeNames = [256]string{
	TypeDecimal: "DECIMAL", TypeTiny: "TINY", TypeShort: "SHORT", TypeLong: "LONG",
	TypeFloat: "FLOAT", TypeDouble: "DOUBLE", TypeNull: "NULL", TypeTimestamp: "TIMESTAMP",
	TypeLongLong: "LONGLONG", TypeInt24: "INT24", TypeDate: "DATE", TypeTime: "TIME",
	TypeDateTime: "DATETIME", TypeYear: "YEAR", TypeNewDate: "NEWDATE", TypeVarchar: "VARCHAR",
	TypeBit: "BIT", TypeTimestamp2: "TIMESTAMP2", TypeDateTime2: "DATETIME2", TypeTime2: "TIME2",
	TypeTypedArray: "TYPED_ARRAY", TypeMariaBlobCompressed: "BLOB_COMPRESSED",
	TypeMariaVarcharCompressed: "VARCHAR_COMPRESSED", TypeVector: "VECTOR", TypeInvalid: "INVALID",
	TypeBool: "BOOL", TypeJSON: "JSON", TypeNewDecimal: "NEWDECIMAL", TypeEnum: "ENUM", TypeSet: "SET",
	TypeTinyBlob: "TINY_BLOB", TypeMediumBlob: "MEDIUM_BLOB", TypeLongBlob: "LONG_BLOB",
	TypeBlob: "BLOB", TypeVarString: "VAR_STRING", TypeString: "STRING", TypeGeometry: "GEOMETRY",
}

func (t ColumnType) String() string {
	if s := columnTypeNames[t]; s != "" {
		return s
	}
	return "TYPE_" + strconv.Itoa(int(t))
}

// metadataLen returns how many bytes of TABLE_MAP metadata a column of type
// t carries (MySQL Field::do_save_field_metadata and MariaDB's
// equivalents), or -1 for a type whose metadata size is unknown, after
// which the rest of the metadata block cannot be assigned to columns.
//
//	type                                            bytes  content
//	FLOAT DOUBLE                                    1      pack length (4 or 8)
//	BLOB family, GEOMETRY, JSON, VECTOR             1      length-prefix width (1..4)
//	TIME2 DATETIME2 TIMESTAMP2                      1      fractional digits (0..6)
//	VARCHAR VAR_STRING                              2      max length in bytes, little-endian
//	STRING ENUM SET                                 2      real type, length (see Column.Length)
//	BIT                                             2      bits % 8, bits / 8
//	NEWDECIMAL                                      2      precision, scale
//	MariaDB BLOB_COMPRESSED / VARCHAR_COMPRESSED    1 / 2  as BLOB / VARCHAR
//	all others                                      0
func metadataLen(t ColumnType) int {
	switch t {
	case TypeFloat, TypeDouble, TypeBlob, TypeTinyBlob, TypeMediumBlob, TypeLongBlob,
		TypeGeometry, TypeJSON, TypeVector, TypeTime2, TypeDateTime2, TypeTimestamp2,
		TypeMariaBlobCompressed:
		return 1
	case TypeVarchar, TypeVarString, TypeString, TypeEnum, TypeSet, TypeBit, TypeNewDecimal,
		TypeMariaVarcharCompressed:
		return 2
	case TypeDecimal, TypeTiny, TypeShort, TypeLong, TypeNull, TypeTimestamp, TypeLongLong,
		TypeInt24, TypeDate, TypeTime, TypeDateTime, TypeYear, TypeNewDate, TypeBool:
		return 0
	}
	return -1
}

// isNumericType reports whether SIGNEDNESS metadata has a bit for a column
// of this type (MySQL and MariaDB is_numeric_type).
func isNumericType(t ColumnType) bool {
	switch t {
	case TypeTiny, TypeShort, TypeInt24, TypeLong, TypeLongLong, TypeNewDecimal, TypeFloat, TypeDouble:
		return true
	}
	return false
}

// isCharacterType reports whether DEFAULT_CHARSET / COLUMN_CHARSET list a
// collation for a column of this real type. The servers disagree: MySQL
// counts VECTOR (9.x) and not GEOMETRY; MariaDB counts GEOMETRY, whose
// field class derives from BLOB.
func isCharacterType(t ColumnType, fl Flavor) bool {
	switch t {
	case TypeString, TypeVarString, TypeVarchar, TypeBlob, TypeTinyBlob, TypeMediumBlob, TypeLongBlob:
		return true
	case TypeGeometry, TypeMariaBlobCompressed, TypeMariaVarcharCompressed:
		// MariaDB lists a collation for its compressed columns too
		// (seen in a real 10.11 binlog: utf8mb4, latin1 and binary ones).
		return fl == FlavorMariaDB
	case TypeVector:
		return fl == FlavorMySQL
	}
	return false
}

func isEnumOrSet(t ColumnType) bool { return t == TypeEnum || t == TypeSet }
