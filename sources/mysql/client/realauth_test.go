package client

import (
	"database/sql"
	"errors"
	"testing"

	"github.com/seed5aa6e046/syncer/sources/mysql/proto"
	"github.com/seed5aa6e046/syncer/test/harness"
)

// TestEd25519 authenticates for real with MariaDB's ed25519 plugin: the
// server's default plugin is mysql_native_password, so it switches the
// connection to client_ed25519 with a 32-byte nonce.
func TestEd25519(t *testing.T) {
	m := mariaDB(t)
	ctx := t.Context()
	if err := m.CreateUser(ctx, harness.User{Name: "ed", Password: "ed-pw-ü", Plugin: "ed25519"}, "SELECT ON *.*"); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.User, cfg.Password = "ed", "ed-pw-ü"
	c := connect(t, cfg)
	if c.AuthPlugin() != pluginEd25519 {
		t.Fatalf("AuthPlugin %q", c.AuthPlugin())
	}
	res, err := c.Query(ctx, "SELECT CURRENT_USER()")
	if err != nil || res.Rows[0][0].String != "ed@%" {
		t.Fatalf("%+v %v", res, err)
	}
	cfg.Password = "wrong"
	_, err = Connect(ctx, cfg)
	var se *proto.ServerError
	if !errors.As(err, &se) || se.Code != 1045 {
		t.Fatalf("wrong ed25519 password: %v", err)
	}
}

func TestEmptyPassword(t *testing.T) {
	m := mariaDB(t)
	ctx := t.Context()
	if err := m.CreateUser(ctx, harness.User{Name: "nopw"}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.User, cfg.Password = "nopw", ""
	c := connect(t, cfg)
	if err := c.Exec(ctx, "DO 1"); err != nil {
		t.Fatal(err)
	}
}

func TestDriverConnector(t *testing.T) {
	cfg := testConfig(t)
	cfg.Params = map[string]string{"parseTime": "true"}
	conn, err := cfg.DriverConnector()
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	var user string
	if err := db.QueryRowContext(t.Context(), "SELECT CURRENT_USER()").Scan(&user); err != nil {
		t.Fatal(err)
	}
	if user != cfg.User+"@%" {
		t.Fatalf("CURRENT_USER() = %q", user)
	}
	cfg.Password = "wrong"
	conn, _ = cfg.DriverConnector()
	db2 := sql.OpenDB(conn)
	defer db2.Close()
	if err := db2.PingContext(t.Context()); err == nil {
		t.Fatal("wrong password accepted by the driver connector")
	}
}
