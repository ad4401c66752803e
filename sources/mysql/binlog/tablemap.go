package binlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// TableMapEvent is TABLE_MAP (type 19): it binds a table id to a table's
// name and column layout for the rows events that follow.
//
//	offset size field
//	0      6    table_id (4 bytes when the FDE's post-header length for TABLE_MAP is 6: pre-5.1.4 sources)
//	6      2    flags
//	8      1    schema name length n (MySQL 8 reads it as a packed integer; names are < 251 bytes)
//	9      n+1  schema name, NUL terminated
//	...    1    table name length m
//	...    m+1  table name, NUL terminated
//	...    p    column count c (packed integer)
//	...    c    column type codes, one byte each
//	...    p    metadata length k (packed integer)    } absent in the earliest 5.1
//	...    k    per-column metadata (see metadataLen) } layout (5.1.0-5.1.17)
//	...    (c+7)/8  nullability bitmap, bit i = column i may be NULL (LSB first)
//	...    rest optional metadata (MySQL 8.0.1+, MariaDB 10.5+), a sequence of
//	            1 byte code, packed length, value (see TableMetadata)
type TableMapEvent struct {
	TableID     uint64
	Flags       uint16
	Schema      string
	Table       string
	ColumnCount int
	// ColumnTypes, ColumnMeta, NullBitmap and OptionalMetadata are the
	// raw fields (copies owned by the event: a table map outlives the
	// buffer it came in).
	ColumnTypes      []byte
	ColumnMeta       []byte
	NullBitmap       []byte
	OptionalMetadata []byte
	// Metadata is the decoded optional metadata.
	Metadata TableMetadata

	columns    []Column
	jsonCount  int // JSON columns, which PARTIAL_UPDATE_ROWS' partial bitmap covers
	body       []byte
	decodedFor Flavor
}

// maxTableColumns is MySQL's and MariaDB's limit on the columns of a table
// (MAX_FIELDS); a larger count can only be corruption.
const maxTableColumns = 4096

// Table map flags (TM_*_F).
const (
	TableMapFlagBitLenExact    uint16 = 0x0001 // TM_BIT_LEN_EXACT_F
	TableMapFlagReferredFKDB   uint16 = 0x0002 // TM_REFERRED_FK_DB_F
	TableMapFlagGeneratedInvPK uint16 = 0x0004 // TM_GENERATED_INVISIBLE_PK_F (8.0.30+)
)

// Optional metadata field codes (MySQL Table_map_event::
// Optional_metadata_field_type; MariaDB uses the same numbers for the ones
// it writes).
const (
	MetaSignedness               = 1
	MetaDefaultCharset           = 2
	MetaColumnCharset            = 3
	MetaColumnName               = 4
	MetaSetStrValue              = 5
	MetaEnumStrValue             = 6
	MetaGeometryType             = 7
	MetaSimplePrimaryKey         = 8
	MetaPrimaryKeyWithPrefix     = 9
	MetaEnumAndSetDefaultCharset = 10
	MetaEnumAndSetColumnCharset  = 11
	MetaColumnVisibility         = 12
	MetaVectorDimensionality     = 13
)

var metaFieldNames = [...]string{"", "SIGNEDNESS", "DEFAULT_CHARSET", "COLUMN_CHARSET", "COLUMN_NAME",
	"SET_STR_VALUE", "ENUM_STR_VALUE", "GEOMETRY_TYPE", "SIMPLE_PRIMARY_KEY", "PRIMARY_KEY_WITH_PREFIX",
	"ENUM_AND_SET_DEFAULT_CHARSET", "ENUM_AND_SET_COLUMN_CHARSET", "COLUMN_VISIBILITY", "VECTOR_DIMENSIONALITY"}

func metaFieldName(code byte) string {
	if int(code) < len(metaFieldNames) && code != 0 {
		return metaFieldNames[code]
	}
	return "optional metadata " + strconv.Itoa(int(code))
}

