// Package e2e holds end-to-end tests that run the syncer binary against
// real servers started by package harness.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// env is what TestMain sets up for every test of the package.
type env struct {
	syncer string           // path of the syncer binary built for the tests
	db     *harness.MariaDB // shared server (binlog_row_metadata=FULL at start)
	skip   string           // non-empty: servers unavailable, skip with this message
}

// shared is set once by TestMain before any test runs and only read after.
var shared env

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "syncer-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	// Build the CLI as users run it.
	shared.syncer = filepath.Join(tmp, "syncer")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	build := exec.CommandContext(ctx, "go", "build", "-o", shared.syncer, "github.com/seed5aa6e046/syncer/cmd/syncer")
	out, err := build.CombinedOutput()
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: e2e: go build ./cmd/syncer: %v\n%s", err, out)
		return 1
	}

	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Minute)
	db, skip := harness.MainMariaDB(ctx, harness.MariaDBOptions{RowMetadata: "FULL"})
	cancel()
	shared.db, shared.skip = db, skip
	if db != nil {
		defer func() {
			if err := db.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "e2e: stop MariaDB:", err)
			}
		}()
	}
	defer closeSharedPG()
	return m.Run()
}

// sharedDB returns the package's MariaDB, skipping t (outside CI only)
// when the server binaries are not installed.
func sharedDB(t *testing.T) *harness.MariaDB {
	t.Helper()
	if shared.db == nil {
		if shared.skip == "" {
			t.Fatal("e2e: shared MariaDB not started")
		}
		t.Skip(shared.skip)
	}
	return shared.db
}
