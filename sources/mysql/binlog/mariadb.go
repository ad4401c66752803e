package binlog

import (
	"fmt"
	"strconv"
)

// AnnotateRowsEvent is MariaDB's ANNOTATE_ROWS (type 160): the statement
// that produced the following row events (binlog_annotate_row_events).
//
//	offset size field
//	0      ...  statement text, to the end of the body
type AnnotateRowsEvent struct {
	Query string `json:"query"`
}

func (e *AnnotateRowsEvent) decode(d *Decoder, h *Header, data []byte) error {
	ph := d.Format().PostHeaderLen(MariaAnnotateRowsEventType, 0)
	if ph > len(data) {
		return fmt.Errorf("post-header of %d bytes, body has %d: %w", ph, len(data), errShort)
	}
	e.Query = string(data[ph:])
	return nil
}

// BinlogCheckpointEvent is MariaDB's BINLOG_CHECKPOINT (type 161): the
// oldest binlog file still needed for crash recovery.
//
//	offset size field
//	0      4    file name length N (post-header)
//	4      N    file name
type BinlogCheckpointEvent struct {
	File string `json:"binlog_file"`
}

func (e *BinlogCheckpointEvent) decode(d *Decoder, h *Header, data []byte) error {
	ph := d.Format().PostHeaderLen(MariaBinlogCheckpointEventType, 4)
	if ph < 4 {
		return fmt.Errorf("post-header length %d is shorter than the 4-byte file name length", ph)
	}
	c := newCursor(data)
	n := c.u32("file name length")
	c.skip(ph-4, "post-header")
	if c.err != nil {
		return c.err
	}
	if uint64(n) > uint64(c.remaining()) {
		return fmt.Errorf("file name length %d exceeds the %d bytes left: %w", n, c.remaining(), errShort)
	}
	e.File = string(c.bytes(int(n), "file name"))
	return c.err
}

// MariaDB GTID event flags (Gtid_log_event::FL_*, sql/log_event.h).
const (
	MariaGTIDStandalone    uint8 = 0x01 // no terminating COMMIT/XID follows
	MariaGTIDGroupCommitID uint8 = 0x02 // commit_id follows
	MariaGTIDTransactional uint8 = 0x04 // the group can be rolled back safely
	MariaGTIDAllowParallel uint8 = 0x08 // may be applied in parallel (optimistic)
	MariaGTIDWaited        uint8 = 0x10 // the transaction waited on a row lock
	MariaGTIDDDL           uint8 = 0x20 // the group contains DDL
	MariaGTIDPreparedXA    uint8 = 0x40 // XA PREPARE group; the XID follows
	MariaGTIDCompletedXA   uint8 = 0x80 // XA COMMIT/ROLLBACK; the XID follows
)

// mariaGTIDHeaderLen is GTID_HEADER_LEN: the body is zero-padded to
// this size, and the server refuses a shorter one.
const mariaGTIDHeaderLen = 19

