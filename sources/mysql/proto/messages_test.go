package proto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// buildHandshake builds a v10 handshake the way MySQL and MariaDB servers do.
func buildHandshake(version string, caps, mariaCaps uint32, nonce []byte, plugin string) []byte {
	b := []byte{10}
	b = AppendNULString(b, version)
	b = binary.LittleEndian.AppendUint32(b, 77)
	b = append(b, nonce[:8]...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(caps))
	b = append(b, 45)
	b = binary.LittleEndian.AppendUint16(b, ServerStatusAutocommit)
	b = binary.LittleEndian.AppendUint16(b, uint16(caps>>16))
	b = append(b, byte(len(nonce)+1))
	b = append(b, make([]byte, 6)...)
	b = binary.LittleEndian.AppendUint32(b, mariaCaps)
	b = append(b, nonce[8:]...)
	b = append(b, 0)
	b = AppendNULString(b, plugin)
	return b
}

var testNonce = []byte("abcdefghijklmnopqrst")

func TestParseHandshakeMySQL(t *testing.T) {
	caps := ClientLongPassword | ClientProtocol41 | ClientSecureConnection | ClientPluginAuth | ClientSSL | ClientPluginAuthLenEncClientData
	h, err := ParseHandshake(buildHandshake("8.0.36", caps, 0, testNonce, "caching_sha2_password"))
	if err != nil {
		t.Fatal(err)
	}
	if h.ServerVersion != "8.0.36" || h.MariaDB || h.ConnectionID != 77 || !bytes.Equal(h.AuthData, testNonce) ||
		h.Capabilities != caps || h.AuthPlugin != "caching_sha2_password" || h.CharacterSet != 45 || h.StatusFlags != ServerStatusAutocommit {
		t.Fatalf("%+v", h)
	}
}

func TestParseHandshakeMariaDB(t *testing.T) {
	caps := ClientProtocol41 | ClientSecureConnection | ClientPluginAuth
	h, err := ParseHandshake(buildHandshake("5.5.5-10.11.6-MariaDB-log", caps, MariaDBClientProgress|MariaDBClientCacheMetadata, testNonce, "mysql_native_password"))
	if err != nil {
		t.Fatal(err)
	}
	if h.ServerVersion != "10.11.6-MariaDB-log" || !h.MariaDB || h.MariaDBCapabilities != MariaDBClientProgress|MariaDBClientCacheMetadata ||
		!bytes.Equal(h.AuthData, testNonce) || h.AuthPlugin != "mysql_native_password" {
		t.Fatalf("%+v", h)
	}
	// Plugin name without its NUL at the end of the packet.
	b := buildHandshake("11.4.2-MariaDB", caps, 0, testNonce, "x")
	h, err = ParseHandshake(append(b[:len(b)-2], "ed"...))
	if err != nil || h.AuthPlugin != "ed" || !h.MariaDB {
		t.Fatalf("%+v %v", h, err)
	}
}

func TestParseHandshakeErrors(t *testing.T) {
	errPkt := []byte{0xff, 0x69, 0x04}
	errPkt = append(errPkt, "Host '10.0.0.1' is blocked because of many connection errors"...)
	_, err := ParseHandshake(errPkt)
	var se *ServerError
	if !errors.As(err, &se) || se.Code != 1129 || se.SQLState != "" {
		t.Fatalf("err = %v", err)
	}
	if got := se.Error(); got != "Error 1129: Host '10.0.0.1' is blocked because of many connection errors" {
		t.Fatalf("Error() = %q", got)
	}
	for _, b := range [][]byte{nil, {9}, {10}, {10, 'v', 0, 1, 2}} {
		if _, err := ParseHandshake(b); err == nil {
			t.Errorf("% x: no error", b)
		}
	}
	full := buildHandshake("8.0", ClientProtocol41|ClientSecureConnection|ClientPluginAuth|ClientLongPassword, 0, testNonce, "p")
	for i := range full {
		ParseHandshake(full[:i]) // must not panic
	}
}

func TestParseERR(t *testing.T) {
	b := []byte{0xff, 0x15, 0x04, '#', '2', '8', '0', '0', '0'}
	b = append(b, "Access denied for user 'x'@'localhost' (using password: YES)"...)
	e := ParseERR(b)
	if e.Code != 1045 || e.SQLState != "28000" || e.Error() != "Error 1045 (28000): Access denied for user 'x'@'localhost' (using password: YES)" {
		t.Fatalf("%q", e.Error())
	}
	if e := ParseERR([]byte{0xff, 1}); e.Code != 0 || e.Message == "" {
		t.Fatalf("%+v", e)
	}
	if !IsERR(b) || IsOK(b) || IsEOF(b) {
		t.Fatal("classification of ERR")
	}
}

