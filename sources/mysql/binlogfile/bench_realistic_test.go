package binlogfile_test

import (
	"runtime"
	"testing"

	"github.com/seed5aa6e046/syncer/internal/benchbinlog"
)

// BenchmarkDecodeRealisticBinlog decodes every row value of the binlog files
// in $BENCH_BINLOG_DIR (written by `make bench-data`: over a million row
// changes across a dozen column types on a real MariaDB). The files are
// loaded into memory first so the figure is decoding speed, not disk speed.
//
// Reported: MB/s (from SetBytes), rows/s, and allocs/row, which counts
// every allocation of the whole decode (events, table maps, buffers) divided
// by the rows decoded.
func BenchmarkDecodeRealisticBinlog(b *testing.B) {
	files, paths, total := benchbinlog.Load(b)

	// "decode" parses every value of every row (integers, temporals and
	// floats into their fields, DECIMAL and JSON validated, strings sliced);
	// "render" also writes every value as the JSON text `syncer binlog dump`
	// prints, charset conversion included.
	b.Run("decode", func(b *testing.B) { benchDecode(b, files, paths, total, false) })
	b.Run("render", func(b *testing.B) { benchDecode(b, files, paths, total, true) })
}

func benchDecode(b *testing.B, files [][]byte, paths []string, total int64, render bool) {
	// One untimed pass validates the files and counts the rows.
	rows, err := benchbinlog.DecodeAll(files, paths, render, nil)
	if err != nil {
		b.Fatal(err)
	}
	if rows == 0 {
		b.Fatalf("no rows in %v", paths)
	}

	b.SetBytes(total)
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := benchbinlog.DecodeAll(files, paths, render, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	allRows := float64(rows) * float64(b.N)
	b.ReportMetric(allRows/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/allRows, "allocs/row")
	b.ReportMetric(float64(rows), "rows/op")
}
