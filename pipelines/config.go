package pipelines

import (
	"path"
	"strings"
	"time"
)

// File is a loaded and validated pipelines file.
type File struct {
	// Path is the file's path as given to Load or Parse.
	Path string
	// StateDir is the resolved state directory: the file's state_dir, else
	// $SYNCER_STATE_DIR, else $XDG_STATE_HOME/syncer, else
	// ~/.local/state/syncer.
	StateDir string
	// Pipelines are in file order.
	Pipelines []*Pipeline
}

// Pipeline is one source → sink pipeline.
type Pipeline struct {
	// Name is unique within the file and matches [A-Za-z0-9_-]+.
	Name string
	// StateDir is <File.StateDir>/<Name>: the pipeline's schema history
	// lives there.
	StateDir string
	Source   Source
	Snapshot Snapshot
	Sink     Sink
	Batch    Batch
	Policies Policies
	Retry    Retry
}

// Source is a MySQL or MariaDB binlog source.
type Source struct {
	// Type is "mysql" or "mariadb" (the same code reads both).
	Type string
	// DSN is the expanded data source name, in go-sql-driver/mysql form or
	// as a mysql:// or mariadb:// URL.
	DSN string
	// ServerID is the replica server id, unique within the file. When the
	// file gives none it is derived from the pipeline name
	// (DefaultServerID).
	ServerID uint32
	// Include and Exclude are globs (path.Match, case-insensitive) over
	// database.table; an empty Include includes every user table.
	// Exclude applies after Include.
	Include, Exclude []string
	// ExcludeColumns are globs over database.table.column.
	ExcludeColumns []string
	// Start is where to begin reading when the sink has no checkpoint.
	Start Start
	// Heartbeat is the replication heartbeat period (5s).
	Heartbeat time.Duration
	// ReadTimeout is the network read timeout (30s).
	ReadTimeout time.Duration
	// OnDDLError is "fail" (default) or "skip".
	OnDDLError string
	// OnSchemaMismatch is "fail" (default) or "reread".
	OnSchemaMismatch string
}

// StartMode says where a pipeline without a checkpoint starts reading.
type StartMode int

const (
	// StartCurrent starts at the source's current binlog position.
	StartCurrent StartMode = iota
	// StartEarliest starts at the oldest binlog the source still has.
	StartEarliest
	// StartFilePos starts at Start.File, Start.Pos.
	StartFilePos
	// StartGTID starts after the GTID set (MySQL) or list (MariaDB)
	// Start.GTID.
	StartGTID
)

// String returns the YAML spelling of the mode.
func (m StartMode) String() string {
	switch m {
	case StartCurrent:
		return "current"
	case StartEarliest:
		return "earliest"
	case StartFilePos:
		return "file/pos"
	case StartGTID:
		return "gtid"
	}
	return "StartMode(?)"
}

// Start is the source.start key.
type Start struct {
	Mode StartMode
	// Set reports that the file gives source.start (Mode is StartCurrent
	// by default otherwise).
	Set bool
	// File and Pos are set for StartFilePos. Pos defaults to 4 (the first
	// event of a binlog file) when only a file is given.
	File string
	Pos  uint64
	// GTID is set for StartGTID.
	GTID string
}

// SnapshotMode says when a pipeline copies the tables' existing rows.
type SnapshotMode string

// The snapshot modes.
const (
	// SnapshotInitial copies every included table when the sink has no
	// checkpoint (a first run), then streams from where the copy was
	// taken. The default, unless source.start names another start.
	SnapshotInitial SnapshotMode = "initial"
	// SnapshotNever never copies: the pipeline streams the binlog from
	// source.start.
	SnapshotNever SnapshotMode = "never"
	// SnapshotSchemaOnly creates the target tables of every included
	// table on a first run, without their rows, then streams.
	SnapshotSchemaOnly SnapshotMode = "schema_only"
	// SnapshotAlways copies every included table at every start, each
	// target table emptied first, then streams from there.
	SnapshotAlways SnapshotMode = "always"
)

// Snapshot is the snapshot key: how a pipeline copies existing rows.
type Snapshot struct {
	Mode SnapshotMode
	// ChunkRows is the most rows one chunk reads (50000).
	ChunkRows int
	// ChunkBytes bounds a chunk by the table's average row length
	// (64MiB).
	ChunkBytes int64
	// Parallel is how many connections read chunks at once (2).
	Parallel int
}

// Sink is the sink key. Exactly one of the typed configurations is set,
// the one Type names.
type Sink struct {
	// Type is "postgres" (the only sink for now).
	Type     string
	Postgres *PostgresSink
}

// PostgresSink is the configuration of a sink of type postgres.
type PostgresSink struct {
	// DSN is the expanded connection string (URL or key=value form).
	DSN string
	// TargetSchema is the schema tables are written to; "{database}" is
	// replaced by the source database name ("{database}").
	TargetSchema string
	// StateSchema holds the checkpoint tables ("_syncer").
	StateSchema string
	// TinyInt1AsBoolean maps tinyint(1) columns to boolean.
	TinyInt1AsBoolean bool
	// KeylessTables is "refuse" (default) or "full_row".
	KeylessTables string
}

