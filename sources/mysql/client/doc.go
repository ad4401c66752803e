// Package client is Syncer's own MySQL/MariaDB client connection: dial, TLS,
// authentication, a few text-protocol commands, and the binlog dump that
// go-sql-driver/mysql cannot do. Package replication streams and resumes
// the binlog on top of it; ordinary queries elsewhere go through
// go-sql-driver/mysql, for which Config.DriverConnector builds a connector
// with the same server, credentials and TLS.
//
// # Connecting
//
//	cfg, err := client.ParseDSN("repl:secret@tcp(db1:3306)/?tls=verify-ca&ssl-ca=/etc/ssl/ca.pem")
//	conn, err := client.Connect(ctx, cfg)
//	defer conn.Close()
//
// Connect dials, reads the server's handshake, upgrades to TLS according
// to Config.TLSMode and authenticates, all within Config.ConnectTimeout
// (default 10s) and ctx. Its errors name the address and the phase (dial,
// handshake, TLS, authentication as user U with plugin P) and wrap the
// cause: a server's ERR packet is a *proto.ServerError (errors.As), e.g.
// code 1045 for a wrong password, and a server that hangs up during the
// handshake gives "server closed the connection during the handshake (read
// 0 of 4 header bytes): unexpected EOF".
//
// # Commands
//
// Exec runs a statement and discards any result; Query returns a text
// result set as strings (sql.NullString, so NULL is distinct from "").
// RegisterReplica sends COM_REGISTER_SLAVE; StartBinlogDump and
// StartBinlogDumpGTID send the dump command, after which ReadEvent returns
// one event per call (the packet without its 0x00 status byte, valid until
// the next call) until io.EOF (non-blocking dump at the end of the binlog),
// a *proto.ServerError (1236: the requested log is purged or missing), a
// read timeout (errors.Is(err, ErrReadTimeout) and os.ErrDeadlineExceeded)
// or ctx.Err(); after any of these the dump is over and the Conn must be
// closed (MariaDB hangs up after a non-blocking dump's EOF). In a loop with
// the same ctx, ReadEvent allocates nothing. A replica must first tell the
// server it understands
// checksums: Exec("SET @master_binlog_checksum = @@global.binlog_checksum")
// (MariaDB also wants @mariadb_slave_capability=4 to send GTID events).
//
// Every call honours its ctx: cancellation sets a past deadline on the
// socket, which unblocks it at once; the call then returns ctx.Err() and
// the Conn is unusable (close it). Ordinary commands are also bounded by
// Config.ReadTimeout and Config.WriteTimeout; ReadEvent takes its own
// timeout, since a quiet binlog may send nothing for a long time. A Conn is
// for one goroutine at a time, except Close, which may be called from
// another goroutine to abort a blocked call.
//
// # Authentication
//
// Supported plugins: mysql_native_password, caching_sha2_password (MySQL
// 8's default), MariaDB's client_ed25519, and mysql_clear_password (only
// over TLS or a unix socket, never in clear over TCP). The server may
// switch the connection to another plugin once. caching_sha2_password's
// full authentication sends the password in clear over TLS or a unix
// socket; otherwise it encrypts it with the server's RSA key, which must be
// pinned (server-public-key-path) or, if get-server-public-key=true,
// fetched from the server — open to a man in the middle, who can hand over
// its own key. Without any of these the error says which option to set.
//
// # TLS
//
// Modes (Config.TLSMode, DSN options tls= or ssl-mode=):
//
//   - preferred (default): TLS when the server offers it, certificate not
//     verified; plain otherwise. Not used over unix sockets.
//   - disabled: never.
//   - required: TLS or fail; certificate not verified.
//   - verify-ca: the chain must lead to a trusted CA (ssl-ca, or the system
//     pool); the host name is not checked.
//   - verify-identity: chain and host name (the host of Addr, or
//     TLSConfig.ServerName) are verified.
//
// TLS 1.2 is the minimum. Config.TLSConfig, when set, is the base
// configuration (cloned, never modified).
//
// # DSN
//
// ParseDSN accepts go-sql-driver/mysql's form
//
//	user:password@tcp(host:port)/dbname?option=value&...
//	user@unix(/run/mysqld/mysqld.sock)/
//	user:password@/dbname              (tcp 127.0.0.1:3306)
//
// where the password may contain '@', ':' and '/' (the last '@' before the
// address separates it; the first ':' separates user and password), and the
// URL form
//
//	mysql://user:password@host:port/dbname?option=value
//	mariadb://user@/dbname?socket=/run/mysqld/mysqld.sock
//
// with percent-encoded user and password. A host without a port gets 3306.
// Option values may be percent-encoded in both forms. Options:
//
//	tls                     TLS mode: preferred, disabled, required, verify-ca,
//	                        verify-identity, or go-sql-driver's false, true,
//	                        skip-verify
//	ssl-mode                the same, MySQL's spelling (DISABLED, PREFERRED,
//	                        REQUIRED, VERIFY_CA, VERIFY_IDENTITY)
//	ssl-ca                  PEM file of the CA certificates to trust (read by ParseDSN)
//	ssl-cert, ssl-key       PEM files of a client certificate and its key (both or neither)
//	server-public-key-path  PEM file of the server's RSA public key for
//	                        caching_sha2_password (PKIX or PKCS#1)
//	get-server-public-key   true: may fetch the server's RSA key (MITM risk)
//	allowPublicKeyRetrieval alias of get-server-public-key
//	timeout                 connect timeout (dial + TLS + authentication), Go
//	                        duration, default 10s; alias connect-timeout
//	readTimeout             reply timeout of ordinary commands, default 30s
//	writeTimeout            write timeout, default 30s
//	socket                  unix socket path (URL form)
//
// go-sql-driver options that are harmless here are kept in Config.Params,
// written back by FormatDSN and passed on by DriverConnector: allowAllFiles,
// allowCleartextPasswords, allowNativePasswords, charset, checkConnLiveness,
// clientFoundRows, collation, columnsWithAlias, connectionAttributes,
// interpolateParams, loc, maxAllowedPacket, multiStatements, parseTime,
// rejectReadOnly, timeTruncate. Any other option is an error that names it
// and lists the valid ones.
//
// FormatDSN writes the go-sql-driver form (ParseDSN(cfg.FormatDSN()) gives
// an equal Config); Redacted is the same with the password replaced by
// "xxxxx", for logs and error messages.
package client
