package core

// Position is where a change stands in the source's log: the binlog file
// and the offset just past the event that made it, with the source's GTID
// state there when known (information only: File and Pos order changes).
type Position struct {
	File string `json:"file"`
	Pos  uint64 `json:"pos"`
	GTID string `json:"gtid,omitempty"`
	// Snapshot is the progress of an initial snapshot (or a re-snapshot
	// of some tables) at this point of the log, in the source's own
	// encoding: sinks store it with the checkpoint, verbatim, so that a
	// restart continues the snapshot exactly where the committed data
	// leaves it. Empty when no snapshot is or was in progress.
	Snapshot string `json:"snapshot,omitempty"`
}

// SchemaChangeKind names what a DDL statement did.
type SchemaChangeKind string

// The kinds of schema change.
const (
	CreateTable    SchemaChangeKind = "create_table"
	AlterTable     SchemaChangeKind = "alter_table"
	DropTable      SchemaChangeKind = "drop_table"
	RenameTable    SchemaChangeKind = "rename_table"
	TruncateTable  SchemaChangeKind = "truncate_table"
	CreateDatabase SchemaChangeKind = "create_database"
	AlterDatabase  SchemaChangeKind = "alter_database"
	DropDatabase   SchemaChangeKind = "drop_database"
)

// SchemaChange is the record a DDL statement becomes, one per table (or
// database) it changed: what the table was and what it is now, so that a
// sink can evolve its own table, and the statement and position that made
// the change. Row records after Position carry New's Version.
type SchemaChange struct {
	Kind SchemaChangeKind `json:"kind"`
	// Old is nil for a create, New nil for a drop. A rename has Old
	// under the old name and New under the new one; a truncate has the
	// same table in both.
	Old *Table `json:"old,omitempty"`
	New *Table `json:"new,omitempty"`
	// Database names the database of a database change (and the table's
	// database otherwise).
	Database string `json:"database"`
	// Renamed lists the columns an ALTER TABLE renamed (RENAME COLUMN,
	// CHANGE old new), by their names in Old and in New, so that a sink
	// renames rather than drops and adds. Other columns of New missing
	// from Old were added, and of Old missing from New were dropped.
	Renamed []ColumnRename `json:"renamed,omitempty"`
	// Statement is the DDL as the source logged it.
	Statement string   `json:"statement"`
	Position  Position `json:"position"`
	// Snapshot marks a change a snapshot made rather than a statement of
	// the source: a target table created before its rows are copied, or
	// emptied before a table is copied again (a re-snapshot). Sinks
	// apply it whatever their schema policies say (a truncate policy of
	// ignore is for the source's TRUNCATE statements).
	Snapshot bool `json:"snapshot,omitempty"`
}

// ColumnRename is one renamed column.
type ColumnRename struct {
	From string `json:"from"`
	To   string `json:"to"`
}
