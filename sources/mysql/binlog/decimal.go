package binlog

import "fmt"

// MySQL's binary DECIMAL (NEWDECIMAL) format, from strings/decimal.cc
// (decimal2bin / bin2decimal):
//
// The integer part (precision - scale digits) and the fraction (scale
// digits) are each cut into groups of 9 decimal digits stored as 4-byte
// big-endian integers. The integer part's leftover leading digits and the
// fraction's leftover trailing digits use the smallest byte count that holds
// them (decimalGroupBytes). Layout for DECIMAL(p,s), intg = p-s:
//
//	size                      field
//	groupBytes(intg%9)        leading integer digits
//	4 * (intg/9)              full integer groups
//	4 * (s/9)                 full fraction groups
//	groupBytes(s%9)           trailing fraction digits
//
// The sign lives in the top bit of the first byte, which is flipped so that
// the encoding sorts bytewise: for a negative number every byte is
// additionally inverted.

const decimalDigitsPerGroup = 9

var decimalGroupBytes = [10]int{0, 1, 1, 2, 2, 3, 3, 4, 4, 4}

var powersOf10 = [10]uint32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

// decimalBinarySize returns the byte length of a DECIMAL(precision, scale)
// value in the binary format.
func decimalBinarySize(precision, scale int) int {
	intg := precision - scale
	return intg/decimalDigitsPerGroup*4 + decimalGroupBytes[intg%decimalDigitsPerGroup] +
		scale/decimalDigitsPerGroup*4 + decimalGroupBytes[scale%decimalDigitsPerGroup]
}

// validDecimalShape reports whether precision and scale describe a decimal
// the servers can store: precision 1..65, scale up to 30 (MySQL) or 38
// (MariaDB), and no more than the precision.
func validDecimalShape(precision, scale int) bool {
	return precision >= 1 && precision <= 65 && scale >= 0 && scale <= 38 && scale <= precision
}

// decimalGroup reads one big-endian group of n bytes, undoing the negative
// inversion with mask (0 or 0xff); first flips the sign bit of byte 0.
func decimalGroup(b []byte, mask byte, first bool) uint32 {
	var v uint32
	for i, c := range b {
		if first && i == 0 {
			c ^= 0x80
		}
		v = v<<8 | uint32(c^mask)
	}
	return v
}

// checkDecimal verifies a binary decimal of exactly the right size: every
// group must hold fewer digits than it has room for, or the value is corrupt.
func checkDecimal(b []byte, precision, scale int) error {
	mask := byte(0)
	if b[0]&0x80 == 0 {
		mask = 0xff
	}
	intg := precision - scale
	lead, trail := intg%decimalDigitsPerGroup, scale%decimalDigitsPerGroup
	pos := 0
	for g, last := 0, intg/9+scale/9+1; g <= last; g++ {
		n, digits := 4, 9
		switch g {
		case 0:
			n, digits = decimalGroupBytes[lead], lead
		case last:
			n, digits = decimalGroupBytes[trail], trail
		}
		if n == 0 {
			continue
		}
		if v := decimalGroup(b[pos:pos+n], mask, pos == 0); v >= powersOf10[digits] {
			return fmt.Errorf("DECIMAL(%d,%d) group at byte %d holds %d, more than %d digits: corrupt value", precision, scale, pos, v, digits)
		}
		pos += n
	}
	return nil
}

// appendDecimal appends the text of a binary decimal: an optional '-', the
// integer part without leading zeros ("0" when it is zero), and when scale
// > 0 a '.' and exactly scale digits. b must have passed checkDecimal.
func appendDecimal(dst, b []byte, precision, scale int) []byte {
	mask := byte(0)
	if b[0]&0x80 == 0 {
		mask = 0xff
	}
	signAt := len(dst)
	if mask != 0 {
		dst = append(dst, '-')
	}
	digitsStart := len(dst)
	pos := 0
	first := true
	leading := true // still skipping leading zeros of the integer part
	var buf [9]byte
	emitInt := func(n, digits int) {
		if n == 0 {
			return
		}
		v := decimalGroup(b[pos:pos+n], mask, first)
		first = false
		pos += n
		if leading {
			if v == 0 {
				return
			}
			leading = false
			i := len(buf)
			for v > 0 {
				i--
				buf[i] = byte('0' + v%10)
				v /= 10
			}
			dst = append(dst, buf[i:]...)
			return
		}
		for i := digits - 1; i >= 0; i-- {
			buf[i] = byte('0' + v%10)
			v /= 10
		}
		dst = append(dst, buf[:digits]...)
	}
	intg := precision - scale
	emitInt(decimalGroupBytes[intg%9], intg%9)
	for range intg / 9 {
		emitInt(4, 9)
	}
	if leading {
		dst = append(dst, '0')
	}
	allZero := leading // integer part is zero
	if scale > 0 {
		dst = append(dst, '.')
		emitFrac := func(n, digits int) {
			if n == 0 {
				return
			}
			v := decimalGroup(b[pos:pos+n], mask, first)
			first = false
			pos += n
			if v != 0 {
				allZero = false
			}
			for i := digits - 1; i >= 0; i-- {
				buf[i] = byte('0' + v%10)
				v /= 10
			}
			dst = append(dst, buf[:digits]...)
		}
		for range scale / 9 {
			emitFrac(4, 9)
		}
		emitFrac(decimalGroupBytes[scale%9], scale%9)
	}
	if mask != 0 && allZero {
		// A negative zero ("-0.00") is not a value the server produces
		// from arithmetic; print it as zero.
		copy(dst[signAt:], dst[digitsStart:])
		dst = dst[:len(dst)-1]
	}
	return dst
}