func TestParseOKAndEOF(t *testing.T) {
	b := []byte{0x00}
	b = AppendLenEncInt(b, 300)
	b = AppendLenEncInt(b, 70000)
	b = binary.LittleEndian.AppendUint16(b, ServerStatusAutocommit)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = append(b, "Rows matched: 1"...)
	ok, err := ParseOK(b)
	if err != nil || *ok != (OK{AffectedRows: 300, LastInsertID: 70000, StatusFlags: 2, Warnings: 2, Info: "Rows matched: 1"}) {
		t.Fatalf("%+v %v", ok, err)
	}
	if !IsOK(b) {
		t.Fatal("IsOK")
	}
	eof := []byte{0xfe, 1, 0, 2, 0}
	if !IsEOF(eof) || IsOK(eof) {
		t.Fatal("IsEOF")
	}
	if e, err := ParseEOF(eof); err != nil || e.Warnings != 1 || e.StatusFlags != 2 {
		t.Fatalf("%+v %v", e, err)
	}
	if IsEOF(append([]byte{0xfe}, make([]byte, 8)...)) {
		t.Fatal("9-byte 0xfe packet is a row, not EOF")
	}
	if _, err := ParseOK([]byte{0x00, 0xfc}); !errors.Is(err, ErrShort) {
		t.Fatalf("%v", err)
	}
}

func TestLenEnc(t *testing.T) {
	for _, v := range []uint64{0, 1, 250, 251, 0xffff, 0x10000, 0xffffff, 0x1000000, 1<<64 - 1} {
		b := AppendLenEncInt(nil, v)
		got, isNull, n, err := ReadLenEncInt(b)
		if err != nil || isNull || got != v || n != len(b) {
			t.Errorf("%d: got %d null=%v n=%d/%d err=%v", v, got, isNull, n, len(b), err)
		}
		if _, _, _, err := ReadLenEncInt(b[:len(b)-1]); len(b) > 1 && !errors.Is(err, ErrShort) {
			t.Errorf("%d truncated: %v", v, err)
		}
	}
	if _, isNull, n, err := ReadLenEncInt([]byte{0xfb}); !isNull || n != 1 || err != nil {
		t.Fatal("NULL marker")
	}
	if _, _, _, err := ReadLenEncInt([]byte{0xff}); err == nil {
		t.Fatal("0xff accepted")
	}
	s, _, n, err := ReadLenEncString(AppendLenEncString(nil, "héllo"))
	if err != nil || string(s) != "héllo" || n != 7 {
		t.Fatalf("%q %d %v", s, n, err)
	}
	if _, _, _, err := ReadLenEncString([]byte{5, 'a'}); !errors.Is(err, ErrShort) {
		t.Fatalf("%v", err)
	}
	if s, n, err := ReadNULString([]byte("ab\x00c")); string(s) != "ab" || n != 3 || err != nil {
		t.Fatal("NUL string")
	}
}

func TestResultSetRoundTrip(t *testing.T) {
	c := ColumnDef{Schema: "s", Table: "t", OrgTable: "ot", Name: "@@version", OrgName: "on", Charset: 45, Length: 1024, Type: 253, Flags: 1, Decimals: 31}
	got, err := ParseColumnDef(AppendColumnDef(nil, c))
	if err != nil || got != c {
		t.Fatalf("%+v %v", got, err)
	}
	row := [][]byte{[]byte("10.11"), nil, {}, bytes.Repeat([]byte("x"), 300)}
	vals, err := ParseTextRow(nil, AppendTextRow(nil, row), 4)
	if err != nil || len(vals) != 4 {
		t.Fatal(err)
	}
	for i := range row {
		if (vals[i] == nil) != (row[i] == nil) || !bytes.Equal(vals[i], row[i]) {
			t.Fatalf("value %d: %q vs %q", i, vals[i], row[i])
		}
	}
	if _, err := ParseTextRow(nil, AppendTextRow(nil, row), 5); err == nil {
		t.Fatal("missing column accepted")
	}
	if _, err := ParseTextRow(nil, AppendTextRow(nil, row), 3); err == nil {
		t.Fatal("extra bytes accepted")
	}
}

