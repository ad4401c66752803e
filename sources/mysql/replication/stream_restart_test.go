package replication_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/replication"
	"github.com/seed5aa6e046/syncer/test/harness"
	"github.com/seed5aa6e046/syncer/test/harness/faultproxy"
)

// TestStreamServerRestart restarts the source under a live stream: the
// stream reconnects on its own, and the events delivered before, across and
// after the restart equal the binlog on disk, once each.
func TestStreamServerRestart(t *testing.T) {
	for _, crash := range []bool{false, true} {
		name := "clean restart"
		if crash {
			name = "crash (SIGKILL) and start"
		}
		t.Run(name, func(t *testing.T) { testStreamServerRestart(t, crash) })
	}
}

func testStreamServerRestart(t *testing.T, crash bool) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	user, pw := m.User()
	ctx := t.Context()
	workload(t, m.DB(), "before", 2000, 30)
	first := firstFile(t, m)

	cfg := streamConfig(t, connConfig(t, m.Addr(), user, pw))
	cfg.Start = replication.Position{File: first, Pos: 4}
	s, err := replication.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	type result struct {
		evs []evKey
		err error
	}
	done := make(chan result, 1)
	// The reader stops after the marker transaction written last.
	go func() {
		var evs []evKey
		sawMarker := false
		for {
			ev, err := s.Next(ctx)
			if err != nil {
				done <- result{evs, err}
				return
			}
			if ev.Synthetic {
				continue
			}
			evs = append(evs, evKey{File: ev.File, Pos: ev.Pos, Type: ev.Header.Type, Sum: eventSum(ev.Event)})
			if tm, ok := ev.Body.(*binlog.TableMapEvent); ok && tm.Table == "marker" {
				sawMarker = true
			}
			if sawMarker && ev.EndsTransaction {
				done <- result{evs, nil}
				return
			}
		}
	}()

	time.Sleep(300 * time.Millisecond) // let the stream catch up and idle
	if crash {
		if err := m.Kill(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // the stream retries against a dead port
		if err := m.Start(ctx); err != nil {
			t.Fatal(err)
		}
	} else if err := m.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	workload(t, m.DB(), "after", 2000, 30)
	if _, err := m.DB().ExecContext(ctx, "CREATE TABLE shop.marker (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.DB().ExecContext(ctx, "INSERT INTO shop.marker VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the stream did not deliver the marker within 60s of the restart")
	}
	if r.err != nil {
		t.Fatalf("stream failed across the restart: %v", r.err)
	}
	if s.Reconnects() == 0 {
		t.Error("the stream never reconnected, yet the server restarted")
	}
	want := diskEvents(t, m, first, 4)
	for i := range want {
		want[i].Inner = 0
	}
	if len(want) > len(r.evs) {
		want = want[:len(r.evs)] // the disk may hold a little more (e.g. nothing, normally)
	}
	sameEvents(t, r.evs, want)
	files := map[string]bool{}
	for _, e := range r.evs {
		files[e.File] = true
	}
	if len(files) < 2 {
		t.Errorf("events from %d binlog file(s); a restart starts a new one", len(files))
	}
}

// TestStreamPurgedPosition: a start position the server has purged fails
// at once with ErrPurged and a message that names the way out, both when
// Open checks it and when the source itself refuses the dump.
func TestStreamPurgedPosition(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	user, pw := m.User()
	ctx := t.Context()
	first := firstFile(t, m)
	workload(t, m.DB(), "p", 10, 3)
	// MariaDB keeps a binlog that crash recovery may still need until
	// InnoDB has flushed, silently ignoring PURGE for it: retry until the
	// first file is really gone.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := m.FlushLogs(ctx); err != nil {
			t.Fatal(err)
		}
		files, err := m.BinlogFiles(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(files[0]) != first {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PURGE BINARY LOGS never removed %s: %v", first, files)
		}
		last := filepath.Base(files[len(files)-1])
		if _, err := m.DB().ExecContext(ctx, "PURGE BINARY LOGS TO '"+last+"'"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, skip := range []bool{false, true} {
		t.Run(fmt.Sprintf("preflight=%v", !skip), func(t *testing.T) {
			cfg := streamConfig(t, connConfig(t, m.Addr(), user, pw))
			cfg.Start = replication.Position{File: first, Pos: 4}
			cfg.SkipPreflight = skip
			ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			s, err := replication.Open(ctx, cfg)
			if err == nil {
				_, err = s.Next(ctx)
				s.Close()
			}
			if err == nil || !errors.Is(err, replication.ErrPurged) {
				t.Fatalf("want an error wrapping ErrPurged, got %v", err)
			}
			if ctx.Err() != nil {
				t.Fatalf("hung until the deadline: %v", err)
			}
			if !strings.Contains(err.Error(), "snapshot") {
				t.Errorf("the error does not name the way out (a new snapshot): %v", err)
			}
			t.Logf("error: %v", err)
		})
	}
}

// TestStreamHugeEvent: a rows event larger than 32 MiB arrives in three
// wire packets (16 MiB - 1 each, then the rest) that the client must join;
// the stream must equal the binlog on disk, also when a fault cuts the
// connection in the middle of that event.
func TestStreamHugeEvent(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	user, pw := m.User()
	ctx := t.Context()
	for _, q := range []string{
		"CREATE DATABASE big",
		"CREATE TABLE big.blobs (id INT PRIMARY KEY, b LONGBLOB)",
		"INSERT INTO big.blobs VALUES (1, REPEAT(x'5a17', 20 << 20))",
		"INSERT INTO big.blobs VALUES (2, 'small')",
	} {
		if _, err := m.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	first := firstFile(t, m)
	want := diskEvents(t, m, first, 4)

	p, err := faultproxy.Start(ctx, m.Addr(), faultproxy.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cfg := streamConfig(t, connConfig(t, p.Addr(), user, pw))
	cfg.Start = replication.Position{File: first, Pos: 4}
	cfg.UntilNow = true
	cfg.ReadTimeout = 5 * time.Second
	s, err := replication.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Cut the stream 20 MiB in: inside the second packet of the big event.
	p.FaultAfter(faultproxy.Reset, 20<<20)
	sameEvents(t, collect(t, ctx, s), want)
	if s.Reconnects() != 1 {
		t.Errorf("%d reconnects, want 1 (the reset inside the big event)", s.Reconnects())
	}
	if s.BytesRead() < 40<<20 {
		t.Errorf("read %d bytes: the big event was not streamed", s.BytesRead())
	}
}
