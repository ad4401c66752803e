package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/snapshot"
	"github.com/seed5aa6e046/syncer/test/harness"
	"github.com/seed5aa6e046/syncer/test/harness/benchrun"
)

const pipelineName = "snap"

// writeYAML writes the pipelines file: one pipeline, bench.snap, no
// source.start (so the snapshot mode is initial), the sink's and batch
// defaults, and a snapshot key only for the settings given by flags.
// Each run has its own server_id: MariaDB lists the previous run's binlog
// dump thread as a replica until it next writes to it, and syncer refuses
// a server_id another replica uses.
func writeYAML(o options, run int, dir string, env *benchrun.Env) (string, error) {
	var snap []string
	if o.chunkRows > 0 {
		snap = append(snap, fmt.Sprintf("chunk_rows: %d", o.chunkRows))
	}
	if o.chunkBytes != "" {
		snap = append(snap, "chunk_bytes: "+o.chunkBytes)
	}
	if o.parallel > 0 {
		snap = append(snap, fmt.Sprintf("parallel: %d", o.parallel))
	}
	p := benchrun.Pipeline{Name: pipelineName, ServerID: 4200 + run, Include: "bench.snap"}
	if len(snap) > 0 {
		p.More = []string{"snapshot: {" + strings.Join(snap, ", ") + "}"}
	}
	return env.WritePipelines(dir, filepath.Join(dir, "state"), p)
}

// logEvents are the snapshot's log lines, by the time in their time=
// attribute.
type logEvents struct {
	reading, complete time.Time
	copied            []string // the "snapshot: table copied" lines
	panicked          bool
}

// readLog scans syncer's text log for the snapshot's lines.
func readLog(path string) (logEvents, error) {
	var ev logEvents
	f, err := os.Open(path)
	if err != nil {
		return ev, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, `msg="snapshot: reading"`):
			if ev.reading.IsZero() {
				ev.reading = lineTime(line)
			}
		case strings.Contains(line, `msg="snapshot: complete"`):
			ev.complete = lineTime(line)
		case strings.Contains(line, `msg="snapshot: table copied"`):
			ev.copied = append(ev.copied, line)
		case strings.HasPrefix(line, "panic:"):
			ev.panicked = true
		}
	}
	return ev, sc.Err()
}

// lineTime parses slog's time= attribute at the start of a text log line;
// the zero time when there is none.
func lineTime(line string) time.Time {
	v, ok := strings.CutPrefix(line, "time=")
	if !ok {
		return time.Time{}
	}
	v, _, _ = strings.Cut(v, " ")
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}
	}
	return t
}

// snapRun is one run of the snapshot.
type snapRun struct {
	started time.Time     // syncer's start
	dur     time.Duration // process start to the checkpoint's completion
	events  logEvents
	stopErr error
	cpu     benchrun.CPUTimes // over the snapshot
	// Syncer's resident memory: VmHWM at the end, the largest VmRSS
	// sampled.
	hwm, maxRSS int64
	// Autovacuum runs on the target by the snapshot's end.
	autovacuums, autoanalyzes int64
}

func (r *snapRun) rate(rows int) float64 { return float64(rows) / r.dur.Seconds() }

// copyTime is the snapshot's time from its "snapshot: reading" log line
// (after process start-up, connecting, the schema capture) to the
// checkpoint's completion; 0 when the line is missing.
func (r *snapRun) copyTime() time.Duration {
	if r.events.reading.IsZero() {
		return 0
	}
	if d := r.dur - r.events.reading.Sub(r.started); d > 0 && d <= r.dur {
		return d
	}
	return 0
}

// startup is the time from the process's start to "snapshot: reading".
func (r *snapRun) startup() time.Duration { return r.dur - r.copyTime() }

// cpuLine shows the CPU time of syncer, PostgreSQL and MariaDB over the
// snapshot, in cores.
func (r *snapRun) cpuLine() string { return r.cpu.Line("snapshot", r.dur) }

// snapSettings describes the pipeline's snapshot settings.
func snapSettings(o options) string {
	if o.chunkRows == 0 && o.chunkBytes == "" && o.parallel == 0 {
		return "snapshot defaults (chunk_rows 50000, chunk_bytes 64MiB, parallel 2)"
	}
	v := func(given bool, set, def string) string {
		if given {
			return set
		}
		return def + " (default)"
	}
	return fmt.Sprintf("snapshot chunk_rows %s, chunk_bytes %s, parallel %s",
		v(o.chunkRows > 0, fmt.Sprint(o.chunkRows), "50000"), v(o.chunkBytes != "", o.chunkBytes, "64MiB"),
		v(o.parallel > 0, fmt.Sprint(o.parallel), "2"))
}

