package proto

import (
	"encoding/binary"
	"fmt"
)

// ColumnDef is a column definition of a text result set (protocol 41).
type ColumnDef struct {
	Schema, Table, OrgTable, Name, OrgName string
	Charset                                uint16
	Length                                 uint32
	Type                                   uint8
	Flags                                  uint16
	Decimals                               uint8
}

// ParseColumnDef decodes a protocol-41 column definition packet.
func ParseColumnDef(b []byte) (ColumnDef, error) {
	var c ColumnDef
	p := b
	var fields [6][]byte
	for i := range fields {
		s, isNull, n, err := ReadLenEncString(p)
		if err != nil {
			return ColumnDef{}, fmt.Errorf("column definition: field %d: %w", i, err)
		}
		if isNull {
			return ColumnDef{}, fmt.Errorf("column definition: field %d is NULL", i)
		}
		fields[i] = s
		p = p[n:]
	}
	// fields[0] is the catalog, always "def".
	c.Schema, c.Table, c.OrgTable = string(fields[1]), string(fields[2]), string(fields[3])
	c.Name, c.OrgName = string(fields[4]), string(fields[5])
	fixed, _, n, err := ReadLenEncInt(p)
	if err != nil {
		return ColumnDef{}, fmt.Errorf("column definition: fixed-length fields: %w", err)
	}
	p = p[n:]
	// The fixed part is 12 bytes (0x0c); MariaDB may announce more for its
	// extended metadata. We need the first 10.
	if fixed < 10 || len(p) < 10 {
		return ColumnDef{}, fmt.Errorf("column definition: fixed part of %d bytes with %d left: %w", fixed, len(p), ErrShort)
	}
	c.Charset = binary.LittleEndian.Uint16(p)
	c.Length = binary.LittleEndian.Uint32(p[2:])
	c.Type = p[6]
	c.Flags = binary.LittleEndian.Uint16(p[7:])
	c.Decimals = p[9]
	return c, nil
}

// ParseTextRow decodes a text result-set row of columns values, appending
// them to dst[:0] and returning it. A NULL value is a nil slice; any other
// value, even empty, is non-nil. The values alias b.
func ParseTextRow(dst [][]byte, b []byte, columns int) ([][]byte, error) {
	dst = dst[:0]
	p := b
	for i := range columns {
		s, isNull, n, err := ReadLenEncString(p)
		if err != nil {
			return dst, fmt.Errorf("text row: column %d of %d: %w", i+1, columns, err)
		}
		if isNull {
			s = nil
		} else if s == nil {
			s = []byte{}
		}
		dst = append(dst, s)
		p = p[n:]
	}
	if len(p) != 0 {
		return dst, fmt.Errorf("text row: %d bytes after the last of %d columns", len(p), columns)
	}
	return dst, nil
}

// AppendColumnDef appends a column definition payload (used by test servers
// and tests).
func AppendColumnDef(dst []byte, c ColumnDef) []byte {
	dst = AppendLenEncString(dst, "def")
	dst = AppendLenEncString(dst, c.Schema)
	dst = AppendLenEncString(dst, c.Table)
	dst = AppendLenEncString(dst, c.OrgTable)
	dst = AppendLenEncString(dst, c.Name)
	dst = AppendLenEncString(dst, c.OrgName)
	dst = append(dst, 0x0c)
	dst = binary.LittleEndian.AppendUint16(dst, c.Charset)
	dst = binary.LittleEndian.AppendUint32(dst, c.Length)
	dst = append(dst, c.Type)
	dst = binary.LittleEndian.AppendUint16(dst, c.Flags)
	dst = append(dst, c.Decimals, 0, 0)
	return dst
}

// AppendTextRow appends a text row payload; a nil value is NULL.
func AppendTextRow(dst []byte, values [][]byte) []byte {
	for _, v := range values {
		if v == nil {
			dst = append(dst, 0xfb)
			continue
		}
		dst = AppendLenEncBytes(dst, v)
	}
	return dst
}
