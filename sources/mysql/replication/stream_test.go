package replication_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
	"github.com/seed5aa6e046/syncer/sources/mysql/client"
	"github.com/seed5aa6e046/syncer/sources/mysql/gtid"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
	"github.com/seed5aa6e046/syncer/test/harness"
	"github.com/seed5aa6e046/syncer/test/harness/faultproxy"
)

// evKey identifies one binlog event by place, type and exact bytes.
type evKey struct {
	File  string
	Pos   uint64
	Inner int
	Type  binlog.EventType
	Sum   [32]byte
}

func (k evKey) String() string {
	return fmt.Sprintf("%s:%d#%d %s %x", k.File, k.Pos, k.Inner, k.Type, k.Sum[:4])
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func connConfig(t testing.TB, addr, user, password string) *client.Config {
	t.Helper()
	cfg, err := client.ParseDSN(fmt.Sprintf("%s:%s@tcp(%s)/?timeout=5s", user, password, addr))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func streamConfig(t testing.TB, conn *client.Config) *replication.Config {
	cfg := replication.NewConfig(conn)
	cfg.HeartbeatPeriod = 250 * time.Millisecond
	cfg.ReadTimeout = time.Second
	cfg.Reconnect = replication.Backoff{Initial: 20 * time.Millisecond, Max: 500 * time.Millisecond}
	cfg.Logger = testLogger(t)
	return cfg
}

// diskEvents reads the server's binlog files from disk, from file:pos
// (file "" = the first) to the end, as the oracle for what a stream must
// deliver.
func diskEvents(t testing.TB, m *harness.MariaDB, file string, pos uint64) []evKey {
	t.Helper()
	paths, err := m.BinlogFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		if filepath.Base(p) == file {
			paths = paths[i:]
			break
		}
	}
	var opts []binlogfile.Option
	if file != "" && pos > 4 {
		opts = append(opts, binlogfile.WithStartPosition(int64(pos)))
	}
	r := binlogfile.OpenFiles(paths, opts...)
	defer r.Close()
	var out []evKey
	inner := 0
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("read binlog from disk: %v", err)
		}
		if ev.InPayload {
			inner++
		} else {
			inner = 0
		}
		out = append(out, evKey{File: filepath.Base(ev.File), Pos: uint64(ev.Pos), Inner: inner, Type: ev.Header.Type, Sum: eventSum(ev.Event)})
	}
}

// collect reads s until io.EOF and returns the non-synthetic events.
func collect(t testing.TB, ctx context.Context, s *replication.Stream) []evKey {
	t.Helper()
	var out []evKey
	inner := 0
	for {
		ev, err := s.Next(ctx)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("stream: after %d events: %v", len(out), err)
		}
		if ev.Synthetic {
			continue
		}
		if ev.InPayload {
			inner++
		} else {
			inner = 0
		}
		out = append(out, evKey{File: ev.File, Pos: ev.Pos, Inner: inner, Type: ev.Header.Type, Sum: eventSum(ev.Event)})
	}
}

// eventSum hashes an event's bytes. The FORMAT_DESCRIPTION of a binlog
// still being written has LOG_EVENT_BINLOG_IN_USE_F set on disk, which the
// source clears when it sends the event (its CRC is computed with the flag
// clear either way), so the flag is left out.
func eventSum(ev *binlog.Event) [32]byte {
	if ev.Header.Type == binlog.FormatDescriptionEventType && len(ev.Raw) > 17 && ev.Raw[17]&0x01 != 0 {
		raw := bytes.Clone(ev.Raw)
		raw[17] &^= 0x01
		return sha256.Sum256(raw)
	}
	return sha256.Sum256(ev.Raw)
}

func sameEvents(t testing.TB, got, want []evKey) {
	t.Helper()
	n := min(len(got), len(want))
	for i := 0; i < n; i++ {
		if got[i] != want[i] {
			lo := max(0, i-2)
			t.Fatalf("event %d differs:\n got  %v\n want %v\n(got[%d:%d] = %v\n want[%d:%d] = %v)", i, got[i], want[i], lo, i+3, got[lo:min(len(got), i+3)], lo, i+3, want[lo:min(len(want), i+3)])
		}
	}
	if len(got) != len(want) {
		extra := got[n:]
		if len(want) > n {
			extra = want[n:]
		}
		t.Fatalf("stream delivered %d events, the binlog on disk has %d; first unmatched: %v", len(got), len(want), extra[:min(3, len(extra))])
	}
}

