package cdc

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/client"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
	"github.com/seed5aa6e046/syncer/sources/mysql/schema"
)

// Config configures a Source.
type Config struct {
	// Replication is the connection and stream configuration. Its Start
	// is where to start: the zero Position resumes from the state
	// directory's checkpoint, or starts at the server's current position
	// when there is none. A file position older than the history can
	// answer for is reconstructed from the binlog (see Open). GTID starts
	// are refused: the history is kept by file position.
	Replication *replication.Config
	// StateDir holds the schema history and the checkpoint; one Source
	// at a time per directory.
	StateDir string
	// OnDDLError is the policy for DDL the schema tracker cannot apply.
	OnDDLError schema.DDLErrorPolicy
	// OnMismatch is what happens when a TABLE_MAP contradicts the history.
	OnMismatch MismatchPolicy
	// Include limits which tables' rows are resolved against the history
	// (nil: all). DDL is tracked for every table whatever it says, since
	// an excluded table may become an included one (RENAME).
	Include func(schema, table string) bool
	// PruneEvery is how often Commit prunes the history, and the least
	// past it keeps (default 10 minutes; negative: never prune).
	PruneEvery time.Duration
	// Logger; default slog.Default().
	Logger *slog.Logger
	// RequireFullRowImage makes Open refuse a server that does not log
	// whole rows (binlog_format=ROW and binlog_row_image=FULL), as change
	// record pipelines (Records) need: with MINIMAL or NOBLOB images
	// updates and deletes lack columns.
	RequireFullRowImage bool
}

// MismatchPolicy says what a Source does when a TABLE_MAP contradicts the
// schema history (schema.MismatchError): a DDL ran outside the binlog.
type MismatchPolicy int

const (
	// MismatchFail stops with the error, before the rows concerned.
	MismatchFail MismatchPolicy = iota
	// MismatchReread reads the table's definition from the server and
	// uses it from that event on, provided the binlog between the event
	// and the server's position holds no DDL naming the table (the
	// server's definition is then the one the event was written with)
	// and the definition agrees with the TABLE_MAP; otherwise it stops as
	// MismatchFail does. The TABLE_MAP's event carries the change.
	MismatchReread
)

// ParseMismatchPolicy parses "fail" or "reread".
func ParseMismatchPolicy(s string) (MismatchPolicy, error) {
	switch s {
	case "fail":
		return MismatchFail, nil
	case "reread":
		return MismatchReread, nil
	}
	return 0, fmt.Errorf("unknown schema mismatch policy %q (want fail or reread)", s)
}

// Event is one binlog event with what the schema history says of it.
type Event struct {
	*replication.Event
	// Table is the definition, with its Version, that a TABLE_MAP or rows
	// event's values belong to: the schema in force when the rows were
	// written. nil for other events, for excluded tables and for the
	// server's own databases. A rows event's Table has been pointed at
	// a TABLE_MAP completed from it, so its values decode with the
	// tracked names, signedness, charsets and ENUM/SET labels.
	Table *core.Table
	// SchemaChanges are the changes a DDL statement (a QUERY event) made,
	// or that a re-read of the server's definitions made (MismatchReread):
	// at a TABLE_MAP, or at Open, reported with the first event.
	SchemaChanges []core.SchemaChange
}

// Source streams a server's binlog as a replica and decodes every row with
// the schema in force when it was written, keeping the schema history and
// a checkpoint in a state directory.
type Source struct {
	cfg       Config
	log       *slog.Logger
	db        *sql.DB // queries: the capture, and re-reads (MismatchReread)
	hist      *schema.History
	stream    *replication.Stream
	tracker   *schema.Tracker
	ev        Event
	err       error
	lastPrune time.Time
	// pruneTo is the checkpoint committed at the last prune, where the
	// next prune cuts: the history keeps at least PruneEvery of the past,
	// for restarts from a recent but not the latest checkpoint (a
	// consumer's own).
	pruneTo schema.Point
	start   replication.Position
	resumed bool
	// pending are schema changes made at Open (definitions re-read from
	// the server), reported with the first event.
	pending []core.SchemaChange
	// checkpoint is the end of the last transaction whose every event the
	// tracker took: the stream's own checkpoint moves past an event
	// before the tracker has seen it, and a DDL the tracker refused must
	// be read again on the next start.
	checkpoint replication.Position
}

