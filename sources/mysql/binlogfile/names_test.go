package binlogfile

import "testing"

func TestCompareNames(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"mysql-bin.000009", "mysql-bin.000010", -1},
		{"mysql-bin.999999", "mysql-bin.1000000", -1},
		{"mysql-bin.1000000", "mysql-bin.999999", 1},
		{"mysql-bin.000010", "mysql-bin.000010", 0},
		{"a.000002", "b.000001", -1}, // different bases: as text
		{"binlog", "binlog.000001", -1},
		{"mysql-bin.010", "mysql-bin.10", -1}, // same number, different padding: as text, still total
	} {
		if got := CompareNames(c.a, c.b); got != c.want {
			t.Errorf("CompareNames(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := CompareNames(c.b, c.a); got != -c.want {
			t.Errorf("CompareNames(%q, %q) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}
