package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/proto"
)

func TestConnectExecQuery(t *testing.T) {
	c := connect(t, testConfig(t))
	if !c.IsMariaDB() || strings.HasPrefix(c.ServerVersion(), "5.5.5-") || !strings.Contains(c.ServerVersion(), "MariaDB") {
		t.Errorf("ServerVersion %q IsMariaDB %v", c.ServerVersion(), c.IsMariaDB())
	}
	if c.AuthPlugin() != pluginNative {
		t.Errorf("AuthPlugin %q", c.AuthPlugin())
	}
	if c.ConnectionID() == 0 {
		t.Error("ConnectionID 0")
	}
	ctx := t.Context()
	if err := c.Exec(ctx, "CREATE DATABASE IF NOT EXISTS clienttest"); err != nil {
		t.Fatal(err)
	}
	if err := c.Exec(ctx, "CREATE TABLE IF NOT EXISTS clienttest.t (id INT PRIMARY KEY, v VARCHAR(10))"); err != nil {
		t.Fatal(err)
	}
	// Exec discards a result set and the connection stays in step.
	if err := c.Exec(ctx, "SELECT 1 UNION SELECT 2"); err != nil {
		t.Fatal(err)
	}
	res, err := c.Query(ctx, "SELECT @@version, NULL, 1, '' AS empty, CONNECTION_ID()")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Columns) != 5 || res.Columns[0] != "@@version" || res.Columns[3] != "empty" {
		t.Fatalf("columns %q", res.Columns)
	}
	if len(res.Rows) != 1 {
		t.Fatalf("%d rows", len(res.Rows))
	}
	r := res.Rows[0]
	if !r[0].Valid || !strings.HasPrefix(c.ServerVersion(), r[0].String) && r[0].String != c.ServerVersion() {
		t.Errorf("@@version %+v vs handshake %q", r[0], c.ServerVersion())
	}
	if r[1].Valid || !r[2].Valid || r[2].String != "1" || !r[3].Valid || r[3].String != "" {
		t.Errorf("row %+v", r)
	}
	if r[4].String != itoa(int(c.ConnectionID())) {
		t.Errorf("CONNECTION_ID() %q, handshake %d", r[4].String, c.ConnectionID())
	}
	// An ERR reply is a *proto.ServerError and leaves the connection usable.
	err = c.Exec(ctx, "SELECT * FROM clienttest.nonexistent")
	var se *proto.ServerError
	if !errors.As(err, &se) || se.Code != 1146 || se.SQLState != "42S02" {
		t.Fatalf("err = %v, want ServerError 1146", err)
	}
	res, err = c.Query(ctx, "SELECT 2")
	if err != nil || res.Rows[0][0].String != "2" {
		t.Fatalf("after ERR: %+v %v", res, err)
	}
	// A statement without a result set.
	res, err = c.Query(ctx, "DO 1")
	if err != nil || len(res.Columns) != 0 {
		t.Fatalf("DO 1: %+v %v", res, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := c.Exec(ctx, "DO 1"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Exec after Close: %v", err)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestConnectWithDatabase(t *testing.T) {
	m := mariaDB(t)
	if _, err := m.DB().ExecContext(t.Context(), "CREATE DATABASE IF NOT EXISTS clientdb"); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.DBName = "clientdb"
	c := connect(t, cfg)
	res, err := c.Query(t.Context(), "SELECT DATABASE()")
	if err != nil || res.Rows[0][0].String != "clientdb" {
		t.Fatalf("%+v %v", res, err)
	}
	cfg.DBName = "no_such_db"
	_, err = Connect(t.Context(), cfg)
	var se *proto.ServerError
	if !errors.As(err, &se) || se.Code != 1049 {
		t.Fatalf("err = %v, want 1049", err)
	}
}

func TestWrongPassword(t *testing.T) {
	cfg := testConfig(t)
	cfg.Password = "wrong"
	_, err := Connect(t.Context(), cfg)
	var se *proto.ServerError
	if !errors.As(err, &se) || se.Code != 1045 {
		t.Fatalf("err = %v, want ServerError 1045", err)
	}
	for _, want := range []string{cfg.Addr, `authentication as user "syncer" with plugin mysql_native_password`, "Access denied"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestUnixSocket(t *testing.T) {
	m := mariaDB(t)
	cfg := testConfig(t)
	cfg.Net, cfg.Addr = "unix", m.Socket()
	// Over a unix socket the harness account authenticates the same way;
	// preferred mode does not use TLS there.
	c, err := Connect(t.Context(), cfg)
	if err != nil {
		t.Fatalf("unix socket: %v", err)
	}
	defer c.Close()
	if _, ok := c.TLSConnectionState(); ok {
		t.Error("TLS over a unix socket in preferred mode")
	}
	if err := c.Exec(t.Context(), "DO 1"); err != nil {
		t.Fatal(err)
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := NewConfig()
	cfg.Addr = addr
	cfg.ConnectTimeout = 2 * time.Second
	start := time.Now()
	_, err = Connect(t.Context(), cfg)
	if err == nil {
		t.Fatal("connected to a closed port")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v", d)
	}
	if !strings.Contains(err.Error(), "connect to "+addr+": dial tcp") {
		t.Fatalf("error %q", err)
	}
}

// firstBinlog returns the name of the server's first binlog file.
func firstBinlog(t *testing.T, c *Conn) string {
	t.Helper()
	res, err := c.Query(t.Context(), "SHOW BINARY LOGS")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) == 0 {
		t.Fatal("no binary logs")
	}
	return res.Rows[0][0].String
}

func startDump(t *testing.T, c *Conn, file string, flags uint16, serverID uint32) {
	t.Helper()
	ctx := t.Context()
	if err := c.Exec(ctx, "SET @master_binlog_checksum = @@global.binlog_checksum"); err != nil {
		t.Fatal(err)
	}
	if err := c.RegisterReplica(ctx, proto.RegisterReplica{ServerID: serverID, Host: "client-test", Port: 1}); err != nil {
		t.Fatal(err)
	}
	if err := c.StartBinlogDump(ctx, proto.BinlogDump{Pos: 4, Flags: flags, ServerID: serverID, File: file}); err != nil {
		t.Fatal(err)
	}
}

func TestBinlogDumpNonBlock(t *testing.T) {
	c := connect(t, testConfig(t))
	if err := c.Exec(t.Context(), "CREATE DATABASE IF NOT EXISTS dumptest"); err != nil {
		t.Fatal(err)
	}
	file := firstBinlog(t, c)
	startDump(t, c, file, proto.BinlogDumpNonBlock, 1001)
	var types []byte
	for {
		ev, err := c.ReadEvent(t.Context(), 10*time.Second)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d events: %v", len(types), err)
		}
		if len(ev) < 19 {
			t.Fatalf("event of %d bytes", len(ev))
		}
		types = append(types, ev[4])
	}
	if len(types) < 3 || types[0] != 4 || types[1] != 15 {
		t.Fatalf("event types %v, want ROTATE (4), FORMAT_DESCRIPTION (15), ...", types)
	}
	// After the EOF the dump is over and the Conn says so.
	if err := c.Exec(t.Context(), "DO 1"); !errors.Is(err, ErrBroken) {
		t.Fatalf("Exec after the dump ended: %v", err)
	}
}

func TestBinlogDumpMissingFile(t *testing.T) {
	c := connect(t, testConfig(t))
	startDump(t, c, "no-such-binlog.000042", 0, 1002)
	_, err := c.ReadEvent(t.Context(), 10*time.Second)
	var se *proto.ServerError
	if !errors.As(err, &se) || se.Code != 1236 {
		t.Fatalf("err = %v, want ServerError 1236", err)
	}
}

// catchUp reads a blocking dump until it goes quiet.
func catchUp(t *testing.T, c *Conn) {
	t.Helper()
	for {
		_, err := c.ReadEvent(t.Context(), 500*time.Millisecond)
		if errors.Is(err, ErrReadTimeout) {
			t.Fatalf("catch-up ended with a timeout, which breaks the connection: use a fresh one")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadEventTimeoutAndCancel(t *testing.T) {
	cfg := testConfig(t)
	c := connect(t, cfg)
	startDump(t, c, firstBinlog(t, c), 0, 1003)
	// Drain the existing events; the dump then blocks waiting for more.
	n := 0
	for {
		_, err := c.ReadEvent(t.Context(), 700*time.Millisecond)
		if err != nil {
			if !errors.Is(err, ErrReadTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("after %d events: err = %v, want a read timeout", n, err)
			}
			break
		}
		n++
	}
	if n < 2 {
		t.Fatalf("only %d events before the timeout", n)
	}
	// After the timeout the Conn is unusable.
	if _, err := c.ReadEvent(t.Context(), time.Second); !errors.Is(err, ErrBroken) {
		t.Fatalf("after timeout: %v", err)
	}

	// Cancellation of a blocked ReadEvent (no timeout) returns promptly.
	c2 := connect(t, cfg)
	startDump(t, c2, firstBinlog(t, c2), 0, 1004)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		for {
			if _, err := c2.ReadEvent(ctx, 0); err != nil {
				errc <- err
				return
			}
		}
	}()
	time.Sleep(700 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if err != context.Canceled {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("ReadEvent did not return within 2s of cancel")
	}
}

func TestCloseAbortsReadEvent(t *testing.T) {
	c := connect(t, testConfig(t))
	startDump(t, c, firstBinlog(t, c), 0, 1005)
	errc := make(chan error, 1)
	go func() {
		for {
			if _, err := c.ReadEvent(context.Background(), 0); err != nil {
				errc <- err
				return
			}
		}
	}()
	time.Sleep(500 * time.Millisecond)
	c.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("err = %v, want ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("ReadEvent did not return within 2s of Close")
	}
}

func TestExecCancelAndReadTimeout(t *testing.T) {
	cfg := testConfig(t)
	c := connect(t, cfg)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	err := c.Exec(ctx, "DO SLEEP(5)")
	if err != context.Canceled || time.Since(start) > 2*time.Second {
		t.Fatalf("err = %v after %v, want context.Canceled promptly", err, time.Since(start))
	}
	if err := c.Exec(t.Context(), "DO 1"); !errors.Is(err, ErrBroken) {
		t.Fatalf("after cancel: %v", err)
	}

	cfg.ReadTimeout = 300 * time.Millisecond
	c2 := connect(t, cfg)
	start = time.Now()
	_, err = c2.Query(t.Context(), "SELECT SLEEP(5)")
	if !errors.Is(err, ErrReadTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("err = %v after %v, want a read timeout", err, time.Since(start))
	}

	// A context cancelled between calls does not break the connection.
	c3 := connect(t, testConfig(t))
	ctx, cancel = context.WithCancel(t.Context())
	if err := c3.Exec(ctx, "DO 1"); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := c3.Exec(ctx, "DO 1"); err != context.Canceled {
		t.Fatalf("with the cancelled context: %v", err)
	}
	if err := c3.Exec(t.Context(), "DO 1"); err != nil {
		t.Fatalf("with a fresh context: %v", err)
	}
	// The same with a call that has no timeout of its own: the past
	// deadline the cancellation left behind must not fail it.
	if err := c3.Exec(t.Context(), "SET @master_binlog_checksum = @@global.binlog_checksum"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithCancel(t.Context())
	if err := c3.StartBinlogDump(ctx, proto.BinlogDump{Pos: 4, ServerID: 1006, File: "no-such-binlog.000001"}); err != nil {
		t.Fatal(err)
	}
	cancel()
	var se *proto.ServerError
	if _, err := c3.ReadEvent(t.Context(), 0); !errors.As(err, &se) || se.Code != 1236 {
		t.Fatalf("ReadEvent without timeout after a cancelled context: %v", err)
	}
}

func TestRegisterReplicaVisible(t *testing.T) {
	m := mariaDB(t)
	c := connect(t, testConfig(t))
	if err := c.RegisterReplica(t.Context(), proto.RegisterReplica{ServerID: 4242, Host: "replica-host", User: "ru", Port: 3390}); err != nil {
		t.Fatal(err)
	}
	rows, err := m.DB().QueryContext(t.Context(), "SHOW SLAVE HOSTS")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	found := false
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		if str(vals[0]) == "4242" && str(vals[1]) == "replica-host" && str(vals[2]) == "3390" {
			found = true
		}
	}
	if !found {
		t.Fatal("registered replica not in SHOW SLAVE HOSTS")
	}
	big := strings.Repeat("h", 256)
	if err := c.RegisterReplica(t.Context(), proto.RegisterReplica{ServerID: 1, Host: big}); err == nil || !strings.Contains(err.Error(), "255") {
		t.Fatalf("256-byte host: %v", err)
	}
}

// str renders a value scanned by go-sql-driver (text columns come as
// []byte, integer columns as int64).
func str(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return fmt.Sprint(v)
}
