package binlog

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
)

// RowsEvent is a WRITE_ROWS, UPDATE_ROWS or DELETE_ROWS event in any of its
// versions: pre-GA (20-22, MySQL 5.1.0-5.1.15), v1 (23-25), v2 (30-32, MySQL
// 5.6+), PARTIAL_UPDATE_ROWS (39, MySQL 8.0 binlog_row_value_options=
// PARTIAL_JSON) and MariaDB's compressed v1 (166-168) and v2 (169-171).
//
//	offset size field
//	0      6    table_id (4 when the FDE's post-header length for the type is 6)
//	6      2    flags (RowsFlag*)
//	-- v2 post-header (post-header length 10) only:
//	8      2    extra data length n, counting these 2 bytes
//	10     n-2  extra row info, a sequence of typed chunks:
//	            0x00 NDB: 1 byte length L (counting itself), 1 byte format, L-2 bytes data
//	            0x01 partition: 2 bytes partition id, and for UPDATE and
//	                 PARTIAL_UPDATE 2 more bytes, the source partition id
//	            (an unknown type ends the parsing, as in MySQL)
//	-- body:
//	       p    column count w (packed integer)
//	       (w+7)/8  columns present in the before image (or the only image), LSB first
//	       (w+7)/8  columns present in the after image: UPDATE v1/v2, PARTIAL_UPDATE only
//	       rest row images; compressed MariaDB events zlib-compress exactly this
//	            part (see decompressMariaDB)
//
// Each row image is, over the columns present in it:
//
//	size          field
//	p             value_options (PARTIAL_UPDATE after-image only; bit 0 = PARTIAL_JSON)
//	(j+7)/8       partial bitmap over all j JSON columns of the table (when bit 0 is set)
//	(k+7)/8       null bitmap over the k present columns, LSB first
//	...           each non-NULL value in its column's packed format (decodeValue);
//	              a JSON column marked partial holds a 4-byte length and a JSON
//	              diff vector instead of a document
//
// Rows are read with a RowIterator; decoding the event itself only parses
// the header and finds the table map.
type RowsEvent struct {
	Type    EventType
	TableID uint64
	Flags   uint16
	// ExtraData is the v2 extra row info, without its length field.
	ExtraData []byte
	// NDBInfo is the NDB chunk of ExtraData (length, format and data).
	NDBInfo []byte
	// HasPartition is set when ExtraData carried partition info.
	HasPartition       bool
	PartitionID        uint16
	HasSourcePartition bool
	SourcePartitionID  uint16
	// ColumnCount is the number of columns the event covers (w).
	ColumnCount int
	// ColumnsBefore and ColumnsAfter are the present-column bitmaps of
	// the two images; for WRITE and DELETE both are the single bitmap.
	ColumnsBefore []byte
	ColumnsAfter  []byte
	// RowData is the row images (decompressed for compressed events).
	RowData    []byte
	Compressed bool
	// Foreign is set when the FORMAT_DESCRIPTION gives this type code a
	// post-header length that no rows event has (6, 8 or 10): a
	// development tree (MySQL 5.2 "drop6") that numbered its events
	// differently. The body is then kept undecoded in RowData and the
	// event has no rows.
	Foreign bool
	// Table is the table map the event refers to (nil only for the
	// dummy end-of-statement event that some servers write with table
	// id ~0 (0xFFFFFFFFFFFF, or 0xFFFFFFFF with 4-byte ids) and no rows).
	Table *TableMapEvent
}

// Rows event flags.
const (
	RowsFlagStmtEnd            uint16 = 0x0001 // last rows event of the statement
	RowsFlagNoForeignKeyChecks uint16 = 0x0002
	RowsFlagRelaxedUniqueCheck uint16 = 0x0004
	RowsFlagCompleteRows       uint16 = 0x0008 // all columns present (NDB)
)

// RowsAction tells inserts, updates and deletes apart.
type RowsAction uint8

const (
	RowsInsert RowsAction = iota + 1
	RowsUpdate
	RowsDelete
)

func (a RowsAction) String() string {
	switch a {
	case RowsInsert:
		return "insert"
	case RowsUpdate:
		return "update"
	case RowsDelete:
		return "delete"
	}
	return "unknown"
}

