package schema

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/seed5aa6e046/syncer/core"
)

// HistoryFile is the name of the schema history database inside the state
// directory of a pipeline.
const HistoryFile = "schema-history.db"

// lockTimeout bounds how long OpenHistory waits for the file lock: a
// second process on the same state directory is a configuration error to
// report at once, not something to wait for.
const lockTimeout = time.Second

// ErrNoHistory means the history cannot tell the schema at a point: the
// point is before the earliest baseline held (never captured, or pruned).
// A caller must refuse to decode events there rather than guess a schema.
var ErrNoHistory = errors.New("schema history: no schema known at this point")

// History is the schema history of one pipeline: every table version with
// the binlog point where it takes effect, in a crash-safe bbolt file
// (dir/schema-history.db). Every write is one fsync'd transaction, so after
// a crash the history holds a prefix of the calls that returned, never part
// of a call. A History is safe for concurrent use; only one History, in
// any process, can hold a directory at a time (a bbolt file lock).
//
// The history starts with a Baseline (the complete set of tables at a
// point); Records then add table versions and drops at later points. AsOf
// answers what was in force at any point from the earliest baseline on.
// Prune folds the past that no checkpoint needs any more into a baseline.
//
// A pipeline uses it so:
//
//	h, err := schema.OpenHistory(stateDir)
//	cp, ok, err := h.LoadCheckpoint()
//	if !ok {
//		// First start: drop what a start that never reached a
//		// checkpoint left (Point{} is before every point), capture
//		// every table, then stream from there.
//		_, err = h.TruncateAfter(schema.Point{})
//		err = h.Baseline(start, tables)
//	} else {
//		// Restart: forget DDL recorded after the checkpoint (it will be
//		// read and recorded again), then decode with the schemas then.
//		_, err = h.TruncateAfter(cpPoint)
//		tables, err = h.AsOf(cpPoint) // ErrNoHistory: refuse, re-snapshot
//	}
//	// For each DDL event ending at p: h.Record(p, entries).
//	// After each durable checkpoint at p: h.SaveCheckpoint(...), and now
//	// and then h.Prune(p).
//
// Names are matched exactly (byte for byte): with lower_case_table_names
// set, the caller records and asks with the names already normalized.
// Table versions (core.Table.Version) are stored as given.
type History struct {
	db   *bolt.DB
	dir  string
	path string
}

// Entry is one change recorded at a point: a new version of the table
// Schema.Name, or its drop when Table is nil. A rename is a drop of the old
// name and a Table under the new one. Statement is the DDL text that made
// the change, kept for diagnostics.
type Entry struct {
	Schema, Name string
	Table        *core.Table // nil: the table was dropped
	Statement    string
}

// OpenHistory opens (creating dir and the file if needed) the schema history
// in dir. It fails within about a second when another process holds the
// same directory, and refuses a file that is not a schema history.
func OpenHistory(dir string) (*History, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("schema history: create state directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, HistoryFile)
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	db, err := openBolt(path)
	switch {
	case errors.Is(err, ErrCorrupt):
		return nil, fmt.Errorf("schema history: %w", err)
	case errors.Is(err, bolt.ErrTimeout):
		return nil, fmt.Errorf("schema history: %s is in use by another process (file lock not acquired within %v); is another pipeline running on state directory %s? %w",
			path, lockTimeout, dir, err)
	case errors.Is(err, bolt.ErrInvalid), errors.Is(err, bolt.ErrChecksum), errors.Is(err, bolt.ErrVersionMismatch):
		return nil, fmt.Errorf("schema history: %s is not a schema history database (corrupt or foreign file): %w", path, err)
	case err != nil:
		return nil, fmt.Errorf("schema history: open %s: %w", path, err)
	}
	h := &History{db: db, dir: dir, path: path}
	if err := h.update(initStore); err != nil {
		db.Close()
		if errors.Is(err, ErrCorrupt) {
			return nil, fmt.Errorf("schema history: %w", err) // names the file already
		}
		return nil, fmt.Errorf("schema history: %s: %w", path, err)
	}
	if err := h.check(); err != nil {
		db.Close()
		return nil, err
	}
	if created {
		// bbolt syncs the file, not the directory entry naming it: without
		// this a power loss could lose the whole new file.
		if err := syncDir(dir); err != nil {
			db.Close()
			return nil, fmt.Errorf("schema history: %w", err)
		}
	}
	return h, nil
}

// openBolt opens the file under the lock. bbolt.Open panics on some
// damaged files (a bad freelist page); that is reported as ErrCorrupt. The
// lock and descriptor bbolt took before panicking cannot be released from
// here: they go with the process, which is expected to stop on this error.
func openBolt(path string) (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("%w %s: %v", ErrCorrupt, path, r)
		}
	}()
	return bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
}

