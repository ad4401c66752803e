package binlogfile_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// This file parses the stored output of
//
//	mariadb-binlog --no-defaults --base64-output=decode-rows -vv FILE
//
// (FILE.mariadb-binlog.txt in the corpus, MariaDB 10.11.19) into the row
// values it printed. Layout facts the parser relies on, all visible in the
// corpus outputs and in MariaDB's sql/log_event_client.cc:
//
//   - Every event starts with "# at POS" followed by its header line
//     "#YYMMDD HH:MM:SS server id N  end_log_pos E ... \tName: ...". Some
//     "# at" lines are printed ahead of their header (an ANNOTATE_ROWS
//     followed by its TABLE_MAP; all the rows events of one statement,
//     whose output is buffered until the STMT_END_F event), but headers
//     always come in the same order as their "# at" lines, so a FIFO of
//     positions pairs them.
//   - The rows of all the rows events of one statement are printed
//     together after the last header of the statement, and closed by
//     "# Number of rows: N". So the unit of comparison is that group of
//     events; our side concatenates the rows of the same events.
//   - A row is "### INSERT INTO `db`.`t`" + "### SET", "### DELETE FROM ..."
//     + "### WHERE", or "### UPDATE ..." + "### WHERE" + "### SET"; each
//     image lists the present columns as
//     "###   @N=VALUE /* TYPE meta=M nullable=0|1 is_null=0|1 */".
//     VALUE never holds a newline: my_b_write_quoted prints every byte
//     <= 0x1F as \xNN.
//   - The file ends with "### stderr:" (when there was any), the
//     stderr text and "### exit code: N"; an output cut at 200 KB has
//     "### [truncated: full stdout was N bytes]" right after the cut.

// oracleValue is one "###   @N=..." line.
type oracleValue struct {
	col      int // 0-based
	text     string
	typeName string
	meta     int
	nullable bool
	isNull   bool
	line     int
}

type oracleImage struct {
	clause string // SET or WHERE
	values []oracleValue
}

type oracleRow struct {
	action string // INSERT, UPDATE, DELETE
	table  string // `db`.`t` as printed
	images []oracleImage
	line   int
}

// oracleGroup is the rows events of one statement and the rows printed for
// them.
type oracleGroup struct {
	events []int64 // positions, in order
	names  []string
	rows   []oracleRow
	count  int // from "# Number of rows: N"; -1 while open
	line   int
}

type oracleOutput struct {
	exitCode  int
	truncated bool     // "### [truncated: ...]"
	errors    []string // "ERROR: ..." lines of stderr
	groups    []*oracleGroup
	open      *oracleGroup // group not closed when the output ended
	lastAt    int64        // last "# at" position printed; -1 for none
	// headerless are "# at" positions whose header line never came (the
	// event mariadb-binlog failed on).
	headerless []int64
}

var (
	oracleHeaderRe  = regexp.MustCompile(`^#\d{6} +\d+:\d+:\d+ server id \d+ +end_log_pos \d+`)
	oracleRowsName  = regexp.MustCompile(`^(Write|Update|Delete)_(compressed_)?rows(_old|_v1)?$`)
	oracleValueRe   = regexp.MustCompile(`^###   @(\d+)=`)
	oracleCommentRe = regexp.MustCompile(`^ /\* (.+) meta=(\d+) nullable=([01]) is_null=([01]) \*/$`)
)

