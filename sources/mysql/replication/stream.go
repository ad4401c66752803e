package replication

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/client"
	"github.com/seed5aa6e046/syncer/sources/mysql/gtid"
	"github.com/seed5aa6e046/syncer/sources/mysql/proto"
)

// Event is one event read from the stream, with where it sits in the
// source's binlog.
//
// An Event and everything it points to (the decoded body, row images, Raw)
// is valid only until the next call to Next: the stream reuses its buffers.
// Copy what you keep.
type Event struct {
	*binlog.Event
	// File and Pos locate the event's first byte in the source's binlog.
	// An event decompressed from a TRANSACTION_PAYLOAD (InPayload) has the
	// payload event's position: inner events have none of their own.
	File string
	Pos  uint64
	// NextFile and NextPos are the position just after the event, where
	// the next one starts (after a ROTATE: the start of the next file).
	NextFile string
	NextPos  uint64
	// InPayload marks an event decompressed from a TRANSACTION_PAYLOAD; the
	// payload event itself comes first.
	InPayload bool
	// Synthetic marks an event the source made for this connection rather
	// than read from its binlog: the artificial ROTATE naming the file a
	// dump starts in, the FORMAT_DESCRIPTION resent when a dump starts past
	// a file's beginning, MariaDB's fake GTID_LIST, and heartbeats. A
	// reconnect repeats them, so they are not covered by the exactly-once
	// guarantee, which holds for every other event.
	Synthetic bool
	// InTransaction is true when the event belongs to a transaction that
	// has not ended with it. NextFile:NextPos is then not a safe place to
	// resume from; Stream.Checkpoint is.
	InTransaction bool
	// EndsTransaction is true when the event closes a transaction (XID,
	// COMMIT, a DDL statement, XA_PREPARE): Stream.Checkpoint has just
	// moved past it.
	EndsTransaction bool
}

// Stream reads a source's binary log over a replication connection. It
// reconnects after network errors and resumes from the last transaction
// boundary, skipping what it had already delivered, so that every event
// (Synthetic ones aside) is delivered exactly once, in order, and a
// transaction is never left half-delivered: after a fault the rest of it
// follows.
//
// A Stream is not safe for concurrent use.
type Stream struct {
	cfg  Config
	log  *slog.Logger
	mode Mode
	rnd  *rand.Rand

	conn *client.Conn
	// ra reads conn ahead of the decoder.
	ra  *readAhead
	dec *binlog.Decoder
	// info is the server's configuration read at Open.
	info *ServerInfo
	// maria is true for a MariaDB source.
	maria bool
	// checksum is the source's binlog_checksum, read on each connection.
	checksum binlog.ChecksumAlgorithm
	// keepFormat routes the next FORMAT_DESCRIPTION away from dec (see
	// decode).
	keepFormat bool

	// file and nextPos are where the next event starts.
	file    string
	nextPos uint64
	// dumpFile and dumpPos are where the current dump started (file-position
	// mode): events before it in that file are resent context.
	dumpFile string
	dumpPos  uint64

	tx         txTracker
	checkpoint Position
	trackMySQL bool
	trackMaria bool

	// last is the newest non-synthetic event delivered; after a reconnect
	// events up to it are skipped.
	last     eventKey
	haveLast bool
	skipping bool
	// resumeMidTx is set when a reconnect happened inside a transaction:
	// the first new event must continue exactly where the last one ended.
	resumeMidTx bool

	// inner holds the rest of a TRANSACTION_PAYLOAD's events.
	inner     []*binlog.Event
	innerIdx  int
	innerFile string
	innerPos  uint64
	innerEnd  uint64

	stopAt   *Position
	finished bool
	err      error // sticky fatal error

	attempts   int
	reconnects int
	bytesRead  int64
	out        Event
}

// eventKey orders non-synthetic events: by file, offset, then index inside
// a TRANSACTION_PAYLOAD (0 for the payload event and ordinary events, i+1
// for inner event i).
type eventKey struct {
	file  string
	pos   uint64
	inner int
	end   uint64
}

