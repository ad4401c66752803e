package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is a way of breaking a connection.
type Fault int

const (
	// Drop closes both sides cleanly (FIN) at the chosen byte offset.
	Drop Fault = iota
	// Reset closes both sides with an RST (SetLinger(0)) at the chosen
	// offset.
	Reset
	// Stall stops forwarding in both directions for Options.StallFor, then
	// drops the connection.
	Stall

	numFaults = 3
)

// String returns "drop", "reset" or "stall".
func (f Fault) String() string {
	switch f {
	case Drop:
		return "drop"
	case Reset:
		return "reset"
	case Stall:
		return "stall"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

func (f Fault) valid() bool { return f >= 0 && f < numFaults }

// Defaults of Options.
const (
	DefaultMinBytes = 1 << 10
	DefaultMaxBytes = 256 << 10
	DefaultStallFor = 2 * time.Second
)

// dialTimeout bounds the connection to the target.
const dialTimeout = 10 * time.Second

// drainTimeout is how long a dropped connection keeps reading (and
// discarding) what the client still sends: closing a socket with unread
// data makes the kernel send RST instead of a clean FIN.
const drainTimeout = 5 * time.Second

// Options configures Start.
type Options struct {
	// Seed for the random fault schedule (math/rand/v2, deterministic per
	// seed); 0 = random seed, reported by Seed().
	Seed int64
	// Faults to draw from when random faults are enabled; default all
	// three.
	Faults []Fault
	// A random fault happens after a number of bytes drawn from
	// [MinBytes, MaxBytes] has flowed server→client on a connection
	// (defaults 1 KiB and 256 KiB).
	MinBytes, MaxBytes int64
	// StallFor is how long a Stall holds the connection silent before
	// dropping it (default 2s).
	StallFor time.Duration
	// Logger receives a message per connection and per fault; default
	// discards them.
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.Seed == 0 {
		for o.Seed == 0 {
			o.Seed = rand.Int64()
		}
	}
	if len(o.Faults) == 0 {
		o.Faults = []Fault{Drop, Reset, Stall}
	}
	for _, f := range o.Faults {
		if !f.valid() {
			return o, fmt.Errorf("faultproxy: unknown fault %d in Options.Faults", int(f))
		}
	}
	o.Faults = append([]Fault(nil), o.Faults...)
	if o.MinBytes == 0 {
		o.MinBytes = DefaultMinBytes
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MinBytes < 0 || o.MaxBytes < o.MinBytes {
		return o, fmt.Errorf("faultproxy: byte range [%d, %d] is empty or negative", o.MinBytes, o.MaxBytes)
	}
	if o.StallFor <= 0 {
		o.StallFor = DefaultStallFor
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// Stats are counters since Start.
type Stats struct {
	// Connections accepted and forwarded (refused ones not included).
	Connections int64
	// Refused counts connections closed at once because of Refuse(true).
	Refused int64
	// Open is the number of connections currently open.
	Open int
	// Faults counts the faults that struck, by kind. A Stall counts once
	// (not also as a Drop when it ends).
	Faults map[Fault]int64
	// BytesDown were forwarded server→client, BytesUp client→server.
	BytesDown, BytesUp int64
}

// Proxy is a fault-injecting TCP proxy. Its methods are safe for concurrent
// use.
type Proxy struct {
	target string
	opts   Options
	log    *slog.Logger
	ln     net.Listener

	// ctx is cancelled by Close; it bounds dials to the target.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // accept loop and connection handlers

	refuse atomic.Bool

	mu      sync.Mutex
	closed  bool
	random  bool
	nextID  uint64
	conns   map[uint64]*conn
	pending *schedule // one-shot fault for the next connection

	connections, refused atomic.Int64
	faults               [numFaults]atomic.Int64
	bytesDown, bytesUp   atomic.Int64
}

// schedule is a fault due after n more server→client bytes.
type schedule struct {
	fault  Fault
	n      int64
	random bool // drawn by the random schedule (SetFaults(false) cancels it)
}

// Start listens on 127.0.0.1:0 and forwards every accepted connection to
// target. ctx bounds only the start; the proxy runs until Close.
func Start(ctx context.Context, target string, opts Options) (*Proxy, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	pctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		target: target,
		opts:   opts,
		log:    opts.Logger.With("proxy", ln.Addr().String(), "target", target),
		ln:     ln,
		ctx:    pctx,
		cancel: cancel,
		conns:  make(map[uint64]*conn),
	}
	p.log.Debug("fault proxy listening", "seed", opts.Seed)
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr returns the proxy's listening address, "127.0.0.1:PORT".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Seed returns the seed of the random fault schedule (the one drawn when
// Options.Seed was 0).
func (p *Proxy) Seed() int64 { return p.opts.Seed }

// SetFaults turns random faults on or off for new and existing
// connections. Off (the default) makes the proxy transparent, apart from
// one-shot faults already scheduled with FaultAfter.
func (p *Proxy) SetFaults(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.random = on
	for _, c := range p.conns {
		c.mu.Lock()
		switch {
		case on && c.sched == nil:
			s := c.draw(p.opts)
			c.sched = &s
		case !on && c.sched != nil && c.sched.random:
			c.sched = nil
		}
		var zero *schedule
		if c.sched != nil && c.sched.n == 0 && c.state == active && c.server != nil {
			zero = c.sched
		}
		c.mu.Unlock()
		if zero != nil {
			p.strike(c, zero.fault)
		}
	}
}

// FaultAfter schedules a one-shot fault: the newest open connection that
// has not been faulted suffers f after n more server→client bytes; with no
// such connection, the next accepted connection suffers it after its first
// n server→client bytes. It replaces any fault already scheduled for that
// connection. n = 0 on an open connection strikes at once.
func (p *Proxy) FaultAfter(f Fault, n int64) {
	if !f.valid() || n < 0 {
		panic(fmt.Sprintf("faultproxy: FaultAfter(%v, %d): invalid fault or negative offset", f, n))
	}
	s := &schedule{fault: f, n: n}
	p.mu.Lock()
	var newest *conn
	for _, c := range p.conns {
		c.mu.Lock()
		ok := c.state == active
		c.mu.Unlock()
		if ok && (newest == nil || c.id > newest.id) {
			newest = c
		}
	}
	if newest == nil {
		p.pending = s
		p.mu.Unlock()
		p.log.Debug("fault scheduled for the next connection", "fault", f, "after", n)
		return
	}
	p.mu.Unlock()
	p.log.Debug("fault scheduled", "conn", newest.id, "fault", f, "after", n)
	newest.mu.Lock()
	newest.sched = s
	newest.mu.Unlock()
	if n == 0 {
		p.strike(newest, f)
	}
}

// CutAll applies f now to every open connection.
func (p *Proxy) CutAll(f Fault) {
	if !f.valid() {
		panic(fmt.Sprintf("faultproxy: CutAll(%v): invalid fault", f))
	}
	for _, c := range p.snapshot() {
		p.strike(c, f)
	}
}

// Refuse makes the proxy close new connections immediately after accepting
// them (on) or forward them again (off). Open connections are not touched.
func (p *Proxy) Refuse(on bool) { p.refuse.Store(on) }

// Stats returns the counters.
func (p *Proxy) Stats() Stats {
	s := Stats{
		Connections: p.connections.Load(),
		Refused:     p.refused.Load(),
		Faults:      make(map[Fault]int64, numFaults),
		BytesDown:   p.bytesDown.Load(),
		BytesUp:     p.bytesUp.Load(),
	}
	for f := range Fault(numFaults) {
		s.Faults[f] = p.faults[f].Load()
	}
	p.mu.Lock()
	s.Open = len(p.conns)
	p.mu.Unlock()
	return s
}

// Close stops listening, closes every connection and waits for all of the
// proxy's goroutines. It may be called more than once.
func (p *Proxy) Close() error {
	p.mu.Lock()
	already := p.closed
	p.closed = true
	p.mu.Unlock()
	var err error
	if !already {
		p.cancel()
		if cerr := p.ln.Close(); cerr != nil {
			err = fmt.Errorf("faultproxy: close listener: %w", cerr)
		}
		for _, c := range p.snapshot() {
			c.kill()
		}
	}
	p.wg.Wait()
	return err
}

func (p *Proxy) snapshot() []*conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	cs := make([]*conn, 0, len(p.conns))
	for _, c := range p.conns {
		cs = append(cs, c)
	}
	return cs
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.log.Warn("accept failed; proxy stops accepting", "err", err)
			}
			return
		}
		client := nc.(*net.TCPConn)
		if p.refuse.Load() {
			p.refused.Add(1)
			p.log.Debug("connection refused", "client", client.RemoteAddr())
			_ = client.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = client.Close()
			return
		}
		p.nextID++
		c := &conn{
			id:     p.nextID,
			client: client,
			dead:   make(chan struct{}),
			rng:    rand.New(rand.NewPCG(uint64(p.opts.Seed), p.nextID)),
		}
		// A pending one-shot fault wins over a random one.
		switch {
		case p.pending != nil:
			c.sched, p.pending = p.pending, nil
		case p.random:
			s := c.draw(p.opts)
			c.sched = &s
		}
		p.conns[c.id] = c
		p.connections.Add(1)
		p.wg.Add(1)
		p.mu.Unlock()
		go p.handle(c)
	}
}

// Connection states.
const (
	active    = iota
	stalled   // a Stall struck: nothing is forwarded until the drop
	resetting // a Reset struck: nothing is forwarded until the RST
	dead      // faulted or closed: nothing is forwarded ever again
)

// conn is one proxied connection.
type conn struct {
	id     uint64
	client *net.TCPConn
	rng    *rand.Rand // used under the proxy's mu

	mu     sync.Mutex
	server *net.TCPConn // nil until dialled
	state  int
	sched  *schedule
	timer  *time.Timer   // ends a Stall
	dead   chan struct{} // closed when state becomes dead
}

// draw picks a random fault and offset from the connection's own generator.
func (c *conn) draw(o Options) schedule {
	f := o.Faults[c.rng.IntN(len(o.Faults))]
	n := o.MinBytes + c.rng.Int64N(o.MaxBytes-o.MinBytes+1)
	return schedule{fault: f, n: n, random: true}
}

// setDeadLocked marks the connection dead; c.mu must be held.
func (c *conn) setDeadLocked() {
	if c.state == dead {
		return
	}
	c.state = dead
	if c.timer != nil {
		c.timer.Stop()
	}
	close(c.dead)
}

// kill closes both sides at once (proxy Close, or a forwarding error).
func (c *conn) kill() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setDeadLocked()
	_ = c.client.Close()
	if c.server != nil {
		_ = c.server.Close()
	}
}

