package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seed5aa6e046/syncer/core"
)

// Sink is the Postgres sink. It implements core.Sink: each Apply and
// ApplySchemaChange is one Postgres transaction that also stores the
// pipeline's checkpoint, so every source change is applied exactly once.
// A Sink holds one connection and is used from one goroutine.
type Sink struct {
	cfg      *Config
	log      *slog.Logger
	conn     *pgx.Conn
	pipeline string

	// tables caches the state of each table version by its definition;
	// versions finds it again for another *core.Table of the same
	// version (checked by fingerprint).
	tables   map[*core.Table]*tableState
	versions map[tableVersion]*tableState
	// stageSeq numbers the staging tables of the session: a name is never
	// reused, so a staging table forgotten after a rollback cannot clash.
	stageSeq int
	// free holds chunks for reuse; the copier goroutine of an Apply
	// hands chunks back, so it is guarded by freeMu.
	freeMu sync.Mutex
	free   []*chunk
	// noDirect holds the targets (quoted names) whose inserts always go
	// through staging: a direct COPY into them met a key already there.
	// It outlives sessions (Close, Open) on purpose.
	noDirect map[string]bool
	// directRows and stagedRows count the rows of committed batches
	// copied straight into target tables and into staging tables.
	directRows, stagedRows int64
	// committed is the checkpoint last read or committed: fence checks
	// that nobody else moved it.
	committed core.Position
}

var _ core.Sink = (*Sink)(nil)

// tableVersion identifies a source table version.
type tableVersion struct {
	schema, name string
	version      uint64
}

// tableState is what the sink knows of one source table version. The
// fields after plan belong to the current session (connection).
type tableState struct {
	plan        *tablePlan
	fingerprint string
	// ensured: ensureTable ran and committed in this sink's session.
	ensured bool
	// direct: ensured found a unique index on exactly the key columns,
	// so a run of inserts may be copied straight into the target (a
	// duplicate fails the COPY rather than the upsert).
	direct bool
	// stage is the session's staging table (unquoted, in pg_temp), ""
	// until created.
	stage string
	sql   *stageSQL
}