// Action returns whether the event inserts, updates or deletes rows.
func (e *RowsEvent) Action() RowsAction { return rowsAction(e.Type) }

func rowsAction(t EventType) RowsAction {
	switch t {
	case PreGAWriteRowsEventType, WriteRowsEventV1Type, WriteRowsEventV2Type, MariaWriteRowsCompressedV1Type, MariaWriteRowsCompressedType:
		return RowsInsert
	case PreGAUpdateRowsEventType, UpdateRowsEventV1Type, UpdateRowsEventV2Type, PartialUpdateRowsEventType, MariaUpdateRowsCompressedV1Type, MariaUpdateRowsCompressedType:
		return RowsUpdate
	case PreGADeleteRowsEventType, DeleteRowsEventV1Type, DeleteRowsEventV2Type, MariaDeleteRowsCompressedV1Type, MariaDeleteRowsCompressedType:
		return RowsDelete
	}
	return 0
}

// hasAfterBitmap: pre-GA UPDATE events carried one bitmap for both images.
func hasAfterBitmap(t EventType) bool {
	switch t {
	case UpdateRowsEventV1Type, UpdateRowsEventV2Type, PartialUpdateRowsEventType, MariaUpdateRowsCompressedV1Type, MariaUpdateRowsCompressedType:
		return true
	}
	return false
}

func isCompressedRows(t EventType) bool {
	return t >= MariaWriteRowsCompressedV1Type && t <= MariaDeleteRowsCompressedType
}

func defaultRowsPostHeader(t EventType) int {
	switch t {
	case WriteRowsEventV2Type, UpdateRowsEventV2Type, DeleteRowsEventV2Type, PartialUpdateRowsEventType,
		MariaWriteRowsCompressedType, MariaUpdateRowsCompressedType, MariaDeleteRowsCompressedType:
		return 10
	}
	return 8
}

// Extra row info chunk types (enum_extra_row_info_typecode).
const (
	extraRowInfoNDB       = 0
	extraRowInfoPartition = 1
)

func (e *RowsEvent) decode(d *Decoder, h *Header, data []byte) error {
	*e = RowsEvent{Type: h.Type}
	ph := d.format.PostHeaderLen(h.Type, defaultRowsPostHeader(h.Type))
	if ph != 6 && ph != 8 && ph != 10 {
		e.Foreign, e.RowData = true, data
		return nil
	}
	c := newCursor(data)
	if ph == 6 {
		e.TableID = uint64(c.u32("table_id"))
	} else {
		e.TableID = c.u48("table_id")
	}
	e.Flags = c.u16("flags")
	if ph == 10 {
		n := int(c.u16("extra data length"))
		if c.err != nil {
			return c.err
		}
		if n < 2 {
			return fmt.Errorf("extra data length %d at offset %d is less than its own 2 bytes", n, c.pos-2)
		}
		e.ExtraData = c.bytes(n-2, "extra row info")
		if c.err != nil {
			return c.err
		}
		if err := e.parseExtraRowInfo(); err != nil {
			return err
		}
	}
	width, _ := c.lenenc("column count")
	if c.err != nil {
		return c.err
	}
	if width == 0 || width > uint64(c.remaining())*8 {
		return fmt.Errorf("column count %d at offset %d is impossible with %d bytes left", width, c.pos, c.remaining())
	}
	e.ColumnCount = int(width)
	nb := (e.ColumnCount + 7) / 8
	e.ColumnsBefore = c.bytes(nb, "columns-present bitmap")
	e.ColumnsAfter = e.ColumnsBefore
	if hasAfterBitmap(h.Type) {
		e.ColumnsAfter = c.bytes(nb, "after-image columns-present bitmap")
	}
	if c.err != nil {
		return c.err
	}
	rowsAt := c.pos
	e.RowData = c.rest()
	if isCompressedRows(h.Type) {
		e.Compressed = true
		plain, err := decompressMariaDB(e.RowData)
		if err != nil {
			return fmt.Errorf("compressed row data at offset %d: %w", rowsAt, err)
		}
		e.RowData = plain
	}
	e.Table = d.tables[e.TableID]
	if e.Table == nil {
		if len(e.RowData) == 0 && (e.TableID == 0xFFFFFFFF || e.TableID == 0xFFFFFFFFFFFF) {
			return nil // dummy end-of-statement event
		}
		return fmt.Errorf("table id %d has no TABLE_MAP before this rows event (the stream started mid-transaction, or the map was lost)", e.TableID)
	}
	if e.ColumnCount > e.Table.ColumnCount {
		return fmt.Errorf("rows event covers %d columns but the TABLE_MAP of %s.%s (table id %d) has %d", e.ColumnCount, e.Table.Schema, e.Table.Table, e.TableID, e.Table.ColumnCount)
	}
	return nil
}

