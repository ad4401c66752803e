package faultproxy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/test/harness/faultproxy"
)

// The tests count goroutines, so none of them runs in parallel.

// checkNoLeak records the goroutine count and, at cleanup, waits for it to
// come back down.
func checkNoLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// testServer is an in-test peer on a loopback listener. Its handler runs
// once per connection; Close closes the listener and every connection and
// waits for the handlers.
type testServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func startServer(t *testing.T, handler func(net.Conn)) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				handler(c)
			}()
		}
	}()
	t.Cleanup(s.Close)
	return s
}

func (s *testServer) Addr() string { return s.ln.Addr().String() }

func (s *testServer) Close() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// echo copies everything back.
func echo(c net.Conn) { _, _ = io.Copy(c, c) }

// pattern is the byte a source connection sends at stream offset pos.
func pattern(pos int64) byte { return byte(pos % 251) }

// source answers each 8-byte big-endian request k with the next k bytes of
// the pattern stream, so a test controls exactly how much flows
// server→client and when.
func source(c net.Conn) {
	var pos int64
	var req [8]byte
	buf := make([]byte, 64<<10)
	for {
		if _, err := io.ReadFull(c, req[:]); err != nil {
			return
		}
		k := int64(binary.BigEndian.Uint64(req[:]))
		for k > 0 {
			n := min(k, int64(len(buf)))
			for i := range n {
				buf[i] = pattern(pos + i)
			}
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
			pos += n
			k -= n
		}
	}
}

func startProxy(t *testing.T, target string, opts faultproxy.Options) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(t.Context(), target, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// client is a connection to a source server through the proxy.
type client struct {
	t   *testing.T
	c   *net.TCPConn
	pos int64 // stream offset of the next byte
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t: t, c: c.(*net.TCPConn)}
}

func (cl *client) request(k int64) {
	cl.t.Helper()
	var req [8]byte
	binary.BigEndian.PutUint64(req[:], uint64(k))
	if _, err := cl.c.Write(req[:]); err != nil {
		cl.t.Fatalf("send request: %v", err)
	}
}

// readN reads exactly k bytes and checks them against the pattern.
func (cl *client) readN(k int64) {
	cl.t.Helper()
	buf := make([]byte, k)
	if _, err := io.ReadFull(cl.c, buf); err != nil {
		cl.t.Fatalf("read %d bytes at offset %d: %v", k, cl.pos, err)
	}
	cl.check(buf)
}

func (cl *client) check(b []byte) {
	cl.t.Helper()
	for i, c := range b {
		if c != pattern(cl.pos+int64(i)) {
			cl.t.Fatalf("byte at stream offset %d = %d, want %d", cl.pos+int64(i), c, pattern(cl.pos+int64(i)))
		}
	}
	cl.pos += int64(len(b))
}

// readToError reads until an error, checking the pattern, and returns the
// number of bytes read, the error and when the last byte arrived.
func (cl *client) readToError(deadline time.Duration) (n int64, err error, lastByte time.Time) {
	cl.t.Helper()
	_ = cl.c.SetReadDeadline(time.Now().Add(deadline))
	buf := make([]byte, 32<<10)
	lastByte = time.Now()
	for {
		k, err := cl.c.Read(buf)
		if k > 0 {
			cl.check(buf[:k])
			n += int64(k)
			lastByte = time.Now()
		}
		if err != nil {
			return n, err, lastByte
		}
	}
}

func TestTransparentLargePayload(t *testing.T) {
	checkNoLeak(t)
	srv := startServer(t, echo)
	p := startProxy(t, srv.Addr(), faultproxy.Options{})

	const size = 16 << 20
	payload := make([]byte, size)
	if _, err := rand.Read(payload); err != nil {
		t.Fatal(err)
	}
	cl := dial(t, p.Addr())
	errc := make(chan error, 1)
	go func() {
		_, err := cl.c.Write(payload)
		if err == nil {
			err = cl.c.CloseWrite()
		}
		errc <- err
	}()
	h := sha256.New()
	n, err := io.Copy(h, cl.c)
	if err != nil {
		t.Fatalf("read echo: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("write payload: %v", err)
	}
	if n != size {
		t.Fatalf("echoed %d bytes, want %d", n, size)
	}
	if want := sha256.Sum256(payload); !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatal("echoed payload differs from what was sent")
	}
	st := p.Stats()
	if st.Connections != 1 || st.BytesDown != size || st.BytesUp != size {
		t.Errorf("Stats = %+v, want 1 connection and %d bytes each way", st, size)
	}
	for f, k := range st.Faults {
		if k != 0 {
			t.Errorf("Stats.Faults[%v] = %d on a transparent proxy", f, k)
		}
	}
}

