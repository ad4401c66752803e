package core

import (
	"context"
	"errors"
)

// Sink is the contract between the pipeline runtime and a destination.
// The built-in sinks and third-party plugin sinks implement it alike.
//
// The pipeline calls Open once, then Apply and ApplySchemaChange from one
// goroutine, in source order, then Close. It always resumes from the
// checkpoint Open returns, so a sink that commits each batch atomically
// with its checkpoint (as the Postgres sink does, in one database
// transaction) applies every source change exactly once, across crashes
// and restarts. A sink that cannot (a search index) gets at-least-once:
// it must then make re-applying a batch harmless (idempotent writes keyed
// by the row's primary key).
//
// # Errors
//
// A sink wraps an error the pipeline may retry after a pause (the
// destination is down or unreachable, a serialization failure) with
// Retryable. The pipeline then closes the sink, opens it again and resumes
// from its checkpoint, with back-off, for as long as the pipeline's retry
// policy allows. Any other error stops the pipeline: it must say what
// failed, on which table and record, and what the user can do.
type Sink interface {
	// Open connects, prepares what the sink keeps its state in, and
	// returns the last checkpoint committed for the pipeline, or the zero
	// Position when there is none (a first run).
	Open(ctx context.Context, pipeline string) (Position, error)
	// Apply applies every record of the batch, which holds whole source
	// transactions (row records only: inserts, updates, deletes and
	// snapshot reads), together with the batch's checkpoint: when Apply
	// returns nil both are durable, and when it returns an error neither
	// may be. The records come from Batch.Next as the source produces
	// them, so a transaction larger than memory streams through; a sink
	// must bound what it buffers.
	Apply(ctx context.Context, b Batch) error
	// ApplySchemaChange applies one OpSchemaChange or OpTruncate record,
	// alone, together with cp, the checkpoint after it, under the same
	// all-or-nothing rule as Apply. A change the sink cannot apply safely
	// is an error that says why and what to do.
	ApplySchemaChange(ctx context.Context, r *Record, cp Position) error
	// Close releases the sink's connections. An Apply in progress has
	// returned by then.
	Close() error
}

// Batch is a stream of records of whole source transactions.
type Batch interface {
	// Next returns the next record, or io.EOF after the last one. Records
	// stay valid until Apply returns; a sink must not keep them longer.
	// Next blocks while the source has not produced the record yet, and
	// returns ctx's error when it is done, or the pipeline's when the
	// batch is abandoned (the pipeline is stopping inside a transaction):
	// the sink must then roll back.
	Next(ctx context.Context) (*Record, error)
	// Checkpoint is where the source resumes after the batch: the
	// Checkpoint of its last transaction. Valid once Next returned io.EOF.
	Checkpoint() Position
}

// retryable marks an error the pipeline may retry.
type retryable struct{ err error }

func (e *retryable) Error() string { return e.err.Error() }
func (e *retryable) Unwrap() error { return e.err }

// Retryable marks err as transient: the pipeline reopens the sink and
// resumes from its checkpoint after a pause. Retryable(nil) is nil.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return &retryable{err}
}

// IsRetryable reports whether err, or an error it wraps, was marked with
// Retryable.
func IsRetryable(err error) bool {
	var r *retryable
	return errors.As(err, &r)
}
