package run

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/seed5aa6e046/syncer/cmd/syncer/internal/cli/command"
	"github.com/seed5aa6e046/syncer/pipelines"
)

const runHelp = `Usage:
  syncer run [flags] FILE

Runs the pipelines that FILE (YAML) declares until SIGINT or SIGTERM: each
reads its source's binlog as a replica and applies every row change to its
sink in transactional batches, resuming from the sink's checkpoint. The file
is validated first, as 'syncer validate' does; nothing connects before it
is valid. See docs/pipelines.md for the file's schema.

A stop (SIGINT, SIGTERM) lets each pipeline finish the source transaction in
flight and commit it, or roll its batch back when it does not end within
10s; the exit status is then 0. A pipeline that fails stops the others and
the exit status is 1.

Flags:
`

const validateHelp = `Usage:
  syncer validate FILE

Checks a pipeline file without connecting to anything: YAML syntax, unknown
keys, types, values, required keys, impossible combinations and unset
${ENV} references, each reported with file:line:column and a fix. Exit
status 0 when valid, 2 when not.
`

// NewCmds returns "run", "validate", "verify", "status" and "snapshot".
func NewCmds() []*command.Command {
	return []*command.Command{
		{Path: "run", Summary: "run the pipelines of a YAML file", Run: runCmd},
		{Path: "validate", Summary: "check a pipeline file without connecting", Run: validateCmd},
		{Path: "verify", Summary: "compare a pipeline's source tables with its sink tables", Run: verifyCmd},
		{Path: "status", Summary: "show the state, position, lag and snapshot progress of pipelines", Run: statusCmd},
		{Path: "snapshot", Summary: "copy tables again while a pipeline streams (re-snapshot)", Run: snapshotCmd},
	}
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func runCmd(ctx context.Context, env command.Env, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	// Help goes to stdout (below); flag errors are reported by the
	// caller with a pointer to --help.
	fs.SetOutput(io.Discard)
	var only stringList
	fs.Var(&only, "pipeline", "run only the named pipeline (repeatable; default: all)")
	logFormat := fs.String("log-format", "text", "log format on stderr: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	pos, err := command.ParseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, runHelp)
			fs.SetOutput(env.Stdout)
			fs.PrintDefaults()
		}
		return command.FlagError("run", err)
	}
	if len(pos) != 1 {
		return command.Usagef("run", "run takes one pipeline file, got %d arguments", len(pos))
	}
	log, err := newLogger(env.Stderr, *logFormat, *logLevel)
	if err != nil {
		return command.Usagef("run", "%v", err)
	}
	f, err := pipelines.Load(pos[0])
	if err != nil {
		return configError(err)
	}
	names := make([]string, len(f.Pipelines))
	for i, p := range f.Pipelines {
		names[i] = p.Name
	}
	log.Info("starting", "file", f.Path, "pipelines", strings.Join(names, ","))
	if err := runAll(ctx, f, only, log); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

func validateCmd(ctx context.Context, env command.Env, args []string) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprint(env.Stdout, validateHelp)
		return command.ErrHelpShown
	}
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return command.Usagef("validate", "validate takes one pipeline file")
	}
	f, err := pipelines.Load(args[0])
	if err != nil {
		return configError(err)
	}
	fmt.Fprintf(env.Stdout, "%s: valid, %d pipeline(s)\n", f.Path, len(f.Pipelines))
	for _, p := range f.Pipelines {
		fmt.Fprintf(env.Stdout, "  %s: %s source → %s sink, snapshot %s, state in %s\n", p.Name, p.Source.Type, p.Sink.Type, p.Snapshot.Mode, p.StateDir)
	}
	return nil
}

// configError reports an invalid pipeline file as a usage error (exit 2):
// every problem on its own line, with file:line:column.
func configError(err error) error {
	return &command.UsageError{Msg: "invalid pipeline file:\n" + err.Error()}
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}
