package binlog

import (
	"fmt"
	"math"
	"strconv"

	"github.com/seed5aa6e046/syncer/sources/mysql/gtid"
)

// UUID is a server UUID (the SID of a MySQL GTID); see package gtid.
type UUID = gtid.UUID

// GTID flags (Gtid_event::gtid_flags).
const (
	// GTIDFlagMayHaveSBR: the transaction may contain statement-based
	// events. Servers before 8.0.? always behave as if it were set.
	GTIDFlagMayHaveSBR uint8 = 0x01
)

// GTIDEvent is GTID (type 33), ANONYMOUS_GTID (34) or GTID_TAGGED (42): the
// first event of every MySQL transaction, naming it and carrying the
// data the multi-threaded replica and monitoring need.
//
// GTID and ANONYMOUS_GTID (control_events.cpp, Gtid_event):
//
//	offset size field
//	0      1    flags (bit 0: may_have_sbr)
//	1      16   SID (source server UUID)
//	17     8    GNO (signed; 0 for ANONYMOUS_GTID)
//	--- MySQL 5.7.5+ ---
//	25     1    logical timestamp type code (2; anything else: nothing follows)
//	26     8    last_committed
//	34     8    sequence_number
//	--- MySQL 8.0.1+ (each part present only if bytes remain) ---
//	42     7    immediate_commit_timestamp (microseconds); bit 55 set means
//	            original_commit_timestamp follows, else it equals this one
//	       7    original_commit_timestamp (only when bit 55 was set)
//	       1-9  transaction_length (packed integer)
//	       4    immediate_server_version; bit 31 set means
//	            original_server_version follows, else it equals this one
//	       4    original_server_version (only when bit 31 was set)
//	       8    commit_group_ticket
//
// GTID_TAGGED (MySQL 8.3+) is a mysql::serialization message (see
// decodeTaggedGTID) with the same fields plus the tag.
type GTIDEvent struct {
	// GTID is the canonical text "uuid:gno" or "uuid:tag:gno", or
	// "ANONYMOUS" for ANONYMOUS_GTID.
	GTID       string `json:"gtid"`
	Anonymous  bool   `json:"anonymous,omitempty"`
	Flags      uint8  `json:"flags"`
	MayHaveSBR bool   `json:"may_have_sbr"`
	SID        UUID   `json:"sid"`
	GNO        int64  `json:"gno"`
	// Tag is the GTID tag (GTID_TAGGED only; empty otherwise).
	Tag string `json:"tag,omitempty"`

	// HasLogicalClock is false for events from servers before 5.7.5.
	HasLogicalClock bool  `json:"has_logical_clock"`
	LastCommitted   int64 `json:"last_committed"`
	SequenceNumber  int64 `json:"sequence_number"`

	// HasCommitTimestamps is false for events from servers before 8.0.1.
	// Timestamps are microseconds since the epoch.
	HasCommitTimestamps      bool   `json:"has_commit_timestamps"`
	ImmediateCommitTimestamp uint64 `json:"immediate_commit_timestamp"`
	OriginalCommitTimestamp  uint64 `json:"original_commit_timestamp"`

	HasTransactionLength bool `json:"has_transaction_length"`
	// TransactionLength is the size in bytes of the whole transaction,
	// this event included.
	TransactionLength uint64 `json:"transaction_length"`

	// HasServerVersions is false for events from servers before 8.0.14.
	// Versions are encoded as major*10000 + minor*100 + patch.
	HasServerVersions      bool   `json:"has_server_versions"`
	ImmediateServerVersion uint32 `json:"immediate_server_version"`
	OriginalServerVersion  uint32 `json:"original_server_version"`

	// CommitGroupTicket is the binlog group commit ticket (8.0.33+), 0 when
	// absent.
	CommitGroupTicket uint64 `json:"commit_group_ticket,omitempty"`
}

// String returns the canonical GTID text.
func (e *GTIDEvent) String() string { return e.GTID }

func formatGTID(sid UUID, tag string, gno int64) string {
	if tag != "" {
		return sid.String() + ":" + tag + ":" + strconv.FormatInt(gno, 10)
	}
	return sid.String() + ":" + strconv.FormatInt(gno, 10)
}

