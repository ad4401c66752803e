package binlog

import (
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// Charset is a MySQL/MariaDB character set, derived from a collation id.
type Charset uint8

// Character sets. CharsetUnknown means no metadata said which charset a
// column uses (binlog_row_metadata=MINIMAL on a server that omits it, or a
// pre-8.0 server), or the collation id is not one this package knows.
const (
	CharsetUnknown Charset = iota
	CharsetBinary
	CharsetUTF8MB3
	CharsetUTF8MB4
	CharsetASCII
	CharsetLatin1
	CharsetLatin2
	CharsetLatin5
	CharsetLatin7
	CharsetCP1250
	CharsetCP1251
	CharsetCP1256
	CharsetCP1257
	CharsetCP850
	CharsetCP852
	CharsetCP866
	CharsetKOI8R
	CharsetKOI8U
	CharsetGreek
	CharsetHebrew
	CharsetTIS620
	CharsetMacRoman
	CharsetBig5
	CharsetGBK
	CharsetGB2312
	CharsetGB18030
	CharsetSJIS
	CharsetCP932
	CharsetUJIS
	CharsetEUCJPMS
	CharsetEUCKR
	CharsetUCS2
	CharsetUTF16
	CharsetUTF16LE
	CharsetUTF32
	// Character sets with no converter here; values keep their bytes.
	CharsetDEC8
	CharsetHP8
	CharsetSWE7
	CharsetArmscii8
	CharsetKeybcs2
	CharsetMacCE
	CharsetGeostd8
	charsetCount
)

var charsetNames = [charsetCount]string{
	CharsetUnknown: "", CharsetBinary: "binary", CharsetUTF8MB3: "utf8mb3", CharsetUTF8MB4: "utf8mb4",
	CharsetASCII: "ascii", CharsetLatin1: "latin1", CharsetLatin2: "latin2", CharsetLatin5: "latin5",
	CharsetLatin7: "latin7", CharsetCP1250: "cp1250", CharsetCP1251: "cp1251", CharsetCP1256: "cp1256",
	CharsetCP1257: "cp1257", CharsetCP850: "cp850", CharsetCP852: "cp852", CharsetCP866: "cp866",
	CharsetKOI8R: "koi8r", CharsetKOI8U: "koi8u", CharsetGreek: "greek", CharsetHebrew: "hebrew",
	CharsetTIS620: "tis620", CharsetMacRoman: "macroman", CharsetBig5: "big5", CharsetGBK: "gbk",
	CharsetGB2312: "gb2312", CharsetGB18030: "gb18030", CharsetSJIS: "sjis", CharsetCP932: "cp932",
	CharsetUJIS: "ujis", CharsetEUCJPMS: "eucjpms", CharsetEUCKR: "euckr", CharsetUCS2: "ucs2",
	CharsetUTF16: "utf16", CharsetUTF16LE: "utf16le", CharsetUTF32: "utf32", CharsetDEC8: "dec8",
	CharsetHP8: "hp8", CharsetSWE7: "swe7", CharsetArmscii8: "armscii8", CharsetKeybcs2: "keybcs2",
	CharsetMacCE: "macce", CharsetGeostd8: "geostd8",
}

// String returns the server's name for the charset, "" when unknown.
func (c Charset) String() string {
	if c < charsetCount {
		return charsetNames[c]
	}
	return ""
}

// collationCharsets maps collation ids below 1024 to their charset. The ids
// come from MySQL 8.0/9.x (strings/ctype-*.cc, share/charsets/Index.xml) and
// MariaDB 11 (the same ids below 256, plus the 576-767 block), which agree
// where both define an id.
var collationCharsets = func() (t [1024]Charset) {
	set := func(cs Charset, ids ...int) {
		for _, id := range ids {
			t[id] = cs
		}
	}
	span := func(cs Charset, from, to int) {
		for id := from; id <= to; id++ {
			t[id] = cs
		}
	}
	set(CharsetBig5, 1, 84)
	set(CharsetLatin2, 2, 9, 21, 27, 77)
	set(CharsetDEC8, 3, 69)
	set(CharsetCP850, 4, 80)
	set(CharsetLatin1, 5, 8, 15, 31, 47, 48, 49, 94)
	set(CharsetHP8, 6, 72)
	set(CharsetKOI8R, 7, 74)
	set(CharsetSWE7, 10, 82)
	set(CharsetASCII, 11, 65)
	set(CharsetUJIS, 12, 91)
	set(CharsetSJIS, 13, 88)
	set(CharsetCP1251, 14, 23, 50, 51, 52)
	set(CharsetHebrew, 16, 71)
	set(CharsetTIS620, 18, 89)
	set(CharsetEUCKR, 19, 85)
	set(CharsetLatin7, 20, 41, 42, 79)
	set(CharsetKOI8U, 22, 75)
	set(CharsetGB2312, 24, 86)
	set(CharsetGreek, 25, 70)
	set(CharsetCP1250, 26, 34, 44, 66, 99)
	set(CharsetGBK, 28, 87)
	set(CharsetCP1257, 29, 58, 59)
	set(CharsetLatin5, 30, 78)
	set(CharsetArmscii8, 32, 64)
	set(CharsetUTF8MB3, 33, 76, 83, 223)
	span(CharsetUTF8MB3, 192, 215)
	set(CharsetUCS2, 35, 90, 159)
	span(CharsetUCS2, 128, 151)
	set(CharsetCP866, 36, 68)
	set(CharsetKeybcs2, 37, 73)
	set(CharsetMacCE, 38, 43)
	set(CharsetMacRoman, 39, 53)
	set(CharsetCP852, 40, 81)
	set(CharsetUTF8MB4, 45, 46)
	span(CharsetUTF8MB4, 224, 247)
	span(CharsetUTF8MB4, 255, 323) // MySQL 8.0+ UCA 9.0.0 collations
	set(CharsetUTF16, 54, 55)
	span(CharsetUTF16, 101, 124)
	set(CharsetUTF16LE, 56, 62)
	set(CharsetCP1256, 57, 67)
	set(CharsetUTF32, 60, 61)
	span(CharsetUTF32, 160, 183)
	set(CharsetBinary, 63)
	set(CharsetGeostd8, 92, 93)
	set(CharsetCP932, 95, 96)
	set(CharsetEUCJPMS, 97, 98)
	set(CharsetGB18030, 248, 249, 250)
	// MariaDB: *_croatian_mysql561_ci, *_myanmar_ci, *_thai_520_w2.
	span(CharsetUTF8MB3, 576, 607)
	span(CharsetUTF8MB4, 608, 639)
	span(CharsetUCS2, 640, 671)
	span(CharsetUTF16, 672, 703)
	span(CharsetUTF32, 736, 767)
	return t
}()

// CollationCharset returns the charset of a collation id, CharsetUnknown
// for 0 and for ids this package does not know.
//
// MariaDB numbers its NO PAD collations 1024 + the id of the PAD collation
// they mirror, and its UCA 14.0 collations (10.10+) 2048 + 256 * charset +
// tailoring, with charsets in the order utf8mb3, utf8mb4, ucs2, utf16,
// utf32.
func CollationCharset(id uint32) Charset {
	switch {
	case id < 1024:
		return collationCharsets[id]
	case id < 2048:
		return collationCharsets[id-1024]
	case id < 2048+5*256:
		return [...]Charset{CharsetUTF8MB3, CharsetUTF8MB4, CharsetUCS2, CharsetUTF16, CharsetUTF32}[(id-2048)/256]
	}
	return CharsetUnknown
}

// singleByteCharmaps are the 8-bit charsets decoded byte by byte, without
// allocating.
var singleByteCharmaps = [charsetCount]*charmap.Charmap{
	CharsetLatin2: charmap.ISO8859_2, CharsetLatin5: charmap.ISO8859_9, CharsetLatin7: charmap.ISO8859_13,
	CharsetCP1250: charmap.Windows1250, CharsetCP1251: charmap.Windows1251, CharsetCP1256: charmap.Windows1256,
	CharsetCP1257: charmap.Windows1257, CharsetCP850: charmap.CodePage850, CharsetCP852: charmap.CodePage852,
	CharsetCP866: charmap.CodePage866, CharsetKOI8R: charmap.KOI8R, CharsetKOI8U: charmap.KOI8U,
	CharsetGreek: charmap.ISO8859_7, CharsetHebrew: charmap.ISO8859_8, CharsetTIS620: charmap.Windows874,
	CharsetMacRoman: charmap.Macintosh,
}

// multiByteDecoders are charsets decoded through golang.org/x/text's
// transformers, which allocate; they are rare in practice.
func multiByteEncoding(cs Charset) encoding.Encoding {
	switch cs {
	case CharsetBig5:
		return traditionalchinese.Big5
	case CharsetGBK, CharsetGB2312: // GB2312 is EUC-CN, a subset of GBK
		return simplifiedchinese.GBK
	case CharsetGB18030:
		return simplifiedchinese.GB18030
	case CharsetSJIS, CharsetCP932:
		return japanese.ShiftJIS
	case CharsetUJIS, CharsetEUCJPMS:
		return japanese.EUCJP
	case CharsetEUCKR:
		return korean.EUCKR
	case CharsetUCS2, CharsetUTF16:
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	case CharsetUTF16LE:
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case CharsetUTF32:
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)
	}
	return nil
}

