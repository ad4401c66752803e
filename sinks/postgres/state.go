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
//		updated_at timestamptz NOT NULL
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
		return nil
	}
	for _, q := range []string{
		"CREATE SCHEMA IF NOT EXISTS " + quoteIdent(s.cfg.StateSchema),
		"CREATE TABLE IF NOT EXISTS " + s.checkpointsTable() + ` (
	pipeline   text PRIMARY KEY,
	file       text NOT NULL,
	pos        bigint NOT NULL,
	gtid       text NOT NULL,
	updated_at timestamptz NOT NULL
)`,
	} {
		if _, err := s.conn.Exec(ctx, q); err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && (pgErr.Code == "23505" || pgErr.Code == "42P06" || pgErr.Code == "42P07") {
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

// loadCheckpoint returns the pipeline's stored checkpoint, or the zero
// Position when there is none.
func (s *Sink) loadCheckpoint(ctx context.Context) (core.Position, error) {
	var (
		p   core.Position
		pos int64
	)
	err := s.conn.QueryRow(ctx, "SELECT file, pos, gtid FROM "+s.checkpointsTable()+" WHERE pipeline = $1",
		s.pipeline).Scan(&p.File, &pos, &p.GTID)
	if errors.Is(err, pgx.ErrNoRows) {
		return core.Position{}, nil
	}
	if err != nil {
		return core.Position{}, fmt.Errorf("read the checkpoint of pipeline %q from %s: %w", s.pipeline, s.checkpointsTable(), err)
	}
	if pos < 0 {
		return core.Position{}, fmt.Errorf("the checkpoint of pipeline %q in %s has a negative position %d: fix or delete the row", s.pipeline, s.checkpointsTable(), pos)
	}
	p.Pos = uint64(pos)
	return p, nil
}

// saveCheckpoint upserts the pipeline's checkpoint in tx.
func (s *Sink) saveCheckpoint(ctx context.Context, tx pgx.Tx, cp core.Position) error {
	if cp.Pos > 1<<63-1 {
		return fmt.Errorf("checkpoint %s: position does not fit a bigint", cp)
	}
	_, err := tx.Exec(ctx, "INSERT INTO "+s.checkpointsTable()+` AS c (pipeline, file, pos, gtid, updated_at)
VALUES ($1, $2, $3, $4, now())
ON CONFLICT (pipeline) DO UPDATE SET file = EXCLUDED.file, pos = EXCLUDED.pos, gtid = EXCLUDED.gtid, updated_at = EXCLUDED.updated_at`,
		s.pipeline, cp.File, int64(cp.Pos), cp.GTID)
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
