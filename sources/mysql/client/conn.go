package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/proto"
)

// ErrReadTimeout is wrapped (together with os.ErrDeadlineExceeded) by the
// error of a read that got no packet within its timeout.
var ErrReadTimeout = errors.New("read timeout")

// ErrClosed is returned by methods of a Conn after Close.
var ErrClosed = errors.New("connection closed")

// ErrBroken is wrapped by methods of a Conn after an earlier error left it
// in an unknown protocol state.
var ErrBroken = errors.New("connection unusable after an earlier error")

// timeoutError is a read that hit its deadline.
type timeoutError struct {
	what    string
	timeout time.Duration
	err     error
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("%s: no packet from the server within %v: %v", e.what, e.timeout, e.err)
}

func (e *timeoutError) Unwrap() []error { return []error{ErrReadTimeout, e.err} }

// Timeout reports true, like net.Error.
func (e *timeoutError) Timeout() bool { return true }

// maxPacketSize is what we announce in the handshake response and accept:
// the server's upper bound for max_allowed_packet (binlog events can reach
// it) plus room for the event header.
const maxPacketSize = 1 << 30

// Conn is a client connection in the command phase. Its methods are not
// safe for concurrent use, except Close, which may be called from another
// goroutine to unblock a pending call.
type Conn struct {
	cfg *Config
	raw net.Conn // the TCP or unix socket
	nc  net.Conn // raw or the *tls.Conn over it: what we read and write
	fr  *proto.Framer

	serverVersion string
	mariaDB       bool
	connID        uint32
	authPlugin    string
	caps          uint32 // negotiated capabilities

	wbuf []byte
	row  [][]byte

	// Cancellation: an AfterFunc registered on the context of the current
	// call sets a past deadline on nc, which unblocks any read or write.
	// It stays registered across calls with the same context (compared by
	// Done channel) so that ReadEvent in a loop allocates nothing.
	watchDone  <-chan struct{}
	watchStop  func() bool
	watchFired chan struct{}
	fired      atomic.Bool

	readDeadline bool // a read deadline is set on nc
	// readDeadlineAt is the read deadline set on nc; zero forces the next
	// setReadDeadline to set it again.
	readDeadlineAt time.Time
	writeDeadline  bool

	broken    error
	closeOnce sync.Once
	closed    atomic.Bool
	busy      atomic.Bool
	closeErr  error
}

// aLongTimeAgo is a deadline in the past: setting it fails pending I/O.
var aLongTimeAgo = time.Unix(1, 0)

// Connect dials the server, negotiates TLS per cfg.TLSMode, and
// authenticates. Everything is bounded by cfg.ConnectTimeout and ctx. Errors
// name the address and the phase that failed; an ERR packet from the server
// is a *proto.ServerError (errors.As).
func Connect(ctx context.Context, cfg *Config) (*Conn, error) {
	if cfg == nil {
		cfg = NewConfig()
	}
	c0, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	cfg = c0
	ownDeadline := time.Now().Add(cfg.ConnectTimeout)
	ctx, cancel := context.WithDeadline(ctx, ownDeadline)
	defer cancel()

	var d net.Dialer
	raw, err := d.DialContext(ctx, cfg.Net, cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: dial %s: %w", cfg.Addr, cfg.Net, err)
	}
	return connectOver(ctx, cfg, raw, ownDeadline)
}

// connectOver runs the connection phase over raw, which it closes on
// failure. cfg has its defaults; ctx has the connect deadline ownDeadline
// (or an earlier one of the caller's).
func connectOver(ctx context.Context, cfg *Config, raw net.Conn, ownDeadline time.Time) (*Conn, error) {
	c := &Conn{cfg: cfg, raw: raw, nc: raw, fr: proto.NewFramer(raw)}
	c.fr.SetMaxPacketSize(maxPacketSize + 64<<10)
	// The connection deadline bounds every phase even where a read does
	// not watch ctx; the AfterFunc adds prompt cancellation.
	if dl, ok := ctx.Deadline(); ok {
		raw.SetDeadline(dl)
	}
	c.watch(ctx)
	if err := c.handshake(ctx); err != nil {
		c.unwatch()
		raw.Close()
		// The socket deadline equals the context's and may fire a moment
		// before the context notices, so compare times too.
		dl, _ := ctx.Deadline()
		switch cerr := ctx.Err(); {
		case isTimeout(err) && !time.Now().Before(dl) && !dl.Before(ownDeadline):
			err = fmt.Errorf("%w (connect timeout %v exceeded: %w)", err, cfg.ConnectTimeout, context.DeadlineExceeded)
		case isTimeout(err) && !time.Now().Before(dl):
			err = fmt.Errorf("%w (%w)", err, context.DeadlineExceeded)
		case cerr != nil && !errors.Is(err, cerr):
			err = fmt.Errorf("%w (%w)", err, cerr)
		}
		return nil, fmt.Errorf("connect to %s: %w", cfg.Addr, err)
	}
	c.unwatch()
	c.nc.SetDeadline(time.Time{})
	return c, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// watch arranges for ctx's cancellation to unblock the connection's I/O.
func (c *Conn) watch(ctx context.Context) {
	done := ctx.Done()
	if done == c.watchDone && (done == nil || c.watchStop != nil) {
		return
	}
	c.unwatch()
	c.watchDone = done
	if done == nil {
		return
	}
	fired := make(chan struct{})
	c.watchFired = fired
	nc := c.nc
	c.watchStop = context.AfterFunc(ctx, func() {
		c.fired.Store(true)
		nc.SetDeadline(aLongTimeAgo)
		close(fired)
	})
}

// unwatch stops watching the current context. If its AfterFunc has run or
// is running, unwatch waits for it so that its past deadline cannot land
// on a later call.
func (c *Conn) unwatch() {
	if c.watchStop != nil && !c.watchStop() {
		<-c.watchFired
	}
	c.watchStop, c.watchDone, c.watchFired = nil, nil, nil
	// A context that fired between calls left a past deadline, which the
	// next begin must replace even when its timeouts are zero; the
	// connection itself is intact.
	if c.fired.Swap(false) {
		c.readDeadline, c.writeDeadline = true, true
		c.readDeadlineAt = time.Time{}
	}
}

// end marks the end of a call started with begin.
func (c *Conn) end() { c.busy.Store(false) }

// begin prepares a call: it checks the connection, watches ctx, and sets
// the read and write deadlines (zero timeout: none).
func (c *Conn) begin(ctx context.Context, readTimeout, writeTimeout time.Duration) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if c.broken != nil {
		return fmt.Errorf("%w: %w", ErrBroken, c.broken)
	}
	c.busy.Store(true)
	c.watch(ctx)
	c.setReadDeadline(readTimeout)
	c.setWriteDeadline(writeTimeout)
	// Checked after the deadlines are set: a cancellation that raced with
	// them either is seen here or set its past deadline after ours.
	if err := ctx.Err(); err != nil {
		return err
	}
	return nil
}