const (
	gtidLogicalClockTypeCode = 2
	commitTimestampOrigBit   = uint64(1) << 55
	serverVersionOrigBit     = uint32(1) << 31
	maxTagLength             = 32
)

func (e *GTIDEvent) decode(d *Decoder, h *Header, data []byte) error {
	if h.Type == GTIDTaggedEventType {
		if err := e.decodeTagged(data); err != nil {
			return err
		}
		e.GTID = formatGTID(e.SID, e.Tag, e.GNO)
		return nil
	}
	e.Anonymous = h.Type == AnonymousGTIDEventType
	c := newCursor(data)
	e.Flags = c.u8("flags")
	copy(e.SID[:], c.bytes(16, "SID"))
	e.GNO = int64(c.u64("GNO"))
	if c.err != nil {
		return c.err
	}
	e.MayHaveSBR = e.Flags&GTIDFlagMayHaveSBR != 0
	if e.Anonymous {
		if e.GNO != 0 {
			return fmt.Errorf("GNO: anonymous GTID event has GNO %d, want 0", e.GNO)
		}
		e.GTID = "ANONYMOUS"
	} else {
		if e.GNO < 1 || e.GNO == math.MaxInt64 {
			return fmt.Errorf("GNO: %d is outside 1..2^63-2", e.GNO)
		}
		e.GTID = formatGTID(e.SID, "", e.GNO)
	}
	// Every later part is optional: older servers end the event earlier,
	// and the server reads each part only if bytes remain.
	if c.remaining() < 1 {
		return nil
	}
	if c.u8("logical timestamp type code") != gtidLogicalClockTypeCode {
		// 5.7.4 and earlier used another code and layout; the server
		// ignores what follows, and so do we.
		return nil
	}
	e.LastCommitted = int64(c.u64("last_committed"))
	e.SequenceNumber = int64(c.u64("sequence_number"))
	if c.err != nil {
		return c.err
	}
	e.HasLogicalClock = true
	if c.remaining() < 7 {
		return nil
	}
	e.HasCommitTimestamps = true
	e.ImmediateCommitTimestamp = c.u56("immediate_commit_timestamp")
	e.OriginalCommitTimestamp = e.ImmediateCommitTimestamp
	if e.ImmediateCommitTimestamp&commitTimestampOrigBit != 0 {
		e.ImmediateCommitTimestamp &^= commitTimestampOrigBit
		e.OriginalCommitTimestamp = c.u56("original_commit_timestamp")
	}
	if c.err != nil {
		return c.err
	}
	if c.remaining() < 1 {
		return nil
	}
	n, isNull := c.lenenc("transaction_length")
	if c.err != nil {
		return c.err
	}
	if isNull {
		return fmt.Errorf("transaction_length at offset %d: 0xfb is not a valid packed integer here", c.pos-1)
	}
	e.HasTransactionLength, e.TransactionLength = true, n
	if c.remaining() < 4 {
		return nil
	}
	e.HasServerVersions = true
	e.ImmediateServerVersion = c.u32("immediate_server_version")
	e.OriginalServerVersion = e.ImmediateServerVersion
	if e.ImmediateServerVersion&serverVersionOrigBit != 0 {
		e.ImmediateServerVersion &^= serverVersionOrigBit
		e.OriginalServerVersion = c.u32("original_server_version")
	}
	if c.err != nil {
		return c.err
	}
	if c.remaining() >= 8 {
		e.CommitGroupTicket = c.u64("commit_group_ticket")
	}
	return c.err
}

// Field ids of the GTID_TAGGED message, in the order of
// Gtid_event::define_fields (control_events.h).
const (
	tgFlags = iota
	tgSID
	tgGNO
	tgTag
	tgLastCommitted
	tgSequenceNumber
	tgImmediateCommitTS
	tgOriginalCommitTS
	tgTransactionLength
	tgImmediateServerVersion
	tgOriginalServerVersion
	tgCommitGroupTicket
	tgFieldCount
)

