package snapshot

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/cdc"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
	"github.com/seed5aa6e046/syncer/test/harness"
)

// model is a target that applies records as a sink would: keyed tables
// by their first column, keyless ones as multisets of rows.
type model struct {
	keyed map[string]map[string]string // table → key → row
	bag   map[string]map[string]int    // table → row → count
}

func newModel() *model {
	return &model{keyed: map[string]map[string]string{}, bag: map[string]map[string]int{}}
}

func rowText(vals []core.Value) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = v.String()
	}
	return strings.Join(parts, "|")
}

func (m *model) apply(t *testing.T, r *core.Record, keyless map[string]bool) {
	switch r.Op {
	case core.OpProgress, core.OpSchemaChange:
		return
	case core.OpTruncate:
		delete(m.keyed, r.Table.Name)
		delete(m.bag, r.Table.Name)
		return
	}
	name := r.Table.Name
	if keyless[name] {
		b := m.bag[name]
		if b == nil {
			b = map[string]int{}
			m.bag[name] = b
		}
		if r.Before != nil {
			k := rowText(r.Before)
			if b[k] == 0 {
				t.Errorf("%s of %s %s: no such row in the target", r.Op, name, k)
			}
			b[k]--
		}
		if r.After != nil {
			b[rowText(r.After)]++
		}
		return
	}
	k := m.keyed[name]
	if k == nil {
		k = map[string]string{}
		m.keyed[name] = k
	}
	if r.Before != nil {
		delete(k, r.Before[0].String())
	}
	if r.After != nil {
		k[r.After[0].String()] = rowText(r.After)
	}
}

// sourceRows reads a table's rows as the model holds them.
func sourceRows(t *testing.T, conn *sql.Conn, tbl *core.Table) []string {
	t.Helper()
	r, err := NewTableReader(tbl)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := conn.QueryContext(t.Context(), r.ChunkQuery(nil, nil, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	raw := make([]sql.RawBytes, len(tbl.Columns))
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	var out []string
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		vals, err := r.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rowText(vals))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func (m *model) rows(name string) []string {
	var out []string
	for _, r := range m.keyed[name] {
		out = append(out, r)
	}
	for r, n := range m.bag[name] {
		for range n {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

func mustRun(t *testing.T, db *sql.DB, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// The merger's output, applied in order, makes the source's tables
// exactly, while a workload changes them during the copy: with a view per
// chunk (MariaDB's way) and with one view per run under a global read lock
// (MySQL's way, run here on MariaDB).
func TestMergerConverges(t *testing.T) {
	for _, mode := range []viewMode{viewPerChunk, viewShared} {
		t.Run(fmt.Sprintf("views=%d", mode), func(t *testing.T) { testConverges(t, mode) })
	}
}

func testConverges(t *testing.T, mode viewMode) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	db := m.DB()
	mustRun(t, db, "CREATE DATABASE mc",
		"CREATE TABLE mc.t (id INT PRIMARY KEY, v INT, s VARCHAR(20))",
		"CREATE TABLE mc.bag (a INT, b VARCHAR(5))",
		"CREATE TABLE mc.empty (id INT PRIMARY KEY)",
		"INSERT INTO mc.t SELECT seq, seq % 7, CONCAT('s', seq) FROM mysql.seq_1_to_20000",
		"INSERT INTO mc.bag SELECT seq % 10, 'x' FROM mysql.seq_1_to_300")
	// The workload.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(1, uint64(mode)))
		next := 20001
		for {
			select {
			case <-stop:
				return
			default:
			}
			id := 1 + rng.IntN(20000)
			var q string
			switch rng.IntN(6) {
			case 0:
				q = fmt.Sprintf("INSERT INTO mc.t VALUES (%d, 1, 'new')", next)
				next++
			case 1:
				q = fmt.Sprintf("UPDATE mc.t SET v = v + 1 WHERE id = %d", id)
			case 2:
				q = fmt.Sprintf("DELETE FROM mc.t WHERE id = %d", id)
			case 3:
				q = fmt.Sprintf("UPDATE mc.t SET id = %d WHERE id = %d", next, id)
				next++
			case 4:
				q = fmt.Sprintf("INSERT INTO mc.bag VALUES (%d, 'y')", rng.IntN(10))
			case 5:
				q = fmt.Sprintf("DELETE FROM mc.bag WHERE a = %d LIMIT 1", rng.IntN(10))
			}
			if _, err := db.Exec(q); err != nil && !strings.Contains(err.Error(), "Duplicate") {
				t.Errorf("workload: %s: %v", q, err)
				return
			}
		}
	}()
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()

	recs, cc := rdrOpenRecords(t, m, cdc.RecordsConfig{ReportPosition: true})
	connector, err := cc.DriverConnector()
	if err != nil {
		t.Fatal(err)
	}
	qdb := sql.OpenDB(connector)
	defer qdb.Close()
	mg, err := Open(t.Context(), recs, Config{DB: qdb, CopyAll: true, ChunkRows: 700, Parallel: 2, TrackScope: true,
		Logger: rdrQuietLogger(), forceView: mode, viewForced: true})
	if err != nil {
		t.Fatal(err)
	}
	defer mg.Close()

	target := newModel()
	keyless := map[string]bool{"bag": true}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	var end *replication.BinlogStatus
	reads := 0
	var lastCP core.Position
	for {
		r, err := mg.Next(ctx)
		if err != nil {
			t.Fatalf("after %d snapshot rows: %v", reads, err)
		}
		if r.Op == core.OpRead {
			reads++
		}
		target.apply(t, r, keyless)
		if !r.TxEnd {
			continue
		}
		lastCP = r.Checkpoint
		mg.Ack(r.Checkpoint)
		active, err := InProgress(r.Checkpoint.Snapshot)
		if err != nil {
			t.Fatal(err)
		}
		if end == nil && !active && reads > 0 {
			close(stop)
			wg.Wait()
			if end, err = replication.CurrentBinlogStatus(ctx, db); err != nil {
				t.Fatal(err)
			}
		}
		if end != nil && !lastCP.Less(core.Position{File: end.File, Pos: end.Pos}) {
			break
		}
	}
	if reads < 20000 {
		t.Errorf("%d snapshot rows, want at least the 20000 of mc.t", reads)
	}
	conn, err := qdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range SessionSetup {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	tables, err := cdc.ReadCatalog(ctx, qdb, cdc.CaptureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"t", "bag", "empty"} {
		want := sourceRows(t, conn, tables.Table("mc", name))
		got := target.rows(name)
		if strings.Join(want, "\n") != strings.Join(got, "\n") {
			t.Errorf("mc.%s: the merged stream gives %d rows, the source has %d; first differences: %s", name, len(got), len(want), firstDiffs(want, got, 6))
		}
	}
	if s := mg.Status(); s.Active || len(s.Tables) != 3 {
		t.Errorf("status after the copy: %+v", s)
	}
}

// firstDiffs lists rows of sorted a and b the other lacks, at most n.
func firstDiffs(a, b []string, n int) string {
	var out []string
	i, j := 0, 0
	for (i < len(a) || j < len(b)) && len(out) < n {
		switch {
		case j >= len(b) || (i < len(a) && a[i] < b[j]):
			out = append(out, "only in source "+a[i])
			i++
		case i >= len(a) || a[i] > b[j]:
			out = append(out, "only in target "+b[j])
			j++
		default:
			i++
			j++
		}
	}
	return strings.Join(out, "; ")
}
