package proto

import (
	"fmt"
)

// AuthSwitchRequest asks the client to authenticate again with another
// plugin (packet 0xfe + plugin name NUL + plugin data).
type AuthSwitchRequest struct {
	Plugin string
	// Data is the plugin's data as sent, often a 20-byte nonce followed by a
	// NUL (mysql_native_password, caching_sha2_password) but 32 raw bytes
	// for MariaDB's client_ed25519: what to trim is the plugin's business.
	Data []byte
}

// ParseAuthSwitchRequest decodes an auth switch request. Data aliases b.
// The pre-4.1 "old password" request (a lone 0xfe) is an error: Syncer
// does not support mysql_old_password.
func ParseAuthSwitchRequest(b []byte) (AuthSwitchRequest, error) {
	if len(b) == 0 || b[0] != EOFHeader {
		return AuthSwitchRequest{}, fmt.Errorf("not an auth switch request")
	}
	if len(b) == 1 {
		return AuthSwitchRequest{}, fmt.Errorf("auth switch request to the pre-4.1 mysql_old_password scheme, which is not supported")
	}
	name, n, err := ReadNULString(b[1:])
	if err != nil {
		// Tolerate a name that runs to the end of the packet.
		return AuthSwitchRequest{Plugin: string(b[1:])}, nil
	}
	return AuthSwitchRequest{Plugin: string(name), Data: b[1+n:]}, nil
}

// AppendAuthSwitchRequest appends an auth switch request payload (used by
// test servers).
func AppendAuthSwitchRequest(dst []byte, plugin string, data []byte) []byte {
	dst = append(dst, EOFHeader)
	dst = AppendNULString(dst, plugin)
	return append(dst, data...)
}

// ParseAuthMoreData returns the data of an AuthMoreData packet (0x01 +
// data), aliasing b.
func ParseAuthMoreData(b []byte) ([]byte, error) {
	if len(b) == 0 || b[0] != AuthMoreDataHeader {
		return nil, fmt.Errorf("not an AuthMoreData packet")
	}
	return b[1:], nil
}

// IsAuthMoreData reports whether b is an AuthMoreData packet.
func IsAuthMoreData(b []byte) bool { return len(b) > 0 && b[0] == AuthMoreDataHeader }

// AppendAuthMoreData appends an AuthMoreData payload (used by test servers).
func AppendAuthMoreData(dst []byte, data []byte) []byte {
	dst = append(dst, AuthMoreDataHeader)
	return append(dst, data...)
}
