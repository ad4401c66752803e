package binlogdump

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/seed5aa6e046/syncer/cmd/syncer/internal/cli/command"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/client"
	"github.com/seed5aa6e046/syncer/sources/mysql/schema"
)

const cmdPath = "binlog dump"

const usage = `Usage:
  syncer binlog dump [flags] FILE...

Reads binlog or relay-log files in the order given and prints every event
as one JSON object per line:

  {"file":"binlog.000001","pos":4,"type":"FORMAT_DESCRIPTION",
   "header":{"timestamp":1700000000,"server_id":1,"log_pos":126,"flags":0},
   ...the event's own fields...}

Rows events carry "table":{"schema":...,"name":...} and
"rows":[{"before":{...},"after":{...}}], keyed by column name when the
binlog has the names (binlog_row_metadata=FULL), else "@1", "@2", ...
Events decompressed from a TRANSACTION_PAYLOAD follow it with
"in_payload":true. The README describes every field and value format.

Flags:
  --start-position N    start at byte offset N of the first file, which must
                        be where an event starts (an event's "pos"); the
                        file's FORMAT_DESCRIPTION is still read first
  --stop-position N     stop at the first event of the last file that starts
                        at or after byte offset N
  --tables LIST         keep only the TABLE_MAP and rows events of these
                        tables; all other events are kept. LIST is
                        comma-separated schema.table patterns where * and ?
                        are wildcards: shop.orders,shop.*,*.users
  --types LIST          keep only events of these types, comma-separated, as
                        written in "type": QUERY,WRITE_ROWS,UPDATE_ROWS
  --stats               decode every event and every value of every row, but
                        print only one JSON summary: events per type, rows,
                        bytes, elapsed seconds, rows/s and MB/s
  --no-verify-checksum  do not verify CRC32 event checksums
  --schema-from DSN     decode rows with the schema in force when they were
                        written, tracked from the server that wrote the
                        files (DSN as for 'binlog stream'; default
                        $SYNCER_DSN when --state-dir is given): rows are
                        keyed by column name even without
                        binlog_row_metadata=FULL, and carry
                        "schema_version"; DDL events carry "schema_changes"
  --state-dir DIR       where the schema history is kept (needed with
                        --schema-from). Empty, the schema at the start of
                        the files is derived from the server's current
                        schema and the DDL in the binlog since then, or
                        refused when it cannot be known; later runs on the
                        same server's files reuse it
  --on-ddl-error P      fail (default): stop at a DDL statement the schema
                        tracker cannot apply; skip: warn and go on
  -h, --help            show this help

Exit status: 0 on success, 1 when a file cannot be read or decoded (the
error names the file, the offset and the event type; events before it have
been printed), 2 for a usage error.
`

// Options are the settings of one "binlog dump" run.
type Options struct {
	// Files are read in order, as one stream.
	Files []string
	// StartPosition is a byte offset in the first file (0: from the start).
	StartPosition int64
	// StopPosition is a byte offset in the last file (0: to the end).
	StopPosition int64
	// Tables filters TABLE_MAP and rows events by schema.table patterns
	// (path.Match syntax in each part). Empty: no filter.
	Tables []TablePattern
	// Types keeps only these event types. Empty: all types.
	Types []binlog.EventType
	// Stats prints a summary instead of the events.
	Stats bool
	// NoVerifyChecksum skips CRC32 verification.
	NoVerifyChecksum bool
	// SchemaFrom is the server the files come from; with StateDir, rows
	// are decoded with the tracked schema (nil: no tracking).
	SchemaFrom *client.Config
	StateDir   string
	OnDDLError schema.DDLErrorPolicy
}

// TablePattern matches a schema and a table name.
type TablePattern struct {
	Schema, Table string
}

// Match reports whether schema.table matches the pattern.
func (p TablePattern) Match(schema, table string) bool {
	ok1, _ := path.Match(p.Schema, schema)
	ok2, _ := path.Match(p.Table, table)
	return ok1 && ok2
}

// NewCmd returns the "binlog dump" command.
func NewCmd() *command.Command {
	return &command.Command{
		Path:    cmdPath,
		Summary: "print the events of binlog files as JSON lines",
		Run: func(ctx context.Context, env command.Env, args []string) error {
			opts, err := ParseArgs(args, env.Stdout, os.Getenv)
			if err != nil {
				return err
			}
			return Run(ctx, opts, env.Stdout, env.Stderr)
		},
	}
}

// dsnEnv supplies --schema-from, as it does --dsn for "binlog stream".
const dsnEnv = "SYNCER_DSN"

