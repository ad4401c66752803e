package benchrun

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// Syncer is a running `syncer run`, its output in a log file. A benchmark
// runs it until it has measured what it wants and then stops it: syncer
// exiting before that is a failure, and so is an exit status other than 0
// after SIGTERM.
type Syncer struct {
	Log     string    // the log file (stdout and stderr)
	Started time.Time // just before the process was started
	cmd     *exec.Cmd
	done    chan struct{}
	err     error // Wait's result, valid after done
	stopped bool
}

// StartSyncer starts `syncer run yaml` with the benchmark's syncer binary,
// its output in logFile.
func (e *Env) StartSyncer(yaml, logFile string) (*Syncer, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(e.Syncer, "run", yaml)
	cmd.Stdout, cmd.Stderr = f, f
	// Its own process group, so that a Ctrl-C in the terminal reaches the
	// benchmark only and the benchmark stops syncer itself; SIGTERM too if
	// the benchmark dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	p := &Syncer{cmd: cmd, Log: logFile, done: make(chan struct{})}
	p.Started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", e.Syncer, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// PID is the syncer process's id, for its readings from /proc.
func (p *Syncer) PID() int { return p.cmd.Process.Pid }

// ExitedErr returns an error when syncer has exited: it must run until
// stopped.
func (p *Syncer) ExitedErr() error {
	select {
	case <-p.done:
		return fmt.Errorf("syncer run exited on its own (%v); its log %s ends:\n%s", p.err, p.Log, p.Tail(30))
	default:
		return nil
	}
}

// Tail returns the last n lines of syncer's log, indented to stand under
// the message that quotes them.
func (p *Syncer) Tail(n int) string {
	return "    " + strings.ReplaceAll(harness.TailFile(p.Log, n), "\n", "\n    ")
}

// Stop sends SIGTERM and waits (30s, then SIGKILL of its process group).
// It returns an error when syncer does not exit with status 0. It may be
// called more than once (a deferred Stop covers the early returns).
func (p *Syncer) Stop() error {
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
			return fmt.Errorf("syncer run exited with %v after SIGTERM; its log %s ends:\n%s", p.err, p.Log, p.Tail(15))
		}
		return nil
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("syncer run still running 30s after SIGTERM: killed; its log %s ends:\n%s", p.Log, p.Tail(15))
	}
}

// StopReported stops syncer after a measurement and prints the outcome. A
// failed stop is a warning (the figures were taken), returned for the
// summary.
func (p *Syncer) StopReported(out io.Writer) error {
	err := p.Stop()
	if err != nil {
		fmt.Fprintf(out, "   WARNING: %v\n", err)
	} else {
		fmt.Fprintf(out, "   syncer stopped (SIGTERM), exit status 0\n")
	}
	return err
}
