package postgres

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/core"
)

// The benchmarks apply batches of benchRows row changes of a 12-column
// table of mixed types (BenchmarkApply) and, for comparison, COPY the same
// rows, encoded the same way, straight into a plain table
// (BenchmarkCopyFloor): the floor no sink that writes through COPY can
// beat. Both report rows/s. Run them together:
//
//	go test -run '^$' -bench 'Apply|CopyFloor' -benchtime 20x ./sinks/postgres/

const benchRows = 10000

// benchTable is the mixed table: integers, decimals, a double, strings of
// several lengths, an enum, DATETIME(6), TIMESTAMP(3), TINYINT(1), TEXT.
func benchTable(db string) *core.Table {
	c := func(name string, ct core.ColumnType, nullable bool) core.Column {
		return core.Column{Name: name, Type: ct, Nullable: nullable}
	}
	return &core.Table{
		Schema: db, Name: "orders", Version: 1,
		Columns: []core.Column{
			c("id", core.ColumnType{Name: "bigint"}, false),
			c("customer_id", core.ColumnType{Name: "int", Unsigned: true}, false),
			c("sku", core.ColumnType{Name: "varchar", Length: 32}, false),
			c("title", core.ColumnType{Name: "varchar", Length: 200}, true),
			c("qty", core.ColumnType{Name: "smallint"}, false),
			c("price", core.ColumnType{Name: "decimal", Precision: 10, Scale: 2}, false),
			c("total", core.ColumnType{Name: "decimal", Precision: 14, Scale: 2}, false),
			c("rate", core.ColumnType{Name: "double"}, true),
			c("status", core.ColumnType{Name: "enum", Elems: []string{"new", "paid", "shipped", "cancelled"}}, false),
			c("created_at", core.ColumnType{Name: "datetime", FSP: 6}, false),
			c("updated_at", core.ColumnType{Name: "timestamp", FSP: 3}, true),
			c("note", core.ColumnType{Name: "text"}, true),
		},
		PrimaryKey: &core.Key{Name: "PRIMARY", Columns: []core.KeyColumn{{Name: "id"}}},
	}
}

var benchStatus = [][]byte{[]byte("new"), []byte("paid"), []byte("shipped"), []byte("cancelled")}

// benchRow is row id of the mixed table, at revision rev.
func benchRow(id int64, rev int) []core.Value {
	qty := int64(id%20 + 1 + int64(rev))
	price := 100 + id%9000
	note := core.Null()
	if id%3 != 0 {
		note = core.StringValue([]byte("customer asked for gift wrapping, rev " + strconv.Itoa(rev) + "; leave at the door"))
	}
	return []core.Value{
		core.IntValue(id),
		core.UintValue(uint64(id % 50000)),
		core.StringValue([]byte("SKU-" + strconv.FormatInt(id%100000, 10))),
		core.StringValue([]byte("Stainless steel water bottle, 750 ml, model " + strconv.FormatInt(id%977, 10))),
		core.IntValue(qty),
		core.DecimalValue([]byte(strconv.FormatInt(price/100, 10) + "." + fmt.Sprintf("%02d", price%100))),
		core.DecimalValue([]byte(strconv.FormatInt(price*qty/100, 10) + "." + fmt.Sprintf("%02d", price*qty%100))),
		core.Float64Value(float64(id%1000) / 7),
		core.EnumValue(benchStatus[(int(id)+rev)%4]),
		core.DateTimeValue(core.Civil{Year: 2025, Month: 1 + int(id%12), Day: 1 + int(id%28), Hour: int(id % 24), Minute: int(id % 60), Second: int(id % 60), Microsecond: int(id % 1000000)}),
		core.TimestampValue(1_700_000_000_000_000 + id*1000 + int64(rev)*1_000_000),
		note,
	}
}

// benchPrepare opens a sink on a fresh source database for the benchmark.
func benchPrepare(b *testing.B, name string) (*Sink, *core.Table) {
	b.Helper()
	pg := testPostgres(b)
	ctx := context.Background()
	conn, err := pg.Connect(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+quoteIdent(name)+" CASCADE"); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "DELETE FROM _syncer.checkpoints WHERE pipeline = $1", name); err != nil && !isUndefinedTable(err) {
		b.Fatal(err)
	}
	s, err := New(NewConfig(pg.DSN()))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Open(ctx, name); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s, benchTable(name)
}

func isUndefinedTable(err error) bool {
	return err != nil && bytes.Contains([]byte(err.Error()), []byte("42P01"))
}

func reportRows(b *testing.B, rows int, d time.Duration) {
	if d > 0 {
		b.ReportMetric(float64(rows)/d.Seconds(), "rows/s")
	}
}

