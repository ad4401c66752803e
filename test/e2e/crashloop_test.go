package e2e

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// TestStreamCrashLoop kills `syncer binlog stream --state-dir` with SIGKILL
// again and again while a workload alters a table and writes rows, and
// restarts it each time on the same state directory. The server logs
// NO_LOG metadata, so column names come from the schema history alone.
// Every row must arrive (at least once: a killed stream repeats what
// followed its last checkpoint), and every copy with the names, order and
// values of its own time.
//
// The workload runs for SYNCER_CRASHLOOP_SECONDS (default 4; `make
// crashloop` runs a longer one).
func TestStreamCrashLoop(t *testing.T) {
	seconds := 4
	if s := os.Getenv("SYNCER_CRASHLOOP_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("SYNCER_CRASHLOOP_SECONDS=%q: want a positive number", s)
		}
		seconds = n
	}
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{RowMetadata: "NO_LOG"})
	user, pw := m.User()
	dsn := dsnFor(m, user, pw, "")
	state := filepath.Join(t.TempDir(), "state")
	ctx := t.Context()
	for _, q := range []string{"CREATE DATABASE crash", "CREATE TABLE crash.t (id INT PRIMARY KEY, c0 INT UNSIGNED)"} {
		if _, err := m.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	var outs []string
	run := func(args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
		cmd := exec.CommandContext(ctx, shared.syncer, append([]string{"binlog", "stream", "--dsn", dsn, "--state-dir", state,
			"--tables", "crash.*", "--heartbeat", "1s"}, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &out, &errb
	}
	// The first run captures the schema and saves its start before the
	// workload begins.
	cmd, out, errb := run()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(errb.String(), "msg=streaming"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the first stream did not start:\n%s", errb.String())
		}
	}

	want := map[int]string{}
	var wg sync.WaitGroup
	var workErr error
	var alters int
	wg.Add(1)
	go func() {
		defer wg.Done()
		alters, workErr = crashWorkload(m, time.Duration(seconds)*time.Second, want)
	}()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	kills := 0
loop:
	for {
		select {
		case <-done:
			break loop
		case <-time.After(time.Duration(100+rnd.IntN(500)) * time.Millisecond):
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		kills++
		outs = append(outs, out.String())
		cmd, out, errb = run()
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	outs = append(outs, out.String())
	if workErr != nil {
		t.Fatal(workErr)
	}
	final, errs, code := runSyncer(t, 2*time.Minute, "binlog", "stream", "--dsn", dsn, "--state-dir", state, "--tables", "crash.*", "--until-now")
	if code != 0 {
		t.Fatalf("final run: exit %d\n%s", code, errs)
	}
	outs = append(outs, final)

	seen := map[int]int{}
	for i, o := range outs {
		// A killed process may leave a partial last line.
		if j := strings.LastIndexByte(o, '\n'); j >= 0 {
			o = o[:j+1]
		} else {
			o = ""
		}
		rows, _ := rowsOfSchema(t, o, "crash")
		for _, r := range rows {
			img := strings.TrimPrefix(r, "t insert ")
			id := rowID(img)
			if w, ok := want[id]; !ok || w != img {
				t.Errorf("run %d: row %s; want %s", i+1, img, w)
			}
			seen[id]++
		}
	}
	missing, repeated := 0, 0
	for id := range want {
		switch {
		case seen[id] == 0:
			missing++
			if missing <= 5 {
				t.Errorf("row id=%d never arrived", id)
			}
		case seen[id] > 1:
			repeated++
		}
	}
	t.Logf("%d rows, %d ALTER TABLEs, %d kills; %d rows arrived more than once (after a kill), %d missing",
		len(want), alters, kills, repeated, missing)
	if kills == 0 {
		t.Error("the stream was never killed")
	}
}

// crashWorkload inserts rows into crash.t for d, altering the table every
// few rows, and records each row's expected image by id.
func crashWorkload(m *harness.MariaDB, d time.Duration, want map[int]string) (alters int, err error) {
	type col struct {
		name     string
		unsigned bool
	}
	cols := []col{{"id", false}, {"c0", true}}
	rnd := rand.New(rand.NewPCG(42, uint64(d)))
	next := 1
	for end := time.Now().Add(d); time.Now().Before(end); {
		var q string
		switch k := rnd.IntN(10); {
		case k == 0: // add a column somewhere after id
			name := "c" + strconv.Itoa(next)
			at := 1 + rnd.IntN(len(cols))
			q = fmt.Sprintf("ALTER TABLE crash.t ADD COLUMN %s INT UNSIGNED AFTER %s", name, cols[at-1].name)
			cols = append(cols[:at], append([]col{{name, true}}, cols[at:]...)...)
		case k == 1 && len(cols) > 2: // drop one
			at := 1 + rnd.IntN(len(cols)-1)
			q = "ALTER TABLE crash.t DROP COLUMN " + cols[at].name
			cols = append(cols[:at], cols[at+1:]...)
		case k == 2 && len(cols) > 1: // rename one
			at := 1 + rnd.IntN(len(cols)-1)
			name := "r" + strconv.Itoa(next)
			q = fmt.Sprintf("ALTER TABLE crash.t RENAME COLUMN %s TO %s", cols[at].name, name)
			cols[at].name = name
		case k == 3 && len(cols) > 1 && cols[len(cols)-1].unsigned: // INT UNSIGNED -> BIGINT (signed)
			at := len(cols) - 1
			cols[at].unsigned = false
			q = fmt.Sprintf("ALTER TABLE crash.t MODIFY %s BIGINT", cols[at].name)
		default:
			id := next
			names, vals, img := make([]string, len(cols)), make([]string, len(cols)), make([]string, len(cols))
			for i, c := range cols {
				v := int64(id)
				if i > 0 {
					v = int64(id)*10 + int64(i)
					if c.unsigned {
						v += 3000000000 // needs the top bit: wrong if read as signed
					} else {
						v = -v
					}
				}
				names[i], vals[i] = c.name, strconv.FormatInt(v, 10)
				img[i] = c.name + "=" + vals[i]
			}
			q = fmt.Sprintf("INSERT INTO crash.t (%s) VALUES (%s)", strings.Join(names, ", "), strings.Join(vals, ", "))
			want[id] = strings.Join(img, " ")
		}
		if strings.HasPrefix(q, "ALTER") {
			alters++
		}
		next++
		if _, err := m.DB().Exec(q); err != nil {
			return alters, fmt.Errorf("%s: %w", q, err)
		}
	}
	return alters, nil
}

// rowID reads the id of an image "id=N ...".
func rowID(img string) int {
	f, _, _ := strings.Cut(img, " ")
	n, _ := strconv.Atoi(strings.TrimPrefix(f, "id="))
	return n
}
