package binlogfile_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
	"github.com/seed5aa6e046/syncer/test/harness"
)

// TestMariaDBCompressedColumns reads the binlog of a real MariaDB holding
// columns with the COMPRESSED attribute and checks that every value decodes
// to what was inserted: empty, short (stored with header 0), long and
// repetitive (deflated), random (stored with header 0 because deflate does
// not shrink it), NULL, with the zlib wrapper on and off, through INSERT,
// UPDATE (both images) and DELETE.
func TestMariaDBCompressedColumns(t *testing.T) {
	for _, meta := range []string{"FULL", "MINIMAL"} {
		t.Run(meta, func(t *testing.T) { testMariaDBCompressedColumns(t, meta) })
	}
}

// compCol is one compressed column of the test table.
type compCol struct {
	name, def string
	text      bool // rendered through AppendText; else compared as bytes
	latin1    bool // the column's charset is latin1: the server stores Latin-1 bytes
	plain     bool // not compressed: a control whose charset FULL metadata gives
}

var compCols = []compCol{
	{"v", "VARCHAR(1000) CHARACTER SET utf8mb4 COMPRESSED", true, false, false},
	{"tx", "TEXT CHARACTER SET utf8mb4 COMPRESSED", true, false, false},
	{"l1", "VARCHAR(300) CHARACTER SET latin1 COMPRESSED", true, true, false},
	{"b", "BLOB COMPRESSED", false, false, false},
	{"vb", "VARBINARY(2000) COMPRESSED", false, false, false},
	{"lb", "LONGBLOB COMPRESSED", false, false, false},
	{"tb", "TINYBLOB COMPRESSED", false, false, false},
	// After the compressed columns: the n-th character column of
	// DEFAULT_CHARSET/COLUMN_CHARSET must still be this one.
	{"p", "VARCHAR(10) CHARACTER SET latin1", true, true, true},
}

