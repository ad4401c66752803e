package binlog

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog/jsonb"
	"github.com/seed5aa6e046/syncer/sources/mysql/gtid"
)

// StopEvent is STOP (type 3), written when the server shuts down cleanly.
// It has no body.
type StopEvent struct{}

func (e *StopEvent) decode(d *Decoder, h *Header, data []byte) error { return nil }

// RotateEvent is ROTATE (type 4): the binlog continues in another file.
//
//	offset size field
//	0      8    position of the first event in the next file (post-header;
//	            absent in binlog v1, where it is always 4)
//	8      ...  next file name, to the end of the body
//
// The server reads ROTATE with a 19-byte header whatever the format's header
// length says, so with a longer header the extra header bytes are the start
// of this body.
type RotateEvent struct {
	Position uint64 `json:"position"`
	NextFile string `json:"next_file"`
}

func (e *RotateEvent) decode(d *Decoder, h *Header, data []byte) error {
	if len(h.Extra) > 0 {
		full := make([]byte, 0, len(h.Extra)+len(data))
		data = append(append(full, h.Extra...), data...)
	}
	ph := d.Format().PostHeaderLen(RotateEventType, 8)
	c := newCursor(data)
	e.Position = 4
	if ph >= 8 {
		e.Position = c.u64("position")
		c.skip(ph-8, "post-header")
	}
	if c.err != nil {
		return c.err
	}
	e.NextFile = string(c.rest())
	return nil
}

// XIDEvent is XID (type 16): the COMMIT of a transaction on a transactional
// engine.
//
//	offset size field
//	0      8    xid (the server's internal transaction id, little-endian)
type XIDEvent struct {
	XID uint64 `json:"xid"`
}

func (e *XIDEvent) decode(d *Decoder, h *Header, data []byte) error {
	c := newCursor(data)
	c.skip(d.Format().PostHeaderLen(XIDEventType, 0), "post-header")
	e.XID = c.u64("xid")
	return c.err
}

// IntvarType says which variable an INTVAR event sets.
type IntvarType uint8

const (
	IntvarInvalid      IntvarType = 0
	IntvarLastInsertID IntvarType = 1 // LAST_INSERT_ID()
	IntvarInsertID     IntvarType = 2 // next AUTO_INCREMENT value
)

func (t IntvarType) String() string {
	switch t {
	case IntvarInvalid:
		return "INVALID_INT"
	case IntvarLastInsertID:
		return "LAST_INSERT_ID"
	case IntvarInsertID:
		return "INSERT_ID"
	}
	return "INTVAR_" + strconv.Itoa(int(t))
}

