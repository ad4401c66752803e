package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/seed5aa6e046/syncer/test/harness"
	"github.com/seed5aa6e046/syncer/test/harness/benchrun"
)

// lagTxRows is the size of the lag phase's transactions.
const lagTxRows = 50

// lagResult is the lag phase's figures.
type lagResult struct {
	txs                int
	rate               float64 // rows/s achieved
	min                time.Duration
	p50, p90, p99, max time.Duration
	startup            time.Duration // syncer start until the first row is visible
}

// percentile returns the q-quantile (nearest rank) of sorted d.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	k := int(math.Ceil(q*float64(len(d)))) - 1
	return d[max(0, min(k, len(d)-1))]
}

// lagPhase runs syncer live on bench.lag (start: current, a fresh
// pipeline), commits 50-row transactions at o.lagRate rows/s for
// o.lagSeconds and measures, per transaction, the time from its COMMIT
// returning to its last row being visible in Postgres (polled every 10ms).
func lagPhase(ctx context.Context, o options, env *benchrun.Env, out io.Writer) (*lagResult, error) {
	src, tgt := env.Source, env.Target
	const create = "CREATE TABLE bench.lag (id BIGINT NOT NULL PRIMARY KEY, payload VARCHAR(100), written_at DATETIME(6))"
	if err := env.ExecSource(ctx, create); err != nil {
		return nil, err
	}
	sp := benchrun.Pipeline{Name: "lag", ServerID: 4102, Include: "bench.lag", Start: "current"}
	yaml, err := writeYAML(o, env, sp)
	if err != nil {
		return nil, err
	}
	nTx := int(o.lagSeconds * float64(o.lagRate) / lagTxRows)
	interval := time.Duration(float64(time.Second) * lagTxRows / float64(o.lagRate))
	fmt.Fprintf(out, "\n== lag: syncer run %s (pipeline %s, start current) live; %d transactions of %d rows, one every %s (%d rows/s) for %gs\n",
		filepath.Base(yaml), sp.Name, nTx, lagTxRows, interval, o.lagRate, o.lagSeconds)
	proc, err := env.StartSyncer(yaml, filepath.Join(env.Work, "syncer-"+sp.Name+".log"))
	if err != nil {
		return nil, err
	}
	defer proc.Stop()

	conn, err := src.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	maxID := func() (int64, bool, error) {
		var id *int64
		err := tgt.QueryRow(ctx, "SELECT max(id) FROM bench.lag").Scan(&id)
		if isUndefined(err) || (err == nil && id == nil) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, err
		}
		return *id, true, nil
	}

	// Warm-up: until syncer has started streaming (start: current is
	// resolved when it connects), write a row with a negative id every
	// 500ms and wait for one to appear.
	res := &lagResult{txs: nTx}
	warm := int64(0)
	nextWarm := time.Now()
	for {
		if time.Now().After(nextWarm) {
			warm--
			if _, err := conn.ExecContext(ctx, "INSERT INTO bench.lag VALUES (?, 'warm-up', NOW(6))", warm); err != nil {
				return nil, err
			}
			nextWarm = time.Now().Add(500 * time.Millisecond)
		}
		_, ok, err := maxID()
		if err != nil {
			return nil, err
		}
		if ok {
			res.startup = time.Since(proc.Started)
			break
		}
		if err := proc.ExitedErr(); err != nil {
			return nil, err
		}
		if time.Since(proc.Started) > 2*time.Minute {
			return nil, fmt.Errorf("lag: no warm-up row in the target 2 min after syncer started; its log %s ends:\n%s", proc.Log, proc.Tail(20))
		}
		if err := harness.Sleep(ctx, 10*time.Millisecond); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(out, "   streaming: the first warm-up row was visible %s after syncer started\n", benchrun.Round(res.startup))

	wctx, cancelWriter := context.WithCancel(ctx)
	defer cancelWriter()
	committed := make([]time.Time, nTx)
	visible := make([]time.Time, nTx)
	var wg sync.WaitGroup
	var writeErr error
	written := 0 // transactions committed, valid after wg.Wait
	lastCommitted := make(chan int, 1)
	writeStart := time.Now()
	var writeEnd time.Time
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() { lastCommitted <- written }()
		// A fixed schedule: transaction k starts at writeStart + k ×
		// interval, or at once when the writer is behind, so that a slow
		// commit does not lower the rate (a time.Ticker would drop the
		// ticks it missed).
		var b strings.Builder
		for k := range nTx {
			if d := time.Until(writeStart.Add(time.Duration(k) * interval)); d > 0 {
				if err := harness.Sleep(wctx, d); err != nil {
					writeErr = err
					return
				}
			} else if err := wctx.Err(); err != nil {
				writeErr = err
				return
			}
			b.Reset()
			b.WriteString("INSERT INTO bench.lag (id, payload, written_at) VALUES ")
			for r := range lagTxRows {
				if r > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "(%d,'payload %d of transaction %d: %s',NOW(6))", k*lagTxRows+r+1, r, k, strings.Repeat("x", 40))
			}
			tx, err := conn.BeginTx(wctx, nil)
			if err != nil {
				writeErr = err
				return
			}
			if _, err := tx.ExecContext(wctx, b.String()); err != nil {
				_ = tx.Rollback()
				writeErr = err
				return
			}
			if err := tx.Commit(); err != nil {
				writeErr = err
				return
			}
			committed[k] = time.Now()
			written = k + 1
		}
		writeEnd = time.Now()
	}()

	// Poller: every 10ms, max(id); every transaction whose last id is at
	// most that is visible now.
	pollErr := func() error {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		seen := 0 // transactions seen visible
		final := -1
		var finalAt time.Time
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case n := <-lastCommitted:
				final, finalAt = n, time.Now()
			case <-tick.C:
			}
			id, ok, err := maxID()
			now := time.Now()
			if err != nil {
				return err
			}
			if ok {
				for seen < nTx && int64(seen+1)*lagTxRows <= id {
					visible[seen] = now
					seen++
				}
			}
			if final >= 0 && seen >= final {
				return nil
			}
			if final >= 0 && now.Sub(finalAt) > time.Minute {
				return fmt.Errorf("lag: %d of %d transactions visible 1 min after the last commit; syncer's log %s ends:\n%s",
					seen, final, proc.Log, proc.Tail(20))
			}
			if err := proc.ExitedErr(); err != nil {
				return err
			}
		}
	}()
	if pollErr != nil {
		cancelWriter()
	}
	wg.Wait()
	if pollErr != nil {
		return nil, pollErr
	}
	if writeErr != nil {
		return nil, fmt.Errorf("lag writer: %w", writeErr)
	}
	if written != nTx {
		return nil, fmt.Errorf("lag writer: %d of %d transactions written", written, nTx)
	}
	res.rate = float64(nTx*lagTxRows) / writeEnd.Sub(writeStart).Seconds()
	lags := make([]time.Duration, nTx)
	for k := range nTx {
		lags[k] = visible[k].Sub(committed[k])
	}
	slices.Sort(lags)
	res.min = lags[0]
	res.p50, res.p90, res.p99 = percentile(lags, 0.50), percentile(lags, 0.90), percentile(lags, 0.99)
	res.max = lags[len(lags)-1]
	fmt.Fprintf(out, "   %d transactions (%d rows) at %s rows/s; lag (visible in Postgres - COMMIT returned, polled every 10ms):\n",
		nTx, nTx*lagTxRows, benchrun.Grouped(int64(res.rate)))
	fmt.Fprintf(out, "   min %s  p50 %s  p90 %s  p99 %s  max %s  (target p99 < 1s: %s)\n",
		benchrun.Round(res.min), benchrun.Round(res.p50), benchrun.Round(res.p90), benchrun.Round(res.p99), benchrun.Round(res.max),
		benchrun.PassFail(res.p99 < time.Second))

	// Correctness: the same rows on both sides.
	var nSrc, sumSrc, nTgt, sumTgt int64
	// Warm-up rows written before syncer began streaming are not in the
	// target: compare the rows from the first visible warm-up row on.
	var firstWarm int64
	if err := tgt.QueryRow(ctx, "SELECT coalesce(max(id), 0) FROM bench.lag WHERE id <= 0").Scan(&firstWarm); err != nil {
		return nil, err
	}
	if err := src.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(id), 0) FROM bench.lag WHERE id <= ? OR id > 0", firstWarm).Scan(&nSrc, &sumSrc); err != nil {
		return nil, err
	}
	if err := tgt.QueryRow(ctx, "SELECT count(*), coalesce(sum(id), 0) FROM bench.lag WHERE id <= $1 OR id > 0", firstWarm).Scan(&nTgt, &sumTgt); err != nil {
		return nil, err
	}
	if nSrc != nTgt || sumSrc != sumTgt {
		return nil, fmt.Errorf("lag: THE TARGET DIFFERS: source bench.lag has %d rows (sum of ids %d), target %d (%d)", nSrc, sumSrc, nTgt, sumTgt)
	}
	fmt.Fprintf(out, "   target equals source: %d rows\n", nTgt)
	if err := proc.Stop(); err != nil {
		fmt.Fprintf(out, "   WARNING: %v\n", err)
	}
	return res, nil
}
