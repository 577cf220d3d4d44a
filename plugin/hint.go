package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/netip"
	"strconv"
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

// hintFile is the file's JSON. The file holds it, then a newline and the
// JSON's CRC-32C in 8 hex digits: Store writes the file in place (a new
// file per write costs the file system far more than the write), so a
// process reading it without the IPAM lock, or after a crash during a
// write, may see a mix of two versions, which the checksum turns away.
// Files of older versions (the bare CIDR, or JSON alone) have no checksum:
// they count as no hint, once.
type hintFile struct {
	CIDR       netip.Prefix                          `json:"cidr"`
	Block      *datastore.Versioned[datastore.Block] `json:"block,omitempty"`
	AffinityAt time.Time                             `json:"affinityAt,omitzero"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checked is b with its checksum line.
func checked(b []byte) []byte {
	return fmt.Appendf(b, "\n%08x", crc32.Checksum(b, castagnoli))
}

// unchecked is the contents before the checksum line, if it matches.
func unchecked(b []byte) ([]byte, bool) {
	i := bytes.LastIndexByte(b, '\n')
	if i < 0 || len(b)-i-1 != 8 {
		return nil, false
	}
	sum, err := strconv.ParseUint(string(b[i+1:]), 16, 32)
	if err != nil || uint32(sum) != crc32.Checksum(b[:i], castagnoli) {
		return nil, false
	}
	return b[:i], true
}

func (h fileHint) Load() ipam.Hint {
	b, err := readState(h.path)
	if err != nil {
		return ipam.Hint{}
	}
	var f hintFile
	if b, ok := unchecked(b); !ok || json.Unmarshal(b, &f) != nil {
		return ipam.Hint{}
	}
	if !f.CIDR.IsValid() || !f.CIDR.Addr().Is4() || f.CIDR != f.CIDR.Masked() {
		// Not a block CIDR Store could have written: no hint.
		return ipam.Hint{}
	}
	out := ipam.Hint{CIDR: f.CIDR}
	if f.Block != nil && f.Block.Rev != "" && f.Block.Value.CIDR == f.CIDR {
		out.Block, out.AffinityAt = *f.Block, f.AffinityAt
	}
	return out
}

// Store writes the hint for the next processes, in place (see hintFile).
func (h fileHint) Store(v ipam.Hint) {
	f := hintFile{CIDR: v.CIDR}
	if v.Block.Rev != "" {
		f.Block, f.AffinityAt = &v.Block, v.AffinityAt
	}
	b, err := json.Marshal(f)
	if err != nil {
		return
	}
	_ = statedir.OverwriteFile(h.path, checked(b))
}

// writeFileAtomic writes a private file through a temporary file and a
// rename, so concurrent processes never read a torn value (see
// statedir.WriteFile). Failures are ignored: the files it writes are caches.
func writeFileAtomic(path string, b []byte) { _ = statedir.WriteFile(path, b) }
