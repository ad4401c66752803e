package binlogfile_test

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
)

// This file renders one of our decoded values in mariadb-binlog's -vv
// notation (log_event_print_value in MariaDB's sql/log_event_client.cc),
// from the Value's Go accessors and raw bytes, so that the two can be
// compared as exact strings. Each rule names the server code it mirrors.

// oracleTypeName is the type name mariadb-binlog prints in the comment
// (typestr), derived from our Column.
func oracleTypeName(c *binlog.Column) string {
	switch c.RealType {
	case binlog.TypeTiny:
		return "TINYINT"
	case binlog.TypeShort:
		return "SHORTINT"
	case binlog.TypeInt24:
		return "MEDIUMINT"
	case binlog.TypeLong:
		return "INT"
	case binlog.TypeLongLong:
		return "LONGINT"
	case binlog.TypeFloat:
		return "FLOAT"
	case binlog.TypeDouble:
		return "DOUBLE"
	case binlog.TypeNewDecimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", c.Precision, c.Scale)
	case binlog.TypeBit:
		return fmt.Sprintf("BIT(%d)", c.Bits)
	case binlog.TypeTimestamp:
		return "TIMESTAMP"
	case binlog.TypeTimestamp2:
		return fmt.Sprintf("TIMESTAMP(%d)", c.FSP)
	case binlog.TypeDateTime:
		return "DATETIME"
	case binlog.TypeDateTime2:
		return fmt.Sprintf("DATETIME(%d)", c.FSP)
	case binlog.TypeTime:
		return "TIME"
	case binlog.TypeTime2:
		return fmt.Sprintf("TIME(%d)", c.FSP)
	case binlog.TypeDate, binlog.TypeNewDate:
		return "DATE"
	case binlog.TypeYear:
		return "YEAR"
	case binlog.TypeEnum:
		if c.Length == 1 {
			return "ENUM(1 byte)"
		}
		return fmt.Sprintf("ENUM(%d bytes)", c.Length)
	case binlog.TypeSet:
		return fmt.Sprintf("SET(%d bytes)", c.Length)
	case binlog.TypeBlob, binlog.TypeTinyBlob, binlog.TypeMediumBlob, binlog.TypeLongBlob:
		return [...]string{"?", "TINYBLOB/TINYTEXT", "BLOB/TEXT", "MEDIUMBLOB/MEDIUMTEXT", "LONGBLOB/LONGTEXT"}[min(max(c.Length, 0), 4)]
	case binlog.TypeVarchar, binlog.TypeVarString:
		return fmt.Sprintf("VARSTRING(%d)", c.Length)
	case binlog.TypeString:
		return fmt.Sprintf("STRING(%d)", c.Length)
	case binlog.TypeGeometry:
		return "GEOMETRY"
	}
	return fmt.Sprintf("<type %d>", c.RealType)
}

