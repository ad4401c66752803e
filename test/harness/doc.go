// Package harness starts real database servers for tests and programs.
//
// It runs a private MariaDB (with the binary log enabled in row format) or a
// private PostgreSQL in a fresh temporary directory, listening on a free
// loopback port, and tears it down again. Nothing is mocked: the servers are
// the binaries installed on the machine (Debian packages mariadb-server and
// postgresql; see scripts/setup-debian.sh).
//
// # Programs
//
// StartMariaDB and StartPostgres return a handle whose Close method stops the
// server (SIGTERM, then SIGKILL of its process group after a timeout) and
// removes its directory:
//
//	db, err := harness.StartMariaDB(ctx, harness.MariaDBOptions{RowMetadata: "FULL"})
//	if err != nil { ... }
//	defer db.Close()
//	files, err := db.BinlogFiles(ctx)
//
// # Tests
//
// MariaDBForTest and PostgresForTest start a server and register its Close
// with t.Cleanup. When the server binaries are not installed they skip the
// test with a message naming the missing binary, unless the environment
// variable CI is "true": in CI a server that cannot start is always a test
// failure, never a skip. Packages that share one server between their tests
// start it in TestMain with MainMariaDB (or StartMariaDB and
// CheckStartError), which apply the same policy.
//
// # TLS, accounts, restarts and faults
//
// MariaDBOptions.TLS starts the server with a generated CA and certificate
// (CAFile, TLSConfig); CreateUser makes accounts with chosen plugins and
// grants; Stop, Kill, Start and Restart keep the same directories and port.
// Package faultproxy (test/harness/faultproxy) puts a fault-injecting TCP
// proxy between a client and a server.
//
// # Failures
//
// When a server does not become ready within the start timeout, or exits
// while starting, the returned error includes the tail of its error log.
package harness
