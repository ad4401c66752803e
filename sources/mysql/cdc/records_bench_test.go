package cdc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/internal/benchbinlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
	"github.com/seed5aa6e046/syncer/sources/mysql/schema"
)

// BenchmarkRecords measures Records over the realistic binlog of `make
// bench-data` (BENCH_BINLOG_DIR): every row of it tracked against the
// schema history, as a Source does, and turned into a core.Record with
// its values converted and copied. Reported: records/s and the
// allocations of one record (allocs/record); allocs/op is per pass.
func BenchmarkRecords(b *testing.B) {
	files, paths, total := benchbinlog.Load(b)
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	n, err := recordsPass(b, files, names)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for i := 0; i < b.N; i++ {
		if _, err := recordsPass(b, files, names); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	// The setup of each pass (a tracker, a history) is in the count too:
	// negligible against a binlog's records.
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(n*b.N), "allocs/record")
}

// recordsPass reads every record of the files and returns how many row
// records there were.
func recordsPass(b *testing.B, files [][]byte, names []string) (int, error) {
	b.StopTimer()
	h, err := schema.OpenHistory(b.TempDir())
	if err != nil {
		return 0, err
	}
	defer h.Close()
	cat := schema.NewCatalog()
	cat.SetFlavor(schema.FlavorMariaDB)
	cat.SetServerDefaults("utf8mb4", "")
	cat.SetIgnoredDatabases(schema.SystemDatabases()...)
	if err := h.Baseline(schema.Point{File: names[0], Pos: 4}, nil); err != nil {
		return 0, err
	}
	fs := &fileSource{files: files, names: names, tracker: schema.NewTracker(cat, schema.TrackerOptions{History: h, Logger: quietLogger()})}
	r := newRecords(fs, RecordsConfig{})
	runtime.GC()
	b.StartTimer()
	ctx := context.Background()
	rows := 0
	var sink int
	for {
		rec, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		switch rec.Op {
		case core.OpInsert, core.OpUpdate, core.OpDelete:
			rows++
			sink += len(rec.Image())
		}
	}
}

// fileSource is an eventSource over binlog files in memory: the events
// of a Source (tracked, with their transaction marks) without a server.
type fileSource struct {
	files      [][]byte
	names      []string
	i          int
	r          *binlogfile.Reader
	tracker    *schema.Tracker
	inTx       bool
	ev         Event
	rev        replication.Event
	checkpoint replication.Position
}

func (f *fileSource) Next(ctx context.Context) (*Event, error) {
	for {
		if f.r == nil {
			if f.i >= len(f.files) {
				return nil, io.EOF
			}
			f.r = binlogfile.NewReader(bytes.NewReader(f.files[f.i]), f.names[f.i])
			f.i++
		}
		ev, err := f.r.Next()
		if errors.Is(err, io.EOF) {
			f.r.Close()
			f.r = nil
			continue
		}
		if err != nil {
			return nil, err
		}
		end := uint64(ev.End())
		ends := false
		switch b := ev.Body.(type) {
		case *binlog.GTIDEvent, *binlog.MariaGTIDEvent:
			f.inTx = true
		case *binlog.QueryEvent:
			if b.Query == "BEGIN" {
				f.inTx = true
			} else {
				ends, f.inTx = true, false
			}
		case *binlog.XIDEvent:
			ends, f.inTx = true, false
		}
		f.rev = replication.Event{Event: ev.Event, File: ev.File, Pos: uint64(ev.Pos), NextFile: ev.File, NextPos: end,
			InPayload: ev.InPayload, InTransaction: f.inTx, EndsTransaction: ends}
		f.ev = Event{Event: &f.rev}
		f.ev.Table, f.ev.SchemaChanges, err = track(f.tracker, nil, ev.Body, schema.Point{File: ev.File, Pos: end})
		if err != nil {
			return nil, err
		}
		if ends {
			f.checkpoint = replication.Position{File: ev.File, Pos: end}
		}
		return &f.ev, nil
	}
}

func (f *fileSource) Checkpoint() replication.Position { return f.checkpoint }
func (f *fileSource) CommitAt(core.Position) error     { return nil }
func (f *fileSource) Close() error                     { return nil }
