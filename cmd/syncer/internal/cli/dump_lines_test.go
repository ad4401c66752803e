package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// lineAt returns the output line of the event at pos (the first one when
// several share it).
func lineAt(t *testing.T, out string, pos string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, `,"pos":`+pos+`,`) {
			return l
		}
	}
	t.Fatalf("no event at %s in\n%s", pos, out)
	return ""
}

func dump(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := runCLI(append([]string{"binlog", "dump"}, args...)...)
	if code != 0 {
		t.Fatalf("%q: exit %d: %s", args, code, errOut)
	}
	return out
}

func TestDumpKnownLines(t *testing.T) {
	dir := corpusDir(t)
	rot := filepath.Join(dir, "mysql-cdc-rs/5.7/04_rotate/log.bin")
	rj, _ := json.Marshal(rot)
	zal := filepath.Join(dir, "zalora-binlog-parser/mysql-bin.01")
	zj, _ := json.Marshal(zal)
	cases := []struct {
		file, pos, want string
	}{
		{rot, "154", `{"file":` + string(rj) + `,"pos":154,"type":"ROTATE","header":{"timestamp":1594395533,"server_id":1,"log_pos":201,"flags":0},"position":4,"next_file":"mysql_bin.000002"}`},
		{zal, "258", `{"file":` + string(zj) + `,"pos":258,"type":"WRITE_ROWS","header":{"timestamp":1492065270,"server_id":1,"log_pos":397,"flags":0},"table_id":70,"flags":1,"action":"insert","columns":3,` +
			`"table":{"schema":"test_db","name":"buildings"},"rows":[{"after":{"@1":1,"@2":"ACME Headquaters","@3":"3950 North 1st Street CA 95134"}},{"after":{"@1":2,"@2":"ACME Sales","@3":"5000 North 1st Street CA 95134"}}]}`},
		{zal, "853", `{"file":` + string(zj) + `,"pos":853,"type":"UPDATE_ROWS","header":{"timestamp":1492065298,"server_id":1,"log_pos":967,"flags":0},"table_id":71,"flags":1,"action":"update","columns":3,` +
			`"table":{"schema":"test_db","name":"rooms"},"rows":[{"before":{"@1":4,"@2":"Marketing","@3":2},"after":{"@1":4,"@2":"MARKETING","@3":2}},{"before":{"@1":5,"@2":"Showroom","@3":2},"after":{"@1":5,"@2":"SHOWROOM","@3":2}}]}`},
		{zal, "1136", `{"file":` + string(zj) + `,"pos":1136,"type":"DELETE_ROWS","header":{"timestamp":1492065336,"server_id":1,"log_pos":1226,"flags":0},"table_id":70,"flags":1,"action":"delete","columns":3,` +
			`"table":{"schema":"test_db","name":"buildings"},"rows":[{"before":{"@1":1,"@2":"ACME Headquaters","@3":"3950 North 1st Street CA 95134"}}]}`},
	}
	for _, c := range cases {
		if got := lineAt(t, dump(t, c.file), c.pos); got != c.want {
			t.Errorf("%s at %s:\n got %s\nwant %s", filepath.Base(c.file), c.pos, got, c.want)
		}
		// Starting right at a rows event still decodes its rows: the
		// table map before the start position is read.
		first, _, _ := strings.Cut(dump(t, "--start-position", c.pos, c.file), "\n")
		if first != c.want {
			t.Errorf("%s from --start-position %s:\n got %s\nwant %s", filepath.Base(c.file), c.pos, first, c.want)
		}
	}
	// The in-use flag of the FDE of a binlog that was not closed cleanly.
	if l := lineAt(t, dump(t, zal), "4"); !strings.Contains(l, `"header":{"timestamp":1492065252,"server_id":1,"log_pos":120,"flags":1}`) {
		t.Errorf("FDE line %s", l)
	}
	// A QUERY's text.
	q := lines(t, dump(t, "--types", "QUERY", filepath.Join(dir, "zalora-binlog-parser/mysql-bin.07")))
	found := false
	for _, o := range q {
		if s, _ := o["query"].(string); strings.HasPrefix(s, "CREATE TABLE `departments` (\n  `dept_no` char(4) NOT NULL,") {
			found = true
		}
	}
	if !found {
		t.Errorf("CREATE TABLE departments not among the queries: %v", q)
	}
}

