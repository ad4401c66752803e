package jsonb

import (
	"encoding/binary"
	"math"
	"strconv"
)

// MySQL field types (include/field_types.h) that have their own rendering.
const (
	typeTimestamp  = 7
	typeDate       = 10
	typeTime       = 11
	typeDatetime   = 12
	typeNewDecimal = 246
	typeVarString  = 253
)

const (
	jsonSmallObject = 0x00
	jsonLargeObject = 0x01
	jsonSmallArray  = 0x02
	jsonLargeArray  = 0x03
	jsonLiteral     = 0x04
	jsonInt16       = 0x05
	jsonUint16      = 0x06
	jsonInt32       = 0x07
	jsonUint32      = 0x08
	jsonInt64       = 0x09
	jsonUint64      = 0x0a
	jsonDouble      = 0x0b
	jsonString      = 0x0c
	jsonOpaque      = 0x0f
)

// MaxDepth is the deepest nesting of arrays and objects MySQL accepts
// (JSON_DOCUMENT_MAX_DEPTH); deeper documents are rejected.
const MaxDepth = 100

// decoder walks one document. budget bounds the work: in a well-formed
// document every value entry, key and string occupies its own bytes, so the
// number of nodes plus string bytes visited can never exceed the document
// length. Hostile documents whose entries point at shared data (which would
// otherwise multiply the output exponentially) run out of budget.
type decoder struct {
	doc    []byte
	budget int
}

// AppendJSON appends the JSON text of the MySQL binary JSON document bin to
// dst and returns the extended buffer.
//
// The text is compact (no blanks between tokens; MySQL's printer puts one
// after ',' and ':'); otherwise every value is spelled as MySQL prints it:
//   - integers in decimal, unsigned ones unsigned;
//   - doubles with MySQL's my_gcvt rules: shortest round-trip digits, in
//     fixed notation from 1e-15 up to below 1e15 (and for 17-digit values
//     below 1e16), with ".0" added to integral values (1.0,
//     100000000000000.0, 0.00001, 0.00000015), otherwise in e-notation
//     without '+' or padding (1e15, 1.5e300, 1e-16); NaN and infinities,
//     which MySQL never stores, are errors;
//   - strings with MySQL's escaping: \" \\ \b \t \n \f \r, \u00xx for
//     other bytes below 0x20, all other bytes (even invalid UTF-8) copied;
//   - opaque values as in the table below.
//
// Object members are printed in stored order. An empty bin is the JSON
// null literal and bytes after the top-level value are ignored, both as in
// MySQL. On error dst is returned truncated to its original length.
//
// # Binary JSON (MySQL sql-common/json_binary.h)
//
// A document is a type byte followed by a value. All integers are
// little-endian.
//
//	type  value
//	0x00  small object    (2-byte counts, sizes and offsets)
//	0x01  large object    (4-byte counts, sizes and offsets)
//	0x02  small array
//	0x03  large array
//	0x04  literal         1 byte: 0x00 null, 0x01 true, 0x02 false
//	0x05  int16           2 bytes
//	0x06  uint16          2 bytes
//	0x07  int32           4 bytes
//	0x08  uint32          4 bytes
//	0x09  int64           8 bytes
//	0x0a  uint64          8 bytes
//	0x0b  double          8 bytes, IEEE 754
//	0x0c  string          varlen length, then that many utf8mb4 bytes
//	0x0f  opaque          1 byte MySQL field type, varlen length, data
//
// varlen is 1-5 bytes, 7 bits each, least significant group first; a set
// high bit means another byte follows. The value must fit in 32 bits.
//
// Objects and arrays (N = element count; W = 2 small, 4 large):
//
//	+---------+---------+-------------------+---------------------+--------+
//	| count W | size W  | key entries       | value entries       | keys,  |
//	|         |         | (objects only)    |                     | values |
//	+---------+---------+-------------------+---------------------+--------+
//	key entry:   offset W, length 2        (N of them)
//	value entry: type 1,  offset-or-value W (N of them)
//
// size is the byte length of the whole container starting at count; every
// offset is relative to the first byte of count. Literals, int16 and uint16
// (and, in the large format only, int32 and uint32) are inlined in the value
// entry instead of being stored at an offset. Keys are stored sorted by
// length and then bytewise, and printed in stored order.
//
// An empty document (zero bytes) is read as the JSON null literal, as
// MySQL does for values inserted into NOT NULL columns in non-strict mode.
//
// Opaque values are printed as MySQL's JSON output (Json_wrapper::to_string)
// prints them:
//
//	field type            printed as
//	246 NEWDECIMAL        number; data = precision byte, scale byte, binary
//	                      DECIMAL of exactly that size (see AppendDecimal)
//	10  DATE              "YYYY-MM-DD"
//	12  DATETIME,         "YYYY-MM-DD hh:mm:ss.ffffff" (always 6 digits)
//	7   TIMESTAMP
//	11  TIME              "[-]hh:mm:ss.ffffff" (hours may have 3+ digits)
//	253 VAR_STRING        a JSON string of the data (MySQL 8.0.x+)
//	any other             "base64:typeN:<base64 of data>", MySQL's base64
//	                      with a newline after every 76 output characters
//
// Temporal data is 8 bytes: MySQL's "longlong packed" in-memory form,
// little-endian int64, negative values being the negated packed magnitude:
//
//	bits 63..24  integer part: for DATE/DATETIME/TIMESTAMP
//	             ((year*13+month)<<5 | day)<<17 | hour<<12 | minute<<6 | second;
//	             for TIME hour<<12 | minute<<6 | second (10-bit hour)
//	bits 23..0   microseconds
func AppendJSON(dst, bin []byte) ([]byte, error) {
	if len(bin) == 0 {
		return append(dst, "null"...), nil
	}
	d := decoder{doc: bin, budget: len(bin)}
	start := len(dst)
	out, err := d.value(dst, bin[0], 1, len(bin), 0)
	if err != nil {
		return dst[:start], err
	}
	return out, nil
}

