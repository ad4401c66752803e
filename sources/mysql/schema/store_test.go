package schema

import (
	"bytes"
	"testing"
)

func TestPointCompare(t *testing.T) {
	cases := []struct {
		a, b Point
		want int
	}{
		{Point{File: "b.000001", Pos: 4}, Point{File: "b.000001", Pos: 4}, 0},
		{Point{File: "b.000001", Pos: 4, GTID: "0-1-1"}, Point{File: "b.000001", Pos: 4, GTID: "0-1-9"}, 0},
		{Point{File: "b.000001", Pos: 4}, Point{File: "b.000001", Pos: 5}, -1},
		{Point{File: "b.000001", Pos: 900}, Point{File: "b.000002", Pos: 4}, -1},
		{Point{File: "b.000009", Pos: 4}, Point{File: "b.000010", Pos: 4}, -1},
		{Point{File: "b.999999", Pos: 9999}, Point{File: "b.1000000", Pos: 4}, -1},
		{Point{File: "b.1000000", Pos: 4}, Point{File: "b.999999", Pos: 4}, 1},
		{Point{File: "b.1000001", Pos: 4}, Point{File: "b.1000000", Pos: 4}, 1},
		{Point{File: "mysql-bin.000002", Pos: 4}, Point{File: "mysql-bin.000001", Pos: 9}, 1},
		// Different bases, or no numeric suffix: plain text order.
		{Point{File: "a.000009", Pos: 4}, Point{File: "b.000001", Pos: 4}, -1},
		{Point{File: "binlog", Pos: 4}, Point{File: "binlog", Pos: 5}, -1},
		{Point{File: "", Pos: 9}, Point{File: "b.000001", Pos: 4}, -1},
		// Same number, different padding: still a total order.
		{Point{File: "b.01", Pos: 4}, Point{File: "b.001", Pos: 4}, 1},
	}
	for _, c := range cases {
		if got := c.a.Compare(c.b); got != c.want {
			t.Errorf("%v.Compare(%v) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := c.b.Compare(c.a); got != -c.want {
			t.Errorf("%v.Compare(%v) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}

func TestRecordEncoding(t *testing.T) {
	at := Point{File: "mariadb-bin.000042", Pos: 1 << 40, GTID: "0-1-99"}
	b := encodeRecord(nil, recTable, at, "db", "t", "ALTER TABLE t ADD c INT", []byte(`{"schema":"db"}`))
	var r logRecord
	if err := decodeRecord(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.kind != recTable || r.point() != at || string(r.schema) != "db" || string(r.name) != "t" ||
		string(r.statement) != "ALTER TABLE t ADD c INT" || !bytes.Equal(r.table, []byte(`{"schema":"db"}`)) {
		t.Fatalf("decoded %+v", r)
	}
	// Every truncation is an error, not a panic or a silent short read.
	for n := 0; n < len(b)-len(`{"schema":"db"}`); n++ {
		if err := decodeRecord(b[:n], &r); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	if err := decodeRecord([]byte{9}, &r); err == nil {
		t.Error("unknown kind: no error")
	}
}