// storedCheckpoint is the checkpoint's encoding in the history file.
type storedCheckpoint struct {
	File string `json:"file"`
	Pos  uint64 `json:"pos"`
	// GTID is the GTID state there, for people reading it; resuming
	// uses the file position.
	GTID string `json:"gtid,omitempty"`
}

// Open prepares the schema history and starts the stream.
//
//   - An empty state directory and no start position: the schema of every
//     table is read from the server at a known binlog position (see
//     CaptureAt), which becomes the start.
//   - A checkpoint in the state directory and no start position: the
//     stream resumes at the checkpoint with the schemas then in force (a
//     history without a checkpoint, from binlog dump --schema-from,
//     resumes where the history ends).
//   - A start file position the history covers: the schemas of that point.
//   - A start file position and an empty state directory: the schema is
//     read from the server now, and the binlog from the start to now is
//     read for DDL to derive the schema at the start (schema.Rewind). A
//     table that DDL in between changes before creating it cannot be known
//     at the start, and Open refuses with an error that says which and
//     where to start instead.
func Open(ctx context.Context, cfg Config) (*Source, error) {
	if cfg.Replication == nil || cfg.Replication.Conn == nil {
		return nil, errors.New("cdc: no replication configuration")
	}
	if cfg.StateDir == "" {
		return nil, errors.New("cdc: no state directory")
	}
	if cfg.PruneEvery == 0 {
		cfg.PruneEvery = defaultPruneEvery
	}
	s := &Source{cfg: cfg, log: cfg.Logger, lastPrune: time.Now()}
	if s.log == nil {
		s.log = slog.Default()
	}
	start := cfg.Replication.Start
	if start.Mode() == replication.ModeMySQLGTID || start.Mode() == replication.ModeMariaDBGTID {
		return nil, fmt.Errorf("cdc: a GTID start position cannot be used with a state directory (%s): the schema history is kept by binlog file "+
			"position. Start with a file position (--start-file/--start-pos) or with none (the server's current position); later runs resume by themselves",
			cfg.StateDir)
	}
	hist, err := schema.OpenHistory(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	s.hist = hist
	if err := s.open(ctx, start); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Source) open(ctx context.Context, start replication.Position) error {
	connector, err := s.cfg.Replication.Conn.DriverConnector()
	if err != nil {
		return fmt.Errorf("cdc: %w", err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(2)
	db.SetMaxIdleConns(0) // queries are rare after the start: hold no idle connection
	s.db = db
	if s.cfg.RequireFullRowImage {
		if err := checkFullRowImage(ctx, db); err != nil {
			return err
		}
	}

	if start.IsZero() {
		cp, ok, err := loadCheckpoint(s.hist)
		if err != nil {
			return err
		}
		if ok {
			start, s.resumed = cp, true
		} else if covered, held, err := s.hist.CoveredUntil(); err != nil {
			return err
		} else if held {
			// A history without a checkpoint: filled by a read of
			// binlog files, or by a first start stopped before its
			// checkpoint. Go on from where it ends.
			start, s.resumed = replication.Position{File: covered.File, Pos: covered.Pos}, true
		}
	}
	var cat *schema.Catalog
	if start.IsZero() {
		// First start at the current position: capture there.
		var st *replication.BinlogStatus
		cat, st, err = captureAt(ctx, db, s.scanner(), s.captureOptions())
		if err != nil {
			return err
		}
		start = replication.Position{File: st.File, Pos: st.Pos}
		at := schema.Point{File: st.File, Pos: st.Pos}
		if _, err := s.hist.TruncateAfter(schema.Point{}); err != nil {
			return err
		}
		if err := s.hist.Baseline(at, cat.Tables()); err != nil {
			return err
		}
		s.log.Info("schema captured", "position", at.String(), "tables", len(cat.Tables()))
		if err := s.openStream(ctx, start); err != nil {
			return err
		}
	} else {
		// Open the stream first: its pre-flight checks say best what is
		// wrong with a start position (purged, past the end...).
		if err := s.openStream(ctx, start); err != nil {
			return err
		}
		at := schema.Point{File: start.File, Pos: start.Pos}
		if cat, err = s.catalogAt(ctx, db, at); err != nil {
			return err
		}
	}
	s.start, s.checkpoint = start, start
	s.tracker = schema.NewTracker(cat, schema.TrackerOptions{History: s.hist, OnDDLError: s.cfg.OnDDLError, Logger: s.log})
	return s.saveCheckpoint(start)
}

func (s *Source) openStream(ctx context.Context, start replication.Position) error {
	rc := *s.cfg.Replication
	rc.Start = start
	st, err := replication.Open(ctx, &rc)
	if err != nil {
		return err
	}
	s.stream = st
	return nil
}

// catalogAt returns the catalog in force at a start file position, from
// the history or, when the history is empty, from the server and the
// binlog since the start.
func (s *Source) catalogAt(ctx context.Context, db *sql.DB, at schema.Point) (*schema.Catalog, error) {
	tables, err := s.hist.AsOf(at)
	if err == nil {
		cat, err := readSettings(ctx, db)
		if err != nil {
			return nil, err
		}
		for _, t := range tables {
			cat.PutTable(t)
		}
		covered, _, err := s.hist.CoveredUntil()
		if err != nil {
			return nil, err
		}
		if at.Compare(covered) > 0 {
			// The history stops short of the start: read the DDL in
			// between before trusting it.
			tr := schema.NewTracker(cat, schema.TrackerOptions{History: s.hist, OnDDLError: s.cfg.OnDDLError, Logger: s.log})
			n, err := catchUp(ctx, s.scanner(), tr, covered, at)
			if err != nil {
				return nil, err
			}
			if err := s.hist.SetCoveredUntil(at); err != nil {
				return nil, err
			}
			s.log.Info("schema history brought up to the start", "from", covered.String(), "position", at.String(), "events_read", n)
			return s.checkDrift(ctx, db, tr.Catalog(), at)
		}
		// The stream will read and record again what the history holds
		// past the start.
		if _, err := s.hist.TruncateAfter(at); err != nil {
			return nil, err
		}
		s.log.Info("schema history loaded", "position", at.String(), "tables", len(tables))
		return s.checkDrift(ctx, db, cat, at)
	}
	if !errors.Is(err, schema.ErrNoHistory) {
		return nil, err
	}
	if _, held, lerr := s.hist.Latest(); lerr != nil {
		return nil, lerr
	} else if held {
		return nil, fmt.Errorf("cdc: the schema history in %s begins after %s, so it cannot tell the schema there (%w). "+
			"Start at or after the checkpoint it holds (run without a start position), or use an empty state directory "+
			"to reconstruct the schema at %s from the server and the binlog", s.cfg.StateDir, at, err, at)
	}
	now, st, err := captureAt(ctx, db, s.scanner(), s.captureOptions())
	if err != nil {
		return nil, err
	}
	end := schema.Point{File: st.File, Pos: st.Pos}
	if at.Compare(end) > 0 {
		return nil, fmt.Errorf("cdc: start %s is past the server's current position %s", at, end)
	}
	window, err := s.scanner()(ctx, at, end)
	if err != nil {
		return nil, fmt.Errorf("cdc: read the binlog from %s to %s for the DDL in between: %w", at, end, err)
	}
	cat, unknown, err := schema.Rewind(now, window, s.cfg.OnDDLError)
	if err != nil {
		return nil, err
	}
	if len(unknown) > 0 {
		if unknown, err = s.lookBehind(ctx, db, now, cat, unknown, at); err != nil {
			return nil, err
		}
	}
	if len(unknown) > 0 {
		return nil, &schema.UnknowableError{Start: at, Tables: unknown}
	}
	if err := s.hist.Baseline(at, cat.Tables()); err != nil {
		return nil, err
	}
	s.log.Info("schema reconstructed", "position", at.String(), "from", end.String(), "ddl_events_read", len(window), "tables", len(cat.Tables()))
	return cat, nil
}

func (s *Source) captureOptions() CaptureOptions {
	return CaptureOptions{OnDDLError: s.cfg.OnDDLError, Include: s.cfg.Include, Logger: s.log}
}

// lookBehind recovers tables that the window after a start changes before
// defining (schema.Rewind's unknowable ones) from the binlog the server
// still has before the start: a table created there has, at the start,
// the definition its DDL since then gives it. It puts those into cat and
// returns the tables still unknowable. This happens when a schema history
// is lost (a new state directory) and a table changed after the
// checkpoint the pipeline resumes from.
func (s *Source) lookBehind(ctx context.Context, db *sql.DB, now, cat *schema.Catalog, unknown []schema.Unknowable, at schema.Point) ([]schema.Unknowable, error) {
	files, err := replication.BinaryLogs(ctx, db)
	if err != nil || len(files) == 0 {
		s.log.Warn("cannot list the binlog files to look for the tables' definitions before the start", "err", err)
		return unknown, nil
	}
	first := schema.Point{File: files[0].Name, Pos: 4}
	if first.Compare(at) >= 0 {
		return unknown, nil
	}
	s.log.Info("reading the older binlog for the definitions of tables changed after the start", "from", first.String(), "to", at.String(), "tables", len(unknown))
	pre, err := s.scanner()(ctx, first, at)
	if err != nil {
		return nil, fmt.Errorf("cdc: read the binlog from %s to %s for the DDL before the start: %w", first, at, err)
	}
	fwd, err := schema.Forward(now, pre, s.cfg.OnDDLError)
	if err != nil {
		return nil, err
	}
	var still []schema.Unknowable
	for _, u := range unknown {
		if t := fwd.Table(u.Schema, u.Name); t != nil {
			cat.PutTable(t)
			continue
		}
		still = append(still, u)
	}
	s.log.Info("tables recovered from the older binlog", "recovered", len(unknown)-len(still), "still_unknown", len(still))
	return still, nil
}

// checkDrift compares the history's schema at the start with the
// server's now, for every table that no DDL in the binlog between the two
// names: they must agree, or a DDL ran outside the binlog (sql_log_bin=0)
// while the history was not looking, which the TABLE_MAPs alone may not
// show (without FULL metadata a renamed column looks the same). Under
// MismatchReread the server's definitions replace the history's from the
// start on; otherwise it is an error. It returns the catalog to start
// with.
func (s *Source) checkDrift(ctx context.Context, db *sql.DB, cat *schema.Catalog, at schema.Point) (*schema.Catalog, error) {
	// A table the parser cannot read is left out quietly: the stream
	// meets the DDL that made it and applies its DDL error policy there.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	unreadable := map[[2]string]bool{}
	now, st, err := captureAt(ctx, db, s.scanner(), CaptureOptions{OnDDLError: schema.DDLSkip, Logger: quiet, skipped: unreadable})
	if err != nil {
		return nil, err
	}
	end := schema.Point{File: st.File, Pos: st.Pos}
	window, err := s.scanner()(ctx, at, end)
	if err != nil {
		return nil, fmt.Errorf("cdc: read the binlog from %s to %s for the DDL in between: %w", at, end, err)
	}
	touched, complete := schema.WindowTables(cat, window)
	if !complete {
		// A DDL statement ahead cannot be read, so which tables it
		// changes is unknown: the stream stops there (or, under skip,
		// the user has accepted the drift it may cause).
		s.log.Debug("schema: no drift check: the binlog ahead holds DDL that cannot be parsed", "position", at.String())
		return cat, nil
	}
	// diffs are the differences of replicated tables, which decide; a
	// table outside Include takes the server's definition quietly: none
	// of its rows is decoded, and if a rename later brings it in, the
	// server's definition is the best there is.
	var diffs []string
	var fixes []*core.Table
	note := func(t *core.Table, d string, fix *core.Table) {
		if s.included(t.Schema, t.Name) {
			diffs = append(diffs, t.QualifiedName()+d)
		}
		if fix != nil {
			fixes = append(fixes, fix)
		}
	}
	for _, t := range cat.Tables() {
		if k := cat.TableKey(t.Schema, t.Name); touched[k] || unreadable[k] {
			continue
		}
		srv := now.Table(t.Schema, t.Name)
		if srv == nil {
			note(t, " is in the history but not on the server", nil)
			continue
		}
		if d := schema.DecodingDiff(t, srv); d != "" {
			note(t, ": "+d, srv)
		}
	}
	for _, t := range now.Tables() {
		if !touched[cat.TableKey(t.Schema, t.Name)] && cat.Table(t.Schema, t.Name) == nil {
			note(t, " is on the server but not in the history", t)
		}
	}
	if len(fixes) == 0 && len(diffs) == 0 {
		return cat, nil
	}
	if len(diffs) > 0 && s.cfg.OnMismatch != MismatchReread {
		return nil, fmt.Errorf("cdc: the schema history in %s does not match the server for tables that no DDL in the binlog between %s and now changes: %s. "+
			"A DDL ran outside the binlog (sql_log_bin=0) while nothing was reading it; rows decoded with the history could carry the wrong columns. "+
			"To take the server's definitions from %s on, run again with the schema mismatch policy reread (--on-schema-mismatch=reread); "+
			"or start afresh with an empty state directory",
			s.cfg.StateDir, at, strings.Join(diffs, "; "), at)
	}
	tr := schema.NewTracker(cat, schema.TrackerOptions{History: s.hist, OnDDLError: s.cfg.OnDDLError, Logger: s.log})
	for _, t := range fixes {
		ch, err := tr.Replace(t, at, "-- "+t.QualifiedName()+" re-read from the server (SHOW CREATE TABLE): it differed from the schema history with no DDL in the binlog to explain it")
		if err != nil {
			return nil, err
		}
		if s.included(t.Schema, t.Name) {
			s.pending = append(s.pending, ch)
		}
	}
	if len(diffs) > 0 {
		s.log.Warn("schema: definitions re-read from the server at the start, where the history disagreed with no DDL in the binlog to explain it (on-schema-mismatch=reread)",
			"position", at.String(), "differences", strings.Join(diffs, "; "))
	}
	return tr.Catalog(), nil
}

func (s *Source) included(schema, table string) bool {
	return s.cfg.Include == nil || s.cfg.Include(schema, table)
}

// readSettings returns a catalog with the server's settings and
// databases, without tables.
func readSettings(ctx context.Context, db *sql.DB) (*schema.Catalog, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	defer conn.Close()
	return newCatalog(ctx, conn)
}

// scanner reads windows of the source's binlog over a replication
// connection of its own.
func (s *Source) scanner() windowScanner {
	return serverScanner(s.cfg.Replication.Conn, s.log)
}

// scanTimeout bounds a scan of the binlog between two positions the
// server reported: far more than reading them takes.
const scanTimeout = 5 * time.Minute

// serverScanner returns a windowScanner reading the server's binlog.
func serverScanner(conn *client.Config, log *slog.Logger) windowScanner {
	return func(ctx context.Context, from, to schema.Point) ([]schema.QueryAt, error) {
		if from.Compare(to) >= 0 {
			// Nothing between: a dump from the end would wait for an
			// event that may never come.
			return nil, nil
		}
		ctx, cancel := context.WithTimeout(ctx, scanTimeout)
		defer cancel()
		rc := replication.NewConfig(conn) // a server id of its own
		rc.Start = replication.Position{File: from.File, Pos: from.Pos}
		rc.SkipPreflight = true
		rc.Reconnect.MaxAttempts = 3
		rc.Logger = log
		st, err := replication.Open(ctx, rc)
		if err != nil {
			return nil, err
		}
		defer st.Close()
		var out []schema.QueryAt
		reached := from
		for {
			ev, err := st.Next(ctx)
			if err != nil {
				return nil, fmt.Errorf("read the binlog from %s to %s: reached %s: %w", from, to, reached, err)
			}
			if ev.Synthetic {
				continue
			}
			end := schema.Point{File: ev.NextFile, Pos: ev.NextPos}
			reached = end
			if q, ok := ev.Body.(*binlog.QueryEvent); ok {
				out = append(out, queryAt(q, end))
			}
			if end.Compare(to) >= 0 {
				return out, nil
			}
		}
	}
}

func loadCheckpoint(h *schema.History) (replication.Position, bool, error) {
	b, ok, err := h.LoadCheckpoint()
	if err != nil || !ok {
		return replication.Position{}, false, err
	}
	var cp storedCheckpoint
	if err := json.Unmarshal(b, &cp); err != nil || cp.File == "" {
		return replication.Position{}, false, fmt.Errorf("cdc: the checkpoint in %s is not readable (%q): %v", h.Dir(), b, err)
	}
	return replication.Position{File: cp.File, Pos: cp.Pos}, true, nil
}

func (s *Source) saveCheckpoint(p replication.Position) error {
	gt := ""
	switch {
	case p.GTIDSet != nil:
		gt = p.GTIDSet.String()
	case p.MariaDBGTID != nil:
		gt = p.MariaDBGTID.String()
	}
	return s.saveCheckpointText(p, gt)
}

func (s *Source) saveCheckpointText(p replication.Position, gtidText string) error {
	cp := storedCheckpoint{File: p.File, Pos: p.Pos, GTID: gtidText}
	b, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	return s.hist.SaveCheckpoint(b)
}

// Start returns the position the stream started at.
func (s *Source) Start() replication.Position { return s.start }

// Resumed reports whether the start came from the state directory's
// checkpoint.
func (s *Source) Resumed() bool { return s.resumed }

// Tables returns the definition of every table the history knows at the
// point the stream has read to (between two calls of Next).
func (s *Source) Tables() []*core.Table { return s.tracker.Catalog().Tables() }

// Stream returns the underlying replication stream.
func (s *Source) Stream() *replication.Stream { return s.stream }

// Next returns the next event, with its table version or schema changes.
// Like replication.Stream.Next, the Event is valid until the next call. An
// error from the schema history (a TABLE_MAP contradicting the tracked
// schema, a DDL that cannot be applied) ends the source: every later call
// returns it.
func (s *Source) Next(ctx context.Context) (*Event, error) {
	if s.err != nil {
		return nil, s.err
	}
	ev, err := s.stream.Next(ctx)
	if err != nil {
		return nil, err
	}
	s.ev = Event{Event: ev}
	if ev.Synthetic {
		return &s.ev, nil
	}
	end := schema.Point{File: ev.NextFile, Pos: ev.NextPos}
	s.ev.Table, s.ev.SchemaChanges, err = track(s.tracker, s.cfg.Include, ev.Body, end)
	var mm *schema.MismatchError
	if errors.As(err, &mm) {
		if s.cfg.OnMismatch == MismatchReread {
			if ch, rerr := s.reread(ctx, ev); rerr != nil {
				err = fmt.Errorf("%w. Re-reading the table's definition from the server did not help: %v", err, rerr)
			} else {
				s.ev.Table, s.ev.SchemaChanges, err = track(s.tracker, s.cfg.Include, ev.Body, end)
				s.ev.SchemaChanges = append([]core.SchemaChange{ch}, s.ev.SchemaChanges...)
			}
		} else {
			err = fmt.Errorf("%w. To take the table's definition from the server from this event on (when no DDL on it follows in the binlog), "+
				"run again with the schema mismatch policy reread (--on-schema-mismatch=reread)", err)
		}
	}
	if err != nil {
		s.err = fmt.Errorf("binlog %s:%d: %s: %w", ev.File, ev.Pos, ev.Header.Type, err)
		return nil, s.err
	}
	if len(s.pending) > 0 {
		s.ev.SchemaChanges = append(s.pending, s.ev.SchemaChanges...)
		s.pending = nil
	}
	if ev.EndsTransaction || !ev.InTransaction {
		// Past an event outside any transaction (a rotation, a GTID
		// list) too: the tracker has nothing of it, and a reader waiting
		// for a position (a snapshot's) needs to see the stream reach it.
		s.checkpoint = s.stream.Checkpoint()
	}
	return &s.ev, nil
}

// Checkpoint is the position after the last complete transaction read
// and tracked.
func (s *Source) Checkpoint() replication.Position { return s.checkpoint.Clone() }

// defaultPruneEvery spaces the history's pruning, whose cost grows with
// the number of tables, and is the least past the history keeps.
const defaultPruneEvery = 10 * time.Minute

// Commit makes the checkpoint durable: a later Open with no start position
// resumes there, with the schemas then in force. Call it once everything
// up to Checkpoint has been handled. Every PruneEvery it also prunes the
// history of what no restart from a checkpoint committed since the
// previous prune can need.
func (s *Source) Commit() error {
	return s.commit(s.checkpoint)
}

// CommitAt is Commit for a consumer that applies changes behind the
// reader: p, a position the consumer has made durable (a record's
// Checkpoint, at or before Checkpoint), becomes the checkpoint a later
// Open resumes from and the point the next prune may cut up to, while the
// history stays marked as holding every DDL up to the reader's own
// Checkpoint.
func (s *Source) CommitAt(p core.Position) error {
	if p.File == "" {
		return errors.New("cdc: commit at an empty position")
	}
	at := schema.Point{File: p.File, Pos: p.Pos}
	if at.Compare(schema.Point{File: s.checkpoint.File, Pos: s.checkpoint.Pos}) > 0 {
		return fmt.Errorf("cdc: commit at %s, past the source's checkpoint %s", at, s.checkpoint)
	}
	cp := replication.Position{File: p.File, Pos: p.Pos}
	return s.commitWith(cp, p.GTID)
}

func (s *Source) commit(cp replication.Position) error {
	gt := ""
	switch {
	case cp.GTIDSet != nil:
		gt = cp.GTIDSet.String()
	case cp.MariaDBGTID != nil:
		gt = cp.MariaDBGTID.String()
	}
	return s.commitWith(cp, gt)
}

func (s *Source) commitWith(cp replication.Position, gtidText string) error {
	own := s.checkpoint
	if err := s.hist.SetCoveredUntil(schema.Point{File: own.File, Pos: own.Pos}); err != nil {
		return err
	}
	if err := s.saveCheckpointText(cp, gtidText); err != nil {
		return err
	}
	if s.cfg.PruneEvery >= 0 && time.Since(s.lastPrune) >= s.cfg.PruneEvery {
		s.lastPrune = time.Now()
		if s.pruneTo.File != "" {
			if _, err := s.hist.Prune(s.pruneTo); err != nil {
				return err
			}
		}
		s.pruneTo = schema.Point{File: cp.File, Pos: cp.Pos}
	}
	return nil
}

// reread replaces the tracked definition of the table of a TABLE_MAP (or
// rows) event that contradicted it with the server's (MismatchReread).
func (s *Source) reread(ctx context.Context, ev *replication.Event) (core.SchemaChange, error) {
	var tm *binlog.TableMapEvent
	switch b := ev.Body.(type) {
	case *binlog.TableMapEvent:
		tm = b
	case *binlog.RowsEvent:
		tm = b.Table
	}
	if tm == nil {
		return core.SchemaChange{}, errors.New("not a table's event")
	}
	at := schema.Point{File: ev.File, Pos: ev.Pos}
	st, err := replication.CurrentBinlogStatus(ctx, s.db)
	if err != nil {
		return core.SchemaChange{}, err
	}
	window, err := s.scanner()(ctx, at, schema.Point{File: st.File, Pos: st.Pos})
	if err != nil {
		return core.SchemaChange{}, err
	}
	cat := s.tracker.Catalog()
	app := schema.NewApplier()
	for _, q := range window {
		for _, n := range app.TableNames(q.Schema, q.Query) {
			if cat.SameName(n[0], tm.Schema) && cat.SameName(n[1], tm.Table) {
				return core.SchemaChange{}, fmt.Errorf("the binlog changes %s.%s again at %s (%s), so the server's definition now is not the one this event was written with",
					tm.Schema, tm.Table, q.At, q.Query)
			}
		}
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return core.SchemaChange{}, err
	}
	defer conn.Close()
	if _, err := newCatalog(ctx, conn); err != nil { // the session settings for SHOW CREATE TABLE
		return core.SchemaChange{}, err
	}
	var name, create string
	if err := conn.QueryRowContext(ctx, "SHOW CREATE TABLE "+quoteName(tm.Schema)+"."+quoteName(tm.Table)).Scan(&name, &create); err != nil {
		return core.SchemaChange{}, fmt.Errorf("SHOW CREATE TABLE %s.%s: %w", tm.Schema, tm.Table, err)
	}
	t, err := app.TableFromCreate(cat, tm.Schema, create)
	if err != nil {
		return core.SchemaChange{}, err
	}
	if err := schema.Reconcile(tm, t); err != nil {
		return core.SchemaChange{}, fmt.Errorf("the server's definition differs from the TABLE_MAP too: %w", err)
	}
	ch, err := s.tracker.Replace(t, at, "-- "+tm.Schema+"."+tm.Table+" re-read from the server (SHOW CREATE TABLE): the binlog's TABLE_MAP contradicted the schema history")
	if err != nil {
		return core.SchemaChange{}, err
	}
	s.log.Warn("schema: table definition re-read from the server after a mismatch (on-schema-mismatch=reread)",
		"table", tm.Schema+"."+tm.Table, "position", at.String(), "version", ch.New.Version)
	return ch, nil
}

// Close stops the stream and closes the history. It does not commit.
func (s *Source) Close() error {
	var err error
	if s.db != nil {
		s.db.Close()
	}
	if s.stream != nil {
		err = s.stream.Close()
	}
	if s.hist != nil {
		if herr := s.hist.Close(); err == nil {
			err = herr
		}
	}
	return err
}

// checkFullRowImage refuses a server whose binlog does not carry whole
// rows.
func checkFullRowImage(ctx context.Context, db *sql.DB) error {
	info, err := replication.ReadServerInfo(ctx, db)
	if err != nil {
		return fmt.Errorf("cdc: check the binlog row image: %w", err)
	}
	if info.BinlogFormat != "ROW" {
		return fmt.Errorf("cdc: the server logs with binlog_format=%s, not ROW: change records need row-based logging. "+
			"Run SET GLOBAL binlog_format='ROW' and set binlog_format=ROW under [mysqld] in my.cnf so that it survives a restart "+
			"(sessions already open keep their format until they reconnect)", orNone(info.BinlogFormat))
	}
	// Servers before binlog_row_image (MySQL 5.5) always log full rows.
	if info.BinlogRowImage != "" && info.BinlogRowImage != "FULL" {
		return fmt.Errorf("cdc: the server logs with binlog_row_image=%s, not FULL: updates and deletes would lack columns, and change records need whole rows. "+
			"Run SET GLOBAL binlog_row_image='FULL' and set binlog_row_image=FULL under [mysqld] in my.cnf so that it survives a restart "+
			"(sessions already open keep their setting until they reconnect)", info.BinlogRowImage)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(not reported)"
	}
	return s
}
