package sim

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/calico-win/cni/hns"
)

// networkRecord is networks/<ID>.json. The management IP is kept apart from
// the policies because HNS only reports it (as a ProviderAddress policy)
// some time after the network is created.
type networkRecord struct {
	Network        hns.Network
	ManagementIP   string    `json:",omitempty"`
	ManagementIPAt time.Time // when the ProviderAddress policy appears
	Seq            uint64
}

// networkTypes are HNS's network types (hcn.NetworkType).
var networkTypes = []string{"NAT", "ICS", "Transparent", "L2Bridge", "L2Tunnel", "Overlay", "Private", "Internal", "Mirrored"}

// defaultMacPool is the Hyper-V range HNS hands endpoint MACs out of.
var defaultMacPool = hns.MacPool{Ranges: []hns.MacRange{{StartMacAddress: "00-15-5D-00-00-00", EndMacAddress: "00-15-5D-FF-FF-FF"}}}

// view is the network as HNS reports it at time now.
func (r *networkRecord) view(now time.Time) *hns.Network {
	n := r.Network
	n.Policies = append([]hns.Policy(nil), r.Network.Policies...)
	if r.ManagementIP != "" && !now.Before(r.ManagementIPAt) {
		n.Policies = append(n.Policies, hns.NewPolicy(hns.ProviderAddressSetting{ProviderAddress: r.ManagementIP}))
		if strings.EqualFold(n.Type, "Overlay") {
			n.Policies = append(n.Policies, hns.NewPolicy(hns.DrMacAddressSetting{Address: drMAC(n.Id)}))
		}
	}
	return &n
}

// drMAC is the MAC of an Overlay network's distributed router, the node's
// VTEP MAC, which HNS reports (as a DrMacAddress policy, beside the
// ProviderAddress) from the Hyper-V range: derived from the network ID,
// so it is stable for a network and new for a recreated one.
func drMAC(id string) string {
	h := sha1.Sum([]byte(strings.ToUpper(id)))
	return fmt.Sprintf("00-15-5D-%02X-%02X-%02X", h[0], h[1], h[2])
}

func (s *Sim) readNetwork(id string) (*networkRecord, error) {
	var r networkRecord
	if err := s.st.readJSON(s.st.path(networksDir, id+".json"), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// GetNetworkByName implements hns.Client.
func (s *Sim) GetNetworkByName(ctx context.Context, name string) (*hns.Network, error) {
	if err := s.begin(ctx, KindGetNetworkByName, "hcnEnumerateNetworks"); err != nil {
		return nil, err
	}
	var n *hns.Network
	err := s.locked(false, func() error {
		ids, err := s.st.idsByName(networkNames, name)
		if err != nil || len(ids) == 0 {
			return err
		}
		r, err := s.readNetwork(ids[0])
		if err != nil {
			return err
		}
		n = r.view(s.now())
		return nil
	})
	if err == nil && n == nil {
		err = &hns.NotFoundError{Kind: "Network", Name: name}
	}
	return n, err
}

// GetNetworkByID implements hns.Client.
func (s *Sim) GetNetworkByID(ctx context.Context, id string) (*hns.Network, error) {
	if err := s.begin(ctx, KindGetNetworkByID, "hcnEnumerateNetworks"); err != nil {
		return nil, err
	}
	cid, ok := canonicalID(id)
	if !ok {
		return nil, &hns.NotFoundError{Kind: "Network", ID: id}
	}
	r, err := readLocked(s, func() (*networkRecord, error) { return s.readNetwork(cid) })
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &hns.NotFoundError{Kind: "Network", ID: id}
	}
	if err != nil {
		return nil, err
	}
	return r.view(s.now()), nil
}

// CreateNetwork implements hns.Client. A ProviderAddress policy in the
// request stands for the host adapter's address: it becomes the management
// IP, reported Config.ManagementIPDelay after creation.
func (s *Sim) CreateNetwork(ctx context.Context, n *hns.Network) (*hns.Network, error) {
	c, err := s.currentConfig()
	if err != nil {
		return nil, err
	}
	return s.CreateNetworkWithDelay(ctx, n, c.ManagementIPDelay)
}

// CreateNetworkWithDelay is CreateNetwork with this network's management IP
// appearing after delay instead of Config.ManagementIPDelay.
func (s *Sim) CreateNetworkWithDelay(ctx context.Context, n *hns.Network, delay time.Duration) (*hns.Network, error) {
	if n == nil {
		return nil, errors.New("network create error, nil network")
	}
	if err := checkGateways(n); err != nil {
		return nil, err
	}
	const op = "hcnCreateNetwork"
	if err := s.begin(ctx, KindCreateNetwork, op); err != nil {
		return nil, err
	}
	rec, code := newNetworkRecord(n)
	if code != 0 {
		return nil, hns.NewError(op, code)
	}
	if rec.ManagementIP == "" {
		c, err := s.currentConfig()
		if err != nil {
			return nil, err
		}
		rec.ManagementIP = c.HostAddress
	}
	var out *hns.Network
	err := s.locked(true, func() error {
		ids, err := s.st.idsByName(networkNames, rec.Network.Name)
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			return hns.NewError(op, hns.NetworkAlreadyExists)
		}
		if rec.Seq, err = s.st.nextSeq(); err != nil {
			return err
		}
		rec.Network.Id = newGUID()
		rec.ManagementIPAt = s.now().Add(delay)
		id := rec.Network.Id
		for _, d := range []string{s.st.path(ipsDir, id), s.st.path(membersDir, id)} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		if err := s.st.putJSON(s.st.path(networksDir, id+".json"), rec); err != nil {
			return err
		}
		if err := s.st.addName(networkNames, rec.Network.Name, id); err != nil {
			return err
		}
		out = rec.view(s.now())
		return nil
	})
	return out, err
}