func testMariaDBCompressedColumns(t *testing.T, meta string) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{RowMetadata: meta})
	ctx := t.Context()
	conn, err := m.DB().Conn(ctx) // session variables need one connection
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("CREATE DATABASE ct")
	var defs []string
	for _, c := range compCols {
		defs = append(defs, c.name+" "+c.def)
	}
	exec("CREATE TABLE ct.t (id INT PRIMARY KEY, " + strings.Join(defs, ", ") + ")")

	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return string(b)
	}
	randomText := func(n int) string { // letters and some non-ASCII, poorly compressible
		const alphabet = "abcdefghijklmnopqrstuvwxyzéüß€ж"
		runes := []rune(alphabet)
		var sb strings.Builder
		for sb.Len() < n {
			sb.WriteRune(runes[rng.IntN(len(runes))])
		}
		return sb.String()
	}
	long := strings.Repeat("Grüße, 世界! 🎉 ", 60)            // 840 characters
	longLatin := strings.Repeat("Café crème brûlée. ", 15) // 285 characters
	longBin := strings.Repeat("\x00\x01binary\xff\xfe", 10000)

	// want[id] is the row: one value per column, nil for NULL.
	type row []*string
	s := func(v string) *string { return &v }
	want := map[int]row{
		1: {s(""), s(""), s(""), s(""), s(""), s(""), s(""), s("")},
		2: {s("x"), s("é"), s("ü"), s("\x00"), s("ab"), s("c"), s("d"), s("é")},
		3: {s("short ünïcode"), s("naïve text ✓"), s("Ça va"), s("\x00\x01\x02"), s("bin"), s("blob"), s("t"), s("ÿ")},
		4: {s(long), s(strings.Repeat(long, 20)), s(longLatin), s(longBin[:60000]), s(longBin[:2000]), s(strings.Repeat(longBin, 5)), s(longBin[:250]), s("plain")},
		5: {s(randomText(900)), s(randomText(5000)), s(strings.Repeat("é", 300)), s(random(60000)), s(random(2000)), s(random(300000)), s(random(254)), nil},
		6: {nil, nil, nil, nil, nil, nil, nil, nil},
	}
	// Keep the VARCHAR(1000) values within 1000 characters.
	for id, r := range want {
		if r[0] != nil && len([]rune(*r[0])) > 1000 {
			t.Fatalf("row %d: test value too long for VARCHAR(1000)", id)
		}
	}
	insert := func(id int) {
		t.Helper()
		args := []any{id}
		for i, v := range want[id] {
			if v == nil {
				args = append(args, nil)
			} else if compCols[i].text {
				args = append(args, *v)
			} else {
				args = append(args, []byte(*v))
			}
		}
		exec("INSERT INTO ct.t VALUES (?"+strings.Repeat(", ?", len(compCols))+")", args...)
	}
	for id := 1; id <= 6; id++ {
		insert(id)
	}
	// The zlib wrapper (header bit 3 clear, adler32 trailer) and a higher
	// level.
	exec("SET SESSION column_compression_zlib_wrap = ON, SESSION column_compression_zlib_level = 9")
	want[7] = want[4]
	want[8] = want[2]
	insert(7)
	insert(8)
	// A threshold of 0 compresses even short values where deflate helps.
	exec("SET SESSION column_compression_zlib_wrap = OFF, SESSION column_compression_threshold = 0")
	want[9] = row{s("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), s("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"), s("cccccccccccccccccccccc"),
		s(strings.Repeat("\x00", 40)), s(strings.Repeat("\x01", 40)), s(strings.Repeat("\x02", 40)), s(strings.Repeat("\x03", 40)), s("")}
	insert(9)
	// UPDATE: both images hold compressed values; DELETE: the before image.
	exec("UPDATE ct.t SET v = ?, b = ? WHERE id = 4", "updated "+long[:100], []byte(longBin[:5000]))
	exec("DELETE FROM ct.t WHERE id = 5")
	if err := m.FlushLogs(ctx); err != nil {
		t.Fatal(err)
	}
	files, err := m.BinlogFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Expected images, in binlog order.
	type image struct {
		action binlog.RowsAction
		before row
		after  row
	}
	var expect []image
	for id := 1; id <= 9; id++ {
		expect = append(expect, image{action: binlog.RowsInsert, after: append(row{s(fmt.Sprint(id))}, want[id]...)})
	}
	upd := append(row{s("4")}, want[4]...)
	updAfter := append(row(nil), upd...)
	updAfter[1] = s("updated " + long[:100])
	updAfter[4] = s(longBin[:5000])
	expect = append(expect, image{action: binlog.RowsUpdate, before: upd, after: updAfter})
	expect = append(expect, image{action: binlog.RowsDelete, before: append(row{s("5")}, want[5]...)})

	r := binlogfile.OpenFiles(files)
	defer r.Close()
	var got []image
	var tableLogged bool
	compressedCharsets := false
	check := func(where string, vals []binlog.Value, w row) {
		t.Helper()
		if len(vals) != len(w) {
			t.Fatalf("%s: %d values, want %d", where, len(vals), len(w))
		}
		for i := 1; i < len(vals); i++ {
			c := compCols[i-1]
			v := &vals[i]
			col := fmt.Sprintf("%s column %s (%s)", where, c.name, v.Column().Type)
			if w[i] == nil {
				if !v.IsNull() {
					t.Errorf("%s: %s, want NULL", col, v.Kind())
				}
				continue
			}
			if c.plain && !compressedCharsets {
				// The collations are shifted by the compressed
				// columns before it (see compressedCharsets).
				continue
			}
			if v.Column().Charset == binlog.CharsetUnknown && (c.latin1 || !c.text) {
				// No charset (MINIMAL metadata, or see
				// compressedCharsets): the bytes are all there
				// is; Latin-1 text is not UTF-8, and binary
				// values are KindString like BLOBs of unknown
				// charset.
				wantBytes := *w[i]
				if c.latin1 {
					wantBytes = latin1(wantBytes)
				}
				if !bytes.Equal(v.Bytes(), []byte(wantBytes)) {
					t.Errorf("%s: got %q (%d bytes), want %q (%d bytes)", col, trunc(v.Bytes()), len(v.Bytes()), trunc([]byte(wantBytes)), len(wantBytes))
				}
				continue
			}
			if c.text || c.plain {
				if v.Kind() != binlog.KindString {
					t.Errorf("%s: kind %s, want string", col, v.Kind())
					continue
				}
				txt, ok := v.AppendText(nil)
				if !ok {
					t.Errorf("%s: AppendText failed on %q (charset %s)", col, trunc(v.Bytes()), v.Column().Charset)
					continue
				}
				if string(txt) != *w[i] {
					t.Errorf("%s: got %q (%d bytes), want %q (%d bytes)", col, trunc(txt), len(txt), trunc([]byte(*w[i])), len(*w[i]))
				}
				continue
			}
			if compressedCharsets && v.Kind() != binlog.KindBytes {
				t.Errorf("%s: kind %s, want bytes (charset %s)", col, v.Kind(), v.Column().Charset)
			}
			if !bytes.Equal(v.Bytes(), []byte(*w[i])) {
				t.Errorf("%s: got %q (%d bytes), want %q (%d bytes)", col, trunc(v.Bytes()), len(v.Bytes()), trunc([]byte(*w[i])), len(*w[i]))
			}
		}
	}
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows, ok := ev.Body.(*binlog.RowsEvent)
		if !ok || rows.Table == nil || rows.Table.Table != "t" {
			continue
		}
		if !tableLogged {
			tableLogged = true
			j, _ := json.Marshal(rows.Table)
			t.Logf("table map: %s", j)
			// MariaDB 10.11 lists a collation in COLUMN_CHARSET for
			// each compressed column too ([45 45 8 63 63 63 63 8] for
			// this table): the TABLE_MAP parser must count them, or
			// later character columns get their predecessors'
			// collations.
			compressedCharsets = meta == "FULL"
			if compressedCharsets && rows.Table.Column(1).Charset == binlog.CharsetUnknown {
				t.Errorf("FULL metadata: compressed column 1 has no charset")
			}
		}
		it := rows.Rows()
		for it.Next() {
			n := len(got)
			if n >= len(expect) {
				t.Fatalf("more row images than the %d expected", len(expect))
			}
			e := expect[n]
			if rows.Action() != e.action {
				t.Fatalf("row image %d: %v, want %v", n, rows.Action(), e.action)
			}
			where := fmt.Sprintf("row image %d (%v)", n, e.action)
			if e.before != nil {
				check(where+" before", it.Before(), e.before)
			}
			if e.after != nil {
				check(where+" after", it.After(), e.after)
			}
			got = append(got, e)
		}
		if err := it.Err(); err != nil {
			t.Fatalf("%s:%d: %v", ev.File, ev.Pos, err)
		}
	}
	if len(got) != len(expect) {
		t.Errorf("%d row images, want %d", len(got), len(expect))
	}
}

// latin1 encodes s (whose runes are all below 256) as Latin-1.
func latin1(s string) string {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r))
	}
	return string(b)
}

func trunc(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}
