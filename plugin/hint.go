package plugin

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"time"

	"github.com/calico-win/cni/datastore"
	"github.com/calico-win/cni/internal/statedir"
	"github.com/calico-win/cni/ipam"
)

// fileHint keeps the IPAM block hint in a node-local file beside the IPAM
// lock: the block CIDR and, on the Kubernetes datastore, the copy of the
// block as this node last wrote it (ipam.Hint). It is only a hint: a
// missing, stale, corrupt or untrusted file costs a datastore read, never a
// wrong allocation (the block's writes are compare-and-swaps on the
// copy's revision).
type fileHint struct{ path string }

func newFileHint(nc *NetConf, node string) fileHint {
	return fileHint{path: stateFile(nc, "ipam-block-hint-"+nc.Name+"-"+node)}
}

// hintFile is the file's JSON. Older versions wrote the bare CIDR.
type hintFile struct {
	CIDR       netip.Prefix                          `json:"cidr"`
	Block      *datastore.Versioned[datastore.Block] `json:"block,omitempty"`
	AffinityAt time.Time                             `json:"affinityAt,omitzero"`
}

func (h fileHint) Load() ipam.Hint {
	b, err := readState(h.path)
	if err != nil {
		return ipam.Hint{}
	}
	var f hintFile
	if b = bytes.TrimSpace(b); bytes.HasPrefix(b, []byte("{")) {
		if json.Unmarshal(b, &f) != nil {
			return ipam.Hint{}
		}
	} else if f.CIDR, err = netip.ParsePrefix(strings.TrimSpace(string(b))); err != nil {
		return ipam.Hint{}
	}
	if !f.CIDR.Addr().Is4() || f.CIDR != f.CIDR.Masked() {
		// Not a block CIDR Store could have written: no hint.
		return ipam.Hint{}
	}
	out := ipam.Hint{CIDR: f.CIDR}
	if f.Block != nil && f.Block.Rev != "" && f.Block.Value.CIDR == f.CIDR {
		out.Block, out.AffinityAt = *f.Block, f.AffinityAt
	}
	return out
}

// Store writes the hint for the next processes.
func (h fileHint) Store(v ipam.Hint) {
	f := hintFile{CIDR: v.CIDR}
	if v.Block.Rev != "" {
		f.Block, f.AffinityAt = &v.Block, v.AffinityAt
	}
	b, err := json.Marshal(f)
	if err != nil {
		return
	}
	writeFileAtomic(h.path, b)
}

// writeFileAtomic writes a private file through a temporary file and a
// rename, so concurrent processes never read a torn value (see
// statedir.WriteFile). Failures are ignored: the files it writes are caches.
func writeFileAtomic(path string, b []byte) { _ = statedir.WriteFile(path, b) }
