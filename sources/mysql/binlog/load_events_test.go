package binlog

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
)

// MySQL 4.1 LOAD DATA: CREATE_FILE, APPEND_BLOCK, EXEC_LOAD (binlog v3).
func TestLoadCorpusMySQL41(t *testing.T) {
	evs := decodeCorpusFile(t, "mysql-server-5.x-history/binlog_old_version_4_1.000001")
	cf := bodies[*CreateFileEvent](evs)
	if len(cf) != 1 {
		t.Fatalf("got %d CREATE_FILE, want 1", len(cf))
	}
	c := cf[0]
	// mariadb-binlog: LOAD DATA INFILE 'big_file.dat' INTO TABLE `t3`
	// FIELDS TERMINATED BY '\t' ENCLOSED BY '' ESCAPED BY '\\' LINES
	// TERMINATED BY '\n' STARTING BY '' (`a`); file_id: 2 block_len: 131072
	if c.FileID != 2 || len(c.Block) != 131072 || c.FileName != "big_file.dat" || c.Table != "t3" || c.Schema != "test" {
		t.Errorf("CREATE_FILE = id %d block %d file %q table %q db %q", c.FileID, len(c.Block), c.FileName, c.Table, c.Schema)
	}
	if c.FieldTerm != "\t" || c.EnclosedBy != "" || c.EscapedBy != "\\" || c.LineTerm != "\n" || c.LineStart != "" || !reflect.DeepEqual(c.Fields, []string{"a"}) {
		t.Errorf("CREATE_FILE options = %+v", c.LoadEvent)
	}
	ab := bodies[*AppendBlockEvent](evs)
	if len(ab) != 1 || ab[0].FileID != 2 || len(ab[0].Block) != 17664 {
		t.Errorf("APPEND_BLOCK = %d events", len(ab))
	}
	el := bodies[*FileIDEvent](evs)
	if len(el) != 1 || el[0].FileID != 2 {
		t.Errorf("EXEC_LOAD = %+v", el)
	}
}

// MySQL 5.7 LOAD DATA: BEGIN_LOAD_QUERY and EXECUTE_LOAD_QUERY.
func TestLoadCorpusMySQL57(t *testing.T) {
	evs := decodeCorpusFile(t, "mysql-cdc-rs/5.7/17_18_load/log.bin")
	bl := bodies[*BeginLoadQueryEvent](evs)
	if len(bl) != 1 || bl[0].FileID != 1 || string(bl[0].Block) != "1,\"abc\"\n" {
		t.Errorf("BEGIN_LOAD_QUERY = %+v", bl)
	}
	el := bodies[*ExecuteLoadQueryEvent](evs)
	if len(el) != 1 {
		t.Fatalf("got %d EXECUTE_LOAD_QUERY, want 1", len(el))
	}
	e := el[0]
	if e.FileID != 1 || e.DupHandling != LoadDupError || e.Schema != "default" || e.ThreadID != 23 {
		t.Errorf("EXECUTE_LOAD_QUERY = %+v", e)
	}
	if e.FileNameStart != 9 || e.FileNameEnd != 37 || e.Query[e.FileNameStart:e.FileNameEnd] != " INFILE '/tmp/data.txt' INTO" {
		t.Errorf("file name span %d..%d of %q", e.FileNameStart, e.FileNameEnd, e.Query)
	}
	if js := jsonOf(t, e); !strings.Contains(js, `"dup_handling":"ERROR"`) || !strings.Contains(js, `"query":"LOAD DATA INFILE`) {
		t.Errorf("JSON = %s", js)
	}
}

