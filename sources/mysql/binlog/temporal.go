package binlog

import "time"

// Temporal column encodings in row images (MySQL sql-common/my_time.cc,
// mysys/my_time.c; MariaDB sql/compat56.cc):
//
//	type        bytes          encoding
//	DATE        3 LE           day 5 bits | month 4 bits | year 15 bits (low to high)
//	NEWDATE     3 LE           same as DATE
//	TIME        3 LE signed    hours*10000 + minutes*100 + seconds
//	DATETIME    8 LE           YYYYMMDDhhmmss as a decimal integer
//	TIMESTAMP   4 LE           seconds since the epoch (0 = zero date)
//	TIME2       3+fb BE        sign | 1 unused | hour 10 | minute 6 | second 6, offset 0x800000
//	DATETIME2   5+fb BE        sign | (year*13+month) 17 | day 5 | hour 5 | minute 6 | second 6, offset 0x8000000000
//	TIMESTAMP2  4+fb BE        seconds since the epoch
//
// fb, the fractional part, is (fsp+1)/2 bytes big-endian holding the
// fraction scaled to 10^(2*fb) (hundredths, 1/10000ths or microseconds).
// TIME2's fraction is signed and, for a negative time, borrowed from the
// integer part (my_time_packed_from_binary).

// fracBytes returns the size of the fractional-seconds suffix for fsp.
func fracBytes(fsp int) int { return (fsp + 1) / 2 }

// fracScale converts the stored fraction to microseconds.
var fracScale = [4]int64{0, 10000, 100, 1}

func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// beInt reads a big-endian two's-complement integer of len(b) bytes.
func beInt(b []byte) int64 {
	v := beUint(b)
	shift := 64 - 8*uint(len(b))
	return int64(v<<shift) >> shift
}

// decodeDateTime2 reads a DATETIME2 value of len(b) == 5+fracBytes(fsp).
func decodeDateTime2(v *Value, b []byte, fsp int) {
	intPart := int64(beUint(b[:5])) - 0x8000000000
	fb := fracBytes(fsp)
	frac := int64(0)
	if fb > 0 {
		frac = beInt(b[5:5+fb]) * fracScale[fb]
	}
	if intPart < 0 {
		// Only a corrupt row can hold a negative DATETIME; keep the
		// magnitude so the parts stay in range.
		v.negative = true
		intPart = -intPart
	}
	if frac < 0 {
		frac = -frac
	}
	ymd := intPart >> 17
	ym := ymd >> 5
	hms := intPart & (1<<17 - 1)
	v.year = uint16(ym / 13)
	v.month = uint8(ym % 13)
	v.day = uint8(ymd & 31)
	v.hour = uint16(hms >> 12)
	v.minute = uint8(hms >> 6 & 63)
	v.second = uint8(hms & 63)
	v.micro = uint32(frac % 1000000)
}

// decodeTime2 reads a TIME2 value of len(b) == 3+fracBytes(fsp).
func decodeTime2(v *Value, b []byte, fsp int) {
	var packed int64 // MySQL's "packed" time: hms << 24 | microseconds
	switch fb := fracBytes(fsp); fb {
	case 0:
		packed = (int64(beUint(b[:3])) - 0x800000) << 24
	case 1, 2:
		intPart := int64(beUint(b[:3])) - 0x800000
		frac := int64(beUint(b[3 : 3+fb]))
		if intPart < 0 && frac != 0 {
			intPart++
			frac -= 1 << (8 * fb)
		}
		packed = intPart<<24 + frac*fracScale[fb]
	default: // 3 bytes of fraction: the whole value is one 48-bit integer
		packed = int64(beUint(b[:6])) - 0x800000000000
	}
	if packed < 0 {
		v.negative = true
		packed = -packed
	}
	hms := packed >> 24
	v.micro = uint32(packed & (1<<24 - 1) % 1000000)
	v.hour = uint16(hms >> 12 & 1023)
	v.minute = uint8(hms >> 6 & 63)
	v.second = uint8(hms & 63)
}

