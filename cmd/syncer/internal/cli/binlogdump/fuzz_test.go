package binlogdump

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
)

// FuzzDump runs the whole dump (reader, decoder, rows rendering) over
// arbitrary bytes: it must not panic, and every line it prints must be a
// JSON object.
func FuzzDump(f *testing.F) {
	wd, _ := os.Getwd()
	for root := wd; filepath.Dir(root) != root; root = filepath.Dir(root) {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
			continue
		}
		dir := filepath.Join(root, "..", "shared", "corpus", "binlog")
		for _, rel := range []string{
			"zalora-binlog-parser/mysql-bin.01",
			"generated-mariadb-10.11/mariadb-bin.000001",
			"rust_mysql_common/json.binlog.000001",
			"rust_mysql_common/vector.binlog",
			"rust_mysql_common/transaction_compression.000001",
			"MySqlCdc/mysql-bin.000001",
		} {
			if b, err := os.ReadFile(filepath.Join(dir, rel)); err == nil {
				f.Add(b)
			}
		}
		break
	}
	f.Add([]byte{0xfe, 'b', 'i', 'n'})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, stats := range []bool{false, true} {
			var out bytes.Buffer
			r := binlogfile.NewReader(bytes.NewReader(data), "fuzz",
				binlogfile.WithDecoderOptions(binlog.WithoutChecksumVerification()))
			_ = dump(context.Background(), r, nil, Options{Stats: stats}, &out)
			for _, l := range bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n")) {
				if len(l) == 0 {
					continue
				}
				var m map[string]json.RawMessage
				if err := json.Unmarshal(l, &m); err != nil {
					t.Fatalf("output line is not a JSON object: %v\n%.500s", err, l)
				}
			}
		}
	})
}
