// Command snapshotbench measures the initial snapshot of `syncer run`
// (docs/benchmarks.md, "Snapshot benchmark"). It starts a private MariaDB
// and a private PostgreSQL with the test harness and then:
//
//  1. generates -rows rows (2,000,000) of a 14-column table of mixed types,
//     bench.snap, with INSERT ... SELECT from the sequence engine;
//  2. snapshot runs: starts `syncer run` on a pipeline without
//     source.start (so the snapshot mode is initial) and times it until
//     the sink's checkpoint says the copy is complete (rows/s), sampling
//     syncer's resident memory, then compares every row and column of the
//     target with the source (count, sum(id), md5 of the canonical text of
//     every column) and fails when they differ;
//  3. floor runs, alternating with the snapshot runs: SELECT ... INTO
//     OUTFILE of the table, then COPY ... FROM STDIN of that file into a
//     fresh table of the target's types, in one transaction: rows / (dump
//     + copy seconds);
//  4. prints the median snapshot run / the median floor run against the
//     target of 70%, and syncer's peak RSS against 500 MiB.
//
// It builds nothing: `make bench-snapshot` builds bin/syncer and runs
//
//	go run ./test/harness/cmd/snapshotbench -syncer bin/syncer
//
// It exits non-zero when anything fails or the target's data differs from
// the source's; a missed performance target is reported (FAIL), not an
// error.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/seed5aa6e046/syncer/test/harness/benchrun"
)

// The targets.
const (
	targetRatio = 0.70
	targetRSS   = 500 << 20
)

type options struct {
	benchrun.Flags
	rows       int
	genBatch   int
	chunkRows  int
	chunkBytes string
	parallel   int
	floorRuns  int
	snapRuns   int
	timeout    time.Duration
	seed       uint64
	tamper     bool
}

func main() {
	var o options
	o.Register("YAML file, syncer's log")
	flag.IntVar(&o.rows, "rows", 2_000_000, "rows in the source table bench.snap")
	flag.IntVar(&o.genBatch, "gen-batch", 50_000, "rows per INSERT ... SELECT while generating the table")
	flag.IntVar(&o.chunkRows, "chunk-rows", 0, "the pipeline's snapshot.chunk_rows (0: not given, syncer's default 50000)")
	flag.StringVar(&o.chunkBytes, "chunk-bytes", "", "the pipeline's snapshot.chunk_bytes, e.g. 16MiB (empty: not given, syncer's default 64MiB)")
	flag.IntVar(&o.parallel, "parallel", 0, "the pipeline's snapshot.parallel (0: not given, syncer's default 2)")
	flag.IntVar(&o.floorRuns, "floor-runs", 3, "floor runs (dump + COPY; the median counts)")
	flag.IntVar(&o.snapRuns, "snapshot-runs", 3, "snapshot runs, each into an empty target, alternating with the floor's (the median counts)")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Minute, "give up when the snapshot takes longer")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the generated text")
	flag.BoolVar(&o.tamper, "tamper", false, "change one target row and delete another after the snapshot: the comparison must then fail (tests the benchmark's own check)")
	flag.Parse()
	benchrun.Main("snapshotbench", o.check, func(ctx context.Context, out io.Writer) error { return run(ctx, o, out) })
}

func (o *options) check() error {
	switch {
	case o.rows < 2:
		return errors.New("-rows must be at least 2")
	case o.genBatch <= 0:
		return errors.New("-gen-batch must be positive")
	case o.chunkRows < 0:
		return errors.New("-chunk-rows must not be negative")
	case o.parallel < 0 || o.parallel > 64:
		return errors.New("-parallel: want 1..64 (0: syncer's default)")
	case o.floorRuns <= 0:
		return errors.New("-floor-runs must be positive")
	case o.snapRuns <= 0:
		return errors.New("-snapshot-runs must be positive")
	case o.timeout <= 0:
		return errors.New("-timeout must be positive")
	case strings.ContainsAny(o.chunkBytes, " ,{}:#"):
		return fmt.Errorf("-chunk-bytes %q: want a size such as 16MiB", o.chunkBytes)
	}
	return nil
}

// results collects the figures for the summary.
type results struct {
	rows     int
	generate time.Duration
	table    tableInfo

	snaps    []snapRun
	snap     snapRun // the median run
	checksum benchrun.RowSum

	floorRuns []floorRun
	floor     floorRun // the median run
}

func (r *results) snapshotRate() float64 { return r.snap.rate(r.rows) }

func (r *results) floorRate() float64 { return float64(r.rows) / r.floor.total().Seconds() }

