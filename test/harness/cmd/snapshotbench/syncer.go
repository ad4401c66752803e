package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/seed5aa6e046/syncer/sources/mysql/snapshot"
	"github.com/seed5aa6e046/syncer/test/harness"
)

const pipelineName = "snap"

// writeYAML writes the pipelines file: one pipeline, bench.snap, no
// source.start (so the snapshot mode is initial), the sink's and batch
// defaults, and a snapshot key only for the settings given by flags.
// Each run has its own server_id: MariaDB lists the previous run's binlog
// dump thread as a replica until it next writes to it, and syncer refuses
// a server_id another replica uses.
func writeYAML(o options, run int, dir string, m *harness.MariaDB, pg *harness.Postgres) (string, error) {
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
	snapKey := ""
	if len(snap) > 0 {
		snapKey = "    snapshot: {" + strings.Join(snap, ", ") + "}\n"
	}
	y := fmt.Sprintf(`# Written by snapshotbench.
state_dir: %s
pipelines:
  - name: %s
    source:
      dsn: %s
      server_id: %d
      include: ["bench.snap"]
%s    sink:
      type: postgres
      dsn: %s
`, strconv.Quote(filepath.Join(dir, "state")), pipelineName, strconv.Quote(m.DSN()), 4200+run, snapKey, strconv.Quote(pg.DSN()))
	path := filepath.Join(dir, pipelineName+".yaml")
	return path, os.WriteFile(path, []byte(y), 0o600)
}

// syncerProc is a running `syncer run`, its output in a log file.
type syncerProc struct {
	cmd     *exec.Cmd
	log     string
	started time.Time
	done    chan struct{}
	err     error // Wait's result, valid after done
	stopped bool
}

func startSyncer(path, yaml, logFile string) (*syncerProc, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(path, "run", yaml)
	cmd.Stdout, cmd.Stderr = f, f
	// Its own process group, so that a Ctrl-C in the terminal reaches the
	// benchmark only and the benchmark stops syncer itself; SIGTERM too if
	// the benchmark dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	p := &syncerProc{cmd: cmd, log: logFile, done: make(chan struct{})}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *syncerProc) exitedErr() error {
	select {
	case <-p.done:
		return fmt.Errorf("syncer run exited on its own (%v); its log %s ends:\n%s", p.err, p.log, p.tail(30))
	default:
		return nil
	}
}

func (p *syncerProc) tail(n int) string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", p.log, err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + string(bytes.Join(lines, []byte("\n    ")))
}

// stop sends SIGTERM and waits (30s, then SIGKILL of its process group).
// It returns an error when syncer does not exit with status 0. It may be
// called more than once.
func (p *syncerProc) stop() error {
	if p.stopped {
		return nil
	}
	p.stopped = true
	select {
	case <-p.done:
		return fmt.Errorf("syncer had exited before SIGTERM: %v", p.err)
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("syncer run exited with %v after SIGTERM; its log %s ends:\n%s", p.err, p.log, p.tail(15))
		}
		return nil
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("syncer run still running 30s after SIGTERM: killed; its log %s ends:\n%s", p.log, p.tail(15))
	}
}

