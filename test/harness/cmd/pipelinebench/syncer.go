package main

import (
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

	"github.com/seed5aa6e046/syncer/test/harness"
)

// pipelineSpec is what differs between the benchmark's pipelines.
type pipelineSpec struct {
	name     string
	serverID int
	include  string
	start    string // YAML value of source.start
}

// writeYAML writes a pipelines file with one pipeline and returns its path.
func writeYAML(o options, work string, m *harness.MariaDB, pg *harness.Postgres, sp pipelineSpec) (string, error) {
	state := filepath.Join(work, "state-"+sp.name)
	y := fmt.Sprintf(`# Written by pipelinebench.
state_dir: %s
pipelines:
  - name: %s
    source:
      dsn: %s
      server_id: %d
      include: [%s]
      start: %s
    sink:
      type: postgres
      dsn: %s
    batch: {max_records: %d, max_bytes: %s, max_latency: %s}
`, strconv.Quote(state), sp.name, strconv.Quote(m.DSN()), sp.serverID, strconv.Quote(sp.include), sp.start,
		strconv.Quote(pg.DSN()), o.maxRecords, o.maxBytes, o.maxLatency)
	path := filepath.Join(work, sp.name+".yaml")
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

// exitedErr returns an error when syncer has exited: it must run until
// stopped.
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

// stop sends SIGTERM and waits (30s, then SIGKILL). It returns an error
// when syncer does not exit with status 0. It may be called more than
// once.
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
func catchUp(ctx context.Context, o options, work, syncerPath string, m *harness.MariaDB, pg *harness.Postgres,
	tgt *pgx.Conn, sp pipelineSpec, end binlogPos, res *results, out io.Writer) error {
	yaml, err := writeYAML(o, work, m, pg, sp)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n== catch-up: syncer run %s (pipeline %s, start %s), until its checkpoint reaches %s\n",
		filepath.Base(yaml), sp.name, sp.start, end)
	pgBefore, myBefore := sampleCPU(pg.PID(), true), sampleCPU(m.PID(), false)
	proc, err := startSyncer(syncerPath, yaml, filepath.Join(work, "syncer-"+sp.name+".log"))
	if err != nil {
		return err
	}
	defer proc.stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := proc.started.Add(o.catchupTimeout)
	nextReport := proc.started.Add(5 * time.Second)
	var last binlogPos
	var seen bool
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		cp, ok, err := checkpoint(ctx, tgt, sp.name)
		now := time.Now()
		if err != nil {
			return fmt.Errorf("read the checkpoint: %w", err)
		}
		if ok {
			last, seen = cp, true
			if cp.reached(end) {
				res.catchup = now.Sub(proc.started)
				res.pgCPU = sampleCPU(pg.PID(), true).since(pgBefore)
				res.mariadbCPU = sampleCPU(m.PID(), false).since(myBefore)
				res.syncerCPU = sampleCPU(proc.cmd.Process.Pid, false).since(nil)
				break
			}
		}
		if err := proc.exitedErr(); err != nil {
			return err
		}
		if now.After(deadline) {
			return fmt.Errorf("catch-up: checkpoint %s (seen: %v) has not reached %s after %s; syncer's log %s ends:\n%s",
				last, seen, end, o.catchupTimeout, proc.log, proc.tail(20))
		}
		if now.After(nextReport) {
			nextReport = nextReport.Add(5 * time.Second)
			if seen {
				fmt.Fprintf(out, "   %s: checkpoint %s\n", round(now.Sub(proc.started)), last)
			} else {
				fmt.Fprintf(out, "   %s: no checkpoint yet\n", round(now.Sub(proc.started)))
			}
		}
	}
	fmt.Fprintf(out, "   checkpoint %s reached %s after %s: %s changes/s\n",
		last, end, round(res.catchup), grouped(int64(res.catchupRate())))
	if err := proc.stop(); err != nil {
		res.syncerStopErr = err
		fmt.Fprintf(out, "   WARNING: %v\n", err)
	} else {
		fmt.Fprintf(out, "   syncer stopped (SIGTERM), exit status 0\n")
	}
	fmt.Fprintf(out, "   %s\n", res.cpuLine())
	if strings.Contains(proc.tail(1000), "panic:") {
		return fmt.Errorf("syncer's log %s shows a panic:\n%s", proc.log, proc.tail(40))
	}
	return nil
}