// peakRSS is the largest VmHWM of the snapshot runs.
func (r *results) peakRSS() int64 {
	var p int64
	for _, s := range r.snaps {
		p = max(p, s.hwm)
	}
	return p
}

func run(ctx context.Context, o options, out io.Writer) error {
	env, err := benchrun.NewEnv("snapshotbench", o.Flags, out)
	if err != nil {
		return err
	}
	defer env.Close()
	// The servers may run as another account (PostgreSQL as postgres
	// when the benchmark runs as root) and MariaDB writes the floor's file
	// here.
	if err := os.Chmod(env.Work, 0o755); err != nil {
		return err
	}
	var res results
	res.rows = o.rows

	// SELECT ... INTO OUTFILE (the floor's dump) writes only into
	// secure_file_priv, which the server leaves NULL (disabled) unless it
	// is given.
	outDir := filepath.Join(env.Work, "outfile")
	if err := os.Mkdir(outDir, 0o777); err != nil {
		return err
	}
	if err := os.Chmod(outDir, 0o777); err != nil {
		return err
	}
	// Room for the whole table in MariaDB's buffer pool, and PostgreSQL's
	// settings of pipelinebench (shared_buffers 1GB; the target is about
	// as large), for syncer and the floor alike.
	err = env.StartServers(ctx, benchrun.ServerOptions{
		MariaDBArgs: []string{"--innodb-buffer-pool-size=2G", "--innodb-log-file-size=512M",
			// Flush the generated table's pages quickly when settle asks.
			"--innodb-io-capacity=10000", "--innodb-io-capacity-max=20000",
			"--secure-file-priv=" + outDir},
		PostgresArgs: []string{"-c", "shared_buffers=1GB", "-c", "max_wal_size=8GB"},
		// Dial with a 30s timeout (the harness's is 10s).
		SourceConfig: func(cfg *mysql.Config) { cfg.Timeout = 30 * time.Second },
	})
	if err != nil {
		return err
	}
	src, tgt := env.Source, env.Target

	// 1. The table.
	if res.generate, err = generate(ctx, o, env, out); err != nil {
		return err
	}
	if res.table, err = readTableInfo(ctx, src); err != nil {
		return err
	}
	fmt.Fprintf(out, "   InnoDB data %.1f MB (average row %d bytes); strings and BLOB %.1f MB\n",
		float64(res.table.dataBytes)/1e6, res.table.avgRowBytes, float64(res.table.textBytes)/1e6)

	// 2.-4. Snapshot runs (each checked) and floor runs, alternating, so
	// that both see the machine's load of the same minutes.
	for i := 1; i <= max(o.snapRuns, o.floorRuns); i++ {
		if i <= o.snapRuns {
			if i > 1 {
				if err := resetTarget(ctx, env); err != nil {
					return err
				}
			}
			sr, err := runSnapshot(ctx, o, i, env, res.rows, out)
			if err != nil {
				return err
			}
			res.snaps = append(res.snaps, sr)
			if o.tamper {
				if err := env.Tamper(ctx, "bench.snap", "body"); err != nil {
					return err
				}
			}
			fmt.Fprintf(out, "\n== comparing the target with the source (every row, every column; not timed)\n")
			t := time.Now()
			sum, err := verifyTarget(ctx, src, tgt, out)
			if err != nil {
				return err
			}
			if i > 1 && sum != res.checksum {
				return fmt.Errorf("the source's checksum changed between runs: %s, then %s", res.checksum, sum)
			}
			res.checksum = sum
			fmt.Fprintf(out, "   compared in %s\n", benchrun.Round(time.Since(t)))
			// Autovacuum would otherwise visit the freshly loaded target
			// (every page) during the floor's run.
			if _, err := tgt.Exec(ctx, "VACUUM (ANALYZE) bench.snap"); err != nil {
				return err
			}
		}
		if i <= o.floorRuns {
			fr, err := floorOnce(ctx, i, outDir, env, res.rows, i == 1, out)
			if err != nil {
				return err
			}
			res.floorRuns = append(res.floorRuns, fr)
		}
	}
	snaps := slices.Clone(res.snaps)
	slices.SortFunc(snaps, func(a, b snapRun) int { return cmp.Compare(a.dur, b.dur) })
	res.snap = snaps[len(snaps)/2]
	floors := slices.Clone(res.floorRuns)
	slices.SortFunc(floors, func(a, b floorRun) int { return cmp.Compare(a.total(), b.total()) })
	res.floor = floors[len(floors)/2]

	printSummary(out, o, env, &res)
	return nil
}

