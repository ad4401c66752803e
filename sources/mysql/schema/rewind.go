package schema

import (
	"errors"
	"fmt"
	"strings"

	"github.com/seed5aa6e046/syncer/core"
)

// QueryAt is one QUERY event of a binlog window: its statement, default
// database and sql_mode, and the point just past it.
type QueryAt struct {
	Query   string
	Schema  string
	SQLMode uint64
	At      Point
}

// Unknowable is a table whose definition at the start of a window cannot
// be known: the window changes it (at At, by Statement) before any
// statement of the window creates it, so the definition it had before is
// in neither the server nor the window.
type Unknowable struct {
	Schema, Name string
	At           Point
	Statement    string
}

// Rewind derives the catalog in force at the start of a binlog window from
// cat, the catalog read from the server at its end, and the window's QUERY
// events in order. A table the window's DDL never names is as in cat. A
// table whose first mention creates it did not exist at the start and is
// left out (the window's CREATE makes it again when the events are
// replayed). A table the window changes, drops or renames before creating
// it existed at the start with a definition nothing holds any more: it is
// returned in unknown, and left out of the catalog. A caller must refuse
// to decode from the start when unknown is not empty.
//
// A DDL statement Rewind cannot apply is an error under DDLFail and is
// passed over under DDLSkip, as Tracker does.
func Rewind(cat *Catalog, window []QueryAt, policy DDLErrorPolicy) (start *Catalog, unknown []Unknowable, err error) {
	scratch := cat.Clone()
	for _, t := range scratch.Tables() {
		scratch.deleteTable(t.Schema, t.Name)
	}
	seen := map[[2]string]bool{}
	key := func(schema, name string) [2]string { return [2]string{cat.nameKey(schema), cat.nameKey(name)} }
	app := NewApplier()
	for _, q := range window {
		if !mayChangeSchema(q.Query) {
			continue
		}
		app.SetSQLMode(q.SQLMode)
		changes, err := app.Apply(scratch, q.Schema, q.Query)
		// A table the statement names but the scratch catalog lacks
		// existed before the window (or was created by a statement it
		// could not apply).
		var other []error
		for _, e := range leafErrors(err) {
			var ut *UnknownTableError
			if errors.As(e, &ut) {
				if k := key(ut.Schema, ut.Name); !seen[k] {
					seen[k] = true
					unknown = append(unknown, Unknowable{Schema: ut.Schema, Name: ut.Name, At: q.At, Statement: q.Query})
				}
				continue
			}
			other = append(other, e)
		}
		if len(other) > 0 && policy == DDLFail {
			return nil, nil, &DDLError{At: q.At, Statement: q.Query, Err: errors.Join(other...)}
		}
		if err != nil {
			// A statement that failed on an unknown table did not make
			// the other tables it names either (the target of RENAME
			// unknown TO x, the copy of CREATE TABLE x LIKE unknown):
			// what the end catalog holds under those names did not
			// exist at the start.
			for _, n := range app.tableNames(q.Schema, q.Query) {
				seen[key(n[0], n[1])] = true
			}
		}
		for _, ch := range changes {
			for _, t := range [...]*core.Table{ch.Old, ch.New} {
				if t != nil {
					seen[key(t.Schema, t.Name)] = true
				}
			}
		}
	}
	start = cat.Clone()
	for k := range seen {
		if t := start.Table(k[0], k[1]); t != nil {
			start.deleteTable(t.Schema, t.Name)
		}
	}
	return start, unknown, nil
}

// leafErrors flattens the errors.Join tree of Apply.
func leafErrors(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leafErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// UnknowableError is the refusal to start at a point whose schema cannot
// be known.
type UnknowableError struct {
	Start  Point
	Tables []Unknowable
}

func (e *UnknowableError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "schema: the table definitions in force at %s cannot be reconstructed, so its rows cannot be decoded without guessing: ", e.Start)
	last := e.Start
	for i, u := range e.Tables {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s.%s is changed at %s by %q before anything in the binlog defines it", u.Schema, u.Name, u.At, oneLine(u.Statement, 120))
		if u.At.Compare(last) > 0 {
			last = u.At
		}
	}
	fmt.Fprintf(&b, ". Start at or after %s (past the last of these changes), or keep a schema history from a point before them (the state directory: --state-dir, or a pipeline's state_dir)", last)
	return b.String()
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

// Forward replays a binlog window's DDL from nothing: it returns the
// tables the window itself creates, as they stand at its end, and leaves
// out any table the window changes before creating (its definition came
// from before the window). settings supplies the server settings (flavor,
// defaults, database charsets); its tables are ignored.
//
// With Rewind it recovers a table that a later window makes unknowable:
// when the server still has the binlog from before that window's start,
// and that older binlog creates the table, Forward over it gives the
// table's definition at the start.
func Forward(settings *Catalog, window []QueryAt, policy DDLErrorPolicy) (*Catalog, error) {
	scratch := settings.Clone()
	for _, t := range scratch.Tables() {
		scratch.deleteTable(t.Schema, t.Name)
	}
	tainted := map[[2]string]bool{}
	app := NewApplier()
	for _, q := range window {
		if !mayChangeSchema(q.Query) {
			continue
		}
		app.SetSQLMode(q.SQLMode)
		_, err := app.Apply(scratch, q.Schema, q.Query)
		var other []error
		for _, e := range leafErrors(err) {
			var ut *UnknownTableError
			if errors.As(e, &ut) {
				tainted[scratch.TableKey(ut.Schema, ut.Name)] = true
				continue
			}
			other = append(other, e)
		}
		if len(other) > 0 && policy == DDLFail {
			return nil, &DDLError{At: q.At, Statement: q.Query, Err: errors.Join(other...)}
		}
		if err != nil {
			// Whatever the failed statement would have made under other
			// names came from an unknown table too.
			for _, n := range app.tableNames(q.Schema, q.Query) {
				tainted[scratch.TableKey(n[0], n[1])] = true
			}
		}
	}
	for _, t := range scratch.Tables() {
		if tainted[scratch.TableKey(t.Schema, t.Name)] {
			scratch.deleteTable(t.Schema, t.Name)
		}
	}
	return scratch, nil
}
