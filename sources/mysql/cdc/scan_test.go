package cdc

import (
	"database/sql"
	"testing"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// A window that is empty (from the end of the binlog to the same point)
// returns at once: a dump from the end would wait for an event forever.
func TestServerScannerEmptyWindow(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	conn := connOf(t, m)
	db := sql.OpenDB(mustConnector(t, conn))
	defer db.Close()
	at, err := currentPoint(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	w, err := serverScanner(conn, quietLogger())(t.Context(), at, at)
	if err != nil || len(w) != 0 {
		t.Fatalf("empty window: %v %v", w, err)
	}
}
