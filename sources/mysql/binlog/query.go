package binlog

import "fmt"

// Post-header lengths of QUERY: 11 bytes in binlog v1/v3 (MySQL 3.23-4.x),
// 13 since 5.0 (status_vars_len added).
const (
	queryHeaderMinimalLen = 11
	queryHeaderLen        = 13
)

// QueryEvent is QUERY (type 2): a statement logged as text (DDL,
// statement-based DML, BEGIN/COMMIT of non-transactional changes), and
// MariaDB's QUERY_COMPRESSED (type 165), the same with the text compressed.
//
//	offset size field
//	0      4    thread_id (needed for temporary tables)
//	4      4    exec_time (seconds)
//	8      1    db_len
//	9      2    error_code
//	11     2    status_vars_len (binlog v4 only; v1/v3 post-header ends at 11)
//	PH     ...  rest of the post-header (EXECUTE_LOAD_QUERY fields)
//	PH     S    status variables (see decodeStatusVars)
//	PH+S   L    db (default database), then a NUL
//	...         query text to the end of the body; for QUERY_COMPRESSED the
//	            MariaDB compressed form (see decompressMariaDB)
//
// PH is the format's post-header length for the event type.
type QueryEvent struct {
	ThreadID uint32 `json:"thread_id"`
	// ExecTime is the statement's execution time in seconds.
	ExecTime  uint32 `json:"exec_time"`
	ErrorCode uint16 `json:"error_code"`
	// Schema is the default database when the statement ran ("" if none).
	Schema     string     `json:"schema"`
	StatusVars StatusVars `json:"status_vars"`
	// Query is the statement text, in the client character set
	// (StatusVars.Charset.Client), decompressed for QUERY_COMPRESSED.
	Query string `json:"query"`
	// Compressed is set for QUERY_COMPRESSED.
	Compressed bool `json:"compressed,omitempty"`
}

func (e *QueryEvent) decode(d *Decoder, h *Header, data []byte) error {
	_, err := e.decodeQuery(d, h.Type, data, queryHeaderLen)
	return err
}

// decodeQuery reads a QUERY-shaped body and returns the post-header bytes
// past the standard 13 (or 11), which derived events interpret.
func (e *QueryEvent) decodeQuery(d *Decoder, t EventType, data []byte, defaultPostHeader int) ([]byte, error) {
	ph := d.Format().PostHeaderLen(t, defaultPostHeader)
	if ph < queryHeaderMinimalLen {
		return nil, fmt.Errorf("post-header length %d is shorter than the %d-byte minimum of QUERY", ph, queryHeaderMinimalLen)
	}
	c := newCursor(data)
	e.ThreadID = c.u32("thread_id")
	e.ExecTime = c.u32("exec_time")
	dbLen := int(c.u8("db_len"))
	e.ErrorCode = c.u16("error_code")
	statusLen := 0
	fixed := queryHeaderMinimalLen
	if ph >= queryHeaderLen {
		statusLen = int(c.u16("status_vars_len"))
		fixed = queryHeaderLen
	}
	extra := c.bytes(ph-fixed, "post-header")
	status := c.bytes(statusLen, "status variables")
	db := c.bytes(dbLen, "db")
	c.skip(1, "db NUL terminator")
	if c.err != nil {
		return nil, c.err
	}
	e.Schema = string(db)
	if err := decodeStatusVars(&e.StatusVars, status, d.Format().Flavor); err != nil {
		return nil, err
	}
	text := c.rest()
	if t == MariaQueryCompressedEventType {
		e.Compressed = true
		plain, err := decompressMariaDB(text)
		if err != nil {
			return nil, fmt.Errorf("query text at offset %d: %w", c.pos-len(text), err)
		}
		text = plain
	}
	e.Query = string(text)
	return extra, nil
}
