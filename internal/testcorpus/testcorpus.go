// Package testcorpus locates the shared binlog corpus for tests.
//
// The corpus (real binlog files from MySQL and MariaDB servers, with
// SOURCES.md describing each) lives in ../shared/corpus/binlog beside the
// repository and is never copied into it. A test that needs it calls Dir,
// which skips the test when the corpus is missing, except under CI=true,
// where a missing corpus is a failure: CI must never pass by skipping.
package testcorpus

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
