// Package cdc streams a MySQL or MariaDB binlog with its schema history:
// every rows event is decoded with the table definition in force when it
// was written, and every DDL becomes schema-change records.
//
// It composes the lower layers, each usable alone: package replication
// (the stream), package schema (DDL tracking, the versioned History,
// Reconcile, Tracker, Rewind) and go-sql-driver for the capture queries.
// A Source keeps its state in a directory: the History file, with the
// checkpoint in it.
//
// Where a Source starts (Open):
//
//   - empty state directory, no start: the schema of every table of the
//     user databases is read at a known binlog position (captureAt: the
//     position, SHOW CREATE TABLE of each table, the position again; a DDL
//     between the two positions makes it read again), the History's
//     baseline is put there and the stream starts there;
//   - a checkpoint: the stream resumes there, with History.AsOf;
//   - a start file position: from the History when it covers the point
//     (DDL past what it has read is read from the binlog first); from an
//     empty directory, the schema now plus schema.Rewind over the binlog
//     between the start and now, refusing (schema.UnknowableError) when a
//     table's definition at the start cannot be known.
//
// Source.Next returns each event with the table version of its rows or
// the changes of its DDL; Source.Commit makes the checkpoint durable once
// the caller has handled what precedes it. A DDL the tracker refused or a
// TABLE_MAP that contradicts the history ends the Source before the rows
// concerned, and the checkpoint stays before them; with MismatchReread a
// contradicted table's definition is read from the server instead, when
// the binlog shows it is still the one the event was written with.
//
// FileTracker does the same for binlog files read with package
// binlogfile (syncer binlog dump --schema-from).
package cdc
