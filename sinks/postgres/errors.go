package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/seed5aa6e046/syncer/core"
)

// retryHint and fatalHint end the messages of errors the pipeline retries
// and of those that stop it.
const (
	retryHint = "the transaction was rolled back; the pipeline reconnects and resumes from the last checkpoint"
	fatalHint = "the transaction was rolled back (no rows and no checkpoint were written); " +
		"fix the cause and restart the pipeline, which resumes from the last checkpoint"
)

// transientCodes are the SQLSTATEs (besides class 08, connection
// exception) after which a retry from the checkpoint can succeed.
var transientCodes = map[string]bool{
	"57P01": true, // admin_shutdown (pg_terminate_backend, a fast shutdown)
	"57P02": true, // crash_shutdown
	"57P03": true, // cannot_connect_now (starting up, in recovery)
	"40001": true, // serialization_failure
	"40P01": true, // deadlock_detected
	"53300": true, // too_many_connections
}

// isTransient reports whether err is a failure of the connection or of the
// server that a reconnect and a retry can get past: dial errors, a
// connection closed or reset, an error pgconn says is safe to retry, the
// server's connection-exception and shutdown codes, serialization failures
// and deadlocks. A server error with any other code is fatal: retrying the
// same statement would fail the same way.
func isTransient(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") || transientCodes[pgErr.Code]
	}
	if pgconn.Timeout(err) {
		// A network timeout, or connect_timeout (pgconn reports it as a
		// deadline of its own).
		return true
	}
	if isContextEnd(err) {
		// The pipeline is stopping (or gave the call a deadline): not
		// a destination failure.
		return false
	}
	if pgconn.SafeToRetry(err) {
		return true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var connectErr *pgconn.ConnectError
	return errors.As(err, &connectErr)
}

// classify marks a transient err Retryable. broken reports that the
// connection is closed after err, which makes any error that did not come
// from the server transient (pgx reports a connection lost mid-statement
// in several ways). ctx's own end is never retryable.
func classify(ctx context.Context, err error, broken bool) error {
	if err == nil || core.IsRetryable(err) {
		return err
	}
	if ctx != nil && ctx.Err() != nil {
		return err
	}
	if isTransient(err) || (broken && !fromServer(err)) {
		return core.Retryable(err)
	}
	return err
}

// isContextEnd reports a context's cancellation or deadline.
func isContextEnd(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// fromServer reports an error the server sent, or the end of a context:
// errors that say nothing about the connection's health.
func fromServer(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) || (isContextEnd(err) && !pgconn.Timeout(err))
}

// hint returns what to do after err (classified or about to be).
func hint(err error, broken bool) string {
	if isTransient(err) || (broken && !fromServer(err)) {
		return retryHint
	}
	return fatalHint
}

// serverDetail returns the detail and hint of a server error, which its
// Error() leaves out, and what to do for the codes the sink knows.
func serverDetail(err error) string {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return ""
	}
	var b strings.Builder
	if pgErr.Detail != "" {
		b.WriteString("; detail: " + pgErr.Detail)
	}
	if pgErr.Hint != "" {
		b.WriteString("; server hint: " + pgErr.Hint)
	}
	if pgErr.Where != "" && !strings.HasPrefix(pgErr.Where, "COPY ") {
		b.WriteString("; where: " + firstLine(pgErr.Where))
	}
	switch pgErr.Code {
	case "42P10":
		b.WriteString("; the target table has no primary key or unique index on the source table's key columns, " +
			"which the upsert needs: add one (ALTER TABLE ... ADD PRIMARY KEY (...)) or drop the target table to let the sink create it")
	case "42501":
		b.WriteString("; the sink's user lacks a privilege: grant it (the sink needs to create schemas and tables, " +
			"temporary tables, and to write the target tables and the state schema)")
	}
	return b.String()
}

// tableName names a plan's source and target for messages:
// `shop.orders (target "shop"."orders")`.
func tableName(p *tablePlan) string {
	return fmt.Sprintf("%s (target %s)", p.Source.QualifiedName(), p.ident())
}

// maxShownValue bounds each value shown in an error message.
const maxShownValue = 64

// keyString renders the key values of a row image, "id=5, region=eu";
// for a table matched on its full row the first columns, marked as such.
func keyString(p *tablePlan, img []core.Value) string {
	var b strings.Builder
	cols, more := p.Key, false
	if len(cols) == 0 {
		b.WriteString("no key, full row: ")
		for i := range p.Columns {
			if i == 4 {
				more = true
				break
			}
			cols = append(cols, i)
		}
	}
	for n, i := range cols {
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.Source.Columns[i].Name)
		b.WriteByte('=')
		if i >= len(img) {
			b.WriteString("?")
			continue
		}
		s := img[i].String()
		if len(s) > maxShownValue {
			s = s[:maxShownValue] + "..."
		}
		b.WriteString(s)
	}
	if more {
		b.WriteString(", ...")
	}
	return b.String()
}

// rowError wraps err, met applying one record, with the table, the
// record's position and key, and what to do.
func rowError(p *tablePlan, r *core.Record, err error) error {
	img := r.Image()
	return wrapErr(err, fmt.Sprintf("postgres sink: table %s: %s record at %s (key %s): ",
		tableName(p), r.Op, r.Position, keyString(p, img)), "; "+fatalHint)
}

// wrappedError is an error with a message of its own that wraps the
// error it was made from (errors.Is, errors.As and core.IsRetryable see
// through it).
type wrappedError struct {
	msg string
	err error
}

func (e *wrappedError) Error() string { return e.msg }
func (e *wrappedError) Unwrap() error { return e.err }

// wrapErr returns an error reading before, err's message and after, that
// wraps err. err's own "postgres sink: " prefix is dropped: the message
// says it once.
func wrapErr(err error, before, after string) error {
	return &wrappedError{msg: before + strings.TrimPrefix(err.Error(), "postgres sink: ") + after, err: err}
}