// TableMetadata is the optional metadata of a TABLE_MAP
// (binlog_row_metadata=MINIMAL writes codes 1-3, 7, 8/9 and 12-13 as
// applicable; FULL adds names and ENUM/SET labels). Each value layout:
//
//	code field                          value
//	1    SIGNEDNESS                     bitmap, MSB first, one bit per numeric column: 1 = UNSIGNED
//	2    DEFAULT_CHARSET                packed default collation, then pairs (packed index among character columns, packed collation) for columns that differ
//	3    COLUMN_CHARSET                 packed collation per character column
//	4    COLUMN_NAME                    per column: packed length, name
//	5    SET_STR_VALUE                  per SET column: packed count, then count × (packed length, label)
//	6    ENUM_STR_VALUE                 per ENUM column: as SET_STR_VALUE
//	7    GEOMETRY_TYPE                  packed geometry type per GEOMETRY column
//	8    SIMPLE_PRIMARY_KEY             packed column index per key part
//	9    PRIMARY_KEY_WITH_PREFIX        pairs (packed column index, packed prefix length; 0 = whole column)
//	10   ENUM_AND_SET_DEFAULT_CHARSET   as DEFAULT_CHARSET, over ENUM and SET columns
//	11   ENUM_AND_SET_COLUMN_CHARSET    as COLUMN_CHARSET, over ENUM and SET columns
//	12   COLUMN_VISIBILITY              bitmap, MSB first, one bit per column: 1 = visible
//	13   VECTOR_DIMENSIONALITY          packed dimension count per VECTOR column
//
// "Character columns" are CHAR, VARCHAR, TEXT and BLOB (plus GEOMETRY on
// MariaDB and VECTOR on MySQL 9), not ENUM or SET; "numeric columns" are the
// integer types, FLOAT, DOUBLE and DECIMAL. Unknown codes are skipped.
type TableMetadata struct {
	Signedness                []bool // per numeric column
	DefaultCollation          uint32
	CollationOverrides        []ColumnCollation // index counts character columns only
	ColumnCollations          []uint32          // per character column
	ColumnNames               []string
	SetValues                 [][]string // per SET column
	EnumValues                [][]string // per ENUM column
	GeometryTypes             []uint32   // per GEOMETRY column
	PrimaryKey                []PrimaryKeyPart
	EnumSetDefaultCollation   uint32
	EnumSetCollationOverrides []ColumnCollation
	EnumSetColumnCollations   []uint32
	ColumnVisibility          []bool
	VectorDimensions          []uint32 // per VECTOR column
	// Present has bit 1<<code set for each code seen.
	Present uint64
	Unknown []UnknownMetadata
}

// Has reports whether the optional metadata field code was present.
func (m *TableMetadata) Has(code int) bool { return code < 64 && m.Present&(1<<code) != 0 }

// ColumnCollation is one DEFAULT_CHARSET exception.
type ColumnCollation struct {
	Index     int // among character (or ENUM/SET) columns, not among all columns
	Collation uint32
}

// PrimaryKeyPart is a column of the primary key; Prefix is the indexed
// prefix length, 0 for the whole column.
type PrimaryKeyPart struct {
	Column int
	Prefix int
}

// UnknownMetadata is an optional metadata field this package does not know.
type UnknownMetadata struct {
	Code byte
	Data []byte
}