// offsets straddle the pumps' 32 KiB buffer and MySQL's 4-byte packet
// header.
var offsets = []int64{0, 1, 3, 4, 1000, 32<<10 - 1, 32 << 10, 32<<10 + 7, 100_003}

func TestFaultAtExactOffset(t *testing.T) {
	checkNoLeak(t)
	srv := startServer(t, source)
	const stallFor = 300 * time.Millisecond
	p := startProxy(t, srv.Addr(), faultproxy.Options{StallFor: stallFor})

	for _, f := range []faultproxy.Fault{faultproxy.Drop, faultproxy.Reset, faultproxy.Stall} {
		for _, off := range offsets {
			// Scheduled before connecting: counts from the first byte.
			t.Run(f.String()+"/next", func(t *testing.T) {
				p.FaultAfter(f, off)
				if off == 0 && f == faultproxy.Reset {
					// The RST can arrive before connect(2) has returned
					// on loopback: then the dial itself sees it.
					c, err := net.Dial("tcp", p.Addr())
					if err != nil {
						if !errors.Is(err, syscall.ECONNRESET) {
							t.Fatalf("dial: %v, want success or ECONNRESET", err)
						}
						return
					}
					cl := &client{t: t, c: c.(*net.TCPConn)}
					t.Cleanup(func() { c.Close() })
					if resetSeenByWrite(cl) {
						return
					}
					checkFault(t, cl, f, off, stallFor)
					return
				}
				cl := dial(t, p.Addr())
				cl.request(1 << 20)
				checkFault(t, cl, f, off, stallFor)
			})
			// Scheduled on an open connection: counts from now.
			t.Run(f.String()+"/current", func(t *testing.T) {
				cl := dial(t, p.Addr())
				cl.request(777)
				cl.readN(777)
				p.FaultAfter(f, off)
				if off == 0 && f == faultproxy.Reset {
					// The RST may already be there: the request may fail.
					if resetSeenByWrite(cl) {
						return
					}
				} else {
					cl.request(1 << 20)
				}
				checkFault(t, cl, f, off, stallFor)
			})
		}
	}
	st := p.Stats()
	want := int64(2 * len(offsets))
	for _, f := range []faultproxy.Fault{faultproxy.Drop, faultproxy.Reset, faultproxy.Stall} {
		if st.Faults[f] != want {
			t.Errorf("Stats.Faults[%v] = %d, want %d", f, st.Faults[f], want)
		}
	}
}

// resetSeenByWrite sends a request on a connection that an RST may
// already have reached, and reports whether the write saw it. The kernel
// reports a connection's error once: when the write took the ECONNRESET
// (or EPIPE, when the RST came before the write), a read after it sees
// only EOF, so the reset is checked here instead.
func resetSeenByWrite(cl *client) bool {
	var req [8]byte
	binary.BigEndian.PutUint64(req[:], 1<<20)
	_, err := cl.c.Write(req[:])
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// checkFault reads to the end and checks that exactly off bytes arrived and
// that the connection ended the way f ends it.
func checkFault(t *testing.T, cl *client, f faultproxy.Fault, off int64, stallFor time.Duration) {
	t.Helper()
	start := time.Now()
	n, err, last := cl.readToError(10 * time.Second)
	if n != off {
		t.Fatalf("%v after %d: client read %d bytes (err %v)", f, off, n, err)
	}
	switch f {
	case faultproxy.Drop:
		if !errors.Is(err, io.EOF) {
			t.Fatalf("drop: read error %v, want EOF", err)
		}
	case faultproxy.Reset:
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("reset: read error %v, want ECONNRESET", err)
		}
	case faultproxy.Stall:
		if !errors.Is(err, io.EOF) {
			t.Fatalf("stall: read error %v, want EOF after the stall", err)
		}
		// Silence from the last byte (or from the request) to the EOF.
		from := last
		if start.After(from) {
			from = start
		}
		if silent := time.Since(from); silent < stallFor-20*time.Millisecond {
			t.Fatalf("stall: EOF %v after the last byte, want at least %v", silent, stallFor)
		}
	}
}

