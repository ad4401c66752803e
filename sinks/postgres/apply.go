package postgres

// # How a batch is applied
//
// Apply runs one transaction. Each record becomes one or two lines of a
// per-table chunk in memory, in COPY text format, with two leading
// columns: _seq, the line's order in the batch, and _op, 'u' (upsert: the
// row's image after an insert, update or snapshot read) or 'd' (delete:
// the key of the deleted row). An update that changes the key becomes 'd'
// of the old key then 'u' of the new. When a chunk reaches
// Config.ChunkRows or ChunkBytes it is copied (COPY FROM STDIN) into the
// table's staging table, a TEMP table created once per session and table
// version:
//
//	CREATE TEMP TABLE "stage_3_orders" (_seq bigint, _op "char", c0 bigint, c1 text, ...) ON COMMIT DELETE ROWS
//
// (columns c0.. in source order, with the target's types; numbered so no
// source column name can clash with _seq and _op). So a transaction of any
// size streams through memory one chunk per table at a time.
//
// When the batch ends, the rest is copied and each table gets one
// set-based merge: the staged rows collapsed to each key's last image,
//
//	DELETE FROM "shop"."orders" AS _t
//	USING (SELECT DISTINCT ON (c0) c0, _op FROM pg_temp."stage_3_orders" ORDER BY c0, _seq DESC) AS _l
//	WHERE _l._op = 'd' AND _t."id" = _l.c0
//
//	INSERT INTO "shop"."orders" ("id", "total", ...)
//	SELECT _l.c0, _l.c1, ... FROM (SELECT DISTINCT ON (c0) * FROM pg_temp."stage_3_orders" ORDER BY c0, _seq DESC) AS _l
//	WHERE _l._op = 'u'
//	ON CONFLICT ("id") DO UPDATE SET "total" = EXCLUDED."total", ...
//
// (DO NOTHING when every column is in the key; the DELETE only when the
// batch deleted rows of the table). Then the checkpoint row is upserted
// and the transaction commits: rows and checkpoint together, or neither.
//
// # Inserts straight into the target
//
// While a keyed table's records of the batch are inserts (or snapshot
// reads) only, their chunks hold the row images alone and are copied
// straight into the target table (COPY "shop"."orders" ("id", ...) FROM
// STDIN), which is about half of Postgres's work per row; from the
// table's first update or delete in the batch on, everything of it is
// staged as above, and the merge applies on top of the rows copied
// directly (their changes all come before the staged ones, so each key's
// last image still wins). Only targets with a unique index on exactly
// the key columns take this path. If a direct COPY meets a key already
// there (rows written by someone else, an overlapping snapshot), the
// error is retryable and the sink stages that table from then on (for
// the life of the Sink): the pipeline re-applies the batch, upserting.
//
// # Overlap
//
// Chunks are copied by a goroutine of the Apply (see copier), so that
// encoding the next records overlaps with Postgres ingesting the chunk
// before; at most two chunks are in flight.
//
// # Keyless tables (Config.Keyless = full_row): the slow path
//
// A table without a usable key may hold identical rows, so its changes
// cannot be collapsed or matched by key. Its staging table holds the
// before image (b0..) and the after image (a0..) of each change, with
// _seq as primary key and _op 'i', 'u' or 'd', and the changes are applied
// in _seq order, one statement each, pipelined in a pgx.Batch: a run of
// inserts as one INSERT ... SELECT, a delete as
//
//	DELETE FROM T WHERE ctid = (SELECT _m.ctid FROM T AS _m, pg_temp.stage AS _b
//		WHERE _b._seq = $1 AND _m."c" IS NOT DISTINCT FROM _b.b0 AND ... LIMIT 1)
//
// (exactly one of identical rows) and an update likewise of one matching
// row. Each delete and update scans the target table: correct, but slow
// on large tables; give such tables a primary key when you can.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/seed5aa6e046/syncer/core"
)

// fullRowBatch bounds the statements of one pipelined pgx.Batch on the
// slow path.
const fullRowBatch = 1000

// stageSQL is the SQL of one table version's staging table and merge.
type stageSQL struct {
	create, copy string
	// direct copies a run of inserts straight into the target (keyed
	// tables).
	direct string
	// Keyed tables.
	del, ins string
	// Full-row tables.
	insRun, delOne, updOne string
	isKey                  []bool
}

