package postgres

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/seed5aa6e046/syncer/core"
)

// ValueError is a value the column's policy refuses to store: Postgres
// cannot hold it as is. The caller adds the row (key and position).
type ValueError struct {
	Table  string // source database.table
	Column string
	Value  string // the value as MySQL prints it
	Reason string // why Postgres cannot hold it
	Hint   string // which policy setting would store it, and how
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("postgres sink: table %s column %s: value %s: %s; %s", e.Table, e.Column, e.Value, e.Reason, e.Hint)
}

// kindError is a value whose kind does not match the column's type: a
// bug in the source or in the plan, never the user's data.
type kindError struct {
	table, column, pgType string
	want, got             core.Kind
}

func (e *kindError) Error() string {
	return fmt.Sprintf("postgres sink: table %s column %s (%s): got a %s value where the source column carries %s values (a bug: the row does not match the table definition)",
		e.table, e.column, e.pgType, e.got, e.want)
}

// appendCopy appends v in COPY TEXT format, escaped for COPY, `\N` for
// NULL, without a delimiter.
func (c *columnPlan) appendCopy(dst []byte, v core.Value) ([]byte, error) {
	k := v.Kind()
	if k == core.KindNull {
		return append(dst, `\N`...), nil
	}
	if k != c.kind && !(c.enc == encBool && (k == core.KindInt || k == core.KindUint)) {
		return dst, &kindError{table: c.database + "." + c.table, column: c.Name, pgType: c.PGType, want: c.kind, got: k}
	}
	switch c.enc {
	case encInt, encYear:
		return strconv.AppendInt(dst, v.Int(), 10), nil
	case encUint:
		return strconv.AppendUint(dst, v.Uint(), 10), nil
	case encBool:
		if v.Uint() == 0 {
			return append(dst, 'f'), nil
		}
		return append(dst, 't'), nil
	case encFloat32:
		return appendFloat(dst, v.Float64(), 32), nil
	case encFloat64:
		return appendFloat(dst, v.Float64(), 64), nil
	case encDecimal:
		return append(dst, v.Bytes()...), nil
	case encBit:
		n := v.Uint()
		for i := c.bitWidth - 1; i >= 0; i-- {
			if i < 64 && n>>uint(i)&1 == 1 {
				dst = append(dst, '1')
			} else {
				dst = append(dst, '0')
			}
		}
		return dst, nil
	case encDate, encDateTime:
		civ := v.Civil()
		if civ.IsZero() {
			return c.datePolicy(dst, v, c.pol.ZeroDate, zeroDateWhy, "zero_date")
		}
		if !civ.Valid() {
			return c.datePolicy(dst, v, c.pol.InvalidDate, invalidDateWhy, "invalid_date")
		}
		dst = appendCivilDate(dst, civ.Year, civ.Month, civ.Day)
		if c.enc == encDateTime {
			dst = append(dst, ' ')
			dst = appendClock(dst, int64(civ.Hour), civ.Minute, civ.Second, civ.Microsecond)
		}
		return dst, nil
	case encTimestamp:
		if v.IsZeroTimestamp() {
			return c.datePolicy(dst, v, c.pol.ZeroDate, zeroDateWhy, "zero_date")
		}
		m := v.Micros()
		sec, us := m/1e6, m%1e6
		if us < 0 {
			sec, us = sec-1, us+1e6
		}
		t := time.Unix(sec, 0).UTC()
		y, mo, d := t.Date()
		dst = appendCivilDate(dst, y, int(mo), d)
		dst = append(dst, ' ')
		dst = appendClock(dst, int64(t.Hour()), t.Minute(), t.Second(), int(us))
		return append(dst, "+00"...), nil
	case encTime:
		m := v.Micros()
		if m < 0 {
			dst = append(dst, '-')
			m = -m
		}
		s := m / 1e6
		return appendClock(dst, s/3600, int(s/60%60), int(s%60), int(m%1e6)), nil
	case encText:
		return c.appendText(dst, v, v.Bytes())
	case encBytea:
		dst = append(dst, `\\x`...)
		const hex = "0123456789abcdef"
		for _, b := range v.Bytes() {
			dst = append(dst, hex[b>>4], hex[b&15])
		}
		return dst, nil
	case encSet:
		return c.appendSet(dst, v)
	case encJSON:
		return c.appendJSON(dst, v)
	case encVector:
		b := v.Bytes()
		dst = append(dst, '{')
		for i := 0; i+4 <= len(b); i += 4 {
			if i > 0 {
				dst = append(dst, ',')
			}
			f := math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))
			dst = appendFloat(dst, float64(f), 32)
		}
		return append(dst, '}'), nil
	}
	return dst, fmt.Errorf("postgres sink: table %s.%s column %s: no encoding for %s", c.database, c.table, c.Name, c.PGType)
}

