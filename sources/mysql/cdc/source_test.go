package cdc

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
	"github.com/seed5aa6e046/syncer/sources/mysql/schema"
	"github.com/seed5aa6e046/syncer/test/harness"
)

// readTo reads the source until its checkpoint reaches the server's
// current position.
func readTo(t *testing.T, ctx context.Context, src *Source, db *sql.DB) schema.Point {
	t.Helper()
	target, err := currentPoint(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		cp := src.Checkpoint()
		if p := (schema.Point{File: cp.File, Pos: cp.Pos}); p.Compare(target) >= 0 {
			return p
		}
		if _, err := src.Next(ctx); err != nil {
			t.Fatalf("reading to %s: %v", target, err)
		}
	}
}

// Commit prunes the history up to the checkpoint of the previous prune:
// restarts from the latest checkpoints keep their schemas, older points
// are gone.
func TestSourcePruneKeepsRecentPast(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{RowMetadata: "MINIMAL"})
	ctx := t.Context()
	for _, q := range []string{"CREATE DATABASE p", "CREATE TABLE p.t (id INT PRIMARY KEY)"} {
		if _, err := m.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn := connOf(t, m)
	db := sql.OpenDB(mustConnector(t, conn))
	defer db.Close()
	dir := filepath.Join(t.TempDir(), "state")
	rc := replication.NewConfig(conn)
	rc.Logger = quietLogger()
	src, err := Open(ctx, Config{Replication: rc, StateDir: dir, PruneEvery: time.Nanosecond, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	start := src.Start()
	var cps []schema.Point
	for _, col := range []string{"a", "b", "c"} {
		if _, err := m.DB().ExecContext(ctx, "ALTER TABLE p.t ADD COLUMN "+col+" INT"); err != nil {
			t.Fatal(err)
		}
		cps = append(cps, readTo(t, ctx, src, db))
		if err := src.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	h, err := schema.OpenHistory(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := h.AsOf(schema.Point{File: start.File, Pos: start.Pos}); !errors.Is(err, schema.ErrNoHistory) {
		t.Errorf("the start is still in the history after pruning: %v", err)
	}
	for i, cp := range cps[1:] {
		tb, err := h.TableAsOf(cp, "p", "t")
		if err != nil || tb == nil || len(tb.Columns) != 3+i {
			t.Errorf("checkpoint %d (%s): %+v, %v", i+2, cp, tb, err)
		}
	}
}
