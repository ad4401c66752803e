package pipelines

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// testEnv is the environment of the testdata files.
var testEnv = map[string]string{
	"HOME":           "/home/test",
	"BAD_SOURCE_DSN": "root:hunter2@tcp(db:3306)/?tls=bogus",
	"BAD_TARGET_DSN": "postgres://syncer:hunter2@pg:99999999/db?sslmode=wat",
	"PG_USER":        "x",
}

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

// wantRE matches the expectations at the end of each invalid testdata
// file: "# want: LINE:COL PATH: FRAGMENT" (PATH - for none).
var wantRE = regexp.MustCompile(`(?m)^# want: (\d+):(\d+) (\S+): (.*)$`)

// TestInvalidFiles parses each testdata/*.yaml and expects exactly the
// errors its "# want:" lines list, in order.
func TestInvalidFiles(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.yaml")
	if len(paths) == 0 {
		t.Fatal("no testdata")
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			wants := wantRE.FindAllStringSubmatch(string(data), -1)
			if len(wants) == 0 {
				t.Fatal("no # want: lines")
			}
			f, err := Parse(p, data, lookup(testEnv))
			if err == nil {
				t.Fatalf("no error; got %+v", f)
			}
			if f != nil {
				t.Errorf("a File along with the error")
			}
			var es *Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %T, want *Errors: %v", err, err)
			}
			if len(es.List) != len(wants) {
				t.Errorf("%d errors, want %d:\n%v", len(es.List), len(wants), err)
			}
			for i := 0; i < min(len(wants), len(es.List)); i++ {
				w, e := wants[i], es.List[i]
				line, _ := strconv.Atoi(w[1])
				col, _ := strconv.Atoi(w[2])
				path := w[3]
				if path == "-" {
					path = ""
				}
				if e.File != p || e.Line != line || e.Column != col || e.Path != path || !strings.Contains(e.Msg, w[4]) {
					t.Errorf("error %d:\n got %s\nwant %s:%d:%d: %s: ...%s...", i, e, p, line, col, path, w[4])
				}
			}
			// Error() is one line an error, each file:line:col: path: msg.
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(es.List) {
				t.Errorf("Error() has %d lines for %d errors", len(lines), len(es.List))
			}
			for _, l := range lines {
				if !strings.HasPrefix(l, p+":") {
					t.Errorf("line %q does not start with the file name", l)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("a password in the errors:\n%v", err)
			}
		})
	}
}
