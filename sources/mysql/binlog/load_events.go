package binlog

import (
	"bytes"
	"fmt"
	"strconv"
)

// Post-header lengths of the LOAD DATA events (sql/log_event.h).
const (
	loadHeaderLen      = 18 // LOAD_HEADER_LEN
	fileIDHeaderLen    = 4  // CREATE_FILE/APPEND_BLOCK/EXEC_LOAD/DELETE_FILE
	execLoadQueryExtra = 13 // EXECUTE_LOAD_QUERY_EXTRA_HEADER_LEN
	loadFieldTermEmpty = 0x01
	loadEnclosedEmpty  = 0x02
	loadLineTermEmpty  = 0x04
	loadLineStartEmpty = 0x08
	loadEscapedEmpty   = 0x10
)

// LoadEvent is LOAD (type 6) or NEW_LOAD (type 12): LOAD DATA INFILE as
// logged by MySQL 3.23-4.x (and 5.0 for NEW_LOAD), with the file contents
// in separate CREATE_FILE/APPEND_BLOCK events.
//
//	offset size field
//	0      4    thread_id          } post-header (18 bytes)
//	4      4    exec_time          }
//	8      4    skip_lines         }
//	12     1    table name length T}
//	13     1    db length D        }
//	14     4    field count N      }
//	18     ...  LOAD: 7 single bytes: field terminator, enclosed by, line
//	            terminator, line starter, escaped by, opt_flags,
//	            empty_flags (bit set: that string is empty)
//	            NEW_LOAD/CREATE_FILE: 5 strings (1-byte length, bytes) in
//	            the same order, then opt_flags
//	..     N    length of each field name
//	..     ...  N field names, each NUL-terminated
//	..     T+1  table name, NUL
//	..     D+1  db, NUL
//	..     ...  file name, up to a NUL or the end of the body
type LoadEvent struct {
	ThreadID   uint32   `json:"thread_id"`
	ExecTime   uint32   `json:"exec_time"`
	SkipLines  uint32   `json:"skip_lines"`
	Table      string   `json:"table"`
	Schema     string   `json:"schema"`
	Fields     []string `json:"fields"`
	FieldTerm  string   `json:"fields_terminated_by"`
	EnclosedBy string   `json:"enclosed_by"`
	LineTerm   string   `json:"lines_terminated_by"`
	LineStart  string   `json:"lines_starting_by"`
	EscapedBy  string   `json:"escaped_by"`
	// OptFlags: bit 0x2 OPTIONALLY ENCLOSED, 0x4 REPLACE, 0x8 IGNORE.
	OptFlags uint8  `json:"opt_flags"`
	FileName string `json:"file_name"`
}

// listedPostHeaderLen is the format's post-header length for t, or def
// when the format lists 0: servers since 8.0 list 0 for the LOAD DATA
// types they no longer write, but a relay log may still hold one.
func listedPostHeaderLen(d *Decoder, t EventType, def int) int {
	if n := d.Format().PostHeaderLen(t, def); n != 0 {
		return n
	}
	return def
}

func (e *LoadEvent) decode(d *Decoder, h *Header, data []byte) error {
	ph := listedPostHeaderLen(d, h.Type, loadHeaderLen)
	if ph < loadHeaderLen || ph > len(data) {
		return fmt.Errorf("post-header length %d: need at least %d and the body has %d: %w", ph, loadHeaderLen, len(data), errShort)
	}
	c := newCursor(data)
	counts := e.readPostHeader(&c)
	c.skip(ph-loadHeaderLen, "post-header")
	if c.err != nil {
		return c.err
	}
	_, err := e.readBody(&c, counts, h.Type != LoadEventType)
	return err
}

type loadCounts struct {
	tableLen, dbLen int
	fields          uint32
}

func (e *LoadEvent) readPostHeader(c *cursor) loadCounts {
	e.ThreadID = c.u32("thread_id")
	e.ExecTime = c.u32("exec_time")
	e.SkipLines = c.u32("skip_lines")
	var n loadCounts
	n.tableLen = int(c.u8("table name length"))
	n.dbLen = int(c.u8("db length"))
	n.fields = c.u32("field count")
	return n
}