func (e *RowsEvent) parseExtraRowInfo() error {
	c := newCursor(e.ExtraData)
	for c.remaining() > 0 {
		at := c.pos
		switch c.u8("extra row info type") {
		case extraRowInfoNDB:
			n := int(c.u8("NDB info length"))
			if c.err != nil {
				return fmt.Errorf("extra row info at offset %d: %w", at, c.err)
			}
			if n < 2 {
				return fmt.Errorf("NDB extra row info at offset %d: length %d is shorter than its 2-byte header", at, n)
			}
			c.pos-- // the length byte is part of the NDB info
			info := c.bytes(n, "NDB info")
			if e.NDBInfo == nil {
				e.NDBInfo = info
			}
		case extraRowInfoPartition:
			e.HasPartition = true
			e.PartitionID = c.u16("partition id")
			if e.Type == UpdateRowsEventV2Type || e.Type == PartialUpdateRowsEventType {
				e.HasSourcePartition = true
				e.SourcePartitionID = c.u16("source partition id")
			}
		default:
			return nil // MySQL stops at an unknown chunk type, so do we
		}
		if c.err != nil {
			return fmt.Errorf("extra row info at offset %d: %w", at, c.err)
		}
	}
	return nil
}

// MarshalJSON renders the event's non-row fields.
func (e *RowsEvent) MarshalJSON() ([]byte, error) {
	type out struct {
		TableID           uint64  `json:"table_id"`
		Flags             uint16  `json:"flags"`
		Action            string  `json:"action"`
		Columns           int     `json:"columns"`
		Compressed        bool    `json:"compressed,omitempty"`
		PartitionID       *uint16 `json:"partition_id,omitempty"`
		SourcePartitionID *uint16 `json:"source_partition_id,omitempty"`
		NDBInfo           string  `json:"ndb_info,omitempty"`
		ExtraData         string  `json:"extra_data,omitempty"`
	}
	o := out{TableID: e.TableID, Flags: e.Flags, Action: e.Action().String(), Columns: e.ColumnCount,
		Compressed: e.Compressed, NDBInfo: hex.EncodeToString(e.NDBInfo), ExtraData: hex.EncodeToString(e.ExtraData)}
	if e.HasPartition {
		p := e.PartitionID
		o.PartitionID = &p
	}
	if e.HasSourcePartition {
		p := e.SourcePartitionID
		o.SourcePartitionID = &p
	}
	return json.Marshal(o)
}

// ErrUnsupportedRowFormat is wrapped by row iteration errors for rows the
// binlog does not describe well enough to decode: pre-GA rows events, table
// maps without column metadata (MySQL before 5.1.18) and pre-5.0 DECIMAL
// columns. The event itself decodes; only its values are unavailable.
var ErrUnsupportedRowFormat = errors.New("row format not decodable")

// RowIterator decodes the rows of a RowsEvent one at a time into value
// slices it reuses:
//
//	it := ev.Rows()
//	for it.Next() {
//		before, after := it.Before(), it.After()
//		...
//	}
//	if err := it.Err(); err != nil { ... }
//
// Before and After are indexed by column (len = the table's column count);
// columns absent from an image have KindAbsent. WRITE rows have only an
// after image and DELETE rows only a before image (the other is nil).
// The slices and the Values in them, with their bytes, are valid until the
// next call to Next or Reset. An iterator can be reused for another event
// with Reset, which makes steady-state decoding allocation-free.
type RowIterator struct {
	ev         *RowsEvent
	cols       []Column
	data       []byte
	pos        int
	row        int
	err        error
	before     []Value
	after      []Value
	hasBefore  bool
	hasAfter   bool
	countFirst int
	countAfter int
	// scratch holds bytes built for the current row: re-padded
	// BINARY(n) values and rebuilt JSON documents.
	scratch []byte
	// diffs[i] is the raw JSON diff vector of partial column i in the
	// current after image, nil otherwise.
	diffs   [][]byte
	partial bool
}

