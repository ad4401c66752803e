package binlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/internal/testcorpus"
)

// rowsCorpusRoot returns ../shared/corpus/binlog beside the repository
// root, skipping the test when it is missing (failing under CI=true).
func rowsCorpusRoot(t testing.TB) string { return testcorpus.Dir(t) }

// rowsCorpusEvent is one decoded event of a corpus file.
type rowsCorpusEvent struct {
	pos int
	ev  *Event
	err error
}

// readRowsCorpusFile splits a binlog file into events by event_size after
// the 4-byte magic and decodes them all with one Decoder. Decoding stops
// at the first framing problem (a truncated file).
func readRowsCorpusFile(t testing.TB, rel string) ([]rowsCorpusEvent, *Decoder) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(rowsCorpusRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 4 || string(data[1:4]) != "bin" {
		t.Fatalf("%s: not a binlog file", rel)
	}
	d := NewDecoder()
	var out []rowsCorpusEvent
	for pos := 4; pos+HeaderLenV1 <= len(data); {
		size := int(binary.LittleEndian.Uint32(data[pos+9:]))
		if size < HeaderLenV1 || pos+size > len(data) {
			break
		}
		ev, err := d.Decode(data[pos : pos+size])
		out = append(out, rowsCorpusEvent{pos: pos, ev: ev, err: err})
		pos += size
	}
	return out, d
}

// rowsCorpusEvents flattens a file's events, including those inside
// TRANSACTION_PAYLOAD events.
func rowsCorpusEvents(t testing.TB, rel string) []rowsCorpusEvent {
	evs, _ := readRowsCorpusFile(t, rel)
	var out []rowsCorpusEvent
	for _, e := range evs {
		out = append(out, e)
		if e.ev != nil {
			if p, ok := e.ev.Body.(*TransactionPayloadEvent); ok {
				for _, in := range p.Events {
					out = append(out, rowsCorpusEvent{pos: e.pos, ev: in})
				}
			}
		}
	}
	return out
}

// rowsCorpusRow is one decoded row, rendered: column label -> JSON.
type rowsCorpusRow struct {
	pos           int
	typ           EventType
	table         *TableMapEvent
	before, after map[string]string
	raw           [2][]Value
}

func renderImage(t testing.TB, tm *TableMapEvent, img []Value) map[string]string {
	if img == nil {
		return nil
	}
	m := map[string]string{}
	for i := range img {
		if !img[i].Present() {
			continue
		}
		out, err := img[i].AppendJSON(nil)
		if err != nil {
			t.Errorf("render %s.%s %s: %v", tm.Schema, tm.Table, tm.ColumnLabel(i), err)
		}
		m[tm.ColumnLabel(i)] = string(out)
	}
	return m
}

// rowsCorpusRows decodes every row of a file, failing the test on any
// TABLE_MAP or rows event error.
func rowsCorpusRows(t testing.TB, rel string) []rowsCorpusRow {
	t.Helper()
	var rows []rowsCorpusRow
	for _, e := range rowsCorpusEvents(t, rel) {
		if e.err != nil {
			var de *DecodeError
			if errors.As(e.err, &de) && (de.Type == TableMapEventType || newRowsFamilyBody(de.Type) != nil) {
				t.Errorf("%s @%d: %v", rel, e.pos, e.err)
			}
			continue
		}
		r, ok := e.ev.Body.(*RowsEvent)
		if !ok || r.Table == nil {
			continue
		}
		it := r.Rows()
		for it.Next() {
			rows = append(rows, rowsCorpusRow{pos: e.pos, typ: r.Type, table: r.Table,
				before: renderImage(t, r.Table, it.Before()), after: renderImage(t, r.Table, it.After()),
				raw: [2][]Value{cloneValues(it.Before()), cloneValues(it.After())}})
		}
		if err := it.Err(); err != nil {
			t.Errorf("%s @%d %s: %v", rel, e.pos, r.Type, err)
		}
	}
	return rows
}

func cloneValues(vs []Value) []Value {
	if vs == nil {
		return nil
	}
	out := make([]Value, len(vs))
	for i := range vs {
		out[i] = vs[i].Clone()
	}
	return out
}

// preGARowFiles hold only pre-GA rows events (MySQL 5.1.0-5.1.15), whose
// rows this package reports as ErrUnsupportedRowFormat.
var preGARowFiles = map[string]bool{
	"mysql-server-5.x-history/bug32407.001":      true,
	"mysql-server-5.x-history/ver_5_1-telco.001": true,
	"mysql-server-5.x-history/ver_5_1_17.001":    true,
	"rust_mysql_common/ver_5_1-wl2325_s.001":     true,
}

