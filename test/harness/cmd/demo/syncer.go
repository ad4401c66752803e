package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// syncerProc is the `syncer run` the demo started.
type syncerProc struct {
	cmd    *exec.Cmd
	done   chan struct{} // closed when the process has exited and its output is read
	err    error         // Wait's result, valid after done
	copied sync.WaitGroup

	mu   sync.Mutex
	tail []string // its last output lines, for errors
}

const tailLines = 40

// startSyncer starts syncer with args and the extra environment, its
// stdout and stderr lines printed with the prefix "syncer | ".
func startSyncer(path string, args, env []string, out *console) (*syncerProc, error) {
	p := &syncerProc{done: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	p.cmd.Env = append(os.Environ(), env...)
	// Its own process group, so that a Ctrl-C in the terminal reaches the
	// demo only and the demo stops syncer itself (SIGTERM, exit status
	// checked); SIGTERM too if the demo dies.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	p.copied.Add(2)
	go p.copy(stdout, out)
	go p.copy(stderr, out)
	go func() {
		p.copied.Wait() // Wait closes the pipes: read them to the end first
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *syncerProc) copy(r io.Reader, out *console) {
	defer p.copied.Done()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		out.line("syncer | ", line)
		p.mu.Lock()
		p.tail = append(p.tail, line)
		if len(p.tail) > tailLines {
			p.tail = p.tail[len(p.tail)-tailLines:]
		}
		p.mu.Unlock()
	}
}

// exited returns a non-nil error once syncer has exited: it must run for
// as long as the demo does.
func (p *syncerProc) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("syncer exited early (%v); its last lines:\n%s", p.exitText(), p.lastLines())
	default:
		return nil
	}
}

// exitedErr delivers the early-exit error once syncer exits.
func (p *syncerProc) exitedErr() <-chan error {
	ch := make(chan error, 1)
	go func() {
		<-p.done
		ch <- fmt.Errorf("%s", p.exitText())
	}()
	return ch
}

func (p *syncerProc) exitText() string {
	if p.err == nil {
		return "exit status 0"
	}
	return p.err.Error()
}

func (p *syncerProc) lastLines() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return "   " + strings.Join(p.tail, "\n   ")
}

// stop sends SIGTERM and waits up to 30s; syncer must exit with status 0.
// It may be called more than once.
func (p *syncerProc) stop() error {
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("syncer had exited: %v; its last lines:\n%s", p.err, p.lastLines())
		}
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("SIGTERM syncer: %w", err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("syncer did not exit within 30s of SIGTERM; killed")
	}
	if p.err != nil {
		return fmt.Errorf("syncer did not exit cleanly on SIGTERM: %v; its last lines:\n%s", p.err, p.lastLines())
	}
	return nil
}
