package binlogstream

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/seed5aa6e046/syncer/cmd/syncer/internal/cli/binlogdump"
	"github.com/seed5aa6e046/syncer/cmd/syncer/internal/cli/command"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/cdc"
	"github.com/seed5aa6e046/syncer/sources/mysql/client"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
	"github.com/seed5aa6e046/syncer/sources/mysql/schema"
)

const cmdPath = "binlog stream"

// dsnEnv is read when --dsn is not given, so that a password need not
// appear on the command line (where ps shows it).
const dsnEnv = "SYNCER_DSN"

const usage = `Usage:
  syncer binlog stream --dsn DSN [flags]

Connects to a MySQL or MariaDB server as a replica and prints its binlog
events as JSON lines, the same lines as 'syncer binlog dump' plus where
each event ends:

  {"file":"mysql-bin.000003","pos":1234,"type":"XID",...,
   "next_position":{"file":"mysql-bin.000003","pos":1265},
   "gtid_position":"0-1-42"}

"in_transaction":true marks an event inside a transaction: its
next_position is not a safe place to resume from; the next_position of
an event without it is. "gtid_position" (after each transaction, when the
stream knows the GTID state) resumes with --start-gtid.

The stream survives network errors, stalls and server restarts: it
reconnects with back-off and resumes after the last complete transaction,
printing every event once.

Flags:
  --dsn DSN             the source: user:pass@tcp(host:port)/ or
                        mysql://user:pass@host:port/ (default: $SYNCER_DSN).
                        TLS and authentication options go in the DSN, see
                        the README
  --start-file F        start at binlog file F ...
  --start-pos P         ... at byte offset P (default 4, the first event)
  --start-gtid SET      start after the transactions of a MySQL GTID set
                        (uuid:1-5,...) or at a MariaDB GTID position
                        (domain-server-seq,...)
                        Without a start flag the stream starts at the
                        server's current position.
  --until-now           stop once everything up to the server's position at
                        start-up has been printed (exit 0)
  --tables LIST         keep only the TABLE_MAP and rows events of these
                        tables (schema.table patterns, * and ? wildcards)
  --types LIST          keep only these event types (QUERY,WRITE_ROWS,...)
  --server-id N         replica server_id to register with (default: random
                        in 1073741824-2147483647); must be unique among the
                        server's replicas
  --heartbeat D         heartbeat period asked of the server (default 5s)
  --read-timeout D      reconnect when nothing arrives for D (default 3x
                        the heartbeat)
  --max-reconnects N    give up after N failed reconnections in a row
                        (default 0: keep trying)
  --synthetic           also print the events the server makes up for the
                        connection (artificial ROTATE, resent
                        FORMAT_DESCRIPTION, heartbeats), marked
                        "synthetic":true
  --stats               print only a JSON summary at the end (with
                        --until-now): events, rows, bytes, rows/s, MB/s
  --state-dir DIR       keep the schema history and the last position reached
                        in DIR, and decode every row with the schema in
                        force when it was written: rows are keyed by column
                        name even without binlog_row_metadata=FULL and
                        carry "schema_version"; DDL events carry
                        "schema_changes". An empty DIR captures the schema
                        at the start position (with --start-file, derived
                        from the server's schema and the DDL since, or
                        refused when it cannot be known); a later run with
                        the same DIR and no start flag resumes where the
                        last one stopped
  --on-ddl-error P      with --state-dir: fail (default) stops at a DDL
                        statement the schema tracker cannot apply, naming
                        it and its position; skip warns and goes on
  --on-schema-mismatch P
                        with --state-dir, when a TABLE_MAP contradicts the
                        schema history (a DDL ran with sql_log_bin=0):
                        fail (default) stops before the rows, saying what
                        differs; reread takes the table's definition from
                        the server from that event on, when no DDL on the
                        table follows in the binlog and it agrees with the
                        TABLE_MAP
  --skip-preflight      do not check the server's configuration first
  --no-verify-checksum  do not verify CRC32 event checksums
  --log-format F        text (default) or json, for the log on stderr
  -h, --help            show this help

Exit status: 0 when --until-now completes or on SIGINT/SIGTERM, 1 when the
stream fails (the error says why and how to fix it), 2 for a usage error.
`

// Options are the settings of one "binlog stream" run.
type Options struct {
	Conn          *client.Config
	Start         replication.Position
	UntilNow      bool
	Tables        []binlogdump.TablePattern
	Types         []binlog.EventType
	ServerID      uint32
	Heartbeat     time.Duration
	ReadTimeout   time.Duration
	MaxReconnects int
	Synthetic     bool
	Stats         bool
	SkipPreflight bool
	NoVerify      bool
	LogJSON       bool
	StateDir      string
	OnDDLError    schema.DDLErrorPolicy
	OnMismatch    cdc.MismatchPolicy
}