// sinkSnapshot reads the snapshot progress of the pipeline's checkpoint;
// ok is false while there is no checkpoint with a position.
func sinkSnapshot(ctx context.Context, tgt *pgx.Conn) (s string, ok bool, err error) {
	err = tgt.QueryRow(ctx, "SELECT snapshot FROM _syncer.checkpoints WHERE pipeline = $1 AND file <> ''", pipelineName).Scan(&s)
	var pe *pgconn.PgError
	if errors.Is(err, pgx.ErrNoRows) || (errors.As(err, &pe) && (pe.Code == "42P01" || pe.Code == "3F000")) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return s, true, nil
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
	// CPU time (user + system) over the snapshot.
	syncerCPU, pgCPU, mariadbCPU time.Duration
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
func (r *snapRun) cpuLine() string {
	c := func(d time.Duration) string {
		return fmt.Sprintf("%s (%.2f cores)", round(d), d.Seconds()/r.dur.Seconds())
	}
	return fmt.Sprintf("CPU time over the snapshot (user + system): syncer %s, PostgreSQL %s, MariaDB %s",
		c(r.syncerCPU), c(r.pgCPU), c(r.mariadbCPU))
}

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
func runSnapshot(ctx context.Context, o options, run int, work, syncerPath string, m *harness.MariaDB, pg *harness.Postgres,
	tgt *pgx.Conn, rows int, out io.Writer) (snapRun, error) {
	var res snapRun
	dir := filepath.Join(work, fmt.Sprintf("run%d", run))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return res, err
	}
	yaml, err := writeYAML(o, run, dir, m, pg)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(out, "\n== snapshot, run %d: syncer run %s (no source.start: snapshot mode initial; %s), until the sink's checkpoint says the copy is complete\n",
		run, yaml, snapSettings(o))
	if err := settle(ctx, m.DB(), tgt, out); err != nil {
		return res, err
	}
	pgBefore, myBefore := sampleCPU(pg.PID(), true), sampleCPU(m.PID(), false)
	proc, err := startSyncer(syncerPath, yaml, filepath.Join(dir, "syncer.log"))
	if err != nil {
		return res, err
	}
	defer proc.stop()
	res.started = proc.started
	pid := proc.cmd.Process.Pid
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := proc.started.Add(o.timeout)
	nextReport := proc.started.Add(10 * time.Second)
	var last string
	var seen, seenActive bool
	for {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-tick.C:
		}
		if rss, _, ok := memStatus(pid); ok && rss > res.maxRSS {
			res.maxRSS = rss
		}
		s, ok, err := sinkSnapshot(ctx, tgt)
		now := time.Now()
		if err != nil {
			return res, fmt.Errorf("read the checkpoint: %w", err)
		}
		if ok {
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
				ev, err := readLog(proc.log)
				if err != nil {
					return res, err
				}
				if !ev.complete.IsZero() {
					res.dur = now.Sub(proc.started)
					res.syncerCPU = sampleCPU(pid, false).since(nil)
					res.pgCPU = sampleCPU(pg.PID(), true).since(pgBefore)
					res.mariadbCPU = sampleCPU(m.PID(), false).since(myBefore)
					if rss, hwm, ok := memStatus(pid); ok {
						res.maxRSS = max(res.maxRSS, rss)
						res.hwm = hwm
					}
					res.events = ev
					break
				}
				if seenActive {
					return res, fmt.Errorf("the checkpoint's snapshot progress is done (%.200q) but syncer's log has no \"snapshot: complete\" line; it ends:\n%s", s, proc.tail(20))
				}
			}
		}
		if err := proc.exitedErr(); err != nil {
			return res, err
		}
		if now.After(deadline) {
			return res, fmt.Errorf("snapshot not complete after %s (checkpoint seen: %v, progress %.300q); syncer's log %s ends:\n%s",
				o.timeout, seen, last, proc.log, proc.tail(20))
		}
		if now.After(nextReport) {
			nextReport = nextReport.Add(10 * time.Second)
			msg := "no checkpoint yet"
			if p, err := snapshot.ReadProgress(last); err == nil && p != nil {
				var n int64
				for _, t := range p.Tables {
					n += t.Rows
				}
				msg = fmt.Sprintf("%s rows copied", grouped(n+p.DoneRows))
			}
			fmt.Fprintf(out, "   %s: %s, syncer RSS %.0f MiB\n", round(now.Sub(proc.started)), msg, mib(res.maxRSS))
		}
	}
	fmt.Fprintf(out, "   complete after %s: %s rows/s", round(res.dur), grouped(int64(res.rate(rows))))
	if ct := res.copyTime(); ct > 0 {
		fmt.Fprintf(out, "; after start-up (%s to \"snapshot: reading\") %s: %s rows/s", round(res.startup()), round(ct), grouped(int64(float64(rows)/ct.Seconds())))
	}
	fmt.Fprintf(out, "\n   syncer peak RSS %.0f MiB (VmHWM), %.0f MiB (largest VmRSS sampled every 50ms)\n", mib(res.hwm), mib(res.maxRSS))
	for _, l := range res.events.copied {
		fmt.Fprintf(out, "   log: %s\n", l)
	}
	if err := proc.stop(); err != nil {
		res.stopErr = err
		fmt.Fprintf(out, "   WARNING: %v\n", err)
	} else {
		fmt.Fprintf(out, "   syncer stopped (SIGTERM), exit status 0\n")
	}
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
	if ev, err := readLog(proc.log); err == nil && ev.panicked {
		return res, fmt.Errorf("syncer's log %s shows a panic:\n%s", proc.log, proc.tail(40))
	}
	if res.events.reading.IsZero() {
		fmt.Fprintf(out, "   (no \"snapshot: reading\" line with a time in syncer's log: the start-up is not separated)\n")
	}
	return res, nil
}

// resetTarget drops what a snapshot run made in Postgres (the target
// schema and the sink's state schema), so the next run is a first run.
func resetTarget(ctx context.Context, tgt *pgx.Conn) error {
	for _, q := range []string{"DROP SCHEMA IF EXISTS bench CASCADE", "DROP SCHEMA IF EXISTS _syncer CASCADE"} {
		if _, err := tgt.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