// strike applies fault f to c now, unless c is already faulted or closed.
func (p *Proxy) strike(c *conn, f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != active {
		return
	}
	c.sched = nil
	p.faults[f].Add(1)
	p.log.Info("fault", "conn", c.id, "fault", f)
	switch f {
	case Drop:
		c.dropLocked()
	case Reset:
		// An RST discards whatever the client has not acknowledged yet,
		// so forwarding stops now but the reset waits until the bytes
		// already written have reached the client.
		c.state = resetting
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			waitSent(p.ctx, c.client, drainTimeout)
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.state != resetting {
				return // killed meanwhile
			}
			c.setDeadLocked()
			_ = c.client.SetLinger(0)
			_ = c.client.Close()
			if c.server != nil {
				_ = c.server.SetLinger(0)
				_ = c.server.Close()
			}
		}()
	case Stall:
		c.state = stalled
		c.timer = time.AfterFunc(p.opts.StallFor, func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.state == stalled {
				p.log.Debug("stall over, dropping", "conn", c.id)
				c.dropLocked()
			}
		})
	}
}

// dropLocked closes the server side and sends FIN to the client; the
// client-to-server pump then drains what the client still sends until it
// closes or drainTimeout passes. c.mu must be held.
func (c *conn) dropLocked() {
	c.setDeadLocked()
	if c.server != nil {
		_ = c.server.Close()
	}
	_ = c.client.CloseWrite()
	_ = c.client.SetReadDeadline(time.Now().Add(drainTimeout))
}