func (k eventKey) compare(o eventKey) int {
	if c := compareFilePos(k.file, k.pos, o.file, o.pos); c != 0 {
		return c
	}
	switch {
	case k.inner < o.inner:
		return -1
	case k.inner > o.inner:
		return 1
	}
	return 0
}

// Open checks the source (unless cfg.SkipPreflight), resolves the start
// position and connects. The configuration is copied.
func Open(ctx context.Context, cfg *Config) (*Stream, error) {
	c := *cfg
	if err := c.normalize(); err != nil {
		return nil, err
	}
	s := &Stream{cfg: c, log: c.Logger, rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	if s.stopReached() {
		s.finished = true
		return s, nil
	}
	if err := s.connect(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// prepare runs the pre-flight checks and resolves the start and stop
// positions over an ordinary query connection.
func (s *Stream) prepare(ctx context.Context) error {
	connector, err := s.cfg.Conn.DriverConnector()
	if err != nil {
		return fmt.Errorf("replication: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	db.SetMaxOpenConns(1)
	start := s.cfg.Start

	if s.cfg.SkipPreflight {
		info, err := ReadServerInfo(ctx, db)
		if err != nil {
			return s.queryError(err)
		}
		s.info = info
	} else {
		opts := PreflightOptions{ServerID: s.cfg.ServerID, StartFile: start.File, StartPos: start.Pos,
			StartGTID: start.GTIDSet, StartMariaDB: start.MariaDBGTID}
		rep, err := Preflight(ctx, db, opts)
		if err != nil {
			return s.queryError(err)
		}
		for _, w := range rep.Warnings() {
			s.log.Warn("source configuration", "check", w.Check, "problem", w.Problem, "fix", w.Fix)
		}
		if err := rep.Err(); err != nil {
			return err
		}
		s.info = rep.Server
	}
	s.maria = s.info.Flavor == binlog.FlavorMariaDB
	switch start.Mode() {
	case ModeMySQLGTID:
		if s.maria {
			return fmt.Errorf("replication: the start position %q is a MySQL GTID set but %s is MariaDB %s: give a MariaDB GTID position (domain-server-seq) or a file position", start.GTIDSet, s.cfg.Conn.Addr, s.info.Version)
		}
		s.trackMySQL = true
	case ModeMariaDBGTID:
		if !s.maria {
			return fmt.Errorf("replication: the start position %q is a MariaDB GTID position but %s is MySQL %s: give a MySQL GTID set (uuid:interval) or a file position", start.MariaDBGTID, s.cfg.Conn.Addr, s.info.Version)
		}
		s.trackMaria = true
	}

	if start.Mode() == ModeCurrent || s.cfg.UntilNow {
		st, err := CurrentBinlogStatus(ctx, db)
		if err != nil {
			return fmt.Errorf("replication: read the current binlog position of %s: %w", s.cfg.Conn.Addr, err)
		}
		if s.cfg.UntilNow {
			s.stopAt = &Position{File: st.File, Pos: st.Pos}
		}
		if start.Mode() == ModeCurrent {
			start = Position{File: st.File, Pos: st.Pos}
			// The GTID state at the current position is known exactly, so
			// checkpoints can carry it: a pipeline can then resume by GTID.
			if !s.maria && st.GTIDSet != nil && !st.GTIDSet.IsEmpty() && strings.EqualFold(s.info.GTIDMode, "ON") {
				start.GTIDSet, s.trackMySQL = st.GTIDSet.Clone(), true
			}
		}
	}
	if s.maria && start.Mode() == ModeFilePos && start.MariaDBGTID == nil {
		// MariaDB computes the GTID state at any file position from its
		// binlog, so file-position streams can carry GTIDs too.
		if mp, err := mariaDBPosAt(ctx, db, start.File, start.Pos); err == nil {
			start.MariaDBGTID, s.trackMaria = mp, true
		} else {
			s.log.Warn("cannot read the MariaDB GTID position at the start; checkpoints will carry file positions only", "position", start.String(), "error", err)
		}
	}
	s.mode = start.Mode()
	if s.mode == ModeCurrent {
		return fmt.Errorf("replication: %s reported no binlog position (is the binary log enabled?)", s.cfg.Conn.Addr)
	}
	if s.mode == ModeMySQLGTID && s.cfg.Start.Mode() != ModeMySQLGTID {
		s.mode = ModeFilePos // started from the current position: resume by file, carry GTIDs along
	}
	if s.mode == ModeMariaDBGTID && s.cfg.Start.Mode() != ModeMariaDBGTID {
		s.mode = ModeFilePos
	}
	s.checkpoint = start
	s.file, s.nextPos = start.File, start.Pos
	return nil
}

// queryError explains a failure of the query connection before streaming:
// most often the source cannot be reached or refuses the login.
func (s *Stream) queryError(err error) error {
	var se *mysql.MySQLError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("replication: source %s, user %q: %w", s.cfg.Conn.Addr, s.cfg.Conn.User, err)
	case errors.As(err, &ne), errors.Is(err, mysql.ErrInvalidConn), errors.Is(err, driver.ErrBadConn):
		return fmt.Errorf("replication: cannot connect to the source %s (is the server running, and are the host and port in the DSN right?): %w", s.cfg.Conn.Addr, err)
	}
	return fmt.Errorf("replication: source %s: %w", s.cfg.Conn.Addr, err)
}

// mariaDBPosAt returns the MariaDB GTID position at a binlog file position,
// computed by the server from the binlog itself (BINLOG_GTID_POS), so that it
// matches the file position exactly even while transactions commit.
func mariaDBPosAt(ctx context.Context, db *sql.DB, file string, pos uint64) (*gtid.MariaDBPos, error) {
	var s sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT BINLOG_GTID_POS(?, ?)", file, pos).Scan(&s); err != nil {
		return nil, err
	}
	if !s.Valid {
		return nil, fmt.Errorf("BINLOG_GTID_POS(%q, %d) is NULL", file, pos)
	}
	return gtid.ParseMariaDBPos(s.String)
}

// Checkpoint returns the position after the last complete transaction
// delivered (or the start position). Resuming from it repeats nothing that
// was delivered whole and loses nothing.
func (s *Stream) Checkpoint() Position { return s.checkpoint.Clone() }

// Mode returns how the stream resumes after a reconnect.
func (s *Stream) Mode() Mode { return s.mode }

// Server returns the source's configuration as read at Open.
func (s *Stream) Server() *ServerInfo { return s.info }

// StopPosition returns where an UntilNow stream ends.
func (s *Stream) StopPosition() (Position, bool) {
	if s.stopAt == nil {
		return Position{}, false
	}
	return *s.stopAt, true
}

// Reconnects returns how many times the stream has reconnected.
func (s *Stream) Reconnects() int { return s.reconnects }

// BytesRead returns the bytes of binlog events received, over all
// connections.
func (s *Stream) BytesRead() int64 { return s.bytesRead }

// Close closes the replication connection. The Stream cannot be used
// afterwards.
func (s *Stream) Close() error {
	s.finished = true
	s.dropConn()
	return nil
}

// connect opens a replication connection and starts the dump at the
// checkpoint.
func (s *Stream) connect(ctx context.Context) error {
	// In file-position mode a stream cut inside a transaction resumes at
	// the very next event, keeping its decoder (and so the transaction's
	// table maps): replaying a huge transaction from its start after every
	// fault could starve a flaky connection forever. GTID modes can only
	// resume at a transaction's start (the source picks the place), so
	// they replay it and skip what was delivered.
	midTx := s.mode == ModeFilePos && s.haveLast && s.dec != nil && s.tx.inTransaction()
	file, pos := s.checkpoint.File, s.checkpoint.Pos
	if midTx {
		file, pos = s.last.file, s.last.end
		if s.last.inner > 0 {
			pos = s.last.pos // re-read the payload, skip its delivered events
		}
	}
	conn, err := client.Connect(ctx, s.cfg.Conn)
	if err != nil {
		return fmt.Errorf("replication: %w", err)
	}
	if err := s.startDump(ctx, conn, file, pos); err != nil {
		conn.Close()
		return err
	}
	s.conn = conn
	s.ra = startReadAhead(conn, s.cfg.ReadTimeout)
	if midTx {
		s.keepFormat = true
	} else {
		s.dec = binlog.NewDecoder(append([]binlog.DecoderOption{binlog.WithFormat(s.initialFormat())}, s.cfg.DecoderOptions...)...)
		s.tx.reset()
		s.keepFormat = false
	}
	s.inner, s.innerIdx = nil, 0
	s.file, s.nextPos = file, pos
	s.dumpFile, s.dumpPos = "", 0
	if s.mode == ModeFilePos {
		s.dumpFile, s.dumpPos = file, pos
	}
	s.skipping = s.haveLast
	return nil
}

// initialFormat is the format assumed before the dump's FORMAT_DESCRIPTION:
// only the checksum matters, for the artificial ROTATE that precedes it.
func (s *Stream) initialFormat() *binlog.Format {
	f := binlog.DefaultFormat()
	f.Checksum = s.checksum
	return f
}

// decode decodes one event. After a mid-transaction resume the source
// resends the file's FORMAT_DESCRIPTION first; the main decoder must not see
// it, since a new format drops the table maps the rest of the transaction
// needs. The format is the same file's, so nothing is lost.
func (s *Stream) decode(raw []byte) (*binlog.Event, error) {
	if s.keepFormat && len(raw) > 4 && binlog.EventType(raw[4]) == binlog.FormatDescriptionEventType {
		s.keepFormat = false
		return binlog.NewDecoder(append([]binlog.DecoderOption{binlog.WithFormat(s.initialFormat())}, s.cfg.DecoderOptions...)...).Decode(raw)
	}
	return s.dec.Decode(raw)
}

// startDump sets the session up as a replica and sends the dump command.
func (s *Stream) startDump(ctx context.Context, conn *client.Conn, file string, pos uint64) error {
	// The source's checksum algorithm: the artificial ROTATE that opens
	// the dump comes before any FORMAT_DESCRIPTION, yet carries a checksum
	// when we declare one, so the decoder must know it up front.
	res, err := conn.Query(ctx, "SELECT @@global.binlog_checksum")
	if err != nil {
		return fmt.Errorf("replication: read binlog_checksum: %w", err)
	}
	alg := "NONE"
	if len(res.Rows) == 1 && len(res.Rows[0]) == 1 && res.Rows[0][0].Valid {
		alg = strings.ToUpper(res.Rows[0][0].String)
	}
	switch alg {
	case "NONE":
		s.checksum = binlog.ChecksumOff
	case "CRC32":
		s.checksum = binlog.ChecksumCRC32
	default:
		return fmt.Errorf("replication: the source uses binlog_checksum=%s, which Syncer cannot verify; set binlog_checksum to CRC32 or NONE", alg)
	}
	hb := s.cfg.HeartbeatPeriod.Nanoseconds()
	setup := []string{
		// Tell the source we understand its checksums, so it sends them
		// (without this a source with binlog_checksum=CRC32 refuses to
		// stream). MySQL 8.0.26+ reads @source_binlog_checksum, older
		// servers and MariaDB @master_binlog_checksum.
		fmt.Sprintf("SET @master_binlog_checksum = '%s', @source_binlog_checksum = '%s'", alg, alg),
		fmt.Sprintf("SET @master_heartbeat_period = %d, @source_heartbeat_period = %d", hb, hb),
	}
	if conn.IsMariaDB() {
		// Capability 4 (MARIA_SLAVE_CAPABILITY_GTID): send MariaDB's own
		// events (GTID, GTID_LIST, ANNOTATE_ROWS) instead of rewriting them
		// into MySQL-compatible fakes.
		setup = append(setup, "SET @mariadb_slave_capability = 4")
		if s.mode == ModeMariaDBGTID {
			setup = append(setup,
				"SET @slave_connect_state = '"+s.checkpoint.MariaDBGTID.String()+"'",
				// Strict: the source fails (error 1236) instead of silently
				// skipping when our position is not in its binlog.
				"SET @slave_gtid_strict_mode = 1",
				"SET @slave_gtid_ignore_duplicates = 0")
		}
	}
	for _, q := range setup {
		if err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("replication: set up the replication session (%s): %w", q, err)
		}
	}
	host := s.cfg.ReplicaHost
	if host == "" {
		host, _ = os.Hostname()
	}
	if err := conn.RegisterReplica(ctx, proto.RegisterReplica{ServerID: s.cfg.ServerID, Host: host}); err != nil {
		return fmt.Errorf("replication: register as replica with server_id %d: %w", s.cfg.ServerID, err)
	}
	// MariaDB sends ANNOTATE_ROWS events (the statement behind row
	// events) only when asked with BINLOG_SEND_ANNOTATE_ROWS_EVENT.
	var flags uint16
	if conn.IsMariaDB() {
		flags |= mariaDBSendAnnotateRows
	}
	switch s.mode {
	case ModeFilePos:
		if pos > 1<<32-1 {
			// COM_BINLOG_DUMP has a 32-bit offset; COM_BINLOG_DUMP_GTID a
			// 64-bit one and works without GTIDs on MySQL.
			err = conn.StartBinlogDumpGTID(ctx, proto.BinlogDumpGTID{ServerID: s.cfg.ServerID, File: file, Pos: pos})
		} else {
			err = conn.StartBinlogDump(ctx, proto.BinlogDump{ServerID: s.cfg.ServerID, Flags: flags, File: file, Pos: uint32(pos)})
		}
	case ModeMySQLGTID:
		err = conn.StartBinlogDumpGTID(ctx, proto.BinlogDumpGTID{
			Flags: proto.BinlogThroughGTID, ServerID: s.cfg.ServerID, Pos: 4,
			GTIDData: s.checkpoint.GTIDSet.Encode()})
	case ModeMariaDBGTID:
		// With @slave_connect_state set, the file name is ignored.
		err = conn.StartBinlogDump(ctx, proto.BinlogDump{ServerID: s.cfg.ServerID, Flags: flags, Pos: 4})
	}
	if err != nil {
		return fmt.Errorf("replication: start the binlog dump at %s:%d: %w", file, pos, err)
	}
	return nil
}

// mariaDBSendAnnotateRows is MariaDB's BINLOG_SEND_ANNOTATE_ROWS_EVENT
// flag of COM_BINLOG_DUMP.
const mariaDBSendAnnotateRows = 0x02

// Next returns the next event. It blocks until one arrives, reconnecting
// as needed. It returns io.EOF when an UntilNow stream has delivered
// everything up to its stop position, ctx.Err() when ctx ends (the stream
// stays usable: a later Next resumes), and any other error when the stream
// cannot go on (a purged position, a refused login, a corrupt event, or
// Reconnect.MaxAttempts exhausted).
func (s *Stream) Next(ctx context.Context) (*Event, error) {
	for {
		if s.err != nil {
			return nil, s.err
		}
		if s.innerIdx < len(s.inner) {
			if out := s.nextInner(); out != nil {
				return out, nil
			}
			if s.err != nil {
				return nil, s.err
			}
			continue
		}
		if s.finished || s.stopReached() {
			s.finished = true
			return nil, io.EOF
		}
		if s.conn == nil {
			if err := s.reconnect(ctx); err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				return nil, s.fail(err)
			}
		}
		raw, err := s.ra.next(ctx)
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				// The connection lives on: a later Next continues.
				return nil, err
			}
			s.dropConn()
			if errors.Is(err, io.EOF) {
				// Only a non-blocking dump ends with EOF, and this stream
				// never asks for one: the source ended the dump itself.
				err = fmt.Errorf("the source ended the binlog dump: %w", io.ErrUnexpectedEOF)
			}
			if !retryable(err) {
				return nil, s.fail(s.dumpError(err))
			}
			s.log.Warn("replication connection lost; reconnecting", "checkpoint", s.checkpoint.String(), "error", err)
			continue
		}
		s.bytesRead += int64(len(raw))
		ev, err := s.decode(raw)
		if err != nil {
			return nil, s.fail(fmt.Errorf("replication: binlog %s:%d: %w", s.file, s.nextPos, err))
		}
		if out := s.process(ev); out != nil {
			return out, nil
		}
		if s.err != nil {
			return nil, s.err
		}
	}
}