// TestDumpPayload: the events inside a TRANSACTION_PAYLOAD follow it, marked
// in_payload, at the payload's position.
func TestDumpPayload(t *testing.T) {
	dir := corpusDir(t)
	f := filepath.Join(dir, "rust_mysql_common/transaction_compression.000001")
	var seq []string
	for _, o := range lines(t, dump(t, f)) {
		s := o["type"].(string) + "@" + o["pos"].(json.Number).String()
		if o["in_payload"] == true {
			s += "(in)"
		}
		seq = append(seq, s)
	}
	want := "FORMAT_DESCRIPTION@4 PREVIOUS_GTIDS@126 ANONYMOUS_GTID@197 TRANSACTION_PAYLOAD@274 QUERY@274(in) TABLE_MAP@274(in) WRITE_ROWS@274(in) XID@274(in) ROTATE@431"
	if got := strings.Join(seq, " "); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	fj, _ := json.Marshal(f)
	wantRows := `{"file":` + string(fj) + `,"pos":274,"in_payload":true,"type":"WRITE_ROWS","header":{"timestamp":1695159109,"server_id":1,"log_pos":0,"flags":0},"table_id":88,"flags":1,"action":"insert","columns":1,"table":{"schema":"test","name":"tb1"},"rows":[{"after":{"@1":1}}]}`
	out := dump(t, "--types", "WRITE_ROWS", f)
	if strings.TrimSpace(out) != wantRows {
		t.Errorf("got  %s\nwant %s", out, wantRows)
	}
}

func TestDumpTablesFilter(t *testing.T) {
	dir := corpusDir(t)
	f := filepath.Join(dir, "zalora-binlog-parser/mysql-bin.01")
	count := func(args ...string) map[string]int {
		n := map[string]int{}
		for _, o := range lines(t, dump(t, append(args, f)...)) {
			k := o["type"].(string)
			if tbl, ok := o["table"].(map[string]any); ok {
				k += ":" + tbl["name"].(string)
			} else if name, ok := o["table"].(string); ok {
				k += ":" + name
			}
			n[k]++
		}
		return n
	}
	all := count()
	rooms := count("--tables", "test_db.rooms")
	if rooms["TABLE_MAP:buildings"] != 0 || rooms["WRITE_ROWS:buildings"] != 0 || rooms["DELETE_ROWS:buildings"] != 0 {
		t.Errorf("buildings events kept: %v", rooms)
	}
	if rooms["TABLE_MAP:rooms"] != 2 || rooms["WRITE_ROWS:rooms"] != 1 || rooms["UPDATE_ROWS:rooms"] != 1 {
		t.Errorf("rooms events missing: %v", rooms)
	}
	if rooms["QUERY"] != all["QUERY"] || rooms["XID"] != all["XID"] || all["QUERY"] == 0 {
		t.Errorf("other events must be kept: %v vs %v", rooms, all)
	}
	if wild := count("--tables", "test_*.*"); len(wild) != len(all) {
		t.Errorf("wildcard filter dropped events: %v vs %v", wild, all)
	}
	if none := count("--tables", "other.*"); none["TABLE_MAP:rooms"]+none["TABLE_MAP:buildings"] != 0 || none["QUERY"] != all["QUERY"] {
		t.Errorf("other.*: %v", none)
	}
}

func TestDumpStatsRows(t *testing.T) {
	dir := corpusDir(t)
	out := dump(t, "--stats", filepath.Join(dir, "zalora-binlog-parser/mysql-bin.01"), filepath.Join(dir, "rust_mysql_common/transaction_compression.000001"))
	var s struct {
		Files  int            `json:"files"`
		Events int            `json:"events"`
		ByType map[string]int `json:"events_by_type"`
		Rows   int            `json:"rows"`
		Bytes  int            `json:"bytes"`
		Other  map[string]any `json:"-"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	// mysql-bin.01: 10 rows; transaction_compression: 1 row inside the
	// payload (inner events count as events).
	if s.Files != 2 || s.Rows != 11 || s.Bytes != 1257+475 || s.ByType["TRANSACTION_PAYLOAD"] != 1 || s.ByType["WRITE_ROWS"] != 3 {
		t.Errorf("summary %s", out)
	}
}
