// Command syncer is the Syncer command-line tool. See the README for the command reference.
package main

import (
	"os"

	"github.com/seed5aa6e046/syncer/cmd/syncer/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
