package plugin

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// fileHint keeps the IPAM block hint in a node-local file beside the IPAM
// lock. It is only a hint: a missing, stale or corrupt file costs one extra
// datastore read, never a wrong allocation.
type fileHint struct{ path string }

func newFileHint(nc *NetConf, node string) fileHint {
	return fileHint{path: stateFile(nc, "ipam-block-hint-"+nc.Name+"-"+node)}
}

func (h fileHint) Load() netip.Prefix {
	b, err := os.ReadFile(h.path)
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

// writeFileAtomic writes through a temporary file and a rename, so
// concurrent processes never read a torn value. Failures are ignored: the
// files it writes are caches.
func writeFileAtomic(path string, b []byte) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
}
