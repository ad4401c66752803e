package harness

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"
)

// The methods in this file change which mariadbd process a MariaDB runs.
// They must not be called concurrently with each other, with Close or with
// PID. Across them the data directory, binlog directory, port, socket,
// options and certificates stay the same, so Addr, Port, DSN and Config
// keep working, and DB() stays the same pool: database/sql discards its
// connections to the old process when they are next used.

// Stop shuts the server down cleanly (SIGTERM) and waits for it to exit.
// When it does not exit within Options().StopTimeout, or ctx ends first,
// its process group is killed and Stop returns an error. Stopping a stopped
// server does nothing. Start starts it again.
func (m *MariaDB) Stop(ctx context.Context) error {
	p := m.proc
	if p == nil || p.exited() {
		m.proc = nil
		return nil
	}
	m.log.Debug("stopping mariadbd")
	pid := p.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("harness: stop MariaDB (pid %d): SIGTERM: %w", pid, err)
	}
	t := time.NewTimer(m.opts.StopTimeout)
	defer t.Stop()
	var why error
	select {
	case <-p.done:
		m.proc = nil
		return nil
	case <-t.C:
		why = fmt.Errorf("did not exit within %s of SIGTERM", m.opts.StopTimeout)
	case <-ctx.Done():
		why = ctx.Err()
	}
	kerr := m.killWait(p)
	return errors.Join(fmt.Errorf("harness: stop MariaDB (pid %d): %w; killed; error log:\n%s",
		pid, why, TailFile(m.errLog, 20)), kerr)
}

// Kill sends SIGKILL to the server's process group, as a crash would, and
// waits until the process has exited. The server stays down until Start.
// Killing a stopped server does nothing.
func (m *MariaDB) Kill() error {
	p := m.proc
	if p == nil {
		return nil
	}
	m.log.Debug("killing mariadbd")
	return m.killWait(p)
}

// killWait kills p's process group and waits (10s at most) for it to be
// reaped.
func (m *MariaDB) killWait(p *process) error {
	pid := p.cmd.Process.Pid
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("harness: kill MariaDB (pid %d): %w", pid, err)
	}
	select {
	case <-p.done:
		m.proc = nil
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("harness: kill MariaDB (pid %d): still running 10s after SIGKILL", pid)
	}
}

// Start starts the server again after Stop or Kill, with the same data
// directory, binary log, port and options, and waits until it accepts
// connections (bounded by ctx and Options().StartTimeout). After Kill the
// server first recovers, as after a crash. It fails when the server is
// running, or when another process has taken the port meanwhile (the port
// cannot change: clients hold the address).
func (m *MariaDB) Start(ctx context.Context) error {
	if m.dir == "" {
		return errors.New("harness: start MariaDB: server was closed")
	}
	if m.proc != nil && !m.proc.exited() {
		return fmt.Errorf("harness: start MariaDB: already running (pid %d)", m.proc.cmd.Process.Pid)
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.StartTimeout)
	defer cancel()
	if err := m.launch(ctx, m.mariadbd); err != nil {
		if m.proc != nil {
			// Started but never became ready: do not leave it running.
			_ = m.killWait(m.proc)
		}
		return err
	}
	if err := m.db.PingContext(ctx); err != nil {
		return fmt.Errorf("harness: start MariaDB: connect as %s over TCP %s: %w", m.opts.User, m.Addr(), err)
	}
	m.log.Info("MariaDB started again", "addr", m.Addr())
	return nil
}

// Restart stops the server cleanly (SIGTERM, as Stop) and starts it again
// (as Start). The server begins a new binary log file, as any restarted
// server does.
func (m *MariaDB) Restart(ctx context.Context) error {
	if err := m.Stop(ctx); err != nil {
		return fmt.Errorf("harness: restart MariaDB: %w", err)
	}
	if err := m.Start(ctx); err != nil {
		return fmt.Errorf("harness: restart MariaDB: %w", err)
	}
	return nil
}
