package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/seed5aa6e046/syncer/core"
)

// SinkCheckpoint reads a pipeline's checkpoint from a Postgres sink's
// state table (_syncer.checkpoints). ok is false while there is none: no
// row yet, the row a first Open creates (empty file), or no table yet.
// Tests, the demo and the benchmark use it to wait until a pipeline has
// caught up (compare with core.Position.Less; p.Snapshot is the progress
// of a copy, see CopyDone).
func SinkCheckpoint(ctx context.Context, conn *pgx.Conn, pipeline string) (p core.Position, ok bool, err error) {
	var pos int64
	err = conn.QueryRow(ctx, "SELECT file, pos, gtid, snapshot FROM _syncer.checkpoints WHERE pipeline = $1", pipeline).Scan(&p.File, &pos, &p.GTID, &p.Snapshot)
	var pe *pgconn.PgError
	if errors.Is(err, pgx.ErrNoRows) || (errors.As(err, &pe) && (pe.Code == "42P01" || pe.Code == "3F000")) {
		return core.Position{}, false, nil
	}
	if err != nil {
		return core.Position{}, false, fmt.Errorf("read the checkpoint of pipeline %q: %w", pipeline, err)
	}
	p.Pos = uint64(pos)
	return p, p.File != "", nil
}

// CopyDone reports whether a checkpoint's snapshot progress has no table
// left to copy (or there is no snapshot). It reads the progress's one
// field that says so itself: the harness cannot import the snapshot
// package, whose tests use the harness.
func CopyDone(p core.Position) (bool, error) {
	if p.Snapshot == "" {
		return true, nil
	}
	var prog struct {
		Tables []json.RawMessage `json:"tables"`
	}
	if err := json.Unmarshal([]byte(p.Snapshot), &prog); err != nil {
		return false, fmt.Errorf("the checkpoint's snapshot progress %.80q: %w", p.Snapshot, err)
	}
	return len(prog.Tables) == 0, nil
}
