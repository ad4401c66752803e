package binlog

import (
	"errors"
	"fmt"
)

// ErrChecksum is wrapped by errors for events whose CRC32 does not match.
var ErrChecksum = errors.New("checksum mismatch")

// ErrTruncated is wrapped by errors for events cut short.
var ErrTruncated = errShort

// DecodeError reports why one event could not be decoded.
//
// The decoder fills Type and Err; a reader that knows where the event came
// from fills File and Pos (the event's start offset) so the message names the
// exact place: "binlog mysql-bin.000003:4711: decode TABLE_MAP: ...".
type DecodeError struct {
	File string    // file name, empty when unknown
	Pos  int64     // offset of the event's first byte, -1 when unknown
	Type EventType // event type from the header (0 when the header itself is bad)
	Err  error
}

func (e *DecodeError) Error() string {
	where := ""
	switch {
	case e.File != "" && e.Pos >= 0:
		where = fmt.Sprintf("binlog %s:%d: ", e.File, e.Pos)
	case e.File != "":
		where = fmt.Sprintf("binlog %s: ", e.File)
	case e.Pos >= 0:
		where = fmt.Sprintf("binlog offset %d: ", e.Pos)
	}
	return fmt.Sprintf("%sdecode %s: %v", where, e.Type, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

func decodeErr(t EventType, err error) *DecodeError {
	return &DecodeError{Pos: -1, Type: t, Err: err}
}
