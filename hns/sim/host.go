package sim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"slices"
	"strings"

	"github.com/calico-win/cni/hns"
	"github.com/calico-win/cni/hostnet"
)

// The simulated host beside HNS: its default namespace (the default
// compartment, where L2Bridge host endpoints are attached) and its IPv4
// interfaces with their forwarding flag, which hostnet.Forwarder sets. The
// interfaces are derived from HNS state, as Windows derives them:
//
//   - the adapter's vNIC, AdapterInterface, holds Config.HostAddress and
//     every network's management IP once HNS reports it;
//   - every endpoint attached to the default namespace gets a host vNIC,
//     "vEthernet (<endpoint name>)", holding the endpoint's addresses; it
//     goes with the endpoint or its detach, forwarding off when it comes
//     back.

// hostFileName is host.json, a hostRecord.
const hostFileName = "host.json"

// AdapterInterface is the simulated host adapter's vNIC.
const AdapterInterface = "vEthernet (Ethernet)"

type hostRecord struct {
	DefaultNamespace  string `json:",omitempty"` // the HostDefault namespace's ID, once asked for
	AdapterForwarding bool   `json:",omitempty"`
}

// Interface is a simulated host IPv4 interface.
type Interface struct {
	Name       string
	Addresses  []string
	Forwarding bool
}

var _ hostnet.Forwarder = (*Sim)(nil)

func (s *Sim) readHost() (hostRecord, error) {
	var h hostRecord
	err := readJSON(s.st.path(hostFileName), &h)
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	return h, err
}

// HostNamespace implements hns.Client: the one HostDefault namespace, with
// the default compartment's ID (1), created on first use. Assumption: HNS
// answers every request with the same namespace.
func (s *Sim) HostNamespace(ctx context.Context) (*hns.Namespace, error) {
	if err := s.begin(ctx, KindHostNamespace, "hcnEnumerateNamespaces"); err != nil {
		return nil, err
	}
	var out hns.Namespace
	err := s.locked(true, func() error {
		h, err := s.readHost()
		if err != nil {
			return err
		}
		if h.DefaultNamespace != "" {
			r, err := s.readNamespace(h.DefaultNamespace)
			if err == nil {
				out = r.Namespace
				return nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		rec := &namespaceRecord{Namespace: hns.Namespace{Type: hns.NamespaceHostDefault, NamespaceId: 1, SchemaVersion: hns.V2}}
		if rec.Seq, err = s.st.nextSeq(); err != nil {
			return err
		}
		rec.Namespace.Id = newGUID()
		if err := s.writeNamespace(rec); err != nil {
			return err
		}
		h.DefaultNamespace = rec.Namespace.Id
		out = rec.Namespace
		return writeJSON(s.st.path(hostFileName), h)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// attachRefusal is the code AttachEndpoint refuses ep with in ns, or 0.
// Re-attaching a host endpoint to the host is what HNS refuses with "This
// endpoint is already attached to the switch" (0x803b0014, Calico #4280);
// assumption: v2's attach to the default namespace answers as v1's
// HostAttach does. Any other endpoint already in a namespace is 0x803b002b.
// A remote endpoint has no vNIC to give the host: assumption, 0x803b000c.
func attachRefusal(ns *namespaceRecord, ep *endpointRecord) uint32 {
	host := ns.Namespace.Type == hns.NamespaceHostDefault
	switch {
	case host && strings.EqualFold(ep.Endpoint.HostComputeNamespace, ns.Namespace.Id):
		return hns.EndpointAlreadyAttached
	case ep.Endpoint.HostComputeNamespace != "":
		return hns.EndpointNamespaceExists
	case host && ep.Endpoint.Flags&hns.EndpointFlagRemote != 0:
		return hns.InvalidEndpointConfig
	}
	return 0
}

// EnableForwarding implements hostnet.Forwarder for the simulated host.
// It is not an HNS call, so HNS faults and a stopped service do not affect
// it.
func (s *Sim) EnableForwarding(ctx context.Context, addr netip.Addr) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.locked(true, func() error {
		h, err := s.readHost()
		if err != nil {
			return err
		}
		adapter, err := s.adapterAddrs()
		if err != nil {
			return err
		}
		if slices.Contains(adapter, addr.String()) {
			if h.AdapterForwarding {
				return nil
			}
			h.AdapterForwarding = true
			return writeJSON(s.st.path(hostFileName), h)
		}
		ep, err := s.hostVNICHolding(h, addr)
		if err != nil {
			return err
		}
		if ep == nil {
			return fmt.Errorf("%w: %s", hostnet.ErrNoInterface, addr)
		}
		if ep.Forwarding {
			return nil
		}
		ep.Forwarding = true
		return s.writeEndpoint(ep)
	})
}

// adapterAddrs returns the adapter vNIC's addresses; the caller holds the lock.
func (s *Sim) adapterAddrs() ([]string, error) {
	c, err := s.readConfig()
	if err != nil {
		return nil, err
	}
	var out []string
	if c.HostAddress != "" {
		out = append(out, c.HostAddress)
	}
	ids, err := listNames(s.st.path(networksDir))
	if err != nil {
		return nil, err
	}
	now := s.now()
	for _, name := range ids {
		id, ok := strings.CutSuffix(name, ".json")
		if !ok {
			continue
		}
		r, err := s.readNetwork(id)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if r.ManagementIP != "" && !now.Before(r.ManagementIPAt) && !slices.Contains(out, r.ManagementIP) {
			out = append(out, r.ManagementIP)
		}
	}
	return out, nil
}

// hostVNICHolding returns the endpoint attached to the host's default
// namespace that holds addr on some network, or nil.
func (s *Sim) hostVNICHolding(h hostRecord, addr netip.Addr) (*endpointRecord, error) {
	if h.DefaultNamespace == "" {
		return nil, nil
	}
	ids, err := listNames(s.st.path(ipsDir))
	if err != nil {
		return nil, err
	}
	for _, netID := range ids {
		epID, err := s.st.ipHolder(netID, addr)
		if err != nil || epID == "" {
			if err != nil {
				return nil, err
			}
			continue
		}
		ep, err := s.readEndpoint(epID)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(ep.Endpoint.HostComputeNamespace, h.DefaultNamespace) {
			return ep, nil
		}
	}
	return nil, nil
}

// Interfaces returns the simulated host's IPv4 interfaces: the adapter's
// vNIC (when it has an address) and one vNIC per host-attached endpoint,
// in creation order. For tests and hnsctl.
func (s *Sim) Interfaces(ctx context.Context) ([]Interface, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Interface
	err := s.locked(false, func() error {
		h, err := s.readHost()
		if err != nil {
			return err
		}
		adapter, err := s.adapterAddrs()
		if err != nil {
			return err
		}
		if len(adapter) > 0 {
			out = append(out, Interface{Name: AdapterInterface, Addresses: adapter, Forwarding: h.AdapterForwarding})
		}
		if h.DefaultNamespace == "" {
			return nil
		}
		ns, err := s.readNamespace(h.DefaultNamespace)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		var ids []string
		for _, r := range ns.Namespace.Resources {
			if id, ok := endpointResource(r); ok {
				ids = append(ids, id)
			}
		}
		recs, err := s.readEndpoints(ids)
		if err != nil {
			return err
		}
		for _, r := range recs {
			var addrs []string
			for _, a := range r.addrs() {
				addrs = append(addrs, a.String())
			}
			out = append(out, Interface{Name: "vEthernet (" + r.Endpoint.Name + ")", Addresses: addrs, Forwarding: r.Forwarding})
		}
		return nil
	})
	return out, err
}
