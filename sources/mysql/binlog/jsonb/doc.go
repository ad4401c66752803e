// Package jsonb decodes MySQL's binary JSON storage format (the bytes of a
// JSON column as they appear in row-based binlog events), MySQL binary
// DECIMAL values, and the JSON partial-update diffs carried by
// PARTIAL_UPDATE_ROWS events.
//
// The package does no I/O and keeps no global mutable state. Every length
// and offset read from the input is checked against the input before it is
// used, so hostile input yields an error, never a panic or an allocation
// sized by an unchecked length field.
package jsonb