func (s *Stream) fail(err error) error {
	s.err = err
	s.dropConn()
	return err
}

func (s *Stream) dropConn() {
	if s.ra != nil {
		s.ra.close() // closes the connection too
		s.ra = nil
	}
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// dumpError explains an error the source sent on the dump.
func (s *Stream) dumpError(err error) error {
	return fmt.Errorf("binlog dump from %s at %s: %w", s.cfg.Conn.Addr, s.checkpoint, PurgedError(err, s.checkpoint.String()))
}

// reconnect waits out the back-off and connects again at the checkpoint.
func (s *Stream) reconnect(ctx context.Context) error {
	for {
		d := s.cfg.Reconnect.delay(s.attempts, s.rnd)
		s.attempts++
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		err := s.connect(ctx)
		if err == nil {
			s.reconnects++
			s.log.Info("replication connection re-established", "checkpoint", s.checkpoint.String(), "attempt", s.attempts)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !retryable(err) {
			return s.dumpError(err)
		}
		if max := s.cfg.Reconnect.MaxAttempts; max > 0 && s.attempts >= max {
			return fmt.Errorf("replication: gave up after %d reconnection attempts: %w", s.attempts, err)
		}
		s.log.Warn("reconnect failed; retrying", "attempt", s.attempts, "error", err)
	}
}

// stopReached reports whether an UntilNow stream has delivered everything
// up to its stop position.
func (s *Stream) stopReached() bool {
	return s.stopAt != nil && !s.tx.inTransaction() && s.innerIdx >= len(s.inner) &&
		compareFilePos(s.checkpoint.File, s.checkpoint.Pos, s.stopAt.File, s.stopAt.Pos) >= 0
}

// isSynthetic tells events the source made up for this connection.
func (s *Stream) isSynthetic(ev *binlog.Event, start uint64) bool {
	h := &ev.Header
	switch h.Type {
	case binlog.HeartbeatEventType, binlog.HeartbeatV2EventType:
		return true
	}
	if h.Flags&binlog.FlagArtificial != 0 {
		return true
	}
	if h.LogPos == 0 {
		switch h.Type {
		case binlog.RotateEventType, binlog.FormatDescriptionEventType, binlog.MariaGTIDListEventType, binlog.MariaBinlogCheckpointEventType:
			return true
		}
	}
	// A dump that starts past a file's beginning is preceded by the file's
	// FORMAT_DESCRIPTION, which some servers send with its real position.
	return s.dumpFile != "" && s.file == s.dumpFile && start < s.dumpPos
}

// eventStart returns the offset of an event's first byte. log_pos is the
// end offset but only 32 bits wide (files past 4 GiB exist, with one huge
// transaction), so the high bits come from the tracked position.
func (s *Stream) eventStart(h *binlog.Header) uint64 {
	if h.LogPos == 0 {
		return s.nextPos
	}
	end := s.nextPos&^0xffffffff | uint64(h.LogPos)
	if end < s.nextPos && s.nextPos-end > 1<<31 {
		end += 1 << 32
	}
	if end < uint64(h.EventSize) {
		return s.nextPos
	}
	return end - uint64(h.EventSize)
}

// process updates the position state with a newly decoded event and returns
// the event to deliver, or nil to skip it.
func (s *Stream) process(ev *binlog.Event) *Event {
	h := &ev.Header
	start := s.eventStart(h)
	synthetic := s.isSynthetic(ev, start)
	out := &s.out
	*out = Event{Event: ev, File: s.file, Synthetic: synthetic}

	if synthetic {
		switch b := ev.Body.(type) {
		case *binlog.RotateEvent:
			s.file, s.nextPos = b.NextFile, b.Position
			if !s.tx.inTransaction() && !s.skipping {
				s.checkpoint.File, s.checkpoint.Pos = s.file, s.nextPos
			}
		case *binlog.HeartbeatEvent:
			s.heartbeat(b.LogFile, uint64(h.LogPos))
		case *binlog.HeartbeatV2Event:
			s.heartbeat(b.LogFile, b.LogPosition)
		}
		out.File, out.Pos = s.file, s.nextPos
		out.NextFile, out.NextPos = s.file, s.nextPos
		out.InTransaction = s.tx.inTransaction()
		return out
	}

	end := start + uint64(h.EventSize)
	key := eventKey{file: s.file, pos: start, end: end}
	out.Pos = start
	s.nextPos = end
	if r, ok := ev.Body.(*binlog.RotateEvent); ok {
		s.file, s.nextPos = r.NextFile, r.Position
	}
	out.NextFile, out.NextPos = s.file, s.nextPos

	if p, ok := ev.Body.(*binlog.TransactionPayloadEvent); ok {
		s.inner, s.innerIdx = p.Events, 0
		s.innerFile, s.innerPos, s.innerEnd = key.file, start, end
	}
	return s.deliver(ev, out, key)
}

// nextInner processes the next event of a TRANSACTION_PAYLOAD.
func (s *Stream) nextInner() *Event {
	i := s.innerIdx
	ev := s.inner[i]
	s.innerIdx++
	if s.innerIdx >= len(s.inner) {
		s.inner, s.innerIdx = nil, 0
	}
	out := &s.out
	*out = Event{Event: ev, File: s.innerFile, Pos: s.innerPos, NextFile: s.file, NextPos: s.nextPos, InPayload: true}
	return s.deliver(ev, out, eventKey{file: s.innerFile, pos: s.innerPos, inner: i + 1, end: s.innerEnd})
}

// deliver applies the transaction rules and the skip-after-reconnect rule
// to a non-synthetic event.
func (s *Stream) deliver(ev *binlog.Event, out *Event, key eventKey) *Event {
	boundary := s.tx.observe(ev)
	if s.skipping {
		if key.compare(s.last) <= 0 {
			return nil // delivered before the reconnect
		}
		s.skipping = false
		if s.resumeMidTx && !s.continues(key) {
			s.err = fmt.Errorf("replication: after reconnecting, the source's binlog does not continue where the stream stopped: expected the event after %s:%d, got %s:%d (%s); the binlog changed under the stream (failover to another server, or RESET MASTER)",
				s.last.file, s.last.pos, key.file, key.pos, ev.Header.Type)
			return nil
		}
	}
	s.last, s.haveLast = key, true
	s.attempts = 0
	if boundary {
		s.commit()
	}
	s.resumeMidTx = s.tx.inTransaction()
	out.InTransaction = s.tx.inTransaction()
	out.EndsTransaction = boundary && isTxEnd(ev)
	return out
}

// continues reports whether key is the event right after s.last.
func (s *Stream) continues(key eventKey) bool {
	if key.file == s.last.file && key.pos == s.last.pos {
		return key.inner == s.last.inner+1
	}
	return key.inner == 0 && key.file == s.last.file && key.pos == s.last.end
}

// commit moves the checkpoint to the current position, adding the GTID of
// the transaction that just ended.
func (s *Stream) commit() {
	s.checkpoint.File, s.checkpoint.Pos = s.file, s.nextPos
	if s.innerIdx < len(s.inner) {
		// Inside a payload the position is the payload's end, reached
		// only after its last event; a boundary before that cannot happen
		// in a well-formed payload, so keep the checkpoint conservative.
		s.checkpoint.File, s.checkpoint.Pos = s.innerFile, s.innerPos
	}
	if g := s.tx.mysqlGTID; g != nil && s.trackMySQL {
		s.checkpoint.GTIDSet.Add(g.SID, g.Tag, g.GNO)
	}
	if g := s.tx.mariadbGTID; g != nil && s.trackMaria {
		s.checkpoint.MariaDBGTID.Update(gtid.MariaDBGTID{Domain: g.DomainID, Server: g.ServerID, Seq: g.SeqNo})
	}
	s.tx.mysqlGTID, s.tx.mariadbGTID = nil, nil
}

// heartbeat advances an idle stream to the position the source reports:
// a source sends heartbeats where it skipped events for us (transactions
// already executed in GTID mode), so the checkpoint may move forward.
func (s *Stream) heartbeat(file string, pos uint64) {
	// In file mode the source skips nothing, so heartbeats carry no news.
	if s.mode == ModeFilePos || s.tx.inTransaction() || s.skipping || file != s.file || pos <= s.nextPos {
		return
	}
	s.nextPos = pos
	s.checkpoint.File, s.checkpoint.Pos = file, pos
}

func isTxEnd(ev *binlog.Event) bool {
	switch ev.Body.(type) {
	case *binlog.XIDEvent, *binlog.XAPrepareEvent, *binlog.QueryEvent:
		return true
	}
	return false
}

// retryable tells transient failures (network, server restart, stall)
// from ones a reconnect cannot fix (bad credentials, purged position,
// corrupt data).
func retryable(err error) bool {
	var se *proto.ServerError
	if errors.As(err, &se) {
		switch se.Code {
		case 1040, // too many connections
			1053,                   // server shutdown in progress
			1077,                   // normal shutdown
			1078,                   // got signal
			1079,                   // shutdown complete
			1152,                   // aborted connection
			1153,                   // packet bigger than max_allowed_packet (transient if raised)
			1158, 1159, 1160, 1161, // network read/write errors and timeouts
			1205, 1213, // lock wait timeout, deadlock (setup queries)
			1317, // query interrupted
			1927, // connection killed (MariaDB)
			2006, 2013:
			return true
		}
		return false
	}
	switch {
	case errors.Is(err, client.ErrReadTimeout), errors.Is(err, os.ErrDeadlineExceeded),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, net.ErrClosed):
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

// Events returns the stream as an iterator for range-over-func:
//
//	for ev, err := range s.Events(ctx) {
//		if err != nil { return err }
//		...
//	}
//
// It ends without an error when an UntilNow stream is complete, and yields
// any other error of Next once, as its last value. Each event is valid only
// until the loop body returns.
func (s *Stream) Events(ctx context.Context) iter.Seq2[*Event, error] {
	return func(yield func(*Event, error) bool) {
		for {
			ev, err := s.Next(ctx)
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// GTIDPosition returns the checkpoint's GTID state as text (a MySQL GTID
// set or a MariaDB GTID list), or "" when the stream does not track GTIDs.
func (s *Stream) GTIDPosition() string {
	switch {
	case s.checkpoint.GTIDSet != nil:
		return s.checkpoint.GTIDSet.String()
	case s.checkpoint.MariaDBGTID != nil:
		return s.checkpoint.MariaDBGTID.String()
	}
	return ""
}
