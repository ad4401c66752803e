package snapshot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
)

// # Consistent reads
//
// Every chunk is read in a transaction whose view of the data is the state
// at an exact binlog position, its view position: the merger puts the
// chunk's rows into the change stream at that position, after every
// transaction committed before it and before every one after it, so the
// copy and the stream agree row for row (see merge.go).
//
// MariaDB (and Percona Server) give that position without a lock: after
// START TRANSACTION WITH CONSISTENT SNAPSHOT, the status variables
// binlog_snapshot_file and binlog_snapshot_position are the binlog
// position the transaction's view corresponds to. Each chunk gets a fresh
// view (viewPerChunk), so the stream moves on between chunks.
//
// MySQL has no such status: the only way to learn a view's position is to
// stop commits while the view is opened and the position read. The
// readers take FLUSH TABLES WITH READ LOCK (which needs RELOAD), open a
// consistent snapshot on each of their connections, read the binlog
// position (SHOW BINARY LOG STATUS / SHOW MASTER STATUS) and unlock, once
// per run (viewShared): commits wait for the few milliseconds that takes,
// and every chunk of the run is read at that one position.

type viewMode int

const (
	viewPerChunk viewMode = iota
	viewShared
)

func (m viewMode) String() string {
	if m == viewShared {
		return "one view per run, opened under FLUSH TABLES WITH READ LOCK"
	}
	return "a view per chunk, START TRANSACTION WITH CONSISTENT SNAPSHOT with binlog_snapshot_file/position (no lock)"
}

// readers are the connections that read chunks.
type readers struct {
	db   *sql.DB
	mode viewMode
	log  *slog.Logger
	free chan *sql.Conn
	all  []*sql.Conn

	// The shared view (viewShared), opened at the first chunk.
	sharedOnce sync.Once
	sharedMu   sync.Mutex
	shared     core.Position
	sharedOpen bool
	sharedErr  error
}

// openReaders opens n reading connections with SessionSetup, and decides
// how views are tied to binlog positions. force, when not zero, chooses
// the mode (tests run the MySQL way on MariaDB).
func openReaders(ctx context.Context, db *sql.DB, n int, force viewMode, forced bool, log *slog.Logger) (*readers, error) {
	rs := &readers{db: db, log: log, free: make(chan *sql.Conn, n)}
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			rs.close()
			return nil, fmt.Errorf("snapshot: connect a reader: %w", err)
		}
		rs.all = append(rs.all, c)
		setup := append([]string{"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"}, SessionSetup...)
		for _, q := range setup {
			if _, err := c.ExecContext(ctx, q); err != nil {
				rs.close()
				return nil, fmt.Errorf("snapshot: reader session: %s: %w", q, err)
			}
		}
		rs.free <- c
	}
	if forced {
		rs.mode = force
		return rs, nil
	}
	var name, value string
	err := db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'binlog_snapshot_file'").Scan(&name, &value)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		rs.mode = viewShared
	case err != nil:
		rs.close()
		return nil, fmt.Errorf("snapshot: look for the binlog_snapshot_file status: %w", err)
	default:
		rs.mode = viewPerChunk
	}
	return rs, nil
}

func (rs *readers) close() {
	for _, c := range rs.all {
		_ = c.Close()
	}
	rs.all = nil
}

