package proto

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// mariaDBVersionPrefix is prepended by MariaDB to its version string in the
// handshake, so that old MySQL replicas (which compare major versions) accept
// a 10.x or 11.x source.
const mariaDBVersionPrefix = "5.5.5-"

// Handshake is the server's initial handshake packet (protocol version 10).
type Handshake struct {
	ProtocolVersion uint8
	// ServerVersion is the server's version string without MariaDB's
	// "5.5.5-" prefix.
	ServerVersion string
	ConnectionID  uint32
	// AuthData is the full authentication nonce (normally 20 bytes), both
	// parts joined, without the trailing NUL.
	AuthData []byte
	// Capabilities are the server's capability flags (Client* constants).
	Capabilities uint32
	// MariaDBCapabilities are MariaDB's extended capabilities, zero unless
	// the server is MariaDB 10.2 or later (which clears ClientLongPassword).
	MariaDBCapabilities uint32
	CharacterSet        uint8
	StatusFlags         uint16
	// AuthPlugin is the server's default authentication plugin; empty when
	// the server lacks ClientPluginAuth (then mysql_native_password applies).
	AuthPlugin string
	// MariaDB is true when the server is MariaDB: its version string had the
	// "5.5.5-" prefix or names MariaDB, or it sent extended capabilities.
	MariaDB bool
}

// ParseHandshake decodes the server's first packet. A server that refuses
// the connection outright (too many connections, host blocked) sends an ERR
// packet instead; it comes back as a *ServerError.
func ParseHandshake(b []byte) (*Handshake, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("handshake: empty packet: %w", ErrShort)
	}
	if b[0] == ERRHeader {
		return nil, ParseERR(b)
	}
	if b[0] != 10 {
		return nil, fmt.Errorf("handshake: unsupported protocol version %d (only 10 is supported)", b[0])
	}
	h := &Handshake{ProtocolVersion: 10}
	p := b[1:]
	ver, n, err := ReadNULString(p)
	if err != nil {
		return nil, fmt.Errorf("handshake: server version: %w", err)
	}
	h.ServerVersion = string(ver)
	if v, ok := strings.CutPrefix(h.ServerVersion, mariaDBVersionPrefix); ok {
		h.ServerVersion = v
		h.MariaDB = true
	}
	if strings.Contains(h.ServerVersion, "MariaDB") {
		h.MariaDB = true
	}
	p = p[n:]
	// connection id, 8 bytes of nonce, a filler byte, 2 bytes of capabilities
	if len(p) < 4+8+1+2 {
		return nil, fmt.Errorf("handshake: %d bytes after the version string, want at least 15: %w", len(p), ErrShort)
	}
	h.ConnectionID = binary.LittleEndian.Uint32(p)
	auth := make([]byte, 0, 20)
	auth = append(auth, p[4:12]...)
	h.Capabilities = uint32(binary.LittleEndian.Uint16(p[13:]))
	p = p[15:]
	if len(p) == 0 {
		// A pre-4.1 server: no more fields.
		h.AuthData = auth
		return h, nil
	}
	// charset 1, status 2, capabilities high 2, auth data length 1, 6 bytes
	// reserved, 4 bytes of MariaDB capabilities (or reserved).
	if len(p) < 16 {
		return nil, fmt.Errorf("handshake: %d bytes of extended fields, want 16: %w", len(p), ErrShort)
	}
	h.CharacterSet = p[0]
	h.StatusFlags = binary.LittleEndian.Uint16(p[1:])
	h.Capabilities |= uint32(binary.LittleEndian.Uint16(p[3:])) << 16
	authLen := int(p[5])
	if h.Capabilities&ClientLongPassword == 0 {
		h.MariaDBCapabilities = binary.LittleEndian.Uint32(p[12:])
		h.MariaDB = true
	}
	p = p[16:]
	if h.Capabilities&ClientSecureConnection != 0 {
		// The second part is max(13, authLen-8) bytes, the last normally a
		// NUL; some servers omit it at the very end of the packet.
		n2 := max(13, authLen-8)
		if n2 > len(p) {
			n2 = len(p)
		}
		part2 := p[:n2]
		p = p[n2:]
		if i := indexNUL(part2); i >= 0 {
			part2 = part2[:i]
		}
		auth = append(auth, part2...)
	}
	h.AuthData = auth
	if h.Capabilities&ClientPluginAuth != 0 && len(p) > 0 {
		if i := indexNUL(p); i >= 0 {
			p = p[:i]
		}
		h.AuthPlugin = string(p)
	}
	return h, nil
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// HandshakeResponse is the client's reply to the handshake (protocol 41).
type HandshakeResponse struct {
	Capabilities uint32
	// MariaDBCapabilities go in the last 4 filler bytes; only when the
	// client's Capabilities lack ClientLongPassword (MariaDB 10.2+).
	MariaDBCapabilities uint32
	MaxPacketSize       uint32
	CharacterSet        uint8
	User                string
	AuthResponse        []byte
	// Database is sent when Capabilities has ClientConnectWithDB.
	Database string
	// AuthPlugin is sent when Capabilities has ClientPluginAuth.
	AuthPlugin string
	// Attributes are sent when Capabilities has ClientConnectAttrs, in
	// sorted key order so the packet is deterministic.
	Attributes map[string]string
}

