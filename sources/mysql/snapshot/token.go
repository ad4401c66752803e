package snapshot

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The snapshot's progress travels with the sink's checkpoint
// (core.Position.Snapshot), so that what the sink committed and how far
// the copy got are one durable fact: a restart resumes the copy after the
// last chunk the sink committed, never before it (rows copied twice) nor
// after it (rows lost).

// tokenVersion is the version of the encoding below; a checkpoint with a
// later one is refused rather than misread.
const tokenVersion = 1

// Table states.
const (
	// statePending: not copied yet. The stream's row changes to the
	// table are dropped, since the copy will read the table as it is
	// when its first chunk is read, which includes them.
	statePending = "pending"
	// stateCopying: some chunks are in the target; the stream's changes
	// apply, and the next chunk starts after After.
	stateCopying = "copying"
)

// progressToken is the decoded core.Position.Snapshot.
type progressToken struct {
	V int `json:"v"`
	// Scope is the include and exclude lists the tables were chosen
	// under: a table the lists include now and did not then is copied.
	Scope *scope `json:"scope,omitempty"`
	// Tables are the tables not yet fully copied, in copy order.
	Tables []*tableToken `json:"tables,omitempty"`
	// Requests are the ids of re-snapshot requests taken into Tables,
	// whose files are deleted once a checkpoint with them is committed.
	Requests []string `json:"requests,omitempty"`
	// Done and DoneRows count the tables and rows copied by this
	// snapshot (for progress reports).
	Done     int   `json:"done,omitempty"`
	DoneRows int64 `json:"done_rows,omitempty"`
}

type scope struct {
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
}

func (s *scope) equal(o *scope) bool {
	if s == nil || o == nil {
		return s == o
	}
	return strings.Join(s.Include, "\x00") == strings.Join(o.Include, "\x00") && strings.Join(s.Exclude, "\x00") == strings.Join(o.Exclude, "\x00")
}

// tableToken is one table's progress.
type tableToken struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	State  string `json:"state"`
	// After is the key (Key.Strings) the next chunk starts after; empty
	// before the first chunk.
	After []string `json:"after,omitempty"`
	// Rows counts the rows copied so far.
	Rows int64 `json:"rows,omitempty"`
	// Truncate empties the target table before the first chunk: the
	// table is copied again (snapshot mode always, a re-snapshot, a
	// table newly included), and rows deleted since must not survive.
	Truncate bool `json:"truncate,omitempty"`
}

func (t *tableToken) qualified() string { return t.Schema + "." + t.Name }

// decodeToken reads core.Position.Snapshot; "" is no snapshot.
func decodeToken(s string) (*progressToken, error) {
	if s == "" {
		return nil, nil
	}
	var t progressToken
	if err := json.Unmarshal([]byte(s), &t); err != nil {
		return nil, fmt.Errorf("snapshot: the checkpoint's snapshot progress is not readable (%.80q): %w", s, err)
	}
	if t.V != tokenVersion {
		return nil, fmt.Errorf("snapshot: the checkpoint's snapshot progress has version %d; this release reads version %d: run the release that wrote it until the snapshot ends", t.V, tokenVersion)
	}
	for _, tt := range t.Tables {
		if tt.Schema == "" || tt.Name == "" || (tt.State != statePending && tt.State != stateCopying) {
			return nil, fmt.Errorf("snapshot: the checkpoint's snapshot progress has a malformed table entry %+v", *tt)
		}
	}
	return &t, nil
}

// encode writes the token for a checkpoint.
func (t *progressToken) encode() string {
	t.V = tokenVersion
	b, err := json.Marshal(t)
	if err != nil {
		panic("snapshot: encode progress: " + err.Error()) // plain data cannot fail
	}
	return string(b)
}

// active reports a copy in progress.
func (t *progressToken) active() bool { return t != nil && len(t.Tables) > 0 }

// InProgress reports whether a checkpoint's snapshot progress (core.Position
// .Snapshot) has tables left to copy.
func InProgress(snapshot string) (bool, error) {
	t, err := decodeToken(snapshot)
	if err != nil {
		return false, err
	}
	return t.active(), nil
}

// Progress summarizes a checkpoint's snapshot progress for people: the
// tables left, with their state and rows copied, and the tables and rows
// done.
type Progress struct {
	Tables   []TableStatus `json:"tables,omitempty"`
	Done     int           `json:"done"`
	DoneRows int64         `json:"done_rows"`
}

// ReadProgress decodes a checkpoint's snapshot progress (nil for none).
func ReadProgress(snapshot string) (*Progress, error) {
	t, err := decodeToken(snapshot)
	if err != nil || t == nil {
		return nil, err
	}
	p := &Progress{Done: t.Done, DoneRows: t.DoneRows}
	for _, tt := range t.Tables {
		p.Tables = append(p.Tables, TableStatus{Table: tt.qualified(), State: tt.State, Rows: tt.Rows})
	}
	return p, nil
}
