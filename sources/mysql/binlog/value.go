package binlog

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/seed5aa6e046/syncer/internal/jsontext"
)

// Kind says what a Value holds.
type Kind uint8

const (
	// KindAbsent: the column is not part of this row image (its bit in the
	// rows event's column bitmap is clear). The zero Value is absent.
	KindAbsent Kind = iota
	KindNull
	KindInt     // TINY..LONGLONG signed (and integers whose signedness is unknown)
	KindUint    // TINY..LONGLONG UNSIGNED
	KindFloat32 // FLOAT
	KindFloat64 // DOUBLE
	KindDecimal // NEWDECIMAL, kept in its binary form; see AppendDecimal
	KindBit     // BIT(n), up to 64 bits
	KindYear
	KindDate      // DATE, NEWDATE
	KindTime      // TIME, TIME2 (may be negative, hours up to 838 or more)
	KindDateTime  // DATETIME, DATETIME2
	KindTimestamp // TIMESTAMP, TIMESTAMP2: seconds since the epoch, UTC
	KindString    // CHAR, VARCHAR, TEXT in the column's charset
	KindBytes     // BINARY, VARBINARY, BLOB (collation binary)
	KindEnum      // 1-based index; 0 is the empty error value
	KindSet       // bitmask
	KindJSON      // MySQL binary JSON
	KindJSONDiff  // PARTIAL_UPDATE_ROWS after-image: a JSON diff vector
	KindJSONText  // JSON text (an after-image rebuilt from a diff)
	KindGeometry  // 4-byte SRID (little-endian) + WKB
	KindVector    // MySQL 9 VECTOR: little-endian float32s
)

var kindNames = [...]string{"absent", "null", "int", "uint", "float32", "float64", "decimal", "bit", "year",
	"date", "time", "datetime", "timestamp", "string", "bytes", "enum", "set", "json", "json_diff", "json_text",
	"geometry", "vector"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind" + strconv.Itoa(int(k))
}

// Value is one column value of one row image. It holds fixed-width values
// inline and variable-width ones as a sub-slice of the event (or of the row
// iterator's scratch space), so decoding allocates nothing per value.
//
// Lifetime: a Value is valid until the RowIterator that produced it moves to
// the next row, and while the event's bytes are unchanged. Copy what must
// live longer (Clone).
type Value struct {
	col      *Column
	raw      []byte
	bits     uint64 // integer bits, float bits, BIT, YEAR, ENUM index, SET mask, TIMESTAMP seconds
	micro    uint32 // fractional seconds, in microseconds
	year     uint16
	hour     uint16
	kind     Kind
	month    uint8
	day      uint8
	minute   uint8
	second   uint8
	negative bool // TIME before zero
}

// Kind returns what the value holds.
func (v *Value) Kind() Kind { return v.kind }

// Column returns the column the value belongs to (nil for an absent value).
func (v *Value) Column() *Column { return v.col }

// IsNull reports an SQL NULL.
func (v *Value) IsNull() bool { return v.kind == KindNull }

// Present reports whether the column is part of the row image.
func (v *Value) Present() bool { return v.kind != KindAbsent }

// Int64 returns integer-like values (KindInt, KindUint, KindBit, KindYear,
// KindEnum, KindSet, KindTimestamp seconds) as an int64; unsigned values
// above MaxInt64 wrap, use Uint64 for those.
func (v *Value) Int64() int64 { return int64(v.bits) }

// Uint64 returns the bits of integer-like values as a uint64.
func (v *Value) Uint64() uint64 { return v.bits }

// Float64 returns FLOAT and DOUBLE values, and integers converted.
func (v *Value) Float64() float64 {
	switch v.kind {
	case KindFloat32:
		return float64(math.Float32frombits(uint32(v.bits)))
	case KindFloat64:
		return math.Float64frombits(v.bits)
	case KindInt:
		return float64(int64(v.bits))
	}
	return float64(v.bits)
}

// Bytes returns the raw bytes of variable-width values: text in the
// column's charset, binary strings (BINARY(n) re-padded to n), binary
// decimal, binary JSON, JSON diff, geometry, vector.
func (v *Value) Bytes() []byte { return v.raw }

