package cdc

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
)

// RecordsConfig configures Records.
type RecordsConfig struct {
	// ExcludeColumn reports columns to drop from records (nil: none).
	// A primary key column cannot be excluded: the records of its table
	// are an error.
	ExcludeColumn func(database, table, column string) bool
	// Include limits tables (nil: all); records of other tables are not
	// produced. A schema change is produced when its old or its new table
	// is included; database changes always are.
	Include func(database, table string) bool
	// ReportPosition adds an OpProgress record when the source's
	// checkpoint moves past events outside any transaction (a binlog
	// rotation, a GTID list), so a consumer waiting for the stream to
	// reach a position (a snapshot chunk's) sees it reached even when no
	// transaction follows.
	ReportPosition bool
}

// eventSource is what Records reads: a Source, or in benchmarks a
// stand-in over binlog files.
type eventSource interface {
	Next(ctx context.Context) (*Event, error)
	Checkpoint() replication.Position
	CommitAt(p core.Position) error
	Close() error
}

// Records turns a Source's events into normalized change records
// (core.Record): one per row of a rows event, one per schema change, and
// an OpProgress record for a transaction that made none, so that
// checkpoints move past changes to excluded tables.
//
// Every record carries its transaction (TxID, TxSeq); the transaction's
// last record has TxEnd set and Checkpoint, the position a restart
// resumes from once the transaction is applied. Since a transaction's end
// is known only at its commit event, Records holds one record back until
// the next record or the commit arrives.
//
// A record owns its memory (see core.Record): its variable-width values
// live in one byte arena of its own and its Before and After in one slice
// of values, so a record costs about three allocations.
//
// Next, Close and the Source are for one goroutine; Ack may be called
// from any.
type Records struct {
	src eventSource
	cfg RecordsConfig

	ackMu   sync.Mutex
	ack     core.Position
	ackSet  bool
	err     error
	ready   []*core.Record // records to hand out, in order
	readyAt int
	held    *core.Record // the newest record, held until the next or the transaction's end

	// The event being turned into records.
	ev        *Event
	evTime    time.Time
	evPos     core.Position
	changes   []core.SchemaChange
	changeAt  int
	inRows    bool
	rows      binlog.RowIterator
	rowsOp    core.Op
	rowsProj  *projection
	rowsWidth int

	// The open transaction.
	inTx       bool
	txID       string
	txSeq      int
	hasOrigTS  bool
	origCommit time.Time
	// lastCheckpoint is the checkpoint of the last TxEnd record: an
	// OpProgress record is made only when the checkpoint moved.
	lastCheckpoint core.Position

	projs map[*core.Table]*projection

	// Per-record conversion scratch: the variable-width bytes of the
	// record being built and where each value's bytes are.
	scratch []byte
	spans   []span
}

// span is a variable-width value under construction: its bytes are
// scratch[start:end] until they are copied to the record's arena.
type span struct {
	idx        int
	kind       core.Kind
	start, end int
}

// projection is a table version as the records show it: without the
// excluded columns.
type projection struct {
	table *core.Table
	// keep are the source column indexes kept, nil for all.
	keep []int
	err  error
}

// NewRecords returns the records of src's events. Records reads src from
// then on: the caller uses Records' Next, Ack and Close, not src's.
func NewRecords(src *Source, cfg RecordsConfig) *Records {
	return newRecords(src, cfg)
}

func newRecords(src eventSource, cfg RecordsConfig) *Records {
	return &Records{src: src, cfg: cfg, projs: map[*core.Table]*projection{}}
}

// Ack reports that everything up to p (a record's Checkpoint) is durable
// downstream. Records makes it the source's committed checkpoint (see
// Source.CommitAt) from inside a later Next, between events (an idle
// source's heartbeats are events too). Ack is safe to call from any
// goroutine; of several acks before the commit, the furthest wins.
func (r *Records) Ack(p core.Position) {
	r.ackMu.Lock()
	if !r.ackSet || r.ack.Less(p) {
		r.ack, r.ackSet = p, true
	}
	r.ackMu.Unlock()
}

