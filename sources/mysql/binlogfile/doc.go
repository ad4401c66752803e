// Package binlogfile reads MySQL and MariaDB binary log and relay log files
// and yields their events, decoded by package binlog.
//
// It is the I/O half of the decoder: package binlog turns the bytes of one
// event into a typed Go value; this package finds those bytes in files (or
// any io.Reader), keeps the decoding state of each file, and says exactly
// where something is wrong. It has no dependency on the rest of Syncer.
//
// # Reading a file
//
//	r := binlogfile.Open("/var/lib/mysql/binlog.000042")
//	defer r.Close()
//	for {
//		ev, err := r.Next()
//		if err == io.EOF {
//			break
//		}
//		if err != nil {
//			return err // names file, offset and event type
//		}
//		switch body := ev.Body.(type) {
//		case *binlog.RotateEvent:
//			...
//		}
//	}
//
// OpenFiles reads several files in the order given, as one stream (for
// example all the files of a relay log). NewReader reads from any io.Reader,
// such as a pipe or bytes in memory. WithStartPosition and WithStopPosition
// select a byte range, like mysqlbinlog --start-position and
// --stop-position (the reader still reads the table maps before the start
// position, so rows events right after it can be decoded); WithDecoderOptions passes options such as
// binlog.WithoutChecksumVerification to the decoder.
//
// # What the reader does
//
// Each file must start with the magic fe 62 69 6e ("\xfebin"). A MySQL file
// written with binlog_encryption=ON starts with fd 62 69 6e instead and is
// rejected with ErrEncrypted: decrypt it first (read it through the server
// that has the key, e.g. with mysqlbinlog --read-from-remote-server). Any other
// start is rejected with ErrNotBinlog.
//
// The first event must be FORMAT_DESCRIPTION (START_EVENT_V3 in the binlog
// formats of MySQL 3.23 to 4.1); it tells how to read the rest. Later
// FORMAT_DESCRIPTION events (a relay log holds the replica's own, then the
// source's after a ROTATE) replace it. Each file gets a fresh decoder.
//
// Events are found by their event_size field only: end_log_pos is never used,
// because MariaDB 11 writes 0 there in some events and relay logs hold the
// source's positions. Before reading an event the reader checks that its size
// is at least a header, at most 1 GiB (the largest event a server writes) and
// no more than the bytes left in the file, so a corrupt size field cannot
// cause a huge allocation. A final event cut short (a file truncated, or still
// being written) gives an error that wraps io.ErrUnexpectedEOF and names its
// offset.
//
// A TRANSACTION_PAYLOAD event (MySQL binlog_transaction_compression=ON) is
// returned first; then each event decompressed from it is returned in order
// with InPayload set and the payload's position as Pos.
//
// A MariaDB START_ENCRYPTION event (encrypt_binlog=ON) is returned, and the
// next call returns an error wrapping ErrEncrypted: the rest of the file is
// encrypted with a key only the server has.
//
// # Errors
//
// Every error names the file and the offset of the event (offset 0 for a bad
// magic number) and, when the header could be read, the event type. Decoding
// errors are *binlog.DecodeError with File and Pos filled in; use errors.As to
// get them. After an error the Reader is done: Next keeps returning that
// error.
//
// # Memory
//
// The reader reuses one buffer for events, so the Event returned by Next,
// its Raw bytes and everything in its body that refers to them are valid only
// until the next call to Next. Copy what must live longer. Reading a file does
// not allocate per event beyond what decoding the event needs.
package binlogfile
