//go:build !windows

package etcd

import (
	"crypto/tls"
	"errors"
	"net"
	"syscall"
)

// closedByPeer tells whether an idle connection was closed by the other
// end (a member that stopped or restarted since the last answer): a
// request sent on it would be reported as possibly applied, where a new
// dial fails before anything is sent. It peeks without blocking: end of
// stream or an error means closed; nothing to read means open; bytes
// waiting (a TLS session ticket, say) mean open too.
func closedByPeer(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	closed := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case errors.Is(err, syscall.EAGAIN):
		case err != nil:
			closed = true
		default:
			closed = n == 0 // end of stream
		}
		return true // never wait for readability
	})
	return closed || err != nil
}
