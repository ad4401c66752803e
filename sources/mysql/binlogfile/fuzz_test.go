package binlogfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
)

// FuzzReader reads arbitrary bytes as a binlog file. It must never panic,
// must end with io.EOF or an error naming the stream, and must not return
// more events than bytes.
func FuzzReader(f *testing.F) {
	f.Add(sample(true).bytes())
	f.Add(sample(false).bytes())
	f.Add(newBuilder(23, true).add(unknown, []byte("x")).bytes())
	f.Add([]byte{0xfe, 'b', 'i', 'n'})
	f.Add([]byte{0xfd, 'b', 'i', 'n', 0})
	// Small corpus files, when the corpus is present.
	if dir, ok := fuzzCorpusDir(); ok {
		for _, rel := range []string{
			"mysql-cdc-rs/5.7/04_rotate/log.bin",
			"rust_mysql_common/transaction_compression.000001",
			"generated-mariadb-10.11/mariadb-bin.000004",
			"mysql-server-5.x-history/trunc_binlog.000001",
			"mariadb-server-10.4-snapshot/mdev-4645-binlog_group_id.binlog",
		} {
			if b, err := os.ReadFile(filepath.Join(dir, rel)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mid := int64(len(data) / 2)
		for _, opts := range [][]Option{nil, {WithDecoderOptions(binlog.WithoutChecksumVerification())}, {WithStartPosition(mid), WithStopPosition(mid + 64)}} {
			r := NewReader(bytes.NewReader(data), "fuzz.bin", opts...)
			n := 0
			for {
				ev, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					if !strings.Contains(err.Error(), "fuzz.bin") {
						t.Fatalf("error does not name the file: %v", err)
					}
					if _, err2 := r.Next(); !errors.Is(err2, err) && err2.Error() != err.Error() {
						t.Fatalf("error not sticky: %v then %v", err, err2)
					}
					break
				}
				if !ev.InPayload {
					if ev.Pos < 4 || ev.End() > int64(len(data)) {
						t.Fatalf("event at %d..%d outside %d bytes", ev.Pos, ev.End(), len(data))
					}
					n++
				}
				if n > len(data) {
					t.Fatal("more events than bytes")
				}
			}
			r.Close()
		}
	})
}

// fuzzCorpusDir finds the shared corpus without failing when it is absent.
func fuzzCorpusDir() (string, bool) {
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for root := wd; ; root = filepath.Dir(root) {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			dir := filepath.Join(root, "..", "shared", "corpus", "binlog")
			_, err := os.Stat(dir)
			return dir, err == nil
		}
		if filepath.Dir(root) == root {
			return "", false
		}
	}
}

// BenchmarkReadFile reads and decodes the largest corpus file (1.4 MB of
// MySQL 5.5 WRITE_ROWS_V1 events). Row values are not decoded here; see the
// decoder's own benchmarks for that.
func BenchmarkReadFile(b *testing.B) {
	dir := corpusDir(b)
	path := filepath.Join(dir, "mysql-binlog-connector-java/mysql-bin.sakila")
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	events := 0
	for i := 0; i < b.N; i++ {
		n, err := readAll(path)
		if err != nil {
			b.Fatal(err)
		}
		events = n
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
