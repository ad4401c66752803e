package binlog

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
)

// ChecksumAlgorithm is the binlog_checksum algorithm declared by a
// FORMAT_DESCRIPTION event.
type ChecksumAlgorithm uint8

const (
	ChecksumOff   ChecksumAlgorithm = 0
	ChecksumCRC32 ChecksumAlgorithm = 1
	// ChecksumUndefined means the server predates checksums (MySQL < 5.6.1,
	// MariaDB < 5.3): events carry no checksum and the FDE no algorithm byte.
	ChecksumUndefined ChecksumAlgorithm = 255
)

func (a ChecksumAlgorithm) String() string {
	switch a {
	case ChecksumOff:
		return "NONE"
	case ChecksumCRC32:
		return "CRC32"
	case ChecksumUndefined:
		return "UNDEFINED"
	}
	return "ALG_" + strconv.Itoa(int(a))
}

// Flavor tells MySQL from MariaDB binlogs, whose events diverge past type 35.
type Flavor uint8

const (
	FlavorMySQL Flavor = iota
	FlavorMariaDB
)

func (f Flavor) String() string {
	if f == FlavorMariaDB {
		return "mariadb"
	}
	return "mysql"
}

// Format is the decoding context set by a FORMAT_DESCRIPTION event (or, in
// binlog versions 1 and 3, by START_EVENT_V3). Every event after it is read
// with this format until the next one.
type Format struct {
	BinlogVersion   uint16
	ServerVersion   string
	CreateTimestamp uint32
	HeaderLength    int
	// PostHeaderLengths[t-1] is the fixed-size part of event type t's body.
	PostHeaderLengths []byte
	Checksum          ChecksumAlgorithm
	Flavor            Flavor
	// Version is the numeric prefix of ServerVersion: major, minor, patch.
	Version [3]int
}

// FormatDescriptionEvent is FORMAT_DESCRIPTION (type 15), written first in
// every binlog v4 file and at the start of each replication stream.
//
//	offset size field
//	0      2    binlog_version (4)
//	2      50   server_version, NUL padded
//	52     4    create_timestamp (non-zero only in the first binlog after start-up)
//	56     1    common header length
//	57     N    post-header length per event type, from type 1 up
//	57+N   1    checksum algorithm (servers >= MySQL 5.6.1 / MariaDB 5.3)
//	then   4    CRC32 of this event (present whenever the algorithm byte is)
type FormatDescriptionEvent struct {
	Format
}

// StartEventV3 is START_EVENT_V3 (type 1), the first event of binlog
// versions 1 and 3 (MySQL 3.23 to 4.1).
//
//	offset size field
//	0      2    binlog_version (1 or 3)
//	2      50   server_version
//	52     4    create_timestamp
type StartEventV3 struct {
	Format
}

// DefaultFormat returns the format assumed before any FORMAT_DESCRIPTION
// has been seen: binlog v4, 19-byte headers, no checksum.
func DefaultFormat() *Format {
	f := &Format{BinlogVersion: 4, HeaderLength: HeaderLen, Checksum: ChecksumOff}
	return f
}

// PostHeaderLen returns the post-header length for event type t, or def
// when the format does not list it (older formats list fewer types).
func (f *Format) PostHeaderLen(t EventType, def int) int {
	if t == 0 || int(t) > len(f.PostHeaderLengths) {
		return def
	}
	return int(f.PostHeaderLengths[t-1])
}

// AtLeast reports whether the server version is >= major.minor.patch.
func (f *Format) AtLeast(major, minor, patch int) bool {
	v := f.Version
	if v[0] != major {
		return v[0] > major
	}
	if v[1] != minor {
		return v[1] > minor
	}
	return v[2] >= patch
}

func parseServerVersion(s string) (Flavor, [3]int) {
	fl := FlavorMySQL
	if strings.Contains(strings.ToLower(s), "mariadb") {
		fl = FlavorMariaDB
	}
	var v [3]int
	rest := s
	for i := 0; i < 3; i++ {
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j == 0 {
			break
		}
		v[i], _ = strconv.Atoi(rest[:j])
		rest = rest[j:]
		if len(rest) == 0 || rest[0] != '.' {
			break
		}
		rest = rest[1:]
	}
	// MariaDB 10+ servers replicating to old MySQL replicas may prefix
	// "5.5.5-"; the real version follows.
	if fl == FlavorMariaDB && v == [3]int{5, 5, 5} && strings.HasPrefix(s, "5.5.5-") {
		return parseServerVersion(s[len("5.5.5-"):])
	}
	return fl, v
}

func (f *Format) hasChecksumAlgByte() bool {
	if f.Flavor == FlavorMariaDB {
		return f.AtLeast(5, 3, 0)
	}
	return f.AtLeast(5, 6, 1)
}

