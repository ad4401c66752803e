// Command pipelinebench measures `syncer run` end to end (docs/benchmarks.md,
// "Pipeline benchmark"). It starts a private MariaDB and a private
// PostgreSQL with the test harness and then:
//
//  1. catch-up: with syncer not running, writes -rows inserts, -updates
//     updates and -deletes deletes into bench.items (transactions of 1000
//     rows), then starts `syncer run` at the binlog position noted before
//     the workload and times how long the pipeline's checkpoint takes to
//     reach the position noted after it (changes/s);
//  2. correctness: compares every row and column of the target with the
//     source (count, sums, md5 over all columns) and fails when they differ;
//  3. the COPY floor: copies the same final rows into a fresh table of the
//     same types with one binary COPY in one transaction (rows/s), and
//     prints catch-up/floor against the target of 50%;
//  4. lag: with syncer running live on a fresh pipeline, commits 50-row
//     transactions at -lag-rate rows/s for -lag-seconds and measures when
//     each becomes visible in Postgres (p50/p90/p99/max against the target
//     p99 < 1s).
//
// It builds nothing: `make bench-pipeline` builds bin/syncer and runs
//
//	go run ./test/harness/cmd/pipelinebench -syncer bin/syncer
//
// It exits non-zero when anything fails or the target's data differs from
// the source's; a missed performance target is reported (FAIL), not an
// error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/seed5aa6e046/syncer/test/harness"
)

type options struct {
	syncer         string
	rows           int
	updates        int
	deletes        int
	txRows         int
	lagSeconds     float64
	lagRate        int
	catchupTimeout time.Duration
	maxRecords     int
	maxBytes       string
	maxLatency     string
	seed           uint64
	keep           bool
	tamper         bool
	floorRuns      int
	verbose        bool
}

func main() {
	var o options
	flag.StringVar(&o.syncer, "syncer", "bin/syncer", "path of the syncer binary (make build)")
	flag.IntVar(&o.rows, "rows", 1_000_000, "rows inserted into bench.items before syncer starts")
	flag.IntVar(&o.updates, "updates", 200_000, "rows updated after the inserts (at most -rows)")
	flag.IntVar(&o.deletes, "deletes", 100_000, "rows deleted after the updates (at most -rows)")
	flag.IntVar(&o.txRows, "tx-rows", 1000, "rows per source transaction of the catch-up workload")
	flag.Float64Var(&o.lagSeconds, "lag-seconds", 60, "length of the lag phase in seconds (0: skip it)")
	flag.IntVar(&o.lagRate, "lag-rate", 5000, "rows/s written during the lag phase, in 50-row transactions")
	flag.DurationVar(&o.catchupTimeout, "catchup-timeout", 30*time.Minute, "give up when the catch-up takes longer")
	flag.IntVar(&o.floorRuns, "floor-runs", 3, "COPY floor runs (the median counts)")
	flag.IntVar(&o.maxRecords, "max-records", 20000, "batch.max_records of the pipelines")
	flag.StringVar(&o.maxBytes, "max-bytes", "64MiB", "batch.max_bytes of the pipelines")
	flag.StringVar(&o.maxLatency, "max-latency", "200ms", "batch.max_latency of the pipelines")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the generated data")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (YAML files, syncer logs) instead of removing it")
	flag.BoolVar(&o.verbose, "v", false, "log the harness's progress")
	flag.BoolVar(&o.tamper, "tamper", false, "change one target row and delete another after the catch-up: the comparison must then fail (tests the benchmark's own check)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "pipelinebench: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, "pipelinebench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, o, os.Stdout)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted: %w", err)
		}
		fmt.Fprintln(os.Stderr, "\npipelinebench: FAILED:", err)
		os.Exit(1)
	}
}