// AppendText appends a text value (KindString, or an ENUM label) converted
// to UTF-8 from the column charset. ok is false when the value is not
// text, or its bytes do not convert (binary data, an unknown charset with
// bytes that are not UTF-8); dst is then returned unchanged.
func (v *Value) AppendText(dst []byte) (out []byte, ok bool) {
	switch v.kind {
	case KindString:
		cs := v.col.Charset
		if cs == CharsetUnknown {
			cs = CharsetUTF8MB4 // no metadata: accept the bytes if they are UTF-8
		}
		return AppendUTF8(dst, v.raw, cs)
	case KindEnum:
		if v.bits >= 1 && v.bits <= uint64(len(v.col.EnumValues)) {
			cs := v.col.Charset
			if cs == CharsetUnknown || v.col.labelsUTF8 {
				cs = CharsetUTF8MB4
			}
			return AppendUTF8(dst, []byte(v.col.EnumValues[v.bits-1]), cs)
		}
	}
	return dst, false
}

// Date returns the calendar parts of DATE, DATETIME and TIMESTAMP values
// (zero for the zero date).
func (v *Value) Date() (year, month, day int) {
	if v.kind == KindTimestamp {
		p := timestampParts(v)
		return int(p.year), int(p.month), int(p.day)
	}
	return int(v.year), int(v.month), int(v.day)
}

// Clock returns the time-of-day parts of TIME, DATETIME and TIMESTAMP
// values; for TIME hour may exceed 23 and negative tells the sign.
func (v *Value) Clock() (hour, minute, second, microsecond int, negative bool) {
	if v.kind == KindTimestamp {
		p := timestampParts(v)
		return int(p.hour), int(p.minute), int(p.second), int(p.micro), false
	}
	return int(v.hour), int(v.minute), int(v.second), int(v.micro), v.negative
}

// Duration returns a TIME value as a time.Duration.
func (v *Value) Duration() time.Duration {
	d := time.Duration(v.hour)*time.Hour + time.Duration(v.minute)*time.Minute +
		time.Duration(v.second)*time.Second + time.Duration(v.micro)*time.Microsecond
	if v.negative {
		d = -d
	}
	return d
}

// Time returns DATETIME values as a UTC time.Time and TIMESTAMP values as
// the instant they denote. ok is false for zero and invalid dates (month
// or day 0, or out of range), which time.Time cannot hold.
func (v *Value) Time() (t time.Time, ok bool) {
	switch v.kind {
	case KindTimestamp:
		if v.isZeroTimestamp() {
			return time.Time{}, false
		}
		return time.Unix(int64(v.bits), int64(v.micro)*1000).UTC(), true
	case KindDate, KindDateTime:
		if v.month < 1 || v.month > 12 || v.day < 1 || v.hour > 23 || v.minute > 59 || v.second > 59 {
			return time.Time{}, false
		}
		t = time.Date(int(v.year), time.Month(v.month), int(v.day), int(v.hour), int(v.minute), int(v.second), int(v.micro)*1000, time.UTC)
		if t.Day() != int(v.day) { // e.g. February 30th
			return time.Time{}, false
		}
		return t, true
	}
	return time.Time{}, false
}

// Clone returns a copy whose bytes no longer alias the event or the
// iterator's scratch space.
func (v Value) Clone() Value {
	if v.raw != nil {
		v.raw = append([]byte(nil), v.raw...)
	}
	return v
}

// valueOp is the decode plan for a column, chosen once per table map.
type valueOp uint8

const (
	opUnsupported valueOp = iota
	opNoMetadata
	opOldDecimal
	opNull
	opInt8
	opUint8
	opInt16
	opUint16
	opInt24
	opUint24
	opInt32
	opUint32
	opInt64
	opUint64
	opFloat
	opDouble
	opDecimal
	opBit
	opYear
	opDate
	opOldTime
	opTime2
	opOldDateTime
	opDateTime2
	opTimestamp
	opTimestamp2
	opVarString
	opString
	opEnum
	opSet
	opBlob
	opJSON
	opGeometry
	opVector
	opMariaCompressed
)