// checkGateways repeats hcn's client-side checks in HostComputeNetwork.Create.
func checkGateways(n *hns.Network) error {
	for _, ipam := range n.Ipams {
		for _, sn := range ipam.Subnets {
			if sn.IpAddressPrefix == "" {
				continue
			}
			hasDefault := false
			for _, r := range sn.Routes {
				if r.NextHop == "" {
					return errors.New("network create error, subnet has address prefix but no gateway specified")
				}
				if r.DestinationPrefix == "0.0.0.0/0" || r.DestinationPrefix == "::/0" {
					hasDefault = true
				}
			}
			if !hasDefault {
				return errors.New("network create error, no default gateway")
			}
		}
	}
	return nil
}

// newNetworkRecord validates the request and builds the stored record, or
// returns the HNS code to refuse it with. Assumption: a malformed type,
// prefix or gateway is "The parameter is incorrect." (0x57), as seen from
// hcnCreateNetwork in sig-windows-tools#249.
func newNetworkRecord(n *hns.Network) (*networkRecord, uint32) {
	rec := &networkRecord{Network: *n}
	net := &rec.Network
	net.Type = "NAT"
	if n.Type != "" {
		net.Type = ""
		for _, t := range networkTypes {
			if strings.EqualFold(t, n.Type) {
				net.Type = t
			}
		}
		if net.Type == "" {
			return nil, hns.ErrorInvalidParameter
		}
	}
	net.Ipams = append([]hns.Ipam(nil), n.Ipams...)
	for i := range net.Ipams {
		if net.Ipams[i].Type == "" {
			net.Ipams[i].Type = "Static"
		}
		for _, sn := range net.Ipams[i].Subnets {
			if code := checkSubnet(sn); code != 0 {
				return nil, code
			}
		}
	}
	var code uint32
	net.Policies, code = validatePolicies(n.Policies, networkPolicies)
	if code != 0 {
		return nil, code
	}
	if code := checkNetworkType(net); code != 0 {
		return nil, code
	}
	net.Policies = takeProviderAddress(net.Policies, &rec.ManagementIP)
	if len(net.MacPool.Ranges) == 0 {
		net.MacPool = defaultMacPool
	}
	if _, _, err := macRange(net.MacPool.Ranges[0]); err != nil {
		return nil, hns.ErrorInvalidParameter
	}
	net.SchemaVersion = hns.V2
	return rec, 0
}

func checkSubnet(sn hns.Subnet) uint32 {
	if sn.IpAddressPrefix == "" {
		return 0
	}
	if _, err := netip.ParsePrefix(sn.IpAddressPrefix); err != nil {
		return hns.ErrorInvalidParameter
	}
	for _, r := range sn.Routes {
		if _, err := netip.ParseAddr(r.NextHop); err != nil {
			return hns.ErrorInvalidParameter
		}
	}
	for _, raw := range sn.Policies {
		var p hns.Policy
		if err := json.Unmarshal(raw, &p); err != nil {
			return hns.InvalidPolicy
		}
		if _, code := validatePolicies([]hns.Policy{p}, subnetPolicies); code != 0 {
			return code
		}
	}
	return 0
}

