package replication_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
	"github.com/seed5aa6e046/syncer/test/harness"
)

// BenchmarkStreamVsFile measures what streaming costs over reading: it
// writes $BENCH_STREAM_ROWS row changes (default 20000; `make bench` uses
// 1000000) to a private MariaDB, then decodes every row of the resulting
// binlog two ways:
//
//   - file: read from the binlog files on disk (package binlogfile);
//   - stream: streamed over a loopback replication connection from the
//     first file to the end (package replication, UntilNow).
//
// Both report rows/s (wall clock) and cpu-ms/op, the CPU time this process
// spent (all threads; the server's own work is in its process and not
// counted). The target: streaming costs at most 15% more than
// decoding the file. The server runs on the same machine, so on a 2-core box
// it competes with the stream for CPU and the wall-clock figure overstates
// the cost of the network path.
func BenchmarkStreamVsFile(b *testing.B) {
	rows := 20000
	if v := os.Getenv("BENCH_STREAM_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("BENCH_STREAM_ROWS=%q: want a positive integer", v)
		}
		rows = n
	}
	m := harness.MariaDBForTest(b, harness.MariaDBOptions{})
	benchWorkload(b, m, rows)
	paths, err := m.BinlogFiles(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	first := filepath.Base(paths[0])

	b.Run("file", func(b *testing.B) {
		var n, bytes int64
		cpu := startCPU()
		for b.Loop() {
			r := binlogfile.OpenFiles(paths)
			n, bytes = 0, 0
			var it binlog.RowIterator
			for {
				ev, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				bytes += int64(ev.Header.EventSize)
				n += countRows(b, &it, ev.Body)
			}
			r.Close()
		}
		cpu.report(b)
		report(b, n, bytes)
	})
	b.Run("stream", func(b *testing.B) { benchStream(b, m, first, true) })
	// The stream without decoding rows: the speed of the source and the
	// transport, the ceiling for "stream".
	b.Run("stream-events-only", func(b *testing.B) { benchStream(b, m, first, false) })
}

// cpuClock measures the CPU time (user + system, all threads) of this
// process: what Syncer itself pays, apart from the server, which runs in
// its own process on the same machine.
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{processCPU()} }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(processCPU()-c.start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// benchStream streams the whole binlog from the server per iteration,
// decoding every row when rows is set.
func benchStream(b *testing.B, m *harness.MariaDB, first string, rows bool) {
	user, pw := m.User()
	var n, bytes int64
	cpu := startCPU()
	for b.Loop() {
		cfg := streamConfig(b, connConfig(b, m.Addr(), user, pw))
		cfg.Start = replication.Position{File: first, Pos: 4}
		cfg.UntilNow = true
		cfg.SkipPreflight = true
		s, err := replication.Open(b.Context(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		n = 0
		var it binlog.RowIterator
		for {
			ev, err := s.Next(b.Context())
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if rows {
				n += countRows(b, &it, ev.Body)
			}
		}
		bytes = s.BytesRead()
		s.Close()
	}
	cpu.report(b)
	if rows {
		report(b, n, bytes)
	} else {
		b.SetBytes(bytes)
	}
}

func report(b *testing.B, rows, bytes int64) {
	if rows == 0 {
		b.Fatal("no rows decoded")
	}
	b.SetBytes(bytes)
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rows), "rows/op")
}

// countRows decodes every row of a rows event (the structure of each value:
// what any consumer pays) and returns how many there were.
func countRows(b *testing.B, it *binlog.RowIterator, body binlog.EventBody) int64 {
	re, ok := body.(*binlog.RowsEvent)
	if !ok {
		return 0
	}
	it.Reset(re)
	var n int64
	for it.Next() {
		n++
	}
	if err := it.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}

// benchWorkload inserts rows (in 1000-row statements, 10 per transaction),
// then updates a tenth and deletes a twentieth of them.
func benchWorkload(b *testing.B, m *harness.MariaDB, rows int) {
	ctx := context.Background()
	db := m.DB()
	for _, q := range []string{
		"CREATE DATABASE bench",
		`CREATE TABLE bench.orders (id BIGINT PRIMARY KEY, customer INT NOT NULL, status ENUM('new','paid','shipped') NOT NULL,
		  amount DECIMAL(12,2), note VARCHAR(120), created DATETIME(3), updated TIMESTAMP(6) NULL, flags SET('a','b','c'), weight DOUBLE, meta JSON)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	const per = 1000
	var sb strings.Builder
	for i := 0; i < rows; i += per {
		sb.Reset()
		sb.WriteString("INSERT INTO bench.orders VALUES ")
		for j := i; j < i+per && j < rows; j++ {
			if j > i {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "(%d,%d,'%s',%d.%02d,'note %d for customer %d','2024-05-%02d 10:%02d:%02d.%03d',NOW(6),'%s',%d.5,'{\"k\":%d,\"tags\":[\"x\",\"y\"]}')",
				j, j%5000, []string{"new", "paid", "shipped"}[j%3], j%100000, j%100, j, j%5000, 1+j%28, j%60, (j/60)%60, j%1000,
				[]string{"a", "a,b", "b,c"}[j%3], j%1000, j)
		}
		if _, err := db.ExecContext(ctx, sb.String()); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, "UPDATE bench.orders SET status = 'shipped', amount = amount + 1 WHERE id % 10 = 0"); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM bench.orders WHERE id % 20 = 1"); err != nil {
		b.Fatal(err)
	}
}