// latin1High maps bytes 0x80-0x9F of MySQL's latin1, which is Windows-1252
// except that the five bytes cp1252 leaves undefined map to the C1 controls
// of the same value (strings/ctype-latin1.cc).
var latin1High = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

// AppendUTF8 appends text in charset cs to dst converted to UTF-8. ok is
// false, and dst is returned unchanged, when the bytes are not valid in the
// charset or the charset has no converter (binary, unknown, dec8, ...);
// callers then keep the raw bytes. UTF-8 text is validated, not copied
// through a transformer, and 8-bit charsets convert without allocating.
func AppendUTF8(dst, text []byte, cs Charset) (out []byte, ok bool) {
	switch cs {
	case CharsetUTF8MB3, CharsetUTF8MB4:
		if !utf8.Valid(text) {
			return dst, false
		}
		return append(dst, text...), true
	case CharsetASCII:
		for _, b := range text {
			if b >= 0x80 {
				return dst, false
			}
		}
		return append(dst, text...), true
	case CharsetLatin1:
		for _, b := range text {
			switch {
			case b < 0x80:
				dst = append(dst, b)
			case b < 0xA0:
				dst = utf8.AppendRune(dst, latin1High[b-0x80])
			default:
				dst = utf8.AppendRune(dst, rune(b))
			}
		}
		return dst, true
	}
	if cs >= charsetCount {
		return dst, false
	}
	if cm := singleByteCharmaps[cs]; cm != nil {
		start := len(dst)
		for _, b := range text {
			r := cm.DecodeByte(b)
			if r == utf8.RuneError {
				return dst[:start], false
			}
			dst = utf8.AppendRune(dst, r)
		}
		return dst, true
	}
	enc := multiByteEncoding(cs)
	if enc == nil {
		return dst, false
	}
	if overrides := charsetOverrides[cs]; overrides != nil {
		return appendWithOverrides(dst, text, cs, enc, overrides)
	}
	return appendDecoded(dst, text, enc)
}

