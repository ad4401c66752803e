// Package gtid models replication positions expressed as global transaction
// IDs, for MySQL and for MariaDB, whose GTIDs differ in shape and meaning.
// It does no I/O: it parses, prints, compares, combines and encodes
// positions. The replication client sends them to the server to say where
// to resume, and checkpoints store their text form.
//
// # MySQL: GTID sets
//
// A MySQL GTID is "uuid:gno" (server UUID, transaction number 1..2^63-2),
// or since MySQL 8.3 "uuid:tag:gno" with a tag of up to 32 characters
// [a-z_][a-z0-9_]* (case-insensitive, kept in lower case). A position is
// the set of every transaction applied, written as intervals per (UUID,
// tag), as in @@gtid_executed:
//
//	3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7:billing:1-3,
//	4c4bc7f0-71ca-11e1-9e33-c80aa9429562:1-100
//
// Set holds one. ParseSet reads the text (whitespace and newlines around
// separators allowed, as the server prints them); String writes canonical
// text: UUIDs ascending, the untagged intervals of a UUID before its tags,
// tags ascending, intervals merged, sources joined by ",". Equal sets have
// equal text, so the text is fit for checkpoints and comparison.
//
//	set, err := gtid.ParseSet(executed)
//	set.Add(ev.SID, ev.Tag, ev.GNO)    // after each committed transaction
//	todo := serverSet.Subtract(set)    // what the server has and we lack
//	ok := serverSet.Contains(set)      // can the server resume from here?
//
// Add is built for the stream: extending the last interval of a (UUID, tag)
// by the next GNO allocates nothing. It panics on a GNO outside 1..MaxGNO
// or an invalid tag (ValidateGTID checks first); the binlog decoder never
// produces those.
//
// Encode and DecodeSet convert to and from the binary form MySQL uses in
// COM_BINLOG_DUMP_GTID and PREVIOUS_GTIDS events (layout and sources in
// binary.go). Encode picks the untagged format, readable by every MySQL
// since 5.6, unless the set holds a tag; then it must use the tagged format,
// which only MySQL 8.3+ understands.
//
// # MariaDB: GTID positions
//
// A MariaDB GTID is "domain-server-seq" (MariaDBGTID). Transactions are
// ordered by sequence number within a replication domain, so a position
// needs just the last GTID of each domain: "0-1-100,1-2-5" (MariaDBPos), the
// form of @@gtid_slave_pos, @@gtid_binlog_pos and the @slave_connect_state
// variable a replica sets before COM_BINLOG_DUMP. Update replaces a domain's
// GTID after each transaction; Contains compares sequence numbers per
// domain.
//
// # Which one
//
// The server flavor decides: MySQL servers (5.6+ with gtid_mode=ON) speak
// GTID sets; MariaDB servers (10.0+) speak positions. The two cannot be
// converted into each other. Neither type is safe for concurrent mutation;
// Clone before handing a position to another goroutine.
package gtid