// planValue chooses how to decode a column's values from its type and
// metadata. Shapes the servers never write (a 5-byte ENUM, DECIMAL(70,2))
// become opUnsupported, reported when a value is actually read.
func planValue(c *Column) valueOp {
	signed := func(s, u valueOp) valueOp {
		if c.Unsigned {
			return u
		}
		return s
	}
	switch c.Type {
	case TypeTiny:
		return signed(opInt8, opUint8)
	case TypeShort:
		return signed(opInt16, opUint16)
	case TypeInt24:
		return signed(opInt24, opUint24)
	case TypeLong:
		return signed(opInt32, opUint32)
	case TypeLongLong:
		return signed(opInt64, opUint64)
	case TypeFloat:
		return opFloat
	case TypeDouble:
		return opDouble
	case TypeDecimal:
		return opOldDecimal
	case TypeNewDecimal:
		if validDecimalShape(c.Precision, c.Scale) {
			return opDecimal
		}
	case TypeNull:
		return opNull
	case TypeBit:
		if c.Bits >= 1 && c.Bits <= 64 && int(c.Meta&0xff) < 8 {
			return opBit
		}
	case TypeYear:
		return opYear
	case TypeDate, TypeNewDate:
		return opDate
	case TypeTime:
		return opOldTime
	case TypeTime2:
		if c.FSP <= 6 {
			return opTime2
		}
	case TypeDateTime:
		return opOldDateTime
	case TypeDateTime2:
		if c.FSP <= 6 {
			return opDateTime2
		}
	case TypeTimestamp:
		return opTimestamp
	case TypeTimestamp2:
		if c.FSP <= 6 {
			return opTimestamp2
		}
	case TypeVarchar, TypeVarString:
		return opVarString
	case TypeString, TypeEnum, TypeSet:
		switch c.RealType {
		case TypeEnum:
			if c.Length == 1 || c.Length == 2 {
				return opEnum
			}
		case TypeSet:
			if c.Length >= 1 && c.Length <= 8 {
				return opSet
			}
		default:
			return opString
		}
	case TypeBlob, TypeTinyBlob, TypeMediumBlob, TypeLongBlob, TypeJSON, TypeGeometry, TypeVector:
		if c.Length < 1 || c.Length > 4 {
			return opUnsupported
		}
		switch c.Type {
		case TypeJSON:
			return opJSON
		case TypeGeometry:
			return opGeometry
		case TypeVector:
			return opVector
		}
		return opBlob
	case TypeMariaBlobCompressed, TypeMariaVarcharCompressed:
		return opMariaCompressed
	}
	return opUnsupported
}

// errValue describes why a column value could not be read.
func errValue(c *Column, format string, args ...any) error {
	return fmt.Errorf("column %d (%s): "+format, append([]any{c.Index + 1, c.RealType}, args...)...)
}

// errNeed reports a value cut short.
func errNeed(c *Column, need, have int) error {
	return errValue(c, "need %d bytes, %d left: %w", need, have, errShort)
}

// readPrefixed reads a little-endian length of width bytes and that many
// bytes after it.
func readPrefixed(c *Column, b []byte, width int) ([]byte, int, error) {
	if len(b) < width {
		return nil, 0, errValue(c, "%d-byte length prefix: only %d bytes left: %w", width, len(b), errShort)
	}
	var n uint64
	for i := width - 1; i >= 0; i-- {
		n = n<<8 | uint64(b[i])
	}
	if n > uint64(len(b)-width) {
		return nil, 0, errValue(c, "value length %d exceeds the %d bytes left: %w", n, len(b)-width, errShort)
	}
	end := width + int(n)
	return b[width:end:end], end, nil
}