// Close closes the source.
func (r *Records) Close() error { return r.src.Close() }

// Tables returns the included tables as the records show them (without
// the excluded columns), with the definitions in force at the point the
// records have reached: before the first Next, the start. Between calls
// of Next only, from Next's goroutine.
func (r *Records) Tables() ([]*core.Table, error) {
	ts, ok := r.src.(interface{ Tables() []*core.Table })
	if !ok {
		return nil, fmt.Errorf("cdc: the records' source %T does not list its tables", r.src)
	}
	var out []*core.Table
	for _, t := range ts.Tables() {
		if !r.included(t.Schema, t.Name) {
			continue
		}
		p := r.project(t)
		if p.err != nil {
			return nil, p.err
		}
		out = append(out, p.table)
	}
	return out, nil
}

// Start returns the position the records start from: the source's start.
func (r *Records) Start() core.Position {
	if s, ok := r.src.(interface{ Start() replication.Position }); ok {
		return corePosition(s.Start())
	}
	return core.Position{}
}

// Next returns the next record. An error ends the records: every later
// call returns it.
func (r *Records) Next(ctx context.Context) (*core.Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	rec, err := r.next(ctx)
	if err != nil {
		r.err = err
		return nil, err
	}
	return rec, nil
}

func (r *Records) next(ctx context.Context) (*core.Record, error) {
	for {
		if r.readyAt < len(r.ready) {
			rec := r.ready[r.readyAt]
			r.ready[r.readyAt] = nil
			r.readyAt++
			if r.readyAt == len(r.ready) {
				r.ready, r.readyAt = r.ready[:0], 0
			}
			return rec, nil
		}
		if r.ev != nil {
			if err := r.step(); err != nil {
				return nil, err
			}
			continue
		}
		// Between events: the only place the source is committed.
		if err := r.commitAck(); err != nil {
			return nil, err
		}
		ev, err := r.src.Next(ctx)
		if err != nil {
			return nil, err
		}
		if err := r.begin(ev); err != nil {
			return nil, err
		}
	}
}

func (r *Records) commitAck() error {
	r.ackMu.Lock()
	p, ok := r.ack, r.ackSet
	r.ackSet = false
	r.ackMu.Unlock()
	if !ok {
		return nil
	}
	return r.src.CommitAt(p)
}

// begin takes a new event from the source.
func (r *Records) begin(ev *Event) error {
	if ev.Synthetic {
		return nil
	}
	if !r.inTx && (ev.InTransaction || ev.EndsTransaction || len(ev.SchemaChanges) > 0) {
		r.startTx(ev)
	}
	r.ev = ev
	r.evTime = time.Unix(int64(ev.Header.Timestamp), 0).UTC()
	if ev.InPayload {
		r.evPos = core.Position{File: ev.File, Pos: ev.Pos}
	} else {
		r.evPos = core.Position{File: ev.NextFile, Pos: ev.NextPos}
	}
	r.changes, r.changeAt = ev.SchemaChanges, 0
	r.inRows = false
	re, ok := ev.Body.(*binlog.RowsEvent)
	if !ok || re.Table == nil || ev.Table == nil || !r.included(ev.Table.Schema, ev.Table.Name) {
		return nil
	}
	switch re.Action() {
	case binlog.RowsInsert:
		r.rowsOp = core.OpInsert
	case binlog.RowsUpdate:
		r.rowsOp = core.OpUpdate
	case binlog.RowsDelete:
		r.rowsOp = core.OpDelete
	default:
		return nil
	}
	p := r.project(ev.Table)
	if p.err != nil {
		return p.err
	}
	if n := re.Table.ColumnCount; n != len(ev.Table.Columns) {
		return fmt.Errorf("cdc: binlog %s:%d: the rows event of %s has %d columns, its table version %d has %d",
			ev.File, ev.Pos, ev.Table.QualifiedName(), n, ev.Table.Version, len(ev.Table.Columns))
	}
	r.rowsProj, r.rowsWidth = p, len(ev.Table.Columns)
	r.rows.Reset(re)
	r.inRows = true
	return nil
}

