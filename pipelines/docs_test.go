package pipelines

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDocsSchemaParses loads the YAML blocks of docs/pipelines.md that
// declare pipelines, so the reference stays valid.
func TestDocsSchemaParses(t *testing.T) {
	data, err := os.ReadFile("../docs/pipelines.md")
	if err != nil {
		t.Skip(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(data), -1)
	env := map[string]string{
		"SOURCE_DSN": "u:p@tcp(h:3306)/",
		"TARGET_DSN": "postgres://u:p@h/db",
		"HOME":       "/h",
	}
	n := 0
	for _, b := range blocks {
		if !strings.HasPrefix(b[1], "state_dir:") {
			continue
		}
		n++
		if _, err := Parse("docs/pipelines.md", []byte(b[1]), lookup(env)); err != nil {
			t.Errorf("block:\n%s\n%v", b[1], err)
		}
	}
	if n == 0 {
		t.Error("no schema block found")
	}
}