// decodeTagged reads the body of GTID_TAGGED, a message of MySQL's
// serialization library (libs/mysql/serialization/readme.md):
//
//	size    field
//	1       serialization format version
//	1-9     message size in bytes, counted from the version byte (varlen)
//	1-9     id of the last non-ignorable field (varlen)
//	then, for each field present, in increasing id order:
//	1-9     field id (varlen)
//	...     value: unsigned integers varlen; signed integers varlen of
//	        the sign-folded value; the SID as 16 varlen bytes; the tag as
//	        a varlen length and its bytes
//
// Field ids: 0 flags, 1 SID, 2 GNO, 3 tag, 4 last_committed,
// 5 sequence_number, 6 immediate_commit_timestamp,
// 7 original_commit_timestamp (absent: equal to 6), 8 transaction_length,
// 9 immediate_server_version, 10 original_server_version (absent: equal to
// 9), 11 commit_group_ticket (absent: 0).
func (e *GTIDEvent) decodeTagged(data []byte) error {
	r := varlenReader{buf: data}
	r.u8raw("serialization format version")
	size := r.unsigned("message size")
	if r.err != nil {
		return r.err
	}
	if size > uint64(len(data)) {
		return fmt.Errorf("message size %d exceeds the %d-byte event body: %w", size, len(data), errShort)
	}
	if size < uint64(r.pos) {
		return fmt.Errorf("message size %d is smaller than its own header (%d bytes)", size, r.pos)
	}
	r.buf = data[:size]
	lastNonIgnorable := r.unsigned("last non-ignorable field id")
	if r.err != nil {
		return r.err
	}
	if lastNonIgnorable >= tgFieldCount {
		return fmt.Errorf("field id %d is required by the writer but unknown to this decoder (newer server?)", lastNonIgnorable)
	}
	present := [tgFieldCount]bool{}
	next := 0
	for r.pos < len(r.buf) && r.err == nil {
		idPos := r.pos
		id := r.unsigned("field id")
		if r.err != nil {
			break
		}
		if id >= tgFieldCount {
			// Ignorable fields added by newer servers: their size is not
			// self-described, so stop here as the server would skip them.
			break
		}
		if int(id) < next {
			return fmt.Errorf("field id %d at offset %d: ids must increase (previous field was %d)", id, idPos, next-1)
		}
		next = int(id) + 1
		present[id] = true
		switch id {
		case tgFlags:
			e.Flags = uint8(r.unsignedMax("flags", math.MaxUint8))
		case tgSID:
			for i := range e.SID {
				e.SID[i] = uint8(r.unsignedMax("SID byte", math.MaxUint8))
			}
		case tgGNO:
			e.GNO = r.signed("GNO")
		case tgTag:
			n := r.unsigned("tag length")
			if r.err == nil && n > maxTagLength {
				return fmt.Errorf("tag length %d at offset %d exceeds the %d-character maximum", n, r.pos, maxTagLength)
			}
			e.Tag = string(r.raw(int(n), "tag"))
		case tgLastCommitted:
			e.LastCommitted = r.signed("last_committed")
		case tgSequenceNumber:
			e.SequenceNumber = r.signed("sequence_number")
		case tgImmediateCommitTS:
			e.ImmediateCommitTimestamp = r.unsigned("immediate_commit_timestamp")
		case tgOriginalCommitTS:
			e.OriginalCommitTimestamp = r.unsigned("original_commit_timestamp")
		case tgTransactionLength:
			e.TransactionLength = r.unsigned("transaction_length")
		case tgImmediateServerVersion:
			e.ImmediateServerVersion = uint32(r.unsignedMax("immediate_server_version", math.MaxUint32))
		case tgOriginalServerVersion:
			e.OriginalServerVersion = uint32(r.unsignedMax("original_server_version", math.MaxUint32))
		case tgCommitGroupTicket:
			e.CommitGroupTicket = r.unsigned("commit_group_ticket")
		}
	}
	if r.err != nil {
		return r.err
	}
	for _, f := range []struct {
		id   int
		name string
	}{{tgSID, "SID"}, {tgGNO, "GNO"}} {
		if !present[f.id] {
			return fmt.Errorf("required field %s (id %d) is missing", f.name, f.id)
		}
	}
	if !present[tgOriginalCommitTS] {
		e.OriginalCommitTimestamp = e.ImmediateCommitTimestamp
	}
	if !present[tgOriginalServerVersion] {
		e.OriginalServerVersion = e.ImmediateServerVersion
	}
	e.MayHaveSBR = e.Flags&GTIDFlagMayHaveSBR != 0
	e.HasLogicalClock = present[tgLastCommitted] || present[tgSequenceNumber]
	e.HasCommitTimestamps = present[tgImmediateCommitTS]
	e.HasTransactionLength = present[tgTransactionLength]
	e.HasServerVersions = present[tgImmediateServerVersion]
	return nil
}

