package run

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seed5aa6e046/syncer/cmd/syncer/internal/cli/command"
	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/pipelines"
	"github.com/seed5aa6e046/syncer/sources/mysql/cdc"
	"github.com/seed5aa6e046/syncer/sources/mysql/client"
	"github.com/seed5aa6e046/syncer/sources/mysql/schema"
	"github.com/seed5aa6e046/syncer/sources/mysql/snapshot"
)

const verifyHelp = `Usage:
  syncer verify [flags] FILE

Compares every table a pipeline of FILE replicates with its sink table and
reports whether the target is exact: first the row counts, then chunk by
chunk (in key order, chunk-rows rows at a time) every source row against
the target row of the same key, then the target rows no source row has.
Each difference is listed with its key: missing (in the source, not the
target), different (with the columns that differ) or extra (in the
target only). Tables without a key are compared as multisets of rows.

Values are compared as the sink stores them: the source's rows are encoded
exactly as the sink would write them (type mapping and value policies),
and the target compares them with its own types.

The comparison is exact when the pipeline has caught up with a source
that is not changing; on a live source, rows changed since the pipeline
last applied them show as differences (run it again once the pipeline has
caught up).

Exit status: 0 when every table is equal, 1 when a table differs or the
comparison fails, 2 for a usage error. Works for the postgres sink.

Flags:
`

func verifyCmd(ctx context.Context, env command.Env, args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var only, tables stringList
	fs.Var(&only, "pipeline", "verify only the named pipeline (repeatable; default: all)")
	fs.Var(&tables, "tables", "verify only tables matching these database.table globs (comma-separated, repeatable; default: all the pipeline replicates)")
	chunkRows := fs.Int("chunk-rows", 50000, "source rows compared per chunk")
	maxDiffs := fs.Int("max-diffs", 20, "differing rows listed per table (the counts are always complete)")
	output := fs.String("o", "text", "output: text or json")
	pos, err := command.ParseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, verifyHelp)
			fs.SetOutput(env.Stdout)
			fs.PrintDefaults()
		}
		return command.FlagError("verify", err)
	}
	if len(pos) != 1 {
		return command.Usagef("verify", "verify takes one pipeline file, got %d arguments", len(pos))
	}
	if *output != "text" && *output != "json" {
		return command.Usagef("verify", "-o %q: want text or json", *output)
	}
	if *chunkRows < 1 || *maxDiffs < 0 {
		return command.Usagef("verify", "--chunk-rows must be at least 1 and --max-diffs at least 0")
	}
	var globs []string
	for _, t := range tables {
		for _, g := range strings.Split(t, ",") {
			if g = strings.TrimSpace(g); g == "" {
				continue
			}
			if _, err := path.Match(g, ""); err != nil || !strings.Contains(g, ".") {
				return command.Usagef("verify", "--tables %q: want database.table globs, e.g. shop.orders or 'shop.*'", g)
			}
			globs = append(globs, strings.ToLower(g))
		}
	}
	f, err := pipelines.Load(pos[0])
	if err != nil {
		return configError(err)
	}
	ps, err := selectPipelines(f, only)
	if err != nil {
		return command.Usagef("verify", "%v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var report []pipelineReport
	differ, total := 0, 0
	for _, p := range ps {
		pr, err := verifyPipeline(ctx, p, globs, *chunkRows, *maxDiffs, log, env, *output == "text")
		if err != nil {
			return fmt.Errorf("verify pipeline %s: %w", p.Name, err)
		}
		report = append(report, pr)
		for _, t := range pr.Tables {
			total++
			if !t.Equal {
				differ++
			}
		}
	}
	if *output == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	}
	if total == 0 {
		return errors.New("verify: no table to compare (check --tables and the pipelines' include lists)")
	}
	if differ > 0 {
		return fmt.Errorf("verify: %d of %d tables differ", differ, total)
	}
	if *output == "text" {
		fmt.Fprintf(env.Stdout, "all %d tables equal\n", total)
	}
	return nil
}

type pipelineReport struct {
	Pipeline string        `json:"pipeline"`
	Tables   []tableReport `json:"tables"`
}

type tableReport struct {
	Table        string         `json:"table"`
	Equal        bool           `json:"equal"`
	SourceRows   int64          `json:"source_rows"`
	TargetRows   int64          `json:"target_rows"`
	TargetExists bool           `json:"target_exists"`
	Chunks       int            `json:"chunks"`
	ChunksDiffer int            `json:"chunks_differ"`
	Missing      int64          `json:"missing"`
	Different    int64          `json:"different"`
	Extra        int64          `json:"extra"`
	Diffs        []core.RowDiff `json:"diffs,omitempty"`
	Seconds      float64        `json:"seconds"`
	Error        string         `json:"error,omitempty"`
}