// Column describes one column of a table map, combining its type code,
// metadata and whatever optional metadata the server wrote.
type Column struct {
	Index int
	// Name is "" when the server did not log names
	// (binlog_row_metadata=MINIMAL); see ColumnLabel.
	Name string
	// Type is the code in the TABLE_MAP; RealType differs only for
	// ENUM and SET, which the TABLE_MAP writes as STRING.
	Type     ColumnType
	RealType ColumnType
	// Meta is the type metadata as MySQL's table_def holds it: for
	// STRING/ENUM/SET and NEWDECIMAL the first metadata byte is the high
	// byte; for VARCHAR and BIT the two bytes are little-endian (BIT:
	// bits % 8 in the low byte, whole bytes in the high byte).
	Meta     uint16
	Nullable bool
	// Unsigned is known only when HasSignedness (SIGNEDNESS metadata);
	// otherwise integers are read as signed.
	Unsigned      bool
	HasSignedness bool
	// Collation is the collation id (0 when unknown); Charset follows
	// from it. Binary strings (BINARY, VARBINARY, BLOB) have collation 63.
	Collation uint32
	Charset   Charset
	// EnumValues / SetValues are the labels of ENUM / SET columns
	// (binlog_row_metadata=FULL only).
	EnumValues []string
	SetValues  []string
	// GeometryType is the GEOMETRY_TYPE code (0 GEOMETRY, 1 POINT, 2
	// LINESTRING, 3 POLYGON, 4 MULTIPOINT, 5 MULTILINESTRING, 6
	// MULTIPOLYGON, 7 GEOMETRYCOLLECTION) when HasGeometryType.
	GeometryType    uint32
	HasGeometryType bool
	// Visible is false only for columns COLUMN_VISIBILITY marks invisible.
	Visible          bool
	PrimaryKey       bool
	PrimaryKeyPrefix int
	// VectorDimensions is the VECTOR column's dimension count, 0 unknown.
	VectorDimensions int
	// labelsUTF8 marks ENUM/SET labels that came from a schema tracker
	// (WithSchema), already UTF-8, rather than the TABLE_MAP's bytes in the
	// column charset.
	labelsUTF8 bool

	// Derived from Meta:
	// Length is the maximum byte length of CHAR/BINARY/VARCHAR, the
	// byte width of ENUM (1-2) and SET (1-8) values, and the width of the
	// length prefix of BLOB/TEXT/JSON/GEOMETRY/VECTOR values (1-4).
	Length    int
	Precision int // NEWDECIMAL
	Scale     int // NEWDECIMAL
	FSP       int // fractional-second digits of TIME2/DATETIME2/TIMESTAMP2
	Bits      int // BIT width

	op valueOp
}

// ColumnLabel returns the column's name, or "@N" (1-based) when the server
// did not log names, as mysqlbinlog prints them.
func (t *TableMapEvent) ColumnLabel(i int) string {
	if i >= 0 && i < len(t.columns) && t.columns[i].Name != "" {
		return t.columns[i].Name
	}
	return "@" + strconv.Itoa(i+1)
}

// Columns returns the per-column view, built once when the event was
// decoded. The caller must not modify it.
func (t *TableMapEvent) Columns() []Column { return t.columns }

// Column returns column i, or nil when out of range.
func (t *TableMapEvent) Column(i int) *Column {
	if i < 0 || i >= len(t.columns) {
		return nil
	}
	return &t.columns[i]
}

// Binary reports whether the column holds bytes rather than text: a
// BINARY/VARBINARY/BLOB column (collation 63), or a type that is never text.
// Without charset metadata a string column is not known to be binary.
func (c *Column) Binary() bool {
	switch c.RealType {
	case TypeGeometry, TypeVector, TypeBit:
		return true
	}
	return c.Charset == CharsetBinary
}

func (e *TableMapEvent) decode(d *Decoder, h *Header, data []byte) error {
	// Table maps repeat before every transaction's rows events; when the
	// bytes match the map already known for this id, reuse its decoding.
	if len(data) >= 6 {
		if prev := d.tables[e.peekTableID(d, data)]; prev != nil && prev.decodedFor == d.format.Flavor && bytes.Equal(prev.body, data) {
			*e = *prev
			return nil
		}
	}
	body := bytes.Clone(data)
	if err := e.parse(d.format, body); err != nil {
		return err
	}
	d.tables[e.TableID] = e
	return nil
}

