package client

import (
	"bytes"
	"context"

	"crypto/tls"
	"errors"
	"fmt"
	"io"

	"github.com/seed5aa6e046/syncer/sources/mysql/proto"
)

// Authentication plugin names.
const (
	pluginNative      = "mysql_native_password"
	pluginCachingSHA2 = "caching_sha2_password"
	pluginEd25519     = "client_ed25519"
	pluginClear       = "mysql_clear_password"
)

// clientCapabilities are the capabilities we ask for; the connection uses
// their intersection with the server's. ClientLongPassword is MariaDB's
// CLIENT_MYSQL: keeping it only when the server has it means MariaDB 10.2+
// reads the last filler bytes as our extended capabilities (zero).
const clientCapabilities = proto.ClientLongPassword | proto.ClientLongFlag | proto.ClientProtocol41 |
	proto.ClientTransactions | proto.ClientSecureConnection | proto.ClientMultiResults |
	proto.ClientPluginAuth | proto.ClientPluginAuthLenEncClientData

// phaseError names the connection phase in which err happened.
func phaseError(phase string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		// io.EOF (nothing of the next packet read) becomes
		// ErrUnexpectedEOF: in the handshake every EOF is unexpected.
		detail := "read 0 of 4 header bytes"
		if err != io.EOF {
			detail = err.Error()
		}
		err = io.ErrUnexpectedEOF
		return fmt.Errorf("server closed the connection during the %s (%s): %w", phase, detail, err)
	}
	return fmt.Errorf("%s: %w", phase, err)
}

// handshake runs the connection phase: handshake, TLS, authentication.
func (c *Conn) handshake(ctx context.Context) error {
	pkt, err := c.fr.ReadPacket()
	if err != nil {
		var seqErr *proto.SequenceError
		if errors.As(err, &seqErr) {
			err = fmt.Errorf("%w (is this a MySQL or MariaDB server?)", err)
		}
		return phaseError("handshake", err)
	}
	h, err := proto.ParseHandshake(pkt)
	if err != nil {
		var se *proto.ServerError
		if errors.As(err, &se) {
			return fmt.Errorf("server refused the connection: %w", err)
		}
		// ParseHandshake's errors start with "handshake:".
		return err
	}
	c.serverVersion, c.mariaDB, c.connID = h.ServerVersion, h.MariaDB, h.ConnectionID
	if h.Capabilities&proto.ClientProtocol41 == 0 || h.Capabilities&proto.ClientSecureConnection == 0 {
		return fmt.Errorf("handshake: server %s does not support protocol 4.1 authentication", h.ServerVersion)
	}
	caps := clientCapabilities & h.Capabilities
	if c.cfg.DBName != "" {
		caps |= proto.ClientConnectWithDB & h.Capabilities
		if caps&proto.ClientConnectWithDB == 0 {
			return fmt.Errorf("handshake: server %s cannot select database %q at connect", h.ServerVersion, c.cfg.DBName)
		}
	}

	useTLS, err := c.wantTLS(h)
	if err != nil {
		return err
	}
	if useTLS {
		caps |= proto.ClientSSL
		if err := c.startTLS(ctx, caps); err != nil {
			return err
		}
	}
	c.caps = caps

	// The server names its default plugin; one we don't know is answered
	// with mysql_native_password, and the server switches us to the
	// account's plugin if that differs.
	plugin := h.AuthPlugin
	if plugin == "" || !supportedPlugin(plugin) {
		plugin = pluginNative
	}
	nonce := h.AuthData
	resp, err := c.authResponse(plugin, nonce)
	if err != nil {
		return c.authError(plugin, err)
	}
	hr := proto.HandshakeResponse{
		Capabilities:  caps,
		MaxPacketSize: maxPacketSize,
		CharacterSet:  proto.CharsetUTF8MB4GeneralCI,
		User:          c.cfg.User,
		AuthResponse:  resp,
		Database:      c.cfg.DBName,
		AuthPlugin:    plugin,
	}
	if caps&proto.ClientSecureConnection != 0 && caps&proto.ClientPluginAuthLenEncClientData == 0 && len(resp) > 255 {
		return c.authError(plugin, fmt.Errorf("auth response of %d bytes is too long for this server", len(resp)))
	}
	if err := c.fr.WritePacket(hr.Append(c.wbuf[:0])); err != nil {
		return c.authError(plugin, err)
	}
	return c.authLoop(plugin, nonce)
}

func supportedPlugin(p string) bool {
	switch p {
	case pluginNative, pluginCachingSHA2, pluginEd25519, pluginClear:
		return true
	}
	return false
}

func (c *Conn) authError(plugin string, err error) error {
	return phaseError(fmt.Sprintf("authentication as user %q with plugin %s", c.cfg.User, plugin), err)
}

// secureTransport reports whether the password may be sent in clear: over
// TLS or a unix socket (local, and only root or the socket's owner
// can observe it).
func (c *Conn) secureTransport() bool {
	if _, ok := c.nc.(*tls.Conn); ok {
		return true
	}
	return c.cfg.Net == "unix"
}

