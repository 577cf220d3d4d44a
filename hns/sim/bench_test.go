package sim

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/calico-win/cni/hns"
)

// population is a node with 1,000 endpoints: 700 local pods (half of them
// attached, each to its own namespace) and 300 remote endpoints of other
// nodes, on a /21 network.
type population struct {
	s     *Sim
	net   *hns.Network
	names []string // local endpoint names
	free  []string // local endpoint IDs that are not attached
	ns    []string // namespaces of the unattached endpoints, by index in free
}

const (
	popLocal  = 700
	popRemote = 300
)

var (
	popOnce sync.Once
	pop     *population
	popErr  error
	popDir  string
)

// sharedPopulation builds the population once per test binary; TestMain
// removes its directory.
func sharedPopulation(tb testing.TB) *population {
	tb.Helper()
	popOnce.Do(func() {
		popDir, popErr = os.MkdirTemp("", "hns-sim-bench-")
		if popErr == nil {
			pop, popErr = buildPopulation(popDir)
		}
	})
	if popErr != nil {
		tb.Fatalf("building the population: %v", popErr)
	}
	return pop
}

func buildPopulation(dir string) (*population, error) {
	ctx := context.Background()
	s, err := Open(dir)
	if err != nil {
		return nil, err
	}
	p := &population{s: s}
	if p.net, err = s.SetupOverlay(ctx, OverlaySpec{Name: "Calico", Subnet: netip.MustParsePrefix("10.244.0.0/21"),
		ManagementIP: netip.MustParseAddr("10.0.0.4")}, 0); err != nil {
		return nil, err
	}
	addr := netip.MustParseAddr("10.244.0.10")
	for i := range popLocal {
		name := fmt.Sprintf("%064x_Calico", i)
		ep, err := s.CreateEndpoint(ctx, podRequest(p.net.Id, name, addr.String()))
		if err != nil {
			return nil, err
		}
		addr = addr.Next()
		p.names = append(p.names, name)
		ns, err := s.CreateNamespace(ctx, &hns.Namespace{})
		if err != nil {
			return nil, err
		}
		if i%2 == 0 {
			if err := s.AttachEndpoint(ctx, ns.Id, ep.Id); err != nil {
				return nil, err
			}
		} else {
			p.free, p.ns = append(p.free, ep.Id), append(p.ns, ns.Id)
		}
	}
	remote := netip.MustParseAddr("10.245.0.10")
	for i := range popRemote {
		e := podRequest(p.net.Id, fmt.Sprintf("remote-%d", i), remote.String())
		e.Flags = hns.EndpointFlagRemote
		if _, err := s.CreateEndpoint(ctx, e); err != nil {
			return nil, err
		}
		remote = remote.Next()
	}
	return p, nil
}

// podRequest is the endpoint request Calico sends for a pod (reference §1.7).
func podRequest(netID, name, ip string) *hns.Endpoint {
	return &hns.Endpoint{
		Name:               name,
		HostComputeNetwork: netID,
		Policies: []hns.Policy{
			pol(hns.OutBoundNAT, `{"Exceptions":["10.96.0.0/12","10.244.0.0/16"]}`),
			pol(hns.SDNRoute, `{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}`),
			pol(hns.ProviderAddress, `{"ProviderAddress":"10.0.0.4"}`),
		},
		IpConfigurations: []hns.IpConfig{{IpAddress: ip}},
		Dns:              hns.Dns{Search: []string{"default.svc.cluster.local"}, ServerList: []string{"10.96.0.10"}},
		Routes:           []hns.Route{{NextHop: "10.244.0.1", DestinationPrefix: "0.0.0.0/0"}},
		SchemaVersion:    hns.V2,
	}
}

// latencies collects per-operation durations and reports their median and
// 99th percentile as benchmark metrics.
type latencies []time.Duration

func (l *latencies) time(op func() error) error {
	start := time.Now()
	err := op()
	*l = append(*l, time.Since(start))
	return err
}

func (l latencies) percentile(p int) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func (l latencies) report(b *testing.B) {
	b.ReportMetric(float64(l.percentile(50).Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(l.percentile(99).Nanoseconds()), "p99-ns")
}

func BenchmarkSimGetEndpointByName(b *testing.B) {
	p := sharedPopulation(b)
	ctx := context.Background()
	var lat latencies
	i := 0
	for b.Loop() {
		name := p.names[i%len(p.names)]
		i++
		if err := lat.time(func() error { _, err := p.s.GetEndpointByName(ctx, name); return err }); err != nil {
			b.Fatal(err)
		}
	}
	lat.report(b)
}

// BenchmarkSimCreateEndpoint times CreateEndpoint alone; each endpoint is
// deleted outside the timer so the population stays at 1,000.
func BenchmarkSimCreateEndpoint(b *testing.B) {
	p := sharedPopulation(b)
	ctx := context.Background()
	var lat latencies
	for b.Loop() {
		var ep *hns.Endpoint
		err := lat.time(func() (err error) {
			ep, err = p.s.CreateEndpoint(ctx, podRequest(p.net.Id, "bench_Calico", "10.244.7.200"))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := p.s.DeleteEndpoint(ctx, ep.Id); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	lat.report(b)
}

// BenchmarkSimCreateDeleteEndpoint times a create and a delete together.
func BenchmarkSimCreateDeleteEndpoint(b *testing.B) {
	p := sharedPopulation(b)
	ctx := context.Background()
	var lat latencies
	for b.Loop() {
		err := lat.time(func() error {
			ep, err := p.s.CreateEndpoint(ctx, podRequest(p.net.Id, "bench_Calico", "10.244.7.201"))
			if err != nil {
				return err
			}
			return p.s.DeleteEndpoint(ctx, ep.Id)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	lat.report(b)
}

// BenchmarkSimAttachEndpoint times AttachEndpoint alone; the endpoint is
// detached outside the timer.
func BenchmarkSimAttachEndpoint(b *testing.B) {
	p := sharedPopulation(b)
	ctx := context.Background()
	var lat latencies
	i := 0
	for b.Loop() {
		id, ns := p.free[i%len(p.free)], p.ns[i%len(p.free)]
		i++
		if err := lat.time(func() error { return p.s.AttachEndpoint(ctx, ns, id) }); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := p.s.DetachEndpoint(ctx, ns, id); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	lat.report(b)
}