// TestCorpusRowsAllFiles decodes every TABLE_MAP and rows event of every
// corpus file the corpus does not expect to be rejected, iterates every
// row and renders every value.
func TestCorpusRowsAllFiles(t *testing.T) {
	root := rowsCorpusRoot(t)
	reject := map[string]bool{}
	if b, err := os.ReadFile(filepath.Join(root, "EXPECT-REJECT.txt")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				reject[line] = true
			}
		}
	}
	totalRows, files := 0, 0
	err := filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		head := make([]byte, 4)
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		n, _ := f.Read(head)
		f.Close()
		if n < 4 || string(head[1:4]) != "bin" || reject[rel] {
			return nil
		}
		files++
		for _, e := range rowsCorpusEvents(t, rel) {
			if e.err != nil {
				var de *DecodeError
				if errors.As(e.err, &de) && (de.Type == TableMapEventType || newRowsFamilyBody(de.Type) != nil) {
					t.Errorf("%s @%d: %v", rel, e.pos, e.err)
				}
				continue
			}
			r, ok := e.ev.Body.(*RowsEvent)
			if !ok {
				continue
			}
			it := r.Rows()
			for it.Next() {
				totalRows++
				for _, img := range [][]Value{it.Before(), it.After()} {
					for i := range img {
						if _, err := img[i].AppendJSON(nil); err != nil {
							t.Errorf("%s @%d row %d column %d: %v", rel, e.pos, it.Row(), i+1, err)
						}
					}
				}
			}
			if err := it.Err(); err != nil && !(preGARowFiles[rel] && errors.Is(err, ErrUnsupportedRowFormat)) {
				t.Errorf("%s @%d %s: %v", rel, e.pos, r.Type, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The sakila file alone has tens of thousands of rows.
	if files < 100 || totalRows < 40000 {
		t.Errorf("decoded %d rows in %d files; the corpus has more", totalRows, files)
	}
}

func TestCorpusRowValues(t *testing.T) {
	type want struct {
		file  string
		pos   int // 0 = first row of the file
		after map[string]string
		image int // 0 before, 1 after
	}
	cases := []want{
		{file: "rust_mysql_common/time_issue.000001", after: map[string]string{"@1": `"-507:48:27"`}, image: 1},
		{file: "rust_mysql_common/minimal_row_metadata.000001", after: map[string]string{"@1": "1", "@3": `"a"`, "@5": "3230202323"}, image: 1},
		{file: "rust_mysql_common/mysql_type_bit.000001", after: map[string]string{"a": "4", "b": `"foo"`, "c": "32"}, image: 1},
		{file: "rust_mysql_common/binlog-invisible-columns.000001", after: map[string]string{"f1": "1", "f3": "-3", "f4": `"4"`, "f5": `"BQ=="`, "f6": "6000000000"}, image: 1},
		{file: "rust_mysql_common/mariadb-bin.000001", after: map[string]string{"id": "62", "topic": `"foo"`, "event_type": `"JSON"`, "event": `"eyJmb28iOjF9"`, "created": `"2022-04-20T22:18:04Z"`}, image: 1},
		{file: "rust_mysql_common/json-opaque.binlog", pos: 846, after: map[string]string{"a": `{"b":"2012-03-18"}`}, image: 1},
		{file: "rust_mysql_common/json-opaque.binlog", pos: 1080, after: map[string]string{"a": `{"c":"87:31:46.654321"}`}, image: 1},
		{file: "rust_mysql_common/json-opaque.binlog", pos: 1428, after: map[string]string{"a": `{"e":[0,1,true,false]}`}, image: 1},
		{file: "go-mysql/tcb-eval002c-bin.003320", after: map[string]string{"@1": "1", "@2": `"-10.55"`, "@3": `"-11"`, "@4": `"-10.550"`, "@8": `"-9.99999999999999"`, "@12": `"-10.5500000000000000000000000"`}, image: 1},
		{file: "mysql-binlog-events/mysql-5.1.000001", after: map[string]string{"@4": `"9999-12-31"`, "@9": "4.50933e+27", "@10": "4.17201e-309", "@11": `"818.98"`, "@12": `"9999-12-31 23:59:59"`, "@13": `"2038-01-19T00:14:07Z"`, "@14": `"838:59:59"`, "@15": "2012", "@24": "2", "@25": "4", "@28": "255"}, image: 1},
		{file: "mysql-binlog-events/mysql-5.7.000001", after: map[string]string{"@4": `"9999-12-31"`, "@12": `"9999-12-31 23:59:59"`, "@13": `"2038-01-19T00:14:07Z"`, "@14": `"838:59:59"`, "@8": "9223372036854775807"}, image: 1},
		{file: "generated-mariadb-10.11/mariadb-bin.000001", after: map[string]string{
			"c_tiny": "255", "c_small": "-32768", "c_medium": "-8388608", "c_int": "2147483647", "c_big": "18446744073709551615",
			"c_dec": `"-12345678901234.123456"`, "c_float": "3.14", "c_double": "-2.718281828459045", "c_bit": "682",
			"c_date": `"2024-02-29"`, "c_time": `"-838:59:59.999"`, "c_dt": `"2024-12-31 23:59:59.999999"`,
			"c_ts": `"2024-06-01T12:00:00.123456Z"`, "c_year": "2024", "c_char": `"héllo"`, "c_bin": `"AQIDBA=="`, "c_varbin": `"3q2+7w=="`,
			"c_enum": `"green"`, "c_set": `["a","c","d"]`, "c_geom": `{"srid":0,"wkb":"0101000000000000000000f03f0000000000000040"}`,
			"c_inet6": `"IAENuAAAAAAAAAAAAAAAAQ=="`}, image: 1},
		{file: "rust_mysql_common/mysql-enum-string-set.000001", pos: 1855, after: map[string]string{"f1": `"field1"`, "f2": `"field_2"`, "f3": `"variant2"`, "f4": `["two","four"]`}, image: 1},
	}
	for _, c := range cases {
		rows := rowsCorpusRows(t, c.file)
		var row *rowsCorpusRow
		for i := range rows {
			if c.pos == 0 || rows[i].pos == c.pos {
				row = &rows[i]
				break
			}
		}
		if row == nil {
			t.Errorf("%s: no row at %d", c.file, c.pos)
			continue
		}
		img := row.before
		if c.image == 1 {
			img = row.after
		}
		for k, v := range c.after {
			if img[k] != v {
				t.Errorf("%s @%d %s: got %s, want %s", c.file, row.pos, k, img[k], v)
			}
		}
	}
}

func TestCorpusRowsEnumSetIndexes(t *testing.T) {
	rows := rowsCorpusRows(t, "rust_mysql_common/mysql-enum-string-set.000001")
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	ins, upd := rows[0].raw[1], rows[1]
	if ins[2].Kind() != KindEnum || ins[2].Uint64() != 1 || ins[3].Kind() != KindSet || ins[3].Uint64() != 0b101 || rows[0].after["f5"] != `"0123456789"` {
		t.Errorf("insert: enum %d set %b f5 %s", ins[2].Uint64(), ins[3].Uint64(), rows[0].after["f5"])
	}
	// The update moves the long VARCHAR f2 into the CHAR column f5.
	if upd.raw[1][2].Uint64() != 2 || upd.raw[1][3].Uint64() != 0b1010 || string(upd.raw[1][4].Bytes()) != string(ins[1].Bytes()) || len(ins[1].Bytes()) < 250 {
		t.Errorf("update after: enum %d set %b f5 %d bytes", upd.raw[1][2].Uint64(), upd.raw[1][3].Uint64(), len(upd.raw[1][4].Bytes()))
	}
	if rows[2].typ != DeleteRowsEventV2Type || rows[2].before["f3"] != `"variant2"` {
		t.Errorf("delete: %v %v", rows[2].typ, rows[2].before)
	}
}

func TestCorpusRowsVector(t *testing.T) {
	rows := rowsCorpusRows(t, "rust_mysql_common/vector.binlog")
	if len(rows) < 2 {
		t.Fatalf("%d rows", len(rows))
	}
	foo := rows[0].table
	if foo.Table != "foo" || foo.Column(1).VectorDimensions != 3 || foo.Column(1).Type != TypeVector {
		t.Errorf("foo vector column: %+v", foo.Column(1))
	}
	v := rows[0].raw[1][1]
	if got := fmt.Sprintf("% x", v.Bytes()); got != "cd cc 8c 3f cd cc 0c 40 33 33 53 40" || rows[0].after["vector_column"] != "[1.1,2.2,3.3]" {
		t.Errorf("row 1 vector: %s %s", got, rows[0].after["vector_column"])
	}
	if got := fmt.Sprintf("% x", rows[1].raw[1][1].Bytes()); got != "00 00 80 3f 00 00 80 bf 00 00 00 00" {
		t.Errorf("row 2 vector: %s", got)
	}
	var bar *TableMapEvent
	for _, r := range rows {
		if r.table.Table == "bar" {
			bar = r.table
			break
		}
	}
	if bar == nil || bar.Column(1).VectorDimensions != 2 || bar.Column(3).VectorDimensions != 4 {
		t.Errorf("bar vector dimensions: %+v", bar)
	}
}

func TestCorpusRowsMetadata(t *testing.T) {
	// MariaDB 10.5 FULL metadata: names, primary key, charsets.
	rows := rowsCorpusRows(t, "rust_mysql_common/mariadb-bin.000001")
	tm := rows[0].table
	names := []string{"id", "topic", "event_type", "event", "created"}
	colls := []uint32{0, 45, 45, 63, 0}
	for i, c := range tm.Columns() {
		if c.Name != names[i] || c.Collation != colls[i] || c.PrimaryKey != (i == 0) {
			t.Errorf("column %d: name %q collation %d pk %v", i, c.Name, c.Collation, c.PrimaryKey)
		}
	}
	// MySQL 8.0.32 generated invisible primary key.
	rows = rowsCorpusRows(t, "mysql-server-8.0.43-snapshot/rpl_binlog_with_gipk_info_full_metadata.000001")
	var gipk *TableMapEvent
	for _, r := range rows {
		if r.table.Table == "t2" {
			gipk = r.table
		}
	}
	if gipk == nil || gipk.Flags&TableMapFlagGeneratedInvPK == 0 || gipk.Column(0).Name != "my_row_id" || !gipk.Column(0).PrimaryKey || gipk.Column(0).Visible || !gipk.Column(0).Unsigned {
		t.Errorf("GIPK table map: %+v", gipk)
	}
	// MINIMAL metadata on MySQL 8.0.40: charset and signedness, no names.
	rows = rowsCorpusRows(t, "rust_mysql_common/minimal_row_metadata.000001")
	tm = rows[0].table
	if tm.Column(2).Collation != 255 || tm.Column(4).Unsigned != true || tm.Column(3).Unsigned || tm.Column(0).Name != "" || tm.ColumnLabel(0) != "@1" {
		t.Errorf("minimal metadata: %+v", tm.Columns())
	}
}

func TestCorpusRowsPartialJSON(t *testing.T) {
	rows := rowsCorpusRows(t, "rust_mysql_common/json.binlog.000001")
	var partial []rowsCorpusRow
	for _, r := range rows {
		if r.typ == PartialUpdateRowsEventType {
			partial = append(partial, r)
		}
	}
	if len(partial) != 6 {
		t.Fatalf("%d PARTIAL_UPDATE_ROWS rows, want 6", len(partial))
	}
	// UPDATE ... SET j = JSON_REPLACE(j, '$.age', age + 1): the before
	// image holds only the key, so the after image keeps the diff.
	wantAge := []string{"26", "34", "42", "26", "34", "42"}
	for i, r := range partial {
		want := `[{"op":"replace","path":"$.age","value":` + wantAge[i] + `}]`
		if r.after["@2"] != want || r.raw[1][1].Kind() != KindJSONDiff || r.after["@4"] != wantAge[i] || r.before["@1"] != fmt.Sprint(i+1) {
			t.Errorf("row %d: before %v after %v", i+1, r.before, r.after)
		}
	}
}

func TestCorpusRowsCompressedMariaDB(t *testing.T) {
	rows := rowsCorpusRows(t, "generated-mariadb-10.11/mariadb-bin.000001")
	seen := map[EventType]int{}
	for _, r := range rows {
		seen[r.typ]++
	}
	if seen[MariaWriteRowsCompressedV1Type] == 0 || seen[MariaUpdateRowsCompressedV1Type] == 0 || seen[MariaDeleteRowsCompressedV1Type] == 0 {
		t.Errorf("compressed rows seen: %v", seen)
	}
	last := rows[len(rows)-1]
	if last.table.Table != "t_big" || len(last.after["payload"]) < 20000 {
		t.Errorf("24 KB LONGTEXT row: table %s, %d bytes", last.table.Table, len(last.after["payload"]))
	}
}

func TestCorpusRowsForeignNumbering(t *testing.T) {
	// MySQL 5.2 "drop6" numbered XID and the LOAD DATA events 20-22; its
	// FORMAT_DESCRIPTION gives them post-header lengths no rows event has.
	n := 0
	for _, e := range rowsCorpusEvents(t, "rust_mysql_common/ver_5_1-wl2325_s.001") {
		if e.err != nil {
			continue
		}
		if r, ok := e.ev.Body.(*RowsEvent); ok {
			n++
			if !r.Foreign || r.Table != nil || r.Rows().Next() {
				t.Errorf("@%d %s: foreign=%v", e.pos, r.Type, r.Foreign)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d events with codes 20-22, want 3", n)
	}
}
