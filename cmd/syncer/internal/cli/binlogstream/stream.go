// Package binlogstream implements "syncer binlog stream": it reads a
// server's binlog over a replication connection (package replication) and
// prints each event as the JSON line of "syncer binlog dump" plus its end
// position. The README documents the output.
package binlogstream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/seed5aa6e046/syncer/cmd/syncer/internal/cli/binlogdump"
	"github.com/seed5aa6e046/syncer/internal/jsontext"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
	"github.com/seed5aa6e046/syncer/sources/mysql/cdc"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
)

// flushEvery bounds how long a printed event may sit in the output buffer:
// a person watching the stream sees a change within this time, while a
// busy stream still writes in large blocks.
const flushEvery = 100 * time.Millisecond

// Run streams until --until-now completes, ctx ends (exit 0) or the stream
// fails.
func Run(ctx context.Context, opts Options, stdout, stderr io.Writer) error {
	hopts := &slog.HandlerOptions{Level: slog.LevelInfo}
	var h slog.Handler = slog.NewTextHandler(stderr, hopts)
	if opts.LogJSON {
		h = slog.NewJSONHandler(stderr, hopts)
	}
	logger := slog.New(h).With("cmd", cmdPath)

	cfg := replication.NewConfig(opts.Conn)
	if opts.ServerID != 0 {
		cfg.ServerID = opts.ServerID
	}
	cfg.Start = opts.Start
	cfg.UntilNow = opts.UntilNow
	cfg.HeartbeatPeriod = opts.Heartbeat
	cfg.ReadTimeout = opts.ReadTimeout
	cfg.Reconnect.MaxAttempts = opts.MaxReconnects
	cfg.SkipPreflight = opts.SkipPreflight
	cfg.Logger = logger
	if opts.NoVerify {
		cfg.DecoderOptions = append(cfg.DecoderOptions, binlog.WithoutChecksumVerification())
	}

	src, err := openSource(ctx, cfg, opts, logger)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer src.close()
	s := src.stream()
	attrs := []any{"source", opts.Conn.Redacted(), "server_id", cfg.ServerID, "start", s.Checkpoint().String()}
	if opts.StateDir != "" {
		attrs = append(attrs, "state_dir", opts.StateDir, "resumed", src.cdc.Resumed())
	}
	if stop, ok := s.StopPosition(); ok {
		attrs = append(attrs, "until", stop.String())
	}
	logger.Info("streaming", attrs...)

	out := newFlushingWriter(stdout)
	defer out.stop()
	// commit flushes what was printed, then makes the checkpoint after it
	// durable, so that a later run resumes after the last line printed of
	// the last complete transaction.
	lastCommit := time.Now()
	commit := func() error {
		if err := out.flush(); err != nil {
			return err
		}
		lastCommit = time.Now()
		return src.commit()
	}
	r := binlogdump.NewRenderer(opts.Tables, opts.Types)
	files := map[string]bool{}
	var line []byte
	var fe binlogfile.Event
	for {
		if opts.StateDir != "" && time.Since(lastCommit) >= commitEvery {
			if err := commit(); err != nil {
				return err
			}
		}
		tev, err := src.next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			if cerr := commit(); cerr != nil {
				return cerr
			}
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return nil // interrupted: a normal way to end a stream
			}
			if errors.Is(err, binlog.ErrChecksum) {
				err = fmt.Errorf("%w (to stream anyway, run with --no-verify-checksum)", err)
			}
			return err
		}
		ev := tev.Event
		if ev.Synthetic && !opts.Synthetic {
			continue
		}
		fe = binlogfile.Event{File: ev.File, Pos: int64(ev.Pos), InPayload: ev.InPayload, Event: ev.Event}
		if !r.Keep(&fe) {
			continue
		}
		if opts.Stats {
			files[ev.File] = true
			if err := r.Count(&fe); err != nil {
				return err
			}
			continue
		}
		line, err = r.AppendTracked(line[:0], &fe, tev.Table, tev.SchemaChanges)
		if err != nil {
			out.flush()
			return fmt.Errorf("binlog %s:%d: %s: %w", ev.File, ev.Pos, ev.Header.Type, err)
		}
		line = appendStreamMembers(line[:len(line)-1], ev, s)
		line = append(line, "}\n"...)
		if err := out.write(line); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	if opts.Stats {
		b, err := r.Summary(len(files), s.BytesRead())
		if err != nil {
			return err
		}
		if err := out.write(append(b, '\n')); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	if err := commit(); err != nil {
		return err
	}
	logger.Info("stream ended", "checkpoint", src.checkpoint().String(), "reconnects", s.Reconnects())
	return nil
}

