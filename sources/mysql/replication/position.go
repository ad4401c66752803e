package replication

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
	"github.com/seed5aa6e046/syncer/sources/mysql/gtid"
)

// Position is a place in a source's binary log, as a replica records it.
//
// File and Pos always say where the next event starts. GTIDSet (MySQL) or
// MariaDBGTID (MariaDB) is set when the stream knows the GTID state that
// matches File:Pos: when it started from a GTID position or from the
// server's current position. A Position handed out by a Stream as a
// checkpoint always lies between two transactions.
//
// A Position resumes in one of three modes, chosen by which fields are set
// (see Mode): GTID positions survive binlog file renames and failovers to a
// replica of the source; file positions are valid only on the server that
// wrote the file.
type Position struct {
	File string `json:"file,omitempty"`
	Pos  uint64 `json:"pos,omitempty"`
	// GTIDSet is the set of MySQL transactions fully delivered.
	GTIDSet *gtid.Set `json:"gtid_set,omitempty"`
	// MariaDBGTID is the last MariaDB GTID fully delivered, per domain.
	MariaDBGTID *gtid.MariaDBPos `json:"mariadb_gtid,omitempty"`
}

// Mode is how a stream asks the server for its starting point.
type Mode uint8

const (
	// ModeCurrent starts at the server's current position (a zero Position).
	ModeCurrent Mode = iota
	// ModeFilePos sends COM_BINLOG_DUMP with a file name and offset.
	ModeFilePos
	// ModeMySQLGTID sends COM_BINLOG_DUMP_GTID with the executed GTID set.
	ModeMySQLGTID
	// ModeMariaDBGTID sets @slave_connect_state and sends COM_BINLOG_DUMP.
	ModeMariaDBGTID
)

func (m Mode) String() string {
	switch m {
	case ModeFilePos:
		return "file position"
	case ModeMySQLGTID:
		return "MySQL GTID"
	case ModeMariaDBGTID:
		return "MariaDB GTID"
	}
	return "current position"
}

// Mode returns how the position resumes: by GTID when a GTID field is set,
// else by file and offset, else (zero Position) from the server's current
// position.
func (p Position) Mode() Mode {
	switch {
	case p.GTIDSet != nil:
		return ModeMySQLGTID
	case p.MariaDBGTID != nil:
		return ModeMariaDBGTID
	case p.File != "":
		return ModeFilePos
	}
	return ModeCurrent
}

// IsZero reports whether p is the zero Position.
func (p Position) IsZero() bool {
	return p.File == "" && p.Pos == 0 && p.GTIDSet == nil && p.MariaDBGTID == nil
}

// Clone returns a deep copy, so that a checkpoint kept by the caller does
// not change as the stream advances.
func (p Position) Clone() Position {
	c := p
	if p.GTIDSet != nil {
		c.GTIDSet = p.GTIDSet.Clone()
	}
	if p.MariaDBGTID != nil {
		c.MariaDBGTID = p.MariaDBGTID.Clone()
	}
	return c
}

// String renders the position for people: "file:pos", followed by the GTID
// state in brackets when known.
func (p Position) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(p.Pos, 10))
	}
	gt := ""
	switch {
	case p.GTIDSet != nil:
		gt = "gtid_set=" + orEmpty(p.GTIDSet.String())
	case p.MariaDBGTID != nil:
		gt = "gtid=" + orEmpty(p.MariaDBGTID.String())
	}
	if gt != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("[" + gt + "]")
	}
	if b.Len() == 0 {
		return "(current position)"
	}
	return b.String()
}

// compareFilePos orders two file positions of one server. Binlog files
// are named base.NNNNNN with a growing number; the number decides when both
// names have one, so that base.1000000 follows base.999999.
func compareFilePos(fileA string, posA uint64, fileB string, posB uint64) int {
	if c := binlogfile.CompareNames(fileA, fileB); c != 0 {
		return c
	}
	switch {
	case posA < posB:
		return -1
	case posA > posB:
		return 1
	}
	return 0
}

// ParseStartGTID reads a start GTID position as a user writes it: a MySQL
// GTID set ("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,...", tags allowed)
// or a MariaDB GTID list ("0-1-100,1-2-7"). MySQL sets always contain a
// UUID and a colon; MariaDB lists never do.
func ParseStartGTID(s string) (Position, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Position{}, fmt.Errorf("empty GTID position")
	}
	if strings.Contains(s, ":") {
		set, err := gtid.ParseSet(s)
		if err != nil {
			return Position{}, fmt.Errorf("MySQL GTID set %q: %w", s, err)
		}
		return Position{GTIDSet: set}, nil
	}
	p, err := gtid.ParseMariaDBPos(s)
	if err != nil {
		return Position{}, fmt.Errorf("MariaDB GTID position %q: %w", s, err)
	}
	return Position{MariaDBGTID: p}, nil
}

// orEmpty shows an empty GTID state (a server that has logged no GTID yet)
// visibly.
func orEmpty(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}
