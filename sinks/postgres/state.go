package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/seed5aa6e046/syncer/core"
)

// The sink's state is one table in Config.StateSchema:
//
//	CREATE TABLE "_syncer".checkpoints (
//		pipeline   text PRIMARY KEY,
//		file       text NOT NULL,
//		pos        bigint NOT NULL,
//		gtid       text NOT NULL,
//		updated_at timestamptz NOT NULL,
//		snapshot   text NOT NULL DEFAULT '' -- core.Position.Snapshot
//	)
//
// Each Apply and ApplySchemaChange upserts the pipeline's row in the same
// transaction as the changes, so the target and the checkpoint never
// disagree: a restart resumes exactly after the last committed batch.

// checkpointsTable is the quoted name of the checkpoints table.
func (s *Sink) checkpointsTable() string {
	return quoteIdent(s.cfg.StateSchema) + ".checkpoints"
}

// prepareState creates the state schema and the checkpoints table if absent.
func (s *Sink) prepareState(ctx context.Context) error {
	// CREATE ... IF NOT EXISTS checks the privilege to create before it
	// looks: a user without CREATE on the database could not open a sink
	// whose state an administrator prepared.
	var exists bool
	if err := s.conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", s.checkpointsTable()).Scan(&exists); err != nil {
		return fmt.Errorf("look up the checkpoints table %s: %w", s.checkpointsTable(), err)
	}
	if exists {
		return s.migrateState(ctx)
	}
	for _, q := range []string{
		"CREATE SCHEMA IF NOT EXISTS " + quoteIdent(s.cfg.StateSchema),
		"CREATE TABLE IF NOT EXISTS " + s.checkpointsTable() + ` (
	pipeline   text PRIMARY KEY,
	file       text NOT NULL,
	pos        bigint NOT NULL,
	gtid       text NOT NULL,
	updated_at timestamptz NOT NULL,
	snapshot   text NOT NULL DEFAULT ''
)`,
	} {
		if _, err := s.conn.Exec(ctx, q); err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && (pgErr.Code == "23505" || pgErr.Code == "42P06" || pgErr.Code == "42P07" || pgErr.Code == "42710") {
				// Another sink created it at the same moment (IF NOT
				// EXISTS does not cover a concurrent creation).
				continue
			}
			return fmt.Errorf("create the sink's state (schema %q, table checkpoints; the user needs CREATE on the database and the schema): %s: %w",
				s.cfg.StateSchema, firstLine(q), err)
		}
	}
	return nil
}