func (e *TableMapEvent) peekTableID(d *Decoder, data []byte) uint64 {
	if d.format.PostHeaderLen(TableMapEventType, 8) == 6 {
		return uint64(le32(data))
	}
	return uint64(le32(data)) | uint64(data[4])<<32 | uint64(data[5])<<40
}

// parse decodes body, which the event owns.
func (e *TableMapEvent) parse(f *Format, body []byte) error {
	*e = TableMapEvent{body: body, decodedFor: f.Flavor}
	c := newCursor(body)
	if f.PostHeaderLen(TableMapEventType, 8) == 6 {
		e.TableID = uint64(c.u32("table_id"))
	} else {
		e.TableID = c.u48("table_id")
	}
	e.Flags = c.u16("flags")
	schemaLen := c.u8("schema name length")
	e.Schema = string(c.bytes(int(schemaLen), "schema name"))
	c.skip(1, "schema name terminator")
	tableLen := c.u8("table name length")
	e.Table = string(c.bytes(int(tableLen), "table name"))
	c.skip(1, "table name terminator")
	count, _ := c.lenenc("column count")
	if c.err != nil {
		return c.err
	}
	if count > uint64(c.remaining()) {
		return fmt.Errorf("column count %d at offset %d exceeds the %d bytes left for column types", count, c.pos, c.remaining())
	}
	if count > maxTableColumns {
		return fmt.Errorf("column count %d at offset %d exceeds the servers' limit of %d columns", count, c.pos, maxTableColumns)
	}
	e.ColumnCount = int(count)
	e.ColumnTypes = c.bytes(e.ColumnCount, "column types")
	if c.remaining() > 0 {
		metaLen, _ := c.lenenc("metadata length")
		if c.err != nil {
			return c.err
		}
		if metaLen > uint64(c.remaining()) {
			return fmt.Errorf("metadata length %d at offset %d exceeds the %d bytes left", metaLen, c.pos, c.remaining())
		}
		e.ColumnMeta = c.bytes(int(metaLen), "column metadata")
		e.NullBitmap = c.bytes((e.ColumnCount+7)/8, "null bitmap")
		if c.err != nil {
			return c.err
		}
	}
	e.OptionalMetadata = c.rest()
	if err := e.Metadata.parse(e.OptionalMetadata); err != nil {
		return err
	}
	return e.buildColumns(f.Flavor)
}

// parse decodes the optional metadata TLV sequence.
func (m *TableMetadata) parse(b []byte) error {
	c := newCursor(b)
	for c.remaining() > 0 {
		start := c.pos
		code := c.u8("optional metadata type")
		n, _ := c.lenenc("optional metadata length")
		if c.err != nil {
			return c.err
		}
		if n > uint64(c.remaining()) {
			return fmt.Errorf("%s at optional metadata offset %d: length %d exceeds the %d bytes left", metaFieldName(code), start, n, c.remaining())
		}
		val := c.bytes(int(n), "optional metadata value")
		if code < 64 {
			m.Present |= 1 << code
		}
		if err := m.parseField(code, val); err != nil {
			return fmt.Errorf("%s at optional metadata offset %d: %w", metaFieldName(code), start, err)
		}
	}
	return nil
}

func parseBitmapMSB(b []byte) []bool {
	out := make([]bool, 0, len(b)*8)
	for _, x := range b {
		for mask := byte(0x80); mask != 0; mask >>= 1 {
			out = append(out, x&mask != 0)
		}
	}
	return out
}

