package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// corpusBinlogs lists the corpus binlogs (relative paths) and the
// EXPECT-REJECT.txt entries: must fail, may fail.
func corpusBinlogs(t *testing.T, dir string) (files []string, must, may map[string]bool) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(dir, "SOURCES.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+)` \\|").FindAllStringSubmatch(string(src), -1) {
		listed[m[1]] = true
	}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, ext := range []string{".txt", ".sql", ".json", ".py", ".md"} {
			if strings.HasSuffix(p, ext) {
				return nil
			}
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		head := make([]byte, 4)
		if f, err := os.Open(p); err == nil {
			io.ReadFull(f, head)
			f.Close()
		}
		if listed[rel] || bytes.Equal(head[1:], []byte("bin")) && (head[0] == 0xfe || head[0] == 0xfd) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "EXPECT-REJECT.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	must, may = map[string]bool{}, map[string]bool{}
	optional := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			c := strings.TrimSpace(strings.TrimPrefix(line, "#"))
			if strings.HasPrefix(c, "Either") {
				optional = true
			} else if optional && c != "" {
				may[strings.Fields(c)[0]] = true
			}
		default:
			must[line] = true
		}
	}
	if len(files) < 100 || len(must) == 0 {
		t.Fatalf("corpus listing looks wrong: %d files, %d rejects", len(files), len(must))
	}
	return files, must, may
}

// staleCRC: files whose events were edited after writing without a new
// CRC32 (see the binlogfile corpus test); dumped with --no-verify-checksum.
var staleCRC = map[string]bool{
	"mysql-server-8.0.43-snapshot/binlog_recovery/duplicate_xid.000001":             true,
	"mysql-server-8.0.43-snapshot/binlog_recovery/duplicate_xid_ddl.000001":         true,
	"mysql-server-8.0.43-snapshot/binlog_recovery/duplicate_xid_xa_prepare.000001":  true,
	"mysql-server-8.0.43-snapshot/binlog_recovery/malformed_xid_xa_commit.000001":   true,
	"mysql-server-8.0.43-snapshot/binlog_recovery/malformed_xid_xa_rollback.000001": true,
}

// TestDumpCorpus dumps every corpus binlog, rows included: the files that
// must decode give exit 0 and one valid JSON object per line with the
// envelope; the rejected ones give exit 1 and a message naming the file and
// an offset; --stats agrees with the dump on the event count.
func TestDumpCorpus(t *testing.T) {
	dir := corpusDir(t)
	files, must, may := corpusBinlogs(t, dir)
	for _, rel := range files {
		t.Run(rel, func(t *testing.T) {
			path := filepath.Join(dir, filepath.FromSlash(rel))
			args := []string{"binlog", "dump", path}
			if staleCRC[rel] {
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
