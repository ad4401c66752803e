package pipelines

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the loader: it must return a File or
// an error, never panic, and every error must carry a position in the file.
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("examples/*.yaml")
	valid, _ := filepath.Glob("testdata/valid/*.yaml")
	for _, p := range append(append(paths, more...), valid...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("pipelines: [{name: a, source: {dsn: 'u:p@tcp(h:1)/'}, sink: {type: postgres, dsn: 'postgres://h/d'}}]"))
	f.Add([]byte("x-a: &a {dsn: 'u@tcp(h:1)/'}\npipelines:\n  - name: a\n    source: *a\n"))
	env := func(name string) (string, bool) {
		if strings.HasPrefix(name, "SET") {
			return "v", true
		}
		return "", false
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data, env)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml:") {
				t.Fatalf("error without the file's name: %v", err)
			}
			return
		}
		if file == nil {
			t.Fatal("nil File without an error")
		}
	})
}
