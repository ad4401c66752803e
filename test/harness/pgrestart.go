package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The methods in this file change which postgres process a Postgres runs,
// as restart.go does for MariaDB. They must not be called concurrently with
// each other, with Close or with PID. Across them the data directory,
// socket directory, port and options stay the same, so Addr, Port, DSN and
// DSNFor keep working; connections made before Stop or Kill are broken and
// must be reopened.

// Stop shuts the server down with PostgreSQL's "fast" shutdown (SIGINT:
// clients are disconnected, open transactions rolled back, a checkpoint
// written) and waits for it to exit. When it does not exit within the
// options' StopTimeout, or ctx ends first, its process group is killed and
// Stop returns an error. Stopping a stopped server does nothing. Start
// starts it again.
func (p *Postgres) Stop(ctx context.Context) error {
	proc := p.proc
	if proc == nil || proc.exited() {
		p.proc = nil
		return nil
	}
	p.log.Debug("stopping postgres")
	pid := proc.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("harness: stop PostgreSQL (pid %d): SIGINT: %w", pid, err)
	}
	t := time.NewTimer(p.opts.StopTimeout)
	defer t.Stop()
	var why error
	select {
	case <-proc.done:
		// The postmaster waits for its children; kill stragglers in the
		// group anyway (none expected).
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		p.proc = nil
		return nil
	case <-t.C:
		why = fmt.Errorf("did not exit within %s of SIGINT", p.opts.StopTimeout)
	case <-ctx.Done():
		why = ctx.Err()
	}
	kerr := p.killWait(proc)
	return errors.Join(fmt.Errorf("harness: stop PostgreSQL (pid %d): %w; killed; log:\n%s",
		pid, why, TailFile(p.logFile, 20)), kerr)
}

// Kill sends SIGKILL to the server's process group (the postmaster and
// every backend), as a crash would, and waits until the postmaster has
// exited. The server stays down until Start, which then runs crash
// recovery. Killing a stopped server does nothing.
//
// The server runs with synchronous_commit=off, so transactions committed
// in the last few hundred milliseconds before Kill may be lost, as after a
// real crash of such a server; a client that needs a commit to survive
// sets synchronous_commit = on for its session or transaction. (fsync=off
// loses nothing here: the operating system keeps what was written.)
func (p *Postgres) Kill() error {
	proc := p.proc
	if proc == nil {
		return nil
	}
	p.log.Debug("killing postgres")
	return p.killWait(proc)
}

// killWait kills the postmaster and its children and waits (10s at most)
// until the postmaster is reaped and every child has exited. PostgreSQL
// puts each child in a session of its own (setsid), so killing the
// postmaster's process group is not enough: a backend that outlives it
// keeps the shared memory attached and the next start refuses to run
// ("pre-existing shared memory block is still in use"). The postmaster is
// stopped first so that it forks no new child meanwhile.
func (p *Postgres) killWait(proc *process) error {
	pid := proc.cmd.Process.Pid
	_ = syscall.Kill(pid, syscall.SIGSTOP)
	children := ChildPIDs(pid)
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("harness: kill PostgreSQL (pid %d): %w", pid, err)
	}
	for _, c := range children {
		_ = syscall.Kill(c, syscall.SIGKILL)
	}
	deadline := time.After(10 * time.Second)
	select {
	case <-proc.done:
		p.proc = nil
	case <-deadline:
		return fmt.Errorf("harness: kill PostgreSQL (pid %d): still running 10s after SIGKILL", pid)
	}
	for _, c := range children {
		for !processExited(c) {
			select {
			case <-deadline:
				return fmt.Errorf("harness: kill PostgreSQL (pid %d): child %d still running 10s after SIGKILL", pid, c)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	return nil
}

// ChildPIDs returns the processes whose parent is pid, from /proc: a
// PostgreSQL server's backends, which Kill must see gone and whose CPU
// time the benchmarks count as the server's.
func ChildPIDs(pid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, _, ok := procStat(c); ok && ppid == pid {
			out = append(out, c)
		}
	}
	return out
}

// procStat returns the parent and the state of process pid from
// /proc/PID/stat.
func procStat(pid int) (ppid int, state string, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, "", false
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, "", false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, "", false
	}
	ppid, err = strconv.Atoi(f[1])
	if err != nil {
		return 0, "", false
	}
	return ppid, f[0], true
}

// processExited reports whether pid is gone or a zombie (which holds no
// memory: a reparented child may wait for a reaper that never comes).
func processExited(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	_, state, ok := procStat(pid)
	return !ok || state == "Z" || state == "X"
}

// Start starts the server again after Stop or Kill, with the same data
// directory, port and options, and waits until it accepts connections
// (bounded by ctx and the options' StartTimeout). After Kill the server
// first runs crash recovery. It fails when the server is running, when it
// was closed, or when another process has taken the port meanwhile (the
// port cannot change: clients hold the address).
func (p *Postgres) Start(ctx context.Context) error {
	if p.dir == "" {
		return errors.New("harness: start PostgreSQL: server was closed")
	}
	if p.proc != nil && !p.proc.exited() {
		return fmt.Errorf("harness: start PostgreSQL: already running (pid %d)", p.proc.cmd.Process.Pid)
	}
	bin := p.opts.BinDir
	if bin == "" {
		var err error
		if bin, err = postgresBinDir(); err != nil {
			return fmt.Errorf("harness: start PostgreSQL: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, p.opts.StartTimeout)
	defer cancel()
	if err := p.launch(ctx, bin); err != nil {
		if p.proc != nil {
			// Started but never became ready: do not leave it running.
			_ = p.killWait(p.proc)
		}
		return err
	}
	p.log.Info("PostgreSQL started again", "addr", p.Addr())
	return nil
}

// Restart stops the server (fast shutdown, as Stop) and starts it again
// (as Start).
func (p *Postgres) Restart(ctx context.Context) error {
	if err := p.Stop(ctx); err != nil {
		return fmt.Errorf("harness: restart PostgreSQL: %w", err)
	}
	if err := p.Start(ctx); err != nil {
		return fmt.Errorf("harness: restart PostgreSQL: %w", err)
	}
	return nil
}