// readBody reads everything after the post-headers and returns the bytes
// after the file name's NUL (CREATE_FILE's data block).
func (e *LoadEvent) readBody(c *cursor, n loadCounts, newFormat bool) ([]byte, error) {
	if newFormat {
		e.FieldTerm = string(c.bytes(int(c.u8("field terminator length")), "field terminator"))
		e.EnclosedBy = string(c.bytes(int(c.u8("enclosed by length")), "enclosed by"))
		e.LineTerm = string(c.bytes(int(c.u8("line terminator length")), "line terminator"))
		e.LineStart = string(c.bytes(int(c.u8("line starter length")), "line starter"))
		e.EscapedBy = string(c.bytes(int(c.u8("escaped by length")), "escaped by"))
		e.OptFlags = c.u8("opt_flags")
	} else {
		b := c.bytes(7, "LOAD DATA options")
		if b != nil {
			empty := b[6]
			pick := func(v byte, flag byte) string {
				if empty&flag != 0 {
					return ""
				}
				return string([]byte{v})
			}
			e.FieldTerm = pick(b[0], loadFieldTermEmpty)
			e.EnclosedBy = pick(b[1], loadEnclosedEmpty)
			e.LineTerm = pick(b[2], loadLineTermEmpty)
			e.LineStart = pick(b[3], loadLineStartEmpty)
			e.EscapedBy = pick(b[4], loadEscapedEmpty)
			e.OptFlags = b[5]
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	if uint64(n.fields) > uint64(c.remaining()) {
		return nil, fmt.Errorf("field count %d exceeds the %d bytes left at offset %d: %w", n.fields, c.remaining(), c.pos, errShort)
	}
	lens := c.bytes(int(n.fields), "field name lengths")
	e.Fields = make([]string, 0, n.fields)
	for i, l := range lens {
		name := c.bytes(int(l), "field name")
		c.skip(1, "field name NUL")
		if c.err != nil {
			return nil, fmt.Errorf("field %d: %w", i, c.err)
		}
		e.Fields = append(e.Fields, string(name))
	}
	e.Table = string(c.bytes(n.tableLen, "table name"))
	c.skip(1, "table name NUL")
	e.Schema = string(c.bytes(n.dbLen, "db"))
	c.skip(1, "db NUL")
	if c.err != nil {
		return nil, c.err
	}
	rest := c.rest()
	if i := bytes.IndexByte(rest, 0); i >= 0 {
		e.FileName = string(rest[:i])
		return rest[i+1:], nil
	}
	e.FileName = string(rest)
	return nil, nil
}

// CreateFileEvent is CREATE_FILE (type 8): the first block of a LOAD DATA
// file (MySQL 4.x), with the LOAD parameters.
//
//	offset size field
//	0      18   LOAD post-header (see LoadEvent)
//	18     4    file_id (CREATE_FILE post-header)
//	22     ...  LOAD body in the NEW_LOAD form (see LoadEvent), the file
//	            name ending with a NUL
//	..     ...  first block of the file's data, to the end of the body
type CreateFileEvent struct {
	LoadEvent
	FileID uint32 `json:"file_id"`
	Block  []byte `json:"block"`
}

func (e *CreateFileEvent) decode(d *Decoder, h *Header, data []byte) error {
	loadLen := listedPostHeaderLen(d, LoadEventType, loadHeaderLen)
	cfLen := listedPostHeaderLen(d, CreateFileEventType, fileIDHeaderLen)
	// Some format tables count the LOAD post-header into CREATE_FILE's;
	// the file id still follows the LOAD part.
	if cfLen >= loadLen+fileIDHeaderLen {
		cfLen -= loadLen
	}
	if loadLen < loadHeaderLen || cfLen < fileIDHeaderLen {
		return fmt.Errorf("post-header lengths %d (LOAD) and %d (CREATE_FILE) are too short", loadLen, cfLen)
	}
	c := newCursor(data)
	counts := e.readPostHeader(&c)
	c.skip(loadLen-loadHeaderLen, "LOAD post-header")
	e.FileID = c.u32("file_id")
	c.skip(cfLen-fileIDHeaderLen, "CREATE_FILE post-header")
	if c.err != nil {
		return c.err
	}
	block, err := e.readBody(&c, counts, true)
	e.Block = block
	return err
}

// AppendBlockEvent is APPEND_BLOCK (type 9) or BEGIN_LOAD_QUERY (type 17):
// a block of a LOAD DATA file's contents.
//
//	offset size field
//	0      4    file_id (post-header)
//	4      ...  data, to the end of the body
type AppendBlockEvent struct {
	FileID uint32 `json:"file_id"`
	Block  []byte `json:"block"`
}

func (e *AppendBlockEvent) decode(d *Decoder, h *Header, data []byte) error {
	ph := listedPostHeaderLen(d, h.Type, fileIDHeaderLen)
	if ph < fileIDHeaderLen {
		return fmt.Errorf("post-header length %d is shorter than the 4-byte file_id", ph)
	}
	c := newCursor(data)
	e.FileID = c.u32("file_id")
	c.skip(ph-fileIDHeaderLen, "post-header")
	if c.err != nil {
		return c.err
	}
	e.Block = c.rest()
	return nil
}

// BeginLoadQueryEvent is BEGIN_LOAD_QUERY (type 17, MySQL 5.0+): the first
// block of a LOAD DATA file; same layout as APPEND_BLOCK.
type BeginLoadQueryEvent struct {
	AppendBlockEvent
}

// FileIDEvent is EXEC_LOAD (type 10) or DELETE_FILE (type 11): execute or
// discard the LOAD DATA file assembled from the earlier blocks.
//
//	offset size field
//	0      4    file_id (post-header)
type FileIDEvent struct {
	FileID uint32 `json:"file_id"`
}

func (e *FileIDEvent) decode(d *Decoder, h *Header, data []byte) error {
	c := newCursor(data)
	e.FileID = c.u32("file_id")
	return c.err
}

// LoadDupHandling is what EXECUTE_LOAD_QUERY does with duplicate keys.
type LoadDupHandling uint8

const (
	LoadDupError   LoadDupHandling = 0
	LoadDupIgnore  LoadDupHandling = 1
	LoadDupReplace LoadDupHandling = 2
)

func (h LoadDupHandling) String() string {
	switch h {
	case LoadDupError:
		return "ERROR"
	case LoadDupIgnore:
		return "IGNORE"
	case LoadDupReplace:
		return "REPLACE"
	}
	return "DUP_" + strconv.Itoa(int(h))
}

// MarshalText renders the handling's name.
func (h LoadDupHandling) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// ExecuteLoadQueryEvent is EXECUTE_LOAD_QUERY (type 18, MySQL 5.0+): the
// LOAD DATA statement, run on the file assembled from BEGIN_LOAD_QUERY and
// APPEND_BLOCK events. The layout is QUERY's with 13 more post-header
// bytes:
//
//	offset size field
//	0      13   QUERY post-header (see QueryEvent)
//	13     4    file_id
//	17     4    start of the file name in the query text
//	21     4    end of the file name in the query text
//	25     1    duplicate handling (0 ERROR, 1 IGNORE, 2 REPLACE)
//	26     ...  status variables, db, query as in QUERY
type ExecuteLoadQueryEvent struct {
	QueryEvent
	FileID uint32 `json:"file_id"`
	// FileNameStart and FileNameEnd delimit the part of Query that the
	// replica rewrites to name its local copy of the file: from the space
	// before INFILE up to and including INTO (" INFILE '/tmp/f' INTO").
	FileNameStart uint32          `json:"file_name_start"`
	FileNameEnd   uint32          `json:"file_name_end"`
	DupHandling   LoadDupHandling `json:"dup_handling"`
}

func (e *ExecuteLoadQueryEvent) decode(d *Decoder, h *Header, data []byte) error {
	extra, err := e.decodeQuery(d, h.Type, data, queryHeaderLen+execLoadQueryExtra)
	if err != nil {
		return err
	}
	c := newCursor(extra)
	e.FileID = c.u32("file_id")
	e.FileNameStart = c.u32("file name start")
	e.FileNameEnd = c.u32("file name end")
	e.DupHandling = LoadDupHandling(c.u8("duplicate handling"))
	if c.err != nil {
		return fmt.Errorf("EXECUTE_LOAD_QUERY post-header: %w", c.err)
	}
	return nil
}