func parseOracleOutput(data []byte) (*oracleOutput, error) {
	out := &oracleOutput{exitCode: -1, lastAt: -1}
	var queue []int64
	var row *oracleRow
	inTrailer := false
	lines := bytes.Split(data, []byte("\n"))
	for i, l := range lines {
		if i > 0 && bytes.HasPrefix(l, []byte("### [truncated: ")) {
			// The output was cut at 200 KB, usually inside a line: drop
			// the line before the marker. The group it belongs to stays
			// open and is not compared.
			lines[i-1] = nil
			break
		}
	}
	for i, lb := range lines {
		ln := i + 1
		line := string(lb)
		fail := func(format string, args ...any) error {
			return fmt.Errorf("line %d %q: %s", ln, oracleShort(line), fmt.Sprintf(format, args...))
		}
		if inTrailer {
			if rest, ok := strings.CutPrefix(line, "### exit code: "); ok {
				n, err := strconv.Atoi(strings.TrimSpace(rest))
				if err != nil {
					return nil, fail("bad exit code")
				}
				out.exitCode = n
			} else if strings.HasPrefix(line, "ERROR:") {
				out.errors = append(out.errors, line)
			}
			continue
		}
		switch {
		case strings.HasPrefix(line, "### [truncated: "):
			out.truncated = true
			inTrailer = true
		case line == "### stderr:" || strings.HasPrefix(line, "### exit code: "):
			inTrailer = true
			if rest, ok := strings.CutPrefix(line, "### exit code: "); ok {
				n, err := strconv.Atoi(strings.TrimSpace(rest))
				if err != nil {
					return nil, fail("bad exit code")
				}
				out.exitCode = n
			}
		case strings.HasPrefix(line, "# at "):
			pos, err := strconv.ParseInt(strings.TrimSpace(line[5:]), 10, 64)
			if err != nil {
				return nil, fail("bad position")
			}
			queue = append(queue, pos)
			out.lastAt = pos
		case oracleHeaderRe.MatchString(line):
			_, after, _ := strings.Cut(line, "\t")
			name, _, _ := strings.Cut(after, ":")
			isRows := oracleRowsName.MatchString(name)
			if len(queue) == 0 {
				if isRows {
					return nil, fail("rows event header without a preceding \"# at\"")
				}
				// An EXEC_LOAD event reprints the header of the
				// CREATE_FILE query it executes, with no "# at".
				continue
			}
			pos := queue[0]
			queue = queue[1:]
			if !isRows {
				continue
			}
			if out.open == nil {
				out.open = &oracleGroup{count: -1, line: ln}
			} else if len(out.open.rows) > 0 {
				return nil, fail("rows event header after rows were printed for an open group")
			}
			out.open.events = append(out.open.events, pos)
			out.open.names = append(out.open.names, name)
		case strings.HasPrefix(line, "# Number of rows: "):
			if out.open == nil {
				return nil, fail("row count without rows events")
			}
			n, err := strconv.Atoi(strings.TrimSpace(line[len("# Number of rows: "):]))
			if err != nil {
				return nil, fail("bad row count")
			}
			out.open.count = n
			out.groups = append(out.groups, out.open)
			out.open, row = nil, nil
		case strings.HasPrefix(line, "### "):
			g := out.open
			if g == nil {
				return nil, fail("row line outside a rows event")
			}
			switch {
			case strings.HasPrefix(line, "### INSERT INTO "), strings.HasPrefix(line, "### UPDATE "), strings.HasPrefix(line, "### DELETE FROM "):
				rest := line[4:]
				var action string
				for _, a := range []string{"INSERT INTO ", "UPDATE ", "DELETE FROM "} {
					if t, ok := strings.CutPrefix(rest, a); ok {
						action, rest = strings.Fields(a)[0], t
						break
					}
				}
				if strings.HasSuffix(rest, " VALUES ()") {
					// An insert event with no row data: no row.
					continue
				}
				g.rows = append(g.rows, oracleRow{action: action, table: rest, line: ln})
				row = &g.rows[len(g.rows)-1]
			case line == "### SET" || line == "### WHERE":
				if row == nil {
					return nil, fail("image clause before a row")
				}
				row.images = append(row.images, oracleImage{clause: line[4:]})
			case oracleValueRe.MatchString(line):
				if row == nil || len(row.images) == 0 {
					return nil, fail("value before an image clause")
				}
				v, err := parseOracleValue(line)
				if err != nil {
					return nil, fail("%v", err)
				}
				v.line = ln
				img := &row.images[len(row.images)-1]
				img.values = append(img.values, v)
			default:
				return nil, fail("unrecognised row line")
			}
		}
	}
	out.headerless = queue
	if out.exitCode < 0 {
		// One stored output (generated-mariadb-10.11/mariadb-bin.000003)
		// ends with a bare "exit N" line instead of "### exit code: N".
		for i := len(lines) - 1; i >= 0; i-- {
			last := strings.TrimSpace(string(lines[i]))
			if last == "" {
				continue
			}
			if rest, ok := strings.CutPrefix(last, "exit "); ok {
				if n, err := strconv.Atoi(rest); err == nil {
					out.exitCode = n
				}
			}
			break
		}
	}
	if out.exitCode < 0 {
		return nil, fmt.Errorf("no \"### exit code:\" line")
	}
	return out, nil
}

// parseOracleValue splits "###   @N=VALUE /* TYPE meta=M nullable=X is_null=Y */".
// The comment is found from the end: VALUE may contain " /* " (strings are
// printed raw), the type name never does.
func parseOracleValue(line string) (oracleValue, error) {
	m := oracleValueRe.FindStringSubmatch(line)
	n, _ := strconv.Atoi(m[1])
	rest := line[len(m[0]):]
	cut := strings.LastIndex(rest, " /* ")
	if cut < 0 {
		return oracleValue{}, fmt.Errorf("no type comment")
	}
	c := oracleCommentRe.FindStringSubmatch(rest[cut:])
	if c == nil {
		return oracleValue{}, fmt.Errorf("bad type comment %q", rest[cut:])
	}
	meta, _ := strconv.Atoi(c[2])
	return oracleValue{
		col:      n - 1,
		text:     rest[:cut],
		typeName: c[1],
		meta:     meta,
		nullable: c[3] == "1",
		isNull:   c[4] == "1",
	}, nil
}

func oracleShort(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}