func (o *options) check() error {
	switch {
	case o.rows <= 0:
		return errors.New("-rows must be positive")
	case o.updates < 0 || o.updates > o.rows:
		return fmt.Errorf("-updates %d: want 0..%d (-rows)", o.updates, o.rows)
	case o.deletes < 0 || o.deletes > o.rows:
		return fmt.Errorf("-deletes %d: want 0..%d (-rows)", o.deletes, o.rows)
	case o.floorRuns <= 0:
		return errors.New("-floor-runs must be positive")
	case o.txRows <= 0:
		return errors.New("-tx-rows must be positive")
	case o.lagSeconds < 0:
		return errors.New("-lag-seconds must not be negative")
	case o.lagSeconds > 0 && o.lagRate < lagTxRows:
		return fmt.Errorf("-lag-rate must be at least %d rows/s", lagTxRows)
	}
	return nil
}

// results collects the figures for the summary.
type results struct {
	machine    machineInfo
	mariadbVer string
	pgVer      string

	inserts, updates, deletes int64
	binlogBytes               int64
	workload                  time.Duration

	catchup       time.Duration
	syncerStopErr error
	// CPU time (user + system) over the catch-up.
	syncerCPU, pgCPU, mariadbCPU time.Duration

	rows     int
	checksum checksum

	floor     time.Duration // median
	floorRuns []time.Duration
	floorRows int

	lag *lagResult
}

func (r *results) changes() int64 { return r.inserts + r.updates + r.deletes }

// cpuLine shows the CPU time of syncer, PostgreSQL and MariaDB over the
// catch-up, in cores.
func (r *results) cpuLine() string {
	c := func(d time.Duration) string {
		return fmt.Sprintf("%s (%.2f cores)", round(d), d.Seconds()/r.catchup.Seconds())
	}
	return fmt.Sprintf("CPU time over the catch-up (user + system): syncer %s, PostgreSQL %s, MariaDB %s",
		c(r.syncerCPU), c(r.pgCPU), c(r.mariadbCPU))
}

func (r *results) catchupRate() float64 { return float64(r.changes()) / r.catchup.Seconds() }

func (r *results) floorRate() float64 { return float64(r.floorRows) / r.floor.Seconds() }