// value appends the value of type typ whose bytes start at d.doc[off] and
// may extend up to d.doc[end] (the end of the enclosing container).
func (d *decoder) value(dst []byte, typ byte, off, end, depth int) ([]byte, error) {
	d.budget--
	if d.budget < 0 {
		return dst, corrupt(off, "json: value entries overlap (more nodes than bytes)")
	}
	switch typ {
	case jsonSmallObject, jsonLargeObject, jsonSmallArray, jsonLargeArray:
		return d.container(dst, typ, off, end, depth)
	case jsonOpaque:
		return d.opaque(dst, off, end)
	case jsonString:
		n, hdr, err := readVarLen(d.doc[off:end], off)
		if err != nil {
			return dst, err
		}
		if n > end-off-hdr {
			return dst, corrupt(off, "json: string length "+strconv.Itoa(n)+" exceeds the "+strconv.Itoa(end-off-hdr)+" bytes available")
		}
		d.budget -= n
		if d.budget < 0 {
			return dst, corrupt(off, "json: strings overlap (more string bytes than document bytes)")
		}
		return appendString(dst, d.doc[off+hdr:off+hdr+n]), nil
	}
	return appendScalar(dst, typ, d.doc[off:end], off)
}

// appendScalar appends a literal, integer or double stored in b.
func appendScalar(dst []byte, typ byte, b []byte, off int) ([]byte, error) {
	need := 0
	switch typ {
	case jsonLiteral:
		need = 1
	case jsonInt16, jsonUint16:
		need = 2
	case jsonInt32, jsonUint32:
		need = 4
	case jsonInt64, jsonUint64, jsonDouble:
		need = 8
	default:
		return dst, corrupt(off-1, "json: unknown value type 0x"+strconv.FormatUint(uint64(typ), 16))
	}
	if len(b) < need {
		return dst, corrupt(off, "json: truncated scalar of type 0x"+strconv.FormatUint(uint64(typ), 16)+": need "+strconv.Itoa(need)+" bytes, have "+strconv.Itoa(len(b)))
	}
	switch typ {
	case jsonLiteral:
		switch b[0] {
		case 0:
			return append(dst, "null"...), nil
		case 1:
			return append(dst, "true"...), nil
		case 2:
			return append(dst, "false"...), nil
		}
		return dst, corrupt(off, "json: unknown literal 0x"+strconv.FormatUint(uint64(b[0]), 16))
	case jsonInt16:
		return strconv.AppendInt(dst, int64(int16(binary.LittleEndian.Uint16(b))), 10), nil
	case jsonUint16:
		return strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint16(b)), 10), nil
	case jsonInt32:
		return strconv.AppendInt(dst, int64(int32(binary.LittleEndian.Uint32(b))), 10), nil
	case jsonUint32:
		return strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(b)), 10), nil
	case jsonInt64:
		return strconv.AppendInt(dst, int64(binary.LittleEndian.Uint64(b)), 10), nil
	case jsonUint64:
		return strconv.AppendUint(dst, binary.LittleEndian.Uint64(b), 10), nil
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(b))
	if math.IsNaN(f) || math.IsInf(f, 0) {
		// JSON has no spelling for these and MySQL never stores them.
		return dst, corrupt(off, "json: double is not finite")
	}
	return appendDouble(dst, f), nil
}