func (e *FormatDescriptionEvent) decode(d *Decoder, h *Header, data []byte) error {
	c := newCursor(data)
	e.BinlogVersion = c.u16("binlog_version")
	sv := c.bytes(50, "server_version")
	e.CreateTimestamp = c.u32("create_timestamp")
	hl := c.u8("header_length")
	if c.err != nil {
		return c.err
	}
	if i := bytes.IndexByte(sv, 0); i >= 0 {
		sv = sv[:i]
	}
	e.ServerVersion = string(sv)
	e.Flavor, e.Version = parseServerVersion(e.ServerVersion)
	if hl < HeaderLenV1 {
		return fmt.Errorf("header_length %d is shorter than any binlog header", hl)
	}
	e.HeaderLength = int(hl)
	if e.BinlogVersion != 4 {
		return fmt.Errorf("binlog_version %d in a FORMAT_DESCRIPTION event (only version 4 uses this event)", e.BinlogVersion)
	}
	rest := c.rest()
	e.Checksum = ChecksumUndefined
	if e.hasChecksumAlgByte() {
		// The algorithm byte and the CRC32 trail the post-header table.
		if len(rest) < 5 {
			return fmt.Errorf("checksum algorithm and CRC32: need 5 bytes, have %d: %w", len(rest), errShort)
		}
		e.Checksum = ChecksumAlgorithm(rest[len(rest)-5])
		rest = rest[:len(rest)-5]
		if e.Checksum != ChecksumOff && e.Checksum != ChecksumCRC32 {
			return fmt.Errorf("unknown checksum algorithm %d", e.Checksum)
		}
	}
	// The decoder keeps the format for the events that follow, so it must
	// not alias the caller's buffer, which readers reuse.
	e.PostHeaderLengths = append([]byte(nil), rest...)
	return nil
}

// verifyFDEChecksum checks the CRC32 of a FORMAT_DESCRIPTION event, which is
// written whenever the algorithm byte is, even with binlog_checksum=NONE.
//
// The server computes that CRC with LOG_EVENT_BINLOG_IN_USE_F clear, then
// sets the flag in the file while the binlog is open and clears it again on
// a clean close, without updating the CRC (MySQL's
// Log_event_footer::event_checksum_test clears the flag before checking).
// So the flag byte is checked as if it were clear.
func verifyFDEChecksum(raw []byte, alg ChecksumAlgorithm) error {
	if alg == ChecksumUndefined || len(raw) < HeaderLen+4 {
		return nil
	}
	want := le32(raw[len(raw)-4:])
	if alg == ChecksumOff && want == 0 {
		return nil // some writers leave it zero when checksums are off
	}
	const flagsOffset = 17
	got := crc32.ChecksumIEEE(raw[:flagsOffset])
	got = crc32.Update(got, crc32.IEEETable, []byte{raw[flagsOffset] &^ byte(FlagBinlogInUse)})
	got = crc32.Update(got, crc32.IEEETable, raw[flagsOffset+1:len(raw)-4])
	if got != want {
		return fmt.Errorf("CRC32 is 0x%08x, event says 0x%08x: %w", got, want, ErrChecksum)
	}
	return nil
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// Post-header lengths of binlog versions 1 and 3, which had no
// FORMAT_DESCRIPTION to declare them (MySQL log_event.cc, Format_description
// constructor for old versions).
func oldFormatPostHeaders(binlogVersion uint16) []byte {
	p := make([]byte, int(NewLoadEventType))
	p[StartEventV3Type-1] = 56
	p[QueryEventType-1] = 11
	p[LoadEventType-1] = 18
	p[CreateFileEventType-1] = 22
	p[AppendBlockEventType-1] = 4
	p[ExecLoadEventType-1] = 4
	p[DeleteFileEventType-1] = 4
	p[NewLoadEventType-1] = 18
	if binlogVersion >= 3 {
		p[RotateEventType-1] = 8
	}
	return p
}

func (e *StartEventV3) decode(d *Decoder, h *Header, data []byte) error {
	c := newCursor(data)
	e.BinlogVersion = c.u16("binlog_version")
	sv := c.bytes(50, "server_version")
	e.CreateTimestamp = c.u32("create_timestamp")
	if c.err != nil {
		return c.err
	}
	if i := bytes.IndexByte(sv, 0); i >= 0 {
		sv = sv[:i]
	}
	e.ServerVersion = string(sv)
	e.Flavor, e.Version = parseServerVersion(e.ServerVersion)
	e.Checksum = ChecksumUndefined
	switch e.BinlogVersion {
	case 1:
		e.HeaderLength = HeaderLenV1
	case 2, 3:
		e.HeaderLength = HeaderLen
	case 4:
		// A v4 file may contain a START_EVENT_V3 only if written by a
		// very old relay; keep the current format.
		e.HeaderLength = d.format.HeaderLength
		e.PostHeaderLengths = d.format.PostHeaderLengths
		e.Checksum = d.format.Checksum
		return nil
	default:
		return fmt.Errorf("unknown binlog_version %d", e.BinlogVersion)
	}
	e.PostHeaderLengths = oldFormatPostHeaders(e.BinlogVersion)
	return nil
}

func le64(b []byte) uint64 {
	return uint64(le32(b)) | uint64(le32(b[4:]))<<32
}
