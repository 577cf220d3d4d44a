package plugin

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// mtuFile is where calico-node writes the MTU it detected.
var mtuFile = "/var/lib/calico/mtu"

// mtu is the MTU the result reports (HNS picks the real one): "mtu" when
// set, else the MTU file calico-node writes, if there is one. With
// require_mtu_file, a missing file fails the ADD as in Calico.
func mtu(nc *NetConf) (int, error) {
	if nc.MTU != 0 {
		return nc.MTU, nil
	}
	b, err := os.ReadFile(mtuFile)
	if err != nil {
		if nc.RequireMTUFile {
			return 0, fmt.Errorf("%w: require_mtu_file is set and %s cannot be read: %v", errNotReady, mtuFile, err)
		}
		return 0, nil
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%w: %s holds %q, not an MTU", errNotReady, mtuFile, strings.TrimSpace(string(b)))
	}
	return v, nil
}
