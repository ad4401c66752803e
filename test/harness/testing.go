package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
)

// CheckStartError applies the harness's skip policy to an error returned by
// StartMariaDB or StartPostgres outside a test (in TestMain). It returns
// skip=true with a message when the server binaries are missing and CI is
// not "true"; the caller should then run the tests in skip mode (each test
// calls t.Skip with the message). Any other error, and any error at all in
// CI, returns skip=false: the caller must fail.
func CheckStartError(err error) (skip bool, msg string) {
	if err == nil {
		return false, ""
	}
	if errors.Is(err, ErrNotInstalled) && !InCI() {
		return true, fmt.Sprintf("skipping: %v (set CI=true to make this a failure)", err)
	}
	return false, err.Error()
}

// handleStartError fails or skips t according to CheckStartError.
func handleStartError(t testing.TB, what string, err error) {
	t.Helper()
	if skip, msg := CheckStartError(err); skip {
		t.Skip(msg)
	}
	if InCI() {
		t.Fatalf("%s could not start (CI=true: this is a failure, not a skip): %v", what, err)
	}
	t.Fatalf("%s could not start: %v", what, err)
}

// MariaDBForTest starts a MariaDB with opts and registers its Close with
// t.Cleanup. It skips t when mariadbd is not installed, unless CI=true, in
// which case (as for any other start failure) t fails.
func MariaDBForTest(t testing.TB, opts MariaDBOptions) *MariaDB {
	t.Helper()
	return startForTest(t, "MariaDB", func(ctx context.Context) (*MariaDB, error) { return StartMariaDB(ctx, opts) })
}

// PostgresForTest starts a PostgreSQL with opts and registers its Close with
// t.Cleanup, with the same skip/fail policy as MariaDBForTest.
func PostgresForTest(t testing.TB, opts PostgresOptions) *Postgres {
	t.Helper()
	return startForTest(t, "PostgreSQL", func(ctx context.Context) (*Postgres, error) { return StartPostgres(ctx, opts) })
}

// startForTest starts a server for t with the skip/fail policy of
// handleStartError and stops it in t.Cleanup.
func startForTest[S interface{ Close() error }](t testing.TB, what string, start func(context.Context) (S, error)) S {
	t.Helper()
	ctx := context.Background()
	if d, ok := t.(interface {
		Context() context.Context
	}); ok {
		ctx = d.Context()
	}
	// The test's context is cancelled before Cleanup runs, but the server
	// process is not tied to it: only start-up is.
	srv, err := start(ctx)
	if err != nil {
		handleStartError(t, what, err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("stop %s: %v", what, err)
		}
	})
	return srv
}

// MainMariaDB is for TestMain: it starts a MariaDB shared by a package's
// tests. On success it returns the server and an empty skip message. When
// the binaries are missing and CI is not "true" it returns nil and the skip
// message each test should pass to t.Skip. Any other failure is printed to
// stderr and the process exits with status 1.
func MainMariaDB(ctx context.Context, opts MariaDBOptions) (*MariaDB, string) {
	m, err := StartMariaDB(ctx, opts)
	if err != nil {
		skip, msg := CheckStartError(err)
		if skip {
			fmt.Fprintln(os.Stderr, msg)
			return nil, msg
		}
		fmt.Fprintf(os.Stderr, "FAIL: MariaDB could not start (CI=%q): %s\n", os.Getenv("CI"), msg)
		os.Exit(1)
	}
	return m, ""
}
