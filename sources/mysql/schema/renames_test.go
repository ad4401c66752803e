package schema

import (
	"reflect"
	"testing"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
)

// An ALTER TABLE that renames columns (RENAME COLUMN, CHANGE old new)
// lists them in the schema change, by their names in Old and New; other
// ALTERs, a CHANGE that keeps the name (or changes only its case) and
// renames swapping two columns are told apart.
func TestTrackerColumnRenames(t *testing.T) {
	for _, c := range []struct {
		stmt string
		want []core.ColumnRename
	}{
		{"ALTER TABLE t RENAME COLUMN a TO a2", []core.ColumnRename{{From: "a", To: "a2"}}},
		{"alter table t change column a a3 bigint", []core.ColumnRename{{From: "a", To: "a3"}}},
		{"ALTER TABLE t CHANGE a A INT", nil},
		{"ALTER TABLE t CHANGE a a BIGINT", nil},
		{"ALTER TABLE t MODIFY a BIGINT", nil},
		{"ALTER TABLE t ADD COLUMN changed INT, ADD COLUMN renamed INT", nil},
		{"ALTER TABLE t RENAME COLUMN a TO b, RENAME COLUMN b TO a", []core.ColumnRename{{From: "a", To: "b"}, {From: "b", To: "a"}}},
		{"ALTER TABLE t CHANGE a x INT, CHANGE b y VARCHAR(5), ADD z INT", []core.ColumnRename{{From: "a", To: "x"}, {From: "b", To: "y"}}},
		{"ALTER TABLE t RENAME COLUMN A TO q, RENAME TO u", []core.ColumnRename{{From: "a", To: "q"}}},
		{"ALTER TABLE t CHANGE a gone INT, DROP COLUMN gone", nil},
	} {
		cat := trackerCatalog(t, "CREATE DATABASE db", "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT)")
		tr := NewTracker(cat, TrackerOptions{})
		ch, err := tr.Query(&binlog.QueryEvent{Schema: "db", Query: c.stmt}, pt(100))
		if err != nil {
			t.Errorf("%s: %v", c.stmt, err)
			continue
		}
		if len(ch) != 1 {
			t.Errorf("%s: %d changes", c.stmt, len(ch))
			continue
		}
		if !reflect.DeepEqual(ch[0].Renamed, c.want) {
			t.Errorf("%s: renamed %+v, want %+v", c.stmt, ch[0].Renamed, c.want)
		}
	}
}