// decodeValue decodes one non-NULL value of column c from the start of b
// into v and returns the bytes consumed. pad, when not nil, supplies space
// for re-padding BINARY(n) values.
//
// Value layouts in row images (Field::pack in MySQL and MariaDB; integers
// little-endian unless noted):
//
//	type                    size                     content
//	TINY SHORT INT24        1 2 3                    two's complement, or unsigned per SIGNEDNESS
//	LONG LONGLONG           4 8                      same
//	FLOAT DOUBLE            4 8                      IEEE 754
//	NEWDECIMAL              decimalBinarySize(p,s)   see decimal.go
//	BIT(n)                  n/8 + (n%8 > 0)          big-endian
//	YEAR                    1                        year - 1900, 0 for 0000
//	temporal types          see temporal.go
//	VARCHAR VAR_STRING      1|2 + len                length prefix 1 byte if max length < 256
//	STRING (CHAR, BINARY)   1|2 + len                as VARCHAR, trailing pad stripped
//	ENUM                    1|2                      1-based index
//	SET                     1..8                     bitmask
//	BLOB TEXT JSON          meta + len               meta = width of the length prefix
//	GEOMETRY                meta + len               4-byte SRID + WKB
//	VECTOR                  meta + len               float32 array
//	NULL type               0
func decodeValue(c *Column, b []byte, v *Value, pad *[]byte) (int, error) {
	*v = Value{col: c}
	switch c.op {
	case opInt8, opUint8:
		if len(b) < 1 {
			return 0, errNeed(c, 1, len(b))
		}
		if c.op == opInt8 {
			v.kind, v.bits = KindInt, uint64(int64(int8(b[0])))
		} else {
			v.kind, v.bits = KindUint, uint64(b[0])
		}
		return 1, nil
	case opInt16, opUint16:
		if len(b) < 2 {
			return 0, errNeed(c, 2, len(b))
		}
		x := binary.LittleEndian.Uint16(b)
		if c.op == opInt16 {
			v.kind, v.bits = KindInt, uint64(int64(int16(x)))
		} else {
			v.kind, v.bits = KindUint, uint64(x)
		}
		return 2, nil
	case opInt24, opUint24:
		if len(b) < 3 {
			return 0, errNeed(c, 3, len(b))
		}
		x := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
		if c.op == opInt24 {
			v.kind, v.bits = KindInt, uint64(int64(int32(x<<8)>>8))
		} else {
			v.kind, v.bits = KindUint, uint64(x)
		}
		return 3, nil
	case opInt32, opUint32:
		if len(b) < 4 {
			return 0, errNeed(c, 4, len(b))
		}
		x := binary.LittleEndian.Uint32(b)
		if c.op == opInt32 {
			v.kind, v.bits = KindInt, uint64(int64(int32(x)))
		} else {
			v.kind, v.bits = KindUint, uint64(x)
		}
		return 4, nil
	case opInt64, opUint64:
		if len(b) < 8 {
			return 0, errNeed(c, 8, len(b))
		}
		v.kind, v.bits = KindInt, binary.LittleEndian.Uint64(b)
		if c.op == opUint64 {
			v.kind = KindUint
		}
		return 8, nil
	case opFloat:
		if len(b) < 4 {
			return 0, errNeed(c, 4, len(b))
		}
		v.kind, v.bits = KindFloat32, uint64(binary.LittleEndian.Uint32(b))
		return 4, nil
	case opDouble:
		if len(b) < 8 {
			return 0, errNeed(c, 8, len(b))
		}
		v.kind, v.bits = KindFloat64, binary.LittleEndian.Uint64(b)
		return 8, nil
	case opDecimal:
		n := decimalBinarySize(c.Precision, c.Scale)
		if len(b) < n {
			return 0, errNeed(c, n, len(b))
		}
		if err := checkDecimal(b[:n], c.Precision, c.Scale); err != nil {
			return 0, errValue(c, "%v", err)
		}
		v.kind, v.raw = KindDecimal, b[:n:n]
		return n, nil
	case opBit:
		n := int(c.Meta>>8) + min(int(c.Meta&0xff), 1)
		if len(b) < n {
			return 0, errNeed(c, n, len(b))
		}
		v.kind, v.bits = KindBit, beUint(b[:n])
		return n, nil
	case opYear:
		if len(b) < 1 {
			return 0, errNeed(c, 1, len(b))
		}
		v.kind = KindYear
		if b[0] != 0 {
			v.bits = 1900 + uint64(b[0])
		}
		return 1, nil
	case opDate:
		if len(b) < 3 {
			return 0, errNeed(c, 3, len(b))
		}
		v.kind = KindDate
		decodeDate(v, b)
		return 3, nil
	case opOldTime:
		if len(b) < 3 {
			return 0, errNeed(c, 3, len(b))
		}
		v.kind = KindTime
		decodeOldTime(v, b)
		return 3, nil
	case opTime2:
		n := 3 + fracBytes(c.FSP)
		if len(b) < n {
			return 0, errNeed(c, n, len(b))
		}
		v.kind = KindTime
		decodeTime2(v, b[:n], c.FSP)
		return n, nil
	case opOldDateTime:
		if len(b) < 8 {
			return 0, errNeed(c, 8, len(b))
		}
		v.kind = KindDateTime
		decodeOldDateTime(v, b)
		return 8, nil
	case opDateTime2:
		n := 5 + fracBytes(c.FSP)
		if len(b) < n {
			return 0, errNeed(c, n, len(b))
		}
		v.kind = KindDateTime
		decodeDateTime2(v, b[:n], c.FSP)
		return n, nil
	case opTimestamp:
		if len(b) < 4 {
			return 0, errNeed(c, 4, len(b))
		}
		v.kind, v.bits = KindTimestamp, uint64(binary.LittleEndian.Uint32(b))
		return 4, nil
	case opTimestamp2:
		n := 4 + fracBytes(c.FSP)
		if len(b) < n {
			return 0, errNeed(c, n, len(b))
		}
		v.kind = KindTimestamp
		decodeTimestamp2(v, b[:n], c.FSP)
		return n, nil
	case opVarString, opString:
		width := 1
		if c.Length > 255 {
			width = 2
		}
		s, n, err := readPrefixed(c, b, width)
		if err != nil {
			return 0, err
		}
		v.kind, v.raw = KindString, s
		if c.Charset == CharsetBinary {
			v.kind = KindBytes
			// The server strips BINARY(n)'s trailing zero bytes
			// before logging (Field_string::pack); SELECT returns
			// them, so put them back.
			if c.op == opString && len(s) < c.Length && pad != nil {
				start := len(*pad)
				*pad = append(*pad, s...)
				for range c.Length - len(s) {
					*pad = append(*pad, 0)
				}
				v.raw = (*pad)[start:len(*pad):len(*pad)]
			}
		}
		return n, nil
	case opEnum:
		if len(b) < c.Length {
			return 0, errNeed(c, c.Length, len(b))
		}
		x := uint64(b[0])
		if c.Length == 2 {
			x |= uint64(b[1]) << 8
		}
		v.kind, v.bits = KindEnum, x
		return c.Length, nil
	case opSet:
		if len(b) < c.Length {
			return 0, errNeed(c, c.Length, len(b))
		}
		var x uint64
		for i := c.Length - 1; i >= 0; i-- {
			x = x<<8 | uint64(b[i])
		}
		v.kind, v.bits = KindSet, x
		return c.Length, nil
	case opBlob, opJSON, opGeometry, opVector:
		s, n, err := readPrefixed(c, b, c.Length)
		if err != nil {
			return 0, err
		}
		v.raw = s
		switch c.op {
		case opJSON:
			v.kind = KindJSON
		case opGeometry:
			if len(s) < 4 && len(s) != 0 {
				return 0, errValue(c, "geometry value of %d bytes has no room for its 4-byte SRID", len(s))
			}
			v.kind = KindGeometry
		case opVector:
			if len(s)%4 != 0 {
				return 0, errValue(c, "vector value of %d bytes is not a whole number of 4-byte floats", len(s))
			}
			v.kind = KindVector
		default:
			v.kind = KindString
			if c.Charset == CharsetBinary {
				v.kind = KindBytes
			}
		}
		return n, nil
	case opMariaCompressed:
		width := c.Length
		if c.Type == TypeMariaVarcharCompressed {
			width = 1
			if c.Length > 255 {
				width = 2
			}
		}
		if width < 1 || width > 4 {
			return 0, errValue(c, "length prefix of %d bytes", width)
		}
		s, n, err := readPrefixed(c, b, width)
		if err != nil {
			return 0, err
		}
		// The stored bytes carry a compression header; see
		// mariacompress.go. Inflated values live in pad (the row
		// iterator's scratch), stored-uncompressed ones alias the event.
		s, err = mariaUncompress(s, mariaCompressedLimit(c), pad)
		if err != nil {
			return 0, errValue(c, "%w", err)
		}
		v.kind, v.raw = KindString, s
		if c.Charset == CharsetBinary {
			v.kind = KindBytes
		}
		return n, nil
	case opNull:
		v.kind = KindNull
		return 0, nil
	case opOldDecimal:
		return 0, errValue(c, "%w: pre-5.0 DECIMAL columns carry no length in the binlog", ErrUnsupportedRowFormat)
	case opNoMetadata:
		return 0, errValue(c, "%w: the TABLE_MAP has no column metadata (pre-5.1.18 layout), which values of this type need", ErrUnsupportedRowFormat)
	}
	return 0, errValue(c, "cannot decode values of this type with metadata 0x%04x", c.Meta)
}

