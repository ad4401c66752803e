package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	_ "github.com/go-sql-driver/mysql"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// pass is one run of the workload against a server configuration.
type pass struct {
	name    string
	schema  string
	minimal bool // binlog_row_metadata=MINIMAL: no column names or ENUM/SET labels
	noLog   bool // binlog_row_metadata=NO_LOG (with minimal): no signedness or charsets either
	partial bool // binlog_row_image=MINIMAL/NOBLOB: images may omit columns (not the primary key)
	// history dumps with --schema-from/--state-dir: the schema history
	// supplies what the metadata lacks, so every value must be as with
	// FULL metadata (minimal and noLog stay false) whatever the server
	// logged.
	history bool
	globals []string // SET GLOBAL statements run before the workload
	tables  []table  // default tables()
	steps   []step   // default workload()
}

func (p pass) tableList() []table {
	if p.tables != nil {
		return p.tables
	}
	return tables()
}

func (p pass) stepList() []step {
	if p.steps != nil {
		return p.steps
	}
	return workload()
}

// snapshot maps id to the expected-value expressions of every column, in
// table order (see column.exprs).
type snapshot map[int64][]sql.NullString

// change is one row change the binary log must contain.
type change struct {
	step          int
	sql           string
	before, after []sql.NullString // nil when the image is absent
}

// gotChange is one row of a rows event printed by `syncer binlog dump`.
type gotChange struct {
	where         string // file:pos and event type
	before, after map[string]any
}

func takeSnapshot(ctx context.Context, conn *sql.Conn, schema string, t table) (snapshot, error) {
	exprs := []string{"`id`"}
	for _, c := range t.cols {
		exprs = append(exprs, c.exprs()...)
	}
	q := fmt.Sprintf("SELECT %s FROM `%s`.`%s` ORDER BY `id`", strings.Join(exprs, ", "), schema, t.name)
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s.%s: %w", schema, t.name, err)
	}
	defer rows.Close()
	snap := snapshot{}
	for rows.Next() {
		var id int64
		vals := make([]sql.NullString, len(exprs)-1)
		ptrs := []any{&id}
		for i := range vals {
			ptrs = append(ptrs, &vals[i])
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("snapshot %s.%s: %w", schema, t.name, err)
		}
		snap[id] = vals
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("snapshot %s.%s: %w", schema, t.name, err)
	}
	return snap, nil
}

func sameRow(a, b []sql.NullString) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// diff returns the row changes that turn before into after, by id.
func diff(before, after snapshot, stepIdx int, stmt string) map[int64]change {
	out := map[int64]change{}
	for id, a := range after {
		b, ok := before[id]
		switch {
		case !ok:
			out[id] = change{step: stepIdx, sql: stmt, after: a}
		case !sameRow(a, b):
			out[id] = change{step: stepIdx, sql: stmt, before: b, after: a}
		}
	}
	for id, b := range before {
		if _, ok := after[id]; !ok {
			out[id] = change{step: stepIdx, sql: stmt, before: b}
		}
	}
	return out
}

