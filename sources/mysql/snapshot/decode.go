package snapshot

import (
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
)

// decodeScratch is one Decode's working space: the variable-width bytes of
// the row being built and where each value's bytes are. Decode copies them
// into an arena of the exact size, so the row owns no spare capacity and
// the scratch is reused.
type decodeScratch struct {
	buf   []byte
	spans []decodeSpan
}

// decodeSpan is a variable-width value under construction: buf[start:end]
// until the arena exists.
type decodeSpan struct {
	idx        int
	kind       core.Kind
	start, end int
}

// maxPooledScratch bounds the scratch kept for reuse, so that one huge
// BLOB does not pin its size in every idle pool entry.
const maxPooledScratch = 1 << 20

// Decode turns one result row of ChunkQuery (raw[i] nil for NULL) into
// the row's values in Table().Columns order, equal (core.Value.Equal) to
// those the binlog path (cdc.Records) makes of the same row: the same
// kinds, text converted to UTF-8 by the same converter, the same handling
// of bytes invalid in the column charset.
//
// raw may be reused by the caller (database/sql reuses sql.RawBytes) once
// Decode returns: the values' bytes live in one arena allocated for the
// row, which the row owns (as a core.Record owns its values).
func (r *TableReader) Decode(raw []sql.RawBytes) ([]core.Value, error) {
	if len(raw) != len(r.cols) {
		return nil, fmt.Errorf("snapshot: table %s: a row of %d values, the table has %d columns", r.table.QualifiedName(), len(raw), len(r.cols))
	}
	s := r.bufs.Get().(*decodeScratch)
	s.buf, s.spans = s.buf[:0], s.spans[:0]
	vals := make([]core.Value, len(raw))
	for i := range r.cols {
		if raw[i] == nil {
			continue // the zero Value is NULL
		}
		if err := r.cols[i].decode(raw[i], i, vals, s); err != nil {
			r.putScratch(s)
			return nil, fmt.Errorf("snapshot: table %s column %s: %w", r.table.QualifiedName(), r.cols[i].name, err)
		}
	}
	if len(s.spans) > 0 {
		var arena []byte
		if len(s.buf) > 0 {
			arena = make([]byte, len(s.buf))
			copy(arena, s.buf)
		}
		for _, sp := range s.spans {
			b := arena[sp.start:sp.end:sp.end]
			vals[sp.idx] = core.VarValue(sp.kind, b)
		}
	}
	r.putScratch(s)
	return vals, nil
}

func (r *TableReader) putScratch(s *decodeScratch) {
	if cap(s.buf) > maxPooledScratch {
		s.buf = nil
	}
	r.bufs.Put(s)
}

// span records that value idx of kind k is s.buf[start:].
func (s *decodeScratch) span(idx int, k core.Kind, start int) {
	s.spans = append(s.spans, decodeSpan{idx: idx, kind: k, start: start, end: len(s.buf)})
}

var (
	errDecodeSyntax = errors.New("not a value of the column's type")
	errDecodeRange  = errors.New("out of range")
)

