//go:build !linux

package faultproxy

import (
	"context"
	"net"
	"time"
)

// waitSent cannot see the send queue outside Linux; it gives the peer a
// moment to receive what was written before the connection is reset.
func waitSent(ctx context.Context, _ *net.TCPConn, timeout time.Duration) {
	t := time.NewTimer(min(timeout, 100*time.Millisecond))
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