// runWorkload creates pass.schema and its tables, runs the workload and
// returns the expected row changes per table and id, and the binlog files
// holding them.
func runWorkload(t *testing.T, db *harness.MariaDB, p pass) (map[string]map[int64][]change, []string) {
	t.Helper()
	ctx := t.Context()
	for _, g := range p.globals {
		if _, err := db.DB().ExecContext(ctx, g); err != nil {
			t.Fatalf("%s: %v", g, err)
		}
	}
	if err := db.FlushLogs(ctx); err != nil {
		t.Fatal(err)
	}
	files, err := db.BinlogFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := files[len(files)-1]

	// A new session, so that session defaults just changed with SET GLOBAL
	// (binlog_row_image) apply: the shared pool may hold older sessions.
	fresh, err := sql.Open("mysql", db.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	work, err := fresh.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer work.Close()
	snapConn, err := db.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer snapConn.Close()
	if _, err := snapConn.ExecContext(ctx, "SET time_zone = '+00:00'"); err != nil {
		t.Fatal(err)
	}

	tbls := map[string]table{}
	for _, q := range []string{"DROP DATABASE IF EXISTS `" + p.schema + "`", "CREATE DATABASE `" + p.schema + "`", "USE `" + p.schema + "`"} {
		if _, err := work.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	current := map[string]snapshot{}
	for _, tb := range p.tableList() {
		tbls[tb.name] = tb
		if _, err := work.ExecContext(ctx, tb.createSQL()); err != nil {
			t.Fatalf("%s: %v", tb.createSQL(), err)
		}
		current[tb.name] = snapshot{}
	}

	expected := map[string]map[int64][]change{}
	var slowest time.Duration
	slowStep := 0
	for i, st := range p.stepList() {
		stepStart := time.Now()
		res, err := work.ExecContext(ctx, st.sql)
		if err != nil {
			t.Fatalf("workload step %d: %s: %v", i, short(st.sql), err)
		}
		if st.table == "" {
			continue
		}
		n, _ := res.RowsAffected()
		after, err := takeSnapshot(ctx, snapConn, p.schema, tbls[st.table])
		if err != nil {
			t.Fatal(err)
		}
		changes := diff(current[st.table], after, i, st.sql)
		if int64(len(changes)) != n {
			t.Fatalf("workload step %d: %s: %d rows affected but the snapshots differ in %d rows", i, short(st.sql), n, len(changes))
		}
		if len(changes) == 0 {
			t.Fatalf("workload step %d changed nothing (fix the workload): %s", i, short(st.sql))
		}
		if expected[st.table] == nil {
			expected[st.table] = map[int64][]change{}
		}
		for id, c := range changes {
			expected[st.table][id] = append(expected[st.table][id], c)
		}
		current[st.table] = after
		if d := time.Since(stepStart); d > slowest {
			slowest, slowStep = d, i
		}
	}
	t.Logf("%s: %d workload steps; slowest: step %d, %s", p.name, len(p.stepList()), slowStep, slowest.Round(time.Millisecond))

	if err := db.FlushLogs(ctx); err != nil {
		t.Fatal(err)
	}
	files, err = db.BinlogFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var passFiles []string
	for i, f := range files {
		if f == first {
			passFiles = files[i : len(files)-1]
		}
	}
	if len(passFiles) == 0 {
		t.Fatalf("binlog file %s of this pass not in SHOW BINARY LOGS: %v", first, files)
	}
	return expected, passFiles
}

// dump runs `syncer binlog dump args...` and returns its JSON lines,
// numbers kept as json.Number.
func dump(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), shared.syncer, append([]string{"binlog", "dump"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("syncer binlog dump %s: %v\nstderr:\n%s\nlast output line:\n%s",
			strings.Join(args, " "), err, stderr.String(), short(lastLine(stdout.Bytes())))
	}
	dec := json.NewDecoder(&stdout)
	dec.UseNumber()
	var out []map[string]any
	for dec.More() {
		var ev map[string]any
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("syncer binlog dump %s: line %d is not a JSON object: %v", strings.Join(args, " "), len(out)+1, err)
		}
		out = append(out, ev)
	}
	return out
}

func lastLine(b []byte) string {
	b = bytes.TrimRight(b, "\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return string(b)
}

// rowsOf collects the row changes of the dump's rows events on schema, per
// table and id.
func rowsOf(t *testing.T, events []map[string]any, schema string, minimal bool) (map[string]map[int64][]gotChange, int) {
	t.Helper()
	idKey := "id"
	if minimal {
		idKey = "@1"
	}
	got := map[string]map[int64][]gotChange{}
	total := 0
	for _, ev := range events {
		rows, ok := ev["rows"]
		if !ok {
			continue
		}
		where := fmt.Sprintf("%v:%v %v", ev["file"], ev["pos"], ev["type"])
		tbl, _ := ev["table"].(map[string]any)
		if tbl == nil {
			t.Errorf("%s: rows event without a \"table\" object", where)
			continue
		}
		if tbl["schema"] != schema {
			continue
		}
		name, _ := tbl["name"].(string)
		list, ok := rows.([]any)
		if !ok {
			t.Errorf("%s: \"rows\" is %T, want an array", where, rows)
			continue
		}
		for _, r := range list {
			row, ok := r.(map[string]any)
			if !ok {
				t.Errorf("%s: row is %T, want an object", where, r)
				continue
			}
			g := gotChange{where: where}
			g.before, _ = row["before"].(map[string]any)
			g.after, _ = row["after"].(map[string]any)
			// The primary key is in every image except, with a partial
			// binlog_row_image, an UPDATE's after image.
			img := g.after
			if _, ok := img[idKey]; !ok && g.before != nil {
				img = g.before
			}
			if img == nil {
				t.Errorf("%s: row with neither before nor after image: %v", where, row)
				continue
			}
			idv, ok := img[idKey].(json.Number)
			if !ok {
				t.Errorf("%s: row image has no integer %q: %v", where, idKey, short(fmt.Sprint(img)))
				continue
			}
			id, err := idv.Int64()
			if err != nil {
				t.Errorf("%s: id %v: %v", where, idv, err)
				continue
			}
			if got[name] == nil {
				got[name] = map[int64][]gotChange{}
			}
			got[name][id] = append(got[name][id], g)
			total++
		}
	}
	return got, total
}

// mismatches groups differences by table and column so that a decoder bug
// in one column is reported once with examples, not once per row.
type mismatches struct {
	groups map[string]*mismatchGroup
	order  []string
}

type mismatchGroup struct {
	count    int
	examples []string
}

func (m *mismatches) add(key, example string) {
	if m.groups == nil {
		m.groups = map[string]*mismatchGroup{}
	}
	g := m.groups[key]
	if g == nil {
		g = &mismatchGroup{}
		m.groups[key] = g
		m.order = append(m.order, key)
	}
	g.count++
	if len(g.examples) < 3 {
		g.examples = append(g.examples, example)
	}
}

func (m *mismatches) report(t *testing.T, prefix string) {
	t.Helper()
	for _, k := range m.order {
		g := m.groups[k]
		t.Errorf("%s %s: %d mismatching values; e.g.\n    %s", prefix, k, g.count, strings.Join(g.examples, "\n    "))
	}
}

// compareValue checks one dumped value against the server's rendering.
// want holds the column's expressions (see column.exprs).
func compareValue(c column, minimal bool, want []sql.NullString, got any) (ok bool, wantRepr string) {
	if !want[0].Valid && (len(want) == 1 || !want[1].Valid) {
		return got == nil, "null"
	}
	w := want[0].String
	switch c.kind {
	case kInt, kBit, kYear:
		n, isNum := got.(json.Number)
		return isNum && n.String() == w, w
	case kFloat:
		exp, err := strconv.ParseFloat(w, 64)
		if err != nil {
			return false, "unparsable server value " + strconv.Quote(w)
		}
		n, isNum := got.(json.Number)
		if !isNum {
			return false, w + " (as float32)"
		}
		g, err := strconv.ParseFloat(n.String(), 32)
		return err == nil && float32(g) == float32(exp), strconv.FormatFloat(float64(float32(exp)), 'g', -1, 32) + " (float32)"
	case kDouble:
		exp, err := strconv.ParseFloat(w, 64)
		if err != nil {
			return false, "unparsable server value " + strconv.Quote(w)
		}
		n, isNum := got.(json.Number)
		if !isNum {
			return false, w
		}
		g, err := strconv.ParseFloat(n.String(), 64)
		return err == nil && g == exp, w
	case kDecimal, kTemporal, kText:
		s, isStr := got.(string)
		return isStr && s == w, strconv.Quote(w)
	case kBinary:
		raw, err := hex.DecodeString(w)
		if err != nil {
			return false, "unparsable server HEX " + strconv.Quote(w)
		}
		exp := base64.StdEncoding.EncodeToString(raw)
		s, isStr := got.(string)
		return isStr && s == exp, strconv.Quote(exp)
	case kTimestamp:
		exp := w
		if !strings.HasPrefix(w, "0000-00-00") {
			exp = strings.Replace(w, " ", "T", 1) + "Z"
		}
		s, isStr := got.(string)
		return isStr && s == exp, strconv.Quote(exp)
	case kEnum:
		if minimal {
			n, isNum := got.(json.Number)
			return isNum && n.String() == want[1].String, want[1].String + " (index)"
		}
		s, isStr := got.(string)
		return isStr && s == w, strconv.Quote(w)
	case kSet:
		if minimal {
			n, isNum := got.(json.Number)
			return isNum && n.String() == want[1].String, want[1].String + " (bitmask)"
		}
		var exp []string
		if w != "" {
			exp = strings.Split(w, ",")
		}
		arr, isArr := got.([]any)
		if !isArr || len(arr) != len(exp) {
			return false, fmt.Sprintf("%q", exp)
		}
		for i := range arr {
			if s, _ := arr[i].(string); s != exp[i] {
				return false, fmt.Sprintf("%q", exp)
			}
		}
		return true, ""
	case kGeometry:
		exp := fmt.Sprintf(`{"srid":%s,"wkb":%q}`, w, strings.ToLower(want[1].String))
		obj, isObj := got.(map[string]any)
		if !isObj || len(obj) != 2 {
			return false, exp
		}
		srid, _ := obj["srid"].(json.Number)
		wkb, _ := obj["wkb"].(string)
		return srid.String() == w && strings.EqualFold(wkb, want[1].String), exp
	}
	return false, "unknown kind"
}

// intBits is the width of each integer type, by the first word of its DDL.
var intBits = map[string]uint{"TINYINT": 8, "BOOLEAN": 8, "SMALLINT": 16, "MEDIUMINT": 24, "INT": 32, "BIGINT": 64}

// noLogExpectation turns the server's rendering of a column value into
// what the dump prints with binlog_row_metadata=NO_LOG, whose TABLE_MAP
// has no signedness and no charsets (README, "Known limitations"; value.go
// AppendJSON and appendText):
//   - integers are read as signed: an UNSIGNED value with the top bit of
//     its width set prints as the negative two's-complement number;
//   - every string column, text or binary, has an unknown charset: its
//     bytes (the server's HEX) print as a JSON string when they are valid
//     UTF-8, else as base64;
//   - BINARY(n) is not re-padded: the server logs it without its trailing
//     zero bytes (Field_string::pack), and without the collation the
//     decoder cannot know to put them back.
//
// It returns the column with the kind to compare as and the expected
// value for compareValue. ENUM and SET print as with MINIMAL (the pass
// sets minimal too); every other kind is unchanged.
func noLogExpectation(c column, want []sql.NullString) (column, []sql.NullString) {
	if !want[0].Valid {
		return c, want
	}
	var hexWant string
	switch c.kind {
	case kInt:
		if !strings.Contains(c.ddl, "UNSIGNED") {
			return c, want
		}
		bits := intBits[strings.Fields(c.ddl)[0]]
		u, err := strconv.ParseUint(want[0].String, 10, 64)
		if bits == 0 || err != nil {
			return c, []sql.NullString{{String: fmt.Sprintf("unparsable %s value %q", c.ddl, want[0].String), Valid: true}}
		}
		signed := int64(u<<(64-bits)) >> (64 - bits)
		return c, []sql.NullString{{String: strconv.FormatInt(signed, 10), Valid: true}}
	case kText:
		hexWant = want[1].String
	case kBinary:
		hexWant = want[0].String
	default:
		return c, want
	}
	raw, err := hex.DecodeString(hexWant)
	if err != nil {
		c.kind = kText
		return c, []sql.NullString{{String: "unparsable server HEX " + strconv.Quote(hexWant), Valid: true}}
	}
	if c.kind == kBinary && (strings.HasPrefix(c.ddl, "BINARY(") || strings.HasPrefix(c.ddl, "CHAR(")) {
		raw = bytes.TrimRight(raw, "\x00") // BINARY(n), CHAR(n) CHARACTER SET binary
	}
	if utf8.Valid(raw) {
		c.kind = kText
		return c, []sql.NullString{{String: string(raw), Valid: true}}
	}
	c.kind = kBinary
	return c, []sql.NullString{{String: hex.EncodeToString(raw), Valid: true}}
}

func repr(v any) string {
	if v == nil {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// short truncates long values in messages, keeping their length visible.
func short(s string) string {
	const max = 160
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(fmt.Sprintf("%s…(%d bytes)…%s", s[:max-40], len(s), s[len(s)-20:]), "")
}

// compareImage compares one before or after image and records mismatches.
func compareImage(m *mismatches, tb table, minimal, noLog, partial bool, id int64, which string, c change, g gotChange,
	want []sql.NullString, got map[string]any) (values int) {
	keys := map[string]bool{}
	if minimal {
		keys["@1"] = true
	} else {
		keys["id"] = true
	}
	off := 0
	for i, col := range tb.cols {
		n := len(col.exprs())
		w := want[off : off+n]
		off += n
		key := col.name
		if minimal {
			key = "@" + strconv.Itoa(i+2)
		}
		keys[key] = true
		gv, present := got[key]
		label := fmt.Sprintf("%s.%s %s [%s]", tb.name, col.name, col.ddl, col.kind)
		if minimal {
			label = fmt.Sprintf("%s.%s (%s) %s [%s]", tb.name, key, col.name, col.ddl, col.kind)
		}
		if !present && partial {
			continue
		}
		if !present {
			m.add(label, fmt.Sprintf("id=%d %s image at %s: key %q missing (step %d: %s)", id, which, g.where, key, c.step, short(c.sql)))
			continue
		}
		values++
		if noLog {
			col, w = noLogExpectation(col, w)
		}
		if ok, wr := compareValue(col, minimal, w, gv); !ok {
			m.add(label, fmt.Sprintf("id=%d %s image at %s: want %s, got %s (step %d: %s)",
				id, which, g.where, short(wr), short(repr(gv)), c.step, short(c.sql)))
		}
	}
	var extra []string
	for k := range got {
		if !keys[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		m.add(tb.name+" (image keys)", fmt.Sprintf("id=%d %s image at %s: unexpected keys %v", id, which, g.where, extra))
	}
	return values
}

// compareAll compares the expected changes with the dumped ones.
func compareAll(t *testing.T, p pass, expected map[string]map[int64][]change, got map[string]map[int64][]gotChange) (images, values, possible int) {
	t.Helper()
	var m mismatches
	for _, tb := range p.tableList() {
		exp := expected[tb.name]
		if len(exp) == 0 {
			t.Errorf("table %s: the workload produced no expected changes", tb.name)
			continue
		}
		if len(got[tb.name]) == 0 {
			t.Errorf("table %s.%s: no rows events in the dump", p.schema, tb.name)
			continue
		}
		ids := map[int64]bool{}
		for id := range exp {
			ids[id] = true
		}
		for id := range got[tb.name] {
			ids[id] = true
		}
		for id := range ids {
			ec, gc := exp[id], got[tb.name][id]
			if len(ec) != len(gc) {
				var steps []string
				for _, c := range ec {
					steps = append(steps, strconv.Itoa(c.step))
				}
				var wheres []string
				for _, g := range gc {
					wheres = append(wheres, g.where)
				}
				m.add(tb.name+" (row changes)", fmt.Sprintf("id=%d: %d changes expected (steps %v), %d in the dump (%v)",
					id, len(ec), steps, len(gc), wheres))
			}
			for i := 0; i < min(len(ec), len(gc)); i++ {
				c, g := ec[i], gc[i]
				if (c.before != nil) != (g.before != nil) || (c.after != nil) != (g.after != nil) {
					m.add(tb.name+" (row images)", fmt.Sprintf("id=%d at %s: before/after present = %v/%v, want %v/%v (step %d: %s)",
						id, g.where, g.before != nil, g.after != nil, c.before != nil, c.after != nil, c.step, short(c.sql)))
					continue
				}
				if c.before != nil {
					images++
					possible += len(tb.cols)
					values += compareImage(&m, tb, p.minimal, p.noLog, p.partial, id, "before", c, g, c.before, g.before)
				}
				if c.after != nil {
					images++
					possible += len(tb.cols)
					values += compareImage(&m, tb, p.minimal, p.noLog, p.partial, id, "after", c, g, c.after, g.after)
				}
			}
		}
	}
	t.Logf("%s: compared %d row images, %d values (of %d in full images)", p.name, images, values, possible)
	m.report(t, p.name)
	return images, values, possible
}

// runPass runs the workload for p on db, dumps the pass's binlog files with
// the CLI and compares every row image; it returns the files.
func runPass(t *testing.T, db *harness.MariaDB, p pass) []string {
	t.Helper()
	start := time.Now()
	expected, files := runWorkload(t, db, p)
	keepFiles(t, p.name, files)
	t.Logf("%s: workload and snapshots took %s", p.name, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	var args []string
	if p.history {
		user, pw := db.User()
		args = []string{"--schema-from", dsnFor(db, user, pw, ""), "--state-dir", t.TempDir()}
	}
	events := dump(t, append(args, files...)...)
	defer func() { t.Logf("%s: dump and comparison took %s", p.name, time.Since(start).Round(time.Millisecond)) }()
	got, total := rowsOf(t, events, p.schema, p.minimal)
	if total == 0 {
		types := map[string]int{}
		for _, ev := range events {
			types[fmt.Sprint(ev["type"])]++
		}
		t.Fatalf("no rows of schema %s in the dump of %v (%d events: %v)", p.schema, files, len(events), types)
	}
	_, values, possible := compareAll(t, p, expected, got)
	if p.partial && values >= possible {
		t.Errorf("%s: every image is complete (%d values): the partial binlog_row_image is not in effect", p.name, values)
	}
	if !p.partial && values != possible {
		t.Errorf("%s: %d values compared, want %d", p.name, values, possible)
	}

	// --stats decodes every value and counts the same rows.
	stats := dump(t, append(append([]string{"--stats"}, args...), files...)...)
	if len(stats) != 1 {
		t.Fatalf("--stats printed %d JSON lines, want 1", len(stats))
	}
	allRows := 0
	for _, ev := range events {
		if rows, ok := ev["rows"].([]any); ok {
			allRows += len(rows)
		}
	}
	if n, _ := stats[0]["rows"].(json.Number); n.String() != strconv.Itoa(allRows) {
		t.Errorf("--stats rows = %v, want %d (rows printed by the JSON dump of the same files)", stats[0]["rows"], allRows)
	}
	return files
}

// keepFiles copies a pass's binlog files to $SYNCER_E2E_KEEP/<pass>/ when
// that variable is set, to reproduce a failure with the CLI by hand.
func keepFiles(t *testing.T, name string, files []string) {
	t.Helper()
	dir := os.Getenv("SYNCER_E2E_KEEP")
	if dir == "" {
		return
	}
	dst := filepath.Join(dir, name)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%s: binlog files kept in %s", name, dst)
}

func TestDifferential(t *testing.T) {
	db := sharedDB(t)
	t.Parallel() // with TestDifferentialCompressed, which has its own server
	// The passes change global server variables: they run one after the
	// other on the shared server.
	for _, p := range []pass{
		{name: "full", schema: "e2e_full",
			globals: []string{"SET GLOBAL binlog_row_metadata = 'FULL'", "SET GLOBAL binlog_checksum = 'CRC32'",
				"SET GLOBAL binlog_row_image = 'FULL'"}},
		{name: "minimal", schema: "e2e_minimal", minimal: true,
			globals: []string{"SET GLOBAL binlog_row_metadata = 'MINIMAL'", "SET GLOBAL binlog_checksum = 'CRC32'"}},
		{name: "full-nochecksum", schema: "e2e_nochecksum",
			globals: []string{"SET GLOBAL binlog_row_metadata = 'FULL'", "SET GLOBAL binlog_checksum = 'NONE'"}},
		// Partial row images: the rows events' column bitmaps select the
		// columns present; every present value must still be right.
		{name: "full-image-minimal", schema: "e2e_image_minimal", partial: true,
			globals: []string{"SET GLOBAL binlog_row_metadata = 'FULL'", "SET GLOBAL binlog_checksum = 'CRC32'",
				"SET GLOBAL binlog_row_image = 'MINIMAL'"}},
		{name: "minimal-image-noblob", schema: "e2e_image_noblob", partial: true, minimal: true,
			globals: []string{"SET GLOBAL binlog_row_metadata = 'MINIMAL'", "SET GLOBAL binlog_checksum = 'CRC32'",
				"SET GLOBAL binlog_row_image = 'NOBLOB'"}},
		// MariaDB's default: no optional TABLE_MAP metadata at all; see
		// noLogExpectation for what the dump prints then.
		{name: "nolog", schema: "e2e_nolog", minimal: true, noLog: true,
			globals: []string{"SET GLOBAL binlog_row_metadata = 'NO_LOG'", "SET GLOBAL binlog_checksum = 'CRC32'",
				"SET GLOBAL binlog_row_image = 'FULL'"}},
		// The same binlogs read with the schema history: every value as
		// with FULL metadata (names, labels, signedness, charsets).
		{name: "nolog-history", schema: "e2e_nolog_history", history: true,
			globals: []string{"SET GLOBAL binlog_row_metadata = 'NO_LOG'", "SET GLOBAL binlog_checksum = 'CRC32'",
				"SET GLOBAL binlog_row_image = 'FULL'"}},
		{name: "minimal-history", schema: "e2e_minimal_history", history: true,
			globals: []string{"SET GLOBAL binlog_row_metadata = 'MINIMAL'", "SET GLOBAL binlog_checksum = 'CRC32'",
				"SET GLOBAL binlog_row_image = 'FULL'"}},
	} {
		t.Run(p.name, func(t *testing.T) {
			runPass(t, db, p)
		})
	}
	for _, q := range []string{"SET GLOBAL binlog_checksum = 'CRC32'", "SET GLOBAL binlog_row_image = 'FULL'",
		"SET GLOBAL binlog_row_metadata = 'FULL'"} {
		if _, err := db.DB().ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
}

// eventTypeCounts walks a binlog file by the event headers' sizes (no
// decoder involved) and counts the event type codes.
func eventTypeCounts(path string) (map[byte]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(b, []byte{0xfe, 'b', 'i', 'n'}) {
		return nil, fmt.Errorf("%s: no binlog magic", path)
	}
	counts := map[byte]int{}
	for pos := 4; pos < len(b); {
		if len(b)-pos < 19 {
			return nil, fmt.Errorf("%s: %d trailing bytes at %d", path, len(b)-pos, pos)
		}
		size := int(binary.LittleEndian.Uint32(b[pos+9:]))
		if size < 19 || size > len(b)-pos {
			return nil, fmt.Errorf("%s: event at %d has size %d", path, pos, size)
		}
		counts[b[pos+4]]++
		pos += size
	}
	return counts, nil
}

// TestDifferentialCompressed runs the workload on a server started by the
// harness with log_bin_compress=ON, checks that the files really contain
// MariaDB's compressed events, and compares every row.
func TestDifferentialCompressed(t *testing.T) {
	if shared.skip != "" {
		t.Skip(shared.skip)
	}
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{Compress: true, CompressMinLen: 10})
	files := runPass(t, db, pass{name: "compressed", schema: "e2e_compressed"})
	total := map[byte]int{}
	for _, f := range files {
		counts, err := eventTypeCounts(f)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range counts {
			total[k] += v
		}
	}
	names := map[byte]string{
		165: "QUERY_COMPRESSED", 166: "WRITE_ROWS_COMPRESSED_V1",
		167: "UPDATE_ROWS_COMPRESSED_V1", 168: "DELETE_ROWS_COMPRESSED_V1",
	}
	for code, name := range names {
		if total[code] == 0 {
			t.Errorf("no %s (%d) events in %s; event type counts: %v", name, code, strings.Join(files, ", "), total)
		}
	}
	// MariaDB writes a rows event uncompressed when compression does not
	// make it smaller; most must be compressed.
	plain := total[23] + total[24] + total[25]
	compressed := total[166] + total[167] + total[168]
	if compressed <= plain {
		t.Errorf("%d compressed rows events and %d uncompressed ones; want mostly compressed", compressed, plain)
	}
	t.Logf("event type counts in %s: %v", filepath.Base(files[0]), total)

	// The schema history through compressed events: its DDL comes in
	// QUERY_COMPRESSED, the metadata is NO_LOG, and every value must be
	// as with FULL metadata.
	files = runPass(t, db, pass{name: "compressed-nolog-history", schema: "e2e_compressed_history", history: true,
		globals: []string{"SET GLOBAL binlog_row_metadata = 'NO_LOG'"}})
	var queries int
	for _, f := range files {
		counts, err := eventTypeCounts(f)
		if err != nil {
			t.Fatal(err)
		}
		queries += counts[165]
	}
	if queries == 0 {
		t.Errorf("no QUERY_COMPRESSED events in %v: the history's DDL did not come compressed", files)
	}
}
