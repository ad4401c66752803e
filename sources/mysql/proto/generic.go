package proto

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// ServerError is an ERR packet: the server refused a command or the
// connection.
type ServerError struct {
	Code uint16
	// SQLState is the 5-character SQL state, empty when the server sent
	// none (ERR packets before protocol 4.1 is negotiated).
	SQLState string
	Message  string
}

// Error formats the error like the mysql client:
// "Error 1045 (28000): Access denied for user ...".
func (e *ServerError) Error() string {
	if e.SQLState == "" {
		return fmt.Sprintf("Error %d: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("Error %d (%s): %s", e.Code, e.SQLState, e.Message)
}

// ParseERR decodes an ERR packet (b[0] == 0xff). It never fails: a
// truncated packet yields what could be read, with a message saying so,
// since the caller is already on an error path.
func ParseERR(b []byte) *ServerError {
	if len(b) < 3 || b[0] != ERRHeader {
		return &ServerError{Code: 0, Message: fmt.Sprintf("malformed ERR packet (% x)", b[:min(len(b), 16)])}
	}
	e := &ServerError{Code: binary.LittleEndian.Uint16(b[1:])}
	p := b[3:]
	if len(p) >= 6 && p[0] == '#' {
		e.SQLState = string(p[1:6])
		p = p[6:]
	}
	e.Message = strings.ToValidUTF8(string(p), "\uFFFD")
	return e
}

// OK is an OK packet.
type OK struct {
	AffectedRows uint64
	LastInsertID uint64
	StatusFlags  uint16
	Warnings     uint16
	// Info is the human-readable status text, if any. Session-state
	// tracking data (CLIENT_SESSION_TRACK) is not decoded.
	Info string
}

// ParseOK decodes an OK packet (header 0x00, or 0xfe when it ends a result
// set under CLIENT_DEPRECATE_EOF), protocol 4.1 layout.
func ParseOK(b []byte) (*OK, error) {
	if len(b) == 0 || (b[0] != OKHeader && b[0] != EOFHeader) {
		return nil, fmt.Errorf("not an OK packet (first byte % x)", b[:min(len(b), 1)])
	}
	p := b[1:]
	ok := &OK{}
	var n int
	var err error
	if ok.AffectedRows, _, n, err = ReadLenEncInt(p); err != nil {
		return nil, fmt.Errorf("OK packet: affected rows: %w", err)
	}
	p = p[n:]
	if ok.LastInsertID, _, n, err = ReadLenEncInt(p); err != nil {
		return nil, fmt.Errorf("OK packet: last insert id: %w", err)
	}
	p = p[n:]
	if len(p) < 4 {
		// Servers without protocol 4.1 end here; so do some minimal OKs.
		return ok, nil
	}
	ok.StatusFlags = binary.LittleEndian.Uint16(p)
	ok.Warnings = binary.LittleEndian.Uint16(p[2:])
	ok.Info = strings.ToValidUTF8(string(p[4:]), "\uFFFD")
	return ok, nil
}

// IsOK reports whether b is an OK packet in a command reply. (Binlog event
// packets also start with 0x00: only call this where an OK is possible.)
func IsOK(b []byte) bool { return len(b) >= 7 && b[0] == OKHeader }

// IsERR reports whether b is an ERR packet.
func IsERR(b []byte) bool { return len(b) > 0 && b[0] == ERRHeader }

// IsEOF reports whether b is an EOF packet: 0xfe and shorter than 9 bytes
// (a longer 0xfe packet is a row starting with an 8-byte length).
func IsEOF(b []byte) bool { return len(b) > 0 && len(b) < 9 && b[0] == EOFHeader }

// EOF is an EOF packet's content (protocol 4.1).
type EOF struct {
	Warnings    uint16
	StatusFlags uint16
}

// ParseEOF decodes an EOF packet; the 4.1 fields are zero when absent.
func ParseEOF(b []byte) (EOF, error) {
	if !IsEOF(b) {
		return EOF{}, fmt.Errorf("not an EOF packet (%d bytes)", len(b))
	}
	if len(b) < 5 {
		return EOF{}, nil
	}
	return EOF{Warnings: binary.LittleEndian.Uint16(b[1:]), StatusFlags: binary.LittleEndian.Uint16(b[3:])}, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
