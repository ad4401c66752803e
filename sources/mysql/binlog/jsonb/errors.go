package jsonb

import (
	"errors"
	"strconv"
)

// ErrCorrupt is wrapped by every error this package returns for input that
// does not follow the format being decoded.
var ErrCorrupt = errors.New("corrupt value")

// Error reports what is wrong with an input and where.
//
// Offset counts bytes from the start of the slice passed to the exported
// function (for ParseDiffs: from the first byte after the 4-byte vector
// length; for ApplyDiffs: into the JSON text or into the path named in
// What).
type Error struct {
	Offset int    // byte offset of the problem in the input
	What   string // which format was being decoded and what is wrong
}

func (e *Error) Error() string {
	return "jsonb: " + e.What + " at offset " + strconv.Itoa(e.Offset)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *Error) Unwrap() error { return ErrCorrupt }

func corrupt(off int, what string) error { return &Error{Offset: off, What: what} }