// runSnapshot starts `syncer run` on a fresh pipeline (no checkpoint, no
// target table) and times it until the sink's checkpoint says the copy is
// complete, sampling syncer's resident memory meanwhile.
func runSnapshot(ctx context.Context, o options, run int, env *benchrun.Env, rows int, out io.Writer) (snapRun, error) {
	var res snapRun
	tgt := env.Target
	dir := filepath.Join(env.Work, fmt.Sprintf("run%d", run))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return res, err
	}
	yaml, err := writeYAML(o, run, dir, env)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(out, "\n== snapshot, run %d: syncer run %s (no source.start: snapshot mode initial; %s), until the sink's checkpoint says the copy is complete\n",
		run, yaml, snapSettings(o))
	if err := settle(ctx, env.MariaDB.DB(), tgt, out); err != nil {
		return res, err
	}
	cpu := env.StartCPU()
	proc, err := env.StartSyncer(yaml, filepath.Join(dir, "syncer.log"))
	if err != nil {
		return res, err
	}
	defer proc.Stop()
	res.started = proc.Started
	pid := proc.PID()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := proc.Started.Add(o.timeout)
	nextReport := proc.Started.Add(10 * time.Second)
	var last string
	var seen, seenActive bool
	for {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-tick.C:
		}
		if rss, _, ok := benchrun.MemStatus(pid); ok && rss > res.maxRSS {
			res.maxRSS = rss
		}
		cp, ok, err := harness.SinkCheckpoint(ctx, tgt, pipelineName)
		now := time.Now()
		if err != nil {
			return res, err
		}
		if ok {
			s := cp.Snapshot
			seen, last = true, s
			active, err := snapshot.InProgress(s)
			if err != nil {
				return res, err
			}
			seenActive = seenActive || active
			// Done: a checkpoint without tables to copy, after the copy
			// (its log line comes before the sink commits the last
			// chunk's checkpoint).
			if !active {
				ev, err := readLog(proc.Log)
				if err != nil {
					return res, err
				}
				if !ev.complete.IsZero() {
					res.dur = now.Sub(proc.Started)
					res.cpu = cpu.Read(proc)
					if rss, hwm, ok := benchrun.MemStatus(pid); ok {
						res.maxRSS = max(res.maxRSS, rss)
						res.hwm = hwm
					}
					res.events = ev
					break
				}
				if seenActive {
					return res, fmt.Errorf("the checkpoint's snapshot progress is done (%.200q) but syncer's log has no \"snapshot: complete\" line; it ends:\n%s", s, proc.Tail(20))
				}
			}
		}
		if err := proc.ExitedErr(); err != nil {
			return res, err
		}
		if now.After(deadline) {
			return res, fmt.Errorf("snapshot not complete after %s (checkpoint seen: %v, progress %.300q); syncer's log %s ends:\n%s",
				o.timeout, seen, last, proc.Log, proc.Tail(20))
		}
		if now.After(nextReport) {
			nextReport = nextReport.Add(10 * time.Second)
			msg := "no checkpoint yet"
			if p, err := snapshot.ReadProgress(last); err == nil && p != nil {
				var n int64
				for _, t := range p.Tables {
					n += t.Rows
				}
				msg = fmt.Sprintf("%s rows copied", benchrun.Grouped(n+p.DoneRows))
			}
			fmt.Fprintf(out, "   %s: %s, syncer RSS %.0f MiB\n", benchrun.Round(now.Sub(proc.Started)), msg, mib(res.maxRSS))
		}
	}
	fmt.Fprintf(out, "   complete after %s: %s rows/s", benchrun.Round(res.dur), benchrun.Grouped(int64(res.rate(rows))))
	if ct := res.copyTime(); ct > 0 {
		fmt.Fprintf(out, "; after start-up (%s to \"snapshot: reading\") %s: %s rows/s", benchrun.Round(res.startup()), benchrun.Round(ct), benchrun.Grouped(int64(float64(rows)/ct.Seconds())))
	}
	fmt.Fprintf(out, "\n   syncer peak RSS %.0f MiB (VmHWM), %.0f MiB (largest VmRSS sampled every 50ms)\n", mib(res.hwm), mib(res.maxRSS))
	for _, l := range res.events.copied {
		fmt.Fprintf(out, "   log: %s\n", l)
	}
	res.stopErr = proc.StopReported(out)
	fmt.Fprintf(out, "   %s\n", res.cpuLine())
	if err := tgt.QueryRow(ctx, "SELECT autovacuum_count, autoanalyze_count FROM pg_stat_user_tables WHERE relid = 'bench.snap'::regclass").
		Scan(&res.autovacuums, &res.autoanalyzes); err != nil {
		return res, err
	}
	var size int64
	if err := tgt.QueryRow(ctx, "SELECT pg_total_relation_size('bench.snap')").Scan(&size); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "   target bench.snap: %.1f MB in Postgres (heap, TOAST and primary key); autovacuum of it so far: %d vacuums, %d analyzes\n",
		float64(size)/1e6, res.autovacuums, res.autoanalyzes)
	if ev, err := readLog(proc.Log); err == nil && ev.panicked {
		return res, fmt.Errorf("syncer's log %s shows a panic:\n%s", proc.Log, proc.Tail(40))
	}
	if res.events.reading.IsZero() {
		fmt.Fprintf(out, "   (no \"snapshot: reading\" line with a time in syncer's log: the start-up is not separated)\n")
	}
	return res, nil
}

// resetTarget drops what a snapshot run made in Postgres (the target
// schema and the sink's state schema), so the next run is a first run.
func resetTarget(ctx context.Context, env *benchrun.Env) error {
	return env.ExecTarget(ctx, "DROP SCHEMA IF EXISTS bench CASCADE", "DROP SCHEMA IF EXISTS _syncer CASCADE")
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
