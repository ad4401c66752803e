// Package binlogdump implements "syncer binlog dump": it reads binlog files
// with package binlogfile and prints each event as a JSON line, or with
// --stats a summary. The output format is documented in the README.
package binlogdump

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/cdc"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
)

// Run reads opts.Files and writes JSON lines (or the --stats summary) to
// stdout, and warnings to stderr. Events before an error have been written
// when it returns.
func Run(ctx context.Context, opts Options, stdout, stderr io.Writer) error {
	var ropts []binlogfile.Option
	if opts.StartPosition > 0 {
		ropts = append(ropts, binlogfile.WithStartPosition(opts.StartPosition))
	}
	if opts.StopPosition > 0 {
		ropts = append(ropts, binlogfile.WithStopPosition(opts.StopPosition))
	}
	if opts.NoVerifyChecksum {
		ropts = append(ropts, binlogfile.WithDecoderOptions(binlog.WithoutChecksumVerification()))
	}
	var ft *cdc.FileTracker
	if opts.SchemaFrom != nil {
		var err error
		ft, err = cdc.TrackFiles(ctx, cdc.FilesConfig{
			Conn: opts.SchemaFrom, StateDir: opts.StateDir, Files: opts.Files, StartPos: opts.StartPosition,
			ReaderOptions: ropts, OnDDLError: opts.OnDDLError, Include: tableFilter(opts.Tables),
			Logger: slog.New(slog.NewTextHandler(stderr, nil)).With("cmd", cmdPath),
		})
		if err != nil {
			return err
		}
		defer ft.Close()
	}
	r := binlogfile.OpenFiles(opts.Files, ropts...)
	defer r.Close()
	return dump(ctx, r, ft, opts, stdout)
}

// tableFilter is --tables as a predicate (nil: every table).
func tableFilter(ps []TablePattern) func(schema, table string) bool {
	if len(ps) == 0 {
		return nil
	}
	return func(schema, table string) bool {
		for _, p := range ps {
			if p.Match(schema, table) {
				return true
			}
		}
		return false
	}
}

