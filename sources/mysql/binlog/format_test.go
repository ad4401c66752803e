package binlog

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
)

// fdeEvent builds a MySQL 8.0 FORMAT_DESCRIPTION event with a CRC32 computed
// over flags, as the server does before it marks the file in use.
func fdeEvent(flags uint16) []byte {
	body := make([]byte, 0, 100)
	body = binary.LittleEndian.AppendUint16(body, 4)
	sv := make([]byte, 50)
	copy(sv, "8.0.31")
	body = append(body, sv...)
	body = binary.LittleEndian.AppendUint32(body, 0)
	body = append(body, HeaderLen)
	post := make([]byte, 41)
	post[TableMapEventType-1] = 8
	post[WriteRowsEventV2Type-1] = 10
	body = append(body, post...)
	body = append(body, byte(ChecksumCRC32))
	size := HeaderLen + len(body) + 4
	ev := make([]byte, 0, size)
	ev = binary.LittleEndian.AppendUint32(ev, 1700000000)
	ev = append(ev, byte(FormatDescriptionEventType))
	ev = binary.LittleEndian.AppendUint32(ev, 1)
	ev = binary.LittleEndian.AppendUint32(ev, uint32(size))
	ev = binary.LittleEndian.AppendUint32(ev, uint32(4+size))
	ev = binary.LittleEndian.AppendUint16(ev, flags)
	ev = append(ev, body...)
	return binary.LittleEndian.AppendUint32(ev, crc32.ChecksumIEEE(ev))
}

func TestFormatDescriptionChecksumIgnoresInUseFlag(t *testing.T) {
	// Written while closed, then marked in use in place: the CRC no longer
	// covers the flag byte as stored, and the server still accepts it.
	raw := fdeEvent(0)
	raw[17] |= byte(FlagBinlogInUse)
	ev, err := NewDecoder().Decode(raw)
	if err != nil {
		t.Fatalf("in-use FDE rejected: %v", err)
	}
	if ev.Header.Flags&FlagBinlogInUse == 0 {
		t.Errorf("flags = %#x, want the in-use bit kept", ev.Header.Flags)
	}
	fde := ev.Body.(*FormatDescriptionEvent)
	if fde.Checksum != ChecksumCRC32 || fde.ServerVersion != "8.0.31" || fde.Version != [3]int{8, 0, 31} {
		t.Errorf("format = %+v", fde.Format)
	}

	// Any other flipped bit is corruption.
	bad := fdeEvent(0)
	bad[17] |= 0x02
	if _, err := NewDecoder().Decode(bad); !errors.Is(err, ErrChecksum) {
		t.Fatalf("corrupt FDE: err = %v, want ErrChecksum", err)
	}
	// Unless verification is off.
	if _, err := NewDecoder(WithoutChecksumVerification()).Decode(bad); err != nil {
		t.Fatalf("corrupt FDE without verification: %v", err)
	}
}

func TestParseServerVersion(t *testing.T) {
	for _, tc := range []struct {
		in     string
		flavor Flavor
		v      [3]int
	}{
		{"8.0.31", FlavorMySQL, [3]int{8, 0, 31}},
		{"5.7.30-log", FlavorMySQL, [3]int{5, 7, 30}},
		{"10.11.19-MariaDB-0+deb12u1-log", FlavorMariaDB, [3]int{10, 11, 19}},
		{"5.5.5-10.4.3-MariaDB-debug", FlavorMariaDB, [3]int{10, 4, 3}},
		{"", FlavorMySQL, [3]int{}},
	} {
		fl, v := parseServerVersion(tc.in)
		if fl != tc.flavor || v != tc.v {
			t.Errorf("parseServerVersion(%q) = %v %v, want %v %v", tc.in, fl, v, tc.flavor, tc.v)
		}
	}
}

// The decoder keeps the active format after Decode returns; readers reuse
// their buffers, so the format must not alias the event's bytes.
func TestFormatDoesNotAliasEventBytes(t *testing.T) {
	raw := fdeEvent(0)
	d := NewDecoder()
	if _, err := d.Decode(raw); err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		raw[i] = 0xAA
	}
	if got := d.Format().PostHeaderLen(TableMapEventType, -1); got != 8 {
		t.Fatalf("TABLE_MAP post-header length after reusing the buffer = %d, want 8", got)
	}
}