// Rows returns an iterator over the event's rows.
func (e *RowsEvent) Rows() *RowIterator {
	it := &RowIterator{}
	it.Reset(e)
	return it
}

// Reset points the iterator at the start of e's rows, keeping its buffers.
func (it *RowIterator) Reset(e *RowsEvent) {
	it.ev, it.pos, it.row, it.err, it.partial = e, 0, 0, nil, false
	it.data = e.RowData
	it.scratch = it.scratch[:0]
	if e.Table == nil {
		it.cols = nil
		it.data = nil
		return
	}
	it.cols = e.Table.columns
	if e.Type >= PreGAWriteRowsEventType && e.Type <= PreGADeleteRowsEventType {
		it.err = fmt.Errorf("%w: %s events (MySQL 5.1.0-5.1.15) hold rows in the table's internal record layout, which the binlog does not describe", ErrUnsupportedRowFormat, e.Type)
	}
	n := len(it.cols)
	it.before = resize(it.before, n)
	it.after = resize(it.after, n)
	action := e.Action()
	it.hasBefore = action != RowsInsert
	it.hasAfter = action != RowsDelete
	width := e.ColumnCount
	it.countFirst = popcount(e.ColumnsBefore, width)
	it.countAfter = popcount(e.ColumnsAfter, width)
	if e.Type == PartialUpdateRowsEventType && e.Table.jsonCount > 0 {
		it.partial = true
		if cap(it.diffs) < n {
			it.diffs = make([][]byte, n)
		}
		it.diffs = it.diffs[:n]
	}
}

func resize(v []Value, n int) []Value {
	if cap(v) < n {
		return make([]Value, n)
	}
	v = v[:n]
	clear(v)
	return v
}

// popcount counts the set bits among the first width bits of bitmap.
func popcount(bitmap []byte, width int) int {
	n := 0
	for i, b := range bitmap {
		if rest := width - 8*i; rest < 8 {
			b &= byte(1<<rest - 1)
		}
		n += bits.OnesCount8(b)
	}
	return n
}

// Next decodes the next row. It returns false at the end of the rows or on
// an error (see Err).
func (it *RowIterator) Next() bool {
	if it.err != nil || it.pos >= len(it.data) {
		return false
	}
	it.scratch = it.scratch[:0]
	e := it.ev
	start := it.pos
	first := it.after
	if it.hasBefore {
		first = it.before
	}
	if err := it.readImage(e.ColumnsBefore, it.countFirst, first, false); err != nil {
		it.err = withOldTemporalHint(err, e.Table)
		return false
	}
	if it.hasBefore && it.hasAfter {
		if err := it.readImage(e.ColumnsAfter, it.countAfter, it.after, true); err != nil {
			it.err = withOldTemporalHint(err, e.Table)
			return false
		}
		if it.partial {
			if err := it.rebuildPartialJSON(); err != nil {
				it.err = fmt.Errorf("row %d: %w", it.row+1, err)
				return false
			}
		}
	}
	if it.pos == start {
		// Images that select no column take no bytes; the rows could
		// never be told apart (and the loop would not end).
		it.err = fmt.Errorf("row %d at row data offset %d: the columns-present bitmaps select no column, yet %d bytes of row data remain", it.row+1, start, len(it.data)-start)
		return false
	}
	it.row++
	return true
}

