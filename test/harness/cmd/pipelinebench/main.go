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
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/seed5aa6e046/syncer/test/harness/benchrun"
)

type options struct {
	benchrun.Flags
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
	tamper         bool
	floorRuns      int
}

func main() {
	var o options
	o.Register("YAML files, syncer logs")
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
	flag.BoolVar(&o.tamper, "tamper", false, "change one target row and delete another after the catch-up: the comparison must then fail (tests the benchmark's own check)")
	flag.Parse()
	benchrun.Main("pipelinebench", o.check, func(ctx context.Context, out io.Writer) error { return run(ctx, o, out) })
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
	inserts, updates, deletes int64
	binlogBytes               int64
	workload                  time.Duration

	catchup       time.Duration
	syncerStopErr error
	cpu           benchrun.CPUTimes // over the catch-up

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
func (r *results) cpuLine() string { return r.cpu.Line("catch-up", r.catchup) }

func (r *results) catchupRate() float64 { return float64(r.changes()) / r.catchup.Seconds() }

func (r *results) floorRate() float64 { return float64(r.floorRows) / r.floor.Seconds() }

func run(ctx context.Context, o options, out io.Writer) error {
	env, err := benchrun.NewEnv("pipelinebench", o.Flags, out)
	if err != nil {
		return err
	}
	defer env.Close()

	// The sizes below keep checkpoints and buffer pool misses from
	// dominating a 1M-row run, for syncer and the COPY floor alike.
	err = env.StartServers(ctx, benchrun.ServerOptions{
		MariaDBArgs:  []string{"--innodb-buffer-pool-size=1G", "--innodb-log-file-size=512M"},
		PostgresArgs: []string{"-c", "shared_buffers=1GB", "-c", "max_wal_size=8GB"},
		// DATETIME and TIMESTAMP values parsed as UTC, as the sessions
		// run, so that TIMESTAMP literals and results are UTC instants.
		SourceConfig: func(cfg *mysql.Config) {
			cfg.ParseTime = true
			cfg.Loc = time.UTC
		},
	})
	if err != nil {
		return err
	}
	src, tgt := env.Source, env.Target
	var res results

	// 1. Workload with syncer stopped.
	wl := &workload{o: o, env: env, out: out}
	start, end, err := wl.run(ctx, &res)
	if err != nil {
		return err
	}

	// 2. Catch-up.
	sp := benchrun.Pipeline{
		Name:     "bench",
		ServerID: 4101,
		Include:  "bench.items",
		Start:    fmt.Sprintf("{file: %s, pos: %d}", start.File, start.Pos),
	}
	if err := catchUp(ctx, o, env, sp, end, &res, out); err != nil {
		return err
	}

	// 3. Correctness.
	if o.tamper {
		if err := env.Tamper(ctx, "bench.items", "title"); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "\n== reading the source's rows (not timed)\n")
	t := time.Now()
	items, err := readSource(ctx, src)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %s rows in %s\n", benchrun.Grouped(int64(len(items))), benchrun.Round(time.Since(t)))
	fmt.Fprintf(out, "\n== comparing the target with the source (every row, every column)\n")
	sum, err := verifyTarget(ctx, tgt, items, out)
	if err != nil {
		return err
	}
	res.rows, res.checksum = len(items), sum

	// 4. COPY floor.
	if err := copyFloor(ctx, env, items, o.floorRuns, &res, out); err != nil {
		return err
	}
	items = nil

	// 5. Lag.
	if o.lagSeconds > 0 {
		lr, err := lagPhase(ctx, o, env, out)
		if err != nil {
			return err
		}
		res.lag = lr
	}

	printSummary(out, o, env, &res)
	return nil
}

func printSummary(w io.Writer, o options, env *benchrun.Env, r *results) {
	env.PrintSummaryHead(w)
	fmt.Fprintf(w, "workload     %s inserts + %s updates + %s deletes = %s row changes in %d-row transactions (%.1f MB of binlog, written in %s)\n",
		benchrun.Grouped(r.inserts), benchrun.Grouped(r.updates), benchrun.Grouped(r.deletes), benchrun.Grouped(r.changes()), o.txRows,
		float64(r.binlogBytes)/1e6, benchrun.Round(r.workload))
	fmt.Fprintf(w, "batch        max_records %d, max_bytes %s, max_latency %s\n", o.maxRecords, o.maxBytes, o.maxLatency)
	fmt.Fprintf(w, "catch-up     %s changes in %s: %s changes/s (%.1f MB/s of binlog)\n",
		benchrun.Grouped(r.changes()), benchrun.Round(r.catchup), benchrun.Grouped(int64(r.catchupRate())), float64(r.binlogBytes)/1e6/r.catchup.Seconds())
	fmt.Fprintf(w, "             %s\n", r.cpuLine())
	if r.syncerStopErr != nil {
		fmt.Fprintf(w, "             WARNING: syncer's stop after SIGTERM: %v\n", r.syncerStopErr)
	}
	fmt.Fprintf(w, "correctness  target equals source: %s rows, sum(id) %d, sum(price) %s, md5 %s\n",
		benchrun.Grouped(int64(r.rows)), r.checksum.SumID, centsString(r.checksum.sumCents), r.checksum.MD5)
	var runs []string
	for _, d := range r.floorRuns {
		runs = append(runs, benchrun.Grouped(int64(float64(r.floorRows)/d.Seconds())))
	}
	fmt.Fprintf(w, "COPY floor   %s rows in %s: %s rows/s (binary COPY, one transaction; median of %d runs: %s rows/s)\n",
		benchrun.Grouped(int64(r.floorRows)), benchrun.Round(r.floor), benchrun.Grouped(int64(r.floorRate())), len(r.floorRuns), strings.Join(runs, ", "))
	ratio := r.catchupRate() / r.floorRate()
	fmt.Fprintf(w, "ratio        catch-up/floor %.0f%% (target >= 50%%: %s)\n", 100*ratio, benchrun.PassFail(ratio >= 0.5))
	if l := r.lag; l != nil {
		fmt.Fprintf(w, "lag          p50 %s, p90 %s, p99 %s, max %s over %d transactions at %s rows/s (asked %d) (target p99 < 1s: %s)\n",
			benchrun.Round(l.p50), benchrun.Round(l.p90), benchrun.Round(l.p99), benchrun.Round(l.max), l.txs, benchrun.Grouped(int64(l.rate)), o.lagRate, benchrun.PassFail(l.p99 < time.Second))
	} else {
		fmt.Fprintf(w, "lag          not measured (-lag-seconds 0)\n")
	}
}
