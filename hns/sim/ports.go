package sim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/calico-win/cni/hns"
)

// claimablePorts returns the port index keys of the PortMapping policies
// in ps, or 0x803b0013 if one is held by an endpoint other than self or
// requested twice.
func (s *Sim) claimablePorts(ps []hns.Policy, self string) ([]string, uint32, error) {
	var keys []string
	for _, p := range ps {
		if p.Type != "PortMapping" {
			continue
		}
		var m portMapping
		json.Unmarshal(p.Settings, &m) // validated already
		vip := "any"
		if m.VIP != "" {
			vip = strings.ReplaceAll(m.VIP, ":", "-")
		}
		key := fmt.Sprintf("%d_%s_%d", m.Protocol, vip, m.ExternalPort)
		if slices.Contains(keys, key) {
			return nil, hns.PortAlreadyExists, nil
		}
		holder, err := s.st.portHolder(key)
		if err != nil {
			return nil, 0, err
		}
		if holder != "" && holder != self {
			return nil, hns.PortAlreadyExists, nil
		}
		keys = append(keys, key)
	}
	return keys, 0, nil
}

// releasePorts frees the given port keys if self holds them.
func (s *Sim) releasePorts(keys []string, self string) error {
	for _, k := range keys {
		holder, err := s.st.portHolder(k)
		if err != nil {
			return err
		}
		if holder == self {
			if err := s.st.releasePort(k); err != nil {
				return err
			}
		}
	}
	return nil
}