// takeProviderAddress removes ProviderAddress policies from ps, storing
// the address in ip.
func takeProviderAddress(ps []hns.Policy, ip *string) []hns.Policy {
	out := ps[:0]
	for _, p := range ps {
		if p.Type != hns.ProviderAddress {
			out = append(out, p)
			continue
		}
		s, _ := hns.Decode[hns.ProviderAddressSetting](p) // validated already
		*ip = s.ProviderAddress
	}
	return out
}

// DeleteNetwork implements hns.Client. With Config.CascadeNetworkDelete the
// network's endpoints go with it; otherwise endpoints make it fail with
// 0x803b002c (the entity has references).
func (s *Sim) DeleteNetwork(ctx context.Context, id string) error {
	const op = "hcnDeleteNetwork"
	cid, ok := canonicalID(id)
	if !ok {
		return errInvalidNetworkID
	}
	if err := s.begin(ctx, KindDeleteNetwork, op); err != nil {
		return err
	}
	c, err := s.currentConfig()
	if err != nil {
		return err
	}
	return s.locked(true, func() error {
		r, err := s.readNetwork(cid)
		if errors.Is(err, fs.ErrNotExist) {
			return hns.NewError(op, hns.NetworkNotFound)
		}
		if err != nil {
			return err
		}
		members, err := s.st.members(cid)
		if err != nil {
			return err
		}
		if len(members) > 0 && !c.CascadeNetworkDelete {
			return hns.NewError(op, hns.EntityHasReferences)
		}
		for _, epID := range members {
			if err := s.deleteEndpointLocked(epID); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		if err := s.st.removeName(networkNames, r.Network.Name, cid); err != nil {
			return err
		}
		if err := errors.Join(s.st.dropTree(s.st.path(ipsDir, cid)), s.st.dropTree(s.st.path(membersDir, cid))); err != nil {
			return err
		}
		return s.st.drop(s.st.path(networksDir, cid+".json"))
	})
}

// AddNetworkPolicy implements hns.Client. Adding a policy the network
// already has is a no-op; a ProviderAddress policy sets the management IP.
func (s *Sim) AddNetworkPolicy(ctx context.Context, networkID string, ps []hns.Policy) error {
	const op = "hcnModifyNetwork"
	cid, ok := canonicalID(networkID)
	if !ok {
		return errInvalidNetworkID
	}
	if err := s.begin(ctx, KindAddNetworkPolicy, op); err != nil {
		return err
	}
	valid, code := validatePolicies(ps, networkPolicies)
	return s.locked(true, func() error {
		r, err := s.readNetwork(cid)
		if errors.Is(err, fs.ErrNotExist) {
			return hns.NewError("hcnOpenNetwork", hns.NetworkNotFound)
		}
		if err != nil {
			return err
		}
		if code != 0 {
			return hns.NewError(op, code)
		}
		var mgmt string
		valid = takeProviderAddress(valid, &mgmt)
		if mgmt != "" {
			r.ManagementIP, r.ManagementIPAt = mgmt, s.now()
		}
		for _, p := range valid {
			if !containsPolicy(r.Network.Policies, p) {
				r.Network.Policies = append(r.Network.Policies, p)
			}
		}
		return s.st.putJSON(s.st.path(networksDir, cid+".json"), r)
	})
}

// errInvalidNetworkID and friends are hcn's client-side answers when an ID
// argument is not a GUID.
var (
	errInvalidNetworkID   = errors.New("invalid network ID")
	errInvalidEndpointID  = errors.New("invalid endpoint ID")
	errInvalidNamespaceID = errors.New("invalid namespace ID")
)

// subnetOf returns the subnet of n containing a, and its gateway.
func subnetOf(n *hns.Network, a netip.Addr) (prefix netip.Prefix, gateway netip.Addr, ok bool) {
	for _, ipam := range n.Ipams {
		for _, sn := range ipam.Subnets {
			p, err := netip.ParsePrefix(sn.IpAddressPrefix)
			if err != nil || !p.Contains(a) {
				continue
			}
			for _, r := range sn.Routes {
				if r.DestinationPrefix == "0.0.0.0/0" || r.DestinationPrefix == "::/0" {
					gateway, _ = netip.ParseAddr(r.NextHop)
				}
			}
			return p.Masked(), gateway, true
		}
	}
	return netip.Prefix{}, netip.Addr{}, false
}
