package plugin

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/calico-win/cni/dataplane"
)

// namespaceID returns the HCN namespace GUID of CNI_NETNS. containerd passes
// the bare GUID; cnitool makes it absolute (<cwd>/<GUID>), so the last path
// element is accepted too. Dockershim's "none" and "container:<id>" forms
// belong to the HNS v1 API, which this plugin does not drive.
func namespaceID(netns string) (string, error) {
	if netns == "none" || strings.HasPrefix(netns, "container:") {
		return "", &ArgsError{Msg: fmt.Sprintf("CNI_NETNS %q is a dockershim (HNS v1) namespace; this plugin needs the HCN namespace GUID that containerd passes", netns)}
	}
	last := filepath.Base(strings.ReplaceAll(netns, `\`, "/"))
	if !isGUID(last) {
		return "", &ArgsError{Msg: fmt.Sprintf("CNI_NETNS %q is not an HCN namespace GUID", netns)}
	}
	return strings.ToUpper(last), nil
}

// unknownNamespace turns a failed attach into the runtime's fault (CNI code
// 4, like any bad CNI_NETNS) when HNS has no namespace of that GUID: the
// runtime passed a namespace that does not exist (or no longer does), which
// retrying the same call cannot fix. Other errors are returned as they are.
func (c *call) unknownNamespace(dp *dataplane.Dataplane, nsID string, err error) error {
	if !dp.NamespaceMissing(c.ctx, nsID, err) {
		return err
	}
	return &ArgsError{Msg: fmt.Sprintf("CNI_NETNS %q: HNS has no namespace of that GUID (%v)", c.args.Netns, err)}
}
