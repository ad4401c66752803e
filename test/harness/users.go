package harness

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// User is an account to create with CreateUser.
type User struct {
	Name, Password string
	// Plugin is the authentication plugin: "mysql_native_password" (the
	// default when empty) or "ed25519".
	Plugin string
}

// CreateUser creates the account u@'%' and grants it each of grants, a
// privilege list with its object such as "REPLICATION SLAVE, REPLICATION
// CLIENT ON *.*" or "SELECT ON db.*". With no grants the account has no
// privileges at all, for tests of permission errors. When a grant fails
// the account is dropped again. For Plugin "ed25519" the auth_ed25519
// plugin is installed first when the server lacks it.
//
// It runs as root over the unix socket on a dedicated connection with
// sql_log_bin=0, so nothing it does is written to the binary log.
func (m *MariaDB) CreateUser(ctx context.Context, u User, grants ...string) error {
	plugin := u.Plugin
	if plugin == "" {
		plugin = "mysql_native_password"
	}
	if plugin != "mysql_native_password" && plugin != "ed25519" {
		return fmt.Errorf("harness: create user %q: plugin %q: want mysql_native_password or ed25519", u.Name, u.Plugin)
	}
	if u.Name == "" {
		return fmt.Errorf("harness: create user: empty name")
	}
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "unix"
	cfg.Addr = m.socket
	root, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return fmt.Errorf("harness: create user %q: %w", u.Name, err)
	}
	defer root.Close()
	conn, err := root.Conn(ctx)
	if err != nil {
		return fmt.Errorf("harness: create user %q: connect as root: %w", u.Name, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET SESSION sql_log_bin = 0"); err != nil {
		return fmt.Errorf("harness: create user %q: %w", u.Name, err)
	}
	if plugin == "ed25519" {
		if err := installEd25519(ctx, conn); err != nil {
			return fmt.Errorf("harness: create user %q: %w", u.Name, err)
		}
	}
	account := quoteSQL(u.Name) + "@'%'"
	stmts := []string{fmt.Sprintf("CREATE USER %s IDENTIFIED VIA %s USING PASSWORD(%s)",
		account, plugin, quoteSQL(u.Password))}
	for _, g := range grants {
		stmts = append(stmts, fmt.Sprintf("GRANT %s TO %s", g, account))
	}
	for i, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			shown := q
			if u.Password != "" {
				shown = strings.ReplaceAll(q, quoteSQL(u.Password), "'***'")
			}
			err = fmt.Errorf("harness: create user: %s: %w", shown, err)
			if i > 0 {
				// A grant failed: do not leave a half-made account behind.
				if _, derr := conn.ExecContext(ctx, "DROP USER "+account); derr != nil {
					err = errors.Join(err, fmt.Errorf("harness: drop user %s: %w", account, derr))
				}
			}
			return err
		}
	}
	return nil
}

// installEd25519 loads the ed25519 authentication plugin unless the server
// has it already. Another connection may install it at the same time; the
// count is checked again when INSTALL fails.
func installEd25519(ctx context.Context, conn *sql.Conn) error {
	const q = "SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'ed25519'"
	var n int
	if err := conn.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return fmt.Errorf("look for the ed25519 plugin: %w", err)
	}
	if n > 0 {
		return nil
	}
	if _, ierr := conn.ExecContext(ctx, "INSTALL SONAME 'auth_ed25519'"); ierr != nil {
		if err := conn.QueryRowContext(ctx, q).Scan(&n); err != nil || n == 0 {
			return fmt.Errorf("INSTALL SONAME 'auth_ed25519': %w", ierr)
		}
	}
	return nil
}

// quoteSQL returns s as a single-quoted SQL string literal, escaping quotes
// and backslashes (the server's default sql_mode treats backslash as an
// escape character).
func quoteSQL(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