// dump writes the events of r; opts.Files is used only for the count in the
// summary.
// ft, when not nil, tracks the schema through the events.
func dump(ctx context.Context, r *binlogfile.Reader, ft *cdc.FileTracker, opts Options, stdout io.Writer) error {
	w := bufio.NewWriterSize(stdout, 64<<10)
	d := &dumper{opts: &opts, enc: newBodyEncoder(), start: time.Now(), st: stats{Events: map[string]int64{}}}
	if len(opts.Types) > 0 {
		d.types = make([]bool, 256)
		for _, t := range opts.Types {
			d.types[t] = true
		}
	}
	var line []byte
	for i := 0; ; i++ {
		if i&255 == 0 {
			if err := ctx.Err(); err != nil {
				w.Flush()
				return err
			}
		}
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if ferr := w.Flush(); ferr != nil {
				return ferr
			}
			if errors.Is(err, binlog.ErrChecksum) {
				err = fmt.Errorf("%w (to dump the event anyway, run with --no-verify-checksum)", err)
			}
			return err
		}
		var table *core.Table
		var changes []core.SchemaChange
		if ft != nil {
			if table, changes, err = ft.Track(ev); err != nil {
				if ferr := w.Flush(); ferr != nil {
					return ferr
				}
				return err
			}
		}
		if !d.keep(ev) {
			continue
		}
		if opts.Stats {
			if err := d.count(ev); err != nil {
				w.Flush()
				return err
			}
			continue
		}
		line, err = d.appendTracked(line[:0], ev, table, changes)
		if err != nil {
			w.Flush()
			return fmt.Errorf("binlog %s:%d: %s: %w", ev.File, ev.Pos, ev.Header.Type, err)
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	if ft != nil {
		if err := ft.Done(); err != nil {
			w.Flush()
			return err
		}
	}
	if opts.Stats {
		d.st.Files = len(opts.Files)
		d.st.Bytes = r.BytesRead()
		d.st.finish(time.Since(d.start))
		b, err := json.Marshal(&d.st)
		if err != nil {
			return err
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// dumper holds the per-run state of the dump loop.
type dumper struct {
	opts  *Options
	types []bool // nil: every type
	enc   *bodyEncoder
	start time.Time
	st    stats
	rows  rowScratch
}

// stats is the --stats summary.
type stats struct {
	Files      int              `json:"files"`
	EventCount int64            `json:"events"`
	Events     map[string]int64 `json:"events_by_type"`
	Rows       int64            `json:"rows"`
	// Undecodable counts rows events whose rows no reader can decode
	// (pre-GA MySQL 5.1 rows events); their rows are not in Rows.
	Undecodable    int64   `json:"undecodable_rows_events"`
	Bytes          int64   `json:"bytes"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	RowsPerSecond  float64 `json:"rows_per_second"`
	MBPerSecond    float64 `json:"mb_per_second"`
}

func (s *stats) finish(elapsed time.Duration) {
	s.ElapsedSeconds = elapsed.Seconds()
	if s.ElapsedSeconds > 0 {
		s.RowsPerSecond = float64(s.Rows) / s.ElapsedSeconds
		s.MBPerSecond = float64(s.Bytes) / 1e6 / s.ElapsedSeconds
	}
}

// keep applies --types and --tables.
func (d *dumper) keep(ev *binlogfile.Event) bool {
	if d.types != nil && !d.types[ev.Header.Type] {
		return false
	}
	if len(d.opts.Tables) > 0 {
		if schema, table, ok := tableOf(ev.Body); ok {
			for _, p := range d.opts.Tables {
				if p.Match(schema, table) {
					return true
				}
			}
			return false
		}
	}
	return true
}

// count adds an event to the --stats summary, decoding every value of a
// rows event.
func (d *dumper) count(ev *binlogfile.Event) error {
	d.st.EventCount++
	d.st.Events[ev.Header.Type.String()]++
	n, err := d.rows.decodeAll(ev.Body)
	if err == errUndecodable {
		d.st.Undecodable++
		err = nil
	}
	if err != nil {
		return fmt.Errorf("binlog %s:%d: decode %s: %w", ev.File, ev.Pos, ev.Header.Type, err)
	}
	d.st.Rows += int64(n)
	return nil
}

func (d *dumper) appendTracked(dst []byte, ev *binlogfile.Event, table *core.Table, changes []core.SchemaChange) ([]byte, error) {
	dst, err := d.appendEvent(dst, ev)
	if err != nil || (table == nil && len(changes) == 0) {
		return dst, err
	}
	dst = dst[:len(dst)-1] // reopen the object
	if table != nil {
		dst = append(dst, `,"schema_version":`...)
		dst = strconv.AppendUint(dst, table.Version, 10)
	}
	if len(changes) > 0 {
		b, err := json.Marshal(changes)
		if err != nil {
			return dst, err
		}
		dst = append(dst, `,"schema_changes":`...)
		dst = append(dst, b...)
	}
	return append(dst, '}'), nil
}

// appendEvent appends one event as a JSON object (without the newline).
func (d *dumper) appendEvent(dst []byte, ev *binlogfile.Event) ([]byte, error) {
	dst = appendEnvelope(dst, ev)
	var err error
	switch b := ev.Body.(type) {
	case *binlog.FormatDescriptionEvent:
		dst = appendFormat(dst, &b.Format)
	case *binlog.StartEventV3:
		dst = appendFormat(dst, &b.Format)
	case *binlog.RawEvent:
		dst = appendRaw(dst, ev.Header.Type, b.Data)
	default:
		var done bool
		dst, done, err = d.rows.appendRowsEvent(dst, d.enc, ev.Body)
		if !done && err == nil {
			dst, err = d.enc.appendBody(dst, ev.Body)
		}
	}
	if err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}
