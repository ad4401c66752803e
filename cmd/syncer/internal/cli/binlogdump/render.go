package binlogdump

import (
	"encoding/json"
	"time"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
)

// Renderer is the output side of "binlog dump", shared with "binlog
// stream": the --tables and --types filters, the JSON line of an event and
// the --stats summary. It is not safe for concurrent use.
type Renderer struct {
	d *dumper
}

// NewRenderer returns a Renderer with the given filters (empty: keep all).
func NewRenderer(tables []TablePattern, types []binlog.EventType) *Renderer {
	opts := &Options{Tables: tables, Types: types}
	d := &dumper{opts: opts, enc: newBodyEncoder(), start: time.Now(), st: stats{Events: map[string]int64{}}}
	if len(types) > 0 {
		d.types = make([]bool, 256)
		for _, t := range types {
			d.types[t] = true
		}
	}
	return &Renderer{d: d}
}

// Keep applies the filters.
func (r *Renderer) Keep(ev *binlogfile.Event) bool { return r.d.keep(ev) }

// AppendEvent appends the event's JSON object, without a newline.
func (r *Renderer) AppendEvent(dst []byte, ev *binlogfile.Event) ([]byte, error) {
	return r.d.appendEvent(dst, ev)
}

// AppendTracked appends the event's JSON object as AppendEvent does, plus
// what the schema history says of it: "schema_version" on the TABLE_MAP and
// rows events of a tracked table (the version of the definition the rows
// were written with) and "schema_changes" on a DDL's QUERY event.
func (r *Renderer) AppendTracked(dst []byte, ev *binlogfile.Event, table *core.Table, changes []core.SchemaChange) ([]byte, error) {
	return r.d.appendTracked(dst, ev, table, changes)
}

// Count adds the event to the summary, decoding every value of its rows.
func (r *Renderer) Count(ev *binlogfile.Event) error { return r.d.count(ev) }

// Summary returns the --stats JSON object for files files and bytes bytes
// read since NewRenderer.
func (r *Renderer) Summary(files int, bytes int64) ([]byte, error) {
	r.d.st.Files = files
	r.d.st.Bytes = bytes
	r.d.st.finish(time.Since(r.d.start))
	return json.Marshal(&r.d.st)
}

// ParseTables parses a --tables list for command path cmd.
func ParseTables(cmd, s string) ([]TablePattern, error) { return parseTablesFor(cmd, s) }

// ParseTypes parses a --types list for command path cmd.
func ParseTypes(cmd, s string) ([]binlog.EventType, error) { return parseTypesFor(cmd, s) }

// TableFilter returns --tables as a predicate (nil: every table).
func TableFilter(ps []TablePattern) func(schema, table string) bool { return tableFilter(ps) }
