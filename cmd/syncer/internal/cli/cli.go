// Package cli is the syncer command line: it parses the command words,
// dispatches to one package per command (binlogdump for "binlog dump", ...),
// prints errors as "syncer: <message>" and maps them to exit codes (0 ok,
// 1 failure, 2 usage error). The README is the user's reference.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"

	"github.com/seed5aa6e046/syncer/cmd/syncer/internal/cli/binlogdump"
	"github.com/seed5aa6e046/syncer/cmd/syncer/internal/cli/binlogstream"
	"github.com/seed5aa6e046/syncer/cmd/syncer/internal/cli/command"
	runcmd "github.com/seed5aa6e046/syncer/cmd/syncer/internal/cli/run"
)

// commands returns every leaf command. Built on each call: no global state.
func commands() []*command.Command {
	return append(runcmd.NewCmds(),
		binlogdump.NewCmd(),
		binlogstream.NewCmd(),
		&command.Command{
			Path:    "version",
			Summary: "print the syncer version",
			Run:     runVersion,
		},
	)
}

const rootHelp = `Syncer: change data capture from MySQL and MariaDB.

Usage:
  syncer <command> [flags] [arguments]

Commands:
%s
Run 'syncer <command> --help' for a command's flags.
Exit status: 0 on success, 1 when the command fails (bad input, unreadable
file), 2 for a usage error.
`

// Main runs syncer with args (without the program name) and returns the exit
// code.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, command.Env{Stdout: stdout, Stderr: stderr})
}

func run(ctx context.Context, args []string, env command.Env) int {
	cmds := commands()
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, rootUsage(cmds, ""))
		return command.ExitUsage
	}
	if isHelp(args[0]) {
		if len(args) > 1 {
			// "syncer help binlog dump" is "syncer binlog dump --help".
			return run(ctx, append(args[1:len(args):len(args)], "--help"), env)
		}
		fmt.Fprint(env.Stdout, rootUsage(cmds, ""))
		return command.ExitOK
	}
	// Find the longest command path that the words start with.
	var cmd *command.Command
	n := 0
	for _, c := range cmds {
		words := strings.Fields(c.Path)
		if len(words) <= len(args) && equalWords(words, args[:len(words)]) && len(words) > n {
			cmd, n = c, len(words)
		}
	}
	if cmd == nil {
		// A group word alone ("syncer binlog") or followed by --help lists
		// its commands.
		prefix := args[0]
		if group := rootUsage(cmds, prefix); hasGroup(cmds, prefix) {
			if len(args) > 1 && isHelp(args[1]) {
				fmt.Fprint(env.Stdout, group)
				return command.ExitOK
			}
			if len(args) > 1 {
				fmt.Fprintf(env.Stderr, "syncer: unknown command %q\n\n", prefix+" "+args[1])
			}
			fmt.Fprint(env.Stderr, group)
			return command.ExitUsage
		}
		fmt.Fprintf(env.Stderr, "syncer: unknown command %q\nRun 'syncer --help' for usage.\n", args[0])
		return command.ExitUsage
	}
	err := cmd.Run(ctx, env, args[n:])
	var ue *command.UsageError
	switch {
	case err == nil, errors.Is(err, command.ErrHelpShown):
		return command.ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "syncer: %s\n", ue.Msg)
		if ue.Cmd != "" {
			// A mistake on the command line; an invalid input file
			// (no Cmd) is not one that --help explains.
			fmt.Fprintf(env.Stderr, "Run 'syncer %s --help' for usage.\n", cmd.Path)
		}
		return command.ExitUsage
	default:
		fmt.Fprintf(env.Stderr, "syncer: %v\n", err)
		return command.ExitFailure
	}
}

func isHelp(s string) bool { return s == "help" || s == "-h" || s == "-help" || s == "--help" }

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func hasGroup(cmds []*command.Command, group string) bool {
	for _, c := range cmds {
		if strings.HasPrefix(c.Path, group+" ") {
			return true
		}
	}
	return false
}

// rootUsage lists the commands, or only those under group when it is not
// empty.
func rootUsage(cmds []*command.Command, group string) string {
	sorted := append([]*command.Command(nil), cmds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	var b strings.Builder
	for _, c := range sorted {
		if group != "" && !strings.HasPrefix(c.Path, group+" ") {
			continue
		}
		fmt.Fprintf(&b, "  %-14s %s\n", c.Path, c.Summary)
	}
	if group != "" {
		return fmt.Sprintf("Usage:\n  syncer %s <command> [flags] [arguments]\n\nCommands:\n%s\nRun 'syncer %s <command> --help' for a command's flags.\n", group, b.String(), group)
	}
	return fmt.Sprintf(rootHelp, b.String())
}

// runVersion prints the version from the build information that the Go
// toolchain embeds: the module version (or "(devel)" for a source build)
// and the VCS revision.
func runVersion(_ context.Context, env command.Env, args []string) error {
	if len(args) > 0 {
		if isHelp(args[0]) {
			fmt.Fprint(env.Stdout, "Usage:\n  syncer version\n\nPrints the syncer version, the VCS commit it was built from, the Go version and the platform.\n")
			return command.ErrHelpShown
		}
		return command.Usagef("version", "version takes no arguments, got %q", args[0])
	}
	fmt.Fprintln(env.Stdout, versionString())
	return nil
}

func versionString() string {
	version, rev, modified := "(devel)", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	s := "syncer " + version
	if len(rev) > 12 {
		rev = rev[:12]
	}
	// A pseudo-version (v0.0.0-<date>-<rev>) already names the commit.
	if rev != "" && !strings.Contains(version, rev) {
		s += " commit " + rev
		if modified {
			s += "+dirty"
		}
	}
	return s + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}
