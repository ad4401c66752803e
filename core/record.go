package core

import (
	"strconv"
	"time"
)

// Op is what a change record does.
type Op uint8

// The operations. A Record never has the zero Op.
const (
	OpInsert Op = iota + 1
	OpUpdate
	OpDelete
	// OpRead is a row read by a snapshot (not a change in the log).
	OpRead
	// OpSchemaChange carries a DDL statement's effect on one table or
	// database (Record.Change).
	OpSchemaChange
	// OpTruncate empties a table (Record.Change, Kind TruncateTable).
	OpTruncate
	// OpProgress carries no change: the source's position moved past
	// transactions that made no record (changes to excluded tables, empty
	// transactions), so checkpoints can move too. Sinks never see one.
	OpProgress
)

var opNames = [...]string{"", "insert", "update", "delete", "read", "schema_change", "truncate", "progress"}

func (o Op) String() string {
	if int(o) < len(opNames) && o != 0 {
		return opNames[o]
	}
	return "op" + strconv.Itoa(int(o))
}

// Record is the normalized change record: one row change (or a schema
// change) with the definition its values belong to, where it stands in the
// source's log and in its transaction.
//
// A Record owns its memory: its values do not alias buffers the source
// reuses, so records can be batched, queued and handed between goroutines.
// Consumers must not modify a record they did not make.
type Record struct {
	Op Op
	// Table is the definition of the table, with its Version, that the
	// values were written under: the schema in force at Position. Records
	// of one table version share one *Table. For OpSchemaChange and
	// OpTruncate it is Change.New (Change.Old for a drop); nil for a
	// database change and for OpProgress.
	Table *Table
	// Before is the row before the change (OpUpdate, OpDelete), After the
	// row after it (OpInsert, OpUpdate, OpRead), in Table.Columns order.
	Before, After []Value
	// Change is the schema change of OpSchemaChange and OpTruncate.
	Change *SchemaChange
	// Position is where the change is in the source's log: just past the
	// event that carried it (Change.Position for a schema change).
	Position Position
	// TxID identifies the source transaction: its GTID ("0-1-42" on
	// MariaDB, "uuid:42" on MySQL) or, without GTIDs, "file:pos" of its
	// first event. TxSeq numbers the transaction's records from 0.
	TxID  string
	TxSeq int
	// TxEnd marks the transaction's last record; Checkpoint is then the
	// position after the transaction, where a restart resumes once the
	// transaction is applied. A DDL statement is a transaction of its own.
	TxEnd      bool
	Checkpoint Position
	// CommitTime is when the source committed the transaction, to the
	// precision the source logs it (MySQL 8: the GTID event's original
	// commit time, in microseconds; otherwise the seconds of the event's
	// header, which MariaDB writes when the statement ran).
	CommitTime time.Time
}

// Image returns the row as the change leaves it: After, or Before for a
// delete.
func (r *Record) Image() []Value {
	if r.Op == OpDelete {
		return r.Before
	}
	return r.After
}

// Size estimates the memory a record holds, for batch byte limits.
func (r *Record) Size() int {
	n := 200
	for _, v := range r.Before {
		n += v.Size()
	}
	for _, v := range r.After {
		n += v.Size()
	}
	return n
}

// IsZero reports an unset position.
func (p Position) IsZero() bool {
	return p.File == "" && p.Pos == 0 && p.GTID == "" && p.Snapshot == ""
}

// String is "file:pos".
func (p Position) String() string { return p.File + ":" + strconv.FormatUint(p.Pos, 10) }

// Less orders positions by file then offset. Binlog file names of one
// server sort in the order they were written (the suffix is zero-padded
// to six digits and grows in width only past 999999).
func (p Position) Less(o Position) bool {
	if len(p.File) != len(o.File) {
		return len(p.File) < len(o.File)
	}
	if p.File != o.File {
		return p.File < o.File
	}
	return p.Pos < o.Pos
}