// workload writes a mix the stream must carry: DDL, one large transaction
// whose rows events span many packets, and many small transactions.
func workload(t testing.TB, db *sql.DB, tag string, bigRows, small int) {
	t.Helper()
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("CREATE DATABASE IF NOT EXISTS shop")
	exec("CREATE TABLE IF NOT EXISTS shop.items_" + tag + " (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(200), body TEXT, price DECIMAL(10,2), at DATETIME(6))")
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	const per = 200
	for i := 0; i < bigRows; i += per {
		var b strings.Builder
		b.WriteString("INSERT INTO shop.items_" + tag + " (name, body, price, at) VALUES ")
		for j := 0; j < per && i+j < bigRows; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "('item %d', REPEAT('x', %d), %d.25, NOW(6))", i+j, 50+(i+j)%300, (i+j)%1000)
		}
		if _, err := tx.ExecContext(ctx, b.String()); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < small; i++ {
		switch i % 3 {
		case 0:
			exec("INSERT INTO shop.items_"+tag+" (name, body, price, at) VALUES (?, 'small', 1.5, NOW(6))", fmt.Sprint("s", i))
		case 1:
			exec("UPDATE shop.items_"+tag+" SET price = price + 1 WHERE id = ?", i)
		case 2:
			exec("DELETE FROM shop.items_"+tag+" WHERE id = ?", i)
		}
	}
	exec("ALTER TABLE shop.items_" + tag + " ADD COLUMN note VARCHAR(20) DEFAULT 'n'")
}

func firstFile(t testing.TB, m *harness.MariaDB) string {
	t.Helper()
	files, err := m.BinlogFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Base(files[0])
}

