// Package pipeline runs one pipeline: a source's change records, through
// the transforms, cut into batches of whole source transactions, into a
// sink (core.Sink), resuming always from the sink's own checkpoint.
//
// # Flow and memory
//
// A reader goroutine pulls records from the source, runs the transforms
// and queues the records; the queue is bounded in records and bytes, so a
// slow sink holds the reader back (back-pressure) and memory stays bounded.
// The applier (Run's goroutine) hands the queue to the sink batch by
// batch: a batch is a core.Batch whose Next takes records off the queue as
// they come, so a transaction larger than memory streams into the sink,
// which commits it atomically at the end.
//
// # Batches
//
// A batch holds whole transactions: it closes at the first transaction end
// after MaxRecords records, MaxBytes bytes or MaxLatency time, and before a
// schema change, which the sink applies alone (ApplySchemaChange).
//
// # Stopping
//
// Cancelling Run's context stops the pipeline gracefully: a batch in
// flight closes at the end of its current transaction and commits, if that
// transaction completes within StopTimeout; otherwise it is abandoned, and
// the sink rolls it back. Either way the sink's checkpoint is exact, and
// the next run resumes from it.
//
// # Failures
//
// An error marked core.Retryable (the sink's database is down), or a
// network error from the source, closes source and sink; after a back-off
// the pipeline reopens them and resumes from the sink's checkpoint. Other
// errors end Run.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/seed5aa6e046/syncer/core"
)

// Source is what a pipeline reads: change records in source order, each
// transaction's last record marked TxEnd with the Checkpoint after it.
type Source interface {
	// Next returns the next record; it blocks until there is one.
	Next(ctx context.Context) (*core.Record, error)
	// Ack tells the source that everything up to p is durable in the
	// sink. It may be called from another goroutine than Next.
	Ack(p core.Position)
	Close() error
}

// OpenSource opens the source at start: the sink's checkpoint, or the
// zero Position on a first run (the source then starts where its
// configuration says).
type OpenSource func(ctx context.Context, start core.Position) (Source, error)

// Transform is one step of the transform chain: it returns the records a
// record becomes (none to drop it). WASM transforms implement it.
type Transform interface {
	Transform(r *core.Record) ([]*core.Record, error)
}

// Config configures a pipeline run. Zero fields take the defaults.
type Config struct {
	// Name identifies the pipeline; the sink keeps its checkpoint under it.
	Name string
	// MaxRecords, MaxBytes and MaxLatency close a batch at the next
	// transaction end. Defaults 20000 records, 64 MiB, 200ms.
	MaxRecords int
	MaxBytes   int64
	MaxLatency time.Duration
	// QueueRecords and QueueBytes bound the records read ahead of the
	// sink. Defaults 65536 records, 128 MiB: more than a default batch, so
	// the source keeps reading while the sink merges and commits one.
	QueueRecords int
	QueueBytes   int64
	// StopTimeout is how long a stop waits for the transaction in flight
	// to end before abandoning its batch. Default 10s.
	StopTimeout time.Duration
	// Retry bounds retrying after retryable failures.
	Retry Retry
	// Transforms run in order on every row record.
	Transforms []Transform
	// Logger; default slog.Default().
	Logger *slog.Logger
	// Observe, if set, is called after each commit (from Run's goroutine).
	Observe func(Commit)
}

// Retry is the back-off after retryable failures: attempt n waits a random
// time in [Initial·2ⁿ/2, Initial·2ⁿ], at most Max; MaxDuration (0: no
// limit) ends the retrying when failures have lasted that long without a
// commit in between.
type Retry struct {
	MaxDuration time.Duration
	Initial     time.Duration
	Max         time.Duration
}

// Commit describes one commit to the sink.
type Commit struct {
	// Records and Transactions applied by the commit.
	Records, Transactions int
	// Checkpoint is the sink's checkpoint after the commit.
	Checkpoint core.Position
	// SchemaChange is set when the commit applied a schema change.
	SchemaChange *core.SchemaChange
	// LastCommitTime is the source commit time of the newest transaction
	// applied (zero when unknown): now minus it is the replication lag.
	LastCommitTime time.Time
	// Duration is how long the sink took.
	Duration time.Duration
}

