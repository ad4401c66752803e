package schema

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/internal/benchbinlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
)

// BenchmarkTracking measures what schema tracking costs row decoding: the
// binlog of `make bench-data` (over a million row changes, its CREATE
// TABLE included), every value of every row decoded ("decode") or also
// rendered as JSON ("render"), without a Tracker ("off") and with one
// ("on": every QUERY through
// Tracker.Query with a History on disk, every TABLE_MAP reconciled, every
// rows event pointed at the completed TABLE_MAP). Compare rows/s.
func BenchmarkTracking(b *testing.B) {
	files, paths, total := benchbinlog.Load(b)
	for _, mode := range []struct {
		name       string
		on, render bool
	}{{"decode/off", false, false}, {"decode/on", true, false}, {"render/off", false, true}, {"render/on", true, true}} {
		on, render := mode.on, mode.render
		b.Run(mode.name, func(b *testing.B) {
			rows, _, err := decodeTracked(b, files, paths, on, render)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(total)
			b.ReportAllocs()
			b.ResetTimer()
			var inTracker time.Duration
			for i := 0; i < b.N; i++ {
				_, d, err := decodeTracked(b, files, paths, on, render)
				if err != nil {
					b.Fatal(err)
				}
				inTracker += d
			}
			b.StopTimer()
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			if on {
				// The tracker's share of the pass, timed around its calls:
				// steadier on a noisy machine than comparing two runs.
				b.ReportMetric(100*inTracker.Seconds()/b.Elapsed().Seconds(), "%tracker")
			}
		})
	}
}

// decodeTracked decodes (and with render, renders as JSON) every value of
// every row of the files, feeding a fresh Tracker (and History) when on,
// and returns the time spent in the tracker's calls.
func decodeTracked(b *testing.B, files [][]byte, names []string, on, render bool) (rows int, inTracker time.Duration, err error) {
	// Both modes pause the timer and collect garbage before the pass, so
	// that neither carries the other's GC debt into its timing.
	b.StopTimer()
	runtime.GC()
	var each func(*binlogfile.Event) error
	if on {
		h, err := OpenHistory(b.TempDir())
		if err != nil {
			return 0, 0, err
		}
		defer h.Close()
		cat := NewCatalog()
		cat.SetFlavor(FlavorMariaDB)
		cat.SetServerDefaults("utf8mb4", "")
		cat.SetIgnoredDatabases(SystemDatabases()...)
		if err := h.Baseline(Point{File: filepath.Base(names[0]), Pos: 4}, nil); err != nil {
			return 0, 0, err
		}
		tr := NewTracker(cat, TrackerOptions{History: h})
		each = func(ev *binlogfile.Event) error {
			t0 := time.Now()
			defer func() { inTracker += time.Since(t0) }()
			at := Point{File: filepath.Base(ev.File), Pos: uint64(ev.End())}
			var err error
			switch body := ev.Body.(type) {
			case *binlog.QueryEvent:
				_, err = tr.Query(body, at)
			case *binlog.TableMapEvent:
				_, err = tr.TableMap(body)
			case *binlog.RowsEvent:
				_, err = tr.Rows(body)
			}
			return err
		}
	}
	b.StartTimer()
	rows, err = benchbinlog.DecodeAll(files, names, render, each)
	return rows, inTracker, err
}
