package core

import (
	"context"
	"errors"
)

// Verifier is implemented by sinks whose target tables can be compared
// with the source's rows (syncer verify). The caller reads the source
// table and hands its rows over in chunks; the sink compares each chunk
// with what its target holds for the same keys, as the sink would have
// written those rows (its type mapping and value policies applied), so a
// report of no differences means the target is what replication should
// have made of the source.
//
// VerifyTable may be called from several goroutines at once (a sink opens
// what it needs for each table); each TableVerifier is used from one.
type Verifier interface {
	// VerifyTable starts comparing source table t (the definition the
	// rows passed to Compare have) with its target table. It fails when
	// the target cannot be compared with t at all (its columns are not
	// t's); a target table that does not exist is not an error here (see
	// TargetCount).
	VerifyTable(ctx context.Context, t *Table, opts VerifyOptions) (TableVerifier, error)
}

// VerifyOptions tune one table's comparison.
type VerifyOptions struct {
	// MaxDiffs bounds the RowDiffs each Compare lists; the counts are
	// complete whatever it is. 0 lists none.
	MaxDiffs int
}

// TableVerifier compares one table. After any error it is unusable:
// Close it.
type TableVerifier interface {
	// TargetCount counts the target table's rows (ok false when the
	// target table does not exist).
	TargetCount(ctx context.Context) (n int64, ok bool, err error)
	// Compare compares a chunk of source rows (full row images in
	// t.Columns order, each []Value) with the target rows of the same
	// keys and remembers the keys for Finish. The rows are not kept
	// after Compare returns. Keyless tables: the rows are kept (by the
	// sink, not in memory) for Finish's comparison of the whole table as
	// a multiset, and the result only counts Rows. An error wrapping
	// ErrTargetMissing means the target table does not exist.
	Compare(ctx context.Context, rows [][]Value) (ChunkResult, error)
	// Finish reports target rows whose key no chunk had (extra rows) —
	// or for a keyless table the multiset differences — listing at most
	// limit. It ends the comparison: only Close may follow.
	Finish(ctx context.Context, limit int) (FinishResult, error)
	// Close releases what the comparison holds; safe more than once.
	Close(ctx context.Context) error
}

// ErrTargetMissing is wrapped by the errors of Compare and Finish when
// the target table does not exist.
var ErrTargetMissing = errors.New("the target table does not exist")

// ChunkResult is what Compare found for one chunk of a keyed table:
// Rows = Equal + Missing + Different. For a keyless table only Rows is
// set; Finish reports its differences.
type ChunkResult struct {
	Rows      int // source rows compared
	Equal     int // rows the target holds with the same values
	Missing   int // rows whose key the target lacks
	Different int // rows whose key the target has, with other values
	// Diffs lists the first VerifyOptions.MaxDiffs missing and different
	// rows, in chunk order.
	Diffs []RowDiff
}

// FinishResult is what Finish found once every chunk was compared.
type FinishResult struct {
	// Extra counts the target rows no source row accounts for: for a
	// keyed table, rows whose key no chunk had (and the surplus rows of a
	// key the target holds more than once, when it allows that); for a
	// keyless table, rows beyond the number of identical source rows.
	Extra int64
	// Missing is for keyless tables only: source rows beyond the number
	// of identical target rows. (Keyed tables report missing rows per
	// chunk.)
	Missing int64
	// Diffs lists at most limit extra (and, keyless, missing) rows.
	Diffs []RowDiff
}

// The kinds of RowDiff.
const (
	DiffMissing   = "missing"   // a source row the target lacks
	DiffDifferent = "different" // a source row whose target row has other values
	DiffExtra     = "extra"     // a target row no source row accounts for
)

// RowDiff is one row that differs.
type RowDiff struct {
	Kind string // DiffMissing, DiffDifferent or DiffExtra
	// Key is the row's key rendered for people, e.g. "id=42" or
	// "(a=1, b='x')": the source's values for missing and different
	// rows, the target's for extra ones; for a keyless table every
	// column, as the target holds or would hold it. Long values are
	// shortened.
	Key string
	// Columns are, for a different row, the columns whose values differ
	// (when known).
	Columns []string
	// Count is how many identical rows the diff stands for: 1, except
	// for keyless tables (three copies of a row where the target has
	// one are a missing diff of Count 2).
	Count int64
}
