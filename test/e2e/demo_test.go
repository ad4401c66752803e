package e2e

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// TestDemo runs `make demo`'s program (the README's main job) against the
// syncer binary built for these tests.
func TestDemo(t *testing.T) {
	if shared.skip != "" {
		t.Skip(shared.skip)
	}
	t.Parallel()
	for _, meta := range []string{"FULL", "MINIMAL"} {
		cmd := exec.CommandContext(t.Context(), "go", "run", "github.com/seed5aa6e046/syncer/test/harness/cmd/demo",
			"-syncer", shared.syncer, "-row-metadata", meta)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("demo (row metadata %s): %v\n%s", meta, err, out.String())
		}
		for _, want := range []string{"== demo OK", "ALTER TABLE customers", `"rows":[`, `"events_by_type"`, "MariaDB stopped"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("demo (row metadata %s) output lacks %q", meta, want)
			}
		}
	}
}