// TestStallHoldsBothDirections: during a stall what the client sends does
// not reach the server, and a client read deadline shorter than StallFor
// fires.
func TestStallHoldsBothDirections(t *testing.T) {
	checkNoLeak(t)
	srv := startServer(t, source)
	p := startProxy(t, srv.Addr(), faultproxy.Options{StallFor: 500 * time.Millisecond})
	cl := dial(t, p.Addr())
	cl.request(10)
	cl.readN(10)
	upBefore := p.Stats().BytesUp
	p.CutAll(faultproxy.Stall)
	cl.request(10)
	_ = cl.c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	var b [1]byte
	_, err := cl.c.Read(b[:])
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read during stall: %v, want a timeout", err)
	}
	if up := p.Stats().BytesUp; up != upBefore {
		t.Fatalf("BytesUp went from %d to %d during a stall", upBefore, up)
	}
	n, err, _ := cl.readToError(5 * time.Second)
	if n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("after the stall: %d bytes, err %v; want 0 bytes and EOF", n, err)
	}
}

// outcome is what one connection of the random schedule suffered.
type outcome struct {
	bytes int64
	fault faultproxy.Fault
}

func randomRun(t *testing.T, seed int64, conns int) []outcome {
	t.Helper()
	srv := startServer(t, source)
	opts := faultproxy.Options{Seed: seed, MinBytes: 10, MaxBytes: 70_000, StallFor: 50 * time.Millisecond}
	p := startProxy(t, srv.Addr(), opts)
	if p.Seed() != seed {
		t.Fatalf("Seed() = %d, want %d", p.Seed(), seed)
	}
	p.SetFaults(true)
	var out []outcome
	for range conns {
		before := p.Stats().Faults
		cl := dial(t, p.Addr())
		cl.request(1 << 20)
		n, err, _ := cl.readToError(5 * time.Second)
		if n < opts.MinBytes || n > opts.MaxBytes {
			t.Fatalf("random fault after %d bytes (err %v), outside [%d, %d]", n, err, opts.MinBytes, opts.MaxBytes)
		}
		after := p.Stats().Faults
		o := outcome{bytes: n, fault: -1}
		for f, k := range after {
			if k == before[f]+1 {
				o.fault = f
			}
		}
		if o.fault < 0 {
			t.Fatalf("no fault counted: before %v, after %v", before, after)
		}
		out = append(out, o)
	}
	return out
}

func TestRandomScheduleReproducible(t *testing.T) {
	checkNoLeak(t)
	const conns = 8
	a := randomRun(t, 12345, conns)
	b := randomRun(t, 12345, conns)
	c := randomRun(t, 54321, conns)
	t.Logf("seed 12345: %v; seed 54321: %v", a, c)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("connection %d: seed 12345 gave %v, then %v", i+1, a[i], b[i])
		}
	}
	same := true
	for i := range a {
		same = same && a[i] == c[i]
	}
	if same {
		t.Fatal("seeds 12345 and 54321 gave the same schedule")
	}
	kinds := map[faultproxy.Fault]bool{}
	for _, o := range append(a, c...) {
		kinds[o.fault] = true
	}
	if len(kinds) < 2 {
		t.Errorf("16 random faults were all of one kind: %v", kinds)
	}
}

func TestRandomSeedReported(t *testing.T) {
	checkNoLeak(t)
	p := startProxy(t, "127.0.0.1:1", faultproxy.Options{})
	if p.Seed() == 0 {
		t.Fatal("Seed() = 0 with a random seed")
	}
}

