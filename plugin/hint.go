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
	lock := nc.IPAMLockFile
	if lock == "" {
		lock = defaultLockFile()
	}
	return fileHint{path: filepath.Join(filepath.Dir(lock), "ipam-block-hint-"+nc.Name+"-"+node)}
}

func (h fileHint) Load() netip.Prefix {
	b, err := os.ReadFile(h.path)
	if err != nil {
		return netip.Prefix{}
	}
	p, _ := netip.ParsePrefix(strings.TrimSpace(string(b)))
	return p
}

// Store writes through a temporary file and a rename, so concurrent
// processes never read a torn value.
func (h fileHint) Store(p netip.Prefix) {
	tmp, err := os.CreateTemp(filepath.Dir(h.path), ".hint-")
	if err != nil {
		return
	}
	_, werr := tmp.WriteString(p.String())
	if cerr := tmp.Close(); werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return
	}
	if os.Rename(tmp.Name(), h.path) != nil {
		os.Remove(tmp.Name())
	}
}