// BenchmarkApply applies batches of benchRows changes: /insert new rows,
// /update every non-key column of existing rows (one change per row),
// /mixed inserts, updates of rows of the same batch and deletes.
func BenchmarkApply(b *testing.B) {
	b.Run("insert", func(b *testing.B) {
		s, tb := benchPrepare(b, "bench_insert")
		benchInserts(b, s, tb, benchRows)
	})
	b.Run("update", func(b *testing.B) {
		s, tb := benchPrepare(b, "bench_update")
		ctx := context.Background()
		recs := make([]*core.Record, benchRows)
		for i := range recs {
			recs[i] = &core.Record{Op: core.OpInsert, Table: tb, After: benchRow(int64(i), 0)}
		}
		if err := s.Apply(ctx, newBatch(core.Position{File: "f", Pos: 1}, recs...)); err != nil {
			b.Fatal(err)
		}
		var elapsed time.Duration
		b.ResetTimer()
		for n := 0; n < b.N; n++ {
			b.StopTimer()
			for i := range recs {
				recs[i] = &core.Record{Op: core.OpUpdate, Table: tb, Before: benchRow(int64(i), n), After: benchRow(int64(i), n+1)}
			}
			b.StartTimer()
			start := time.Now()
			if err := s.Apply(ctx, newBatch(core.Position{File: "f", Pos: uint64(n + 2)}, recs...)); err != nil {
				b.Fatal(err)
			}
			elapsed += time.Since(start)
		}
		reportRows(b, b.N*benchRows, elapsed)
	})
	b.Run("mixed", func(b *testing.B) {
		// Per batch: 60% inserts, 30% updates of rows inserted earlier in
		// the batch, 10% deletes of those.
		s, tb := benchPrepare(b, "bench_mixed")
		ctx := context.Background()
		recs := make([]*core.Record, 0, benchRows)
		var elapsed time.Duration
		b.ResetTimer()
		for n := 0; n < b.N; n++ {
			b.StopTimer()
			recs = recs[:0]
			base := int64(n * benchRows)
			for i := int64(0); len(recs) < benchRows; i++ {
				id := base + i
				recs = append(recs, &core.Record{Op: core.OpInsert, Table: tb, After: benchRow(id, 0)})
				if i%2 == 0 && len(recs) < benchRows {
					recs = append(recs, &core.Record{Op: core.OpUpdate, Table: tb, Before: benchRow(id, 0), After: benchRow(id, 1)})
				}
				if i%6 == 0 && len(recs) < benchRows {
					recs = append(recs, &core.Record{Op: core.OpDelete, Table: tb, Before: benchRow(id, 1)})
				}
			}
			b.StartTimer()
			start := time.Now()
			if err := s.Apply(ctx, newBatch(core.Position{File: "f", Pos: uint64(n + 1)}, recs...)); err != nil {
				b.Fatal(err)
			}
			elapsed += time.Since(start)
		}
		reportRows(b, b.N*benchRows, elapsed)
	})
}

// BenchmarkCopyFloor copies the rows of BenchmarkApply/insert, encoded
// with the same appendCopy, into plain tables with plain COPY, one
// transaction per benchRows: /heap into a table without any index, /pk
// into one with the primary key.
func BenchmarkCopyFloor(b *testing.B) {
	for _, withPK := range []bool{false, true} {
		name := "heap"
		if withPK {
			name = "pk"
		}
		b.Run(name, func(b *testing.B) {
			pg := testPostgres(b)
			ctx := context.Background()
			conn, err := pg.Connect(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close(ctx)
			tb := benchTable("bench_floor")
			p, err := planTable(NewConfig(pg.DSN()), tb)
			if err != nil {
				b.Fatal(err)
			}
			if !withPK {
				p.Key = nil
			}
			p.Name = "orders_" + name
			for _, q := range []string{
				"CREATE SCHEMA IF NOT EXISTS bench_floor",
				"DROP TABLE IF EXISTS " + p.ident(),
				createTableSQL(p),
			} {
				if _, err := conn.Exec(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			copySQL := "COPY " + p.ident() + " FROM STDIN"
			rows := make([][]core.Value, benchRows)
			for i := range rows {
				rows[i] = benchRow(int64(i), 0)
			}
			var buf []byte
			var elapsed time.Duration
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				b.StopTimer()
				for i, r := range rows {
					r[0] = core.IntValue(int64(n*benchRows + i))
				}
				b.StartTimer()
				start := time.Now()
				buf = buf[:0]
				for _, r := range rows {
					for i := range p.Columns {
						if i > 0 {
							buf = append(buf, '\t')
						}
						if buf, err = p.Columns[i].appendCopy(buf, r[i]); err != nil {
							b.Fatal(err)
						}
					}
					buf = append(buf, '\n')
				}
				tx, err := conn.Begin(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(buf), copySQL); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(ctx); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
			}
			reportRows(b, b.N*benchRows, elapsed)
		})
	}
}

// BenchmarkApplyChunks applies batches of 20,000 inserts (the pipeline's
// default batch.max_records) with several Config.ChunkRows: how much
// overlapping the encoding with COPY (more, smaller chunks) gains over
// fewer round trips (fewer, larger chunks).
func BenchmarkApplyChunks(b *testing.B) {
	const batchRows = 20000
	for _, chunkRows := range []int{2500, 5000, 10000, 20000} {
		b.Run(fmt.Sprintf("insert/chunk=%d", chunkRows), func(b *testing.B) {
			s, tb := benchPrepare(b, "bench_chunks")
			s.cfg.ChunkRows = chunkRows
			benchInserts(b, s, tb, batchRows)
		})
	}
}

// benchInserts applies b.N batches of rows fresh inserts to tb and reports
// rows/s of Apply alone.
func benchInserts(b *testing.B, s *Sink, tb *core.Table, rows int) {
	recs := make([]*core.Record, rows)
	for i := range recs {
		recs[i] = &core.Record{Op: core.OpInsert, Table: tb, After: benchRow(int64(i), 0)}
	}
	ctx := context.Background()
	var elapsed time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		for i, r := range recs {
			id := int64(n*rows + i)
			r.After[0] = core.IntValue(id)
			r.Position = core.Position{File: "mysql-bin.000001", Pos: uint64(id)}
		}
		b.StartTimer()
		start := time.Now()
		if err := s.Apply(ctx, newBatch(recs[len(recs)-1].Position, recs...)); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	reportRows(b, b.N*rows, elapsed)
}