// New returns a sink for cfg, which it validates. It does not connect:
// Open does.
func New(cfg *Config) (*Sink, error) {
	if cfg == nil {
		return nil, errors.New("postgres sink: no configuration")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if _, err := pgx.ParseConfig(cfg.DSN); err != nil {
		return nil, fmt.Errorf("postgres sink: dsn: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Sink{cfg: cfg, log: log, noDirect: map[string]bool{}}, nil
}

// Open connects, creates the state schema and checkpoints table if absent
// and returns the pipeline's stored checkpoint (the zero Position when
// there is none). Open after a failure (a Retryable error) starts a new
// session: the caches of the old one are dropped.
func (s *Sink) Open(ctx context.Context, pipeline string) (core.Position, error) {
	if pipeline == "" {
		return core.Position{}, errors.New("postgres sink: open: empty pipeline name")
	}
	if s.conn != nil {
		_ = s.Close()
	}
	s.pipeline = pipeline
	s.resetSession()
	pc, err := pgx.ParseConfig(s.cfg.DSN)
	if err != nil {
		return core.Position{}, fmt.Errorf("postgres sink: dsn: %w", err)
	}
	// The sink's own session: UTC, so that values without a zone are
	// read the same whatever the server's default, and a name that
	// shows in pg_stat_activity.
	pc.RuntimeParams["timezone"] = "UTC"
	if _, ok := pc.RuntimeParams["application_name"]; !ok {
		pc.RuntimeParams["application_name"] = "syncer " + truncate(pipeline, 40)
	}
	conn, err := pgx.ConnectConfig(ctx, pc)
	if err != nil {
		err = classify(ctx, err, true)
		what := "check the sink's dsn (host, port, database, user, password) and that Postgres accepts connections from here"
		if core.IsRetryable(err) {
			what += "; the pipeline retries meanwhile (retry.max_duration bounds it)"
		}
		return core.Position{}, fmt.Errorf("postgres sink: connect to %s:%d database %q: %w; %s",
			pc.Host, pc.Port, pc.Database, err, what)
	}
	s.conn = conn
	if err := s.prepareState(ctx); err != nil {
		return core.Position{}, s.fail(ctx, "open", err)
	}
	cp, err := s.loadCheckpoint(ctx)
	if err != nil {
		return core.Position{}, s.fail(ctx, "open", err)
	}
	s.log.Info("postgres sink open", "checkpoint", cp.String(), "pid", conn.PgConn().PID())
	return cp, nil
}

// fail wraps an error of a sink-level step (not of one record) with what
// to do, marking it Retryable when the connection or server failed.
func (s *Sink) fail(ctx context.Context, what string, err error) error {
	broken := s.conn == nil || s.conn.IsClosed()
	err = classify(ctx, err, broken)
	return wrapErr(err, "postgres sink: "+what+": ", serverDetail(err)+"; "+hint(err, broken))
}

// Close closes the connection. It is safe on a broken connection and
// more than once.
func (s *Sink) Close() error {
	conn := s.conn
	s.conn = nil
	s.resetSession()
	if conn == nil || conn.IsClosed() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Close sends Terminate and closes the socket; an error writing to a
	// dead server is not worth reporting.
	_ = conn.Close(ctx)
	return nil
}

// resetSession forgets what belongs to the connection: staging tables
// and the tables ensured in it.
func (s *Sink) resetSession() {
	s.tables = map[*core.Table]*tableState{}
	s.versions = map[tableVersion]*tableState{}
}

// state returns the cached state of t's version, planning it on first
// use.
func (s *Sink) state(t *core.Table) (*tableState, error) {
	if ts := s.tables[t]; ts != nil {
		return ts, nil
	}
	key := tableVersion{t.Schema, t.Name, t.Version}
	fp := t.Fingerprint()
	if ts := s.versions[key]; ts != nil && ts.fingerprint == fp {
		s.tables[t] = ts
		return ts, nil
	}
	p, err := planTable(s.cfg, t)
	if err != nil {
		return nil, err
	}
	ts := &tableState{plan: p, fingerprint: fp}
	s.tables[t] = ts
	s.versions[key] = ts
	return ts, nil
}

// forget drops the cached states of the source table schema.name (every
// version), or of every table of the database when name is "".
func (s *Sink) forget(schema, name string) []*tableState {
	seen := map[*tableState]bool{}
	var dropped []*tableState
	match := func(t *core.Table) bool {
		return strings.EqualFold(t.Schema, schema) && (name == "" || strings.EqualFold(t.Name, name))
	}
	drop := func(ts *tableState) {
		if !seen[ts] {
			seen[ts] = true
			dropped = append(dropped, ts)
		}
	}
	for t, ts := range s.tables {
		if match(t) {
			delete(s.tables, t)
			drop(ts)
		}
	}
	for k, ts := range s.versions {
		if match(ts.plan.Source) {
			delete(s.versions, k)
			drop(ts)
		}
	}
	return dropped
}

// ApplySchemaChange applies one schema change or truncate record with its
// checkpoint in one transaction, then drops what the sink cached of the
// tables it changed (plans, staging tables).
func (s *Sink) ApplySchemaChange(ctx context.Context, r *core.Record, cp core.Position) (err error) {
	if s.conn == nil {
		return errors.New("postgres sink: apply schema change: the sink is not open")
	}
	if r == nil || r.Change == nil || (r.Op != core.OpSchemaChange && r.Op != core.OpTruncate) {
		return fmt.Errorf("postgres sink: apply schema change: not a schema change or truncate record")
	}
	c := r.Change
	what := fmt.Sprintf("apply %s at %s (%s)", c.Kind, c.Position, truncate(firstLine(c.Statement), 200))
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return s.fail(ctx, what, err)
	}
	defer func() {
		if err != nil {
			s.rollback(ctx, tx)
		}
	}()
	if err := s.fence(ctx, tx); err != nil {
		return s.fail(ctx, what, err)
	}
	if err := applySchemaChange(ctx, tx, s.cfg, r); err != nil {
		return s.fail(ctx, what, err)
	}
	// The tables the change touched, under their old and new names.
	type name struct{ schema, table string }
	var names []name
	for _, t := range []*core.Table{c.Old, c.New} {
		if t != nil {
			names = append(names, name{t.Schema, t.Name})
		}
	}
	if len(names) == 0 && c.Database != "" {
		names = append(names, name{c.Database, ""})
	}
	var dropped []*tableState
	for _, n := range names {
		dropped = append(dropped, s.forget(n.schema, n.table)...)
	}
	for _, ts := range dropped {
		if ts.stage != "" {
			if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS pg_temp."+quoteIdent(ts.stage)); err != nil {
				return s.fail(ctx, what+": drop staging table "+ts.stage, err)
			}
		}
	}
	if err := s.saveCheckpoint(ctx, tx, cp); err != nil {
		return s.fail(ctx, what, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return s.fail(ctx, what+": commit", err)
	}
	s.committed = cp
	return nil
}

// rollback rolls tx back after a failure; when that fails too the
// connection is closed, so that the next call reports it (retryably)
// rather than reuse a connection in an unknown state.
func (s *Sink) rollback(ctx context.Context, tx pgx.Tx) {
	if s.conn == nil || s.conn.IsClosed() {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := tx.Rollback(rctx); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		s.log.Warn("postgres sink: rollback failed; closing the connection", "err", err)
		_ = s.conn.Close(rctx)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
