package etcd

import "net"

// closedByPeer cannot peek at a Windows socket without blocking (Go keeps
// them in blocking mode for overlapped I/O), so an idle connection is
// trusted. A member that closed it between two requests of one call makes
// the second request's outcome unknown rather than unsent: a read then
// goes to the next member, and a write is resolved by reading before it
// is sent again (resolve.go), as for any lost answer.
func closedByPeer(net.Conn) bool { return false }