// container appends an object or array whose count field is at d.doc[off].
func (d *decoder) container(dst []byte, typ byte, off, end, depth int) ([]byte, error) {
	isObject := typ == jsonSmallObject || typ == jsonLargeObject
	large := typ == jsonLargeObject || typ == jsonLargeArray
	if depth+1 > MaxDepth {
		return dst, corrupt(off-1, "json: nesting deeper than "+strconv.Itoa(MaxDepth))
	}
	w := 2
	if large {
		w = 4
	}
	if end-off < 2*w {
		return dst, corrupt(off, "json: truncated container header")
	}
	count := readOffset(d.doc[off:], large)
	size := readOffset(d.doc[off+w:], large)
	if size > uint64(end-off) {
		return dst, corrupt(off+w, "json: container size "+strconv.FormatUint(size, 10)+" exceeds the "+strconv.Itoa(end-off)+" bytes available")
	}
	keyEntry, valEntry := uint64(2+w), uint64(1+w)
	header := uint64(2*w) + count*valEntry
	if isObject {
		header += count * keyEntry
	}
	if header > size {
		return dst, corrupt(off, "json: "+strconv.FormatUint(count, 10)+" elements do not fit in container of "+strconv.FormatUint(size, 10)+" bytes")
	}
	n := int(count) // count*3 <= size <= len(doc): fits in int
	cEnd := off + int(size)
	valBase := off + 2*w
	if isObject {
		valBase += n * int(keyEntry)
	}
	if isObject {
		dst = append(dst, '{')
	} else {
		dst = append(dst, '[')
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		if isObject {
			ke := off + 2*w + i*int(keyEntry)
			kOff := readOffset(d.doc[ke:], large)
			kLen := uint64(binary.LittleEndian.Uint16(d.doc[ke+w:]))
			if kOff < header || kOff+kLen > size {
				return dst, corrupt(ke, "json: key "+strconv.Itoa(i)+" at offset "+strconv.FormatUint(kOff, 10)+" length "+strconv.FormatUint(kLen, 10)+" lies outside the container's data")
			}
			d.budget -= int(kLen)
			if d.budget < 0 {
				return dst, corrupt(ke, "json: keys overlap (more key bytes than document bytes)")
			}
			k := off + int(kOff)
			dst = appendString(dst, d.doc[k:k+int(kLen)])
			dst = append(dst, ':')
		}
		ve := valBase + i*int(valEntry)
		t := d.doc[ve]
		if inlined(t, large) {
			d.budget--
			if d.budget < 0 {
				return dst, corrupt(ve, "json: value entries overlap (more nodes than bytes)")
			}
			var err error
			dst, err = appendScalar(dst, t, d.doc[ve+1:ve+int(valEntry)], ve+1)
			if err != nil {
				return dst, err
			}
			continue
		}
		vOff := readOffset(d.doc[ve+1:], large)
		// MySQL (Value::element) only requires the value to start after
		// its own entry and inside the container.
		if vOff < uint64(ve-off)+valEntry || vOff > size {
			return dst, corrupt(ve, "json: value "+strconv.Itoa(i)+" offset "+strconv.FormatUint(vOff, 10)+" lies outside the container's data")
		}
		var err error
		dst, err = d.value(dst, t, off+int(vOff), cEnd, depth+1)
		if err != nil {
			return dst, err
		}
	}
	if isObject {
		dst = append(dst, '}')
	} else {
		dst = append(dst, ']')
	}
	return dst, nil
}

func inlined(t byte, large bool) bool {
	switch t {
	case jsonLiteral, jsonInt16, jsonUint16:
		return true
	case jsonInt32, jsonUint32:
		return large
	}
	return false
}

func readOffset(b []byte, large bool) uint64 {
	if large {
		return uint64(binary.LittleEndian.Uint32(b))
	}
	return uint64(binary.LittleEndian.Uint16(b))
}

// readVarLen reads a varlen length from the start of b; off is b's offset
// for error messages. It returns the length and the bytes it occupied.
func readVarLen(b []byte, off int) (int, int, error) {
	var v uint64
	for i := 0; i < 5 && i < len(b); i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			if v > math.MaxUint32 {
				return 0, 0, corrupt(off, "json: length exceeds 32 bits")
			}
			if v > math.MaxInt {
				// Only on 32-bit platforms; no input can be this long.
				return 0, 0, corrupt(off, "json: length exceeds the address space")
			}
			return int(v), i + 1, nil
		}
	}
	return 0, 0, corrupt(off, "json: truncated or over-long variable-length length")
}

