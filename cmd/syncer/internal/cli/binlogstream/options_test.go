package binlogstream

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/cmd/syncer/internal/cli/command"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
	"github.com/seed5aa6e046/syncer/sources/mysql/schema"
)

func noEnv(string) string { return "" }

func TestParseArgs(t *testing.T) {
	opts, err := ParseArgs([]string{"--dsn", "u:p@tcp(db:3307)/", "--start-file", "mysql-bin.000007", "--start-pos", "4711",
		"--until-now", "--server-id", "99", "--heartbeat", "2s", "--tables", "shop.*", "--types", "XID"}, io.Discard, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Conn.Addr != "db:3307" || opts.Conn.User != "u" {
		t.Errorf("conn %+v", opts.Conn)
	}
	if opts.Start != (replication.Position{File: "mysql-bin.000007", Pos: 4711}) || !opts.UntilNow || opts.ServerID != 99 || opts.Heartbeat != 2*time.Second {
		t.Errorf("opts %+v", opts)
	}
	if len(opts.Tables) != 1 || len(opts.Types) != 1 {
		t.Errorf("filters %+v %+v", opts.Tables, opts.Types)
	}

	opts, err = ParseArgs([]string{"--start-file", "f.000001"}, io.Discard, func(k string) string {
		if k == dsnEnv {
			return "mysql://u:p%40w@h/"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if opts.Conn.Password != "p@w" || opts.Start.Pos != 4 {
		t.Errorf("DSN from the environment: %+v, start %v", opts.Conn, opts.Start)
	}

	for _, g := range []string{"0-1-100,1-2-7", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77"} {
		opts, err = ParseArgs([]string{"--dsn", "u@tcp(h)/", "--start-gtid", g}, io.Discard, noEnv)
		if err != nil {
			t.Fatal(err)
		}
		if opts.Start.Mode() != replication.ModeMariaDBGTID && opts.Start.Mode() != replication.ModeMySQLGTID {
			t.Errorf("--start-gtid %s: mode %v", g, opts.Start.Mode())
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	for args, want := range map[string]string{
		"":                              "no source",
		"--dsn u@tcp(h)/ --start-pos 9": "--start-pos needs --start-file",
		"--dsn u@tcp(h)/ --start-file f --start-pos 2":         "inside the 4-byte magic",
		"--dsn u@tcp(h)/ --start-file f --start-gtid 0-1-1":    "cannot be combined",
		"--dsn u@tcp(h)/ --start-gtid 0-1":                     "--start-gtid",
		"--dsn u@tcp(h)/ --server-id 0":                        "--server-id 0",
		"--dsn u@tcp(h)/ --heartbeat 0s":                       "--heartbeat",
		"--dsn u@tcp(h)/ --read-timeout 1s":                    "must exceed --heartbeat",
		"--dsn u@tcp(h)/ --stats":                              "--until-now",
		"--dsn u@tcp(h)/ --log-format xml":                     "--log-format",
		"--dsn u@tcp(h)/?bogus=1":                              "unknown option",
		"--dsn u@tcp(h)/ extra":                                "takes no arguments",
		"--dsn u@tcp(h)/ --types NOPE":                         "unknown event type",
		"--dsn u@tcp(h)/ --nope":                               "nope",
		"--dsn u@tcp(h)/ --state-dir d --on-ddl-error maybe":   "want fail or skip",
		"--dsn u@tcp(h)/ --on-ddl-error skip":                  "applies to the schema tracking of --state-dir",
		"--dsn u@tcp(h)/ --state-dir d --start-gtid 0-1-1":     "kept by file position",
		"--dsn u@tcp(h)/ --state-dir d --on-schema-mismatch x": "want fail or reread",
		"--dsn u@tcp(h)/ --on-schema-mismatch reread":          "applies to the schema tracking of --state-dir",
	} {
		_, err := ParseArgs(strings.Fields(args), io.Discard, noEnv)
		var ue *command.UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want a usage error containing %q", args, err, want)
		}
	}
	opts, err := ParseArgs(strings.Fields("--dsn u@tcp(h)/ --state-dir /tmp/s --on-ddl-error skip --start-file f.000002"), io.Discard, noEnv)
	if err != nil || opts.StateDir != "/tmp/s" || opts.OnDDLError != schema.DDLSkip || opts.Start.File != "f.000002" {
		t.Errorf("--state-dir/--on-ddl-error: %+v, %v", opts, err)
	}
	var out strings.Builder
	if _, err := ParseArgs([]string{"--help"}, &out, noEnv); err != command.ErrHelpShown || !strings.Contains(out.String(), "--until-now") {
		t.Errorf("--help: %v, %q", err, out.String())
	}
}
