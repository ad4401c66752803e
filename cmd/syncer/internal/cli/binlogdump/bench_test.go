package binlogdump

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// benchFile returns the largest corpus binlog (1.4 MB, 47273 rows in 1374
// WRITE_ROWS_V1 events), skipping when the corpus is missing.
func benchFile(b *testing.B) string {
	wd, _ := os.Getwd()
	for root := wd; filepath.Dir(root) != root; root = filepath.Dir(root) {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			p := filepath.Join(root, "..", "shared", "corpus", "binlog", "mysql-binlog-connector-java", "mysql-bin.sakila")
			if _, err := os.Stat(p); err != nil {
				if os.Getenv("CI") == "true" {
					b.Fatal(err)
				}
				b.Skip(err)
			}
			return p
		}
	}
	b.Skip("no go.mod")
	return ""
}

const sakilaRows = 47273

// BenchmarkDump measures "binlog dump" to a discarded output; allocs/op
// divided by 47273 is allocations per row.
func BenchmarkDump(b *testing.B) {
	path := benchFile(b)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := Run(context.Background(), Options{Files: []string{path}}, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(sakilaRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkStats measures "binlog dump --stats".
func BenchmarkStats(b *testing.B) {
	path := benchFile(b)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := Run(context.Background(), Options{Files: []string{path}, Stats: true}, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(sakilaRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
