package client

import (
	"context"
	"flag"
	"os"
	"testing"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// The package's tests share one MariaDB; tests that need their own server
// settings start one with harness.MariaDBForTest.
var (
	testServer *harness.MariaDB
	skipMsg    string
)

func TestMain(m *testing.M) {
	flag.Parse()
	if fuzzing() {
		// Fuzz targets need no server, and every fuzz worker process runs
		// TestMain: don't start one MariaDB per worker.
		skipMsg = "no MariaDB while fuzzing"
		os.Exit(m.Run())
	}
	testServer, skipMsg = harness.MainMariaDB(context.Background(), harness.MariaDBOptions{})
	code := m.Run()
	if testServer != nil {
		testServer.Close()
	}
	os.Exit(code)
}

// mariaDB returns the shared server, or skips t when it is not installed
// (never in CI: MainMariaDB fails the run there).
func mariaDB(t *testing.T) *harness.MariaDB {
	t.Helper()
	if testServer == nil {
		t.Skip(skipMsg)
	}
	return testServer
}

// testConfig is the harness account over TCP.
func testConfig(t *testing.T) *Config {
	m := mariaDB(t)
	cfg := NewConfig()
	cfg.User, cfg.Password = m.User()
	cfg.Addr = m.Addr()
	return cfg
}

func connect(t *testing.T, cfg *Config) *Conn {
	t.Helper()
	c, err := Connect(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Connect(%s): %v", cfg.Redacted(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// fuzzing reports whether the test binary runs as a fuzzing coordinator or
// worker (go test -fuzz).
func fuzzing() bool {
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		return true
	}
	f := flag.Lookup("test.fuzzworker")
	return f != nil && f.Value.String() == "true"
}