// commitEvery is how often the checkpoint is saved in --state-dir.
const commitEvery = time.Second

// source is the stream with or without the schema history.
type source struct {
	plain *replication.Stream
	cdc   *cdc.Source
	ev    cdc.Event
}

func openSource(ctx context.Context, cfg *replication.Config, opts Options, logger *slog.Logger) (*source, error) {
	if opts.StateDir == "" {
		s, err := replication.Open(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return &source{plain: s}, nil
	}
	c, err := cdc.Open(ctx, cdc.Config{Replication: cfg, StateDir: opts.StateDir, OnDDLError: opts.OnDDLError, OnMismatch: opts.OnMismatch,
		Include: binlogdump.TableFilter(opts.Tables), Logger: logger})
	if err != nil {
		return nil, err
	}
	return &source{cdc: c}, nil
}

func (s *source) next(ctx context.Context) (*cdc.Event, error) {
	if s.cdc != nil {
		return s.cdc.Next(ctx)
	}
	ev, err := s.plain.Next(ctx)
	if err != nil {
		return nil, err
	}
	s.ev = cdc.Event{Event: ev}
	return &s.ev, nil
}

func (s *source) stream() *replication.Stream {
	if s.cdc != nil {
		return s.cdc.Stream()
	}
	return s.plain
}

func (s *source) checkpoint() replication.Position {
	if s.cdc != nil {
		return s.cdc.Checkpoint()
	}
	return s.plain.Checkpoint()
}

func (s *source) commit() error {
	if s.cdc != nil {
		return s.cdc.Commit()
	}
	return nil
}

func (s *source) close() {
	if s.cdc != nil {
		s.cdc.Close()
		return
	}
	s.plain.Close()
}

// appendStreamMembers appends the members "binlog stream" adds to a dump
// line: synthetic, next_position, in_transaction and gtid_position.
func appendStreamMembers(dst []byte, ev *replication.Event, s *replication.Stream) []byte {
	if ev.Synthetic {
		dst = append(dst, `,"synthetic":true`...)
	}
	dst = append(dst, `,"next_position":{"file":`...)
	dst = jsontext.AppendString(dst, ev.NextFile)
	dst = append(dst, `,"pos":`...)
	dst = strconv.AppendUint(dst, ev.NextPos, 10)
	dst = append(dst, '}')
	if ev.InTransaction {
		dst = append(dst, `,"in_transaction":true`...)
	}
	if ev.EndsTransaction {
		if g := s.GTIDPosition(); g != "" {
			dst = append(dst, `,"gtid_position":`...)
			dst = jsontext.AppendString(dst, g)
		}
	}
	return dst
}

// flushingWriter buffers output and flushes it at least every flushEvery,
// so a quiet stream's last lines do not wait for the next event.
type flushingWriter struct {
	mu    sync.Mutex
	w     *bufio.Writer
	err   error
	done  chan struct{}
	wg    sync.WaitGroup
	dirty bool
}

func newFlushingWriter(w io.Writer) *flushingWriter {
	f := &flushingWriter{w: bufio.NewWriterSize(w, 64<<10), done: make(chan struct{})}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		t := time.NewTicker(flushEvery)
		defer t.Stop()
		for {
			select {
			case <-f.done:
				return
			case <-t.C:
				f.mu.Lock()
				if f.dirty && f.err == nil {
					f.err = f.w.Flush()
					f.dirty = false
				}
				f.mu.Unlock()
			}
		}
	}()
	return f
}

func (f *flushingWriter) write(b []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	_, f.err = f.w.Write(b)
	f.dirty = true
	return f.err
}

func (f *flushingWriter) flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = f.w.Flush()
		f.dirty = false
	}
	return f.err
}

func (f *flushingWriter) stop() {
	select {
	case <-f.done:
	default:
		close(f.done)
	}
	f.wg.Wait()
}