// oracleNotation renders a non-NULL value as mariadb-binlog prints it.
// alts are further renderings that are equally correct; they are used only
// for BINARY(n) (see below).
func oracleNotation(v *binlog.Value) (text string, alts []string, err error) {
	c := v.Column()
	switch v.Kind() {
	case binlog.KindInt, binlog.KindUint:
		// my_b_write_sint32_and_uint32 / the LONGLONG case: the signed
		// value of the stored bytes, then " (unsigned)" when negative;
		// mariadb-binlog does not read the SIGNEDNESS metadata.
		width := map[binlog.ColumnType]uint{binlog.TypeTiny: 1, binlog.TypeShort: 2, binlog.TypeInt24: 3,
			binlog.TypeLong: 4, binlog.TypeLongLong: 8}[c.Type]
		if width == 0 {
			return "", nil, fmt.Errorf("integer value of column type %s", c.Type)
		}
		u := v.Uint64()
		if width < 8 {
			u &= 1<<(8*width) - 1
		}
		s := int64(u<<(64-8*width)) >> (64 - 8*width) // sign-extend
		if s < 0 {
			return fmt.Sprintf("%d (%d)", s, u), nil, nil
		}
		return strconv.FormatInt(s, 10), nil, nil
	case binlog.KindFloat32:
		// sprintf("%-20g", (double) fl)
		return fmt.Sprintf("%-20s", oracleCFormatG(v.Float64(), 6)), nil, nil
	case binlog.KindFloat64:
		// sprintf("%-.20g", dbl)
		return oracleCFormatG(v.Float64(), 20), nil, nil
	case binlog.KindDecimal:
		// decimal2string with the column's scale.
		return string(v.AppendDecimal(nil)), nil, nil
	case binlog.KindBit:
		// my_b_write_bit: the low nbits bits, most significant first.
		var b strings.Builder
		b.WriteString("b'")
		for i := c.Bits - 1; i >= 0; i-- {
			b.WriteByte('0' + byte(v.Uint64()>>uint(i)&1))
		}
		b.WriteByte('\'')
		return b.String(), nil, nil
	case binlog.KindYear:
		// printf("%04d", byte + 1900): the zero year (stored byte 0), which
		// we report as 0 (YEAR 0000 as MySQL shows it), prints as 1900.
		// No YEAR value is 1900 (the range is 1901-2155 and 0000), so the
		// mapping loses nothing.
		y := v.Uint64()
		if y == 0 {
			y = 1900
		}
		return fmt.Sprintf("%04d", y), nil, nil
	case binlog.KindDate:
		// NEWDATE and DATE: 'YYYY:MM:DD' with colons (copied from
		// field.cc); the year's thousands digit is '0'+year/1000.
		y, m, d := v.Date()
		return fmt.Sprintf("'%c%03d:%02d:%02d'", '0'+y/1000, y%1000, m, d), nil, nil
	case binlog.KindDateTime:
		y, mo, d := v.Date()
		h, mi, s, us, _ := v.Clock()
		t := fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, h, mi, s)
		if c.Type == binlog.TypeDateTime2 {
			t += oracleFrac(us, c.FSP) // my_datetime_to_str(&ltime, buf, meta)
		}
		return "'" + t + "'", nil, nil
	case binlog.KindTime:
		h, mi, s, us, neg := v.Clock()
		sign := ""
		if neg {
			sign = "-"
		}
		t := fmt.Sprintf("%s%02d:%02d:%02d", sign, h, mi, s)
		if c.Type == binlog.TypeTime2 {
			t += oracleFrac(us, c.FSP) // my_time_to_str(&ltime, buf, meta)
		}
		return "'" + t + "'", nil, nil
	case binlog.KindTimestamp:
		// TIMESTAMP: printf("%d", uint4korr(ptr)); TIMESTAMP2:
		// my_timeval_to_str: seconds, then '.' and meta digits. Both are
		// the Unix time, where we render UTC text (checked separately).
		sec := v.Uint64()
		if c.Type == binlog.TypeTimestamp {
			return strconv.FormatInt(int64(int32(uint32(sec))), 10), nil, nil
		}
		_, _, _, us, _ := v.Clock()
		return strconv.FormatUint(sec, 10) + oracleFrac(us, c.FSP), nil, nil
	case binlog.KindEnum:
		return strconv.FormatUint(v.Uint64(), 10), nil, nil // "%d" of the index
	case binlog.KindSet:
		// my_b_write_bit over the stored bytes (little-endian), each
		// byte most significant bit first.
		var b strings.Builder
		b.WriteString("b'")
		for i := 0; i < c.Length; i++ {
			fmt.Fprintf(&b, "%08b", byte(v.Uint64()>>(8*uint(i))))
		}
		b.WriteByte('\'')
		return b.String(), nil, nil
	case binlog.KindString, binlog.KindBytes, binlog.KindGeometry:
		raw := v.Bytes()
		text = oracleQuote(raw)
		if v.Kind() == binlog.KindBytes && c.Type == binlog.TypeString && c.RealType == binlog.TypeString && len(raw) == c.Length {
			// BINARY(n): the server logs the value without its trailing
			// zero bytes and mariadb-binlog prints those bytes; we put the
			// zeros back (as SELECT returns them). So theirs padded with
			// zeros to n must equal ours: accept ours minus any number of
			// its trailing zero bytes.
			for k := len(raw); k > 0 && raw[k-1] == 0; k-- {
				alts = append(alts, oracleQuote(raw[:k-1]))
			}
		}
		return text, alts, nil
	}
	return "", nil, fmt.Errorf("no mariadb-binlog notation for %s values", v.Kind())
}

