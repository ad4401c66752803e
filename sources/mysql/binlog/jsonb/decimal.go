package jsonb

import "strconv"

const (
	maxDecimalPrecision = 65 // DECIMAL_MAX_PRECISION
	maxDecimalScale     = 30 // DECIMAL_MAX_SCALE
	digitsPerGroup      = 9
)

var dig2bytes = [digitsPerGroup + 1]int{0, 1, 1, 2, 2, 3, 3, 4, 4, 4}

var pow10 = [digitsPerGroup + 1]uint32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

// DecimalBinarySize returns the number of bytes of a binary DECIMAL of the
// given precision and scale, or -1 when precision or scale is out of the
// range MySQL allows (0 <= scale <= 30, scale <= precision <= 65).
func DecimalBinarySize(precision, scale int) int {
	if precision < 0 || precision > maxDecimalPrecision || scale < 0 || scale > maxDecimalScale || scale > precision {
		return -1
	}
	intg := precision - scale
	return intg/digitsPerGroup*4 + dig2bytes[intg%digitsPerGroup] +
		scale/digitsPerGroup*4 + dig2bytes[scale%digitsPerGroup]
}

// AppendDecimal appends the text of the binary DECIMAL(precision, scale) at
// the start of bin to dst and returns the extended buffer and the number of
// bytes of bin the value occupied.
//
// The text is what MySQL prints (decimal2string): an optional '-', the
// integer digits without leading zeros ("0" when there are none), and, when
// scale > 0, a '.' followed by exactly scale digits. A negative zero (which
// MySQL does not normally write) is printed as MySQL prints it: "-0.00"
// when scale > 0, "0" when scale is 0.
//
// A group larger than 999999999, or a leftover group with more digits than
// its slot holds, is reported as corrupt. (MySQL's own reader accepts one
// extra digit in the integer leftover group; such values are never written
// by MySQL, so they are rejected here rather than printed with more digits
// than the column has.)
//
// # Binary DECIMAL (MySQL strings/decimal.cc decimal2bin, binary2decimal)
//
// A DECIMAL(precision, scale) value has intg = precision-scale integer
// digits and scale fraction digits. Each side is cut into groups of nine
// decimal digits stored as 4-byte big-endian integers; the integer side's
// leftover (most significant) digits come first and the fraction side's
// leftover (least significant) digits come last, each leftover stored in
// the fewest bytes that hold it:
//
//	leftover digits  0  1  2  3  4  5  6  7  8
//	bytes            0  1  1  2  2  3  3  4  4
//
//	+----------------+---------------+---------------+-----------------+
//	| intg leftover  | intg groups   | frac groups   | frac leftover   |
//	| 0-4 bytes      | 4 bytes each  | 4 bytes each  | 0-4 bytes       |
//	+----------------+---------------+---------------+-----------------+
//
// The first bit of the whole encoding is the sign, flipped so that the
// bytes sort like the numbers: it is 1 for non-negative values. A negative
// value additionally has every bit of every byte inverted. Example:
// DECIMAL(5,2) 123.45 is 0x80 0x7B 0x2D (leftover 3 digits "123" in 2 bytes,
// then leftover 2 fraction digits "45" in 1 byte, first bit set); -123.45 is
// those bytes inverted: 0x7F 0x84 0xD2.
func AppendDecimal(dst, bin []byte, precision, scale int) ([]byte, int, error) {
	size := DecimalBinarySize(precision, scale)
	if size < 0 {
		return dst, 0, corrupt(0, "decimal: invalid precision "+strconv.Itoa(precision)+" / scale "+strconv.Itoa(scale))
	}
	if len(bin) < size {
		return dst, 0, corrupt(len(bin), "decimal: truncated: DECIMAL("+strconv.Itoa(precision)+","+strconv.Itoa(scale)+") needs "+strconv.Itoa(size)+" bytes, have "+strconv.Itoa(len(bin)))
	}
	if size == 0 {
		// Precision 0 only comes from hostile opaque headers; MySQL
		// reads it as the number zero.
		return append(dst, '0'), 0, nil
	}
	b := bin[:size]
	var mask byte
	if b[0]&0x80 == 0 {
		mask = 0xFF
	}
	neg := mask != 0
	intg := precision - scale
	intg0, intgX := intg/digitsPerGroup, intg%digitsPerGroup
	frac0, fracX := scale/digitsPerGroup, scale%digitsPerGroup

	start := len(dst)
	if neg {
		dst = append(dst, '-')
	}
	digitsStart := len(dst)
	pos := 0
	// readGroup decodes n big-endian bytes with the sign bit restored and
	// the negative inversion undone.
	readGroup := func(n int) uint32 {
		var v uint32
		for i := 0; i < n; i++ {
			c := b[pos+i] ^ mask
			if pos+i == 0 {
				c ^= 0x80
			}
			v = v<<8 | uint32(c)
		}
		pos += n
		return v
	}
	leading := true // still skipping leading zero digits
	if intgX > 0 {
		at := pos
		v := readGroup(dig2bytes[intgX])
		if v >= pow10[intgX] {
			return dst[:start], 0, corrupt(at, "decimal: integer group "+strconv.FormatUint(uint64(v), 10)+" has more than "+strconv.Itoa(intgX)+" digits")
		}
		if v != 0 {
			dst = strconv.AppendUint(dst, uint64(v), 10)
			leading = false
		}
	}
	for i := 0; i < intg0; i++ {
		at := pos
		v := readGroup(4)
		if v > 999999999 {
			return dst[:start], 0, corrupt(at, "decimal: integer group "+strconv.FormatUint(uint64(v), 10)+" exceeds 999999999")
		}
		if leading {
			if v != 0 {
				dst = strconv.AppendUint(dst, uint64(v), 10)
				leading = false
			}
		} else {
			dst = appendPadded(dst, v, digitsPerGroup)
		}
	}
	if len(dst) == digitsStart {
		if neg && scale == 0 {
			// binary2decimal turns a value with no digits left (all
			// integer groups zero, no fraction) into a plain zero,
			// dropping the sign; with a fraction the sign survives.
			dst = append(dst[:start], '0')
		} else {
			dst = append(dst, '0')
		}
	}
	if scale > 0 {
		dst = append(dst, '.')
		for i := 0; i < frac0; i++ {
			at := pos
			v := readGroup(4)
			if v > 999999999 {
				return dst[:start], 0, corrupt(at, "decimal: fraction group "+strconv.FormatUint(uint64(v), 10)+" exceeds 999999999")
			}
			dst = appendPadded(dst, v, digitsPerGroup)
		}
		if fracX > 0 {
			at := pos
			v := readGroup(dig2bytes[fracX])
			if v >= pow10[fracX] {
				return dst[:start], 0, corrupt(at, "decimal: fraction group "+strconv.FormatUint(uint64(v), 10)+" has more than "+strconv.Itoa(fracX)+" digits")
			}
			dst = appendPadded(dst, v, fracX)
		}
	}
	return dst, size, nil
}

// appendPadded appends v as exactly width decimal digits; v < 10^width.
func appendPadded(dst []byte, v uint32, width int) []byte {
	var buf [digitsPerGroup]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[:width]...)
}
