// Package benchbinlog serves the benchmarks that decode the realistic
// binlog `make bench-data` writes: loading it, and decoding every row of
// it the same way for every benchmark that compares against that figure.
package benchbinlog

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/seed5aa6e046/syncer/internal/testcorpus"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
)

// Load loads the binlog files `make bench-data` wrote into
// $BENCH_BINLOG_DIR (relative paths are from the module root) into memory,
// so that a benchmark measures decoding, not the disk. It skips the
// benchmark when the variable is unset or the directory holds no binlog.
func Load(b *testing.B) (files [][]byte, paths []string, total int64) {
	b.Helper()
	dir := os.Getenv("BENCH_BINLOG_DIR")
	if dir == "" {
		b.Skip("BENCH_BINLOG_DIR is not set; run `make bench-data` then `make bench`")
	}
	if !filepath.IsAbs(dir) {
		root, err := testcorpus.ModuleRoot()
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

// DecodeAll reads every event of files (named names) and decodes every
// value of every row, rendering each as the JSON `syncer binlog dump`
// prints when render is set. each, when not nil, sees every event first.
// It returns the number of rows.
func DecodeAll(files [][]byte, names []string, render bool, each func(*binlogfile.Event) error) (int, error) {
	var it binlog.RowIterator
	var out []byte
	rows := 0
	for i, data := range files {
		r := binlogfile.NewReader(bytes.NewReader(data), names[i])
		for {
			ev, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return rows, err
			}
			if each != nil {
				if err := each(ev); err != nil {
					return rows, err
				}
			}
			re, ok := ev.Body.(*binlog.RowsEvent)
			if !ok {
				continue
			}
			it.Reset(re)
			for it.Next() {
				rows++
				if !render {
					continue
				}
				for _, image := range [2][]binlog.Value{it.Before(), it.After()} {
					for i := range image {
						if !image[i].Present() {
							continue
						}
						if out, err = image[i].AppendJSON(out[:0]); err != nil {
							return rows, err
						}
					}
				}
			}
			if err := it.Err(); err != nil {
				return rows, err
			}
		}
		r.Close()
	}
	return rows, nil
}