// fullOp is one staged change of a full-row table.
type fullOp struct {
	seq int64
	op  byte
}

// chunk is a run of COPY lines of one table, encoded by Apply's
// goroutine and copied by the copier.
type chunk struct {
	p    *pending
	buf  []byte // COPY text
	rows int    // lines in buf
	// direct: the lines are target rows (columns only), for the target
	// itself; otherwise staging lines.
	direct bool
	// lines are the positions of the records of buf's lines, to name
	// the record of a line COPY refuses.
	lines []core.Position
}

// pending is what a batch has of one table.
type pending struct {
	ts  *tableState
	cur *chunk // lines not yet handed to the copier
	// direct: the table's records of the batch have been inserts only
	// so far and go straight into the target; from the first other
	// record on, everything goes through staging.
	direct  bool
	copied  int // lines copied (or handed to the copier) straight into the target
	staged  int // lines staged (or handed to the copier) so far
	deletes int // 'd' lines (keyed tables)
	upserts int // 'u' lines (keyed tables)
	ops     []fullOp
}

// applier is the state of one Apply.
type applier struct {
	s       *Sink
	tx      pgx.Tx
	ctx     context.Context
	cp      *copier // nil while no chunk is in flight
	seq     int64
	records int
	pend    map[*tableState]*pending
	order   []*pending
	// touched are the states whose session fields (ensured, stage) this
	// transaction set: reset on rollback, since what it created is gone.
	touched []*tableState
}

// Apply applies the batch's records and its checkpoint in one transaction.
func (s *Sink) Apply(ctx context.Context, b core.Batch) (err error) {
	if s.conn == nil || s.conn.IsClosed() {
		return core.Retryable(errors.New("postgres sink: apply: the sink is not open (or its connection was lost); open it again"))
	}
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return s.fail(ctx, "apply: begin", err)
	}
	a := &applier{s: s, tx: tx, ctx: ctx, pend: map[*tableState]*pending{}}
	defer func() {
		if err != nil {
			// The copier owns the connection while chunks are in
			// flight: let it finish (its error, if any, is a
			// consequence of this one) before rolling back.
			_ = a.sync()
			s.rollback(ctx, tx)
			for _, ts := range a.touched {
				ts.ensured, ts.direct, ts.stage, ts.sql = false, false, "", nil
			}
		}
		a.release()
	}()
	if err := s.fence(ctx, tx); err != nil {
		return s.fail(ctx, "apply", err)
	}
	for {
		r, err := b.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			// The batch was abandoned (the pipeline stops) or ctx ended:
			// roll back, keep the cause as is.
			return fmt.Errorf("postgres sink: batch ended after %d records without its end: %w; rolled back", a.records, err)
		}
		a.records++
		if err := a.add(ctx, r); err != nil {
			return err
		}
	}
	for _, p := range a.order {
		if err := a.flush(p); err != nil {
			return err
		}
	}
	if err := a.sync(); err != nil {
		return err
	}
	var direct, staged int
	for _, p := range a.order {
		if err := a.merge(ctx, p); err != nil {
			return err
		}
		direct += p.copied
		staged += p.staged
	}
	cp := b.Checkpoint()
	if err := s.saveCheckpoint(ctx, tx, cp); err != nil {
		return s.fail(ctx, "apply", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return s.fail(ctx, fmt.Sprintf("apply: commit of %d records with checkpoint %s", a.records, cp), err)
	}
	s.committed = cp
	s.directRows += int64(direct)
	s.stagedRows += int64(staged)
	s.log.Debug("postgres sink: batch applied", "records", a.records, "tables", len(a.order),
		"direct_rows", direct, "staged_rows", staged, "checkpoint", cp.String())
	return nil
}

// maxFree bounds the chunks the sink keeps for reuse.
const maxFree = 8

// getChunk returns an empty chunk for p, reused when the sink has one.
func (s *Sink) getChunk(p *pending) *chunk {
	s.freeMu.Lock()
	var c *chunk
	if n := len(s.free); n > 0 {
		c = s.free[n-1]
		s.free[n-1] = nil
		s.free = s.free[:n-1]
	}
	s.freeMu.Unlock()
	if c == nil {
		c = &chunk{}
	}
	c.p, c.direct = p, p.direct
	return c
}

