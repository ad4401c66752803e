package pipelines

import (
	"strings"
	"testing"
)

func TestEdgeCases(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"", "p.yaml:1:1: the file is empty"},
		{"# only a comment\n", "p.yaml:1:1: the file is empty"},
		{"pipelines:\n", "p.yaml:1:11: pipelines: pipelines has no value"},
		{"- a\n", "p.yaml:1:1: want a mapping with a pipelines: list at the top of the file, got a list"},
		{"pipelines: []\n", "p.yaml:1:12: pipelines: the list is empty"},
		{"pipelines:\n  -\n", "p.yaml:2:4: pipelines[0]: want a mapping (key: value lines), got null"},
		{"pipelines: x\n", `p.yaml:1:12: pipelines: want a list of pipelines, got the string "x"`},
		{"state_dir: 3\nstate_dir: 4\npipelines: []\n", "p.yaml:2:1: state_dir: key state_dir is given twice (first at line 1)"},
		{"pipelines: []\n---\npipelines: []\n", "p.yaml:2:1: a second YAML document"},
		{"pipelines:\n  - name: a\n    source: {dsn: 'u@tcp(h)/', server_id: 0}\n    sink: {type: postgres, dsn: 'x=y'}\n",
			"p.yaml:3:43: pipelines[0].source.server_id: \"0\" is out of range"},
	} {
		_, err := parseString(t, c.src, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error\n%v\nwant %s", c.src, err, c.want)
		}
	}
}