// ParseArgs parses the command line. Help goes to stdout; getenv reads
// SYNCER_DSN.
func ParseArgs(args []string, stdout io.Writer, getenv func(string) string) (Options, error) {
	var opts Options
	var dsn, startFile, startGTID, tables, types, logFormat, onDDLError, onMismatch string
	var startPos uint64
	var serverID uint
	fs := flag.NewFlagSet(cmdPath, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&dsn, "dsn", "", "")
	fs.StringVar(&startFile, "start-file", "", "")
	fs.Uint64Var(&startPos, "start-pos", 0, "")
	fs.StringVar(&startGTID, "start-gtid", "", "")
	fs.BoolVar(&opts.UntilNow, "until-now", false, "")
	fs.StringVar(&tables, "tables", "", "")
	fs.StringVar(&types, "types", "", "")
	fs.UintVar(&serverID, "server-id", 0, "")
	fs.DurationVar(&opts.Heartbeat, "heartbeat", 5*time.Second, "")
	fs.DurationVar(&opts.ReadTimeout, "read-timeout", 0, "")
	fs.IntVar(&opts.MaxReconnects, "max-reconnects", 0, "")
	fs.BoolVar(&opts.Synthetic, "synthetic", false, "")
	fs.BoolVar(&opts.Stats, "stats", false, "")
	fs.BoolVar(&opts.SkipPreflight, "skip-preflight", false, "")
	fs.BoolVar(&opts.NoVerify, "no-verify-checksum", false, "")
	fs.StringVar(&logFormat, "log-format", "text", "")
	fs.StringVar(&opts.StateDir, "state-dir", "", "")
	fs.StringVar(&onDDLError, "on-ddl-error", "fail", "")
	fs.StringVar(&onMismatch, "on-schema-mismatch", "fail", "")
	rest, err := command.ParseInterspersed(fs, args)
	if err != nil {
		err = command.FlagError(cmdPath, err)
		if err == command.ErrHelpShown {
			fmt.Fprint(stdout, usage)
		}
		return opts, err
	}
	if len(rest) > 0 {
		return opts, command.Usagef(cmdPath, "binlog stream takes no arguments (got %q); the source is given with --dsn", rest[0])
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if dsn == "" {
		dsn = getenv(dsnEnv)
	}
	if dsn == "" {
		return opts, command.Usagef(cmdPath, "no source: give --dsn user:pass@tcp(host:port)/ (or set $%s)", dsnEnv)
	}
	if opts.Conn, err = client.ParseDSN(dsn); err != nil {
		return opts, command.Usagef(cmdPath, "--dsn: %v", err)
	}
	switch {
	case startGTID != "" && (startFile != "" || set["start-pos"]):
		return opts, command.Usagef(cmdPath, "--start-gtid cannot be combined with --start-file/--start-pos: give one start position")
	case set["start-pos"] && startFile == "":
		return opts, command.Usagef(cmdPath, "--start-pos needs --start-file")
	case startFile != "":
		if set["start-pos"] && startPos < 4 {
			return opts, command.Usagef(cmdPath, "--start-pos %d is inside the 4-byte magic number; the first event of a file is at 4", startPos)
		}
		if startPos == 0 {
			startPos = 4
		}
		opts.Start = replication.Position{File: startFile, Pos: startPos}
	case startGTID != "":
		if opts.Start, err = replication.ParseStartGTID(startGTID); err != nil {
			return opts, command.Usagef(cmdPath, "--start-gtid: %v", err)
		}
	}
	if set["server-id"] {
		if serverID == 0 || serverID > 1<<32-1 {
			return opts, command.Usagef(cmdPath, "--server-id %d: want 1 to 4294967295 (0 is refused by the server)", serverID)
		}
		opts.ServerID = uint32(serverID)
	}
	if opts.Heartbeat <= 0 {
		return opts, command.Usagef(cmdPath, "--heartbeat %s: want a positive duration such as 5s", opts.Heartbeat)
	}
	if opts.ReadTimeout != 0 && opts.ReadTimeout <= opts.Heartbeat {
		return opts, command.Usagef(cmdPath, "--read-timeout %s must exceed --heartbeat %s", opts.ReadTimeout, opts.Heartbeat)
	}
	if opts.MaxReconnects < 0 {
		return opts, command.Usagef(cmdPath, "--max-reconnects must not be negative")
	}
	if opts.Stats && !opts.UntilNow {
		return opts, command.Usagef(cmdPath, "--stats prints its summary when the stream ends: use it with --until-now")
	}
	switch strings.ToLower(logFormat) {
	case "text":
	case "json":
		opts.LogJSON = true
	default:
		return opts, command.Usagef(cmdPath, "--log-format %q: want text or json", logFormat)
	}
	if opts.Tables, err = binlogdump.ParseTables(cmdPath, tables); err != nil {
		return opts, err
	}
	if opts.Types, err = binlogdump.ParseTypes(cmdPath, types); err != nil {
		return opts, err
	}
	if opts.OnDDLError, err = schema.ParseDDLErrorPolicy(onDDLError); err != nil {
		return opts, command.Usagef(cmdPath, "--on-ddl-error: %v", err)
	}
	if opts.OnMismatch, err = cdc.ParseMismatchPolicy(onMismatch); err != nil {
		return opts, command.Usagef(cmdPath, "--on-schema-mismatch: %v", err)
	}
	for _, f := range []string{"on-ddl-error", "on-schema-mismatch"} {
		if set[f] && opts.StateDir == "" {
			return opts, command.Usagef(cmdPath, "--%s applies to the schema tracking of --state-dir", f)
		}
	}
	if opts.StateDir != "" && startGTID != "" {
		return opts, command.Usagef(cmdPath, "--start-gtid cannot be used with --state-dir: the schema history is kept by file position; "+
			"start with --start-file/--start-pos or at the current position (no start flag)")
	}
	return opts, nil
}

// NewCmd returns the "binlog stream" command.
func NewCmd() *command.Command {
	return &command.Command{
		Path:    cmdPath,
		Summary: "stream a server's binlog as a replica and print its events as JSON lines",
		Run: func(ctx context.Context, env command.Env, args []string) error {
			opts, err := ParseArgs(args, env.Stdout, os.Getenv)
			if err != nil {
				return err
			}
			return Run(ctx, opts, env.Stdout, env.Stderr)
		},
	}
}
