package replication

import (
	"context"
	"sync"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/client"
)

// readAhead reads binlog packets from a replication connection in its own
// goroutine, so that the network (system calls, waiting for the source)
// overlaps with decoding. Packets are read straight into recycled buffers
// (no copy); at most readAheadBytes of buffers wait in the queue (a single
// larger packet is always let through), so memory stays bounded whatever
// the event sizes.
type readAhead struct {
	conn   *client.Conn
	cancel context.CancelFunc
	ch     chan packet
	done   chan struct{}

	mu     sync.Mutex
	cond   *sync.Cond
	queued int // bytes sent and not yet released
	stop   bool

	free [][]byte
	// held is the packet the consumer is decoding; its buffer is recycled
	// when the next one is taken.
	held packet
}

// packet is one binlog event or the error that ended the connection.
type packet struct {
	data []byte // the event
	buf  []byte // the buffer holding it, recycled after use
	err  error
}

const (
	readAheadBytes   = 8 << 20
	readAheadPackets = 256
	// keepBuffer is the largest buffer kept for reuse: a rare huge event
	// must not pin its memory.
	keepBuffer = 1 << 20
)

// startReadAhead starts reading conn with the given per-packet timeout.
// The goroutine owns conn until stop.
func startReadAhead(conn *client.Conn, timeout time.Duration) *readAhead {
	ctx, cancel := context.WithCancel(context.Background())
	r := &readAhead{conn: conn, cancel: cancel, ch: make(chan packet, readAheadPackets), done: make(chan struct{})}
	r.cond = sync.NewCond(&r.mu)
	go r.run(ctx, timeout)
	return r
}

func (r *readAhead) run(ctx context.Context, timeout time.Duration) {
	defer close(r.done)
	var buf []byte
	for {
		if buf == nil {
			r.mu.Lock()
			buf = r.takeBuffer()
			r.mu.Unlock()
		}
		ev, full, err := r.conn.ReadEventTo(ctx, timeout, buf)
		if err != nil {
			select {
			case r.ch <- packet{err: err}:
			case <-ctx.Done():
			}
			return
		}
		n := cap(full)
		r.mu.Lock()
		for r.queued > 0 && r.queued+n > readAheadBytes && !r.stop {
			r.cond.Wait()
		}
		if r.stop {
			r.mu.Unlock()
			return
		}
		r.queued += n
		r.mu.Unlock()
		select {
		case r.ch <- packet{data: ev, buf: full}:
		case <-ctx.Done():
			return
		}
		buf = nil
	}
}

// takeBuffer returns a recycled buffer, or a new one. Called with mu
// held.
func (r *readAhead) takeBuffer() []byte {
	if k := len(r.free); k > 0 {
		b := r.free[k-1]
		r.free = r.free[:k-1]
		return b
	}
	return make([]byte, 0, 16<<10)
}

// next returns the next packet: its bytes are valid until the following
// call. It returns ctx.Err() when ctx ends first; the read-ahead goes on,
// so a later call continues where this one stopped.
func (r *readAhead) next(ctx context.Context) ([]byte, error) {
	r.release()
	select {
	case p := <-r.ch:
		if p.err != nil {
			return nil, p.err
		}
		r.held = p
		return p.data, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release recycles the buffer of the packet the consumer held.
func (r *readAhead) release() {
	if r.held.data == nil {
		return
	}
	r.mu.Lock()
	r.queued -= cap(r.held.buf)
	if cap(r.held.buf) <= keepBuffer && len(r.free) < readAheadPackets {
		r.free = append(r.free, r.held.buf[:0])
	}
	r.cond.Signal()
	r.mu.Unlock()
	r.held = packet{}
}

// close stops the goroutine and closes the connection.
func (r *readAhead) close() {
	r.mu.Lock()
	r.stop = true
	r.cond.Broadcast()
	r.mu.Unlock()
	r.cancel()
	r.conn.Close()
	<-r.done
}
