// Package jsonb decodes MySQL's binary JSON storage format (the bytes of a
// JSON column as they appear in row-based binlog events), MySQL binary
// DECIMAL values, and the JSON partial-update diffs carried by
// PARTIAL_UPDATE_ROWS events.
//
//   - AppendJSON turns a binary JSON document into JSON text.
//   - AppendDecimal turns a binary DECIMAL into its exact decimal text.
//   - ParseDiffs splits a Json_diff_vector into Diffs.
//   - ApplyDiffs applies Diffs to the JSON text of a before-image and
//     returns the JSON text of the after-image.
//
// The formats are documented next to the code that reads them (json.go,
// decimal.go, diff.go); they follow MySQL's sql-common/json_binary.h,
// strings/decimal.cc and sql/json_diff.cc.
//
// # Output
//
// The JSON text is compact: MySQL's own printer (Json_wrapper::to_string,
// used by SELECT and mysqlbinlog) puts a blank after every ',' and ':';
// this package does not, and otherwise spells every value as MySQL does:
// doubles with MySQL's my_gcvt rules (1.0, 1e20, 0.00001), DECIMAL opaque
// values as exact numbers with their scale (9.00), temporal opaque values
// as quoted strings with six fractional digits, other opaque values as
// "base64:typeN:...", strings with MySQL's escaping.
//
// # Safety
//
// The package does no I/O and keeps no global mutable state. Every length
// and offset read from the input is checked against the input before it is
// used, so hostile input yields an *Error (wrapping ErrCorrupt) naming the
// offset, never a panic or an allocation sized by an unchecked length
// field. Output size is linear in input size even for documents whose
// entries point at shared data.
package jsonb
