package jsonb

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// The row decoder lives in another package, so these tests locate the JSON
// column bytes themselves: they walk the v4 event headers (19 bytes; the
// event length at offset 9; a 4-byte CRC32 trailer, as all these files use
// binlog_checksum=CRC32) and take apart the rows of the few tables whose
// layout is described next to each test.

type rawEvent struct {
	pos  int
	typ  byte
	body []byte // after the 19-byte header, without the checksum
}

func readEvents(t *testing.T, name string) []rawEvent {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 4 || string(data[:4]) != "\xfebin" {
		t.Fatalf("%s: not a binlog", name)
	}
	var evs []rawEvent
	for p := 4; p+19 <= len(data); {
		size := int(binary.LittleEndian.Uint32(data[p+9:]))
		if size < 19+4 || p+size > len(data) {
			t.Fatalf("%s: bad event size %d at %d", name, size, p)
		}
		evs = append(evs, rawEvent{pos: p, typ: data[p+4], body: data[p+19 : p+size-4]})
		p += size
	}
	return evs
}

// rowsBody skips the v2 rows post-header (table id 6, flags 2, extra-data
// length 2 including itself, extra data) and the column count; it returns
// the rest.
func rowsBody(t *testing.T, ev rawEvent) []byte {
	t.Helper()
	b := ev.body
	extra := int(binary.LittleEndian.Uint16(b[8:]))
	b = b[8+extra:]
	if b[0] >= 251 {
		t.Fatalf("event at %d: unexpected column count encoding", ev.pos)
	}
	return b[1:]
}

type cursor struct {
	t *testing.T
	b []byte
	p int
}

func (c *cursor) take(n int) []byte {
	c.t.Helper()
	if c.p+n > len(c.b) {
		c.t.Fatalf("row data truncated at %d (+%d of %d)", c.p, n, len(c.b))
	}
	v := c.b[c.p : c.p+n]
	c.p += n
	return v
}

func (c *cursor) u32() int { return int(binary.LittleEndian.Uint32(c.take(4))) }

// TestCorpusJSONOpaque decodes rust_mysql_common/json-opaque.binlog (MySQL
// 9.0.1): eight tables with one JSON column each, one WRITE_ROWS_V2 each.
// Row layout: 1 null-bitmap byte, 4-byte length, binary JSON.
//
// SOURCES.md lists the upstream crate's rendering; MySQL prints DECIMAL
// opaque values as JSON numbers, not strings (the crate quotes them), so
// "123.456" and "9.00" appear unquoted here.
func TestCorpusJSONOpaque(t *testing.T) {
	want := []string{
		`{"a":"base64:type15:VQ=="}`,
		`{"b":"2012-03-18"}`,
		`{"c":"2012-03-18 11:30:45.000000"}`,
		`{"c":"87:31:46.654321"}`,
		`{"d":123.456}`,
		`{"e":9.00}`,
		`{"e":[0,1,true,false]}`,
		`{"e":null}`,
	}
	var got []string
	for _, ev := range readEvents(t, "rust_mysql_common/json-opaque.binlog") {
		if ev.typ != 30 { // WRITE_ROWS_V2
			continue
		}
		b := rowsBody(t, ev)
		c := cursor{t: t, b: b, p: 1} // skip the 1-byte columns bitmap
		for c.p < len(b) {
			if c.take(1)[0] != 0 {
				t.Fatalf("event at %d: unexpected NULL", ev.pos)
			}
			js, err := AppendJSON(nil, c.take(c.u32()))
			if err != nil {
				t.Fatalf("event at %d: %v", ev.pos, err)
			}
			got = append(got, string(js))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d values %q, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("value %d: got %s, want %s", i, got[i], want[i])
		}
	}
}

