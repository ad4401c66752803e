package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/core"
)

// The runtime is tested against an in-memory log and sink: what is under
// test is batching, stopping and resuming, not a database. The real
// MariaDB → Postgres path is tested end to end in test/e2e.

var testTable = &core.Table{Schema: "db", Name: "t", Version: 1, Columns: []core.Column{{Name: "id"}}}

// logSource replays a fixed log of transactions: transaction i has
// sizes[i] row records (0: a progress record) and ends at position i+1.
// ddl marks transactions that are a schema change instead.
type logSource struct {
	sizes  []int
	ddl    map[int]bool
	next   int // transaction to read
	seq    int // record within it
	delay  time.Duration
	stall  map[int]time.Duration // pause before the last record of transaction i
	acked  atomic.Int64
	read   atomic.Int64 // records produced
	closed bool
}

func (s *logSource) Next(ctx context.Context) (*core.Record, error) {
	if s.next >= len(s.sizes) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	i := s.next
	cp := core.Position{File: "bin.000001", Pos: uint64(i + 1)}
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if s.ddl[i] {
		s.next++
		return &core.Record{Op: core.OpSchemaChange, Table: testTable, TxID: fmt.Sprint(i), TxEnd: true, Checkpoint: cp,
			Change: &core.SchemaChange{Kind: core.AlterTable, New: testTable, Old: testTable, Statement: "ALTER"}}, nil
	}
	if s.sizes[i] == 0 {
		s.next++
		return &core.Record{Op: core.OpProgress, TxID: fmt.Sprint(i), TxEnd: true, Checkpoint: cp}, nil
	}
	if d := s.stall[i]; d > 0 && s.seq == s.sizes[i]-1 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r := &core.Record{Op: core.OpInsert, Table: testTable, TxID: fmt.Sprint(i), TxSeq: s.seq,
		After: []core.Value{core.IntValue(int64(i*1000 + s.seq))}}
	s.seq++
	if s.seq == s.sizes[i] {
		r.TxEnd, r.Checkpoint = true, cp
		s.next, s.seq = s.next+1, 0
	}
	s.read.Add(1)
	return r, nil
}

func (s *logSource) Ack(p core.Position) { s.acked.Store(int64(p.Pos)) }
func (s *logSource) Close() error        { s.closed = true; return nil }

func openLog(sizes []int, ddl map[int]bool, tweak func(*logSource)) (OpenSource, *[]*logSource) {
	var opened []*logSource
	return func(ctx context.Context, start core.Position) (Source, error) {
		s := &logSource{sizes: sizes, ddl: ddl, next: int(start.Pos)}
		if tweak != nil {
			tweak(s)
		}
		opened = append(opened, s)
		return s, nil
	}, &opened
}

// memSink applies batches all or nothing.
type memSink struct {
	mu         sync.Mutex
	rows       []int64 // applied values, in order
	checkpoint core.Position
	batches    [][]int64 // committed batches
	ddl        int
	failApply  map[int]error // Apply call number → error after reading the batch
	applyCalls int
	opens      int
	slow       time.Duration
}

func (m *memSink) Open(ctx context.Context, pipeline string) (core.Position, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.opens++
	return m.checkpoint, nil
}

func (m *memSink) Apply(ctx context.Context, b core.Batch) error {
	m.applyCalls++
	var got []int64
	for {
		r, err := b.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		got = append(got, r.After[0].Int())
		if m.slow > 0 {
			time.Sleep(m.slow)
		}
	}
	if err := m.failApply[m.applyCalls]; err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows = append(m.rows, got...)
	m.batches = append(m.batches, got)
	m.checkpoint = b.Checkpoint()
	return nil
}

func (m *memSink) ApplySchemaChange(ctx context.Context, r *core.Record, cp core.Position) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ddl++
	m.batches = append(m.batches, nil)
	m.checkpoint = cp
	return nil
}

func (m *memSink) Close() error { return nil }