func TestStream(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	user, pw := m.User()
	workload(t, m.DB(), "a", 20000, 300)
	first := firstFile(t, m)
	want := diskEvents(t, m, first, 4)
	ctx := t.Context()

	t.Run("clean read equals the binlog on disk", func(t *testing.T) {
		cfg := streamConfig(t, connConfig(t, m.Addr(), user, pw))
		cfg.Start = replication.Position{File: first, Pos: 4}
		cfg.UntilNow = true
		s, err := replication.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sameEvents(t, collect(t, ctx, s), want)
		if s.Reconnects() != 0 {
			t.Errorf("clean read reconnected %d times", s.Reconnects())
		}
		cp := s.Checkpoint()
		st := want[len(want)-1]
		if cp.File != st.File {
			t.Errorf("checkpoint %v is not in the last file %s", cp, st.File)
		}
	})

	t.Run("start mid-file at a transaction boundary", func(t *testing.T) {
		// The position after the CREATE TABLE's transaction: pick the
		// first XID's next event.
		var at evKey
		for i, k := range want {
			if k.Type == binlog.XIDEventType {
				at = want[i+1]
				break
			}
		}
		cfg := streamConfig(t, connConfig(t, m.Addr(), user, pw))
		cfg.Start = replication.Position{File: at.File, Pos: at.Pos}
		cfg.UntilNow = true
		s, err := replication.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sameEvents(t, collect(t, ctx, s), diskEvents(t, m, at.File, at.Pos))
	})

	for _, mode := range []string{"file", "gtid"} {
		t.Run("faults in "+mode+" mode: every event exactly once, in order", func(t *testing.T) {
			p, err := faultproxy.Start(ctx, m.Addr(), faultproxy.Options{
				MinBytes: 1, MaxBytes: 600 << 10, StallFor: 1500 * time.Millisecond, Logger: testLogger(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			t.Logf("fault schedule seed %d", p.Seed())
			cfg := streamConfig(t, connConfig(t, p.Addr(), user, pw))
			cfg.UntilNow = true
			expect := want
			if mode == "file" {
				cfg.Start = replication.Position{File: first, Pos: 4}
			} else {
				// Start after the first transaction, by GTID.
				g := firstMariaGTID(t, m, first)
				pos, err := gtid.ParseMariaDBPos(g)
				if err != nil {
					t.Fatal(err)
				}
				cfg.Start = replication.Position{MariaDBGTID: pos}
				expect = afterTransaction(t, want, g)
			}
			// Open through the proxy while it is still transparent, then
			// turn the faults on for the stream's connections.
			s, err := replication.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			p.SetFaults(true)
			if mode == "gtid" {
				// A GTID resume restarts the interrupted transaction from
				// its first event (the source picks the place), so a
				// connection that fails more often than a whole large
				// transaction can be sent makes no progress. Cut it
				// several times, inside the large transaction, then let
				// it finish.
				go func() {
					for ctx.Err() == nil {
						st := p.Stats()
						n := int64(0)
						for _, c := range st.Faults {
							n += c
						}
						if n >= 6 {
							p.SetFaults(false)
							return
						}
						time.Sleep(5 * time.Millisecond)
					}
				}()
			}
			cctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
			defer cancel()
			got := collect(t, cctx, s)
			if mode == "gtid" {
				got = dropFileHeader(t, got)
			}
			sameEvents(t, got, expect)
			st := p.Stats()
			t.Logf("%d events, %d reconnects, faults %v, %d bytes down", len(got), s.Reconnects(), st.Faults, st.BytesDown)
			if s.Reconnects() == 0 {
				t.Errorf("no reconnect happened: the fault schedule (seed %d) did not strike", p.Seed())
			}
		})
	}

	t.Run("idle stream stays connected on heartbeats", func(t *testing.T) {
		cfg := streamConfig(t, connConfig(t, m.Addr(), user, pw))
		cfg.HeartbeatPeriod = 200 * time.Millisecond
		cfg.ReadTimeout = 700 * time.Millisecond
		s, err := replication.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		idle, cancel := context.WithTimeout(ctx, 2500*time.Millisecond)
		defer cancel()
		beats := 0
		for {
			ev, err := s.Next(idle)
			if err != nil {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatal(err)
				}
				break
			}
			switch ev.Header.Type {
			case binlog.HeartbeatEventType, binlog.HeartbeatV2EventType:
				if !ev.Synthetic {
					t.Error("heartbeat not marked synthetic")
				}
				beats++
			}
		}
		if beats < 5 {
			t.Errorf("%d heartbeats in 2.5s with a 200ms period", beats)
		}
		if s.Reconnects() != 0 {
			t.Errorf("an idle stream with heartbeats reconnected %d times", s.Reconnects())
		}
	})

	t.Run("Events iterator", func(t *testing.T) {
		cfg := streamConfig(t, connConfig(t, m.Addr(), user, pw))
		cfg.Start = replication.Position{File: first, Pos: 4}
		cfg.UntilNow = true
		s, err := replication.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		n, xids := 0, 0
		for ev, err := range s.Events(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if !ev.Synthetic {
				n++
			}
			if ev.Header.Type == binlog.XIDEventType {
				xids++
				if xids == 50 {
					break // leaving the loop early is allowed
				}
			}
		}
		if xids != 50 || n == 0 {
			t.Fatalf("%d events, %d XIDs before break", n, xids)
		}
		// The stream goes on after a break.
		rest := collect(t, ctx, s)
		if got := n + len(rest); got != len(want) {
			t.Errorf("%d events before the break and %d after, want %d in all", n, len(rest), len(want))
		}
	})

	t.Run("until-now on an idle server ends at once", func(t *testing.T) {
		cfg := streamConfig(t, connConfig(t, m.Addr(), user, pw))
		cfg.UntilNow = true
		s, err := replication.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if got := collect(t, ctx, s); len(got) != 0 {
			t.Errorf("until-now from the current position delivered %d events: %v", len(got), got[:min(3, len(got))])
		}
	})
}

// firstMariaGTID returns the GTID of the first transaction in file.
func firstMariaGTID(t testing.TB, m *harness.MariaDB, file string) string {
	t.Helper()
	r := binlogfile.Open(filepath.Join(m.BinlogDir(), file))
	defer r.Close()
	for {
		ev, err := r.Next()
		if err != nil {
			t.Fatalf("no GTID event in %s: %v", file, err)
		}
		if g, ok := ev.Body.(*binlog.MariaGTIDEvent); ok {
			return g.GTID
		}
	}
}

// afterTransaction returns the events after the first transaction of
// evs, which starts with MariaDB GTID g (see firstMariaGTID): a dump from
// GTID position g continues with the next transaction.
func afterTransaction(t testing.TB, evs []evKey, g string) []evKey {
	t.Helper()
	n := 0
	for i, k := range evs {
		if k.Type == binlog.MariaGTIDEventType {
			n++
			if n == 2 {
				return evs[i:]
			}
		}
	}
	t.Fatalf("no transaction after %s", g)
	return nil
}

// dropFileHeader removes the events a GTID-mode dump sends from the start
// of its first file before the first transaction it needs (format
// description, GTID list, checkpoint), which a file-position oracle starting
// at that transaction does not have.
func dropFileHeader(t testing.TB, evs []evKey) []evKey {
	t.Helper()
	for i, k := range evs {
		switch k.Type {
		case binlog.FormatDescriptionEventType, binlog.MariaGTIDListEventType, binlog.MariaBinlogCheckpointEventType, binlog.RotateEventType:
			continue
		}
		return evs[i:]
	}
	return nil
}
