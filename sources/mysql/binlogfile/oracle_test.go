package binlogfile_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/seed5aa6e046/syncer/internal/testcorpus"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
)

// TestMariaDBBinlogOracle checks every row value we decode from the corpus
// against an independent decoder: the stored output of
// `mariadb-binlog --no-defaults --base64-output=decode-rows -vv FILE`
// (MariaDB 10.11.19) beside each corpus binlog. See oracle_parse_test.go for
// how that output is read and oracle_notation_test.go for how our values are
// rendered in its notation.
//
// For each rows event mariadb-binlog printed, our decoder must have a rows
// event at the same offset, with the same action and table, the same number
// of rows, and in each row image the same columns, each with the same type
// name, metadata, nullability, NULL-ness and value. Where mariadb-binlog
// printed the whole file (exit 0, output not cut at 200 KB, no ERROR on
// stderr), every rows event we decode must also appear in its output. Where
// it did not, only the events it printed completely, before the point where
// it stopped, are compared; the rest are counted and listed as excluded.
func TestMariaDBBinlogOracle(t *testing.T) {
	dir := oracleCorpusDir(t)
	var txts []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".mariadb-binlog.txt") {
			txts = append(txts, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(txts)
	if len(txts) < 100 {
		t.Fatalf("found only %d *.mariadb-binlog.txt files in %s", len(txts), dir)
	}
	// Every binlog of the corpus (the rows of the SOURCES.md summary
	// table) must have its output, so that none is left out silently.
	sources, err := os.ReadFile(filepath.Join(dir, "SOURCES.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed := oracleSourcesRow.FindAllStringSubmatch(string(sources), -1)
	if len(listed) < 100 {
		t.Fatalf("SOURCES.md lists only %d binlogs", len(listed))
	}
	for _, m := range listed {
		if _, err := os.Stat(filepath.Join(dir, m[1]+".mariadb-binlog.txt")); err != nil {
			t.Errorf("%s: listed in SOURCES.md but has no mariadb-binlog output: %v", m[1], err)
		}
	}

	var total oracleStats
	var report []string
	var mismatches []string
	fullFiles, partialFiles := 0, 0
	for _, txt := range txts {
		bin := strings.TrimSuffix(txt, ".mariadb-binlog.txt")
		rel, _ := filepath.Rel(dir, bin)
		rel = filepath.ToSlash(rel)
		fr := checkOracleFile(t, bin, txt, rel)
		total.add(fr.stats)
		mismatches = append(mismatches, fr.mismatches...)
		if fr.full {
			fullFiles++
		} else {
			partialFiles++
		}
		report = append(report, fmt.Sprintf("%-95s %-9s %6d %7d %6d %7d %4d  %s", rel, fr.mode(),
			fr.stats.events, fr.stats.rows, fr.stats.values, fr.stats.nonNull, len(fr.mismatches), fr.note))
	}

	t.Logf("mariadb-binlog oracle, per file (mode: full = whole output compared both ways; partial = only what mariadb-binlog printed before it stopped):\n%-95s %-9s %6s %7s %6s %7s %4s  %s\n%s",
		"file", "mode", "events", "rows", "values", "nonnull", "bad", "exclusions / notes", strings.Join(report, "\n"))
	t.Logf("TOTAL: %d files (%d full, %d partial); %d rows events, %d rows, %d row images, %d values compared (%d non-NULL, of which %d BINARY(n) values matched theirs re-padded with zero bytes); %d mismatches; excluded: %d rows events after mariadb-binlog stopped, %d pre-GA rows events (neither side decodes their rows), %d events inside TRANSACTION_PAYLOAD",
		len(txts), fullFiles, partialFiles, total.events, total.rows, total.images, total.values, total.nonNull, total.repadded,
		len(mismatches), total.afterCut, total.preGA, total.inPayload)
	var types []string
	for name, n := range total.byType {
		types = append(types, fmt.Sprintf("%s %d", name, n))
	}
	sort.Strings(types)
	t.Logf("non-NULL values compared per type: %s", strings.Join(types, ", "))
	for _, m := range mismatches {
		t.Error(m)
	}

	// The comparison must not pass vacuously. The complete outputs hold
	// 6509 values (5788 non-NULL) in 1002 rows of 448 rows events, of 21
	// type names; the floor is a little below.
	if total.values < 6400 || total.nonNull < 5700 || total.rows < 1000 || total.events < 440 || fullFiles < 125 || len(total.byType) < 20 {
		t.Errorf("too little compared: %d files in full, %d rows events, %d rows, %d values (%d non-NULL)",
			fullFiles, total.events, total.rows, total.values, total.nonNull)
	}
}

type oracleStats struct {
	events, rows, images, values, nonNull int
	afterCut, preGA, inPayload            int
	repadded                              int            // BINARY(n) values equal to theirs re-padded with zero bytes
	byType                                map[string]int // non-NULL values, by type name without its (...)
}

func (s *oracleStats) add(o oracleStats) {
	if s.byType == nil {
		s.byType = map[string]int{}
	}
	for k, n := range o.byType {
		s.byType[k] += n
	}
	s.events += o.events
	s.rows += o.rows
	s.images += o.images
	s.values += o.values
	s.nonNull += o.nonNull
	s.afterCut += o.afterCut
	s.preGA += o.preGA
	s.inPayload += o.inPayload
	s.repadded += o.repadded
}

type oracleFileResult struct {
	full       bool
	note       string
	stats      oracleStats
	mismatches []string
}

func (r *oracleFileResult) mode() string {
	if r.full {
		return "full"
	}
	return "partial"
}

// ourValue is one of our values, rendered while the row iterator is on its
// row (Values are valid only until the next row).
type ourValue struct {
	present  bool
	isNull   bool
	kind     binlog.Kind
	text     string
	alts     []string
	err      error
	typeName string
	meta     int
	nullable bool
	json     string
	jsonErr  error
	colType  binlog.ColumnType
	binary   bool
	charset  binlog.Charset
}

type ourRow struct {
	before, after []ourValue // nil when the image does not exist
}

type ourRowsEvent struct {
	pos       int64
	typ       binlog.EventType
	action    binlog.RowsAction
	table     string // `db`.`t`
	labels    []string
	rows      []ourRow
	err       error
	hasTable  bool
	inPayload bool
}

func readOurRowsEvents(path string) (events []*ourRowsEvent, stop int64, readErr error) {
	// mariadb-binlog does not verify checksums (no --verify-binlog-checksum),
	// and some corpus files were edited after they were written (stale
	// CRC32s in binlog_recovery/*); the reader's checksum handling is
	// tested elsewhere, here it would only hide rows from the comparison.
	r := binlogfile.Open(path, binlogfile.WithDecoderOptions(binlog.WithoutChecksumVerification()))
	defer r.Close()
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return events, -1, nil
		}
		if err != nil {
			return events, stop, err
		}
		stop = ev.End()
		re, ok := ev.Body.(*binlog.RowsEvent)
		if !ok {
			continue
		}
		oe := &ourRowsEvent{pos: ev.Pos, typ: re.Type, action: re.Action(), inPayload: ev.InPayload}
		events = append(events, oe)
		if re.Table == nil {
			continue
		}
		oe.hasTable = true
		oe.table = oracleBacktick(re.Table.Schema) + "." + oracleBacktick(re.Table.Table)
		for i := range re.Table.Columns() {
			oe.labels = append(oe.labels, re.Table.ColumnLabel(i))
		}
		it := re.Rows()
		for it.Next() {
			oe.rows = append(oe.rows, ourRow{before: ourImage(it.Before()), after: ourImage(it.After())})
		}
		oe.err = it.Err()
	}
}

func ourImage(vals []binlog.Value) []ourValue {
	if vals == nil {
		return nil
	}
	out := make([]ourValue, len(vals))
	for i := range vals {
		v := &vals[i]
		if !v.Present() {
			continue
		}
		c := v.Column()
		o := ourValue{present: true, isNull: v.IsNull(), kind: v.Kind(), typeName: oracleTypeName(c),
			meta: int(c.Meta), nullable: c.Nullable, colType: c.RealType, binary: c.Charset == binlog.CharsetBinary, charset: c.Charset}
		if !o.isNull {
			o.text, o.alts, o.err = oracleNotation(v)
			j, err := v.AppendJSON(nil)
			o.json, o.jsonErr = string(j), err
		}
		out[i] = o
	}
	return out
}

var oracleSourcesRow = regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")

// oracleBacktick quotes a name as MariaDB's %`s does.
func oracleBacktick(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

func checkOracleFile(t *testing.T, bin, txt, rel string) (res oracleFileResult) {
	t.Helper()
	bad := func(format string, args ...any) {
		res.mismatches = append(res.mismatches, rel+": "+fmt.Sprintf(format, args...))
	}
	data, err := os.ReadFile(txt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s: output without its binlog: %v", rel, err)
	}
	out, err := parseOracleOutput(data)
	if err != nil {
		t.Fatalf("%s: cannot parse mariadb-binlog output: %v", rel+".mariadb-binlog.txt", err)
	}

	// Where did mariadb-binlog stop printing complete events?
	cut := int64(-1) // -1: it printed everything
	var why []string
	if out.exitCode != 0 {
		why = append(why, fmt.Sprintf("mariadb-binlog failed (exit %d)", out.exitCode))
	}
	if out.truncated {
		why = append(why, "output truncated at 200 KB")
	}
	if len(out.errors) > 0 {
		why = append(why, "mariadb-binlog reported "+strings.Join(out.errors, "; "))
	}
	res.full = len(why) == 0
	if !res.full {
		cut = out.lastAt
		if out.open != nil && out.open.events[0] < cut {
			cut = out.open.events[0]
		}
		for _, p := range out.headerless {
			if p < cut {
				cut = p
			}
		}
		if cut < 0 {
			cut = 0
		}
		res.note = strings.Join(why, ", ") + fmt.Sprintf(": compared only the events before offset %d", cut)
	} else {
		if out.open != nil {
			bad("mariadb-binlog exited 0 but the rows events at %v have no \"# Number of rows\"", out.open.events)
		}
		if len(out.headerless) > 0 {
			bad("mariadb-binlog exited 0 but printed no header for the events at %v", out.headerless)
		}
	}

	ours, ourStop, ourErr := readOurRowsEvents(bin)
	byPos := map[int64]*ourRowsEvent{}
	for _, e := range ours {
		if e.inPayload {
			res.stats.inPayload++
			continue
		}
		byPos[e.pos] = e
	}
	if ourErr != nil {
		msg := fmt.Sprintf("our reader stopped after offset %d: %v", ourStop, ourErr)
		if res.note != "" {
			res.note += "; "
		}
		res.note += msg
		if res.full {
			for _, g := range out.groups {
				if g.events[len(g.events)-1] >= ourStop {
					bad("%s, but mariadb-binlog decoded rows events up to offset %d", msg, g.events[len(g.events)-1])
					break
				}
			}
		}
	}

	seen := map[int64]bool{}
	for _, g := range out.groups {
		for _, p := range g.events {
			seen[p] = true
		}
		compareOracleGroup(g, byPos, &res.stats, bad)
	}
	var afterCut []string
	for _, e := range ours {
		if e.inPayload || seen[e.pos] {
			continue
		}
		if !res.full && e.pos >= cut {
			res.stats.afterCut++
			afterCut = append(afterCut, strconv.FormatInt(e.pos, 10))
			continue
		}
		bad("offset %d: we decode a %s event (%s %s, %d rows) that mariadb-binlog did not print", e.pos, e.typ, e.action, e.table, len(e.rows))
	}
	if len(afterCut) > 0 {
		res.note += fmt.Sprintf("; %d rows events not compared (at or after the cut)", len(afterCut))
	}
	if res.full && res.note == "" && res.stats.events == 0 {
		res.note = "no rows events (both sides agree)"
	}
	return res
}

func compareOracleGroup(g *oracleGroup, byPos map[int64]*ourRowsEvent, st *oracleStats, bad func(string, ...any)) {
	type src struct {
		ev  *ourRowsEvent
		row int
	}
	var rows []ourRow
	var from []src
	for i, p := range g.events {
		e := byPos[p]
		if e == nil {
			bad("offset %d: mariadb-binlog printed a %s event; we decode no rows event there", p, g.names[i])
			return
		}
		if e.err != nil {
			if errors.Is(e.err, binlog.ErrUnsupportedRowFormat) && g.count == 0 && len(g.rows) == 0 && strings.HasSuffix(g.names[i], "_old") {
				// Pre-GA rows events (MySQL 5.1.0-5.1.15, types 20-22):
				// mariadb-binlog prints "# Number of rows: 0" for them
				// and we report ErrUnsupportedRowFormat; neither decodes
				// the rows, so there is nothing to compare.
				st.preGA++
				continue
			}
			bad("offset %d (%s): our row iterator failed: %v", p, g.names[i], e.err)
			return
		}
		st.events++
		for j := range e.rows {
			rows = append(rows, e.rows[j])
			from = append(from, src{e, j + 1})
		}
	}
	if g.count != len(g.rows) {
		bad("group at offset %d: mariadb-binlog says %d rows but printed %d (parse error?)", g.events[0], g.count, len(g.rows))
	}
	if len(rows) != len(g.rows) {
		bad("rows events at offsets %v: mariadb-binlog printed %d rows, we decode %d", g.events, len(g.rows), len(rows))
		return
	}
	for i := range g.rows {
		th := &g.rows[i]
		ou := rows[i]
		e := from[i].ev
		where := fmt.Sprintf("offset %d row %d", e.pos, from[i].row)
		st.rows++
		want := map[binlog.RowsAction]string{binlog.RowsInsert: "INSERT", binlog.RowsUpdate: "UPDATE", binlog.RowsDelete: "DELETE"}[e.action]
		if th.action != want {
			bad("%s: mariadb-binlog prints %s, we decode %s", where, th.action, e.action)
			continue
		}
		if th.table != e.table {
			bad("%s: table: mariadb-binlog %s, ours %s", where, th.table, e.table)
		}
		var images [][]ourValue
		var clauses []string
		switch e.action {
		case binlog.RowsInsert:
			images, clauses = [][]ourValue{ou.after}, []string{"SET"}
		case binlog.RowsDelete:
			images, clauses = [][]ourValue{ou.before}, []string{"WHERE"}
		default:
			images, clauses = [][]ourValue{ou.before, ou.after}, []string{"WHERE", "SET"}
		}
		if len(th.images) != len(images) {
			bad("%s: mariadb-binlog prints %d images, we have %d", where, len(th.images), len(images))
			continue
		}
		for k, img := range th.images {
			if img.clause != clauses[k] {
				bad("%s: image %d is %s in mariadb-binlog, %s for us", where, k+1, img.clause, clauses[k])
				continue
			}
			st.images++
			compareOracleImage(where+" "+img.clause, img, images[k], e.labels, st, bad)
		}
	}
}

func compareOracleImage(where string, img oracleImage, ours []ourValue, labels []string, st *oracleStats, bad func(string, ...any)) {
	printed := map[int]bool{}
	for _, tv := range img.values {
		printed[tv.col] = true
		col := fmt.Sprintf("@%d", tv.col+1)
		if tv.col < len(labels) && labels[tv.col] != col {
			col += " (" + labels[tv.col] + ")"
		}
		at := fmt.Sprintf("%s column %s [txt line %d]", where, col, tv.line)
		if tv.col < 0 || tv.col >= len(ours) || !ours[tv.col].present {
			bad("%s: mariadb-binlog prints %s, the column is absent from our image", at, oracleShort(tv.text))
			continue
		}
		o := ours[tv.col]
		st.values++
		if o.typeName != tv.typeName || o.meta != tv.meta || o.nullable != tv.nullable {
			bad("%s: column type: mariadb-binlog %s meta=%d nullable=%t, ours %s meta=%d nullable=%t",
				at, tv.typeName, tv.meta, tv.nullable, o.typeName, o.meta, o.nullable)
		}
		if tv.isNull != o.isNull || (tv.isNull && tv.text != "NULL") {
			bad("%s: NULL: mariadb-binlog %s (is_null=%t), ours kind %s", at, oracleShort(tv.text), tv.isNull, o.kind)
			continue
		}
		if o.isNull {
			continue
		}
		st.nonNull++
		if st.byType == nil {
			st.byType = map[string]int{}
		}
		name, _, _ := strings.Cut(tv.typeName, "(")
		st.byType[name]++
		if o.err != nil {
			bad("%s: mariadb-binlog %s, ours cannot be rendered: %v", at, oracleShort(tv.text), o.err)
			continue
		}
		match := o.text == tv.text
		for _, a := range o.alts {
			if a == tv.text {
				match = true
				st.repadded++
			}
		}
		if !match {
			bad("%s %s: value: mariadb-binlog %s, ours %s (%s)", at, tv.typeName, oracleShort(tv.text), oracleShort(o.text), o.kind)
			continue
		}
		if err := checkOracleJSON(tv.text, o); err != nil {
			bad("%s %s: JSON rendering: %v", at, tv.typeName, err)
		}
	}
	for i, o := range ours {
		if o.present && !printed[i] {
			bad("%s column @%d: present in our image, not printed by mariadb-binlog", where, i+1)
		}
	}
}

// checkOracleJSON checks our JSON rendering where it differs on purpose
// from mariadb-binlog's notation, after converting theirs: TIMESTAMP (they
// print the Unix time, we render UTC text), binary strings (they print the
// bytes, we render base64) and UTF-8 text (they print the bytes, we render
// a JSON string).
func checkOracleJSON(theirs string, o ourValue) error {
	if o.jsonErr != nil {
		return o.jsonErr
	}
	switch {
	case o.kind == binlog.KindTimestamp:
		sec, frac, _ := strings.Cut(theirs, ".")
		s, err := strconv.ParseInt(sec, 10, 64)
		if err != nil {
			return fmt.Errorf("cannot read mariadb-binlog timestamp %q", theirs)
		}
		var want string
		if s == 0 && strings.Trim(frac, "0") == "" {
			want = "0000-00-00 00:00:00"
			if frac != "" {
				want += "." + frac
			}
		} else {
			want = time.Unix(s, 0).UTC().Format("2006-01-02T15:04:05")
			if frac != "" {
				want += "." + frac
			}
			want += "Z"
		}
		if got := o.json; got != strconv.Quote(want) {
			return fmt.Errorf("mariadb-binlog %s = %q UTC, ours %s", theirs, want, got)
		}
	case o.kind == binlog.KindBytes:
		var b64 string
		if err := jsonUnquote(o.json, &b64); err != nil {
			return fmt.Errorf("binary value rendered as %s, not a base64 string", oracleShort(o.json))
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return fmt.Errorf("binary value rendered as %s: %v", oracleShort(o.json), err)
		}
		if q := oracleQuote(raw); q != o.text {
			return fmt.Errorf("base64 %s decodes to %s, the value is %s", oracleShort(b64), oracleShort(q), oracleShort(o.text))
		}
	case o.kind == binlog.KindString && (o.charset == binlog.CharsetUTF8MB3 || o.charset == binlog.CharsetUTF8MB4):
		var s string
		if err := jsonUnquote(o.json, &s); err != nil {
			return fmt.Errorf("text rendered as %s", oracleShort(o.json))
		}
		q := oracleQuote([]byte(s))
		if !utf8.ValidString(theirs) {
			// Invalid UTF-8 in a UTF-8 column is rendered as base64.
			raw, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return fmt.Errorf("invalid UTF-8 rendered as %s, not base64", oracleShort(o.json))
			}
			q = oracleQuote(raw)
		}
		if q != o.text {
			return fmt.Errorf("text rendered as %s, the value is %s", oracleShort(o.json), oracleShort(o.text))
		}
	}
	return nil
}

func jsonUnquote(j string, out *string) error {
	s, err := strconv.Unquote(j)
	if err != nil {
		return err
	}
	*out = s
	return nil
}

// oracleCorpusDir returns ../shared/corpus/binlog beside the directory
// holding go.mod; it skips the test when that is missing, except under
// CI=true, where it fails.
func oracleCorpusDir(t *testing.T) string { return testcorpus.Dir(t) }
