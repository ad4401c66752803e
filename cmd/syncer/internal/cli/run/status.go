package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/core/pipeline"
	"github.com/seed5aa6e046/syncer/pipelines"
	"github.com/seed5aa6e046/syncer/sources/mysql/snapshot"
)

// StatusFile is the file in a pipeline's state directory where syncer run
// keeps the pipeline's status for syncer status.
const StatusFile = "status.json"

// statusEvery is how often a running pipeline rewrites its status file.
const statusEvery = time.Second

// PipelineStatus is what a running pipeline reports of itself.
type PipelineStatus struct {
	Pipeline  string    `json:"pipeline"`
	PID       int       `json:"pid"`
	StartedAt time.Time `json:"started_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// State is starting, snapshotting, streaming, retrying, stopped or
	// failed.
	State string `json:"state"`
	// Checkpoint is the sink's last committed checkpoint (without the
	// snapshot progress, which Snapshot shows).
	Checkpoint *core.Position `json:"checkpoint,omitempty"`
	// LastCommitAt is when the sink last committed; LagSeconds is how far
	// the newest applied source commit is behind now, at that commit.
	LastCommitAt time.Time `json:"last_commit_at,omitzero"`
	LagSeconds   float64   `json:"lag_seconds"`
	// Records and Transactions applied by this process.
	Records      int64            `json:"records"`
	Transactions int64            `json:"transactions"`
	Snapshot     *snapshot.Status `json:"snapshot,omitempty"`
	LastError    string           `json:"last_error,omitempty"`
}

// statusBoard keeps a pipeline's status and writes it to its state
// directory.
type statusBoard struct {
	path string
	mu   sync.Mutex
	st   PipelineStatus
	src  interface{ Status() snapshot.Status }
}

func newStatusBoard(p *pipelines.Pipeline) *statusBoard {
	now := time.Now().UTC()
	return &statusBoard{path: filepath.Join(p.StateDir, StatusFile),
		st: PipelineStatus{Pipeline: p.Name, PID: os.Getpid(), StartedAt: now, UpdatedAt: now, State: "starting"}}
}

// committed is the pipeline's Observe hook.
func (b *statusBoard) committed(c pipeline.Commit) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cp := c.Checkpoint
	cp.Snapshot = ""
	b.st.Checkpoint = &cp
	b.st.LastCommitAt = time.Now().UTC()
	if !c.LastCommitTime.IsZero() {
		b.st.LagSeconds = time.Since(c.LastCommitTime).Seconds()
	}
	b.st.Records += int64(c.Records)
	b.st.Transactions += int64(c.Transactions)
	b.st.LastError = ""
}

// opened notes a source (re)opened, or why it could not be.
func (b *statusBoard) opened(src pipeline.Source, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		b.st.LastError = err.Error()
		b.st.State = "retrying"
		return
	}
	b.src, _ = src.(interface{ Status() snapshot.Status })
}

// run writes the status every statusEvery until the returned function is
// called with the pipeline's end.
func (b *statusBoard) run(ctx context.Context, log *slog.Logger) func(error) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(statusEvery)
		defer t.Stop()
		warned := false
		for {
			if err := b.write(""); err != nil && !warned {
				log.Warn("cannot write the pipeline's status file (syncer status will not show it)", "file", b.path, "err", err)
				warned = true
			}
			select {
			case <-t.C:
			case <-done:
				return
			}
		}
	}()
	return func(err error) {
		close(done)
		wg.Wait()
		end := "stopped"
		if err != nil {
			end = "failed"
			b.mu.Lock()
			b.st.LastError = err.Error()
			b.mu.Unlock()
		}
		_ = b.write(end)
	}
}

func (b *statusBoard) write(final string) error {
	b.mu.Lock()
	st := b.st
	if b.src != nil {
		s := b.src.Status()
		if s.Active || len(s.Tables) > 0 {
			st.Snapshot = &s
		}
	}
	switch {
	case final != "":
		st.State = final
	case st.State == "retrying" && st.LastError != "":
	case st.Snapshot != nil && st.Snapshot.Active:
		st.State = "snapshotting"
	case b.src != nil:
		st.State = "streaming"
	}
	st.UpdatedAt = time.Now().UTC()
	b.st.State = st.State
	b.mu.Unlock()
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(b.path), 0o750); err != nil {
		return err
	}
	tmp := b.path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, b.path)
}

// ReadStatus reads a pipeline's status file; running reports whether the
// process that wrote it still runs and wrote it recently.
func ReadStatus(p *pipelines.Pipeline) (st *PipelineStatus, running bool, err error) {
	data, err := os.ReadFile(filepath.Join(p.StateDir, StatusFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	st = new(PipelineStatus)
	if err := json.Unmarshal(data, st); err != nil {
		return nil, false, fmt.Errorf("%s: %w", filepath.Join(p.StateDir, StatusFile), err)
	}
	running = st.State != "stopped" && st.State != "failed" && time.Since(st.UpdatedAt) < 10*statusEvery && processAlive(st.PID)
	return st, running, nil
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
