package client

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/proto"
)

// FuzzConnect plays a scripted server against Connect: the input is a
// list of payloads (each a 2-byte little-endian length and the bytes),
// sent one per turn with correct sequence ids, the first as the handshake
// and each next one after a packet from the client. Whatever the payloads,
// Connect must return (no panic, no hang) with a Conn or an error.
func FuzzConnect(f *testing.F) {
	script := func(payloads ...[]byte) []byte {
		var b []byte
		for _, p := range payloads {
			b = append(b, byte(len(p)), byte(len(p)>>8))
			b = append(b, p...)
		}
		return b
	}
	hs := handshakePacket(fakeCaps, pluginCachingSHA2, fakeNonce)
	f.Add(script(hs, okPacket()))
	f.Add(script(hs, []byte{1, 3}, okPacket()))
	f.Add(script(hs, []byte{1, 4}, []byte("\x01-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")))
	f.Add(script(hs, proto.AppendAuthSwitchRequest(nil, pluginNative, append(fakeNonce, 0)), okPacket()))
	f.Add(script(hs, proto.AppendAuthSwitchRequest(nil, pluginEd25519, make([]byte, 32)), okPacket()))
	f.Add(script(hs, errPacket(1045, "28000", "denied")))
	f.Add(script(errPacket(1040, "08004", "Too many connections")))
	f.Add(script(handshakePacket(fakeCaps|proto.ClientSSL, pluginNative, fakeNonce), okPacket()))
	f.Fuzz(func(t *testing.T, data []byte) {
		var payloads [][]byte
		for len(data) >= 2 {
			n := int(data[0]) | int(data[1])<<8
			data = data[2:]
			n = min(n, len(data))
			payloads = append(payloads, data[:n])
			data = data[n:]
		}
		if len(payloads) == 0 {
			return
		}
		client, server := net.Pipe()
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer server.Close()
			server.SetDeadline(time.Now().Add(2 * time.Second))
			fr := proto.NewFramer(server)
			for i, p := range payloads {
				if i > 0 {
					if _, err := fr.ReadPacket(); err != nil {
						return
					}
				}
				if err := fr.WritePacket(p); err != nil {
					return
				}
			}
			// End of the script: hang up, so the client fails at once
			// instead of waiting for its deadline.
		}()
		cfg, _ := NewConfig().withDefaults()
		cfg.User, cfg.Password = "u", "pw"
		cfg.AllowPublicKeyRetrieval = true
		cfg.TLSMode = TLSDisabled
		cfg.ConnectTimeout = time.Second
		own := time.Now().Add(time.Second)
		ctx, cancel := context.WithDeadline(context.Background(), own)
		defer cancel()
		start := time.Now()
		c, err := connectOver(ctx, cfg, client, own)
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Fatalf("connect took %v", d)
		}
		if err == nil {
			c.Close()
		} else {
			client.Close()
		}
		wg.Wait()
	})
}