// MariaGTIDEvent is MariaDB's GTID (type 162): starts every event group
// (replacing BEGIN) and names it domain-server-sequence.
//
//	offset size field
//	0      8    seq_no
//	8      4    domain_id
//	12     1    flags (MariaGTID*)
//	13     8    commit_id (only with MariaGTIDGroupCommitID)
//	..     4    XID formatID      } only with MariaGTIDPreparedXA or
//	..     1    gtrid length G    } MariaGTIDCompletedXA
//	..     1    bqual length B    }
//	..     G+B  gtrid, bqual      }
//	--- MariaDB 10.5+: only when bytes remain (a zero padding byte reads
//	    as "no extra flags") ---
//	..     1    flags_extra (MariaGTIDExtra*)
//	..     1    extra engine count (MariaGTIDExtraMultiEngine)
//	..     8    START ALTER seq_no (MariaGTIDExtraCommitAlter/RollbackAlter)
//	..     4    thread id (MariaGTIDExtraThreadID, 11.5+)
//	then zero padding up to 19 bytes
//
// The server id of the GTID is the event header's server_id.
type MariaGTIDEvent struct {
	// GTID is the canonical text "domain-server-seq".
	GTID     string `json:"gtid"`
	DomainID uint32 `json:"domain_id"`
	ServerID uint32 `json:"server_id"`
	SeqNo    uint64 `json:"seq_no"`
	Flags    uint8  `json:"flags"`

	Standalone    bool `json:"standalone"`
	Transactional bool `json:"transactional"`
	AllowParallel bool `json:"allow_parallel"`
	Waited        bool `json:"waited"`
	DDL           bool `json:"ddl"`
	PreparedXA    bool `json:"prepared_xa,omitempty"`
	CompletedXA   bool `json:"completed_xa,omitempty"`

	// CommitID groups transactions committed together on the source
	// (0 when MariaGTIDGroupCommitID is not set).
	CommitID uint64 `json:"commit_id,omitempty"`
	// XID is the XA transaction of an XA PREPARE/COMMIT/ROLLBACK group.
	XID *XID `json:"xid,omitempty"`

	FlagsExtra   uint8 `json:"flags_extra"`
	ExtraEngines uint8 `json:"extra_engines,omitempty"`
	// StartAlterSeqNo is the seq_no of the START ALTER that this COMMIT or
	// ROLLBACK ALTER completes.
	StartAlterSeqNo uint64 `json:"start_alter_seq_no,omitempty"`
	HasThreadID     bool   `json:"has_thread_id,omitempty"`
	ThreadID        uint32 `json:"thread_id,omitempty"`
}

// String returns the canonical GTID text.
func (e *MariaGTIDEvent) String() string { return e.GTID }

func (e *MariaGTIDEvent) decode(d *Decoder, h *Header, data []byte) error {
	if ph := d.Format().PostHeaderLen(MariaGTIDEventType, mariaGTIDHeaderLen); len(data) < ph || ph < mariaGTIDHeaderLen {
		return fmt.Errorf("body of %d bytes with post-header length %d: the server requires at least %d: %w", len(data), ph, mariaGTIDHeaderLen, errShort)
	}
	c := newCursor(data)
	e.SeqNo = c.u64("seq_no")
	e.DomainID = c.u32("domain_id")
	e.Flags = c.u8("flags")
	e.ServerID = h.ServerID
	e.GTID = strconv.FormatUint(uint64(e.DomainID), 10) + "-" + strconv.FormatUint(uint64(e.ServerID), 10) + "-" + strconv.FormatUint(e.SeqNo, 10)
	e.Standalone = e.Flags&MariaGTIDStandalone != 0
	e.Transactional = e.Flags&MariaGTIDTransactional != 0
	e.AllowParallel = e.Flags&MariaGTIDAllowParallel != 0
	e.Waited = e.Flags&MariaGTIDWaited != 0
	e.DDL = e.Flags&MariaGTIDDDL != 0
	e.PreparedXA = e.Flags&MariaGTIDPreparedXA != 0
	e.CompletedXA = e.Flags&MariaGTIDCompletedXA != 0
	if e.Flags&MariaGTIDGroupCommitID != 0 {
		e.CommitID = c.u64("commit_id")
	}
	if e.PreparedXA || e.CompletedXA {
		x := &XID{FormatID: int32(c.u32("XID formatID"))}
		g, b := c.u8("XID gtrid length"), c.u8("XID bqual length")
		if c.err == nil && (g > maxXIDPartLen || b > maxXIDPartLen) {
			return fmt.Errorf("XID gtrid length %d / bqual length %d: each must be at most %d", g, b, maxXIDPartLen)
		}
		x.GTRID = c.bytes(int(g), "XID gtrid")
		x.BQUAL = c.bytes(int(b), "XID bqual")
		e.XID = x
	}
	if c.err != nil {
		return c.err
	}
	if c.remaining() == 0 {
		return nil
	}
	e.FlagsExtra = c.u8("flags_extra")
	if e.FlagsExtra&MariaGTIDExtraMultiEngine != 0 {
		e.ExtraEngines = c.u8("extra engine count")
	}
	if e.FlagsExtra&(MariaGTIDExtraCommitAlter|MariaGTIDExtraRollbackAlter) != 0 {
		e.StartAlterSeqNo = c.u64("START ALTER seq_no")
	}
	if e.FlagsExtra&MariaGTIDExtraThreadID != 0 {
		e.ThreadID = c.u32("thread id")
		e.HasThreadID = c.err == nil
	}
	return c.err
}

