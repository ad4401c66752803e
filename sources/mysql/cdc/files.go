package cdc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
	"github.com/seed5aa6e046/syncer/sources/mysql/client"
	"github.com/seed5aa6e046/syncer/sources/mysql/schema"
)

// FilesConfig configures a FileTracker.
type FilesConfig struct {
	// Conn is the server the files come from: the schema is read from it
	// when the history cannot tell it.
	Conn *client.Config
	// StateDir holds the schema history, shared with later reads of the
	// same server's files (and with a Source on the same server).
	StateDir string
	// Files are the binlog files to be read, in order, and StartPos the
	// offset in the first where reading starts (0: its first event).
	Files    []string
	StartPos int64
	// ReaderOptions are used to scan the files for DDL.
	ReaderOptions []binlogfile.Option
	OnDDLError    schema.DDLErrorPolicy
	Include       func(schema, table string) bool
	Logger        *slog.Logger
}

// FileTracker tracks the schema through binlog files read with package
// binlogfile, as a Source does through a stream. A file's events are
// placed by the file's base name, which must be the name the server gave
// it.
type FileTracker struct {
	cfg     FilesConfig
	hist    *schema.History
	tracker *schema.Tracker
	// end is the point after the last event tracked.
	end schema.Point
}

// TrackFiles prepares the schema in force at the start of cfg.Files: from
// the history in the state directory when it covers that point; otherwise
// the schema is read from the server now and the binlog from the start of
// the files up to the server's current position (the files, then the
// server's binlog past them) is read for DDL to derive the schema at the
// start, refusing when a table's definition there cannot be known (see
// schema.Rewind). New DDL is recorded in the history.
func TrackFiles(ctx context.Context, cfg FilesConfig) (*FileTracker, error) {
	if len(cfg.Files) == 0 {
		return nil, errors.New("cdc: no files")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	hist, err := schema.OpenHistory(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	f := &FileTracker{cfg: cfg, hist: hist}
	if err := f.prepare(ctx); err != nil {
		hist.Close()
		return nil, err
	}
	return f, nil
}

func (f *FileTracker) startPoint() schema.Point {
	pos := uint64(f.cfg.StartPos)
	if pos == 0 {
		pos = 4
	}
	return schema.Point{File: filepath.Base(f.cfg.Files[0]), Pos: pos}
}

func (f *FileTracker) prepare(ctx context.Context) error {
	connector, err := f.cfg.Conn.DriverConnector()
	if err != nil {
		return fmt.Errorf("cdc: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	db.SetMaxOpenConns(2)

	start := f.startPoint()
	opts := schema.TrackerOptions{History: f.hist, OnDDLError: f.cfg.OnDDLError, Logger: f.cfg.Logger}
	tables, err := f.hist.AsOf(start)
	switch {
	case err == nil:
		cat, err := readSettings(ctx, db)
		if err != nil {
			return err
		}
		for _, t := range tables {
			cat.PutTable(t)
		}
		covered, _, err := f.hist.CoveredUntil()
		if err != nil {
			return err
		}
		if start.Compare(covered) > 0 {
			// The history stops short of the files: read the DDL in
			// between from the server, which must be the files'.
			if !sameBase(start.File, covered.File) {
				return fmt.Errorf("cdc: the schema history in %s ends at %s, before the files (%s), and they do not look like the same server's binlog: "+
					"read the files in between first, or use an empty state directory", f.cfg.StateDir, covered, start)
			}
			tr := schema.NewTracker(cat, opts)
			if _, err := catchUp(ctx, serverScanner(f.cfg.Conn, f.cfg.Logger), tr, covered, start); err != nil {
				return err
			}
			cat = tr.Catalog()
		}
		if opts.RecordedUntil, _, err = f.hist.Latest(); err != nil {
			return err
		}
		f.cfg.Logger.Info("schema history loaded", "position", start.String(), "tables", len(cat.Tables()))
		f.tracker = schema.NewTracker(cat, opts)
		return nil
	case !errors.Is(err, schema.ErrNoHistory):
		return err
	}
	if _, held, err := f.hist.Latest(); err != nil {
		return err
	} else if held {
		return fmt.Errorf("cdc: the schema history in %s begins after %s, the start of the files, so it cannot tell the schema there. "+
			"Read files from the point the history begins, or use an empty state directory to reconstruct the schema from the server",
			f.cfg.StateDir, start)
	}
	log := f.cfg.Logger
	now, st, err := captureAt(ctx, db, serverScanner(f.cfg.Conn, log), CaptureOptions{OnDDLError: f.cfg.OnDDLError, Include: f.cfg.Include, Logger: log})
	if err != nil {
		return err
	}
	end := schema.Point{File: st.File, Pos: st.Pos}
	window, filesEnd, err := f.scanFiles()
	if err != nil {
		return err
	}
	if !sameBase(filesEnd.File, end.File) {
		return fmt.Errorf("cdc: the files (%s...) are not the binlog of the server at %s, which writes %s: the schema read from that server cannot be "+
			"related to them. Use --schema-from with the server that wrote the files", filesEnd.File, f.cfg.Conn.Addr, end.File)
	}
	switch filesEnd.Compare(end) {
	case 1:
		return fmt.Errorf("cdc: the files end at %s, past the server's current position %s: they are not this server's binlog (or it was reset)",
			filesEnd, end)
	case -1:
		more, err := serverScanner(f.cfg.Conn, log)(ctx, filesEnd, end)
		if err != nil {
			return fmt.Errorf("cdc: read the server's binlog from the end of the files (%s) to its current position (%s) for DDL: %w. "+
				"The schema at the start of the files cannot be derived without it", filesEnd, end, err)
		}
		window = append(window, more...)
	}
	cat, unknown, err := schema.Rewind(now, window, f.cfg.OnDDLError)
	if err != nil {
		return err
	}
	if len(unknown) > 0 {
		return &schema.UnknowableError{Start: start, Tables: unknown}
	}
	if err := f.hist.Baseline(start, cat.Tables()); err != nil {
		return err
	}
	log.Info("schema reconstructed", "position", start.String(), "from", end.String(), "tables", len(cat.Tables()))
	f.tracker = schema.NewTracker(cat, opts)
	return nil
}

// scanFiles returns the QUERY events of the files from the start and the
// point where the files end.
func (f *FileTracker) scanFiles() ([]schema.QueryAt, schema.Point, error) {
	ropts := append([]binlogfile.Option(nil), f.cfg.ReaderOptions...)
	if f.cfg.StartPos > 0 {
		ropts = append(ropts, binlogfile.WithStartPosition(f.cfg.StartPos))
	}
	r := binlogfile.OpenFiles(f.cfg.Files, ropts...)
	defer r.Close()
	var out []schema.QueryAt
	end := f.startPoint()
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return out, end, nil
		}
		if err != nil {
			return nil, schema.Point{}, fmt.Errorf("cdc: scan the files for DDL: %w", err)
		}
		at := schema.Point{File: filepath.Base(ev.File), Pos: uint64(ev.End())}
		if q, ok := ev.Body.(*binlog.QueryEvent); ok {
			out = append(out, queryAt(q, at))
		}
		if !ev.InPayload {
			end = at
		}
	}
}

// sameBase reports whether two binlog file names share their base name
// (mysql-bin.000003 and mysql-bin.000007).
func sameBase(a, b string) bool {
	ba, _, _ := strings.Cut(a, ".")
	bb, _, _ := strings.Cut(b, ".")
	return ba == bb
}

// Track applies what the event means for the schema: a QUERY event's DDL
// returns its schema changes; a TABLE_MAP or rows event of an included
// table returns the table version its rows belong to (a rows event is
// pointed at the completed TABLE_MAP, as with Source).
func (f *FileTracker) Track(ev *binlogfile.Event) (*core.Table, []core.SchemaChange, error) {
	at := schema.Point{File: filepath.Base(ev.File), Pos: uint64(ev.End())}
	t, chs, err := track(f.tracker, f.cfg.Include, ev.Body, at)
	if err != nil {
		return nil, nil, fmt.Errorf("binlog %s:%d: %s: %w", ev.File, ev.Pos, ev.Header.Type, err)
	}
	f.end = at
	return t, chs, nil
}

// Done records that the history now holds every DDL up to the last event
// tracked, so that a later read of the files that follow can use it. Call
// it when the files have been read to their end (or stop position)
// without error.
func (f *FileTracker) Done() error {
	if f.end.File == "" {
		return nil
	}
	return f.hist.SetCoveredUntil(f.end)
}

// track feeds one event body, ending at point at, to the tracker.
func track(tr *schema.Tracker, include func(schema, table string) bool, body binlog.EventBody, at schema.Point) (*core.Table, []core.SchemaChange, error) {
	switch b := body.(type) {
	case *binlog.QueryEvent:
		chs, err := tr.Query(b, at)
		return nil, chs, err
	case *binlog.TableMapEvent:
		if include == nil || include(b.Schema, b.Table) {
			t, err := tr.TableMap(b)
			return t, nil, err
		}
	case *binlog.RowsEvent:
		if b.Table != nil && (include == nil || include(b.Table.Schema, b.Table.Table)) {
			t, err := tr.Rows(b)
			return t, nil, err
		}
	}
	return nil, nil, nil
}

// Close closes the history.
func (f *FileTracker) Close() error { return f.hist.Close() }
