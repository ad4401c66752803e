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
// server flavor) and the TABLE_MAP events that row events refer to.
//
//	dec := binlog.NewDecoder()
//	for each raw event (header included, checksum included) {
//		ev, err := dec.Decode(raw)
//		...
//		switch body := ev.Body.(type) {
//		case *binlog.QueryEvent: ...
//		case *binlog.RowsEvent: ...
//		}
//	}
//
// # Memory
//
// Decoded events may keep sub-slices of the raw bytes passed to Decode
// (zero-copy). The caller must not modify or reuse that buffer while the
// event is in use. Values produced while iterating rows are valid only until
// the next row is decoded; copy what must outlive it.
//
// # Errors
//
// Every failure is a *DecodeError naming the event type, the offset in the
// event and what is wrong. Decoding never panics on hostile input and never
// allocates a buffer sized by a length field that was not first checked
// against the bytes actually present.
package binlog