func (m *TableMetadata) parseField(code byte, val []byte) error {
	c := newCursor(val)
	packed := func(what string) uint64 {
		v, null := c.lenenc(what)
		if null && c.err == nil {
			c.err = fmt.Errorf("%s at offset %d: NULL marker where a number belongs", what, c.pos-1)
		}
		return v
	}
	collations := func() []uint32 {
		var out []uint32
		for c.remaining() > 0 && c.err == nil {
			out = append(out, uint32(packed("collation")))
		}
		return out
	}
	defaultCharset := func() (uint32, []ColumnCollation) {
		def := uint32(packed("default collation"))
		var pairs []ColumnCollation
		for c.remaining() > 0 && c.err == nil {
			idx := packed("column index")
			coll := packed("collation")
			if idx > 1<<20 {
				c.err = fmt.Errorf("column index %d is out of range", idx)
			}
			pairs = append(pairs, ColumnCollation{Index: int(idx), Collation: uint32(coll)})
		}
		return def, pairs
	}
	strList := func(what string) []string {
		var out []string
		for c.remaining() > 0 && c.err == nil {
			n := packed(what + " length")
			if c.err != nil {
				break
			}
			if n > uint64(c.remaining()) {
				c.fail(int(min(n, 1<<31)), what)
				break
			}
			out = append(out, string(c.bytes(int(n), what)))
		}
		return out
	}
	labels := func(what string) [][]string {
		var out [][]string
		for c.remaining() > 0 && c.err == nil {
			count := packed(what + " count")
			if count > uint64(c.remaining()) { // every label takes at least one byte
				c.err = fmt.Errorf("%s count %d exceeds the %d bytes left", what, count, c.remaining())
				break
			}
			list := make([]string, 0, count)
			for range count {
				n := packed(what + " length")
				if c.err != nil {
					break
				}
				if n > uint64(c.remaining()) {
					c.fail(int(min(n, 1<<31)), what)
					break
				}
				list = append(list, string(c.bytes(int(n), what)))
			}
			out = append(out, list)
		}
		return out
	}
	switch code {
	case MetaSignedness:
		m.Signedness = parseBitmapMSB(val)
	case MetaDefaultCharset:
		m.DefaultCollation, m.CollationOverrides = defaultCharset()
	case MetaColumnCharset:
		m.ColumnCollations = collations()
	case MetaColumnName:
		m.ColumnNames = strList("column name")
	case MetaSetStrValue:
		m.SetValues = labels("SET label")
	case MetaEnumStrValue:
		m.EnumValues = labels("ENUM label")
	case MetaGeometryType:
		m.GeometryTypes = collations()
	case MetaSimplePrimaryKey:
		for c.remaining() > 0 && c.err == nil {
			m.PrimaryKey = append(m.PrimaryKey, PrimaryKeyPart{Column: int(min(packed("key column"), 1<<31))})
		}
	case MetaPrimaryKeyWithPrefix:
		for c.remaining() > 0 && c.err == nil {
			col := packed("key column")
			prefix := packed("key prefix")
			m.PrimaryKey = append(m.PrimaryKey, PrimaryKeyPart{Column: int(min(col, 1<<31)), Prefix: int(min(prefix, 1<<31))})
		}
	case MetaEnumAndSetDefaultCharset:
		m.EnumSetDefaultCollation, m.EnumSetCollationOverrides = defaultCharset()
	case MetaEnumAndSetColumnCharset:
		m.EnumSetColumnCollations = collations()
	case MetaColumnVisibility:
		m.ColumnVisibility = parseBitmapMSB(val)
	case MetaVectorDimensionality:
		m.VectorDimensions = collations()
	default:
		m.Unknown = append(m.Unknown, UnknownMetadata{Code: code, Data: val})
	}
	return c.err
}