// TestCorpusPartialUpdate decodes rust_mysql_common/json.binlog.000001
// (MySQL 8.0.22, binlog_row_value_options=PARTIAL_JSON). Table mysql.t:
// (LONG id, JSON, VARCHAR(400) name, LONG age); the JSON document repeats
// the name and age. Two WRITE_ROWS_V2 insert ids 1-6, an UPDATE_ROWS_V2
// raises every age by one, and a PARTIAL_UPDATE_ROWS event (minimal
// before-image: id only; after-image: the other three columns) raises it
// again with one JSON diff per row.
//
// Partial after-image layout, as found in the file: value_options (packed
// integer, 1 = PARTIAL_JSON_UPDATES), then one partial-column bitmap byte
// (one bit per JSON column in the after-image), then the null bitmap,
// then the columns; a JSON column with its partial bit set holds the
// 4-byte length and the Json_diff_vector instead of a document.
func TestCorpusPartialUpdate(t *testing.T) {
	type row struct {
		name string
		age  int
	}
	base := map[int]row{1: {"Joe", 24}, 2: {"Sue", 32}, 3: {"Pete", 40}, 4: {"Joe", 24}, 5: {"Sue", 32}, 6: {"Pete", 40}}
	data := map[int]string{}
	for id, r := range base {
		x := "xxxxxxxxxx"
		if r.name == "Sue" {
			x = "yyyyyyyyyy"
		} else if r.name == "Pete" {
			x = "zzzzzzzzzz"
		}
		data[id] = x
	}
	expect := func(id, age int) string {
		return `{"age":` + strconv.Itoa(age) + `,"data":"` + data[id] + `","name":"` + base[id].name + `"}`
	}
	// readFull reads (JSON, VARCHAR name, LONG age) and checks the
	// document against the plain columns.
	readFull := func(c *cursor, id int) string {
		js, err := AppendJSON(nil, c.take(c.u32()))
		if err != nil {
			t.Fatalf("id %d: %v", id, err)
		}
		name := string(c.take(int(binary.LittleEndian.Uint16(c.take(2)))))
		age := c.u32()
		if want := expect(id, age); string(js) != want || name != base[id].name {
			t.Fatalf("id %d: got %s / %s, want %s / %s", id, js, name, want, base[id].name)
		}
		return string(js)
	}
	current := map[int]string{}
	var writes, updates, partials int
	for _, ev := range readEvents(t, "rust_mysql_common/json.binlog.000001") {
		switch ev.typ {
		case 30: // WRITE_ROWS_V2: bitmap, rows of (null bitmap, id, JSON, name, age)
			b := rowsBody(t, ev)
			c := cursor{t: t, b: b, p: 1}
			for c.p < len(b) {
				c.take(1)
				id := c.u32()
				current[id] = readFull(&c, id)
				if current[id] != expect(id, base[id].age) {
					t.Errorf("insert id %d: %s", id, current[id])
				}
				writes++
			}
		case 31: // UPDATE_ROWS_V2: two bitmaps, before and after rows
			b := rowsBody(t, ev)
			c := cursor{t: t, b: b, p: 2}
			for c.p < len(b) {
				c.take(1)
				id := c.u32()
				if before := readFull(&c, id); before != current[id] {
					t.Errorf("update id %d: before-image %s, want %s", id, before, current[id])
				}
				c.take(1)
				if c.u32() != id {
					t.Fatal("update changed the id")
				}
				current[id] = readFull(&c, id)
				if current[id] != expect(id, base[id].age+1) {
					t.Errorf("update id %d: after-image %s", id, current[id])
				}
				updates++
			}
		case 39: // PARTIAL_UPDATE_ROWS
			b := rowsBody(t, ev)
			c := cursor{t: t, b: b, p: 2}
			for c.p < len(b) {
				c.take(1)
				id := c.u32()
				if opts := c.take(1)[0]; opts != 1 {
					t.Fatalf("value_options %d", opts)
				}
				if partial := c.take(1)[0]; partial != 1 {
					t.Fatalf("partial bitmap %d", partial)
				}
				c.take(1) // null bitmap
				diffs, err := ParseDiffs(c.take(c.u32()))
				if err != nil {
					t.Fatalf("id %d: %v", id, err)
				}
				name := string(c.take(int(binary.LittleEndian.Uint16(c.take(2)))))
				age := c.u32()
				if len(diffs) != 1 || diffs[0].Op != DiffReplace || diffs[0].Path != "$.age" || mustJSON(t, diffs[0].Value) != strconv.Itoa(age) {
					t.Errorf("id %d: diffs %+v, want REPLACE $.age %d", id, diffs, age)
				}
				after, err := ApplyDiffs([]byte(current[id]), diffs)
				if err != nil {
					t.Fatalf("id %d: %v", id, err)
				}
				if want := expect(id, base[id].age+2); string(after) != want || name != base[id].name || age != base[id].age+2 {
					t.Errorf("id %d: after-image %s (%s, %d), want %s", id, after, name, age, want)
				}
				partials++
			}
		}
	}
	if writes != 6 || updates != 6 || partials != 6 {
		t.Errorf("rows: %d written, %d updated, %d partially updated; want 6 each", writes, updates, partials)
	}
}

// TestCorpusMySqlCdc decodes hand-located values of
// MySqlCdc/mysql-bin.000001 (MySQL 5.7.23): in each of the three
// WRITE_ROWS_V2 events the DECIMAL(65,10) column starts 51 bytes after
// the event header and the JSON column's 4-byte length 135 bytes after it
// (found by walking the column layout of test.MySqlCdc by hand).
func TestCorpusMySqlCdc(t *testing.T) {
	n := 0
	for _, ev := range readEvents(t, "MySqlCdc/mysql-bin.000001") {
		if ev.typ != 30 {
			continue
		}
		if len(ev.body) < 139 {
			t.Fatalf("event at %d: too short", ev.pos)
		}
		dec, used, err := AppendDecimal(nil, ev.body[51:], 65, 10)
		if err != nil || used != 30 || string(dec) != "1234567890112233445566778899001112223334445556667778889.9900011112" {
			t.Errorf("event at %d: decimal %s (%d bytes), %v", ev.pos, dec, used, err)
		}
		l := int(binary.LittleEndian.Uint32(ev.body[135:]))
		if 139+l > len(ev.body) {
			t.Fatalf("event at %d: JSON length %d too long", ev.pos, l)
		}
		js, err := AppendJSON(nil, ev.body[139:139+l])
		if err != nil || string(js) != `{"id":1,"name":"John"}` {
			t.Errorf("event at %d: JSON %s, %v", ev.pos, js, err)
		}
		n++
	}
	if n != 3 {
		t.Errorf("found %d WRITE_ROWS_V2 events, want 3", n)
	}
}
