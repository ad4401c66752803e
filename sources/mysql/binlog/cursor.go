package binlog

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// errShort is the root cause of every read past the end of an event.
var errShort = errors.New("unexpected end of event data")

// cursor reads little-endian fields from an event body with bounds checks.
// After the first failed read every further read fails too, so decoders can
// read a run of fields and check err once.
type cursor struct {
	buf []byte
	pos int
	err error
}

func newCursor(b []byte) cursor { return cursor{buf: b} }

func (c *cursor) fail(n int, what string) {
	if c.err == nil {
		c.err = fmt.Errorf("%s at offset %d: need %d bytes, %d left: %w", what, c.pos, n, len(c.buf)-c.pos, errShort)
	}
}

// Remaining returns the number of unread bytes.
func (c *cursor) remaining() int { return len(c.buf) - c.pos }

func (c *cursor) bytes(n int, what string) []byte {
	if c.err != nil {
		return nil
	}
	if n < 0 || n > len(c.buf)-c.pos {
		c.fail(n, what)
		return nil
	}
	b := c.buf[c.pos : c.pos+n : c.pos+n]
	c.pos += n
	return b
}

func (c *cursor) skip(n int, what string) { c.bytes(n, what) }

// rest returns every unread byte.
func (c *cursor) rest() []byte {
	if c.err != nil {
		return nil
	}
	b := c.buf[c.pos:]
	c.pos = len(c.buf)
	return b
}

func (c *cursor) u8(what string) uint8 {
	b := c.bytes(1, what)
	if b == nil {
		return 0
	}
	return b[0]
}

func (c *cursor) u16(what string) uint16 {
	b := c.bytes(2, what)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

func (c *cursor) u24(what string) uint32 {
	b := c.bytes(3, what)
	if b == nil {
		return 0
	}
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
}

func (c *cursor) u32(what string) uint32 {
	b := c.bytes(4, what)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (c *cursor) u48(what string) uint64 {
	b := c.bytes(6, what)
	if b == nil {
		return 0
	}
	return uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint16(b[4:]))<<32
}

func (c *cursor) u56(what string) uint64 {
	b := c.bytes(7, what)
	if b == nil {
		return 0
	}
	var v uint64
	for i := 6; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func (c *cursor) u64(what string) uint64 {
	b := c.bytes(8, what)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// uintN reads an n-byte (0..8) little-endian unsigned integer.
func (c *cursor) uintN(n int, what string) uint64 {
	b := c.bytes(n, what)
	if b == nil || n > 8 {
		if n > 8 {
			c.fail(n, what)
		}
		return 0
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// lenenc reads a MySQL length-encoded integer (packed integer).
// The second result is true when the value is the NULL marker (0xfb).
func (c *cursor) lenenc(what string) (uint64, bool) {
	first := c.u8(what)
	if c.err != nil {
		return 0, false
	}
	switch {
	case first < 0xfb:
		return uint64(first), false
	case first == 0xfb:
		return 0, true
	case first == 0xfc:
		return uint64(c.u16(what)), false
	case first == 0xfd:
		return uint64(c.u24(what)), false
	case first == 0xfe:
		return c.u64(what), false
	default: // 0xff is not a valid first byte
		if c.err == nil {
			c.err = fmt.Errorf("%s at offset %d: invalid length-encoded integer prefix 0xff", what, c.pos-1)
		}
		return 0, false
	}
}

// lenencBytes reads a length-encoded integer followed by that many bytes.
func (c *cursor) lenencBytes(what string) []byte {
	n, _ := c.lenenc(what)
	if c.err != nil {
		return nil
	}
	if n > uint64(c.remaining()) {
		c.fail(int(min(n, 1<<31)), what)
		return nil
	}
	return c.bytes(int(n), what)
}

// cstring reads bytes up to (not including) a NUL terminator, consuming it.
func (c *cursor) cstring(what string) []byte {
	if c.err != nil {
		return nil
	}
	for i := c.pos; i < len(c.buf); i++ {
		if c.buf[i] == 0 {
			b := c.buf[c.pos:i:i]
			c.pos = i + 1
			return b
		}
	}
	c.err = fmt.Errorf("%s at offset %d: missing NUL terminator: %w", what, c.pos, errShort)
	return nil
}