// authResponse computes the first response of plugin to nonce.
func (c *Conn) authResponse(plugin string, nonce []byte) ([]byte, error) {
	pw := []byte(c.cfg.Password)
	if len(pw) == 0 {
		return nil, nil
	}
	switch plugin {
	case pluginNative:
		return scrambleNativePassword(pw, trimNonce(nonce)), nil
	case pluginCachingSHA2:
		return scrambleCachingSHA2(pw, trimNonce(nonce)), nil
	case pluginEd25519:
		return signEd25519(pw, nonce), nil
	case pluginClear:
		if !c.secureTransport() {
			return nil, errors.New("the server asks for the password in clear text (mysql_clear_password); " +
				"refusing without TLS or a unix socket: set tls=required (ssl-mode=REQUIRED) or stronger")
		}
		return append(pw, 0), nil
	}
	return nil, fmt.Errorf("unsupported authentication plugin %q (supported: %s, %s, %s, %s)",
		plugin, pluginNative, pluginCachingSHA2, pluginEd25519, pluginClear)
}

// trimNonce drops the NUL that servers append to the 20-byte scramble of
// mysql_native_password and caching_sha2_password.
func trimNonce(n []byte) []byte {
	if len(n) == 21 && n[20] == 0 {
		return n[:20]
	}
	return n
}

// authLoop reads the server's replies after the handshake response until
// OK or ERR, handling one auth switch and caching_sha2_password's extra
// round trips.
func (c *Conn) authLoop(plugin string, nonce []byte) error {
	switched := false
	for {
		pkt, err := c.fr.ReadPacket()
		if err != nil {
			return c.authError(plugin, err)
		}
		switch {
		case len(pkt) == 0:
			return c.authError(plugin, errors.New("empty packet from the server"))
		case pkt[0] == proto.OKHeader:
			c.authPlugin = plugin
			return nil
		case pkt[0] == proto.ERRHeader:
			return c.authError(plugin, proto.ParseERR(pkt))
		case pkt[0] == proto.EOFHeader:
			req, err := proto.ParseAuthSwitchRequest(pkt)
			if err != nil {
				return c.authError(plugin, err)
			}
			if switched {
				return c.authError(plugin, fmt.Errorf("second auth switch request (to %s) refused", req.Plugin))
			}
			switched = true
			plugin = req.Plugin
			// The request's data aliases the framer's buffer.
			nonce = bytes.Clone(req.Data)
			resp, err := c.authResponse(plugin, nonce)
			if err != nil {
				return c.authError(plugin, err)
			}
			if err := c.fr.WritePacket(resp); err != nil {
				return c.authError(plugin, err)
			}
		case pkt[0] == proto.AuthMoreDataHeader && plugin == pluginCachingSHA2:
			if err := c.cachingSHA2More(pkt[1:], trimNonce(nonce)); err != nil {
				return c.authError(plugin, err)
			}
		default:
			return c.authError(plugin, fmt.Errorf("unexpected packet 0x%02x (%d bytes) during authentication", pkt[0], len(pkt)))
		}
	}
}

// caching_sha2_password's AuthMoreData codes.
const (
	sha2RequestPublicKey = 0x02
	sha2FastAuthOK       = 0x03
	sha2FullAuth         = 0x04
)

// cachingSHA2More handles an AuthMoreData packet of caching_sha2_password.
func (c *Conn) cachingSHA2More(data, nonce []byte) error {
	if len(data) == 0 {
		return errors.New("empty AuthMoreData packet")
	}
	switch data[0] {
	case sha2FastAuthOK:
		// The server found the password in its cache; an OK follows.
		return nil
	case sha2FullAuth:
	default:
		return fmt.Errorf("unexpected caching_sha2_password status 0x%02x", data[0])
	}
	pw := []byte(c.cfg.Password)
	if c.secureTransport() {
		return c.fr.WritePacket(append(pw, 0))
	}
	pub := c.cfg.ServerPubKey
	if pub == nil {
		if !c.cfg.AllowPublicKeyRetrieval {
			return errors.New("the server needs the password (caching_sha2_password full authentication) and the connection " +
				"is neither TLS nor a unix socket: use TLS (tls=required or stronger), pin the server's RSA key with " +
				"server-public-key-path=/path/to/public_key.pem, or allow fetching it with get-server-public-key=true (exposed to a man in the middle)")
		}
		if err := c.fr.WritePacket([]byte{sha2RequestPublicKey}); err != nil {
			return err
		}
		pkt, err := c.fr.ReadPacket()
		if err != nil {
			return fmt.Errorf("read the server's public key: %w", err)
		}
		if proto.IsERR(pkt) {
			return fmt.Errorf("request the server's public key: %w", proto.ParseERR(pkt))
		}
		keyPEM, err := proto.ParseAuthMoreData(pkt)
		if err != nil {
			return fmt.Errorf("read the server's public key: %w", err)
		}
		if pub, err = parsePublicKeyPEM(keyPEM); err != nil {
			return fmt.Errorf("the server's public key: %w", err)
		}
	}
	enc, err := encryptPasswordRSA(pw, nonce, pub)
	if err != nil {
		return err
	}
	return c.fr.WritePacket(enc)
}
