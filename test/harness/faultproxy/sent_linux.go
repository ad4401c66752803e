package faultproxy

import (
	"context"
	"net"
	"syscall"
	"time"
	"unsafe"
)

// waitSent waits until the kernel's send queue of c is empty, that is until
// the peer has acknowledged every byte written, or until timeout or ctx
// ends. It reads the queue length with the TIOCOUTQ (SIOCOUTQ) ioctl.
func waitSent(ctx context.Context, c *net.TCPConn, timeout time.Duration) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	deadline := time.Now().Add(timeout)
	for {
		var queued int32
		var errno syscall.Errno
		if err := rc.Control(func(fd uintptr) {
			_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&queued)))
		}); err != nil || errno != 0 || queued == 0 {
			return
		}
		if time.Now().After(deadline) {
			return
		}
		t := time.NewTimer(time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