// decode converts one non-NULL raw value into vals[idx] or a span of s.
func (c *colReader) decode(b []byte, idx int, vals []core.Value, s *decodeScratch) error {
	start := len(s.buf)
	switch c.op {
	case colOpInt:
		n, err := decodeInt(b)
		if err != nil {
			return fmt.Errorf("integer %q: %w", b, err)
		}
		vals[idx] = core.IntValue(n)
	case colOpUint:
		n, err := decodeUint(b)
		if err != nil {
			return fmt.Errorf("unsigned integer %q: %w", b, err)
		}
		vals[idx] = core.UintValue(n)
	case colOpFloat32, colOpFloat64:
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			// The server stores neither NaN nor infinities.
			return fmt.Errorf("number %q: %w", b, errDecodeSyntax)
		}
		if c.op == colOpFloat32 {
			f32 := float32(f)
			if float64(f32) != f {
				// A FLOAT widens to a double exactly; a double that does
				// not narrow back exactly was not printed exactly.
				return fmt.Errorf("FLOAT read as %q, which is no float32", b)
			}
			vals[idx] = core.Float32Value(f32)
		} else {
			vals[idx] = core.Float64Value(f)
		}
	case colOpDecimal:
		d, err := decodeDecimalText(b)
		if err != nil {
			return fmt.Errorf("decimal %q: %w", b, err)
		}
		s.buf = append(s.buf, d...)
		s.span(idx, core.KindDecimal, start)
	case colOpBit:
		if len(b) > 8 {
			return fmt.Errorf("BIT value of %d bytes: %w", len(b), errDecodeRange)
		}
		var n uint64
		for _, x := range b {
			n = n<<8 | uint64(x)
		}
		vals[idx] = core.BitValue(n, c.width)
	case colOpYear:
		n, err := decodeUint(b)
		if err != nil || n > 9999 {
			return fmt.Errorf("YEAR %q: %w", b, errDecodeSyntax)
		}
		vals[idx] = core.YearValue(int(n))
	case colOpDate:
		cv, ok := decodeDate(b)
		if !ok || len(b) != 10 {
			return fmt.Errorf("DATE %q: %w", b, errDecodeSyntax)
		}
		vals[idx] = core.DateValue(cv)
	case colOpDateTime:
		cv, ok := decodeDateTime(b)
		if !ok {
			return fmt.Errorf("DATETIME %q: %w", b, errDecodeSyntax)
		}
		vals[idx] = core.DateTimeValue(cv)
	case colOpTimestamp:
		cv, ok := decodeDateTime(b)
		if !ok {
			return fmt.Errorf("TIMESTAMP %q: %w", b, errDecodeSyntax)
		}
		if cv.IsZero() {
			vals[idx] = core.ZeroTimestampValue()
			break
		}
		t, ok := cv.Time()
		if !ok {
			return fmt.Errorf("TIMESTAMP %q is no instant: %w", b, errDecodeRange)
		}
		vals[idx] = core.TimestampValue(t.UnixMicro())
	case colOpTime:
		us, ok := decodeTime(b)
		if !ok {
			return fmt.Errorf("TIME %q: %w", b, errDecodeSyntax)
		}
		vals[idx] = core.TimeValue(us)
	case colOpString, colOpJSON:
		var ok bool
		if s.buf, ok = binlog.AppendUTF8(s.buf, b, c.charset); !ok {
			// As the binlog path: bytes that are not valid in the
			// column's charset (or a charset without a converter) keep
			// what is UTF-8.
			s.buf = binlog.AppendValidUTF8(s.buf, b)
		}
		k := core.KindString
		if c.op == colOpJSON {
			k = core.KindJSON
		}
		s.span(idx, k, start)
	case colOpBytes:
		s.buf = append(s.buf, b...)
		s.span(idx, core.KindBytes, start)
	case colOpGeometry:
		if len(b) != 0 && len(b) < 4 {
			return fmt.Errorf("geometry value of %d bytes has no room for its 4-byte SRID", len(b))
		}
		s.buf = append(s.buf, b...)
		s.span(idx, core.KindGeometry, start)
	case colOpVector:
		if len(b)%4 != 0 {
			return fmt.Errorf("vector value of %d bytes is not a whole number of 4-byte floats", len(b))
		}
		s.buf = append(s.buf, b...)
		s.span(idx, core.KindVector, start)
	case colOpEnum:
		n, err := decodeUint(b)
		if err != nil {
			return fmt.Errorf("ENUM index %q: %w", b, err)
		}
		if n > uint64(len(c.elems)) {
			return fmt.Errorf("ENUM index %d, but the column has %d labels", n, len(c.elems))
		}
		if n > 0 { // 0 is the empty error value
			s.buf = append(s.buf, c.elems[n-1]...)
		}
		s.span(idx, core.KindEnum, start)
	case colOpSet:
		bits, err := decodeUint(b)
		if err != nil {
			return fmt.Errorf("SET bits %q: %w", b, err)
		}
		// Bits without a label are left out, as the binlog path does.
		for i, l := range c.elems {
			if i < 64 && bits&(1<<i) != 0 {
				if len(s.buf) > start {
					s.buf = append(s.buf, ',')
				}
				s.buf = append(s.buf, l...)
			}
		}
		s.span(idx, core.KindSet, start)
	default:
		return fmt.Errorf("no decoder for the column")
	}
	return nil
}

// KeyOf returns a copy of the key columns' raw bytes of a result row of
// ChunkQuery, in key order (nil for a keyless table). It is the after of
// the next chunk when the row is the last of its chunk.
func (r *TableReader) KeyOf(raw []sql.RawBytes) Key {
	if r.keys == nil {
		return nil
	}
	n := 0
	for _, i := range r.keys {
		if i < len(raw) {
			n += len(raw[i])
		}
	}
	buf := make([]byte, 0, n)
	k := make(Key, len(r.keys))
	for j, i := range r.keys {
		if i >= len(raw) || raw[i] == nil {
			continue // a NULL key value, which CheckKey refuses
		}
		start := len(buf)
		buf = append(buf, raw[i]...)
		k[j] = buf[start:len(buf):len(buf)]
	}
	return k
}

