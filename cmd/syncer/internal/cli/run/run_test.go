package run

import (
	"strings"
	"testing"

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
