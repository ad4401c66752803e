package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/internal/testcorpus"
)

// TestDumpCorpus dumps every corpus binlog, rows included: the files that
// must decode give exit 0 and one valid JSON object per line with the
// envelope; the rejected ones give exit 1 and a message naming the file and
// an offset; --stats agrees with the dump on the event count.
func TestDumpCorpus(t *testing.T) {
	dir := corpusDir(t)
	files := testcorpus.Binlogs(t, dir)
	must, may := testcorpus.ExpectReject(t, dir)
	for _, rel := range files {
		t.Run(rel, func(t *testing.T) {
			path := filepath.Join(dir, filepath.FromSlash(rel))
			args := []string{"binlog", "dump", path}
			if testcorpus.StaleCRC[rel] {
				// Without the flag: a checksum error with the hint.
				code, _, errOut := runCLI(args...)
				if code != 1 || !strings.Contains(errOut, "checksum mismatch (to dump the event anyway, run with --no-verify-checksum)") {
					t.Errorf("without --no-verify-checksum: exit %d, %q", code, errOut)
				}
				args = append(args, "--no-verify-checksum")
			}
			code, out, errOut := runCLI(args...)
			if may[rel] {
				if code != 0 && code != 1 {
					t.Errorf("exit %d: %s", code, errOut)
				}
				return
			}
			if must[rel] {
				if code != 1 || !strings.HasPrefix(errOut, "syncer: binlog "+path+":") {
					t.Errorf("want exit 1 and an error naming the file and offset; got exit %d, stderr %q", code, errOut)
				}
				return
			}
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			n := 0
			for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				var o struct {
					File   *string
					Pos    *int64
					Type   *string
					Header *map[string]any
				}
				if err := json.Unmarshal([]byte(l), &o); err != nil {
					t.Fatalf("invalid JSON line %v: %.300s", err, l)
				}
				if o.File == nil || *o.File != path || o.Pos == nil || o.Type == nil || o.Header == nil {
					t.Fatalf("line lacks the envelope: %.300s", l)
				}
				n++
			}
			code, sout, errOut := runCLI(append(args, "--stats")...)
			var s struct{ Events int }
			if code != 0 || json.Unmarshal([]byte(sout), &s) != nil || s.Events != n {
				t.Errorf("--stats: exit %d, %q (stderr %q); the dump has %d events", code, sout, errOut, n)
			}
		})
	}
}