// putChunk hands a chunk back for reuse (unless it grew too large).
func (s *Sink) putChunk(c *chunk) {
	if c == nil || cap(c.buf) > 2*s.cfg.ChunkBytes {
		return
	}
	c.p, c.buf, c.rows, c.lines = nil, c.buf[:0], 0, c.lines[:0]
	s.freeMu.Lock()
	if len(s.free) < maxFree {
		s.free = append(s.free, c)
	}
	s.freeMu.Unlock()
}

// release hands the chunks back to the sink.
func (a *applier) release() {
	for _, p := range a.order {
		a.s.putChunk(p.cur)
		p.cur = nil
	}
}

// add stages one record.
func (a *applier) add(ctx context.Context, r *core.Record) error {
	switch r.Op {
	case core.OpInsert, core.OpRead, core.OpUpdate, core.OpDelete:
	case core.OpProgress:
		return nil
	default:
		return fmt.Errorf("postgres sink: %s record at %s in a batch: batches hold row changes only (a bug in the pipeline)", r.Op, r.Position)
	}
	if r.Table == nil {
		return fmt.Errorf("postgres sink: %s record at %s without a table definition (a bug in the source)", r.Op, r.Position)
	}
	ts, err := a.s.state(r.Table)
	if err != nil {
		return wrapErr(err, fmt.Sprintf("postgres sink: %s record at %s: ", r.Op, r.Position), "")
	}
	p := a.pend[ts]
	if p == nil {
		if p, err = a.begin(ctx, ts); err != nil {
			return err
		}
	}
	plan := ts.plan
	for _, img := range [][]core.Value{r.Before, r.After} {
		if img != nil && len(img) != len(plan.Columns) {
			return rowError(plan, r, fmt.Errorf("the record has %d values, the table %d columns (a bug in the source)", len(img), len(plan.Columns)))
		}
	}
	if p.direct && r.Op != core.OpInsert && r.Op != core.OpRead {
		// The table's first update or delete of the batch: the inserts
		// so far go straight to the target, this record and the rest
		// of the batch through staging, merged on top of them.
		if err := a.flush(p); err != nil {
			return err
		}
		p.direct, p.cur.direct = false, false
	}
	c := p.cur
	rows := c.rows
	if plan.FullRow {
		err = a.encodeFullRow(p, r)
	} else {
		err = a.encodeKeyed(p, r)
	}
	if err != nil {
		return rowError(plan, r, err)
	}
	for ; rows < c.rows; rows++ {
		c.lines = append(c.lines, r.Position)
	}
	if c.rows >= a.s.cfg.ChunkRows || len(c.buf) >= a.s.cfg.ChunkBytes {
		return a.flush(p)
	}
	return nil
}

// begin prepares a table's first record of the batch: the target table
// on its first use in the session, the staging table, the chunk.
func (a *applier) begin(ctx context.Context, ts *tableState) (*pending, error) {
	plan := ts.plan
	if !plan.FullRow && len(plan.Key) == 0 {
		return nil, fmt.Errorf("postgres sink: table %s has no key to match rows on: give it a primary key, or set keyless to %q", tableName(plan), KeylessFullRow)
	}
	if !ts.ensured || ts.stage == "" {
		// Statements of this goroutine: the copier must be done with
		// the connection.
		if err := a.sync(); err != nil {
			return nil, err
		}
	}
	if !ts.ensured {
		if err := ensureTable(ctx, a.tx, a.s.cfg, plan); err != nil {
			return nil, a.s.fail(ctx, "table "+tableName(plan)+": create or check the target table", err)
		}
		direct := false
		if !plan.FullRow {
			var err error
			if direct, err = hasKeyIndex(ctx, a.tx, plan); err != nil {
				return nil, a.s.fail(ctx, "table "+tableName(plan)+": look up the target's unique indexes", err)
			}
		}
		ts.ensured, ts.direct = true, direct
		a.touched = append(a.touched, ts)
	}
	if ts.stage == "" {
		a.s.stageSeq++
		name := stageName(a.s.stageSeq, plan.Name)
		sql := buildStageSQL(plan, name)
		if _, err := a.tx.Exec(ctx, sql.create); err != nil {
			return nil, a.s.fail(ctx, "table "+tableName(plan)+": create the staging table", err)
		}
		ts.stage, ts.sql = name, sql
		a.touched = append(a.touched, ts)
	}
	p := &pending{ts: ts, direct: ts.direct && !a.s.noDirect[plan.ident()]}
	p.cur = a.s.getChunk(p)
	a.pend[ts] = p
	a.order = append(a.order, p)
	return p, nil
}