// migrateState adds what later releases keep in the checkpoints table
// (the snapshot column) to a table an earlier release created. Only when
// it is missing: a user without ownership of the table can then still
// open a sink whose state an administrator migrated.
func (s *Sink) migrateState(ctx context.Context) error {
	var has bool
	err := s.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'snapshot' AND NOT attisdropped)`,
		s.checkpointsTable()).Scan(&has)
	if err != nil {
		return fmt.Errorf("look up the columns of the checkpoints table %s: %w", s.checkpointsTable(), err)
	}
	if has {
		return nil
	}
	q := "ALTER TABLE " + s.checkpointsTable() + " ADD COLUMN IF NOT EXISTS snapshot text NOT NULL DEFAULT ''"
	if _, err := s.conn.Exec(ctx, q); err != nil {
		return fmt.Errorf("add the snapshot column to the sink's checkpoints table (the user needs to own %s, or run %q as its owner): %w",
			s.checkpointsTable(), q, err)
	}
	return nil
}

// loadCheckpoint returns the pipeline's stored checkpoint, or the zero
// Position when there is none, and remembers it for fence.
//
// It makes sure the pipeline's row exists and reads it FOR UPDATE: a
// previous process killed while its last COMMIT was in flight still holds
// the row's lock (the checkpoint is written last, just before COMMIT), so
// the read waits for that commit instead of returning the checkpoint
// before it, which would apply the batch a second time.
func (s *Sink) loadCheckpoint(ctx context.Context) (core.Position, error) {
	var (
		p   core.Position
		pos int64
	)
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return core.Position{}, fmt.Errorf("read the checkpoint of pipeline %q: %w", s.pipeline, err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "INSERT INTO "+s.checkpointsTable()+` (pipeline, file, pos, gtid, updated_at)
VALUES ($1, '', 0, '', now()) ON CONFLICT (pipeline) DO NOTHING`, s.pipeline); err != nil {
		return core.Position{}, fmt.Errorf("create the checkpoint row of pipeline %q in %s: %w", s.pipeline, s.checkpointsTable(), err)
	}
	err = tx.QueryRow(ctx, "SELECT file, pos, gtid, snapshot FROM "+s.checkpointsTable()+" WHERE pipeline = $1 FOR UPDATE",
		s.pipeline).Scan(&p.File, &pos, &p.GTID, &p.Snapshot)
	if err != nil {
		return core.Position{}, fmt.Errorf("read the checkpoint of pipeline %q from %s: %w", s.pipeline, s.checkpointsTable(), err)
	}
	if pos < 0 {
		return core.Position{}, fmt.Errorf("the checkpoint of pipeline %q in %s has a negative position %d: fix or delete the row", s.pipeline, s.checkpointsTable(), pos)
	}
	if err := tx.Commit(ctx); err != nil {
		return core.Position{}, fmt.Errorf("read the checkpoint of pipeline %q: %w", s.pipeline, err)
	}
	p.Pos = uint64(pos)
	s.committed = p
	return p, nil
}

// fence locks the pipeline's checkpoint row in tx, for the transaction's
// duration, and checks that it is still the checkpoint this sink last
// read or wrote. Two processes applying one pipeline would otherwise both
// apply the same changes; the second one's batch fails here instead.
func (s *Sink) fence(ctx context.Context, tx pgx.Tx) error {
	var (
		p   core.Position
		pos int64
	)
	err := tx.QueryRow(ctx, "SELECT file, pos, snapshot FROM "+s.checkpointsTable()+" WHERE pipeline = $1 FOR UPDATE",
		s.pipeline).Scan(&p.File, &pos, &p.Snapshot)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("lock the checkpoint of pipeline %q in %s: %w", s.pipeline, s.checkpointsTable(), err)
	}
	p.Pos = uint64(pos)
	// The snapshot progress too: while a snapshot copies an idle
	// source's tables, commits move it and not the binlog position.
	if p.File != s.committed.File || p.Pos != s.committed.Pos || p.Snapshot != s.committed.Snapshot {
		return &fenceError{fmt.Errorf("the checkpoint of pipeline %q in %s moved from %q to %q while this process held it: "+
			"another process applies the same pipeline to this database. Run one process per pipeline: stop the other one, then restart this one",
			s.pipeline, s.checkpointsTable(), s.committed.String(), p.String())}
	}
	return nil
}

// fenceError is not retryable: retrying would race the other process.
type fenceError struct{ error }

func (e *fenceError) Unwrap() error { return e.error }

// saveCheckpoint upserts the pipeline's checkpoint in tx.
func (s *Sink) saveCheckpoint(ctx context.Context, tx pgx.Tx, cp core.Position) error {
	if cp.Pos > 1<<63-1 {
		return fmt.Errorf("checkpoint %s: position does not fit a bigint", cp)
	}
	_, err := tx.Exec(ctx, "INSERT INTO "+s.checkpointsTable()+` AS c (pipeline, file, pos, gtid, updated_at, snapshot)
VALUES ($1, $2, $3, $4, now(), $5)
ON CONFLICT (pipeline) DO UPDATE SET file = EXCLUDED.file, pos = EXCLUDED.pos, gtid = EXCLUDED.gtid, updated_at = EXCLUDED.updated_at,
	snapshot = EXCLUDED.snapshot`,
		s.pipeline, cp.File, int64(cp.Pos), cp.GTID, cp.Snapshot)
	if err != nil {
		return fmt.Errorf("store checkpoint %s of pipeline %q in %s: %w", cp, s.pipeline, s.checkpointsTable(), err)
	}
	return nil
}

// firstLine returns s up to its first newline.
func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i] + " ..."
		}
	}
	return s
}
