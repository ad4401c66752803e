package binlog

import (
	"fmt"

	"github.com/seed5aa6e046/syncer/internal/jsontext"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog/jsonb"
)

// appendBinaryJSON renders a MySQL binary JSON document. An empty value is
// what the server logs for a JSON column set to ” by a non-strict
// statement; MySQL reads it as JSON null.
func appendBinaryJSON(dst, bin []byte) ([]byte, error) {
	if len(bin) == 0 {
		return append(dst, "null"...), nil
	}
	out, err := jsonb.AppendJSON(dst, bin)
	if err != nil {
		return dst, fmt.Errorf("%w: binary JSON: %w", ErrJSONRender, err)
	}
	return out, nil
}

var diffOpNames = [...]string{jsonb.DiffReplace: "replace", jsonb.DiffInsert: "insert", jsonb.DiffRemove: "remove"}

// appendJSONDiffs renders a JSON diff vector as an array of
// {"op","path","value"} objects.
func appendJSONDiffs(dst, vector []byte) ([]byte, error) {
	diffs, err := jsonb.ParseDiffs(vector)
	if err != nil {
		return dst, fmt.Errorf("%w: JSON diff: %w", ErrJSONRender, err)
	}
	return appendDiffList(dst, diffs)
}

func appendDiffList(dst []byte, diffs []jsonb.Diff) ([]byte, error) {
	dst = append(dst, '[')
	for i, d := range diffs {
		if i > 0 {
			dst = append(dst, ',')
		}
		op := "op" + fmt.Sprint(int(d.Op))
		if int(d.Op) < len(diffOpNames) {
			op = diffOpNames[d.Op]
		}
		dst = append(dst, `{"op":`...)
		dst = jsontext.AppendString(dst, op)
		dst = append(dst, `,"path":`...)
		dst = jsontext.AppendString(dst, d.Path)
		if d.Op != jsonb.DiffRemove {
			dst = append(dst, `,"value":`...)
			var err error
			if dst, err = appendBinaryJSON(dst, d.Value); err != nil {
				return dst, err
			}
		}
		dst = append(dst, '}')
	}
	return append(dst, ']'), nil
}

// rebuildPartialJSON replaces each partial JSON after-image value by the
// full document, when the before image holds the full document to apply
// the diffs to. Without it (a minimal before image) the value stays a
// KindJSONDiff.
func (it *RowIterator) rebuildPartialJSON() error {
	for i, diff := range it.diffs {
		if diff == nil {
			continue
		}
		before := &it.before[i]
		if before.kind != KindJSON {
			continue
		}
		diffs, err := jsonb.ParseDiffs(diff)
		if err != nil {
			return fmt.Errorf("column %d JSON diff: %w", i+1, err)
		}
		start := len(it.scratch)
		it.scratch, err = appendBinaryJSON(it.scratch, before.raw)
		if err != nil {
			return fmt.Errorf("column %d before image: %w", i+1, err)
		}
		doc, err := jsonb.ApplyDiffs(it.scratch[start:], diffs)
		if err != nil {
			return fmt.Errorf("column %d: applying its JSON diff to the before image: %w", i+1, err)
		}
		it.scratch = it.scratch[:start]
		it.after[i] = Value{col: before.col, kind: KindJSONText, raw: doc}
	}
	return nil
}

// JSONDiffs parses the JSON diff vector of column i in the current after
// image (nil when the column was not logged as a partial update).
func (it *RowIterator) JSONDiffs(i int) ([]jsonb.Diff, error) {
	raw := it.JSONDiff(i)
	if raw == nil {
		return nil, nil
	}
	return jsonb.ParseDiffs(raw)
}