func (c *Config) withDefaults() Config {
	o := *c
	if o.MaxRecords <= 0 {
		o.MaxRecords = 20000
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 64 << 20
	}
	if o.MaxLatency <= 0 {
		o.MaxLatency = 200 * time.Millisecond
	}
	if o.QueueRecords <= 0 {
		o.QueueRecords = 65536
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = 128 << 20
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = 10 * time.Second
	}
	if o.Retry.Initial <= 0 {
		o.Retry.Initial = time.Second
	}
	if o.Retry.Max <= 0 {
		o.Retry.Max = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Run runs the pipeline until ctx is cancelled (a graceful stop: it
// returns nil) or a failure that retrying cannot or may not fix.
func Run(ctx context.Context, cfg Config, open OpenSource, sink core.Sink) error {
	c := cfg.withDefaults()
	log := c.Logger.With("pipeline", c.Name)
	var failingSince time.Time
	for attempt := 0; ; attempt++ {
		progressed, err := runOnce(ctx, &c, log, open, sink)
		if err == nil || ctx.Err() != nil {
			if err != nil && !errors.Is(err, context.Canceled) {
				log.Warn("stopped", "err", err)
			}
			return nil
		}
		if !retryable(err) {
			return err
		}
		if progressed {
			failingSince, attempt = time.Time{}, 0
		}
		if failingSince.IsZero() {
			failingSince = time.Now()
		}
		if c.Retry.MaxDuration > 0 && time.Since(failingSince) > c.Retry.MaxDuration {
			return fmt.Errorf("still failing after %s of retries (retry.max_duration): %w", c.Retry.MaxDuration, err)
		}
		d := backoff(c.Retry, attempt)
		log.Warn("retrying after a transient failure", "err", err, "in", d.Round(time.Millisecond), "attempt", attempt+1)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(d):
		}
	}
}

func backoff(r Retry, attempt int) time.Duration {
	d := r.Initial
	for i := 0; i < attempt && d < r.Max; i++ {
		d *= 2
	}
	d = min(d, r.Max)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// retryable reports failures a later attempt may not meet: marked by the
// sink, or the network failing under the source.
func retryable(err error) bool {
	if core.IsRetryable(err) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.EPIPE)
}

// runOnce opens sink and source, applies until stop or failure, and
// closes both. progressed reports whether anything was committed.
func runOnce(ctx context.Context, c *Config, log *slog.Logger, open OpenSource, sink core.Sink) (progressed bool, err error) {
	cp, err := sink.Open(ctx, c.Name)
	if err != nil {
		return false, fmt.Errorf("open sink: %w", err)
	}
	defer func() {
		if cerr := sink.Close(); cerr != nil && err == nil && ctx.Err() == nil {
			err = fmt.Errorf("close sink: %w", cerr)
		}
	}()
	if cp.IsZero() {
		log.Info("first run: the sink has no checkpoint")
	} else {
		log.Info("resuming from the sink's checkpoint", "file", cp.File, "pos", cp.Pos, "gtid", cp.GTID)
	}
	src, err := open(ctx, cp)
	if err != nil {
		return false, fmt.Errorf("open source: %w", err)
	}
	q := newQueue(c.QueueRecords, c.QueueBytes)
	readCtx, stopReading := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		q.fail(read(readCtx, src, c.Transforms, q))
	}()
	defer func() {
		stopReading()
		q.close()
		wg.Wait()
		if cerr := src.Close(); cerr != nil && err == nil && ctx.Err() == nil {
			err = fmt.Errorf("close source: %w", cerr)
		}
	}()
	a := &applier{cfg: c, log: log, sink: sink, src: src, q: q, checkpoint: cp}
	err = a.run(ctx)
	return a.commits > 0, err
}

// read moves the source's records, transformed, into the queue until it
// fails or ctx ends.
func read(ctx context.Context, src Source, transforms []Transform, q *queue) error {
	for {
		r, err := src.Next(ctx)
		if err != nil {
			return err
		}
		out, err := transform(transforms, r)
		if err != nil {
			return err
		}
		for _, o := range out {
			if err := q.put(ctx, o); err != nil {
				return err
			}
		}
	}
}

// transform runs the chain on a row record. A transaction's end survives a
// transform that drops or multiplies its last record: the end then moves
// to the last record out, or to a progress record.
func transform(chain []Transform, r *core.Record) ([]*core.Record, error) {
	if len(chain) == 0 || r.Op == core.OpProgress || r.Op == core.OpSchemaChange || r.Op == core.OpTruncate {
		return []*core.Record{r}, nil
	}
	recs := []*core.Record{r}
	for _, t := range chain {
		var next []*core.Record
		for _, in := range recs {
			out, err := t.Transform(in)
			if err != nil {
				return nil, fmt.Errorf("transform of %s.%s record at %s: %w", r.Table.Schema, r.Table.Name, r.Position, err)
			}
			next = append(next, out...)
		}
		recs = next
	}
	for _, o := range recs {
		o.TxEnd = false
	}
	if r.TxEnd {
		if len(recs) == 0 {
			return []*core.Record{{Op: core.OpProgress, TxID: r.TxID, TxEnd: true, Checkpoint: r.Checkpoint, CommitTime: r.CommitTime, Position: r.Position}}, nil
		}
		last := recs[len(recs)-1]
		last.TxEnd, last.Checkpoint = true, r.Checkpoint
	}
	return recs, nil
}
