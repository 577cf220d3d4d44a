package plugin

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// namespaceID returns the HCN namespace GUID of CNI_NETNS. containerd passes
// the bare GUID; cnitool makes it absolute (<cwd>/<GUID>), so the last path
// element is accepted too. Dockershim's "none" and "container:<id>" forms
// belong to the HNS v1 API, which this plugin does not drive.
func namespaceID(netns string) (string, error) {
	if netns == "none" || strings.HasPrefix(netns, "container:") {
		return "", &ArgsError{Msg: fmt.Sprintf("CNI_NETNS %q is a dockershim (HNS v1) namespace; this plugin needs the HCN namespace GUID that containerd passes", netns)}
	}
	last := filepath.Base(strings.ReplaceAll(netns, `\`, "/"))
	if !guidRE.MatchString(last) {
		return "", &ArgsError{Msg: fmt.Sprintf("CNI_NETNS %q is not an HCN namespace GUID", netns)}
	}
	return strings.ToUpper(last), nil
}