// opaque appends an opaque value whose field-type byte is at d.doc[off].
func (d *decoder) opaque(dst []byte, off, end int) ([]byte, error) {
	if end-off < 1 {
		return dst, corrupt(off, "json: truncated opaque value")
	}
	ft := d.doc[off]
	n, hdr, err := readVarLen(d.doc[off+1:end], off+1)
	if err != nil {
		return dst, err
	}
	if n > end-off-1-hdr {
		return dst, corrupt(off+1, "json: opaque length "+strconv.Itoa(n)+" exceeds the "+strconv.Itoa(end-off-1-hdr)+" bytes available")
	}
	d.budget -= n
	if d.budget < 0 {
		return dst, corrupt(off, "json: opaque values overlap (more data bytes than document bytes)")
	}
	dataOff := off + 1 + hdr
	data := d.doc[dataOff : dataOff+n]
	switch ft {
	case typeNewDecimal:
		if len(data) < 2 {
			return dst, corrupt(dataOff, "json: decimal opaque value shorter than its precision and scale")
		}
		prec, scale := int(data[0]), int(data[1])
		size := DecimalBinarySize(prec, scale)
		if size < 0 || size != len(data)-2 {
			return dst, corrupt(dataOff, "json: decimal opaque value of "+strconv.Itoa(len(data)-2)+" bytes does not match DECIMAL("+strconv.Itoa(prec)+","+strconv.Itoa(scale)+")")
		}
		out, _, err := AppendDecimal(dst, data[2:], prec, scale)
		if e, ok := err.(*Error); ok {
			return dst, corrupt(dataOff+2+e.Offset, "json: "+e.What)
		}
		return out, err
	case typeDate, typeTime, typeDatetime, typeTimestamp:
		if len(data) != 8 {
			return dst, corrupt(dataOff, "json: temporal opaque value of "+strconv.Itoa(len(data))+" bytes, want 8")
		}
		return appendPackedTemporal(dst, ft, int64(binary.LittleEndian.Uint64(data))), nil
	case typeVarString:
		return appendString(dst, data), nil
	}
	dst = append(dst, `"base64:type`...)
	dst = strconv.AppendUint(dst, uint64(ft), 10)
	dst = append(dst, ':')
	dst = appendMySQLBase64(dst, data)
	return append(dst, '"'), nil
}

// appendPackedTemporal prints a packed temporal value as my_TIME_to_str
// does with 6 fractional digits, quoted.
func appendPackedTemporal(dst []byte, ft byte, packed int64) []byte {
	neg := packed < 0
	u := uint64(packed)
	if neg {
		u = -u
	}
	frac := u & (1<<24 - 1)
	ip := u >> 24
	dst = append(dst, '"')
	if ft == typeTime {
		if neg {
			dst = append(dst, '-')
		}
		dst = appendMin2(dst, (ip>>12)%(1<<10))
		dst = append(dst, ':')
		dst = appendMin2(dst, (ip>>6)%(1<<6))
		dst = append(dst, ':')
		dst = appendMin2(dst, ip%(1<<6))
		dst = appendFrac6(dst, frac)
		return append(dst, '"')
	}
	// MySQL ignores the sign of DATE/DATETIME values when printing.
	ymd := ip >> 17
	ym := ymd >> 5
	hms := ip % (1 << 17)
	year, month, day := ym/13, ym%13, ymd%(1<<5)
	if year < 1000 {
		dst = append(dst, "000"[:4-digits(year)]...)
	}
	dst = strconv.AppendUint(dst, year, 10)
	dst = append(dst, '-')
	dst = appendMin2(dst, month)
	dst = append(dst, '-')
	dst = appendMin2(dst, day)
	if ft != typeDate {
		dst = append(dst, ' ')
		dst = appendMin2(dst, hms>>12)
		dst = append(dst, ':')
		dst = appendMin2(dst, (hms>>6)%(1<<6))
		dst = append(dst, ':')
		dst = appendMin2(dst, hms%(1<<6))
		dst = appendFrac6(dst, frac)
	}
	return append(dst, '"')
}

