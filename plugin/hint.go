package plugin

import (
	"net/netip"
	"strings"

	"github.com/calico-win/cni/internal/statedir"
)

// fileHint keeps the IPAM block hint in a node-local file beside the IPAM
// lock. It is only a hint: a missing, stale, corrupt or untrusted file costs
// one extra datastore read, never a wrong allocation.
type fileHint struct{ path string }

func newFileHint(nc *NetConf, node string) fileHint {
	return fileHint{path: stateFile(nc, "ipam-block-hint-"+nc.Name+"-"+node)}
}

func (h fileHint) Load() netip.Prefix {
	b, err := readState(h.path)
	if err != nil {
		return netip.Prefix{}
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(string(b)))
	if err != nil || !p.Addr().Is4() || p != p.Masked() {
		// Not a block CIDR Store could have written: no hint.
		return netip.Prefix{}
	}
	return p
}

// Store writes the hint for the next processes.
func (h fileHint) Store(p netip.Prefix) { writeFileAtomic(h.path, []byte(p.String())) }

// writeFileAtomic writes a private file through a temporary file and a
// rename, so concurrent processes never read a torn value (see
// statedir.WriteFile). Failures are ignored: the files it writes are caches.
func writeFileAtomic(path string, b []byte) { _ = statedir.WriteFile(path, b) }