func run(ctx context.Context, o options, out io.Writer) error {
	syncerPath, err := filepath.Abs(o.syncer)
	if err != nil {
		return err
	}
	if st, err := os.Stat(syncerPath); err != nil || st.IsDir() {
		return fmt.Errorf("syncer binary %s: not a file (%v): run make build", syncerPath, err)
	}
	work, err := os.MkdirTemp("", "pipelinebench-")
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

	var res results
	res.machine = readMachine()
	fmt.Fprintf(out, "== machine: %s\n", res.machine)

	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// Servers, started side by side. Both run without durability (the
	// harness's defaults); the sizes below keep checkpoints and buffer
	// pool misses from dominating a 1M-row run, for syncer and the COPY
	// floor alike.
	fmt.Fprintf(out, "== starting a private MariaDB and a private PostgreSQL\n")
	type started struct {
		m   *harness.MariaDB
		p   *harness.Postgres
		err error
	}
	mch, pch := make(chan started, 1), make(chan started, 1)
	go func() {
		m, err := harness.StartMariaDB(ctx, harness.MariaDBOptions{
			Logger:    log,
			ExtraArgs: []string{"--innodb-buffer-pool-size=1G", "--innodb-log-file-size=512M"},
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
				fmt.Fprintln(os.Stderr, "pipelinebench: stopping MariaDB:", err)
			}
		}()
	}
	if ps.p != nil {
		defer func() {
			if err := ps.p.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "pipelinebench: stopping PostgreSQL:", err)
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

	// 1. Workload with syncer stopped.
	wl := &workload{o: o, db: src, out: out}
	start, end, err := wl.run(ctx, &res)
	if err != nil {
		return err
	}

	// 2. Catch-up.
	sp := pipelineSpec{
		name:     "bench",
		serverID: 4101,
		include:  "bench.items",
		start:    fmt.Sprintf("{file: %s, pos: %d}", start.File, start.Pos),
	}
	if err := catchUp(ctx, o, work, syncerPath, m, pg, tgt, sp, end, &res, out); err != nil {
		return err
	}

	// 3. Correctness.
	if o.tamper {
		fmt.Fprintf(out, "\n== -tamper: changing the title of the target's first row and deleting its last; the comparison must fail\n")
		for _, q := range []string{
			"UPDATE bench.items SET title = title || ' (tampered)' WHERE id = (SELECT min(id) FROM bench.items)",
			"DELETE FROM bench.items WHERE id = (SELECT max(id) FROM bench.items)",
		} {
			if _, err := tgt.Exec(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
	}
	fmt.Fprintf(out, "\n== reading the source's rows (not timed)\n")
	t := time.Now()
	items, err := readSource(ctx, src)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %s rows in %s\n", grouped(int64(len(items))), round(time.Since(t)))
	fmt.Fprintf(out, "\n== comparing the target with the source (every row, every column)\n")
	sum, err := verifyTarget(ctx, tgt, items, out)
	if err != nil {
		return err
	}
	res.rows, res.checksum = len(items), sum

	// 4. COPY floor.
	if err := copyFloor(ctx, tgt, items, o.floorRuns, &res, out); err != nil {
		return err
	}
	items = nil

	// 5. Lag.
	if o.lagSeconds > 0 {
		lr, err := lagPhase(ctx, o, work, syncerPath, m, pg, src, tgt, out)
		if err != nil {
			return err
		}
		res.lag = lr
	}

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
	fmt.Fprintf(w, "workload     %s inserts + %s updates + %s deletes = %s row changes in %d-row transactions (%.1f MB of binlog, written in %s)\n",
		grouped(r.inserts), grouped(r.updates), grouped(r.deletes), grouped(r.changes()), o.txRows,
		float64(r.binlogBytes)/1e6, round(r.workload))
	fmt.Fprintf(w, "batch        max_records %d, max_bytes %s, max_latency %s\n", o.maxRecords, o.maxBytes, o.maxLatency)
	fmt.Fprintf(w, "catch-up     %s changes in %s: %s changes/s (%.1f MB/s of binlog)\n",
		grouped(r.changes()), round(r.catchup), grouped(int64(r.catchupRate())), float64(r.binlogBytes)/1e6/r.catchup.Seconds())
	fmt.Fprintf(w, "             %s\n", r.cpuLine())
	if r.syncerStopErr != nil {
		fmt.Fprintf(w, "             WARNING: syncer's stop after SIGTERM: %v\n", r.syncerStopErr)
	}
	fmt.Fprintf(w, "correctness  target equals source: %s rows, sum(id) %d, sum(price) %s, md5 %s\n",
		grouped(int64(r.rows)), r.checksum.sumID, centsString(r.checksum.sumCents), r.checksum.md5)
	var runs []string
	for _, d := range r.floorRuns {
		runs = append(runs, grouped(int64(float64(r.floorRows)/d.Seconds())))
	}
	fmt.Fprintf(w, "COPY floor   %s rows in %s: %s rows/s (binary COPY, one transaction; median of %d runs: %s rows/s)\n",
		grouped(int64(r.floorRows)), round(r.floor), grouped(int64(r.floorRate())), len(r.floorRuns), strings.Join(runs, ", "))
	ratio := r.catchupRate() / r.floorRate()
	fmt.Fprintf(w, "ratio        catch-up/floor %.0f%% (target >= 50%%: %s)\n", 100*ratio, passFail(ratio >= 0.5))
	if l := r.lag; l != nil {
		fmt.Fprintf(w, "lag          p50 %s, p90 %s, p99 %s, max %s over %d transactions at %s rows/s (asked %d) (target p99 < 1s: %s)\n",
			round(l.p50), round(l.p90), round(l.p99), round(l.max), l.txs, grouped(int64(l.rate)), o.lagRate, passFail(l.p99 < time.Second))
	} else {
		fmt.Fprintf(w, "lag          not measured (-lag-seconds 0)\n")
	}
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