// ErrJSONRender wraps failures to render a value as JSON (corrupt binary
// JSON, an unreadable JSON diff).
var ErrJSONRender = errors.New("cannot render value as JSON")

// AppendJSON appends the value's JSON rendering to dst:
//
//	NULL                 null
//	integers, BIT, YEAR  exact numbers (unsigned stays unsigned; YEAR 0000 is 0)
//	FLOAT, DOUBLE        shortest round-trip number ("NaN"/"+Inf"/"-Inf" as strings)
//	DECIMAL              string with exactly the column's scale: "-12.50"
//	DATE                 "YYYY-MM-DD"
//	DATETIME             "YYYY-MM-DD HH:MM:SS[.ffffff]" with exactly the column's fsp digits
//	TIMESTAMP            "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" (UTC); the zero timestamp is
//	                     the zero date "0000-00-00 00:00:00[.000000]"
//	TIME                 "[-]HH:MM:SS[.ffffff]" (hours may exceed 24)
//	text                 string, converted to UTF-8 from the column charset
//	binary               base64 string; BINARY(n) re-padded with zero bytes to n
//	ENUM                 label ("" for index 0); the index number when labels are unknown
//	SET                  array of labels; the bitmask number when labels are unknown
//	                     (labels are converted from the column charset like text)
//	JSON                 the JSON value itself
//	JSON diff            array of {"op","path","value"} (value absent for remove)
//	GEOMETRY             {"srid":N,"wkb":"hex"}
//	VECTOR               array of numbers
//
// Zero and invalid dates keep their literal digits ("0000-00-00"). Text
// whose bytes are not valid in the column charset, or whose charset is
// unknown and whose bytes are not UTF-8, is rendered like binary (base64).
// An absent value renders as null. The only errors come from corrupt JSON.
func (v *Value) AppendJSON(dst []byte) ([]byte, error) {
	switch v.kind {
	case KindAbsent, KindNull:
		return append(dst, "null"...), nil
	case KindInt:
		return strconv.AppendInt(dst, int64(v.bits), 10), nil
	case KindUint, KindBit, KindYear:
		return strconv.AppendUint(dst, v.bits, 10), nil
	case KindFloat32:
		return appendFloat(dst, float64(math.Float32frombits(uint32(v.bits))), 32), nil
	case KindFloat64:
		return appendFloat(dst, math.Float64frombits(v.bits), 64), nil
	case KindDecimal:
		dst = append(dst, '"')
		dst = appendDecimal(dst, v.raw, v.col.Precision, v.col.Scale)
		return append(dst, '"'), nil
	case KindDate:
		dst = append(dst, '"')
		dst = v.appendDate(dst)
		return append(dst, '"'), nil
	case KindDateTime:
		dst = append(dst, '"')
		dst = v.appendDate(dst)
		dst = append(dst, ' ')
		dst = v.appendClock(dst, v.fsp())
		return append(dst, '"'), nil
	case KindTimestamp:
		p := timestampParts(v)
		dst = append(dst, '"')
		dst = p.appendDate(dst)
		if v.isZeroTimestamp() {
			dst = append(dst, ' ')
			dst = p.appendClock(dst, v.fsp())
			return append(dst, '"'), nil
		}
		dst = append(dst, 'T')
		dst = p.appendClock(dst, v.fsp())
		return append(dst, 'Z', '"'), nil
	case KindTime:
		dst = append(dst, '"')
		if v.negative {
			dst = append(dst, '-')
		}
		dst = v.appendClock(dst, v.fsp())
		return append(dst, '"'), nil
	case KindString:
		return appendText(dst, v.raw, v.col), nil
	case KindBytes:
		return appendBase64(dst, v.raw), nil
	case KindEnum:
		if v.col != nil && len(v.col.EnumValues) > 0 && v.bits <= uint64(len(v.col.EnumValues)) {
			if v.bits == 0 {
				return append(dst, `""`...), nil
			}
			return appendLabel(dst, v.col.EnumValues[v.bits-1], v.col), nil
		}
		return strconv.AppendUint(dst, v.bits, 10), nil
	case KindSet:
		if v.col == nil || len(v.col.SetValues) == 0 || (len(v.col.SetValues) < 64 && v.bits>>len(v.col.SetValues) != 0) {
			return strconv.AppendUint(dst, v.bits, 10), nil
		}
		dst = append(dst, '[')
		first := true
		for i, label := range v.col.SetValues {
			if i < 64 && v.bits&(1<<i) != 0 {
				if !first {
					dst = append(dst, ',')
				}
				first = false
				dst = appendLabel(dst, label, v.col)
			}
		}
		return append(dst, ']'), nil
	case KindJSON:
		return appendBinaryJSON(dst, v.raw)
	case KindJSONDiff:
		return appendJSONDiffs(dst, v.raw)
	case KindJSONText:
		return append(dst, v.raw...), nil
	case KindGeometry:
		if len(v.raw) == 0 {
			return append(dst, `{"srid":0,"wkb":""}`...), nil
		}
		dst = append(dst, `{"srid":`...)
		dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(v.raw)), 10)
		dst = append(dst, `,"wkb":"`...)
		dst = hex.AppendEncode(dst, v.raw[4:])
		return append(dst, `"}`...), nil
	case KindVector:
		dst = append(dst, '[')
		for i := 0; i+4 <= len(v.raw); i += 4 {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendFloat(dst, float64(math.Float32frombits(binary.LittleEndian.Uint32(v.raw[i:]))), 32)
		}
		return append(dst, ']'), nil
	}
	return dst, fmt.Errorf("%w: unknown value kind %d", ErrJSONRender, v.kind)
}

