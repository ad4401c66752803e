package snapshot

// # How the copy and the stream agree
//
// The snapshot copies a table in chunks while the binlog streams, and
// puts each chunk's rows (core.OpRead records) into the change stream at
// the chunk's view position H: the binlog position the chunk's
// consistent read corresponds to exactly (view.go). The merger emits
// every transaction the stream has up to H, then the chunk, then what
// follows H. So for every key of the chunk, the target sees the changes
// before H, then the row as it was at H (which those changes made), then
// the changes after H: the order the source itself went through. No key
// of the chunk is compared with a key of the stream; nothing needs a lock
// or a watermark table on the source.
//
// To know a chunk's H before the stream passes it, the merger stops
// emitting while a chunk's view is being opened (a few milliseconds),
// then lets the stream run up to H, and holds it there until the chunk's
// rows are in: the stream waits for the copy, never the reverse.
//
// A table's row changes before its first chunk are dropped: the first
// chunk reads the table after them. Between two chunks of a table the
// stream's changes apply: to rows already copied (they must), and to rows
// not copied yet (harmless: the later chunk, read after them, rewrites
// those rows as they then are). A table without a usable key is one
// chunk, read in one pass with the stream held at its H.
//
// # Restarts
//
// The progress (which tables are pending, copying and from which key on)
// is written into every checkpoint the stream's transactions and the
// chunks end with (core.Position.Snapshot), so the sink commits it with
// the data it describes. A restart resumes the stream from the sink's
// checkpoint and the copy after the last committed chunk, by key: a chunk
// read again at a later position is simply that part of the table as it
// then is.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/seed5aa6e046/syncer/core"
)

// Stream is the change stream the copy joins: cdc.Records.
type Stream interface {
	Next(ctx context.Context) (*core.Record, error)
	Ack(p core.Position)
	Close() error
	// Tables returns the included tables, as the records show them, at
	// the stream's start; called before the first Next.
	Tables() ([]*core.Table, error)
	// Start is the position the stream starts from.
	Start() core.Position
}

// Config configures a Merger.
type Config struct {
	// DB queries the source (go-sql-driver/mysql). It must allow
	// Parallel+1 connections; the Merger does not close it.
	DB *sql.DB
	// Checkpoint is the sink's checkpoint the stream resumes from; its
	// Snapshot holds the progress of a copy in progress.
	Checkpoint core.Position
	// CopyAll starts a new copy of every included table (a first run, or
	// snapshot mode always), replacing any progress in Checkpoint.
	// Truncate empties each target table before its first chunk.
	CopyAll, Truncate bool
	// SchemaOnly creates the target tables of every included table, with
	// no rows, instead of copying them (with CopyAll).
	SchemaOnly bool
	// Include and Exclude are the pipeline's table globs (the scope kept
	// in the progress: tables included later are copied when they
	// appear); Included applies them.
	Include, Exclude []string
	Included         func(database, table string) bool
	// Filter makes Included for other lists (those a checkpoint
	// remembers): pipelines.TableFilter.
	Filter func(include, exclude []string) func(database, table string) bool
	// TrackScope keeps the scope in checkpoints even when no copy runs,
	// so that tables added to the include list later are copied.
	TrackScope bool
	// ChunkRows and ChunkBytes bound a chunk (the latter by the table's
	// average row length); Parallel is the number of reading connections.
	ChunkRows  int
	ChunkBytes int64
	Parallel   int
	// RequestDir holds re-snapshot requests (WriteRequest); "" for none.
	RequestDir string
	Logger     *slog.Logger
	// ProgressEvery spaces the progress log lines (10s).
	ProgressEvery time.Duration

	// forceView makes tests read the MySQL way (viewShared) on MariaDB.
	forceView  viewMode
	viewForced bool
}

// Merger is a pipeline source: the stream with the copy put into it. Next
// and Close are for one goroutine, Ack and Status for any.
type Merger struct {
	cfg    Config
	log    *slog.Logger
	stream Stream

	ctx      context.Context // the Merger's life: ends at Close
	cancel   context.CancelFunc
	streamCh chan streamItem
	streamWG sync.WaitGroup
	tick     *time.Timer // the idle wait's, reused

	readers *readers
	readWG  sync.WaitGroup

	prog     *progressToken
	tokenStr string
	dirty    bool
	runs     map[*tableToken]*tableRun
	versions map[string]*core.Table     // included tables now, by tableKey
	filters  map[*core.Table]*rowFilter // cache: what the copy does to the row changes of a table version

	sched []*chunk // chunks in flight, in view order
	inj   *chunk   // the chunk being emitted
	injAt int      // records of inj's current batch handed out
	injB  []*core.Record
	out   []*core.Record
	head  *core.Record // the next stream record, read, not yet emitted

	streamPos core.Position // the checkpoint of the last transaction emitted
	inTx      bool
	err       error

	requests    map[string]bool // request ids taken
	hasRequests atomic.Bool
	lastPoll    time.Time

	mu       sync.Mutex
	status   Status
	statusAt time.Time
	lastLog  time.Time
}

type streamItem struct {
	r   *core.Record
	err error
}

// tableRun is the merger's state of a table being copied.
type tableRun struct {
	tok     *tableToken
	gen     int    // bumped when the table's copy restarts: older chunks are stale
	next    Key    // where the next chunk to schedule starts
	reading *chunk // the last scheduled chunk, while its read goes on
	ended   bool   // the last chunk is scheduled: nothing more to read
	est     int64  // estimated rows
	avgRow  int64  // average row length
	start   time.Time
	chunks  int
	reader  *TableReader
	version *core.Table
	retries int
	live    int64 // rows of the chunk being emitted, so far
	// Key ranges (planRanges): step > 0 reads (next, next+step] chunks up
	// to rangeMax.
	step, rangeMin, rangeMax int64
}

