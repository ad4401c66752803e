package testcorpus

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// BenchBinlogs loads the binlog files `make bench-data` wrote into
// $BENCH_BINLOG_DIR (relative paths are from the module root) into memory,
// so that a benchmark measures decoding, not the disk. It skips the
// benchmark when the variable is unset or the directory holds no binlog.
func BenchBinlogs(b *testing.B) (files [][]byte, paths []string, total int64) {
	b.Helper()
	dir := os.Getenv("BENCH_BINLOG_DIR")
	if dir == "" {
		b.Skip("BENCH_BINLOG_DIR is not set; run `make bench-data` then `make bench`")
	}
	if !filepath.IsAbs(dir) {
		root, err := ModuleRoot()
		if err != nil {
			b.Fatal(err)
		}
		dir = filepath.Join(root, dir)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.[0-9][0-9][0-9][0-9][0-9][0-9]"))
	if err != nil || len(paths) == 0 {
		b.Skipf("no binlog files in %s; run `make bench-data`", dir)
	}
	sort.Strings(paths)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		total += int64(len(data))
	}
	return files, paths, total
}
