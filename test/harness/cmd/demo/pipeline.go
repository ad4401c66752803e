package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/seed5aa6e046/syncer/pipelines"
)

// checkPipelineFile reads the pipelines file as syncer will (with the
// demo's environment on top of the process's) and returns the name of the
// pipeline whose checkpoint the demo waits for: name if set, else the
// file's only pipeline. It warns when that pipeline neither takes an
// initial snapshot nor starts at the earliest binlog: the rows the demo
// wrote before syncer started would never reach PostgreSQL.
func checkPipelineFile(path string, env map[string]string, name string, out *console) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	f, err := pipelines.Parse(path, data, func(k string) (string, bool) {
		if v, ok := env[k]; ok {
			return v, true
		}
		return os.LookupEnv(k)
	})
	if err != nil {
		return "", fmt.Errorf("the pipelines file is invalid:\n%w", err)
	}
	var names []string
	var p *pipelines.Pipeline
	for _, q := range f.Pipelines {
		names = append(names, q.Name)
		if q.Name == name || (name == "" && len(f.Pipelines) == 1) {
			p = q
		}
	}
	if p == nil {
		if name == "" {
			return "", fmt.Errorf("%s declares %d pipelines (%s): choose the one to check with -pipeline-name", path, len(names), strings.Join(names, ", "))
		}
		return "", fmt.Errorf("%s declares no pipeline %q (it has: %s)", path, name, strings.Join(names, ", "))
	}
	if p.Snapshot.Mode != pipelines.SnapshotInitial && p.Snapshot.Mode != pipelines.SnapshotAlways && p.Source.Start.Mode != pipelines.StartEarliest {
		out.printf("   WARNING: pipeline %s neither copies the tables (snapshot.mode %s) nor replays the binlog from the\n"+
			"   earliest file (source.start %s): the rows the demo wrote before syncer started will not reach\n"+
			"   PostgreSQL, and the comparison will find the tables DIFFERENT. Drop source.start (snapshot: initial).\n",
			p.Name, p.Snapshot.Mode, p.Source.Start.Mode.String())
	}
	return p.Name, nil
}
