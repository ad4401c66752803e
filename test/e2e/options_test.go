package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"testing"
)

// TestDumpOptions checks `syncer binlog dump`'s --tables, --start-position
// and --stop-position on a binlog written by the shared server. It is not
// parallel: TestDifferential changes the server's global settings.
func TestDumpOptions(t *testing.T) {
	db := sharedDB(t)
	ctx := t.Context()
	if err := db.FlushLogs(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := db.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		"SET SESSION binlog_annotate_row_events = OFF",
		"CREATE DATABASE e2e_options", "USE e2e_options",
		"CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(10))",
		"CREATE TABLE b (id INT PRIMARY KEY, v INT)",
		"CREATE TABLE ab (id INT PRIMARY KEY)",
		"INSERT INTO a VALUES (1, 'one'), (2, 'two'), (3, 'three')",
		"INSERT INTO b VALUES (1, 10), (2, 20)",
		"INSERT INTO ab VALUES (1)",
		"UPDATE a SET v = 'uno' WHERE id = 1",
		"DELETE FROM b WHERE id = 2",
		"INSERT INTO a VALUES (4, 'four')",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.FlushLogs(ctx); err != nil {
		t.Fatal(err)
	}
	files, err := db.BinlogFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	file := files[len(files)-2] // the one written above; the newest is empty

	full := dump(t, file)
	rowsPerTable := func(events []map[string]any) map[string]int {
		n := map[string]int{}
		for _, ev := range events {
			if tbl, ok := ev["table"].(map[string]any); ok && tbl["schema"] == "e2e_options" {
				rows, _ := ev["rows"].([]any)
				n[fmt.Sprint(tbl["name"])] += len(rows)
			}
		}
		return n
	}
	if got, want := rowsPerTable(full), map[string]int{"a": 5, "b": 3, "ab": 1}; !reflect.DeepEqual(got, want) {
		t.Fatalf("rows per table in the full dump = %v, want %v", got, want)
	}

	t.Run("tables", func(t *testing.T) {
		for _, c := range []struct {
			pattern string
			want    map[string]int
		}{
			{"e2e_options.a", map[string]int{"a": 5}},
			{"e2e_options.a,e2e_options.b", map[string]int{"a": 5, "b": 3}},
			{"e2e_options.a*", map[string]int{"a": 5, "ab": 1}},
			{"*.b", map[string]int{"b": 3}},
			{"other.*", map[string]int{}},
		} {
			events := dump(t, "--tables", c.pattern, file)
			if got := rowsPerTable(events); !reflect.DeepEqual(got, c.want) {
				t.Errorf("--tables %s: rows per table = %v, want %v", c.pattern, got, c.want)
			}
			for _, ev := range events {
				if ev["type"] == "TABLE_MAP" {
					tbl, _ := ev["table"].(map[string]any)
					if name := fmt.Sprint(tbl["name"]); c.want[name] == 0 {
						t.Errorf("--tables %s: TABLE_MAP of %v kept", c.pattern, name)
					}
				}
			}
		}
	})

	// Positions of the transactions' first events (MariaDB GTID events).
	var gtids []int64
	for _, ev := range full {
		if ev["type"] == "MARIA_GTID" {
			p, err := ev["pos"].(json.Number).Int64()
			if err != nil {
				t.Fatal(err)
			}
			gtids = append(gtids, p)
		}
	}
	if len(gtids) < 8 {
		t.Fatalf("%d MARIA_GTID events in %s, want at least 8", len(gtids), file)
	}
	posOf := func(ev map[string]any) int64 {
		p, _ := ev["pos"].(json.Number).Int64()
		return p
	}

	t.Run("start-position", func(t *testing.T) {
		start := gtids[len(gtids)/2]
		events := dump(t, "--start-position", strconv.FormatInt(start, 10), file)
		var got, want []map[string]any
		for _, ev := range events {
			if ev["type"] != "FORMAT_DESCRIPTION" {
				got = append(got, ev)
			}
		}
		for _, ev := range full {
			if posOf(ev) >= start {
				want = append(want, ev)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("--start-position %d: %d events (besides FORMAT_DESCRIPTION), want %d", start, len(got), len(want))
		}
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("--start-position %d: event %d = %v\nwant %v", start, i, got[i], want[i])
			}
		}
	})

	t.Run("stop-position", func(t *testing.T) {
		stop := gtids[len(gtids)/2]
		events := dump(t, "--stop-position", strconv.FormatInt(stop, 10), file)
		var want []map[string]any
		for _, ev := range full {
			if posOf(ev) < stop {
				want = append(want, ev)
			}
		}
		if !reflect.DeepEqual(events, want) {
			t.Errorf("--stop-position %d: %d events, want the %d events before it", stop, len(events), len(want))
		}
	})
}

// TestDumpActiveFile dumps the binlog file the server is still writing
// (no FLUSH): every committed row must be there and the dump must end
// cleanly at the last complete event.
func TestDumpActiveFile(t *testing.T) {
	db := sharedDB(t)
	ctx := t.Context()
	conn, err := db.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		"CREATE DATABASE e2e_active", "USE e2e_active", "CREATE TABLE e2e_active.t (id INT PRIMARY KEY, v VARCHAR(20))",
		"INSERT INTO e2e_active.t SELECT seq, CONCAT('v', seq) FROM seq_1_to_500",
		"UPDATE e2e_active.t SET v = 'updated' WHERE id <= 10",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	files, err := db.BinlogFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	active := files[len(files)-1]
	rows := 0
	for _, ev := range dump(t, "--tables", "e2e_active.t", active) {
		if r, ok := ev["rows"].([]any); ok {
			rows += len(r)
		}
	}
	if rows != 510 {
		t.Errorf("dump of the active file %s: %d rows of e2e_active.t, want 510", active, rows)
	}
}
