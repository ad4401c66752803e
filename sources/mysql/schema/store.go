package schema

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
)

// This file holds the on-disk layout of the schema history and the binlog
// point order. The layout, in one bbolt file:
//
//	meta       "format"     -> historyFormat (refuses foreign bbolt files)
//	           "checkpoint" -> the caller's checkpoint bytes
//	log        seq (8 bytes big endian) -> encoded record
//	baselines  seq of a baseline marker in log -> empty
//	tables     schema, name (length-prefixed), seq -> empty
//
// Every write appends to log under growing sequence numbers, and points
// never go backwards, so log order is point order: the table state at a
// point is found by scanning log from the newest baseline marker at or
// before it. A baseline is a marker record followed by one record per
// table, all at the baseline's point. The tables bucket is an index that
// finds the newest version of one table without a scan.

const historyFormat = "syncer-schema-history/1"

var (
	bucketMeta      = []byte("meta")
	bucketLog       = []byte("log")
	bucketBaselines = []byte("baselines")
	bucketTables    = []byte("tables")

	keyFormat     = []byte("format")
	keyCheckpoint = []byte("checkpoint")
)

// Record kinds, the first byte of a log value.
const (
	recTable    byte = 1 // a table version (Record or baseline member)
	recDrop     byte = 2 // the table no longer exists
	recBaseline byte = 3 // the start of a complete set of tables
)

// record is one decoded log value. The byte slices point into the bbolt
// page (valid only inside the transaction that read them) so that a scan
// over many records does not copy table definitions it will not use.
type logRecord struct {
	kind      byte
	file      []byte
	pos       uint64
	gtid      []byte
	schema    []byte
	name      []byte
	statement []byte
	table     []byte // JSON of core.Table; nil unless recTable
}

func (r *logRecord) point() Point {
	return Point{File: string(r.file), Pos: r.pos, GTID: string(r.gtid)}
}

// encodeRecord appends the encoding of a record to dst: the kind, then
// length-prefixed file, position, GTID, schema, name and statement, then
// the table JSON as the rest of the value.
func encodeRecord(dst []byte, kind byte, at Point, schema, name, statement string, table []byte) []byte {
	dst = append(dst, kind)
	dst = appendString(dst, at.File)
	dst = binary.AppendUvarint(dst, at.Pos)
	dst = appendString(dst, at.GTID)
	dst = appendString(dst, schema)
	dst = appendString(dst, name)
	dst = appendString(dst, statement)
	return append(dst, table...)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

var errBadRecord = errors.New("malformed record")

// decodeRecord decodes a log value without copying.
func decodeRecord(b []byte, r *logRecord) error {
	if len(b) == 0 {
		return errBadRecord
	}
	r.kind = b[0]
	if r.kind < recTable || r.kind > recBaseline {
		return fmt.Errorf("%w: unknown kind %d", errBadRecord, r.kind)
	}
	b = b[1:]
	var ok bool
	if r.file, b, ok = takeBytes(b); !ok {
		return errBadRecord
	}
	n, l := binary.Uvarint(b)
	if l <= 0 {
		return errBadRecord
	}
	r.pos, b = n, b[l:]
	if r.gtid, b, ok = takeBytes(b); !ok {
		return errBadRecord
	}
	if r.schema, b, ok = takeBytes(b); !ok {
		return errBadRecord
	}
	if r.name, b, ok = takeBytes(b); !ok {
		return errBadRecord
	}
	if r.statement, b, ok = takeBytes(b); !ok {
		return errBadRecord
	}
	r.table = nil
	if r.kind == recTable {
		if len(b) == 0 {
			return fmt.Errorf("%w: table record without a definition", errBadRecord)
		}
		r.table = b
	}
	return nil
}

func takeBytes(b []byte) (s, rest []byte, ok bool) {
	n, l := binary.Uvarint(b)
	if l <= 0 || n > uint64(len(b)-l) {
		return nil, nil, false
	}
	return b[l : l+int(n)], b[l+int(n):], true
}

func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq)
}

// indexKeyPrefix is the index key of one table without its sequence
// number. Lengths prefix both names so that no (schema, name) pair is a
// prefix of another's key.
func indexKeyPrefix(dst []byte, schema, name string) []byte {
	dst = appendString(dst, schema)
	return appendString(dst, name)
}

func indexKey(schema, name string, seq uint64) []byte {
	k := indexKeyPrefix(make([]byte, 0, len(schema)+len(name)+12), schema, name)
	return binary.BigEndian.AppendUint64(k, seq)
}

// Point is a place in the binlog: the position after an event, in a binlog
// file. Points are ordered by (File, Pos), with binlog file names compared
// by their numeric suffix so that base.000010 follows base.000009 and
// base.1000000 follows base.999999 (the server widens the suffix past six
// digits). GTID is the GTID position there, saved with the point as
// information only: it takes no part in the order.
type Point struct {
	File string `json:"file"`
	Pos  uint64 `json:"pos"`
	GTID string `json:"gtid,omitempty"`
}

// Compare returns -1, 0 or +1 as p is before, at or after o.
func (p Point) Compare(o Point) int {
	if c := binlogfile.CompareNames(p.File, o.File); c != 0 {
		return c
	}
	switch {
	case p.Pos < o.Pos:
		return -1
	case p.Pos > o.Pos:
		return 1
	}
	return 0
}

// String formats the point as file:pos, followed by the GTID if any.
func (p Point) String() string {
	if p.GTID != "" {
		return fmt.Sprintf("%s:%d (gtid %s)", p.File, p.Pos, p.GTID)
	}
	return fmt.Sprintf("%s:%d", p.File, p.Pos)
}
