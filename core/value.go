package core

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
)

// Kind says what a Value holds. Kinds follow MySQL's types rather than a
// sink's, so that each sink decides how to store what Postgres, JSON or
// another MySQL cannot hold as is (a zero date, a NUL byte in text).
type Kind uint8

// The kinds of value. The zero Value is KindNull.
const (
	KindNull      Kind = iota
	KindInt            // TINYINT..BIGINT signed: Int
	KindUint           // TINYINT..BIGINT UNSIGNED: Uint
	KindFloat32        // FLOAT: Float64 (exact: a float32 widened)
	KindFloat64        // DOUBLE: Float64
	KindDecimal        // DECIMAL: Bytes is the decimal text, e.g. "-12.50" (scale digits kept)
	KindBit            // BIT(n): Uint, BitWidth
	KindYear           // YEAR: Int (0 or 1901..2155)
	KindDate           // DATE: Civil (may be the zero date or invalid)
	KindTime           // TIME: Micros, signed (may exceed 24 hours)
	KindDateTime       // DATETIME: Civil (may be the zero date or invalid)
	KindTimestamp      // TIMESTAMP: Micros since the Unix epoch, or IsZeroTimestamp
	KindString         // CHAR, VARCHAR, TEXT: Bytes is UTF-8 text (may hold NUL)
	KindBytes          // BINARY, VARBINARY, BLOB: Bytes
	KindEnum           // ENUM: Bytes is the label as UTF-8 ("" for the error value)
	KindSet            // SET: Bytes is the labels joined by ',' (MySQL forbids ',' in labels)
	KindJSON           // JSON: Bytes is JSON text
	KindGeometry       // spatial types: Bytes is a 4-byte little-endian SRID then WKB
	KindVector         // VECTOR: Bytes is little-endian float32s; see Float32s
)

var kindNames = [...]string{"null", "int", "uint", "float32", "float64", "decimal", "bit", "year", "date", "time",
	"datetime", "timestamp", "string", "bytes", "enum", "set", "json", "geometry", "vector"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind" + strconv.Itoa(int(k))
}

// Value is one typed column value of a row image. It is 40 bytes, holds
// numbers and times inline and variable-width values as a byte slice, so
// passing one around copies no data. A Value made by the constructors
// below keeps the slice it was given: the record that holds it owns that
// memory (see Record).
type Value struct {
	b     []byte
	n     uint64
	kind  Kind
	width uint8 // BIT width
	zero  bool  // the zero TIMESTAMP
}

// Civil is a calendar date and time of day exactly as MySQL stored it: the
// zero date (all fields 0) and invalid dates (month or day 0, February
// 30th under ALLOW_INVALID_DATES) included.
type Civil struct {
	Year                 int // 0..9999
	Month, Day           int // 0..12, 0..31
	Hour, Minute, Second int
	Microsecond          int
}

// IsZero reports the zero date 0000-00-00 (00:00:00).
func (c Civil) IsZero() bool { return c == Civil{} }