// chunk is one chunk read: rows of one table in key order after a key,
// read in one view.
type chunk struct {
	run     *tableRun
	gen     int
	version *core.Table
	tr      *TableReader
	after   Key
	upto    Key // a range chunk's upper bound (nil: up to limit rows)
	// min is the stream's position when the chunk was scheduled: its
	// view must not be older (see readers.beginAfter).
	min   core.Position
	limit int
	seq   int

	hReady chan struct{} // closed when h (or hErr) is set
	h      core.Position
	hErr   error
	at     time.Time

	rows     chan []*core.Record
	readDone chan struct{} // closed when the query has ended: last, n, err set
	last     Key
	n        int
	err      error
	discard  chan struct{} // closed to make the reader drop its rows
	dropped  bool
}

// Open starts the merger over stream, which it then owns. It reads the
// stream's tables, decides what to copy (cfg and the checkpoint's
// progress) and starts reading the stream ahead.
func Open(ctx context.Context, stream Stream, cfg Config) (*Merger, error) {
	if cfg.ChunkRows <= 0 {
		cfg.ChunkRows = 50000
	}
	if cfg.ChunkBytes <= 0 {
		cfg.ChunkBytes = 64 << 20
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 2
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 10 * time.Second
	}
	if cfg.Included == nil {
		cfg.Included = func(string, string) bool { return true }
	}
	m := &Merger{cfg: cfg, log: cfg.Logger, stream: stream, runs: map[*tableToken]*tableRun{},
		versions: map[string]*core.Table{}, filters: map[*core.Table]*rowFilter{}, requests: map[string]bool{},
		streamPos: stream.Start(), lastLog: time.Now()}
	if m.log == nil {
		m.log = slog.Default()
	}
	tables, err := stream.Tables()
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		m.versions[tableKey(t.Schema, t.Name)] = t
	}
	prev, err := decodeToken(cfg.Checkpoint.Snapshot)
	if err != nil {
		return nil, err
	}
	sc := &scope{Include: cfg.Include, Exclude: cfg.Exclude}
	switch {
	case cfg.CopyAll:
		m.prog = &progressToken{Scope: sc}
		if cfg.SchemaOnly {
			for _, t := range tables {
				m.out = append(m.out, m.createRecord(t, false))
			}
			m.log.Info("snapshot: schema only: the target tables are created, no rows are copied", "tables", len(tables))
		} else {
			for _, t := range tables {
				m.prog.Tables = append(m.prog.Tables, &tableToken{Schema: t.Schema, Name: t.Name, State: statePending, Truncate: cfg.Truncate})
			}
		}
	case prev != nil:
		m.prog = prev
		kept := m.prog.Tables[:0]
		for _, tt := range m.prog.Tables {
			if m.versions[tableKey(tt.Schema, tt.Name)] == nil {
				m.log.Warn("snapshot: a table the copy had not finished is gone or no longer included: left out", "table", tt.qualified())
				continue
			}
			kept = append(kept, tt)
		}
		m.prog.Tables = kept
		if prev.Scope != nil && !prev.Scope.equal(sc) {
			m.addNewlyIncluded(prev.Scope, tables)
		}
		if prev.Scope != nil || cfg.TrackScope {
			m.prog.Scope = sc
		}
	default:
		m.prog = &progressToken{}
		if cfg.TrackScope {
			m.prog.Scope = sc
		}
	}
	for _, tt := range m.prog.Tables {
		m.runFor(tt)
	}
	m.pollRequests()
	m.dirty = true
	m.refreshToken()
	if len(m.out) > 0 {
		// The schema-only creations end with the progress they make.
		last := m.out[len(m.out)-1]
		last.Checkpoint = m.checkpoint()
	}
	if m.prog.active() {
		if err := m.estimate(ctx); err != nil {
			m.log.Warn("snapshot: cannot estimate the tables' sizes; progress is shown without totals", "err", err)
		}
		if prev != nil && !cfg.CopyAll {
			m.log.Info("snapshot: resuming the copy from the sink's checkpoint", "tables_left", len(m.prog.Tables), "tables_done", m.prog.Done, "rows_done", m.prog.DoneRows)
		} else {
			m.log.Info("snapshot: copying the included tables", "tables", len(m.prog.Tables), "chunk_rows", cfg.ChunkRows, "parallel", cfg.Parallel)
		}
	}
	m.ctx, m.cancel = context.WithCancel(context.WithoutCancel(ctx))
	m.streamCh = make(chan streamItem, 1024)
	m.streamWG.Add(1)
	go m.readStream()
	m.updateStatus()
	return m, nil
}

// addNewlyIncluded queues the tables the include and exclude lists cover
// now and did not under old: their rows exist only in the source.
func (m *Merger) addNewlyIncluded(old *scope, tables []*core.Table) {
	have := map[string]bool{}
	for _, tt := range m.prog.Tables {
		have[tableKey(tt.Schema, tt.Name)] = true
	}
	if m.cfg.Filter == nil {
		m.log.Warn("snapshot: the include list changed, but no filter was given to tell the tables it adds: none is copied")
		return
	}
	included := m.cfg.Filter(old.Include, old.Exclude)
	for _, t := range tables {
		if included(t.Schema, t.Name) || have[tableKey(t.Schema, t.Name)] {
			continue
		}
		m.log.Info("snapshot: a table the include list now covers is copied", "table", t.QualifiedName())
		m.prog.Tables = append(m.prog.Tables, &tableToken{Schema: t.Schema, Name: t.Name, State: statePending, Truncate: true})
	}
}