// hasKeyIndex reports whether the target has a unique index on exactly
// the plan's key columns, as ON CONFLICT needs: only then may inserts be
// copied straight into it (without one, the staging path's upsert fails
// with a message that says what to do).
func hasKeyIndex(ctx context.Context, tx pgx.Tx, p *tablePlan) (bool, error) {
	key := make([]string, len(p.Key))
	for i, k := range p.Key {
		key[i] = p.Columns[k].Name
	}
	sort.Strings(key)
	var ok bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_index i
		WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
		AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text COLLATE "C")
			FROM unnest((i.indkey::int2[])[0:i.indnkeyatts - 1]) k(n)
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n) = $2::text[])`,
		p.ident(), key).Scan(&ok)
	return ok, err
}

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// stageName names a session's staging table: numbered, with the table's
// name for whoever looks at pg_class.
func stageName(n int, table string) string {
	name := "stage_" + strconv.Itoa(n) + "_" + nonIdent.ReplaceAllString(strings.ToLower(table), "")
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

// buildStageSQL writes the staging table's and the merge's statements.
func buildStageSQL(p *tablePlan, stage string) *stageSQL {
	q := &stageSQL{isKey: make([]bool, len(p.Columns))}
	for _, k := range p.Key {
		q.isKey[k] = true
	}
	target := p.ident()
	st := "pg_temp." + quoteIdent(stage)
	col := func(prefix string, i int) string { return prefix + strconv.Itoa(i) }
	join := func(n int, f func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = f(i)
		}
		return strings.Join(parts, ", ")
	}
	targetCols := join(len(p.Columns), func(i int) string { return quoteIdent(p.Columns[i].Name) })
	typed := func(prefix string) string {
		return join(len(p.Columns), func(i int) string { return col(prefix, i) + " " + p.Columns[i].PGType })
	}
	q.copy = "COPY " + st + " FROM STDIN"
	if p.FullRow {
		q.create = "CREATE TEMP TABLE " + quoteIdent(stage) + " (_seq bigint PRIMARY KEY, _op \"char\", " +
			typed("b") + ", " + typed("a") + ") ON COMMIT DELETE ROWS"
		q.insRun = "INSERT INTO " + target + " (" + targetCols + ") SELECT " +
			join(len(p.Columns), func(i int) string { return col("a", i) }) +
			" FROM " + st + " WHERE _seq BETWEEN $1 AND $2 ORDER BY _seq"
		match := "(SELECT _m.ctid FROM " + target + " AS _m, " + st + " AS _b WHERE _b._seq = $1 AND " +
			strings.Join(func() []string {
				conds := make([]string, len(p.Columns))
				for i := range conds {
					conds[i] = "_m." + quoteIdent(p.Columns[i].Name) + " IS NOT DISTINCT FROM _b." + col("b", i)
				}
				return conds
			}(), " AND ") + " LIMIT 1)"
		q.delOne = "DELETE FROM " + target + " WHERE ctid = " + match
		q.updOne = "UPDATE " + target + " AS _t SET " +
			join(len(p.Columns), func(i int) string { return quoteIdent(p.Columns[i].Name) + " = _s." + col("a", i) }) +
			" FROM " + st + " AS _s WHERE _s._seq = $1 AND _t.ctid = " + match
		return q
	}
	q.create = "CREATE TEMP TABLE " + quoteIdent(stage) + " (_seq bigint, _op \"char\", " + typed("c") + ") ON COMMIT DELETE ROWS"
	q.direct = "COPY " + target + " (" + targetCols + ") FROM STDIN"
	stageKey := join(len(p.Key), func(i int) string { return col("c", p.Key[i]) })
	q.del = "DELETE FROM " + target + " AS _t USING (SELECT DISTINCT ON (" + stageKey + ") " + stageKey + ", _op FROM " + st +
		" ORDER BY " + stageKey + ", _seq DESC) AS _l WHERE _l._op = 'd' AND " +
		strings.ReplaceAll(join(len(p.Key), func(i int) string {
			return "_t." + quoteIdent(p.Columns[p.Key[i]].Name) + " = _l." + col("c", p.Key[i])
		}), ", ", " AND ")
	var set []string
	for i := range p.Columns {
		if !q.isKey[i] {
			n := quoteIdent(p.Columns[i].Name)
			set = append(set, n+" = EXCLUDED."+n)
		}
	}
	action := "DO NOTHING"
	if len(set) > 0 {
		action = "DO UPDATE SET " + strings.Join(set, ", ")
	}
	q.ins = "INSERT INTO " + target + " (" + targetCols + ") SELECT " +
		join(len(p.Columns), func(i int) string { return "_l." + col("c", i) }) +
		" FROM (SELECT DISTINCT ON (" + stageKey + ") * FROM " + st + " ORDER BY " + stageKey + ", _seq DESC) AS _l" +
		" WHERE _l._op = 'u' ON CONFLICT (" + join(len(p.Key), func(i int) string { return quoteIdent(p.Columns[p.Key[i]].Name) }) +
		") " + action
	return q
}

// keyChanged reports whether an update moves the row to another key.
func keyChanged(p *tablePlan, before, after []core.Value) bool {
	for _, k := range p.Key {
		if !before[k].Equal(after[k]) {
			return true
		}
	}
	return false
}

// encodeKeyed stages a record of a keyed table.
func (a *applier) encodeKeyed(p *pending, r *core.Record) error {
	switch r.Op {
	case core.OpInsert, core.OpRead:
		return a.line(p, 'u', r.After)
	case core.OpDelete:
		return a.line(p, 'd', r.Before)
	}
	if r.Before != nil && keyChanged(p.ts.plan, r.Before, r.After) {
		if err := a.line(p, 'd', r.Before); err != nil {
			return err
		}
	}
	return a.line(p, 'u', r.After)
}

// line appends one line of a keyed table: for a staged line _seq, _op,
// then the whole image for an upsert, the key alone for a delete (other
// columns NULL, so that a value the policies refuse cannot fail a
// delete); for a direct chunk the image alone.
func (a *applier) line(p *pending, op byte, img []core.Value) error {
	if img == nil {
		return fmt.Errorf("no row image for the %c line", op)
	}
	c := p.cur
	start := len(c.buf)
	buf := c.buf
	if !c.direct {
		buf = strconv.AppendInt(buf, a.seq, 10)
		buf = append(buf, '\t', op)
	}
	plan, isKey := p.ts.plan, p.ts.sql.isKey
	var err error
	for i := range plan.Columns {
		if i > 0 || !c.direct {
			buf = append(buf, '\t')
		}
		if op == 'd' && !isKey[i] {
			buf = append(buf, '\\', 'N')
			continue
		}
		if buf, err = plan.Columns[i].appendCopy(buf, img[i]); err != nil {
			c.buf = buf[:start]
			return err
		}
	}
	c.buf = append(buf, '\n')
	c.rows++
	a.seq++
	switch {
	case c.direct:
		p.copied++
	case op == 'd':
		p.staged++
		p.deletes++
	default:
		p.staged++
		p.upserts++
	}
	return nil
}

// encodeFullRow stages a record of a full-row table: before image, after
// image (NULLs for the one the op has not).
func (a *applier) encodeFullRow(p *pending, r *core.Record) error {
	var op byte
	switch r.Op {
	case core.OpInsert, core.OpRead:
		op = 'i'
	case core.OpDelete:
		op = 'd'
	default:
		op = 'u'
	}
	if (op != 'i' && r.Before == nil) || (op != 'd' && r.After == nil) {
		return fmt.Errorf("the %s record lacks a row image", r.Op)
	}
	c := p.cur
	start := len(c.buf)
	buf := strconv.AppendInt(c.buf, a.seq, 10)
	buf = append(buf, '\t', op)
	plan := p.ts.plan
	var err error
	before, after := r.Before, r.After
	if op == 'i' {
		before = nil
	}
	if op == 'd' {
		after = nil
	}
	for _, img := range [][]core.Value{before, after} {
		if img == nil {
			for range plan.Columns {
				buf = append(buf, '\t', '\\', 'N')
			}
			continue
		}
		for i := range plan.Columns {
			buf = append(buf, '\t')
			if buf, err = plan.Columns[i].appendCopy(buf, img[i]); err != nil {
				c.buf = buf[:start]
				return err
			}
		}
	}
	c.buf = append(buf, '\n')
	c.rows++
	p.staged++
	p.ops = append(p.ops, fullOp{a.seq, op})
	a.seq++
	return nil
}

// flush hands a table's chunk to the copier and starts a new one.
func (a *applier) flush(p *pending) error {
	if p.cur.rows == 0 {
		return nil
	}
	c := p.cur
	p.cur = a.s.getChunk(p)
	return a.send(c)
}

// # The copier
//
// While Postgres ingests a chunk, Apply's goroutine encodes the next
// records: a copier goroutine owns the connection while chunks are in
// flight and copies them one at a time, in order. The hand-off is
// unbuffered, so at most two chunks are in flight (one copying, one
// waiting to be taken) besides those being encoded. Whenever Apply's
// goroutine needs the connection itself (a table's first use in the
// session, the merge, a rollback), sync waits for the copier to finish.

// copier copies chunks on the connection, one at a time, in order.
type copier struct {
	jobs chan *chunk
	done chan struct{}
	// ctx is the copies' context: Apply's without its cancellation, so
	// that a pipeline stopping mid-batch lets the chunk in flight finish
	// and the connection stays usable (sync cancels it after a grace
	// period).
	ctx    context.Context
	cancel context.CancelFunc
	// failed is set once a copy failed: the rest are skipped and send
	// stops handing chunks over.
	failed atomic.Bool
	// err and errChunk are the first failure, read after done closes.
	err      error
	errChunk *chunk
}

func (a *applier) send(c *chunk) error {
	if a.cp == nil {
		cctx, cancel := context.WithCancel(context.WithoutCancel(a.ctx))
		a.cp = &copier{jobs: make(chan *chunk), done: make(chan struct{}), ctx: cctx, cancel: cancel}
		go a.cp.run(a.s)
	}
	if a.cp.failed.Load() {
		a.s.putChunk(c)
		return a.sync()
	}
	select {
	case a.cp.jobs <- c:
		return nil
	case <-a.ctx.Done():
		a.s.putChunk(c)
		return fmt.Errorf("postgres sink: batch stopped after %d records: %w; rolled back", a.records, a.ctx.Err())
	}
}

// copyGrace is how long a copy in flight may go on once Apply's context
// ended.
const copyGrace = 10 * time.Second

func (cp *copier) run(s *Sink) {
	defer close(cp.done)
	conn := s.conn.PgConn()
	for c := range cp.jobs {
		if cp.failed.Load() {
			s.putChunk(c)
			continue
		}
		copySQL := c.p.ts.sql.copy
		if c.direct {
			copySQL = c.p.ts.sql.direct
		}
		if _, err := conn.CopyFrom(cp.ctx, bytes.NewReader(c.buf), copySQL); err != nil {
			cp.err, cp.errChunk = err, c
			cp.failed.Store(true)
			continue
		}
		s.putChunk(c)
	}
}

// sync waits until the copier has copied every chunk handed to it, and
// returns the first copy's error.
func (a *applier) sync() error {
	cp := a.cp
	if cp == nil {
		return nil
	}
	a.cp = nil
	close(cp.jobs)
	select {
	case <-cp.done:
	case <-a.ctx.Done():
		t := time.NewTimer(copyGrace)
		select {
		case <-cp.done:
		case <-t.C:
			cp.cancel()
			<-cp.done
		}
		t.Stop()
	}
	cp.cancel()
	if cp.err == nil {
		return nil
	}
	// The failed chunk is not reused: when the connection broke,
	// pgconn's CopyFrom can return while its goroutine still reads it.
	return a.copyFailed(cp.errChunk, cp.err)
}

// copyFailed says which table, rows and record a failed COPY was about.
// A unique violation of a direct COPY means the target already held a
// key the batch inserts: the table is then always staged (upserted), and
// the batch retried.
func (a *applier) copyFailed(c *chunk, err error) error {
	plan := c.p.ts.plan
	what := fmt.Sprintf("table %s: copy %d rows into staging table %s", tableName(plan), c.rows, c.p.ts.stage)
	layout := "(_seq, _op, then the columns in source order)"
	if c.direct {
		what = fmt.Sprintf("table %s: copy %d inserted rows straight into the target table", tableName(plan), c.rows)
		layout = "(the columns in source order)"
	}
	if n, l := copyLine(err, c.buf); l != "" {
		what += ": the row "
		if n >= 1 && n <= len(c.lines) {
			what += "of the record at " + c.lines[n-1].String() + " "
		}
		what += "copied as " + l + " " + layout
	}
	var pgErr *pgconn.PgError
	if c.direct && errors.As(err, &pgErr) && pgErr.Code == "23505" && a.ctx.Err() == nil {
		a.s.noDirect[plan.ident()] = true
		a.s.log.Warn("postgres sink: an inserted key is already in the target table; its rows go through staging from now on",
			"table", plan.Source.QualifiedName(), "target", plan.ident(), "err", err)
		return core.Retryable(wrapErr(err, "postgres sink: "+what+": ", serverDetail(err)+
			"; the target table already holds a key the batch inserts (rows written by someone else, or an overlapping snapshot): "+
			"the sink now merges this table's rows through staging (insert or update by key), and "+retryHint))
	}
	return a.s.fail(a.ctx, what, err)
}

var copyLineRE = regexp.MustCompile(`COPY [^,]+, line (\d+)`)

// copyLine returns the number (from 1) and the text, quoted and
// shortened, of the line of chunk a COPY error's context names; "" when
// it names none.
func copyLine(err error, chunk []byte) (int, string) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return 0, ""
	}
	m := copyLineRE.FindStringSubmatch(pgErr.Where)
	if m == nil {
		return 0, ""
	}
	n, _ := strconv.Atoi(m[1])
	for i := 1; i < n && len(chunk) > 0; i++ {
		if j := bytes.IndexByte(chunk, '\n'); j >= 0 {
			chunk = chunk[j+1:]
		} else {
			chunk = nil
		}
	}
	if j := bytes.IndexByte(chunk, '\n'); j >= 0 {
		chunk = chunk[:j]
	}
	return n, strconv.Quote(truncate(string(chunk), 300))
}

// merge applies a table's staged rows to the target.
func (a *applier) merge(ctx context.Context, p *pending) error {
	if p.staged == 0 {
		// Nothing staged: the batch's rows, if any, were copied straight
		// into the target.
		return nil
	}
	plan, sql := p.ts.plan, p.ts.sql
	if plan.FullRow {
		return a.mergeFullRow(ctx, p)
	}
	if p.deletes > 0 {
		if _, err := a.tx.Exec(ctx, sql.del); err != nil {
			return a.s.fail(ctx, fmt.Sprintf("table %s: delete the %d rows the batch deleted", tableName(plan), p.deletes), err)
		}
	}
	if p.upserts > 0 {
		if _, err := a.tx.Exec(ctx, sql.ins); err != nil {
			return a.s.fail(ctx, fmt.Sprintf("table %s: upsert the %d row images of the batch", tableName(plan), p.upserts), err)
		}
	}
	return nil
}

// mergeFullRow applies a full-row table's staged changes in order, one
// statement each (a run of inserts in one), pipelined.
func (a *applier) mergeFullRow(ctx context.Context, p *pending) error {
	plan, sql := p.ts.plan, p.ts.sql
	var b pgx.Batch
	send := func() error {
		if b.Len() == 0 {
			return nil
		}
		err := a.tx.SendBatch(ctx, &b).Close()
		b = pgx.Batch{}
		if err != nil {
			return a.s.fail(ctx, fmt.Sprintf("table %s (keyless, matched on the full row): apply %d staged changes", tableName(plan), len(p.ops)), err)
		}
		return nil
	}
	ops := p.ops
	for i := 0; i < len(ops); {
		switch o := ops[i]; o.op {
		case 'i':
			j := i + 1
			for j < len(ops) && ops[j].op == 'i' {
				j++
			}
			b.Queue(sql.insRun, o.seq, ops[j-1].seq)
			i = j
		case 'd':
			b.Queue(sql.delOne, o.seq)
			i++
		default:
			b.Queue(sql.updOne, o.seq)
			i++
		}
		if b.Len() >= fullRowBatch {
			if err := send(); err != nil {
				return err
			}
		}
	}
	return send()
}
