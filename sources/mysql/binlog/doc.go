// Package binlog decodes the MySQL and MariaDB binary log format.
//
// It does no I/O: callers hand it the bytes of one event at a time (from a
// file, a relay log or a replication connection) and get back typed Go
// values. The package understands every event type written by MySQL 4.0
// through 9.x and MariaDB 5.5 through 11.x; an event type it does not know is
// returned as a *RawEvent carrying its type code, never an error.
//
// # Usage
//
// A Decoder holds the state that events depend on: the active
// FORMAT_DESCRIPTION (header length, post-header lengths, checksum algorithm,
// server flavor) and the TABLE_MAP events that row events refer to. Package
// binlogfile (sources/mysql/binlogfile) feeds it from files; a replication
// client feeds it from the network.
//
//	dec := binlog.NewDecoder()
//	var it binlog.RowIterator
//	for each raw event (header, body and checksum) {
//		ev, err := dec.Decode(raw)
//		if err != nil { ... } // a *DecodeError
//		switch body := ev.Body.(type) {
//		case *binlog.QueryEvent:
//			... body.Schema, body.Query
//		case *binlog.RowsEvent:
//			it.Reset(body)
//			for it.Next() {
//				... it.Before(), it.After() // []Value, indexed by column
//			}
//			if err := it.Err(); err != nil { ... }
//		}
//	}
//
// A TRANSACTION_PAYLOAD event carries its decompressed inner events in
// (*TransactionPayloadEvent).Events, decoded in order by the same Decoder.
//
// # Memory
//
// Decoded events may keep sub-slices of the raw bytes passed to Decode
// (zero-copy). The caller must not modify or reuse that buffer while the
// event is in use; what the Decoder itself keeps (the format, table maps) it
// copies. Values produced while iterating rows are valid only until the next
// row is decoded; copy what must outlive it (Value.Clone).
//
// # Errors
//
// Decode failures are a *DecodeError naming the event type and saying what
// is wrong and where in the event; readers fill in the file and offset. Row
// values are decoded lazily by RowIterator, whose errors name the row, the
// image, the column and the offset in the row data. Decoding never panics on
// hostile input and never allocates a buffer sized by a length field that
// was not first checked against the bytes actually present.
package binlog
