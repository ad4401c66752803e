// Package replication streams a MySQL or MariaDB binary log over the
// network, as a replica does, and keeps a resumable position.
//
// # Streaming
//
// Open checks the source (see Preflight), resolves the start position and
// opens a replication connection (package client) that registers as a
// replica and asks for the binlog from that position; Next returns decoded
// events (package binlog) one at a time with their place in the source's
// binlog:
//
//	cfg := replication.NewConfig(connCfg) // connCfg from client.ParseDSN
//	cfg.ServerID = 4242                   // unique among the source's replicas
//	s, err := replication.Open(ctx, cfg)
//	if err != nil { ... }
//	defer s.Close()
//	for {
//		ev, err := s.Next(ctx)
//		if err != nil { ... }            // io.EOF only with UntilNow
//		switch b := ev.Body.(type) {
//		case *binlog.RowsEvent: ...
//		}
//		if ev.EndsTransaction {
//			save(s.Checkpoint())            // a safe place to resume
//		}
//	}
//
// An Event is valid until the next call to Next.
//
// # Positions and checkpoints
//
// A Position is a file name and offset, plus the GTID state at that point
// when the stream knows it: a MySQL GTID set (gtid.Set, tagged GTIDs
// included) or a MariaDB GTID position (gtid.MariaDBPos, one GTID per
// replication domain). Stream.Checkpoint always lies between two
// transactions: resuming inside one would replay row events whose
// TABLE_MAP was never seen, and deliver half a transaction.
//
// The start position picks the mode the stream keeps for its whole life:
//
//   - a zero Position: the server's current position; resumes by file and
//     offset, and checkpoints also carry the GTID state (read with the
//     position, atomically) so that a later start may use GTIDs;
//   - File and Pos: COM_BINLOG_DUMP from that offset;
//   - a MySQL GTID set: COM_BINLOG_DUMP_GTID; the source sends every
//     transaction not in the set;
//   - a MariaDB GTID position: @slave_connect_state with GTID strict mode.
//
// # Faults
//
// The stream asks the source for a heartbeat every HeartbeatPeriod and
// gives up on a connection that sends nothing for ReadTimeout, so a silent
// stall (a dead peer, a half-open TCP connection, a hung proxy) is detected.
// After a network error, a stall, or a source restart it reconnects with
// exponential back-off and jitter (Config.Reconnect) and resumes at the
// checkpoint. Events of the interrupted transaction that were already
// delivered are decoded again (to rebuild the table maps) but not delivered
// again; the stream checks that the source's binlog continues exactly where
// it stopped and fails rather than deliver a different history. Every
// event except the Synthetic ones is therefore delivered exactly once, in
// binlog order, whatever the faults.
//
// Events are delivered as they arrive, not held back per transaction (a
// transaction may be larger than memory). So when the stream fails for
// good inside a transaction, the consumer has seen part of it; Checkpoint
// is still before it. A consumer that applies work only at EndsTransaction
// and saves Checkpoint with it therefore never applies half a transaction,
// and a stream reopened from that checkpoint delivers the transaction whole.
//
// Errors a reconnect cannot fix end the stream: a refused login, a missing
// privilege, a start position the source has purged (the error wraps
// ErrPurged and says that a new snapshot is the way out), a corrupt event.
//
// # Checks before streaming
//
// Open runs Preflight unless Config.SkipPreflight: the binary log must be
// on, in ROW format with FULL row images; binlog_row_metadata=FULL is
// recommended (a warning otherwise); the account needs REPLICATION SLAVE,
// REPLICATION CLIENT (MariaDB: BINLOG MONITOR) and SELECT; the server_id
// must be unused; the start position must still be on the server. Each
// finding says how to fix the server.
package replication
