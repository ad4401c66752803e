package binlog

import (
	"math"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the process's user+system CPU time. The benchmarks
// report rows per CPU-second beside rows per wall-second, because on a
// shared machine wall time also counts other processes' turns.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchTable is a 12-column table of mixed types, the shape of a typical
// OLTP row.
func benchTable() *testTable {
	return &testTable{id: 1, schema: "shop", name: "orders", cols: []testColumn{
		{typ: TypeLong},                                  // id
		{typ: TypeLongLong},                              // customer id (unsigned)
		{typ: TypeTiny, nullable: true},                  // status
		{typ: TypeShort, nullable: true},                 // quantity
		{typ: TypeDouble, meta: []byte{8}},               // weight
		{typ: TypeNewDecimal, meta: []byte{12, 2}},       // price
		{typ: TypeDateTime2, meta: []byte{0}},            // created
		{typ: TypeTimestamp2, meta: []byte{3}},           // updated
		{typ: TypeDate, nullable: true},                  // ship date
		{typ: TypeTime2, meta: []byte{0}},                // duration
		{typ: TypeVarchar, meta: le(2, 256)},             // title, utf8mb4 VARCHAR(64)
		{typ: TypeBlob, meta: []byte{2}, nullable: true}, // note, TEXT
	}, optional: append(signedness(false, true, false, false, false, false, false), charsetMeta(255)...)}
}

func benchRow(i int) []byte {
	return image(
		le(4, uint64(i)),
		le(8, uint64(1000000+i)),
		[]byte{byte(i % 5)},
		le(2, uint64(i%100)),
		le(8, math.Float64bits(float64(i)*0.25)),
		encodeDecimal("1234.56", 12, 2),
		encodeDateTime2(2024, 5, 17, 10, 30, 0, 0, 0),
		append(be(4, uint64(1715941800+i)), be(2, 123)...),
		le(3, 2024<<9|5<<5|20),
		encodeTime2(false, 1, 2, 3, 0, 0),
		lenPrefixed(2, []byte("Order for a customer, two items")),
		lenPrefixed(2, []byte("leave at the door")),
	)
}

// benchRowsEvent returns a decoder holding the table map and a
// WRITE_ROWS_V2 event of n rows.
func benchRowsEvent(b *testing.B, n int) (*Decoder, []byte) {
	d := NewDecoder()
	decodeTestTable(b, d, benchTable())
	var data []byte
	for i := range n {
		data = append(data, benchRow(i)...)
	}
	return d, wrapEvent(WriteRowsEventV2Type, (&testRows{typ: WriteRowsEventV2Type, id: 1, width: 12, data: data}).body())
}

// BenchmarkDecodeRows decodes rows events of 100 rows into values with a
// reused RowIterator: the hot path of a CDC pipeline.
func BenchmarkDecodeRows(b *testing.B) {
	const rowsPerEvent = 100
	d, raw := benchRowsEvent(b, rowsPerEvent)
	var it RowIterator
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	rows := 0
	for b.Loop() {
		ev, err := d.Decode(raw)
		if err != nil {
			b.Fatal(err)
		}
		it.Reset(ev.Body.(*RowsEvent))
		for it.Next() {
			rows++
		}
		if it.Err() != nil {
			b.Fatal(it.Err())
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(rows)/cpu.Seconds(), "rows/cpu-s")
	}
}

// BenchmarkDecodeRowsJSON also renders every value as JSON, as the CLI does.
func BenchmarkDecodeRowsJSON(b *testing.B) {
	const rowsPerEvent = 100
	d, raw := benchRowsEvent(b, rowsPerEvent)
	var it RowIterator
	var out []byte
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	rows := 0
	for b.Loop() {
		ev, err := d.Decode(raw)
		if err != nil {
			b.Fatal(err)
		}
		it.Reset(ev.Body.(*RowsEvent))
		for it.Next() {
			rows++
			out = out[:0]
			after := it.After()
			for i := range after {
				if out, err = after[i].AppendJSON(out); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(rows)/cpu.Seconds(), "rows/cpu-s")
	}
}