// varlenReader reads the variable-length integers of MySQL's serialization
// library: the number of trailing one bits of the first byte, plus one, is
// the byte count (1-9); for 1-8 bytes the value is the little-endian
// integer shifted right by that count, for 9 bytes it is the 8 bytes after
// the first.
type varlenReader struct {
	buf []byte
	pos int
	err error
}

func (r *varlenReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *varlenReader) u8raw(what string) uint8 {
	if r.err != nil {
		return 0
	}
	if r.pos >= len(r.buf) {
		r.fail(fmt.Errorf("%s at offset %d: need 1 byte, 0 left: %w", what, r.pos, errShort))
		return 0
	}
	b := r.buf[r.pos]
	r.pos++
	return b
}

func (r *varlenReader) raw(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.buf)-r.pos {
		r.fail(fmt.Errorf("%s at offset %d: need %d bytes, %d left: %w", what, r.pos, n, len(r.buf)-r.pos, errShort))
		return nil
	}
	b := r.buf[r.pos : r.pos+n]
	r.pos += n
	return b
}

func (r *varlenReader) unsigned(what string) uint64 {
	if r.err != nil {
		return 0
	}
	if r.pos >= len(r.buf) {
		r.fail(fmt.Errorf("%s at offset %d: need 1 byte, 0 left: %w", what, r.pos, errShort))
		return 0
	}
	first := r.buf[r.pos]
	n := 1
	for bit := uint8(1); n < 9 && first&bit != 0; bit <<= 1 {
		n++
	}
	b := r.raw(n, what)
	if b == nil {
		return 0
	}
	if n == 9 {
		var v uint64
		for i := 8; i >= 1; i-- {
			v = v<<8 | uint64(b[i])
		}
		return v
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v >> uint(n)
}

func (r *varlenReader) unsignedMax(what string, max uint64) uint64 {
	pos := r.pos
	v := r.unsigned(what)
	if r.err == nil && v > max {
		r.fail(fmt.Errorf("%s at offset %d: value %d exceeds %d", what, pos, v, max))
	}
	return v
}

// signed undoes the sign folding: x >= 0 is stored as x<<1, x < 0 as
// (-(x+1))<<1 | 1.
func (r *varlenReader) signed(what string) int64 {
	v := r.unsigned(what)
	if v&1 == 0 {
		return int64(v >> 1)
	}
	return -int64(v>>1) - 1
}

// PreviousGTIDsEvent is PREVIOUS_GTIDS (type 35), written after the
// FORMAT_DESCRIPTION of every MySQL 5.6+ binlog: the GTIDs of all earlier
// binlogs. The body (no post-header) is a GTID set in the binary form of
// MySQL's Gtid_set::encode, decoded by gtid.DecodeSet (both the untagged
// and the 8.3+ tagged format).
type PreviousGTIDsEvent struct {
	GTIDSet *gtid.Set `json:"gtid_set"`
}

func (e *PreviousGTIDsEvent) decode(d *Decoder, h *Header, data []byte) error {
	ph := d.Format().PostHeaderLen(PreviousGTIDsEventType, 0)
	if ph > len(data) {
		return fmt.Errorf("post-header of %d bytes, body has %d: %w", ph, len(data), errShort)
	}
	set, err := gtid.DecodeSet(data[ph:])
	if err != nil {
		return err
	}
	e.GTIDSet = set
	return nil
}
