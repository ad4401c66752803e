package e2e

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// demoTables are the tables `make demo` creates and compares.
var demoTables = []string{"customers", "orders", "order_items", "products"}

// TestDemo runs `make demo`'s program (the README's main job) for a short
// while against the syncer binary built for these tests and the example
// pipelines file: private MariaDB and PostgreSQL, `syncer run`, a workload
// with an ALTER TABLE, then every table compared on both sides.
func TestDemo(t *testing.T) {
	if shared.skip != "" {
		t.Skip(shared.skip)
	}
	t.Parallel()
	file, err := filepath.Abs("../../pipelines/examples/mysql-to-postgres.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), "go", "run", "github.com/seed5aa6e046/syncer/test/harness/cmd/demo",
		"-syncer", shared.syncer, "-pipeline", file, "-duration", "5s")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 && !harness.InCI() {
		t.Skipf("demo: MariaDB or PostgreSQL not installed:\n%s", out.String())
	}
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	text := out.String()
	if strings.Contains(text, "DIFFERENT") {
		t.Errorf("demo output has a DIFFERENT table:\n%s", text)
	}
	// The comparison's lines: "   <table>  <rows> <rows>  <md5> <md5>  ok".
	verdicts := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 6 && !strings.HasPrefix(line, "syncer |") {
			verdicts[f[0]] = f[5]
		}
	}
	for _, table := range demoTables {
		if v := verdicts[table]; v != "ok" {
			t.Errorf("demo: table %s: verdict %q, want ok", table, v)
		}
	}
	for _, want := range []string{"ALTER TABLE demo.customers ADD COLUMN", "RENAME COLUMN", "syncer | ",
		"caught up", "syncer exited with status 0", "== demo OK", "psql 'postgres://", "MariaDB and PostgreSQL stopped"} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("demo output:\n%s", text)
	}
}
