package run

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/cmd/syncer/internal/cli/command"
	"github.com/seed5aa6e046/syncer/pipelines"
)

func TestSelectPipelines(t *testing.T) {
	f := &pipelines.File{Path: "p.yaml", Pipelines: []*pipelines.Pipeline{{Name: "a"}, {Name: "b"}, {Name: "c"}}}
	got, err := selectPipelines(f, nil)
	if err != nil || len(got) != 3 {
		t.Fatalf("all: %d pipelines, %v", len(got), err)
	}
	got, err = selectPipelines(f, []string{"c", "a"})
	if err != nil || len(got) != 2 || got[0].Name != "c" || got[1].Name != "a" {
		t.Fatalf("c,a: %v, %v", got, err)
	}
	_, err = selectPipelines(f, []string{"x"})
	if err == nil || !strings.Contains(err.Error(), `p.yaml declares no pipeline "x" (it has: a, b, c)`) {
		t.Fatalf("unknown name: %v", err)
	}
}

func TestNewLogger(t *testing.T) {
	var b strings.Builder
	log, err := newLogger(&b, "json", "warn")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown", "k", 1)
	if out := b.String(); strings.Contains(out, "hidden") || !strings.Contains(out, `"msg":"shown"`) {
		t.Fatalf("json warn logger wrote %q", out)
	}
	if _, err := newLogger(&b, "xml", "info"); err == nil || !strings.Contains(err.Error(), "want text or json") {
		t.Fatalf("bad format: %v", err)
	}
	if _, err := newLogger(&b, "text", "loud"); err == nil || !strings.Contains(err.Error(), "--log-level") {
		t.Fatalf("bad level: %v", err)
	}
}

// The usage errors of verify, status and snapshot (exit 2), and what
// snapshot and status do without a running pipeline.
func TestSnapshotStatusVerifyCommands(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/p.yaml"
	yaml := "state_dir: " + dir + "/state\npipelines:\n  - name: shop\n    source: {dsn: 'u:p@tcp(127.0.0.1:1)/', include: ['shop.*']}\n    sink: {type: postgres, dsn: 'host=127.0.0.1 port=1'}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	env := command.Env{Stdout: &out, Stderr: &out}
	for _, c := range []struct {
		run  func(context.Context, command.Env, []string) error
		args []string
		want string
	}{
		{snapshotCmd, []string{file}, "name the tables to copy again with --table"},
		{snapshotCmd, []string{"--table", "shop.*", file}, `--table "shop.*": want database.table`},
		{snapshotCmd, []string{"--table", "orders", file}, `--table "orders": want database.table`},
		{verifyCmd, []string{"-o", "xml", file}, `-o "xml": want text or json`},
		{verifyCmd, []string{"--tables", "orders", file}, `--tables "orders": want database.table globs`},
		{verifyCmd, []string{}, "verify takes one pipeline file"},
		{statusCmd, []string{"-o", "yaml", file}, `-o "yaml": want text or json`},
		{statusCmd, []string{"--pipeline", "nope", file}, `declares no pipeline "nope"`},
	} {
		err := c.run(context.Background(), env, c.args)
		var ue *command.UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want a usage error saying %q", c.args, err, c.want)
		}
	}
	// A table the pipeline does not replicate.
	if err := snapshotCmd(context.Background(), env, []string{"--table", "crm.users", file}); err == nil || !strings.Contains(err.Error(), "does not replicate crm.users") {
		t.Errorf("snapshot of an excluded table: %v", err)
	}
	// A request with nobody running: written for the next start.
	out.Reset()
	if err := snapshotCmd(context.Background(), env, []string{"--table", "shop.orders,shop.users", file}); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "re-snapshot of shop.orders, shop.users requested") || !strings.Contains(s, "the next 'syncer run' takes it") {
		t.Errorf("snapshot output: %s", s)
	}
	entries, err := os.ReadDir(dir + "/state/shop/snapshot-requests")
	if err != nil || len(entries) != 1 {
		t.Fatalf("request files: %v, %v", entries, err)
	}
	out.Reset()
	if err := statusCmd(context.Background(), env, []string{file}); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "never run here") {
		t.Errorf("status of a pipeline never run: %s", s)
	}
}