// MarshalText renders the type's name.
func (t IntvarType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// IntvarEvent is INTVAR (type 5): LAST_INSERT_ID or INSERT_ID for the next
// statement-based QUERY.
//
//	offset size field
//	0      1    type (1 LAST_INSERT_ID, 2 INSERT_ID)
//	1      8    value
type IntvarEvent struct {
	Type  IntvarType `json:"intvar_type"`
	Value uint64     `json:"value"`
}

func (e *IntvarEvent) decode(d *Decoder, h *Header, data []byte) error {
	c := newCursor(data)
	c.skip(d.Format().PostHeaderLen(IntvarEventType, 0), "post-header")
	e.Type = IntvarType(c.u8("type"))
	e.Value = c.u64("value")
	return c.err
}

// RandEvent is RAND (type 13): the RAND() seeds for the next QUERY.
//
//	offset size field
//	0      8    seed1
//	8      8    seed2
type RandEvent struct {
	Seed1 uint64 `json:"seed1"`
	Seed2 uint64 `json:"seed2"`
}

func (e *RandEvent) decode(d *Decoder, h *Header, data []byte) error {
	c := newCursor(data)
	c.skip(d.Format().PostHeaderLen(RandEventType, 0), "post-header")
	e.Seed1 = c.u64("seed1")
	e.Seed2 = c.u64("seed2")
	return c.err
}

// UserVarType is the Item_result type of a user variable.
type UserVarType uint8

const (
	UserVarString  UserVarType = 0
	UserVarReal    UserVarType = 1
	UserVarInt     UserVarType = 2
	UserVarRow     UserVarType = 3
	UserVarDecimal UserVarType = 4
)

func (t UserVarType) String() string {
	switch t {
	case UserVarString:
		return "STRING"
	case UserVarReal:
		return "REAL"
	case UserVarInt:
		return "INT"
	case UserVarRow:
		return "ROW"
	case UserVarDecimal:
		return "DECIMAL"
	}
	return "TYPE_" + strconv.Itoa(int(t))
}

// MarshalText renders the type's name.
func (t UserVarType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// userVarUnsigned is User_var_event::UNSIGNED_F.
const userVarUnsigned = 0x01

// binaryCollation is the id of the "binary" character set/collation.
const binaryCollation = 63

// UserVarEvent is USER_VAR (type 14): the value of a user variable used by
// the next statement-based QUERY.
//
//	offset size field
//	0      4    name length N
//	4      N    name
//	4+N    1    is_null (nothing follows when non-zero)
//	5+N    1    type (0 STRING, 1 REAL, 2 INT, 3 ROW, 4 DECIMAL)
//	6+N    4    charset (collation id)
//	10+N   4    value length L
//	14+N   L    value: STRING raw bytes; REAL 8-byte double; INT 8-byte
//	            integer; DECIMAL precision (1), scale (1), binary decimal
//	14+N+L 1    flags (bit 0: unsigned), absent before MySQL 5.6 / MariaDB 10.0
type UserVarEvent struct {
	Name   string      `json:"name"`
	IsNull bool        `json:"is_null"`
	Type   UserVarType `json:"value_type"`
	// Charset is the collation id of a STRING value (63 = binary).
	Charset  uint32 `json:"charset"`
	Flags    uint8  `json:"flags"`
	Unsigned bool   `json:"unsigned,omitempty"`
	// Value is nil for NULL; for STRING a string, or []byte when Charset is
	// binary; for REAL a float64; for INT an int64, or uint64 when
	// Unsigned; for DECIMAL the exact decimal text ("-12.50"); for ROW the
	// raw bytes.
	Value any `json:"value"`
	// Precision and Scale of a DECIMAL value.
	Precision uint8 `json:"precision,omitempty"`
	Scale     uint8 `json:"scale,omitempty"`
}

func (e *UserVarEvent) decode(d *Decoder, h *Header, data []byte) error {
	c := newCursor(data)
	c.skip(d.Format().PostHeaderLen(UserVarEventType, 0), "post-header")
	nameLen := c.u32("name length")
	if c.err != nil {
		return c.err
	}
	if uint64(nameLen) > uint64(c.remaining()) {
		return fmt.Errorf("name length %d at offset %d exceeds the %d bytes left: %w", nameLen, c.pos-4, c.remaining(), errShort)
	}
	e.Name = string(c.bytes(int(nameLen), "name"))
	e.IsNull = c.u8("is_null") != 0
	if c.err != nil {
		return c.err
	}
	if e.IsNull {
		e.Type, e.Charset = UserVarString, binaryCollation
		return nil
	}
	e.Type = UserVarType(c.u8("type"))
	e.Charset = c.u32("charset")
	valLen := c.u32("value length")
	if c.err != nil {
		return c.err
	}
	if uint64(valLen) > uint64(c.remaining()) {
		return fmt.Errorf("value length %d at offset %d exceeds the %d bytes left: %w", valLen, c.pos-4, c.remaining(), errShort)
	}
	valPos := c.pos
	val := c.bytes(int(valLen), "value")
	if c.remaining() > 0 {
		e.Flags = c.u8("flags")
	}
	e.Unsigned = e.Flags&userVarUnsigned != 0
	switch e.Type {
	case UserVarString:
		if e.Charset == binaryCollation {
			e.Value = bytes.Clone(val)
		} else {
			e.Value = string(val)
		}
	case UserVarReal:
		if len(val) != 8 {
			return fmt.Errorf("REAL value at offset %d has %d bytes, want 8", valPos, len(val))
		}
		f := math.Float64frombits(le64(val))
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("REAL value at offset %d is %v, which no server can store", valPos, f)
		}
		e.Value = f
	case UserVarInt:
		if len(val) != 8 {
			return fmt.Errorf("INT value at offset %d has %d bytes, want 8", valPos, len(val))
		}
		if e.Unsigned {
			e.Value = le64(val)
		} else {
			e.Value = int64(le64(val))
		}
	case UserVarDecimal:
		if len(val) < 2 {
			return fmt.Errorf("DECIMAL value at offset %d has %d bytes, need precision and scale", valPos, len(val))
		}
		e.Precision, e.Scale = val[0], val[1]
		txt, n, err := jsonb.AppendDecimal(nil, val[2:], int(e.Precision), int(e.Scale))
		if err != nil {
			return fmt.Errorf("DECIMAL(%d,%d) value at offset %d: %w", e.Precision, e.Scale, valPos+2, err)
		}
		if n != len(val)-2 {
			return fmt.Errorf("DECIMAL(%d,%d) value at offset %d: %d bytes, the binary form takes %d", e.Precision, e.Scale, valPos+2, len(val)-2, n)
		}
		e.Value = string(txt)
	case UserVarRow:
		e.Value = bytes.Clone(val)
	default:
		return fmt.Errorf("type %d at offset %d is not a user variable type", e.Type, valPos-9)
	}
	return nil
}

// IncidentEvent is INCIDENT (type 26): something happened on the source
// that may have left the replica inconsistent.
//
//	offset size field
//	0      2    incident code (1 = LOST_EVENTS) (post-header)
//	2      1    message length N
//	3      N    message
type IncidentEvent struct {
	Incident uint16 `json:"incident"`
	Message  string `json:"message"`
}

// IncidentLostEvents is INCIDENT_LOST_EVENTS.
const IncidentLostEvents = 1

func (e *IncidentEvent) decode(d *Decoder, h *Header, data []byte) error {
	ph := d.Format().PostHeaderLen(IncidentEventType, 2)
	c := newCursor(data)
	e.Incident = c.u16("incident code")
	if ph > 2 {
		c.skip(ph-2, "post-header")
	}
	if c.err != nil {
		return c.err
	}
	if c.remaining() == 0 {
		return nil // some 5.1 servers wrote no message at all
	}
	e.Message = string(c.bytes(int(c.u8("message length")), "message"))
	return c.err
}

// HeartbeatEvent is HEARTBEAT (type 27), sent by a source to an idle
// replica (never written to a file). The header's log_pos is the position
// in the named file.
//
//	offset size field
//	0      ...  current binlog file name, to the end of the body
type HeartbeatEvent struct {
	LogFile string `json:"log_file"`
}

func (e *HeartbeatEvent) decode(d *Decoder, h *Header, data []byte) error {
	e.LogFile = string(data)
	return nil
}

// Field types of HEARTBEAT_V2 (codecs/binary.h).
const (
	hbEndMark       = 0
	hbLogFilename   = 1
	hbLogPosition   = 2
	payloadEndMark  = 0
	payloadSize     = 1
	payloadCompress = 2
	payloadUncomp   = 3
)

// HeartbeatV2Event is HEARTBEAT_V2 (type 41, MySQL 8.0.26+), a heartbeat
// whose position is 64-bit. The body is a list of fields, each a packed
// integer type, a packed integer length and the value, ended by type 0:
//
//	type length value
//	1    N      log file name (N bytes)
//	2    N      log position (packed integer)
//	0           end of fields
//
// Unknown types are skipped by their length.
type HeartbeatV2Event struct {
	LogFile     string `json:"log_file"`
	LogPosition uint64 `json:"log_position"`
}

func (e *HeartbeatV2Event) decode(d *Decoder, h *Header, data []byte) error {
	c := newCursor(data)
	for c.remaining() > 0 {
		typePos := c.pos
		typ, _ := c.lenenc("field type")
		if c.err != nil {
			return c.err
		}
		if typ == hbEndMark {
			return nil
		}
		length, _ := c.lenenc("field length")
		if c.err != nil {
			return c.err
		}
		if length > uint64(c.remaining()) {
			return fmt.Errorf("field type %d at offset %d: length %d exceeds the %d bytes left: %w", typ, typePos, length, c.remaining(), errShort)
		}
		switch typ {
		case hbLogFilename:
			e.LogFile = string(c.bytes(int(length), "log file name"))
		case hbLogPosition:
			v := newCursor(c.bytes(int(length), "log position"))
			e.LogPosition, _ = v.lenenc("log position")
			if v.err != nil {
				return fmt.Errorf("field type %d at offset %d: %w", typ, typePos, v.err)
			}
		default:
			c.skip(int(length), "unknown field")
		}
	}
	return c.err
}

// RowsQueryEvent is ROWS_QUERY (type 29): the statement that produced the
// following row events (binlog_rows_query_log_events=ON).
//
//	offset size field
//	0      1    length (only the low 8 bits of it; ignored by the server)
//	1      ...  statement text, to the end of the body
type RowsQueryEvent struct {
	Query string `json:"query"`
}

func (e *RowsQueryEvent) decode(d *Decoder, h *Header, data []byte) error {
	c := newCursor(data)
	c.skip(d.Format().PostHeaderLen(RowsQueryEventType, 0), "post-header")
	c.skip(1, "length byte")
	if c.err != nil {
		return c.err
	}
	e.Query = string(c.rest())
	return nil
}

// TransactionContextEvent is TRANSACTION_CONTEXT (type 36), written by
// group replication (5.7.6-8.0) to carry a transaction's write set for
// certification.
//
//	offset size field
//	0      1    server UUID length U
//	1      4    thread_id
//	5      1    gtid_specified
//	6      4    encoded snapshot version length S
//	10     4    write set item count W
//	14     4    read set item count R
//	18     U    server UUID (text)
//	18+U   S    snapshot version: a binary GTID set
//	...         W items, each a 2-byte length and the bytes, then R items
type TransactionContextEvent struct {
	ServerUUID    string `json:"server_uuid"`
	ThreadID      uint32 `json:"thread_id"`
	GTIDSpecified bool   `json:"gtid_specified"`
	// SnapshotVersion is the decoded snapshot version, when it is a valid
	// GTID set; EncodedSnapshotVersion always holds the bytes.
	SnapshotVersion        *gtid.Set `json:"snapshot_version,omitempty"`
	EncodedSnapshotVersion []byte    `json:"encoded_snapshot_version"`
	WriteSet               []string  `json:"write_set"`
	ReadSet                []string  `json:"read_set"`
}

func (e *TransactionContextEvent) decode(d *Decoder, h *Header, data []byte) error {
	c := newCursor(data)
	uuidLen := int(c.u8("server UUID length"))
	e.ThreadID = c.u32("thread_id")
	e.GTIDSpecified = c.u8("gtid_specified") != 0
	snapLen := c.u32("snapshot version length")
	writeCount := c.u32("write set count")
	readCount := c.u32("read set count")
	if ph := d.Format().PostHeaderLen(TransactionContextEventType, 18); ph > 18 {
		c.skip(ph-18, "post-header")
	}
	if c.err != nil {
		return c.err
	}
	e.ServerUUID = string(c.bytes(uuidLen, "server UUID"))
	if c.err == nil && uint64(snapLen) > uint64(c.remaining()) {
		return fmt.Errorf("snapshot version length %d at offset %d exceeds the %d bytes left: %w", snapLen, c.pos, c.remaining(), errShort)
	}
	e.EncodedSnapshotVersion = c.bytes(int(snapLen), "snapshot version")
	if c.err != nil {
		return c.err
	}
	if set, err := gtid.DecodeSet(e.EncodedSnapshotVersion); err == nil {
		e.SnapshotVersion = set
	}
	var err error
	if e.WriteSet, err = readSizedStrings(&c, writeCount, "write set"); err != nil {
		return err
	}
	if e.ReadSet, err = readSizedStrings(&c, readCount, "read set"); err != nil {
		return err
	}
	return nil
}

// readSizedStrings reads count items of a 2-byte length and that many bytes.
func readSizedStrings(c *cursor, count uint32, what string) ([]string, error) {
	// Each item takes at least its 2-byte length, so a larger count than
	// that is corrupt, and is caught before allocating.
	if uint64(count)*2 > uint64(c.remaining()) {
		return nil, fmt.Errorf("%s: %d items cannot fit in %d bytes at offset %d: %w", what, count, c.remaining(), c.pos, errShort)
	}
	items := make([]string, 0, count)
	for i := uint32(0); i < count; i++ {
		n := int(c.u16(what + " item length"))
		items = append(items, string(c.bytes(n, what+" item")))
		if c.err != nil {
			return nil, fmt.Errorf("%s item %d: %w", what, i, c.err)
		}
	}
	return items, nil
}

// CertificationInfoEntry is one entry of a VIEW_CHANGE certification map:
// a write-set key and the encoded GTID set of the transactions that wrote it.
type CertificationInfoEntry struct {
	Key   string `json:"key"`
	Value []byte `json:"value"`
}

// ViewChangeEvent is VIEW_CHANGE (type 37), written by group replication
// when a member joins or leaves the group.
//
//	offset size field
//	0      40   view_id (text, NUL padded)
//	40     8    seq_number
//	48     4    certification info entry count N
//	52     ...  N entries: 2-byte key length, key, 4-byte value length, value
type ViewChangeEvent struct {
	ViewID            string                   `json:"view_id"`
	SeqNumber         uint64                   `json:"seq_number"`
	CertificationInfo []CertificationInfoEntry `json:"certification_info"`
}

func (e *ViewChangeEvent) decode(d *Decoder, h *Header, data []byte) error {
	c := newCursor(data)
	id := c.bytes(40, "view_id")
	e.SeqNumber = c.u64("seq_number")
	count := c.u32("certification info count")
	if ph := d.Format().PostHeaderLen(ViewChangeEventType, 52); ph > 52 {
		c.skip(ph-52, "post-header")
	}
	if c.err != nil {
		return c.err
	}
	if i := bytes.IndexByte(id, 0); i >= 0 {
		id = id[:i]
	}
	if len(id) == 0 {
		return fmt.Errorf("view_id is empty")
	}
	e.ViewID = string(id)
	if uint64(count)*6 > uint64(c.remaining()) {
		return fmt.Errorf("certification info: %d entries cannot fit in %d bytes: %w", count, c.remaining(), errShort)
	}
	e.CertificationInfo = make([]CertificationInfoEntry, 0, count)
	for i := uint32(0); i < count; i++ {
		key := c.bytes(int(c.u16("key length")), "key")
		valLen := c.u32("value length")
		if c.err == nil && uint64(valLen) > uint64(c.remaining()) {
			return fmt.Errorf("certification info entry %d: value length %d exceeds the %d bytes left: %w", i, valLen, c.remaining(), errShort)
		}
		val := c.bytes(int(valLen), "value")
		if c.err != nil {
			return fmt.Errorf("certification info entry %d: %w", i, c.err)
		}
		e.CertificationInfo = append(e.CertificationInfo, CertificationInfoEntry{Key: string(key), Value: val})
	}
	return nil
}

// XID is an XA transaction id: format id, global transaction id and
// branch qualifier. It renders as MySQL prints it in XA statements:
// X'676c6f62616c',X'6272616e6368',1.
type XID struct {
	FormatID int32  `json:"format_id"`
	GTRID    []byte `json:"gtrid"`
	BQUAL    []byte `json:"bqual"`
}

func (x XID) String() string {
	return "X'" + hex.EncodeToString(x.GTRID) + "',X'" + hex.EncodeToString(x.BQUAL) + "'," + strconv.Itoa(int(x.FormatID))
}

// MarshalText renders the XID as MySQL prints it.
func (x XID) MarshalText() ([]byte, error) { return []byte(x.String()), nil }

// maxXIDPartLen is MAXGTRIDSIZE and MAXBQUALSIZE.
const maxXIDPartLen = 64

// XAPrepareEvent is XA_PREPARE (type 38): ends the events of XA PREPARE
// (or of XA COMMIT ... ONE PHASE).
//
//	offset size field
//	0      1    one_phase
//	1      4    formatID (-1: null XID)
//	5      4    gtrid length G (0-64)
//	9      4    bqual length B (0-64)
//	13     G+B  gtrid, then bqual
type XAPrepareEvent struct {
	OnePhase bool `json:"one_phase"`
	XID      XID  `json:"xid"`
}

func (e *XAPrepareEvent) decode(d *Decoder, h *Header, data []byte) error {
	c := newCursor(data)
	c.skip(d.Format().PostHeaderLen(XAPrepareEventType, 0), "post-header")
	e.OnePhase = c.u8("one_phase") != 0
	e.XID.FormatID = int32(c.u32("formatID"))
	g, b := c.u32("gtrid length"), c.u32("bqual length")
	if c.err != nil {
		return c.err
	}
	if g > maxXIDPartLen || b > maxXIDPartLen {
		return fmt.Errorf("XID gtrid length %d / bqual length %d: each must be at most %d", g, b, maxXIDPartLen)
	}
	e.XID.GTRID = c.bytes(int(g), "gtrid")
	e.XID.BQUAL = c.bytes(int(b), "bqual")
	return c.err
}
