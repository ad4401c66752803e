package benchrun

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Pipeline is what a benchmark says about the one pipeline of a pipelines
// file; its source is the Env's MariaDB and its sink the Env's PostgreSQL.
type Pipeline struct {
	Name     string
	ServerID int    // source.server_id: syncer refuses one another replica uses
	Include  string // the table
	Start    string // source.start in YAML; "" for none (snapshot mode initial)
	// More are the pipeline's further keys (batch, snapshot), each one
	// "key: value" line of YAML.
	More []string
}

// WritePipelines writes a pipelines file with p, its state in stateDir,
// as dir/NAME.yaml and returns the file's path.
func (e *Env) WritePipelines(dir, stateDir string, p Pipeline) (string, error) {
	start := ""
	if p.Start != "" {
		start = "      start: " + p.Start + "\n"
	}
	var more strings.Builder
	for _, k := range p.More {
		more.WriteString("    " + k + "\n")
	}
	y := fmt.Sprintf(`# Written by %s.
state_dir: %s
pipelines:
  - name: %s
    source:
      dsn: %s
      server_id: %d
      include: [%s]
%s    sink:
      type: postgres
      dsn: %s
%s`, e.Name, strconv.Quote(stateDir), p.Name, strconv.Quote(e.MariaDB.DSN()), p.ServerID, strconv.Quote(p.Include),
		start, strconv.Quote(e.Postgres.DSN()), more.String())
	path := filepath.Join(dir, p.Name+".yaml")
	return path, os.WriteFile(path, []byte(y), 0o600)
}