func (r *Records) startTx(ev *Event) {
	r.inTx, r.txSeq, r.hasOrigTS = true, 0, false
	switch b := ev.Body.(type) {
	case *binlog.GTIDEvent:
		if !b.Anonymous {
			r.txID = b.GTID
		} else {
			r.txID = ev.File + ":" + strconv.FormatUint(ev.Pos, 10)
		}
		if b.HasCommitTimestamps && b.OriginalCommitTimestamp != 0 {
			r.hasOrigTS = true
			r.origCommit = time.UnixMicro(int64(b.OriginalCommitTimestamp)).UTC()
		}
	case *binlog.MariaGTIDEvent:
		r.txID = b.GTID
	default:
		r.txID = ev.File + ":" + strconv.FormatUint(ev.Pos, 10)
	}
}

// step makes the next record of the current event, or finishes it.
func (r *Records) step() error {
	ev := r.ev
	if r.changeAt < len(r.changes) {
		ch := r.changes[r.changeAt]
		r.changeAt++
		return r.schemaChange(&ch)
	}
	if r.inRows {
		if r.rows.Next() {
			rec, err := r.rowRecord()
			if err != nil {
				return fmt.Errorf("cdc: binlog %s:%d: %s row %d of %s: %w", ev.File, ev.Pos, ev.Header.Type, r.rows.Row(), ev.Table.QualifiedName(), err)
			}
			r.emit(rec)
			return nil
		}
		if err := r.rows.Err(); err != nil {
			return fmt.Errorf("cdc: binlog %s:%d: %s of %s: %w", ev.File, ev.Pos, ev.Header.Type, ev.Table.QualifiedName(), err)
		}
		r.inRows = false
	}
	if r.inTx && (ev.EndsTransaction || !ev.InTransaction) {
		r.endTx()
	} else if !r.inTx && r.held == nil && r.cfg.ReportPosition {
		if cp := corePosition(r.src.Checkpoint()); cp != r.lastCheckpoint {
			r.ready = append(r.ready, &core.Record{Op: core.OpProgress, Position: r.evPos, TxEnd: true, Checkpoint: cp, CommitTime: r.evTime})
			r.lastCheckpoint = cp
		}
	}
	r.ev, r.changes = nil, nil
	return nil
}

// emit adds a record of the open transaction, releasing the held one.
func (r *Records) emit(rec *core.Record) {
	rec.TxID, rec.TxSeq = r.txID, r.txSeq
	r.txSeq++
	if r.hasOrigTS {
		rec.CommitTime = r.origCommit
	}
	if r.held != nil {
		r.ready = append(r.ready, r.held)
	}
	r.held = rec
}

// endTx closes the open transaction at the current event.
func (r *Records) endTx() {
	cp := corePosition(r.src.Checkpoint())
	if rec := r.held; rec != nil {
		rec.TxEnd, rec.Checkpoint = true, cp
		if !r.hasOrigTS {
			rec.CommitTime = r.evTime
		}
		r.ready = append(r.ready, rec)
		r.held = nil
	} else if r.txSeq == 0 && cp != r.lastCheckpoint {
		ct := r.evTime
		if r.hasOrigTS {
			ct = r.origCommit
		}
		r.ready = append(r.ready, &core.Record{Op: core.OpProgress, Position: r.evPos, TxID: r.txID, TxEnd: true, Checkpoint: cp, CommitTime: ct})
	}
	if r.txSeq > 0 || cp != r.lastCheckpoint {
		r.lastCheckpoint = cp
	}
	r.inTx, r.txID, r.txSeq, r.hasOrigTS = false, "", 0, false
}

// corePosition converts a stream position.
func corePosition(p replication.Position) core.Position {
	out := core.Position{File: p.File, Pos: p.Pos}
	switch {
	case p.GTIDSet != nil:
		out.GTID = p.GTIDSet.String()
	case p.MariaDBGTID != nil:
		out.GTID = p.MariaDBGTID.String()
	}
	return out
}