// MariaGTID is one domain-server-sequence triple of a GTID list.
type MariaGTID struct {
	DomainID uint32 `json:"domain_id"`
	ServerID uint32 `json:"server_id"`
	SeqNo    uint64 `json:"seq_no"`
}

func (g MariaGTID) String() string {
	return strconv.FormatUint(uint64(g.DomainID), 10) + "-" + strconv.FormatUint(uint64(g.ServerID), 10) + "-" + strconv.FormatUint(g.SeqNo, 10)
}

// MarshalText renders the GTID as "domain-server-seq".
func (g MariaGTID) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// GTID list flags (the top 4 bits of the count word, shifted down).
const (
	MariaGTIDListUntilReached uint8 = 0x1 // FLAG_UNTIL_REACHED (artificial events only)
	MariaGTIDListIgnoreGTIDs  uint8 = 0x2 // FLAG_IGN_GTIDS
)

// MariaGTIDListEvent is MariaDB's GTID_LIST (type 163), written after the
// FORMAT_DESCRIPTION of every binlog: the last GTID of every
// (domain, server) pair in the earlier binlogs.
//
//	offset size field
//	0      4    bits 0-27: count N; bits 28-31: flags
//	4      16*N N entries: domain_id (4), server_id (4), seq_no (8)
type MariaGTIDListEvent struct {
	Flags uint8       `json:"flags"`
	GTIDs []MariaGTID `json:"gtids"`
}

func (e *MariaGTIDListEvent) decode(d *Decoder, h *Header, data []byte) error {
	ph := d.Format().PostHeaderLen(MariaGTIDListEventType, 4)
	if ph < 4 {
		return fmt.Errorf("post-header length %d is shorter than the 4-byte count", ph)
	}
	c := newCursor(data)
	word := c.u32("count and flags")
	c.skip(ph-4, "post-header")
	if c.err != nil {
		return c.err
	}
	n := word & (1<<28 - 1)
	e.Flags = uint8(word >> 28)
	if uint64(n)*16 > uint64(c.remaining()) {
		return fmt.Errorf("%d GTIDs need %d bytes, %d left: %w", n, uint64(n)*16, c.remaining(), errShort)
	}
	e.GTIDs = make([]MariaGTID, n)
	for i := range e.GTIDs {
		e.GTIDs[i] = MariaGTID{DomainID: c.u32("domain_id"), ServerID: c.u32("server_id"), SeqNo: c.u64("seq_no")}
	}
	return c.err
}

// StartEncryptionEvent is MariaDB's START_ENCRYPTION (type 164). Every
// event after it in the file is encrypted with a key from the server's key
// management plugin and cannot be decoded without it; readers stop at this
// event with an error saying so.
//
//	offset size field
//	0      1    encryption scheme (1)
//	1      4    key version
//	5      12   nonce
type StartEncryptionEvent struct {
	Scheme     uint8  `json:"scheme"`
	KeyVersion uint32 `json:"key_version"`
	Nonce      []byte `json:"nonce"`
}

func (e *StartEncryptionEvent) decode(d *Decoder, h *Header, data []byte) error {
	c := newCursor(data)
	c.skip(d.Format().PostHeaderLen(MariaStartEncryptionEventType, 0), "post-header")
	e.Scheme = c.u8("scheme")
	e.KeyVersion = c.u32("key version")
	e.Nonce = c.bytes(12, "nonce")
	return c.err
}
