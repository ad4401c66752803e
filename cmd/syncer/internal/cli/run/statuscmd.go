package run

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seed5aa6e046/syncer/cmd/syncer/internal/cli/command"
	"github.com/seed5aa6e046/syncer/pipelines"
	"github.com/seed5aa6e046/syncer/sources/mysql/snapshot"
)

const statusHelp = `Usage:
  syncer status [flags] FILE

Shows what each pipeline of FILE is doing, as the 'syncer run' process
running it reports (it rewrites <state_dir>/<pipeline>/status.json every
second): its state (snapshotting, streaming, retrying, stopped, failed),
the sink's last checkpoint, the replication lag at the last commit, the
records applied, the last error, and while a snapshot runs each table's
rows copied of the estimated total, rows/s and the time left.

Flags:
`

func statusCmd(ctx context.Context, env command.Env, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var only stringList
	fs.Var(&only, "pipeline", "show only the named pipeline (repeatable; default: all)")
	output := fs.String("o", "text", "output: text or json")
	pos, err := command.ParseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, statusHelp)
			fs.SetOutput(env.Stdout)
			fs.PrintDefaults()
		}
		return command.FlagError("status", err)
	}
	if len(pos) != 1 {
		return command.Usagef("status", "status takes one pipeline file, got %d arguments", len(pos))
	}
	if *output != "text" && *output != "json" {
		return command.Usagef("status", "-o %q: want text or json", *output)
	}
	f, err := pipelines.Load(pos[0])
	if err != nil {
		return configError(err)
	}
	ps, err := selectPipelines(f, only)
	if err != nil {
		return command.Usagef("status", "%v", err)
	}
	type entry struct {
		Pipeline string          `json:"pipeline"`
		Running  bool            `json:"running"`
		Status   *PipelineStatus `json:"status,omitempty"`
		Note     string          `json:"note,omitempty"`
	}
	var entries []entry
	for _, p := range ps {
		st, running, err := ReadStatus(p)
		if err != nil {
			return err
		}
		e := entry{Pipeline: p.Name, Running: running, Status: st}
		switch {
		case st == nil:
			e.Note = "never run here (no status file in " + p.StateDir + ")"
		case !running && st.State != "stopped" && st.State != "failed":
			e.Note = "not running: the process that ran it is gone (killed?); last report " + ago(st.UpdatedAt)
		}
		entries = append(entries, e)
	}
	if *output == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PIPELINE\tSTATE\tPID\tCHECKPOINT\tLAG\tRECORDS\tUPDATED")
	for _, e := range entries {
		st := e.Status
		if st == nil {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t%s\n", e.Pipeline, e.Note)
			continue
		}
		state := st.State
		if !e.Running && state != "stopped" && state != "failed" {
			state = "gone (was " + state + ")"
		}
		cp, lag := "-", "-"
		if st.Checkpoint != nil {
			cp = st.Checkpoint.String()
			if st.Checkpoint.GTID != "" {
				cp += " gtid " + st.Checkpoint.GTID
			}
			lag = (time.Duration(st.LagSeconds*1000) * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\t%s\n", e.Pipeline, state, st.PID, cp, lag, st.Records, ago(st.UpdatedAt))
	}
	tw.Flush()
	for _, e := range entries {
		st := e.Status
		if st == nil {
			continue
		}
		if st.LastError != "" {
			fmt.Fprintf(env.Stdout, "\n%s: last error: %s\n", e.Pipeline, st.LastError)
		}
		if st.Snapshot != nil {
			printSnapshotStatus(env.Stdout, e.Pipeline, st.Snapshot)
		}
	}
	return nil
}

func printSnapshotStatus(w io.Writer, pipeline string, s *snapshot.Status) {
	done := 0
	for _, t := range s.Tables {
		if t.State == "done" {
			done++
		}
	}
	state := "complete"
	if s.Active {
		state = "in progress"
	}
	fmt.Fprintf(w, "\n%s: snapshot %s: %d of %s rows (%s), %s rows/s", pipeline, state, s.Rows, estimate(s.Estimated), percent(s.Rows, s.Estimated), fmtRate(s.RowsPerSecond))
	if s.Active && s.ETASeconds > 0 {
		fmt.Fprintf(w, ", %s left", fmtSeconds(s.ETASeconds))
	}
	fmt.Fprintf(w, "; %d of %d tables done\n", done, len(s.Tables))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  TABLE\tSTATE\tROWS\tESTIMATED\tDONE\tROWS/S\tLEFT")
	for _, t := range s.Tables {
		left := "-"
		if t.ETASeconds > 0 {
			left = fmtSeconds(t.ETASeconds)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\t%s\t%s\n", t.Table, t.State, t.Rows, estimate(t.Estimated), percent(t.Rows, t.Estimated), fmtRate(t.RowsPerSecond), left)
	}
	tw.Flush()
}

func estimate(n int64) string { return "~" + fmt.Sprint(n) }

func percent(a, b int64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(min(a, b))/float64(b))
}

func fmtRate(r float64) string {
	if r <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", r)
}

func fmtSeconds(s float64) string { return (time.Duration(s) * time.Second).String() }

func ago(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := time.Since(t).Round(time.Second)
	if d < time.Second {
		return "now"
	}
	return d.String() + " ago"
}

const snapshotHelp = `Usage:
  syncer snapshot [flags] --table DATABASE.TABLE [--table ...] FILE

Copies tables again (a re-snapshot) while the pipeline keeps streaming:
for a table added to the include list, or one whose target must be
rebuilt. Each table's target is emptied, then refilled chunk by chunk, in
step with the stream, as the initial snapshot does (other tables go on
streaming). The request is written to the pipeline's state directory: a
running 'syncer run' takes it within a second, otherwise the next start
does. 'syncer status' shows the copy's progress.

(Tables the include list covers that it did not before are copied at
the next start by themselves.)

Flags:
`

func snapshotCmd(ctx context.Context, env command.Env, args []string) error {
	fs := flag.NewFlagSet("snapshot", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var only, tables stringList
	fs.Var(&only, "pipeline", "the pipeline (required when FILE declares several)")
	fs.Var(&tables, "table", "a table to copy again, as database.table (repeatable, or comma-separated)")
	pos, err := command.ParseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, snapshotHelp)
			fs.SetOutput(env.Stdout)
			fs.PrintDefaults()
		}
		return command.FlagError("snapshot", err)
	}
	if len(pos) != 1 {
		return command.Usagef("snapshot", "snapshot takes one pipeline file, got %d arguments", len(pos))
	}
	var names []string
	for _, t := range tables {
		for _, n := range strings.Split(t, ",") {
			if n = strings.TrimSpace(n); n == "" {
				continue
			}
			db, table, ok := strings.Cut(n, ".")
			if !ok || db == "" || table == "" || strings.ContainsAny(n, "*?[") {
				return command.Usagef("snapshot", "--table %q: want database.table (one table, no globs)", n)
			}
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return command.Usagef("snapshot", "name the tables to copy again with --table database.table")
	}
	f, err := pipelines.Load(pos[0])
	if err != nil {
		return configError(err)
	}
	if len(only) == 0 && len(f.Pipelines) > 1 {
		var ps []string
		for _, p := range f.Pipelines {
			ps = append(ps, p.Name)
		}
		return command.Usagef("snapshot", "%s declares several pipelines (%s): choose one with --pipeline", f.Path, strings.Join(ps, ", "))
	}
	ps, err := selectPipelines(f, only)
	if err != nil {
		return command.Usagef("snapshot", "%v", err)
	}
	for _, p := range ps {
		for _, n := range names {
			db, table, _ := strings.Cut(n, ".")
			if !p.Includes(db, table) {
				return fmt.Errorf("pipeline %s does not replicate %s: its include/exclude lists leave it out; add it to source.include first (a newly included table is copied at the next start by itself)", p.Name, n)
			}
		}
		id, err := snapshot.WriteRequest(RequestDir(p), names)
		if err != nil {
			return err
		}
		_, running, _ := ReadStatus(p)
		when := "the next 'syncer run' takes it"
		if running {
			when = "the running 'syncer run' takes it within a second"
		}
		fmt.Fprintf(env.Stdout, "pipeline %s: re-snapshot of %s requested (request %s); %s; 'syncer status' shows its progress\n",
			p.Name, strings.Join(names, ", "), id, when)
	}
	return nil
}
