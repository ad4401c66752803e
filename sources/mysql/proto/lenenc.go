package proto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrShort is wrapped by the decoders when a packet ends before a field it
// must contain.
var ErrShort = errors.New("packet too short")

// ReadLenEncInt decodes a length-encoded integer at the start of b. It
// returns the value, whether it is the NULL marker 0xfb (only meaningful in
// text result rows), and the number of bytes consumed. 0xff is not a valid
// first byte (it starts an ERR packet) and is an error.
func ReadLenEncInt(b []byte) (v uint64, isNull bool, n int, err error) {
	if len(b) == 0 {
		return 0, false, 0, fmt.Errorf("length-encoded integer: %w", ErrShort)
	}
	switch c := b[0]; {
	case c < 0xfb:
		return uint64(c), false, 1, nil
	case c == 0xfb:
		return 0, true, 1, nil
	case c == 0xfc:
		if len(b) < 3 {
			return 0, false, 0, fmt.Errorf("2-byte length-encoded integer: %w", ErrShort)
		}
		return uint64(binary.LittleEndian.Uint16(b[1:])), false, 3, nil
	case c == 0xfd:
		if len(b) < 4 {
			return 0, false, 0, fmt.Errorf("3-byte length-encoded integer: %w", ErrShort)
		}
		return uint64(b[1]) | uint64(b[2])<<8 | uint64(b[3])<<16, false, 4, nil
	case c == 0xfe:
		if len(b) < 9 {
			return 0, false, 0, fmt.Errorf("8-byte length-encoded integer: %w", ErrShort)
		}
		return binary.LittleEndian.Uint64(b[1:]), false, 9, nil
	default:
		return 0, false, 0, errors.New("length-encoded integer: invalid first byte 0xff")
	}
}

// ReadLenEncString decodes a length-encoded string at the start of b. The
// returned slice aliases b. For the NULL marker it returns isNull and a nil
// slice; a non-NULL value is never nil, even when empty.
func ReadLenEncString(b []byte) (s []byte, isNull bool, n int, err error) {
	v, isNull, n, err := ReadLenEncInt(b)
	if err != nil || isNull {
		return nil, isNull, n, err
	}
	if v > uint64(len(b)-n) {
		return nil, false, 0, fmt.Errorf("length-encoded string of %d bytes with %d left: %w", v, len(b)-n, ErrShort)
	}
	end := n + int(v)
	return b[n:end:end], false, end, nil
}

// ReadNULString returns the bytes of b up to the first NUL and the number of
// bytes consumed, NUL included. A missing NUL is an error.
func ReadNULString(b []byte) (s []byte, n int, err error) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return nil, 0, fmt.Errorf("NUL-terminated string: %w", ErrShort)
	}
	return b[:i:i], i + 1, nil
}

// AppendLenEncInt appends v as a length-encoded integer.
func AppendLenEncInt(dst []byte, v uint64) []byte {
	switch {
	case v < 0xfb:
		return append(dst, byte(v))
	case v <= 0xffff:
		return append(dst, 0xfc, byte(v), byte(v>>8))
	case v <= 0xffffff:
		return append(dst, 0xfd, byte(v), byte(v>>8), byte(v>>16))
	default:
		dst = append(dst, 0xfe)
		return binary.LittleEndian.AppendUint64(dst, v)
	}
}

// AppendLenEncString appends s prefixed by its length-encoded length.
func AppendLenEncString(dst []byte, s string) []byte {
	dst = AppendLenEncInt(dst, uint64(len(s)))
	return append(dst, s...)
}

// AppendLenEncBytes is AppendLenEncString for a byte slice.
func AppendLenEncBytes(dst []byte, s []byte) []byte {
	dst = AppendLenEncInt(dst, uint64(len(s)))
	return append(dst, s...)
}

// AppendNULString appends s and a terminating NUL. s must not contain NUL.
func AppendNULString(dst []byte, s string) []byte {
	dst = append(dst, s...)
	return append(dst, 0)
}
