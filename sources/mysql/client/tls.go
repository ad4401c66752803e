package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"

	"github.com/seed5aa6e046/syncer/sources/mysql/proto"
)

// wantTLS decides from the mode and the server's capabilities whether to
// upgrade the connection.
func (c *Conn) wantTLS(h *proto.Handshake) (bool, error) {
	offered := h.Capabilities&proto.ClientSSL != 0
	switch c.cfg.TLSMode {
	case TLSDisabled:
		return false, nil
	case TLSPreferred:
		// Like the mysql client: a unix socket is already private.
		return offered && c.cfg.Net != "unix", nil
	default:
		if !offered {
			return false, fmt.Errorf("TLS: the server (%s) does not offer TLS and the TLS mode is %v "+
				"(enable TLS on the server, or use tls=preferred/disabled to accept a plain connection)", h.ServerVersion, c.cfg.TLSMode)
		}
		return true, nil
	}
}

// startTLS sends the SSLRequest and runs the TLS handshake.
func (c *Conn) startTLS(ctx context.Context, caps uint32) error {
	conf, err := c.cfg.tlsClientConfig()
	if err != nil {
		return fmt.Errorf("TLS: %w", err)
	}
	req := proto.SSLRequest{Capabilities: caps, MaxPacketSize: maxPacketSize, CharacterSet: proto.CharsetUTF8MB4GeneralCI}
	if err := c.fr.WritePacket(req.Append(nil)); err != nil {
		return fmt.Errorf("TLS: send SSLRequest: %w", err)
	}
	tc := tls.Client(c.raw, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("TLS handshake (mode %v): %w", c.cfg.TLSMode, err)
	}
	c.nc = tc
	c.fr.SetTransport(tc)
	return nil
}

// tlsClientConfig builds the tls.Config for the mode from a clone of the
// base configuration.
func (c *Config) tlsClientConfig() (*tls.Config, error) {
	var conf *tls.Config
	if c.TLSConfig != nil {
		conf = c.TLSConfig.Clone()
	} else {
		conf = &tls.Config{}
	}
	if conf.MinVersion < tls.VersionTLS12 {
		conf.MinVersion = tls.VersionTLS12
	}
	if conf.ServerName == "" && c.Net != "unix" {
		host, _, err := net.SplitHostPort(c.Addr)
		if err != nil {
			host = c.Addr
		}
		conf.ServerName = host
	}
	switch c.TLSMode {
	case TLSPreferred, TLSRequired:
		// Encryption without authentication of the server.
		conf.InsecureSkipVerify = true
	case TLSVerifyCA:
		// crypto/tls cannot verify a chain without the host name, so we
		// turn its verification off and do the chain part ourselves.
		conf.InsecureSkipVerify = true
		roots := conf.RootCAs
		conf.VerifyPeerCertificate = func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
			return verifyChain(rawCerts, roots)
		}
	case TLSVerifyIdentity:
		if conf.InsecureSkipVerify {
			return nil, errors.New("verify-identity with a base TLS config that sets InsecureSkipVerify")
		}
		if conf.ServerName == "" {
			return nil, errors.New("verify-identity needs a server name (TLSConfig.ServerName) over a unix socket")
		}
	}
	return conf, nil
}

// verifyChain checks the peer's chain against roots (nil: the system
// pool), without checking the host name.
func verifyChain(rawCerts [][]byte, roots *x509.CertPool) error {
	if len(rawCerts) == 0 {
		return errors.New("verify-ca: the server sent no certificate")
	}
	certs := make([]*x509.Certificate, len(rawCerts))
	for i, raw := range rawCerts {
		cert, err := x509.ParseCertificate(raw)
		if err != nil {
			return fmt.Errorf("verify-ca: parse server certificate: %w", err)
		}
		certs[i] = cert
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
	for _, cert := range certs[1:] {
		opts.Intermediates.AddCert(cert)
	}
	if _, err := certs[0].Verify(opts); err != nil {
		return fmt.Errorf("verify-ca: %w", err)
	}
	return nil
}
