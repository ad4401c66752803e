// Package run is "syncer run FILE" and "syncer validate FILE": pipelines
// declared in YAML (package pipelines), each one a MySQL/MariaDB source
// (sources/mysql/cdc) feeding a sink through the pipeline runtime
// (core/pipeline).
package run

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/core/pipeline"
	"github.com/seed5aa6e046/syncer/pipelines"
	"github.com/seed5aa6e046/syncer/sinks/postgres"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/cdc"
	"github.com/seed5aa6e046/syncer/sources/mysql/client"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
	"github.com/seed5aa6e046/syncer/sources/mysql/schema"
	"github.com/seed5aa6e046/syncer/sources/mysql/snapshot"
)

// runAll runs every pipeline of f until ctx ends (nil) or one of them
// fails; a failure stops the others gracefully and is returned.
func runAll(ctx context.Context, f *pipelines.File, only []string, log *slog.Logger) error {
	ps, err := selectPipelines(f, only)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []error
	)
	for _, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := runPipeline(ctx, p, log); err != nil {
				mu.Lock()
				failures = append(failures, fmt.Errorf("pipeline %s: %w", p.Name, err))
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	return errors.Join(failures...)
}

func selectPipelines(f *pipelines.File, only []string) ([]*pipelines.Pipeline, error) {
	if len(only) == 0 {
		return f.Pipelines, nil
	}
	var out []*pipelines.Pipeline
	for _, name := range only {
		found := false
		for _, p := range f.Pipelines {
			if p.Name == name {
				out, found = append(out, p), true
			}
		}
		if !found {
			var names []string
			for _, p := range f.Pipelines {
				names = append(names, p.Name)
			}
			return nil, fmt.Errorf("%s declares no pipeline %q (it has: %s)", f.Path, name, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// runPipeline runs one pipeline. The runtime adds the pipeline's name to
// log's lines; plog has it for the source and the sink.
func runPipeline(ctx context.Context, p *pipelines.Pipeline, log *slog.Logger) error {
	plog := log.With("pipeline", p.Name)
	sink, err := NewSink(p, plog)
	if err != nil {
		return err
	}
	cfg := pipeline.Config{
		Name:       p.Name,
		MaxRecords: p.Batch.MaxRecords,
		MaxBytes:   p.Batch.MaxBytes,
		MaxLatency: p.Batch.MaxLatency,
		Retry: pipeline.Retry{
			MaxDuration: p.Retry.MaxDuration,
			Initial:     p.Retry.InitialBackoff,
			Max:         p.Retry.MaxBackoff,
		},
		Logger: log,
	}
	board := newStatusBoard(p)
	cfg.Observe = board.committed
	first := true
	stopStatus := board.run(ctx, plog)
	err = pipeline.Run(ctx, cfg, func(ctx context.Context, start core.Position) (pipeline.Source, error) {
		fresh := first
		first = false
		src, err := openSource(ctx, p, start, fresh, plog)
		board.opened(src, err)
		return src, err
	}, sink)
	stopStatus(err)
	return err
}

// NewSink makes the sink pipeline p declares.
func NewSink(p *pipelines.Pipeline, log *slog.Logger) (core.Sink, error) {
	switch p.Sink.Type {
	case "postgres":
		s := p.Sink.Postgres
		c := postgres.NewConfig(s.DSN)
		if s.TargetSchema != "" {
			c.TargetSchema = s.TargetSchema
		}
		if s.StateSchema != "" {
			c.StateSchema = s.StateSchema
		}
		c.TinyInt1AsBoolean = s.TinyInt1AsBoolean
		if s.KeylessTables != "" {
			c.Keyless = postgres.KeylessPolicy(s.KeylessTables)
		}
		pol := p.Policies
		setIf(&c.Schema.DropColumn, postgres.DropColumnPolicy(pol.DropColumn))
		setIf(&c.Schema.DropTable, postgres.DropTablePolicy(pol.DropTable))
		setIf(&c.Schema.Truncate, postgres.TruncatePolicy(pol.Truncate))
		setIf(&c.Values.ZeroDate, postgres.DatePolicy(pol.ZeroDate))
		setIf(&c.Values.InvalidDate, postgres.DatePolicy(pol.InvalidDate))
		setIf(&c.Values.NulInText, postgres.NulPolicy(pol.NulInText))
		for _, cp := range pol.Columns {
			c.Columns = append(c.Columns, postgres.ColumnPolicies{Match: cp.Match, ValuePolicies: postgres.ValuePolicies{
				ZeroDate: postgres.DatePolicy(cp.ZeroDate), InvalidDate: postgres.DatePolicy(cp.InvalidDate),
				NulInText: postgres.NulPolicy(cp.NulInText)}})
		}
		c.Logger = log
		return postgres.New(c)
	}
	return nil, fmt.Errorf("sink type %q is not available", p.Sink.Type)
}

func setIf[T ~string](dst *T, v T) {
	if v != "" {
		*dst = v
	}
}

// openSource opens the pipeline's source: the binlog from start (the
// sink's checkpoint), with the tables' snapshot put into it as the
// pipeline's snapshot mode and the checkpoint's progress say. fresh is
// true at the first open of this process (not a retry).
func openSource(ctx context.Context, p *pipelines.Pipeline, start core.Position, fresh bool, log *slog.Logger) (pipeline.Source, error) {
	sc := snapshot.Config{
		Checkpoint: start,
		Include:    p.Source.Include,
		Exclude:    p.Source.Exclude,
		Included:   p.Includes,
		Filter:     pipelines.TableFilter,
		TrackScope: p.Snapshot.Mode != pipelines.SnapshotNever,
		ChunkRows:  p.Snapshot.ChunkRows,
		ChunkBytes: p.Snapshot.ChunkBytes,
		Parallel:   p.Snapshot.Parallel,
		RequestDir: RequestDir(p),
		Logger:     log,
	}
	inProgress, err := snapshot.InProgress(start.Snapshot)
	if err != nil {
		return nil, err
	}
	switch p.Snapshot.Mode {
	case pipelines.SnapshotInitial:
		sc.CopyAll = start.IsZero()
	case pipelines.SnapshotSchemaOnly:
		sc.CopyAll, sc.SchemaOnly = start.IsZero(), true
	case pipelines.SnapshotAlways:
		if fresh && !inProgress {
			// A new copy of everything, streamed from now: the binlog
			// since the checkpoint is not needed (it may be purged), nor
			// the schema history of it.
			if !start.IsZero() {
				log.Info("snapshot mode always: copying every table again and streaming from the current position, not from the checkpoint",
					"checkpoint", start.String())
				if err := setAsideHistory(p.StateDir); err != nil {
					return nil, err
				}
			}
			sc.CopyAll, sc.Truncate = true, !start.IsZero()
			start = core.Position{}
		}
	}
	rec, db, err := openRecords(ctx, p, start, log)
	if err != nil {
		return nil, err
	}
	sc.DB = db
	m, err := snapshot.Open(ctx, rec, sc)
	if err != nil {
		rec.Close()
		db.Close()
		return nil, err
	}
	return &mergedSource{Merger: m, db: db}, nil
}

// mergedSource is the merger with the query pool it reads with.
type mergedSource struct {
	*snapshot.Merger
	db *sql.DB
}

func (s *mergedSource) Close() error {
	err := s.Merger.Close()
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// RequestDir is where re-snapshot requests of pipeline p wait
// (syncer snapshot).
func RequestDir(p *pipelines.Pipeline) string { return filepath.Join(p.StateDir, "snapshot-requests") }

// setAsideHistory moves the schema history out of the way, so the source
// captures the schema afresh at the current position.
func setAsideHistory(stateDir string) error {
	h := filepath.Join(stateDir, schema.HistoryFile)
	if _, err := os.Stat(h); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := os.Rename(h, h+".before-snapshot"); err != nil {
		return fmt.Errorf("snapshot mode always: set the schema history aside: %w", err)
	}
	return nil
}

// openRecords opens the binlog source at start, the sink's checkpoint, or on
// a first run (zero start) where the pipeline's start setting says, and a
// query pool on the same server.
func openRecords(ctx context.Context, p *pipelines.Pipeline, start core.Position, log *slog.Logger) (*cdc.Records, *sql.DB, error) {
	src, err := openCDC(ctx, p, start, log)
	if err != nil {
		return nil, nil, err
	}
	conn, err := client.ParseDSN(p.Source.DSN)
	if err != nil {
		src.Close()
		return nil, nil, fmt.Errorf("source dsn: %w", err)
	}
	connector, err := conn.DriverConnector()
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(p.Snapshot.Parallel + 2)
	db.SetMaxIdleConns(1)
	return cdc.NewRecords(src, cdc.RecordsConfig{Include: p.Includes, ExcludeColumn: p.ExcludesColumn, ReportPosition: true}), db, nil
}

func openCDC(ctx context.Context, p *pipelines.Pipeline, start core.Position, log *slog.Logger) (*cdc.Source, error) {
	conn, err := client.ParseDSN(p.Source.DSN)
	if err != nil {
		return nil, fmt.Errorf("source dsn: %w", err)
	}
	rc := replication.NewConfig(conn)
	if p.Source.ServerID != 0 {
		rc.ServerID = p.Source.ServerID
	}
	if p.Source.Heartbeat > 0 {
		rc.HeartbeatPeriod = p.Source.Heartbeat
	}
	if p.Source.ReadTimeout > 0 {
		rc.ReadTimeout = p.Source.ReadTimeout
	}
	rc.Logger = log
	if start.IsZero() {
		at, err := firstStart(ctx, conn, p.Source.Start, log)
		if err != nil {
			return nil, err
		}
		rc.Start = at
		log.Info("first run: starting the binlog", "mode", p.Source.Start.Mode.String(), "file", at.File, "pos", at.Pos)
	} else {
		rc.Start = replication.Position{File: start.File, Pos: start.Pos}
	}
	ddl, err := schema.ParseDDLErrorPolicy(orDefault(p.Source.OnDDLError, "fail"))
	if err != nil {
		return nil, err
	}
	mm, err := cdc.ParseMismatchPolicy(orDefault(p.Source.OnSchemaMismatch, "fail"))
	if err != nil {
		return nil, err
	}
	src, err := cdc.Open(ctx, cdc.Config{
		Replication:         rc,
		StateDir:            p.StateDir,
		OnDDLError:          ddl,
		OnMismatch:          mm,
		Include:             p.Includes,
		RequireFullRowImage: true,
		Logger:              log,
	})
	if errors.Is(err, replication.ErrServerIDInUse) {
		// Most often this pipeline's own connection from before a crash
		// or a fast restart, which the source drops at its next
		// heartbeat: retry rather than fail.
		return nil, core.Retryable(err)
	}
	if err != nil {
		return nil, err
	}
	return src, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// firstStart resolves the pipeline's start setting to a file position:
// the schema history is kept by file position, and "current" must not
// fall back on a state directory's checkpoint that the sink never saw.
func firstStart(ctx context.Context, conn *client.Config, st pipelines.Start, log *slog.Logger) (replication.Position, error) {
	switch st.Mode {
	case pipelines.StartFilePos:
		return replication.Position{File: st.File, Pos: st.Pos}, nil
	case pipelines.StartGTID:
		return gtidStart(ctx, conn, st.GTID, log)
	}
	connector, err := conn.DriverConnector()
	if err != nil {
		return replication.Position{}, err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	if st.Mode == pipelines.StartEarliest {
		files, err := replication.BinaryLogs(ctx, db)
		if err != nil {
			return replication.Position{}, err
		}
		if len(files) == 0 {
			return replication.Position{}, errors.New("the source lists no binary log files (SHOW BINARY LOGS)")
		}
		return replication.Position{File: files[0].Name, Pos: 4}, nil
	}
	status, err := replication.CurrentBinlogStatus(ctx, db)
	if err != nil {
		return replication.Position{}, err
	}
	return replication.Position{File: status.File, Pos: status.Pos}, nil
}

// gtidStart finds the file position of the first transaction after the
// GTID state gtidText: a replication stream started there in GTID mode
// says which file and offset its first event comes from.
func gtidStart(ctx context.Context, conn *client.Config, gtidText string, log *slog.Logger) (replication.Position, error) {
	pos, err := replication.ParseStartGTID(gtidText)
	if err != nil {
		return replication.Position{}, fmt.Errorf("source start gtid: %w", err)
	}
	rc := replication.NewConfig(conn)
	rc.Start = pos
	rc.UntilNow = true
	rc.Logger = log
	s, err := replication.Open(ctx, rc)
	if err != nil {
		return replication.Position{}, fmt.Errorf("find the binlog position of GTID %s: %w", gtidText, err)
	}
	defer s.Close()
	for {
		ev, err := s.Next(ctx)
		if errors.Is(err, io.EOF) {
			// Nothing after the GTID yet: start where the stream ends.
			cp := s.Checkpoint()
			return replication.Position{File: cp.File, Pos: cp.Pos}, nil
		}
		if err != nil {
			return replication.Position{}, fmt.Errorf("find the binlog position of GTID %s: %w", gtidText, err)
		}
		switch ev.Header.Type {
		case binlog.GTIDEventType, binlog.AnonymousGTIDEventType, binlog.GTIDTaggedEventType, binlog.MariaGTIDEventType:
			// The first transaction the server sends is the first one
			// not in the GTID state; the events before it (format
			// description, GTID lists) are the file's preamble.
			if !ev.Synthetic && !ev.InPayload {
				return replication.Position{File: ev.File, Pos: ev.Pos}, nil
			}
		}
	}
}
