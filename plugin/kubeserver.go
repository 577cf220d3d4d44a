package plugin

import (
	"net"

	"github.com/calico-win/cni/internal/k8s"
	"github.com/calico-win/cni/internal/statedir"
)

// The API server's address (host:port), as the node's last call on the
// Kubernetes datastore connected to it directly, is kept beside the IPAM
// lock: the next call starts the TCP connection to it as soon as it has
// read its network config (k8s.Predial), before it has parsed the
// kubeconfig that names the server. A kubeconfig that now names another
// server, or needs a proxy, simply leaves that connection unused.

func kubeServerFile(nc *NetConf) string { return stateFile(nc, "kube-server") }

// predialKubeServer starts the connection to the kept address, and
// returns that address ("" when none is kept).
//
// It runs before logging is set up, so an untrusted file is skipped
// silently (readState would log it); the next call's write replaces it.
func predialKubeServer(nc *NetConf) string {
	b, err := statedir.ReadFile(kubeServerFile(nc))
	if err != nil {
		return ""
	}
	addr := string(b)
	if host, port, err := net.SplitHostPort(addr); err != nil || host == "" || port == "" {
		return ""
	}
	k8s.Predial(addr)
	return addr
}

// keepKubeServer writes down the address this call's client connected to
// directly, when it is not the one kept.
func keepKubeServer(nc *NetConf, kept string) {
	kubeClients.Lock()
	c := kubeClients.m[kubeConfig(nc)]
	kubeClients.Unlock()
	if c == nil {
		return
	}
	if addr := c.DirectAddr(); addr != "" && addr != kept {
		writeFileAtomic(kubeServerFile(nc), []byte(addr))
	}
}
