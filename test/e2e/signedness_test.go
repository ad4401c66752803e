package e2e

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// TestSignednessAfterYear: MariaDB counts YEAR among the numeric columns
// of the TABLE_MAP's SIGNEDNESS bitmap (MySQL does not), so a reader that
// skips YEAR there reads every integer column after a YEAR column with its
// neighbour's signedness: -5 became 4294967291 and 4000000000 became
// -294967296. Checked with FULL and MINIMAL metadata (MINIMAL logs
// signedness too), through the CLI.
func TestSignednessAfterYear(t *testing.T) {
	for _, meta := range []string{"FULL", "MINIMAL"} {
		t.Run(meta, func(t *testing.T) {
			m := harness.MariaDBForTest(t, harness.MariaDBOptions{RowMetadata: meta})
			for _, q := range []string{
				"CREATE DATABASE s",
				"CREATE TABLE s.t (a INT, y YEAR, i INT, b BIT(3), j INT, u INT UNSIGNED, k BIGINT, f DOUBLE, d DECIMAL(5,1), z TINYINT UNSIGNED)",
				"INSERT INTO s.t VALUES (-1, 2024, -5, b'101', -7, 4000000000, -9, -1.5, -2.5, 200)",
			} {
				if _, err := m.DB().ExecContext(context.Background(), q); err != nil {
					t.Fatal(err)
				}
			}
			files, err := m.BinlogFiles(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var after []any
			for _, ev := range dump(t, append([]string{"--tables", "s.t"}, files...)...) {
				rows, ok := ev["rows"].([]any)
				if !ok {
					continue
				}
				img := rows[0].(map[string]any)["after"].(map[string]any)
				keys := []string{"a", "y", "i", "b", "j", "u", "k", "f", "d", "z"}
				if meta == "MINIMAL" {
					keys = []string{"@1", "@2", "@3", "@4", "@5", "@6", "@7", "@8", "@9", "@10"}
				}
				for _, k := range keys {
					after = append(after, img[k])
				}
			}
			want := []string{"-1", "2024", "-5", "5", "-7", "4000000000", "-9", "-1.5", `"-2.5"`, "200"}
			if len(after) != len(want) {
				t.Fatalf("got %v", after)
			}
			for i, w := range want {
				if got := string(mustJSON(t, after[i])); got != w {
					t.Errorf("column %d: %s, want %s (all: %v)", i+1, got, w, after)
				}
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