// appendFixed appends the 32 fixed bytes that start both the handshake
// response and the SSLRequest.
func appendFixed(dst []byte, caps, mariaCaps, maxPacket uint32, charset uint8) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, caps)
	dst = binary.LittleEndian.AppendUint32(dst, maxPacket)
	dst = append(dst, charset)
	dst = append(dst, make([]byte, 19)...)
	if caps&ClientLongPassword == 0 {
		return binary.LittleEndian.AppendUint32(dst, mariaCaps)
	}
	return append(dst, 0, 0, 0, 0)
}

// Append appends the packet payload. Without
// ClientPluginAuthLenEncClientData the auth response has a one-byte length:
// callers must keep it within 255 bytes (initial responses are at most 32
// bytes; longer data such as an RSA-encrypted password is sent in later
// packets), and a longer one is truncated rather than corrupting the packet.
// Without ClientSecureConnection it is NUL-terminated (pre-4.1 servers).
func (r *HandshakeResponse) Append(dst []byte) []byte {
	dst = appendFixed(dst, r.Capabilities, r.MariaDBCapabilities, r.MaxPacketSize, r.CharacterSet)
	dst = AppendNULString(dst, r.User)
	switch {
	case r.Capabilities&ClientPluginAuthLenEncClientData != 0:
		dst = AppendLenEncBytes(dst, r.AuthResponse)
	case r.Capabilities&ClientSecureConnection != 0:
		a := r.AuthResponse[:min(len(r.AuthResponse), 255)]
		dst = append(dst, byte(len(a)))
		dst = append(dst, a...)
	default:
		dst = append(dst, r.AuthResponse...)
		dst = append(dst, 0)
	}
	if r.Capabilities&ClientConnectWithDB != 0 {
		dst = AppendNULString(dst, r.Database)
	}
	if r.Capabilities&ClientPluginAuth != 0 {
		dst = AppendNULString(dst, r.AuthPlugin)
	}
	if r.Capabilities&ClientConnectAttrs != 0 {
		var attrs []byte
		for _, k := range sortedKeys(r.Attributes) {
			attrs = AppendLenEncString(attrs, k)
			attrs = AppendLenEncString(attrs, r.Attributes[k])
		}
		dst = AppendLenEncBytes(dst, attrs)
	}
	return dst
}

// SSLRequest is the short handshake response a client sends to ask for TLS
// before sending its credentials over the encrypted channel.
type SSLRequest struct {
	Capabilities        uint32 // must include ClientSSL
	MariaDBCapabilities uint32
	MaxPacketSize       uint32
	CharacterSet        uint8
}

// Append appends the 32-byte SSLRequest payload.
func (r *SSLRequest) Append(dst []byte) []byte {
	return appendFixed(dst, r.Capabilities|ClientSSL, r.MariaDBCapabilities, r.MaxPacketSize, r.CharacterSet)
}
