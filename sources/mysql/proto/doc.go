// Package proto encodes and decodes the packets of the MySQL client/server
// protocol, as spoken by MySQL and MariaDB. It does no network I/O of its
// own: a Framer reads and writes packets over any io.ReadWriter, and the
// other functions turn packet payloads into Go values and back. Package
// client builds the replication connection on top of it.
//
// # Packets
//
// Every packet is a 3-byte little-endian payload length, a 1-byte sequence
// id, and the payload. A payload of MaxPayloadLen (0xffffff) bytes or more
// is split into chunks of MaxPayloadLen; a chunk shorter than that ends the
// logical packet, so a payload whose length is a multiple of MaxPayloadLen
// is followed by an empty chunk. The sequence id starts at 0 with each
// command (Framer.ResetSequence) and increases by one per chunk in either
// direction; Framer.ReadPacket checks it and returns a *SequenceError when
// the peer is out of step.
//
//	f := proto.NewFramer(conn)
//	f.ResetSequence()
//	if err := f.WritePacket(proto.AppendQuery(nil, "SELECT 1")); err != nil { ... }
//	p, err := f.ReadPacket() // valid until the next ReadPacket
//
// ReadPacket reuses one buffer, so a steady stream of packets allocates
// nothing; a buffer that grew beyond 1 MiB for one large packet is dropped
// at the next call. It refuses packets larger than SetMaxPacketSize (1 GiB
// + 64 KiB by default) with ErrPacketTooLarge before reading them, and it
// grows its buffer only as bytes actually arrive, so a peer announcing a
// huge length costs nothing it does not send. A stream that ends before the
// first byte of a packet gives io.EOF; one that ends inside a packet gives
// an error wrapping io.ErrUnexpectedEOF that says how many bytes were read
// and expected.
//
// # Messages
//
//   - Connection phase: ParseHandshake (protocol 10; an ERR in its place is
//     a *ServerError), HandshakeResponse, SSLRequest, ParseAuthSwitchRequest,
//     ParseAuthMoreData. MariaDB servers are recognised by the "5.5.5-"
//     version prefix (stripped from Handshake.ServerVersion) and by a clear
//     ClientLongPassword bit, which means the 4 last filler bytes carry
//     MariaDB's extended capabilities.
//   - Generic replies: ParseERR (*ServerError, whose Error text is like the
//     mysql client's "Error 1045 (28000): Access denied ..."), ParseOK,
//     ParseEOF, IsOK, IsERR, IsEOF.
//   - Commands: AppendQuery (COM_QUERY), RegisterReplica
//     (COM_REGISTER_SLAVE), BinlogDump (COM_BINLOG_DUMP), BinlogDumpGTID
//     (MySQL's COM_BINLOG_DUMP_GTID) with the flags BinlogDumpNonBlock,
//     BinlogThroughPosition and BinlogThroughGTID.
//   - Text result sets: a length-encoded column count, that many column
//     definitions (ParseColumnDef), an EOF packet unless ClientDeprecateEOF
//     was negotiated, rows (ParseTextRow: length-encoded strings, 0xfb for
//     NULL) and a final EOF (or OK with header 0xfe).
//   - Primitives: ReadLenEncInt, ReadLenEncString, ReadNULString,
//     AppendLenEncInt, AppendLenEncString, AppendLenEncBytes,
//     AppendNULString.
//
// Decoders never panic on malformed input (they are fuzzed) and return
// errors wrapping ErrShort when a packet ends early. Slices they return
// alias the input.
package proto