// buildColumns combines types, metadata and optional metadata into the
// per-column view and the decode plan for row values.
func (e *TableMapEvent) buildColumns(fl Flavor) error {
	cols := make([]Column, e.ColumnCount)
	meta := newCursor(e.ColumnMeta)
	m := &e.Metadata
	var numeric, character, enumSet, enums, sets, geoms, vectors int
	for i := range cols {
		col := &cols[i]
		col.Index = i
		col.Type = ColumnType(e.ColumnTypes[i])
		col.RealType = col.Type
		col.Visible = true
		col.Nullable = e.NullBitmap == nil || (i/8 < len(e.NullBitmap) && e.NullBitmap[i/8]&(1<<(i%8)) != 0)
		if e.ColumnMeta != nil {
			n := metadataLen(col.Type)
			if n < 0 {
				return fmt.Errorf("column %d: type %s has no known metadata size, so the metadata block cannot be read", i+1, col.Type)
			}
			at := meta.pos
			switch n {
			case 1:
				col.Meta = uint16(meta.u8("column metadata"))
			case 2:
				b := meta.bytes(2, "column metadata")
				if b != nil {
					if col.Type == TypeVarchar || col.Type == TypeVarString || col.Type == TypeMariaVarcharCompressed || col.Type == TypeBit {
						col.Meta = uint16(b[0]) | uint16(b[1])<<8
					} else {
						col.Meta = uint16(b[0])<<8 | uint16(b[1])
					}
				}
			}
			if meta.err != nil {
				return fmt.Errorf("column %d (%s): metadata at offset %d: %w", i+1, col.Type, at, meta.err)
			}
		}
		col.deriveFromMeta()

		// MariaDB's SIGNEDNESS bitmap also has a bit for YEAR (its YEAR
		// field is an unsigned TINYINT underneath); MySQL's does not. Missing
		// it shifts the signedness of every numeric column after a YEAR.
		if isNumericType(col.RealType) || (fl == FlavorMariaDB && col.RealType == TypeYear) {
			if numeric < len(m.Signedness) {
				col.Unsigned, col.HasSignedness = m.Signedness[numeric], true
			}
			numeric++
		}
		if isCharacterType(col.RealType, fl) {
			col.Collation = pickCollation(character, m.DefaultCollation, m.CollationOverrides, m.ColumnCollations, m.Has(MetaDefaultCharset))
			character++
		}
		if isEnumOrSet(col.RealType) {
			col.Collation = pickCollation(enumSet, m.EnumSetDefaultCollation, m.EnumSetCollationOverrides, m.EnumSetColumnCollations, m.Has(MetaEnumAndSetDefaultCharset))
			enumSet++
		}
		col.Charset = CollationCharset(col.Collation)
		switch col.RealType {
		case TypeEnum:
			if enums < len(m.EnumValues) {
				col.EnumValues = m.EnumValues[enums]
			}
			enums++
		case TypeSet:
			if sets < len(m.SetValues) {
				col.SetValues = m.SetValues[sets]
			}
			sets++
		case TypeGeometry:
			if geoms < len(m.GeometryTypes) {
				col.GeometryType, col.HasGeometryType = m.GeometryTypes[geoms], true
			}
			geoms++
		case TypeVector:
			if vectors < len(m.VectorDimensions) {
				col.VectorDimensions = int(min(m.VectorDimensions[vectors], 1<<24))
			}
			vectors++
		case TypeJSON:
			e.jsonCount++
		}
		if i < len(m.ColumnNames) {
			col.Name = m.ColumnNames[i]
		}
		if i < len(m.ColumnVisibility) {
			col.Visible = m.ColumnVisibility[i]
		}
		if e.ColumnMeta == nil && metadataLen(col.Type) != 0 {
			col.op = opNoMetadata
		} else {
			col.op = planValue(col) // after signedness is known
		}
	}
	for _, pk := range m.PrimaryKey {
		if pk.Column >= 0 && pk.Column < len(cols) {
			cols[pk.Column].PrimaryKey = true
			cols[pk.Column].PrimaryKeyPrefix = pk.Prefix
		}
	}
	e.columns = cols
	return nil
}

// pickCollation returns the collation of the n-th character (or ENUM/SET)
// column from DEFAULT_CHARSET-style or COLUMN_CHARSET-style metadata.
func pickCollation(n int, def uint32, overrides []ColumnCollation, perColumn []uint32, hasDefault bool) uint32 {
	if n < len(perColumn) {
		return perColumn[n]
	}
	for _, o := range overrides {
		if o.Index == n {
			return o.Collation
		}
	}
	if hasDefault {
		return def
	}
	return 0
}