// Batch says when a batch closes.
type Batch struct {
	// MaxRecords is the record limit (20000).
	MaxRecords int
	// MaxBytes is the size limit in bytes (64MiB).
	MaxBytes int64
	// MaxLatency is how long a batch may stay open: it closes at the first
	// transaction end after this long (200ms).
	MaxLatency time.Duration
}

// Policies says how schema changes and awkward values are handled.
type Policies struct {
	// DropColumn and DropTable are "drop" (default) or "keep".
	DropColumn, DropTable string
	// Truncate is "apply" (default) or "ignore".
	Truncate string
	// ZeroDate is "null" (default), "infinity", "-infinity" or "error".
	ZeroDate string
	// InvalidDate is "null", "infinity", "-infinity" or "error" (default).
	InvalidDate string
	// NulInText is "strip", "replace" or "error" (default).
	NulInText string
	// Columns are per-column overrides; the first match wins.
	Columns []ColumnPolicy
}

// ColumnPolicy overrides value policies for the columns Match matches.
// An empty field means "use the pipeline's policy".
type ColumnPolicy struct {
	// Match is a glob over database.table.column.
	Match                            string
	ZeroDate, InvalidDate, NulInText string
}

// Retry says how long and how fast to retry a sink or source that is down.
type Retry struct {
	// MaxDuration is how long to keep retrying; 0 means forever.
	MaxDuration time.Duration
	// InitialBackoff (1s) doubles up to MaxBackoff (30s).
	InitialBackoff, MaxBackoff time.Duration
}

// Defaults.
const (
	DefaultSourceType       = "mysql"
	DefaultHeartbeat        = 5 * time.Second
	DefaultReadTimeout      = 30 * time.Second
	DefaultTargetSchema     = "{database}"
	DefaultStateSchema      = "_syncer"
	DefaultMaxRecords       = 20000
	DefaultMaxBytes         = 64 << 20
	DefaultMaxLatency       = 200 * time.Millisecond
	DefaultInitialBackoff   = time.Second
	DefaultMaxBackoff       = 30 * time.Second
	DefaultOnDDLError       = "fail"
	DefaultOnSchemaMismatch = "fail"
	DefaultKeylessTables    = "refuse"
	DefaultDropColumn       = "drop"
	DefaultDropTable        = "drop"
	DefaultTruncate         = "apply"
	DefaultZeroDate         = "null"
	DefaultInvalidDate      = "error"
	DefaultNulInText        = "error"
	DefaultSnapshotMode     = SnapshotInitial
	DefaultChunkRows        = 50000
	DefaultChunkBytes       = 64 << 20
	DefaultSnapshotParallel = 2
)

// SystemDatabases are the server's own databases, which an empty include
// list leaves out.
var SystemDatabases = []string{"mysql", "information_schema", "performance_schema", "sys"}

// Includes reports whether the pipeline replicates database.table: it
// matches an include glob (or there are none and the database is not one
// of SystemDatabases) and no exclude glob. Matching is case-insensitive.
func (p *Pipeline) Includes(database, table string) bool {
	return tableIncluded(p.Source.Include, p.Source.Exclude, database, table)
}

// TableFilter returns Includes for include and exclude lists other than
// the pipeline's (those a snapshot's checkpoint remembers).
func TableFilter(include, exclude []string) func(database, table string) bool {
	return func(database, table string) bool { return tableIncluded(include, exclude, database, table) }
}

func tableIncluded(include, exclude []string, database, table string) bool {
	name := database + "." + table
	if len(include) == 0 {
		for _, s := range SystemDatabases {
			if strings.EqualFold(database, s) {
				return false
			}
		}
	} else if !matchAny(include, name) {
		return false
	}
	return !matchAny(exclude, name)
}

// ExcludesColumn reports whether database.table.column matches an
// exclude_columns glob. Matching is case-insensitive.
func (p *Pipeline) ExcludesColumn(database, table, column string) bool {
	return matchAny(p.Source.ExcludeColumns, database+"."+table+"."+column)
}

// ColumnPolicy returns the value policies for database.table.column: the
// first matching policies.columns entry's fields, with the pipeline's
// policies for the fields it leaves empty. Its Match is the matching
// glob, or "" when none matched.
func (p *Pipeline) ColumnPolicy(database, table, column string) ColumnPolicy {
	cp := ColumnPolicy{ZeroDate: p.Policies.ZeroDate, InvalidDate: p.Policies.InvalidDate, NulInText: p.Policies.NulInText}
	name := database + "." + table + "." + column
	for _, c := range p.Policies.Columns {
		if globMatch(c.Match, name) {
			cp.Match = c.Match
			if c.ZeroDate != "" {
				cp.ZeroDate = c.ZeroDate
			}
			if c.InvalidDate != "" {
				cp.InvalidDate = c.InvalidDate
			}
			if c.NulInText != "" {
				cp.NulInText = c.NulInText
			}
			break
		}
	}
	return cp
}

func matchAny(globs []string, name string) bool {
	for _, g := range globs {
		if globMatch(g, name) {
			return true
		}
	}
	return false
}

// globMatch is a case-insensitive path.Match; globs are validated at load
// time, so a malformed one (impossible after Load) matches nothing.
func globMatch(glob, name string) bool {
	ok, err := matchGlob(glob, name)
	return err == nil && ok
}

func matchGlob(glob, name string) (bool, error) {
	return path.Match(strings.ToLower(glob), strings.ToLower(name))
}