func (c *Conn) setReadDeadline(d time.Duration) {
	if d > 0 {
		// Moving a deadline updates a runtime timer under a lock, and a
		// binlog stream reads tens of thousands of packets a second, so the
		// deadline moves only when it would move by d/16 or more: a silent
		// peer is then detected after between 15/16 of d and d.
		at := time.Now().Add(d)
		if c.readDeadline && !c.readDeadlineAt.IsZero() && at.Sub(c.readDeadlineAt) < d/16 {
			return
		}
		c.nc.SetReadDeadline(at)
		c.readDeadline, c.readDeadlineAt = true, at
	} else if c.readDeadline {
		c.nc.SetReadDeadline(time.Time{})
		c.readDeadline, c.readDeadlineAt = false, time.Time{}
	}
}

func (c *Conn) setWriteDeadline(d time.Duration) {
	if d > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(d))
		c.writeDeadline = true
	} else if c.writeDeadline {
		c.nc.SetWriteDeadline(time.Time{})
		c.writeDeadline = false
	}
}

// fail records err as fatal for the connection and returns the error to
// report: ctx.Err() when the context was cancelled, a timeout error when
// a deadline passed.
func (c *Conn) fail(ctx context.Context, what string, timeout time.Duration, err error) error {
	var se *proto.ServerError
	if errors.As(err, &se) {
		return err
	}
	if c.broken == nil {
		c.broken = err
	}
	if cerr := ctx.Err(); cerr != nil && (c.fired.Load() || isTimeout(err)) {
		return cerr
	}
	if c.closed.Load() {
		return fmt.Errorf("%s: %w (%w)", what, ErrClosed, err)
	}
	if isTimeout(err) {
		return &timeoutError{what: what, timeout: timeout, err: err}
	}
	if err == io.EOF {
		err = fmt.Errorf("server closed the connection: %w", io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Close closes the connection, sending COM_QUIT first when no call is in
// progress. It is idempotent and may be called concurrently with another
// method to abort it.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		if !c.busy.Load() && c.broken == nil && !c.fired.Load() {
			// COM_QUIT is written directly, bypassing the Framer, so it
			// cannot race with the Framer's state; best effort.
			c.nc.SetWriteDeadline(time.Now().Add(time.Second))
			c.nc.Write([]byte{1, 0, 0, 0, proto.ComQuit})
		}
		if !c.busy.Load() {
			c.unwatch()
		}
		c.closeErr = c.nc.Close()
	})
	return c.closeErr
}

// ServerVersion returns the server's version string without MariaDB's
// "5.5.5-" prefix, e.g. "10.11.6-MariaDB-log".
func (c *Conn) ServerVersion() string { return c.serverVersion }

// IsMariaDB reports whether the server is MariaDB.
func (c *Conn) IsMariaDB() bool { return c.mariaDB }

// ConnectionID returns the server's id for this connection (as in
// SHOW PROCESSLIST and KILL).
func (c *Conn) ConnectionID() uint32 { return c.connID }

// AuthPlugin returns the authentication plugin that finally authenticated
// the connection.
func (c *Conn) AuthPlugin() string { return c.authPlugin }

// TLSConnectionState returns the TLS state and true when the connection
// uses TLS.
func (c *Conn) TLSConnectionState() (tls.ConnectionState, bool) {
	if tc, ok := c.nc.(*tls.Conn); ok {
		return tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}

// NetConn returns the underlying socket (below TLS), for tests and fault
// injection.
func (c *Conn) NetConn() net.Conn { return c.raw }