// TestSetFaultsOnOpenConnection: turning random faults on schedules open
// connections too, counting from then; turning them off cancels that.
func TestSetFaultsOnOpenConnection(t *testing.T) {
	checkNoLeak(t)
	srv := startServer(t, source)
	p := startProxy(t, srv.Addr(), faultproxy.Options{Faults: []faultproxy.Fault{faultproxy.Drop}, MinBytes: 100, MaxBytes: 100})
	cl := dial(t, p.Addr())
	cl.request(500)
	cl.readN(500)
	p.SetFaults(true)
	p.SetFaults(false)
	cl.request(5000)
	cl.readN(5000)
	p.SetFaults(true)
	cl.request(5000)
	n, err, _ := cl.readToError(5 * time.Second)
	if n != 100 || !errors.Is(err, io.EOF) {
		t.Fatalf("after SetFaults(true): %d bytes, err %v; want 100 then EOF", n, err)
	}
}

func TestRefuse(t *testing.T) {
	checkNoLeak(t)
	srv := startServer(t, source)
	p := startProxy(t, srv.Addr(), faultproxy.Options{})
	p.Refuse(true)
	for range 3 {
		cl := dial(t, p.Addr())
		n, err, _ := cl.readToError(5 * time.Second)
		if n != 0 || err == nil {
			t.Fatalf("refused connection: read %d bytes, err %v", n, err)
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("refused connection stayed open")
		}
	}
	p.Refuse(false)
	cl := dial(t, p.Addr())
	cl.request(100)
	cl.readN(100)
	if st := p.Stats(); st.Refused != 3 || st.Connections != 1 {
		t.Fatalf("Stats = %+v, want 3 refused and 1 connection", st)
	}
}

func TestCutAll(t *testing.T) {
	checkNoLeak(t)
	srv := startServer(t, source)
	p := startProxy(t, srv.Addr(), faultproxy.Options{})
	var cls []*client
	for range 3 {
		cl := dial(t, p.Addr())
		cl.request(100)
		cl.readN(100)
		cls = append(cls, cl)
	}
	p.CutAll(faultproxy.Reset)
	for i, cl := range cls {
		_, err, _ := cl.readToError(5 * time.Second)
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("connection %d: %v, want ECONNRESET", i, err)
		}
	}
	if got := p.Stats().Faults[faultproxy.Reset]; got != 3 {
		t.Errorf("Faults[Reset] = %d, want 3", got)
	}
}

// TestCloseWithOpenConnections: Close ends open (busy and idle) connections
// and returns only when every goroutine has finished (checkNoLeak).
func TestCloseWithOpenConnections(t *testing.T) {
	checkNoLeak(t)
	srv := startServer(t, source)
	p, err := faultproxy.Start(context.Background(), srv.Addr(), faultproxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	busy := dial(t, p.Addr())
	busy.request(1 << 30) // far more than the socket buffers hold
	idle := dial(t, p.Addr())
	idle.request(10)
	idle.readN(10)
	stalled := dial(t, p.Addr())
	stalled.request(10)
	stalled.readN(10)
	p.FaultAfter(faultproxy.Stall, 0)
	busy.readN(1000)

	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return within 5s")
	}
	for i, cl := range []*client{busy, idle, stalled} {
		_, err, _ := cl.readToError(5 * time.Second)
		var ne net.Error
		if err == nil || errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("connection %d still open after Close: %v", i, err)
		}
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Error("proxy still accepts after Close")
	}
}

// TestUnreachableTarget: a connection whose target refuses is closed.
func TestUnreachableTarget(t *testing.T) {
	checkNoLeak(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := startProxy(t, addr, faultproxy.Options{})
	cl := dial(t, p.Addr())
	n, err, _ := cl.readToError(5 * time.Second)
	var ne net.Error
	if n != 0 || err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("read %d bytes, err %v; want the connection closed", n, err)
	}
}

// BenchmarkForward measures server→client throughput through a transparent
// proxy (the path a binlog stream takes).
func BenchmarkForward(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64<<10)
		for {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}()
	p, err := faultproxy.Start(context.Background(), ln.Addr().String(), faultproxy.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
}