// handle dials the target and runs both pumps until they end.
func (p *Proxy) handle(c *conn) {
	defer p.wg.Done()
	defer func() {
		c.kill()
		p.mu.Lock()
		delete(p.conns, c.id)
		p.mu.Unlock()
	}()
	log := p.log.With("conn", c.id)
	d := net.Dialer{Timeout: dialTimeout}
	sc, err := d.DialContext(p.ctx, "tcp", p.target)
	if err != nil {
		log.Warn("dial target failed; closing client", "err", err)
		return
	}
	server := sc.(*net.TCPConn)
	c.mu.Lock()
	if c.state == dead {
		// Killed or cut while dialling.
		c.mu.Unlock()
		_ = server.Close()
		return
	}
	c.server = server
	var zero *schedule
	if c.sched != nil && c.sched.n == 0 {
		zero = c.sched
	}
	c.mu.Unlock()
	log.Debug("connection open", "client", c.client.RemoteAddr())
	if zero != nil {
		p.strike(c, zero.fault)
	}

	var pumps sync.WaitGroup
	pumps.Add(2)
	go func() { defer pumps.Done(); p.down(c, server) }()
	go func() { defer pumps.Done(); p.up(c, server) }()
	pumps.Wait()
	log.Debug("connection closed")
}

// bufSize is the pumps' read buffer size.
const bufSize = 32 << 10

