// Package jsontext writes JSON string literals append-style, without
// allocating, exactly as encoding/json does with HTML escaping off: the
// binlog value renderer and the dump's envelope share it so that every
// string Syncer prints is escaped one way.
package jsontext

import (
	"unicode/utf8"
	"unsafe"
)

// AppendString appends s as a quoted JSON string. Control characters are
// escaped (\n, \r, \t, \b, \f, else \u00XX), invalid UTF-8 becomes U+FFFD,
// and U+2028/U+2029 are escaped because they end lines in JavaScript.
func AppendString(dst []byte, s string) []byte {
	return appendQuoted(dst, s)
}

// AppendBytes is AppendString for a byte slice.
func AppendBytes(dst, s []byte) []byte {
	// A read-only string view of s for the duration of the call: the bytes
	// are copied into dst, never kept, so s does not escape and callers can
	// pass stack buffers without a heap allocation.
	return appendQuoted(dst, unsafe.String(unsafe.SliceData(s), len(s)))
}

const hexDigits = "0123456789abcdef"

func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\u202`...)
			dst = append(dst, "89"[r&1])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