// ParseArgs parses the command line of "binlog dump". Help goes to stdout;
// getenv reads SYNCER_DSN.
func ParseArgs(args []string, stdout io.Writer, getenv func(string) string) (Options, error) {
	var opts Options
	var tables, types, schemaFrom, onDDLError string
	fs := flag.NewFlagSet(cmdPath, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Int64Var(&opts.StartPosition, "start-position", 0, "")
	fs.Int64Var(&opts.StopPosition, "stop-position", 0, "")
	fs.StringVar(&tables, "tables", "", "")
	fs.StringVar(&types, "types", "", "")
	fs.BoolVar(&opts.Stats, "stats", false, "")
	fs.BoolVar(&opts.NoVerifyChecksum, "no-verify-checksum", false, "")
	fs.StringVar(&schemaFrom, "schema-from", "", "")
	fs.StringVar(&opts.StateDir, "state-dir", "", "")
	fs.StringVar(&onDDLError, "on-ddl-error", "fail", "")
	files, err := command.ParseInterspersed(fs, args)
	if err != nil {
		err = command.FlagError(cmdPath, err)
		if err == command.ErrHelpShown {
			fmt.Fprint(stdout, usage)
		}
		return opts, err
	}
	opts.Files = files
	if len(files) == 0 {
		return opts, command.Usagef(cmdPath, "binlog dump needs at least one FILE")
	}
	if opts.StartPosition < 0 || opts.StopPosition < 0 {
		return opts, command.Usagef(cmdPath, "positions must not be negative")
	}
	if opts.StartPosition > 0 && opts.StartPosition < 4 {
		return opts, command.Usagef(cmdPath, "--start-position %d is inside the 4-byte magic number; the first event is at 4", opts.StartPosition)
	}
	if len(files) == 1 && opts.StopPosition > 0 && opts.StopPosition <= opts.StartPosition {
		return opts, command.Usagef(cmdPath, "--stop-position %d must be greater than --start-position %d", opts.StopPosition, opts.StartPosition)
	}
	if opts.Tables, err = parseTables(tables); err != nil {
		return opts, err
	}
	if opts.Types, err = parseTypes(types); err != nil {
		return opts, err
	}
	if opts.OnDDLError, err = schema.ParseDDLErrorPolicy(onDDLError); err != nil {
		return opts, command.Usagef(cmdPath, "--on-ddl-error: %v", err)
	}
	if schemaFrom == "" && opts.StateDir != "" {
		schemaFrom = getenv(dsnEnv)
	}
	switch {
	case schemaFrom != "" && opts.StateDir == "":
		return opts, command.Usagef(cmdPath, "--schema-from needs --state-dir DIR, where the schema history is kept")
	case opts.StateDir != "" && schemaFrom == "":
		return opts, command.Usagef(cmdPath, "--state-dir needs --schema-from DSN (or $%s): the server that wrote the files", dsnEnv)
	case schemaFrom != "":
		if opts.SchemaFrom, err = client.ParseDSN(schemaFrom); err != nil {
			return opts, command.Usagef(cmdPath, "--schema-from: %v", err)
		}
	}
	return opts, nil
}

func parseTables(s string) ([]TablePattern, error) { return parseTablesFor(cmdPath, s) }

func parseTablesFor(cmdPath, s string) ([]TablePattern, error) {
	if s == "" {
		return nil, nil
	}
	var out []TablePattern
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		schema, table, ok := strings.Cut(item, ".")
		if !ok || schema == "" || table == "" {
			return nil, command.Usagef(cmdPath, "--tables: %q is not schema.table (use schema.* for every table of a schema)", item)
		}
		for _, p := range []string{schema, table} {
			if _, err := path.Match(p, ""); err != nil {
				return nil, command.Usagef(cmdPath, "--tables: bad pattern %q: %v", item, err)
			}
		}
		out = append(out, TablePattern{Schema: schema, Table: table})
	}
	return out, nil
}

func parseTypes(s string) ([]binlog.EventType, error) { return parseTypesFor(cmdPath, s) }

func parseTypesFor(cmdPath, s string) ([]binlog.EventType, error) {
	if s == "" {
		return nil, nil
	}
	byName := make(map[string]binlog.EventType, 256)
	for i := 0; i < 256; i++ {
		t := binlog.EventType(i)
		byName[t.String()] = t
	}
	var out []binlog.EventType
	for _, item := range strings.Split(s, ",") {
		name := strings.ToUpper(strings.TrimSpace(item))
		t, ok := byName[name]
		if !ok {
			return nil, command.Usagef(cmdPath, "--types: unknown event type %q (names as printed in \"type\", e.g. QUERY, WRITE_ROWS, TABLE_MAP, MARIA_GTID, or TYPE_N for code N)", item)
		}
		out = append(out, t)
	}
	return out, nil
}