func printSummary(w io.Writer, o options, env *benchrun.Env, r *results) {
	env.PrintSummaryHead(w)
	fmt.Fprintf(w, "table        bench.snap: %s rows, 14 columns, InnoDB data %.1f MB (average row %d bytes), generated in %s\n",
		benchrun.Grouped(int64(r.rows)), float64(r.table.dataBytes)/1e6, r.table.avgRowBytes, benchrun.Round(r.generate))
	s := &r.snap
	fmt.Fprintf(w, "snapshot     %s rows in %s from process start: %s rows/s (%s; median of %d runs: %s)\n",
		benchrun.Grouped(int64(r.rows)), benchrun.Round(s.dur), benchrun.Grouped(int64(r.snapshotRate())), snapSettings(o), len(r.snaps), runRates(r.snaps, r.rows))
	if ct := s.copyTime(); ct > 0 {
		fmt.Fprintf(w, "             after start-up (%s to \"snapshot: reading\"): %s, %s rows/s\n",
			benchrun.Round(s.startup()), benchrun.Round(ct), benchrun.Grouped(int64(float64(r.rows)/ct.Seconds())))
	}
	fmt.Fprintf(w, "             %s\n", s.cpuLine())
	fmt.Fprintf(w, "             autovacuum of the target by then: %d vacuums, %d analyzes\n", s.autovacuums, s.autoanalyzes)
	for i, x := range r.snaps {
		if x.stopErr != nil {
			fmt.Fprintf(w, "             WARNING: run %d: syncer's stop after SIGTERM: %v\n", i+1, x.stopErr)
		}
	}
	var hwms []string
	for _, x := range r.snaps {
		hwms = append(hwms, fmt.Sprintf("%.0f", mib(x.hwm)))
	}
	fmt.Fprintf(w, "memory       syncer peak RSS %.0f MiB (the largest VmHWM of the runs: %s MiB) (target < %d MiB: %s)\n",
		mib(r.peakRSS()), strings.Join(hwms, ", "), targetRSS>>20, benchrun.PassFail(r.peakRSS() < targetRSS))
	fmt.Fprintf(w, "correctness  target equals source after every run: %s\n", r.checksum)
	var runs []string
	for _, f := range r.floorRuns {
		runs = append(runs, fmt.Sprintf("%s (%s + %s)", benchrun.Grouped(int64(float64(r.rows)/f.total().Seconds())), benchrun.Round(f.dump), benchrun.Round(f.copy)))
	}
	fmt.Fprintf(w, "floor        %s rows in %s (dump %s + copy %s): %s rows/s (SELECT ... INTO OUTFILE, %.1f MB, then COPY FROM STDIN, text, one transaction; median of %d runs: %s)\n",
		benchrun.Grouped(int64(r.rows)), benchrun.Round(r.floor.total()), benchrun.Round(r.floor.dump), benchrun.Round(r.floor.copy), benchrun.Grouped(int64(r.floorRate())),
		float64(r.floor.fileBytes)/1e6, len(r.floorRuns), strings.Join(runs, ", "))
	fmt.Fprintf(w, "             CPU time: MariaDB over the dump %s, PostgreSQL over the copy %s\n", benchrun.Round(r.floor.mariadbCPU), benchrun.Round(r.floor.pgCPU))
	if d := r.floorRuns[0].differs; d > 0 {
		fmt.Fprintf(w, "             WARNING: %s rows of the floor's table differ from syncer's target\n", benchrun.Grouped(d))
	}
	ratio := r.snapshotRate() / r.floorRate()
	fmt.Fprintf(w, "ratio        snapshot/floor %.0f%% (target >= %.0f%%: %s)", 100*ratio, 100*targetRatio, benchrun.PassFail(ratio >= targetRatio))
	if ct := s.copyTime(); ct > 0 {
		fmt.Fprintf(w, "; after start-up %.0f%%", 100*float64(r.rows)/ct.Seconds()/r.floorRate())
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "target       %s (rows/s >= %.0f%% of the floor and peak RSS < %d MiB)\n",
		benchrun.PassFail(ratio >= targetRatio && r.peakRSS() < targetRSS), 100*targetRatio, targetRSS>>20)
}

// runRates lists the runs' rows/s in run order.
func runRates(runs []snapRun, rows int) string {
	var s []string
	for _, x := range runs {
		s = append(s, benchrun.Grouped(int64(x.rate(rows))))
	}
	return strings.Join(s, ", ")
}