func (r *Records) included(db, table string) bool {
	return r.cfg.Include == nil || r.cfg.Include(db, table)
}

// schemaChange makes the record of one schema change, if its tables are
// included.
func (r *Records) schemaChange(ch *core.SchemaChange) error {
	if ch.Old != nil || ch.New != nil {
		in := (ch.Old != nil && r.included(ch.Old.Schema, ch.Old.Name)) || (ch.New != nil && r.included(ch.New.Schema, ch.New.Name))
		if !in {
			return nil
		}
	}
	c := *ch
	if r.cfg.ExcludeColumn != nil {
		var renamed []core.ColumnRename
		for _, rn := range c.Renamed {
			if (c.Old == nil || !r.cfg.ExcludeColumn(c.Old.Schema, c.Old.Name, rn.From)) &&
				(c.New == nil || !r.cfg.ExcludeColumn(c.New.Schema, c.New.Name, rn.To)) {
				renamed = append(renamed, rn)
			}
		}
		c.Renamed = renamed
		for _, t := range []**core.Table{&c.Old, &c.New} {
			if *t == nil {
				continue
			}
			p := r.project(*t)
			if p.err != nil {
				return fmt.Errorf("cdc: schema change at %s (%s): %w", c.Position, c.Statement, p.err)
			}
			*t = p.table
		}
	} else if c.Renamed != nil {
		c.Renamed = append([]core.ColumnRename(nil), c.Renamed...)
	}
	rec := &core.Record{Op: core.OpSchemaChange, Change: &c, Table: c.New, Position: c.Position, CommitTime: r.evTime}
	if c.Kind == core.TruncateTable {
		rec.Op = core.OpTruncate
	}
	if c.New == nil {
		rec.Table = c.Old
	}
	if rec.Position.IsZero() {
		rec.Position = r.evPos
	}
	r.emit(rec)
	return nil
}

// maxProjections bounds the projection cache; it is emptied when full
// (table versions are few, but a long run may see many).
const maxProjections = 4096

// project returns the table as the records show it, cached per version so
// that the records of one version share one *core.Table.
func (r *Records) project(t *core.Table) *projection {
	if p, ok := r.projs[t]; ok {
		return p
	}
	if len(r.projs) >= maxProjections {
		clear(r.projs)
	}
	p := &projection{table: t}
	if ex := r.cfg.ExcludeColumn; ex != nil {
		var drop []bool
		for i, c := range t.Columns {
			if ex(t.Schema, t.Name, c.Name) {
				if drop == nil {
					drop = make([]bool, len(t.Columns))
				}
				drop[i] = true
			}
		}
		if drop != nil {
			p = projectTable(t, drop)
		}
	}
	r.projs[t] = p
	return p
}

// ProjectTable returns t without the columns exclude names, as Records
// shows it (an excluded primary key column is an error).
func ProjectTable(t *core.Table, exclude func(database, table, column string) bool) (*core.Table, error) {
	r := &Records{cfg: RecordsConfig{ExcludeColumn: exclude}, projs: map[*core.Table]*projection{}}
	p := r.project(t)
	return p.table, p.err
}

func projectTable(t *core.Table, drop []bool) *projection {
	p := &projection{}
	c := t.Clone()
	c.Columns = c.Columns[:0]
	dropped := map[string]bool{}
	for i, col := range t.Columns {
		if drop[i] {
			dropped[strings.ToLower(col.Name)] = true
			continue
		}
		p.keep = append(p.keep, i)
		c.Columns = append(c.Columns, col)
	}
	if t.PrimaryKey != nil {
		for _, k := range t.PrimaryKey.Columns {
			if dropped[strings.ToLower(k.Name)] {
				p.err = fmt.Errorf("cdc: column %q of %s is excluded, but it is in the primary key: the table's records could not be keyed. "+
					"Exclude another column or the whole table", k.Name, t.QualifiedName())
				return p
			}
		}
	}
	keys := c.UniqueKeys[:0]
	for _, k := range c.UniqueKeys {
		whole := true
		for _, kc := range k.Columns {
			if dropped[strings.ToLower(kc.Name)] {
				whole = false
			}
		}
		if whole {
			keys = append(keys, k)
		}
	}
	c.UniqueKeys = keys
	if len(keys) == 0 {
		c.UniqueKeys = nil
	}
	p.table = c
	return p
}

