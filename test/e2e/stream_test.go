package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// runSyncer runs the CLI with a deadline and returns stdout, stderr and the
// exit code.
func runSyncer(t *testing.T, timeout time.Duration, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, shared.syncer, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("syncer %s did not finish within %s\nstderr:\n%s", strings.Join(args, " "), timeout, errb.String())
	}
	code = 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("syncer %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return out.String(), errb.String(), code
}

func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var out []map[string]any
	for dec.More() {
		var ev map[string]any
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("line %d is not a JSON object: %v", len(out)+1, err)
		}
		out = append(out, ev)
	}
	return out
}

// streamServer starts the MariaDB the stream tests share: TLS on, with a
// workload in its binlog.
func streamServer(t *testing.T) *harness.MariaDB {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{TLS: true})
	ctx := t.Context()
	for _, q := range []string{
		"CREATE DATABASE shop",
		"CREATE TABLE shop.orders (id INT PRIMARY KEY, customer VARCHAR(40), total DECIMAL(10,2), placed DATETIME(3), doc JSON)",
		"CREATE TABLE shop.audit (id INT AUTO_INCREMENT PRIMARY KEY, what TEXT)",
	} {
		if _, err := m.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := m.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3000; i++ {
		if _, err := tx.ExecContext(ctx, "INSERT INTO shop.orders VALUES (?, ?, ?, '2025-01-02 03:04:05.678', JSON_OBJECT('n', ?))", i, fmt.Sprint("customer-", i%17), float64(i)+0.25, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if _, err := m.DB().ExecContext(ctx, "UPDATE shop.orders SET total = total + 1 WHERE id = ?", i); err != nil {
			t.Fatal(err)
		}
		if _, err := m.DB().ExecContext(ctx, "INSERT INTO shop.audit (what) VALUES (?)", fmt.Sprint("update ", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.DB().ExecContext(ctx, "DELETE FROM shop.orders WHERE id >= 2990"); err != nil {
		t.Fatal(err)
	}
	return m
}

func dsnFor(m *harness.MariaDB, user, pw, params string) string {
	return fmt.Sprintf("%s:%s@tcp(%s)/%s", user, pw, m.Addr(), params)
}

// TestBinlogStreamCLI checks `syncer binlog stream` as a user runs it: its
// lines equal `syncer binlog dump` of the same files plus the stream's own
// members; the DSN forms, TLS modes and auth plugins work; bad input fails
// clearly and fast.
func TestBinlogStreamCLI(t *testing.T) {
	if shared.db == nil && shared.skip != "" {
		t.Skip(shared.skip)
	}
	m := streamServer(t)
	user, pw := m.User()
	files, err := m.BinlogFiles(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	first := filepath.Base(files[0])
	dumped := dump(t, files...)
	for _, ev := range dumped {
		ev["file"] = filepath.Base(ev["file"].(string))
	}

	// stripStream removes the members only the stream prints, checking
	// that next_position is present on every line.
	stripStream := func(t *testing.T, evs []map[string]any) []map[string]any {
		t.Helper()
		for i, ev := range evs {
			np, ok := ev["next_position"].(map[string]any)
			if !ok || np["file"] == nil || np["pos"] == nil {
				t.Fatalf("line %d has no next_position: %v", i+1, ev)
			}
			delete(ev, "next_position")
			delete(ev, "in_transaction")
			delete(ev, "gtid_position")
		}
		return evs
	}

	t.Run("stream equals dump", func(t *testing.T) {
		out, stderr, code := runSyncer(t, time.Minute, "binlog", "stream", "--dsn", dsnFor(m, user, pw, ""), "--start-file", first, "--until-now")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		got := jsonLines(t, out)
		// Check the resume hints before stripping them: a transaction's
		// events are in_transaction until its XID, which is not.
		inTx, ends := 0, 0
		for _, ev := range got {
			if ev["in_transaction"] == true {
				inTx++
			}
			if ev["type"] == "XID" {
				if ev["in_transaction"] == true {
					t.Fatalf("XID marked in_transaction: %v", ev)
				}
				if g, _ := ev["gtid_position"].(string); g == "" {
					t.Errorf("XID without gtid_position: %v", ev)
				}
				ends++
			}
		}
		if inTx == 0 || ends < 50 {
			t.Errorf("%d in_transaction lines and %d XIDs: the workload has 100+ transactions", inTx, ends)
		}
		got = stripStream(t, got)
		if len(got) != len(dumped) {
			t.Fatalf("stream printed %d events, dump %d", len(got), len(dumped))
		}
		for i := range got {
			if got[i]["type"] == "FORMAT_DESCRIPTION" {
				// On disk the open binlog's FORMAT_DESCRIPTION has
				// LOG_EVENT_BINLOG_IN_USE_F (1) set; the source clears
				// it when it sends the event.
				for _, ev := range []map[string]any{got[i], dumped[i]} {
					h := ev["header"].(map[string]any)
					f, _ := h["flags"].(json.Number).Int64()
					h["flags"] = json.Number(fmt.Sprint(f &^ 1))
				}
			}
			if !reflect.DeepEqual(got[i], dumped[i]) {
				a, _ := json.Marshal(got[i])
				b, _ := json.Marshal(dumped[i])
				t.Fatalf("event %d differs:\nstream: %s\ndump:   %s", i, a, b)
			}
		}
	})

	t.Run("--stats counts what dump --stats counts", func(t *testing.T) {
		out, stderr, code := runSyncer(t, time.Minute, "binlog", "stream", "--dsn", dsnFor(m, user, pw, ""), "--start-file", first, "--until-now", "--stats")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		var got, want struct {
			Events int64 `json:"events"`
			Rows   int64 `json:"rows"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("--stats output %q: %v", out, err)
		}
		d, stderr2, code := runSyncer(t, time.Minute, append([]string{"binlog", "dump", "--stats"}, files...)...)
		if code != 0 {
			t.Fatalf("dump --stats: exit %d\n%s", code, stderr2)
		}
		if err := json.Unmarshal([]byte(d), &want); err != nil {
			t.Fatal(err)
		}
		if got.Rows != want.Rows || got.Events != want.Events || got.Rows < 3000 {
			t.Errorf("stream --stats: %d events, %d rows; dump --stats: %d events, %d rows", got.Events, got.Rows, want.Events, want.Rows)
		}
	})

	t.Run("URL DSN, GTID start, table and type filters", func(t *testing.T) {
		// Start after the first transaction (CREATE DATABASE).
		var g string
		for _, ev := range dumped {
			if ev["type"] == "MARIA_GTID" {
				g = ev["gtid"].(string)
				break
			}
		}
		if g == "" {
			t.Fatal("no MARIA_GTID in the dump")
		}
		u := fmt.Sprintf("mysql://%s:%s@%s/", url.QueryEscape(user), url.QueryEscape(pw), m.Addr())
		out, stderr, code := runSyncer(t, time.Minute, "binlog", "stream", "--dsn", u, "--start-gtid", g, "--until-now",
			"--tables", "shop.audit", "--types", "TABLE_MAP,WRITE_ROWS_V1")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		got := jsonLines(t, out)
		writes := 0
		for _, ev := range got {
			tbl, _ := ev["table"].(map[string]any)
			if tbl["name"] != "audit" {
				t.Fatalf("filtered stream printed %v", ev)
			}
			if ev["type"] == "WRITE_ROWS_V1" {
				writes++
			}
		}
		if writes != 50 {
			t.Errorf("%d WRITE_ROWS_V1 events for shop.audit, want 50", writes)
		}
	})

	t.Run("TLS verify-identity with the server's CA", func(t *testing.T) {
		dsn := dsnFor(m, user, pw, "?tls=verify-identity&ssl-ca="+url.QueryEscape(m.CAFile()))
		out, stderr, code := runSyncer(t, time.Minute, "binlog", "stream", "--dsn", dsn, "--start-file", first, "--until-now", "--types", "XID")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if n := len(jsonLines(t, out)); n < 50 {
			t.Errorf("%d XIDs over TLS", n)
		}
	})

	t.Run("TLS with an unknown CA is refused", func(t *testing.T) {
		other, err := harness.GenerateCertificate(t.TempDir(), "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		dsn := dsnFor(m, user, pw, "?tls=verify-ca&ssl-ca="+url.QueryEscape(other.CAFile))
		_, stderr, code := runSyncer(t, time.Minute, "binlog", "stream", "--dsn", dsn, "--until-now")
		if code != 1 || !strings.Contains(stderr, "certificate") {
			t.Fatalf("exit %d, want 1 with a certificate error; stderr:\n%s", code, stderr)
		}
	})

	t.Run("ed25519 user", func(t *testing.T) {
		u := harness.User{Name: "ed_user", Password: "ed-pw-Ω", Plugin: "ed25519"}
		if err := m.CreateUser(t.Context(), u, "REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.*"); err != nil {
			t.Fatal(err)
		}
		out, stderr, code := runSyncer(t, time.Minute, "binlog", "stream", "--dsn", dsnFor(m, u.Name, u.Password, "?tls=disabled"), "--start-file", first, "--until-now", "--types", "XID")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if n := len(jsonLines(t, out)); n < 50 {
			t.Errorf("%d XIDs as the ed25519 user", n)
		}
	})

	t.Run("missing privilege names the GRANT", func(t *testing.T) {
		u := harness.User{Name: "weak", Password: "weak-pw"}
		if err := m.CreateUser(t.Context(), u, "SELECT ON shop.*"); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := runSyncer(t, time.Minute, "binlog", "stream", "--dsn", dsnFor(m, u.Name, u.Password, ""), "--until-now")
		if code != 1 || !strings.Contains(stderr, "GRANT") || !strings.Contains(stderr, "REPLICATION SLAVE") {
			t.Fatalf("exit %d, want 1 naming GRANT REPLICATION SLAVE; stderr:\n%s", code, stderr)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		_, stderr, code := runSyncer(t, time.Minute, "binlog", "stream", "--dsn", dsnFor(m, user, "not-the-password", ""), "--until-now")
		if code != 1 || !strings.Contains(stderr, "Access denied") {
			t.Fatalf("exit %d, want 1 with Access denied; stderr:\n%s", code, stderr)
		}
		if strings.Contains(stderr, "not-the-password") {
			t.Errorf("the password appears in the error output:\n%s", stderr)
		}
	})

	t.Run("unreachable server fails within the timeout", func(t *testing.T) {
		start := time.Now()
		_, stderr, code := runSyncer(t, 30*time.Second, "binlog", "stream", "--dsn", "u:p@tcp(127.0.0.1:1)/?timeout=2s", "--until-now")
		if code != 1 || !strings.Contains(stderr, "127.0.0.1:1") {
			t.Fatalf("exit %d, want 1 naming the address; stderr:\n%s", code, stderr)
		}
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("took %s", d)
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{
			{"binlog", "stream"},
			{"binlog", "stream", "--dsn", "u:p@tcp(h:1)/", "--start-pos", "100"},
			{"binlog", "stream", "--dsn", "u:p@tcp(h:1)/", "--start-file", "f.000001", "--start-gtid", "0-1-1"},
			{"binlog", "stream", "--dsn", "u:p@tcp(h:1)/?nosuchoption=1"},
			{"binlog", "stream", "--dsn", "u:p@tcp(h:1)/", "--start-gtid", "not a gtid"},
			{"binlog", "stream", "--dsn", "u:p@tcp(h:1)/", "--server-id", "0"},
		} {
			_, stderr, code := runSyncer(t, 30*time.Second, args...)
			if code != 2 || !strings.Contains(stderr, "syncer binlog stream --help") {
				t.Errorf("syncer %s: exit %d, want 2 with a usage hint; stderr:\n%s", strings.Join(args, " "), code, stderr)
			}
		}
	})
}
