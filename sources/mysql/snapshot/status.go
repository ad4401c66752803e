package snapshot

import (
	"strings"
	"time"
)

// Status is the copy's progress, for people: the log, syncer status.
type Status struct {
	// Active reports a copy in progress.
	Active bool `json:"active"`
	// Tables are the tables being copied and waiting, in copy order, then
	// those this process finished copying.
	Tables []TableStatus `json:"tables,omitempty"`
	// Rows and Estimated count the rows copied and the estimated total
	// (information_schema.TABLES, approximate for InnoDB) of the tables
	// listed.
	Rows      int64 `json:"rows"`
	Estimated int64 `json:"estimated"`
	// RowsPerSecond is the copy's rate since this process started it.
	RowsPerSecond float64 `json:"rows_per_second"`
	// ETASeconds is the estimated time left (0 when unknown).
	ETASeconds float64 `json:"eta_seconds,omitempty"`

	finished []TableStatus
	started  time.Time
	copied   int64 // rows emitted by this process
}

// TableStatus is one table's progress.
type TableStatus struct {
	Table string `json:"table"`
	// State is pending, copying or done.
	State         string  `json:"state"`
	Rows          int64   `json:"rows"`
	Estimated     int64   `json:"estimated"`
	RowsPerSecond float64 `json:"rows_per_second,omitempty"`
	ETASeconds    float64 `json:"eta_seconds,omitempty"`
	// Seconds is how long the table's copy has taken so far.
	Seconds float64 `json:"seconds,omitempty"`
}

// Status returns the copy's progress.
func (m *Merger) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.status
	s.Tables = append([]TableStatus(nil), s.Tables...)
	s.finished = nil
	return s
}

// countRows notes n rows of run's chunk emitted.
func (m *Merger) countRows(run *tableRun, n int) {
	run.live += int64(n)
	m.mu.Lock()
	if m.status.started.IsZero() {
		m.status.started = time.Now()
	}
	m.status.copied += int64(n)
	m.mu.Unlock()
	if time.Since(m.statusAt) >= 500*time.Millisecond {
		m.updateStatus()
	}
}

// updateStatus rebuilds the status from the progress (Next's goroutine).
func (m *Merger) updateStatus() {
	m.statusAt = time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &m.status
	s.Active = m.prog.active()
	s.Tables = s.Tables[:0]
	s.Rows, s.Estimated = 0, 0
	now := time.Now()
	for _, tt := range m.prog.Tables {
		ts := TableStatus{Table: tt.qualified(), State: tt.State, Rows: tt.Rows}
		if r := m.runs[tt]; r != nil {
			ts.Estimated = r.est
			if m.inj != nil && m.inj.run == r {
				ts.Rows += r.live
				ts.State = stateCopying
			}
			if r.chunks > 0 {
				el := now.Sub(r.start).Seconds()
				ts.Seconds = el
				if el > 0 {
					ts.RowsPerSecond = float64(ts.Rows) / el
				}
				if ts.RowsPerSecond > 0 && ts.Estimated > ts.Rows {
					ts.ETASeconds = float64(ts.Estimated-ts.Rows) / ts.RowsPerSecond
				}
			}
		}
		ts.Estimated = max(ts.Estimated, ts.Rows)
		s.Rows += ts.Rows
		s.Estimated += ts.Estimated
		s.Tables = append(s.Tables, ts)
	}
	for _, f := range s.finished {
		s.Rows += f.Rows
		s.Estimated += max(f.Estimated, f.Rows)
		s.Tables = append(s.Tables, f)
	}
	s.RowsPerSecond, s.ETASeconds = 0, 0
	if !s.started.IsZero() {
		if el := now.Sub(s.started).Seconds(); el > 0 {
			s.RowsPerSecond = float64(s.copied) / el
		}
		if s.RowsPerSecond > 0 && s.Estimated > s.Rows {
			s.ETASeconds = float64(s.Estimated-s.Rows) / s.RowsPerSecond
		}
	}
}

// maybeLog writes a progress line every ProgressEvery while copying.
func (m *Merger) maybeLog() {
	if !m.prog.active() || time.Since(m.lastLog) < m.cfg.ProgressEvery {
		return
	}
	m.lastLog = time.Now()
	m.updateStatus()
	s := m.Status()
	var copying []string
	for _, t := range s.Tables {
		if t.State == stateCopying {
			copying = append(copying, t.Table)
		}
	}
	args := []any{"rows", s.Rows, "estimated", s.Estimated, "rows_per_s", int64(s.RowsPerSecond),
		"tables_left", len(m.prog.Tables), "copying", strings.Join(copying, ",")}
	if s.ETASeconds > 0 {
		args = append(args, "eta", (time.Duration(s.ETASeconds) * time.Second).String())
	}
	m.log.Info("snapshot: progress", args...)
}
