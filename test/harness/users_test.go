package harness_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/seed5aa6e046/syncer/test/harness"
)

func TestCreateUser(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})

	status := func() (string, int64) {
		t.Helper()
		var file string
		var pos int64
		var doDB, ignoreDB sql.NullString
		if err := m.DB().QueryRowContext(ctx, "SHOW MASTER STATUS").Scan(&file, &pos, &doDB, &ignoreDB); err != nil {
			t.Fatalf("SHOW MASTER STATUS: %v", err)
		}
		return file, pos
	}
	file0, pos0 := status()

	repl := "REPLICATION SLAVE, REPLICATION CLIENT ON *.*"
	users := []struct {
		u      harness.User
		plugin string
		grants []string
	}{
		// The password has a quote and a backslash to exercise quoting.
		{harness.User{Name: "native", Password: `n'at\ive pw`}, "mysql_native_password", []string{repl}},
		{harness.User{Name: "native2", Password: "pw2", Plugin: "mysql_native_password"}, "mysql_native_password", []string{repl, "SELECT ON mysql.*"}},
		{harness.User{Name: "ed", Password: "ed-secret", Plugin: "ed25519"}, "ed25519", []string{repl}},
		{harness.User{Name: "ed2", Password: "ed-secret-2", Plugin: "ed25519"}, "ed25519", nil},
		{harness.User{Name: "nopriv", Password: "np"}, "mysql_native_password", nil},
	}
	for _, u := range users {
		if err := m.CreateUser(ctx, u.u, u.grants...); err != nil {
			t.Fatalf("CreateUser(%+v): %v", u.u, err)
		}
	}
	if file, pos := status(); file != file0 || pos != pos0 {
		t.Errorf("binlog moved from %s:%d to %s:%d: CreateUser was logged", file0, pos0, file, pos)
	}

	login := func(name, pw string) *sql.DB {
		cfg := m.Config()
		cfg.User, cfg.Passwd = name, pw
		conn, err := mysql.NewConnector(cfg)
		if err != nil {
			t.Fatal(err)
		}
		db := sql.OpenDB(conn)
		t.Cleanup(func() { db.Close() })
		return db
	}
	mysqlErr := func(err error) uint16 {
		var me *mysql.MySQLError
		if errors.As(err, &me) {
			return me.Number
		}
		return 0
	}

	for _, u := range users {
		var plugin string
		err := m.DB().QueryRowContext(ctx,
			"SELECT JSON_VALUE(Priv, '$.plugin') FROM mysql.global_priv WHERE User = ? AND Host = '%'", u.u.Name).Scan(&plugin)
		if err != nil {
			t.Fatalf("plugin of %s: %v", u.u.Name, err)
		}
		if plugin != u.plugin {
			t.Errorf("%s: plugin %q, want %q", u.u.Name, plugin, u.plugin)
		}
		db := login(u.u.Name, u.u.Password)
		var current string
		if err := db.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&current); err != nil {
			t.Fatalf("log in as %s (%s): %v", u.u.Name, u.plugin, err)
		}
		if current != u.u.Name+"@%" {
			t.Errorf("CURRENT_USER() = %q, want %q", current, u.u.Name+"@%")
		}
		// The grants decide whether the binlog may be listed.
		rows, err := db.QueryContext(ctx, "SHOW BINARY LOGS")
		if err == nil {
			rows.Close()
		}
		if len(u.grants) > 0 && err != nil {
			t.Errorf("%s with %v: SHOW BINARY LOGS: %v", u.u.Name, u.grants, err)
		}
		if len(u.grants) == 0 && mysqlErr(err) != 1227 {
			t.Errorf("%s without grants: SHOW BINARY LOGS: %v, want error 1227", u.u.Name, err)
		}
		// A wrong password is refused.
		if err := login(u.u.Name, u.u.Password+"x").PingContext(ctx); mysqlErr(err) != 1045 {
			t.Errorf("%s with a wrong password: %v, want error 1045", u.u.Name, err)
		}
	}

	// Errors: an unknown plugin, an empty name, an existing user, a bad
	// grant.
	for _, tc := range []struct {
		u      harness.User
		grants []string
	}{
		{harness.User{Name: "x", Password: "x", Plugin: "caching_sha2_password"}, nil},
		{harness.User{Password: "x"}, nil},
		{harness.User{Name: "native", Password: "x"}, nil},
		{harness.User{Name: "badgrant", Password: "x"}, []string{"NO SUCH PRIVILEGE ON *.*"}},
	} {
		if err := m.CreateUser(ctx, tc.u, tc.grants...); err == nil {
			t.Errorf("CreateUser(%+v, %v) succeeded", tc.u, tc.grants)
		}
	}
	// A failed grant leaves no account behind.
	var n int
	if err := m.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM mysql.global_priv WHERE User = 'badgrant'").Scan(&n); err != nil || n != 0 {
		t.Errorf("account badgrant after a failed grant: count %d, err %v", n, err)
	}

	// The ed25519 plugin is installed once; a later ed25519 user reuses it.
	if err := m.CreateUser(context.WithoutCancel(ctx), harness.User{Name: "ed3", Password: "p", Plugin: "ed25519"}); err != nil {
		t.Fatalf("third ed25519 user: %v", err)
	}
}