const (
	zeroDateWhy    = "MySQL's zero date has no Postgres equivalent"
	invalidDateWhy = "the date does not exist in the calendar (year 0, month or day 0, or a day past the month's end), and Postgres only holds real dates"
)

// datePolicy stores a date Postgres cannot hold as the policy says.
func (c *columnPlan) datePolicy(dst []byte, v core.Value, p DatePolicy, why, key string) ([]byte, error) {
	switch p {
	case DateNull:
		return append(dst, `\N`...), nil
	case DateInfinity:
		return append(dst, "infinity"...), nil
	case DateNegInfinity:
		return append(dst, "-infinity"...), nil
	}
	return dst, c.valueError(v, why, key, "null, infinity or -infinity")
}

func (c *columnPlan) valueError(v core.Value, why, key, choices string) *ValueError {
	name := c.database + "." + c.table
	return &ValueError{
		Table:  name,
		Column: c.Name,
		Value:  quoteValue(v),
		Reason: why,
		Hint: fmt.Sprintf("to store such values set the pipeline's policies.%s to %s, or for this column only add "+
			"{match: %q, %s: ...} under policies.columns", key, choices, name+"."+c.Name, key),
	}
}

// quoteValue renders v for an error message, bounded in length.
func quoteValue(v core.Value) string {
	s := v.String()
	const max = 200
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "...(" + strconv.Itoa(len(s)) + " bytes)"
	}
	return strconv.Quote(s)
}

const nulWhy = "Postgres text cannot hold the NUL character (byte 0)"

// appendText appends text with the NUL policy applied, escaped for COPY.
func (c *columnPlan) appendText(dst []byte, v core.Value, b []byte) ([]byte, error) {
	if bytes.IndexByte(b, 0) < 0 {
		return appendCopyEscaped(dst, b), nil
	}
	switch c.pol.NulInText {
	case NulStrip, NulReplace:
		for len(b) > 0 {
			i := bytes.IndexByte(b, 0)
			if i < 0 {
				return appendCopyEscaped(dst, b), nil
			}
			dst = appendCopyEscaped(dst, b[:i])
			if c.pol.NulInText == NulReplace {
				dst = append(dst, "\uFFFD"...)
			}
			b = b[i+1:]
		}
		return dst, nil
	}
	return dst, c.valueError(v, nulWhy, "nul_in_text", "strip or replace")
}

// appendCopyEscaped appends b escaped for COPY TEXT: backslash, newline,
// carriage return and tab.
func appendCopyEscaped(dst, b []byte) []byte {
	start := 0
	for i, ch := range b {
		var esc byte
		switch ch {
		case '\\':
			esc = '\\'
		case '\n':
			esc = 'n'
		case '\r':
			esc = 'r'
		case '\t':
			esc = 't'
		default:
			continue
		}
		dst = append(dst, b[start:i]...)
		dst = append(dst, '\\', esc)
		start = i + 1
	}
	return append(dst, b[start:]...)
}