// decodeTimestamp2 reads a TIMESTAMP2 value of len(b) == 4+fracBytes(fsp).
func decodeTimestamp2(v *Value, b []byte, fsp int) {
	v.bits = beUint(b[:4])
	if fb := fracBytes(fsp); fb > 0 {
		v.micro = uint32(int64(beUint(b[4:4+fb])) * fracScale[fb] % 1000000)
	}
}

// timestampParts returns v with the civil UTC date and time of its
// TIMESTAMP seconds filled in. Decoding leaves them out: most consumers
// want the instant, and the calendar conversion costs more than the rest
// of the value.
func timestampParts(v *Value) Value {
	p := *v
	if v.isZeroTimestamp() {
		return p // the zero timestamp renders as the zero date
	}
	t := time.Unix(int64(v.bits), 0).UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	p.year, p.month, p.day = uint16(y), uint8(mo), uint8(d)
	p.hour, p.minute, p.second = uint16(h), uint8(mi), uint8(s)
	return p
}

// isZeroTimestamp tells the zero TIMESTAMP ('0000-00-00 00:00:00', stored
// as 0 seconds and 0 microseconds) from 1970-01-01 00:00:00.000001 UTC and
// the like, which also have 0 seconds.
func (v *Value) isZeroTimestamp() bool { return v.bits == 0 && v.micro == 0 }

// decodeDate reads the 3-byte DATE / NEWDATE encoding.
func decodeDate(v *Value, b []byte) {
	n := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
	v.day = uint8(n & 31)
	v.month = uint8(n >> 5 & 15)
	v.year = uint16(n >> 9)
}

// decodeOldTime reads the pre-5.6 3-byte TIME (a signed HHMMSS integer).
func decodeOldTime(v *Value, b []byte) {
	n := int32(uint32(b[0])|uint32(b[1])<<8|uint32(b[2])<<16) << 8 >> 8
	if n < 0 {
		v.negative = true
		n = -n
	}
	v.hour = uint16(n / 10000)
	v.minute = uint8(n / 100 % 100)
	v.second = uint8(n % 100)
}

// decodeOldDateTime reads the pre-5.6 8-byte DATETIME (YYYYMMDDhhmmss).
func decodeOldDateTime(v *Value, b []byte) {
	n := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
	date, tod := n/1000000, n%1000000
	v.year = uint16(date / 10000 % 65536)
	v.month = uint8(date / 100 % 100)
	v.day = uint8(date % 100)
	v.hour = uint16(tod / 10000)
	v.minute = uint8(tod / 100 % 100)
	v.second = uint8(tod % 100)
}

// appendDigits appends n zero-padded decimal digits of x.
func appendDigits(dst []byte, x uint64, n int) []byte {
	var buf [20]byte
	i := len(buf)
	for x > 0 || n > 0 {
		i--
		buf[i] = byte('0' + x%10)
		x /= 10
		n--
	}
	return append(dst, buf[i:]...)
}

// appendFraction appends "." and the first fsp digits of micro (0..999999).
func appendFraction(dst []byte, micro uint32, fsp int) []byte {
	if fsp <= 0 {
		return dst
	}
	fsp = min(fsp, 6)
	dst = append(dst, '.')
	return appendDigits(dst, uint64(micro)/uint64(powersOf10[6-fsp]), fsp)
}

func (v *Value) appendDate(dst []byte) []byte {
	dst = appendDigits(dst, uint64(v.year), 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, uint64(v.month), 2)
	dst = append(dst, '-')
	return appendDigits(dst, uint64(v.day), 2)
}

func (v *Value) appendClock(dst []byte, fsp int) []byte {
	dst = appendDigits(dst, uint64(v.hour), 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, uint64(v.minute), 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, uint64(v.second), 2)
	return appendFraction(dst, v.micro, fsp)
}