// rowRecord makes the record of the iterator's current row.
func (r *Records) rowRecord() (*core.Record, error) {
	p := r.rowsProj
	cols := p.table.Columns
	n := len(cols)
	before, after := r.rows.Before(), r.rows.After()
	images := 0
	if before != nil {
		images++
	}
	if after != nil {
		images++
	}
	vals := make([]core.Value, images*n)
	r.scratch, r.spans = r.scratch[:0], r.spans[:0]
	rec := &core.Record{Op: r.rowsOp, Table: p.table, Position: r.evPos, CommitTime: r.evTime}
	at := 0
	for k, img := range [2][]binlog.Value{before, after} {
		if img == nil {
			continue
		}
		if len(img) != r.rowsWidth {
			return nil, fmt.Errorf("row image of %d columns, table of %d", len(img), r.rowsWidth)
		}
		if out := vals[at : at+n : at+n]; k == 0 {
			rec.Before = out
		} else {
			rec.After = out
		}
		for j := range n {
			i := j
			if p.keep != nil {
				i = p.keep[j]
			}
			if err := r.convert(&img[i], &cols[j], at+j, vals); err != nil {
				return nil, fmt.Errorf("column %s: %w", cols[j].Name, err)
			}
		}
		at += n
	}
	if len(r.spans) > 0 {
		var arena []byte
		if len(r.scratch) > 0 {
			arena = make([]byte, len(r.scratch))
			copy(arena, r.scratch)
		}
		for _, s := range r.spans {
			b := arena[s.start:s.end:s.end]
			vals[s.idx] = core.VarValue(s.kind, b)
		}
	}
	return rec, nil
}

// ErrRowImageNotFull is wrapped by the error for a row image that lacks
// columns: the server logs with binlog_row_image MINIMAL or NOBLOB.
var ErrRowImageNotFull = errors.New("row image is not FULL")

// bytesSpan records that value idx of kind k is scratch[start:].
func (r *Records) bytesSpan(idx int, k core.Kind, start int) {
	r.spans = append(r.spans, span{idx: idx, kind: k, start: start, end: len(r.scratch)})
}