// check verifies the structure of the whole file once at open (every page
// reachable once, keys in order), so that a damaged file is reported as
// such up front rather than found in the middle of a replay.
func (h *History) check() error {
	var errs []error
	err := h.view(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			if len(errs) < 5 {
				errs = append(errs, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("schema history: check %s: %w", h.path, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("schema history: %s is corrupt (restore it, or remove it and start the pipeline from a new snapshot): %w",
			h.path, errors.Join(errs...))
	}
	return nil
}

// ErrCorrupt is wrapped by the errors of operations that found the file
// damaged.
var ErrCorrupt = errors.New("corrupt schema history file")

// view and update run bbolt transactions. bbolt panics on some damaged
// pages (it asserts page ids, types and counts as it walks); the file
// comes from disk, not from this process's own invariants, so that is a
// corrupt file to report, not a reason to crash. bbolt rolls the
// transaction back as the panic passes, so the History stays usable.
func (h *History) view(fn func(*bolt.Tx) error) (err error) {
	defer h.recoverCorrupt(&err)
	return h.db.View(fn)
}

func (h *History) update(fn func(*bolt.Tx) error) (err error) {
	defer h.recoverCorrupt(&err)
	return h.db.Update(fn)
}

func (h *History) recoverCorrupt(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w %s: %v", ErrCorrupt, h.path, r)
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync state directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync state directory %s: %w", dir, err)
	}
	return nil
}

// initStore creates the buckets of a new file and checks those of an
// existing one.
func initStore(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		// A new file has no bucket at all; any other bbolt file is
		// someone else's and must not be written to.
		foreign := false
		if err := tx.ForEach(func([]byte, *bolt.Bucket) error { foreign = true; return nil }); err != nil {
			return err
		}
		if foreign {
			return errors.New("not a schema history database (a bbolt file of another program)")
		}
		for _, name := range [][]byte{bucketMeta, bucketLog, bucketBaselines, bucketTables} {
			if _, err := tx.CreateBucket(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return tx.Bucket(bucketMeta).Put(keyFormat, []byte(historyFormat))
	}
	if f := meta.Get(keyFormat); string(f) != historyFormat {
		return fmt.Errorf("not a schema history database of this version (format %q, want %q)", f, historyFormat)
	}
	for _, name := range [][]byte{bucketLog, bucketBaselines, bucketTables} {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("corrupt schema history: bucket %s missing", name)
		}
	}
	return nil
}

// Close releases the file and its lock.
func (h *History) Close() error {
	if err := h.db.Close(); err != nil {
		return fmt.Errorf("schema history: close %s: %w", h.dir, err)
	}
	return nil
}

// Dir returns the state directory the history lives in.
func (h *History) Dir() string { return h.dir }

// Record stores the entries as taking effect at point at (after the event
// at that position), atomically: after a crash either all of them are
// stored or none. at must not be before the latest point already stored;
// several calls at the same point (a multi-statement DDL) apply in call
// order, as do entries of one call (so an entry for a table later in the
// same call wins). The history must have a baseline first: without one no
// point has a known schema, and Record returns an error wrapping
// ErrNoHistory. A call without entries stores nothing.
func (h *History) Record(at Point, entries []Entry) error {
	vals := make([][]byte, len(entries))
	for i, e := range entries {
		if e.Schema == "" || e.Name == "" {
			return fmt.Errorf("schema history: record at %v: entry %d has no schema or table name", at, i)
		}
		if e.Table == nil {
			vals[i] = encodeRecord(nil, recDrop, at, e.Schema, e.Name, e.Statement, nil)
			continue
		}
		if e.Table.Schema != e.Schema || e.Table.Name != e.Name {
			return fmt.Errorf("schema history: record at %v: entry %s.%s holds table %s (a rename is a drop and a create)",
				at, e.Schema, e.Name, e.Table.QualifiedName())
		}
		js, err := json.Marshal(e.Table)
		if err != nil {
			return fmt.Errorf("schema history: record at %v: encode %s.%s: %w", at, e.Schema, e.Name, err)
		}
		vals[i] = encodeRecord(nil, recTable, at, e.Schema, e.Name, e.Statement, js)
	}
	err := h.update(func(tx *bolt.Tx) error {
		if err := checkAppend(tx, at); err != nil {
			return err
		}
		if k, _ := tx.Bucket(bucketBaselines).Cursor().First(); k == nil {
			return fmt.Errorf("no baseline yet, so no schema to change: %w", ErrNoHistory)
		}
		for i, e := range entries {
			if err := appendRecord(tx, e.Schema, e.Name, vals[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("schema history: record at %v: %w", at, err)
	}
	return nil
}

// Baseline stores a complete set of tables in force at point at: AsOf(p)
// for p at or after at sees exactly these tables (plus later records), and
// earlier points still see the older history. at must not be before the
// latest point stored.
func (h *History) Baseline(at Point, tables []*core.Table) error {
	vals := make([][]byte, len(tables))
	seen := make(map[[2]string]bool, len(tables))
	for i, t := range tables {
		if t == nil || t.Schema == "" || t.Name == "" {
			return fmt.Errorf("schema history: baseline at %v: table %d is nil or unnamed", at, i)
		}
		id := [2]string{t.Schema, t.Name}
		if seen[id] {
			return fmt.Errorf("schema history: baseline at %v: table %s given twice", at, t.QualifiedName())
		}
		seen[id] = true
		js, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("schema history: baseline at %v: encode %s: %w", at, t.QualifiedName(), err)
		}
		vals[i] = encodeRecord(nil, recTable, at, t.Schema, t.Name, "", js)
	}
	err := h.update(func(tx *bolt.Tx) error {
		if err := checkAppend(tx, at); err != nil {
			return err
		}
		log := tx.Bucket(bucketLog)
		seq, err := log.NextSequence()
		if err != nil {
			return err
		}
		log.FillPercent = appendFill
		if err := log.Put(seqKey(seq), encodeRecord(nil, recBaseline, at, "", "", "", nil)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketBaselines).Put(seqKey(seq), nil); err != nil {
			return err
		}
		for i, t := range tables {
			if err := appendRecord(tx, t.Schema, t.Name, vals[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("schema history: baseline at %v: %w", at, err)
	}
	return nil
}

// appendFill packs log pages full: the log is written in key order, so
// bbolt's default half-full split would waste half of every page.
const appendFill = 0.95

// appendRecord stores one table record under the next sequence number and
// indexes it.
func appendRecord(tx *bolt.Tx, schema, name string, val []byte) error {
	log := tx.Bucket(bucketLog)
	log.FillPercent = appendFill
	seq, err := log.NextSequence()
	if err != nil {
		return err
	}
	if err := log.Put(seqKey(seq), val); err != nil {
		return err
	}
	return tx.Bucket(bucketTables).Put(indexKey(schema, name, seq), nil)
}

// checkAppend refuses a point before the latest one stored: the log must
// stay in point order for AsOf to be right.
func checkAppend(tx *bolt.Tx, at Point) error {
	latest, _, ok, err := latestPoint(tx)
	if err != nil {
		return err
	}
	if ok && at.Compare(latest) < 0 {
		return fmt.Errorf("point %v is before the latest point recorded %v: points must not go backwards", at, latest)
	}
	return nil
}

// Latest returns the point of the newest record or baseline, and whether
// there is any.
func (h *History) Latest() (Point, bool, error) {
	var p Point
	var ok bool
	err := h.view(func(tx *bolt.Tx) error {
		var err error
		p, _, ok, err = latestPoint(tx)
		return err
	})
	if err != nil {
		return Point{}, false, fmt.Errorf("schema history: latest: %w", err)
	}
	return p, ok, nil
}

func latestPoint(tx *bolt.Tx) (Point, uint64, bool, error) {
	k, v := tx.Bucket(bucketLog).Cursor().Last()
	if k == nil {
		return Point{}, 0, false, nil
	}
	var r logRecord
	if err := decodeRecord(v, &r); err != nil {
		return Point{}, 0, false, fmt.Errorf("log record %d: %w", seqOf(k), err)
	}
	return r.point(), seqOf(k), true, nil
}

func seqOf(k []byte) uint64 { return binary.BigEndian.Uint64(k) }

// readPoint returns the point of the log record at key k.
func readPoint(log *bolt.Bucket, k []byte) (Point, error) {
	var r logRecord
	if err := decodeRecord(log.Get(k), &r); err != nil {
		return Point{}, fmt.Errorf("log record %d: %w", seqOf(k), err)
	}
	return r.point(), nil
}

// findBaseline returns the sequence number of the newest baseline at or
// before p, or an error wrapping ErrNoHistory.
func findBaseline(tx *bolt.Tx, p Point) (uint64, error) {
	log := tx.Bucket(bucketLog)
	c := tx.Bucket(bucketBaselines).Cursor()
	var earliest Point
	found := false
	// Baselines are few (Prune folds them), so walking back is cheap.
	for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
		bp, err := readPoint(log, k)
		if err != nil {
			return 0, err
		}
		if bp.Compare(p) <= 0 {
			return seqOf(k), nil
		}
		earliest, found = bp, true
	}
	if !found {
		return 0, fmt.Errorf("%w: %v: the history has no baseline", ErrNoHistory, p)
	}
	return 0, fmt.Errorf("%w: %v is before the earliest baseline held, %v", ErrNoHistory, p, earliest)
}

// lastAtOrBefore returns the largest sequence number whose record is at or
// before p, given lo, a stored sequence number at or before p. The log is
// in point order, so this is a binary search over sequence numbers, which
// may have gaps (Prune removes records); Seek finds the next stored one.
func lastAtOrBefore(tx *bolt.Tx, p Point, lo uint64) (uint64, error) {
	log := tx.Bucket(bucketLog)
	c := log.Cursor()
	k, v := c.Last()
	var r logRecord
	if err := decodeRecord(v, &r); err != nil {
		return 0, fmt.Errorf("log record %d: %w", seqOf(k), err)
	}
	hi := seqOf(k)
	if r.point().Compare(p) <= 0 {
		return hi, nil
	}
	// Invariant: lo is stored and at or before p; every stored sequence
	// number >= hi is after p.
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		k, v := c.Seek(seqKey(mid))
		if k == nil || seqOf(k) >= hi {
			hi = mid
			continue
		}
		if err := decodeRecord(v, &r); err != nil {
			return 0, fmt.Errorf("log record %d: %w", seqOf(k), err)
		}
		if r.point().Compare(p) <= 0 {
			lo = seqOf(k)
		} else {
			hi = seqOf(k)
		}
	}
	return lo, nil
}

// AsOf returns every table in force at point p, sorted by schema and name:
// the tables of the newest baseline at or before p, changed by the records
// after it up to and including p. It returns an error wrapping ErrNoHistory
// when p is before the earliest baseline held.
func (h *History) AsOf(p Point) ([]*core.Table, error) {
	var out []*core.Table
	err := h.view(func(tx *bolt.Tx) error {
		base, err := findBaseline(tx, p)
		if err != nil {
			return err
		}
		last, err := lastAtOrBefore(tx, p, base)
		if err != nil {
			return err
		}
		state, err := foldLog(tx, base, last)
		if err != nil {
			return err
		}
		out, err = decodeTables(state)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("schema history: as of %v: %w", p, err)
	}
	return out, nil
}

// decodeTables unmarshals the definitions of state. JSON decoding is
// nearly all of the cost of AsOf over many tables, so large states are
// split over the available CPUs; each goroutine writes its own slots.
func decodeTables(state []inForce) ([]*core.Table, error) {
	out := make([]*core.Table, len(state))
	decode := func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			w := &state[i]
			t := new(core.Table)
			if err := json.Unmarshal(w.rec.table, t); err != nil {
				return fmt.Errorf("log record %d (%s.%s): decode table: %w", w.seq, w.rec.schema, w.rec.name, err)
			}
			out[i] = t
		}
		return nil
	}
	workers := min(runtime.GOMAXPROCS(0), len(state)/parallelDecodeMin)
	if workers <= 1 {
		return out, decode(0, len(state))
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for g := range workers {
		lo, hi := g*len(state)/workers, (g+1)*len(state)/workers
		wg.Go(func() { errs[g] = decode(lo, hi) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// parallelDecodeMin is the least number of tables worth a goroutine.
const parallelDecodeMin = 256

// inForce is the record in force for one table, as found by foldLog.
type inForce struct {
	seq uint64
	rec logRecord
}

// foldLog replays the log from the baseline marker at base to last and
// returns the record in force for each table that exists at the end,
// sorted by (schema, name). Records point into the transaction's pages.
func foldLog(tx *bolt.Tx, base, last uint64) ([]inForce, error) {
	c := tx.Bucket(bucketLog).Cursor()
	idx := make(map[string]int)
	var ws []inForce
	var key []byte
	for k, v := c.Seek(seqKey(base + 1)); k != nil && seqOf(k) <= last; k, v = c.Next() {
		var r logRecord
		if err := decodeRecord(v, &r); err != nil {
			return nil, fmt.Errorf("log record %d: %w", seqOf(k), err)
		}
		if r.kind == recBaseline {
			// Only the newest baseline at or before the point is
			// replayed; a second one in range means the log is not
			// in the order it was written in.
			return nil, fmt.Errorf("log record %d: unexpected baseline after baseline %d", seqOf(k), base)
		}
		key = append(append(append(key[:0], r.schema...), 0), r.name...)
		if i, ok := idx[string(key)]; ok {
			ws[i] = inForce{seqOf(k), r}
			continue
		}
		idx[string(key)] = len(ws)
		ws = append(ws, inForce{seqOf(k), r})
	}
	out := ws[:0]
	for _, w := range ws {
		if w.rec.kind == recTable {
			out = append(out, w)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if c := bytes.Compare(out[i].rec.schema, out[j].rec.schema); c != 0 {
			return c < 0
		}
		return bytes.Compare(out[i].rec.name, out[j].rec.name) < 0
	})
	return out, nil
}

// TableAsOf returns the table schema.name in force at point p, or nil (and
// no error) when it did not exist there. Like AsOf, it fails with
// ErrNoHistory when p is before the earliest baseline.
func (h *History) TableAsOf(p Point, schema, name string) (*core.Table, error) {
	var out *core.Table
	err := h.view(func(tx *bolt.Tx) error {
		base, err := findBaseline(tx, p)
		if err != nil {
			return err
		}
		last, err := lastAtOrBefore(tx, p, base)
		if err != nil {
			return err
		}
		// The newest index entry of the table at or before last: seek
		// past it and step back.
		prefix := indexKeyPrefix(nil, schema, name)
		c := tx.Bucket(bucketTables).Cursor()
		k, _ := c.Seek(indexKey(schema, name, last+1))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		if k == nil || len(k) != len(prefix)+8 || !bytes.HasPrefix(k, prefix) {
			return nil // never recorded at or before p
		}
		seq := seqOf(k[len(prefix):])
		if seq <= base {
			return nil // not part of the baseline in force
		}
		var r logRecord
		if err := decodeRecord(tx.Bucket(bucketLog).Get(k[len(prefix):]), &r); err != nil {
			return fmt.Errorf("log record %d: %w", seq, err)
		}
		if r.kind != recTable {
			return nil // dropped
		}
		out = new(core.Table)
		if err := json.Unmarshal(r.table, out); err != nil {
			return fmt.Errorf("log record %d (%s.%s): decode table: %w", seq, schema, name, err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("schema history: %s.%s as of %v: %w", schema, name, p, err)
	}
	return out, nil
}

// Prune removes what no checkpoint at or after keep can need, and returns
// how many log records that removed (net of those it wrote).
//
// It folds the newest baseline at or before keep, and every record after
// it up to keep, into one new baseline at the point of the last of those
// records (the latest point at or before keep), then deletes everything
// older. AsOf(p) is unchanged for every p at or after that point (so for
// every p >= keep); before it, AsOf returns ErrNoHistory. A history whose
// baselines are all after keep is left as it is.
//
// The fold rewrites every table in force, so its cost grows with the
// number of tables: call it when a checkpoint has been made durable, not
// after every event.
func (h *History) Prune(keep Point) (int, error) {
	removed := 0
	err := h.update(func(tx *bolt.Tx) error {
		base, err := findBaseline(tx, keep)
		if errors.Is(err, ErrNoHistory) {
			return nil // nothing at or before keep to fold
		}
		if err != nil {
			return err
		}
		last, err := lastAtOrBefore(tx, keep, base)
		if err != nil {
			return err
		}
		state, err := foldLog(tx, base, last)
		if err != nil {
			return err
		}
		log := tx.Bucket(bucketLog)
		var keys [][]byte
		c := log.Cursor()
		for k, _ := c.First(); k != nil && seqOf(k) <= last; k, _ = c.Next() {
			keys = append(keys, bytes.Clone(k))
		}
		// The fold needs a marker and one record per table, which fit in
		// the sequence numbers base..last (each table in force has a
		// record there, and the marker is one more). When nothing would
		// shrink, leave the file alone.
		if len(keys) <= len(state)+1 {
			return nil
		}
		lastPoint, err := readPoint(log, seqKey(last))
		if err != nil {
			return err
		}
		// Copy the surviving definitions out of the pages the deletes
		// below may reuse, re-encoded at the new baseline's point so that
		// the log stays in point order.
		vals := make([][]byte, len(state))
		for i, w := range state {
			vals[i] = encodeRecord(nil, recTable, lastPoint, string(w.rec.schema), string(w.rec.name),
				string(w.rec.statement), w.rec.table)
		}
		names := make([][2]string, len(state))
		for i, w := range state {
			names[i] = [2]string{string(w.rec.schema), string(w.rec.name)}
		}
		if err := deleteRecords(tx, keys); err != nil {
			return err
		}
		tables, baselines := tx.Bucket(bucketTables), tx.Bucket(bucketBaselines)
		marker := last - uint64(len(state))
		if err := log.Put(seqKey(marker), encodeRecord(nil, recBaseline, lastPoint, "", "", "", nil)); err != nil {
			return err
		}
		if err := baselines.Put(seqKey(marker), nil); err != nil {
			return err
		}
		for i, v := range vals {
			seq := marker + 1 + uint64(i)
			if err := log.Put(seqKey(seq), v); err != nil {
				return err
			}
			if err := tables.Put(indexKey(names[i][0], names[i][1], seq), nil); err != nil {
				return err
			}
		}
		removed = len(keys) - len(state) - 1
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("schema history: prune at %v: %w", keep, err)
	}
	return removed, nil
}

// TruncateAfter removes every record and baseline strictly after point p,
// and returns how many log records that removed.
//
// A pipeline calls it when it restarts from a checkpoint at p: the history
// may hold DDL recorded after p (written before the checkpoint was saved),
// and the pipeline is about to read those events again and record them
// again, which Record would refuse as going backwards. What is removed is
// exactly what the replay re-derives from the binlog.
func (h *History) TruncateAfter(p Point) (int, error) {
	removed := 0
	err := h.update(func(tx *bolt.Tx) error {
		log := tx.Bucket(bucketLog)
		var keys [][]byte
		c := log.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var r logRecord
			if err := decodeRecord(v, &r); err != nil {
				return fmt.Errorf("log record %d: %w", seqOf(k), err)
			}
			if r.point().Compare(p) <= 0 {
				break
			}
			keys = append(keys, bytes.Clone(k))
		}
		if err := lowerCovered(tx, p); err != nil {
			return err
		}
		if err := deleteRecords(tx, keys); err != nil {
			return err
		}
		removed = len(keys)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("schema history: truncate after %v: %w", p, err)
	}
	return removed, nil
}

// deleteRecords deletes log records and their index and baseline entries.
func deleteRecords(tx *bolt.Tx, keys [][]byte) error {
	log, tables, baselines := tx.Bucket(bucketLog), tx.Bucket(bucketTables), tx.Bucket(bucketBaselines)
	for _, k := range keys {
		var r logRecord
		if err := decodeRecord(log.Get(k), &r); err != nil {
			return fmt.Errorf("log record %d: %w", seqOf(k), err)
		}
		if r.kind == recBaseline {
			if err := baselines.Delete(k); err != nil {
				return err
			}
		} else if err := tables.Delete(indexKey(string(r.schema), string(r.name), seqOf(k))); err != nil {
			return err
		}
		if err := log.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// SaveCheckpoint stores the caller's checkpoint (the last position the
// pipeline reached, in whatever encoding it likes) in the same file as the
// history, durably, replacing the previous one.
func (h *History) SaveCheckpoint(data []byte) error {
	err := h.update(func(tx *bolt.Tx) error {
		// A version byte in front keeps an empty checkpoint distinct
		// from none and leaves room for a later encoding.
		return tx.Bucket(bucketMeta).Put(keyCheckpoint, append([]byte{checkpointV1}, data...))
	})
	if err != nil {
		return fmt.Errorf("schema history: save checkpoint: %w", err)
	}
	return nil
}

const checkpointV1 = 1

// LoadCheckpoint returns the checkpoint last saved, and false when none
// has been.
func (h *History) LoadCheckpoint() ([]byte, bool, error) {
	var out []byte
	var ok bool
	err := h.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(keyCheckpoint)
		if v == nil {
			return nil
		}
		if len(v) == 0 || v[0] != checkpointV1 {
			return errors.New("stored checkpoint has an unknown encoding")
		}
		out, ok = bytes.Clone(v[1:]), true
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("schema history: load checkpoint: %w", err)
	}
	return out, ok, nil
}