// withOldTemporalHint explains the usual cause of a row that does not fit
// its table map when the table has TIME, DATETIME or TIMESTAMP columns in the
// pre-5.6 format: MariaDB logs its older fractional-second columns
// (mysql56_temporal_format=OFF) under those types with no metadata, so their
// width cannot be known and every later value is misaligned.
func withOldTemporalHint(err error, t *TableMapEvent) error {
	if t == nil {
		return err
	}
	for i := range t.Columns() {
		c := t.Column(i)
		switch c.Type {
		case TypeTime, TypeDateTime, TypeTimestamp:
			return fmt.Errorf("%w (column %d %s is an old-format %s: MariaDB writes such columns with fractional seconds without their width, and no reader can decode them; rebuild the table with mysql56_temporal_format=ON, e.g. ALTER TABLE %s.%s FORCE)",
				err, i+1, t.ColumnLabel(i), c.Type, t.Schema, t.Table)
		}
	}
	return err
}

// Before returns the before image of the current row (nil for inserts).
func (it *RowIterator) Before() []Value {
	if !it.hasBefore {
		return nil
	}
	return it.before
}

// After returns the after image of the current row (nil for deletes).
func (it *RowIterator) After() []Value {
	if !it.hasAfter {
		return nil
	}
	return it.after
}

// Err returns the error that stopped iteration, if any.
func (it *RowIterator) Err() error { return it.err }

// Row returns the 1-based number of the current row within the event.
func (it *RowIterator) Row() int { return it.row }

// readImage decodes one row image into out.
func (it *RowIterator) readImage(present []byte, count int, out []Value, afterImage bool) error {
	b := it.data
	pos := it.pos
	image := "row image"
	if it.hasBefore && it.hasAfter {
		image = "before image"
		if afterImage {
			image = "after image"
		}
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("row %d %s at row data offset %d: "+format, append([]any{it.row + 1, image, pos}, args...)...)
	}
	var partialBits []byte
	if afterImage && it.partial {
		c := newCursor(b[pos:])
		opts, _ := c.lenenc("value_options")
		if c.err != nil {
			return fail("%w", c.err)
		}
		pos += c.pos
		if opts&1 != 0 { // PARTIAL_JSON_UPDATES
			n := (it.ev.Table.jsonCount + 7) / 8
			if len(b)-pos < n {
				return fail("partial-JSON bitmap: need %d bytes, %d left: %w", n, len(b)-pos, errShort)
			}
			partialBits = b[pos : pos+n]
			pos += n
		}
		clear(it.diffs)
	}
	nb := (count + 7) / 8
	if len(b)-pos < nb {
		return fail("null bitmap: need %d bytes, %d left: %w", nb, len(b)-pos, errShort)
	}
	nulls := b[pos : pos+nb]
	pos += nb
	cols := it.cols
	width := it.ev.ColumnCount
	nullIdx, jsonIdx := 0, 0
	for i := range cols {
		col := &cols[i]
		isPartial := false
		if partialBits != nil && col.Type == TypeJSON {
			isPartial = partialBits[jsonIdx/8]&(1<<(jsonIdx%8)) != 0
			jsonIdx++
		}
		if i >= width || present[i/8]&(1<<(i%8)) == 0 {
			out[i] = Value{}
			continue
		}
		if nulls[nullIdx/8]&(1<<(nullIdx%8)) != 0 {
			out[i] = Value{col: col, kind: KindNull}
			nullIdx++
			continue
		}
		nullIdx++
		if isPartial {
			// The diff vector always has a 4-byte length
			// (Field_json::pack_diff), whatever the column's
			// metadata says.
			diff, n, err := readPrefixed(col, b[pos:], 4)
			if err != nil {
				return fail("JSON diff: %w", err)
			}
			out[i] = Value{col: col, kind: KindJSONDiff, raw: diff}
			it.diffs[i] = diff
			pos += n
			continue
		}
		n, err := decodeValue(col, b[pos:], &out[i], &it.scratch)
		if err != nil {
			return fail("%w", err)
		}
		pos += n
	}
	it.pos = pos
	return nil
}

// JSONDiff returns the raw JSON diff vector of column i in the current
// after image when the column was logged as a partial update, else nil.
// Parse it with jsonb.ParseDiffs.
func (it *RowIterator) JSONDiff(i int) []byte {
	if !it.partial || i < 0 || i >= len(it.diffs) {
		return nil
	}
	return it.diffs[i]
}