// String renders the value as text: the JSON rendering without string
// quotes for scalars (a DECIMAL as "-12.50", a date as 2024-01-31), and
// "<error: ...>" when it cannot be rendered.
func (v *Value) String() string {
	out, err := v.AppendJSON(nil)
	if err != nil {
		return "<error: " + err.Error() + ">"
	}
	if len(out) >= 2 && out[0] == '"' {
		if s, err := strconv.Unquote(string(out)); err == nil {
			return s
		}
	}
	return string(out)
}

// AppendDecimal appends a DECIMAL value's exact text ("-12.50").
func (v *Value) AppendDecimal(dst []byte) []byte {
	if v.kind != KindDecimal {
		return dst
	}
	return appendDecimal(dst, v.raw, v.col.Precision, v.col.Scale)
}

func (v *Value) fsp() int {
	if v.col == nil {
		return 0
	}
	return v.col.FSP
}

func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"+Inf"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Inf"`...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

func appendBase64(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

// appendText renders text of column c as a JSON string, converting from
// its charset; see AppendJSON for the fallbacks.
func appendText(dst, text []byte, c *Column) []byte {
	cs := CharsetUnknown
	if c != nil {
		cs = c.Charset
	}
	switch cs {
	case CharsetUnknown, CharsetUTF8MB3, CharsetUTF8MB4:
		if utf8.Valid(text) {
			return jsontext.AppendBytes(dst, text)
		}
		return appendBase64(dst, text)
	case CharsetBinary:
		return appendBase64(dst, text)
	}
	var buf [256]byte
	conv, ok := AppendUTF8(buf[:0], text, cs)
	if !ok {
		return appendBase64(dst, text)
	}
	return jsontext.AppendBytes(dst, conv)
}

// appendLabel renders an ENUM or SET label, which is in the column's
// charset, as a JSON string. ASCII and UTF-8 labels, the usual case, are
// written without converting (or allocating).
func appendLabel(dst []byte, label string, c *Column) []byte {
	cs := c.Charset
	if c.labelsUTF8 {
		cs = CharsetUTF8MB4
	}
	switch cs {
	case CharsetUCS2, CharsetUTF16, CharsetUTF16LE, CharsetUTF32:
		// Not ASCII-compatible: always convert.
	case CharsetUnknown, CharsetUTF8MB3, CharsetUTF8MB4:
		if utf8.ValidString(label) {
			return jsontext.AppendString(dst, label)
		}
	default:
		ascii := true
		for i := 0; i < len(label); i++ {
			if label[i] >= 0x80 {
				ascii = false
				break
			}
		}
		if ascii {
			return jsontext.AppendString(dst, label)
		}
	}
	return appendText(dst, []byte(label), c)
}

const hexDigits = "0123456789abcdef"