// appendSet appends a SET value as a text[] literal, every element
// quoted, escaped for COPY.
func (c *columnPlan) appendSet(dst []byte, v core.Value) ([]byte, error) {
	b := v.Bytes()
	if len(b) == 0 {
		return append(dst, "{}"...), nil
	}
	if bytes.IndexByte(b, 0) >= 0 && c.pol.NulInText != NulStrip && c.pol.NulInText != NulReplace {
		return dst, c.valueError(v, nulWhy, "nul_in_text", "strip or replace")
	}
	dst = append(dst, '{')
	for first := true; ; first = false {
		i := bytes.IndexByte(b, ',')
		label := b
		if i >= 0 {
			label = b[:i]
		}
		if !first {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		for _, ch := range label {
			switch ch {
			case 0:
				if c.pol.NulInText == NulReplace {
					dst = append(dst, "\uFFFD"...)
				}
				continue
			case '"':
				dst = append(dst, `\\"`...) // array-level \" , COPY-escaped
				continue
			case '\\':
				dst = append(dst, `\\\\`...) // array-level \\ , COPY-escaped
				continue
			case '\n':
				dst = append(dst, `\n`...)
				continue
			case '\r':
				dst = append(dst, `\r`...)
				continue
			case '\t':
				dst = append(dst, `\t`...)
				continue
			}
			dst = append(dst, ch)
		}
		dst = append(dst, '"')
		if i < 0 {
			break
		}
		b = b[i+1:]
	}
	return append(dst, '}'), nil
}

// appendJSON appends JSON text, escaped for COPY, with the NUL policy
// applied to raw NUL bytes and to the escape \u0000, which jsonb rejects.
func (c *columnPlan) appendJSON(dst []byte, v core.Value) ([]byte, error) {
	b := v.Bytes()
	at := jsonNul(b, 0)
	if at < 0 {
		return appendCopyEscaped(dst, b), nil
	}
	if c.pol.NulInText != NulStrip && c.pol.NulInText != NulReplace {
		return dst, c.valueError(v, nulWhy+" (in JSON the escape \\u0000, which jsonb rejects)", "nul_in_text", "strip or replace")
	}
	for at >= 0 {
		dst = appendCopyEscaped(dst, b[:at])
		n := 1 // a raw NUL
		if b[at] == '\\' {
			n = 6 // \u0000
			if c.pol.NulInText == NulReplace {
				dst = append(dst, `\\ufffd`...)
			}
		} else if c.pol.NulInText == NulReplace {
			dst = append(dst, "\uFFFD"...)
		}
		b = b[at+n:]
		at = jsonNul(b, 0)
	}
	return appendCopyEscaped(dst, b), nil
}

// jsonNul returns the offset of the first raw NUL byte or \u0000 escape
// in JSON text at or after from, or -1.
func jsonNul(b []byte, from int) int {
	for i := from; i < len(b); i++ {
		switch b[i] {
		case 0:
			return i
		case '\\':
			if i+5 < len(b) && b[i+1] == 'u' && b[i+2] == '0' && b[i+3] == '0' && b[i+4] == '0' && b[i+5] == '0' {
				return i
			}
			i++ // skip the escaped character (\\ included)
		}
	}
	return -1
}

// appendFloat appends f so that Postgres reads back exactly the same
// float of the given bit size.
func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

func appendCivilDate(dst []byte, y, m, d int) []byte {
	dst = appendDigits(dst, int64(y), 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int64(m), 2)
	dst = append(dst, '-')
	return appendDigits(dst, int64(d), 2)
}

// appendClock appends HH:MM:SS.ffffff (hours may exceed 24).
func appendClock(dst []byte, h int64, m, s, us int) []byte {
	dst = appendDigits(dst, h, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, int64(m), 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, int64(s), 2)
	dst = append(dst, '.')
	return appendDigits(dst, int64(us), 6)
}

// appendDigits appends a non-negative n zero-padded to width digits.
func appendDigits(dst []byte, n int64, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for n >= 10 || width > 1 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		width--
	}
	i--
	buf[i] = byte('0' + n)
	return append(dst, buf[i:]...)
}