// Strings returns the key as base64 strings, one per column, for a JSON
// checkpoint (nil for the nil Key).
func (k Key) Strings() []string {
	if k == nil {
		return nil
	}
	out := make([]string, len(k))
	for i, v := range k {
		out[i] = base64.StdEncoding.EncodeToString(v)
	}
	return out
}

// KeyFromStrings is the Key of Key.Strings (nil for nil).
func KeyFromStrings(s []string) (Key, error) {
	if s == nil {
		return nil, nil
	}
	k := make(Key, len(s))
	for i, v := range s {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("snapshot: key value %d %q: %w", i, v, err)
		}
		if b == nil {
			b = []byte{}
		}
		k[i] = b
	}
	return k, nil
}

// decodeDecimalText returns a DECIMAL's text as the binlog path writes it: the
// server's text with the leading zeros of ZEROFILL removed.
func decodeDecimalText(b []byte) ([]byte, error) {
	if !keyIsDecimal(b) {
		return nil, errDecodeSyntax
	}
	neg := b[0] == '-'
	d := b
	if neg {
		d = d[1:]
	}
	i := 0
	for i < len(d)-1 && d[i] == '0' && d[i+1] != '.' {
		i++
	}
	if i == 0 {
		return b, nil
	}
	if neg { // ZEROFILL is unsigned; keep the sign if ever
		return append([]byte{'-'}, d[i:]...), nil
	}
	return d[i:], nil
}

// decodeUint parses decimal digits (ZEROFILL's leading zeros included)
// without allocating.
func decodeUint(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, errDecodeSyntax
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errDecodeSyntax
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, errDecodeRange
		}
		n = n*10 + d
	}
	return n, nil
}

// decodeInt parses an optional '-' and decimal digits.
func decodeInt(b []byte) (int64, error) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	u, err := decodeUint(b)
	if err != nil {
		return 0, err
	}
	if neg {
		if u > 1<<63 {
			return 0, errDecodeRange
		}
		return -int64(u), nil
	}
	if u > math.MaxInt64 {
		return 0, errDecodeRange
	}
	return int64(u), nil
}

// decodeDigits parses exactly len(b) decimal digits.
func decodeDigits(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// decodeDate parses the "YYYY-MM-DD" that starts b, zero and invalid dates
// as they are.
func decodeDate(b []byte) (core.Civil, bool) {
	if len(b) < 10 || b[4] != '-' || b[7] != '-' {
		return core.Civil{}, false
	}
	y, ok1 := decodeDigits(b[0:4])
	m, ok2 := decodeDigits(b[5:7])
	d, ok3 := decodeDigits(b[8:10])
	if !ok1 || !ok2 || !ok3 || m > 12 || d > 31 {
		return core.Civil{}, false
	}
	return core.Civil{Year: y, Month: m, Day: d}, true
}

// decodeDateTime parses "YYYY-MM-DD HH:MM:SS[.ffffff]".
func decodeDateTime(b []byte) (core.Civil, bool) {
	c, ok := decodeDate(b)
	if !ok || len(b) < 19 || b[10] != ' ' || b[13] != ':' || b[16] != ':' {
		return core.Civil{}, false
	}
	h, ok1 := decodeDigits(b[11:13])
	mi, ok2 := decodeDigits(b[14:16])
	s, ok3 := decodeDigits(b[17:19])
	us, ok4 := decodeFraction(b[19:])
	if !ok1 || !ok2 || !ok3 || !ok4 || h > 23 || mi > 59 || s > 59 {
		return core.Civil{}, false
	}
	c.Hour, c.Minute, c.Second, c.Microsecond = h, mi, s, us
	return c, true
}

// decodeFraction parses "" or ".f" with 1-6 digits as microseconds.
func decodeFraction(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, true
	}
	if b[0] != '.' || len(b) < 2 || len(b) > 7 {
		return 0, false
	}
	n, ok := decodeDigits(b[1:])
	for i := len(b) - 1; i < 6; i++ {
		n *= 10
	}
	return n, ok
}

// decodeTime parses "[-]H+:MM:SS[.ffffff]" as signed microseconds.
func decodeTime(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	colon := 0
	for colon < len(b) && b[colon] != ':' {
		colon++
	}
	if colon == 0 || colon > 4 || len(b) < colon+6 || b[colon+3] != ':' {
		return 0, false
	}
	h, ok1 := decodeDigits(b[:colon])
	m, ok2 := decodeDigits(b[colon+1 : colon+3])
	s, ok3 := decodeDigits(b[colon+4 : colon+6])
	us, ok4 := decodeFraction(b[colon+6:])
	if !ok1 || !ok2 || !ok3 || !ok4 || m > 59 || s > 59 {
		return 0, false
	}
	d := (time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second).Microseconds() + int64(us)
	if neg {
		d = -d
	}
	return d, true
}
