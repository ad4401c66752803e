package gtid

import (
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// TestMariaDBPosAgainstServer checks the MariaDB model against a real
// server: the position we build from each transaction's @@last_gtid with
// Update must equal the server's @@gtid_binlog_pos; the server must accept
// our String() as @@gtid_slave_pos and print back an equal position; and it
// must reject the duplicate-domain list that ParseMariaDBPos rejects.
func TestMariaDBPosAgainstServer(t *testing.T) {
	srv := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	ctx := t.Context()
	conn, err := srv.DB().Conn(ctx) // session variables need one connection
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	str := func(q string) string {
		t.Helper()
		var s string
		if err := conn.QueryRowContext(ctx, q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return s
	}

	exec("CREATE DATABASE gtid_test")
	exec("CREATE TABLE gtid_test.gtid_pos_t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)")
	start, err := ParseMariaDBPos(str("SELECT @@gtid_binlog_pos"))
	if err != nil {
		t.Fatal(err)
	}
	ours := start.Clone()
	var snapshot *MariaDBPos
	for i, step := range []string{
		"SET SESSION gtid_domain_id = 0",
		"SET SESSION gtid_domain_id = 3",
		"SET SESSION gtid_domain_id = 3",
		"SET SESSION gtid_domain_id = 7, SESSION server_id = 42",
		"SET SESSION gtid_domain_id = 2, SESSION server_id = 1, SESSION gtid_seq_no = 1000",
		"SET SESSION gtid_domain_id = 4294967295, SESSION server_id = 4294967295",
		"SET SESSION gtid_domain_id = 3, SESSION server_id = 9",
	} {
		exec(step)
		exec("INSERT INTO gtid_test.gtid_pos_t (v) VALUES (1)")
		g, err := ParseMariaDBGTID(str("SELECT @@last_gtid"))
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		ours.Update(g)
		if i == 2 {
			snapshot = ours.Clone()
		}
	}
	serverText := str("SELECT @@gtid_binlog_pos")
	server, err := ParseMariaDBPos(serverText)
	if err != nil {
		t.Fatalf("parse server position %q: %v", serverText, err)
	}
	if !server.Equal(ours) {
		t.Fatalf("server @@gtid_binlog_pos %q parses to %q; ours from @@last_gtid is %q", serverText, server, ours)
	}
	if g, ok := server.Get(3); !ok || g.Server != 9 || g.Seq != 3 {
		t.Fatalf("domain 3 of %q = %v", server, g)
	}
	if g, _ := server.Get(2); g.Seq != 1000 {
		t.Fatalf("domain 2 of %q = %v", server, g)
	}
	if !server.Contains(snapshot) || !server.Contains(start) || snapshot.Contains(server) {
		t.Fatalf("Contains: server %q, snapshot %q", server, snapshot)
	}

	// The server reads our text back as the same position.
	exec("SET GLOBAL gtid_slave_pos = '" + ours.String() + "'")
	back, err := ParseMariaDBPos(str("SELECT @@GLOBAL.gtid_slave_pos"))
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal(ours) {
		t.Fatalf("SET GLOBAL gtid_slave_pos = %q reads back as %q", ours, back)
	}

	// Both reject two GTIDs for one domain.
	const dup = "0-1-1,0-2-2"
	if _, err := ParseMariaDBPos(dup); err == nil {
		t.Fatalf("ParseMariaDBPos(%q) accepted", dup)
	}
	_, err = conn.ExecContext(ctx, "SET GLOBAL gtid_slave_pos = '"+dup+"'")
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "domain") {
		t.Fatalf("server accepted %q or failed otherwise: %v", dup, err)
	}
	// And the empty position.
	exec("SET GLOBAL gtid_slave_pos = ''")
	if p, err := ParseMariaDBPos(str("SELECT @@GLOBAL.gtid_slave_pos")); err != nil || !p.IsEmpty() {
		t.Fatalf("empty gtid_slave_pos: %q, %v", p, err)
	}
}