// appendWithOverrides converts text character by character where the
// server's mapping differs from x/text's (charsetOverrides, generated from
// a real server), and the runs between those characters with x/text.
func appendWithOverrides(dst, text []byte, cs Charset, enc encoding.Encoding, overrides map[string]rune) ([]byte, bool) {
	start := len(dst)
	run := 0 // start of the pending run of characters x/text converts
	for i := 0; i < len(text); {
		n := multiByteCharLen(cs, text[i])
		if i+n > len(text) {
			n = len(text) - i
		}
		if n > 1 {
			if r, ok := overrides[string(text[i:i+n])]; ok {
				var good bool
				if dst, good = appendDecoded(dst, text[run:i], enc); !good {
					return dst[:start], false
				}
				dst = utf8.AppendRune(dst, r)
				run = i + n
			}
		}
		i += n
	}
	dst, ok := appendDecoded(dst, text[run:], enc)
	if !ok {
		return dst[:start], false
	}
	return dst, true
}

// multiByteCharLen is the length of the character that starts with byte b
// in the multi-byte charsets that have overrides.
func multiByteCharLen(cs Charset, b byte) int {
	if b < 0x80 {
		return 1
	}
	switch cs {
	case CharsetUJIS, CharsetEUCJPMS:
		switch {
		case b == 0x8F:
			return 3
		case b == 0x8E || b >= 0xA1:
			return 2
		}
		return 1
	case CharsetSJIS, CharsetCP932:
		if (b >= 0x81 && b <= 0x9F) || (b >= 0xE0 && b <= 0xFC) {
			return 2
		}
		return 1
	}
	return 2 // Big5, GBK, GB2312, EUC-KR: every byte >= 0x80 leads a pair
}

// appendDecoded converts text with an x/text decoder.
func appendDecoded(dst, text []byte, enc encoding.Encoding) ([]byte, bool) {
	if len(text) == 0 {
		return dst, true
	}
	conv, err := enc.NewDecoder().Bytes(text)
	if err != nil {
		return dst, false
	}
	// The x/text decoders substitute U+FFFD for invalid input instead of
	// failing; a replacement character in the output means the value did
	// not convert cleanly, so keep its bytes.
	for _, r := range string(conv) {
		if r == utf8.RuneError {
			return dst, false
		}
	}
	return append(dst, conv...), true
}

// AppendValidUTF8 appends b with every byte that does not start a valid
// UTF-8 sequence replaced by U+FFFD: the rendering of text whose charset
// has no converter, or whose bytes are not valid in it (the binlog path and
// the snapshot's must render such text alike).
func AppendValidUTF8(dst, b []byte) []byte {
	for len(b) > 0 {
		c, n := utf8.DecodeRune(b)
		if c == utf8.RuneError && n == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, b[:n]...)
		}
		b = b[n:]
	}
	return dst
}
