// Package command holds what every syncer subcommand shares: the Command
// type, usage errors and exit codes. It exists so that the root package can
// import the subcommand packages without an import cycle.
package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes of the syncer binary.
const (
	ExitOK      = 0 // success
	ExitFailure = 1 // the command ran and failed: bad input, unreadable file, ...
	ExitUsage   = 2 // the command line is wrong
)

// Env is what a command runs with: where its output goes.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
}

// Command is one leaf command, such as "binlog dump".
type Command struct {
	// Path is the command's words after "syncer", e.g. "binlog dump".
	Path string
	// Summary is a one-line description for the parent's help.
	Summary string
	// Run parses args (the words after Path) and runs the command. It
	// returns nil, a *UsageError, ErrHelpShown or any other error (a
	// failure).
	Run func(ctx context.Context, env Env, args []string) error
}

// ErrHelpShown is returned by Run after printing help because of --help:
// exit code 0.
var ErrHelpShown = errors.New("help shown")

// UsageError is a mistake on the command line, or an invalid input file
// named on it: exit code 2.
type UsageError struct {
	// Cmd is the command path for the "run --help" hint; empty for an
	// invalid input file, which gets no hint.
	Cmd string
	Msg string
}

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a *UsageError for command path cmd.
func Usagef(cmd, format string, args ...any) error {
	return &UsageError{Cmd: cmd, Msg: fmt.Sprintf(format, args...)}
}

// ParseInterspersed parses flags that may appear before, between or after
// the positional arguments (the standard flag package stops at the first
// positional argument). "--" ends flag parsing. It returns the positional
// arguments.
func ParseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse consumed a "--" if it stopped there.
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// FlagError turns an error from flag parsing into a *UsageError, or
// ErrHelpShown for -h/--help.
func FlagError(cmd string, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return ErrHelpShown
	}
	// The flag package's own wording is clear enough ("flag provided but
	// not defined: -x", "invalid value ... for flag -n").
	return &UsageError{Cmd: cmd, Msg: strings.TrimSpace(err.Error())}
}