// oracleQuote is my_b_write_quoted: bytes above 0x1F as they are (its
// escapes for ' and \ are unreachable, those bytes being above 0x1F), the
// others as \xNN.
func oracleQuote(b []byte) string {
	var s strings.Builder
	s.WriteByte('\'')
	for _, c := range b {
		if c > 0x1F {
			s.WriteByte(c)
		} else {
			fmt.Fprintf(&s, "\\x%02x", c)
		}
	}
	s.WriteByte('\'')
	return s.String()
}

// oracleFrac is the ".ffffff" part with dec digits (none when dec is 0).
func oracleFrac(us, dec int) string {
	if dec == 0 {
		return ""
	}
	return fmt.Sprintf(".%0*d", dec, us/int(math.Pow10(6-dec)))
}

// oracleCFormatG formats x like C's printf("%.<prec>g") (glibc: exact
// decimal expansion, correctly rounded; Go's strconv is exact too).
func oracleCFormatG(x float64, prec int) string {
	switch {
	case math.IsNaN(x):
		if math.Signbit(x) {
			return "-nan"
		}
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	if prec == 0 {
		prec = 1
	}
	e := strconv.FormatFloat(x, 'e', prec-1, 64)
	ei := strings.LastIndexByte(e, 'e')
	exp, _ := strconv.Atoi(e[ei+1:])
	if exp < -4 || exp >= prec {
		mant := e[:ei]
		if strings.Contains(mant, ".") {
			mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
		}
		return mant + e[ei:]
	}
	f := strconv.FormatFloat(x, 'f', prec-1-exp, 64)
	if strings.Contains(f, ".") {
		f = strings.TrimRight(strings.TrimRight(f, "0"), ".")
	}
	return f
}

// TestOracleCFormatG pins the printf("%g") emulation the oracle relies on
// for FLOAT (%-20g) and DOUBLE (%-.20g). The expected strings are glibc's
// (as reproduced by Python's correctly rounded %-formatting; the DOUBLE
// row -2.7182818284590450908 is also in the corpus output).
func TestOracleCFormatG(t *testing.T) {
	for _, c := range []struct {
		x       float64
		g6, g20 string
	}{
		{3.140000104904175, "3.14", "3.1400001049041748047"}, // float32(3.14)
		{4.509329905502809e+27, "4.50933e+27", "4.5093299055028090614e+27"},
		{1000000.0, "1e+06", "1000000"},
		{100000.0, "100000", "100000"},
		{123456.7, "123457", "123456.69999999999709"},
		{0.0001, "0.0001", "0.00010000000000000000479"},
		{1e-05, "1e-05", "1.0000000000000000818e-05"},
		{math.Copysign(0, -1), "-0", "-0"},
		{0.0, "0", "0"},
		{1e+300, "1e+300", "1.0000000000000000525e+300"},
		{5e-324, "4.94066e-324", "4.9406564584124654418e-324"},
		{0.1, "0.1", "0.10000000000000000555"},
		{-2.718281828459045, "-2.71828", "-2.7182818284590450908"},
		{127613.0, "127613", "127613"},
		{9.999995, "10", "9.9999950000000001893"},
		{999999.5, "1e+06", "999999.5"},
		{-1.500000053056283e-07, "-1.5e-07", "-1.5000000530562829226e-07"},
		{1.1805916207174113e+21, "1.18059e+21", "1.1805916207174113034e+21"},
	} {
		if got := oracleCFormatG(c.x, 6); got != c.g6 {
			t.Errorf("%%.6g of %v: got %q, want %q", c.x, got, c.g6)
		}
		if got := oracleCFormatG(c.x, 20); got != c.g20 {
			t.Errorf("%%.20g of %v: got %q, want %q", c.x, got, c.g20)
		}
	}
}