// loadBody builds a LOAD/NEW_LOAD body.
func loadBody(newFormat bool, table, db string, fields []string, file string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 5)  // thread_id
	b = binary.LittleEndian.AppendUint32(b, 1)     // exec_time
	b = binary.LittleEndian.AppendUint32(b, 2)     // skip_lines
	b = append(b, byte(len(table)), byte(len(db))) // lengths
	b = binary.LittleEndian.AppendUint32(b, uint32(len(fields)))
	if newFormat {
		for _, s := range []string{";", "'", "\r\n", ">", "#"} {
			b = append(b, byte(len(s)))
			b = append(b, s...)
		}
		b = append(b, 0x04) // REPLACE
	} else {
		// ',', '"', '\n', unused, '\\'; opt_flags; empty_flags (line start empty)
		b = append(b, ',', '"', '\n', 'X', '\\', 0x02, loadLineStartEmpty)
	}
	for _, f := range fields {
		b = append(b, byte(len(f)))
	}
	for _, f := range fields {
		b = append(b, f...)
		b = append(b, 0)
	}
	b = append(b, table...)
	b = append(b, 0)
	b = append(b, db...)
	b = append(b, 0)
	return append(b, file...)
}

func TestLoadHandBuilt(t *testing.T) {
	d := newTestDecoder(t, FlavorMySQL)
	old := mustBody[*LoadEvent](t, d, LoadEventType, loadBody(false, "t1", "db", []string{"a", "bb"}, "/tmp/x.txt"))
	want := &LoadEvent{ThreadID: 5, ExecTime: 1, SkipLines: 2, Table: "t1", Schema: "db", Fields: []string{"a", "bb"},
		FieldTerm: ",", EnclosedBy: "\"", LineTerm: "\n", LineStart: "", EscapedBy: "\\", OptFlags: 2, FileName: "/tmp/x.txt"}
	if !reflect.DeepEqual(old, want) {
		t.Errorf("LOAD = %+v", old)
	}
	nl := mustBody[*LoadEvent](t, d, NewLoadEventType, loadBody(true, "t2", "", nil, "f\x00"))
	want = &LoadEvent{ThreadID: 5, ExecTime: 1, SkipLines: 2, Table: "t2", Fields: []string{},
		FieldTerm: ";", EnclosedBy: "'", LineTerm: "\r\n", LineStart: ">", EscapedBy: "#", OptFlags: 4, FileName: "f"}
	if !reflect.DeepEqual(nl, want) {
		t.Errorf("NEW_LOAD = %+v", nl)
	}
	if del := mustBody[*FileIDEvent](t, d, DeleteFileEventType, u32le(9)); del.FileID != 9 {
		t.Errorf("DELETE_FILE = %+v", del)
	}
	cfBody := loadBody(true, "t", "d", []string{"c"}, "name\x00DATA")
	cfBody = append(cfBody[:18:18], append(u32le(33), cfBody[18:]...)...) // file_id after the LOAD post-header
	cf := mustBody[*CreateFileEvent](t, d, CreateFileEventType, cfBody)
	if cf.FileID != 33 || string(cf.Block) != "DATA" || cf.FileName != "name" || cf.Table != "t" {
		t.Errorf("CREATE_FILE = %+v", cf)
	}
}

func TestLoadErrors(t *testing.T) {
	d := newTestDecoder(t, FlavorMySQL)
	tooMany := loadBody(false, "t", "d", nil, "f")
	binary.LittleEndian.PutUint32(tooMany[14:], 1<<30)
	cases := []struct {
		name string
		typ  EventType
		body []byte
		want string
	}{
		{"short post-header", LoadEventType, make([]byte, 10), "post-header"},
		{"field count", LoadEventType, tooMany, "field count 1073741824"},
		{"truncated options", NewLoadEventType, loadBody(true, "t", "d", nil, "")[:20], "enclosed by"},
		{"missing table", LoadEventType, loadBody(false, "table", "d", nil, "")[:27], "table name"},
		{"short file id", AppendBlockEventType, []byte{1, 2}, "file_id"},
		{"short elq", ExecuteLoadQueryEventType, queryBody(1, "", nil, nil), "EXECUTE_LOAD_QUERY"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeBody(t, d, tc.typ, tc.body)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