func tableKey(schema, name string) string { return schema + "\x00" + name }

func (m *Merger) runFor(tt *tableToken) *tableRun {
	r := m.runs[tt]
	if r == nil {
		r = &tableRun{tok: tt, start: time.Now()}
		if k, err := KeyFromStrings(tt.After); err == nil {
			r.next = k
		}
		m.runs[tt] = r
	}
	return r
}

// estimate reads the tables' estimated row counts and row lengths.
func (m *Merger) estimate(ctx context.Context) error {
	byDB := map[string][]*tableRun{}
	for _, r := range m.runs {
		byDB[r.tok.Schema] = append(byDB[r.tok.Schema], r)
	}
	for db, runs := range byDB {
		rows, err := m.cfg.DB.QueryContext(ctx, "SELECT TABLE_NAME, COALESCE(TABLE_ROWS, 0), COALESCE(AVG_ROW_LENGTH, 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", db)
		if err != nil {
			return err
		}
		sizes := map[string][2]int64{}
		for rows.Next() {
			var name string
			var n, avg int64
			if err := rows.Scan(&name, &n, &avg); err != nil {
				rows.Close()
				return err
			}
			sizes[name] = [2]int64{n, avg}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range runs {
			s := sizes[r.tok.Name]
			r.est, r.avgRow = s[0], s[1]
		}
	}
	return nil
}

// readStream reads the stream ahead into streamCh.
func (m *Merger) readStream() {
	defer m.streamWG.Done()
	for {
		r, err := m.stream.Next(m.ctx)
		select {
		case m.streamCh <- streamItem{r, err}:
		case <-m.ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// Next returns the next record: the stream's, or a chunk's.
func (m *Merger) Next(ctx context.Context) (*core.Record, error) {
	if m.err != nil {
		return nil, m.err
	}
	r, err := m.next(ctx)
	if err != nil && ctx.Err() == nil {
		m.err = err
	}
	return r, err
}

func (m *Merger) next(ctx context.Context) (*core.Record, error) {
	for {
		if len(m.out) > 0 {
			r := m.out[0]
			m.out[0] = nil
			m.out = m.out[1:]
			return r, nil
		}
		if m.inj != nil {
			if m.injAt < len(m.injB) {
				r := m.injB[m.injAt]
				m.injB[m.injAt] = nil
				m.injAt++
				return r, nil
			}
			select {
			case b, ok := <-m.inj.rows:
				if ok {
					m.injB, m.injAt = b, 0
					m.countRows(m.inj.run, len(b))
					continue
				}
				if err := m.endInjection(); err != nil {
					return nil, err
				}
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			continue
		}
		if !m.inTx {
			// Between transactions: plan changes take effect at a
			// boundary of the stream.
			m.pollRequests()
		}
		if ok, err := m.tryInject(); err != nil {
			return nil, err
		} else if ok {
			continue
		}
		if added, err := m.schedule(ctx); err != nil {
			return nil, err
		} else if added {
			continue
		}
		if m.head == nil {
			// The common case, a record waiting, takes no timer.
			select {
			case it := <-m.streamCh:
				if it.err != nil {
					return nil, it.err
				}
				m.head = it.r
				continue
			default:
			}
			var tick <-chan time.Time
			if m.cfg.RequestDir != "" || m.prog.active() {
				if m.tick == nil {
					m.tick = time.NewTimer(time.Second)
				} else {
					m.tick.Reset(time.Second)
				}
				tick = m.tick.C
			}
			select {
			case it := <-m.streamCh:
				if it.err != nil {
					return nil, it.err
				}
				m.head = it.r
			case <-tick:
				m.pollRequests()
				m.maybeLog()
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			continue
		}
		if m.held() {
			// Every chunk of the run is read at the one shared view
			// position: the stream may not pass it until the copy ends.
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
			continue
		}
		r := m.head
		m.head = nil
		if out := m.observe(r); out != nil {
			if r.TxEnd {
				m.maybeLog()
			}
			return out, nil
		}
	}
}

// held reports whether the next stream record must wait: a shared view
// is open (viewShared) and the record lies past its position.
func (m *Merger) held() bool {
	if m.readers == nil || m.readers.mode != viewShared || m.inTx || m.head == nil || !m.prog.active() {
		return false
	}
	at, open := m.readers.sharedPosition()
	return open && at.Less(m.head.Position)
}

// observe updates the merger with a stream record about to be emitted
// and returns what to emit: r, nil (a row change of a table not copied
// yet, inside a transaction), or a progress record in its place (the
// same at a transaction's end).
func (m *Merger) observe(r *core.Record) *core.Record {
	switch r.Op {
	case core.OpSchemaChange, core.OpTruncate:
		m.schemaChange(r.Change)
	case core.OpInsert, core.OpUpdate, core.OpDelete:
		if f := m.filterFor(r.Table); f != nil {
			if out := f.apply(r); out != r {
				if out == nil && !r.TxEnd {
					m.inTx = true
					return nil
				}
				if out == nil {
					out = &core.Record{Op: core.OpProgress, Position: r.Position, TxID: r.TxID, TxEnd: true, Checkpoint: r.Checkpoint, CommitTime: r.CommitTime}
				}
				r = out
			}
		}
	}
	if r.TxEnd {
		m.inTx = false
		m.streamPos = r.Checkpoint
		m.streamPos.Snapshot = ""
		m.refreshToken()
		r.Checkpoint.Snapshot = m.tokenStr
	} else {
		m.inTx = true
	}
	return r
}

// rowFilter is what the copy does to the stream's row changes of one
// table version.
type rowFilter struct {
	// all: the table's copy has not started: its changes are dropped,
	// the first chunk reads the table after them.
	all bool
	// A copying table with a key of one integer column: changes to rows
	// past the last chunk emitted (key > after) are dropped as well, the
	// chunk that reads them comes later; a key change across the line is
	// the delete or the insert of its side. (Keys of other types are not
	// compared: their order is the server's collation's; their changes
	// apply, and the later chunk rewrites those rows.)
	col      int
	unsigned bool
	afterI   int64
	afterU   uint64
}

// beyond reports a row image whose key is past the last chunk emitted.
func (f *rowFilter) beyond(img []core.Value) bool {
	v := img[f.col]
	if f.unsigned {
		return v.Uint() > f.afterU
	}
	return v.Int() > f.afterI
}

// apply returns what to emit of r: r, nil, or a record in its place.
func (f *rowFilter) apply(r *core.Record) *core.Record {
	if f.all {
		return nil
	}
	switch r.Op {
	case core.OpInsert:
		if f.beyond(r.After) {
			return nil
		}
	case core.OpDelete:
		if f.beyond(r.Before) {
			return nil
		}
	case core.OpUpdate:
		b, a := f.beyond(r.Before), f.beyond(r.After)
		switch {
		case b && a:
			return nil
		case b:
			out := *r
			out.Op, out.Before = core.OpInsert, nil
			return &out
		case a:
			out := *r
			out.Op, out.After = core.OpDelete, nil
			return &out
		}
	}
	return r
}

// filterFor returns the filter of table version t's row changes, nil for
// none.
func (m *Merger) filterFor(t *core.Table) *rowFilter {
	if t == nil || !m.prog.active() {
		return nil
	}
	f, ok := m.filters[t]
	if ok {
		return f
	}
	for _, tt := range m.prog.Tables {
		if tt.Schema != t.Schema || tt.Name != t.Name {
			continue
		}
		if tt.State == statePending {
			f = &rowFilter{all: true}
			break
		}
		var r *TableReader
		if run := m.runs[tt]; run != nil && run.version == t {
			r = run.reader
		}
		f = cutFilter(t, tt, r)
		break
	}
	m.filters[t] = f
	return f
}

// cutFilter is the filter of a copying table keyed by one integer column,
// nil for other tables.
// r is t's reader when there is one already.
func cutFilter(t *core.Table, tt *tableToken, r *TableReader) *rowFilter {
	if len(tt.After) != 1 {
		return nil
	}
	if r == nil {
		var err error
		if r, err = NewTableReader(t); err != nil {
			return nil
		}
	}
	if !r.IntegerKey() {
		return nil
	}
	k, err := KeyFromStrings(tt.After)
	if err != nil {
		return nil
	}
	col := r.KeyColumns()[0]
	f := &rowFilter{col: col, unsigned: t.Columns[col].Type.Unsigned}
	text := string(k[0])
	if f.unsigned {
		f.afterU, err = strconv.ParseUint(text, 10, 64)
	} else {
		f.afterI, err = strconv.ParseInt(text, 10, 64)
	}
	if err != nil {
		return nil
	}
	return f
}

func (m *Merger) planChanged() {
	clear(m.filters)
	m.dirty = true
}

func (m *Merger) findToken(schema, name string) *tableToken {
	for _, tt := range m.prog.Tables {
		if tt.Schema == schema && tt.Name == name {
			return tt
		}
	}
	return nil
}

// schemaChange follows a DDL statement's effect on the tables and on the
// copy.
func (m *Merger) schemaChange(ch *core.SchemaChange) {
	if ch == nil {
		return
	}
	switch ch.Kind {
	case core.CreateTable:
		if ch.New != nil {
			m.versions[tableKey(ch.New.Schema, ch.New.Name)] = ch.New
		}
	case core.AlterTable:
		if ch.New == nil {
			return
		}
		m.versions[tableKey(ch.New.Schema, ch.New.Name)] = ch.New
		if tt := m.findToken(ch.New.Schema, ch.New.Name); tt != nil && tt.State == stateCopying && ch.Old != nil && !sameKey(ch.Old, ch.New) {
			m.restart(tt, "its key changed")
		}
	case core.RenameTable:
		if ch.Old == nil || ch.New == nil {
			return
		}
		delete(m.versions, tableKey(ch.Old.Schema, ch.Old.Name))
		if m.cfg.Included(ch.New.Schema, ch.New.Name) {
			m.versions[tableKey(ch.New.Schema, ch.New.Name)] = ch.New
		}
		if tt := m.findToken(ch.Old.Schema, ch.Old.Name); tt != nil {
			if !m.cfg.Included(ch.New.Schema, ch.New.Name) {
				m.remove(tt, "renamed to a table the pipeline does not include")
				return
			}
			tt.Schema, tt.Name = ch.New.Schema, ch.New.Name
			if tt.State == stateCopying {
				m.restart(tt, "it was renamed while being copied")
			}
			m.planChanged()
		}
	case core.DropTable:
		t := ch.Old
		if t == nil {
			t = ch.New
		}
		if t == nil {
			return
		}
		delete(m.versions, tableKey(t.Schema, t.Name))
		if tt := m.findToken(t.Schema, t.Name); tt != nil {
			m.remove(tt, "dropped")
		}
	case core.DropDatabase:
		for k := range m.versions {
			if strings.HasPrefix(k, ch.Database+"\x00") {
				delete(m.versions, k)
			}
		}
		for _, tt := range append([]*tableToken(nil), m.prog.Tables...) {
			if tt.Schema == ch.Database {
				m.remove(tt, "its database was dropped")
			}
		}
	}
}

func sameKey(a, b *core.Table) bool {
	ka, kb := a.PrimaryKey, b.PrimaryKey
	if (ka == nil) != (kb == nil) {
		return false
	}
	if ka != nil {
		if len(ka.Columns) != len(kb.Columns) {
			return false
		}
		for i := range ka.Columns {
			ca, cb := ka.Columns[i], kb.Columns[i]
			ia, ib := a.ColumnIndex(ca.Name), b.ColumnIndex(cb.Name)
			if !strings.EqualFold(ca.Name, cb.Name) || ca.Prefix != cb.Prefix || ia < 0 || ib < 0 ||
				a.Columns[ia].Type.Name != b.Columns[ib].Type.Name || a.Columns[ia].Type.Collation != b.Columns[ib].Type.Collation {
				return false
			}
		}
		return true
	}
	// Keyless or keyed by a unique key: the reader chooses again; restart
	// unless the definitions' keys are the same.
	ra, errA := NewTableReader(a)
	rb, errB := NewTableReader(b)
	if errA != nil || errB != nil || ra.Keyed() != rb.Keyed() || ra.KeyIndex() != rb.KeyIndex() {
		return false
	}
	return true
}

// restart copies a table again from its first row, its target emptied
// first (rows the stream deleted while it was pending would survive an
// upsert-only copy).
func (m *Merger) restart(tt *tableToken, why string) {
	m.log.Info("snapshot: the table's copy starts again", "table", tt.qualified(), "because", why)
	tt.State, tt.After, tt.Rows, tt.Truncate = statePending, nil, 0, true
	r := m.runFor(tt)
	r.gen++
	r.next, r.reading, r.ended, r.chunks = nil, nil, false, 0
	m.planChanged()
}

// remove drops a table from the copy.
func (m *Merger) remove(tt *tableToken, why string) {
	m.log.Info("snapshot: table left out of the copy", "table", tt.qualified(), "because", why)
	for i, x := range m.prog.Tables {
		if x == tt {
			m.prog.Tables = append(m.prog.Tables[:i], m.prog.Tables[i+1:]...)
			break
		}
	}
	if r := m.runs[tt]; r != nil {
		r.gen++
		delete(m.runs, tt)
	}
	m.planChanged()
	m.checkFinished()
}

// refreshToken re-encodes the progress when it changed.
func (m *Merger) refreshToken() {
	if !m.dirty {
		return
	}
	m.dirty = false
	if !m.prog.active() && m.prog.Scope == nil && len(m.prog.Requests) == 0 {
		m.tokenStr = ""
	} else {
		m.tokenStr = m.prog.encode()
	}
	m.updateStatus()
}

// checkpoint is the position emitted records end with: the stream's,
// with the copy's progress.
func (m *Merger) checkpoint() core.Position {
	m.refreshToken()
	cp := m.streamPos
	cp.Snapshot = m.tokenStr
	return cp
}

// schedule starts chunk reads until Parallel are in flight, waiting for
// each one's view position before anything more is emitted.
func (m *Merger) schedule(ctx context.Context) (added bool, err error) {
	for m.prog.active() {
		inflight := len(m.sched)
		if m.inj != nil {
			inflight++
		}
		if inflight >= m.cfg.Parallel {
			return added, nil
		}
		run := m.nextRun()
		if run == nil {
			return added, nil
		}
		if m.readers == nil {
			rs, err := openReaders(ctx, m.cfg.DB, m.cfg.Parallel, m.cfg.forceView, m.cfg.viewForced, m.log)
			if err != nil {
				return added, err
			}
			m.readers = rs
			m.log.Info("snapshot: reading", "views", rs.mode.String(), "connections", m.cfg.Parallel)
		}
		c, err := m.startChunk(ctx, run)
		if err != nil {
			return added, err
		}
		select {
		case <-c.hReady:
		case <-ctx.Done():
			return added, ctx.Err()
		}
		if c.hErr != nil {
			return added, c.hErr
		}
		m.sched = append(m.sched, c)
		added = true
	}
	return added, nil
}

// nextRun picks the table to read a chunk of: the first, in copy order,
// whose previous chunk's read has ended.
func (m *Merger) nextRun() *tableRun {
	for _, tt := range m.prog.Tables {
		r := m.runFor(tt)
		if r.ended {
			continue
		}
		if c := r.reading; c != nil {
			if c.upto != nil {
				// A range chunk: the next one's bounds are known, it
				// can be read alongside (if this one fails, the later
				// ones are dropped when its turn to be emitted comes).
				return r
			}
			select {
			case <-c.readDone:
			default:
				continue
			}
			if c.err != nil {
				continue // read again when its turn to be emitted comes
			}
			if c.final() {
				r.ended = true // that was the table's last chunk
				continue
			}
		}
		return r
	}
	return nil
}

// startChunk starts reading the next chunk of run.
func (m *Merger) startChunk(ctx context.Context, run *tableRun) (*chunk, error) {
	tt := run.tok
	v := m.versions[tableKey(tt.Schema, tt.Name)]
	if v == nil {
		return nil, fmt.Errorf("snapshot: table %s is not in the schema at the stream's position", tt.qualified())
	}
	if run.version != v {
		tr, err := NewTableReader(v)
		if err != nil {
			return nil, err
		}
		run.reader, run.version = tr, v
		if !tr.Keyed() && run.chunks == 0 {
			m.log.Info("snapshot: table without a usable key: read in one pass, the stream held meanwhile", "table", tt.qualified(), "reason", tr.KeylessReason())
		}
	}
	if run.reading != nil && run.reading.upto == nil && run.reading.gen == run.gen && run.reading.err == nil {
		// (An open-ended chunk's read has ended: nextRun waited for it.)
		run.next = run.reading.last
	}
	limit := 0
	if run.reader.Keyed() {
		limit = m.cfg.ChunkRows
		if run.avgRow > 0 && m.cfg.ChunkBytes > 0 {
			if byBytes := m.cfg.ChunkBytes / run.avgRow; byBytes < int64(limit) {
				limit = int(max(byBytes, 1))
			}
		}
		if run.chunks == 0 {
			m.planRanges(ctx, run, limit)
		}
	}
	after := run.next
	var upto Key
	if run.step > 0 {
		lo := run.rangeMin - 1
		if after != nil {
			if n, err := strconv.ParseInt(string(after[0]), 10, 64); err == nil {
				lo = n
			}
		}
		if lo < run.rangeMax {
			hi := run.rangeMax
			if run.rangeMax-lo > run.step {
				hi = lo + run.step
			}
			upto = Key{[]byte(strconv.FormatInt(hi, 10))}
			limit = 0
			run.next = upto
		}
	}
	run.chunks++
	c := &chunk{run: run, gen: run.gen, version: v, tr: run.reader, after: after, upto: upto, limit: limit, seq: run.chunks, min: m.streamPos,
		hReady: make(chan struct{}), rows: make(chan []*core.Record, 8), readDone: make(chan struct{}), discard: make(chan struct{})}
	run.reading = c
	m.readWG.Add(1)
	go m.read(c)
	return c, nil
}

// planRanges decides whether run's table, keyed by one integer column, is
// read in ranges of key values (chunks of it then read side by side, their
// bounds known in advance) rather than one keyset chunk after another: when
// its keys are dense enough (estimated rows over the key span) that a range
// holds about a chunk's rows. Keys past the greatest one at planning time,
// inserted during the copy, are read after the ranges by keyset chunks.
func (m *Merger) planRanges(ctx context.Context, run *tableRun, chunkRows int) {
	run.step = 0
	if !run.reader.IntegerKey() || run.est < 4*int64(chunkRows) || m.cfg.Parallel < 2 {
		return
	}
	var lo, hi sql.NullString
	if err := m.cfg.DB.QueryRowContext(ctx, run.reader.MinMaxQuery()).Scan(&lo, &hi); err != nil || !lo.Valid || !hi.Valid {
		return
	}
	first, err1 := strconv.ParseInt(lo.String, 10, 64)
	last, err2 := strconv.ParseInt(hi.String, 10, 64)
	if err1 != nil || err2 != nil || last <= first || last-first < 0 {
		return // unsigned keys past the int64 range: keyset chunks
	}
	density := float64(run.est) / (float64(last-first) + 1)
	if density < 0.25 {
		return
	}
	run.rangeMin, run.rangeMax = first, last
	run.step = max(int64(float64(chunkRows)/min(density, 1)), 1)
	m.log.Debug("snapshot: table read in key ranges", "table", run.tok.qualified(), "min", first, "max", last, "step", run.step)
}

// Rows of a chunk travel in batches of at most these many rows or bytes.
const (
	batchRows  = 512
	batchBytes = 1 << 20
)

// read runs one chunk's query.
func (m *Merger) read(c *chunk) {
	defer m.readWG.Done()
	defer close(c.rows)
	setH := func(p core.Position, err error) {
		c.h, c.hErr, c.at = p, err, time.Now()
		close(c.hReady)
	}
	conn, err := m.readers.acquire(m.ctx)
	if err != nil {
		setH(core.Position{}, err)
		c.err = err
		close(c.readDone)
		return
	}
	h, err := m.readers.beginAfter(m.ctx, conn, c.min)
	setH(h, err)
	if err != nil {
		c.err = err
		close(c.readDone)
		m.readers.release(conn)
		return
	}
	c.err = m.query(conn, c)
	if err := m.readers.end(conn); err != nil && c.err == nil {
		c.err = fmt.Errorf("snapshot: end the read of %s: %w", c.version.QualifiedName(), err)
	}
	m.readers.release(conn)
	close(c.readDone)
}

func (m *Merger) query(conn *sql.Conn, c *chunk) error {
	txID := "snapshot:" + c.version.QualifiedName() + ":" + strconv.Itoa(c.seq)
	var batch []*core.Record
	size := 0
	send := func() error {
		if len(batch) == 0 {
			return nil
		}
		select {
		case c.rows <- batch:
		case <-c.discard:
		case <-m.ctx.Done():
			return m.ctx.Err()
		}
		batch, size = nil, 0
		return nil
	}
	dropped, seq := false, 0
	n, last, err := c.tr.ReadChunk(m.ctx, conn, c.after, c.upto, c.limit, func(raw []sql.RawBytes) error {
		if !dropped {
			select {
			case <-c.discard:
				dropped = true
			default:
			}
		}
		if dropped {
			return nil
		}
		vals, err := c.tr.Decode(raw)
		if err != nil {
			return fmt.Errorf("snapshot: %s, a row of the chunk after %v: %w", c.version.QualifiedName(), c.after.Strings(), err)
		}
		r := &core.Record{Op: core.OpRead, Table: c.version, After: vals, Position: c.h, TxID: txID, TxSeq: seq, CommitTime: c.at}
		seq++
		batch = append(batch, r)
		size += r.Size()
		if len(batch) >= batchRows || size >= batchBytes {
			return send()
		}
		return nil
	})
	c.n, c.last = n, last
	if err != nil {
		return err
	}
	return send()
}

// tryInject starts emitting the first chunk in flight once the stream has
// reached its view position, between transactions.
func (m *Merger) tryInject() (bool, error) {
	if len(m.sched) == 0 || m.inTx {
		return false, nil
	}
	c := m.sched[0]
	reached := !m.streamPos.Less(c.h) || (m.head != nil && c.h.Less(m.head.Position))
	if !reached {
		return false, nil
	}
	m.sched = m.sched[1:]
	run := c.run
	if m.runs[run.tok] != run || c.gen != run.gen {
		m.drop(c) // the table's copy restarted or ended since
		return true, nil
	}
	if v := m.versions[tableKey(run.tok.Schema, run.tok.Name)]; v != c.version {
		// A DDL between the chunk's scheduling and its view: read it
		// again, with the definition in force there.
		m.log.Info("snapshot: the table changed before the chunk's view: the chunk is read again", "table", run.tok.qualified())
		m.drop(c)
		m.rewind(run)
		return true, nil
	}
	if run.tok.State == statePending {
		if run.tok.Truncate {
			m.out = append(m.out, m.truncateRecord(c.version))
		} else {
			m.out = append(m.out, m.createRecord(c.version, true))
		}
	}
	m.inj, m.injB, m.injAt = c, nil, 0
	run.live = 0
	return true, nil
}

// final reports the table's last chunk: no bound above, and fewer rows
// than it could have read.
func (c *chunk) final() bool { return c.upto == nil && (c.limit == 0 || c.n < c.limit) }

// drop abandons a chunk in flight: its reader drops its rows.
func (m *Merger) drop(c *chunk) {
	if !c.dropped {
		c.dropped = true
		close(c.discard)
	}
}

// rewind makes run's next chunk start after the last one emitted, and
// drops the later chunks in flight.
func (m *Merger) rewind(run *tableRun) {
	run.gen++
	run.reading, run.ended = nil, false
	k, err := KeyFromStrings(run.tok.After)
	if err != nil {
		k = nil
	}
	run.next = k
	for _, c := range m.sched {
		if c.run == run {
			m.drop(c)
		}
	}
}

// chunkFailed decides what a failed chunk read means: a table changed
// under its view (read it again), or an error that stops the pipeline.
func (m *Merger) chunkFailed(c *chunk) error {
	run := c.run
	var me *mysql.MySQLError
	transient := errors.As(c.err, &me) && (me.Number == 1412 || me.Number == 1054 || me.Number == 1146 || me.Number == 1213 || me.Number == 1205)
	if transient && m.readers.mode == viewPerChunk && run.retries < 5 {
		run.retries++
		m.log.Info("snapshot: a chunk read failed; it is read again in a new view", "table", run.tok.qualified(), "err", c.err, "attempt", run.retries)
		m.rewind(run)
		return nil
	}
	if transient {
		return core.Retryable(c.err)
	}
	return c.err
}

// endInjection closes the chunk being emitted: the table's progress moves
// on, and a progress record carries it into the checkpoint.
func (m *Merger) endInjection() error {
	c := m.inj
	m.inj, m.injB, m.injAt = nil, nil, 0
	txID := "snapshot:" + c.version.QualifiedName() + ":" + strconv.Itoa(c.seq)
	if c.err != nil {
		if err := m.chunkFailed(c); err != nil {
			return err
		}
		// The rows emitted before the failure are the table as it was
		// at the chunk's view, which the stream continues from: keep
		// them, close their transaction, read the chunk again.
		m.out = append(m.out, &core.Record{Op: core.OpProgress, Position: c.h, TxID: txID, TxEnd: true, Checkpoint: m.checkpoint(), CommitTime: c.at})
		return nil
	}
	run := c.run
	run.retries = 0
	tt := run.tok
	tt.Rows += int64(c.n)
	if final := c.final(); final {
		m.prog.Done++
		m.prog.DoneRows += tt.Rows
		m.log.Info("snapshot: table copied", "table", tt.qualified(), "rows", tt.Rows, "chunks", run.chunks,
			"took", time.Since(run.start).Round(time.Millisecond).String())
		for i, x := range m.prog.Tables {
			if x == tt {
				m.prog.Tables = append(m.prog.Tables[:i], m.prog.Tables[i+1:]...)
				break
			}
		}
		m.mu.Lock()
		took := time.Since(run.start).Seconds()
		ts := TableStatus{Table: tt.qualified(), State: "done", Rows: tt.Rows, Estimated: tt.Rows, Seconds: took}
		if took > 0 {
			ts.RowsPerSecond = float64(tt.Rows) / took
		}
		m.status.finished = append(m.status.finished, ts)
		m.mu.Unlock()
		delete(m.runs, tt)
	} else {
		next := c.last
		if c.upto != nil {
			next = c.upto
		}
		tt.State, tt.After, tt.Truncate = stateCopying, next.Strings(), false
	}
	m.planChanged()
	m.checkFinished()
	m.out = append(m.out, &core.Record{Op: core.OpProgress, Position: c.h, TxID: txID, TxEnd: true, Checkpoint: m.checkpoint(), CommitTime: c.at})
	return nil
}

func (m *Merger) checkFinished() {
	if m.prog.active() || len(m.runs) > 0 {
		return
	}
	if m.prog.Done > 0 || len(m.prog.Requests) > 0 {
		m.log.Info("snapshot: complete", "tables", m.prog.Done, "rows", m.prog.DoneRows)
	}
	m.prog.Requests = nil
	m.prog.Done, m.prog.DoneRows = 0, 0
	if m.readers != nil {
		m.closeReaders()
	}
	m.dirty = true
}

func (m *Merger) closeReaders() {
	for _, c := range m.sched {
		m.drop(c)
	}
	m.readWG.Wait()
	m.readers.close()
	m.readers = nil
}

// createRecord makes the schema change that creates t's target.
func (m *Merger) createRecord(t *core.Table, withCheckpoint bool) *core.Record {
	ch := &core.SchemaChange{Kind: core.CreateTable, New: t, Database: t.Schema, Snapshot: true,
		Statement: "-- syncer snapshot: the target of " + t.QualifiedName() + ", before its rows are copied", Position: m.streamPos}
	r := &core.Record{Op: core.OpSchemaChange, Table: t, Change: ch, Position: m.streamPos, TxEnd: true, CommitTime: time.Now()}
	if withCheckpoint {
		r.Checkpoint = m.checkpoint()
	}
	return r
}

// truncateRecord makes the change that empties t's target before it is
// copied again.
func (m *Merger) truncateRecord(t *core.Table) *core.Record {
	ch := &core.SchemaChange{Kind: core.TruncateTable, Old: t, New: t, Database: t.Schema, Snapshot: true,
		Statement: "-- syncer snapshot: the target of " + t.QualifiedName() + " emptied, to be copied again", Position: m.streamPos}
	return &core.Record{Op: core.OpTruncate, Table: t, Change: ch, Position: m.streamPos, TxEnd: true, Checkpoint: m.checkpoint(), CommitTime: time.Now()}
}

// Ack passes the sink's committed checkpoint to the stream, and deletes
// the re-snapshot requests the committed progress has taken.
func (m *Merger) Ack(p core.Position) {
	cp := p
	cp.Snapshot = ""
	m.stream.Ack(cp)
	if !m.hasRequests.Load() || p.Snapshot == "" || m.cfg.RequestDir == "" {
		return
	}
	tok, err := decodeToken(p.Snapshot)
	if err != nil || tok == nil {
		return
	}
	for _, id := range tok.Requests {
		if err := os.Remove(filepath.Join(m.cfg.RequestDir, id+".json")); err == nil {
			m.log.Info("snapshot: re-snapshot request taken", "request", id)
		}
	}
}

// Close stops the reads and closes the stream.
func (m *Merger) Close() error {
	if m.cancel != nil {
		m.cancel()
	}
	if m.tick != nil {
		m.tick.Stop()
	}
	if m.readers != nil {
		m.readWG.Wait()
		m.readers.close()
	}
	// The stream's reader ends with the context; the stream is closed
	// after it (closing it under a Next in progress would race), or
	// after a grace period to unblock a Next that does not return.
	ended := make(chan struct{})
	go func() { m.streamWG.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
	}
	err := m.stream.Close()
	<-ended
	return err
}

// Request is a re-snapshot request (see WriteRequest).
type Request struct {
	ID          string    `json:"id"`
	Tables      []string  `json:"tables"`
	RequestedAt time.Time `json:"requested_at"`
}

// WriteRequest asks the pipeline whose request directory is dir to copy
// tables ("database.table") again while it streams: a running merger
// takes the request within a second, or the next start does. It returns
// the request's id.
func WriteRequest(dir string, tables []string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("snapshot: request directory: %w", err)
	}
	now := time.Now().UTC()
	req := Request{ID: now.Format("20060102T150405.000000000Z"), Tables: tables, RequestedAt: now}
	b, err := json.MarshalIndent(req, "", "  ")
	if err != nil {
		return "", err
	}
	tmp := filepath.Join(dir, "."+req.ID+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("snapshot: write the request: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, req.ID+".json")); err != nil {
		return "", fmt.Errorf("snapshot: write the request: %w", err)
	}
	return req.ID, nil
}

// pollRequests takes new re-snapshot requests.
func (m *Merger) pollRequests() {
	if m.cfg.RequestDir == "" || time.Since(m.lastPoll) < 900*time.Millisecond {
		return
	}
	m.lastPoll = time.Now()
	entries, err := os.ReadDir(m.cfg.RequestDir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			m.log.Warn("snapshot: cannot read the re-snapshot requests", "dir", m.cfg.RequestDir, "err", err)
		}
		return
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".json") && !strings.HasPrefix(n, ".") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		id := strings.TrimSuffix(n, ".json")
		if m.requests[id] {
			continue
		}
		m.requests[id] = true
		b, err := os.ReadFile(filepath.Join(m.cfg.RequestDir, n))
		var req Request
		if err == nil {
			err = json.Unmarshal(b, &req)
		}
		if err != nil {
			m.log.Error("snapshot: unreadable re-snapshot request: ignored", "file", filepath.Join(m.cfg.RequestDir, n), "err", err)
			continue
		}
		taken := 0
		for _, name := range req.Tables {
			db, table, ok := strings.Cut(name, ".")
			v := m.versions[tableKey(db, table)]
			if !ok || v == nil || !m.cfg.Included(db, table) {
				m.log.Error("snapshot: re-snapshot request names a table the pipeline does not replicate: ignored", "request", id, "table", name)
				continue
			}
			tt := m.findToken(db, table)
			if tt == nil {
				tt = &tableToken{Schema: db, Name: table}
				m.prog.Tables = append(m.prog.Tables, tt)
			}
			m.restart(tt, "a re-snapshot was requested ("+id+")")
			taken++
		}
		m.prog.Requests = append(m.prog.Requests, id)
		m.hasRequests.Store(true)
		m.planChanged()
		if taken > 0 {
			m.log.Info("snapshot: re-snapshot requested", "request", id, "tables", strings.Join(req.Tables, ","))
			if err := m.estimate(context.Background()); err != nil {
				m.log.Warn("snapshot: cannot estimate the tables' sizes", "err", err)
			}
		}
	}
}

var _ io.Closer = (*Merger)(nil)
