package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/seed5aa6e046/syncer/core"
)

// applier hands the queue to the sink, batch by batch.
type applier struct {
	cfg        *Config
	log        *slog.Logger
	sink       core.Sink
	src        Source
	q          *queue
	checkpoint core.Position // the sink's
	head       *core.Record  // taken from the queue, not yet handed out
	commits    int

	// Totals since the last progress log line.
	logged               time.Time
	records, txs, byteSz int
	lastCommitTime       time.Time
}

// errAbandoned is what Batch.Next returns when the pipeline stops inside a
// transaction that does not end within StopTimeout.
var errAbandoned = errors.New("pipeline stopping: batch abandoned inside a source transaction")

func (a *applier) run(ctx context.Context) error {
	a.logged = time.Now()
	for {
		if a.head == nil {
			r, err := a.q.take(ctx, ctx.Done(), time.Time{})
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			a.head = r
		}
		r := a.head
		sinkCtx, done := a.sinkContext(ctx)
		start := time.Now()
		switch r.Op {
		case core.OpSchemaChange, core.OpTruncate:
			a.head = nil
			cp := a.checkpoint
			if r.TxEnd {
				cp = r.Checkpoint
			}
			err := a.sink.ApplySchemaChange(sinkCtx, r, cp)
			done()
			if err != nil {
				return fmt.Errorf("apply %s of %s at %s (%q): %w", r.Change.Kind, changeTarget(r.Change), r.Position, r.Change.Statement, err)
			}
			a.committed(Commit{Transactions: boolInt(r.TxEnd), Checkpoint: cp, SchemaChange: r.Change,
				LastCommitTime: r.CommitTime, Duration: time.Since(start)})
			a.log.Info("schema change applied", "kind", r.Change.Kind, "table", changeTarget(r.Change), "position", r.Position.String())
		default:
			b := &batch{a: a, stop: ctx.Done(), start: start, boundary: true, cp: a.checkpoint}
			err := a.sink.Apply(sinkCtx, b)
			done()
			if b.abandoned {
				a.log.Info("stopped inside a source transaction: the batch was rolled back", "records", b.records)
				return nil
			}
			if err != nil {
				return err
			}
			if !b.ended {
				return fmt.Errorf("sink %T returned from Apply before reading the whole batch", a.sink)
			}
			a.committed(Commit{Records: b.records, Transactions: b.txs, Checkpoint: b.cp,
				LastCommitTime: b.lastCommitTime, Duration: time.Since(start)})
			if b.stopped {
				a.log.Info("stopped at a transaction end after committing the batch in flight", "checkpoint", b.cp.String())
				return nil
			}
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// sinkContext is the context the sink works under: a stop does not cancel
// it (the batch in flight must commit or roll back cleanly), but a sink
// that has not finished 2×StopTimeout after the stop is cancelled.
func (a *applier) sinkContext(ctx context.Context) (context.Context, func()) {
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	finished := make(chan struct{})
	go func() {
		select {
		case <-finished:
		case <-ctx.Done():
			t := time.NewTimer(2 * a.cfg.StopTimeout)
			defer t.Stop()
			select {
			case <-finished:
			case <-t.C:
				cancel()
			}
		}
	}()
	return sctx, func() { close(finished); cancel() }
}

func (a *applier) committed(c Commit) {
	a.commits++
	a.checkpoint = c.Checkpoint
	a.src.Ack(c.Checkpoint)
	a.records += c.Records
	a.txs += c.Transactions
	if !c.LastCommitTime.IsZero() {
		a.lastCommitTime = c.LastCommitTime
	}
	if a.cfg.Observe != nil {
		a.cfg.Observe(c)
	}
	if since := time.Since(a.logged); since >= 10*time.Second {
		args := []any{"records", a.records, "transactions", a.txs, "records_per_s", int(float64(a.records) / since.Seconds()),
			"checkpoint", c.Checkpoint.String()}
		if !a.lastCommitTime.IsZero() {
			args = append(args, "lag", time.Since(a.lastCommitTime).Round(time.Millisecond).String())
		}
		a.log.Info("applied", args...)
		a.logged, a.records, a.txs = time.Now(), 0, 0
	}
}

func changeTarget(c *core.SchemaChange) string {
	switch {
	case c.New != nil:
		return c.New.QualifiedName()
	case c.Old != nil:
		return c.Old.QualifiedName()
	}
	return c.Database
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// batch is the core.Batch the applier hands the sink: records of whole
// transactions taken off the queue as the sink asks for them.
type batch struct {
	a     *applier
	stop  <-chan struct{} // the pipeline's stop; nil once seen
	start time.Time
	// boundary is true between transactions.
	boundary bool
	stopAt   time.Time
	records  int
	txs      int
	bytes    int
	cp       core.Position
	// lastCommitTime is the newest source commit time in the batch.
	lastCommitTime time.Time
	ended          bool
	stopped        bool // ended because the pipeline is stopping
	abandoned      bool
}

func (b *batch) Checkpoint() core.Position { return b.cp }

func (b *batch) Next(ctx context.Context) (*core.Record, error) {
	cfg := b.a.cfg
	for {
		if b.ended {
			return nil, io.EOF
		}
		if b.abandoned {
			return nil, errAbandoned
		}
		full := b.records >= cfg.MaxRecords || int64(b.bytes) >= cfg.MaxBytes
		if b.boundary && b.txs > 0 && (full || !b.stopAt.IsZero()) {
			b.ended, b.stopped = true, !b.stopAt.IsZero()
			continue
		}
		var deadline time.Time
		switch {
		case b.boundary && b.txs > 0:
			deadline = b.start.Add(cfg.MaxLatency)
		case !b.stopAt.IsZero():
			deadline = b.stopAt.Add(cfg.StopTimeout)
		}
		r := b.a.head
		if r == nil {
			var err error
			r, err = b.a.q.take(ctx, b.stop, deadline)
			switch {
			case errors.Is(err, errStop):
				b.stop, b.stopAt = nil, time.Now()
				if b.boundary && b.txs == 0 {
					// Nothing of a transaction taken yet: end empty.
					b.ended, b.stopped = true, true
				}
				continue
			case errors.Is(err, errTimeout):
				if b.boundary {
					b.ended = true
				} else {
					b.abandoned = true
				}
				continue
			case err != nil:
				return nil, err
			}
			b.a.head = r
		}
		if b.boundary && (r.Op == core.OpSchemaChange || r.Op == core.OpTruncate) {
			b.ended = true // the schema change goes alone
			continue
		}
		b.a.head = nil
		b.bytes += r.Size()
		b.boundary = r.TxEnd
		if r.TxEnd {
			b.txs++
			b.cp = r.Checkpoint
			if !r.CommitTime.IsZero() {
				b.lastCommitTime = r.CommitTime
			}
		}
		if r.Op == core.OpProgress {
			continue
		}
		b.records++
		return r, nil
	}
}
