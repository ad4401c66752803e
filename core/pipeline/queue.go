package pipeline

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/seed5aa6e046/syncer/core"
)

// queue carries records from the reader to the applier, bounded in
// records (the channel's capacity) and in bytes. A record larger than the
// byte bound passes when the queue is empty, so it cannot wedge it.
type queue struct {
	ch       chan *core.Record
	maxBytes int64

	mu     sync.Mutex
	bytes  int64
	space  chan struct{} // closed and replaced whenever bytes drop
	err    error         // the reader's terminal error
	failed chan struct{} // closed when err is set
	closed bool
}

func newQueue(records int, bytes int64) *queue {
	return &queue{
		ch:       make(chan *core.Record, records),
		maxBytes: bytes,
		space:    make(chan struct{}),
		failed:   make(chan struct{}),
	}
}

// put queues r, waiting for room.
func (q *queue) put(ctx context.Context, r *core.Record) error {
	n := int64(r.Size())
	for {
		q.mu.Lock()
		if q.bytes == 0 || q.bytes+n <= q.maxBytes {
			q.bytes += n
			q.mu.Unlock()
			break
		}
		space := q.space
		q.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case q.ch <- r:
		return nil
	case <-ctx.Done():
		q.release(n)
		return ctx.Err()
	}
}

func (q *queue) release(n int64) {
	q.mu.Lock()
	q.bytes -= n
	close(q.space)
	q.space = make(chan struct{})
	q.mu.Unlock()
}

// fail records the reader's terminal error; takers see it after the
// records queued before it.
func (q *queue) fail(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err == nil && err != nil {
		q.err = err
		close(q.failed)
	}
}

func (q *queue) close() { q.fail(errQueueClosed) }

var errQueueClosed = errors.New("pipeline: queue closed")

// errTimeout and errStop are take's results when the deadline passes or
// stop is done first.
var (
	errTimeout = errors.New("pipeline: no record before the deadline")
	errStop    = errors.New("pipeline: stopping")
)

// take returns the next record. It gives up with errTimeout at deadline
// (zero: none), errStop when stop is done (nil: never), ctx's error, or
// the reader's error once the records before it are taken.
func (q *queue) take(ctx context.Context, stop <-chan struct{}, deadline time.Time) (*core.Record, error) {
	var timer <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			select {
			case r := <-q.ch:
				return q.taken(r), nil
			default:
				return nil, errTimeout
			}
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case r := <-q.ch:
		return q.taken(r), nil
	case <-q.failed:
		select {
		case r := <-q.ch:
			return q.taken(r), nil
		default:
			q.mu.Lock()
			defer q.mu.Unlock()
			return nil, q.err
		}
	case <-timer:
		return nil, errTimeout
	case <-stop:
		return nil, errStop
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (q *queue) taken(r *core.Record) *core.Record {
	q.release(int64(r.Size()))
	return r
}