func verifyPipeline(ctx context.Context, p *pipelines.Pipeline, globs []string, chunkRows, maxDiffs int, log *slog.Logger, env command.Env, text bool) (pipelineReport, error) {
	pr := pipelineReport{Pipeline: p.Name}
	sink, err := NewSink(p, log)
	if err != nil {
		return pr, err
	}
	ver, ok := sink.(core.Verifier)
	if !ok {
		return pr, fmt.Errorf("the %s sink cannot be verified yet", p.Sink.Type)
	}
	conn, err := client.ParseDSN(p.Source.DSN)
	if err != nil {
		return pr, fmt.Errorf("source dsn: %w", err)
	}
	connector, err := conn.DriverConnector()
	if err != nil {
		return pr, err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	cat, err := cdc.ReadCatalog(ctx, db, cdc.CaptureOptions{OnDDLError: schema.DDLSkip, Include: p.Includes, Logger: log})
	if err != nil {
		return pr, fmt.Errorf("read the source's tables: %w", err)
	}
	var tw *tabwriter.Writer
	if text {
		fmt.Fprintf(env.Stdout, "pipeline %s:\n", p.Name)
		tw = tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  TABLE\tSOURCE ROWS\tTARGET ROWS\tCHUNKS\tRESULT")
	}
	for _, t := range cat.Tables() {
		if !p.Includes(t.Schema, t.Name) || !matchGlobs(globs, t.QualifiedName()) {
			continue
		}
		pt, err := cdc.ProjectTable(t, p.ExcludesColumn)
		if err != nil {
			return pr, err
		}
		tr := verifyTable(ctx, db, ver, pt, chunkRows, maxDiffs)
		pr.Tables = append(pr.Tables, tr)
		if text {
			printTableReport(tw, tr)
		}
	}
	if text {
		tw.Flush()
		for _, tr := range pr.Tables {
			for _, d := range tr.Diffs {
				cols := ""
				if len(d.Columns) > 0 {
					cols = " (columns " + strings.Join(d.Columns, ", ") + ")"
				}
				count := ""
				if d.Count > 1 {
					count = fmt.Sprintf(" ×%d", d.Count)
				}
				fmt.Fprintf(env.Stdout, "  %s %s: %s%s%s\n", tr.Table, d.Kind, d.Key, cols, count)
			}
		}
	}
	return pr, nil
}

func printTableReport(tw *tabwriter.Writer, tr tableReport) {
	target := fmt.Sprint(tr.TargetRows)
	if !tr.TargetExists {
		target = "(no table)"
	}
	result := "EQUAL"
	switch {
	case tr.Error != "":
		result = "ERROR: " + tr.Error
	case !tr.Equal:
		result = fmt.Sprintf("DIFFERENT: %d missing, %d different, %d extra", tr.Missing, tr.Different, tr.Extra)
	}
	fmt.Fprintf(tw, "  %s\t%d\t%s\t%d (%d differ)\t%s\n", tr.Table, tr.SourceRows, target, tr.Chunks, tr.ChunksDiffer, result)
}

func matchGlobs(globs []string, name string) bool {
	if len(globs) == 0 {
		return true
	}
	name = strings.ToLower(name)
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// verifyTable compares one table; a failure is reported in the result.
func verifyTable(ctx context.Context, db *sql.DB, ver core.Verifier, t *core.Table, chunkRows, maxDiffs int) (tr tableReport) {
	start := time.Now()
	tr.Table = t.QualifiedName()
	defer func() {
		tr.Seconds = time.Since(start).Seconds()
		tr.Equal = tr.Error == "" && tr.TargetExists && tr.Missing == 0 && tr.Different == 0 && tr.Extra == 0
	}()
	fail := func(err error) tableReport {
		tr.Error = err.Error()
		return tr
	}
	reader, err := snapshot.NewTableReader(t)
	if err != nil {
		return fail(err)
	}
	tv, err := ver.VerifyTable(ctx, t, core.VerifyOptions{MaxDiffs: maxDiffs})
	if err != nil {
		return fail(err)
	}
	defer tv.Close(context.WithoutCancel(ctx))
	n, ok, err := tv.TargetCount(ctx)
	if err != nil {
		return fail(err)
	}
	tr.TargetRows, tr.TargetExists = n, ok
	conn, err := db.Conn(ctx)
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	for _, q := range snapshot.SessionSetup {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fail(fmt.Errorf("%s: %w", q, err))
		}
	}
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteMySQL(t.Schema)+"."+quoteMySQL(t.Name)).Scan(&tr.SourceRows); err != nil {
		return fail(fmt.Errorf("count the source rows: %w", err))
	}
	if !ok {
		tr.Missing = tr.SourceRows
		return tr
	}
	limit := chunkRows
	if !reader.Keyed() {
		limit = 0
	}
	var after snapshot.Key
	for {
		rows, last, err := readChunk(ctx, conn, reader, after, limit)
		if err != nil {
			return fail(err)
		}
		if len(rows) > 0 {
			res, err := tv.Compare(ctx, rows)
			if err != nil {
				return fail(err)
			}
			tr.Chunks++
			if res.Missing+res.Different > 0 {
				tr.ChunksDiffer++
			}
			tr.Missing += int64(res.Missing)
			tr.Different += int64(res.Different)
			for _, d := range res.Diffs {
				if len(tr.Diffs) < maxDiffs {
					tr.Diffs = append(tr.Diffs, d)
				}
			}
		}
		if limit == 0 || len(rows) < limit {
			break
		}
		after = last
	}
	fin, err := tv.Finish(ctx, maxDiffs)
	if err != nil {
		return fail(err)
	}
	tr.Extra = fin.Extra
	tr.Missing += fin.Missing
	for _, d := range fin.Diffs {
		if len(tr.Diffs) < maxDiffs {
			tr.Diffs = append(tr.Diffs, d)
		}
	}
	return tr
}

// readChunk reads the rows after after, in key order, at most limit (0:
// all, for a keyless table), and the last row's key.
func readChunk(ctx context.Context, conn *sql.Conn, r *snapshot.TableReader, after snapshot.Key, limit int) ([][]core.Value, snapshot.Key, error) {
	var out [][]core.Value
	_, last, err := r.ReadChunk(ctx, conn, after, nil, limit, func(raw []sql.RawBytes) error {
		vals, err := r.Decode(raw)
		if err == nil {
			out = append(out, vals)
		}
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read the source: %w", err)
	}
	return out, last, nil
}

func quoteMySQL(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }
