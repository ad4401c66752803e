package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/seed5aa6e046/syncer/test/harness"
	"github.com/seed5aa6e046/syncer/test/harness/benchrun"
)

// writeYAML writes a pipelines file with one of the benchmark's
// pipelines, with the batch settings of the flags, and returns its path.
func writeYAML(o options, env *benchrun.Env, p benchrun.Pipeline) (string, error) {
	p.More = []string{fmt.Sprintf("batch: {max_records: %d, max_bytes: %s, max_latency: %s}", o.maxRecords, o.maxBytes, o.maxLatency)}
	return env.WritePipelines(env.Work, filepath.Join(env.Work, "state-"+p.Name), p)
}

// isUndefined reports the errors of a query on a table or schema that does
// not exist yet.
func isUndefined(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "42P01" || pe.Code == "3F000")
}

// checkpoint reads the pipeline's stored position; ok is false when there
// is none yet.
func checkpoint(ctx context.Context, tgt *pgx.Conn, pipeline string) (binlogPos, bool, error) {
	p, ok, err := harness.SinkCheckpoint(ctx, tgt, pipeline)
	return binlogPos{File: p.File, Pos: int64(p.Pos)}, ok, err
}

// catchUp runs syncer on the workload's binlog and times it until the
// checkpoint reaches end.
func catchUp(ctx context.Context, o options, env *benchrun.Env, sp benchrun.Pipeline, end binlogPos, res *results, out io.Writer) error {
	yaml, err := writeYAML(o, env, sp)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n== catch-up: syncer run %s (pipeline %s, start %s), until its checkpoint reaches %s\n",
		filepath.Base(yaml), sp.Name, sp.Start, end)
	cpu := env.StartCPU()
	proc, err := env.StartSyncer(yaml, filepath.Join(env.Work, "syncer-"+sp.Name+".log"))
	if err != nil {
		return err
	}
	defer proc.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := proc.Started.Add(o.catchupTimeout)
	nextReport := proc.Started.Add(5 * time.Second)
	var last binlogPos
	var seen bool
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		cp, ok, err := checkpoint(ctx, env.Target, sp.Name)
		now := time.Now()
		if err != nil {
			return fmt.Errorf("read the checkpoint: %w", err)
		}
		if ok {
			last, seen = cp, true
			if cp.reached(end) {
				res.catchup = now.Sub(proc.Started)
				res.cpu = cpu.Read(proc)
				break
			}
		}
		if err := proc.ExitedErr(); err != nil {
			return err
		}
		if now.After(deadline) {
			return fmt.Errorf("catch-up: checkpoint %s (seen: %v) has not reached %s after %s; syncer's log %s ends:\n%s",
				last, seen, end, o.catchupTimeout, proc.Log, proc.Tail(20))
		}
		if now.After(nextReport) {
			nextReport = nextReport.Add(5 * time.Second)
			if seen {
				fmt.Fprintf(out, "   %s: checkpoint %s\n", benchrun.Round(now.Sub(proc.Started)), last)
			} else {
				fmt.Fprintf(out, "   %s: no checkpoint yet\n", benchrun.Round(now.Sub(proc.Started)))
			}
		}
	}
	fmt.Fprintf(out, "   checkpoint %s reached %s after %s: %s changes/s\n",
		last, end, benchrun.Round(res.catchup), benchrun.Grouped(int64(res.catchupRate())))
	res.syncerStopErr = proc.StopReported(out)
	fmt.Fprintf(out, "   %s\n", res.cpuLine())
	if strings.Contains(proc.Tail(1000), "panic:") {
		return fmt.Errorf("syncer's log %s shows a panic:\n%s", proc.Log, proc.Tail(40))
	}
	return nil
}
