package jsonb

import "errors"

var errNotImplemented = errors.New("jsonb: not implemented yet")

// AppendJSON appends the JSON text of a MySQL binary JSON value to dst.
func AppendJSON(dst, bin []byte) ([]byte, error) { return dst, errNotImplemented }

// DiffOp is the operation of one JSON diff (enum_json_diff_operation).
type DiffOp uint8

// Values of enum_json_diff_operation in MySQL's sql/json_diff.h.
const (
	DiffReplace DiffOp = 0
	DiffInsert  DiffOp = 1
	DiffRemove  DiffOp = 2
)

// Diff is one logical change to a JSON document.
type Diff struct {
	Op    DiffOp
	Path  string
	Value []byte // binary JSON; nil for DiffRemove
}

// ParseDiffs parses a Json_diff_vector without its 4-byte length prefix.
func ParseDiffs(b []byte) ([]Diff, error) { return nil, errNotImplemented }

// ApplyDiffs applies diffs to the JSON text docJSON.
func ApplyDiffs(docJSON []byte, diffs []Diff) ([]byte, error) { return nil, errNotImplemented }

// AppendDecimal appends the text of a MySQL binary DECIMAL to dst.
func AppendDecimal(dst, bin []byte, precision, scale int) ([]byte, int, error) {
	return dst, 0, errNotImplemented
}