// convert turns one binlog value of column col into vals[idx], or into a
// span of the scratch bytes.
func (r *Records) convert(v *binlog.Value, col *core.Column, idx int, vals []core.Value) error {
	start := len(r.scratch)
	switch v.Kind() {
	case binlog.KindAbsent:
		return fmt.Errorf("%w: the column is not in the row image, so the server logs with binlog_row_image=MINIMAL or NOBLOB; "+
			"pipelines need whole rows: run SET GLOBAL binlog_row_image='FULL' and set binlog_row_image=FULL under [mysqld] in my.cnf", ErrRowImageNotFull)
	case binlog.KindNull:
		vals[idx] = core.Null()
	case binlog.KindInt:
		if col.Type.Unsigned {
			// Read as signed without signedness metadata: take the bits
			// back at the column's width.
			vals[idx] = core.UintValue(v.Uint64() & intMask(col.Type.Name))
		} else {
			vals[idx] = core.IntValue(v.Int64())
		}
	case binlog.KindUint:
		vals[idx] = core.UintValue(v.Uint64())
	case binlog.KindFloat32:
		vals[idx] = core.Float32Value(float32(v.Float64()))
	case binlog.KindFloat64:
		vals[idx] = core.Float64Value(v.Float64())
	case binlog.KindDecimal:
		r.scratch = v.AppendDecimal(r.scratch)
		r.bytesSpan(idx, core.KindDecimal, start)
	case binlog.KindBit:
		w := col.Type.Length
		if w == 0 {
			w = 1
		}
		vals[idx] = core.BitValue(v.Uint64(), w)
	case binlog.KindYear:
		vals[idx] = core.YearValue(int(v.Int64()))
	case binlog.KindDate:
		y, m, d := v.Date()
		vals[idx] = core.DateValue(core.Civil{Year: y, Month: m, Day: d})
	case binlog.KindDateTime:
		y, m, d := v.Date()
		h, mi, s, us, _ := v.Clock()
		vals[idx] = core.DateTimeValue(core.Civil{Year: y, Month: m, Day: d, Hour: h, Minute: mi, Second: s, Microsecond: us})
	case binlog.KindTimestamp:
		t, ok := v.Time()
		if !ok {
			vals[idx] = core.ZeroTimestampValue()
		} else {
			vals[idx] = core.TimestampValue(t.UnixMicro())
		}
	case binlog.KindTime:
		vals[idx] = core.TimeValue(v.Duration().Microseconds())
	case binlog.KindString:
		var ok bool
		if r.scratch, ok = v.AppendText(r.scratch); !ok {
			// Bytes that are not valid in the column's charset (or a
			// charset without a converter): keep what is UTF-8.
			r.scratch = binlog.AppendValidUTF8(r.scratch, v.Bytes())
		}
		k := core.KindString
		if col.Type.JSON || col.Type.Name == "json" {
			// JSON logged as text: MariaDB's JSON (LONGTEXT with a
			// json_valid check), a text column checked the same way.
			// (Name "json" without JSON: a definition stored before
			// ColumnType.JSON existed.)
			k = core.KindJSON
		}
		r.bytesSpan(idx, k, start)
	case binlog.KindBytes:
		r.scratch = append(r.scratch, v.Bytes()...)
		r.bytesSpan(idx, core.KindBytes, start)
	case binlog.KindEnum:
		// The table's labels are UTF-8 already (the TABLE_MAP's, when it
		// has them, are in the column charset and agree with them).
		switch i := v.Uint64(); {
		case i == 0: // the empty error value
		case i <= uint64(len(col.Type.Elems)):
			r.scratch = append(r.scratch, col.Type.Elems[i-1]...)
		default:
			var ok bool
			if r.scratch, ok = v.AppendText(r.scratch); !ok {
				return fmt.Errorf("ENUM index %d, but the column has %d labels", i, len(col.Type.Elems))
			}
		}
		r.bytesSpan(idx, core.KindEnum, start)
	case binlog.KindSet:
		bits := v.Uint64()
		labels := col.Type.Elems
		if len(labels) == 0 && v.Column() != nil {
			labels = v.Column().SetValues
		}
		for i, l := range labels {
			if i < 64 && bits&(1<<i) != 0 {
				if len(r.scratch) > start {
					r.scratch = append(r.scratch, ',')
				}
				r.scratch = append(r.scratch, l...)
			}
		}
		r.bytesSpan(idx, core.KindSet, start)
	case binlog.KindJSON, binlog.KindJSONText:
		var err error
		if r.scratch, err = v.AppendJSON(r.scratch); err != nil {
			return err
		}
		r.bytesSpan(idx, core.KindJSON, start)
	case binlog.KindGeometry:
		r.scratch = append(r.scratch, v.Bytes()...)
		r.bytesSpan(idx, core.KindGeometry, start)
	case binlog.KindVector:
		r.scratch = append(r.scratch, v.Bytes()...)
		r.bytesSpan(idx, core.KindVector, start)
	default:
		return fmt.Errorf("cannot convert a %s value", v.Kind())
	}
	return nil
}

// intMask is the bits of an integer type.
func intMask(typ string) uint64 {
	switch typ {
	case "tinyint":
		return 0xff
	case "smallint":
		return 0xffff
	case "mediumint":
		return 0xffffff
	case "int":
		return 0xffffffff
	}
	return ^uint64(0)
}
