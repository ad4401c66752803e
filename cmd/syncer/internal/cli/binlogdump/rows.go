package binlogdump

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/seed5aa6e046/syncer/internal/jsontext"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
)

// rowScratch holds what is reused across rows events so that rendering a
// row allocates nothing in the steady state: the row iterator, the
// pre-encoded column keys of recent tables and a value buffer.
type rowScratch struct {
	it binlog.RowIterator
	// keys caches, per table layout (keyed by the first column, which
	// table maps decoded from identical bytes share), each column's JSON
	// key with its colon: `"name":`.
	keys map[*binlog.Column][][]byte
	val  []byte
}

// maxKeyCache bounds the key cache; it is cleared when full.
const maxKeyCache = 4096

// tableOf returns the table of a TABLE_MAP or rows event.
func tableOf(body binlog.EventBody) (schema, table string, ok bool) {
	switch b := body.(type) {
	case *binlog.TableMapEvent:
		return b.Schema, b.Table, true
	case *binlog.RowsEvent:
		if b.Table != nil {
			return b.Table.Schema, b.Table.Table, true
		}
	}
	return "", "", false
}

// columnKeys returns the JSON keys of a table's columns.
func (s *rowScratch) columnKeys(t *binlog.TableMapEvent) [][]byte {
	cols := t.Columns()
	if len(cols) == 0 {
		return nil
	}
	if k, ok := s.keys[&cols[0]]; ok && len(k) == len(cols) {
		return k
	}
	if s.keys == nil || len(s.keys) >= maxKeyCache {
		s.keys = make(map[*binlog.Column][][]byte)
	}
	keys := make([][]byte, len(cols))
	for i := range cols {
		k := jsontext.AppendString(nil, t.ColumnLabel(i))
		keys[i] = append(k, ':')
	}
	s.keys[&cols[0]] = keys
	return keys
}

// appendRowsEvent writes the members of a rows event: its own fields, then
// "table" and "rows". done is false for other events.
func (s *rowScratch) appendRowsEvent(dst []byte, enc *bodyEncoder, body binlog.EventBody) (out []byte, done bool, err error) {
	ev, ok := body.(*binlog.RowsEvent)
	if !ok {
		return dst, false, nil
	}
	if dst, err = enc.appendBody(dst, ev); err != nil {
		return dst, true, err
	}
	if ev.Table == nil {
		return append(dst, `,"table":null,"rows":[]`...), true, nil
	}
	dst = append(dst, `,"table":{"schema":`...)
	dst = jsontext.AppendString(dst, ev.Table.Schema)
	dst = append(dst, `,"name":`...)
	dst = jsontext.AppendString(dst, ev.Table.Table)
	dst = append(dst, '}')
	mark := len(dst)
	dst = append(dst, `,"rows":[`...)
	keys := s.columnKeys(ev.Table)
	s.it.Reset(ev)
	first := true
	for s.it.Next() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '{')
		sep := false
		if before := s.it.Before(); before != nil {
			dst = append(dst, `"before":`...)
			if dst, err = appendImage(dst, before, keys, ev.Table); err != nil {
				return dst, true, fmt.Errorf("row %d: %w", s.it.Row(), err)
			}
			sep = true
		}
		if after := s.it.After(); after != nil {
			if sep {
				dst = append(dst, ',')
			}
			dst = append(dst, `"after":`...)
			if dst, err = appendImage(dst, after, keys, ev.Table); err != nil {
				return dst, true, fmt.Errorf("row %d: %w", s.it.Row(), err)
			}
		}
		dst = append(dst, '}')
	}
	if err := s.it.Err(); err != nil {
		if !errors.Is(err, binlog.ErrUnsupportedRowFormat) {
			return dst, true, err
		}
		// Rows that no reader can decode (pre-GA 5.1 events, tables
		// mapped without column metadata) are not an error in the
		// file: print the raw row data and why.
		dst = appendUndecodable(dst[:mark], ev, err)
		return dst, true, nil
	}
	return append(dst, ']'), true, nil
}

// appendUndecodable writes "rows":null with the reason and the raw row
// data.
func appendUndecodable(dst []byte, ev *binlog.RowsEvent, err error) []byte {
	dst = append(dst, `,"rows":null,"rows_error":`...)
	dst = jsontext.AppendString(dst, err.Error())
	dst = append(dst, `,"row_data":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, ev.RowData)
	return append(dst, '"')
}

// appendImage writes one row image as an object of the columns present in
// it.
func appendImage(dst []byte, vals []binlog.Value, keys [][]byte, t *binlog.TableMapEvent) ([]byte, error) {
	dst = append(dst, '{')
	n := 0
	for i := range vals {
		v := &vals[i]
		if !v.Present() {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		if i < len(keys) {
			dst = append(dst, keys[i]...)
		} else {
			dst = jsontext.AppendString(dst, t.ColumnLabel(i))
			dst = append(dst, ':')
		}
		var err error
		if dst, err = v.AppendJSON(dst); err != nil {
			return dst, fmt.Errorf("column %s: %w", t.ColumnLabel(i), err)
		}
	}
	return append(dst, '}'), nil
}

// decodeAll decodes and renders every value of every row of a rows event,
// discarding the text, and returns the number of rows (0 for other
// events). It does the work of a dump without the output.
func (s *rowScratch) decodeAll(body binlog.EventBody) (int, error) {
	ev, ok := body.(*binlog.RowsEvent)
	if !ok || ev.Table == nil {
		return 0, nil
	}
	s.it.Reset(ev)
	n := 0
	for s.it.Next() {
		n++
		for _, img := range [2][]binlog.Value{s.it.Before(), s.it.After()} {
			for i := range img {
				v := &img[i]
				if !v.Present() {
					continue
				}
				var err error
				if s.val, err = v.AppendJSON(s.val[:0]); err != nil {
					return n, fmt.Errorf("row %d column %s: %w", n, ev.Table.ColumnLabel(i), err)
				}
			}
		}
	}
	err := s.it.Err()
	if errors.Is(err, binlog.ErrUnsupportedRowFormat) {
		return n, errUndecodable
	}
	return n, err
}

// errUndecodable reports a rows event whose rows cannot be decoded by any
// reader (see appendUndecodable); the dump goes on.
var errUndecodable = errors.New("rows not decodable")
