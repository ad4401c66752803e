package replication

import (
	"context"
	"sync"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/client"
)

// readAhead reads binlog packets from a replication connection in its own
// goroutine, so that the network (system calls, waiting for the source)
// overlaps with decoding. Packets are copied into recycled buffers; at most
// readAheadBytes of them wait in the queue (a single larger packet is
// always let through), so memory stays bounded whatever the event sizes.
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

// packet is one binlog packet or the error that ended the connection.
type packet struct {
	data []byte
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
	for {
		raw, err := r.conn.ReadEvent(ctx, timeout)
		if err != nil {
			select {
			case r.ch <- packet{err: err}:
			case <-ctx.Done():
			}
			return
		}
		n := len(raw)
		r.mu.Lock()
		for r.queued > 0 && r.queued+n > readAheadBytes && !r.stop {
			r.cond.Wait()
		}
		if r.stop {
			r.mu.Unlock()
			return
		}
		r.queued += n
		buf := r.takeBuffer(n)
		r.mu.Unlock()
		buf = append(buf[:0], raw...)
		select {
		case r.ch <- packet{data: buf}:
		case <-ctx.Done():
			return
		}
	}
}

// takeBuffer returns a recycled buffer with room for n bytes, if one is
// free. Called with mu held.
func (r *readAhead) takeBuffer(n int) []byte {
	for i := len(r.free) - 1; i >= 0; i-- {
		if b := r.free[i]; cap(b) >= n {
			r.free[i] = r.free[len(r.free)-1]
			r.free = r.free[:len(r.free)-1]
			return b
		}
	}
	return make([]byte, 0, max(n, 16<<10))
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
	r.queued -= len(r.held.data)
	if cap(r.held.data) <= keepBuffer && len(r.free) < readAheadPackets {
		r.free = append(r.free, r.held.data)
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