// acquire takes a free connection. The merger never has more chunks in
// flight than connections, so a wait here is short.
func (rs *readers) acquire(ctx context.Context) (*sql.Conn, error) {
	select {
	case c := <-rs.free:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (rs *readers) release(c *sql.Conn) { rs.free <- c }

// begin opens the chunk's view on c and returns its position.
func (rs *readers) begin(ctx context.Context, c *sql.Conn) (core.Position, error) {
	if rs.mode == viewShared {
		rs.sharedOnce.Do(func() {
			p, err := rs.openShared(ctx)
			rs.sharedMu.Lock()
			rs.shared, rs.sharedErr, rs.sharedOpen = p, err, err == nil
			rs.sharedMu.Unlock()
		})
		rs.sharedMu.Lock()
		defer rs.sharedMu.Unlock()
		return rs.shared, rs.sharedErr
	}
	if _, err := c.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT"); err != nil {
		return core.Position{}, fmt.Errorf("snapshot: START TRANSACTION WITH CONSISTENT SNAPSHOT: %w", err)
	}
	rows, err := c.QueryContext(ctx, "SHOW STATUS LIKE 'binlog_snapshot_%'")
	if err != nil {
		return core.Position{}, fmt.Errorf("snapshot: read the view's binlog position (SHOW STATUS LIKE 'binlog_snapshot_%%'): %w", err)
	}
	defer rows.Close()
	var p core.Position
	for rows.Next() {
		var name string
		var value []byte
		if err := rows.Scan(&name, &value); err != nil {
			return core.Position{}, fmt.Errorf("snapshot: read the view's binlog position: %w", err)
		}
		switch strings.ToLower(name) {
		case "binlog_snapshot_file":
			p.File = string(value)
		case "binlog_snapshot_position":
			n, err := strconv.ParseUint(string(value), 10, 64)
			if err != nil {
				return core.Position{}, fmt.Errorf("snapshot: binlog_snapshot_position %q: %w", value, err)
			}
			p.Pos = n
		}
	}
	if err := rows.Err(); err != nil {
		return core.Position{}, fmt.Errorf("snapshot: read the view's binlog position: %w", err)
	}
	if p.File == "" {
		return core.Position{}, errors.New("snapshot: binlog_snapshot_file is empty: the server does not write a binary log (log_bin=OFF), which a pipeline needs")
	}
	return p, nil
}

// sharedPosition returns the shared view's position, once it is open.
func (rs *readers) sharedPosition() (core.Position, bool) {
	rs.sharedMu.Lock()
	defer rs.sharedMu.Unlock()
	return rs.shared, rs.sharedOpen
}

// beginAfter opens a view at or after min, the position the stream has
// emitted up to. A view can be older: the server writes a transaction to
// the binlog (which the stream may read at once) before the storage engine
// commits it, and a view opened in between does not see it. Such a view is
// closed and a new one opened, until it has caught up (the gap lasts as
// long as a commit).
func (rs *readers) beginAfter(ctx context.Context, c *sql.Conn, min core.Position) (core.Position, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		h, err := rs.begin(ctx, c)
		if err != nil || !h.Less(min) {
			return h, err
		}
		if rs.mode == viewShared {
			// The shared view is opened under the read lock: nothing
			// in the binlog is uncommitted then.
			return core.Position{}, fmt.Errorf("snapshot: the consistent read opened at %s is older than the stream's position %s", h, min)
		}
		if err := rs.end(c); err != nil {
			return core.Position{}, err
		}
		if time.Now().After(deadline) {
			return core.Position{}, fmt.Errorf("snapshot: the consistent reads stay behind the stream's position %s (last at %s) for 30 s", min, h)
		}
		select {
		case <-ctx.Done():
			return core.Position{}, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// end closes the chunk's view.
func (rs *readers) end(c *sql.Conn) error {
	if rs.mode == viewShared {
		return nil
	}
	// A read-only transaction: COMMIT and ROLLBACK are the same.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.ExecContext(ctx, "COMMIT")
	return err
}

// openShared opens one view on every connection under a global read lock.
func (rs *readers) openShared(ctx context.Context) (core.Position, error) {
	if len(rs.all) == 0 {
		return core.Position{}, errors.New("snapshot: no reader connections")
	}
	// The lock is taken on a connection of its own: UNLOCK TABLES on a
	// reader's session could end that reader's transaction with it.
	lock, err := rs.db.Conn(ctx)
	if err != nil {
		return core.Position{}, fmt.Errorf("snapshot: connect for the read lock: %w", err)
	}
	defer lock.Close()
	start := time.Now()
	// The lock waits for running statements and blocks commits while it
	// waits: give up rather than stall the server for long.
	if _, err := lock.ExecContext(ctx, "SET SESSION lock_wait_timeout = 10"); err != nil {
		return core.Position{}, fmt.Errorf("snapshot: %w", err)
	}
	if _, err := lock.ExecContext(ctx, "FLUSH TABLES WITH READ LOCK"); err != nil {
		var me *mysql.MySQLError
		if errors.As(err, &me) && (me.Number == 1227 || me.Number == 1045) {
			return core.Position{}, fmt.Errorf("snapshot: FLUSH TABLES WITH READ LOCK was refused (%w): on MySQL the snapshot needs the RELOAD privilege "+
				"for the moment it ties its consistent read to a binlog position: GRANT RELOAD ON *.* TO the pipeline's user", err)
		}
		return core.Position{}, fmt.Errorf("snapshot: FLUSH TABLES WITH READ LOCK (taken for the moment the consistent reads are opened; "+
			"it waits for running statements, at most lock_wait_timeout = 10 s): %w", err)
	}
	unlocked := false
	defer func() {
		if !unlocked {
			_, _ = lock.ExecContext(context.WithoutCancel(ctx), "UNLOCK TABLES")
		}
	}()
	for _, c := range rs.all {
		if _, err := c.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT"); err != nil {
			return core.Position{}, fmt.Errorf("snapshot: START TRANSACTION WITH CONSISTENT SNAPSHOT: %w", err)
		}
	}
	st, err := replication.CurrentBinlogStatus(ctx, rs.db)
	if err != nil {
		return core.Position{}, fmt.Errorf("snapshot: read the binlog position under the read lock: %w", err)
	}
	if _, err := lock.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		return core.Position{}, fmt.Errorf("snapshot: UNLOCK TABLES: %w", err)
	}
	unlocked = true
	rs.log.Info("snapshot: consistent reads opened under a global read lock", "position", st.File+":"+strconv.FormatUint(st.Pos, 10),
		"locked_for", time.Since(start).Round(time.Millisecond).String(), "connections", len(rs.all))
	return core.Position{File: st.File, Pos: st.Pos}, nil
}
