package cdc

import (
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// BenchmarkReadCatalog measures the schema capture (one SHOW CREATE TABLE
// per table, parsed into the model), done at a first start and, for the
// drift check, at every restart from a history: BENCH_CAPTURE_TABLES
// tables (default 200) of six columns and two keys on the harness's
// MariaDB. Reported: tables/s.
func BenchmarkReadCatalog(b *testing.B) {
	n := 200
	if s := os.Getenv("BENCH_CAPTURE_TABLES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("BENCH_CAPTURE_TABLES=%q: want a positive number", s)
		}
		n = v
	}
	m := harness.MariaDBForTest(b, harness.MariaDBOptions{})
	ctx := b.Context()
	if _, err := m.DB().ExecContext(ctx, "CREATE DATABASE many"); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if _, err := m.DB().ExecContext(ctx, fmt.Sprintf("CREATE TABLE many.t%d (id INT PRIMARY KEY, a VARCHAR(20), b DATETIME(3), "+
			"c DECIMAL(10,2), d ENUM('x','y'), e TEXT, UNIQUE KEY (a))", i)); err != nil {
			b.Fatal(err)
		}
	}
	db := sql.OpenDB(mustConnector(b, connOf(b, m)))
	defer db.Close()
	b.ResetTimer()
	for b.Loop() {
		cat, err := ReadCatalog(ctx, db, CaptureOptions{Logger: quietLogger()})
		if err != nil {
			b.Fatal(err)
		}
		if got := len(cat.Tables()); got != n {
			b.Fatalf("captured %d tables, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tables/s")
}
