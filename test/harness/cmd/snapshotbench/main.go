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
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// The targets.
const (
	targetRatio = 0.70
	targetRSS   = 500 << 20
)

type options struct {
	syncer     string
	rows       int
	genBatch   int
	chunkRows  int
	chunkBytes string
	parallel   int
	floorRuns  int
	snapRuns   int
	timeout    time.Duration
	seed       uint64
	keep       bool
	tamper     bool
	verbose    bool
}

func main() {
	var o options
	flag.StringVar(&o.syncer, "syncer", "bin/syncer", "path of the syncer binary (make build)")
	flag.IntVar(&o.rows, "rows", 2_000_000, "rows in the source table bench.snap")
	flag.IntVar(&o.genBatch, "gen-batch", 50_000, "rows per INSERT ... SELECT while generating the table")
	flag.IntVar(&o.chunkRows, "chunk-rows", 0, "the pipeline's snapshot.chunk_rows (0: not given, syncer's default 50000)")
	flag.StringVar(&o.chunkBytes, "chunk-bytes", "", "the pipeline's snapshot.chunk_bytes, e.g. 16MiB (empty: not given, syncer's default 64MiB)")
	flag.IntVar(&o.parallel, "parallel", 0, "the pipeline's snapshot.parallel (0: not given, syncer's default 2)")
	flag.IntVar(&o.floorRuns, "floor-runs", 3, "floor runs (dump + COPY; the median counts)")
	flag.IntVar(&o.snapRuns, "snapshot-runs", 3, "snapshot runs, each into an empty target, alternating with the floor's (the median counts)")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Minute, "give up when the snapshot takes longer")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the generated text")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (YAML file, syncer's log) instead of removing it")
	flag.BoolVar(&o.verbose, "v", false, "log the harness's progress")
	flag.BoolVar(&o.tamper, "tamper", false, "change one target row and delete another after the snapshot: the comparison must then fail (tests the benchmark's own check)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "snapshotbench: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, "snapshotbench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, o, os.Stdout)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted: %w", err)
		}
		fmt.Fprintln(os.Stderr, "\nsnapshotbench: FAILED:", err)
		os.Exit(1)
	}
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
	machine    machineInfo
	mariadbVer string
	pgVer      string

	rows     int
	generate time.Duration
	table    tableInfo

	snaps    []snapRun
	snap     snapRun // the median run
	checksum checksum

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
	syncerPath, err := filepath.Abs(o.syncer)
	if err != nil {
		return err
	}
	if st, err := os.Stat(syncerPath); err != nil || st.IsDir() {
		return fmt.Errorf("syncer binary %s: not a file (%v): run make build", syncerPath, err)
	}
	work, err := os.MkdirTemp("", "snapshotbench-")
	if err != nil {
		return err
	}
	defer func() {
		if o.keep {
			fmt.Fprintf(out, "== work directory kept: %s\n", work)
			return
		}
		os.RemoveAll(work)
	}()
	// The servers may run as another account (PostgreSQL as postgres
	// when the benchmark runs as root) and MariaDB writes the floor's file
	// here.
	if err := os.Chmod(work, 0o755); err != nil {
		return err
	}

	var res results
	res.rows = o.rows
	res.machine = readMachine()
	fmt.Fprintf(out, "== machine: %s\n", res.machine)

	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// Servers, started side by side, without durability (the harness's
	// defaults), with room for the whole table in MariaDB's buffer pool and
	// PostgreSQL's settings of pipelinebench (shared_buffers 1GB; the
	// target is about as large), for syncer and the floor alike.
	fmt.Fprintf(out, "== starting a private MariaDB and a private PostgreSQL\n")
	type started struct {
		m   *harness.MariaDB
		p   *harness.Postgres
		err error
	}
	mch, pch := make(chan started, 1), make(chan started, 1)
	// SELECT ... INTO OUTFILE (the floor's dump) writes only into
	// secure_file_priv, which the server leaves NULL (disabled) unless it
	// is given.
	outDir := filepath.Join(work, "outfile")
	if err := os.Mkdir(outDir, 0o777); err != nil {
		return err
	}
	if err := os.Chmod(outDir, 0o777); err != nil {
		return err
	}
	go func() {
		m, err := harness.StartMariaDB(ctx, harness.MariaDBOptions{
			Logger: log,
			ExtraArgs: []string{"--innodb-buffer-pool-size=2G", "--innodb-log-file-size=512M",
				// Flush the generated table's pages quickly when settle asks.
				"--innodb-io-capacity=10000", "--innodb-io-capacity-max=20000",
				"--secure-file-priv=" + outDir},
		})
		mch <- started{m: m, err: err}
	}()
	go func() {
		p, err := harness.StartPostgres(ctx, harness.PostgresOptions{
			Logger:    log,
			Database:  "bench",
			ExtraArgs: []string{"-c", "shared_buffers=1GB", "-c", "max_wal_size=8GB"},
		})
		pch <- started{p: p, err: err}
	}()
	ms, ps := <-mch, <-pch
	if ms.m != nil {
		defer func() {
			if err := ms.m.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "snapshotbench: stopping MariaDB:", err)
			}
		}()
	}
	if ps.p != nil {
		defer func() {
			if err := ps.p.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "snapshotbench: stopping PostgreSQL:", err)
			}
			fmt.Fprintln(out, "== MariaDB and PostgreSQL stopped, their directories removed")
		}()
	}
	if err := errors.Join(ms.err, ps.err); err != nil {
		return err
	}
	m, pg := ms.m, ps.p

	src, err := openSource(m)
	if err != nil {
		return err
	}
	defer src.Close()
	tgt, err := pg.Connect(ctx)
	if err != nil {
		return err
	}
	defer tgt.Close(context.Background())
	if err := src.QueryRowContext(ctx, "SELECT VERSION()").Scan(&res.mariadbVer); err != nil {
		return err
	}
	if err := tgt.QueryRow(ctx, "SHOW server_version").Scan(&res.pgVer); err != nil {
		return err
	}
	fmt.Fprintf(out, "   MariaDB %s on %s, PostgreSQL %s on %s\n", res.mariadbVer, m.Addr(), res.pgVer, pg.Addr())

	// 1. The table.
	if res.generate, err = generate(ctx, o, src, out); err != nil {
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
				if err := resetTarget(ctx, tgt); err != nil {
					return err
				}
			}
			sr, err := runSnapshot(ctx, o, i, work, syncerPath, m, pg, tgt, res.rows, out)
			if err != nil {
				return err
			}
			res.snaps = append(res.snaps, sr)
			if o.tamper {
				fmt.Fprintf(out, "\n== -tamper: changing the body of the target's first row and deleting its last; the comparison must fail\n")
				for _, q := range []string{
					"UPDATE bench.snap SET body = body || ' (tampered)' WHERE id = (SELECT min(id) FROM bench.snap)",
					"DELETE FROM bench.snap WHERE id = (SELECT max(id) FROM bench.snap)",
				} {
					if _, err := tgt.Exec(ctx, q); err != nil {
						return fmt.Errorf("%s: %w", q, err)
					}
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
			fmt.Fprintf(out, "   compared in %s\n", round(time.Since(t)))
			// Autovacuum would otherwise visit the freshly loaded target
			// (every page) during the floor's run.
			if _, err := tgt.Exec(ctx, "VACUUM (ANALYZE) bench.snap"); err != nil {
				return err
			}
		}
		if i <= o.floorRuns {
			fr, err := floorOnce(ctx, i, outDir, m, pg, src, tgt, res.rows, i == 1, out)
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

	printSummary(out, o, &res)
	return nil
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	default:
		return d.Round(100 * time.Microsecond)
	}
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func printSummary(w io.Writer, o options, r *results) {
	fmt.Fprintf(w, "\n== summary\n")
	fmt.Fprintf(w, "machine      %s, at end %s\n", r.machine, loadAvg())
	fmt.Fprintf(w, "servers      MariaDB %s, PostgreSQL %s (private, loopback, no fsync)\n", r.mariadbVer, r.pgVer)
	fmt.Fprintf(w, "table        bench.snap: %s rows, 14 columns, InnoDB data %.1f MB (average row %d bytes), generated in %s\n",
		grouped(int64(r.rows)), float64(r.table.dataBytes)/1e6, r.table.avgRowBytes, round(r.generate))
	s := &r.snap
	fmt.Fprintf(w, "snapshot     %s rows in %s from process start: %s rows/s (%s; median of %d runs: %s)\n",
		grouped(int64(r.rows)), round(s.dur), grouped(int64(r.snapshotRate())), snapSettings(o), len(r.snaps), runRates(r.snaps, r.rows))
	if ct := s.copyTime(); ct > 0 {
		fmt.Fprintf(w, "             after start-up (%s to \"snapshot: reading\"): %s, %s rows/s\n",
			round(s.startup()), round(ct), grouped(int64(float64(r.rows)/ct.Seconds())))
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
		mib(r.peakRSS()), strings.Join(hwms, ", "), targetRSS>>20, passFail(r.peakRSS() < targetRSS))
	fmt.Fprintf(w, "correctness  target equals source after every run: %s\n", r.checksum)
	var runs []string
	for _, f := range r.floorRuns {
		runs = append(runs, fmt.Sprintf("%s (%s + %s)", grouped(int64(float64(r.rows)/f.total().Seconds())), round(f.dump), round(f.copy)))
	}
	fmt.Fprintf(w, "floor        %s rows in %s (dump %s + copy %s): %s rows/s (SELECT ... INTO OUTFILE, %.1f MB, then COPY FROM STDIN, text, one transaction; median of %d runs: %s)\n",
		grouped(int64(r.rows)), round(r.floor.total()), round(r.floor.dump), round(r.floor.copy), grouped(int64(r.floorRate())),
		float64(r.floor.fileBytes)/1e6, len(r.floorRuns), strings.Join(runs, ", "))
	fmt.Fprintf(w, "             CPU time: MariaDB over the dump %s, PostgreSQL over the copy %s\n", round(r.floor.mariadbCPU), round(r.floor.pgCPU))
	if d := r.floorRuns[0].differs; d > 0 {
		fmt.Fprintf(w, "             WARNING: %s rows of the floor's table differ from syncer's target\n", grouped(d))
	}
	ratio := r.snapshotRate() / r.floorRate()
	fmt.Fprintf(w, "ratio        snapshot/floor %.0f%% (target >= %.0f%%: %s)", 100*ratio, 100*targetRatio, passFail(ratio >= targetRatio))
	if ct := s.copyTime(); ct > 0 {
		fmt.Fprintf(w, "; after start-up %.0f%%", 100*float64(r.rows)/ct.Seconds()/r.floorRate())
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "target       %s (rows/s >= %.0f%% of the floor and peak RSS < %d MiB)\n",
		passFail(ratio >= targetRatio && r.peakRSS() < targetRSS), 100*targetRatio, targetRSS>>20)
}

// runRates lists the runs' rows/s in run order.
func runRates(runs []snapRun, rows int) string {
	var s []string
	for _, x := range runs {
		s = append(s, grouped(int64(x.rate(rows))))
	}
	return strings.Join(s, ", ")
}

// grouped formats n with thousands separators.
func grouped(n int64) string {
	s := fmt.Sprint(n)
	neg := false
	if n < 0 {
		neg, s = true, s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}