// deriveFromMeta fills the real type and lengths from Meta.
func (c *Column) deriveFromMeta() {
	m := int(c.Meta)
	switch c.Type {
	case TypeString, TypeEnum, TypeSet:
		hi, lo := m>>8, m&0xff
		if c.Type == TypeString && hi != 0 {
			if hi&0x30 != 0x30 {
				// CHAR longer than 255 bytes: the two high bits of
				// the length are stored, inverted, in bits 4-5 of
				// the type byte (MySQL bug #37426).
				c.RealType = ColumnType(hi | 0x30)
				c.Length = lo | ((hi&0x30)^0x30)<<4
			} else {
				c.RealType = ColumnType(hi)
				c.Length = lo
			}
		} else {
			c.Length = lo
		}
	case TypeVarchar, TypeVarString, TypeMariaVarcharCompressed:
		c.Length = m
	case TypeBlob, TypeTinyBlob, TypeMediumBlob, TypeLongBlob, TypeGeometry, TypeJSON, TypeVector, TypeMariaBlobCompressed:
		c.Length = m
	case TypeNewDecimal:
		c.Precision, c.Scale = m>>8, m&0xff
	case TypeTime2, TypeDateTime2, TypeTimestamp2:
		c.FSP = m
	case TypeBit:
		c.Bits = (m>>8)*8 + m&0xff
	}
}

// MarshalJSON renders the table map with its per-column metadata.
func (t *TableMapEvent) MarshalJSON() ([]byte, error) {
	type colJSON struct {
		Name             string   `json:"name"`
		Type             string   `json:"type"`
		RealType         string   `json:"real_type,omitempty"`
		Meta             uint16   `json:"meta"`
		Nullable         bool     `json:"nullable"`
		Unsigned         *bool    `json:"unsigned,omitempty"`
		Collation        uint32   `json:"collation,omitempty"`
		Charset          string   `json:"charset,omitempty"`
		EnumValues       []string `json:"enum_values,omitempty"`
		SetValues        []string `json:"set_values,omitempty"`
		GeometryType     *uint32  `json:"geometry_type,omitempty"`
		Visible          bool     `json:"visible"`
		PrimaryKey       bool     `json:"primary_key,omitempty"`
		PrimaryKeyPrefix int      `json:"primary_key_prefix,omitempty"`
		VectorDimensions int      `json:"vector_dimensions,omitempty"`
	}
	cols := make([]colJSON, len(t.columns))
	for i := range t.columns {
		c := &t.columns[i]
		cj := colJSON{Name: t.ColumnLabel(i), Type: c.Type.String(), Meta: c.Meta, Nullable: c.Nullable,
			Collation: c.Collation, Charset: c.Charset.String(), EnumValues: c.EnumValues, SetValues: c.SetValues,
			Visible: c.Visible, PrimaryKey: c.PrimaryKey, PrimaryKeyPrefix: c.PrimaryKeyPrefix, VectorDimensions: c.VectorDimensions}
		if c.RealType != c.Type {
			cj.RealType = c.RealType.String()
		}
		if c.HasSignedness {
			u := c.Unsigned
			cj.Unsigned = &u
		}
		if c.HasGeometryType {
			g := c.GeometryType
			cj.GeometryType = &g
		}
		cols[i] = cj
	}
	// "table" has the same shape as in rows events, so one filter
	// (.table.name) selects both.
	type tableJSON struct {
		Schema string `json:"schema"`
		Name   string `json:"name"`
	}
	return json.Marshal(struct {
		TableID uint64    `json:"table_id"`
		Flags   uint16    `json:"flags"`
		Table   tableJSON `json:"table"`
		Columns []colJSON `json:"columns"`
	}{t.TableID, t.Flags, tableJSON{t.Schema, t.Table}, cols})
}