// down forwards server→client, counting bytes against the fault schedule
// and striking at the exact offset.
func (p *Proxy) down(c *conn, server *net.TCPConn) {
	buf := make([]byte, bufSize)
	for {
		nr, rerr := server.Read(buf)
		data := buf[:nr]
		for len(data) > 0 {
			c.mu.Lock()
			if c.state != active {
				c.mu.Unlock()
				<-c.dead // a stalled or resetting connection holds here
				return
			}
			chunk := data
			var due *schedule
			if s := c.sched; s != nil {
				if int64(len(chunk)) >= s.n {
					chunk = chunk[:s.n]
					due = s
				}
				s.n -= int64(len(chunk))
			}
			c.mu.Unlock()
			if len(chunk) > 0 {
				// Counted before the write, so that Stats already
				// includes every byte a client can have read: counting
				// after it raced with a client that read, returned and
				// looked at Stats before this goroutine ran again.
				p.bytesDown.Add(int64(len(chunk)))
				nw, werr := c.client.Write(chunk)
				p.bytesDown.Add(int64(nw - len(chunk)))
				if werr != nil {
					c.kill()
					return
				}
			}
			if due != nil {
				p.strike(c, due.fault)
			}
			data = data[len(chunk):]
		}
		if rerr != nil {
			c.mu.Lock()
			ok := c.state == active
			c.mu.Unlock()
			if !ok {
				<-c.dead
				return
			}
			if errors.Is(rerr, io.EOF) {
				// The server closed: pass the FIN on; the other pump
				// continues until the client closes too.
				_ = c.client.CloseWrite()
				return
			}
			c.kill()
			return
		}
	}
}

// up forwards client→server. After a drop it keeps reading and discarding,
// so that the client gets a clean FIN rather than an RST.
func (p *Proxy) up(c *conn, server *net.TCPConn) {
	buf := make([]byte, bufSize)
	for {
		nr, rerr := c.client.Read(buf)
		if nr > 0 {
			c.mu.Lock()
			st := c.state
			c.mu.Unlock()
			switch st {
			case active:
				p.bytesUp.Add(int64(nr)) // before the write, as in down
				nw, werr := server.Write(buf[:nr])
				p.bytesUp.Add(int64(nw - nr))
				if werr != nil {
					c.mu.Lock()
					st = c.state
					c.mu.Unlock()
					if st == active {
						c.kill()
						return
					}
					// Faulted meanwhile: drain like after a drop.
				}
			case stalled, resetting:
				<-c.dead
			}
		}
		if rerr != nil {
			c.mu.Lock()
			st := c.state
			c.mu.Unlock()
			if st == active && errors.Is(rerr, io.EOF) {
				_ = server.CloseWrite()
				return
			}
			if st == active {
				c.kill()
			}
			return
		}
	}
}