func digits(v uint64) int {
	n := 1
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// appendMin2 appends v zero-padded to at least two digits.
func appendMin2(dst []byte, v uint64) []byte {
	if v < 10 {
		dst = append(dst, '0')
	}
	return strconv.AppendUint(dst, v, 10)
}

// appendFrac6 appends '.' and the microseconds zero-padded to at least six
// digits (printf "%06lu": a hostile value above 999999 prints all its
// digits, as MySQL would).
func appendFrac6(dst []byte, us uint64) []byte {
	dst = append(dst, '.')
	if n := digits(us); n < 6 {
		dst = append(dst, "00000"[:6-n]...)
	}
	return strconv.AppendUint(dst, us, 10)
}

const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// appendMySQLBase64 appends data encoded as mysys base64_encode does:
// standard alphabet with '=' padding and a line break after every 76
// output characters. The line break is appended JSON-escaped ("\n")
// because the result always lands inside a JSON string.
func appendMySQLBase64(dst, data []byte) []byte {
	line := 0
	for i := 0; i < len(data); i += 3 {
		if line == 76 {
			dst = append(dst, '\\', 'n')
			line = 0
		}
		var c uint32
		rem := len(data) - i
		c = uint32(data[i]) << 16
		if rem > 1 {
			c |= uint32(data[i+1]) << 8
		}
		if rem > 2 {
			c |= uint32(data[i+2])
		}
		dst = append(dst, base64Alphabet[c>>18&0x3f], base64Alphabet[c>>12&0x3f])
		if rem > 1 {
			dst = append(dst, base64Alphabet[c>>6&0x3f])
		} else {
			dst = append(dst, '=')
		}
		if rem > 2 {
			dst = append(dst, base64Alphabet[c&0x3f])
		} else {
			dst = append(dst, '=')
		}
		line += 4
	}
	return dst
}

const hexLower = "0123456789abcdef"

// appendString appends s as a JSON string escaped as MySQL's double_quote
// does: '"' and '\\' are backslash-escaped, \b \t \n \f \r use their short
// forms, other bytes below 0x20 become \u00xx (lower-case hex), and every
// other byte, including DEL and any invalid UTF-8, is copied unchanged.
func appendString(dst, s []byte) []byte {
	dst = append(dst, '"')
	last := 0
	for i, c := range s {
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[last:i]...)
		last = i + 1
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexLower[c>>4], hexLower[c&0xf])
		}
	}
	dst = append(dst, s[last:]...)
	return append(dst, '"')
}

// appendDouble appends f as MySQL prints a JSON double: my_gcvt(f,
// MY_GCVT_ARG_DOUBLE, 34) followed by ".0" when that has neither '.' nor
// 'e'. my_gcvt uses the shortest round-trip digits (dtoa mode 4 with more
// digits allowed than a double has) and chooses the fixed notation when
// the decimal exponent decpt (value = 0.DIGITS × 10^decpt) satisfies
// -14 <= decpt <= 15, or when decpt is 16 and there are 17 digits;
// otherwise it uses 'e' notation with no '+' and no exponent padding.
// Examples: 1.0 → 1.0, 0.1 → 0.1, 1e14 → 100000000000000.0,
// 1e15 → 1e15, 1e20 → 1e20, 1e-15 → 0.000000000000001, 1e-16 → 1e-16,
// 1.5e300 → 1.5e300, -0.0 → -0.0.
//
// This differs from Go's strconv 'g' format (and from encoding/json),
// which would print 1e+20, 1e-07 and 100000000000000.
func appendDouble(dst []byte, f float64) []byte {
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	if s[0] == '-' {
		dst = append(dst, '-')
		s = s[1:]
	}
	// s is "D[.DDD]e±XX".
	e := 0
	for e < len(s) && s[e] != 'e' {
		e++
	}
	var digs [24]byte
	nd := 0
	for _, c := range s[:e] {
		if c != '.' {
			digs[nd] = c
			nd++
		}
	}
	exp := 0
	for _, c := range s[e+2:] {
		exp = exp*10 + int(c-'0')
	}
	if s[e+1] == '-' {
		exp = -exp
	}
	decpt := exp + 1
	d := digs[:nd]
	if decpt >= -14 && (decpt <= 15 || nd > decpt) {
		switch {
		case decpt <= 0:
			dst = append(dst, '0', '.')
			for i := 0; i < -decpt; i++ {
				dst = append(dst, '0')
			}
			dst = append(dst, d...)
		case decpt < nd:
			dst = append(dst, d[:decpt]...)
			dst = append(dst, '.')
			dst = append(dst, d[decpt:]...)
		default:
			dst = append(dst, d...)
			for i := nd; i < decpt; i++ {
				dst = append(dst, '0')
			}
			dst = append(dst, '.', '0')
		}
		return dst
	}
	dst = append(dst, d[0])
	if nd > 1 {
		dst = append(dst, '.')
		dst = append(dst, d[1:]...)
	}
	dst = append(dst, 'e')
	if exp < 0 {
		dst = append(dst, '-')
		exp = -exp
	}
	return strconv.AppendInt(dst, int64(exp), 10)
}
