package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrNotInstalled is wrapped by the errors returned when a server binary
// cannot be found on the machine. Test wrappers skip on it unless CI=true.
var ErrNotInstalled = errors.New("server binary not installed")

// Default timeouts.
const (
	// DefaultStartTimeout bounds initialisation plus start-up of a server.
	DefaultStartTimeout = 90 * time.Second
	// DefaultStopTimeout is how long Close waits after SIGTERM before it
	// sends SIGKILL to the server's process group.
	DefaultStopTimeout = 30 * time.Second
)

// InCI reports whether the environment variable CI is "true" (or "1"). In CI
// a server that cannot start is a failure, never a skip.
func InCI() bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv("CI")))
	return v == "true" || v == "1"
}

// findBinary looks for name on PATH and then in the given directories.
func findBinary(name string, dirs ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH or in %s (install it with scripts/setup-debian.sh): %w",
		name, strings.Join(dirs, ", "), ErrNotInstalled)
}

// findIn looks for name in dir only.
func findIn(name, dir string) (string, error) {
	p := filepath.Join(dir, name)
	if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
		return p, nil
	}
	return "", fmt.Errorf("%s not found in %s: %w", name, dir, ErrNotInstalled)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago. The
// caller must cope with another process taking it before the server binds
// it (the start functions retry on a bind clash).
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// process is a started server process running in its own process group.
type process struct {
	name string
	term syscall.Signal // shutdown signal sent to the main process
	cmd  *exec.Cmd
	done chan struct{} // closed when Wait returns
	err  error         // Wait's result, valid after done is closed
}

// startProcess starts cmd in a new process group, with SIGKILL as its
// parent-death signal so that a crashed test leaves no server behind.
func startProcess(name string, cmd *exec.Cmd) (*process, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", name, cmd.Path, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends the shutdown signal (SIGTERM unless set otherwise) to the
// process, waits up to timeout, then sends SIGKILL to its process group and
// waits for the process to be reaped.
func (p *process) stop(timeout time.Duration) error {
	if p.exited() {
		return nil
	}
	pgid := p.cmd.Process.Pid
	term := p.term
	if term == 0 {
		term = syscall.SIGTERM
	}
	if err := syscall.Kill(pgid, term); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s (pid %d): %v: %w", p.name, pgid, term, err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
		// Kill stragglers in the group (none expected).
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return nil
	case <-t.C:
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s (pid %d): SIGKILL: %w", p.name, pgid, err)
	}
	select {
	case <-p.done:
		return fmt.Errorf("stop %s (pid %d): did not exit within %s of %v; killed", p.name, pgid, timeout, term)
	case <-time.After(10 * time.Second):
		return fmt.Errorf("stop %s (pid %d): still running 10s after SIGKILL", p.name, pgid)
	}
}

// TailFile returns the last n lines of a file, or a note saying why it
// could not be read: what an error about a server, or about a program a
// test or benchmark started, quotes of its log.
func TailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	b = bytes.TrimRight(b, "\n")
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// runLogged runs a short command, returning an error that includes its
// combined output.
func runLogged(ctx context.Context, cmd *exec.Cmd) error {
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, errorLines(out.String()))
	}
	return nil
}

// errorLines returns the lines of a command's output that report errors
// (they may be far from the end), then its last lines.
func errorLines(s string) string {
	var errs []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "ERROR") || strings.Contains(l, "FATAL") || strings.Contains(l, "rror:") {
			errs = append(errs, l)
		}
	}
	if len(errs) > 10 {
		errs = errs[:10]
	}
	tail := lastLines(s, 15)
	if len(errs) == 0 {
		return tail
	}
	return "errors:\n" + strings.Join(errs, "\n") + "\nend of output:\n" + tail
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// newestVersionDir returns the subdirectory of dir with the highest numeric
// name (e.g. /usr/lib/postgresql/15 among 13, 15), or "".
func newestVersionDir(dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	type v struct {
		n    float64
		name string
	}
	var vs []v
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		n, err := strconv.ParseFloat(e.Name(), 64)
		if err != nil {
			continue
		}
		vs = append(vs, v{n, e.Name()})
	}
	if len(vs) == 0 {
		return ""
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].n > vs[j].n })
	return filepath.Join(dir, vs[0].name)
}

// Sleep sleeps for d or until ctx is done (returning its error): the wait
// of a poll loop that a cancelled test or benchmark does not sit out.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
