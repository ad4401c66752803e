// Package testcorpus locates the shared binlog corpus for tests.
//
// The corpus (real binlog files from MySQL and MariaDB servers, with
// SOURCES.md describing each) lives in ../shared/corpus/binlog beside the
// repository and is never copied into it. A test that needs it calls Dir,
// which skips the test when the corpus is missing, except under CI=true,
// where a missing corpus is a failure: CI must never pass by skipping.
package testcorpus

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// ModuleRoot returns the directory holding go.mod, found by walking up from
// the working directory (a package's directory under go test).
func ModuleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
		dir = parent
	}
}

// Find returns the corpus directory, or an error saying why it is not there.
func Find() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "..", "shared", "corpus", "binlog")
	if _, err := os.Stat(filepath.Join(dir, "SOURCES.md")); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("binlog corpus not found at %s (it is ../shared/corpus/binlog beside the repository)", dir)
		}
		return "", err
	}
	return dir, nil
}

// Dir returns the corpus directory. When it is missing the test is skipped,
// or fails when the environment variable CI is "true".
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := Find()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("CI=true and %v", err)
		}
		tb.Skip(err)
	}
	return dir
}

// Binlogs lists the corpus binlogs as slash-separated paths relative to dir,
// sorted: the files that SOURCES.md lists in its summary table or that start
// with a binlog magic (plain or encrypted). Documentation and expected-output
// files beside them are left out.
func Binlogs(tb testing.TB, dir string) []string {
	tb.Helper()
	src, err := os.ReadFile(filepath.Join(dir, "SOURCES.md"))
	if err != nil {
		tb.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range sourcesRow.FindAllStringSubmatch(string(src), -1) {
		listed[m[1]] = true
	}
	var files []string
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || sideFile(p) {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if listed[rel] {
			files = append(files, rel)
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		head := make([]byte, 4)
		n, _ := io.ReadFull(f, head)
		f.Close()
		if n == 4 && string(head[1:]) == "bin" && (head[0] == 0xfe || head[0] == 0xfd) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(files)
	if len(files) < 100 {
		tb.Fatalf("found only %d corpus binlogs in %s", len(files), dir)
	}
	return files
}

var sourcesRow = regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")

// sideFile reports whether a corpus file is documentation or expected
// output rather than a binlog.
func sideFile(name string) bool {
	for _, ext := range []string{".txt", ".sql", ".json", ".py", ".md"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// ExpectReject reads EXPECT-REJECT.txt: the files that must fail to decode,
// and those that may either fail or decode (listed in comments after the
// line starting "Either").
func ExpectReject(tb testing.TB, dir string) (must, may map[string]bool) {
	tb.Helper()
	f, err := os.Open(filepath.Join(dir, "EXPECT-REJECT.txt"))
	if err != nil {
		tb.Fatal(err)
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
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(must) == 0 {
		tb.Fatal("EXPECT-REJECT.txt lists no files")
	}
	return must, may
}

// StaleCRC lists corpus files whose events were edited after the server
// wrote them without recomputing the CRC32 (MySQL's binlog_recovery tests
// tamper with XIDs). Every event is otherwise well-formed: they read to the
// end without checksum verification and fail with a checksum error with it.
var StaleCRC = map[string]bool{
	"mysql-server-8.0.43-snapshot/binlog_recovery/duplicate_xid.000001":             true,
	"mysql-server-8.0.43-snapshot/binlog_recovery/duplicate_xid_ddl.000001":         true,
	"mysql-server-8.0.43-snapshot/binlog_recovery/duplicate_xid_xa_prepare.000001":  true,
	"mysql-server-8.0.43-snapshot/binlog_recovery/malformed_xid_xa_commit.000001":   true,
	"mysql-server-8.0.43-snapshot/binlog_recovery/malformed_xid_xa_rollback.000001": true,
}