// expected lists the values of transactions [0, upTo).
func expected(sizes []int, ddl map[int]bool, upTo int) []int64 {
	var out []int64
	for i := 0; i < upTo; i++ {
		if ddl[i] {
			continue
		}
		for j := 0; j < sizes[i]; j++ {
			out = append(out, int64(i*1000+j))
		}
	}
	return out
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// runUntil runs the pipeline until the sink's checkpoint reaches pos, then
// stops it and returns Run's error.
func runUntil(t *testing.T, cfg Config, open OpenSource, sink *memSink, pos uint64) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, cfg, open, sink) }()
	deadline := time.After(20 * time.Second)
	for {
		sink.mu.Lock()
		p := sink.checkpoint.Pos
		sink.mu.Unlock()
		if p >= pos {
			cancel()
			return <-errc
		}
		select {
		case err := <-errc:
			return err
		case <-deadline:
			cancel()
			<-errc
			t.Fatalf("checkpoint stuck at %d, want %d", p, pos)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestBatchesHoldWholeTransactions(t *testing.T) {
	sizes := []int{3, 5, 1, 0, 7, 2, 2, 9, 0, 0, 4}
	ddl := map[int]bool{6: true}
	open, _ := openLog(sizes, ddl, nil)
	sink := &memSink{}
	// The log is read at once; the latency only closes the last batch.
	cfg := Config{Name: "p", MaxRecords: 6, MaxLatency: 200 * time.Millisecond, Logger: quiet()}
	if err := runUntil(t, cfg, open, sink, uint64(len(sizes))); err != nil {
		t.Fatal(err)
	}
	if want := expected(sizes, ddl, len(sizes)); !equalInts(sink.rows, want) {
		t.Fatalf("rows %v, want %v", sink.rows, want)
	}
	// Every batch is a run of whole transactions, closed at the first
	// transaction end at or past 6 records, and the schema change (nil)
	// is alone.
	var got [][]int64
	for _, b := range sink.batches {
		got = append(got, b)
	}
	want := [][]int64{
		{0, 1, 2, 1000, 1001, 1002, 1003, 1004},
		{2000, 4000, 4001, 4002, 4003, 4004, 4005, 4006},
		{5000, 5001},
		nil,
		{7000, 7001, 7002, 7003, 7004, 7005, 7006, 7007, 7008},
		{10000, 10001, 10002, 10003},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("batches\n%v\nwant\n%v", got, want)
	}
	if sink.ddl != 1 {
		t.Fatalf("%d schema changes applied, want 1", sink.ddl)
	}
}

func TestLatencyClosesABatch(t *testing.T) {
	// One record every 20ms with a 50ms latency: batches of a few
	// transactions, each committed without waiting for MaxRecords.
	sizes := make([]int, 20)
	for i := range sizes {
		sizes[i] = 1
	}
	open, _ := openLog(sizes, nil, func(s *logSource) { s.delay = 20 * time.Millisecond })
	sink := &memSink{}
	cfg := Config{Name: "p", MaxRecords: 1000, MaxLatency: 50 * time.Millisecond, Logger: quiet()}
	if err := runUntil(t, cfg, open, sink, 20); err != nil {
		t.Fatal(err)
	}
	if len(sink.batches) < 4 {
		t.Fatalf("%d batches for 20 transactions 20ms apart with a 50ms latency; want several", len(sink.batches))
	}
	if !equalInts(sink.rows, expected(sizes, nil, 20)) {
		t.Fatalf("rows %v", sink.rows)
	}
}

func TestRetryableSinkFailureResumesFromItsCheckpoint(t *testing.T) {
	sizes := []int{4, 4, 4, 4, 4, 4, 4, 4}
	open, opened := openLog(sizes, nil, nil)
	sink := &memSink{failApply: map[int]error{2: core.Retryable(errors.New("connection reset")), 3: core.Retryable(errors.New("again"))}}
	cfg := Config{Name: "p", MaxRecords: 8, MaxLatency: 100 * time.Millisecond, Logger: quiet(),
		Retry: Retry{Initial: time.Millisecond, Max: 2 * time.Millisecond}}
	if err := runUntil(t, cfg, open, sink, uint64(len(sizes))); err != nil {
		t.Fatal(err)
	}
	if want := expected(sizes, nil, len(sizes)); !equalInts(sink.rows, want) {
		t.Fatalf("rows %v, want each once: %v", sink.rows, want)
	}
	if sink.opens != 3 || len(*opened) != 3 {
		t.Fatalf("sink opened %d times, source %d; want 3 each", sink.opens, len(*opened))
	}
	for _, s := range *opened {
		if !s.closed {
			t.Fatal("a source was not closed")
		}
	}
}

func TestFatalSinkErrorEndsRun(t *testing.T) {
	open, _ := openLog([]int{2, 2}, nil, nil)
	boom := errors.New("column c: value out of range")
	sink := &memSink{failApply: map[int]error{1: boom}}
	err := Run(context.Background(), Config{Name: "p", MaxLatency: time.Millisecond, Logger: quiet()}, open, sink)
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want the sink's error", err)
	}
	if len(sink.rows) != 0 {
		t.Fatalf("rows applied despite the failure: %v", sink.rows)
	}
}

func TestRetryGivesUpAfterMaxDuration(t *testing.T) {
	open, _ := openLog([]int{2}, nil, nil)
	fail := map[int]error{}
	for i := 1; i < 1000; i++ {
		fail[i] = core.Retryable(errors.New("postgres is down"))
	}
	sink := &memSink{failApply: fail}
	cfg := Config{Name: "p", MaxLatency: time.Millisecond, Logger: quiet(),
		Retry: Retry{Initial: time.Millisecond, Max: 5 * time.Millisecond, MaxDuration: 50 * time.Millisecond}}
	err := Run(context.Background(), cfg, open, sink)
	if err == nil || !core.IsRetryable(err) {
		t.Fatalf("Run = %v, want the retryable error after max_duration", err)
	}
}

func TestStopFinishesTheTransactionInFlight(t *testing.T) {
	// Transaction 1's last record comes 300ms late; the stop arrives
	// meanwhile. With a 5s stop timeout the batch waits for it and commits.
	sizes := []int{2, 3, 2}
	open, _ := openLog(sizes, nil, func(s *logSource) { s.stall = map[int]time.Duration{1: 300 * time.Millisecond} })
	sink := &memSink{}
	cfg := Config{Name: "p", MaxLatency: time.Hour, StopTimeout: 5 * time.Second, Logger: quiet()}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	if err := Run(ctx, cfg, open, sink); err != nil {
		t.Fatal(err)
	}
	if want := expected(sizes, nil, 2); !equalInts(sink.rows, want) || sink.checkpoint.Pos != 2 {
		t.Fatalf("rows %v checkpoint %d; want %v at 2", sink.rows, sink.checkpoint.Pos, want)
	}
}

func TestStopAbandonsATransactionThatDoesNotEnd(t *testing.T) {
	sizes := []int{2, 3, 2}
	open, _ := openLog(sizes, nil, func(s *logSource) { s.stall = map[int]time.Duration{1: time.Hour} })
	sink := &memSink{}
	cfg := Config{Name: "p", MaxLatency: time.Hour, StopTimeout: 100 * time.Millisecond, Logger: quiet()}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	if err := Run(ctx, cfg, open, sink); err != nil {
		t.Fatal(err)
	}
	// The batch held transaction 0 and part of 1: all of it rolled back.
	if len(sink.rows) != 0 || !sink.checkpoint.IsZero() {
		t.Fatalf("rows %v checkpoint %v after an abandoned batch; want nothing", sink.rows, sink.checkpoint)
	}
}

func TestQueueHoldsTheReaderBack(t *testing.T) {
	sizes := make([]int, 2000)
	for i := range sizes {
		sizes[i] = 1
	}
	var src *logSource
	open, _ := openLog(sizes, nil, func(s *logSource) { src = s })
	sink := &memSink{slow: time.Millisecond}
	cfg := Config{Name: "p", MaxRecords: 10, MaxLatency: time.Hour, QueueRecords: 50, Logger: quiet()}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, cfg, open, sink) }()
	time.Sleep(300 * time.Millisecond)
	sink.mu.Lock()
	applied := len(sink.rows)
	sink.mu.Unlock()
	ahead := int(src.read.Load()) - applied
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	// Read ahead: the queue (50), the batch being applied (≤ 11), the
	// reader's record in hand (1).
	if ahead > 62 {
		t.Fatalf("the reader ran %d records ahead of the sink; the queue allows 50", ahead)
	}
	if applied == 0 {
		t.Fatal("nothing applied")
	}
}

type dropOdd struct{}

func (dropOdd) Transform(r *core.Record) ([]*core.Record, error) {
	if r.After[0].Int()%2 == 1 {
		return nil, nil
	}
	return []*core.Record{r}, nil
}

func TestTransformKeepsTransactionEnds(t *testing.T) {
	// Every transaction's last record is odd and dropped: its end must
	// survive, or batches would never close.
	sizes := []int{2, 2, 2, 4}
	open, _ := openLog(sizes, nil, nil)
	sink := &memSink{}
	cfg := Config{Name: "p", MaxRecords: 1, MaxLatency: 100 * time.Millisecond, Logger: quiet(), Transforms: []Transform{dropOdd{}}}
	if err := runUntil(t, cfg, open, sink, 4); err != nil {
		t.Fatal(err)
	}
	want := []int64{0, 1000, 2000, 3000, 3002}
	if !equalInts(sink.rows, want) {
		t.Fatalf("rows %v, want %v", sink.rows, want)
	}
}