func TestCommands(t *testing.T) {
	if got := AppendQuery(nil, "SELECT 1"); string(got) != "\x03SELECT 1" {
		t.Fatalf("%q", got)
	}
	r := RegisterReplica{ServerID: 0x01020304, Host: "h", User: "u", Password: "pw", Port: 3306, Rank: 0, SourceID: 9}
	want := []byte{0x15, 4, 3, 2, 1, 1, 'h', 1, 'u', 2, 'p', 'w', 0xea, 0x0c, 0, 0, 0, 0, 9, 0, 0, 0}
	if got := r.Append(nil); !bytes.Equal(got, want) {
		t.Fatalf("register: % x", got)
	}
	d := BinlogDump{Pos: 4, Flags: BinlogDumpNonBlock, ServerID: 100, File: "bin.000001"}
	want = append([]byte{0x12, 4, 0, 0, 0, 1, 0, 100, 0, 0, 0}, "bin.000001"...)
	if got := d.Append(nil); !bytes.Equal(got, want) {
		t.Fatalf("dump: % x", got)
	}
	g := BinlogDumpGTID{Flags: BinlogThroughGTID, ServerID: 100, File: "f", Pos: 4, GTIDData: []byte{1, 2}}
	want = []byte{0x1e, 4, 0, 100, 0, 0, 0, 1, 0, 0, 0, 'f', 4, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 2}
	if got := g.Append(nil); !bytes.Equal(got, want) {
		t.Fatalf("dump gtid: % x", got)
	}
	g.Flags = BinlogThroughPosition
	if got := g.Append(nil); !bytes.Equal(got, append(want[:1:1], append([]byte{2}, want[2:20]...)...)) {
		t.Fatalf("dump gtid by position: % x", got)
	}
}

func TestHandshakeResponse(t *testing.T) {
	r := HandshakeResponse{
		Capabilities:  ClientProtocol41 | ClientSecureConnection | ClientPluginAuth | ClientConnectWithDB | ClientPluginAuthLenEncClientData | ClientConnectAttrs,
		MaxPacketSize: 1 << 24, CharacterSet: 45, User: "u", AuthResponse: []byte{1, 2, 3}, Database: "db",
		AuthPlugin: "mysql_native_password", Attributes: map[string]string{"b": "2", "a": "1"},
		MariaDBCapabilities: 7,
	}
	b := r.Append(nil)
	if len(b) < 32 || binary.LittleEndian.Uint32(b) != r.Capabilities || b[8] != 45 || binary.LittleEndian.Uint32(b[28:]) != 7 {
		t.Fatalf("fixed part % x", b[:32])
	}
	want := []byte("u\x00\x03\x01\x02\x03db\x00mysql_native_password\x00\x08\x01a\x011\x01b\x012")
	if !bytes.Equal(b[32:], want) {
		t.Fatalf("variable part %q", b[32:])
	}
	ssl := SSLRequest{Capabilities: ClientProtocol41 | ClientLongPassword, MaxPacketSize: 1 << 24, CharacterSet: 45}
	s := ssl.Append(nil)
	if len(s) != 32 || binary.LittleEndian.Uint32(s)&ClientSSL == 0 || !bytes.Equal(s[:32], s) {
		t.Fatalf("ssl request % x", s)
	}
}

func TestAuthPackets(t *testing.T) {
	req, err := ParseAuthSwitchRequest(AppendAuthSwitchRequest(nil, "mysql_native_password", append(testNonce, 0)))
	if err != nil || req.Plugin != "mysql_native_password" || !bytes.Equal(req.Data, append(testNonce, 0)) {
		t.Fatalf("%+v %v", req, err)
	}
	if _, err := ParseAuthSwitchRequest([]byte{0xfe}); err == nil {
		t.Fatal("old password switch accepted")
	}
	d, err := ParseAuthMoreData([]byte{1, 3})
	if err != nil || !bytes.Equal(d, []byte{3}) {
		t.Fatal(d, err)
	}
}

// mariaDB1011Handshake is the handshake of the MariaDB 10.11 test server
// (Debian 10.11.19), captured from the wire.
var mariaDB1011Handshake = []byte("\x0a5.5.5-10.11.19-MariaDB-0+deb12u1-log\x00\x07\x00\x00\x00bT]X!;E'\x00\xfe\xf7-\x02\x00\xff\x81\x15\x00\x00\x00\x00\x00\x00\x1d\x00\x00\x002g0YPe+BN?3}\x00mysql_native_password\x00")

func TestParseHandshakeMariaDBCapture(t *testing.T) {
	h, err := ParseHandshake(mariaDB1011Handshake)
	if err != nil {
		t.Fatal(err)
	}
	if h.ServerVersion != "10.11.19-MariaDB-0+deb12u1-log" || !h.MariaDB || h.ConnectionID != 7 ||
		len(h.AuthData) != 20 || h.AuthPlugin != "mysql_native_password" {
		t.Fatalf("%+v", h)
	}
	// MariaDB 10.2+: no CLIENT_LONG_PASSWORD (CLIENT_MYSQL), extended
	// capabilities in the filler.
	if h.Capabilities&ClientLongPassword != 0 || h.MariaDBCapabilities == 0 {
		t.Fatalf("capabilities %#x / %#x", h.Capabilities, h.MariaDBCapabilities)
	}
	for _, c := range []uint32{ClientProtocol41, ClientSecureConnection, ClientPluginAuth, ClientPluginAuthLenEncClientData, ClientConnectWithDB} {
		if h.Capabilities&c == 0 {
			t.Errorf("capability %#x missing", c)
		}
	}
}