// Valid reports whether the date exists in the proleptic Gregorian
// calendar (year 0 does not: it is 1 BC in ISO 8601 and PostgreSQL)
// and the time of day is in range.
func (c Civil) Valid() bool {
	if c.Year < 1 || c.Month < 1 || c.Month > 12 || c.Day < 1 || c.Hour > 23 || c.Minute > 59 || c.Second > 59 ||
		c.Microsecond < 0 || c.Microsecond > 999999 {
		return false
	}
	return c.Day <= daysIn(c.Year, c.Month)
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Time returns the civil time as a UTC time.Time; ok is false unless Valid.
func (c Civil) Time() (t time.Time, ok bool) {
	if !c.Valid() {
		return time.Time{}, false
	}
	return time.Date(c.Year, time.Month(c.Month), c.Day, c.Hour, c.Minute, c.Second, c.Microsecond*1000, time.UTC), true
}

// The civil fields are packed into 60 bits: year 14, month 4, day 5, hour 5,
// minute 6, second 6, microsecond 20 (hour is at most 23 in a date).
const (
	civilSecond = 20
	civilMinute = civilSecond + 6
	civilHour   = civilMinute + 6
	civilDay    = civilHour + 5
	civilMonth  = civilDay + 5
	civilYear   = civilMonth + 4
)

func packCivil(c Civil) uint64 {
	return uint64(c.Year&0x3fff)<<civilYear | uint64(c.Month&0xf)<<civilMonth | uint64(c.Day&0x1f)<<civilDay |
		uint64(c.Hour&0x1f)<<civilHour | uint64(c.Minute&0x3f)<<civilMinute | uint64(c.Second&0x3f)<<civilSecond |
		uint64(c.Microsecond&0xfffff)
}

func unpackCivil(n uint64) Civil {
	return Civil{
		Year: int(n >> civilYear & 0x3fff), Month: int(n >> civilMonth & 0xf), Day: int(n >> civilDay & 0x1f),
		Hour: int(n >> civilHour & 0x1f), Minute: int(n >> civilMinute & 0x3f), Second: int(n >> civilSecond & 0x3f),
		Microsecond: int(n & 0xfffff),
	}
}

// Null is the SQL NULL.
func Null() Value { return Value{} }

// IntValue makes a KindInt value.
func IntValue(v int64) Value { return Value{kind: KindInt, n: uint64(v)} }

// UintValue makes a KindUint value.
func UintValue(v uint64) Value { return Value{kind: KindUint, n: v} }

// Float32Value makes a KindFloat32 value.
func Float32Value(v float32) Value { return Value{kind: KindFloat32, n: uint64(math.Float32bits(v))} }

// Float64Value makes a KindFloat64 value.
func Float64Value(v float64) Value { return Value{kind: KindFloat64, n: math.Float64bits(v)} }

// DecimalValue makes a KindDecimal value from its text ("-12.50").
func DecimalValue(text []byte) Value { return Value{kind: KindDecimal, b: text} }

// BitValue makes a BIT(width) value; bit 0 of bits is the rightmost bit.
func BitValue(bits uint64, width int) Value {
	return Value{kind: KindBit, n: bits, width: uint8(width)}
}

// YearValue makes a YEAR value (0 for the zero year).
func YearValue(y int) Value { return Value{kind: KindYear, n: uint64(y)} }

// DateValue makes a DATE value; the time fields of c are ignored.
func DateValue(c Civil) Value {
	c.Hour, c.Minute, c.Second, c.Microsecond = 0, 0, 0, 0
	return Value{kind: KindDate, n: packCivil(c)}
}

// DateTimeValue makes a DATETIME value.
func DateTimeValue(c Civil) Value { return Value{kind: KindDateTime, n: packCivil(c)} }

// TimeValue makes a TIME value from signed microseconds.
func TimeValue(micros int64) Value { return Value{kind: KindTime, n: uint64(micros)} }

// TimestampValue makes a TIMESTAMP value from microseconds since the epoch.
func TimestampValue(unixMicros int64) Value { return Value{kind: KindTimestamp, n: uint64(unixMicros)} }

// ZeroTimestampValue makes the zero TIMESTAMP '0000-00-00 00:00:00'.
func ZeroTimestampValue() Value { return Value{kind: KindTimestamp, zero: true} }

// StringValue makes a KindString value from UTF-8 text.
func StringValue(text []byte) Value { return Value{kind: KindString, b: text} }

// BytesValue makes a KindBytes value.
func BytesValue(b []byte) Value { return Value{kind: KindBytes, b: b} }

// EnumValue makes an ENUM value from its label.
func EnumValue(label []byte) Value { return Value{kind: KindEnum, b: label} }

// SetValue makes a SET value from its labels joined by ','.
func SetValue(labels []byte) Value { return Value{kind: KindSet, b: labels} }

// JSONValue makes a JSON value from JSON text.
func JSONValue(text []byte) Value { return Value{kind: KindJSON, b: text} }

// GeometryValue makes a spatial value from MySQL's SRID + WKB bytes.
func GeometryValue(b []byte) Value { return Value{kind: KindGeometry, b: b} }

// VectorValue makes a VECTOR value from little-endian float32s.
func VectorValue(b []byte) Value { return Value{kind: KindVector, b: b} }

// VarValue makes a value of one of the variable-width kinds (KindDecimal,
// KindString, KindBytes, KindEnum, KindSet, KindJSON, KindGeometry,
// KindVector) from its bytes, as the constructor of that kind does: for
// decoders that collect the bytes of a row's values first and make the
// values once the row's arena is known.
func VarValue(k Kind, b []byte) Value {
	switch k {
	case KindDecimal, KindString, KindBytes, KindEnum, KindSet, KindJSON, KindGeometry, KindVector:
		return Value{kind: k, b: b}
	}
	panic("core: VarValue of the fixed-width kind " + k.String())
}

// Kind returns what the value holds.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports the SQL NULL.
func (v Value) IsNull() bool { return v.kind == KindNull }

// Int returns KindInt and KindYear values (and KindUint ones, wrapping
// above MaxInt64).
func (v Value) Int() int64 { return int64(v.n) }

// Uint returns KindUint and KindBit values.
func (v Value) Uint() uint64 { return v.n }

// Float64 returns KindFloat32 and KindFloat64 values.
func (v Value) Float64() float64 {
	if v.kind == KindFloat32 {
		return float64(math.Float32frombits(uint32(v.n)))
	}
	return math.Float64frombits(v.n)
}

// Float32 returns a KindFloat32 value.
func (v Value) Float32() float32 { return math.Float32frombits(uint32(v.n)) }

// BitWidth returns the width n of a BIT(n) value.
func (v Value) BitWidth() int { return int(v.width) }

// Civil returns KindDate and KindDateTime values.
func (v Value) Civil() Civil { return unpackCivil(v.n) }

// Micros returns a KindTime value's signed microseconds, or a
// KindTimestamp value's microseconds since the Unix epoch.
func (v Value) Micros() int64 { return int64(v.n) }

// IsZeroTimestamp reports the zero TIMESTAMP.
func (v Value) IsZeroTimestamp() bool { return v.kind == KindTimestamp && v.zero }

// Bytes returns the bytes of variable-width kinds (see Kind).
func (v Value) Bytes() []byte { return v.b }

// Float32s decodes a KindVector value.
func (v Value) Float32s() []float32 {
	out := make([]float32, len(v.b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(v.b[i*4:]))
	}
	return out
}

// Size is the memory the value holds, for batch byte limits.
func (v Value) Size() int { return 40 + len(v.b) }

// Equal reports whether two values are the same kind and value.
func (v Value) Equal(o Value) bool {
	return v.kind == o.kind && v.n == o.n && v.width == o.width && v.zero == o.zero && string(v.b) == string(o.b)
}

// String renders the value as MySQL would print it, for logs, errors and
// tests; NULL prints as NULL.
func (v Value) String() string { return string(v.AppendText(nil)) }

// AppendText appends the String form.
func (v Value) AppendText(dst []byte) []byte {
	switch v.kind {
	case KindNull:
		return append(dst, "NULL"...)
	case KindInt, KindYear:
		return strconv.AppendInt(dst, int64(v.n), 10)
	case KindUint:
		return strconv.AppendUint(dst, v.n, 10)
	case KindFloat32:
		return strconv.AppendFloat(dst, v.Float64(), 'g', -1, 32)
	case KindFloat64:
		return strconv.AppendFloat(dst, v.Float64(), 'g', -1, 64)
	case KindBit:
		return append(dst, "b'"+strconv.FormatUint(v.n, 2)+"'"...)
	case KindDate:
		c := v.Civil()
		return appendDate(dst, c)
	case KindDateTime:
		return appendDateTime(dst, v.Civil())
	case KindTimestamp:
		if v.zero {
			return append(dst, "0000-00-00 00:00:00"...)
		}
		return append(dst, time.UnixMicro(v.Micros()).UTC().Format("2006-01-02 15:04:05.999999")...)
	case KindTime:
		m := v.Micros()
		if m < 0 {
			dst = append(dst, '-')
			m = -m
		}
		s := m / 1e6
		dst = appendPadded(dst, int(s/3600), 2)
		dst = append(dst, ':')
		dst = appendPadded(dst, int(s/60%60), 2)
		dst = append(dst, ':')
		dst = appendPadded(dst, int(s%60), 2)
		if us := m % 1e6; us != 0 {
			dst = append(dst, '.')
			dst = appendPadded(dst, int(us), 6)
		}
		return dst
	case KindBytes, KindGeometry, KindVector:
		dst = append(dst, "0x"...)
		const hex = "0123456789abcdef"
		for _, c := range v.b {
			dst = append(dst, hex[c>>4], hex[c&15])
		}
		return dst
	}
	return append(dst, v.b...)
}

func appendDate(dst []byte, c Civil) []byte {
	dst = appendPadded(dst, c.Year, 4)
	dst = append(dst, '-')
	dst = appendPadded(dst, c.Month, 2)
	dst = append(dst, '-')
	return appendPadded(dst, c.Day, 2)
}

func appendDateTime(dst []byte, c Civil) []byte {
	dst = appendDate(dst, c)
	dst = append(dst, ' ')
	dst = appendPadded(dst, c.Hour, 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, c.Minute, 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, c.Second, 2)
	if c.Microsecond != 0 {
		dst = append(dst, '.')
		dst = appendPadded(dst, c.Microsecond, 6)
	}
	return dst
}

func appendPadded(dst []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}
